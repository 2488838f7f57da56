//! How each probe pack is doing: the one computation behind `/probes`, `/api/v1/probes`
//! and the overview's alert.

use super::{Audience, instant};
use crate::probes::PackSummary;
use crate::storage::{ProbeRunRecord, StorageError, Store};
use chrono::{DateTime, Utc};

/// How many of a pack's latest runs are read to find its current failure streak.
const STREAK_WINDOW: i64 = 500;
/// Runs per pack listed on the probes page.
const RUNS_SHOWN: usize = 10;

/// A pack and how it is doing.
#[derive(Debug, Clone)]
pub struct PackStatus {
    pub pack: PackSummary,
    pub next_run: Option<DateTime<Utc>>,
    /// Latest runs, newest first.
    pub recent: Vec<ProbeRunRecord>,
    pub last_success: Option<ProbeRunRecord>,
    /// Consecutive failed runs up to now (runs still going are not counted either way).
    pub failed_runs: usize,
    /// Since when the pack has observed nothing, when it is in a failure streak.
    pub failing_since: Option<DateTime<Utc>>,
    /// In a failure streak for longer than `probe_alert_after`.
    pub failing: bool,
    pub now: DateTime<Utc>,
}

impl PackStatus {
    /// "Probe pack X has failed for 3 h (12 runs); last success …", when failing.
    pub fn alert(&self, a: Audience) -> Option<String> {
        if !self.failing {
            return None;
        }
        let since = self.failing_since?;
        let lang = a.lang();
        let last = self.last_success.as_ref().map_or_else(
            || lang.t("probes-alert-never"),
            |r| {
                lang.t_args(
                    "probes-alert-last",
                    &[("when", instant(success_time(r), a).into())],
                )
            },
        );
        Some(lang.t_args(
            "probes-alert",
            &[
                ("pack", self.pack.id.clone().into()),
                ("duration", lang.duration(self.now - since).into()),
                ("runs", self.failed_runs.into()),
                ("last", last.into()),
            ],
        ))
    }
}

/// When a successful run counts as having succeeded.
pub fn success_time(r: &ProbeRunRecord) -> DateTime<Utc> {
    r.finished_at.unwrap_or(r.started_at)
}

/// Every loaded pack with its schedule, runs and failure streak as of `now`; a pack failing
/// for longer than `alert_after` is flagged.
pub async fn pack_statuses(
    store: &Store,
    packs: &[PackSummary],
    alert_after: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Vec<PackStatus>, StorageError> {
    let mut out = Vec::with_capacity(packs.len());
    for pack in packs {
        let runs = store.recent_runs(&pack.id, STREAK_WINDOW).await?;
        let last_success = store.last_success(&pack.id).await?;
        let mut failed_runs = 0;
        let mut oldest_failed: Option<DateTime<Utc>> = None;
        let mut streak_ended = false;
        for run in &runs {
            if run.state != "finished" {
                continue;
            }
            if !run.failed() {
                streak_ended = true;
                break;
            }
            failed_runs += 1;
            oldest_failed = Some(run.started_at);
        }
        // A streak longer than the window read began no later than the last success.
        let failing_since = match (oldest_failed, &last_success) {
            (Some(_), Some(s)) if !streak_ended && runs.len() as i64 >= STREAK_WINDOW => {
                Some(success_time(s))
            }
            (since, _) => since,
        };
        let failing = failing_since.is_some_and(|since| now - since > alert_after);
        out.push(PackStatus {
            pack: pack.clone(),
            next_run: pack.next_run(now),
            recent: runs.into_iter().take(RUNS_SHOWN).collect(),
            last_success,
            failed_runs,
            failing_since,
            failing,
            now,
        });
    }
    Ok(out)
}
