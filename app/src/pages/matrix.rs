use crate::components::{cell_view, header_view, status_badge};
use crate::layout::render_document;
use crate::model::{Chrome, MatrixView};
use leptos::prelude::*;

/// The links, payments or QR matrix: subjects down, objects across.
pub fn matrix_page(chrome: &Chrome, m: &MatrixView) -> String {
    let columns = m
        .columns
        .iter()
        .map(|c| view! { <th scope="col">{header_view(c)}</th> })
        .collect_view();
    let rows = m
        .rows
        .iter()
        .map(|row| {
            let cells = row
                .cells
                .iter()
                .map(|cell| match cell {
                    Some(cell) => view! { <td>{cell_view(cell)}</td> }.into_any(),
                    None => view! { <td class="na"><span class="visually-hidden">"not tracked"</span>"—"</td> }.into_any(),
                })
                .collect_view();
            view! { <tr><th scope="row">{header_view(&row.header)}</th>{cells}</tr> }
        })
        .collect_view();
    let legend = m
        .ladder
        .iter()
        .map(|s| view! { <li>{status_badge(s)}" "{s.description.clone()}</li> })
        .collect_view();
    let corner = format!("{} ↓ × {} →", m.subject_label.en, m.object_label.en);
    let body = view! {
        <h1>{m.kind_name.en.clone()}" "<span lang="zh">{m.kind_name.zh.clone()}</span></h1>
        <p class="lede">
            "Each cell is the newest observation at or before "<strong>{chrome.at.to_string()}</strong>
            ", with how it was known and when. Follow a cell for its full history and sources. "
            "Where sources disagree, the cell says so."
        </p>
        <div class="matrix-wrap">
            <table class="matrix" data-kind=m.kind_id.clone()>
                <caption>{format!("{} as of {}", m.kind_name.en, chrome.at)}</caption>
                <thead><tr><th scope="col">{corner}</th>{columns}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <section aria-labelledby="h-legend">
            <h2 id="h-legend">"Statuses, most open first"</h2>
            <ul class="legend">{legend}</ul>
        </section>
    };
    render_document(chrome, body)
}
