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
