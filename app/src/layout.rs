//! The document shell: head, navigation, the language switch, the date form, the footer.

use crate::components::{date_query, link_with};
use crate::i18n::Lang;
use crate::model::{Chrome, Section};
use leptos::prelude::*;

/// Renders a whole page: `<!DOCTYPE html>` and the shell around `body`, in `chrome.lang`.
pub fn render_document(chrome: &Chrome, body: impl IntoView + 'static) -> String {
    render_document_with_feed(chrome, None, body)
}

/// A feed of the page's data, announced in the head (`<link rel="alternate">`).
#[derive(Debug, Clone)]
pub struct Alternate {
    /// Its media type: `application/atom+xml`, `text/calendar` …
    pub mime: &'static str,
    pub title: String,
    pub href: String,
}

/// As [`render_document`], announcing an Atom feed of the page's data in the head:
/// (title, href).
pub fn render_document_with_feed(
    chrome: &Chrome,
    feed: Option<(String, String)>,
    body: impl IntoView + 'static,
) -> String {
    let feed = feed.map(|(title, href)| Alternate {
        mime: "application/atom+xml",
        title,
        href,
    });
    render_document_with_alternate(chrome, feed, body)
}

/// As [`render_document`], announcing a feed of the page's data in the head.
pub fn render_document_with_alternate(
    chrome: &Chrome,
    feed: Option<Alternate>,
    body: impl IntoView + 'static,
) -> String {
    let lang = chrome.lang;
    let title = format!("{} · Hutong 互通", chrome.title);
    let chrome = chrome.clone();
    let cite = chrome
        .cite
        .as_ref()
        .map(|c| crate::components::cite_box_view(c, lang));
    let feed = feed.map(|f| {
        view! { <link rel="alternate" type=f.mime title=f.title href=f.href/> }
    });
    let html = view! {
        <html lang=lang.code()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <title>{title}</title>
                <link rel="stylesheet" href="/style/hutong.css"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                {feed}
            </head>
            <body>
                <a class="skip" href="#main">{lang.t("skip-to-content")}</a>
                <Header chrome=chrome.clone()/>
                {print_stamp(&chrome)}
                <main id="main">{body}{cite}</main>
                <footer>
                    <p>
                        {lang.t("footer-about")}" "
                        <a href="/api/v1">{lang.t("footer-api")}</a>
                        " · "
                        <a class="dataset-link" href="/dataset.zip" type="application/zip" download="">
                            {lang.t("dataset-link")}
                        </a>
                        " · "
                        <a class="corrections-link" href=format!("/corrections?lang={}", lang.code())>
                            {lang.t("corrections-link")}
                        </a>
                    </p>
                </footer>
            </body>
        </html>
    };
    format!("<!DOCTYPE html>{}", html.to_html())
}

/// What paper needs in place of the header's form: the date the page is as of and its
/// permanent link (this page, its filters, that date and the language). Shown in print only.
fn print_stamp(chrome: &Chrome) -> impl IntoView + use<> {
    let lang = chrome.lang;
    let keep: Vec<(String, String)> = (chrome.keep.iter())
        .filter(|(k, _)| k != "lang" && k != "at")
        .cloned()
        .collect();
    let path = link_with(&chrome.path, &keep, Some(chrome.at), lang);
    // Paper has no address bar: the link must work typed in from the page.
    let link = match &chrome.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    };
    view! {
        <p class="print-stamp">
            {lang.t_args("print-as-of", &[("date", lang.date(chrome.at).into())])}
            " · "{lang.t("print-permalink")}" "<span class="url">{link}</span>
        </p>
    }
}

/// One link per language: this page, every other parameter kept, `lang` set.
fn language_switch(chrome: &Chrome) -> impl IntoView + use<> {
    let at = (!chrome.at_is_today).then_some(chrome.at);
    let links = Lang::ALL
        .into_iter()
        .map(|l| {
            let href = link_with(&chrome.path, &chrome.keep, at, l);
            let current = (l == chrome.lang).then_some("true");
            view! {
                <li><a hreflang=l.code() lang=l.code() href=href aria-current=current>{l.native_name()}</a></li>
            }
        })
        .collect_view();
    view! { <nav class="lang" aria-label=chrome.lang.t("lang-nav-label")><ul>{links}</ul></nav> }
}

#[component]
fn Header(chrome: Chrome) -> impl IntoView {
    let lang = chrome.lang;
    let query = date_query(&chrome);
    let nav = [
        (Section::Overview, "/", "nav-overview"),
        (Section::Links, "/links", "nav-links"),
        (Section::Payments, "/payments", "nav-payments"),
        (Section::Qr, "/qr", "nav-qr"),
        (Section::Timeline, "/timeline", "nav-timeline"),
        (Section::Requirements, "/requirements", "requirements-nav"),
        (Section::Platforms, "/platforms", "nav-platforms"),
        (Section::Probes, "/probes", "nav-probes"),
    ];
    let items = nav
        .into_iter()
        .map(|(section, path, id)| {
            let current = (section == chrome.section).then_some("page");
            view! { <li><a href=format!("{path}{query}") aria-current=current>{lang.t(id)}</a></li> }
        })
        .collect_view();
    let date = lang.date(chrome.at);
    let as_of = if chrome.at_is_today {
        lang.t_args("asof-today", &[("date", date.into())])
    } else {
        lang.t_args("asof-date", &[("date", date.into())])
    };
    let keep = chrome
        .keep
        .iter()
        .map(|(k, v)| view! { <input type="hidden" name=k.clone() value=v.clone()/> })
        .collect_view();
    let today_link = (!chrome.at_is_today).then(|| {
        let href = link_with(&chrome.path, &chrome.keep, None, lang);
        view! { <a class="today" href=href>{lang.t("asof-back-today")}</a> }
    });
    view! {
        <header class="site">
            <div class="brand">
                <a href=format!("/{query}")><span lang="zh-CN">"互通"</span>" "<span lang="en">"Hutong"</span></a>
                <span class="tagline">{lang.t("brand-tagline")}</span>
            </div>
            {language_switch(&chrome)}
            <nav aria-label=lang.t("nav-label")><ul>{items}</ul></nav>
            <form class="asof" method="get" action=chrome.path.clone()>
                <p class="asof-date" aria-live="polite"><strong>{as_of}</strong></p>
                <label for="at">{lang.t("asof-label")}</label>
                <input id="at" type="date" name="at" value=chrome.at.to_string()
                    min=crate::model::EARLIEST_DAY.to_string() max=chrome.today.to_string() required=true/>
                {keep}
                <input type="hidden" name="lang" value=lang.code()/>
                <button type="submit">{lang.t("asof-submit")}</button>
                {today_link}
            </form>
        </header>
    }
}
