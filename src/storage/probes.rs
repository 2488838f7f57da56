//! Storage for the probe engine: content-addressed body snapshots, probe runs (so that a
//! restart neither loses nor doubles a run), reclassification, and method changes.

use super::{
    Db, OBSERVATION_COLUMNS, StorageError, Store, WritePool, evidence_body_in,
    insert_observation_in, on_pool,
};
use crate::domain::{NewObservation, ObservationRecord};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlSafeStr;
use std::collections::HashMap;

use super::snapshots::NewSnapshot;

/// A probe result made ready to store where it was made: its text as both databases keep
/// it, its pair's source key and its evidence split ([`super::evidence::split`]). The engine
/// makes these as each page's verdicts come in, beside the batch being written, so the one
/// writer spends its time on the database (README, Probes).
#[derive(Debug, Clone)]
pub struct ProbeRow {
    observation: NewObservation,
    key: String,
    split: Option<super::evidence::SplitEvidence>,
}

impl ProbeRow {
    /// The rows of `observations` (one fetch's share one evidence, split once).
    pub fn all(observations: Vec<NewObservation>) -> Vec<ProbeRow> {
        let keys: Vec<String> = observations
            .iter()
            .map(NewObservation::source_key)
            .collect();
        let storable = super::storable::into_storable_all(observations);
        let splits = super::evidence::split_all(&storable);
        storable
            .into_iter()
            .zip(keys)
            .zip(splits)
            .map(|((observation, key), split)| ProbeRow {
                observation,
                key,
                split,
            })
            .collect()
    }

    /// The observation, as it will be stored.
    pub fn observation(&self) -> &NewObservation {
        &self.observation
    }
}

/// A stored row, still compressed (read its body with [`Store::snapshot_body`]).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SnapshotRecord {
    pub sha256: String,
    pub size: i64,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub stored_at: DateTime<Utc>,
    /// The whole snapshot `body` is a difference against, if it is one.
    pub base_sha256: Option<String>,
}

/// One run of one pack for one schedule slot.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct ProbeRunRecord {
    pub id: i64,
    pub pack_id: String,
    /// The vantage point the run probes from.
    pub vantage: String,
    pub slot: DateTime<Utc>,
    pub trigger: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub state: String,
    pub planned: i64,
    pub done: i64,
    pub failures: i64,
    pub detail: Option<String>,
    /// The worker holding the run (`hutong worker`), and until when.
    pub worker_id: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
}

impl ProbeRunRecord {
    /// A finished run in which nothing could be observed (every check failed), or that
    /// ended with an error.
    pub fn failed(&self) -> bool {
        self.state == "finished"
            && (self.detail.is_some() || (self.planned > 0 && self.failures >= self.planned))
    }
}

/// How a run starts: fresh, resumed after an interruption (with the checks it already
/// stored), or not at all because that slot was already run to the end.
#[derive(Debug, Clone)]
pub enum RunStart {
    Fresh(i64),
    Resumed {
        id: i64,
        done: Vec<String>,
    },
    AlreadyFinished(i64),
    /// Another worker holds the run's lease (it has not expired): not touched.
    HeldElsewhere {
        id: i64,
        worker: String,
    },
}

/// Who runs a run: a worker holding a lease (renewed by its heartbeats) or, when `None`,
/// a process that needs none (`serve`'s scheduler on SQLite, `probe run`).
#[derive(Debug, Clone)]
pub struct LeaseHolder {
    pub worker_id: String,
    pub lease: std::time::Duration,
}

impl LeaseHolder {
    pub fn until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + chrono::Duration::from_std(self.lease).unwrap_or(chrono::Duration::seconds(30))
    }
}

/// A reclassification under newer rules.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct MethodChangeRecord {
    pub id: i64,
    pub pack_id: String,
    pub from_version: Option<i64>,
    pub to_version: i64,
    pub happened_at: DateTime<Utc>,
    pub checked: i64,
    pub changed: i64,
}

/// A run's id, state and lease holder, as `begin_run` reads them.
type RunHolding = (i64, String, Option<String>, Option<DateTime<Utc>>);

pub(super) const RUN_COLUMNS: &str = "id, pack_id, vantage, slot, trigger, started_at,
    finished_at, state, planned, done, failures, detail, worker_id, lease_until";

/// The run key prefix of a (pack, slot), all vantage points: `pack:2026-11-22T10:00:00Z:`.
pub fn run_key_prefix(pack: &str, slot: DateTime<Utc>) -> String {
    format!("{pack}:{}:", slot.format("%Y-%m-%dT%H:%M:%SZ"))
}

/// The run key of a check in the run of (pack, vantage point, slot):
/// `pack:2026-11-22T10:00:00Z:vantage:check`. The unique index on run keys stores each at
/// most once.
pub fn run_key(pack: &str, vantage: &str, slot: DateTime<Utc>, check: &str) -> String {
    format!("{}{vantage}:{check}", run_key_prefix(pack, slot))
}

/// Whether `name` can name a vantage point: it is part of run keys (`:` separates their
/// parts) and of source keys, so letters, digits, `-`, `_` and `.` only, 1 to 64 of them.
pub fn valid_vantage_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Store {
    /// Stores snapshots (each body once) and observations in one transaction. A `run_key`
    /// already stored is refused by its unique index (the engine leaves out the checks a
    /// resumed run already stored), so a slot never holds a check twice.
    ///
    /// Rows are written in one order whatever order they came in (snapshots by hash, the
    /// pairs' `check_sources` rows by check and source, evidence bodies by hash, then
    /// observations by check and source, each pair's own order kept), so two workers
    /// storing the same checks at once (runs of one pack in neighbouring slots) take their
    /// row locks in the same order and wait for each other instead of deadlocking. The
    /// ids come back in the order the observations were given.
    pub async fn insert_probe_results(
        &self,
        snapshots: &[NewSnapshot],
        observations: &[NewObservation],
    ) -> Result<Vec<i64>, StorageError> {
        self.insert_probe_rows(snapshots, &ProbeRow::all(observations.to_vec()))
            .await
    }

    /// [`Store::insert_probe_results`] of rows already made ready ([`ProbeRow::all`]).
    pub async fn insert_probe_rows(
        &self,
        snapshots: &[NewSnapshot],
        rows: &[ProbeRow],
    ) -> Result<Vec<i64>, StorageError> {
        // Whole snapshots before differences, so a base stored in the same batch is there
        // before the rows that name it; each by hash, once (a whole copy rather than a
        // difference of the same body).
        let mut wholes: Vec<&NewSnapshot> = snapshots
            .iter()
            .filter(|s| s.base_sha256.is_none())
            .collect();
        wholes.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        wholes.dedup_by(|a, b| a.sha256 == b.sha256);
        let whole: std::collections::HashSet<&str> =
            wholes.iter().map(|s| s.sha256.as_str()).collect();
        let mut differences: Vec<&NewSnapshot> = snapshots
            .iter()
            .filter(|s| s.base_sha256.is_some() && !whole.contains(s.sha256.as_str()))
            .collect();
        differences.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        differences.dedup_by(|a, b| a.sha256 == b.sha256);
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by(|&a, &b| {
            (&rows[a].observation.check_id, &rows[a].key)
                .cmp(&(&rows[b].observation.check_id, &rows[b].key))
        });
        // The evidence bodies are written before any observation, by hash, for the same
        // reason as the order above.
        let bodies =
            super::evidence::distinct_bodies_of(rows.iter().filter_map(|r| r.split.as_ref()));
        // Each run's run part added before its first batch, in a statement of its own (a
        // run part without rows, should the batch fail, is harmless: kept forever anyway).
        let mut parts: Vec<&str> = rows
            .iter()
            .filter_map(|r| {
                let o = &r.observation;
                let key = o.probe.as_ref()?.run_key.as_deref()?;
                super::batch_write::run_part(key, &o.check_id)
            })
            .filter(|part| self.run_key_ids.get(*part).is_none())
            .collect();
        parts.sort_unstable();
        parts.dedup();
        for part in parts {
            let id = self.add_run_part(part).await?;
            self.run_key_ids.insert(part.to_string(), id);
        }
        super::on_write_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // SQLite: what earlier batches left the pairs at holds while `data_version` is
            // where the last of them left it (`kept_pairs`); read inside this transaction,
            // nobody writes in between.
            let mut batch_pairs = match &self.kept_pairs {
                Some(kept) => {
                    let found: i64 = sqlx::query_scalar(super::kept_pairs::DATA_VERSION)
                        .fetch_one(&mut *tx)
                        .await?;
                    Some(super::kept_pairs::KeptPairs::begin(kept, found))
                }
                None => None,
            };
            // Whole copies first, then differences (a difference's base is there before it).
            let now = Utc::now();
            for group in [&wholes, &differences] {
                super::batch_statements::BatchStatements::insert_snapshots(&mut *tx, group, now)
                    .await?;
            }
            // The evidence bodies by hash, then the pairs: the order every writer takes them
            // in (`insert_observations` too), so writers storing the same new bodies or
            // pairs side by side wait for each other, never each for the other.
            let mut body_ids: HashMap<&str, i64> = HashMap::with_capacity(bodies.len());
            let mut fresh: Vec<(&str, i64)> = Vec::new();
            for &b in &bodies {
                let id = match self.evidence_ids.get(&b.sha256) {
                    Some(id) => id,
                    None => {
                        let id = evidence_body_in!(tx, b);
                        fresh.push((&b.sha256, id));
                        id
                    }
                };
                body_ids.insert(&b.sha256, id);
            }
            // Every pair's `check_sources` row in a few statements rather than one each.
            let sources = distinct_sources(rows, &order);
            if let Some(sources) = &sources {
                super::batch_statements::BatchStatements::upsert_check_sources(&mut *tx, sources)
                    .await?;
            }
            // The rows in write order, written as one batch.
            let ordered: Vec<&NewObservation> = order.iter().map(|&i| &rows[i].observation).collect();
            let evidence: Vec<Option<(i64, Option<String>)>> = order
                .iter()
                .map(|&i| {
                    rows[i]
                        .split
                        .as_ref()
                        .map(|s| (body_ids[s.sha256.as_str()], s.fetch.clone()))
                })
                .collect();
            let mut fresh_numbers: Vec<(String, i64)> = Vec::new();
            let written = super::batch_write::insert_batch_in!(
                tx,
                &ordered,
                &evidence,
                sources.is_none(),
                self.backend() == super::Backend::Postgres,
                self.fetch_repeats(),
                self.thin_repeats,
                &self.check_numbers,
                &self.run_key_ids,
                fresh_numbers,
                batch_pairs.as_mut()
            );
            let mut ids = vec![0_i64; rows.len()];
            for (&i, id) in order.iter().zip(written) {
                ids[i] = id;
            }
            // Where this batch leaves `data_version`, for the next batch.
            let left: Option<i64> = match batch_pairs {
                Some(_) => Some(
                    sqlx::query_scalar(super::kept_pairs::DATA_VERSION)
                        .fetch_one(&mut *tx)
                        .await?,
                ),
                None => None,
            };
            tx.commit().await?;
            if let (Some(batch), Some(left)) = (batch_pairs, left) {
                batch.written(left);
            }
            // Remembered only once committed: a rolled back body has no row.
            for (sha, id) in fresh {
                self.evidence_ids.insert(sha.to_string(), id);
            }
            self.remember_check_numbers(fresh_numbers);
            Ok(ids)
        })
    }

    /// The id of run part `part` in `run_keys`, added when new, outside any batch's
    /// transaction (each statement its own).
    async fn add_run_part(&self, part: &str) -> Result<i64, StorageError> {
        Ok(super::on_write_pool!(self, pool => {
            let mut conn = pool.acquire().await?;
            super::batch_write::run_key_id_in!(conn, part)
        }))
    }

    /// Which of these hashes already have a snapshot.
    pub async fn snapshot_exists(&self, sha256: &str) -> Result<bool, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>("select 1 from snapshots where sha256 = $1")
                .bind(sha256)
                .fetch_optional(pool)
                .await?
                .is_some()
        }))
    }

    /// The row as stored (compressed, maybe a difference): for storage figures and tests.
    pub async fn snapshot(&self, sha256: &str) -> Result<Option<SnapshotRecord>, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, SnapshotRecord>(super::snapshots::select_snapshot(self.backend()))
            .bind(sha256)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Number of snapshots, their bodies' bytes and their stored (compressed) bytes.
    pub async fn snapshot_totals(&self) -> Result<(i64, i64, i64), StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, (i64, i64, i64)>(
                "select count(*), cast(coalesce(sum(size), 0) as bigint),
                        cast(coalesce(sum(length(body)), 0) as bigint)
                 from snapshots",
            )
            .fetch_one(pool)
            .await?
        }))
    }

    /// Evidence bodies stored (each kept once) and their JSON's bytes in all.
    pub async fn evidence_totals(&self) -> Result<(i64, i64), StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, (i64, i64)>(
                "select count(*), cast(coalesce(sum(length(body)), 0) as bigint)
                 from evidence_bodies",
            )
            .fetch_one(pool)
            .await?
        }))
    }

    /// Fetches kept (migration 0026: a fetch's own figures and snapshot, once for all its
    /// verdicts) and the observations naming one.
    pub async fn fetch_totals(&self) -> Result<(i64, i64), StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, (i64, i64)>(
                "select (select count(*) from fetches),
                        (select count(*) from observations_all where fetch_id is not null)",
            )
            .fetch_one(pool)
            .await?
        }))
    }

    /// Run parts of run keys kept (migration 0027: `pack:slot:vantage:`, once per run)
    /// and the observations naming one.
    pub async fn run_key_totals(&self) -> Result<(i64, i64), StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, (i64, i64)>(
                "select (select count(*) from run_keys),
                        (select count(*) from observations_all where run_key_id is not null)",
            )
            .fetch_one(pool)
            .await?
        }))
    }

    /// The database's size in bytes: SQLite's pages (the WAL not included: checkpoint
    /// first), PostgreSQL's `pg_database_size` of the current database. For benchmarks.
    pub async fn database_bytes(&self) -> Result<i64, StorageError> {
        let sql = match self.backend() {
            super::Backend::Sqlite => {
                "select page_count * page_size from pragma_page_count(), pragma_page_size()"
            }
            super::Backend::Postgres => "select pg_database_size(current_database())",
        };
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await?
        }))
    }

    /// PostgreSQL: the `n` largest tables with their indexes and TOAST, a partitioned
    /// table's partitions summed under its name; largest first. SQLite keeps no sizes per
    /// table (its `dbstat` is not built in), so it answers none.
    pub async fn largest_tables(&self, n: i64) -> Result<Vec<(String, i64, i64)>, StorageError> {
        if self.backend() == super::Backend::Sqlite {
            return Ok(Vec::new());
        }
        // (table, its heap and TOAST, its indexes)
        let sql = "select coalesce(p.relname, c.relname) as name,
                          sum(pg_table_size(c.oid))::bigint, sum(pg_indexes_size(c.oid))::bigint
                   from pg_class c
                   join pg_namespace s on s.oid = c.relnamespace
                   left join pg_class p on p.oid = pg_partition_root(c.oid) and p.oid <> c.oid
                   where s.nspname = current_schema() and c.relkind = 'r'
                   group by 1
                   order by sum(pg_total_relation_size(c.oid)) desc, 1 limit $1";
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, (String, i64, i64)>(sql).bind(n).fetch_all(pool).await?
        }))
    }

    /// One observation by id.
    pub async fn observation(&self, id: i64) -> Result<Option<ObservationRecord>, StorageError> {
        let sql = format!(
            "select {OBSERVATION_COLUMNS}
             from {} o left join sources s on s.id = o.source_id
             left join evidence_bodies eb on eb.id = o.evidence_id
             left join fetches f on f.id = o.fetch_id
             where o.id = $1",
            self.observations_by_id("$1")
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, ObservationRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// A pack's current (neither superseded nor retracted: a reclassification must not
    /// bring a retracted verdict back) verdicts that kept a snapshot, oldest first, in
    /// pages (`after` is the last id seen; nothing newer than `up_to` is returned, so
    /// replacements written meanwhile are not read back).
    pub async fn pack_observations(
        &self,
        pack_id: &str,
        after: i64,
        up_to: i64,
        limit: i64,
    ) -> Result<Vec<ObservationRecord>, StorageError> {
        let sql = format!(
            "select {OBSERVATION_COLUMNS}
             from observations_all o left join sources s on s.id = o.source_id
             left join evidence_bodies eb on eb.id = o.evidence_id
             left join fetches f on f.id = o.fetch_id
             where o.pack_id = $1 and o.id > $2 and o.id <= $3 and o.superseded_by is null
               and o.retracted_at is null
               and coalesce(o.snapshot, f.snapshot) is not null
             order by o.id limit $4"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, ObservationRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(pack_id)
                .bind(after)
                .bind(up_to)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The newest observation id (0 when there is none).
    pub async fn last_observation_id(&self) -> Result<i64, StorageError> {
        Ok(on_pool!(self, pool => {
            // Each form's newest by its primary key (migration 0032); the last repeat of the
            // fetch with the greatest first id (0052).
            sqlx::query_scalar::<_, Option<i64>>(if self.fetch_repeats() {
                "select max(id) from (select max(id) as id from observations
                                      union all select max(id) from observation_repeats
                                      union all
                                      select * from (select f.first_id + cardinality(s.bases) - 1
                                                     from repeat_fetches f
                                                     join repeat_sets s on s.id = f.set_id
                                                     order by f.first_id desc limit 1) f) l"
            } else {
                "select max(id) from (select max(id) as id from observations
                                      union all select max(id) from observation_repeats) l"
            })
                .fetch_one(pool)
                .await?
                .unwrap_or(0)
        }))
    }

    /// Replaces verdicts with ones derived under newer rules: each new observation
    /// (whose `probe.reclassifies` names the old one) is stored, the old one is marked
    /// superseded (kept), and the transitions of every touched pair are rebuilt, so a
    /// change of method never shows as the platform changing its policy.
    pub async fn supersede(&self, replacements: &[NewObservation]) -> Result<usize, StorageError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let mut pairs = std::collections::BTreeSet::new();
            for new in replacements {
                let Some(old) = new.probe.as_ref().and_then(|p| p.reclassifies) else {
                    return Err(StorageError::Invalid(
                        "a replacement must name the observation it reclassifies".into(),
                    ));
                };
                // A repeat is superseded as a row of its own (migration 0032), named by the
                // new row's `reclassifies`.
                super::unfold_in!(tx, old);
                // The usual insert (its transitions are rebuilt below, once the old verdict
                // is marked superseded).
                let id = insert_observation_in!(tx, new);
                sqlx::query("update observations set superseded_by = $1 where id = $2")
                    .bind(id)
                    .bind(old)
                    .execute(&mut *tx)
                    .await?;
                pairs.insert((new.check_id.clone(), new.source_key()));
            }
            for (check, key) in &pairs {
                super::rebuild_transitions_in!(tx, check, key);
            }
            tx.commit().await?;
            Ok(replacements.len())
        })
    }

    pub async fn record_method_change(
        &self,
        pack_id: &str,
        from_version: Option<i64>,
        to_version: i64,
        checked: i64,
        changed: i64,
    ) -> Result<i64, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(
                "insert into method_changes (pack_id, from_version, to_version, happened_at,
                     checked, changed)
                 values ($1, $2, $3, $4, $5, $6) returning id",
            )
            .bind(pack_id)
            .bind(from_version)
            .bind(to_version)
            .bind(Utc::now())
            .bind(checked)
            .bind(changed)
            .fetch_one(pool)
            .await?
        }))
    }

    /// Method changes, newest first (all packs, or one).
    pub async fn method_changes(
        &self,
        pack_id: Option<&str>,
    ) -> Result<Vec<MethodChangeRecord>, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, MethodChangeRecord>(
                "select id, pack_id, from_version, to_version, happened_at, checked, changed
                 from method_changes where ($1 is null or pack_id = $1)
                 order by happened_at desc, id desc",
            )
            .bind(pack_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Starts the run of `pack` at `vantage` for `slot`, or resumes it when an earlier
    /// process (or a worker whose lease expired) was stopped in the middle of it. A run
    /// whose lease another worker still holds is left alone.
    pub async fn begin_run(
        &self,
        pack_id: &str,
        vantage: &str,
        slot: DateTime<Utc>,
        trigger: &str,
        planned: i64,
        holder: Option<&LeaseHolder>,
    ) -> Result<RunStart, StorageError> {
        let now = Utc::now();
        let worker = holder.map(|h| h.worker_id.as_str());
        let lease_until = holder.map(|h| h.until(now));
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let existing: Option<RunHolding> =
                sqlx::query_as(
                    "select id, state, worker_id, lease_until from probe_runs
                     where pack_id = $1 and vantage = $2 and slot = $3",
                )
                .bind(pack_id)
                .bind(vantage)
                .bind(slot)
                .fetch_optional(&mut *tx)
                .await?;
            let start = match existing {
                Some((id, state, _, _)) if state == "finished" => RunStart::AlreadyFinished(id),
                Some((id, _, Some(other), Some(until)))
                    if until > now && Some(other.as_str()) != worker =>
                {
                    RunStart::HeldElsewhere { id, worker: other }
                }
                Some((id, _, _, _)) => {
                    sqlx::query(
                        "update probe_runs set state = 'running', planned = $2, worker_id = $3,
                             lease_until = $4
                         where id = $1",
                    )
                    .bind(id)
                    .bind(planned)
                    .bind(worker)
                    .bind(lease_until)
                    .execute(&mut *tx)
                    .await?;
                    let done: Vec<String> = sqlx::query_scalar(
                        "select check_id from observations_all
                         where pack_id = $1 and vantage = $3
                           and (substr(run_key, 1, length($2)) = $2
                                or run_key_id in (select k.id from run_keys k
                                    where substr(k.prefix, 1, length($2)) = $2))",
                    )
                    .bind(pack_id)
                    .bind(run_key_prefix(pack_id, slot))
                    .bind(vantage)
                    .fetch_all(&mut *tx)
                    .await?;
                    RunStart::Resumed { id, done }
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "insert into probe_runs (pack_id, vantage, slot, trigger, started_at, state,
                             planned, worker_id, lease_until)
                         values ($1, $2, $3, $4, $5, 'running', $6, $7, $8) returning id",
                    )
                    .bind(pack_id)
                    .bind(vantage)
                    .bind(slot)
                    .bind(trigger)
                    .bind(now)
                    .bind(planned)
                    .bind(worker)
                    .bind(lease_until)
                    .fetch_one(&mut *tx)
                    .await?;
                    RunStart::Fresh(id)
                }
            };
            tx.commit().await?;
            Ok(start)
        })
    }

    /// Ends a run with its totals (`done` and `failures` count the whole slot, resumed
    /// parts included).
    pub async fn finish_run(
        &self,
        id: i64,
        done: i64,
        failures: i64,
        detail: Option<&str>,
    ) -> Result<(), StorageError> {
        let detail = detail.map(super::storable_text);
        on_pool!(self, pool => {
            sqlx::query(
                "update probe_runs set state = 'finished', finished_at = $2, done = $3,
                     failures = $4, detail = $5
                 where id = $1",
            )
            .bind(id)
            .bind(Utc::now())
            .bind(done)
            .bind(failures)
            .bind(detail.as_deref())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Marks the runs at `vantage` left `running` by a process that stopped as
    /// `interrupted`; returns them so that the scheduler resumes them. Runs a worker holds
    /// under a lease that has not expired are its own, and left alone.
    pub async fn interrupted_runs(
        &self,
        vantage: &str,
    ) -> Result<Vec<ProbeRunRecord>, StorageError> {
        let select = format!(
            "select {RUN_COLUMNS} from probe_runs
             where state <> 'finished' and vantage = $1
               and (lease_until is null or lease_until < $2)
             order by started_at"
        );
        let now = Utc::now();
        Ok(on_pool!(self, pool => {
            sqlx::query(
                "update probe_runs set state = 'interrupted'
                 where state = 'running' and vantage = $1
                   and (lease_until is null or lease_until < $2)",
            )
            .bind(vantage)
            .bind(now)
            .execute(pool)
            .await?;
            sqlx::query_as::<_, ProbeRunRecord>(sqlx::AssertSqlSafe(select).into_sql_str())
                .bind(vantage)
                .bind(now)
                .fetch_all(pool)
                .await?
        }))
    }

    /// A pack's latest runs, newest first; a run whose end is still waiting for the
    /// database (see [`Store::finish_run_or_keep`]) is shown as it ended.
    pub async fn recent_runs(
        &self,
        pack_id: &str,
        limit: i64,
    ) -> Result<Vec<ProbeRunRecord>, StorageError> {
        let sql = format!(
            "select {RUN_COLUMNS} from probe_runs where pack_id = $1
             order by slot desc, id desc limit $2"
        );
        let runs = on_pool!(self, pool => {
            sqlx::query_as::<_, ProbeRunRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(pack_id)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(self.with_pending_finishes(runs))
    }

    /// Marks the run of `pack_id` for `slot` interrupted, when it is still running (a
    /// `probe run` stopped by a signal): the scheduler resumes it at its next start.
    pub async fn interrupt_run(
        &self,
        pack_id: &str,
        vantage: &str,
        slot: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        on_pool!(self, pool => {
            sqlx::query(
                "update probe_runs set state = 'interrupted', worker_id = null, lease_until = null
                 where pack_id = $1 and vantage = $2 and slot = $3 and state = 'running'",
            )
            .bind(pack_id)
            .bind(vantage)
            .bind(slot)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The latest finished run of a pack in which at least one check was observed.
    pub async fn last_success(
        &self,
        pack_id: &str,
    ) -> Result<Option<ProbeRunRecord>, StorageError> {
        let sql = format!(
            "select {RUN_COLUMNS} from probe_runs
             where pack_id = $1 and state = 'finished' and detail is null and failures < planned
             order by slot desc, id desc limit 1"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, ProbeRunRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(pack_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// A run's observations at one vantage point (including any stored before an
    /// interruption).
    pub async fn run_observations_at(
        &self,
        pack_id: &str,
        vantage: &str,
        slot: DateTime<Utc>,
    ) -> Result<Vec<ObservationRecord>, StorageError> {
        Ok(self
            .run_observations(pack_id, slot)
            .await?
            .into_iter()
            .filter(|o| o.vantage == vantage)
            .collect())
    }

    /// A pack's latest runs at one vantage point, newest first (as [`Store::recent_runs`]).
    pub async fn recent_runs_at(
        &self,
        pack_id: &str,
        vantage: &str,
        limit: i64,
    ) -> Result<Vec<ProbeRunRecord>, StorageError> {
        let sql = format!(
            "select {RUN_COLUMNS} from probe_runs where pack_id = $1 and vantage = $2
             order by slot desc, id desc limit $3"
        );
        let runs = on_pool!(self, pool => {
            sqlx::query_as::<_, ProbeRunRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(pack_id)
                .bind(vantage)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(self.with_pending_finishes(runs))
    }

    /// A run's observations, every vantage point's (including any stored before an
    /// interruption).
    pub async fn run_observations(
        &self,
        pack_id: &str,
        slot: DateTime<Utc>,
    ) -> Result<Vec<ObservationRecord>, StorageError> {
        let prefix = run_key_prefix(pack_id, slot);
        let sql = format!(
            "select {OBSERVATION_COLUMNS}
             from observations_all o left join sources s on s.id = o.source_id
             left join evidence_bodies eb on eb.id = o.evidence_id
             left join fetches f on f.id = o.fetch_id
             where o.pack_id = $1
               and (substr(o.run_key, 1, length($2)) = $2
                    or o.run_key_id in (select k.id from run_keys k
                        where substr(k.prefix, 1, length($2)) = $2))
             order by o.check_id"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, ObservationRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(pack_id)
                .bind(&prefix)
                .fetch_all(pool)
                .await?
        }))
    }
}

/// The (check, source key, confirmations) of each pair of a batch, in the batch's write
/// order, as they would be stored; `None` when one pair comes with two different
/// confirmations (then each observation writes its own row, as on its own).
#[allow(clippy::type_complexity)]
fn distinct_sources<'a>(
    rows: &'a [ProbeRow],
    order: &[usize],
) -> Option<Vec<(std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>, i64)>> {
    let mut out: Vec<(std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>, i64)> =
        Vec::with_capacity(order.len());
    for &i in order {
        let o = &rows[i].observation;
        let confirmations = i64::from(o.probe.as_ref().map_or(1, |p| p.confirmations.max(1)));
        let check = super::storable_text(&o.check_id);
        let key = super::storable_text(&rows[i].key);
        match out.last() {
            // Sorted by (check, key): the same pair is always next to itself.
            Some((c, k, n)) if *c == check && *k == key => {
                if *n != confirmations {
                    return None;
                }
            }
            _ => out.push((check, key, confirmations)),
        }
    }
    Some(out)
}
