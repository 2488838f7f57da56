use crate::components::name_view;
use crate::i18n::Lang;
use crate::layout::render_document;
use crate::model::{
    Chrome, MissedRow, PackView, ProbesView, RunRow, TakeoverRow, VantageRow, WorkerRow,
};
use leptos::prelude::*;

fn run_outcome(lang: Lang, r: &RunRow) -> String {
    let state = lang.t_or(&format!("run-state-{}", r.state), &r.state);
    let mut s = lang.t_args(
        "probes-outcome",
        &[
            ("state", state.into()),
            ("done", r.done.into()),
            ("planned", r.planned.into()),
            ("failures", r.failures.into()),
        ],
    );
    if r.failed {
        s.push(' ');
        s.push_str(&lang.t("probes-outcome-failed"));
    }
    s
}

fn pack_view(lang: Lang, p: &PackView) -> impl IntoView + use<> {
    let verified = if p.verified {
        view! { <span class="badge verified">{lang.t("probes-verified")}</span> }.into_any()
    } else {
        view! {
            <span class="badge unverified" title=lang.t("probes-unverified-title")>{lang.t("probes-unverified")}</span>
            " "<span class="note">{lang.t("probes-unverified-note")}</span>
        }
        .into_any()
    };
    let simulated = p.simulated.then(
        || view! { " "<span class="source-kind sk-simulated">{lang.t("simulated-mark")}</span> },
    );
    let scheduled = if p.scheduled {
        lang.t("probes-scheduled")
    } else if p.enabled {
        lang.t("probes-enabled-unscheduled")
    } else {
        lang.t("probes-disabled")
    };
    let failing = p.failing.clone().map(|f| {
        view! { <p class="alert" role="alert"><strong>{lang.t("probes-failing")}</strong>{f}</p> }
    });
    let last_run = p.last_run.as_ref().map_or_else(
        || lang.t("probes-never-run"),
        |r| {
            lang.t_args(
                "probes-last-run",
                &[
                    ("started", r.started.clone().into()),
                    ("outcome", run_outcome(lang, r).into()),
                ],
            )
        },
    );
    let kind = lang.t_args(
        "probes-kind-value",
        &[
            (
                "kind",
                lang.t_or(&format!("probes-kind-{}", p.kind), &p.kind)
                    .into(),
            ),
            ("checks", p.checks.into()),
            ("version", p.version.into()),
        ],
    );
    let class = if p.failing.is_some() {
        "pack failing"
    } else {
        "pack"
    };
    view! {
        <article class=class id=format!("pack-{}", p.id)>
            <h3>{name_view(&p.name, lang)}" "<code>{p.id.clone()}</code></h3>
            {failing}
            <p>{verified}{simulated}</p>
            <dl>
                <dt>{lang.t("probes-kind")}</dt><dd>{kind}</dd>
                <dt>{lang.t("probes-schedule")}</dt><dd><code>{p.schedule.clone()}</code>{lang.t("probes-schedule-zone")}{scheduled}</dd>
                <dt>{lang.t("probes-next-run")}</dt><dd>{p.next_run.clone().unwrap_or_else(|| lang.t("probes-none-value"))}</dd>
                <dt>{lang.t("probes-last-run-label")}</dt><dd>{last_run}</dd>
                <dt>{lang.t("probes-last-success")}</dt><dd>{p.last_success.clone().unwrap_or_else(|| lang.t("probes-never"))}</dd>
                <dt>{lang.t("probes-failed-runs")}</dt><dd>{p.failed_runs}</dd>
                <dt>{lang.t("probes-missed-slots")}</dt><dd>{p.missed_slots}</dd>
            </dl>
        </article>
    }
}

fn missed_row(lang: Lang, m: &MissedRow) -> impl IntoView + use<> {
    let slots = if m.first == m.last {
        m.first.clone()
    } else {
        lang.t_args(
            "probes-missed-range",
            &[
                ("first", m.first.clone().into()),
                ("last", m.last.clone().into()),
            ],
        )
    };
    let pending = m
        .pending
        .then(|| view! { " "<strong class="pending">{lang.t("probes-missed-pending")}</strong> });
    let class = if m.pending {
        "missed pending"
    } else {
        "missed"
    };
    view! {
        <tr class=class>
            <td><code>{m.pack_id.clone()}</code></td>
            <td>{slots}</td>
            <td class="num">{m.slots}</td>
            <td>{m.reason.clone()}{pending}</td>
            <td>{m.detail.clone()}</td>
        </tr>
    }
}

fn vantage_row(lang: Lang, v: &VantageRow) -> impl IntoView + use<> {
    let description = v
        .description
        .clone()
        .map(|d| view! { <span class="note">{d}</span> });
    let details = (!v.details.is_empty())
        .then(|| view! { <span class="note">{v.details.join(" · ")}</span> });
    let last_seen = match (&v.last_seen, &v.ago) {
        (Some(at), Some(ago)) => {
            view! { {at.clone()}<br/><span class="note">{ago.clone()}</span> }.into_any()
        }
        _ => view! { <span class="note">{lang.t("fleet-never-seen")}</span> }.into_any(),
    };
    let silent = v.silent.clone().map(|s| {
        view! { <p class="alert" role="alert"><strong>{lang.t("fleet-silent")}</strong>" "{s}</p> }
    });
    let class = if v.silent.is_some() {
        "vantage silent"
    } else {
        "vantage"
    };
    view! {
        <tr class=class id=format!("vantage-{}", v.name)>
            <th scope="row" data-label=lang.t("fleet-col-vantage")><code>{v.name.clone()}</code>{description}{details}{silent}</th>
            <td class="num" data-label=lang.t("fleet-col-workers-alive")>{v.workers_alive}</td>
            <td data-label=lang.t("fleet-col-last-seen")>{last_seen}</td>
            <td class="num" data-label=lang.t("fleet-col-runs")>{v.runs}</td>
            <td class="num" data-label=lang.t("fleet-col-failures")>{v.failures}</td>
            <td class="num" data-label=lang.t("fleet-col-leases")>{v.leases}</td>
            <td class="num" data-label=lang.t("fleet-col-takeovers")>{v.takeovers}</td>
        </tr>
    }
}

fn worker_row(lang: Lang, w: &WorkerRow) -> impl IntoView + use<> {
    let state = match (&w.stopped, w.alive) {
        (Some(when), _) => lang.t_args("fleet-stopped", &[("when", when.clone().into())]),
        (None, true) => lang.t("fleet-alive"),
        (None, false) => lang.t("fleet-gone"),
    };
    // A worker stopped cleanly released its leases: only one without a heartbeat alarms.
    let class = match (&w.stopped, w.alive) {
        (Some(_), _) => "worker stopped",
        (None, true) => "worker alive",
        (None, false) => "worker gone",
    };
    view! {
        <tr class=class id=format!("worker-{}", w.id)>
            <th scope="row" data-label=lang.t("fleet-col-worker")><code>{w.id.clone()}</code></th>
            <td data-label=lang.t("fleet-col-host")>{w.host.clone()}" ("{lang.t("fleet-col-pid")}" "{w.pid}")"</td>
            <td data-label=lang.t("fleet-col-vantage")><code>{w.vantage.clone()}</code></td>
            <td data-label=lang.t("fleet-col-started")>{w.started.clone()}</td>
            <td data-label=lang.t("fleet-col-heartbeat")>{w.last_heartbeat.clone()}<br/><span class="note">{w.ago.clone()}</span></td>
            <td data-label=lang.t("fleet-col-state")>{state}</td>
            <td class="num" data-label=lang.t("fleet-col-runs")>{w.runs}</td>
            <td class="num" data-label=lang.t("fleet-col-failures")>{w.failures}</td>
            <td class="num" data-label=lang.t("fleet-col-leases")>{w.leases}</td>
            <td class="num" data-label=lang.t("fleet-col-takeovers")>{w.takeovers}</td>
        </tr>
    }
}

fn takeover_row(lang: Lang, t: &TakeoverRow) -> impl IntoView + use<> {
    let from = t.from.clone().unwrap_or_else(|| lang.t("fleet-from-none"));
    view! {
        <tr class="takeover">
            <td data-label=lang.t("fleet-col-run")>{lang.t_args("fleet-run", &[("run", t.run_id.into()), ("pack", t.pack_id.clone().into()), ("slot", t.slot.clone().into())])}</td>
            <td data-label=lang.t("fleet-col-vantage")><code>{t.vantage.clone()}</code></td>
            <td data-label=lang.t("fleet-col-from-to")><code>{from}</code>" → "<code>{t.to.clone()}</code></td>
            <td data-label=lang.t("fleet-col-when")>{t.when.clone()}</td>
        </tr>
    }
}

/// A table of `class` whose header names the `columns`, around `rows`.
fn table_of(class: &'static str, columns: &[String], rows: impl IntoView + 'static) -> AnyView {
    let header = columns
        .iter()
        .map(|c| view! { <th scope="col">{c.clone()}</th> })
        .collect_view();
    view! {
        <table class=class>
            <thead><tr>{header}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// The vantage points, workers and takeovers sections.
fn fleet_sections(lang: Lang, v: &ProbesView) -> impl IntoView + use<> {
    let vantages = if v.vantages.is_empty() {
        view! { <p class="empty">{lang.t("fleet-no-vantages")}</p> }.into_any()
    } else {
        let rows = v
            .vantages
            .iter()
            .map(|r| vantage_row(lang, r))
            .collect_view();
        table_of(
            "history fleet vantages",
            &[
                lang.t("fleet-col-vantage"),
                lang.t("fleet-col-workers-alive"),
                lang.t("fleet-col-last-seen"),
                lang.t("fleet-col-runs"),
                lang.t("fleet-col-failures"),
                lang.t("fleet-col-leases"),
                lang.t("fleet-col-takeovers"),
            ],
            rows,
        )
    };
    let workers = if v.workers.is_empty() {
        view! { <p class="empty">{lang.t("fleet-no-workers")}</p> }.into_any()
    } else {
        let rows = v.workers.iter().map(|w| worker_row(lang, w)).collect_view();
        table_of(
            "history fleet workers",
            &[
                lang.t("fleet-col-worker"),
                lang.t("fleet-col-host"),
                lang.t("fleet-col-vantage"),
                lang.t("fleet-col-started"),
                lang.t("fleet-col-heartbeat"),
                lang.t("fleet-col-state"),
                lang.t("fleet-col-runs"),
                lang.t("fleet-col-failures"),
                lang.t("fleet-col-leases"),
                lang.t("fleet-col-takeovers"),
            ],
            rows,
        )
    };
    let takeovers = if v.takeovers.is_empty() {
        view! { <p class="empty">{lang.t("fleet-no-takeovers")}</p> }.into_any()
    } else {
        let rows = v
            .takeovers
            .iter()
            .map(|t| takeover_row(lang, t))
            .collect_view();
        table_of(
            "history fleet takeovers",
            &[
                lang.t("fleet-col-run"),
                lang.t("fleet-col-vantage"),
                lang.t("fleet-col-from-to"),
                lang.t("fleet-col-when"),
            ],
            rows,
        )
    };
    view! {
        <section aria-labelledby="h-vantages">
            <h2 id="h-vantages">{lang.t("fleet-vantages")}</h2>
            <p>{lang.t_args("fleet-vantages-intro", &[("after", v.alert_after.clone().into())])}</p>
            {vantages}
        </section>
        <section aria-labelledby="h-workers">
            <h2 id="h-workers">{lang.t("fleet-workers")}</h2>
            <p>{lang.t("fleet-workers-intro")}</p>
            {workers}
        </section>
        <section aria-labelledby="h-takeovers">
            <h2 id="h-takeovers">{lang.t("fleet-takeovers")}</h2>
            <p>{lang.t("fleet-takeovers-intro")}</p>
            {takeovers}
        </section>
    }
}

pub fn probes_page(chrome: &Chrome, v: &ProbesView) -> String {
    let lang = chrome.lang;
    let packs = if v.packs.is_empty() {
        view! {
            <p class="empty">
                {lang.t("probes-none-start")}<code>"catalog/probes/"</code>{lang.t("probes-none-end")}
            </p>
        }
        .into_any()
    } else {
        v.packs
            .iter()
            .map(|p| pack_view(lang, p))
            .collect_view()
            .into_any()
    };
    let runs = v
        .runs
        .iter()
        .map(|r| {
            let class = if r.failed { "run failed" } else { "run" };
            view! {
                <tr class=class>
                    <td><code>{r.pack_id.clone()}</code></td>
                    <td>{r.slot.clone()}</td>
                    <td>{r.started.clone()}</td>
                    <td>{run_outcome(lang, r)}</td>
                    <td>{r.detail.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let runs = if v.runs.is_empty() {
        view! { <p class="empty">{lang.t("probes-no-runs")}</p> }.into_any()
    } else {
        table_of(
            "history runs",
            &[
                lang.t("probes-col-pack"),
                lang.t("probes-col-slot"),
                lang.t("probes-col-started"),
                lang.t("probes-col-outcome"),
                lang.t("probes-col-detail"),
            ],
            runs,
        )
    };
    let missed = if v.missed.is_empty() {
        view! { <p class="empty">{lang.t("probes-no-missed")}</p> }.into_any()
    } else {
        let rows = v.missed.iter().map(|m| missed_row(lang, m)).collect_view();
        table_of(
            "history missed",
            &[
                lang.t("probes-col-pack"),
                lang.t("probes-col-slots"),
                lang.t("probes-col-count"),
                lang.t("probes-col-reason"),
                lang.t("probes-col-detail"),
            ],
            rows,
        )
    };
    let changes = v
        .method_changes
        .iter()
        .map(|m| {
            let from = m
                .from_version
                .map_or_else(|| lang.t("probes-version-none"), |f| f.to_string());
            view! {
                <tr>
                    <td><code>{m.pack_id.clone()}</code></td>
                    <td>{format!("{from} → {}", m.to_version)}</td>
                    <td>{m.when.clone()}</td>
                    <td class="num">{m.checked}</td>
                    <td class="num">{m.changed}</td>
                </tr>
            }
        })
        .collect_view();
    let changes = if v.method_changes.is_empty() {
        view! { <p class="empty">{lang.t("probes-no-methods")}</p> }.into_any()
    } else {
        table_of(
            "history method-changes",
            &[
                lang.t("probes-col-pack"),
                lang.t("probes-col-version"),
                lang.t("probes-col-when"),
                lang.t("probes-col-checked"),
                lang.t("probes-col-changed"),
            ],
            changes,
        )
    };
    let body = view! {
        <h1>{lang.t("probes-heading")}</h1>
        <p class="lede">{lang.t_args("probes-lede", &[("after", v.alert_after.clone().into())])}</p>
        {fleet_sections(lang, v)}
        <section aria-labelledby="h-packs">
            <h2 id="h-packs">{lang.t("probes-packs")}</h2>
            {packs}
        </section>
        <section aria-labelledby="h-runs">
            <h2 id="h-runs">{lang.t("probes-runs")}</h2>
            {runs}
        </section>
        <section aria-labelledby="h-missed">
            <h2 id="h-missed">{lang.t("probes-missed")}</h2>
            <p>{lang.t("probes-missed-intro")}</p>
            {missed}
        </section>
        <section aria-labelledby="h-methods">
            <h2 id="h-methods">{lang.t("probes-methods")}</h2>
            <p>{lang.t("probes-methods-intro")}</p>
            {changes}
        </section>
    };
    render_document(chrome, body)
}
