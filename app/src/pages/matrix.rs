use crate::components::{cell_view, header_view, status_badge};
use crate::i18n::Lang;
use crate::layout::render_document;
use crate::model::{Chrome, MatrixView};
use leptos::prelude::*;

/// The links, payments or QR matrix: subjects down, objects across. The matrix of
/// simulated platforms, when given, follows below it, labelled as demo data throughout.
pub fn matrix_page(chrome: &Chrome, m: &MatrixView, simulated: Option<&MatrixView>) -> String {
    let lang = chrome.lang;
    let date = lang.date(chrome.at);
    let legend = m
        .ladder
        .iter()
        .map(|s| view! { <li>{status_badge(s, lang)}" "{s.description.clone()}</li> })
        .collect_view();
    let caption = lang.t_args(
        "matrix-caption",
        &[
            ("kind", m.kind_name.get(lang).into()),
            ("date", date.clone().into()),
        ],
    );
    let table = matrix_table(m, caption, lang);
    let has_simulated = simulated.is_some();
    let simulated = simulated.map(|s| {
        let caption = lang.t_args(
            "matrix-simulated-caption",
            &[
                ("kind", s.kind_name.get(lang).into()),
                ("date", date.clone().into()),
            ],
        );
        view! {
            <section class="simulated-section" aria-labelledby="h-simulated">
                <h2 id="h-simulated">
                    <span class="source-kind sk-simulated">{lang.t("simulated-mark")}</span>
                    " "{lang.t("matrix-simulated-heading")}
                </h2>
                <p class="simulated-banner">{lang.t("matrix-simulated-banner")}</p>
                {matrix_table(s, caption, lang)}
            </section>
        }
    });
    let (other_name, other_lang) = match lang {
        crate::i18n::Lang::En => (m.kind_name.zh.clone(), "zh-CN"),
        crate::i18n::Lang::ZhCn => (m.kind_name.en.clone(), "en"),
    };
    let other = (!other_name.is_empty() && other_name != m.kind_name.get(lang))
        .then(|| view! { " "<span lang=other_lang>{other_name}</span> });
    let body = view! {
        <h1>{m.kind_name.get(lang).to_string()}{other}</h1>
        <p class="lede">
            {lang.t("matrix-lede-start")}
            <strong><time datetime=chrome.at.to_string()>{date.clone()}</time></strong>
            {lang.t("matrix-lede-end")}
        </p>
        {table}
        <section aria-labelledby="h-legend">
            <h2 id="h-legend">{lang.t("matrix-legend-heading")}</h2>
            <ul class="legend">{legend}</ul>
        </section>
        {simulated}
        {has_simulated.then(|| view! { <p class="print-only note">{lang.t("print-simulated-omitted")}</p> })}
    };
    render_document(chrome, body)
}

fn matrix_table(m: &MatrixView, caption: String, lang: Lang) -> impl IntoView + use<> {
    let simulated = m.simulated_included;
    let columns = m
        .columns
        .iter()
        .map(|c| view! { <th scope="col">{header_view(c, lang)}</th> })
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
                            view! { <span class="source-kind sk-simulated">{lang.t("simulated-mark")}</span> }
                        });
                        view! { <td>{label}{cell_view(cell, lang)}</td> }.into_any()
                    }
                    None => view! { <td class="na"><span class="visually-hidden">{lang.t("matrix-not-tracked")}</span>"—"</td> }.into_any(),
                })
                .collect_view();
            view! { <tr><th scope="row">{header_view(&row.header, lang)}</th>{cells}</tr> }
        })
        .collect_view();
    let corner = format!(
        "{} ↓ × {} →",
        m.subject_label.get(lang),
        m.object_label.get(lang)
    );
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
