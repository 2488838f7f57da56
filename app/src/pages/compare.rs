use crate::components::status_badge;
use crate::layout::render_document;
use crate::model::{Chrome, CompareView};
use leptos::prelude::*;

/// Two dates side by side: every check whose status differs, with both statuses.
pub fn compare_page(chrome: &Chrome, c: &CompareView) -> String {
    let lang = chrome.lang;
    let rows = c
        .rows
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <td><a href=r.href.clone()>{r.title.clone()}</a><br/><span class="kind">{r.kind.clone()}</span></td>
                    <td>{status_badge(&r.from, lang)}</td>
                    <td>{status_badge(&r.to, lang)}</td>
                </tr>
            }
        })
        .collect_view();
    let presets = c
        .presets
        .iter()
        .map(|(label, href)| view! { <li><a class="preset" href=href.clone()>{label.clone()}</a></li> })
        .collect_view();
    let empty = c
        .rows
        .is_empty()
        .then(|| view! { <p class="empty">{lang.t("compare-none")}</p> });
    let summary = lang.t_args(
        "compare-summary",
        &[
            ("changed", c.rows.len().into()),
            ("checks", c.checks.into()),
            ("from", lang.date(c.from).into()),
            ("to", lang.date(c.to).into()),
        ],
    );
    let body = view! {
        <h1>{lang.t("compare-heading")}</h1>
        <p class="lede">{lang.t("compare-lede")}</p>
        <form class="filters compare" method="get" action="/compare">
            <input type="hidden" name="lang" value=lang.code()/>
            <label>{lang.t("compare-from")}" "<input type="date" name="from" value=c.from.to_string() min=crate::model::EARLIEST_DAY.to_string() max=chrome.today.to_string()/></label>
            <label>{lang.t("compare-to")}" "<input type="date" name="to" value=c.to.to_string() min=crate::model::EARLIEST_DAY.to_string() max=chrome.today.to_string()/></label>
            <button type="submit">{lang.t("compare-submit")}</button>
        </form>
        <ul class="presets">{presets}</ul>
        <p class="count">{summary}" "<a type="application/json" href=c.json.clone()>"JSON"</a></p>
        {empty}
        <table class="history compare">
            <thead><tr>
                <th scope="col">{lang.t("compare-col-check")}</th>
                <th scope="col"><time datetime=c.from.to_string()>{lang.date(c.from)}</time></th>
                <th scope="col"><time datetime=c.to.to_string()>{lang.date(c.to)}</time></th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    };
    render_document(chrome, body)
}
