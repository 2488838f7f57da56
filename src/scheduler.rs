//! The scheduler maps pack schedules to [`Engine::run_pack`], nothing more: a pack whose
//! previous run is still going is not started again, failing packs back off, runs left
//! unfinished by a stopped process are resumed, and a slot missed while the process was
//! down is run once at start.

use crate::probes::engine::Engine;
use crate::probes::pack::ProbePack;
use crate::probes::previous_fire;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use tokio_cron_scheduler::{Job, JobScheduler};

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
}

/// A running scheduler; [`Scheduler::shutdown`] stops it.
pub struct Scheduler {
    jobs: JobScheduler,
    tasks: tokio::task::JoinSet<()>,
}

impl Scheduler {
    /// Resumes interrupted runs, runs missed slots, and schedules `packs` (ids).
    pub async fn start(engine: Engine, packs: &[String]) -> anyhow::Result<Scheduler> {
        let state: Arc<Mutex<HashMap<String, PackState>>> = Arc::new(Mutex::new(HashMap::new()));
        let mut tasks = tokio::task::JoinSet::new();
        let scheduled: HashSet<&String> = packs.iter().collect();

        // Failure streaks survive restarts: back-off continues where it stopped.
        for id in packs {
            let runs = engine.store().recent_runs(id, 20).await?;
            let failures = runs.iter().take_while(|r| r.failed()).count() as u32;
            let last_failed_at = runs.first().filter(|r| r.failed()).map(|r| r.started_at);
            if let Ok(mut s) = state.lock() {
                s.insert(
                    id.clone(),
                    PackState {
                        running: false,
                        failures,
                        last_failed_at,
                    },
                );
            }
        }

        // Runs a stopped process left unfinished: finish them (only what is missing).
        let mut resumed = HashSet::new();
        for run in engine.store().interrupted_runs().await? {
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

        // A slot missed while nothing was running is run once, now.
        let now = Utc::now();
        for id in packs {
            if resumed.contains(id) {
                continue;
            }
            let Some(pack) = engine.pack(id) else {
                continue;
            };
            let Some(due) = previous_fire(&pack.schedule, now) else {
                continue;
            };
            let last = engine.store().recent_runs(id, 1).await?;
            if last.first().is_none_or(|r| r.slot < due) {
                spawn_run(
                    &mut tasks,
                    engine.clone(),
                    state.clone(),
                    id.clone(),
                    due,
                    "catch_up",
                );
            }
        }

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
                        run_guarded(engine, state, pack_id, slot, "schedule").await;
                    })
                },
            )?;
            jobs.add(job).await?;
        }
        jobs.start().await?;
        tracing::info!(packs = packs.len(), "probe scheduler started");
        Ok(Scheduler { jobs, tasks })
    }

    /// Stops scheduling; runs in flight are abandoned and resumed at the next start.
    pub async fn shutdown(mut self) {
        let _ = self.jobs.shutdown().await;
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
        tracing::info!("probe scheduler stopped");
    }
}

fn spawn_run(
    tasks: &mut tokio::task::JoinSet<()>,
    engine: Engine,
    state: Arc<Mutex<HashMap<String, PackState>>>,
    pack_id: String,
    slot: DateTime<Utc>,
    trigger: &'static str,
) {
    tasks.spawn(run_guarded(engine, state, pack_id, slot, trigger));
}

/// Runs a pack unless it is already running or backing off after failures.
async fn run_guarded(
    engine: Engine,
    state: Arc<Mutex<HashMap<String, PackState>>>,
    pack_id: String,
    slot: DateTime<Utc>,
    trigger: &'static str,
) {
    {
        let Ok(mut s) = state.lock() else { return };
        let entry = s.entry(pack_id.clone()).or_default();
        if entry.running {
            tracing::warn!(pack = %pack_id, %slot, "previous run still going: this slot is skipped");
            return;
        }
        if trigger == "schedule"
            && entry.failures > 0
            && let Some(at) = entry.last_failed_at
            && Utc::now() < at + backoff(entry.failures)
        {
            tracing::info!(pack = %pack_id, failures = entry.failures, "backing off after failures");
            return;
        }
        entry.running = true;
    }
    // Clears `running` however the run ends (even when the task is aborted).
    struct Release(Arc<Mutex<HashMap<String, PackState>>>, String);
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
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), chrono::Duration::minutes(1));
        assert_eq!(backoff(2), chrono::Duration::minutes(2));
        assert_eq!(backoff(4), chrono::Duration::minutes(8));
        assert_eq!(backoff(30), chrono::Duration::minutes(60));
    }
}
