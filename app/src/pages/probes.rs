use crate::components::name_view;
use crate::layout::render_document;
use crate::model::{Chrome, PackView, ProbesView, RunRow};
use leptos::prelude::*;

fn run_outcome(r: &RunRow) -> String {
    let mut s = format!(
        "{}: {} of {} done, {} failed",
        r.state, r.done, r.planned, r.failures
    );
    if r.failed {
        s.push_str(" — FAILED");
    }
    s
}

fn pack_view(p: &PackView) -> impl IntoView + use<> {
    let verified = if p.verified {
        view! { <span class="badge verified">"verified"</span> }.into_any()
    } else {
        view! {
            <span class="badge unverified" title="Its endpoints have not been confirmed live">"unverified"</span>
            <span class="note">" endpoints not confirmed live"</span>
        }
        .into_any()
    };
    let simulated = p
        .simulated
        .then(|| view! { " "<span class="source-kind sk-simulated">"SIMULATED"</span> });
    let scheduled = if p.scheduled {
        "scheduled by this process"
    } else if p.enabled {
        "enabled, but not scheduled by this process"
    } else {
        "disabled: not scheduled"
    };
    let failing = p.failing.clone().map(|f| {
        view! { <p class="alert" role="alert"><strong>"FAILING: "</strong>{f}</p> }
    });
    let last_run = p.last_run.as_ref().map_or_else(
        || "never run".to_string(),
        |r| format!("started {} — {}", r.started, run_outcome(r)),
    );
    let class = if p.failing.is_some() {
        "pack failing"
    } else {
        "pack"
    };
    view! {
        <article class=class id=format!("pack-{}", p.id)>
            <h3>{name_view(&p.name)}" "<code>{p.id.clone()}</code></h3>
            {failing}
            <p>{verified}{simulated}</p>
            <dl>
                <dt>"Kind"</dt><dd>{format!("{} checks ({} of them), rule version {}", p.kind, p.checks, p.version)}</dd>
                <dt>"Schedule"</dt><dd><code>{p.schedule.clone()}</code>" (Beijing time) — "{scheduled}</dd>
                <dt>"Next run"</dt><dd>{p.next_run.clone().unwrap_or_else(|| "none".into())}</dd>
                <dt>"Last run"</dt><dd>{last_run}</dd>
                <dt>"Last success"</dt><dd>{p.last_success.clone().unwrap_or_else(|| "never".into())}</dd>
                <dt>"Failed runs in a row"</dt><dd>{p.failed_runs}</dd>
            </dl>
        </article>
    }
}

pub fn probes_page(chrome: &Chrome, v: &ProbesView) -> String {
    let packs = if v.packs.is_empty() {
        view! {
            <p class="empty">
                "No probe packs are loaded. Probe packs are TOML files in "<code>"catalog/probes/"</code>
                " that tell Hutong how to ask a platform, over HTTP, what happens to a shared link "
                "or which payment methods a checkout offers. Until one is added, everything Hutong "
                "shows comes from cited articles and manual tests."
            </p>
        }
        .into_any()
    } else {
        v.packs.iter().map(pack_view).collect_view().into_any()
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
                    <td>{run_outcome(r)}</td>
                    <td>{r.detail.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let runs = if v.runs.is_empty() {
        view! { <p class="empty">"No runs yet."</p> }.into_any()
    } else {
        view! {
            <table class="history runs">
                <thead><tr><th scope="col">"Pack"</th><th scope="col">"Slot"</th><th scope="col">"Started"</th><th scope="col">"Outcome"</th><th scope="col">"Detail"</th></tr></thead>
                <tbody>{runs}</tbody>
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
                .map_or_else(|| "none".to_string(), |f| f.to_string());
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
        view! { <p class="empty">"No method changes yet."</p> }.into_any()
    } else {
        view! {
            <table class="history method-changes">
                <thead><tr><th scope="col">"Pack"</th><th scope="col">"Rule version"</th><th scope="col">"When"</th><th scope="col">"Verdicts checked"</th><th scope="col">"Verdicts changed"</th></tr></thead>
                <tbody>{changes}</tbody>
            </table>
        }
        .into_any()
    };
    let body = view! {
        <h1>"Probes"</h1>
        <p class="lede">
            "Probe packs ask platforms over HTTP what happens to a link or which payment methods a "
            "checkout offers, and keep the evidence. A pack is flagged FAILING when its runs have "
            "observed nothing for longer than "{v.alert_after.clone()}". Times are Beijing time."
        </p>
        <section aria-labelledby="h-packs">
            <h2 id="h-packs">"Packs"</h2>
            {packs}
        </section>
        <section aria-labelledby="h-runs">
            <h2 id="h-runs">"Recent runs"</h2>
            {runs}
        </section>
        <section aria-labelledby="h-methods">
            <h2 id="h-methods">"Method changes"</h2>
            <p>
                "When a pack's rules change, its stored pages are judged again under the new rules "
                "and old verdicts are re-derived (the old ones are kept, marked superseded). "
                "A method change is Hutong changing how it reads a page; it is not a platform "
                "changing its policy, and it never shows as a change on the timeline."
            </p>
            {changes}
        </section>
    };
    render_document(chrome, body)
}
