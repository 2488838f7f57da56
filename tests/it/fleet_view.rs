//! The fleet as a reader meets it, through the real router: /probes lists each vantage
//! point and each worker with its heartbeat, leases and takeovers (and so does the API);
//! the overview flags a vantage point silent for longer than the threshold, not before,
//! and no longer once it speaks again. Workers and runs are made through storage calls,
//! not processes, so the stories take milliseconds.

use crate::common::{self, TestApp, sel};
use chrono::{DateTime, Duration, Utc};
use hutong::config::VantagePoint;
use hutong::storage::{Claim, LeaseHolder, Store, WorkerRecord};
use hutong::web::app_state::FleetWatch;
use hutong_app::i18n::Lang;

fn worker(id: &str, vantage: &str, heartbeat: DateTime<Utc>) -> WorkerRecord {
    WorkerRecord {
        id: id.into(),
        host: format!("host-of-{id}"),
        pid: 4242,
        vantage: vantage.into(),
        started_at: heartbeat - Duration::minutes(10),
        last_heartbeat: heartbeat,
        stopped_at: None,
    }
}

fn holder(id: &str, lease_ms: u64) -> LeaseHolder {
    LeaseHolder {
        worker_id: id.into(),
        lease: std::time::Duration::from_millis(lease_ms),
    }
}

/// The text of the element `selector` in `html` (panics when it is missing).
fn text_of(html: &scraper::Html, selector: &str) -> String {
    html.select(&sel(selector))
        .next()
        .unwrap_or_else(|| panic!("no {selector}"))
        .text()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The cells of the row `selector`, by their label.
fn cell(html: &scraper::Html, row: &str, label: &str) -> String {
    let row = html
        .select(&sel(row))
        .next()
        .unwrap_or_else(|| panic!("no {row}"));
    row.select(&sel("td, th"))
        .find(|c| c.value().attr("data-label") == Some(label))
        .unwrap_or_else(|| panic!("{row:?} has no cell {label}"))
        .text()
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_string()
}

/// Two workers at a Beijing vantage point, one of whose runs the other took over after
/// its lease ran out; a stopped worker elsewhere.
async fn a_small_fleet(store: &Store) -> i64 {
    store
        .register_vantage_point(&VantagePoint {
            name: "cn-bj-unicom".into(),
            description: Some("Beijing, China Unicom home broadband".into()),
            network: Some("AS4837".into()),
            region: Some("Beijing".into()),
            account_region: Some("mainland China".into()),
            device: None,
        })
        .await
        .unwrap();
    let now = Utc::now();
    store
        .register_worker(&worker("w-bj-1", "cn-bj-unicom", now))
        .await
        .unwrap();
    store
        .register_worker(&worker("w-bj-2", "cn-bj-unicom", now))
        .await
        .unwrap();
    store
        .register_worker(&worker("w-hk-1", "hk-hkt", now - Duration::hours(3)))
        .await
        .unwrap();
    store.release_worker("w-hk-1").await.unwrap();
    // w-bj-1 claims a slot under a lease that runs out at once; w-bj-2 takes it over.
    let due = now - Duration::minutes(1);
    let claim = store
        .claim_slot(
            "wechat-links",
            "cn-bj-unicom",
            due,
            &holder("w-bj-1", 1),
            |_| None,
        )
        .await
        .unwrap();
    let Claim::Claimed { run_id, .. } = claim else {
        panic!("not claimed: {claim:?}");
    };
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let taken = store
        .take_over_run("wechat-links", "cn-bj-unicom", &holder("w-bj-2", 600_000))
        .await
        .unwrap()
        .expect("the expired lease is taken over");
    assert_eq!(taken.run_id, run_id);
    // Its heartbeat keeps the lease.
    assert_eq!(
        store
            .heartbeat(&holder("w-bj-2", 600_000), &[run_id])
            .await
            .unwrap(),
        [run_id]
    );
    run_id
}

#[tokio::test]
async fn probes_lists_each_vantage_point_and_worker_with_heartbeat_leases_and_takeovers() {
    let db = common::sqlite().await;
    let run_id = a_small_fleet(&db.store).await;
    let app = TestApp::on(db);

    let page = app.probes_page("").await;
    assert_eq!(page.status, 200);
    let html = page.html();
    let en = Lang::En;
    let bj = "tr#vantage-cn-bj-unicom";
    let name = text_of(&html, &format!("{bj} th"));
    assert!(name.contains("cn-bj-unicom"), "{name}");
    assert!(
        name.contains("Beijing, China Unicom home broadband"),
        "{name}"
    );
    assert!(
        name.contains("AS4837") && name.contains("mainland China"),
        "{name}"
    );
    assert_eq!(cell(&html, bj, &en.t("fleet-col-workers-alive")), "2");
    assert_eq!(cell(&html, bj, &en.t("fleet-col-runs")), "1");
    assert_eq!(cell(&html, bj, &en.t("fleet-col-failures")), "0");
    assert_eq!(cell(&html, bj, &en.t("fleet-col-leases")), "1");
    assert_eq!(cell(&html, bj, &en.t("fleet-col-takeovers")), "1");
    let seen = cell(&html, bj, &en.t("fleet-col-last-seen"));
    assert!(
        seen.contains("UTC+8") && seen.contains("just now"),
        "{seen}"
    );

    let w2 = "tr#worker-w-bj-2";
    assert!(cell(&html, w2, &en.t("fleet-col-host")).contains("host-of-w-bj-2"));
    assert!(cell(&html, w2, &en.t("fleet-col-host")).contains("4242"));
    assert_eq!(cell(&html, w2, &en.t("fleet-col-vantage")), "cn-bj-unicom");
    assert_eq!(cell(&html, w2, &en.t("fleet-col-state")), "alive");
    assert_eq!(cell(&html, w2, &en.t("fleet-col-leases")), "1");
    assert_eq!(cell(&html, w2, &en.t("fleet-col-takeovers")), "1");
    assert!(cell(&html, w2, &en.t("fleet-col-heartbeat")).contains("just now"));
    // The worker whose lease was taken holds nothing now.
    assert_eq!(
        cell(&html, "tr#worker-w-bj-1", &en.t("fleet-col-leases")),
        "0"
    );
    let hk = cell(&html, "tr#worker-w-hk-1", &en.t("fleet-col-state"));
    assert!(hk.starts_with("stopped"), "{hk}");
    let heard = cell(&html, "tr#vantage-hk-hkt", &en.t("fleet-col-last-seen"));
    assert!(heard.contains("3 h ago"), "{heard}");
    // Stopped cleanly is not flagged like a worker without a heartbeat.
    let class = |id: &str| {
        let row = html
            .select(&sel(&format!("tr#worker-{id}")))
            .next()
            .unwrap();
        row.value().attr("class").unwrap_or_default().to_string()
    };
    assert_eq!(class("w-hk-1"), "worker stopped");
    assert_eq!(class("w-bj-2"), "worker alive");
    // The stopped worker's point is not alive, and was last heard from 3 h ago.
    assert_eq!(
        cell(&html, "tr#vantage-hk-hkt", &en.t("fleet-col-workers-alive")),
        "0"
    );

    let takeover = text_of(&html, "table.takeovers tbody tr");
    assert!(
        takeover.contains(&format!("run {run_id} of wechat-links")),
        "{takeover}"
    );
    assert!(
        takeover.contains("w-bj-1") && takeover.contains("w-bj-2"),
        "{takeover}"
    );
    assert!(
        takeover.find("w-bj-1") < takeover.find("w-bj-2"),
        "from → to: {takeover}"
    );

    // In Chinese.
    let zh = app.probes_page("lang=zh-CN").await.html();
    let zh_lang = Lang::ZhCn;
    assert!(text_of(&zh, "#h-vantages").contains("探测点"));
    assert_eq!(cell(&zh, w2, &zh_lang.t("fleet-col-state")), "在线");
    assert!(cell(&zh, bj, &zh_lang.t("fleet-col-last-seen")).contains("北京时间"));

    // The API says the same.
    let api = app.api_probes().await.json();
    let point = api["vantage_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "cn-bj-unicom")
        .expect("the point in the API");
    assert_eq!(point["description"], "Beijing, China Unicom home broadband");
    assert_eq!(point["workers_alive"], 2);
    assert_eq!(point["runs_last_hour"], 1);
    assert_eq!(point["leases"], 1);
    assert_eq!(point["silent"], false);
    let w = api["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == "w-bj-2")
        .expect("the worker in the API");
    assert_eq!(
        (w["alive"].clone(), w["leases"].clone()),
        (true.into(), 1.into())
    );
    assert_eq!(api["takeovers"][0]["from_worker"], "w-bj-1");
    assert_eq!(api["takeovers"][0]["to_worker"], "w-bj-2");
    assert_eq!(api["takeovers"][0]["run_id"], run_id);
}

/// The overview's silent-vantage banner, if any.
async fn silent_banner(app: &TestApp, query: &str) -> Option<String> {
    let html = app.overview(query).await.html();
    html.select(&sel(".vantage-alert"))
        .next()
        .map(|e| e.text().collect::<Vec<_>>().join(" "))
}

#[tokio::test]
async fn the_overview_flags_a_vantage_point_silent_past_the_threshold_until_it_speaks() {
    let db = common::sqlite().await;
    let store = db.store.clone();
    let app = TestApp::builder(db)
        .probe_alert_after(Duration::hours(1))
        .build();
    // Heard from 50 minutes ago: not yet.
    let now = Utc::now();
    store
        .register_worker(&worker(
            "w-sh",
            "cn-sh-telecom",
            now - Duration::minutes(50),
        ))
        .await
        .unwrap();
    assert_eq!(silent_banner(&app, "").await, None);

    // 70 minutes ago: flagged, named, with since when (Beijing time).
    let last = now - Duration::minutes(70);
    store
        .register_worker(&worker("w-sh", "cn-sh-telecom", last))
        .await
        .unwrap();
    let banner = silent_banner(&app, "").await.expect("flagged");
    assert!(banner.contains("A vantage point is silent"), "{banner}");
    assert!(banner.contains("cn-sh-telecom"), "{banner}");
    assert!(banner.contains("1 h"), "{banner}");
    assert!(banner.contains(&Lang::En.datetime(last)), "{banner}");
    let zh = silent_banner(&app, "lang=zh-CN").await.expect("flagged");
    assert!(
        zh.contains("有探测点沉默") && zh.contains(&Lang::ZhCn.datetime(last)),
        "{zh}"
    );
    // /probes marks the row too.
    let probes = app.probes_page("").await.html();
    assert!(text_of(&probes, "tr#vantage-cn-sh-telecom").contains("SILENT"));

    // It speaks again: the flag is gone.
    store.heartbeat(&holder("w-sh", 30_000), &[]).await.unwrap();
    assert_eq!(silent_banner(&app, "").await, None);
}

/// A configured vantage point never heard from is flagged once configured for longer than
/// the threshold; a registered one that is not configured (the default `local` of a
/// server with nothing to probe) is not watched.
#[tokio::test]
async fn a_configured_vantage_point_never_heard_from_is_flagged_and_an_unconfigured_one_not() {
    let db = common::sqlite().await;
    let store = db.store.clone();
    for name in ["cn-gz-mobile", "local"] {
        store
            .register_vantage_point(&VantagePoint::named(name))
            .await
            .unwrap();
    }
    let app = |after: Duration| {
        TestApp::builder(db.clone())
            .probe_alert_after(after)
            .fleet(FleetWatch {
                configured: vec!["cn-gz-mobile".into()],
                ..FleetWatch::default()
            })
            .build()
    };
    assert_eq!(silent_banner(&app(Duration::hours(1)), "").await, None);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let banner = silent_banner(&app(Duration::zero()), "")
        .await
        .expect("flagged");
    assert!(
        banner.contains("cn-gz-mobile") && banner.contains("never been heard from"),
        "{banner}"
    );
    assert!(!banner.contains("local"), "{banner}");
    let probes = app(Duration::zero()).probes_page("").await.html();
    assert!(
        cell(
            &probes,
            "tr#vantage-cn-gz-mobile",
            &Lang::En.t("fleet-col-last-seen")
        )
        .contains("never seen")
    );
}

/// A pack every six hours, as the real ones are.
fn six_hourly() -> hutong::probes::PackSummary {
    hutong::probes::PackSummary {
        id: "wechat-links".into(),
        name_en: "WeChat links".into(),
        name_zh: "微信链接".into(),
        kind: "link".into(),
        version: 1,
        verified: true,
        simulated: false,
        enabled: true,
        scheduled: true,
        schedule: "0 7 */6 * * *".into(),
        confirmations: 1,
        checks: vec!["link.wechat.taobao".into()],
        file: "probes/wechat-links.toml".into(),
    }
}

/// A finished run at `vantage` that started `ago`.
async fn run_at(store: &Store, vantage: &str, ago: Duration) {
    let started = Utc::now() - ago;
    let id = match store
        .begin_run("wechat-links", vantage, started, "schedule", 1, None)
        .await
        .unwrap()
    {
        hutong::storage::RunStart::Fresh(id) => id,
        other => panic!("expected a fresh run, got {other:?}"),
    };
    store.finish_run(id, 1, 0, None).await.unwrap();
    store
        .set_run_times(id, started, Some(started + Duration::minutes(1)))
        .await
        .unwrap();
}

/// A point probed by `serve`'s scheduler (no worker, so no heartbeat) speaks only when a
/// slot comes: between two six-hourly slots it is not silent; past the next slot and the
/// threshold it is.
#[tokio::test]
async fn a_point_without_workers_is_silent_only_past_its_next_slot_and_the_threshold() {
    let db = common::sqlite().await;
    let store = db.store.clone();
    let app = TestApp::builder(db)
        .packs(vec![six_hourly()])
        .probe_alert_after(Duration::hours(1))
        .build();
    run_at(&store, "local", Duration::hours(3)).await;
    assert_eq!(silent_banner(&app, "").await, None);
    run_at(&store, "cn-sz-mobile", Duration::hours(8)).await;
    let banner = silent_banner(&app, "").await.expect("flagged");
    assert!(
        banner.contains("cn-sz-mobile") && !banner.contains("local"),
        "{banner}"
    );
    // A server that schedules the pack nowhere (PostgreSQL, workers gone): nothing here
    // speaks for `local` any more, so three hours without a run is silence.
    let unscheduled = hutong::probes::PackSummary {
        scheduled: false,
        ..six_hourly()
    };
    let app = TestApp::builder(app.db.clone())
        .packs(vec![unscheduled])
        .probe_alert_after(Duration::hours(1))
        .build();
    let banner = silent_banner(&app, "").await.expect("flagged");
    assert!(banner.contains("local"), "{banner}");
}
