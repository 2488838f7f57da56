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
