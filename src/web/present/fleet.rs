//! How the fleet is doing: each vantage point and each worker with what it did in the
//! last hour, the recent takeovers, and which points have fallen silent. The one
//! computation behind `/probes`, `/api/v1/probes`, the overview's flag and serve's
//! silent-vantage alert.

use super::{Audience, instant};
use crate::config::VantagePoint;
use crate::probes::PackSummary;
use crate::storage::{StorageError, Store, TakeoverRecord, VantageStatus, WorkerStatus};
use crate::web::app_state::FleetWatch;
use chrono::{DateTime, Duration, Utc};

/// Runs, failures and takeovers are counted over this window.
pub const WINDOW: Duration = Duration::hours(1);
/// Workers listed: those alive or heard from within this (each start is a new worker).
const WORKERS_WITHIN: Duration = Duration::days(1);
/// Takeovers listed.
const TAKEOVERS_SHOWN: i64 = 20;

/// A vantage point and whether it has fallen silent.
#[derive(Debug, Clone)]
pub struct VantageHealth {
    pub status: VantageStatus,
    /// What the name stands for, from the registry (`None`: never registered).
    pub point: Option<VantagePoint>,
    /// When a process first registered the name.
    pub registered_at: Option<DateTime<Utc>>,
    /// Listed in this server's `[[probes.vantage_points]]`.
    pub configured: bool,
    /// Workers at the point whose heartbeat is within their lease and who did not stop.
    pub workers_alive: i64,
    /// Silent for longer than the alert threshold: flagged.
    pub silent: bool,
    pub now: DateTime<Utc>,
}

impl VantageHealth {
    pub fn name(&self) -> &str {
        &self.status.vantage
    }

    /// "Vantage point X has been silent for 3 h; last heard from …", when silent.
    pub fn alert(&self, a: Audience) -> Option<String> {
        if !self.silent {
            return None;
        }
        let lang = a.lang();
        let described = self.described();
        Some(match (self.status.last_seen, self.registered_at) {
            (Some(seen), _) => lang.t_args(
                "fleet-alert-silent",
                &[
                    ("vantage", described.into()),
                    ("duration", lang.duration(self.now - seen).into()),
                    ("when", instant(seen, a).into()),
                ],
            ),
            (None, since) => lang.t_args(
                "fleet-alert-never",
                &[
                    ("vantage", described.into()),
                    (
                        "when",
                        since.map_or_else(String::new, |t| instant(t, a)).into(),
                    ),
                ],
            ),
        })
    }

    /// The name, with its one-line description when it has one.
    fn described(&self) -> String {
        match self.point.as_ref().and_then(|p| p.description.as_deref()) {
            Some(d) => format!("{} ({d})", self.name()),
            None => self.name().to_string(),
        }
    }
}

/// A worker and whether it is alive.
#[derive(Debug, Clone)]
pub struct WorkerHealth {
    pub status: WorkerStatus,
    /// Not stopped, and its last heartbeat is within its lease.
    pub alive: bool,
}

/// The fleet as of `now`.
#[derive(Debug, Clone)]
pub struct FleetHealth {
    pub vantages: Vec<VantageHealth>,
    /// Workers alive or heard from in the last day, newest heartbeat first.
    pub workers: Vec<WorkerHealth>,
    /// Newest first.
    pub takeovers: Vec<TakeoverRecord>,
}

/// The longest time between two slots of the packs this process schedules: a point probed
/// by `serve`'s scheduler (no worker, no heartbeat) speaks only when a slot comes. Zero
/// when this process schedules nothing: then nothing here speaks for a point without
/// workers, and its silence counts from its last run.
fn longest_period(packs: &[PackSummary], now: DateTime<Utc>) -> Duration {
    packs
        .iter()
        .filter(|p| p.scheduled)
        .filter_map(|p| {
            let next = p.next_run(now)?;
            Some(p.next_run(next)? - next)
        })
        .max()
        .unwrap_or_else(Duration::zero)
}

/// Every vantage point (registered, configured or heard from) and every worker, with what
/// they did in the last hour; a watched point silent for longer than `alert_after` is
/// flagged.
///
/// Silence: no run and no heartbeat. A point with workers speaks with every heartbeat, so
/// its silence counts from its last heartbeat or run; a point without workers (probed by
/// `serve`) from its last run plus the longest time between two slots of the packs this
/// server schedules. A configured point
/// never heard from is flagged once it has been registered for longer than `alert_after`;
/// a point neither configured nor ever heard from is not watched.
pub async fn fleet_health(
    store: &Store,
    packs: &[PackSummary],
    watch: &FleetWatch,
    alert_after: Duration,
    now: DateTime<Utc>,
) -> Result<FleetHealth, StorageError> {
    let (statuses, workers) = store.fleet_status(now - WINDOW).await?;
    let registry = store.vantage_points().await?;
    let takeovers = store.takeovers(TAKEOVERS_SHOWN).await?;
    let workers: Vec<WorkerHealth> = workers
        .into_iter()
        .map(|w| WorkerHealth {
            alive: w.worker.stopped_at.is_none()
                && now - w.worker.last_heartbeat <= watch.alive_within,
            status: w,
        })
        .collect();
    let mut names: Vec<String> = statuses.iter().map(|s| s.vantage.clone()).collect();
    names.extend(registry.iter().map(|r| r.point.name.clone()));
    names.extend(watch.configured.iter().cloned());
    names.sort();
    names.dedup();
    let period = longest_period(packs, now);
    let vantages = names
        .into_iter()
        .map(|name| {
            let status = statuses
                .iter()
                .find(|s| s.vantage == name)
                .cloned()
                .unwrap_or_else(|| VantageStatus {
                    vantage: name.clone(),
                    last_seen: None,
                    last_run: None,
                    last_heartbeat: None,
                    workers_alive: 0,
                    runs: 0,
                    failures: 0,
                    leases: 0,
                    takeovers: 0,
                });
            let registered = registry.iter().find(|r| r.point.name == name);
            let here = workers.iter().filter(|w| w.status.worker.vantage == name);
            let has_workers = here.clone().next().is_some();
            let configured = watch.configured.contains(&name);
            let watched = configured || (watch.configured.is_empty() && status.last_seen.is_some());
            // When the point should have spoken by, before the threshold counts.
            let expected = if has_workers {
                status.last_seen
            } else {
                status.last_run.map(|t| t + period)
            };
            let silent = watched
                && match (expected, registered) {
                    (Some(t), _) => now - t > alert_after,
                    (None, Some(r)) => now - r.first_registered_at > alert_after,
                    (None, None) => false,
                };
            VantageHealth {
                workers_alive: here.filter(|w| w.alive).count() as i64,
                point: registered.map(|r| r.point.clone()),
                registered_at: registered.map(|r| r.first_registered_at),
                configured,
                silent,
                status,
                now,
            }
        })
        .collect();
    Ok(FleetHealth {
        vantages,
        workers: workers
            .into_iter()
            .filter(|w| w.alive || now - w.status.worker.last_heartbeat <= WORKERS_WITHIN)
            .collect(),
        takeovers,
    })
}
