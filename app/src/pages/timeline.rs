use crate::components::timeline_entry_view;
use crate::layout::render_document_with_feed;
use crate::model::{Chrome, FilterOption, TimelineView};
use leptos::prelude::*;

fn options(list: &[FilterOption]) -> impl IntoView + use<> {
    list.iter()
        .map(|o| view! { <option value=o.value.clone() selected=o.selected>{o.label.clone()}</option> })
        .collect_view()
}

pub fn timeline_page(chrome: &Chrome, t: &TimelineView) -> String {
    let lang = chrome.lang;
    let entries = t
        .entries
        .iter()
        .map(|x| timeline_entry_view(x, lang))
        .collect_view();
    let empty = t
        .entries
        .is_empty()
        .then(|| view! { <p class="empty">{lang.t("timeline-empty")}</p> });
    let newer = t
        .newer
        .clone()
        .map(|h| view! { <a rel="prev" href=h>{lang.t("pager-newer")}</a> });
    let older = t
        .older
        .clone()
        .map(|h| view! { <a rel="next" href=h>{lang.t("pager-older")}</a> });
    let count = lang.t_args(
        "timeline-count",
        &[
            ("total", t.total.into()),
            ("page", t.page.into()),
            ("pages", t.pages.max(1).into()),
        ],
    );
    let counts = lang.t_args(
        "timeline-entries-counts",
        &[
            ("changes", t.changes.into()),
            ("first", t.first_sightings.into()),
        ],
    );
    let check_input = t
        .check
        .clone()
        .map(|(id, _)| view! { <input type="hidden" name="check" value=id/> });
    let check_note = t.check.clone().map(|(id, title)| {
        let href = format!("/checks/{id}?at={}&lang={}", chrome.at, lang.code());
        view! { <p class="check-filter"><a href=href>{lang.t_args("timeline-check-filter", &[("title", title.into())])}</a></p> }
    });
    let from_value = t.from.map(|d| d.to_string()).unwrap_or_default();
    let to_value = t.to.map(|d| d.to_string()).unwrap_or_default();
    let exports = t
        .exports
        .iter()
        .map(|e| {
            let title = lang.t_args("exports-download-title", &[("format", e.format.clone().into())]);
            view! { <a type=e.mime.clone() href=e.href.clone() title=title>{e.format.clone()}</a>" " }
        })
        .collect_view();
    let feed = t
        .exports
        .iter()
        .find(|e| e.mime == "application/atom+xml")
        .map(|e| (lang.t("exports-feed-title"), e.href.clone()));
    let banner = t.simulated.then(|| {
        view! {
            <p class="simulated-banner" role="note">
                <span class="source-kind sk-simulated">{lang.t("simulated-mark")}</span>
                " "{lang.t("timeline-simulated-banner")}
            </p>
        }
    });
    let body = view! {
        <h1>{lang.t("timeline-heading")}</h1>
        {banner}
        <p class="lede">
            {lang.t("timeline-lede-start")}
            <strong><time datetime=chrome.at.to_string()>{lang.date(chrome.at)}</time></strong>
            {lang.t("timeline-lede-end")}
        </p>
        <form class="filters" method="get" action="/timeline">
            <input type="hidden" name="at" value=chrome.at.to_string()/>
            <input type="hidden" name="lang" value=lang.code()/>
            {check_input}
            <label>{lang.t("timeline-entries")}" "<select name="entries">{options(&t.entries_shown)}</select></label>
            <label>{lang.t("timeline-platform")}" "<select name="platform">{options(&t.platforms)}</select></label>
            <label>{lang.t("timeline-kind")}" "<select name="kind">{options(&t.kinds)}</select></label>
            <label>{lang.t("timeline-source")}" "<select name="source">{options(&t.sources)}</select></label>
            <label>{lang.t("exports-filter-from")}" "<input type="date" name="from" value=from_value min=crate::model::EARLIEST_DAY.to_string() max=chrome.today.to_string()/></label>
            <label>{lang.t("exports-filter-to")}" "<input type="date" name="to" value=to_value min=crate::model::EARLIEST_DAY.to_string() max=chrome.today.to_string()/></label>
            <button type="submit">{lang.t("timeline-filter")}</button>
        </form>
        {check_note}
        <p class="exports">{lang.t("exports-download-lede")}" "{exports}</p>
        <p class="corrections-note">{lang.t("timeline-corrections")}" "
            <a href=format!("/corrections?lang={}", lang.code())>{lang.t("corrections-link")}</a></p>
        <p class="entry-counts">{counts}</p>
        <p class="count">{count}</p>
        {empty}
        <ol class="timeline">{entries}</ol>
        <nav class="pager" aria-label=lang.t("pager-label")>{newer}" "{older}</nav>
    };
    render_document_with_feed(chrome, feed, body)
}
