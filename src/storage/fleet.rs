//! Storage for the fleet of workers (`hutong worker`, PostgreSQL): workers registered with
//! their heartbeats, schedule slots claimed per (pack, vantage point) under a row lock
//! (`for update skip locked`), runs held under leases that heartbeats renew, expired
//! leases taken over (and recorded), and what /probes shows of it all.
//!
//! The same SQL runs on SQLite (without `for update skip locked`, which it neither knows
//! nor needs: its write transactions are serial), where only one process writes.

use super::ledger::MissReason;
use super::probes::RUN_COLUMNS;
use super::{Db, LeaseHolder, ProbeRunRecord, StorageError, Store, WritePool};
use super::{on_pool, storable_text};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlSafeStr;

/// A worker as registered.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct WorkerRecord {
    pub id: String,
    pub host: String,
    pub pid: i64,
    pub vantage: String,
    pub started_at: DateTime<Utc>,
    pub last_heartbeat: DateTime<Utc>,
    pub stopped_at: Option<DateTime<Utc>>,
}

/// A worker with what it did lately, for /probes.
#[derive(Debug, Clone, Serialize)]
pub struct WorkerStatus {
    #[serde(flatten)]
    pub worker: WorkerRecord,
    /// Runs it started in the window, and how many of them failed.
    pub runs: i64,
    pub failures: i64,
    /// Runs it holds under a lease now.
    pub leases: i64,
    /// Runs it took over from a worker whose lease expired (ever).
    pub takeovers: i64,
}

/// A vantage point with what its workers (or `serve`'s scheduler) did lately.
#[derive(Debug, Clone, Serialize)]
pub struct VantageStatus {
    pub vantage: String,
    /// The latest sign of life: a worker's heartbeat or a run started there.
    pub last_seen: Option<DateTime<Utc>>,
    /// The latest run started there, and the latest heartbeat of a worker there.
    pub last_run: Option<DateTime<Utc>>,
    pub last_heartbeat: Option<DateTime<Utc>>,
    /// Workers not stopped whose last heartbeat is within the window.
    pub workers_alive: i64,
    pub runs: i64,
    pub failures: i64,
    pub leases: i64,
    pub takeovers: i64,
}

/// A run whose lease was taken over from a worker that stopped renewing it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct TakeoverRecord {
    pub id: i64,
    pub run_id: i64,
    pub pack_id: String,
    pub vantage: String,
    pub slot: DateTime<Utc>,
    pub from_worker: Option<String>,
    pub to_worker: String,
    pub taken_at: DateTime<Utc>,
}

/// What a claim of the next slot of a (pack, vantage point) gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This worker holds the slot's run now; `missed` slots before it were recorded.
    Claimed {
        run_id: i64,
        slot: DateTime<Utc>,
        missed: Option<(DateTime<Utc>, DateTime<Utc>, i64)>,
    },
    /// The slot was already claimed or recorded: nothing to do.
    UpToDate,
    /// Another worker is claiming for this (pack, vantage point) right now.
    Busy,
}

/// A run taken from an expired lease (or left interrupted by a worker that stopped).
#[derive(Debug, Clone, PartialEq)]
pub struct TakenRun {
    pub run_id: i64,
    pub slot: DateTime<Utc>,
    /// The worker whose lease expired; `None` for a run released or left interrupted.
    pub from_worker: Option<String>,
}

impl Store {
    /// `for update skip locked` on PostgreSQL; nothing on SQLite (serial writes).
    fn skip_locked(&self) -> &'static str {
        match self.db {
            Db::Postgres(_) => " for update skip locked",
            Db::Sqlite(_) => "",
        }
    }

    /// Registers a worker (or registers it again, after a restart with the same id).
    pub async fn register_worker(&self, w: &WorkerRecord) -> Result<(), StorageError> {
        on_pool!(self, pool => {
            sqlx::query(
                "insert into workers (id, host, pid, vantage, started_at, last_heartbeat)
                 values ($1, $2, $3, $4, $5, $6)
                 on conflict (id) do update set host = excluded.host, pid = excluded.pid,
                     vantage = excluded.vantage, started_at = excluded.started_at,
                     last_heartbeat = excluded.last_heartbeat, stopped_at = null",
            )
            .bind(&w.id)
            .bind(storable_text(&w.host).as_ref())
            .bind(w.pid)
            .bind(&w.vantage)
            .bind(w.started_at)
            .bind(w.last_heartbeat)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A heartbeat: the worker is alive, and its leases on `runs` last `holder.lease`
    /// longer. Returns the runs it still holds or that finished (a run missing was taken
    /// over meanwhile: its lease had expired).
    pub async fn heartbeat(
        &self,
        holder: &LeaseHolder,
        runs: &[i64],
    ) -> Result<Vec<i64>, StorageError> {
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("update workers set last_heartbeat = $2 where id = $1")
                .bind(&holder.worker_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            let mut held = Vec::with_capacity(runs.len());
            for &id in runs {
                let renewed = sqlx::query(
                    "update probe_runs set lease_until = $3
                     where id = $1 and worker_id = $2 and state = 'running'",
                )
                .bind(id)
                .bind(&holder.worker_id)
                .bind(holder.until(now))
                .execute(&mut *tx)
                .await?
                .rows_affected();
                // Finished meanwhile (its end clears the lease): not lost either.
                let finished = renewed == 0
                    && sqlx::query_scalar::<_, i64>(
                        "select id from probe_runs where id = $1 and state = 'finished'",
                    )
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .is_some();
                if renewed > 0 || finished {
                    held.push(id);
                }
            }
            tx.commit().await?;
            Ok(held)
        })
    }

    /// Claims the slot `due` of `pack_id` at `vantage` for `holder`, unless it (or a later
    /// one) was already claimed or recorded missed. Slots between the last one accounted
    /// for and `due` (`gap` gives them from the last one) are recorded missed in the same
    /// transaction, so each slot is claimed or recorded exactly once whatever number of
    /// workers race for it.
    pub async fn claim_slot(
        &self,
        pack_id: &str,
        vantage: &str,
        due: DateTime<Utc>,
        holder: &LeaseHolder,
        gap: impl Fn(DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>, i64)>,
    ) -> Result<Claim, StorageError> {
        let initial = self.last_accounted_slot(pack_id, vantage).await?;
        let lock = format!(
            "select last_slot from probe_slots where pack_id = $1 and vantage = $2{}",
            self.skip_locked()
        );
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "insert into probe_slots (pack_id, vantage, last_slot) values ($1, $2, $3)
                 on conflict (pack_id, vantage) do nothing",
            )
            .bind(pack_id)
            .bind(vantage)
            .bind(initial)
            .execute(&mut *tx)
            .await?;
            let row: Option<(Option<DateTime<Utc>>,)> =
                sqlx::query_as(sqlx::AssertSqlSafe(lock).into_sql_str())
                    .bind(pack_id)
                    .bind(vantage)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((last,)) = row else {
                return Ok(Claim::Busy);
            };
            if last.is_some_and(|l| l >= due) {
                return Ok(Claim::UpToDate);
            }
            let missed = last.and_then(&gap);
            if let Some((first, last_missed, slots)) = missed {
                // The previous run still going when the first slot passed, or nobody there.
                let going: Option<i64> = sqlx::query_scalar(
                    "select id from probe_runs
                     where pack_id = $1 and vantage = $2 and slot < $3
                       and (state <> 'finished' or finished_at > $3)
                     limit 1",
                )
                .bind(pack_id)
                .bind(vantage)
                .bind(first)
                .fetch_optional(&mut *tx)
                .await?;
                let reason = if going.is_some() {
                    MissReason::PreviousRunGoing
                } else {
                    MissReason::NotRunning
                };
                sqlx::query(
                    "insert into missed_slots (pack_id, vantage, first_slot, last_slot, slots,
                         reason, detail, recorded_at)
                     values ($1, $2, $3, $4, $5, $6, null, $7)",
                )
                .bind(pack_id)
                .bind(vantage)
                .bind(first)
                .bind(last_missed)
                .bind(slots.max(1))
                .bind(reason.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let run_id: Option<i64> = sqlx::query_scalar(
                "insert into probe_runs (pack_id, vantage, slot, trigger, started_at, state,
                     planned, worker_id, lease_until)
                 values ($1, $2, $3, 'schedule', $4, 'running', 0, $5, $6)
                 on conflict (pack_id, vantage, slot) do nothing
                 returning id",
            )
            .bind(pack_id)
            .bind(vantage)
            .bind(due)
            .bind(now)
            .bind(&holder.worker_id)
            .bind(holder.until(now))
            .fetch_optional(&mut *tx)
            .await?;
            sqlx::query("update probe_slots set last_slot = $3 where pack_id = $1 and vantage = $2")
                .bind(pack_id)
                .bind(vantage)
                .bind(due)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(match run_id {
                Some(run_id) => Claim::Claimed { run_id, slot: due, missed },
                // Run by another process already (`serve` told to probe): accounted for.
                None => Claim::UpToDate,
            })
        })
    }

    /// Takes the oldest run of `pack_id` at `vantage` whose lease expired (its worker was
    /// killed or cut off) or that was left interrupted, for `holder`; a takeover from a
    /// worker is recorded. Rows another claimer has locked are skipped, so two workers
    /// never take the same run.
    pub async fn take_over_run(
        &self,
        pack_id: &str,
        vantage: &str,
        holder: &LeaseHolder,
    ) -> Result<Option<TakenRun>, StorageError> {
        let now = Utc::now();
        let select = format!(
            "select id, slot, worker_id from probe_runs
             where pack_id = $1 and vantage = $2 and state <> 'finished'
               and (lease_until < $3 or (lease_until is null and state = 'interrupted'))
             order by slot limit 1{}",
            self.skip_locked()
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<(i64, DateTime<Utc>, Option<String>)> =
                sqlx::query_as(sqlx::AssertSqlSafe(select).into_sql_str())
                    .bind(pack_id)
                    .bind(vantage)
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((run_id, slot, from_worker)) = row else {
                return Ok(None);
            };
            sqlx::query(
                "update probe_runs set state = 'running', worker_id = $2, lease_until = $3
                 where id = $1",
            )
            .bind(run_id)
            .bind(&holder.worker_id)
            .bind(holder.until(now))
            .execute(&mut *tx)
            .await?;
            if let Some(from) = &from_worker {
                sqlx::query(
                    "insert into lease_takeovers (run_id, pack_id, vantage, slot, from_worker,
                         to_worker, taken_at)
                     values ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(run_id)
                .bind(pack_id)
                .bind(vantage)
                .bind(slot)
                .bind(from)
                .bind(&holder.worker_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(Some(TakenRun { run_id, slot, from_worker }))
        })
    }

    /// A worker stopping: its runs are left interrupted with no lease (another worker of
    /// its vantage point resumes them at once), and it is marked stopped.
    pub async fn release_worker(&self, worker_id: &str) -> Result<u64, StorageError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let released = sqlx::query(
                "update probe_runs set state = 'interrupted', worker_id = null, lease_until = null
                 where worker_id = $1 and state = 'running'",
            )
            .bind(worker_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query("update workers set stopped_at = $2 where id = $1")
                .bind(worker_id)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(released)
        })
    }

    /// Lets a run go (it failed to start, or the worker gave it up): interrupted, with no
    /// lease, for any worker of its vantage point to resume.
    pub async fn release_run(&self, run_id: i64, worker_id: &str) -> Result<(), StorageError> {
        on_pool!(self, pool => {
            sqlx::query(
                "update probe_runs set state = 'interrupted', worker_id = null, lease_until = null
                 where id = $1 and worker_id = $2 and state = 'running'",
            )
            .bind(run_id)
            .bind(worker_id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Every worker registered, newest heartbeat first.
    pub async fn workers(&self) -> Result<Vec<WorkerRecord>, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, WorkerRecord>(
                "select id, host, pid, vantage, started_at, last_heartbeat, stopped_at
                 from workers order by last_heartbeat desc, id",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Lease takeovers, newest first.
    pub async fn takeovers(&self, limit: i64) -> Result<Vec<TakeoverRecord>, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, TakeoverRecord>(
                "select id, run_id, pack_id, vantage, slot, from_worker, to_worker, taken_at
                 from lease_takeovers order by taken_at desc, id desc limit $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Runs started since `since`, every pack and vantage point.
    pub async fn runs_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<Vec<ProbeRunRecord>, StorageError> {
        let sql = format!(
            "select {RUN_COLUMNS} from probe_runs where started_at >= $1 order by started_at"
        );
        let runs = on_pool!(self, pool => {
            sqlx::query_as::<_, ProbeRunRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(since)
                .fetch_all(pool)
                .await?
        });
        Ok(self.with_pending_finishes(runs))
    }

    /// Every vantage point that ever probed (runs) or has a worker, with its latest run.
    pub async fn vantage_activity(
        &self,
    ) -> Result<Vec<(String, Option<DateTime<Utc>>)>, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, (String, Option<DateTime<Utc>>)>(
                "select vantage, max(started_at) from probe_runs group by vantage
                 union all
                 select vantage, null from workers",
            )
            .fetch_all(pool)
            .await?
        }))
    }

    /// Each vantage point and each worker with what they did since `since` (runs,
    /// failures), leases held now and takeovers; workers whose heartbeat is older than
    /// `since` count as not alive.
    pub async fn fleet_status(
        &self,
        since: DateTime<Utc>,
    ) -> Result<(Vec<VantageStatus>, Vec<WorkerStatus>), StorageError> {
        let now = Utc::now();
        let workers = self.workers().await?;
        let runs = self.runs_since(since).await?;
        let takeovers = self.takeovers(10_000).await?;
        let held = on_pool!(self, pool => {
            sqlx::query_as::<_, (String, String)>(
                "select worker_id, vantage from probe_runs
                 where worker_id is not null and state = 'running' and lease_until > $1",
            )
            .bind(now)
            .fetch_all(pool)
            .await?
        });
        let worker_status: Vec<WorkerStatus> = workers
            .iter()
            .map(|w| {
                let mine = runs
                    .iter()
                    .filter(|r| r.worker_id.as_deref() == Some(&w.id));
                WorkerStatus {
                    runs: mine.clone().count() as i64,
                    failures: mine.filter(|r| r.failed()).count() as i64,
                    leases: held.iter().filter(|(id, _)| *id == w.id).count() as i64,
                    takeovers: takeovers.iter().filter(|t| t.to_worker == w.id).count() as i64,
                    worker: w.clone(),
                }
            })
            .collect();
        let mut names: Vec<(String, Option<DateTime<Utc>>)> = self.vantage_activity().await?;
        names.sort();
        let mut vantages: Vec<VantageStatus> = Vec::new();
        for (name, last_run) in names {
            let heartbeat = workers
                .iter()
                .filter(|w| w.vantage == name)
                .map(|w| w.last_heartbeat)
                .max();
            let last_seen = [last_run, heartbeat].into_iter().flatten().max();
            if let Some(v) = vantages.iter_mut().find(|v| v.vantage == name) {
                v.last_seen = v.last_seen.max(last_seen);
                v.last_run = v.last_run.max(last_run);
                continue;
            }
            let here = runs.iter().filter(|r| r.vantage == name);
            vantages.push(VantageStatus {
                workers_alive: workers
                    .iter()
                    .filter(|w| w.vantage == name && w.stopped_at.is_none())
                    .filter(|w| w.last_heartbeat >= since)
                    .count() as i64,
                runs: here.clone().count() as i64,
                failures: here.filter(|r| r.failed()).count() as i64,
                leases: held.iter().filter(|(_, v)| *v == name).count() as i64,
                takeovers: takeovers.iter().filter(|t| t.vantage == name).count() as i64,
                last_seen,
                last_run,
                last_heartbeat: heartbeat,
                vantage: name,
            });
        }
        Ok((vantages, worker_status))
    }
}
