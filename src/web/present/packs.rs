//! How each probe pack is doing: the one computation behind `/probes`, `/api/v1/probes`
//! and the overview's alert.

use super::{Audience, instant};
use crate::probes::PackSummary;
use crate::storage::{MissedSlotsRecord, ProbeRunRecord, StorageError, Store};
use chrono::{DateTime, Utc};

/// How many of a pack's latest runs are read to find its current failure streak.
const STREAK_WINDOW: i64 = 500;
/// Runs per pack listed on the probes page.
const RUNS_SHOWN: usize = 10;
/// How many of a pack's latest missed-slot records are read (each covers consecutive
/// slots missed for one reason).
const MISSED_WINDOW: i64 = 500;
/// Missed-slot records per pack listed.
const MISSED_SHOWN: usize = 10;

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
    /// Latest missed slots (records of consecutive slots), newest first.
    pub missed: Vec<MissedSlotsRecord>,
    /// Slots missed since the last successful run.
    pub missed_slots: i64,
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
        let mut last = self.last_success.as_ref().map_or_else(
            || lang.t("probes-alert-never"),
            |r| {
                lang.t_args(
                    "probes-alert-last",
                    &[("when", instant(success_time(r), a).into())],
                )
            },
        );
        if self.missed_slots > 0 {
            let missed = lang.t_args(
                "probes-alert-missed",
                &[("slots", self.missed_slots.into())],
            );
            last = format!("{missed}; {last}");
        }
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
        let missed = store.missed_slots(&pack.id, MISSED_WINDOW).await?;
        let last_success = store.last_success(&pack.id).await?;
        let streak = failure_streak(&runs, &missed);
        // A streak longer than the window read began no later than the last success.
        let window_full =
            runs.len() as i64 >= STREAK_WINDOW || missed.len() as i64 >= MISSED_WINDOW;
        let failing_since = match (streak.since, &last_success) {
            (Some(_), Some(s)) if !streak.ended && window_full => Some(success_time(s)),
            (since, _) => since,
        };
        let failing = failing_since.is_some_and(|since| now - since > alert_after);
        out.push(PackStatus {
            pack: pack.clone(),
            // A next run only where this process really runs the pack.
            next_run: pack.scheduled.then(|| pack.next_run(now)).flatten(),
            recent: runs.into_iter().take(RUNS_SHOWN).collect(),
            last_success,
            failed_runs: streak.failed_runs,
            missed: missed.into_iter().take(MISSED_SHOWN).collect(),
            missed_slots: streak.missed_slots,
            failing_since,
            failing,
            now,
        });
    }
    Ok(out)
}

/// Failed runs and missed slots since the last successful run.
struct Streak {
    failed_runs: usize,
    missed_slots: i64,
    /// The start of the oldest failed run or missed slot in it.
    since: Option<DateTime<Utc>>,
    /// A successful run was found (the streak is all there is to it).
    ended: bool,
}

fn failure_streak(runs: &[ProbeRunRecord], missed: &[MissedSlotsRecord]) -> Streak {
    enum Event<'a> {
        Run(&'a ProbeRunRecord),
        Missed(&'a MissedSlotsRecord),
    }
    let mut events: Vec<(DateTime<Utc>, Event)> = runs
        .iter()
        // Runs still going count neither way.
        .filter(|r| r.state == "finished")
        .map(|r| (r.slot, Event::Run(r)))
        .chain(missed.iter().map(|m| (m.last_slot, Event::Missed(m))))
        .collect();
    events.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut streak = Streak {
        failed_runs: 0,
        missed_slots: 0,
        since: None,
        ended: false,
    };
    for (_, event) in events {
        let start = match event {
            Event::Run(r) if !r.failed() => {
                streak.ended = true;
                break;
            }
            Event::Run(r) => {
                streak.failed_runs += 1;
                r.started_at
            }
            Event::Missed(m) => {
                streak.missed_slots += m.slots;
                m.first_slot
            }
        };
        streak.since = Some(streak.since.map_or(start, |s| s.min(start)));
    }
    streak
}
