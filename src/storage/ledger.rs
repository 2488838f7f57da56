//! Runs accounted for even when the database is not: how a run ended and which schedule
//! slots were missed (and why) are written when possible, and otherwise kept in memory
//! (shared by every clone of the [`Store`]) until a later [`Store::flush_pending`] can
//! write them. Reads of runs and missed slots include what is still pending, so pages
//! and the API show a failing pack while its database refuses writes.

use super::storable::storable_text;
use super::{Db, ProbeRunRecord, StorageError, Store, WritePool, on_pool};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Pending entries kept at most (oldest dropped first, with a warning): a database that
/// stays away for days must not grow memory without end. Consecutive misses coalesce,
/// so this is many hours of every-second slots of many packs.
const PENDING_CAP: usize = 10_000;

/// Why the scheduler did not run a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissReason {
    /// The pack's previous run was still going.
    PreviousRunGoing,
    /// The pack was backing off after failed runs.
    BackingOff,
    /// The run could not start: the database did not answer or refused the write.
    DatabaseUnavailable,
    /// No Hutong process was scheduling the pack at the time.
    NotRunning,
    /// The process was running but the schedule did not fire (suspended, overloaded).
    NotFired,
}

impl MissReason {
    pub const ALL: [MissReason; 5] = [
        Self::PreviousRunGoing,
        Self::BackingOff,
        Self::DatabaseUnavailable,
        Self::NotRunning,
        Self::NotFired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreviousRunGoing => "previous_run_going",
            Self::BackingOff => "backing_off",
            Self::DatabaseUnavailable => "database_unavailable",
            Self::NotRunning => "not_running",
            Self::NotFired => "not_fired",
        }
    }
}

impl fmt::Display for MissReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for MissReason {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("\"{s}\" is not a reason for a missed slot"))
    }
}

/// Consecutive slots of one pack missed for one reason.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct MissedSlotsRecord {
    /// 0 while still pending (not yet written).
    pub id: i64,
    pub pack_id: String,
    /// The vantage point whose slots were missed.
    pub vantage: String,
    pub first_slot: DateTime<Utc>,
    pub last_slot: DateTime<Utc>,
    /// How many slots, first and last included.
    pub slots: i64,
    pub reason: String,
    /// The error, for `database_unavailable`; the streak, for `backing_off`.
    pub detail: Option<String>,
    pub recorded_at: DateTime<Utc>,
    /// Kept in memory: the database refused it so far.
    #[sqlx(skip)]
    pub pending: bool,
}

/// How a run ended, to be written to its `probe_runs` row.
#[derive(Debug, Clone, PartialEq)]
pub struct FinishedRun {
    pub id: i64,
    pub pack_id: String,
    pub slot: DateTime<Utc>,
    /// Checks of the slot stored (resumed parts included).
    pub done: i64,
    pub failures: i64,
    /// Set for a failed run: why.
    pub detail: Option<String>,
    pub finished_at: DateTime<Utc>,
}

/// What is still waiting for the database.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PendingCounts {
    pub finished_runs: usize,
    pub missed_slots: usize,
}

#[derive(Debug, Default)]
pub(super) struct Pending {
    finished: Vec<FinishedRun>,
    missed: Vec<MissedSlotsRecord>,
    dropped: usize,
    /// A missed-slots entry [`Store::flush_pending`] is writing: the first of `missed`,
    /// which stays there (and counted) until its write succeeds, and is neither joined
    /// into nor dropped meanwhile, so that a change and a write never cross.
    writing_miss: bool,
}

impl Pending {
    fn keep_miss(&mut self, miss: MissedSlotsRecord) {
        let finished = &self.finished;
        // The entry being written is not joined into (see `writing_miss`).
        let writable = usize::from(self.writing_miss);
        // Joined with the pack's latest pending miss when nothing ran in between.
        if let Some(last) = self
            .missed
            .iter_mut()
            .skip(writable)
            .rev()
            .find(|m| m.pack_id == miss.pack_id && m.vantage == miss.vantage)
            && last.reason == miss.reason
            && last.last_slot < miss.first_slot
            && !finished.iter().any(|f| {
                f.pack_id == miss.pack_id && last.last_slot < f.slot && f.slot < miss.first_slot
            })
        {
            last.last_slot = miss.last_slot;
            last.slots += miss.slots;
            last.detail = miss.detail;
            return;
        }
        self.missed.push(miss);
        if self.missed.len() > PENDING_CAP {
            self.missed.remove(usize::from(self.writing_miss));
            self.dropped += 1;
        }
    }

    fn keep_finish(&mut self, run: FinishedRun) {
        self.finished.retain(|r| r.id != run.id);
        self.finished.push(run);
        if self.finished.len() > PENDING_CAP {
            self.finished.remove(0);
            self.dropped += 1;
        }
    }
}

impl Store {
    fn pending(&self) -> std::sync::MutexGuard<'_, Pending> {
        // A panic while holding the lock cannot leave the lists half-changed: recover.
        self.pending
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What is waiting for the database.
    pub fn pending_counts(&self) -> PendingCounts {
        let p = self.pending();
        PendingCounts {
            finished_runs: p.finished.len(),
            missed_slots: p.missed.len(),
        }
    }

    /// Writes how a run ended; when the database refuses, keeps it in memory (shown by
    /// [`Store::recent_runs`], written by [`Store::flush_pending`]) and returns the error.
    pub async fn finish_run_or_keep(&self, run: FinishedRun) -> Result<(), StorageError> {
        if let Some(waiting) = self.keep_behind_pending(|p| p.keep_finish(run.clone())) {
            return Err(waiting);
        }
        match self.write_finish(&run).await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.pending().keep_finish(run);
                Err(e)
            }
        }
    }

    /// While earlier records wait for the database, a new one waits behind them (written
    /// in order by [`Store::flush_pending`]) rather than waiting for the database again.
    fn keep_behind_pending(&self, keep: impl FnOnce(&mut Pending)) -> Option<StorageError> {
        let mut p = self.pending();
        if p.finished.is_empty() && p.missed.is_empty() {
            return None;
        }
        keep(&mut p);
        Some(StorageError::Invalid(
            "kept in memory behind earlier run records the database refused".into(),
        ))
    }

    async fn write_finish(&self, run: &FinishedRun) -> Result<(), StorageError> {
        let detail = run.detail.as_deref().map(storable_text);
        on_pool!(self, pool => {
            sqlx::query(
                "update probe_runs set state = 'finished', finished_at = $2, done = $3,
                     failures = $4, detail = $5, lease_until = null
                 where id = $1",
            )
            .bind(run.id)
            .bind(run.finished_at)
            .bind(run.done)
            .bind(run.failures)
            .bind(detail.as_deref())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records that `slots` slots of `pack_id`, `first` to `last`, were not run, and why.
    /// Joins the pack's latest record when it has the same reason and nothing ran in
    /// between. When the database refuses, keeps it in memory and returns the error.
    #[allow(clippy::too_many_arguments)]
    pub async fn record_missed(
        &self,
        pack_id: &str,
        vantage: &str,
        first: DateTime<Utc>,
        last: DateTime<Utc>,
        slots: i64,
        reason: MissReason,
        detail: Option<&str>,
    ) -> Result<(), StorageError> {
        let miss = MissedSlotsRecord {
            id: 0,
            pack_id: pack_id.to_string(),
            vantage: vantage.to_string(),
            first_slot: first,
            last_slot: last,
            slots: slots.max(1),
            reason: reason.as_str().to_string(),
            detail: detail.map(|d| storable_text(d).into_owned()),
            recorded_at: Utc::now(),
            pending: true,
        };
        if let Some(waiting) = self.keep_behind_pending(|p| p.keep_miss(miss.clone())) {
            return Err(waiting);
        }
        match self.write_miss(&miss).await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.pending().keep_miss(miss);
                Err(e)
            }
        }
    }

    async fn write_miss(&self, miss: &MissedSlotsRecord) -> Result<(), StorageError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Already stored (a flush stopped after its write): nothing to add.
            let covered: Option<i64> = sqlx::query_scalar(
                "select 1 from missed_slots where pack_id = $1 and reason = $2
                     and first_slot <= $3 and last_slot >= $4 and vantage = $5
                 limit 1",
            )
            .bind(&miss.pack_id)
            .bind(&miss.reason)
            .bind(miss.first_slot)
            .bind(miss.last_slot)
            .bind(&miss.vantage)
            .fetch_optional(&mut *tx)
            .await?;
            if covered.is_some() {
                return Ok(());
            }
            let latest: Option<(i64, String, DateTime<Utc>)> = sqlx::query_as(
                "select id, reason, last_slot from missed_slots where pack_id = $1 and vantage = $2
                 order by last_slot desc, id desc limit 1",
            )
            .bind(&miss.pack_id)
            .bind(&miss.vantage)
            .fetch_optional(&mut *tx)
            .await?;
            let joins = match &latest {
                Some((_, reason, last)) if *reason == miss.reason && *last < miss.first_slot => {
                    let ran_between: Option<i64> = sqlx::query_scalar(
                        "select 1 from probe_runs where pack_id = $1 and slot > $2 and slot < $3
                             and vantage = $4
                         limit 1",
                    )
                    .bind(&miss.pack_id)
                    .bind(*last)
                    .bind(miss.first_slot)
                    .bind(&miss.vantage)
                    .fetch_optional(&mut *tx)
                    .await?;
                    ran_between.is_none()
                }
                _ => false,
            };
            match latest {
                Some((id, ..)) if joins => {
                    sqlx::query(
                        "update missed_slots set last_slot = $2, slots = slots + $3, detail = $4
                         where id = $1",
                    )
                    .bind(id)
                    .bind(miss.last_slot)
                    .bind(miss.slots)
                    .bind(miss.detail.as_deref())
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {
                    sqlx::query(
                        "insert into missed_slots (pack_id, first_slot, last_slot, slots, reason,
                             detail, recorded_at, vantage)
                         values ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(&miss.pack_id)
                    .bind(miss.first_slot)
                    .bind(miss.last_slot)
                    .bind(miss.slots)
                    .bind(&miss.reason)
                    .bind(miss.detail.as_deref())
                    .bind(miss.recorded_at)
                    .bind(&miss.vantage)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Writes what was kept in memory, oldest first; stops at the first refusal (the rest
    /// stays pending). Returns how many entries were written. Each entry stays pending
    /// (and counted by [`Store::pending_counts`]) until its write has succeeded, so a flush
    /// stopped halfway (the process shutting down) loses nothing; one written twice that
    /// way is recognised and not stored again.
    pub async fn flush_pending(&self) -> Result<usize, StorageError> {
        let dropped = std::mem::take(&mut self.pending().dropped);
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "run records kept in memory while the database refused them were dropped (too many)"
            );
        }
        let mut written = 0;
        loop {
            let next = self.pending().finished.first().cloned();
            let Some(run) = next else { break };
            self.write_finish(&run).await?;
            let mut p = self.pending();
            // A newer end of the same run may have replaced it meanwhile: that one stays.
            if let Some(at) = p.finished.iter().position(|r| *r == run) {
                p.finished.remove(at);
            }
            written += 1;
        }
        /// Clears `writing_miss` however the write ends (even when the task is aborted).
        struct Writing<'a>(&'a Store);
        impl Drop for Writing<'_> {
            fn drop(&mut self) {
                self.0.pending().writing_miss = false;
            }
        }
        loop {
            let next = {
                let mut p = self.pending();
                let first = p.missed.first().cloned();
                p.writing_miss = first.is_some();
                first
            };
            let Some(miss) = next else { break };
            let writing = Writing(self);
            self.write_miss(&miss).await?;
            let mut p = self.pending();
            if p.missed.first() == Some(&miss) {
                p.missed.remove(0);
            }
            drop(p);
            drop(writing);
            written += 1;
        }
        if written > 0 {
            tracing::info!(written, "run records kept in memory are now stored");
        }
        Ok(written)
    }

    /// A pack's missed slots, newest first, those still in memory included.
    pub async fn missed_slots(
        &self,
        pack_id: &str,
        limit: i64,
    ) -> Result<Vec<MissedSlotsRecord>, StorageError> {
        let mut rows = on_pool!(self, pool => {
            sqlx::query_as::<_, MissedSlotsRecord>(
                "select id, pack_id, vantage, first_slot, last_slot, slots, reason, detail,
                     recorded_at
                 from missed_slots where pack_id = $1
                 order by last_slot desc, id desc limit $2",
            )
            .bind(pack_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        rows.extend(
            self.pending()
                .missed
                .iter()
                .filter(|m| m.pack_id == pack_id)
                .cloned(),
        );
        rows.sort_by(|a, b| b.last_slot.cmp(&a.last_slot).then(b.id.cmp(&a.id)));
        rows.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(rows)
    }

    /// The latest slot of `pack_id` at `vantage` that was run or recorded as missed.
    pub async fn last_accounted_slot(
        &self,
        pack_id: &str,
        vantage: &str,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        let (ran, missed) = on_pool!(self, pool => {
            let ran: Option<DateTime<Utc>> = sqlx::query_scalar(
                "select max(slot) from probe_runs where pack_id = $1 and vantage = $2",
            )
            .bind(pack_id)
            .bind(vantage)
            .fetch_one(pool)
            .await?;
            let missed: Option<DateTime<Utc>> = sqlx::query_scalar(
                "select max(last_slot) from missed_slots where pack_id = $1 and vantage = $2",
            )
            .bind(pack_id)
            .bind(vantage)
            .fetch_one(pool)
            .await?;
            (ran, missed)
        });
        let pending = self
            .pending()
            .missed
            .iter()
            .filter(|m| m.pack_id == pack_id && m.vantage == vantage)
            .map(|m| m.last_slot)
            .max();
        Ok([ran, missed, pending].into_iter().flatten().max())
    }

    /// Overlays run ends still in memory on runs read from the database.
    pub(super) fn with_pending_finishes(
        &self,
        mut runs: Vec<ProbeRunRecord>,
    ) -> Vec<ProbeRunRecord> {
        let p = self.pending();
        if p.finished.is_empty() {
            return runs;
        }
        for run in &mut runs {
            if let Some(f) = p.finished.iter().find(|f| f.id == run.id) {
                run.state = "finished".into();
                run.finished_at = Some(f.finished_at);
                run.done = f.done;
                run.failures = f.failures;
                run.detail = f.detail.clone();
            }
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + i64::from(s), 0).unwrap()
    }

    fn miss(pack: &str, slot: u32, reason: MissReason) -> MissedSlotsRecord {
        MissedSlotsRecord {
            id: 0,
            pack_id: pack.into(),
            vantage: "local".into(),
            first_slot: at(slot),
            last_slot: at(slot),
            slots: 1,
            reason: reason.as_str().into(),
            detail: None,
            recorded_at: at(slot),
            pending: true,
        }
    }

    #[test]
    fn pending_misses_join_only_when_nothing_ran_between() {
        let mut p = Pending::default();
        p.keep_miss(miss("a", 1, MissReason::DatabaseUnavailable));
        p.keep_miss(miss("b", 2, MissReason::DatabaseUnavailable));
        p.keep_miss(miss("a", 3, MissReason::DatabaseUnavailable));
        assert_eq!(p.missed.len(), 2);
        assert_eq!(
            (
                p.missed[0].first_slot,
                p.missed[0].last_slot,
                p.missed[0].slots
            ),
            (at(1), at(3), 2)
        );
        // Another reason, or a run in between, starts a new record.
        p.keep_miss(miss("a", 4, MissReason::BackingOff));
        p.keep_finish(FinishedRun {
            id: 7,
            pack_id: "a".into(),
            slot: at(5),
            done: 0,
            failures: 0,
            detail: Some("refused".into()),
            finished_at: at(5),
        });
        p.keep_miss(miss("a", 6, MissReason::BackingOff));
        let a: Vec<(DateTime<Utc>, i64)> = p
            .missed
            .iter()
            .filter(|m| m.pack_id == "a")
            .map(|m| (m.first_slot, m.slots))
            .collect();
        assert_eq!(a, [(at(1), 2), (at(4), 1), (at(6), 1)]);
        assert!("backing_off".parse::<MissReason>().is_ok());
        assert!("nope".parse::<MissReason>().is_err());
    }
}
