//! Words and honesty on pages: Chinese pages written in Chinese (no English catalog
//! sentences, no raw ids, full-width punctuation after Chinese text), the printed
//! permalink, the simulated timeline, newer sources superseding stale ones, and changes
//! told apart from first sightings.

use crate::common::{self, TestApp, sel};
use axum::http::StatusCode;

async fn real_app() -> TestApp {
    TestApp::builder(common::sqlite_with_catalog(&common::real_catalog()).await)
        .public_url("https://hutong.example.org/")
        .build()
}

/// The printed stamp names the page by an address one can type from paper: absolute,
/// from `public_url`, with the page's filters, its date and its language.
#[tokio::test]
async fn the_printed_permalink_is_absolute_from_public_url() {
    let app = real_app().await;
    for (path, query) in [
        ("/links", "at=2021-10-17&lang=zh-CN"),
        ("/timeline", "platform=douyin&at=2021-12-31&lang=en"),
        ("/checks/link.wechat.taobao", "at=2021-12-31&lang=en"),
    ] {
        let page = app.get(format!("{path}?{query}")).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        let stamp: String = page
            .html()
            .select(&sel(".print-stamp .url"))
            .next()
            .map(|u| u.text().collect())
            .unwrap_or_default();
        assert_eq!(
            stamp,
            format!("https://hutong.example.org{path}?{query}"),
            "{path}"
        );
    }
}

/// The text of the matrix cell of `check` on a matrix page.
fn cell_text(page: &crate::common::Reply, check: &str) -> String {
    let doc = page.html();
    let link = doc
        .select(&sel(&format!("a.cell-link[href^=\"/checks/{check}?\"]")))
        .next()
        .unwrap_or_else(|| panic!("the cell of {check}"));
    let cell = scraper::ElementRef::wrap(link.parent().expect("its cell")).expect("an element");
    cell.text().collect()
}

/// Taobao × WeChat Pay: cnBeta said "not accepted" in 2021, Global Times "accepted" in
/// 2024. The newer word supersedes the stale one (no "sources disagree"), the check page
/// lists the old word as superseded with its date; Meituan × Alipay, two reports 19 days
/// apart, still disagree.
#[tokio::test]
async fn a_newer_source_supersedes_a_stale_one_and_comparable_ones_still_disagree() {
    let app = real_app().await;
    let payments = app.payments("lang=en").await;
    let taobao = cell_text(&payments, "payment.taobao.wechat_pay");
    assert!(taobao.contains("Accepted"), "{taobao}");
    assert!(!taobao.contains("Sources disagree"), "{taobao}");
    let meituan = cell_text(&payments, "payment.meituan.alipay");
    assert!(meituan.contains("Sources disagree"), "{meituan}");

    let check = app.check_page("payment.taobao.wechat_pay", "lang=en").await;
    let doc = check.html();
    assert!(
        doc.select(&sel("main p.alert")).next().is_none(),
        "no disagreement alert on the check page"
    );
    let superseded: String = doc
        .select(&sel("ul.opinions.superseded"))
        .next()
        .expect("the superseded words")
        .text()
        .collect();
    assert!(
        superseded.contains("Not accepted")
            && superseded.contains("cnBeta")
            && superseded.contains("17 Oct 2021"),
        "{superseded}"
    );
    let current: String = doc
        .select(&sel("ul.opinions:not(.superseded)"))
        .next()
        .expect("the current words")
        .text()
        .collect();
    assert!(!current.contains("cnBeta"), "{current}");
    let zh = app
        .check_page("payment.taobao.wechat_pay", "lang=zh-CN")
        .await;
    assert!(zh.body.contains("已被较新的证据取代"));

    // The API says the same: no disagreement, the old word named as superseded.
    let api = app.api_check("payment.taobao.wechat_pay", "").await.json();
    assert_eq!(api["state"]["disagreement"], false, "{api}");
    assert_eq!(api["state"]["superseded"].as_array().map(Vec::len), Some(1));
    let api = app.api_check("payment.meituan.alipay", "").await.json();
    assert_eq!(api["state"]["disagreement"], true, "{api}");

    // At cnBeta's date, before the newer report, cnBeta's word stands alone.
    let then = app.payments("at=2021-10-17&lang=en").await;
    let taobao = cell_text(&then, "payment.taobao.wechat_pay");
    assert!(taobao.contains("Not accepted"), "{taobao}");
}

/// /compare tells changes (a status known on date A, another on date B) from first
/// sightings (nothing known on date A), counts both, changes first; the overview's
/// "latest changes" lists changes, not first sightings.
#[tokio::test]
async fn compare_and_the_overview_tell_changes_from_first_sightings() {
    let app = real_app().await;
    let api = app
        .api_compare("from=2021-09-01&to=2021-12-31")
        .await
        .json();
    let changed = api["changed"].as_array().cloned().unwrap_or_default();
    let first = api["first_sightings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        changed.iter().all(|c| c["from_status"] != "unknown"),
        "{changed:?}"
    );
    assert!(
        first.iter().all(|c| c["from_status"] == "unknown"),
        "{first:?}"
    );
    // The one real change of the 2021 articles, WeChat × Taobao links, is among the
    // changes; most of what differs is a first sighting.
    assert!(
        changed.iter().any(|c| c["check"] == "link.wechat.taobao"),
        "{changed:?}"
    );
    assert!(
        first.len() > changed.len(),
        "{} {}",
        first.len(),
        changed.len()
    );
    assert_eq!(api["changes"], changed.len());
    assert_eq!(api["first_sightings_count"], first.len());

    for lang in ["en", "zh-CN"] {
        let page = app
            .compare(&format!("from=2021-09-01&to=2021-12-31&lang={lang}"))
            .await;
        let doc = page.html();
        let rows = |css: &str| doc.select(&sel(css)).count();
        assert_eq!(
            rows("table.compare.changes tbody tr"),
            changed.len(),
            "{lang}"
        );
        assert_eq!(
            rows("table.first-sightings tbody tr"),
            first.len(),
            "{lang}"
        );
        // Changes come first.
        let changes_at = page.body.find("compare changes").expect("the changes");
        let first_at = page
            .body
            .find("first-sightings")
            .expect("the first sightings");
        assert!(changes_at < first_at, "{lang}: changes first");
        let count: String = doc
            .select(&sel("p.count"))
            .next()
            .map(|p| p.text().collect())
            .unwrap_or_default();
        let (c, f) = (changed.len().to_string(), first.len().to_string());
        assert!(count.contains(&c) && count.contains(&f), "{lang}: {count}");
    }
    let en = app.compare("from=2021-09-01&to=2021-12-31&lang=en").await;
    assert!(en.body.contains("1 check of"), "{}", en.body);

    // The overview's latest changes: changes (and milestones), no first sightings.
    let overview = app.overview("at=2021-12-31&lang=en").await;
    let doc = overview.html();
    let latest = doc
        .select(&sel("section[aria-labelledby=h-latest]"))
        .next()
        .expect("the latest changes");
    assert!(
        latest.select(&sel("li.entry.change")).next().is_some(),
        "a change is listed"
    );
    assert_eq!(
        latest.select(&sel("li.entry.change .first")).count(),
        0,
        "no first sighting among the latest changes"
    );
}

/// The simulated timeline: asked for (`source=simulated`), or for a simulated platform
/// or check (whose entries can only be simulated), it shows the simulator's entries
/// under a banner; the real timeline shows none of them and no banner.
#[tokio::test]
async fn the_simulated_timeline_shows_simulated_entries_under_a_banner() {
    use chrono::{TimeZone, Utc};
    let app = real_app().await;
    let t = |d| Utc.with_ymd_and_hms(2022, 3, d, 4, 0, 0).unwrap();
    let history = [
        common::observation("link.simchat.simshop", t(1), "token_only").simulated(),
        common::observation("link.simchat.simshop", t(2), "warned").simulated(),
    ];
    let history: Vec<_> = history.into_iter().map(|o| o.instant().build()).collect();
    app.store()
        .insert_observations(&history)
        .await
        .expect("simulated history");
    for query in [
        "source=simulated",
        "platform=simchat",
        "check=link.simchat.simshop",
    ] {
        for lang in ["en", "zh-CN"] {
            let page = app.timeline(&format!("{query}&lang={lang}")).await;
            assert_eq!(page.status, StatusCode::OK, "{query}");
            let doc = page.html();
            let banner: String = doc
                .select(&sel("main .simulated-banner"))
                .next()
                .map(|b| b.text().collect())
                .unwrap_or_default();
            let words = if lang == "en" {
                "Simulated timeline (demo) — not real data"
            } else {
                "模拟时间线（演示）——并非真实数据"
            };
            assert!(banner.contains(words), "{query} {lang}: {banner:?}");
            let entries: Vec<String> = doc
                .select(&sel("li.entry.change"))
                .map(|e| e.text().collect())
                .collect();
            assert_eq!(entries.len(), 1, "{query} {lang}: the one change");
            assert!(
                entries[0].contains(if lang == "en" {
                    "SimChat"
                } else {
                    "模拟聊天"
                }),
                "{entries:?}"
            );
        }
    }
    let real = app.timeline("lang=en&entries=all").await;
    assert!(
        real.html()
            .select(&sel(".simulated-banner"))
            .next()
            .is_none()
    );
    assert!(
        !real.body.contains("SimChat ×"),
        "no simulated entry on the real timeline"
    );
}

// ---- Chinese pages written in Chinese ---------------------------------------------------

/// A Han character.
fn han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}

/// What a reader sees of a page: its text nodes in order, each with whether it sits where
/// English is expected (a bilingual pair's English half, a citation ready to paste, code,
/// an address), and whether it sits in code.
struct Seen {
    nodes: Vec<(String, bool, bool)>,
}

impl Seen {
    fn of(doc: &scraper::Html) -> Seen {
        let mut seen = Seen { nodes: Vec::new() };
        let body = doc.select(&sel("body")).next().expect("a body");
        seen.walk(body, false, false);
        seen
    }

    fn walk(&mut self, el: scraper::ElementRef<'_>, english_ok: bool, in_code: bool) {
        let v = el.value();
        let name = v.name();
        if matches!(name, "script" | "style" | "svg" | "textarea" | "template") {
            return;
        }
        let class = |c: &str| v.classes().any(|x| x == c);
        // The English half of a pair shown in both languages (status chips, names,
        // titles with their rendering), the language switch and addresses.
        let parent = el.parent().and_then(scraper::ElementRef::wrap);
        let pair = v.attr("lang") == Some("en")
            && (class("en")
                || class("title-en")
                || name == "dd"
                || parent.is_some_and(|p| {
                    p.value().classes().any(|c| c == "status" || c == "name")
                        || p.select(&sel(":scope > .title-zh")).next().is_some()
                }));
        // A choice named in both languages in one line (a platform "淘宝 Taobao").
        let both = name == "option" && el.text().any(|t| t.chars().any(han));
        let english_ok = english_ok
            || pair
            || both
            || class("lang")
            || class("url")
            || class("permalink")
            || matches!(name, "code" | "pre" | "kbd");
        let in_code = in_code || matches!(name, "code" | "pre" | "kbd") || class("url");
        for child in el.children() {
            if let Some(text) = child.value().as_text() {
                self.nodes.push((text.to_string(), english_ok, in_code));
            } else if let Some(child) = scraper::ElementRef::wrap(child) {
                self.walk(child, english_ok, in_code);
            }
        }
    }

    /// Runs of four or more ASCII words in one text node where Chinese is expected.
    fn english_runs(&self) -> Vec<String> {
        let run = regex::Regex::new(r"[A-Za-z][A-Za-z'’-]*(?:[ ,;:]+[A-Za-z][A-Za-z'’-]*){3,}")
            .expect("regex");
        self.nodes
            .iter()
            .filter(|(_, ok, _)| !ok)
            .flat_map(|(t, _, _)| run.find_iter(t).map(|m| m.as_str().to_string()))
            .collect()
    }

    /// The visible text where Chinese is expected (outside code, addresses and the
    /// English halves of pairs), nodes joined as the reader reads them.
    fn prose(&self) -> String {
        self.nodes
            .iter()
            .map(|(t, ok, _)| if *ok { " " } else { t.as_str() })
            .collect()
    }

    /// Half-width `,` `:` `;` `(` `)` next to a Han character (a space between allowed).
    fn half_width_marks(&self) -> Vec<String> {
        let chars: Vec<char> = self.prose().chars().collect();
        let mut found = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            if !matches!(c, ',' | ':' | ';' | '(' | ')') {
                continue;
            }
            let before = chars[..i].iter().rev().take(2).find(|c| **c != ' ');
            let after = chars[i + 1..].iter().take(2).find(|c| **c != ' ');
            // "(" opens what follows, ")" closes what precedes; the others sit between.
            let next_to_han = match c {
                '(' => after.is_some_and(|c| han(*c)),
                ')' => before.is_some_and(|c| han(*c)),
                _ => before.is_some_and(|c| han(*c)),
            };
            if next_to_han {
                let from = i.saturating_sub(12);
                let to = (i + 12).min(chars.len());
                found.push(chars[from..to].iter().collect());
            }
        }
        found
    }

    /// Vocabulary ids shown as such: a `code` element holding one, an id with `_`
    /// anywhere, and (on Chinese pages) an ASCII id right next to Chinese text.
    fn raw_ids(&self, ids: &std::collections::BTreeSet<String>, chinese: bool) -> Vec<String> {
        let mut found = Vec::new();
        for (t, _, code) in &self.nodes {
            if *code && ids.contains(t.trim()) {
                found.push(format!("<code>{}</code>", t.trim()));
            }
        }
        let token = regex::Regex::new(r"[A-Za-z_][A-Za-z0-9_.\-/@]*").expect("regex");
        let prose = self.prose();
        for m in token.find_iter(&prose) {
            let word = m.as_str();
            if !ids.contains(word) {
                continue;
            }
            let near = |s: &str| s.chars().filter(|c| *c != ' ').take(1).any(han);
            let before: String = prose[..m.start()].chars().rev().take(2).collect();
            let after: String = prose[m.end()..].chars().take(2).collect();
            if word.contains('_') || (chinese && (near(&before) || near(&after))) {
                let from = prose[..m.start()]
                    .char_indices()
                    .rev()
                    .nth(8)
                    .map_or(0, |(i, _)| i);
                let to = prose[m.end()..]
                    .char_indices()
                    .nth(8)
                    .map_or(prose.len(), |(i, _)| m.end() + i);
                found.push(prose[from..to].to_string());
            }
        }
        found
    }
}

/// The ids of the catalog's vocabulary, which pages must show as words: platform kinds,
/// source kinds, check kinds, statuses, languages and regions.
fn vocabulary() -> std::collections::BTreeSet<String> {
    let catalog = common::real_catalog();
    let mut ids: std::collections::BTreeSet<String> = [
        "messaging",
        "social",
        "short_video",
        "ecommerce",
        "local_services",
        "content",
        "payment",
        "other",
        "article",
        "manual",
        "probe",
        "simulated",
        "unknown",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    for k in &catalog.kinds {
        ids.insert(k.id.clone());
        ids.extend(k.statuses.iter().map(|s| s.id.clone()));
    }
    for s in &catalog.sources {
        ids.insert(s.language.clone());
        ids.insert(s.region.clone());
    }
    ids
}

/// Every page of the site reached from the sections by following its own links (one of
/// each detail page per path), in `lang`.
async fn every_page(app: &TestApp, lang: &str) -> Vec<(String, String)> {
    let mut queue: std::collections::VecDeque<String> = [
        "/",
        "/?at=2021-10-17",
        "/links?at=2021-10-17",
        "/payments",
        "/qr",
        "/timeline?entries=all",
        "/requirements",
        "/platforms",
        "/probes",
        "/sources",
        "/compare?from=2021-09-01&to=2021-12-31",
    ]
    .into_iter()
    .map(|p| {
        let sep = if p.contains('?') { '&' } else { '?' };
        format!("{p}{sep}lang={lang}")
    })
    .collect();
    let mut seen = std::collections::HashSet::new();
    let mut pages = Vec::new();
    while let Some(uri) = queue.pop_front() {
        let path = uri.split('?').next().unwrap_or_default().to_string();
        // Sections are read at each seeded date; a detail page once.
        let key = if path.matches('/').count() > 1 {
            path.clone()
        } else {
            uri.clone()
        };
        if !seen.insert(key) || pages.len() >= 400 {
            continue;
        }
        let page = app.get(uri.clone()).await;
        assert_eq!(page.status, StatusCode::OK, "{uri}");
        for a in page.html().select(&sel("a[href^='/']:not([hreflang])")) {
            let href = a.value().attr("href").unwrap_or_default();
            let file = [
                ".csv", ".json", ".ndjson", ".atom", ".ics", ".svg", ".png", ".zip",
            ];
            let path = href.split('?').next().unwrap_or_default();
            if href.starts_with("/api/")
                || path.ends_with("/snapshot")
                || file.iter().any(|f| path.ends_with(f))
            {
                continue;
            }
            queue.push_back(href.to_string());
        }
        pages.push((uri, page.body));
    }
    pages
}

/// Every Chinese page of the site reads as written in Chinese: no English catalog
/// sentence (four ASCII words in a row outside code, addresses and the English half of
/// a bilingual pair), no vocabulary id in place of a word, no half-width `,:;()` next
/// to Chinese text. English pages show no raw ids either.
#[tokio::test]
async fn every_chinese_page_reads_as_written_in_chinese() {
    let app = real_app().await;
    let ids = vocabulary();
    let mut problems = Vec::new();
    let pages = every_page(&app, "zh-CN").await;
    assert!(pages.len() > 60, "{} pages", pages.len());
    for (uri, body) in &pages {
        let seen = Seen::of(&scraper::Html::parse_document(body));
        for run in seen.english_runs() {
            problems.push(format!("{uri}: English \"{run}\""));
        }
        for mark in seen.half_width_marks() {
            problems.push(format!("{uri}: half-width mark in \"{mark}\""));
        }
        for id in seen.raw_ids(&ids, true) {
            problems.push(format!("{uri}: raw id in \"{id}\""));
        }
    }
    for (uri, body) in &every_page(&app, "en").await {
        let seen = Seen::of(&scraper::Html::parse_document(body));
        for id in seen.raw_ids(&ids, false) {
            problems.push(format!("{uri}: raw id in \"{id}\""));
        }
    }
    problems.sort();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The shipped catalog gives every note in both languages.
#[test]
fn every_catalog_note_has_a_chinese_version() {
    let catalog = common::real_catalog();
    let missing: Vec<&str> = catalog
        .observations
        .iter()
        .filter(|o| o.note_en.is_some() != o.note_zh.is_some())
        .map(|o| o.key.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "notes in one language only: {missing:?}"
    );
}
