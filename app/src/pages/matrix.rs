use crate::components::{cell_view, header_view, status_badge};
use crate::layout::render_document;
use crate::model::{Chrome, MatrixView};
use leptos::prelude::*;

/// The links, payments or QR matrix: subjects down, objects across. The matrix of
/// simulated platforms, when given, follows below it, labelled as demo data throughout.
pub fn matrix_page(chrome: &Chrome, m: &MatrixView, simulated: Option<&MatrixView>) -> String {
    let legend = m
        .ladder
        .iter()
        .map(|s| view! { <li>{status_badge(s)}" "{s.description.clone()}</li> })
        .collect_view();
    let table = matrix_table(m, format!("{} as of {}", m.kind_name.en, chrome.at));
    let simulated = simulated.map(|s| {
        let caption = format!(
            "SIMULATED — {} of simulated platforms as of {} (demo, not real data)",
            s.kind_name.en, chrome.at
        );
        view! {
            <section class="simulated-section" aria-labelledby="h-simulated">
                <h2 id="h-simulated">
                    <span class="source-kind sk-simulated">"SIMULATED"</span>
                    " Simulated platforms (demo) — not real data"
                </h2>
                <p class="simulated-banner">
                    "These platforms exist only in Hutong's built-in simulator. Their figures "
                    "show how probes work; they say nothing about any real platform and are "
                    "never counted in the matrix above or in any figure."
                </p>
                {matrix_table(s, caption)}
            </section>
        }
    });
    let body = view! {
        <h1>{m.kind_name.en.clone()}" "<span lang="zh">{m.kind_name.zh.clone()}</span></h1>
        <p class="lede">
            "Each cell is the newest observation at or before "<strong>{chrome.at.to_string()}</strong>
            ", with how it was known and when. Follow a cell for its full history and sources. "
            "Where sources disagree, the cell says so."
        </p>
        {table}
        <section aria-labelledby="h-legend">
            <h2 id="h-legend">"Statuses, most open first"</h2>
            <ul class="legend">{legend}</ul>
        </section>
        {simulated}
    };
    render_document(chrome, body)
}

fn matrix_table(m: &MatrixView, caption: String) -> impl IntoView + use<> {
    let simulated = m.simulated_included;
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
                    Some(cell) => {
                        // Every simulated cell says so itself, whatever its status.
                        let label = simulated.then(|| {
                            view! { <span class="source-kind sk-simulated">"SIMULATED"</span> }
                        });
                        view! { <td>{label}{cell_view(cell)}</td> }.into_any()
                    }
                    None => view! { <td class="na"><span class="visually-hidden">"not tracked"</span>"—"</td> }.into_any(),
                })
                .collect_view();
            view! { <tr><th scope="row">{header_view(&row.header)}</th>{cells}</tr> }
        })
        .collect_view();
    let corner = format!("{} ↓ × {} →", m.subject_label.en, m.object_label.en);
    let class = if simulated {
        "matrix-wrap simulated"
    } else {
        "matrix-wrap"
    };
    view! {
        <div class=class>
            <table class="matrix" data-kind=m.kind_id.clone() data-simulated=simulated.to_string()>
                <caption>{caption}</caption>
                <thead><tr><th scope="col">{corner}</th>{columns}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
