//! Charts through the real router: the openness series from a history written by hand,
//! the check page's step chart against its transitions, the download routes (SVG and PNG,
//! headers, languages) and their 400s and 404s; and the storage query behind openness on
//! both databases.

use crate::common::{self, TestApp, observation, real_catalog, sel};
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use hutong::domain::NewObservation;
use hutong::storage::Store;
use hutong::time::{SHANGHAI, end_of_day, start_of_day};
use hutong::web::png::{PngCharts, PngLimits};
use scraper::Html;
use std::sync::Arc;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Noon in Beijing.
fn noon(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    start_of_day(day(y, m, d), SHANGHAI) + chrono::Duration::hours(12)
}

fn manual(check: &str, at: DateTime<Utc>, status: &str) -> NewObservation {
    observation(check, at, status).build()
}

fn simulated(check: &str, at: DateTime<Utc>, status: &str) -> NewObservation {
    observation(check, at, status).simulated().build()
}

/// The real catalog's reference data with none of its observations, plus a history
/// written here, in January 2019 (before anything in the catalog).
async fn fixture_history(store: &Store) {
    let mut catalog = real_catalog();
    catalog.observations.clear();
    store.apply_catalog(&catalog).await.expect("catalog");
    let history = [
        manual("link.wechat.taobao", noon(2019, 1, 2), "token_only"),
        simulated("link.wechat.jd", noon(2019, 1, 3), "open"),
        manual("link.wechat.douyin", noon(2019, 1, 5), "blocked"),
        manual("link.qq.taobao", noon(2019, 1, 9), "open"),
        manual("link.wechat.taobao", noon(2019, 1, 20), "warned"),
        manual("link.wechat.douyin", noon(2019, 2, 20), "open"),
    ];
    store.insert_observations(&history).await.expect("history");
}

/// (date, share, open, observed) rows of a chart's data table.
fn table_rows(html: &Html, figure: &str) -> Vec<Vec<String>> {
    html.select(&sel(&format!("figure#{figure} details table tbody tr")))
        .map(|tr| {
            tr.children()
                .filter_map(scraper::ElementRef::wrap)
                .map(|c| c.text().collect::<String>())
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn openness_over_time_follows_the_history_week_by_week() {
    let db = common::sqlite().await;
    fixture_history(&db.store).await;
    let app = TestApp::on(db);
    let page = app.overview("at=2019-01-31").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();

    // Link checks in the population: every real link check of the catalog.
    let catalog = real_catalog();
    let simulated_groups: Vec<&str> = catalog
        .groups
        .iter()
        .filter(|g| g.simulated)
        .map(|g| g.slug.as_str())
        .collect();
    let is_simulated = |slug: &str| {
        catalog
            .platforms
            .iter()
            .any(|p| p.slug == slug && simulated_groups.contains(&p.group.as_str()))
    };
    let total = catalog
        .checks
        .iter()
        .filter(|c| c.kind == "link" && !is_simulated(&c.subject) && !is_simulated(&c.object))
        .count();

    // By hand, at the end of each week from the first observation (2019-01-02), then on
    // the as-of date (all evidence is current: under 180 days old); the simulator's
    // "open" for WeChat × JD never counts; every other check is unknown, counted apart:
    // 01-02 taobao token_only                          → 0 of 1 open
    // 01-09 + douyin blocked (01-05), qq×taobao open    → 1 of 3
    // 01-16 unchanged                                   → 1 of 3
    // 01-23 taobao warned (01-20), open end of the ladder → 2 of 3
    // 01-30, 01-31 unchanged; douyin's change of 02-20 is after the date.
    let expected: Vec<Vec<String>> = [
        ("2019-01-02", 0, 1),
        ("2019-01-09", 1, 3),
        ("2019-01-16", 1, 3),
        ("2019-01-23", 2, 3),
        ("2019-01-30", 2, 3),
        ("2019-01-31", 2, 3),
    ]
    .iter()
    .map(|(d, open, known)| {
        vec![
            d.to_string(),
            open.to_string(),
            (known - open).to_string(),
            "0".to_string(),
            (total - known).to_string(),
            total.to_string(),
            format!(
                "{open} of {known} ({:.0}%)",
                100.0 * *open as f64 / *known as f64
            ),
        ]
    })
    .collect();
    assert_eq!(table_rows(&html, "figure-openness-links"), expected);

    // The inline SVG draws the same: its description gives the first and last values,
    // and the overview's own "now" figure agrees with the chart's last point.
    let svg = html
        .select(&sel("figure#figure-openness-links .chart-svg svg"))
        .next()
        .expect("inline SVG");
    assert_eq!(svg.value().attr("role"), Some("img"));
    let desc: String = svg
        .select(&sel("desc"))
        .next()
        .expect("desc")
        .text()
        .collect();
    // The line is a share of all the checks (2 of 12 open on 01-31); the rest is not
    // open, stale or unknown, and the description says how much is unknown.
    let line_share = format!("{:.0}% on 2019-01-31", 200.0 / total as f64);
    assert!(
        desc.contains("0% on 2019-01-02") && desc.contains(&line_share),
        "{desc}"
    );
    let unknown_share = format!(
        "{:.0}% were unknown",
        100.0 * (total - 3) as f64 / total as f64
    );
    assert!(desc.contains(&unknown_share), "{desc}");
    assert!(
        page.body.contains("2 of 3 observed checks"),
        "overview figure"
    );
    // No payments observed: the payments chart says so instead of drawing a line.
    assert!(table_rows(&html, "figure-openness-payments").is_empty());
    // Download links carry the date and the language.
    for (ext, kind) in [("svg", "image/svg+xml"), ("png", "image/png")] {
        let href = format!("/charts/openness-links.{ext}?lang=en&at=2019-01-31");
        assert!(
            html.select(&sel(&format!(
                "figure#figure-openness-links a[download][href=\"{href}\"][type=\"{kind}\"]"
            )))
            .next()
            .is_some(),
            "{ext} download link"
        );
    }

    // A later date sees the later change; a newly written change shows at once.
    let last_row = |body: &str| {
        let html = Html::parse_document(body);
        table_rows(&html, "figure-openness-links").last().map(|r| {
            let n = |i: usize| r[i].parse::<usize>().expect("a count");
            (r[0].clone(), n(1).to_string(), (n(1) + n(2)).to_string())
        })
    };
    let feb = app.overview("at=2019-02-28").await;
    assert_eq!(
        last_row(&feb.body),
        Some(("2019-02-28".to_string(), "3".to_string(), "3".to_string()))
    );
    app.store()
        .insert_observation(&manual("link.qq.taobao", noon(2019, 2, 25), "blocked"))
        .await
        .unwrap();
    let feb = app.overview("at=2019-02-28").await;
    assert_eq!(
        last_row(&feb.body),
        Some(("2019-02-28".to_string(), "2".to_string(), "3".to_string()))
    );

    // The same figures in the downloaded SVG.
    let reply = app.openness_chart("links", "svg", "at=2019-01-31").await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = roxmltree::Document::parse(&reply.body).expect("well-formed SVG");
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    assert!(texts.contains(&"17%"), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("As of 2019-01-31")));
    assert!(texts.iter().any(|t| t.starts_with("Source: Hutong")));
}

#[tokio::test]
async fn overview_marks_milestones_on_the_real_history() {
    let app = TestApp::new().await;
    let page = app.overview("at=2021-12-31").await;
    let html = page.html();
    let dates: Vec<&str> = html
        .select(&sel("figure#figure-openness-links g.milestone"))
        .filter_map(|g| g.value().attr("data-date"))
        .collect();
    assert!(
        dates.contains(&"2021-09-09") && dates.contains(&"2021-11-29"),
        "{dates:?}"
    );
    // The campaign's date is known only to the month: marked as approximate.
    let figure: String = html
        .select(&sel("figure#figure-openness-links svg text"))
        .map(|t| t.text().collect::<String>())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(figure.contains("≈2021-07-01  MIIT starts"), "{figure}");
    // A payments milestone is not on the links chart.
    assert!(!dates.contains(&"2021-09-30"), "{dates:?}");
    // Both charts' ids are distinct on the page (aria-labelledby must resolve).
    for id in [
        "chart-openness-links-title",
        "chart-openness-payments-title",
    ] {
        assert_eq!(
            html.select(&sel(&format!("[id=\"{id}\"]"))).count(),
            1,
            "{id}"
        );
    }
}

#[tokio::test]
async fn check_page_step_chart_matches_the_transitions() {
    let app = TestApp::new().await;
    let page = app.check_page("link.wechat.taobao", "at=2021-12-31").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();
    let drawing = |which: &str| -> Vec<(String, String)> {
        html.select(&sel(&format!(
            "figure#figure-steps .chart-{which} svg g.segment"
        )))
        .map(|g| {
            (
                g.value().attr("data-status").unwrap().to_string(),
                g.value().attr("data-from").unwrap().to_string(),
            )
        })
        .collect()
    };
    let segments = drawing("wide");
    // The phone's drawing shows the same steps.
    assert_eq!(drawing("narrow"), segments);
    let transitions = app.store().transitions("link.wechat.taobao").await.unwrap();
    let expected: Vec<(String, String)> = transitions
        .iter()
        .map(|t| (t.to_status.clone(), t.occurred_at.to_rfc3339()))
        .collect();
    assert_eq!(segments, expected);
    assert_eq!(
        segments.iter().map(|s| s.0.as_str()).collect::<Vec<_>>(),
        ["token_only", "warned"]
    );
    // The status in words inside each bar (not colour alone), and the table behind it.
    let words: Vec<String> = html
        .select(&sel("figure#figure-steps .chart-wide g.segment text"))
        .map(|t| t.text().collect())
        .collect();
    assert!(words.iter().any(|w| w.contains("warning")), "{words:?}");
    let rows = table_rows(&html, "figure-steps");
    assert_eq!(rows.len(), 2);
    assert!(rows[1][0].starts_with("2021-10-17") && rows[1][1].starts_with("2021-12-31"));
    assert!(
        html.select(&sel(
            "figure#figure-steps a[download][href=\"/charts/checks/link.wechat.taobao.png?lang=en&at=2021-12-31\"]"
        ))
        .next()
        .is_some()
    );
    // Before the change, only the first status.
    let before = app
        .check_page("link.wechat.taobao", "at=2021-09-01")
        .await
        .html();
    for which in ["wide", "narrow"] {
        let css = format!("figure#figure-steps .chart-{which} g.segment");
        assert_eq!(before.select(&sel(&css)).count(), 1, "{which}");
    }
}

/// Issue 15: a check that flaps gathers thousands of changes; its page draws and lists the
/// latest 100 periods of the source that flaps, says so, and stays small. Every change
/// stays in the exports.
#[tokio::test]
async fn a_check_that_flaps_draws_its_latest_periods_and_says_so() {
    let app = TestApp::new().await;
    let check = "link.wechat.taobao";
    // 150 hand tests, a day apart, alternating: 150 periods of one more source beside the
    // catalog's article.
    for n in 0..150 {
        let at = noon(2022, 1, 1) + chrono::Duration::days(n);
        let status = if n % 2 == 0 { "open" } else { "blocked" };
        app.store()
            .insert_observation(&manual(check, at, status))
            .await
            .unwrap();
    }
    let transitions = app.store().transitions(check).await.unwrap();
    let flaps: Vec<&str> = transitions
        .iter()
        .filter(|t| t.source_kind == "manual")
        .map(|t| t.to_status.as_str())
        .collect();
    assert_eq!(flaps.len(), 150);
    let hand_tests = |html: &Html, which: &str| -> Vec<(String, String)> {
        let groups: Vec<_> = html
            .select(&sel(&format!(
                "figure#figure-steps .chart-{which} svg g.source"
            )))
            .collect();
        assert_eq!(groups.len(), 2, "{which}: the article and the hand tests");
        groups[1]
            .select(&sel("g.segment"))
            .map(|g| {
                (
                    g.value().attr("data-status").unwrap().to_string(),
                    g.value().attr("data-from").unwrap().to_string(),
                )
            })
            .collect()
    };
    for lang in ["en", "zh-CN"] {
        // A month after the last hand test: its word is still current.
        let page = app
            .check_page(check, &format!("at=2022-06-30&lang={lang}"))
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let html = page.html();
        for which in ["wide", "narrow"] {
            let drawn = hand_tests(&html, which);
            assert_eq!(drawn.len(), 100, "{lang} {which}");
            let statuses: Vec<&str> = drawn.iter().map(|(s, _)| s.as_str()).collect();
            assert_eq!(statuses, flaps[50..], "{lang} {which}");
            // The first period drawn began with the 51st hand test.
            assert_eq!(
                drawn[0].1,
                (noon(2022, 1, 1) + chrono::Duration::days(50)).to_rfc3339()
            );
        }
        let rows = table_rows(&html, "figure-steps");
        let hand_rows: Vec<_> = rows.iter().filter(|r| r[0] != rows[0][0]).collect();
        assert_eq!(hand_rows.len(), 100, "{lang}");
        assert!(
            hand_rows[0][1].starts_with("2022-02-20"),
            "{lang}: {:?}",
            hand_rows[0]
        );
        let said = if lang == "en" {
            "The latest 100 periods of each source"
        } else {
            "每个来源最近的 100 个时段"
        };
        assert!(page.body.contains(said), "{lang}: no \"{said}\"");
    }
    // With no more than 100 periods the whole history is drawn, and nothing is said.
    let early = app.check_page(check, "at=2022-02-01&lang=en").await;
    assert!(!early.body.contains("latest 100 periods"));
    assert_eq!(table_rows(&early.html(), "figure-steps").len(), 2 + 32);
    // The exports keep every change.
    let csv = app.get(format!("/checks/{check}.csv?lang=en")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.contains("2022-01-01") && csv.body.contains("2022-05-30"));
}

/// Meituan × Alipay: 财联社 said accepted, cnBeta not accepted. The step chart draws each
/// source on its own row (the drawing and its table), never one of them as the check's
/// status over the other; and a word older than `stale_after_days` (180) is drawn and
/// listed as no current word from the day it went stale, not as its status.
#[tokio::test]
async fn disagreeing_sources_get_a_row_each_and_old_words_are_not_drawn_as_current() {
    let app = TestApp::new().await;
    let check = "payment.meituan.alipay";
    // Each source's name and its segments: (status, stale, from).
    type Drawn = Vec<(String, Vec<(String, String, String)>)>;
    let drawn = |html: &Html, which: &str| -> Drawn {
        html.select(&sel(&format!(
            "figure#figure-steps .chart-{which} svg g.source"
        )))
        .map(|g| {
            let segments = g
                .select(&sel("g.segment"))
                .map(|s| {
                    let a = |n: &str| s.value().attr(n).unwrap().to_string();
                    (a("data-status"), a("data-stale"), a("data-from"))
                })
                .collect();
            (g.value().attr("data-source").unwrap().to_string(), segments)
        })
        .collect()
    };
    let (cls, cnbeta) = ("2021-09-27T16:00:00+00:00", "2021-10-16T16:00:00+00:00");
    // Within 180 days of both articles: both words current, side by side.
    let page = app.check_page(check, "at=2021-12-31&lang=en").await;
    let html = page.html();
    for which in ["wide", "narrow"] {
        let got = drawn(&html, which);
        assert_eq!(got.len(), 2, "{which}: {got:?}");
        assert!(
            got[0].0.contains("财联社") && got[1].0.contains("cnBeta"),
            "{got:?}"
        );
        assert_eq!(got[0].1, [("accepted".into(), "false".into(), cls.into())]);
        assert_eq!(
            got[1].1,
            [("not_accepted".into(), "false".into(), cnbeta.into())]
        );
    }
    let rows = table_rows(&html, "figure-steps");
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(
        rows[0][0].contains("财联社") && rows[0][3] == "Accepted",
        "{rows:?}"
    );
    assert!(
        rows[1][0].contains("cnBeta") && rows[1][3] == "Not accepted",
        "{rows:?}"
    );
    assert!(
        rows.iter().all(|r| r[2].starts_with("2021-12-31")),
        "{rows:?}"
    );
    // Years later, neither word is current: each row goes stale 181 Beijing days after it.
    for lang in ["en", "zh-CN"] {
        let later = app
            .check_page(check, &format!("at=2023-06-01&lang={lang}"))
            .await
            .html();
        for which in ["wide", "narrow"] {
            let got = drawn(&later, which);
            assert_eq!(
                got[0].1,
                [
                    ("accepted".into(), "false".into(), cls.into()),
                    (
                        "accepted".into(),
                        "true".into(),
                        "2022-03-27T16:00:00+00:00".into()
                    ),
                ],
                "{lang} {which}"
            );
            assert_eq!(
                got[1].1,
                [
                    ("not_accepted".into(), "false".into(), cnbeta.into()),
                    (
                        "not_accepted".into(),
                        "true".into(),
                        "2022-04-15T16:00:00+00:00".into()
                    ),
                ],
                "{lang} {which}"
            );
        }
        let rows = table_rows(&later, "figure-steps");
        let stale = if lang == "en" {
            [
                "No current word (last: Accepted)",
                "No current word (last: Not accepted)",
            ]
        } else {
            [
                "无最新证据（最后一次：支持）",
                "无最新证据（最后一次：不支持）",
            ]
        };
        assert_eq!(rows[1][3], stale[0], "{lang}: {rows:?}");
        assert_eq!(rows[3][3], stale[1], "{lang}: {rows:?}");
        assert!(
            rows[1][1].starts_with("2022-03-28 00:00"),
            "{lang}: {rows:?}"
        );
    }
}

/// Session 29: the step chart ends at the request's second, so its drawing can be kept
/// between requests; a change made within that second must still be drawn (ending the
/// chart at itself), never left beyond the axis as if it had not happened.
#[tokio::test]
async fn a_change_within_the_charts_last_second_is_drawn() {
    let app = TestApp::new().await;
    let check = "link.wechat.taobao";
    // The page's instant for a date: the day's last microsecond.
    let end = end_of_day(day(2022, 3, 1), SHANGHAI);
    app.store()
        .insert_observation(&manual(check, noon(2022, 2, 1), "open"))
        .await
        .unwrap();
    let segments = |body: &str| -> Vec<(String, String)> {
        scraper::Html::parse_document(body)
            .select(&sel("figure#figure-steps .chart-wide svg g.segment"))
            .map(|g| {
                (
                    g.value().attr("data-status").unwrap().to_string(),
                    g.value().attr("data-from").unwrap().to_string(),
                )
            })
            .collect()
    };
    let first = app.check_page(check, "at=2022-03-01&lang=en").await;
    assert_eq!(first.status, StatusCode::OK);
    let before = segments(&first.body);
    assert_eq!(
        before.last().map(|(s, _)| s.as_str()),
        Some("open"),
        "{before:?}"
    );
    assert_eq!(
        app.check_page(check, "at=2022-03-01&lang=en").await.body,
        first.body
    );
    // A change 0.4 s before the page's instant: in the chart's last second.
    let change = end - chrono::Duration::milliseconds(400);
    app.store()
        .insert_observation(&manual(check, change, "blocked"))
        .await
        .unwrap();
    let after = app.check_page(check, "at=2022-03-01&lang=en").await;
    let drawn = segments(&after.body);
    assert_eq!(
        drawn.last(),
        Some(&("blocked".to_string(), change.to_rfc3339())),
        "{drawn:?}"
    );
    assert_eq!(drawn.len(), before.len() + 1);
    // The data table lists the new period too, and the one before it ends at the change.
    let rows_before = table_rows(&first.html(), "figure-steps");
    let rows = table_rows(&after.html(), "figure-steps");
    assert_eq!(rows.len(), rows_before.len() + 1, "{rows:?}");
    assert_ne!(
        rows.last().and_then(|r| r.last()),
        rows_before.last().and_then(|r| r.last())
    );
}

#[tokio::test]
async fn simulated_step_charts_say_so_and_real_ones_leave_the_simulator_out() {
    let app = TestApp::new().await;
    app.store()
        .insert_observation(&simulated(
            "link.wechat.taobao",
            noon(2021, 11, 1),
            "blocked",
        ))
        .await
        .unwrap();
    let real = app
        .check_chart("link.wechat.taobao", "svg", "at=2021-12-31")
        .await;
    assert!(
        !real.body.contains("data-status=\"blocked\""),
        "simulated data mixed in"
    );
    assert!(!real.body.contains("SIMULATED"));

    let catalog = real_catalog();
    let sim_group = catalog
        .groups
        .iter()
        .find(|g| g.simulated)
        .expect("a simulated group");
    let sim_platform = catalog
        .platforms
        .iter()
        .find(|p| p.group == sim_group.slug)
        .expect("a simulated platform");
    let check = catalog
        .checks
        .iter()
        .find(|c| c.subject == sim_platform.slug || c.object == sim_platform.slug)
        .expect("a check of a simulated platform");
    let kind = catalog.kind(&check.kind).unwrap();
    let status = kind.statuses[0].id.clone();
    app.store()
        .insert_observation(&simulated(
            &check.id,
            Utc::now() - chrono::Duration::days(2),
            &status,
        ))
        .await
        .unwrap();
    let reply = app.check_chart(&check.id, "svg", "").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body.contains("SIMULATED: not real data"),
        "{}",
        reply.body
    );
    assert!(reply.body.contains(&format!("data-status=\"{status}\"")));
    let zh = app.check_chart(&check.id, "svg", "lang=zh-CN").await;
    assert!(zh.body.contains("模拟数据：并非真实"));
    let page = app.check_page(&check.id, "").await;
    assert!(page.body.contains("SIMULATED: not real data"));
}

/// Width and height from a PNG's IHDR chunk, after checking the signature.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.len() > 24, "too short for a PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[tokio::test]
async fn charts_download_as_svg_and_png_with_names_and_types() {
    let app = TestApp::new().await;
    let svg = app.openness_chart("payments", "svg", "at=2021-10-17").await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.header("content-type"), "image/svg+xml");
    assert_eq!(
        svg.header("content-disposition"),
        "attachment; filename=\"hutong-openness-payments-2021-10-17-en.svg\""
    );
    let text = String::from_utf8(svg.bytes).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed");
    let view_box: Vec<f64> = doc
        .root_element()
        .attribute("viewBox")
        .unwrap()
        .split(' ')
        .map(|v| v.parse().unwrap())
        .collect();

    let png = app.openness_chart("payments", "png", "at=2021-10-17").await;
    assert_eq!(png.status, StatusCode::OK);
    assert_eq!(png.header("content-type"), "image/png");
    assert_eq!(
        png.header("content-disposition"),
        "attachment; filename=\"hutong-openness-payments-2021-10-17-en.png\""
    );
    let (w, h) = png_size(&png.bytes);
    assert_eq!(
        (w, h),
        (
            (view_box[2] * 2.0) as u32,
            (view_box[3] * 2.0).ceil() as u32
        ),
        "drawn at twice the SVG's size"
    );

    // The check chart, in Chinese chosen by the URL, then by Accept-Language.
    let zh = app
        .check_chart("link.wechat.taobao", "png", "at=2021-10-17&lang=zh-CN")
        .await;
    assert_eq!(zh.status, StatusCode::OK);
    assert_eq!(
        zh.header("content-disposition"),
        "attachment; filename=\"hutong-check-link.wechat.taobao-2021-10-17-zh-CN.png\""
    );
    png_size(&zh.bytes);
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&zh.bytes).expect("decodes");
    // The title (Chinese: 微信 × 淘宝：状态变化) is drawn: dark pixels where it sits.
    let mut dark = 0;
    for y in 20..64 {
        for x in 32..600 {
            let p = pixmap.pixel(x, y).unwrap();
            if p.red() < 128 && p.green() < 128 && p.blue() < 128 {
                dark += 1;
            }
        }
    }
    assert!(dark > 300, "the Chinese title left only {dark} dark pixels");
    let svg_zh = app
        .check_chart("link.wechat.taobao", "svg", "")
        .header("accept-language", "zh-CN,zh;q=0.9,en;q=0.5")
        .await;
    let text = String::from_utf8(svg_zh.bytes).unwrap();
    assert!(text.contains("微信 × 淘宝：状态变化"), "{text}");
    let by_cookie = app
        .openness_chart("links", "svg", "")
        .header("cookie", "a=b; lang=zh-CN")
        .await;
    assert!(
        String::from_utf8(by_cookie.bytes)
            .unwrap()
            .contains("链接分享")
    );
}

#[tokio::test]
async fn wrong_chart_requests_say_what_was_wrong() {
    let app = TestApp::new().await;
    for (uri, status, words) in [
        (
            "/charts/checks/link.nobody.nothing.svg",
            StatusCode::NOT_FOUND,
            "there is no check \"link.nobody.nothing\"",
        ),
        (
            "/charts/checks/link.wechat.taobao.gif",
            StatusCode::NOT_FOUND,
            "no chart",
        ),
        ("/charts/openness-qr.svg", StatusCode::NOT_FOUND, "no chart"),
        ("/charts/openness-links", StatusCode::NOT_FOUND, "no chart"),
        (
            "/charts/openness-links.svg?at=2021-02-30",
            StatusCode::BAD_REQUEST,
            "at: ",
        ),
        (
            "/charts/openness-links.png?at=2999-01-01",
            StatusCode::BAD_REQUEST,
            "in the future",
        ),
        (
            "/charts/checks/link.wechat.taobao.png?lang=fr",
            StatusCode::BAD_REQUEST,
            "lang: \"fr\" is not a language of this site",
        ),
    ] {
        let reply = app.get(uri).await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.body);
        assert!(reply.body.contains(words), "{uri}: {}", reply.body);
        assert!(reply.headers.get("content-disposition").is_none(), "{uri}");
    }
}

/// An app on the real catalog whose PNG drawing the test can count and hold: `drawing`
/// PNGs draw at once, `queue` different ones wait or draw.
async fn app_with_png_limits(
    queue: usize,
    drawing: usize,
) -> (TestApp, Arc<PngCharts>, Arc<tokio::sync::Semaphore>) {
    let db = common::sqlite_with_catalog(&real_catalog()).await;
    let slots = Arc::new(tokio::sync::Semaphore::new(drawing));
    let png = Arc::new(PngCharts::new(PngLimits {
        queue,
        drawing: slots.clone(),
        ..PngLimits::default()
    }));
    let app = TestApp::builder(db).png(png.clone()).build();
    (app, png, slots)
}

/// Waits (without a deadline of its own: the test harness has one) until `ready` holds.
async fn until(ready: impl Fn() -> bool) {
    while !ready() {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

/// A PNG is drawn once and kept: the second request is answered without drawing, in
/// either language separately; a write to the data draws it anew, showing the change.
#[tokio::test]
async fn a_png_is_drawn_once_and_drawn_anew_when_the_data_changes() {
    let (app, png, _slots) = app_with_png_limits(8, 2).await;
    let chart = |query| app.check_chart("link.wechat.taobao", "png", query);
    let first = chart("at=2021-12-31").await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(png.renders(), 1);
    let again = chart("at=2021-12-31").await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.bytes, first.bytes);
    assert_eq!(png.renders(), 1, "the second request is not drawn again");
    let chinese = chart("at=2021-12-31&lang=zh-CN").await;
    assert_eq!(chinese.status, StatusCode::OK);
    assert_ne!(chinese.bytes, first.bytes);
    assert_eq!(png.renders(), 2);
    app.store()
        .insert_observation(&manual("link.wechat.taobao", noon(2021, 12, 20), "blocked"))
        .await
        .unwrap();
    let after = chart("at=2021-12-31").await;
    assert_eq!(after.status, StatusCode::OK);
    assert_eq!(png.renders(), 3, "a data change draws anew");
    assert_ne!(after.bytes, first.bytes, "the new change is drawn");
    assert!(png.kept_bytes() > 0);
}

/// Concurrent requests for one PNG share one drawing.
#[tokio::test]
async fn concurrent_requests_for_one_png_share_one_drawing() {
    let (app, png, slots) = app_with_png_limits(8, 1).await;
    // Every drawing slot held: the requests below all arrive before anything is drawn.
    let held = slots.clone().acquire_many_owned(1).await.unwrap();
    let requests: Vec<_> = (0..8)
        .map(|_| {
            let app = app.clone();
            tokio::spawn(async move { app.openness_chart("links", "png", "at=2021-12-31").await })
        })
        .collect();
    until(|| png.waiting() == 8).await;
    assert_eq!(png.queued(), 1, "one drawing for eight requests");
    drop(held);
    let mut bodies = Vec::new();
    for r in requests {
        let r = r.await.unwrap();
        assert_eq!(r.status, StatusCode::OK);
        bodies.push(r.bytes);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]));
    png_size(&bodies[0]);
    assert_eq!(png.renders(), 1);
    assert_eq!(png.waiting(), 0);
}

/// When as many different PNGs as the queue holds are waiting, one more is answered at
/// once with 503, `Retry-After` and a message in the reader's language; once the queue
/// drains, it is drawn.
#[tokio::test]
async fn a_full_png_queue_answers_503_with_retry_after() {
    let (app, png, slots) = app_with_png_limits(1, 1).await;
    let held = slots.clone().acquire_many_owned(1).await.unwrap();
    let waiting = tokio::spawn({
        let app = app.clone();
        async move { app.openness_chart("links", "png", "at=2021-12-31").await }
    });
    until(|| png.queued() == 1).await;
    let other = |query| app.openness_chart("payments", "png", query);
    let busy = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        other("at=2021-12-31&lang=zh-CN"),
    )
    .await
    .expect("answered at once, not queued");
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(busy.header("retry-after"), "5");
    assert!(busy.header("content-type").starts_with("text/plain"));
    let words = String::from_utf8_lossy(&busy.bytes);
    assert!(
        words.contains("现在要绘制的图表太多，请 5 秒后再试"),
        "{words}"
    );
    let busy = other("at=2021-12-31").await;
    assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        String::from_utf8_lossy(&busy.bytes).contains("try again in 5 seconds"),
        "{:?}",
        busy.body
    );
    // SVGs are not queued.
    let svg = app.openness_chart("payments", "svg", "at=2021-12-31").await;
    assert_eq!(svg.status, StatusCode::OK);
    drop(held);
    assert_eq!(waiting.await.unwrap().status, StatusCode::OK);
    let drawn = other("at=2021-12-31").await;
    assert_eq!(drawn.status, StatusCode::OK);
    assert_eq!(png.renders(), 2);
}

// The storage query behind openness, on both databases: one kind, real sources only,
// up to the date, oldest first.
common::on_both!(status_changes_are_real_confirmed_and_in_order);

async fn status_changes_are_real_confirmed_and_in_order(store: &Store) {
    fixture_history(store).await;
    // A payment change, which the link query must not return.
    let catalog = real_catalog();
    let payment = catalog
        .checks
        .iter()
        .find(|c| c.kind == "payment")
        .expect("a payment check");
    let accepted = catalog.kind("payment").unwrap().statuses[0].id.clone();
    store
        .insert_observation(&manual(&payment.id, noon(2019, 1, 4), &accepted))
        .await
        .unwrap();
    // A repeat of the same status is no change.
    store
        .insert_observation(&manual("link.qq.taobao", noon(2019, 1, 12), "open"))
        .await
        .unwrap();
    let changes = store
        .status_changes("link", Some(end_of_day(day(2019, 1, 31), SHANGHAI)))
        .await
        .unwrap();
    let got: Vec<(&str, DateTime<Utc>, &str)> = changes
        .iter()
        .map(|c| (c.check_id.as_str(), c.at, c.status.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("link.wechat.taobao", noon(2019, 1, 2), "token_only"),
            ("link.wechat.douyin", noon(2019, 1, 5), "blocked"),
            ("link.qq.taobao", noon(2019, 1, 9), "open"),
            ("link.wechat.taobao", noon(2019, 1, 20), "warned"),
        ]
    );
    let payments = store.status_changes("payment", None).await.unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].check_id, payment.id);
}

/// The requirement page draws its share of compliant checks over time, the deadline
/// marked; the same chart downloads as SVG and PNG, and its last figure agrees with the
/// page's own count of checks complying now.
#[tokio::test]
async fn requirement_pages_chart_their_compliance_over_time() {
    let app = TestApp::new().await;
    let page = app
        .requirement_page("miit-2021-link-unblocking", "at=2021-10-17")
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();
    let sel = |s: &str| scraper::Selector::parse(s).unwrap();
    let figure = html
        .select(&sel("figure#figure-compliance"))
        .next()
        .expect("the requirement page has its chart");
    let svg = figure.select(&sel("svg")).next().expect("inline SVG");
    assert_eq!(svg.value().attr("role"), Some("img"));
    let svg_text = figure.html();
    assert!(svg_text.contains("Deadline"), "the deadline is marked");
    // The last row of the chart's table is the page's date; its compliant count is the
    // number of checks the page says comply now.
    let last = figure
        .select(&sel("details table tbody tr"))
        .last()
        .expect("a data table");
    let cells: Vec<String> = last
        .select(&sel("td, th"))
        .map(|c| c.text().collect::<String>().trim().to_string())
        .collect();
    assert_eq!(cells[0], "2021-10-17", "{cells:?}");
    let rows = html.select(&sel("table.compliance tbody tr")).count();
    let compliant_now = html
        .select(&sel("table.compliance tbody tr"))
        .filter(|r| {
            matches!(
                r.value().attr("data-outcome"),
                Some("compliant" | "complied_late" | "compliant_unknown_at_deadline")
            )
        })
        .count();
    assert_eq!(cells[1], compliant_now.to_string(), "{cells:?}");
    assert_eq!(cells[5], rows.to_string(), "{cells:?}");

    let svg = app
        .requirement_chart(
            "miit-2021-link-unblocking",
            "svg",
            "at=2021-10-17&lang=zh-CN",
        )
        .await;
    assert_eq!(svg.status, StatusCode::OK);
    assert_eq!(svg.header("content-type"), "image/svg+xml");
    let text = String::from_utf8(svg.bytes).unwrap();
    roxmltree::Document::parse(&text).expect("well-formed SVG");
    assert!(text.contains("截止日期"), "Chinese deadline marker");
    let png = app
        .requirement_chart("miit-2021-link-unblocking", "png", "at=2021-10-17")
        .await;
    assert_eq!(png.status, StatusCode::OK);
    assert_eq!(
        png.header("content-disposition"),
        "attachment; filename=\"hutong-requirement-miit-2021-link-unblocking-2021-10-17-en.png\""
    );
    let (w, h) = png_size(&png.bytes);
    assert!(w >= 800 && h > 200, "{w}×{h}");
    let missing = app.requirement_chart("no-such", "svg", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// Stale evidence and unknown status are counted and drawn apart in the openness chart,
/// never folded into "not open": with a threshold of 7 days, the history above is stale
/// where a week passes without evidence, on SQLite and PostgreSQL alike (the gaps between
/// evidence are found by each database's own arithmetic).
#[tokio::test]
async fn openness_over_time_draws_stale_and_unknown_apart() {
    let mut dbs = vec![("sqlite", common::sqlite().await)];
    if let Some(db) = common::postgres().await {
        dbs.push(("postgres", db));
    }
    for (name, db) in dbs {
        fixture_history(&db.store).await;
        let app = TestApp::builder(db).stale_after_days(7).build();
        let page = app.overview("at=2019-01-31").await;
        assert_eq!(page.status, StatusCode::OK, "{name}");
        let rows = table_rows(&page.html(), "figure-openness-links");
        let total: usize = rows[0][5].parse().unwrap();
        // (date, open, not open, stale, unknown), worked out by hand: evidence older than
        // 7 Beijing days is stale; Taobao is stale from 01-10 to its next evidence on 01-20.
        let expected = [
            ("2019-01-02", 0, 1, 0),
            ("2019-01-09", 1, 2, 0),
            ("2019-01-16", 1, 0, 2),
            ("2019-01-23", 1, 0, 2),
            ("2019-01-30", 0, 0, 3),
            ("2019-01-31", 0, 0, 3),
        ];
        let got: Vec<(String, usize, usize, usize)> = rows
            .iter()
            .map(|r| {
                let n = |i: usize| r[i].parse::<usize>().expect("a count");
                // The four parts add up to every check.
                assert_eq!(n(1) + n(2) + n(3) + n(4), total, "{name}: {r:?}");
                (r[0].clone(), n(1), n(2), n(3))
            })
            .collect();
        let expected: Vec<(String, usize, usize, usize)> = expected
            .iter()
            .map(|(d, o, n, s)| (d.to_string(), *o, *n, *s))
            .collect();
        assert_eq!(got, expected, "{name}");
        // Nothing current on the last day: the share of current evidence says so.
        assert_eq!(rows[5][6], "no value", "{name}");

        // The SVG draws both bands, with patterns, and names them in its legend.
        let svg = app.openness_chart("links", "svg", "at=2019-01-31").await;
        let doc = roxmltree::Document::parse(&svg.body).expect("well-formed SVG");
        for band in ["stale", "unknown"] {
            let g = doc
                .descendants()
                .find(|n| n.attribute("data-band") == Some(band))
                .unwrap_or_else(|| panic!("{name}: no {band} band"));
            let fill = g
                .descendants()
                .find(|n| n.has_tag_name("path"))
                .and_then(|p| p.attribute("fill"))
                .unwrap_or_default();
            let id = fill
                .strip_prefix("url(#")
                .and_then(|f| f.strip_suffix(')'))
                .unwrap_or_else(|| panic!("{name}: the {band} band is a pattern: {fill}"));
            assert!(
                doc.descendants()
                    .any(|n| n.has_tag_name("pattern") && n.attribute("id") == Some(id)),
                "{name}: pattern {id}"
            );
        }
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        for legend in ["Not open", "Stale evidence (over 7 days old)", "Unknown"] {
            assert!(texts.contains(&legend), "{name}: {legend} in {texts:?}");
        }
        assert!(
            texts
                .iter()
                .any(|t| t.contains(&format!("all {total} checks"))),
            "{name}: the line says of how many: {texts:?}"
        );
        let png = app.openness_chart("links", "png", "at=2019-01-31").await;
        assert_eq!(png.status, StatusCode::OK, "{name}");
        // In Chinese too.
        let zh = app.overview("at=2019-01-31&lang=zh-CN").await;
        assert!(zh.body.contains("证据过时（超过 7 天）"), "{name}");
    }
}

/// A requirement's compliance chart counts checks whose evidence has gone stale apart from
/// those that do not comply: long after the articles it rests on, nothing is current.
#[tokio::test]
async fn compliance_over_time_counts_stale_evidence_apart() {
    let app = TestApp::new().await;
    let last_row = |body: &str| -> Vec<String> {
        let html = Html::parse_document(body);
        table_rows(&html, "figure-compliance")
            .pop()
            .expect("a data table")
    };
    let fresh = last_row(
        &app.requirement_page("miit-2021-link-unblocking", "at=2021-10-17")
            .await
            .body,
    );
    let later = last_row(
        &app.requirement_page("miit-2021-link-unblocking", "at=2023-01-31")
            .await
            .body,
    );
    let n = |r: &[String], i: usize| r[i].parse::<usize>().expect("a count");
    assert_eq!(n(&fresh, 3), 0, "nothing stale in 2021: {fresh:?}");
    assert!(n(&fresh, 1) > 0, "{fresh:?}");
    // In 2023 the same evidence is stale: counted as stale, not as not compliant.
    assert_eq!(n(&later, 1), 0, "{later:?}");
    assert_eq!(n(&later, 2), 0, "{later:?}");
    assert_eq!(
        n(&later, 3),
        n(&fresh, 1) + n(&fresh, 2) + n(&fresh, 3),
        "{later:?}"
    );
    for r in [&fresh, &later] {
        assert_eq!(n(r, 1) + n(r, 2) + n(r, 3) + n(r, 4), n(r, 5), "{r:?}");
    }
}

/// A check heard from by more sources than the step chart has rows for draws the 12 heard
/// from last, and says so in its subtitle and its table's caption; none of those left out
/// is drawn as if it were another.
#[tokio::test]
async fn a_check_with_many_sources_draws_those_heard_from_last_and_says_how_many() {
    let app = TestApp::new().await;
    let check = "link.wechat.taobao";
    // 14 more sources (hand tests from 14 places), a day apart, beside the catalog's article.
    for n in 0..14u32 {
        let at = noon(2022, 3, 1) + chrono::Duration::days(i64::from(n));
        let o = observation(check, at, if n % 2 == 0 { "open" } else { "blocked" })
            .vantage(&format!("place-{n:02}"))
            .build();
        app.store().insert_observation(&o).await.unwrap();
    }
    for (lang, said) in [
        ("en", "The 12 of 15 sources heard from last."),
        ("zh-CN", "15 个来源中最近有消息的 12 个。"),
    ] {
        let page = app
            .check_page(check, &format!("at=2022-04-01&lang={lang}"))
            .await;
        let html = page.html();
        for which in ["wide", "narrow"] {
            let names: Vec<String> = html
                .select(&sel(&format!(
                    "figure#figure-steps .chart-{which} svg g.source"
                )))
                .map(|g| g.value().attr("data-source").unwrap().to_string())
                .collect();
            let expected: Vec<String> = (2..14)
                .map(|n| {
                    if lang == "en" {
                        format!("Hand tests at place-{n:02}")
                    } else {
                        format!("place-{n:02} 的人工测试")
                    }
                })
                .collect();
            assert_eq!(names, expected, "{lang} {which}");
        }
        let caption: String = html
            .select(&sel("figure#figure-steps details table caption"))
            .flat_map(|c| c.text())
            .collect();
        assert!(caption.contains(said), "{lang}: {caption}");
    }
}
