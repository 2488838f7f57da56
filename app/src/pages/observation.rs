use crate::components::{citation_view, status_badge, words_view};
use crate::layout::render_document;
use crate::model::{Chrome, EvidenceView, ObservationView};
use leptos::prelude::*;

/// Text or a dash: evidence fields may be missing.
fn or_dash(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "—".into())
}

/// One observation and its evidence. Every evidence value is scraped text and is shown as
/// text only: URLs are never made into links.
pub fn observation_page(chrome: &Chrome, o: &ObservationView) -> String {
    let simulated = o.simulated.then(|| {
        view! {
            <p class="simulated-banner" role="note">
                <span class="source-kind sk-simulated">"SIMULATED"</span>
                " This observation was made against Hutong's built-in simulator (demo) — not real data."
            </p>
        }
    });
    let probe = o.pack_id.clone().map(|pack| {
        let version = o
            .rule_version
            .map_or_else(|| "unknown".to_string(), |v| v.to_string());
        view! { <dt>"Probe pack"</dt><dd><code>{pack}</code>{format!(", rule version {version}")}</dd> }
    });
    let verdict = o.confirmed.map(|c| {
        let words = if c {
            "Confirmed: a rule recognising a known page of the platform matched."
        } else {
            "Anomaly: no rule for a known page matched; the verdict is stored but flagged."
        };
        let class = if c { "confirmed" } else { "anomaly" };
        view! { <dt>"Verdict"</dt><dd class=class>{words}</dd> }
    });
    let failure = o.failure.clone().map(|(class, words)| {
        view! { <dt>"Failure"</dt><dd class="failure"><code>{class}</code>": "{words}</dd> }
    });
    let superseded = o.superseded_by.map(|id| {
        view! {
            <dt>"Superseded by"</dt>
            <dd><a href=format!("/observations/{id}")>{format!("observation {id}")}</a>
                " (re-derived under newer rules: a change of method, not of the platform)"</dd>
        }
    });
    let reclassifies = o.reclassifies.map(|id| {
        view! {
            <dt>"Reclassifies"</dt>
            <dd><a href=format!("/observations/{id}")>{format!("observation {id}")}</a>
                " (the same page, judged under newer rules)"</dd>
        }
    });
    let snapshot = match (&o.snapshot_href, &o.snapshot_sha) {
        (Some(href), sha) => view! {
            <p class="snapshot">
                <a href=href.clone() download="">"Download the raw page"</a>
                " (as fetched, sha256 "<code>{sha.clone().unwrap_or_default()}</code>
                "; saved as a file, never shown here)"
            </p>
        }
        .into_any(),
        (None, Some(sha)) => view! {
            <p class="snapshot">"The raw page (sha256 "<code>{sha.clone()}</code>") is not stored here."</p>
        }
        .into_any(),
        (None, None) => view! { <p class="snapshot">"No raw page was kept for this observation."</p> }.into_any(),
    };
    let evidence = match &o.evidence {
        Some(e) => evidence_view(e).into_any(),
        None => {
            view! { <p class="empty">"This observation carries no probe evidence."</p> }.into_any()
        }
    };
    let body = view! {
        <p class="crumbs">
            <a href=o.check_href.clone()>{o.check_title.clone()}</a>" › observation "{o.id}
        </p>
        {simulated}
        <h1>{format!("Observation {}", o.id)}</h1>
        <dl class="facts">
            <dt>"Check"</dt><dd><a href=o.check_href.clone()>{o.check_title.clone()}</a>" "<code>{o.check_id.clone()}</code></dd>
            <dt>"Observed"</dt><dd><time>{o.when.clone()}</time>" (Beijing time)"</dd>
            <dt>"Status"</dt><dd>{status_badge(&o.status)}</dd>
            <dt>"Source"</dt><dd>{citation_view(&o.citation)}</dd>
            <dt>"Vantage point"</dt><dd>{o.vantage.clone()}</dd>
            {probe}
            {verdict}
            {failure}
            {superseded}
            {reclassifies}
        </dl>
        {words_view(o.quote.as_deref(), o.note.as_deref())}
        <section aria-labelledby="h-evidence">
            <h2 id="h-evidence">"Evidence"</h2>
            {snapshot}
            {evidence}
        </section>
    };
    render_document(chrome, body)
}

fn evidence_view(e: &EvidenceView) -> impl IntoView + use<> {
    let hops = e
        .hops
        .iter()
        .enumerate()
        .map(|(i, h)| {
            view! {
                <tr>
                    <td class="num">{i + 1}</td>
                    <td class="num">{or_dash(&h.status)}</td>
                    <td class="url">{or_dash(&h.url)}</td>
                    <td class="url">{or_dash(&h.location)}</td>
                    <td class="num">{h.elapsed_ms.clone().map(|ms| format!("{ms} ms")).unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let hops = (!e.hops.is_empty()).then(|| {
        view! {
            <h3>"Redirect chain"</h3>
            <div class="table-wrap">
                <table class="history hops">
                    <thead><tr><th scope="col">"#"</th><th scope="col">"Status"</th><th scope="col">"URL"</th><th scope="col">"Location"</th><th scope="col">"After"</th></tr></thead>
                    <tbody>{hops}</tbody>
                </table>
            </div>
        }
    });
    let control = e.control.as_ref().map(|c| {
        let ok = match c.ok {
            Some(true) => "the target itself answered",
            Some(false) => "the target itself did not answer: a restriction cannot be told apart from a target that is down",
            None => "outcome not recorded",
        };
        view! {
            <dt>"Control request"</dt>
            <dd><span class="url">{or_dash(&c.url)}</span>" → "{or_dash(&c.status)}" ("{ok}")"</dd>
        }
    });
    let extracted = (!e.extracted.is_empty()).then(|| {
        let items = e
            .extracted
            .iter()
            .map(|x| {
                let selected = (x.selected == Some(true)).then_some(" (selected by default)");
                view! {
                    <li>
                        {x.names.join(" / ")}" → "
                        <code>{x.method.clone().unwrap_or_else(|| "no known method".into())}</code>
                        {selected}
                    </li>
                }
            })
            .collect_view();
        view! { <h3>"Payment options found on the page"</h3><ul class="extracted">{items}</ul> }
    });
    let excerpt = e.excerpt.clone().map(|x| {
        view! {
            <h3>"Excerpt around the match"</h3>
            <pre class="excerpt">{x}</pre>
        }
    });
    let detail = e
        .detail
        .clone()
        .map(|d| view! { <dt>"What went wrong"</dt><dd>{d}</dd> });
    view! {
        <dl class="facts evidence">
            <dt>"Requested"</dt><dd class="url">{or_dash(&e.request_url)}</dd>
            <dt>"Final answer"</dt><dd><span class="url">{or_dash(&e.final_url)}</span>" → "{or_dash(&e.final_status)}</dd>
            <dt>"Rule matched"</dt><dd><code>{or_dash(&e.rule)}</code></dd>
            <dt>"Charset"</dt><dd>{or_dash(&e.charset)}</dd>
            <dt>"Content type"</dt><dd>{or_dash(&e.content_type)}</dd>
            <dt>"Body"</dt><dd>{e.body_bytes.clone().map(|b| format!("{b} bytes")).unwrap_or_else(|| "—".into())}
                " sha256 "<code>{or_dash(&e.body_sha256)}</code></dd>
            <dt>"Total time"</dt><dd>{e.total_ms.clone().map(|t| format!("{t} ms")).unwrap_or_else(|| "—".into())}</dd>
            {control}
            {detail}
        </dl>
        {hops}
        {excerpt}
        {extracted}
    }
}
