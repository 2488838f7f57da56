//! The document shell: head, navigation, the date form, the footer.

use crate::components::{date_query, href_with};
use crate::model::{Chrome, Section};
use leptos::prelude::*;

/// Renders a whole page: `<!DOCTYPE html>` and the shell around `body`.
pub fn render_document(chrome: &Chrome, body: impl IntoView + 'static) -> String {
    render_document_with_feed(chrome, None, body)
}

/// As [`render_document`], announcing a feed of the page's data in the head
/// (`<link rel="alternate" type="application/atom+xml">`): (title, href).
pub fn render_document_with_feed(
    chrome: &Chrome,
    feed: Option<(String, String)>,
    body: impl IntoView + 'static,
) -> String {
    let title = format!("{} · Hutong 互通", chrome.title);
    let chrome = chrome.clone();
    let feed = feed.map(|(title, href)| {
        view! { <link rel="alternate" type="application/atom+xml" title=title href=href/> }
    });
    let html = view! {
        <html lang=chrome.lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{title}</title>
                <link rel="stylesheet" href="/style/hutong.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                {feed}
            </head>
            <body>
                <a class="skip" href="#main">"Skip to content"</a>
                <Header chrome=chrome.clone()/>
                <main id="main">{body}</main>
                <footer>
                    <p>
                        "Hutong 互通 observes whether China's platforms open their links and payments to each other. "
                        "Every figure links to its evidence. Times are Beijing time (Asia/Shanghai, UTC+8). "
                        <a href="/api/v1">"JSON API"</a>
                    </p>
                </footer>
            </body>
        </html>
    };
    format!("<!DOCTYPE html>{}", html.to_html())
}

#[component]
fn Header(chrome: Chrome) -> impl IntoView {
    let query = date_query(&chrome);
    let nav = [
        (Section::Overview, "/", chrome.lang.t("nav-overview")),
        (Section::Links, "/links", "Links".to_string()),
        (Section::Payments, "/payments", "Payments".to_string()),
        (Section::Qr, "/qr", "QR codes".to_string()),
        (Section::Timeline, "/timeline", "Timeline".to_string()),
        (Section::Platforms, "/platforms", "Platforms".to_string()),
        (Section::Probes, "/probes", "Probes".to_string()),
    ];
    let items = nav
        .into_iter()
        .map(|(section, path, label)| {
            let current = (section == chrome.section).then_some("page");
            view! { <li><a href=format!("{path}{query}") aria-current=current>{label}</a></li> }
        })
        .collect_view();
    let as_of = if chrome.at_is_today {
        format!("As of today, {}", chrome.at)
    } else {
        format!("As of {}", chrome.at)
    };
    let keep = chrome
        .keep
        .iter()
        .map(|(k, v)| view! { <input type="hidden" name=k.clone() value=v.clone()/> })
        .collect_view();
    let today_link = (!chrome.at_is_today).then(|| {
        let href = href_with(&chrome.path, &chrome.keep, None);
        view! { <a class="today" href=href>"Back to today"</a> }
    });
    view! {
        <header class="site">
            <div class="brand">
                <a href=format!("/{query}")><span lang="zh">"互通"</span>" Hutong"</a>
                <span class="tagline">"platform openness observatory"</span>
            </div>
            <nav aria-label="Sections"><ul>{items}</ul></nav>
            <form class="asof" method="get" action=chrome.path.clone()>
                <p class="asof-date" aria-live="polite"><strong>{as_of}</strong></p>
                <label for="at">"Show the state as of"</label>
                <input id="at" type="date" name="at" value=chrome.at.to_string()
                    min="2010-01-01" max=chrome.today.to_string() required=true/>
                {keep}
                <button type="submit">"Show"</button>
                {today_link}
            </form>
        </header>
    }
}
