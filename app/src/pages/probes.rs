use crate::components::name_view;
use crate::i18n::Lang;
use crate::layout::render_document;
use crate::model::{Chrome, MissedRow, PackView, ProbesView, RunRow};
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
        view! {
            <table class="history runs">
                <thead><tr>
                    <th scope="col">{lang.t("probes-col-pack")}</th>
                    <th scope="col">{lang.t("probes-col-slot")}</th>
                    <th scope="col">{lang.t("probes-col-started")}</th>
                    <th scope="col">{lang.t("probes-col-outcome")}</th>
                    <th scope="col">{lang.t("probes-col-detail")}</th>
                </tr></thead>
                <tbody>{runs}</tbody>
            </table>
        }
        .into_any()
    };
    let missed = if v.missed.is_empty() {
        view! { <p class="empty">{lang.t("probes-no-missed")}</p> }.into_any()
    } else {
        let rows = v.missed.iter().map(|m| missed_row(lang, m)).collect_view();
        view! {
            <table class="history missed">
                <thead><tr>
                    <th scope="col">{lang.t("probes-col-pack")}</th>
                    <th scope="col">{lang.t("probes-col-slots")}</th>
                    <th scope="col">{lang.t("probes-col-count")}</th>
                    <th scope="col">{lang.t("probes-col-reason")}</th>
                    <th scope="col">{lang.t("probes-col-detail")}</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
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
        view! {
            <table class="history method-changes">
                <thead><tr>
                    <th scope="col">{lang.t("probes-col-pack")}</th>
                    <th scope="col">{lang.t("probes-col-version")}</th>
                    <th scope="col">{lang.t("probes-col-when")}</th>
                    <th scope="col">{lang.t("probes-col-checked")}</th>
                    <th scope="col">{lang.t("probes-col-changed")}</th>
                </tr></thead>
                <tbody>{changes}</tbody>
            </table>
        }
        .into_any()
    };
    let body = view! {
        <h1>{lang.t("probes-heading")}</h1>
        <p class="lede">{lang.t_args("probes-lede", &[("after", v.alert_after.clone().into())])}</p>
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
