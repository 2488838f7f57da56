//! Vantage points as data: the registry (both backends), each point's verdicts on the check
//! page and in its API, agreement in the matrices, and the 30-day windowed verdict.

use crate::common;
use hutong::config::VantagePoint;
use hutong::storage::Store;

common::on_both!(vantage_points_are_registered_by_name_and_re_described);

async fn vantage_points_are_registered_by_name_and_re_described(store: &Store) {
    assert!(store.vantage_points().await.unwrap().is_empty());
    let mut bj = VantagePoint {
        name: "cn-bj-unicom".into(),
        description: Some("Beijing, China Unicom home broadband".into()),
        region: Some("Beijing".into()),
        ..VantagePoint::default()
    };
    store.register_vantage_point(&bj).await.unwrap();
    store
        .register_vantage_point(&VantagePoint::named("hk-hkt"))
        .await
        .unwrap();
    let first = store.vantage_points().await.unwrap();
    let names: Vec<&str> = first.iter().map(|p| p.point.name.as_str()).collect();
    assert_eq!(names, ["cn-bj-unicom", "hk-hkt"]);
    assert_eq!(first[0].point, bj);

    // A worker restarted with a new description: one row, described anew, first seen kept.
    bj.description = Some("Beijing, China Unicom mobile (5G)".into());
    bj.region = None;
    store.register_vantage_point(&bj).await.unwrap();
    let again = store.vantage_points().await.unwrap();
    assert_eq!(again.len(), 2);
    assert_eq!(
        again[0].point.description.as_deref(),
        Some("Beijing, China Unicom mobile (5G)")
    );
    assert_eq!(again[0].point.region, None);
    assert_eq!(again[0].first_registered_at, first[0].first_registered_at);
    assert!(again[0].registered_at >= first[0].registered_at);

    // A malformed point is refused and nothing stored changes.
    let err = store
        .register_vantage_point(&VantagePoint::named("Not An Id"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("Not An Id"), "{err}");
    assert_eq!(store.vantage_points().await.unwrap().len(), 2);
}

fn serve_config(dir: &std::path::Path) -> hutong::config::Config {
    let mut config = hutong::config::Config {
        database_url: format!("sqlite://{}", dir.join("hutong.db").display()),
        listen: "127.0.0.1:0".parse().unwrap(),
        catalog_dir: common::catalog_dir(),
        ..hutong::config::Config::default()
    };
    config.probes.vantage = "cn-bj-unicom".into();
    config.probes.vantage_points = vec![
        VantagePoint {
            name: "cn-bj-unicom".into(),
            description: Some("Beijing, China Unicom home broadband".into()),
            ..VantagePoint::default()
        },
        VantagePoint::named("hk-hkt"),
    ];
    config
}

#[tokio::test]
async fn serve_registers_its_vantage_points_and_refuses_an_unknown_own_one() {
    let tmp = tempfile::tempdir().unwrap();
    let config = serve_config(tmp.path());
    let app = hutong::serve::Application::build(&config).await.unwrap();
    let names = common::vantage_names(app.store()).await;
    assert_eq!(names, ["cn-bj-unicom", "hk-hkt"]);
    drop(app);

    let mut typo = serve_config(tmp.path());
    typo.probes.vantage = "cn-bj-unicon".into();
    let err = format!(
        "{:#}",
        hutong::serve::Application::build(&typo)
            .await
            .err()
            .expect("an unknown vantage point stops start-up")
    );
    assert!(
        err.contains("\"cn-bj-unicon\" is not one of the configured vantage points"),
        "{err}"
    );
}

/// Confirmed probe verdicts of `check` from `vantage`, one per day ending on `last`.
async fn verdicts(
    store: &Store,
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

#[tokio::test]
async fn the_check_api_gives_each_vantage_points_30_day_shares_with_the_window() {
    let app = common::TestApp::new().await;
    let check = "link.wechat.taobao";
    let day =
        |d: u32| chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2025, 3, d, 4, 0, 0).unwrap();
    // Beijing: 3 blocked, 1 open within the window; an older open verdict is outside it.
    verdicts(
        app.store(),
        check,
        "cn-bj",
        day(1) - chrono::Duration::days(40),
        &["open"],
    )
    .await;
    verdicts(
        app.store(),
        check,
        "cn-bj",
        day(20),
        &["blocked", "open", "blocked", "blocked"],
    )
    .await;
    // Hong Kong spoke only long ago: an empty window, not its old verdict as current.
    verdicts(
        app.store(),
        check,
        "hk",
        day(1) - chrono::Duration::days(60),
        &["open"],
    )
    .await;

    let json = app.api_check(check, "at=2025-03-20").await.json();
    let window = &json["window"];
    assert_eq!(window["days"], 30, "{json}");
    assert_eq!(window["from"], "2025-02-18");
    assert_eq!(window["to"], "2025-03-20");
    let points = window["vantage_points"].as_array().unwrap();
    let of = |v: &str| points.iter().find(|p| p["vantage"] == v).cloned().unwrap();
    let bj = of("cn-bj");
    assert_eq!(bj["verdicts"], 4);
    assert_eq!(bj["shares"][0]["status"], "blocked");
    assert_eq!(bj["shares"][0]["share"], 0.75);
    assert_eq!(bj["shares"][1]["status"], "open");
    assert_eq!(bj["shares"][1]["share"], 0.25);
    let hk = of("hk");
    assert_eq!(hk["verdicts"], 0);
    assert_eq!(hk["shares"].as_array().unwrap().len(), 0);
    assert!(hk["latest_at"].is_null());

    // A date before Beijing's blocked days: its window holds only what was known then.
    let earlier = app.api_check(check, "at=2025-03-17").await.json();
    let bj = earlier["window"]["vantage_points"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["vantage"] == "cn-bj")
        .cloned()
        .unwrap();
    assert_eq!(bj["verdicts"], 1);
    assert_eq!(bj["shares"][0]["status"], "blocked");
}
