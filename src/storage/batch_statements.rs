//! The statements a batch of probe rows is written with that differ by database
//! (`insert_batch_in`, `Store::insert_probe_rows`), and the text of many-row statements
//! (`Placeholders`, `values_sql`, the snapshots' insert). PostgreSQL binds each column as
//! an array: one statement of constant text whatever the batch's length. A row of
//! parameters per value gave a text for each length, prepared again and again (sqlx keeps
//! 100 a connection), and a parameter per value bound and decoded one by one. SQLite binds
//! no arrays and keeps its rows of `?` (found by position, not by name), a few hundred a
//! statement.

use std::borrow::Cow;
use std::future::Future;

use chrono::{DateTime, Utc};
use sqlx::SqlSafeStr as _;

use super::Backend;
use super::StorageError;
use super::copy_write::ObservationColumns;
use super::snapshots::NewSnapshot;

/// Fetches per statement on SQLite (two parameters each).
const FETCHES_PER_STATEMENT: usize = 1_000;

/// `check_sources` rows per statement on SQLite (three parameters each).
const SOURCES_PER_STATEMENT: usize = 200;

/// Wanted pairs or bases per look-back statement on SQLite (a subquery each).
const RECENT_PER_STATEMENT: usize = 150;

/// A row a status rule looks back over: (pair number, id, status, instant, source kind).
pub(crate) type RecentRow = (i64, i64, String, DateTime<Utc>, String);

/// PostgreSQL: a batch's repeats as columns, bound as arrays.
#[derive(Default)]
pub(crate) struct RepeatColumns<'a> {
    pub id: Vec<i64>,
    pub repeat_of: Vec<i64>,
    pub check_no: Vec<i64>,
    pub observed_at: Vec<DateTime<Utc>>,
    pub fetch_id: Vec<Option<i64>>,
    pub evidence_fetch: Vec<Option<&'a str>>,
    pub snapshot: Vec<Option<&'a str>>,
    pub run_key_id: Vec<Option<i64>>,
    pub run_key: Vec<Option<&'a str>>,
    /// What the repeat shows that its upkeep reads (its base shows the same): its check,
    /// source, status, whether it is real (not simulated), failed, and confirmed.
    pub check_id: Vec<&'a str>,
    pub source_key: Vec<&'a str>,
    pub status: Vec<&'a str>,
    pub real: Vec<bool>,
    pub failed: Vec<bool>,
    pub confirmed: Vec<bool>,
}

impl<'a> RepeatColumns<'a> {
    /// Adds repeat `id` of `base` (its check numbered `check_no`), which stores what its
    /// row would (`row`) beyond what the base shows.
    pub(crate) fn push(&mut self, id: i64, base: i64, check_no: i64, row: &ObservationColumns<'a>) {
        self.id.push(id);
        self.repeat_of.push(base);
        self.check_no.push(check_no);
        self.observed_at.push(row.new.observed_at);
        self.fetch_id.push(row.fetch_id);
        self.evidence_fetch.push(row.evidence_fetch);
        self.snapshot.push(row.snapshot);
        self.run_key_id.push(row.run_key_id);
        self.run_key.push(row.run_key);
        let probe = row.new.probe.as_ref();
        self.check_id.push(&row.new.check_id);
        self.source_key.push(row.source_key);
        self.status.push(&row.new.status);
        self.real.push(row.new.source_kind.as_str() != "simulated");
        self.failed.push(probe.is_some_and(|p| p.failure.is_some()));
        self.confirmed.push(probe.is_some_and(|p| p.confirmed));
    }
}

/// A batch's statements, by database. Each method is given rows in the order every writer
/// takes them in (by hash, by check and source), so two writers storing some of the same
/// rows at once lock them alike and wait for each other, never each for the other.
pub(crate) trait BatchStatements {
    /// Snapshots (distinct hashes, and none of them twice across calls of one batch), each
    /// stored once by hash; a whole copy replaces a difference of the same body (see
    /// [`insert_snapshots_sql`]).
    fn insert_snapshots<'a>(
        &'a mut self,
        snapshots: &'a [&'a NewSnapshot],
        stored_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StorageError>> + Send + 'a;

    /// Each pair's `check_sources` row with its confirmations (check, source key,
    /// confirmations; distinct pairs), changed only where they differ.
    fn upsert_check_sources<'a>(
        &'a mut self,
        sources: &'a [(Cow<'a, str>, Cow<'a, str>, i64)],
    ) -> impl Future<Output = Result<(), StorageError>> + Send + 'a;

    /// Fetches (their snapshot and their own figures), a row each; their ids in order.
    fn insert_fetches<'a>(
        &'a mut self,
        fetches: &'a [(Option<&'a str>, Option<&'a str>)],
    ) -> impl Future<Output = Result<Vec<i64>, StorageError>> + Send + 'a;

    /// Which of a batch's (run key, check) pairs, sorted and distinct, a row or a repeat
    /// stores already: one of their checks, or none (`refuse_run_checks_twice_in`).
    /// `earliest` is each run key's earliest instant in the batch (PostgreSQL keeps each
    /// run's earliest, migration 0051).
    fn stored_run_check<'a>(
        &'a mut self,
        keyed: &'a [(i64, &'a str)],
        earliest: &'a [(i64, DateTime<Utc>)],
        known: &'a super::CheckNumbers,
    ) -> impl Future<Output = Result<Option<String>, StorageError>> + Send + 'a;

    /// The countable rows a status rule looks back over: for each wanted pair (its number,
    /// check, source key, how many), its last `n` rows before id `before` that are not
    /// failures, superseded or retracted, newest first, as (number, id, status, instant,
    /// source kind).
    fn recent_rows<'a>(
        &'a mut self,
        wanted: &'a [(i64, &'a str, &'a str, i64)],
        before: i64,
    ) -> impl Future<Output = Result<Vec<RecentRow>, StorageError>> + Send + 'a;

    /// The repeats a status rule looks back over: for each base (its number, id, how
    /// many), its last `n` repeats before id `before` (with `fetches`, those of its sets'
    /// fetches too, migration 0052), as (number, id, instant).
    fn recent_repeats<'a>(
        &'a mut self,
        bases: &'a [(i64, i64, i64)],
        before: i64,
        fetches: bool,
    ) -> impl Future<Output = Result<Vec<(i64, i64, DateTime<Utc>)>, StorageError>> + Send + 'a;

    /// Writes a batch's [`RepeatColumns`] with their upkeep, PostgreSQL only; SQLite's
    /// repeats are written with theirs by `insert_batch_in`.
    fn insert_repeat_columns<'a>(
        &'a mut self,
        cols: &'a RepeatColumns<'a>,
        recorded_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), StorageError>> + Send + 'a;
}

/// The conflict clause of both databases' `check_sources` upserts.
const SOURCES_CONFLICT: &str = " on conflict (check_id, source_key) do update
     set confirmations = excluded.confirmations
     where check_sources.confirmations <> excluded.confirmations";

impl BatchStatements for sqlx::SqliteConnection {
    async fn insert_snapshots<'a>(
        &'a mut self,
        snapshots: &'a [&'a NewSnapshot],
        stored_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        for chunk in snapshots.chunks(SNAPSHOTS_PER_STATEMENT) {
            let sql = insert_snapshots_sql(Backend::Sqlite, chunk.len());
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str());
            for s in chunk {
                q = q
                    .bind(&s.sha256)
                    .bind(s.size)
                    .bind(s.content_type.as_deref().map(super::storable_text))
                    .bind(&s.compressed)
                    .bind(stored_at)
                    .bind(s.base_sha256.as_deref());
            }
            q.execute(&mut *self).await?;
        }
        Ok(())
    }

    async fn upsert_check_sources<'a>(
        &'a mut self,
        sources: &'a [(Cow<'a, str>, Cow<'a, str>, i64)],
    ) -> Result<(), StorageError> {
        for chunk in sources.chunks(SOURCES_PER_STATEMENT) {
            let mut sql = values_sql(
                "insert into check_sources (check_id, source_key, confirmations) values ",
                3,
                chunk.len(),
                false,
            );
            sql.push_str(SOURCES_CONFLICT);
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str());
            for (check, key, confirmations) in chunk {
                q = q
                    .bind(check.as_ref())
                    .bind(key.as_ref())
                    .bind(*confirmations);
            }
            q.execute(&mut *self).await?;
        }
        Ok(())
    }

    async fn insert_fetches<'a>(
        &'a mut self,
        fetches: &'a [(Option<&'a str>, Option<&'a str>)],
    ) -> Result<Vec<i64>, StorageError> {
        let mut ids = Vec::with_capacity(fetches.len());
        for chunk in fetches.chunks(FETCHES_PER_STATEMENT) {
            let mut sql = values_sql(
                "insert into fetches (snapshot, evidence_fetch) values ",
                2,
                chunk.len(),
                false,
            );
            sql.push_str(" returning id");
            let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql).into_sql_str());
            for (snapshot, figures) in chunk {
                q = q.bind(*snapshot).bind(*figures);
            }
            let got = q.fetch_all(&mut *self).await?;
            ids.extend(returned_ids(got, chunk.len(), "fetches")?);
        }
        Ok(ids)
    }

    async fn recent_rows<'a>(
        &'a mut self,
        wanted: &'a [(i64, &'a str, &'a str, i64)],
        before: i64,
    ) -> Result<Vec<RecentRow>, StorageError> {
        // A subquery per pair: SQLite has no lateral join; it plans such a statement
        // quickly, and few pairs are wanted at once (those whose status may change).
        let mut got = Vec::new();
        for chunk in wanted.chunks(RECENT_PER_STATEMENT) {
            let sql = union_all(
                chunk.len(),
                "select * from (select ? as k, id, status, observed_at, source_kind
                 from observations
                 where check_id = ? and source_key = ? and id < ?
                   and failure is null and superseded_by is null and retracted_at is null
                 order by observed_at desc, id desc limit ?)",
            );
            let mut q = sqlx::query_as::<_, RecentRow>(sqlx::AssertSqlSafe(sql).into_sql_str());
            for &(k, check, key, n) in chunk {
                q = q.bind(k).bind(check).bind(key).bind(before).bind(n);
            }
            got.extend(q.fetch_all(&mut *self).await?);
        }
        Ok(got)
    }

    async fn recent_repeats<'a>(
        &'a mut self,
        bases: &'a [(i64, i64, i64)],
        before: i64,
        _fetches: bool,
    ) -> Result<Vec<(i64, i64, DateTime<Utc>)>, StorageError> {
        let mut got = Vec::new();
        for chunk in bases.chunks(RECENT_PER_STATEMENT) {
            let sql = union_all(
                chunk.len(),
                "select * from (select ? as b, id, observed_at from observation_repeats_shown
                 where repeat_of = ? and id < ? order by repeat_at desc, id desc limit ?)",
            );
            let mut q = sqlx::query_as::<_, (i64, i64, DateTime<Utc>)>(
                sqlx::AssertSqlSafe(sql).into_sql_str(),
            );
            for &(b, id, n) in chunk {
                q = q.bind(b).bind(id).bind(before).bind(n);
            }
            got.extend(q.fetch_all(&mut *self).await?);
        }
        Ok(got)
    }

    async fn stored_run_check<'a>(
        &'a mut self,
        keyed: &'a [(i64, &'a str)],
        _earliest: &'a [(i64, DateTime<Utc>)],
        _known: &'a super::CheckNumbers,
    ) -> Result<Option<String>, StorageError> {
        let list = serde_json::to_string(keyed)
            .map_err(|e| StorageError::Invalid(format!("run keys as JSON: {e}")))?;
        Ok(sqlx::query_scalar(
            "select p.value->>1 from json_each($1) p
             where exists (select 1 from observation_repeats r
                           join check_numbers n on n.no = r.check_no
                           where r.run_key_id = p.value->>0 and n.check_id = p.value->>1)
                or exists (select 1 from observations o
                           where o.run_key_id = p.value->>0 and o.check_id = p.value->>1)
             limit 1",
        )
        .bind(list)
        .fetch_optional(self)
        .await?)
    }

    async fn insert_repeat_columns<'a>(
        &'a mut self,
        _cols: &'a RepeatColumns<'a>,
        _recorded_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        Err(StorageError::Invalid(
            "repeats as arrays are PostgreSQL's".into(),
        ))
    }
}

impl BatchStatements for sqlx::PgConnection {
    async fn insert_snapshots<'a>(
        &'a mut self,
        snapshots: &'a [&'a NewSnapshot],
        stored_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        if snapshots.is_empty() {
            return Ok(());
        }
        let sha256: Vec<&str> = snapshots.iter().map(|s| s.sha256.as_str()).collect();
        let size: Vec<i64> = snapshots.iter().map(|s| s.size).collect();
        let content_type: Vec<Option<String>> = snapshots
            .iter()
            .map(|s| {
                s.content_type
                    .as_deref()
                    .map(|t| super::storable_text(t).into_owned())
            })
            .collect();
        let body: Vec<&[u8]> = snapshots.iter().map(|s| s.compressed.as_slice()).collect();
        let base: Vec<Option<&str>> = snapshots.iter().map(|s| s.base_sha256.as_deref()).collect();
        let sql = format!(
            "insert into snapshots (sha256, size, content_type, body, stored_at, base_sha256)
             select s.sha256, s.size, s.content_type, s.body, $5, s.base_sha256
             from unnest($1::text[], $2::bigint[], $3::text[], $4::bytea[], $6::text[])
                  as s(sha256, size, content_type, body, base_sha256)
             {}",
            SNAPSHOT_CONFLICT_POSTGRES
        );
        sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(sha256)
            .bind(size)
            .bind(content_type)
            .bind(body)
            .bind(stored_at)
            .bind(base)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn upsert_check_sources<'a>(
        &'a mut self,
        sources: &'a [(Cow<'a, str>, Cow<'a, str>, i64)],
    ) -> Result<(), StorageError> {
        if sources.is_empty() {
            return Ok(());
        }
        let checks: Vec<&str> = sources.iter().map(|s| s.0.as_ref()).collect();
        let keys: Vec<&str> = sources.iter().map(|s| s.1.as_ref()).collect();
        let confirmations: Vec<i64> = sources.iter().map(|s| s.2).collect();
        // `unnest` gives the rows in the arrays' order, the order their locks are taken in.
        let sql = format!(
            "insert into check_sources (check_id, source_key, confirmations)
             select * from unnest($1::text[], $2::text[], $3::bigint[]){SOURCES_CONFLICT}"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(checks)
            .bind(keys)
            .bind(confirmations)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn insert_fetches<'a>(
        &'a mut self,
        fetches: &'a [(Option<&'a str>, Option<&'a str>)],
    ) -> Result<Vec<i64>, StorageError> {
        if fetches.is_empty() {
            return Ok(Vec::new());
        }
        let snapshots: Vec<Option<&str>> = fetches.iter().map(|f| f.0).collect();
        let figures: Vec<Option<&str>> = fetches.iter().map(|f| f.1).collect();
        let got: Vec<i64> = sqlx::query_scalar(
            "insert into fetches (snapshot, evidence_fetch)
             select * from unnest($1::text[], $2::text[])
             returning id",
        )
        .bind(snapshots)
        .bind(figures)
        .fetch_all(&mut *self)
        .await?;
        returned_ids(got, fetches.len(), "fetches")
    }

    async fn recent_rows<'a>(
        &'a mut self,
        wanted: &'a [(i64, &'a str, &'a str, i64)],
        before: i64,
    ) -> Result<Vec<RecentRow>, StorageError> {
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        // The pair's rows sought by its index alone (row comparisons, as in the writer's
        // pairs lookup). One statement of constant text, planned once per connection: a
        // subquery per pair gave a text for each number of pairs, each planned anew (about
        // 13 ms a plan; with `recent_repeats`, a fifth of the server's time in a cashier run).
        let (numbers, checks, keys, counts) = wanted.iter().fold(
            (Vec::new(), Vec::new(), Vec::new(), Vec::new()),
            |(mut a, mut b, mut c, mut d), &(k, check, key, n)| {
                a.push(k);
                b.push(check);
                c.push(key);
                d.push(n);
                (a, b, c, d)
            },
        );
        Ok(sqlx::query_as::<_, RecentRow>(
            "select p.k, r.id, r.status, r.observed_at, r.source_kind
             from unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) as p(k, c, s, n)
             cross join lateral (
                 select o.id, o.status, o.observed_at, o.source_kind from observations o
                 where (o.check_id, o.source_key, o.observed_at)
                           <= (p.c, p.s, 'infinity'::timestamptz)
                   and (o.check_id, o.source_key, o.observed_at)
                           >= (p.c, p.s, '-infinity'::timestamptz)
                   and o.id < $5
                   and o.failure is null and o.superseded_by is null
                   and o.retracted_at is null
                 order by o.check_id desc, o.source_key desc, o.observed_at desc, o.id desc
                 limit p.n) r",
        )
        .bind(numbers)
        .bind(checks)
        .bind(keys)
        .bind(counts)
        .bind(before)
        .fetch_all(&mut *self)
        .await?)
    }

    async fn recent_repeats<'a>(
        &'a mut self,
        bases: &'a [(i64, i64, i64)],
        before: i64,
        fetches: bool,
    ) -> Result<Vec<(i64, i64, DateTime<Utc>)>, StorageError> {
        if bases.is_empty() {
            return Ok(Vec::new());
        }
        // Constant text as in `recent_rows`: a subquery per base, over every partition of
        // the repeats and of the repeats of fetches, took about 100 ms to plan for 30
        // bases. With `fetches`, each of the base's sets' newest fetches too.
        let of_fetches = if fetches {
            "union all
             select * from (select x.id, x.observed_at
                            from repeat_set_members m
                            cross join lateral (
                                select f.first_id + m.ord as id, f.observed_at
                                from repeat_fetches f
                                where f.set_id = m.set_id and f.first_id + m.ord < $4
                                order by f.observed_at desc limit p.n) x
                            where m.repeat_of = p.base
                            order by x.observed_at desc, x.id desc limit p.n) x"
        } else {
            ""
        };
        let (numbers, ids, counts) = bases.iter().fold(
            (Vec::new(), Vec::new(), Vec::new()),
            |(mut a, mut b, mut c), &(k, id, n)| {
                a.push(k);
                b.push(id);
                c.push(n);
                (a, b, c)
            },
        );
        Ok(
            sqlx::query_as::<_, (i64, i64, DateTime<Utc>)>(sqlx::AssertSqlSafe(format!(
                "select p.b, r.id, r.observed_at
             from unnest($1::bigint[], $2::bigint[], $3::bigint[]) as p(b, base, n)
             cross join lateral (
                 select * from (select * from (select id, observed_at from observation_repeats
                                               where repeat_of = p.base and id < $4
                                               order by observed_at desc, id desc
                                               limit p.n) r
                                {of_fetches}) u
                 order by observed_at desc, id desc limit p.n) r"
            )))
            .bind(numbers)
            .bind(ids)
            .bind(counts)
            .bind(before)
            .fetch_all(&mut *self)
            .await?,
        )
    }

    /// Each (run key, check) locked first (in order; a transaction's advisory lock, which
    /// a worker's role may take) until the batch commits, so two writers cannot both store
    /// one run's check, one as a row and one as a repeat, each not seeing the other's
    /// (migration 0032; since 0041 the repeats have no unique index to refuse the second).
    /// A lock per check, not per run: the writers of one run, each with its own checks,
    /// would otherwise write one at a time. A check's number comes from the store's cache
    /// when it is there: as JSON, with each number looked up, this took about a tenth of
    /// the server's time in a PostgreSQL cashier run.
    async fn stored_run_check<'a>(
        &'a mut self,
        keyed: &'a [(i64, &'a str)],
        earliest: &'a [(i64, DateTime<Utc>)],
        known: &'a super::CheckNumbers,
    ) -> Result<Option<String>, StorageError> {
        let runs: Vec<i64> = keyed.iter().map(|k| k.0).collect();
        let checks: Vec<&str> = keyed.iter().map(|k| k.1).collect();
        let numbers: Vec<Option<i64>> = checks.iter().map(|c| known.get(*c)).collect();
        // Each key hashed as `lock_each_in` hashes `[run, check]` ("run check"); and
        // whether the database keeps each run's earliest instant (migration 0051: a
        // database migrated no further, which tests write to, has the run keys' index).
        let kept: Vec<(bool, bool)> = sqlx::query_as(
            "select exists (select 1 from pg_attribute
                            where attrelid = 'run_keys'::regclass and attname = 'first_at'
                              and not attisdropped),
                    to_regclass('repeat_fetches') is not null,
                    pg_advisory_xact_lock(hashtext($3), x.h)
             from (select distinct hashtext(k.r::text || ' ' || k.c) as h
                   from unnest($1::bigint[], $2::text[]) k(r, c) order by 1) x",
        )
        .bind(&runs)
        .bind(&checks)
        .bind("hutong run key")
        .fetch_all(&mut *self)
        .await?;
        let (earliest_kept, by_fetch) = kept.first().copied().unwrap_or((false, false));
        // A check's repeats from its run's earliest instant on, by the index of a check's
        // repeats in time order (0051); a repeat of the run is never earlier.
        let since = if earliest_kept {
            "and r.observed_at >= (select rk.first_at from run_keys rk where rk.id = k.r)"
        } else {
            ""
        };
        // And among the repeats of fetches (0052, after 0051: each run has its earliest
        // instant), per run: the sets holding any of its checks (each set once: a fetch's
        // checks share theirs), each set's fetches of the run since it began (by the index
        // of a set's fetches in time order), then which of the run's checks that set holds.
        // Asked check by check, the sets were sought again for every check of a fetch; each
        // step is kept apart (`materialized`) so that none is read again for each check, and
        // each set's fetches are sought by its index (`limit 1`: an `exists` became a hash
        // join over every fetch, 60 ms a batch).
        let of_fetches = if by_fetch {
            "union all
             select * from (
                 with k as materialized (
                     select k.r, k.c, coalesce(k.n, (select n.no from check_numbers n
                                                     where n.check_id = k.c)) as n
                     from unnest($1::bigint[], $2::text[], $3::bigint[]) k(r, c, n)),
                 sets as materialized (
                     select runs.r, rk.first_at, s.set_id
                     from (select k.r, array_agg(k.n) as ns from k group by k.r) runs
                     join run_keys rk on rk.id = runs.r
                     cross join lateral (select distinct m.set_id from repeat_set_members m
                                         where m.check_no = any(runs.ns)) s),
                 hit as materialized (
                     select sets.r, sets.set_id from sets
                     cross join lateral (select 1 from repeat_fetches f
                                         where f.set_id = sets.set_id
                                           and f.observed_at >= sets.first_at
                                           and f.run_key_id = sets.r
                                         limit 1) f)
                 select k.c from hit
                 join repeat_set_members m on m.set_id = hit.set_id
                 join k on k.r = hit.r and k.n = m.check_no
                 limit 1) of_fetches"
        } else {
            ""
        };
        let stored: Option<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "select * from (
                 select k.c from unnest($1::bigint[], $2::text[], $3::bigint[]) k(r, c, n)
                 cross join lateral (
                     select 1 from observations o
                     where o.run_key_id = k.r and o.check_id = k.c
                     union all
                     select 1 from observation_repeats r
                     where r.check_no = coalesce(k.n, (select n.no from check_numbers n
                                                       where n.check_id = k.c))
                       {since} and r.run_key_id = k.r
                     limit 1) stored
                 limit 1) of_rows
             {of_fetches}
             limit 1"
        )))
        .bind(runs)
        .bind(checks)
        .bind(numbers)
        .fetch_optional(&mut *self)
        .await?;
        if stored.is_none() && earliest_kept {
            // Each run's earliest instant moved back to the batch's when it is earlier, before
            // its verdicts are written; rarely anything to write after a run's first batch.
            let (runs, at): (Vec<i64>, Vec<DateTime<Utc>>) = earliest.iter().copied().unzip();
            sqlx::query(
                "update run_keys rk set first_at = e.t
                 from unnest($1::bigint[], $2::timestamptz[]) e(r, t)
                 where rk.id = e.r and (rk.first_at is null or rk.first_at > e.t)",
            )
            .bind(runs)
            .bind(at)
            .execute(self)
            .await?;
        }
        Ok(stored)
    }

    /// Two or three statements. First the check counts, current states and probe days, as
    /// the repeats' trigger keeps them (migration 0044) but from the batch's own columns
    /// instead of each repeat's base read again (a repeat shows what its base shows), the
    /// past version raised when the earliest repeat is more than a day old, then
    /// `hutong.repeat_upkeep` set to `all` for the transaction. Then the repeats, whose
    /// trigger keeps nothing for this one statement and clears the setting (0050). Then,
    /// when any repeat is evidence, the evidence times of those (0050), as the trigger kept
    /// them. A database not yet migrated to 0050 gets `kept` instead (0046), and its
    /// trigger keeps the past version and the evidence times. In that order each table's
    /// rows are locked as the trigger locks them (counts, states, days, then evidence), so
    /// writers kept either way wait for each other, never each for the other.
    async fn insert_repeat_columns<'a>(
        &'a mut self,
        cols: &'a RepeatColumns<'a>,
        recorded_at: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        if cols.id.is_empty() {
            return Ok(());
        }
        // A database migrated before 0050 (tests write to one) has no such function: its
        // trigger keeps the evidence times, as `kept` asks since 0050. One migrated before
        // 0052 has no repeats of fetches: each repeat is a row there.
        let (evidence_here, by_fetch): (bool, bool) = sqlx::query_as(
            "with r as materialized (
                 select * from unnest($1::text[], $2::text[], $3::bigint[], $4::timestamptz[],
                                      $5::text[], $6::boolean[], $7::boolean[], $8::boolean[])
                     as r(check_id, source_key, id, observed_at, status, is_real, failed,
                          confirmed)
             ),
             counts as (
                 insert into check_counts (check_id, observations, real_observations)
                 select check_id, count(*), count(*) filter (where is_real)
                 from r
                 group by check_id
                 order by check_id
                 on conflict (check_id) do update
                 set observations = check_counts.observations + excluded.observations,
                     real_observations = check_counts.real_observations + excluded.real_observations
             ),
             states as (
                 insert into current_states (check_id, source_key, observation_id, observed_at)
                 select distinct on (check_id, source_key) check_id, source_key, id, observed_at
                 from r
                 where not failed
                 order by check_id, source_key, observed_at desc, id desc
                 on conflict (check_id, source_key) do update
                 set observation_id = excluded.observation_id, observed_at = excluded.observed_at
                 where (excluded.observed_at, excluded.observation_id)
                     > (current_states.observed_at, current_states.observation_id)
             ),
             days as (
                 insert into probe_days (check_id, source_key, day, status, verdicts)
                 select check_id, source_key, hutong_probe_day(observed_at), status, count(*)
                 from r
                 where confirmed
                 group by 1, 2, 3, 4
                 order by 1, 2, 3, 4
                 on conflict (check_id, source_key, day, status) do update
                 set verdicts = probe_days.verdicts + excluded.verdicts
             )
             select x.here, to_regclass('repeat_fetches') is not null,
                    set_config('hutong.repeat_upkeep', case when x.here then 'all' else 'kept' end,
                               true),
                    (select count(*) from (select hutong_raise_past_version() from (select) o
                                           where x.here
                                             and $9 < clock_timestamp() - interval '1 day') v)
             from (select to_regprocedure('hutong_repeat_evidence_add(text[], timestamptz[])')
                          is not null as here) x",
        )
        .bind(&cols.check_id)
        .bind(&cols.source_key)
        .bind(&cols.id)
        .bind(&cols.observed_at)
        .bind(&cols.status)
        .bind(&cols.real)
        .bind(&cols.failed)
        .bind(&cols.confirmed)
        .bind(cols.observed_at.iter().min())
        .fetch_one(&mut *self)
        .await?;
        let (rows, groups) = if by_fetch {
            fetch_groups(cols)
        } else {
            ((0..cols.id.len()).collect(), Vec::new())
        };
        if !rows.is_empty() {
            let pick_i64 = |v: &[i64]| rows.iter().map(|&i| v[i]).collect::<Vec<i64>>();
            let pick_opt = |v: &[Option<i64>]| rows.iter().map(|&i| v[i]).collect::<Vec<_>>();
            let pick_str = |v: &[Option<&'a str>]| rows.iter().map(|&i| v[i]).collect::<Vec<_>>();
            sqlx::query(
                "insert into observation_repeats (id, repeat_of, check_no, observed_at, recorded_at,
                     fetch_id, evidence_fetch, snapshot, run_key_id, run_key)
                 select r.id, r.repeat_of, r.check_no, r.observed_at, $5, r.fetch_id,
                     r.evidence_fetch, r.snapshot, r.run_key_id, r.run_key
                 from unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::timestamptz[],
                             $6::bigint[], $7::text[], $8::text[], $9::bigint[], $10::text[])
                      as r(id, repeat_of, check_no, observed_at, fetch_id, evidence_fetch,
                           snapshot, run_key_id, run_key)",
            )
            .bind(pick_i64(&cols.id))
            .bind(pick_i64(&cols.repeat_of))
            .bind(pick_i64(&cols.check_no))
            .bind(rows.iter().map(|&i| cols.observed_at[i]).collect::<Vec<_>>())
            .bind(recorded_at)
            .bind(pick_opt(&cols.fetch_id))
            .bind(pick_str(&cols.evidence_fetch))
            .bind(pick_str(&cols.snapshot))
            .bind(pick_opt(&cols.run_key_id))
            .bind(pick_str(&cols.run_key))
            .execute(&mut *self)
            .await?;
        }
        if !groups.is_empty() {
            insert_fetch_groups(&mut *self, cols, &groups, recorded_at).await?;
        }
        // The repeats that are evidence (migration 0018's `hutong_is_evidence`: real, not
        // failed, its status known; a repeat is never superseded or retracted).
        let (checks, instants): (Vec<&str>, Vec<DateTime<Utc>>) = (0..cols.id.len())
            .filter(|&i| cols.real[i] && !cols.failed[i] && cols.status[i] != "unknown")
            .map(|i| (cols.check_id[i], cols.observed_at[i]))
            .unzip();
        if evidence_here && !checks.is_empty() {
            sqlx::query("select hutong_repeat_evidence_add($1, $2)")
                .bind(checks)
                .bind(instants)
                .execute(self)
                .await?;
        }
        Ok(())
    }
}

/// PostgreSQL since migration 0052: which of a batch's repeats stay rows of
/// `observation_repeats`, and which make up the repeats of one fetch, as (rows, groups),
/// each an index into `cols`, a group's in the order of their ids. A fetch's repeats are one
/// group when their ids are consecutive and they share the fetch, instant and run key (by
/// number: what a row of `repeat_fetches` keeps), keeping nothing of their own beside
/// (no figures, snapshot or run key as text, which only older writers' rows have).
fn fetch_groups(cols: &RepeatColumns<'_>) -> (Vec<usize>, Vec<Vec<usize>>) {
    let groupable = |i: usize| {
        cols.fetch_id[i].is_some()
            && cols.evidence_fetch[i].is_none()
            && cols.snapshot[i].is_none()
            && cols.run_key[i].is_none()
    };
    let mut order: Vec<usize> = (0..cols.id.len()).collect();
    order.sort_unstable_by_key(|&i| cols.id[i]);
    let (mut rows, mut groups) = (Vec::new(), Vec::new());
    let mut k = 0;
    while k < order.len() {
        let i = order[k];
        if !groupable(i) {
            rows.push(i);
            k += 1;
            continue;
        }
        let mut group = vec![i];
        while let Some(&j) = order.get(k + group.len()) {
            let last = group[group.len() - 1];
            if !groupable(j)
                || cols.id[j] != cols.id[last] + 1
                || cols.fetch_id[j] != cols.fetch_id[i]
                || cols.observed_at[j] != cols.observed_at[i]
                || cols.run_key_id[j] != cols.run_key_id[i]
            {
                break;
            }
            group.push(j);
        }
        k += group.len();
        groups.push(group);
    }
    (rows, groups)
}

/// PostgreSQL: a batch's repeats of fetches (migration 0052), a row of `repeat_fetches` for
/// each group naming its set of bases; then `hutong.repeat_upkeep` cleared (the counts
/// statement set `all` for these repeats). One statement when every set is known (bases
/// change rarely); otherwise the new sets are made, then the rest written.
async fn insert_fetch_groups(
    conn: &mut sqlx::PgConnection,
    cols: &RepeatColumns<'_>,
    groups: &[Vec<usize>],
    recorded_at: DateTime<Utc>,
) -> Result<(), StorageError> {
    let mut missing: Vec<usize> = (0..groups.len()).collect();
    for round in 0..2 {
        // The groups to write, their members in order, each with its group's number
        // (counted from 1, as `with ordinality` counts).
        let mut member_group: Vec<i64> = Vec::new();
        let (mut bases, mut checks) = (Vec::new(), Vec::new());
        let (mut first_id, mut at, mut fetch, mut run) = (vec![], vec![], vec![], vec![]);
        for (n, &g) in missing.iter().enumerate() {
            let group = &groups[g];
            for &i in group {
                member_group.push(n as i64 + 1);
                bases.push(cols.repeat_of[i]);
                checks.push(cols.check_no[i]);
            }
            first_id.push(cols.id[group[0]]);
            at.push(cols.observed_at[group[0]]);
            fetch.push(cols.fetch_id[group[0]]);
            run.push(cols.run_key_id[group[0]]);
        }
        let sets = "g as (
             select u.g, array_agg(u.base order by u.i) as bases,
                    array_agg(u.check_no order by u.i) as check_nos
             from unnest($1::bigint[], $2::bigint[], $3::bigint[]) with ordinality
                  as u(g, base, check_no, i)
             group by u.g)";
        if round == 1 {
            // New sets, in the order of their bases, so writers making the same ones wait
            // for each other, never each for the other; members with them.
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "with {sets},
                 made as (
                     insert into repeat_sets (bases, check_nos)
                     select distinct on (bases) bases, check_nos from g order by bases
                     on conflict (bases) do nothing
                     returning id, bases, check_nos)
                 insert into repeat_set_members (set_id, ord, repeat_of, check_no)
                 select made.id, (x.i - 1)::integer, x.base, x.check_no
                 from made cross join lateral unnest(made.bases, made.check_nos)
                      with ordinality as x(base, check_no, i)"
            )))
            .bind(&member_group)
            .bind(&bases)
            .bind(&checks)
            .execute(&mut *conn)
            .await?;
        }
        // The groups whose set is known written; those whose set is not, returned. The
        // repeats' upkeep setting is cleared by the last branch, a select of no table whose
        // condition is evaluated once (and never holds).
        let unknown: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "with {sets},
             f as (
                 select f.*, s.id as set_id
                 from unnest($5::bigint[], $6::timestamptz[], $7::bigint[], $8::bigint[])
                      with ordinality as f(first_id, observed_at, fetch_id, run_key_id, g)
                 join g on g.g = f.g
                 left join repeat_sets s on s.bases = g.bases),
             ins as (
                 insert into repeat_fetches (first_id, set_id, observed_at, recorded_at,
                     fetch_id, run_key_id)
                 select first_id, set_id, observed_at, $4, fetch_id, run_key_id
                 from f where set_id is not null)
             select f.g from f where f.set_id is null
             union all
             select 0 where length(set_config('hutong.repeat_upkeep', '', true)) > 0"
        )))
        .bind(&member_group)
        .bind(&bases)
        .bind(&checks)
        .bind(recorded_at)
        .bind(&first_id)
        .bind(&at)
        .bind(&fetch)
        .bind(&run)
        .fetch_all(&mut *conn)
        .await?;
        if unknown.is_empty() {
            return Ok(());
        }
        if round == 1 {
            return Err(StorageError::Invalid(format!(
                "{} of {} fetches' repeats found no set of their bases",
                unknown.len(),
                missing.len()
            )));
        }
        missing = unknown
            .into_iter()
            .filter_map(|n| {
                usize::try_from(n - 1)
                    .ok()
                    .and_then(|n| missing.get(n).copied())
            })
            .collect();
    }
    Ok(())
}

/// `n` copies of the subquery `term` joined by `union all`, each named (`r0`, `r1`, …).
fn union_all(n: usize, term: &str) -> String {
    let mut sql = String::with_capacity(n * (term.len() + 16));
    for j in 0..n {
        if j > 0 {
            sql.push_str(" union all ");
        }
        sql.push_str(term);
        sql.push_str(&format!(" r{j}"));
    }
    sql
}

/// Placeholders in the order they are bound: `$1`, `$2`, … on PostgreSQL, `?` on SQLite.
/// SQLite looks a numbered `$N` up among all of a statement's names (when parsing it and
/// again when binding each), which is quadratic in a statement of thousands; anonymous
/// `?` are numbered by place.
pub(crate) struct Placeholders {
    postgres: bool,
    n: usize,
}

impl Placeholders {
    pub(crate) fn new(postgres: bool) -> Placeholders {
        Placeholders { postgres, n: 0 }
    }

    pub(crate) fn next(&mut self) -> String {
        self.n += 1;
        if self.postgres {
            format!("${}", self.n)
        } else {
            "?".to_string()
        }
    }
}

/// `prefix (p, p, …), (…), …` for `rows` rows of `columns` [`Placeholders`].
pub(crate) fn values_sql(prefix: &str, columns: usize, rows: usize, postgres: bool) -> String {
    let mut sql = String::with_capacity(prefix.len() + rows * columns * 7);
    sql.push_str(prefix);
    let mut ph = Placeholders::new(postgres);
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push(',');
            }
            sql.push_str(&ph.next());
        }
        sql.push(')');
    }
    sql
}

/// The ids an `INSERT … RETURNING id` of `written` rows gave back, in the order the rows
/// were written (ids are handed out in that order); an error naming `what` when some are
/// missing.
pub(crate) fn returned_ids(
    mut got: Vec<i64>,
    written: usize,
    what: &str,
) -> Result<Vec<i64>, StorageError> {
    if got.len() != written {
        return Err(StorageError::Invalid(format!(
            "{written} {what} were written but {} ids came back",
            got.len()
        )));
    }
    got.sort_unstable();
    Ok(got)
}

/// Snapshots per INSERT (six parameters each).
const SNAPSHOTS_PER_STATEMENT: usize = 32;

/// Stores `rows` snapshots once each by hash, six parameters a row (its hash, size, content
/// type, compressed body, time stored and the SHA-256 of its base, if it is a difference;
/// no hash twice in one statement). A whole copy of a body already stored as a difference
/// replaces the difference, so that a row taken as a base is whole whoever stored it first;
/// a difference never replaces anything. On SQLite a difference names its base by number
/// (0040): a base hash no snapshot has becomes a number none has, refused by the reference
/// as on PostgreSQL; a base is looked up as the row is written, so differences go in a
/// statement after their bases'.
fn insert_snapshots_sql(backend: Backend, rows: usize) -> String {
    use std::fmt::Write as _;
    let mut sql = match backend {
        Backend::Sqlite => "insert into snapshots (sha256, size, content_type, body, stored_at, base_no) values ",
        Backend::Postgres => "insert into snapshots (sha256, size, content_type, body, stored_at, base_sha256) values ",
    }
    .to_string();
    // `?` on SQLite, each value once: SQLite finds a numbered parameter by its name, one
    // search of the statement's names per value bound.
    let mut ph = Placeholders::new(backend == Backend::Postgres);
    for row in 0..rows {
        let values: Vec<String> = (0..5).map(|_| ph.next()).collect();
        let base = ph.next();
        let _ = match backend {
            Backend::Sqlite => write!(
                sql,
                "{}({}, (select coalesce((select no from snapshots where sha256 = b.sha256), -1) \
                 from (select {base} as sha256) b where b.sha256 is not null))",
                if row > 0 { ", " } else { "" },
                values.join(", ")
            ),
            Backend::Postgres => write!(
                sql,
                "{}({}, {base})",
                if row > 0 { ", " } else { "" },
                values.join(", ")
            ),
        };
    }
    sql.push_str(match backend {
        Backend::Sqlite => {
            " on conflict (sha256) do update set body = excluded.body, base_no = null
             where snapshots.base_no is not null and excluded.base_no is null"
        }
        Backend::Postgres => SNAPSHOT_CONFLICT_POSTGRES,
    });
    sql
}

/// PostgreSQL: what a snapshot stored already takes of one stored again (see
/// [`insert_snapshots_sql`]).
const SNAPSHOT_CONFLICT_POSTGRES: &str =
    " on conflict (sha256) do update set body = excluded.body, base_sha256 = null
             where snapshots.base_sha256 is not null and excluded.base_sha256 is null";
