//! `/metrics`: after a probe run and a page load, the series an operator looks for are
//! there (runs, verdicts and fetch latency by pack and vantage point, page latency by
//! route pattern); only the token's bearers read them, and nothing at all when disabled.

use crate::common::{self, TestApp, real_catalog, sqlite};
use chrono::{TimeZone, Utc};
use hutong::probes::engine::Engine;
use hutong::probes::fetch::{Fetcher, FetcherOptions};
use hutong::probes::pack::validate_packs;
use hutong::simulator::{LinkState, Simulator, Timetable};
use std::path::PathBuf;

/// The lines of a scrape for `metric` whose labels include every one of `labels`.
fn series<'a>(scrape: &'a str, metric: &str, labels: &[&str]) -> Vec<&'a str> {
    scrape
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.starts_with(&format!("{metric}{{")))
        .filter(|l| labels.iter().all(|label| l.contains(label)))
        .collect()
}

/// The value of a series line.
fn value(line: &str) -> f64 {
    line.rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no value in {line}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_scrape_after_a_probe_run_and_a_page_load_shows_them() {
    let db = sqlite().await;
    db.store.apply_catalog(&real_catalog()).await.unwrap();
    let sim = Simulator::new(Timetable::Fixed);
    let running = sim
        .start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    sim.set_link("simchat", "simshop", LinkState::Open);
    sim.set_link("simchat", "simvideo", LinkState::Blocked);
    let text =
        std::fs::read_to_string(common::catalog_dir().join("probes/demo-simchat-links.toml"))
            .unwrap();
    let packs = validate_packs(
        &[(PathBuf::from("demo.toml"), text.as_str())],
        &real_catalog(),
    )
    .unwrap_or_else(|p| panic!("{p}"));
    let proxy = url::Url::parse(&format!("http://{}", running.addr)).unwrap();
    let engine = Engine::new(
        db.store.clone(),
        packs,
        Fetcher::new(FetcherOptions::default()).unwrap(),
        Some(
            Fetcher::new(FetcherOptions {
                proxy: Some(proxy),
                ..FetcherOptions::default()
            })
            .unwrap(),
        ),
        // A vantage point no other test uses: the counters are the process's.
        "metrics-lab",
        8,
    );
    let app = TestApp::builder(db).metrics(Some("scrape-me")).build();

    let slot = Utc.with_ymd_and_hms(2026, 11, 3, 8, 0, 0).unwrap();
    let summary = engine
        .run_pack("demo-simchat-links", slot, "schedule", None, &|_| {})
        .await
        .unwrap();
    let blocked = summary
        .results
        .iter()
        .find(|r| r.status == "blocked")
        .expect("the blocked link is seen as blocked");
    let page = app.check_page(&blocked.check_id, "").await;
    assert_eq!(page.status, 200);
    app.get("/no/such/page/12345").await;

    let scrape = app.metrics(Some("scrape-me")).await;
    assert_eq!(scrape.status, 200);
    assert!(
        scrape.content_type.starts_with("text/plain"),
        "{}",
        scrape.content_type
    );
    let text = &scrape.body;
    let pack = "pack=\"demo-simchat-links\"";
    let vantage = "vantage=\"metrics-lab\"";

    let runs = series(
        text,
        "hutong_probe_runs_total",
        &[pack, vantage, "outcome=\"finished\""],
    );
    assert_eq!(runs.len(), 1, "{text}");
    assert_eq!(value(runs[0]), 1.0);
    let verdicts = series(
        text,
        "hutong_probe_verdicts_total",
        &[
            pack,
            vantage,
            "status=\"blocked\"",
            "failure_class=\"none\"",
        ],
    );
    assert_eq!(verdicts.len(), 1, "{text}");
    assert!(value(verdicts[0]) >= 1.0);
    let fetches = series(
        text,
        "hutong_probe_fetch_duration_seconds_count",
        &[pack, vantage, "result=\"ok\""],
    );
    assert_eq!(fetches.len(), 1, "{text}");
    assert!(value(fetches[0]) >= 1.0);
    assert!(
        !series(
            text,
            "hutong_probe_fetch_duration_seconds_bucket",
            &[pack, vantage, "le=\"0.1\""]
        )
        .is_empty(),
        "fetch latency has buckets: {text}"
    );

    // Page latency by route pattern, never by the raw path.
    let pages = series(
        text,
        "hutong_http_request_duration_seconds_count",
        &["route=\"/checks/{id}\"", "method=\"GET\"", "status=\"2xx\""],
    );
    assert_eq!(pages.len(), 1, "{text}");
    assert!(value(pages[0]) >= 1.0);
    assert!(
        !text.contains(&format!("/checks/{}", blocked.check_id)),
        "{text}"
    );
    assert!(
        !text.contains("/no/such/page"),
        "raw paths never become labels"
    );
    assert!(
        !series(
            text,
            "hutong_http_request_duration_seconds_count",
            &["route=\"unmatched\"", "status=\"4xx\""]
        )
        .is_empty(),
        "{text}"
    );
    assert!(text.contains("# HELP hutong_probe_runs_total"), "{text}");
    running.shutdown().await;
}

#[tokio::test]
async fn only_the_tokens_bearer_reads_metrics_and_nobody_when_they_are_off() {
    let app = TestApp::builder(sqlite().await)
        .metrics(Some("right-token"))
        .build();
    assert_eq!(app.metrics(None).await.status, 401);
    let wrong = app.metrics(Some("wrong-token")).await;
    assert_eq!(wrong.status, 401);
    assert!(!wrong.body.contains("right-token"));
    assert_eq!(app.metrics(Some("right-token")).await.status, 200);

    let off = TestApp::on(sqlite().await);
    assert_eq!(off.metrics(Some("right-token")).await.status, 404);
}
