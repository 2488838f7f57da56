use crate::charts::chart_figure;
use crate::components::{
    cell_view, citation_view, header_view, opinion_view, status_badge, when_text, words_view,
};
use crate::layout::render_document;
use crate::model::{CheckView, Chrome, ProbeNote};
use leptos::prelude::*;

pub fn check_page(chrome: &Chrome, c: &CheckView) -> String {
    let current = c
        .current
        .iter()
        .map(|o| view! { <li>{opinion_view(o)}</li> })
        .collect_view();
    let disputed = (c
        .current
        .iter()
        .map(|o| &o.status.id)
        .collect::<std::collections::HashSet<_>>()
        .len()
        > 1)
    .then(|| {
        view! {
            <p class="alert">
                <strong>"Sources disagree"</strong>
                " about this check as of this date. Both are kept; none is picked silently."
            </p>
        }
    });
    let rows = c
        .history
        .iter()
        .map(|h| {
            let mut class = String::from("obs");
            if h.transition_from.is_some() {
                class.push_str(" transition");
            }
            if h.after_at {
                class.push_str(" after");
            }
            let change = match &h.transition_from {
                Some(Some(from)) => {
                    view! { <span class="change">"changed from "{status_badge(from)}</span> }
                        .into_any()
                }
                Some(None) => {
                    view! { <span class="change">"first observation by this source"</span> }
                        .into_any()
                }
                None => view! { <span class="change same">"no change"</span> }.into_any(),
            };
            let when = when_text(&h.when, h.approximate, true);
            let words = words_view(h.quote.as_deref(), h.note.as_deref());
            let after = h
                .after_at
                .then(|| view! { <span class="after-note">" (after the page's date)"</span> });
            let evidence = h.observation_href.clone().map(|href| {
                view! { <br/><a class="evidence-link" href=href>"Evidence"</a> }
            });
            let probe = h.probe.as_ref().map(probe_note_view);
            view! {
                <tr class=class>
                    <td><time>{when}</time>{after}{evidence}</td>
                    <td>{status_badge(&h.status)}<br/>{change}{probe}</td>
                    <td>{citation_view(&h.citation)}{words}</td>
                </tr>
            }
        })
        .collect_view();
    let ladder = c.ladder.iter().map(status_badge).collect_view();
    let newer = c
        .newer
        .clone()
        .map(|h| view! { <a rel="prev" href=h>"← Newer"</a> });
    let older = c
        .older
        .clone()
        .map(|h| view! { <a rel="next" href=h>"Older →"</a> });
    let count = format!(
        "{} observation(s); page {} of {}",
        c.total,
        c.page,
        c.pages.max(1)
    );
    let chart = c.chart.as_ref().map(|chart| {
        view! {
            <section aria-labelledby="h-steps">
                <h2 id="h-steps">{chrome.lang.t("charts-steps-heading")}</h2>
                {chart_figure(chrome.lang, chart)}
            </section>
        }
    });
    let body = view! {
        <p class="crumbs"><a href="/">"Overview"</a>" › "{c.kind_name.en.clone()}</p>
        <h1>
            {header_view(&c.subject)}" × "{header_view(&c.object)}
        </h1>
        <p class="lede">
            {format!("{} check ", c.kind_name.en)}<code>{c.id.clone()}</code>": "
            {format!("{} ", c.subject_label.en)}<strong>{c.subject.name.en.clone()}</strong>
            {format!(", {} ", c.object_label.en)}<strong>{c.object.name.en.clone()}</strong>"."
        </p>
        <section aria-labelledby="h-now">
            <h2 id="h-now">{format!("State as of {}", chrome.at)}</h2>
            {cell_view(&c.cell)}
            {disputed}
            <h3>"Each source's latest word"</h3>
            <ul class="opinions">{current}</ul>
        </section>
        {chart}
        <section aria-labelledby="h-history">
            <h2 id="h-history">"Every observation"</h2>
            <p>"Newest first. Rows where a source's status changed are marked as transitions; probe observations link to their evidence."</p>
            <p class="count">{count}</p>
            <table class="history">
                <thead><tr><th scope="col">"Observed (Beijing time)"</th><th scope="col">"Status"</th><th scope="col">"Source and citation"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <nav class="pager" aria-label="Pages of observations">{newer}" "{older}</nav>
            <p class="ladder">"Ladder, most open first: "{ladder}</p>
        </section>
    };
    render_document(chrome, body)
}

/// A probe verdict's details in a few words: failure class, anomaly, the rule that matched.
fn probe_note_view(p: &ProbeNote) -> impl IntoView + use<> {
    let failure = p.failure.clone().map(|f| {
        view! { " "<span class="probe-flag failure" title="Nothing could be observed">{format!("failed: {f}")}</span> }
    });
    let anomaly = p.anomaly.then(|| {
        view! { " "<span class="probe-flag anomaly" title="No rule for a known page of the platform matched">"anomaly"</span> }
    });
    let rule = p
        .rule
        .clone()
        .map(|r| view! { " "<span class="probe-flag rule">"rule "<code>{r}</code></span> });
    let superseded = p.superseded.then(|| {
        view! { " "<span class="probe-flag superseded" title="Re-derived under newer rules">"superseded"</span> }
    });
    view! { <span class="probe-note">{failure}{anomaly}{rule}{superseded}</span> }
}
