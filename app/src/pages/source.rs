use crate::components::{status_badge, timeline_entry_view, when_text, words_view};
use crate::layout::render_document;
use crate::model::{Chrome, SourceView};
use leptos::prelude::*;

/// A cited source: what it is, where to read it, and every fact Hutong takes from it.
pub fn source_page(chrome: &Chrome, s: &SourceView) -> String {
    let facts = s
        .facts
        .iter()
        .map(|f| {
            let when = when_text(&f.when, f.approximate, true);
            let words = words_view(f.quote.as_deref(), f.note.as_deref());
            view! {
                <tr>
                    <td><time>{when}</time></td>
                    <td><a href=f.check_href.clone()>{f.check_title.clone()}</a></td>
                    <td>{status_badge(&f.status)}</td>
                    <td>{words}</td>
                </tr>
            }
        })
        .collect_view();
    let milestones = s.milestones.iter().map(timeline_entry_view).collect_view();
    let original = match &s.url {
        Some(url) => {
            view! { <a href=url.clone() rel="noopener noreferrer">{url.clone()}</a> }.into_any()
        }
        None => view! { <span>"no address recorded; cite by publisher, title and date"</span> }
            .into_any(),
    };
    let title_en = s
        .title_en
        .clone()
        .map(|t| view! { <dt>"Title (English)"</dt><dd>{t}</dd> });
    let date = s
        .date
        .map_or_else(|| "not known".to_string(), |d| d.to_string());
    let body = view! {
        <p class="crumbs">"Source"</p>
        <h1 lang=s.language.clone()>{s.title.clone()}</h1>
        <dl class="facts">
            <dt>"Publisher"</dt><dd>{s.publisher.clone()}</dd>
            {title_en}
            <dt>"Published"</dt><dd>{date}</dd>
            <dt>"Kind"</dt><dd>{s.kind.clone()}</dd>
            <dt>"Language, vantage"</dt><dd>{format!("{}, observed from {}", s.language, s.region)}</dd>
            <dt>"Original"</dt><dd>{original}</dd>
        </dl>
        <h2>{format!("{} fact(s) taken from it", s.facts.len())}</h2>
        <table class="history">
            <thead><tr><th scope="col">"When"</th><th scope="col">"Check"</th><th scope="col">"Status"</th><th scope="col">"Its words"</th></tr></thead>
            <tbody>{facts}</tbody>
        </table>
        <h2>"Milestones it reports"</h2>
        <ol class="timeline">{milestones}</ol>
    };
    render_document(chrome, body)
}
