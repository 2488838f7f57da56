//! Citations ready to paste: a source as exports name it, the permalink of a page (with
//! its date and language), and a formatted citation in Chinese and in English for the
//! cite box on check, observation, source and requirement pages.

use crate::domain::Source;
use chrono::NaiveDate;
use hutong_app::i18n::Lang;
use hutong_app::model::CiteBox;

/// What exports write where a source has no known address: a fixed marker (not
/// translated, so programs can test for it), never an empty cell.
pub const NO_ADDRESS: &str = "no address known";

/// A source's address, or [`NO_ADDRESS`].
pub fn address(s: &Source) -> &str {
    s.url.as_deref().unwrap_or(NO_ADDRESS)
}

/// `publisher, date: title (title_en)`: a source as exports name it (English title only
/// in English).
pub fn source_text(s: &Source, lang: Lang) -> String {
    let mut text = s.publisher.clone();
    if let Some(d) = s.date {
        text.push_str(&format!(", {d}"));
    }
    text.push_str(&format!(": {}", s.title));
    if let (Lang::En, Some(en)) = (lang, &s.title_en) {
        text.push_str(&format!(" ({en})"));
    }
    text
}

/// The permalink of `path` as of `at` in `lang`: `public_url` + path + `?at=…&lang=…`.
pub fn permalink(public_url: &str, path: &str, at: NaiveDate, lang: Lang) -> String {
    format!(
        "{}{path}?at={at}&lang={}",
        public_url.trim_end_matches('/'),
        lang.code()
    )
}

/// The cite box of a page: `what` names the page's subject in each language
/// (`(zh, en)`), `source` the source it rests on when the page is one source's.
pub fn cite_box(
    public_url: &str,
    path: &str,
    at: NaiveDate,
    lang: Lang,
    what: (&str, &str),
    source: Option<&Source>,
) -> CiteBox {
    let link = |l: Lang| permalink(public_url, path, at, l);
    let today = crate::time::today();
    let zh = {
        let mut t = String::new();
        if let Some(s) = source {
            let date = s
                .date
                .map(|d| format!("，{}", zh_date(d)))
                .unwrap_or_default();
            let addr = s.url.clone().unwrap_or_else(|| "网址未知".to_string());
            t.push_str(&format!("{}：《{}》{date}。{addr}。", s.publisher, s.title));
        }
        t.push_str(&format!(
            "互通（Hutong）：{}，截至{}。{}（{}访问）。",
            what.0,
            zh_date(at),
            link(Lang::ZhCn),
            zh_date(today)
        ));
        t
    };
    let en = {
        let mut t = String::new();
        if let Some(s) = source {
            let title = match &s.title_en {
                Some(en) => format!("\u{201c}{}\u{201d} [{en}]", s.title),
                None => format!("\u{201c}{}\u{201d}", s.title),
            };
            let date = s
                .date
                .map(|d| format!(", {}", en_date(d)))
                .unwrap_or_default();
            let addr = s
                .url
                .clone()
                .unwrap_or_else(|| "No address known".to_string());
            t.push_str(&format!("{}. {title}{date}. {addr}. ", s.publisher));
        }
        t.push_str(&format!(
            "Hutong: {}, as of {}. {} (accessed {}).",
            what.1,
            en_date(at),
            link(Lang::En),
            en_date(today)
        ));
        t
    };
    CiteBox {
        path: format!("{path}?at={at}&lang={}", lang.code()),
        permalink: link(lang),
        zh,
        en,
    }
}

fn zh_date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

fn en_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}
