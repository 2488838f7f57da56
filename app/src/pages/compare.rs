use crate::components::status_badge;
use crate::i18n::Lang;
use crate::layout::render_document;
use crate::model::{Chrome, CompareRow, CompareView};
use leptos::prelude::*;

/// Two dates side by side: every check whose status differs, with both statuses.
pub fn compare_page(chrome: &Chrome, c: &CompareView) -> String {
    let lang = chrome.lang;
    let rows = table_rows(&c.rows, lang);
    let first_rows = table_rows(&c.first_sightings, lang);
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
    let first_summary = lang.t_args(
        "compare-first-summary",
        &[("first", c.first_sightings.len().into())],
    );
    let head = view! {
        <thead><tr>
            <th scope="col">{lang.t("compare-col-check")}</th>
            <th scope="col"><time datetime=c.from.to_string()>{lang.date(c.from)}</time></th>
            <th scope="col"><time datetime=c.to.to_string()>{lang.date(c.to)}</time></th>
        </tr></thead>
    };
    let first = (!c.first_sightings.is_empty()).then(|| {
        let head = head.clone();
        view! {
            <section aria-labelledby="h-first">
                <h2 id="h-first">{lang.t("compare-first-heading")}</h2>
                <p>{lang.t("compare-first-intro")}</p>
                <table class="history first-sightings">{head}<tbody>{first_rows}</tbody></table>
            </section>
        }
    });
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
        <p class="count">{summary}" "{first_summary}" "<a type="application/json" href=c.json.clone()>"JSON"</a></p>
        <h2>{lang.t("compare-changes-heading")}</h2>
        {empty}
        <table class="history compare changes">{head}<tbody>{rows}</tbody></table>
        {first}
    };
    render_document(chrome, body)
}

fn table_rows(rows: &[CompareRow], lang: Lang) -> impl IntoView + use<> {
    rows.iter()
        .map(|r| {
            view! {
                <tr>
                    <td><a href=r.href.clone()>{r.title.clone()}</a><br/><span class="kind">{r.kind.clone()}</span></td>
                    <td>{status_badge(&r.from, lang)}</td>
                    <td>{status_badge(&r.to, lang)}</td>
                </tr>
            }
        })
        .collect_view()
}
