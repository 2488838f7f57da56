//! Vantage points as a reader sees them: `serve --demo` probing from two simulated vantage
//! points, the check page's section per vantage point with its 30-day window, and
//! agreement and disagreement between vantage points in the matrices.

use crate::common;
use hutong::simulator::{LinkState, Simulator, Timetable};

/// `serve --demo` with nothing configured: both demo points registered with what they
/// stand for, each probing the simulated packs under its own `simulated` source, and the
/// two networks answering some links differently.
#[tokio::test]
async fn the_demo_probes_from_two_vantage_points_that_disagree_on_some_links() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = hutong::config::Config {
        database_url: format!("sqlite://{}", dir.path().join("hutong.db").display()),
        listen: "127.0.0.1:0".parse().unwrap(),
        catalog_dir: common::catalog_dir(),
        ..hutong::config::Config::default()
    };
    config.probes.demo = true;
    config.probes.schedule = false;
    let app = hutong::serve::Application::build(&config).await.unwrap();
    let store = app.store().clone();

    let registered = store.vantage_points().await.unwrap();
    let names: Vec<&str> = registered.iter().map(|p| p.point.name.as_str()).collect();
    assert_eq!(names, ["sim-beijing", "sim-hongkong"]);
    for p in &registered {
        let description = p.point.description.as_deref().unwrap_or("");
        assert!(description.starts_with("Simulated:"), "{description}");
    }

    let probes = app.probes();
    assert_eq!(probes.engine.vantage(), "sim-beijing");
    assert_eq!(
        probes.elsewhere.len(),
        1,
        "one more point besides the first"
    );
    let hk = &probes.elsewhere[0];
    assert_eq!(hk.engine.vantage(), "sim-hongkong");
    assert!(hk.scheduled.contains(&"demo-simtalk-links".to_string()));
    assert!(
        hk.scheduled.iter().all(|id| id.starts_with("demo-")),
        "only simulated packs at a simulated point: {:?}",
        hk.scheduled
    );

    let slot = chrono::Utc::now();
    for pack in ["demo-simchat-links", "demo-simtalk-links"] {
        for engine in [&probes.engine, &hk.engine] {
            engine
                .run_pack(pack, slot, "manual", None, &|_| {})
                .await
                .unwrap_or_else(|e| panic!("{pack} at {}: {e}", engine.vantage()));
        }
    }
    let check = "link.simtalk.simshop";
    let of = |vantage: &'static str| {
        let store = store.clone();
        async move {
            store
                .run_observations_at("demo-simtalk-links", vantage, slot)
                .await
                .unwrap()
                .into_iter()
                .find(|o| o.check_id == check)
                .unwrap_or_else(|| panic!("{check} probed at {vantage}"))
        }
    };
    let (bj, hk_seen) = (of("sim-beijing").await, of("sim-hongkong").await);
    assert_eq!(bj.source_kind, "simulated");
    assert_eq!(bj.source_key, "simulated:demo-simtalk-links@sim-beijing");
    assert_eq!(
        hk_seen.source_key,
        "simulated:demo-simtalk-links@sim-hongkong"
    );
    assert_ne!(
        bj.status, hk_seen.status,
        "SimTalk answers this link differently from Hong Kong"
    );
    drop(app);
}

/// What the simulator answers from another vantage point: the same for some links,
/// another state for others, whatever the timetable.
#[test]
fn a_simulator_seen_from_elsewhere_answers_some_links_differently() {
    let here = Simulator::new(Timetable::Fixed);
    let there = Simulator::seen_from(Timetable::Fixed, "sim-hongkong");
    assert_eq!(there.vantage(), Some("sim-hongkong"));
    let links = [
        ("simchat", "simshop"),
        ("simchat", "simvideo"),
        ("simchat", "simnews"),
        ("simtalk", "simshop"),
        ("simtalk", "simvideo"),
        ("simtalk", "simnews"),
    ];
    let differing = links
        .iter()
        .filter(|(app, target)| here.link_state(app, target) != there.link_state(app, target))
        .count();
    assert!(differing > 0 && differing < links.len(), "{differing}");
    // A pinned link is what it is pinned to, wherever it is seen from.
    there.set_link("simtalk", "simshop", LinkState::Open);
    assert_eq!(there.link_state("simtalk", "simshop"), LinkState::Open);
}

/// Confirmed probe verdicts of `check` from `vantage`, one a day, the last on `last`.
async fn verdicts(
    store: &hutong::storage::Store,
    check: &str,
    vantage: &str,
    last: chrono::DateTime<chrono::Utc>,
    statuses: &[&str],
) {
    let n = statuses.len() as i64;
    for (i, status) in statuses.iter().enumerate() {
        let at = last - chrono::Duration::days(n - 1 - i as i64);
        let o = common::observation(check, at, status)
            .probed()
            .vantage(vantage)
            .pack(hutong::domain::ProbeFacts {
                pack_id: "wechat-links".into(),
                rule_version: 1,
                confirmed: true,
                confirmations: 1,
                ..Default::default()
            })
            .evidence(serde_json::json!({ "final_url": "https://example.com/" }))
            .build();
        store.insert_observation(&o).await.unwrap();
    }
}

fn march(d: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, d, 4, 0, 0).unwrap()
}

/// The text of the element `selector` in `page` (whitespace collapsed), or "" when absent.
fn text_of(page: &scraper::Html, selector: &str) -> String {
    page.select(&common::sel(selector))
        .map(|e| e.text().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn the_check_page_has_a_section_per_vantage_point_with_its_30_day_window() {
    let app = common::TestApp::new().await;
    let check = "link.wechat.taobao";
    app.store()
        .register_vantage_point(&hutong::config::VantagePoint {
            name: "cn-bj".into(),
            description: Some("Beijing, China Unicom home broadband".into()),
            account_region: Some("mainland China".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    // Beijing: open, then blocked three days in a row; an older open outside the window.
    verdicts(
        app.store(),
        check,
        "cn-bj",
        march(1) - chrono::Duration::days(40),
        &["open"],
    )
    .await;
    verdicts(
        app.store(),
        check,
        "cn-bj",
        march(20),
        &["open", "blocked", "blocked", "blocked"],
    )
    .await;
    // Hong Kong (never registered) spoke only long before the window.
    verdicts(
        app.store(),
        check,
        "hk",
        march(1) - chrono::Duration::days(300),
        &["open"],
    )
    .await;

    let page = app.check_page(check, "at=2025-03-20").await.html();
    let bj = text_of(&page, "section#vantage-cn-bj-wechat-links");
    assert!(bj.contains("Vantage point cn-bj"), "{bj}");
    assert!(bj.contains("Beijing, China Unicom home broadband"), "{bj}");
    assert!(
        bj.contains("Accounts registered in: mainland China"),
        "{bj}"
    );
    assert!(bj.contains("Latest verdict: Blocked"), "{bj}");
    assert!(
        bj.contains("Opens directly 直接打开 → Blocked"),
        "its change: {bj}"
    );
    assert!(
        bj.contains("4 confirmed verdicts from 18 Feb 2025 to 20 Mar 2025 (Beijing days)"),
        "{bj}"
    );
    assert!(
        bj.contains("Blocked: 75%") && bj.contains("Opens directly: 25%"),
        "{bj}"
    );
    assert!(!bj.contains("Stale"), "{bj}");

    let hk = text_of(&page, "section#vantage-hk-wechat-links");
    assert!(hk.contains("no Hutong process has registered"), "{hk}");
    assert!(
        hk.contains("No confirmed verdict from 18 Feb 2025 to 20 Mar 2025"),
        "an empty window says so: {hk}"
    );
    assert!(
        hk.contains("Stale: evidence 319 days old"),
        "old evidence never reads as current: {hk}"
    );
    assert!(!hk.contains('%'), "{hk}");

    let zh = app
        .check_page(check, "at=2025-03-20&lang=zh-CN")
        .await
        .html();
    let bj = text_of(&zh, "section#vantage-cn-bj-wechat-links");
    assert!(bj.contains("观察点 cn-bj"), "{bj}");
    assert!(
        bj.contains("2025年2月18日 至 2025年3月20日（北京时间）共 4 个已确认判定"),
        "{bj}"
    );
    assert!(bj.contains("屏蔽：75%"), "{bj}");
    let hk = text_of(&zh, "section#vantage-hk-wechat-links");
    assert!(hk.contains("没有已确认判定"), "{hk}");
    assert!(hk.contains("已过时"), "{hk}");
}

#[tokio::test]
async fn a_matrix_cell_counts_agreeing_vantage_points_and_flags_the_split() {
    let app = common::TestApp::new().await;
    let check = "link.wechat.taobao";
    verdicts(app.store(), check, "hk", march(18), &["open"]).await;
    verdicts(app.store(), check, "cn-sh", march(19), &["blocked"]).await;
    verdicts(app.store(), check, "cn-bj", march(20), &["blocked"]).await;
    // One vantage point only: nothing to count.
    verdicts(
        app.store(),
        "link.wechat.jd",
        "cn-bj",
        march(20),
        &["blocked"],
    )
    .await;

    let cell_text = |page: &scraper::Html, id: &str| {
        page.select(&common::sel("div.cell"))
            .find(|c| {
                c.select(&common::sel("a.cell-link")).any(|a| {
                    a.value()
                        .attr("href")
                        .is_some_and(|h| h.starts_with(&format!("/checks/{id}?")))
                })
            })
            .map(|c| {
                (
                    c.value().attr("class").unwrap_or("").to_string(),
                    c.text().collect::<String>(),
                )
            })
            .unwrap_or_else(|| panic!("a cell for {id}"))
    };
    let page = app.links("at=2025-03-20").await.html();
    let (class, text) = cell_text(&page, check);
    assert!(text.contains("Blocked at 2 of 3 vantage points"), "{text}");
    assert!(class.contains("disputed"), "the split is flagged: {class}");
    assert!(text.contains("Sources disagree:"), "{text}");
    let (_, one) = cell_text(&page, "link.wechat.jd");
    assert!(!one.contains("vantage point"), "{one}");

    // The JSON says the same, for programs.
    let json = app.api_matrix("kind=link&at=2025-03-20").await.json();
    let cell = |id: &str| {
        json["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} in {json}"))
    };
    let agreement = &cell(check)["state"]["vantage_agreement"];
    assert_eq!(agreement["status"], "blocked", "{agreement}");
    assert_eq!(agreement["agreeing"], 2);
    assert_eq!(agreement["points"], 3);
    assert_eq!(cell(check)["state"]["disagreement"], true);
    assert!(cell("link.wechat.jd")["state"]["vantage_agreement"].is_null());

    let zh = app.links("at=2025-03-20&lang=zh-CN").await.html();
    let (_, text) = cell_text(&zh, check);
    assert!(text.contains("3 个观察点中 2 个：屏蔽"), "{text}");
}
