//! `hutong worker`: one member of a fleet probing from one vantage point, on PostgreSQL.
//!
//! Each worker registers itself, then polls: for every pack it schedules it takes over a
//! run of its vantage point whose lease expired (or that was left interrupted), or claims
//! the pack's due slot (slots passed since the last one accounted for are recorded missed
//! in the same transaction). Runs are held under leases its heartbeats renew; a run whose
//! lease another worker took meanwhile is aborted here. Database errors are logged and
//! retried with back-off; a stop (SIGTERM, Ctrl-C) releases every lease at once.

use crate::probes::engine::{Engine, EngineError};
use crate::probes::previous_fire;
use crate::scheduler::slots_between;
use crate::storage::{Claim, LeaseHolder, StorageError, Store, WorkerRecord};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a worker keeps time.
#[derive(Debug, Clone)]
pub struct WorkerTiming {
    /// How long a lease lasts without a heartbeat.
    pub lease: Duration,
    /// How often the heartbeat renews the worker's leases.
    pub heartbeat: Duration,
    /// How often due slots and expired leases are looked for.
    pub poll: Duration,
}

/// A run in flight here: its task, to abort when the lease is lost.
struct InFlight {
    run_id: i64,
    task: tokio::task::AbortHandle,
}

type Running = Arc<Mutex<HashMap<String, InFlight>>>;

/// This machine's name, for the workers table.
fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// A worker id unique across machines and restarts: host, process and a random part.
pub fn new_worker_id() -> String {
    let mut random = [0u8; 4];
    let suffix = match getrandom::fill(&mut random) {
        Ok(()) => random.iter().map(|b| format!("{b:02x}")).collect(),
        Err(_) => format!("{:08x}", Utc::now().timestamp_subsec_nanos()),
    };
    format!("{}-{}-{suffix}", host_name(), std::process::id())
}

/// Back-off after consecutive database errors: the poll interval doubled each time, at
/// most 30 seconds (or the poll interval, when that is longer).
fn backoff(poll: Duration, errors: u32) -> Duration {
    let cap = Duration::from_secs(30).max(poll);
    poll.saturating_mul(1u32 << errors.min(8)).min(cap)
}

/// Retries `op` with back-off until it succeeds or `stop` is set.
async fn retrying<T, F, Fut>(what: &str, poll: Duration, stop: &Mutex<bool>, mut op: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StorageError>>,
{
    let mut errors = 0;
    loop {
        match op().await {
            Ok(v) => return Some(v),
            Err(e) => {
                errors += 1;
                let wait = backoff(poll, errors);
                tracing::warn!("{what} failed ({e}); retrying in {wait:?}");
                tokio::time::sleep(wait).await;
            }
        }
        if stop.lock().map(|s| *s).unwrap_or(true) {
            return None;
        }
    }
}

/// Runs a worker for `packs` (ids) until `shutdown` completes. The engine probes from
/// the worker's vantage point and holds its runs as `worker_id`.
pub async fn run(
    engine: Engine,
    packs: Vec<String>,
    worker_id: String,
    timing: WorkerTiming,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let store = engine.store().clone();
    let vantage = engine.vantage().to_string();
    let holder = LeaseHolder {
        worker_id: worker_id.clone(),
        lease: timing.lease,
    };
    let stop = Arc::new(Mutex::new(false));
    let mut shutdown = std::pin::pin!(shutdown);
    let now = Utc::now();
    let record = WorkerRecord {
        id: worker_id.clone(),
        host: host_name(),
        pid: i64::from(std::process::id()),
        vantage: vantage.clone(),
        started_at: now,
        last_heartbeat: now,
        stopped_at: None,
    };
    let registered = tokio::select! {
        r = retrying("registering the worker", timing.poll, &stop, || store.register_worker(&record)) => r,
        () = &mut shutdown => None,
    };
    if registered.is_none() {
        return Ok(());
    }
    tracing::info!(worker = %worker_id, %vantage, packs = packs.len(), "worker started");

    let running: Running = Arc::new(Mutex::new(HashMap::new()));
    let mut tasks = tokio::task::JoinSet::new();
    tasks.spawn(heartbeats(
        store.clone(),
        holder.clone(),
        running.clone(),
        timing.heartbeat,
    ));
    tasks.spawn(crate::storage::keep_years_ahead(store.clone()));
    // Whatever the database refused (run ends, missed slots) is written once it is back.
    {
        let store = store.clone();
        tasks.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if store.pending_counts() != Default::default()
                    && let Err(e) = store.flush_pending().await
                {
                    tracing::debug!("run records still kept in memory: {e}");
                }
            }
        });
    }

    let mut runs = tokio::task::JoinSet::new();
    let mut errors = 0u32;
    loop {
        let wait = match poll_once(&engine, &packs, &holder, &running, &mut runs).await {
            Ok(()) => {
                if errors > 0 {
                    tracing::info!("the database answers again: the worker goes on");
                }
                errors = 0;
                timing.poll
            }
            Err(e) => {
                errors += 1;
                let wait = backoff(timing.poll, errors);
                tracing::warn!("cannot claim work ({e}); trying again in {wait:?}");
                wait
            }
        };
        // Finished runs are reaped as they end.
        while runs.try_join_next().is_some() {}
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = &mut shutdown => break,
        }
    }

    // Stopping: runs in flight stop at their next check, leases are released for the
    // other workers of this vantage point.
    if let Ok(mut s) = stop.lock() {
        *s = true;
    }
    engine.stop();
    let deadline = tokio::time::sleep(Duration::from_secs(5));
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = runs.join_next() => if next.is_none() { break },
            () = &mut deadline => { runs.abort_all(); break }
        }
    }
    tasks.abort_all();
    match store.release_worker(&worker_id).await {
        Ok(released) => tracing::info!(released, "worker stopped: its leases are released"),
        Err(e) => tracing::error!("the worker's leases could not be released (they expire): {e}"),
    }
    if let Err(e) = store.flush_pending().await {
        tracing::error!("run records kept in memory are lost: {e}");
    }
    Ok(())
}

/// One round: for each pack not running here, an expired lease to take over, else the
/// due slot to claim; each run found is started as its own task.
async fn poll_once(
    engine: &Engine,
    packs: &[String],
    holder: &LeaseHolder,
    running: &Running,
    runs: &mut tokio::task::JoinSet<()>,
) -> Result<(), StorageError> {
    let store = engine.store();
    let vantage = engine.vantage();
    for id in packs {
        if running.lock().map(|r| r.contains_key(id)).unwrap_or(true) {
            continue;
        }
        let Some(pack) = engine.pack(id) else {
            continue;
        };
        if let Some(taken) = store.take_over_run(id, vantage, holder).await? {
            let trigger = if let Some(from) = &taken.from_worker {
                tracing::warn!(pack = %id, slot = %taken.slot, %from, "lease expired: run taken over");
                crate::metrics::lease_taken_over(vantage);
                "takeover"
            } else {
                "resume"
            };
            start_run(engine, running, runs, id, taken.run_id, taken.slot, trigger);
            continue;
        }
        let Some(due) = previous_fire(&pack.schedule, Utc::now()) else {
            continue;
        };
        let schedule = pack.schedule.clone();
        let claim = store
            .claim_slot(id, vantage, due, holder, |last| {
                slots_between(&schedule, last, due)
            })
            .await?;
        if let Claim::Claimed {
            run_id,
            slot,
            missed,
        } = claim
        {
            if let Some((first, last, slots)) = missed {
                tracing::warn!(pack = %id, %first, %last, slots, "slot(s) missed");
            }
            start_run(engine, running, runs, id, run_id, slot, "schedule");
        }
    }
    Ok(())
}

fn start_run(
    engine: &Engine,
    running: &Running,
    runs: &mut tokio::task::JoinSet<()>,
    pack_id: &str,
    run_id: i64,
    slot: DateTime<Utc>,
    trigger: &'static str,
) {
    let (engine, pack, done) = (engine.clone(), pack_id.to_string(), running.clone());
    // Held while the task is spawned and recorded, so that its end (which clears the
    // entry) always comes after.
    let Ok(mut in_flight) = running.lock() else {
        return;
    };
    let handle = runs.spawn(async move {
        // Clears the entry however the run ends (aborted included), unless the entry is
        // another run's by then.
        struct Done(Running, String, i64);
        impl Drop for Done {
            fn drop(&mut self) {
                if let Ok(mut r) = self.0.lock()
                    && r.get(&self.1).is_some_and(|f| f.run_id == self.2)
                {
                    r.remove(&self.1);
                }
            }
        }
        let _done = Done(done, pack.clone(), run_id);
        match engine.run_pack(&pack, slot, trigger, None, &|_| {}).await {
            Ok(s) => tracing::info!(
                pack = %pack, %slot, observed = s.observed, failures = s.failures,
                resumed = s.resumed, trigger, "probe run finished"
            ),
            Err(EngineError::Stopped) => {}
            Err(e @ (EngineError::CannotBegin(_) | EngineError::HeldElsewhere { .. })) => {
                // Not started: let it go for any worker of this vantage point.
                tracing::warn!(pack = %pack, %slot, "probe run not started: {e}");
                if let Some(worker) = engine.holder_id()
                    && let Err(e) = engine.store().release_run(run_id, worker).await
                {
                    tracing::warn!("the run could not be released (its lease expires): {e}");
                }
            }
            Err(e) => tracing::error!(pack = %pack, %slot, "probe run failed: {e}"),
        }
    });
    in_flight.insert(
        pack_id.to_string(),
        InFlight {
            run_id,
            task: handle,
        },
    );
}

/// Renews the leases of the runs in flight; a run whose lease was taken over meanwhile
/// (this worker was cut off for longer than a lease) is aborted here, since another worker
/// is finishing it.
async fn heartbeats(store: Store, holder: LeaseHolder, running: Running, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let held: Vec<(String, i64)> = match running.lock() {
            Ok(r) => r.iter().map(|(p, f)| (p.clone(), f.run_id)).collect(),
            Err(_) => continue,
        };
        let ids: Vec<i64> = held.iter().map(|(_, id)| *id).collect();
        match store.heartbeat(&holder, &ids).await {
            Ok(still) => {
                for (pack, id) in held.iter().filter(|(_, id)| !still.contains(id)) {
                    tracing::warn!(%pack, run = id, "the lease was lost (taken over): the run stops here");
                    if let Ok(mut r) = running.lock()
                        && let Some(f) = r.remove(pack)
                    {
                        f.task.abort();
                    }
                }
            }
            Err(e) => tracing::warn!("heartbeat failed ({e}); leases expire unless it comes back"),
        }
    }
}
