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
    let entries = t.entries.iter().map(timeline_entry_view).collect_view();
    let empty = t
        .entries
        .is_empty()
        .then(|| view! { <p class="empty">"Nothing matches these filters up to this date."</p> });
    let newer = t
        .newer
        .clone()
        .map(|h| view! { <a rel="prev" href=h>"← Newer"</a> });
    let older = t
        .older
        .clone()
        .map(|h| view! { <a rel="next" href=h>"Older →"</a> });
    let lang = chrome.lang;
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
    let body = view! {
        <h1>"Timeline"</h1>
        <p class="lede">"Every status change and public milestone up to "<strong>{chrome.at.to_string()}</strong>", newest first."</p>
        <form class="filters" method="get" action="/timeline">
            <input type="hidden" name="at" value=chrome.at.to_string()/>
            <label>"Platform "<select name="platform">{options(&t.platforms)}</select></label>
            <label>"Kind "<select name="kind">{options(&t.kinds)}</select></label>
            <label>"Source "<select name="source">{options(&t.sources)}</select></label>
            <label>{lang.t("exports-filter-from")}" "<input type="date" name="from" value=from_value min="2010-01-01" max=chrome.today.to_string()/></label>
            <label>{lang.t("exports-filter-to")}" "<input type="date" name="to" value=to_value min="2010-01-01" max=chrome.today.to_string()/></label>
            <button type="submit">"Filter"</button>
        </form>
        <p class="exports">{lang.t("exports-download-lede")}" "{exports}</p>
        <p class="count">{format!("{} entries; page {} of {}", t.total, t.page, t.pages.max(1))}</p>
        {empty}
        <ol class="timeline">{entries}</ol>
        <nav class="pager" aria-label="Pages">{newer}" "{older}</nav>
    };
    render_document_with_feed(chrome, feed, body)
}
