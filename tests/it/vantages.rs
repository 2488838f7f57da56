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
    let names: Vec<String> = app
        .store()
        .vantage_points()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.point.name)
        .collect();
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
