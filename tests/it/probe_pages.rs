//! Probe observations, packs and simulated platforms as a reader meets them, through the
//! real router: evidence shown escaped, raw pages downloaded and never rendered, failing
//! packs flagged, long histories paged, and simulated platforms kept out of real figures.

use crate::common::{self, TestApp, copy_catalog, observation, sel};
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use hutong::catalog;
use hutong::domain::SourceKind;
use hutong::domain::{NewObservation, ProbeFacts};
use hutong::probes::PackSummary;
use hutong::storage::{NewSnapshot, RunStart, Store};
use scraper::Html;

/// The simulator's catalog entries (group `simulator`, five platforms, their checks).
const SIMULATOR_TOML: &str = r#"
[[group]]
slug = "simulator"
name_zh = "模拟器"
name_en = "Simulator"
simulated = true

[[platform]]
slug = "simchat"
name_zh = "模拟聊天"
name_en = "SimChat"
group = "simulator"
kind = "messaging"

[[platform]]
slug = "simtalk"
name_zh = "模拟通话"
name_en = "SimTalk"
group = "simulator"
kind = "messaging"

[[platform]]
slug = "simshop"
name_zh = "模拟商城"
name_en = "SimShop"
group = "simulator"
kind = "ecommerce"

[[platform]]
slug = "simvideo"
name_zh = "模拟视频"
name_en = "SimVideo"
group = "simulator"
kind = "short_video"

[[platform]]
slug = "simnews"
name_zh = "模拟新闻"
name_en = "SimNews"
group = "simulator"
kind = "content"

[[checks]]
kind = "link"
subject = "simchat"
objects = ["simshop", "simvideo", "simnews"]

[[checks]]
kind = "link"
subject = "simtalk"
objects = ["simshop", "simvideo", "simnews"]

[[checks]]
kind = "payment"
subject = "simshop"
objects = ["alipay", "wechat_pay", "unionpay", "ecny", "jd_pay", "apple_pay", "qq_wallet"]

[[checks]]
kind = "payment"
subject = "simvideo"
objects = ["alipay", "wechat_pay", "unionpay", "ecny", "jd_pay", "apple_pay", "qq_wallet"]
"#;

/// The real catalog plus the simulator's platforms, as `catalog/simulator.toml` adds them.
fn catalog_with_simulator() -> catalog::Catalog {
    let (_tmp, dir) = copy_catalog();
    let file = dir.join("simulator.toml");
    if !file.exists() {
        std::fs::write(&file, SIMULATOR_TOML).expect("write simulator.toml");
    }
    catalog::load_dir(&dir).expect("catalog with the simulator is valid")
}

async fn app_with(packs: Vec<PackSummary>, alert_after: Duration) -> TestApp {
    let db = common::sqlite_with_catalog(&catalog_with_simulator()).await;
    TestApp::builder(db)
        .packs(packs)
        .probe_alert_after(alert_after)
        .build()
}

fn pack(id: &str) -> PackSummary {
    PackSummary {
        id: id.into(),
        name_en: format!("{id} pack"),
        name_zh: "探针".into(),
        kind: "link".into(),
        version: 3,
        verified: false,
        simulated: false,
        enabled: true,
        scheduled: true,
        schedule: "0 17 */6 * * *".into(),
        confirmations: 1,
        checks: vec!["link.wechat.taobao".into()],
        file: format!("probes/{id}.toml"),
    }
}

/// A probe's observation of `check` by the pack `facts` name, with `evidence`.
fn probe_observation(
    check: &str,
    at: chrono::DateTime<Utc>,
    status: &str,
    facts: ProbeFacts,
    evidence: serde_json::Value,
) -> common::ObservationBuilder {
    observation(check, at, status)
        .probed()
        .pack(facts)
        .evidence(evidence)
}

const HOSTILE_HOP: &str = "https://evil.example/\"><img src=x onerror=alert(1)>";

/// A probe observation of link.wechat.taobao with hostile evidence and a kept body.
async fn hostile_observation(store: &Store) -> (i64, Vec<u8>, String) {
    let body = b"<html><script>alert(document.cookie)</script>\xc4\xe3\xba\xc3</html>".to_vec();
    let sha = "ab12cd34ef56".repeat(5) + "abcd";
    let compressed = zstd::encode_all(body.as_slice(), 3).expect("compress");
    let evidence = serde_json::json!({
        "request_url": "https://mp.weixinbridge.com/mp/wapredirect?url=x",
        "hops": [
            {"url": HOSTILE_HOP, "status": 302, "location": "javascript:alert(2)", "elapsed_ms": 12},
            {"url": "https://item.taobao.com/item.htm?id=1", "status": "two hundred", "elapsed_ms": "n/a"},
            "not a hop",
        ],
        "final_url": "https://item.taobao.com/item.htm?id=1",
        "status": 200,
        "rule": "interstitial-block",
        "excerpt": format!("<script>alert(1)</script>已停止访问该网页{}", "很长".repeat(3000)),
        "charset": "GBK",
        "content_type": "text/html",
        "body_sha256": sha,
        "body_bytes": body.len(),
        "timings": {"total_ms": 40},
        "control": {"url": "https://item.taobao.com/", "status": 200, "ok": true},
        "extracted": [{"names": ["支付宝", {"odd": true}], "method": "alipay", "selected": true}],
        "rule_version": 3,
    });
    let new = probe_observation(
        "link.wechat.taobao",
        Utc::now() - Duration::minutes(5),
        "blocked",
        ProbeFacts {
            pack_id: "wechat-links".into(),
            rule_version: 3,
            confirmed: true,
            snapshot: Some(sha.clone()),
            confirmations: 1,
            ..ProbeFacts::default()
        },
        evidence,
    )
    .build();
    let ids = store
        .insert_probe_results(
            &[NewSnapshot {
                sha256: sha.clone(),
                size: body.len() as i64,
                content_type: Some("text/html".into()),
                compressed,
                base_sha256: None,
            }],
            &[new],
        )
        .await
        .expect("store probe result");
    (ids[0], body, sha)
}

#[tokio::test]
async fn an_observation_page_shows_its_evidence_escaped() {
    let app = app_with(Vec::new(), Duration::hours(1)).await;
    let (id, _, sha) = hostile_observation(app.store()).await;
    let page = app.observation_page(id, "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt;已停止访问该网页")
    );
    assert!(!page.body.contains("<script"), "no script element at all");
    assert!(!page.body.contains("<img src=x"));
    assert!(page.body.contains("&lt;img src=x onerror=alert(1)&gt;"));
    let html = page.html();
    // Scraped URLs are text, never links.
    for a in html.select(&sel("a[href]")) {
        let href = a.value().attr("href").unwrap();
        assert!(
            href.starts_with('/') || href.starts_with('#'),
            "only Hutong's own links: {href}"
        );
    }
    let excerpt: String = html
        .select(&sel("pre.excerpt"))
        .next()
        .expect("excerpt block")
        .text()
        .collect();
    assert!(
        excerpt.chars().count() <= 2_001,
        "{}",
        excerpt.chars().count()
    );
    assert!(excerpt.ends_with('…'));
    // What a reader needs: the check, the rule, the hops, the control, the charset.
    assert!(
        html.select(&sel("a[href=\"/checks/link.wechat.taobao?lang=en\"]"))
            .next()
            .is_some()
    );
    for words in [
        "interstitial-block",
        "wechat-links",
        "rule version 3",
        "GBK",
        "javascript:alert(2)",
        "the target itself answered",
        "支付宝",
        "40 ms",
        "two hundred",
        "UTC+8",
    ] {
        assert!(page.body.contains(words), "{words} missing");
    }
    assert_eq!(html.select(&sel("table.hops tbody tr")).count(), 2);
    let download = html
        .select(&sel("a[href$=\"/snapshot\"]"))
        .next()
        .expect("download link");
    assert_eq!(
        download.value().attr("href"),
        Some(format!("/observations/{id}/snapshot").as_str())
    );
    assert!(
        download
            .text()
            .collect::<String>()
            .contains("Download the raw page")
    );
    assert!(page.body.contains(&sha));

    // The check's history links to the observation and names the rule.
    let check = app.check_page("link.wechat.taobao", "").await;
    let doc = check.html();
    assert!(
        doc.select(&sel(&format!(
            "table.history a[href=\"/observations/{id}?lang=en\"]"
        )))
        .next()
        .is_some(),
        "{}",
        check.body
    );
    assert!(check.body.contains("interstitial-block"));
}

#[tokio::test]
async fn a_failed_or_anomalous_probe_says_so_in_words() {
    let app = app_with(Vec::new(), Duration::hours(1)).await;
    let failed = probe_observation(
        "link.wechat.douyin",
        Utc::now() - Duration::minutes(3),
        "unknown",
        ProbeFacts {
            pack_id: "wechat-links".into(),
            rule_version: 2,
            confirmed: false,
            failure: Some("bot_challenge".into()),
            confirmations: 1,
            ..ProbeFacts::default()
        },
        // Evidence that is not even an object must not break the page.
        serde_json::json!(["odd", 1]),
    );
    let id = app
        .store()
        .insert_observation(&failed.build())
        .await
        .unwrap();
    let page = app.observation_page(id, "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("bot_challenge"));
    assert!(page.body.contains("anti-bot"), "failure explained in words");
    // A failure is not a verdict: not called an anomaly (which says no rule matched).
    assert!(!page.body.contains("Anomaly"));
    assert!(page.body.contains("No raw page was kept"));
    let check = app.check_page("link.wechat.douyin", "").await;
    assert!(
        check.body.contains("failed: bot_challenge"),
        "{}",
        check.body
    );
    assert!(check.body.contains("anomaly"));
    // No snapshot to download.
    let none = app.raw_page(id).await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_raw_page_downloads_and_never_renders() {
    let app = app_with(Vec::new(), Duration::hours(1)).await;
    let (id, body, sha) = hostile_observation(app.store()).await;
    let raw = app.raw_page(id).await;
    assert_eq!(raw.status, StatusCode::OK);
    let h = &raw.headers;
    assert_eq!(h["content-type"], "application/octet-stream");
    // Saved to disk, it opens as text, not as a web page that runs its scripts.
    let disposition = h["content-disposition"].to_str().unwrap();
    assert_eq!(
        disposition,
        format!(
            "attachment; filename=\"hutong-observation-{id}-raw-page-{}.html.txt\"",
            &sha[..12]
        )
    );
    for web_page in [".html\"", ".htm\"", ".xhtml\"", ".svg\"", ".mht\""] {
        assert!(!disposition.ends_with(web_page), "{disposition}");
    }
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["content-security-policy"], "sandbox");
    assert_eq!(raw.bytes, body, "the original bytes, GBK and all");
}

#[tokio::test]
async fn observation_urls_are_checked() {
    let app = app_with(Vec::new(), Duration::hours(1)).await;
    let bad = app.observation_page("abc", "").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.body.contains("is not an observation number"),
        "{}",
        bad.body
    );
    for uri in ["/observations/-3", "/observations/abc/snapshot"] {
        assert_eq!(app.get(uri).await.status, StatusCode::BAD_REQUEST, "{uri}");
    }
    let missing = app.observation_page("999999", "").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("there is no observation 999999"));
    let missing = app.raw_page("999999").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

/// A finished run of `pack` that started `hours_ago`; `failed` means nothing observed.
async fn run(store: &Store, pack: &str, hours_ago: i64, failed: bool) {
    let started = Utc::now() - Duration::hours(hours_ago);
    let id = match store
        .begin_run(pack, "local", started, "schedule", 4, None)
        .await
        .unwrap()
    {
        RunStart::Fresh(id) => id,
        other => panic!("expected a fresh run, got {other:?}"),
    };
    let failures = if failed { 4 } else { 1 };
    store.finish_run(id, 4, failures, None).await.unwrap();
    store
        .set_run_times(id, started, Some(started + Duration::minutes(2)))
        .await
        .unwrap();
}

#[tokio::test]
async fn probes_page_lists_packs_and_flags_the_failing_one() {
    let mut unverified_sim = pack("sim-links");
    unverified_sim.simulated = true;
    unverified_sim.scheduled = false;
    let app = app_with(
        vec![pack("healthy"), pack("broken"), unverified_sim],
        Duration::hours(1),
    )
    .await;
    run(app.store(), "healthy", 5, true).await;
    run(app.store(), "healthy", 1, false).await;
    run(app.store(), "broken", 6, false).await;
    for h in [3, 2, 1, 0] {
        run(app.store(), "broken", h, true).await;
    }
    app.store()
        .record_method_change("healthy", Some(2), 3, 40, 2)
        .await
        .unwrap();

    let page = app.probes_page("").await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.html();
    let article = |id: &str| {
        html.select(&sel(&format!("article#pack-{id}")))
            .next()
            .unwrap_or_else(|| panic!("no pack {id}"))
            .text()
            .collect::<String>()
    };
    let broken = article("broken");
    assert!(broken.contains("FAILING"), "{broken}");
    assert!(
        broken.contains("Probe pack broken has failed for 3 h (4 runs); last success"),
        "{broken}"
    );
    assert!(
        broken.contains("Next run") && broken.contains("UTC+8"),
        "{broken}"
    );
    let healthy = article("healthy");
    assert!(!healthy.contains("FAILING"), "{healthy}");
    assert!(healthy.contains("unverified") && healthy.contains("endpoints not confirmed live"));
    let sim = article("sim-links");
    assert!(sim.contains("SIMULATED") && sim.contains("not scheduled by this process"));
    assert!(html.select(&sel("tr.run.failed")).count() >= 4);
    let changes: String = html
        .select(&sel("table.method-changes"))
        .next()
        .expect("method changes")
        .text()
        .collect();
    assert!(changes.contains("2 → 3"), "{changes}");
    assert!(page.body.contains("not a platform changing its policy"));
    assert!(
        html.select(&sel("nav a[href=\"/probes?lang=en\"][aria-current=page]"))
            .next()
            .is_some()
    );

    // The overview shows the alert and leads to the probes page.
    let overview = app.overview("").await;
    let doc = overview.html();
    let alert: String = doc
        .select(&sel(".probe-alert"))
        .next()
        .expect("probe alert on the overview")
        .text()
        .collect();
    assert!(
        alert.contains("Probe pack broken has failed for 3 h (4 runs)"),
        "{alert}"
    );
    assert!(!alert.contains("healthy"));
    assert!(
        doc.select(&sel(".probe-alert a[href=\"/probes?lang=en\"]"))
            .next()
            .is_some()
    );

    // The API says the same.
    let json = app.api_probes().await.json();
    let packs = json["packs"].as_array().unwrap();
    let find = |id: &str| packs.iter().find(|p| p["id"] == id).unwrap().clone();
    assert_eq!(find("broken")["failing"], true);
    assert_eq!(find("broken")["consecutive_failed_runs"], 4);
    assert_eq!(find("healthy")["failing"], false);
    assert!(find("healthy")["next_run"].is_string());
    assert_eq!(json["method_changes"][0]["to_version"], 3);
}

#[tokio::test]
async fn a_short_failure_is_not_yet_an_alert() {
    let app = app_with(vec![pack("flaky")], Duration::hours(2)).await;
    run(app.store(), "flaky", 3, false).await;
    run(app.store(), "flaky", 1, true).await;
    let page = app.probes_page("").await;
    assert!(!page.body.contains("FAILING:"), "{}", page.body);
    assert!(app.overview("").await.body.find("probe-alert").is_none());
    let json = app.api_probes().await.json();
    assert_eq!(json["packs"][0]["consecutive_failed_runs"], 1);
    assert_eq!(json["packs"][0]["failing"], false);
}

#[tokio::test]
async fn without_packs_the_probes_page_explains_what_they_are() {
    let app = app_with(Vec::new(), Duration::hours(1)).await;
    let page = app.probes_page("").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("No probe packs are loaded"));
    assert_eq!(
        app.api_probes().await.json()["packs"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn a_long_check_history_is_paged() {
    let app = app_with(Vec::new(), Duration::hours(1)).await;
    let start = Utc::now() - Duration::days(2);
    let batch: Vec<NewObservation> = (0..120)
        .map(|i| {
            probe_observation(
                "link.weibo.taobao",
                start + Duration::minutes(i),
                if i % 2 == 0 { "open" } else { "blocked" },
                ProbeFacts {
                    pack_id: "weibo-links".into(),
                    rule_version: 1,
                    confirmed: true,
                    confirmations: 1,
                    ..ProbeFacts::default()
                },
                serde_json::json!({ "rule": format!("rule-{i}") }),
            )
            .build()
        })
        .collect();
    app.store().insert_observations(&batch).await.unwrap();

    let rows = |body: &str| {
        let html = Html::parse_document(body);
        html.select(&sel("table.history tbody tr"))
            .map(|r| r.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    let first = app.check_page("link.weibo.taobao", "").await;
    assert_eq!(first.status, StatusCode::OK);
    let page1 = rows(&first.body);
    assert_eq!(page1.len(), 50);
    assert!(page1[0].contains("rule-119"), "newest first: {}", page1[0]);
    assert!(page1[49].contains("rule-70"), "{}", page1[49]);
    assert!(first.body.contains("120 observations; page 1 of 3"));
    let html = first.html();
    assert!(
        html.select(&sel(
            "a[rel=next][href=\"/checks/link.weibo.taobao?page=2&lang=en\"]"
        ))
        .next()
        .is_some()
    );

    let third = app.check_page("link.weibo.taobao", "page=3").await;
    let page3 = rows(&third.body);
    assert_eq!(page3.len(), 20);
    assert!(page3[19].contains("rule-0"));

    // Links keep the date.
    let dated = app
        .check_page("link.weibo.taobao", "page=2&at=2021-12-31")
        .await;
    let html = dated.html();
    for (rel, href) in [
        ("prev", "/checks/link.weibo.taobao?at=2021-12-31&lang=en"),
        (
            "next",
            "/checks/link.weibo.taobao?page=3&at=2021-12-31&lang=en",
        ),
    ] {
        assert!(
            html.select(&sel(&format!("a[rel={rel}][href=\"{href}\"]")))
                .next()
                .is_some(),
            "{rel} {href}"
        );
    }

    for uri in [
        "/checks/link.weibo.taobao?page=0",
        "/checks/link.weibo.taobao?page=x",
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.body.contains("is not a page number"), "{uri}");
    }
    assert_eq!(
        app.check_page("link.weibo.taobao", "page=4").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn simulated_platforms_stay_out_of_real_figures() {
    let app = app_with(Vec::new(), Duration::hours(1)).await;
    let cat = common::real_catalog();
    let simulated_platform = |slug: &str| {
        cat.platforms
            .iter()
            .find(|p| p.slug == slug)
            .and_then(|p| cat.groups.iter().find(|g| g.slug == p.group))
            .is_some_and(|g| g.simulated)
    };
    let real_checks = cat
        .checks
        .iter()
        .filter(|c| !simulated_platform(&c.subject) && !simulated_platform(&c.object))
        .count();
    let before = app.overview("").await.body;
    let before_counts = format!("observations of {real_checks} checks");
    assert!(before.contains(&before_counts), "{before}");

    // Nothing simulated observed yet: no simulated section.
    let links = app.links("").await;
    assert!(!links.body.contains("Simulated platforms (demo)"));
    assert!(!links.body.contains("link.simchat.simshop"));

    let sim = probe_observation(
        "link.simchat.simshop",
        Utc::now() - Duration::minutes(1),
        "open",
        ProbeFacts {
            pack_id: "sim-links".into(),
            rule_version: 1,
            confirmed: true,
            confirmations: 1,
            ..ProbeFacts::default()
        },
        serde_json::json!({ "rule": "redirect-to-target" }),
    )
    .source_kind(SourceKind::Simulated);
    let id = app.store().insert_observation(&sim.build()).await.unwrap();

    let links = app.links("").await;
    let html = links.html();
    let real: String = html
        .select(&sel("table.matrix[data-simulated=false]"))
        .next()
        .expect("the real matrix")
        .html();
    assert!(
        !real.contains("simchat") && !real.contains("SimShop"),
        "{real}"
    );
    let section = html
        .select(&sel("section.simulated-section"))
        .next()
        .expect("the simulated section");
    let heading: String = section.select(&sel("h2")).next().unwrap().text().collect();
    assert!(heading.contains("SIMULATED"), "{heading}");
    assert!(
        heading.contains("Simulated platforms (demo) — not real data"),
        "{heading}"
    );
    let caption: String = section
        .select(&sel("caption"))
        .next()
        .unwrap()
        .text()
        .collect();
    assert!(caption.contains("SIMULATED"), "{caption}");
    let cell = section
        .select(&sel(
            "a.cell-link[href=\"/checks/link.simchat.simshop?lang=en\"] .status",
        ))
        .next()
        .expect("the simulated cell");
    assert_eq!(cell.value().attr("data-status"), Some("open"));
    let cells = section.select(&sel("td:not(.na)")).count();
    let labels = section.select(&sel("td .sk-simulated")).count();
    assert!(
        cells > 0 && labels >= cells,
        "every cell labelled: {labels} of {cells}"
    );
    // The real matrix comes first.
    let real_at = links.body.find("data-simulated=\"false\"").unwrap();
    let sim_at = links.body.find("simulated-section").unwrap();
    assert!(real_at < sim_at);

    // Payments have no simulated observation: no simulated section there.
    assert!(!app.payments("").await.body.contains("simulated-section"));

    // Overview figures and the JSON matrix are unchanged.
    let after = app.overview("").await.body;
    assert!(after.contains(&before_counts), "{after}");
    let overview_figures = |body: &str| {
        Html::parse_document(body)
            .select(&sel("figure.openness figcaption"))
            .map(|f| f.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    assert_eq!(overview_figures(&before), overview_figures(&after));
    let matrix = app.api_matrix("kind=link").await.json();
    assert!(
        matrix["cells"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| !c["id"].as_str().unwrap().contains("sim"))
    );

    // Platform list and platform pages.
    let list = app.platforms("").await;
    let html = list.html();
    let main: String = html.select(&sel("table.checks")).next().unwrap().html();
    assert!(!main.contains("simchat"));
    assert!(
        list.body.contains("/platforms/simchat"),
        "listed apart, labelled"
    );
    let platform = app.platform_page("simchat", "").await;
    assert!(
        platform
            .body
            .contains("Simulated platform (demo) — not real data")
    );
    assert!(platform.body.contains("SIMULATED"));
    let real = app.platform_page("wechat", "").await;
    assert!(!real.body.contains("Simulated platform (demo)"));

    // The observation itself is loudly simulated.
    let obs = app.observation_page(id, "").await;
    assert!(obs.body.contains("SIMULATED"));
    assert!(obs.body.contains("not real data"));
}

/// Evidence exactly as the probe engine writes it for a checkout (the demo payments pack
/// against the simulator's SimShop).
const CHECKOUT_EVIDENCE: &str = r#"{"body_bytes":1278,"body_sha256":"db2a3fba9c35394c01faa13ab1c18dd18fd3d1142713a5dbead42132a53dd2db","charset":"UTF-8","content_type":"text/html; charset=utf-8","control":null,"detail":null,"excerpt":"支付宝花呗分期可用 (selected)","extracted":[{"methods":["alipay"],"names":["支付宝花呗分期可用","支付宝","ALI_PAY","paybox-alipay selected","tip","alipay"],"selected":true}],"failure":null,"final_url":"http://pay.simshop.test/cashier","hops":[{"elapsed_ms":1,"location":null,"status":200,"url":"http://pay.simshop.test/cashier"}],"location":null,"request_url":"http://pay.simshop.test/cashier","rule":"extract","rule_version":1,"status":200,"timings":{"fetch_ms":1,"total_ms":7}}"#;

#[tokio::test]
async fn a_checkout_observation_names_the_method_of_each_option() {
    let app = app_with(Vec::new(), Duration::hours(1)).await;
    let checkout = probe_observation(
        "payment.simshop.alipay",
        Utc::now() - Duration::minutes(5),
        "accepted",
        ProbeFacts {
            pack_id: "demo-payments".into(),
            rule_version: 1,
            confirmed: true,
            confirmations: 1,
            ..ProbeFacts::default()
        },
        serde_json::from_str(CHECKOUT_EVIDENCE).expect("the evidence is JSON"),
    )
    .source_kind(SourceKind::Simulated);
    let id = app
        .store()
        .insert_observation(&checkout.build())
        .await
        .unwrap();
    let page = app.observation_page(id, "").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let html = page.html();
    let option = html
        .select(&sel("ul.extracted li"))
        .next()
        .expect("the option read off the checkout");
    let words: String = option.text().collect();
    assert!(words.contains("支付宝"), "{words}");
    let method: String = html
        .select(&sel("ul.extracted li code"))
        .next()
        .expect("the option's method")
        .text()
        .collect();
    assert_eq!(method, "alipay", "{words}");
}

/// On /probes the real packs come before the demo packs, whatever the catalog's order,
/// and a next run is given only for a pack this server really schedules.
#[tokio::test]
async fn real_packs_come_first_and_only_scheduled_packs_have_a_next_run() {
    let mut demo = pack("a-demo");
    demo.simulated = true;
    let mut idle = pack("z-unscheduled");
    idle.scheduled = false;
    let app = app_with(vec![demo, pack("real"), idle], Duration::hours(1)).await;
    let html = app.probes_page("").await.html();
    let order: Vec<String> = html
        .select(&sel("article.pack"))
        .filter_map(|a| a.value().attr("id").map(str::to_string))
        .collect();
    assert_eq!(
        order,
        ["pack-real", "pack-z-unscheduled", "pack-a-demo"],
        "real packs first, demo packs after"
    );
    let next_run = |id: &str| {
        let article = html
            .select(&sel(&format!("article#pack-{id}")))
            .next()
            .unwrap_or_else(|| panic!("no pack {id}"));
        let text: String = article.text().collect();
        text.split("Next run")
            .nth(1)
            .unwrap_or_else(|| panic!("pack {id} has no next-run line: {text}"))
            .trim_start()
            .chars()
            .take(12)
            .collect::<String>()
    };
    assert!(
        next_run("real")
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit()),
        "a scheduled pack says when it runs next: {:?}",
        next_run("real")
    );
    assert!(
        !next_run("z-unscheduled").starts_with(|c: char| c.is_ascii_digit()),
        "a pack not scheduled here has no next run: {:?}",
        next_run("z-unscheduled")
    );
}

/// A check of simulated platforms says, above everything else, that it is demo data; a
/// real check does not.
#[tokio::test]
async fn a_simulated_check_page_carries_the_banner() {
    let app = app_with(Vec::new(), Duration::hours(1)).await;
    for lang in ["en", "zh-CN"] {
        let sim = app
            .check_page("link.simchat.simshop", &format!("lang={lang}"))
            .await;
        assert_eq!(sim.status, StatusCode::OK, "{}", sim.body);
        let banner: Vec<String> = sim
            .html()
            .select(&sel("main .simulated-banner"))
            .map(|b| b.text().collect())
            .collect();
        assert_eq!(banner.len(), 1, "{lang}: one banner: {banner:?}");
        let real = app
            .check_page("link.wechat.taobao", &format!("lang={lang}"))
            .await;
        assert!(
            real.html()
                .select(&sel(".simulated-banner"))
                .next()
                .is_none()
        );
    }
}
