use crate::components::timeline_entry_view;
use crate::layout::render_document;
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
    let body = view! {
        <h1>"Timeline"</h1>
        <p class="lede">"Every status change and public milestone up to "<strong>{chrome.at.to_string()}</strong>", newest first."</p>
        <form class="filters" method="get" action="/timeline">
            <input type="hidden" name="at" value=chrome.at.to_string()/>
            <label>"Platform "<select name="platform">{options(&t.platforms)}</select></label>
            <label>"Kind "<select name="kind">{options(&t.kinds)}</select></label>
            <label>"Source "<select name="source">{options(&t.sources)}</select></label>
            <button type="submit">"Filter"</button>
        </form>
        <p class="count">{format!("{} entries; page {} of {}", t.total, t.page, t.pages.max(1))}</p>
        {empty}
        <ol class="timeline">{entries}</ol>
        <nav class="pager" aria-label="Pages">{newer}" "{older}</nav>
    };
    render_document(chrome, body)
}
