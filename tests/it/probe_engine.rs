//! The probe engine over time: a rule change reclassified as a method change, a run
//! interrupted and resumed without losing or doubling anything, the scheduler finding the
//! simulator's changes, and transitions needing N agreeing observations.

use crate::common::relay::Relay;
use crate::common::{self, TestApp, TestDb, real_catalog, sqlite};
use chrono::{Duration, TimeZone, Utc};
use hutong::probes::engine::{Engine, writer_for};
use hutong::probes::fetch::{Fetcher, FetcherOptions};
use hutong::probes::pack::{ProbePack, validate_packs};
use hutong::scheduler::Scheduler;
use hutong::simulator::{LinkState, RunningSimulator, Simulator, Timetable};
use hutong::storage::{RunStart, Store};
use std::path::PathBuf;

async fn simulator(timetable: Timetable) -> (Simulator, RunningSimulator) {
    let sim = Simulator::new(timetable);
    let running = sim
        .start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("simulator starts");
    (sim, running)
}

fn engine(store: &Store, packs: Vec<ProbePack>, sim: &RunningSimulator) -> Engine {
    let proxy = url::Url::parse(&format!("http://{}", sim.addr)).unwrap();
    let sim_fetcher = Fetcher::new(FetcherOptions {
        proxy: Some(proxy),
        ..FetcherOptions::default()
    })
    .unwrap();
    Engine::new(
        store.clone(),
        packs,
        Fetcher::new(FetcherOptions::default()).unwrap(),
        Some(sim_fetcher),
        "test",
        8,
    )
}

/// The demo SimChat pack with its rules edited by `edit`.
fn simchat_pack(edit: impl Fn(String) -> String) -> ProbePack {
    let text =
        std::fs::read_to_string(common::catalog_dir().join("probes/demo-simchat-links.toml"))
            .unwrap();
    let text = edit(text);
    let mut packs = validate_packs(
        &[(PathBuf::from("demo.toml"), text.as_str())],
        &real_catalog(),
    )
    .unwrap_or_else(|p| panic!("{p}"));
    packs.remove(0)
}

fn statuses(obs: &[hutong::domain::ObservationRecord]) -> Vec<String> {
    obs.iter().map(|o| o.status.clone()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn reclassifying_after_a_rule_change_is_a_method_change_not_a_policy_change() {
    let db = sqlite().await;
    db.store.apply_catalog(&real_catalog()).await.unwrap();
    let (sim, running) = simulator(Timetable::Fixed).await;
    sim.set_link("simchat", "simshop", LinkState::Warned);

    // Version 1 reads the gray interstitial wrongly, as blocked.
    let wrong = simchat_pack(|t| t.replace("status = \"warned\"", "status = \"blocked\""));
    let e1 = engine(&db.store, vec![wrong], &running);
    let base = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
    for i in 0..3 {
        e1.run_pack(
            "demo-simchat-links",
            base + Duration::minutes(i),
            "manual",
            Some("link.simchat.simshop"),
            &|_| {},
        )
        .await
        .unwrap();
    }
    let before = db.store.observations("link.simchat.simshop").await.unwrap();
    assert_eq!(statuses(&before), ["blocked", "blocked", "blocked"]);
    let transitions = db.store.transitions("link.simchat.simshop").await.unwrap();
    assert_eq!(
        transitions.len(),
        1,
        "N = 2 agreeing observations make one change"
    );
    assert_eq!(transitions[0].to_status, "blocked");
    assert_eq!(
        transitions[0].occurred_at, before[0].observed_at,
        "dated at the first of the run"
    );

    // Version 2 fixes the rule; reclassify re-reads the stored snapshots.
    let right = simchat_pack(|t| t.replace("version = 1", "version = 2"));
    let e2 = engine(&db.store, vec![right], &running);
    let (checked, changed) = e2.reclassify("demo-simchat-links").await.unwrap();
    assert_eq!((checked, changed), (3, 3));

    let after = db.store.observations("link.simchat.simshop").await.unwrap();
    assert_eq!(after.len(), 6, "old verdicts are kept beside the new ones");
    let current: Vec<_> = after.iter().filter(|o| o.superseded_by.is_none()).collect();
    assert_eq!(current.len(), 3);
    assert!(
        current
            .iter()
            .all(|o| o.status == "warned" && o.rule_version == Some(2))
    );
    assert!(current.iter().all(|o| o.reclassifies.is_some()));
    // Same times as the originals: history re-derived, not a change happening now.
    let mut times: Vec<_> = current.iter().map(|o| o.observed_at).collect();
    times.sort();
    assert_eq!(
        times,
        before.iter().map(|o| o.observed_at).collect::<Vec<_>>()
    );

    let transitions = db.store.transitions("link.simchat.simshop").await.unwrap();
    assert_eq!(
        transitions.len(),
        1,
        "no blocked→warned policy change appears"
    );
    assert_eq!(transitions[0].to_status, "warned");
    let changes = db
        .store
        .method_changes(Some("demo-simchat-links"))
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].from_version, changes[0].to_version),
        (Some(1), 2)
    );
    assert_eq!((changes[0].checked, changes[0].changed), (3, 3));

    // Reclassifying again under the same rules changes nothing.
    assert_eq!(e2.reclassify("demo-simchat-links").await.unwrap(), (3, 0));
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restart_in_the_middle_of_a_run_loses_nothing_and_doubles_nothing() {
    let db = sqlite().await;
    db.store.apply_catalog(&real_catalog()).await.unwrap();
    let (sim, running) = simulator(Timetable::Fixed).await;
    sim.set_link("simchat", "simshop", LinkState::Open);
    sim.set_link("simchat", "simvideo", LinkState::Blocked);
    // One target is slow: the run is stopped while it is still waiting.
    let pack = simchat_pack(|t| {
        t.replace(
            "simnews = \"http://news.simnews.test/a/1\"",
            "simnews = \"http://lab.sim.test/slow?ms=20000\"",
        )
        .replace("timeout_secs = 10", "timeout_secs = 30")
    });
    let slot = Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap();
    let first = engine(&db.store, vec![pack.clone()], &running);
    let task = {
        let first = first.clone();
        tokio::spawn(async move {
            first
                .run_pack("demo-simchat-links", slot, "schedule", None, &|_| {})
                .await
        })
    };
    // Wait until the two fast checks are stored, then stop the "process".
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let stored = db
            .store
            .run_observations("demo-simchat-links", slot)
            .await
            .unwrap();
        if stored.len() == 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the fast checks were never stored"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    task.abort();
    let _ = task.await;

    // The next start finds the run unfinished …
    let interrupted = db.store.interrupted_runs("test").await.unwrap();
    assert_eq!(interrupted.len(), 1);
    assert_eq!(interrupted[0].slot, slot);
    assert_eq!(interrupted[0].state, "interrupted");

    // … and resumes it: only the missing check is probed.
    let fixed = simchat_pack(|t| t); // the slow target is fast again after the restart
    let second = engine(&db.store, vec![fixed], &running);
    let summary = second
        .run_pack("demo-simchat-links", slot, "resume", None, &|_| {})
        .await
        .unwrap();
    assert_eq!(summary.resumed, 2);
    assert_eq!(summary.observed, 1);
    let stored = db
        .store
        .run_observations("demo-simchat-links", slot)
        .await
        .unwrap();
    let mut checks: Vec<_> = stored
        .iter()
        .map(|o| (o.check_id.as_str(), o.status.as_str()))
        .collect();
    checks.sort();
    assert_eq!(
        checks,
        [
            ("link.simchat.simnews", "open"),
            ("link.simchat.simshop", "open"),
            ("link.simchat.simvideo", "blocked"),
        ]
    );
    let runs = db
        .store
        .recent_runs("demo-simchat-links", 10)
        .await
        .unwrap();
    assert_eq!(runs.len(), 1, "one run for the slot, never two");
    assert_eq!((runs[0].state.as_str(), runs[0].done), ("finished", 3));

    // Running the finished slot again does nothing.
    let again = second
        .run_pack("demo-simchat-links", slot, "schedule", None, &|_| {})
        .await
        .unwrap();
    assert!(again.already_finished);
    assert_eq!(
        db.store
            .run_observations("demo-simchat-links", slot)
            .await
            .unwrap()
            .len(),
        3
    );
    running.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_scheduler_discovers_the_simulators_changes_and_resumes_interrupted_runs() {
    let db = sqlite().await;
    db.store.apply_catalog(&real_catalog()).await.unwrap();
    let (sim, running) = simulator(Timetable::Fixed).await;
    sim.set_link("simchat", "simshop", LinkState::Warned);
    let pack = simchat_pack(|t| {
        t.replace(
            "schedule = \"*/15 * * * * *\"",
            "schedule = \"* * * * * *\"",
        )
    });
    let e = engine(&db.store, vec![pack], &running);

    // A run left unfinished by an earlier process.
    let old_slot = Utc::now() - Duration::hours(1);
    let old_slot = chrono::Timelike::with_nanosecond(&old_slot, 0).unwrap();
    db.store
        .begin_run("demo-simchat-links", "test", old_slot, "schedule", 3, None)
        .await
        .unwrap();

    let scheduler = Scheduler::start(e.clone(), &["demo-simchat-links".to_string()])
        .await
        .unwrap();
    let wait_for = |want: &'static str| {
        let store = db.store.clone();
        async move {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            loop {
                let t = store.transitions("link.simchat.simshop").await.unwrap();
                if t.last().is_some_and(|t| t.to_status == want) {
                    return t;
                }
                assert!(
                    std::time::Instant::now() < deadline,
                    "no transition to {want}: {t:?}"
                );
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        }
    };
    wait_for("warned").await;
    sim.set_link("simchat", "simshop", LinkState::Blocked);
    let t = wait_for("blocked").await;
    assert_eq!(
        t.iter().map(|t| t.to_status.as_str()).collect::<Vec<_>>(),
        ["warned", "blocked"]
    );
    assert!(
        t.iter().all(|t| t.source_kind == "simulated"),
        "the simulator's data is labelled"
    );
    scheduler.shutdown().await;

    let runs = db
        .store
        .recent_runs("demo-simchat-links", 1000)
        .await
        .unwrap();
    let old = runs
        .iter()
        .find(|r| r.slot == old_slot)
        .expect("the old run is kept");
    assert_eq!(
        old.state, "finished",
        "the interrupted run was resumed at start"
    );
    let mut slots: Vec<_> = runs.iter().map(|r| r.slot).collect();
    slots.dedup();
    assert_eq!(slots.len(), runs.len(), "no slot ran twice");
    running.shutdown().await;
}

#[test]
fn probe_classify_reads_a_saved_page_with_the_wechat_pack() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    // The shape of WeChat's interstitial: state only in the inline script, URLs entity-escaped.
    std::fs::write(
        &page,
        r#"<html><head><title>微信安全中心</title></head><body><div id="app"></div>
<script>var cgiData = {"type":"block","title":"已停止访问该网页","url":"https://item.taobao.com/item.htm?id=1&amp;spm=x"};</script>
</body></html>"#,
    )
    .unwrap();
    let found = hutong::probe_cli::classify_file(
        &common::catalog_dir(),
        "wechat-links",
        &page,
        Some(
            "https://weixin110.qq.com/cgi-bin/mmspamsupport-bin/newredirectconfirmcgi?main_type=1",
        ),
        200,
        None,
    )
    .unwrap();
    let c = &found.classification;
    assert_eq!(c.status(), "blocked");
    assert_eq!(c.rule.as_deref(), Some("interstitial-block"));
    assert!(c.excerpt.as_deref().unwrap_or_default().contains("cgiData"));
    assert!(c.verdicts[0].confirmed);

    // The same words painted by a site of its own are not WeChat blocking anything.
    std::fs::write(
        &page,
        "<html><body><h2 class=\"weui-msg__title\">已停止访问该网页</h2></body></html>",
    )
    .unwrap();
    let found = hutong::probe_cli::classify_file(
        &common::catalog_dir(),
        "wechat-links",
        &page,
        Some("https://lookalike.example.com/"),
        200,
        None,
    )
    .unwrap();
    assert_eq!(found.classification.status(), "unknown");
    assert_eq!(
        found.classification.failure(),
        Some(hutong::probes::FailureClass::NoRuleMatched)
    );

    // Unknown packs and unreadable files are named.
    let err =
        hutong::probe_cli::classify_file(&common::catalog_dir(), "nope", &page, None, 200, None)
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("no probe pack \"nope\"") && err.contains("wechat-links"),
        "{err}"
    );
    let err = hutong::probe_cli::classify_file(
        &common::catalog_dir(),
        "wechat-links",
        &dir.path().join("missing.html"),
        None,
        200,
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("missing.html"), "{err}");
}

/// Waits (at most 30 s) until `cond` holds.
async fn eventually<F, Fut>(what: &str, cond: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !cond().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Every slot of `schedule` from `from` to `to` (inclusive) was run or recorded missed.
fn assert_every_slot_accounted_for(
    schedule: &str,
    from: chrono::DateTime<Utc>,
    to: chrono::DateTime<Utc>,
    runs: &[hutong::storage::ProbeRunRecord],
    missed: &[hutong::storage::MissedSlotsRecord],
) -> usize {
    let mut slot = from;
    let mut n = 0;
    while slot <= to {
        let ran = runs.iter().any(|r| r.slot == slot);
        let was_missed = missed
            .iter()
            .any(|m| m.first_slot <= slot && slot <= m.last_slot);
        assert!(
            ran || was_missed,
            "slot {slot} passed in silence\nruns: {:?}\nmissed: {missed:?}",
            runs.iter().map(|r| r.slot).collect::<Vec<_>>()
        );
        n += 1;
        slot = hutong::probes::next_fire(schedule, slot).unwrap();
    }
    n
}

/// `/probes` (in `lang`) and `/api/v1/probes` for `packs`, failing at once.
async fn probes_views(db: &TestDb, packs: &[&ProbePack]) -> (String, String, serde_json::Value) {
    let summaries = packs
        .iter()
        .map(|p| hutong::probes::PackSummary {
            id: p.id.clone(),
            name_en: p.name_en.clone(),
            name_zh: p.name_zh.clone(),
            kind: p.kind.clone(),
            version: p.version,
            verified: p.verified,
            simulated: p.simulated,
            enabled: true,
            scheduled: true,
            schedule: p.schedule.clone(),
            confirmations: p.confirmations,
            checks: Vec::new(),
            file: "probes/test.toml".into(),
        })
        .collect();
    let app = TestApp::builder(db.clone())
        .packs(summaries)
        .probe_alert_after(Duration::zero())
        .build();
    let en = app.probes_page("").await.body;
    let zh = app.probes_page("lang=zh-CN").await.body;
    let api = app.api_probes().await.json();
    (en, zh, api)
}

/// No slot passes in silence: slots while no process ran are recorded at start, slots
/// whose previous run is still going are recorded as they come, with why, and shown.
#[tokio::test(flavor = "multi_thread")]
async fn no_slot_passes_in_silence() {
    let db = sqlite().await;
    db.store.apply_catalog(&real_catalog()).await.unwrap();
    let (_sim, running) = simulator(Timetable::Fixed).await;
    // Every second; each run waits 2.5 s for its slow target.
    let pack = simchat_pack(|t| {
        t.replace(
            "schedule = \"*/15 * * * * *\"",
            "schedule = \"* * * * * *\"",
        )
        .replace(
            "simnews = \"http://news.simnews.test/a/1\"",
            "simnews = \"http://lab.sim.test/slow?ms=2500\"",
        )
    });
    let schedule = pack.schedule.clone();
    let e = engine(&db.store, vec![pack.clone()], &running);
    // The last run of an earlier process, 20 s ago.
    let before =
        chrono::Timelike::with_nanosecond(&(Utc::now() - Duration::seconds(20)), 0).unwrap();
    let RunStart::Fresh(id) = db
        .store
        .begin_run("demo-simchat-links", "test", before, "schedule", 3, None)
        .await
        .unwrap()
    else {
        panic!("a fresh run")
    };
    db.store.finish_run(id, 3, 0, None).await.unwrap();

    let scheduler = Scheduler::start(e.clone(), &["demo-simchat-links".to_string()])
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    scheduler.shutdown().await;

    let runs = db
        .store
        .recent_runs("demo-simchat-links", 1000)
        .await
        .unwrap();
    let missed = db
        .store
        .missed_slots("demo-simchat-links", 1000)
        .await
        .unwrap();
    let reasons: Vec<&str> = missed.iter().map(|m| m.reason.as_str()).collect();
    let idle = missed
        .iter()
        .find(|m| m.reason == "not_running")
        .unwrap_or_else(|| panic!("{missed:?}"));
    assert_eq!(idle.first_slot, before + Duration::seconds(1), "{idle:?}");
    assert!(idle.slots >= 18, "{idle:?}");
    assert!(reasons.contains(&"previous_run_going"), "{reasons:?}");
    assert!(missed.iter().all(|m| !m.pending), "all written: {missed:?}");
    let last = runs
        .iter()
        .map(|r| r.slot)
        .chain(missed.iter().map(|m| m.last_slot))
        .max()
        .unwrap();
    let slots = assert_every_slot_accounted_for(&schedule, before, last, &runs, &missed);
    assert!(slots >= 24, "{slots}");

    let (en, zh, api) = probes_views(&db, &[&pack]).await;
    assert!(en.contains("previous run was still going"), "{en}");
    assert!(
        en.contains("no Hutong process was scheduling the pack"),
        "{en}"
    );
    assert!(zh.contains("该探针包的上一次运行尚未结束"), "{zh}");
    let listed = api["packs"][0]["recent_missed_slots"].as_array().unwrap();
    assert!(
        listed.iter().any(|m| m["reason"] == "not_running"),
        "{listed:?}"
    );
    running.shutdown().await;
}

/// While the database refuses writes, the slots it costs are recorded as missed in
/// memory (and shown, the pack failing); once it takes writes again they are stored.
#[tokio::test(flavor = "multi_thread")]
async fn slots_missed_while_the_database_refuses_writes_are_kept_and_then_stored() {
    let db = common::sqlite_with(1).await;
    db.store.apply_catalog(&real_catalog()).await.unwrap();
    let (_sim, running) = simulator(Timetable::Fixed).await;
    let pack = simchat_pack(|t| {
        t.replace(
            "schedule = \"*/15 * * * * *\"",
            "schedule = \"*/2 * * * * *\"",
        )
    });
    let e = engine(&db.store, vec![pack.clone()], &running);
    let scheduler = Scheduler::start(e.clone(), &["demo-simchat-links".to_string()])
        .await
        .unwrap();
    // Between two runs (every 2 s, each a few milliseconds), writes start failing.
    let store = &db.store;
    eventually("a run finished", || async {
        store
            .recent_runs("demo-simchat-links", 1)
            .await
            .unwrap()
            .first()
            .is_some_and(|r| r.state == "finished")
    })
    .await;
    db.store
        .execute_admin("pragma query_only = 1")
        .await
        .unwrap();
    eventually("a missed slot kept in memory", || async {
        store.pending_counts().missed_slots > 0
    })
    .await;
    let (en, _, api) = probes_views(&db, &[&pack]).await;
    let p = &api["packs"][0];
    assert_eq!(p["failing"], true, "{p}");
    let pending = p["recent_missed_slots"][0].clone();
    assert_eq!(pending["reason"], "database_unavailable", "{p}");
    assert_eq!(pending["pending"], true, "{p}");
    assert!(
        pending["detail"].as_str().unwrap().contains("readonly"),
        "{p}"
    );
    assert!(en.contains("the database was unavailable"), "{en}");
    assert!(en.contains("not written yet"), "{en}");

    db.store
        .execute_admin("pragma query_only = 0")
        .await
        .unwrap();
    eventually("the missed slots written", || async {
        store.pending_counts() == Default::default()
    })
    .await;
    scheduler.shutdown().await;
    let missed = db
        .store
        .missed_slots("demo-simchat-links", 100)
        .await
        .unwrap();
    assert!(
        missed
            .iter()
            .any(|m| m.reason == "database_unavailable" && !m.pending && m.id > 0),
        "{missed:?}"
    );
    running.shutdown().await;
}

/// PostgreSQL down for a while under a running scheduler: the slots it costs are recorded
/// as missed (database unavailable), kept in memory, and stored once it is back.
#[tokio::test(flavor = "multi_thread")]
async fn slots_missed_while_postgres_is_down_are_stored_when_it_is_back() {
    let Some(db) = common::postgres().await else {
        return;
    };
    db.store.apply_catalog(&real_catalog()).await.unwrap();
    let relay = Relay::to(&db.url).await;
    let store = Store::open(&relay.url(&db.url), 2).await.unwrap();

    let (_sim, running) = simulator(Timetable::Fixed).await;
    let pack = simchat_pack(|t| {
        t.replace(
            "schedule = \"*/15 * * * * *\"",
            "schedule = \"*/2 * * * * *\"",
        )
    });
    let schedule = pack.schedule.clone();
    let e = engine(&store, vec![pack], &running);
    let scheduler = Scheduler::start(e.clone(), &["demo-simchat-links".to_string()])
        .await
        .unwrap();
    let started = chrono::Timelike::with_nanosecond(&Utc::now(), 0).unwrap();
    eventually("a run finished", || async {
        db.store
            .recent_runs("demo-simchat-links", 1)
            .await
            .unwrap()
            .first()
            .is_some_and(|r| r.state == "finished")
    })
    .await;
    relay.cut();
    eventually("a missed slot kept in memory", || async {
        store.pending_counts().missed_slots > 0
    })
    .await;
    relay.restore();
    eventually("everything kept in memory written", || async {
        store.pending_counts() == Default::default()
    })
    .await;
    scheduler.shutdown().await;

    // As the database has it (read directly, not through the relay).
    let missed = db
        .store
        .missed_slots("demo-simchat-links", 1000)
        .await
        .unwrap();
    assert!(
        missed
            .iter()
            .any(|m| m.reason == "database_unavailable" && m.id > 0),
        "{missed:?}"
    );
    let runs = db
        .store
        .recent_runs("demo-simchat-links", 1000)
        .await
        .unwrap();
    let last = runs
        .iter()
        .map(|r| r.slot)
        .chain(missed.iter().map(|m| m.last_slot))
        .max()
        .unwrap();
    let first = runs
        .iter()
        .map(|r| r.slot)
        .min()
        .unwrap()
        .max(started - Duration::seconds(2));
    assert_every_slot_accounted_for(&schedule, first, last, &runs, &missed);
    store.close().await;
    running.shutdown().await;
}

/// On PostgreSQL a run's results go through two writers, each with its own pages: a page
/// whose pair another transaction holds keeps its own writer waiting, not the whole run.
/// (With one writer, every page's results waited in the batch of the held one.)
#[tokio::test(flavor = "multi_thread")]
async fn on_postgresql_a_held_pair_holds_up_only_its_own_writer() {
    let Some(db) = common::postgres().await else {
        return;
    };
    db.store.apply_catalog(&real_catalog()).await.unwrap();
    let (sim, running) = simulator(Timetable::Fixed).await;
    sim.set_link("simchat", "simshop", LinkState::Open);
    sim.set_link("simchat", "simvideo", LinkState::Blocked);
    let pack = simchat_pack(|t| t);
    // The check of a target, and that of one another writer stores.
    let check_of = |t: usize| pack.targets[t].checks[0].check_id.clone();
    let other = (1..pack.targets.len())
        .find(|&t| writer_for(t, 2) != writer_for(0, 2))
        .expect("the pack's targets go to both writers");
    let (held, free) = (check_of(0), check_of(other));
    let mut checks: Vec<String> = (0..pack.targets.len()).map(check_of).collect();
    checks.sort();
    let e = engine(&db.store, vec![pack], &running);
    let first = Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0).unwrap();
    e.run_pack("demo-simchat-links", first, "schedule", None, &|_| {})
        .await
        .unwrap();

    // The first target's pair held by another transaction.
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let mut holder = pool.begin().await.unwrap();
    let locked: Vec<(String,)> =
        sqlx::query_as("select check_id from check_sources where check_id = $1 for update")
            .bind(&held)
            .fetch_all(&mut *holder)
            .await
            .unwrap();
    assert!(!locked.is_empty(), "the first run stored {held}'s pair");

    let second = first + Duration::minutes(15);
    let task = {
        let e = e.clone();
        tokio::spawn(async move {
            e.run_pack("demo-simchat-links", second, "schedule", None, &|_| {})
                .await
        })
    };
    let stored = |db: &TestDb| {
        let store = db.store.clone();
        async move {
            store
                .run_observations("demo-simchat-links", second)
                .await
                .unwrap()
                .into_iter()
                .map(|o| o.check_id)
                .collect::<Vec<_>>()
        }
    };
    eventually(&format!("{free} stored while {held} is held"), || async {
        stored(&db).await.contains(&free)
    })
    .await;
    assert!(
        !stored(&db).await.contains(&held),
        "{held} waits for the transaction holding it"
    );
    holder.commit().await.unwrap();
    let summary = task.await.unwrap().unwrap();
    assert_eq!(summary.observed, checks.len());
    let mut all = stored(&db).await;
    all.sort();
    assert_eq!(all, checks, "every check stored once");
    pool.close().await;
    running.shutdown().await;
}
