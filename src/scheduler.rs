//! The scheduler maps pack schedules to [`Engine::run_pack`], nothing more: a pack whose
//! previous run is still going is not started again, failing packs back off, runs left
//! unfinished by a stopped process are resumed, and the latest slot missed while the
//! process was down is run once at start. No slot passes in silence: every slot not run
//! (previous run still going, backing off, database unavailable, process down, schedule
//! not fired) is recorded as missed with its reason, in memory while the database
//! refuses it.

use crate::probes::engine::{Engine, EngineError};
use crate::probes::pack::ProbePack;
use crate::probes::{parse_cron, previous_fire};
use crate::storage::MissReason;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_cron_scheduler::{Job, JobScheduler};

/// How often run records kept in memory (the database refused them) are written again.
const FLUSH_EVERY: Duration = Duration::from_secs(5);
/// Slots counted one by one at most when accounting for a gap (a week of every-second
/// slots is 604,800): beyond, the gap is recorded up to here and said to go on.
const GAP_COUNT_CAP: i64 = 100_000;

/// Back-off after consecutive failed runs: 1, 2, 4 … minutes, at most an hour.
fn backoff(failures: u32) -> chrono::Duration {
    let minutes = 1i64 << failures.saturating_sub(1).min(6);
    chrono::Duration::minutes(minutes.min(60))
}

/// Which packs this process schedules.
pub fn schedulable(pack: &ProbePack, run_unverified: bool, have_simulator: bool) -> bool {
    pack.enabled && (pack.verified || run_unverified) && (!pack.simulated || have_simulator)
}

#[derive(Default)]
struct PackState {
    running: bool,
    failures: u32,
    last_failed_at: Option<DateTime<Utc>>,
    /// The latest slot run, being run or recorded as missed.
    last_slot: Option<DateTime<Utc>>,
}

type States = Arc<Mutex<HashMap<String, PackState>>>;

/// A running scheduler; [`Scheduler::shutdown`] stops it.
pub struct Scheduler {
    engine: Engine,
    jobs: JobScheduler,
    tasks: tokio::task::JoinSet<()>,
}

/// The slots of `schedule` strictly after `after` and strictly before `before`: the first,
/// the last and how many (at most `GAP_COUNT_CAP`), or `None` when there is none.
pub fn slots_between(
    schedule: &str,
    after: DateTime<Utc>,
    before: DateTime<Utc>,
) -> Option<(DateTime<Utc>, DateTime<Utc>, i64)> {
    // One parse, then one search per slot (croner's own iterator skips every other
    // slot of an every-second schedule).
    let cron = parse_cron(schedule).ok()?;
    let next = |t: DateTime<Utc>| {
        cron.find_next_occurrence(&t.with_timezone(&crate::time::SHANGHAI), false)
            .ok()
            .map(|n| n.with_timezone(&Utc))
            .filter(|n| *n < before)
    };
    let first = next(after)?;
    let (mut last, mut count) = (first, 1);
    while count < GAP_COUNT_CAP {
        let Some(t) = next(last) else { break };
        last = t;
        count += 1;
    }
    Some((first, last, count))
}

/// Records missed slots, logging (and keeping in memory) when the database refuses.
async fn record_missed(
    engine: &Engine,
    pack_id: &str,
    (first, last, slots): (DateTime<Utc>, DateTime<Utc>, i64),
    reason: MissReason,
    detail: Option<&str>,
) {
    tracing::warn!(pack = %pack_id, %first, %last, slots, %reason, "slot(s) missed");
    if let Err(e) = engine
        .store()
        .record_missed(
            pack_id,
            engine.vantage(),
            first,
            last,
            slots,
            reason,
            detail,
        )
        .await
    {
        tracing::error!(pack = %pack_id, "the missed slot cannot be written yet (kept in memory until it can): {e}");
    }
}

impl Scheduler {
    /// Resumes interrupted runs, runs missed slots, and schedules `packs` (ids).
    pub async fn start(engine: Engine, packs: &[String]) -> anyhow::Result<Scheduler> {
        let state: States = Arc::new(Mutex::new(HashMap::new()));
        let mut tasks = tokio::task::JoinSet::new();
        let scheduled: HashSet<&String> = packs.iter().collect();

        // Failure streaks survive restarts: back-off continues where it stopped.
        let mut last_slots = HashMap::new();
        for id in packs {
            let runs = engine
                .store()
                .recent_runs_at(id, engine.vantage(), 20)
                .await?;
            let failures = runs.iter().take_while(|r| r.failed()).count() as u32;
            let last_failed_at = runs.first().filter(|r| r.failed()).map(|r| r.started_at);
            let last_slot = engine
                .store()
                .last_accounted_slot(id, engine.vantage())
                .await?;
            last_slots.insert(id.clone(), last_slot);
            if let Ok(mut s) = state.lock() {
                s.insert(
                    id.clone(),
                    PackState {
                        running: false,
                        failures,
                        last_failed_at,
                        last_slot,
                    },
                );
            }
        }

        // Runs a stopped process left unfinished: finish them (only what is missing).
        let mut resumed = HashSet::new();
        for run in engine.store().interrupted_runs(engine.vantage()).await? {
            // Only packs this process schedules: an interrupted manual run of another
            // pack stays visible on /probes rather than reaching out unasked.
            if !scheduled.contains(&run.pack_id) {
                continue;
            }
            tracing::info!(pack = %run.pack_id, slot = %run.slot, "resuming an interrupted run");
            resumed.insert(run.pack_id.clone());
            spawn_run(
                &mut tasks,
                engine.clone(),
                state.clone(),
                run.pack_id,
                run.slot,
                "resume",
            );
        }

        // The latest slot missed while nothing was running is run once, now; the slots
        // before it (since the last one accounted for) are recorded as missed.
        let now = Utc::now();
        for id in packs {
            let Some(pack) = engine.pack(id) else {
                continue;
            };
            let Some(due) = previous_fire(&pack.schedule, now) else {
                continue;
            };
            let last = last_slots.get(id).copied().flatten();
            if last.is_some_and(|l| l >= due) {
                continue;
            }
            if let Some(last) = last
                && let Some(gap) = slots_between(&pack.schedule, last, due)
            {
                record_missed(
                    &engine,
                    id,
                    gap,
                    MissReason::NotRunning,
                    Some("no Hutong process was scheduling this pack"),
                )
                .await;
            }
            if let Ok(mut s) = state.lock()
                && let Some(entry) = s.get_mut(id)
            {
                entry.last_slot = Some(due);
            }
            if resumed.contains(id) {
                // Its interrupted run is being finished: this slot waits for it.
                record_missed(
                    &engine,
                    id,
                    (due, due, 1),
                    MissReason::PreviousRunGoing,
                    None,
                )
                .await;
                continue;
            }
            spawn_run(
                &mut tasks,
                engine.clone(),
                state.clone(),
                id.clone(),
                due,
                "catch_up",
            );
        }

        // Whatever the database refused is written as soon as it takes it again.
        let store = engine.store().clone();
        tasks.spawn(async move {
            loop {
                tokio::time::sleep(FLUSH_EVERY).await;
                if store.pending_counts() != Default::default()
                    && let Err(e) = store.flush_pending().await
                {
                    tracing::debug!("run records still kept in memory: {e}");
                }
            }
        });

        let jobs = JobScheduler::new().await?;
        for id in packs {
            let Some(pack) = engine.pack(id) else {
                continue;
            };
            let engine = engine.clone();
            let state = state.clone();
            let pack_id = id.clone();
            let schedule = pack.schedule.clone();
            let job = Job::new_async_tz(
                pack.schedule.as_str(),
                crate::time::SHANGHAI,
                move |_uuid, _jobs| {
                    let engine = engine.clone();
                    let state = state.clone();
                    let pack_id = pack_id.clone();
                    let schedule = schedule.clone();
                    Box::pin(async move {
                        let slot = previous_fire(&schedule, Utc::now()).unwrap_or_else(Utc::now);
                        on_slot(engine, state, pack_id, &schedule, slot).await;
                    })
                },
            )?;
            jobs.add(job).await?;
        }
        jobs.start().await?;
        tracing::info!(packs = packs.len(), "probe scheduler started");
        Ok(Scheduler {
            engine,
            jobs,
            tasks,
        })
    }

    /// Stops scheduling; runs in flight are abandoned (classification stops at its next
    /// check) and resumed at the next start.
    pub async fn shutdown(mut self) {
        self.engine.stop();
        let _ = self.jobs.shutdown().await;
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        tracing::info!("probe scheduler stopped");
    }
}

fn spawn_run(
    tasks: &mut tokio::task::JoinSet<()>,
    engine: Engine,
    state: States,
    pack_id: String,
    slot: DateTime<Utc>,
    trigger: &'static str,
) {
    tasks.spawn(run_guarded(engine, state, pack_id, slot, trigger));
}

/// A scheduled slot fired: slots since the last one handled that never fired are
/// recorded as missed, then the slot is run (or recorded as missed).
async fn on_slot(
    engine: Engine,
    state: States,
    pack_id: String,
    schedule: &str,
    slot: DateTime<Utc>,
) {
    let gap = {
        let Ok(mut s) = state.lock() else { return };
        let entry = s.entry(pack_id.clone()).or_default();
        if entry.last_slot.is_some_and(|last| slot <= last) {
            // Fired twice for one slot (or for one already run at start).
            return;
        }
        let gap = entry
            .last_slot
            .and_then(|last| slots_between(schedule, last, slot));
        entry.last_slot = Some(slot);
        gap
    };
    if let Some(gap) = gap {
        record_missed(&engine, &pack_id, gap, MissReason::NotFired, None).await;
    }
    run_guarded(engine, state, pack_id, slot, "schedule").await;
}

/// Runs a pack unless it is already running or backing off after failures; a slot not
/// run is recorded as missed, with why.
async fn run_guarded(
    engine: Engine,
    state: States,
    pack_id: String,
    slot: DateTime<Utc>,
    trigger: &'static str,
) {
    let missed = {
        let Ok(mut s) = state.lock() else { return };
        let entry = s.entry(pack_id.clone()).or_default();
        if entry.running {
            Some((MissReason::PreviousRunGoing, None))
        } else if trigger == "schedule"
            && entry.failures > 0
            && let Some(at) = entry.last_failed_at
            && Utc::now() < at + backoff(entry.failures)
        {
            Some((
                MissReason::BackingOff,
                Some(format!(
                    "{} failed run(s) in a row; the next attempt after {}",
                    entry.failures,
                    (at + backoff(entry.failures)).format("%Y-%m-%d %H:%M:%S UTC")
                )),
            ))
        } else {
            entry.running = true;
            None
        }
    };
    if let Some((reason, detail)) = missed {
        record_missed(
            &engine,
            &pack_id,
            (slot, slot, 1),
            reason,
            detail.as_deref(),
        )
        .await;
        return;
    }
    // Clears `running` however the run ends (even when the task is aborted).
    struct Release(States, String);
    impl Drop for Release {
        fn drop(&mut self) {
            if let Ok(mut s) = self.0.lock()
                && let Some(e) = s.get_mut(&self.1)
            {
                e.running = false;
            }
        }
    }
    let _release = Release(state.clone(), pack_id.clone());
    let result = engine
        .run_pack(&pack_id, slot, trigger, None, &|_| {})
        .await;
    let failed = match &result {
        Ok(summary) => {
            tracing::info!(
                pack = %pack_id, %slot, observed = summary.observed, failures = summary.failures,
                resumed = summary.resumed, "probe run finished"
            );
            summary.observed > 0 && summary.failures >= summary.observed
        }
        Err(EngineError::CannotBegin(e)) => {
            // The database failed, not the pack: no back-off, the slot is missed.
            let detail = e.to_string();
            record_missed(
                &engine,
                &pack_id,
                (slot, slot, 1),
                MissReason::DatabaseUnavailable,
                Some(&detail),
            )
            .await;
            return;
        }
        Err(EngineError::Stopped) => return,
        Err(EngineError::HeldElsewhere { worker }) => {
            // A worker of this vantage point runs it: accounted for there.
            tracing::info!(pack = %pack_id, %slot, %worker, "the run is held by a worker");
            return;
        }
        Err(e) => {
            tracing::error!(pack = %pack_id, %slot, "probe run failed: {e}");
            true
        }
    };
    if let Ok(mut s) = state.lock()
        && let Some(e) = s.get_mut(&pack_id)
    {
        if failed {
            e.failures += 1;
            e.last_failed_at = Some(Utc::now());
        } else {
            e.failures = 0;
            e.last_failed_at = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_are_counted_in_slots() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let every_15 = "*/15 * * * * *";
        assert_eq!(
            slots_between(
                every_15,
                at("2026-01-01T00:00:00Z"),
                at("2026-01-01T00:01:00Z")
            ),
            Some((at("2026-01-01T00:00:15Z"), at("2026-01-01T00:00:45Z"), 3))
        );
        assert_eq!(
            slots_between(
                every_15,
                at("2026-01-01T00:00:00Z"),
                at("2026-01-01T00:00:15Z")
            ),
            None
        );
        assert_eq!(
            slots_between(
                "* * * * * *",
                at("2026-01-01T00:00:00Z"),
                at("2026-01-01T00:00:10Z")
            ),
            Some((at("2026-01-01T00:00:01Z"), at("2026-01-01T00:00:09Z"), 9))
        );
        let (_, _, n) = slots_between(
            "* * * * * *",
            at("2026-01-01T00:00:00Z"),
            at("2026-02-01T00:00:00Z"),
        )
        .unwrap();
        assert_eq!(n, GAP_COUNT_CAP);
    }

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), chrono::Duration::minutes(1));
        assert_eq!(backoff(2), chrono::Duration::minutes(2));
        assert_eq!(backoff(4), chrono::Duration::minutes(8));
        assert_eq!(backoff(30), chrono::Duration::minutes(60));
    }
}
