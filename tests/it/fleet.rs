//! The fleet: real `hutong worker` processes on PostgreSQL at two vantage points, one
//! killed with SIGKILL in the middle of a run, one cut off from PostgreSQL; claims,
//! leases and takeovers in storage; the SQLite single-writer refusal.

use crate::common::relay::Relay;
use crate::common::{self, hutong};
use chrono::{DateTime, Utc};
use hutong::storage::{Claim, LeaseHolder, Store};
use std::collections::HashMap;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// A catalog whose only probe pack is `fleet`: three quick targets and one that answers
/// after `slow_ms`, every 3 seconds.
fn fleet_catalog(dir: &std::path::Path, slow_ms: u64) -> std::path::PathBuf {
    let catalog = dir.join("catalog");
    common::copy_dir(&common::catalog_dir(), &catalog);
    for entry in std::fs::read_dir(catalog.join("probes")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            std::fs::remove_file(path).unwrap();
        }
    }
    std::fs::write(
        catalog.join("probes/fleet.toml"),
        format!(
            r#"[pack]
id = "fleet"
name_en = "Fleet"
name_zh = "机群"
kind = "link"
subject = "simlab"
version = 1
verified = true
simulated = true
schedule = "*/3 * * * * *"
timeout_secs = 30

[targets]
simshop = "http://lab.sim.test/slow?ms=5"
simvideo = "http://lab.sim.test/slow?ms=6"
simnews = "http://lab.sim.test/slow?ms=7"
lab_slow = "http://lab.sim.test/slow?ms={slow_ms}"

[request]
url = "{{target_raw}}"
follow_redirects = true

[[rule]]
id = "slow-page"
status = "open"
when = {{ selector = "h1", text_contains = "慢速页面" }}
"#
        ),
    )
    .unwrap();
    catalog
}

/// A worker process at `vantage` with short leases, its output in `log`.
fn worker(catalog: &std::path::Path, url: &str, vantage: &str, log: &std::path::Path) -> Child {
    worker_command(catalog, url, vantage, log)
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The command [`worker`] runs, to add to.
fn worker_command(
    catalog: &std::path::Path,
    url: &str,
    vantage: &str,
    log: &std::path::Path,
) -> std::process::Command {
    let mut command = hutong();
    command
        .args(["worker", "--demo", "--vantage", vantage, "--catalog-dir"])
        .arg(catalog)
        .args(["--database-url", url, "--log", "info"])
        .env("NO_COLOR", "1")
        .env("HUTONG_PROBES__LEASE_MS", "1500")
        .env("HUTONG_PROBES__HEARTBEAT_MS", "300")
        .env("HUTONG_PROBES__POLL_MS", "200")
        .stdout(std::fs::File::create(log).unwrap());
    command
}

/// Waits until a run of the fleet pack finished with all four checks.
async fn a_run_finishes(store: &Store, what: &str) {
    eventually(what, || async {
        store
            .runs_since(DateTime::<Utc>::UNIX_EPOCH)
            .await
            .unwrap()
            .iter()
            .any(|r| r.state == "finished" && r.done == 4)
    })
    .await;
}

async fn eventually<F, Fut>(what: &str, cond: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(45);
    while !cond().await {
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn stop(child: &mut Child) {
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "a worker ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Every run of the fleet at every vantage point holds exactly one observation per check,
/// and every finished run stored all four.
async fn assert_exactly_once(store: &Store) {
    let runs = store.runs_since(DateTime::<Utc>::UNIX_EPOCH).await.unwrap();
    assert!(!runs.is_empty());
    for run in &runs {
        let obs = store
            .run_observations_at("fleet", &run.vantage, run.slot)
            .await
            .unwrap();
        let mut per_check: HashMap<&str, usize> = HashMap::new();
        for o in &obs {
            *per_check.entry(o.check_id.as_str()).or_default() += 1;
        }
        assert!(
            per_check.values().all(|&n| n == 1),
            "{run:?}: {per_check:?}"
        );
        if run.state == "finished" {
            assert_eq!(obs.len(), 4, "{run:?}: a finished run lost checks");
            assert_eq!(run.done, 4, "{run:?}");
        }
    }
}

/// Three workers at two vantage points; the one holding a run at `cn-a` is killed with
/// SIGKILL while the slow target is still being fetched: its lease expires, the other
/// `cn-a` worker takes the run over (recorded), probes only what was not stored, and every
/// (pack, vantage point, slot, check) ends with exactly one observation.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_run_is_taken_over_and_nothing_is_lost_or_doubled() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let catalog = fleet_catalog(tmp.path(), 2500);
    let mut children: Vec<Child> = [("cn-a", "a1"), ("cn-a", "a2"), ("cn-b", "b1")]
        .iter()
        .map(|(v, name)| {
            worker(
                &catalog,
                &db.url,
                v,
                &tmp.path().join(format!("{name}.log")),
            )
        })
        .collect();
    let store = &db.store;

    // A run at cn-a whose quick checks are stored while its slow one is still fetched.
    let mut victim = None;
    let deadline = Instant::now() + Duration::from_secs(45);
    while victim.is_none() {
        assert!(Instant::now() < deadline, "no cn-a run was ever half done");
        for run in store
            .runs_since(Utc::now() - chrono::Duration::minutes(5))
            .await
            .unwrap()
        {
            if run.vantage != "cn-a" || run.state != "running" {
                continue;
            }
            let stored = store
                .run_observations_at("fleet", "cn-a", run.slot)
                .await
                .unwrap()
                .len();
            if stored > 0 && stored < 4 {
                victim = Some(run);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let victim = victim.unwrap();
    let holder = victim.worker_id.clone().unwrap();
    let workers = store.workers().await.unwrap();
    let pid = workers.iter().find(|w| w.id == holder).unwrap().pid;
    let killed = children
        .iter_mut()
        .position(|c| i64::from(c.id()) == pid)
        .expect("the holder is one of ours");
    children[killed].kill().unwrap(); // SIGKILL
    children[killed].wait().unwrap();

    eventually(
        "the killed worker's run taken over and finished",
        || async {
            let taken = store.takeovers(10).await.unwrap();
            let finished = store
                .recent_runs_at("fleet", "cn-a", 50)
                .await
                .unwrap()
                .into_iter()
                .any(|r| r.id == victim.id && r.state == "finished");
            finished && taken.iter().any(|t| t.run_id == victim.id)
        },
    )
    .await;
    let taken = store.takeovers(10).await.unwrap();
    let t = taken.iter().find(|t| t.run_id == victim.id).unwrap();
    assert_eq!(t.from_worker.as_deref(), Some(holder.as_str()));
    assert_ne!(t.to_worker, holder);
    assert_eq!(t.vantage, "cn-a");
    // cn-b went on meanwhile.
    eventually("cn-b finished runs", || async {
        store
            .recent_runs_at("fleet", "cn-b", 50)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.state == "finished")
            .count()
            >= 2
    })
    .await;
    for (i, child) in children.iter_mut().enumerate() {
        if i != killed {
            stop(child);
        }
    }
    // A graceful stop leaves no lease behind; every run is finished or left interrupted
    // for the next worker.
    let runs = store.runs_since(DateTime::<Utc>::UNIX_EPOCH).await.unwrap();
    assert!(runs.iter().all(|r| r.state != "running"), "{runs:?}");
    assert_exactly_once(store).await;
    // No slot passed in silence at either vantage point: run or recorded missed.
    for vantage in ["cn-a", "cn-b"] {
        let runs = store.recent_runs_at("fleet", vantage, 1000).await.unwrap();
        let missed: Vec<_> = store
            .missed_slots("fleet", 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|m| m.vantage == vantage)
            .collect();
        let first = runs.iter().map(|r| r.slot).min().unwrap();
        let last = runs.iter().map(|r| r.slot).max().unwrap();
        let mut slot = first;
        while slot <= last {
            assert!(
                runs.iter().any(|r| r.slot == slot)
                    || missed
                        .iter()
                        .any(|m| m.first_slot <= slot && slot <= m.last_slot),
                "{vantage}: slot {slot} passed in silence"
            );
            slot += chrono::Duration::seconds(3);
        }
    }
}

/// A worker cut off from PostgreSQL (its TCP connections dropped, new ones refused) for a
/// few seconds in the middle of its runs goes on by itself once the database is back:
/// same process, runs finished after the cut, nothing stored twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_cut_off_from_postgres_recovers_without_restart() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let catalog = fleet_catalog(tmp.path(), 300);
    let relay = Relay::to(&db.url).await;
    let mut child = worker(
        &catalog,
        &relay.url(&db.url),
        "cn-a",
        &tmp.path().join("w.log"),
    );
    let store = &db.store;
    let finished = || async {
        store
            .recent_runs_at("fleet", "cn-a", 1000)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.state == "finished")
            .count()
    };
    eventually("a first run finished", || async { finished().await >= 1 }).await;
    relay.cut();
    tokio::time::sleep(Duration::from_secs(4)).await;
    let before = finished().await;
    relay.restore();
    let restored = Utc::now();
    eventually("runs finished after the database came back", || async {
        store
            .recent_runs_at("fleet", "cn-a", 1000)
            .await
            .unwrap()
            .iter()
            .any(|r| r.state == "finished" && r.started_at > restored)
            && finished().await > before
    })
    .await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the worker is the same process"
    );
    stop(&mut child);
    assert_exactly_once(store).await;
    let log = std::fs::read_to_string(tmp.path().join("w.log")).unwrap();
    assert!(
        log.contains("retrying") || log.contains("trying again"),
        "{log}"
    );
}

/// Two workers racing for the same slot: exactly one claims it; the other finds it taken.
/// A lease that expires is taken over once, and recorded; slots passed meanwhile are
/// recorded missed at that vantage point only.
#[tokio::test(flavor = "multi_thread")]
async fn claims_are_at_most_once_and_expired_leases_are_taken_over() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let store = &db.store;
    let a = LeaseHolder {
        worker_id: "w-a".into(),
        lease: Duration::from_millis(300),
    };
    let b = LeaseHolder {
        worker_id: "w-b".into(),
        lease: Duration::from_millis(300),
    };
    let at = |s: i64| DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap();
    let every_10 = |last: DateTime<Utc>, due: DateTime<Utc>| {
        let n = (due - last).num_seconds() / 10 - 1;
        (n > 0).then(|| {
            (
                last + chrono::Duration::seconds(10),
                due - chrono::Duration::seconds(10),
                n,
            )
        })
    };
    for _ in 0..5 {
        let due = at(0);
        let (x, y) = tokio::join!(
            store.claim_slot("p", "cn-a", due, &a, |l| every_10(l, due)),
            store.claim_slot("p", "cn-a", due, &b, |l| every_10(l, due)),
        );
        let claimed = [&x, &y]
            .iter()
            .filter(|c| matches!(c, Ok(Claim::Claimed { .. })))
            .count();
        assert!(claimed <= 1, "{x:?} {y:?}");
    }
    let runs = store.recent_runs_at("p", "cn-a", 10).await.unwrap();
    assert_eq!(runs.len(), 1, "one run for the slot: {runs:?}");
    let run = &runs[0];
    // The same slot at another vantage point is its own run.
    assert!(matches!(
        store
            .claim_slot("p", "cn-b", at(0), &b, |l| every_10(l, at(0)))
            .await
            .unwrap(),
        Claim::Claimed { .. }
    ));
    // Its holder's heartbeats keep it; nobody takes a live lease.
    let holder = if run.worker_id.as_deref() == Some("w-a") {
        &a
    } else {
        &b
    };
    let other = if holder.worker_id == "w-a" { &b } else { &a };
    assert_eq!(store.heartbeat(holder, &[run.id]).await.unwrap(), [run.id]);
    assert_eq!(store.take_over_run("p", "cn-a", other).await.unwrap(), None);
    // Silent for longer than the lease: taken over once, recorded.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let taken = store
        .take_over_run("p", "cn-a", other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.run_id, run.id);
    assert_eq!(
        taken.from_worker.as_deref(),
        Some(holder.worker_id.as_str())
    );
    assert_eq!(
        store.take_over_run("p", "cn-a", holder).await.unwrap(),
        None
    );
    assert!(
        store.heartbeat(holder, &[run.id]).await.unwrap().is_empty(),
        "the lease is lost"
    );
    let t = store.takeovers(10).await.unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].to_worker, other.worker_id);
    // Three slots later: the two between are recorded missed, at cn-a only.
    let due = at(30);
    let claim = store
        .claim_slot("p", "cn-a", due, other, |l| every_10(l, due))
        .await
        .unwrap();
    assert!(
        matches!(claim, Claim::Claimed { missed: Some((f, l, 2)), .. } if f == at(10) && l == at(20)),
        "{claim:?}"
    );
    let missed = store.missed_slots("p", 10).await.unwrap();
    assert_eq!(missed.len(), 1);
    assert_eq!((missed[0].vantage.as_str(), missed[0].slots), ("cn-a", 2));
    assert_eq!(
        missed[0].reason, "previous_run_going",
        "the taken-over run was still going"
    );
    // A stopping worker releases what it holds, and the run waits for the next one.
    assert!(store.release_worker(&other.worker_id).await.unwrap() >= 1);
    let resumed = store
        .take_over_run("p", "cn-a", holder)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        resumed.from_worker, None,
        "a released run is resumed, not taken over"
    );
}

/// On SQLite Hutong is one process: a worker is refused, and so is a second `serve` on
/// the same file, each saying why and what to do.
#[tokio::test]
async fn sqlite_refuses_a_worker_and_a_second_writer() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", tmp.path().join("hutong.db").display());
    let out = hutong()
        .args(["worker", "--vantage", "cn-a", "--catalog-dir"])
        .arg(common::catalog_dir())
        .args(["--database-url", &url])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("on SQLite Hutong is one process"),
        "{stderr}"
    );
    assert!(stderr.contains("use PostgreSQL"), "{stderr}");

    let serve = || {
        hutong()
            .args(["serve", "--listen", "127.0.0.1:0", "--catalog-dir"])
            .arg(common::catalog_dir())
            .args(["--database-url", &url, "--log", "info"])
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut first = serve();
    // Listening: it holds the database.
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(first.stdout.take().unwrap()));
    assert!(lines.any(|l| l.unwrap().contains("listening on")));
    let second = serve().wait_with_output().unwrap();
    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains("another Hutong process is already using"),
        "{stderr}"
    );
    assert!(stderr.contains("use PostgreSQL"), "{stderr}");
    stop(&mut first);
}

/// A configuration listing two vantage points.
fn two_points_config(dir: &std::path::Path) -> std::path::PathBuf {
    let file = dir.join("hutong.toml");
    std::fs::write(
        &file,
        r#"
[[probes.vantage_points]]
name = "cn-bj"
description = "Beijing, home broadband"
account_region = "mainland China"

[[probes.vantage_points]]
name = "hk-1"
description = "Hong Kong, data centre"
"#,
    )
    .unwrap();
    file
}

/// A worker started with a vantage name the configuration does not list is refused
/// before it opens anything (nothing would say what its verdicts stand for), naming the
/// configured ones; a listed name is registered with its description for every server.
#[tokio::test]
async fn a_worker_refuses_an_unlisted_vantage_point_and_registers_a_listed_one() {
    let tmp = tempfile::tempdir().unwrap();
    let config = two_points_config(tmp.path());
    // The address is never reached: the refusal comes first.
    let out = hutong()
        .arg("--config")
        .arg(&config)
        .args(["worker", "--vantage", "cn-shanghai", "--catalog-dir"])
        .arg(common::catalog_dir())
        .args(["--database-url", "postgres://hutong@127.0.0.1:1/none"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("\"cn-shanghai\" is not one of the configured vantage points (cn-bj, hk-1)"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("127.0.0.1:1"),
        "it tried the database: {stderr}"
    );

    let Some(db) = common::postgres().await else {
        return;
    };
    let mut child = hutong()
        .arg("--config")
        .arg(&config)
        .args(["worker", "--vantage", "hk-1", "--catalog-dir"])
        .arg(common::catalog_dir())
        .args(["--database-url", &db.url, "--log", "info"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    eventually("the worker registers its vantage point", || async {
        db.store.vantage_points().await.unwrap().iter().any(|p| {
            p.point.name == "hk-1"
                && p.point.description.as_deref() == Some("Hong Kong, data centre")
        })
    })
    .await;
    stop(&mut child);
    let names = common::vantage_names(&db.store).await;
    assert_eq!(
        names,
        ["hk-1"],
        "only the worker's own point is registered by it"
    );
}

/// A worker on a role made exactly as deploy/worker-role.sql makes one (no CREATE, no
/// writes to the catalog tables, no reading of accounts) starts, probes and stores, after
/// the owner migrated the database and loaded the catalog.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_on_the_least_privileged_role_probes_and_stores() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let catalog = fleet_catalog(tmp.path(), 0);
    // The owner loads the catalog.
    db.store
        .apply_catalog(&hutong::catalog::load_dir(&catalog).unwrap())
        .await
        .unwrap();
    let mut url = url::Url::parse(&db.url).unwrap();
    let database = url.path().trim_start_matches('/').to_string();
    let role = format!("w_{database}");
    let sql = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/worker-role.sql"),
    )
    .unwrap()
    .replace(":worker", &role)
    .replace(":password", "'not-used-with-trust'")
    .replace(":DBNAME", &database);
    db.store.execute_admin(&sql).await.unwrap();
    url.set_username(&role).unwrap();

    let log = tmp.path().join("worker.log");
    let mut child = worker(&catalog, url.as_str(), "cn-a", &log);
    a_run_finishes(&db.store, "the least-privileged worker finishes a run").await;
    stop(&mut child);
    let out = std::fs::read_to_string(&log).unwrap();
    assert!(!out.contains("permission denied"), "{out}");
    assert_exactly_once(&db.store).await;
    db.store
        .execute_admin(&format!("drop owned by {role}"))
        .await
        .unwrap();
    db.store
        .execute_admin(&format!("drop role {role}"))
        .await
        .unwrap();
}

/// Writers store side by side: a transaction that wrote and is still open (a worker in the
/// middle of storing a batch) does not hold up another writer, as it did while each
/// statement raised the data version and kept its one row locked until the end. The
/// version still moves for both, once each commits.
#[tokio::test]
async fn an_open_writing_transaction_does_not_hold_up_other_writers() {
    let Some(db) = common::postgres().await else {
        return;
    };
    db.store
        .apply_catalog(&hutong::catalog::load_dir(&common::catalog_dir()).unwrap())
        .await
        .unwrap();
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    let mut open = pool.begin().await.unwrap();
    sqlx::query("update platforms set name_en = name_en where slug = 'wechat'")
        .execute(&mut *open)
        .await
        .unwrap();
    let before = db.store.data_version().await.unwrap();
    let new = common::observation("link.wechat.taobao", Utc::now(), "open")
        .probed()
        .build();
    let other = db.store.insert_observation(&new);
    let stored = tokio::time::timeout(Duration::from_secs(30), other).await;
    assert!(
        matches!(stored, Ok(Ok(_))),
        "the second writer waited for the open transaction: {stored:?}"
    );
    let between = db.store.data_version().await.unwrap();
    assert!(between > before, "{before} -> {between}");
    open.commit().await.unwrap();
    let after = db.store.data_version().await.unwrap();
    assert!(
        after > between,
        "the open transaction's commit: {between} -> {after}"
    );
    pool.close().await;
}

/// A worker serves its own `/metrics` when given an address (it serves no pages): what it
/// counted, its runs and verdicts at its vantage point, to the token's bearers only; any
/// other path is a 404. An address it cannot take stops it at start, naming the address.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_serves_what_it_counted_on_its_own_metrics_address() {
    let Some(db) = common::postgres().await else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let catalog = fleet_catalog(tmp.path(), 0);
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy = taken.local_addr().unwrap().to_string();
    let free = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let start = |addr: &str, log: &std::path::Path| {
        worker_command(&catalog, &db.url, "cn-a", log)
            .args(["--metrics-listen", addr])
            .env("HUTONG_METRICS__TOKEN", "scrape-secret-7")
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap())
            .spawn()
            .unwrap()
    };
    // The address is someone else's: the worker refuses to start, and says which.
    let refused_log = tmp.path().join("refused.log");
    let mut refused = start(&busy, &refused_log);
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(s) = refused.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "a worker started on a taken address"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    let said = std::fs::read_to_string(refused_log.with_extension("err")).unwrap()
        + &std::fs::read_to_string(&refused_log).unwrap();
    assert!(said.contains(&busy), "{said}");
    drop(taken);

    let log = tmp.path().join("worker.log");
    let mut child = start(&free, &log);
    a_run_finishes(&db.store, "the worker finishes a run").await;
    let client = reqwest::Client::new();
    let url = format!("http://{free}/metrics");
    let anonymous = client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = client
        .get(&url)
        .bearer_auth("scrape-secret-8")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let other = client
        .get(format!("http://{free}/"))
        .bearer_auth("scrape-secret-7")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let scraped = client
        .get(&url)
        .bearer_auth("scrape-secret-7")
        .send()
        .await
        .unwrap();
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = scraped.text().await.unwrap();
    let finished = text.lines().find(|l| {
        l.starts_with("hutong_probe_runs_total{")
            && l.contains(r#"pack="fleet""#)
            && l.contains(r#"vantage="cn-a""#)
            && l.contains(r#"outcome="finished""#)
    });
    let count: f64 = finished
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no finished runs counted:\n{text}"));
    assert!(count >= 1.0, "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("hutong_probe_verdicts_total{")
                && l.contains(r#"vantage="cn-a""#)),
        "{text}"
    );
    assert!(!text.contains("scrape-secret"), "the token is never shown");
    stop(&mut child);
    let out = std::fs::read_to_string(&log).unwrap();
    assert!(
        out.contains(&format!("worker metrics on http://{free}/metrics")),
        "{out}"
    );
}
