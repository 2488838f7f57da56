//! The in-app control: a known-good link sent through the same bridge as the targets.
//! While the bridge lets it through, verdicts stand and the evidence says so; when the
//! bridge intercepts everything, every verdict of the run is `unknown` / `bridge_failed`
//! (the bridge misbehaves, not the targets), shown in both languages.

use crate::common::{self, TestApp, real_catalog, sqlite};
use chrono::{TimeZone, Utc};
use hutong::probes::engine::Engine;
use hutong::probes::fetch::{Fetcher, FetcherOptions};
use hutong::probes::pack::{ProbePack, validate_packs};
use hutong::simulator::{LinkState, Simulator, Timetable};
use std::path::PathBuf;

const PACK: &str = "probes/demo-simchat-links.toml";

fn pack_text(edit: impl Fn(String) -> String) -> String {
    edit(std::fs::read_to_string(common::catalog_dir().join(PACK)).unwrap())
}

/// The SimChat pack with `section` added after its `[control]`.
fn with_section(section: &str) -> String {
    pack_text(|t| {
        t.replace(
            "[control]\nurl = \"{target_raw}\"\nfollow_redirects = true\n",
            &format!("[control]\nurl = \"{{target_raw}}\"\nfollow_redirects = true\n\n{section}\n"),
        )
    })
}

fn compile(text: &str) -> Result<ProbePack, String> {
    validate_packs(&[(PathBuf::from("demo.toml"), text)], &real_catalog())
        .map(|mut p| p.remove(0))
        .map_err(|p| p.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bridge_that_intercepts_the_known_good_link_makes_every_verdict_unknown() {
    let db = sqlite().await;
    db.store.apply_catalog(&real_catalog()).await.unwrap();
    let sim = Simulator::new(Timetable::Fixed);
    let running = sim
        .start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    sim.set_link("simchat", "simshop", LinkState::Open);
    sim.set_link("simchat", "simvideo", LinkState::Blocked);
    sim.set_link("simchat", "simnews", LinkState::Open);
    let pack = compile(&with_section(
        "[in_app_control]\nurl = \"http://www.simchat.test/\"",
    ))
    .unwrap();
    let proxy = url::Url::parse(&format!("http://{}", running.addr)).unwrap();
    let engine = Engine::new(
        db.store.clone(),
        vec![pack],
        Fetcher::new(FetcherOptions::default()).unwrap(),
        Some(
            Fetcher::new(FetcherOptions {
                proxy: Some(proxy),
                ..FetcherOptions::default()
            })
            .unwrap(),
        ),
        "test",
        8,
    );

    // The bridge behaves: verdicts stand, the evidence shows the control let through.
    let first = Utc.with_ymd_and_hms(2026, 11, 4, 8, 0, 0).unwrap();
    let run = engine
        .run_pack("demo-simchat-links", first, "schedule", None, &|_| {})
        .await
        .unwrap();
    let status = |id: &str, r: &hutong::probes::engine::RunSummary| {
        r.results
            .iter()
            .find(|x| x.check_id == id)
            .map(|x| (x.status.clone(), x.failure.clone()))
    };
    assert_eq!(
        status("link.simchat.simshop", &run),
        Some(("open".into(), None))
    );
    assert_eq!(
        status("link.simchat.simvideo", &run),
        Some(("blocked".into(), None))
    );
    let stored = db
        .store
        .run_observations("demo-simchat-links", first)
        .await
        .unwrap();
    let ev = stored[0].evidence.as_ref().unwrap();
    let control = ev
        .in_app_control
        .as_ref()
        .expect("the in-app control is in the evidence");
    assert_eq!(control.ok, Some(true));
    assert_eq!(control.url.as_deref(), Some("http://www.simchat.test/"));

    // The bridge intercepts everything: nothing the run saw is a verdict on a target.
    sim.set_bridge_intercepts_all("simchat", true);
    let second = Utc.with_ymd_and_hms(2026, 11, 4, 9, 0, 0).unwrap();
    let run = engine
        .run_pack("demo-simchat-links", second, "schedule", None, &|_| {})
        .await
        .unwrap();
    assert_eq!(run.results.len(), 3);
    for r in &run.results {
        assert_eq!(
            (r.status.as_str(), r.failure.as_deref()),
            ("unknown", Some("bridge_failed")),
            "{r:?}"
        );
        assert!(!r.confirmed);
    }
    let stored = db
        .store
        .run_observations("demo-simchat-links", second)
        .await
        .unwrap();
    let shop = stored
        .iter()
        .find(|o| o.check_id == "link.simchat.simshop")
        .unwrap();
    let ev = shop.evidence.as_ref().unwrap();
    assert_eq!(ev.in_app_control.as_ref().unwrap().ok, Some(false));
    assert!(
        ev.detail.as_deref().unwrap().contains("www.simchat.test"),
        "{:?}",
        ev.detail
    );

    // The observation page says so, in both languages.
    let app = TestApp::on(db);
    let en = app.observation_page(shop.id, "").await;
    assert_eq!(en.status, 200);
    assert!(en.body.contains("In-app control"), "{}", en.body);
    assert!(
        en.body.contains("the bridge itself misbehaves"),
        "{}",
        en.body
    );
    let zh = app.observation_page(shop.id, "lang=zh-CN").await;
    assert!(zh.body.contains("应用内对照"), "{}", zh.body);
    assert!(zh.body.contains("跳转桥本身异常"), "{}", zh.body);

    // The bridge behaves again: so do the verdicts.
    sim.set_bridge_intercepts_all("simchat", false);
    let third = Utc.with_ymd_and_hms(2026, 11, 4, 10, 0, 0).unwrap();
    let run = engine
        .run_pack("demo-simchat-links", third, "schedule", None, &|_| {})
        .await
        .unwrap();
    assert_eq!(
        status("link.simchat.simvideo", &run),
        Some(("blocked".into(), None))
    );
    running.shutdown().await;
}

#[test]
fn an_in_app_control_must_be_a_link_packs_http_url_that_is_not_a_target() {
    let err = compile(&with_section(
        "[in_app_control]\nurl = \"ftp://www.simchat.test/\"",
    ))
    .unwrap_err();
    assert!(
        err.contains("in_app_control") && err.contains("http(s)"),
        "{err}"
    );
    let err = compile(&with_section(
        "[in_app_control]\nurl = \"http://shop.simshop.test/item/1\"",
    ))
    .unwrap_err();
    assert!(err.contains("must not be one of the targets"), "{err}");
    let err = compile(&with_section(
        "[in_app_control]\nurl = \"http://www.simchat.test/\"\nexpect = \"open\"",
    ))
    .unwrap_err();
    assert!(err.contains("expect"), "{err}");
    // A payment pack has no bridge to control.
    let payment =
        std::fs::read_to_string(common::catalog_dir().join("probes/demo-payments.toml")).unwrap();
    let text = format!("{payment}\n[in_app_control]\nurl = \"http://www.simchat.test/\"\n");
    let err = compile(&text).unwrap_err();
    assert!(err.contains("link packs"), "{err}");
}
