//! The probe engine end to end: packs written as TOML, run by `Engine::run_pack` against
//! the simulator (as an HTTP proxy) or the loopback directly, stored in a real SQLite
//! store. Every failure class is produced, stored as `unknown` with its class and
//! evidence, and counted in the run.

use crate::common::{self, TestApp};
use chrono::{DateTime, TimeZone, Utc};
use hutong::config::{Config, ProbeConfig};
use hutong::domain::ObservationRecord;
use hutong::probes::engine::{Engine, RunSummary};
use hutong::probes::fetch::{Fetcher, FetcherOptions};
use hutong::probes::pack::{ProbePack, validate_packs};
use hutong::serve::ProbeSystem;
use hutong::simulator::{INTERNAL_SECRET, LinkState, RunningSimulator, Simulator, Timetable};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

struct Harness {
    db: common::TestDb,
    sim: Simulator,
    running: RunningSimulator,
    engine: Engine,
}

fn packs(texts: &[String]) -> Vec<ProbePack> {
    let catalog = common::real_catalog();
    let files: Vec<(PathBuf, &str)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (PathBuf::from(format!("packs/test-{i}.toml")), t.as_str()))
        .collect();
    validate_packs(&files, &catalog).unwrap_or_else(|e| panic!("{e}"))
}

async fn harness(texts: &[String]) -> Harness {
    harness_on(common::sqlite().await, texts, false).await
}

/// `allow_private`: the direct fetcher may reach loopback fixtures (the opt-in of test
/// set-ups); the simulator's fetcher never needs it.
async fn harness_with(texts: &[String], allow_private: bool) -> Harness {
    harness_on(common::sqlite().await, texts, allow_private).await
}

async fn harness_on(db: common::TestDb, texts: &[String], allow_private: bool) -> Harness {
    db.store
        .apply_catalog(&common::real_catalog())
        .await
        .expect("load catalog");
    let sim = Simulator::new(Timetable::Fixed);
    let running = sim
        .start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("simulator starts");
    let proxy = url::Url::parse(&format!("http://{}", running.addr)).expect("proxy URL");
    let sim_fetcher = Fetcher::new(FetcherOptions {
        proxy: Some(proxy),
        connect_timeout: Duration::from_secs(3),
        ..FetcherOptions::default()
    })
    .expect("simulator fetcher");
    let direct = Fetcher::new(FetcherOptions {
        connect_timeout: Duration::from_secs(3),
        allow_private_addresses: allow_private,
        ..FetcherOptions::default()
    })
    .expect("direct fetcher");
    let engine = Engine::new(
        db.store.clone(),
        packs(texts),
        direct,
        Some(sim_fetcher),
        "test",
        16,
    );
    Harness {
        db,
        sim,
        running,
        engine,
    }
}

/// A link pack for `link.simchat.<target>`: `targets` as `(target, url)`, the request to
/// `request_url` (default: the target itself), redirects followed.
fn lab_pack(
    id: &str,
    simulated: bool,
    pack_extra: &str,
    targets: &[(&str, &str)],
    request_url: &str,
    rest: &str,
) -> String {
    let pack_extra = if pack_extra.contains("timeout_secs") {
        pack_extra.to_string()
    } else {
        format!("timeout_secs = 5\n{pack_extra}")
    };
    let targets: String = targets
        .iter()
        .map(|(k, u)| format!("{k} = \"{u}\"\n"))
        .collect();
    format!(
        r#"[pack]
id = "{id}"
name_en = "Test {id}"
name_zh = "测试"
kind = "link"
subject = "simchat"
version = 1
simulated = {simulated}
schedule = "0 0 * * * *"
max_redirects = 5
per_host_concurrency = 4
min_host_spacing_ms = 0
{pack_extra}

[targets]
{targets}
[request]
url = "{request_url}"
follow_redirects = true

{rest}
"#
    )
}

/// A rule that no lab page satisfies.
const NEVER: &str = r#"
[[rule]]
id = "never"
status = "open"
when = { body_contains = "this text is on no simulated page" }
"#;

fn slot(n: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, n, 0, 0).unwrap()
}

async fn run(h: &Harness, pack: &str, at: DateTime<Utc>) -> RunSummary {
    h.engine
        .run_pack(pack, at, "test", None, &|_| {})
        .await
        .expect("the run completes")
}

/// The evidence read back as the typed struct, written out as JSON to look at its fields.
fn evidence(o: &ObservationRecord) -> serde_json::Value {
    o.evidence.as_ref().expect("evidence").to_json()
}

/// Runs `pack` once and checks that every check was stored `unknown` with `class`, with
/// evidence, and that the run is finished with all its checks failed.
async fn assert_failure(h: &Harness, pack: &str, class: &str) -> Vec<ObservationRecord> {
    let at = slot(1);
    let summary = run(h, pack, at).await;
    assert!(!summary.results.is_empty());
    for r in &summary.results {
        assert_eq!(r.status, "unknown", "{pack}: {r:?}");
        assert_eq!(r.failure.as_deref(), Some(class), "{pack}: {r:?}");
    }
    let obs =
        h.db.store
            .run_observations(pack, at)
            .await
            .expect("run observations");
    assert_eq!(obs.len(), summary.results.len());
    for o in &obs {
        assert_eq!(o.status, "unknown", "{pack}: {o:?}");
        assert_eq!(o.failure.as_deref(), Some(class), "{pack}: {o:?}");
        assert_eq!(o.confirmed, Some(false));
        assert_eq!(o.pack_id.as_deref(), Some(pack));
        let ev = evidence(o);
        assert!(
            ev["request_url"]
                .as_str()
                .is_some_and(|u| u.starts_with("http")),
            "{ev}"
        );
        assert!(ev["hops"].is_array(), "{ev}");
        assert!(
            ev["detail"].as_str().is_some_and(|d| !d.is_empty()),
            "{pack}: {ev}"
        );
    }
    // The same observations are what the check's history shows.
    let by_check =
        h.db.store
            .observations(&obs[0].check_id)
            .await
            .expect("observations");
    assert!(by_check.iter().any(|o| o.id == obs[0].id));

    let runs = h.db.store.recent_runs(pack, 5).await.expect("runs");
    assert_eq!(runs.len(), 1);
    let r = &runs[0];
    assert_eq!(r.state, "finished", "{r:?}");
    assert!(r.finished_at.is_some());
    assert_eq!(r.planned, obs.len() as i64);
    assert_eq!(r.done, obs.len() as i64);
    assert_eq!(r.failures, obs.len() as i64);
    assert!(r.failed());
    assert_eq!(summary.failures, obs.len());
    obs
}

#[tokio::test(flavor = "multi_thread")]
async fn simulated_failure_classes_are_stored_as_unknown() {
    let h = harness(&[
        lab_pack(
            "f-timeout",
            true,
            "timeout_secs = 1",
            &[("simshop", "http://lab.sim.test/slow?ms=3000")],
            "{target_raw}",
            NEVER,
        ),
        lab_pack(
            "f-too-large",
            true,
            "max_body_bytes = 1048576",
            &[("simshop", "http://lab.sim.test/huge?mb=8")],
            "{target_raw}",
            NEVER,
        ),
        lab_pack(
            "f-decode",
            true,
            "",
            &[("simshop", "http://lab.sim.test/gzip-broken")],
            "{target_raw}",
            NEVER,
        ),
        lab_pack(
            "f-challenge",
            true,
            "",
            &[
                ("simshop", "http://lab.sim.test/challenge"),
                ("simvideo", "http://lab.sim.test/captcha"),
            ],
            "{target_raw}",
            // Rules that would match both pages: challenges come first.
            r#"
[[rule]]
id = "anything"
status = "blocked"
"#,
        ),
        lab_pack(
            "f-down",
            true,
            "",
            &[("simshop", "http://lab.sim.test/down")],
            "{target_raw}",
            NEVER,
        ),
        lab_pack(
            "f-malformed",
            true,
            "",
            &[("simshop", "http://lab.sim.test/malformed")],
            "{target_raw}",
            r#"
[[rule]]
id = "never"
status = "blocked"
when = [ { selector = "div.a > p", text_contains = "nothing" }, { script_var = "x" } ]
"#,
        ),
        lab_pack(
            "f-loop",
            true,
            "",
            &[("simshop", "http://lab.sim.test/loop")],
            "{target_raw}",
            NEVER,
        ),
        // The bridge-like request shows a block page; the target itself is down.
        lab_pack(
            "f-control",
            true,
            "",
            &[("simshop", "http://lab.sim.test/down")],
            "http://lab.sim.test/fake-block?for={target_url}",
            r#"
[control]
url = "{target_raw}"
follow_redirects = true

[[rule]]
id = "blocked-page"
status = "blocked"
when = { body_contains = "已停止访问该网页" }
"#,
        ),
    ])
    .await;

    // One after the other: concurrent runs on one SQLite store can fail with "database
    // is locked" (see `concurrent_runs_on_sqlite`).
    let started = std::time::Instant::now();
    let timeout = assert_failure(&h, "f-timeout", "timeout").await;
    let too_large = assert_failure(&h, "f-too-large", "too_large").await;
    let decode = assert_failure(&h, "f-decode", "decode").await;
    let challenge = assert_failure(&h, "f-challenge", "bot_challenge").await;
    let down = assert_failure(&h, "f-down", "http_status").await;
    let malformed = assert_failure(&h, "f-malformed", "no_rule_matched").await;
    let looped = assert_failure(&h, "f-loop", "redirect_loop").await;
    let control = assert_failure(&h, "f-control", "control_failed").await;
    assert!(started.elapsed() < Duration::from_secs(10));

    // The timeout is the pack's, not the page's three seconds.
    let ev = evidence(&timeout[0]);
    assert_eq!(ev["failure"], "timeout");
    assert!(ev["timings"]["total_ms"].as_u64().unwrap() < 2900, "{ev}");

    let ev = evidence(&too_large[0]);
    assert_eq!(ev["failure"], "too_large");
    assert!(
        ev["detail"].as_str().unwrap().contains("lab.sim.test"),
        "{ev}"
    );

    assert_eq!(evidence(&decode[0])["failure"], "decode");

    // 403 (the 验证码 page) and the 200 slider captcha; no snapshot-less guesswork.
    assert_eq!(challenge.len(), 2);
    for o in &challenge {
        let ev = evidence(o);
        assert!(ev["rule"].is_null(), "{ev}");
        assert!(o.snapshot.is_some(), "the page is kept: {o:?}");
    }
    let statuses: Vec<u64> = challenge
        .iter()
        .map(|o| evidence(o)["status"].as_u64().unwrap())
        .collect();
    assert!(
        statuses.contains(&403) && statuses.contains(&200),
        "{statuses:?}"
    );

    let ev = evidence(&down[0]);
    assert_eq!(ev["status"], 503);
    assert!(ev["detail"].as_str().unwrap().contains("HTTP 503"));

    let ev = evidence(&malformed[0]);
    assert_eq!(ev["status"], 200);
    assert!(ev["excerpt"].as_str().is_some());

    let ev = evidence(&looped[0]);
    assert_eq!(ev["failure"], "redirect_loop");
    assert!(ev["hops"].as_array().unwrap().len() >= 2, "{ev}");

    // The main answer matched a restriction; the control could not reach the target.
    let ev = evidence(&control[0]);
    assert_eq!(ev["rule"], "blocked-page");
    assert_eq!(ev["control"]["ok"], false, "{ev}");
    assert_eq!(ev["control"]["status"], 503, "{ev}");
    assert!(ev["control"]["url"].as_str().unwrap().ends_with("/down"));
    assert!(
        ev["detail"].as_str().unwrap().contains("\"blocked\""),
        "{ev}"
    );

    h.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn direct_failure_classes_are_stored_as_unknown() {
    // A port that was just free: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    // The simulator speaks plain HTTP: a TLS handshake with it fails.
    let placeholder = harness(&[]).await;
    let sim_port = placeholder.running.addr.port();
    let closed_url = format!("http://127.0.0.1:{closed}/");
    let tls_url = format!("https://127.0.0.1:{sim_port}/");
    // Loopback stands in for the internet here: this set-up opts in.
    let h = harness_with(
        &[
            lab_pack(
                "d-connect",
                false,
                "",
                &[("simshop", &closed_url)],
                "{target_raw}",
                NEVER,
            ),
            lab_pack(
                "d-dns",
                false,
                "",
                &[("simshop", "http://no-such-host.invalid/")],
                "{target_raw}",
                NEVER,
            ),
            lab_pack(
                "d-tls",
                false,
                "",
                &[("simshop", &tls_url)],
                "{target_raw}",
                NEVER,
            ),
        ],
        true,
    )
    .await;
    let connect = assert_failure(&h, "d-connect", "connect").await;
    let dns = assert_failure(&h, "d-dns", "dns").await;
    let tls = assert_failure(&h, "d-tls", "tls").await;
    for (obs, url) in [
        (&connect, closed_url.as_str()),
        (&dns, "http://no-such-host.invalid/"),
        (&tls, tls_url.as_str()),
    ] {
        let ev = evidence(&obs[0]);
        assert_eq!(ev["request_url"], url);
        assert_eq!(ev["hops"], serde_json::json!([]), "{ev}");
        assert!(ev["status"].is_null());
        assert!(obs[0].snapshot.is_none());
        assert_eq!(obs[0].source_kind, "probe");
    }
    placeholder.running.shutdown().await;
    h.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn gbk_page_is_decoded_and_matched() {
    let h = harness(&[lab_pack(
        "gbk",
        true,
        "",
        &[("simnews", "http://news.simnews.test/a/1")],
        "http://bridge.simchat.test/wapredirect?url={target_url}",
        r#"
[[rule]]
id = "article"
status = "open"
when = [ { hop_host = "bridge.simchat.test" },
         { final_host = "{target_host}" },
         { body_contains = "责任编辑" } ]
"#,
    )])
    .await;
    h.sim.set_link("simchat", "simnews", LinkState::Open);
    let at = slot(2);
    let summary = run(&h, "gbk", at).await;
    assert_eq!(summary.failures, 0, "{summary:?}");
    let obs = h.db.store.run_observations("gbk", at).await.unwrap();
    assert_eq!(obs.len(), 1);
    let o = &obs[0];
    assert_eq!(o.check_id, "link.simchat.simnews");
    assert_eq!(o.status, "open");
    assert_eq!(o.failure, None);
    assert_eq!(o.confirmed, Some(true));
    assert_eq!(o.source_kind, "simulated");
    let ev = evidence(o);
    assert_eq!(ev["rule"], "article");
    assert_eq!(ev["charset"], "GBK", "{ev}");
    assert!(ev["excerpt"].as_str().unwrap().contains("责任编辑"), "{ev}");
    assert_eq!(ev["hops"].as_array().unwrap().len(), 2, "{ev}");
    h.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn identical_bodies_are_stored_once() {
    let h = harness(&[lab_pack(
        "twice",
        true,
        "",
        &[("simshop", "http://lab.sim.test/malformed")],
        "{target_raw}",
        NEVER,
    )])
    .await;
    run(&h, "twice", slot(3)).await;
    run(&h, "twice", slot(4)).await;
    // A fresh engine on the same store (no memory of what it stored) stores it once too.
    let again = Engine::new(
        h.db.store.clone(),
        packs(&[lab_pack(
            "twice",
            true,
            "",
            &[("simshop", "http://lab.sim.test/malformed")],
            "{target_raw}",
            NEVER,
        )]),
        Fetcher::new(FetcherOptions::default()).unwrap(),
        Some(
            Fetcher::new(FetcherOptions {
                proxy: Some(url::Url::parse(&format!("http://{}", h.running.addr)).unwrap()),
                ..FetcherOptions::default()
            })
            .unwrap(),
        ),
        "test",
        4,
    );
    again
        .run_pack("twice", slot(5), "test", None, &|_| {})
        .await
        .unwrap();
    let (count, size, _) = h.db.store.snapshot_totals().await.unwrap();
    assert_eq!(count, 1);
    assert!(size > 0);
    let shas: Vec<Option<String>> =
        h.db.store
            .observations("link.simchat.simshop")
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.snapshot)
            .collect();
    assert_eq!(shas.len(), 3);
    assert!(shas[0].is_some() && shas.iter().all(|s| *s == shas[0]));
    h.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn look_alike_through_the_demo_rules_is_open_unconfirmed() {
    let demo =
        std::fs::read_to_string(common::catalog_dir().join("probes/demo-simchat-links.toml"))
            .expect("demo pack");
    let text = demo
        .replace("id = \"demo-simchat-links\"", "id = \"demo-fake\"")
        .replace(
            "simshop = \"http://shop.simshop.test/item/1\"",
            "simshop = \"http://fake.simscam.test/item/1\"",
        );
    assert!(text.contains("fake.simscam.test") && text.contains("demo-fake"));
    let h = harness(&[text]).await;
    let at = slot(6);
    let summary = run(&h, "demo-fake", at).await;
    let obs = h.db.store.run_observations("demo-fake", at).await.unwrap();
    assert_eq!(obs.len(), 3, "{summary:?}");
    let fake = obs
        .iter()
        .find(|o| o.check_id == "link.simchat.simshop")
        .unwrap();
    assert_eq!(fake.status, "open", "{fake:?}");
    assert_eq!(fake.confirmed, Some(false));
    assert_eq!(fake.failure, None);
    let ev = evidence(fake);
    assert_eq!(ev["rule"], "target-paints-block");
    assert!(
        ev["final_url"]
            .as_str()
            .unwrap()
            .contains("fake.simscam.test")
    );
    assert!(obs.iter().all(|o| o.status != "blocked"), "{obs:?}");
    h.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn script_excerpt_is_stored_as_text() {
    let h = harness(&[lab_pack(
        "script",
        true,
        "",
        &[("simshop", "http://lab.sim.test/script")],
        "{target_raw}",
        r#"
[[rule]]
id = "painted"
status = "open"
confirmed = false
when = { body_contains = 'alert("xss")' }
"#,
    )])
    .await;
    let at = slot(7);
    run(&h, "script", at).await;
    let obs = h.db.store.run_observations("script", at).await.unwrap();
    let ev = evidence(&obs[0]);
    let excerpt = ev["excerpt"].as_str().unwrap();
    assert!(
        excerpt.contains("<script>alert(\"xss\")</script>"),
        "{excerpt}"
    );
    let json = obs[0].evidence.as_ref().unwrap().to_json().to_string();
    assert!(json.contains("<script>"), "{json}");
    h.running.shutdown().await;
}

/// Packs running at the same moment on one SQLite store all finish: write transactions
/// take SQLite's write lock when they begin (a deferred transaction that reads, then
/// writes, failed at once with "database is locked" when another writer got in between).
#[tokio::test(flavor = "multi_thread")]
async fn concurrent_runs_on_sqlite() {
    let texts: Vec<String> = (0..8)
        .map(|i| {
            lab_pack(
                &format!("c-{i}"),
                true,
                "",
                &[("simshop", "http://lab.sim.test/malformed")],
                "{target_raw}",
                NEVER,
            )
        })
        .collect();
    let h = harness(&texts).await;
    let runs = (0..8).map(|i| {
        let engine = h.engine.clone();
        async move {
            engine
                .run_pack(&format!("c-{i}"), slot(8), "test", None, &|_| {})
                .await
        }
    });
    for result in futures_util::future::join_all(runs).await {
        result.expect("every concurrent run completes");
    }
    h.running.shutdown().await;
}

// ---- internal addresses ----------------------------------------------------------------

/// Every stored trace of a run (evidence, notes, snapshots) must be free of `secret`.
async fn assert_nothing_stored_contains(h: &Harness, obs: &[ObservationRecord], secret: &str) {
    for o in obs {
        let ev = o
            .evidence
            .as_ref()
            .map(|e| e.to_json().to_string())
            .unwrap_or_default();
        assert!(!ev.contains(secret), "evidence of {}: {ev}", o.check_id);
        assert!(
            !o.note_en.as_deref().unwrap_or_default().contains(secret),
            "{o:?}"
        );
        if let Some(sha) = &o.snapshot {
            let stored = h.db.store.snapshot(sha).await.unwrap().expect("snapshot");
            let body = zstd::decode_all(stored.body.as_slice()).unwrap();
            assert!(
                !String::from_utf8_lossy(&body).contains(secret),
                "snapshot of {}",
                o.check_id
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn redirects_and_controls_to_internal_addresses_are_refused_and_nothing_is_kept() {
    let h = harness(&[
        // The simulator's hostile lab sends two targets to internal addresses; the third
        // is an ordinary page: a simulated pack still works.
        lab_pack(
            "i-redirect",
            true,
            "",
            &[
                ("simshop", "http://lab.sim.test/redirect-internal"),
                ("simvideo", "http://lab.sim.test/redirect-metadata"),
                ("simnews", "http://news.simnews.test/a/1"),
            ],
            "{target_raw}",
            r#"
[[rule]]
id = "anything"
status = "open"
"#,
        ),
        // The page looks blocked, so the control asks the target itself: a metadata URL.
        lab_pack(
            "i-control",
            true,
            "",
            &[("simshop", "http://169.254.169.254/latest/meta-data/")],
            "http://lab.sim.test/fake-block?for={target_url}",
            r#"
[control]
url = "{target_raw}"
follow_redirects = true

[[rule]]
id = "blocked-page"
status = "blocked"
when = { body_contains = "已停止访问该网页" }
"#,
        ),
    ])
    .await;
    let at = slot(9);
    let summary = run(&h, "i-redirect", at).await;
    assert_eq!(summary.failures, 2, "{summary:?}");
    let obs = h.db.store.run_observations("i-redirect", at).await.unwrap();
    assert_eq!(obs.len(), 3);
    for o in &obs {
        let ev = evidence(o);
        if o.check_id == "link.simchat.simnews" {
            assert_eq!((o.status.as_str(), o.failure.as_deref()), ("open", None));
            assert!(o.snapshot.is_some());
            continue;
        }
        assert_eq!(o.status, "unknown", "{o:?}");
        assert_eq!(o.failure.as_deref(), Some("internal_address"), "{ev}");
        assert!(o.snapshot.is_none(), "nothing from there is kept: {o:?}");
        // The redirect itself is the evidence: one hop, its Location, and why.
        let hops = ev["hops"].as_array().unwrap();
        assert_eq!(hops.len(), 1, "{ev}");
        assert_eq!(hops[0]["status"], 302);
        assert!(ev["final_url"].is_null() && ev["status"].is_null(), "{ev}");
        let detail = ev["detail"].as_str().unwrap();
        assert!(detail.contains("refused the redirect"), "{detail}");
    }
    let metadata = obs
        .iter()
        .find(|o| o.check_id == "link.simchat.simvideo")
        .unwrap();
    assert!(
        evidence(metadata)["detail"]
            .as_str()
            .unwrap()
            .starts_with("169.254.169.254 is a cloud metadata service")
    );
    assert_nothing_stored_contains(&h, &obs, INTERNAL_SECRET).await;

    let summary = run(&h, "i-control", at).await;
    assert_eq!(summary.failures, 1, "{summary:?}");
    let obs = h.db.store.run_observations("i-control", at).await.unwrap();
    let o = &obs[0];
    assert_eq!(o.status, "unknown");
    assert_eq!(o.failure.as_deref(), Some("internal_address"));
    let ev = evidence(o);
    assert_eq!(ev["rule"], "blocked-page");
    assert_eq!(ev["control"]["ok"], false, "{ev}");
    assert_eq!(ev["control"]["failure"], "internal_address", "{ev}");
    assert!(ev["control"]["status"].is_null(), "{ev}");
    assert_nothing_stored_contains(&h, &obs, INTERNAL_SECRET).await;
    // Reclassifying the stored page keeps the verdict: no method change.
    let (checked, changed) = h.engine.reclassify("i-control").await.unwrap();
    assert_eq!((checked, changed), (1, 0));

    // Shown in words on the evidence page, in both languages.
    let app = TestApp::on(h.db.clone());
    let page = app.observation_page(o.id, "lang=en").await;
    assert!(
        page.body.contains("would have reached an internal address"),
        "{}",
        page.body
    );
    let page = app.observation_page(o.id, "lang=zh-CN").await;
    assert!(page.body.contains("内部地址"), "{}", page.body);
    h.running.shutdown().await;
}

/// A real (not simulated) pack whose targets are this machine, run as `serve` builds it.
fn loopback_pack(sim: SocketAddr) -> String {
    let port = sim.port();
    lab_pack(
        "i-direct",
        false,
        "",
        &[
            (
                "simshop",
                &format!("http://127.0.0.1:{port}/api/v1/requirements"),
            ),
            ("simvideo", &format!("http://[::ffff:127.0.0.1]:{port}/")),
            ("simnews", &format!("http://localhost:{port}/")),
        ],
        "{target_raw}",
        r#"
[[rule]]
id = "anything"
status = "open"
"#,
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn probes_reach_loopback_only_when_the_setting_allows_it() {
    // The simulator answers internal hosts with a marked page: a stand-in for this
    // machine's own services.
    let h = harness(&[]).await;
    let packs = packs(&[loopback_pack(h.running.addr)]);
    for allow in [false, true] {
        let config = Config {
            probes: ProbeConfig {
                allow_private_addresses: allow,
                ..ProbeConfig::default()
            },
            ..Config::default()
        };
        let system =
            ProbeSystem::with_packs(&config, h.db.store.clone(), packs.clone(), None, None)
                .expect("probe system");
        let at = slot(if allow { 11 } else { 10 });
        let summary = system
            .engine
            .run_pack("i-direct", at, "test", None, &|_| {})
            .await
            .expect("run");
        let obs = h.db.store.run_observations("i-direct", at).await.unwrap();
        assert_eq!(obs.len(), 3, "{summary:?}");
        for o in &obs {
            if allow {
                assert_eq!(
                    (o.status.as_str(), o.failure.as_deref()),
                    ("open", None),
                    "{o:?}"
                );
            } else {
                assert_eq!(o.failure.as_deref(), Some("internal_address"), "{o:?}");
                assert!(evidence(o)["hops"].as_array().unwrap().is_empty());
            }
        }
        if !allow {
            assert_nothing_stored_contains(&h, &obs, INTERNAL_SECRET).await;
        }
    }
    h.running.shutdown().await;
}

/// Rules for the NUL tests: the lab's "blocked" wording (its excerpt carries the NUL),
/// else the simulator's banner.
const NUL_RULES: &str = r#"
[[rule]]
id = "painted"
status = "open"
confirmed = false
when = { body_contains = "已停止访问该网页" }

[[rule]]
id = "banner"
status = "open"
when = { body_contains = "模拟" }
"#;

/// A page with U+0000 in its matched excerpt loses nothing: every target is stored (the
/// NUL replaced in what is kept as text), the raw page stays byte-exact, the run ends.
async fn nul_bytes_lose_nothing(db: common::TestDb) {
    let h = harness_on(
        db,
        &[lab_pack(
            "nul",
            true,
            "",
            &[
                ("simshop", "http://lab.sim.test/nul"),
                ("simvideo", "http://lab.sim.test/malformed"),
                ("simnews", "http://news.simnews.test/a/1"),
            ],
            "{target_raw}",
            NUL_RULES,
        )],
        false,
    )
    .await;
    let at = slot(9);
    let summary = h
        .engine
        .run_pack("nul", at, "test", None, &|_| {})
        .await
        .expect("the run stores every result");
    assert_eq!(summary.failures, 0, "{summary:?}");
    let obs = h.db.store.run_observations("nul", at).await.unwrap();
    assert_eq!(obs.len(), 3, "every target stored: {obs:?}");
    let nul = obs
        .iter()
        .find(|o| o.check_id == "link.simchat.simshop")
        .unwrap();
    assert_eq!((nul.status.as_str(), nul.confirmed), ("open", Some(false)));
    let ev = evidence(nul);
    let excerpt = ev["excerpt"].as_str().unwrap();
    assert!(
        excerpt.contains("已停止访问该网页\u{FFFD}（页面含 NUL 字节）"),
        "{excerpt}"
    );
    assert!(!ev.to_string().contains('\0') && !ev.to_string().contains("\\u0000"));
    // The raw page is kept exactly as served, NUL bytes and all.
    let sha = nul.snapshot.clone().expect("snapshot");
    let stored = h.db.store.snapshot(&sha).await.unwrap().expect("stored");
    let body = zstd::decode_all(stored.body.as_slice()).unwrap();
    let marker = "网页\0".as_bytes();
    assert!(body.windows(marker.len()).any(|w| w == marker), "NUL kept");
    assert_eq!(hutong::probes::engine::sha256_hex(&body), sha);
    let runs = h.db.store.recent_runs("nul", 5).await.unwrap();
    assert_eq!(runs[0].state, "finished");
    assert_eq!((runs[0].done, runs[0].detail.as_deref()), (3, None));
    h.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn nul_bytes_lose_nothing_on_postgres() {
    if let Some(db) = common::postgres().await {
        nul_bytes_lose_nothing(db).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn nul_bytes_lose_nothing_on_sqlite() {
    nul_bytes_lose_nothing(common::sqlite().await).await;
}

/// A result the database refuses (here: its check was removed from the database after
/// the pack was validated) is named, the others are stored, and the run ends failed
/// with the reason: never left `running`.
async fn one_refused_result_loses_nothing_else(db: common::TestDb) {
    let h = harness_on(
        db,
        &[lab_pack(
            "refused",
            true,
            "",
            &[
                ("simshop", "http://shop.simshop.test/item/1"),
                ("simvideo", "http://video.simvideo.test/v/1"),
                ("simnews", "http://news.simnews.test/a/1"),
            ],
            "{target_raw}",
            NUL_RULES,
        )],
        false,
    )
    .await;
    h.db.store
        .execute_admin("delete from checks where id = 'link.simchat.simvideo'")
        .await
        .expect("remove one check");
    let at = slot(10);
    let err = h
        .engine
        .run_pack("refused", at, "test", None, &|_| {})
        .await
        .expect_err("one result cannot be stored");
    let err = err.to_string();
    assert!(err.contains("link.simchat.simvideo"), "{err}");
    let obs = h.db.store.run_observations("refused", at).await.unwrap();
    let mut stored: Vec<&str> = obs.iter().map(|o| o.check_id.as_str()).collect();
    stored.sort();
    assert_eq!(stored, ["link.simchat.simnews", "link.simchat.simshop"]);
    let runs = h.db.store.recent_runs("refused", 5).await.unwrap();
    let run = &runs[0];
    assert_eq!(run.state, "finished", "{run:?}");
    assert!(run.failed(), "{run:?}");
    assert_eq!(run.done, 2);
    let detail = run.detail.as_deref().unwrap();
    assert!(
        detail.contains("1 result(s) were refused") && detail.contains("link.simchat.simvideo"),
        "{detail}"
    );
    assert_eq!(h.db.store.pending_counts(), Default::default());
    h.running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn one_refused_result_loses_nothing_else_on_postgres() {
    if let Some(db) = common::postgres().await {
        one_refused_result_loses_nothing_else(db).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn one_refused_result_loses_nothing_else_on_sqlite() {
    one_refused_result_loses_nothing_else(common::sqlite().await).await;
}

/// The pack as the probes page and API know it.
fn summary_of(pack: &ProbePack) -> hutong::probes::PackSummary {
    hutong::probes::PackSummary {
        id: pack.id.clone(),
        name_en: pack.name_en.clone(),
        name_zh: pack.name_zh.clone(),
        kind: pack.kind.clone(),
        version: pack.version,
        verified: pack.verified,
        simulated: pack.simulated,
        enabled: pack.enabled,
        scheduled: true,
        schedule: pack.schedule.clone(),
        confirmations: pack.confirmations,
        checks: pack
            .targets
            .iter()
            .flat_map(|t| t.checks.iter().map(|c| c.check_id.clone()))
            .collect(),
        file: "probes/test.toml".into(),
    }
}

/// `/api/v1/probes` for `h`'s packs, flagging a pack failing at once.
async fn probes_api(h: &Harness) -> serde_json::Value {
    let packs = h.engine.packs().iter().map(|p| summary_of(p)).collect();
    let app = TestApp::builder(h.db.clone())
        .packs(packs)
        .probe_alert_after(chrono::Duration::zero())
        .build();
    app.api_probes().await.json()
}

fn three_targets(id: &str) -> String {
    lab_pack(
        id,
        true,
        "",
        &[
            ("simshop", "http://shop.simshop.test/item/1?kb=6"),
            ("simvideo", "http://video.simvideo.test/v/1?kb=6"),
            ("simnews", "http://lab.sim.test/slow?ms=1500"),
        ],
        "{target_raw}",
        NUL_RULES,
    )
}

/// A full disk (SQLite's page limit reached) while a run stores its results: the run ends
/// failed with the database's reason, and the API says the pack is failing — it said
/// `failing=false`, last run `running`. (The pool's recovery once space is back is the
/// storage suite's.)
#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_cannot_store_on_a_full_disk_is_failed_not_running() {
    // Large pages, distinct per target: their snapshots need new pages of the file.
    let big = lab_pack(
        "full",
        true,
        "",
        &[
            ("simshop", "http://shop.simshop.test/item/7?kb=1024"),
            ("simvideo", "http://video.simvideo.test/v/7?kb=1024"),
            ("simnews", "http://news.simnews.test/a/7?kb=1024"),
        ],
        "{target_raw}",
        NUL_RULES,
    );
    let h = harness_on(common::sqlite_with(1).await, &[big], false).await;
    // No page beyond those the file has (no free ones either): a full disk.
    h.db.store.execute_admin("vacuum").await.unwrap();
    h.db.store
        .execute_admin("pragma max_page_count = 1")
        .await
        .unwrap();
    let err = h
        .engine
        .run_pack("full", slot(12), "test", None, &|_| {})
        .await
        .expect_err("the disk is full");
    assert!(err.to_string().contains("full"), "{err}");
    let runs = h.db.store.recent_runs("full", 5).await.unwrap();
    assert_eq!(runs[0].slot, slot(12));
    assert_eq!(
        runs[0].state, "finished",
        "never left running: {:?}",
        runs[0]
    );
    assert!(runs[0].failed());
    assert!(runs[0].detail.as_deref().unwrap().contains("full"));
    let api = probes_api(&h).await;
    let pack = &api["packs"][0];
    assert_eq!(pack["failing"], true, "{pack}");
    assert_eq!(pack["consecutive_failed_runs"], 1, "{pack}");
    assert_eq!(pack["last_run"]["state"], "finished", "{pack}");
    assert_eq!(
        pack["recent_runs"].as_array().map(Vec::len),
        Some(1),
        "{pack}"
    );
    h.running.shutdown().await;
}

/// When the database refuses even the end of a run, the failed run is kept in memory and
/// shown (API: failing, last run failed) until the database takes it again.
#[tokio::test(flavor = "multi_thread")]
async fn a_failed_run_the_database_refuses_is_kept_until_it_can_be_written() {
    let h = harness_on(
        common::sqlite_with(1).await,
        &[three_targets("refusing")],
        false,
    )
    .await;
    run(&h, "refusing", slot(14)).await;
    let engine = h.engine.clone();
    let task = tokio::spawn(async move {
        engine
            .run_pack("refusing", slot(15), "test", None, &|_| {})
            .await
    });
    // Once the run has started (its slow target still loading), writes are refused.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let runs = h.db.store.recent_runs("refusing", 1).await.unwrap();
        if runs[0].slot == slot(15) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the run never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    h.db.store
        .execute_admin("pragma query_only = 1")
        .await
        .unwrap();
    let err = task.await.unwrap().expect_err("nothing can be written");
    assert!(err.to_string().contains("readonly"), "{err}");
    assert_eq!(h.db.store.pending_counts().finished_runs, 1);
    let api = probes_api(&h).await;
    let pack = &api["packs"][0];
    assert_eq!(pack["failing"], true, "{pack}");
    assert_eq!(pack["last_run"]["state"], "finished", "{pack}");
    assert!(
        pack["last_run"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("readonly")),
        "{pack}"
    );

    h.db.store
        .execute_admin("pragma query_only = 0")
        .await
        .unwrap();
    assert_eq!(h.db.store.flush_pending().await.unwrap(), 1);
    assert_eq!(h.db.store.pending_counts(), Default::default());
    // Now in the database itself, as another process reads it.
    let other = hutong::storage::Store::open(&h.db.url, 1).await.unwrap();
    let runs = other.recent_runs("refusing", 1).await.unwrap();
    assert_eq!(
        (runs[0].slot, runs[0].state.as_str()),
        (slot(15), "finished")
    );
    assert!(runs[0].failed());
    other.close().await;
    h.running.shutdown().await;
}

/// One pack whose pages take (without limits) minutes to read never holds up another:
/// each pack classifies within its own share of the cores. Stopping the engine ends the
/// stuck classification.
#[tokio::test(flavor = "multi_thread")]
async fn a_stuck_classification_never_blocks_another_pack() {
    let deep = "http://lab.sim.test/deep?n=30000&tag=b";
    let h = harness(&[
        lab_pack(
            "stuck",
            true,
            "timeout_secs = 30\nmax_body_bytes = 5242880",
            &[("simshop", deep), ("simvideo", deep), ("simnews", deep)],
            "{target_raw}",
            r#"
[[rule]]
id = "deepest"
status = "open"
when = { selector = "body", text_contains = "最深处" }
"#,
        ),
        lab_pack(
            "quick",
            true,
            "",
            &[("simshop", "http://shop.simshop.test/item/1")],
            "{target_raw}",
            NUL_RULES,
        ),
    ])
    .await;
    // No limits: these pages would take minutes to read.
    let engine = Engine::new(
        h.db.store.clone(),
        h.engine.packs().iter().map(|p| (**p).clone()).collect(),
        Fetcher::new(FetcherOptions::default()).unwrap(),
        Some(
            Fetcher::new(FetcherOptions {
                proxy: Some(url::Url::parse(&format!("http://{}", h.running.addr)).unwrap()),
                ..FetcherOptions::default()
            })
            .unwrap(),
        ),
        "test",
        16,
    )
    .with_parse_limits(hutong::probes::bounded::ParseLimits {
        max_depth: u32::MAX,
        max_elements: usize::MAX,
        time: Duration::from_secs(3600),
    });
    let stuck = {
        let engine = engine.clone();
        tokio::spawn(async move {
            engine
                .run_pack("stuck", slot(16), "test", None, &|_| {})
                .await
        })
    };
    // Let the stuck pack fetch its pages and start reading them.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let quick = tokio::time::timeout(
        Duration::from_secs(60),
        engine.run_pack("quick", slot(16), "test", None, &|_| {}),
    )
    .await
    .expect("the other pack is not held up")
    .expect("its run completes");
    assert_eq!((quick.observed, quick.failures), (1, 0));
    assert!(!stuck.is_finished(), "the stuck pack is still reading");
    engine.stop();
    let stopped = tokio::time::timeout(Duration::from_secs(60), stuck)
        .await
        .expect("stopping ends the stuck classification")
        .unwrap();
    assert!(
        matches!(stopped, Err(hutong::probes::engine::EngineError::Stopped)),
        "{stopped:?}"
    );
    h.running.shutdown().await;
}
