//! Storage: every observation Hutong has ever made or cited, on SQLite (the embedded
//! default, WAL mode) or PostgreSQL (for scale), chosen from the database URL.
//!
//! Both backends run the same SQL text where the dialects agree (all of it today); each has
//! its own migrations. The `on_pool!` macro expands a body once per backend, so the two
//! implementations cannot drift apart, and the storage test suite runs the same stories
//! against both.

mod accounts;
mod admin;
mod batch_statements;
mod batch_write;
mod batches;
mod catalog_load;
mod charts;
mod copy_write;
mod corrections;
pub mod evidence;
mod fleet;
mod history;
pub(crate) mod kept_pairs;
mod ledger;
pub mod memo;
mod partitions;
mod probes;
mod records;
mod requirements;
mod review;
mod sessions;
pub mod snapshots;
mod sqlite_read;
mod storable;
mod submissions;
mod tokens;
mod vantage_points;
mod webhooks;

pub use admin::AuditFilter;
pub use batches::{Batch, TimelineBatches};
pub use catalog_load::LoadReport;
pub use copy_write::COPY_MIN_ROWS;
pub use fleet::{Claim, TakenRun, TakeoverRecord, VantageStatus, WorkerRecord, WorkerStatus};
pub use ledger::{FinishedRun, MissReason, MissedSlotsRecord, PendingCounts};
pub use memo::{Memo, Reads};
pub use partitions::{DetachedYear, Partition, keep_years_ahead};
pub use probes::*;
pub use review::{PublishedHandTest, Reviewed};
pub use sessions::{ACCOUNT_KEY as SESSION_ACCOUNT_KEY, StoredSessions};
pub use snapshots::NewSnapshot;
pub use snapshots::SnapshotBody;
pub use sqlite_read::{OpenTimeline, SqliteTimeline};
pub use storable::{storable_json, storable_text};
pub use submissions::NewScreenshot;
pub use vantage_points::RegisteredVantagePoint;
pub use webhooks::{AttemptOutcome, ConfirmedChange, WebhookAttempt, WebhookDelivery};

use crate::config::redact_url;
use crate::domain::{self, SourceKind};
use crate::domain::{NewObservation, ObservationRecord, TransitionRecord};
use chrono::{DateTime, Utc};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row, SqlSafeStr};
use std::str::FromStr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database URL {url} is not usable: {reason}")]
    BadUrl { url: String, reason: String },
    // Causes are part of the message and deliberately not `source`s: sqlx repeats its own
    // cause in its message, and a chain would print the same words twice.
    #[error("cannot open database {url}: {cause}")]
    Connect { url: String, cause: sqlx::Error },
    #[error("cannot migrate database {url}: {cause}")]
    Migrate {
        url: String,
        cause: sqlx::migrate::MigrateError,
    },
    #[error(
        "cannot migrate database {url}: its schema is at migration {applied} and this binary \
         needs {needed}; migrate it with the database owner's role first (`hutong migrate`): {cause}"
    )]
    Behind {
        url: String,
        applied: String,
        needed: i64,
        cause: sqlx::migrate::MigrateError,
    },
    #[error("database error: {0}")]
    Query(sqlx::Error),
    #[error("cannot read database {path}: {cause}")]
    Open {
        path: String,
        cause: rusqlite::Error,
    },
    #[error("database error: {0}")]
    Read(rusqlite::Error),
    #[error(
        "the database file {path} {what} while this process had it open; restore it and restart"
    )]
    FileGone { path: String, what: &'static str },
    #[error("{0}")]
    Invalid(String),
}

impl StorageError {
    /// Whether the database could not be reached or used right now (down, unreachable,
    /// every connection busy, its file gone or full) rather than the request or the data
    /// being wrong: worth answering "unavailable, try again" instead of an internal error.
    ///
    /// Database codes that count: PostgreSQL's connection exceptions (class 08),
    /// insufficient resources (53: disk full, out of memory, too many connections) and
    /// shutdowns (57P01-57P03); SQLite's busy, locked, I/O error, full and cannot open
    /// (primary codes 5, 6, 10, 13 and 14, under any extended code).
    pub fn is_unavailable(&self) -> bool {
        match self {
            StorageError::Connect { .. } | StorageError::FileGone { .. } => true,
            StorageError::Query(e) => match e {
                sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_) => true,
                sqlx::Error::Database(db) => {
                    let code = db.code().unwrap_or_default();
                    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
                        code.parse::<i32>()
                            .is_ok_and(|n| matches!(n & 0xff, 5 | 6 | 10 | 13 | 14))
                    } else {
                        code.starts_with("08")
                            || code.starts_with("53")
                            || matches!(&*code, "57P01" | "57P02" | "57P03")
                    }
                }
                _ => false,
            },
            StorageError::Open { .. } => true,
            StorageError::Read(rusqlite::Error::SqliteFailure(e, _)) => matches!(
                e.code,
                rusqlite::ErrorCode::DatabaseBusy
                    | rusqlite::ErrorCode::DatabaseLocked
                    | rusqlite::ErrorCode::CannotOpen
                    | rusqlite::ErrorCode::SystemIoFailure
                    | rusqlite::ErrorCode::DiskFull
            ),
            _ => false,
        }
    }
}

impl StorageError {
    /// Whether the database rolled the transaction back to settle a conflict with another
    /// transaction (PostgreSQL's class 40: a deadlock or a serialization failure). Nothing
    /// of it was stored, so the same transaction can simply be tried again.
    pub fn is_rolled_back_by_conflict(&self) -> bool {
        let StorageError::Query(sqlx::Error::Database(db)) = self else {
            return false;
        };
        db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()
            .is_some_and(|pg| pg.code().starts_with("40"))
    }
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        StorageError::Query(e)
    }
}

impl StorageError {
    /// The database refused what was written (a constraint, a value it cannot hold), as
    /// opposed to failing itself (unreachable, full, closed): writing the same rows
    /// one by one can store the others.
    pub fn is_about_the_data(&self) -> bool {
        let StorageError::Query(sqlx::Error::Database(db)) = self else {
            return matches!(self, StorageError::Invalid(_));
        };
        if !matches!(db.kind(), sqlx::error::ErrorKind::Other) {
            return true;
        }
        if let Some(pg) = db.try_downcast_ref::<sqlx::postgres::PgDatabaseError>() {
            // SQLSTATE classes 22 (data exception) and 23 (integrity constraint).
            return pg.code().starts_with("22") || pg.code().starts_with("23");
        }
        // SQLite: SQLITE_TOOBIG (18), SQLITE_CONSTRAINT (19), SQLITE_MISMATCH (20), with
        // their extended codes (the primary code in the low byte).
        db.code()
            .and_then(|c| c.parse::<i32>().ok())
            .is_some_and(|c| matches!(c & 0xff, 18..=20))
    }
}

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the concrete pool of either backend.
macro_rules! on_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// As [`on_pool!`], for the batch writers: on SQLite with a file, `$pool` is the store's
/// writer connection (`Store::sqlite_writer`), which reads without the memory map.
macro_rules! on_write_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.db {
            Db::Sqlite(pool) => {
                let $pool = $store.sqlite_writer.as_ref().unwrap_or(pool);
                $body
            }
            Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_write_pool;

/// Binds `$1`–`$7` of [`timeline_filter`] from `q`, in its order.
macro_rules! bind_timeline_filter {
    ($query:expr, $q:expr) => {
        $query
            .bind($q.until)
            .bind($q.since)
            .bind($q.platform.as_deref())
            .bind($q.kind.as_deref())
            .bind($q.include_simulated)
            .bind($q.source_kind.map(SourceKind::as_str))
            .bind($q.check.as_deref())
    };
}

/// Inserts `$new` (a `&NewObservation`) inside transaction `$tx` and maintains
/// `check_sources` and `transitions`; evaluates to the new row's id.
macro_rules! insert_observation_in {
    ($tx:ident, $new:expr) => {{
        // Text both databases can keep (no U+0000), the same on both.
        let storable = NewObservation::storable($new);
        let split = $crate::storage::evidence::split_of(&storable);
        let evidence = match split {
            Some(s) => Some(($crate::storage::evidence_body_in!($tx, &s), s.fetch)),
            None => None,
        };
        $crate::storage::insert_observation_in!(@storable $tx, &storable, evidence)
    }};
    // `$new` already storable; `$evidence`: its evidence body's id and its fetch's own
    // part, the body already stored.
    (@storable $tx:ident, $new:expr, $evidence:expr) => {
        $crate::storage::insert_observation_in!(@storable $tx, $new, $evidence, true)
    };
    // `$upsert_source` false: the caller has already written the pair's `check_sources`
    // row in this transaction (a batch writes them all in one statement).
    (@storable $tx:ident, $new:expr, $evidence:expr, $upsert_source:expr) => {{
        let new: &NewObservation = $new;
        let evidence: Option<(i64, Option<String>)> = $evidence;
        let source_key = new.source_key();
        let probe = new.probe.as_ref();
        // A run key ending in the row's check names its run part, kept once (0027).
        let run_part = probe
            .and_then(|p| p.run_key.as_deref())
            .and_then(|k| $crate::storage::batch_write::run_part(k, &new.check_id));
        let run_key_id: Option<i64> = match run_part {
            Some(part) => Some($crate::storage::batch_write::run_key_id_in!($tx, part)),
            None => None,
        };
        let id: i64 = sqlx::query_scalar(
            "insert into observations (check_id, observed_at, precision, status, source_kind,
                 source_key, source_id, vantage, quote, note_en, note_zh, evidence_id,
                 evidence_fetch, catalog_key, recorded_at, pack_id, rule_version, confirmed,
                 failure, snapshot, reclassifies, run_key, run_key_id)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                 $18, $19, $20, $21, $22, $23)
             returning id",
        )
        .bind(&new.check_id)
        .bind(new.observed_at)
        .bind(new.precision.as_str())
        .bind(&new.status)
        .bind(new.source_kind.as_str())
        .bind(&source_key)
        .bind(new.source_id.as_deref())
        .bind(&new.vantage)
        .bind(new.quote.as_deref())
        .bind(new.note_en.as_deref())
        .bind(new.note_zh.as_deref())
        .bind(evidence.as_ref().map(|e| e.0))
        .bind(evidence.as_ref().and_then(|e| e.1.as_deref()))
        .bind(new.catalog_key.as_deref())
        .bind(chrono::Utc::now())
        .bind(probe.map(|p| p.pack_id.as_str()))
        .bind(probe.map(|p| p.rule_version))
        .bind(probe.map(|p| p.confirmed))
        .bind(probe.and_then(|p| p.failure.as_deref()))
        .bind(probe.and_then(|p| p.snapshot.as_deref()))
        .bind(probe.and_then(|p| p.reclassifies))
        .bind(probe.and_then(|p| p.run_key.as_deref()).filter(|_| run_key_id.is_none()))
        .bind(run_key_id)
        .fetch_one(&mut *$tx)
        .await?;
        let confirmations = i64::from(probe.map_or(1, |p| p.confirmations.max(1)));
        if $upsert_source {
            sqlx::query(
                "insert into check_sources (check_id, source_key, confirmations) values ($1, $2, $3)
                 on conflict (check_id, source_key) do update set confirmations = excluded.confirmations
                 where check_sources.confirmations <> excluded.confirmations",
            )
            .bind(&new.check_id)
            .bind(&source_key)
            .bind(confirmations)
            .execute(&mut *$tx)
            .await?;
        }
        if probe.is_none_or(|p| p.failure.is_none()) {
            $crate::storage::after_write_in!(
                $tx,
                &new.check_id,
                &source_key,
                id,
                new.observed_at,
                &new.status,
                confirmations
            );
        }
        id
    }};
}
pub(crate) use insert_observation_in;

/// Stores an evidence body ([`evidence::SplitEvidence`]) unless it is already there, and
/// gives its id.
macro_rules! evidence_body_in {
    ($tx:ident, $split:expr) => {{
        let split: &$crate::storage::evidence::SplitEvidence = $split;
        let inserted: Option<i64> = sqlx::query_scalar(
            "insert into evidence_bodies (sha256, body) values ($1, $2)
             on conflict (sha256) do nothing returning id",
        )
        .bind(&split.sha256)
        .bind(&split.body)
        .fetch_optional(&mut *$tx)
        .await?;
        match inserted {
            Some(id) => id,
            None => {
                sqlx::query_scalar::<_, i64>("select id from evidence_bodies where sha256 = $1")
                    .bind(&split.sha256)
                    .fetch_one(&mut *$tx)
                    .await?
            }
        }
    }};
}
pub(crate) use evidence_body_in;

/// Keeps transitions right after observation `$id` of pair (`$check`, `$key`) was written.
///
/// A status change counts once `$n` consecutive observations agree on it (failed probes,
/// which observed nothing, superseded verdicts and retracted observations do not count
/// either way); the transition is dated at the first of them. The common case (the new observation is the
/// pair's newest) looks at the last `$n` observations only; anything else rebuilds the
/// pair's transitions.
macro_rules! after_write_in {
    ($tx:ident, $check:expr, $key:expr, $id:expr, $at:expr, $status:expr, $n:expr) => {{
        // One round trip for both questions: is there a later observation, and the
        // pair's current status.
        let (later, current): (Option<i64>, Option<String>) = sqlx::query_as(
            "select (select id from observations_all
                     where check_id = $1 and source_key = $2
                       and (observed_at > $3 or (observed_at = $3 and id > $4))
                     limit 1),
                    (select to_status from transitions where check_id = $1 and source_key = $2
                     order by occurred_at desc, id desc limit 1)",
        )
        .bind($check)
        .bind($key)
        .bind($at)
        .bind($id)
        .fetch_one(&mut *$tx)
        .await?;
        if later.is_none() {
            let status: &str = $status;
            if current.as_deref() != Some(status) {
                let n: i64 = $n;
                let recent: Vec<(i64, String)> = sqlx::query_as(
                    "select id, status from observations_all
                     where check_id = $1 and source_key = $2
                       and failure is null and superseded_by is null and retracted_at is null
                     order by observed_at desc, id desc limit $3",
                )
                .bind($check)
                .bind($key)
                .bind(n)
                .fetch_all(&mut *$tx)
                .await?;
                if recent.len() as i64 == n && recent.iter().all(|(_, s)| s == status) {
                    let first = recent.last().map(|(id, _)| *id).unwrap_or($id);
                    $crate::storage::insert_transition_in!($tx, first, current.as_deref());
                }
            }
        } else {
            $crate::storage::rebuild_transitions_in!($tx, $check, $key);
        }
    }};
}
pub(crate) use after_write_in;

macro_rules! insert_transition_in {
    ($tx:ident, $observation:expr, $from:expr) => {{
        // A transition names a row of `observations` (its foreign key): a repeat it starts
        // at is written out whole first.
        $crate::storage::unfold_in!($tx, $observation);
        sqlx::query(
            "insert into transitions (check_id, source_key, observation_id, occurred_at,
                 from_status, to_status, source_kind)
             select check_id, source_key, id, observed_at, $2, status, source_kind
             from observations where id = $1",
        )
        .bind($observation)
        .bind($from)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_transition_in;

/// The columns of `observations` and of `observations_all` (migration 0032), in order.
pub(crate) const STORED_COLUMNS: &str = "id, check_id, observed_at, precision, status, \
    source_kind, source_key, source_id, vantage, quote, note_en, note_zh, evidence, catalog_key, \
    recorded_at, pack_id, rule_version, confirmed, failure, snapshot, superseded_by, reclassifies, \
    run_key, retracted_at, retracted_by, retraction_reason, retracted_from, evidence_id, \
    evidence_fetch, fetch_id, run_key_id";

/// Joins `{OBS}` as `o`: the one observation whose id `id` names (an expression over the
/// query's other rows, a subquery seeking it among them). PostgreSQL: in two lateral steps,
/// the id first, each kept a step of its own (`offset 0`: not merged into the query around
/// it), so the id reaches both forms of `observations_all` as a parameter and each is read
/// by its primary key. Joined on the expression, the repeats' form was read whole for
/// every pair: a join's condition is not pushed into a view's UNION ALL branch that is
/// itself a join (20 s for one state at a date on a 10 M seed once its statistics were
/// stale, and a plan that reads every repeat in any case).
pub(crate) fn join_observation_by_id(postgres: bool, id: &str) -> String {
    if postgres {
        format!(
            "cross join lateral (select {id} as picked offset 0) pick
             cross join lateral (select * from {{OBS}} o0 where o0.id = pick.picked offset 0) o"
        )
    } else {
        format!("join {{OBS}} o on o.id = {id}")
    }
}

/// [`join_observation_by_id`] over every observation, in any form: on PostgreSQL with
/// repeats of fetches (migration 0052), whose ids a view cannot seek, through
/// `hutong_observations_of`, which seeks each form by id; elsewhere over `{OBS}`.
pub(crate) fn join_any_observation_by_id(postgres: bool, fetches: bool, id: &str) -> String {
    if postgres && fetches {
        format!(
            "cross join lateral (select {id} as picked offset 0) pick
             cross join lateral (select * from hutong_observations_of(array[pick.picked]) o0
                                 offset 0) o"
        )
    } else {
        join_observation_by_id(postgres, id)
    }
}

/// `query` (naming the observations it joins by id `{OBS}`) once over every observation
/// (migration 0032). PostgreSQL: over `observations_all`. SQLite reads a UNION ALL view
/// joined by a computed id whole (it pushes only constant terms into one), so there the
/// query is written twice, over the rows and over `observation_repeats_shown` (a join it
/// reads by index), and the two united: each id is in one of them.
pub(crate) fn each_form(postgres: bool, query: &str) -> String {
    if postgres {
        query.replace("{OBS}", "observations_all")
    } else {
        format!(
            "{} union all {}",
            query.replace("{OBS}", "observations"),
            query.replace("{OBS}", "observation_repeats_shown")
        )
    }
}

/// PostgreSQL: every connection with JIT compilation off, unless the URL's `options` say
/// otherwise. Left on (the server's default where it is built with LLVM), a statement whose
/// estimated cost passes `jit_above_cost` is compiled on every execution, 18–121 ms each
/// (`auto_explain`). The probes' writers met it in their first batches on a new database,
/// before its tables had statistics (about 7 compilations, 0.84 s, in a 100-round cashier
/// bench). Hutong's statements each read or write a few thousand rows at most, which
/// compiling cannot repay.
fn without_jit(options: PgConnectOptions) -> PgConnectOptions {
    if options.get_options().is_some_and(|o| o.contains("jit")) {
        options
    } else {
        options.options([("jit", "off")])
    }
}

/// SQLite: a repeat's instant (`x`, nanoseconds since 1970, migration 0032) as the RFC 3339
/// text a row keeps (chrono's `AutoSi`, `+00:00`, as sqlx writes an instant).
pub(crate) fn sqlite_text_of(x: &str) -> String {
    format!(
        "(strftime('%Y-%m-%dT%H:%M:%S', {x} / 1000000000, 'unixepoch') || case when {x} % 1000000000 = 0 then '' when {x} % 1000000 = 0 then printf('.%03d', {x} % 1000000000 / 1000000) when {x} % 1000 = 0 then printf('.%06d', {x} % 1000000000 / 1000) else printf('.%09d', {x} % 1000000000) end || '+00:00')"
    )
}

/// SQLite: an instant kept as RFC 3339 text (`t`) as nanoseconds since 1970, to compare with
/// a repeat's (migration 0032).
pub(crate) fn sqlite_ns_of(t: &str) -> String {
    format!(
        "(unixepoch(substr({t}, 1, 19)) * 1000000000 + case when substr({t}, 20, 1) = '.' then cast(substr(replace(replace(substr({t}, 21), '+00:00', ''), 'Z', '') || '000000000', 1, 9) as integer) else 0 end)"
    )
}

/// A repeat's instant column (`alias`), and the instant `param` to compare with it: the
/// native instant on PostgreSQL; nanoseconds since 1970 on SQLite (migration 0032).
pub(crate) fn repeat_at(postgres: bool, alias: &str, param: &str) -> (String, String) {
    if postgres {
        (format!("{alias}.observed_at"), param.to_string())
    } else {
        (format!("{alias}.at"), sqlite_ns_of(param))
    }
}

/// `{o}` is a probe's verdict (it has a pack), written so that PostgreSQL's planner does not
/// take it for a rare condition: `pack_id is not null` is estimated from the whole table,
/// where probe rows can be a small share (0.04% of a 10 M seed), so a pair's latest row or
/// a check's repeats of a day were sought through the index of every pack's rows, or the
/// check's rows by time filtered, instead of the pair's or the check's own index range
/// (75–125 ms a read instead of 0.1–9 ms on that seed). The concatenation is null exactly
/// when the pack is, and has no statistics to mislead.
pub(crate) const PROBE_ROW: &str = "({o}.pack_id || '') is not null";

/// `{o}` is a confirmed probe verdict ([`PROBE_ROW`]); on PostgreSQL `confirmed` read
/// through `coalesce` for the same reason (it is null on every row without a pack).
pub(crate) fn confirmed_probe_verdict(postgres: bool) -> String {
    let confirmed = if postgres {
        "coalesce({o}.confirmed, false)"
    } else {
        "{o}.confirmed = 1"
    };
    format!("{PROBE_ROW} and {confirmed}")
}

/// A subquery over `observations` alone (aliased `o`): the id and instant of the pair's
/// (`check`, `key`) latest row at or before `bound` meeting `terms` (over `{o}`), by
/// instant then id; one index seek (see [`latest_of_pair`], which adds the row's repeats).
pub(crate) fn latest_row_of_pair(
    postgres: bool,
    (check, key): (&str, &str),
    terms: &str,
    bound: &str,
    o: &str,
) -> String {
    if postgres {
        // Backward along the index by pair and time (`observations_by_source`), the
        // pair's rows up to `bound` being its range (the two row comparisons hold
        // exactly the pair's rows at or before `bound`): an order and bounds no other
        // index gives. Written with equalities on the check and the source, the plan
        // kept for every pair (a generic plan) could walk the check's index by time
        // instead, filtering by source: a pair new beside a long-spoken one walked
        // all of the other's rows before `bound` (5 M rows, 20 s, for a matrix at a
        // past date on a 10 M seed).
        format!(
            "select {o}.id, {o}.observed_at from observations {o}
             where ({o}.check_id, {o}.source_key, {o}.observed_at)
                   <= ({check}, {key}, {bound})
               and ({o}.check_id, {o}.source_key, {o}.observed_at)
                   >= ({check}, {key}, '-infinity'::timestamptz)
               and {}
             order by {o}.check_id desc, {o}.source_key desc, {o}.observed_at desc,
                      {o}.id desc
             limit 1",
            terms.replace("{o}", o)
        )
    } else {
        format!(
            "select {o}.id, {o}.observed_at from observations {o}
             where {o}.check_id = {check} and {o}.source_key = {key}
               and {o}.observed_at <= {bound} and {}
             order by {o}.observed_at desc, {o}.id desc limit 1",
            terms.replace("{o}", o)
        )
    }
}

/// A scalar subquery: the id of the latest observation (by instant, then id) of the pair
/// (`check`, `key`, from the outer query) at or before `bound` meeting `terms` (written
/// over `{o}`; terms a repeat meets as the row it repeats does). Migration 0032: the later
/// of the pair's latest such row and that row's latest repeat at or before `bound`: a
/// base's repeats lie between it and its pair's next row, and a row with repeats is never
/// failed, superseded nor retracted (correcting it writes its repeats out whole first), so
/// no other row's repeats can be later. Two index seeks, on either database.
pub(crate) fn latest_of_pair(
    postgres: bool,
    fetches: bool,
    pair: (&str, &str),
    terms: &str,
    bound: &str,
) -> String {
    latest_of_pair_shown(postgres, fetches, pair, terms, bound, "id")
}

/// [`latest_of_pair`] answering with `shown` of that observation: `id`, or `observed_at`
/// (an instant as a row keeps it on either database).
pub(crate) fn latest_of_pair_shown(
    postgres: bool,
    fetches: bool,
    (check, key): (&str, &str),
    terms: &str,
    bound: &str,
    shown: &str,
) -> String {
    let (r_at, r_bound) = repeat_at(postgres, "r", bound);
    let r_shown = if postgres {
        r_at.clone()
    } else {
        sqlite_text_of(&r_at)
    };
    let latest_row = |o: &str| latest_row_of_pair(postgres, (check, key), terms, bound, o);
    if fetches {
        // PostgreSQL since 0052: the row sought once, then its latest repeat among its rows
        // and among its sets' fetches (each set's newest at or before `bound` by its index).
        return format!(
            "(select l.{shown} from ({}) b
              cross join lateral (
                  select b.id, b.observed_at
                  union all
                  select * from (select r.id, r.observed_at from observation_repeats r
                                 where r.repeat_of = b.id and r.observed_at <= {bound}
                                 order by r.observed_at desc, r.id desc limit 1) l2
                  union all
                  select * from (select x.id, x.t from repeat_set_members m
                                 cross join lateral (
                                     select f.first_id + m.ord as id, f.observed_at as t
                                     from repeat_fetches f
                                     where f.set_id = m.set_id and f.observed_at <= {bound}
                                     order by f.observed_at desc limit 1) x
                                 where m.repeat_of = b.id
                                 order by x.t desc, x.id desc limit 1) l3) l
              order by l.observed_at desc, l.id desc limit 1)",
            latest_row("o2")
        );
    }
    format!(
        "(select l.{shown} from (
             select * from ({}) l1
             union all
             select * from (select r.id, {r_shown} as observed_at from observation_repeats r
                            where r.repeat_of = (select l3.id from ({}) l3)
                              and {r_at} <= {r_bound}
                            order by {r_at} desc, r.id desc limit 1) l2) l
          order by l.observed_at desc, l.id desc limit 1)",
        latest_row("o2"),
        latest_row("o3")
    )
}

/// `query` over every observation, its two forms united (migration 0032): `{OBS}` is
/// `observations` with `{WHERE}` as `rows`, then `observation_repeats_shown` (a join that
/// also shows each repeat's `repeat_check_no`, `repeat_at` and `repeat_of`) with `{WHERE}`
/// as `repeats`: each form sought by its own index.
pub(crate) fn both_forms(query: &str, rows: &str, repeats: &str, fetches: bool) -> String {
    let mut all = format!(
        "{} union all {}",
        query
            .replace("{OBS}", "observations")
            .replace("{WHERE}", rows),
        query
            .replace("{OBS}", "observation_repeats_shown")
            .replace("{WHERE}", repeats)
    );
    // PostgreSQL since 0052: and the repeats of fetches, shown alike (`{WHERE}` as for
    // repeats, sought by the sets' members by check or base, never by id).
    if fetches {
        all.push_str(" union all ");
        all.push_str(
            &query
                .replace("{OBS}", "observation_fetch_repeats_shown")
                .replace("{WHERE}", repeats),
        );
    }
    all
}

/// A check's number (`check_numbers`, migration 0032) for the check named by `param`.
pub(crate) fn check_no_of(param: &str) -> String {
    format!("(select n.no from check_numbers n where n.check_id = {param})")
}

/// Whether a transaction is PostgreSQL's: for the macros written once for both databases
/// that ask PostgreSQL something more.
pub(crate) fn on_postgres<T: OnPostgres>(_: &T) -> bool {
    T::POSTGRES
}

/// See [`on_postgres`].
pub(crate) trait OnPostgres {
    const POSTGRES: bool;
}

impl OnPostgres for sqlx::Transaction<'_, sqlx::Postgres> {
    const POSTGRES: bool = true;
}

impl OnPostgres for sqlx::Transaction<'_, sqlx::Sqlite> {
    const POSTGRES: bool = false;
}

/// Writes observation `$id` out whole when it is a repeat (migration 0032), with every
/// later repeat of its base (so a base's repeats stay between it and its pair's next row):
/// rows of `observations` under the same ids showing exactly what the repeats showed, the
/// repeats gone. What the triggers keep is unchanged (each row's insert adds what its
/// repeat's delete removes). A correction of a repeat, and a transition starting at one,
/// act on the row. Nothing when `$id` is a row already or no observation.
macro_rules! unfold_in {
    ($tx:ident, $id:expr) => {{
        let id: i64 = $id;
        // PostgreSQL since 0052: a repeat of a fetch is written out as a row of
        // `observation_repeats` first, with every fetch of its base's sets (which the base's
        // later repeats may be among); a database migrated before has none.
        if $crate::storage::on_postgres(&$tx) {
            let fetches: bool =
                sqlx::query_scalar("select to_regclass('repeat_fetches') is not null")
                    .fetch_one(&mut *$tx)
                    .await?;
            if fetches {
                sqlx::query(
                    "select hutong_repeat_sets_explode(array(
                         select repeat_of from hutong_fetch_repeats_of(array[$1::bigint])))",
                )
                .bind(id)
                .execute(&mut *$tx)
                .await?;
            }
        }
        let from_on = "select v.id from observation_repeats_shown v
             join observation_repeats_shown x on x.id = $1
             where v.repeat_of = x.repeat_of
               and (v.repeat_at > x.repeat_at or (v.repeat_at = x.repeat_at and v.id >= x.id))";
        let insert = format!(
            "insert into observations ({cols}) select {cols} from observation_repeats_shown
             where id in ({from_on})",
            cols = $crate::storage::STORED_COLUMNS
        );
        let done = sqlx::query(sqlx::AssertSqlSafe(insert).into_sql_str())
            .bind(id)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
        if done > 0 {
            let delete = format!("delete from observation_repeats where id in ({from_on})");
            sqlx::query(sqlx::AssertSqlSafe(delete).into_sql_str())
                .bind(id)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use unfold_in;

/// Rebuilds the transitions of one (check, source) pair from its observations, with the
/// same rule as [`after_write_in`].
macro_rules! rebuild_transitions_in {
    ($tx:ident, $check:expr, $key:expr) => {{
        sqlx::query("delete from transitions where check_id = $1 and source_key = $2")
            .bind($check)
            .bind($key)
            .execute(&mut *$tx)
            .await?;
        let n: i64 = sqlx::query_scalar(
            "select confirmations from check_sources where check_id = $1 and source_key = $2",
        )
        .bind($check)
        .bind($key)
        .fetch_optional(&mut *$tx)
        .await?
        .unwrap_or(1);
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "select id, status from observations_all where check_id = $1 and source_key = $2
               and failure is null and superseded_by is null and retracted_at is null
             order by observed_at, id",
        )
        .bind($check)
        .bind($key)
        .fetch_all(&mut *$tx)
        .await?;
        for (first, from) in $crate::storage::confirmed_changes(&rows, n.max(1) as usize) {
            $crate::storage::insert_transition_in!($tx, first, from.as_deref());
        }
    }};
}
pub(crate) use rebuild_transitions_in;

/// The status changes in a pair's countable observations (oldest first) under the rule
/// "`n` consecutive agreeing observations": (first observation of each run, previous status).
pub(crate) fn confirmed_changes(rows: &[(i64, String)], n: usize) -> Vec<(i64, Option<String>)> {
    let mut changes = Vec::new();
    let mut current: Option<&str> = None;
    let mut run: Option<(&str, i64, usize)> = None;
    for (id, status) in rows {
        if current == Some(status.as_str()) {
            run = None;
            continue;
        }
        run = match run {
            Some((s, first, k)) if s == status => Some((s, first, k + 1)),
            _ => Some((status.as_str(), *id, 1)),
        };
        if let Some((s, first, k)) = run
            && k >= n
        {
            changes.push((first, current.map(str::to_string)));
            current = Some(s);
            run = None;
        }
    }
    changes
}

/// How long a read waits for a pooled connection: when the database is down or every
/// connection is taken, pages answer "unavailable" within this instead of hanging.
pub const READ_WAIT: Duration = Duration::from_secs(2);

/// How long a write waits for a pooled connection: probe results are worth waiting for.
pub const WRITE_WAIT: Duration = Duration::from_secs(10);

/// A connection for a write, waited for up to [`WRITE_WAIT`] (the pool itself gives up
/// after [`READ_WAIT`], the readers' wait).
async fn acquire_write<DB: sqlx::Database>(
    pool: &sqlx::Pool<DB>,
) -> Result<sqlx::pool::PoolConnection<DB>, sqlx::Error> {
    let deadline = std::time::Instant::now() + WRITE_WAIT;
    loop {
        match pool.acquire().await {
            Err(sqlx::Error::PoolTimedOut) if std::time::Instant::now() < deadline => continue,
            other => return other,
        }
    }
}

/// Decides whether a connection handed back goes back into the pool: only outside any
/// transaction. sqlx counts transaction depth itself, and when the database ends a
/// transaction on its own (SQLite rolls the whole transaction back when the disk is full
/// or on an I/O error), the ROLLBACK sqlx sends afterwards fails and its count stays at
/// one: every later write on that connection would fail with "attempted to call
/// begin_with at non-zero transaction depth". Such a connection is closed instead, and the
/// pool opens a fresh one once the database can be written again.
async fn release_outside_transaction<C: sqlx::Connection>(
    conn: &mut C,
) -> Result<bool, sqlx::Error> {
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // A transaction dropped unfinished queues its rollback (SQLite runs it on the
    // connection's thread): let it run, then look again.
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!(
            "a database connection was still inside a transaction after its commit or \
             rollback failed: closed rather than reused"
        );
        return Ok(false);
    }
    Ok(true)
}

/// Which file a path leads to: its device and inode on Unix (elsewhere only that there is
/// one). Read with `stat`, never by opening the file: closing a second descriptor of a
/// database file would drop the POSIX locks SQLite holds on it in this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FileIdentity {
    device: u64,
    inode: u64,
}

impl FileIdentity {
    fn of(path: &std::path::Path) -> std::io::Result<FileIdentity> {
        let meta = std::fs::metadata(path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Ok(FileIdentity {
                device: meta.dev(),
                inode: meta.ino(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            Ok(FileIdentity {
                device: 0,
                inode: 0,
            })
        }
    }
}

/// Write transactions. On SQLite they take the write lock at `BEGIN IMMEDIATE`: a
/// transaction that reads and then writes would otherwise fail at once ("database is
/// locked") when another writer got in between, instead of waiting its turn.
pub(crate) trait WritePool {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
    + Send;
}

impl WritePool for SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        let conn = acquire_write(self).await?;
        sqlx::Transaction::begin(conn, Some("BEGIN IMMEDIATE".into_sql_str())).await
    }
}

impl WritePool for PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        let conn = acquire_write(self).await?;
        sqlx::Transaction::begin(conn, None).await
    }
}

/// A handle on the database; cheap to clone (the pool is shared).
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    url: String,
    /// The database file, for a SQLite store that has one (not in memory).
    sqlite_file: Option<std::path::PathBuf>,
    /// That file's identity when opened: [`Store::ping`] notices when the path no longer
    /// leads to it.
    opened_file: Option<FileIdentity>,
    /// Whether long reads go straight to `sqlite_file` ([`Store::sqlite_timeline_reader`]).
    direct_reads: bool,
    /// Run bookkeeping the database refused, kept until it can be written (shared by
    /// every clone: the scheduler writes it, pages read it).
    pending: std::sync::Arc<std::sync::Mutex<ledger::Pending>>,
    /// Evidence bodies known to be stored (their hash and id), so that evidence repeating
    /// from one run to the next costs no query; only committed rows are remembered.
    evidence_ids: std::sync::Arc<quick_cache::sync::Cache<String, i64>>,
    /// Run parts of run keys known to be stored (`run_keys`, migration 0027: kept forever),
    /// each run's added in a statement of its own before its first batch: two writers of
    /// a run adding it inside their batches waited one for the other's whole batch (about
    /// 6 ms a run on PostgreSQL), and every batch read it again.
    run_key_ids: std::sync::Arc<quick_cache::sync::Cache<String, i64>>,
    /// Checks' numbers known to be given (`check_numbers`, migration 0032), so that a batch
    /// of repeats asks only for new checks'; only committed numbers are remembered.
    check_numbers: std::sync::Arc<CheckNumbers>,
    /// Whether a verdict repeating its pair's newest row is stored as a repeat (migration
    /// 0032); off only to write the same data as whole rows for comparison.
    thin_repeats: bool,
    /// PostgreSQL: whether the database keeps repeats of fetches (migration 0052), so
    /// readers read them too; asked when the store connects and after it migrates (a
    /// database an older release left, which tests write to, has none).
    fetch_repeats: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// SQLite: what probe batches left their pairs at, for the next batch writing them
    /// (`kept_pairs`); `None` on PostgreSQL (several writers, several workers).
    kept_pairs: Option<std::sync::Arc<std::sync::Mutex<kept_pairs::KeptPairs>>>,
    /// SQLite with a file: the one connection the batch writers write through
    /// ([`on_write_pool!`]), which reads the file without the memory map (see
    /// [`SQLITE_WRITER_MMAP_BYTES`]). In memory there is only the pool's one connection.
    sqlite_writer: Option<SqlitePool>,
}

/// How much of a SQLite file its connections read through a memory map instead of a
/// `pread` (and a copy) per page: all of it. Reading pages was a third of a page's CPU on a
/// million-observation database: most in the kernel copying from the page cache. The map
/// shares that cache (what it holds is the file's, not the process's, and is counted in its
/// resident memory only as it is touched); writes still go through the file. After any
/// write every connection forgets the pages it had read, so what pages read most (the kept
/// tables, the newest rows) is read again after each write: at the end of a file larger
/// than the map that was a `pread` per page. The bundled SQLite is built to allow a map
/// this large (`SQLITE_MAX_MMAP_SIZE` in `.cargo/config.toml`; SQLite's own limit is 2 GiB);
/// the map only reserves addresses, as large as the file.
pub(crate) const SQLITE_MMAP_BYTES: i64 = 1 << 40;

/// … but none for the connection the batch writers write through. A writer touches pages
/// all over the file (each index's leaf for each pair it writes), and every page touched
/// through the map stays in the process's resident memory, counted in it as its own: on
/// `bench probes --cashier` (100 rounds, batches of up to 512) peak memory was 183 MiB with
/// the map, 139 MiB without, and the writes no slower (1,882 and 1,963 pages/s; README,
/// Probes). Without the map, SQLite reads a page it does not hold with a `pread` into its
/// own page cache, which is bounded.
pub(crate) const SQLITE_WRITER_MMAP_BYTES: i64 = 0;

/// That page cache, in KiB: 16 MiB instead of SQLite's 2 MB. A batch of 1,000 rows touches
/// a leaf of each index per pair, and past a million observations the 2 MB cache no longer
/// held them from one batch to the next: `bench writes` fell from about 21,000 to 17,200–
/// 19,000 observations/s in its last tenth, and holds 20,700–21,400 with this (README,
/// Writes). It costs the cashier probes about 12 MiB of peak memory and no speed.
pub(crate) const SQLITE_WRITER_CACHE_KIB: i64 = 16_384;

/// Rows sqlx's SQLite worker may read ahead of the task consuming them (its default is 50).
/// The batch writer's lookups return a row per pair or check (hundreds a batch): with 50 the
/// worker stopped every 50 rows until the task had taken them, two thread wake-ups each time.
const SQLITE_ROW_BUFFER: usize = 4096;

/// WAL pages after which a commit copies the log into the database file: 8,000 (32 MiB)
/// instead of SQLite's 1,000 checkpointed less often, each time syncing the file; `bench
/// writes` ran about 8% faster with it, pages under writes no slower (README, Writes).
const SQLITE_WAL_AUTOCHECKPOINT: u32 = 8_000;

/// Evidence bodies whose ids a store remembers at most.
const EVIDENCE_IDS_KEPT: usize = 200_000;

/// Run parts whose ids a store remembers at most.
const RUN_KEY_IDS_KEPT: usize = 10_000;

/// Checks whose numbers a store remembers at most (the catalog bench's 35,000 checks fit).
const CHECK_NUMBERS_KEPT: usize = 100_000;

/// A store's remembered check numbers (`check_numbers`), by check.
pub(crate) type CheckNumbers = quick_cache::sync::Cache<String, i64>;

impl Store {
    /// Opens (and for SQLite, creates) the database at `url`. Does not migrate.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Store, StorageError> {
        let shown = redact_url(url);
        let bad = |reason: String| StorageError::BadUrl {
            url: shown.clone(),
            reason,
        };
        let connect_err = |cause| StorageError::Connect {
            url: shown.clone(),
            cause,
        };
        let mut sqlite_file = None;
        let mut sqlite_writer = None;
        let db = if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| bad(e.to_string()))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .row_buffer_size(SQLITE_ROW_BUFFER)
                .pragma("wal_autocheckpoint", SQLITE_WAL_AUTOCHECKPOINT.to_string())
                .pragma("mmap_size", SQLITE_MMAP_BYTES.to_string());
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            if !in_memory
                && let Some(parent) = options.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent)
                    .map_err(|e| bad(format!("cannot create folder {}: {e}", parent.display())))?;
            }
            if !in_memory {
                sqlite_file = Some(options.get_filename().to_path_buf());
            }
            // An in-memory database exists once per connection: keep exactly one.
            let max = if in_memory { 1 } else { max_connections.max(1) };
            let writer_options = options
                .clone()
                .pragma("mmap_size", SQLITE_WRITER_MMAP_BYTES.to_string())
                // Negative: a size in KiB rather than in pages.
                .pragma("cache_size", (-SQLITE_WRITER_CACHE_KIB).to_string());
            let pool_of = |max| {
                SqlitePoolOptions::new()
                    .max_connections(max)
                    .acquire_timeout(READ_WAIT)
                    .after_release(|conn, _| Box::pin(release_outside_transaction(conn)))
            };
            let pool = pool_of(max)
                .connect_with(options)
                .await
                .map_err(connect_err)?;
            if !in_memory {
                sqlite_writer = Some(pool_of(1).connect_lazy_with(writer_options));
            }
            Db::Sqlite(pool)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options =
                without_jit(PgConnectOptions::from_str(url).map_err(|e| bad(e.to_string()))?);
            // One direct attempt first: a pool would retry until its timeout and then
            // report only "timed out", hiding the cause (refused, bad password, no such db).
            sqlx::Connection::close(
                <sqlx::PgConnection as sqlx::Connection>::connect_with(&options)
                    .await
                    .map_err(connect_err)?,
            )
            .await
            .map_err(connect_err)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(READ_WAIT)
                .after_release(|conn, _| Box::pin(release_outside_transaction(conn)))
                .connect_with(options)
                .await
                .map_err(connect_err)?;
            Db::Postgres(pool)
        } else {
            return Err(bad("it must start with sqlite:// or postgres://".into()));
        };
        // The pool has created the file by now.
        let opened_file = match &sqlite_file {
            Some(path) => Some(
                FileIdentity::of(path)
                    .map_err(|e| bad(format!("cannot read {}: {e}", path.display())))?,
            ),
            None => None,
        };
        let kept_pairs = matches!(db, Db::Sqlite(_)).then(Default::default);
        let store = Store {
            db,
            url: shown,
            sqlite_file,
            opened_file,
            direct_reads: true,
            pending: Default::default(),
            evidence_ids: std::sync::Arc::new(quick_cache::sync::Cache::new(EVIDENCE_IDS_KEPT)),
            run_key_ids: std::sync::Arc::new(quick_cache::sync::Cache::new(RUN_KEY_IDS_KEPT)),
            check_numbers: std::sync::Arc::new(quick_cache::sync::Cache::new(CHECK_NUMBERS_KEPT)),
            thin_repeats: true,
            fetch_repeats: Default::default(),
            kept_pairs,
            sqlite_writer,
        };
        store.ask_fetch_repeats().await?;
        Ok(store)
    }

    /// PostgreSQL: whether the database has repeats of fetches (migration 0052), kept for
    /// [`Store::fetch_repeats`].
    async fn ask_fetch_repeats(&self) -> Result<(), StorageError> {
        if let Db::Postgres(pool) = &self.db {
            let here: bool = sqlx::query_scalar("select to_regclass('repeat_fetches') is not null")
                .fetch_one(pool)
                .await?;
            self.fetch_repeats
                .store(here, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(())
    }

    /// What to read one observation from by its id, `param` (as `observations_all`):
    /// on PostgreSQL with repeats of fetches (migration 0052), `hutong_observations_of`,
    /// which seeks each form by id (a view cannot seek a fetch's repeats by id).
    pub(crate) fn observations_by_id(&self, param: &str) -> String {
        if self.fetch_repeats() {
            format!("hutong_observations_of(array[{param}::bigint])")
        } else {
            "observations_all".to_string()
        }
    }

    /// Whether readers also read repeats of fetches (PostgreSQL since migration 0052).
    pub(crate) fn fetch_repeats(&self) -> bool {
        self.fetch_repeats
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Check numbers a committed batch gave or read, remembered for the batches after it.
    fn remember_check_numbers(&self, numbers: Vec<(String, i64)>) {
        for (check, no) in numbers {
            self.check_numbers.insert(check, no);
        }
    }

    /// Opens the database and brings its schema up to date.
    pub async fn open(url: &str, max_connections: u32) -> Result<Store, StorageError> {
        let store = Self::connect(url, max_connections).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a database whose schema should already be current (a worker's): the migrator
    /// runs only when a migration of this binary is missing, so that a role without
    /// CREATE on the schema can open it. When migrating is needed and refused, the error
    /// says to migrate with the owner's role first.
    pub async fn open_current(url: &str, max_connections: u32) -> Result<Store, StorageError> {
        let store = Self::connect(url, max_connections).await?;
        let latest = match store.backend() {
            Backend::Sqlite => SQLITE_MIGRATIONS.last().map(|m| m.0),
            Backend::Postgres => POSTGRES_MIGRATIONS.last().map(|m| m.0),
        }
        .unwrap_or(0);
        let applied: Option<i64> = on_pool!(store, pool => {
            sqlx::query_scalar::<_, Option<i64>>(
                "select max(version) from _sqlx_migrations where success",
            )
            .fetch_one(pool)
            .await
            .ok()
            .flatten()
        });
        if applied.is_some_and(|v| v >= latest) {
            return Ok(store);
        }
        match store.migrate().await {
            Ok(()) => Ok(store),
            Err(StorageError::Migrate { url, cause }) => Err(StorageError::Behind {
                url,
                applied: applied.map_or_else(|| "none".to_string(), |v| v.to_string()),
                needed: latest,
                cause,
            }),
            Err(e) => Err(e),
        }
    }

    /// PostgreSQL: a setting of the server as the store's connections have it
    /// (`current_setting`), `None` when there is no such setting; SQLite has none.
    pub async fn postgres_setting(&self, name: &str) -> Result<Option<String>, StorageError> {
        match &self.db {
            Db::Sqlite(_) => Ok(None),
            Db::Postgres(pool) => Ok(sqlx::query_scalar("select current_setting($1, true)")
                .bind(name)
                .fetch_one(pool)
                .await?),
        }
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// The URL with any password hidden.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite database file, when this store is one on disk.
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// The same store, with long reads (exports) made through the pool even on a SQLite
    /// file, as on PostgreSQL: the two readers compared in tests.
    pub fn through_pool_only(mut self) -> Store {
        self.direct_reads = false;
        self
    }

    /// The same store, writing every observation as a whole row of `observations`, none as
    /// a repeat (migration 0032): the same data as stored before, which tests and the bench
    /// compare with repeats stored thin.
    pub fn with_repeats_whole(mut self) -> Store {
        self.thin_repeats = false;
        self
    }

    /// A store whose probe batches read every pair they write (`kept_pairs` off), which
    /// tests and the bench compare with batches taking the pairs earlier ones left.
    pub fn without_kept_pairs(mut self) -> Store {
        self.kept_pairs = None;
        self
    }

    /// Pairs probe batches took from what earlier batches left instead of reading them
    /// (SQLite), since the store opened.
    pub fn kept_pairs_taken(&self) -> u64 {
        self.kept_pairs
            .as_ref()
            .map_or(0, |k| kept_pairs::KeptPairs::lock(k).taken())
    }

    /// Observations stored as whole rows and as repeats (migration 0032).
    pub async fn stored_forms(&self) -> Result<(i64, i64), StorageError> {
        on_pool!(self, pool => {
            Ok(sqlx::query_as(if self.fetch_repeats() {
                // A fetch's repeats are its set's members (0052).
                "select (select count(*) from observations),
                        (select count(*) from observation_repeats)
                        + (select coalesce(sum(cardinality(s.bases)), 0)::bigint
                           from repeat_fetches f join repeat_sets s on s.id = f.set_id)"
            } else {
                "select (select count(*) from observations),
                        (select count(*) from observation_repeats)"
            })
            .fetch_one(pool)
            .await?)
        })
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        self.migrate_up_to(i64::MAX).await
    }

    /// Applies this backend's migrations up to `version` only: a database as an older
    /// release left it, which tests migrate the rest of the way.
    pub async fn migrate_up_to(&self, version: i64) -> Result<(), StorageError> {
        let err = |cause| StorageError::Migrate {
            url: self.url.clone(),
            cause,
        };
        let upto = |list: &'static [(i64, &'static str, &'static str)]| {
            migrator(&list[..list.partition_point(|m| m.0 <= version)])
        };
        match &self.db {
            Db::Sqlite(pool) => upto(SQLITE_MIGRATIONS).run(pool).await.map_err(err)?,
            Db::Postgres(pool) => upto(POSTGRES_MIGRATIONS).run(pool).await.map_err(err)?,
        }
        self.ask_fetch_repeats().await
    }

    /// Whether the database answers, and for a SQLite file, whether its path still leads
    /// to the file this store opened: a file deleted or replaced under a running process
    /// still answers through the connections that have it open, but what is written there
    /// is lost.
    pub async fn ping(&self) -> Result<(), StorageError> {
        self.check_file()?;
        on_pool!(self, pool => sqlx::query("select 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Fails with [`StorageError::FileGone`] when the SQLite file this store opened is no
    /// longer at its path.
    pub fn check_file(&self) -> Result<(), StorageError> {
        let (Some(path), Some(opened)) = (&self.sqlite_file, &self.opened_file) else {
            return Ok(());
        };
        let gone = |what| StorageError::FileGone {
            path: path.display().to_string(),
            what,
        };
        match FileIdentity::of(path) {
            Ok(now) if now == *opened => Ok(()),
            Ok(_) => Err(gone("was replaced by another file")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(gone("was deleted")),
            Err(_) => Err(gone("cannot be found any more")),
        }
    }

    /// Runs one administrative statement that takes no parameters and returns no rows
    /// (`create database …` in test fixtures and tools). Never give it outside input.
    /// A SQLite pragma is a setting of the connection it runs on: it runs on the batch
    /// writer's connection too.
    pub async fn execute_admin(&self, statement: &str) -> Result<(), StorageError> {
        let sql = || sqlx::AssertSqlSafe(statement.to_string()).into_sql_str();
        on_pool!(self, pool => sqlx::raw_sql(sql()).execute(pool).await.map(|_| ()))?;
        if let Some(writer) = &self.sqlite_writer
            && statement
                .trim_start()
                .to_ascii_lowercase()
                .starts_with("pragma")
        {
            sqlx::raw_sql(sql()).execute(writer).await?;
        }
        Ok(())
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.sqlite_writer {
            writer.close().await;
        }
        on_pool!(self, pool => pool.close().await);
    }

    /// Stores one observation and keeps the transitions of its check up to date.
    /// The check must exist and the status must be on its ladder (or `unknown`).
    pub async fn insert_observation(&self, new: &NewObservation) -> Result<i64, StorageError> {
        let ids = self.insert_observations(std::slice::from_ref(new)).await?;
        ids.first()
            .copied()
            .ok_or_else(|| StorageError::Invalid("no observation was stored".into()))
    }

    /// Stores many observations in one transaction (all or none), keeping transitions up
    /// to date; each is validated like [`Store::insert_observation`].
    pub async fn insert_observations(
        &self,
        batch: &[NewObservation],
    ) -> Result<Vec<i64>, StorageError> {
        // Text both databases can keep (no U+0000), the same on both; the evidence split.
        let storable: Vec<std::borrow::Cow<'_, NewObservation>> = storable::storable_all(batch);
        let rows: Vec<&NewObservation> = storable.iter().map(|o| o.as_ref()).collect();
        let splits: Vec<Option<evidence::SplitEvidence>> =
            evidence::split_all(rows.iter().copied());
        let postgres = self.backend() == Backend::Postgres;
        on_write_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // The batch's distinct (check, status) pairs in one statement, given as one JSON
            // array; it returns only those naming no check or a status off the check's
            // ladder, so a valid batch (the usual case) reads no rows back. Returning every
            // check's whole ladder instead was 800 rows a batch of 1,000.
            let mut asked: Vec<(&str, &str)> = batch
                .iter()
                .map(|o| (o.check_id.as_str(), o.status.as_str()))
                .collect();
            asked.sort_unstable();
            asked.dedup();
            let list = serde_json::to_string(&asked)
                .map_err(|e| StorageError::Invalid(format!("checks as JSON: {e}")))?;
            let wrong_sql = if postgres {
                "select j.v->>0, j.v->>1 from jsonb_array_elements($1::jsonb) j(v)
                 where not exists (select 1 from checks c where c.id = j.v->>0)
                    or (j.v->>1 <> $2 and not exists (select 1 from checks c
                        join statuses s on s.kind = c.kind and s.id = j.v->>1
                        where c.id = j.v->>0))"
            } else {
                "with j(c, s) as materialized (select value->>0, value->>1 from json_each($1))
                 select j.c, j.s from j
                 where not exists (select 1 from checks c where c.id = j.c)
                    or (j.s <> $2 and not exists (select 1 from checks c
                        join statuses s on s.kind = c.kind and s.id = j.s where c.id = j.c))"
            };
            let wrong: Vec<(String, String)> = sqlx::query_as(wrong_sql)
                .bind(list)
                .bind(domain::UNKNOWN)
                .fetch_all(&mut *tx)
                .await?;
            // The first refused observation, in the batch's order, named with its check's
            // ladder (none: the check is unknown).
            if let Some((check, status)) = wrong.first() {
                let new = batch
                    .iter()
                    .find(|o| wrong.iter().any(|(c, s)| *c == o.check_id && *s == o.status))
                    .ok_or_else(|| {
                        StorageError::Invalid(format!("status \"{status}\" of check \"{check}\" refused"))
                    })?;
                let ladder: Vec<String> = sqlx::query_scalar(
                    "select s.id from checks c join statuses s on s.kind = c.kind
                     where c.id = $1 order by s.position, s.id",
                )
                .bind(&new.check_id)
                .fetch_all(&mut *tx)
                .await?;
                return Err(StorageError::Invalid(if ladder.is_empty() {
                    format!("unknown check \"{}\"", new.check_id)
                } else {
                    format!(
                        "status \"{}\" is not on the ladder of check \"{}\" ({})",
                        new.status,
                        new.check_id,
                        ladder.join(", ")
                    )
                }));
            }
            // Each evidence body once, by hash, before the pairs (as probes' batches).
            let bodies = evidence::distinct_bodies(&splits);
            let mut body_ids: std::collections::HashMap<&str, i64> =
                std::collections::HashMap::with_capacity(bodies.len());
            for s in bodies {
                body_ids.insert(s.sha256.as_str(), evidence_body_in!(tx, s));
            }
            let evidence: Vec<Option<(i64, Option<String>)>> = splits
                .iter()
                .map(|split| split.as_ref().map(|s| (body_ids[s.sha256.as_str()], s.fetch.clone())))
                .collect();
            let mut fresh_numbers: Vec<(String, i64)> = Vec::new();
            let ids = batch_write::insert_batch_in!(
                tx, &rows, &evidence, true, postgres, self.fetch_repeats(), self.thin_repeats,
                &self.check_numbers, &self.run_key_ids, fresh_numbers,
                None::<&mut kept_pairs::BatchPairs>
            );
            tx.commit().await?;
            self.remember_check_numbers(fresh_numbers);
            Ok(ids)
        })
    }

    /// The state of checks as of `at`: for each check and each source, that source's
    /// latest observation at or before `at`. Disagreeing sources therefore all appear.
    ///
    /// Each pair's latest observation that counts is kept by every write
    /// (`current_states`, migration 0019): when it is at or before `at` (any date from now
    /// on) it is the answer, read by its id; for an earlier date the pair's latest
    /// observation at or before `at` is sought, as [`Store::state_as_of_from_observations`]
    /// does for every pair.
    pub async fn state_as_of(
        &self,
        at: DateTime<Utc>,
        filter: &StateFilter,
    ) -> Result<Vec<ObservationRecord>, StorageError> {
        self.state_as_of_with(at, filter, true).await
    }

    /// [`Store::state_as_of`] sought for every pair from the observations themselves,
    /// ignoring what is kept: to check what is kept against.
    pub async fn state_as_of_from_observations(
        &self,
        at: DateTime<Utc>,
        filter: &StateFilter,
    ) -> Result<Vec<ObservationRecord>, StorageError> {
        self.state_as_of_with(at, filter, false).await
    }

    async fn state_as_of_with(
        &self,
        at: DateTime<Utc>,
        filter: &StateFilter,
        kept: bool,
    ) -> Result<Vec<ObservationRecord>, StorageError> {
        let postgres = self.backend() == Backend::Postgres;
        let fetches = self.fetch_repeats();
        let seek = latest_of_pair(
            postgres,
            fetches,
            ("cs.check_id", "cs.source_key"),
            "{o}.failure is null and {o}.superseded_by is null and {o}.retracted_at is null",
            "$1",
        );
        // A pair with no kept row has no observation that counts: nothing to seek.
        let pick = if kept {
            format!(
                "join current_states k
                   on k.check_id = cs.check_id and k.source_key = cs.source_key
                 {}",
                join_any_observation_by_id(
                    postgres,
                    fetches,
                    &format!("case when k.observed_at <= $1 then k.observation_id else {seek} end")
                )
            )
        } else {
            join_any_observation_by_id(postgres, fetches, &seek)
        };
        let one = format!(
            "select {OBSERVATION_COLUMNS}
             from check_sources cs
             join checks c on c.id = cs.check_id
             {pick}
             left join sources s on s.id = o.source_id
             left join evidence_bodies eb on eb.id = o.evidence_id
             left join fetches f on f.id = o.fetch_id
             where ($2 is null or c.kind = $2)
               and ($3 is null or c.id = $3)
               and ($4 or o.source_kind <> 'simulated')"
        );
        let sql = format!(
            "select * from ({}) w order by w.check_id, w.observed_at desc, w.id desc",
            each_form(postgres, &one)
        );
        let rows = on_pool!(self, pool => {
            sqlx::query_as::<_, ObservationRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(at)
                .bind(filter.kind.as_deref())
                .bind(filter.check.as_deref())
                .bind(filter.include_simulated)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }

    /// Every observation of a check, oldest first.
    pub async fn observations(
        &self,
        check_id: &str,
    ) -> Result<Vec<ObservationRecord>, StorageError> {
        self.observations_where("o.check_id = $1", check_id).await
    }

    /// Every observation that cites a catalog source, oldest first.
    pub async fn observations_citing(
        &self,
        source_id: &str,
    ) -> Result<Vec<ObservationRecord>, StorageError> {
        self.observations_where("o.source_id = $1", source_id).await
    }

    /// A check's windowed verdicts over `(from, to]` ([`crate::state::windowed`] over its
    /// observations): one per probe source that has spoken by `to`, empty windows
    /// included, in source order. Counted from `probe_days` (kept by every write,
    /// migration 0038) by UTC day, with the verdicts of the window's first and last days
    /// read by index where the window cuts them (`probe_window_counts`). The page used to
    /// read every verdict of the window (thousands a month per source) on every request.
    /// Sources are the pairs a probe has spoken on by `to` (`probed_pairs`, migration
    /// 0022), each named by its latest probe row at or before `to` (one index seek) and
    /// dated by its latest counting verdict (two).
    pub async fn probe_windows(
        &self,
        check_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::state::WindowedVerdict>, StorageError> {
        let postgres = self.backend() == Backend::Postgres;
        let pair = ("pp.check_id", "pp.source_key");
        let named_by = format!(
            "(select l.id from ({}) l)",
            latest_row_of_pair(postgres, pair, PROBE_ROW, "$2", "o2")
        );
        let counting = format!(
            "{} and {{o}}.retracted_at is null and {{o}}.superseded_by is null",
            confirmed_probe_verdict(postgres)
        );
        let dated_by = latest_of_pair_shown(
            postgres,
            self.fetch_repeats(),
            pair,
            &counting,
            "$2",
            "observed_at",
        );
        let sources_sql = format!(
            "select pp.source_key, o.vantage, o.source_kind, o.pack_id, {dated_by} as latest_at
             from probed_pairs pp
             {}
             where pp.check_id = $1 and pp.probed_since <= $2
             order by pp.source_key",
            join_observation_by_id(postgres, &named_by).replace("{OBS}", "observations")
        );
        type Source = (
            String,
            String,
            String,
            Option<String>,
            Option<DateTime<Utc>>,
        );
        let sources: Vec<Source> = on_pool!(self, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sources_sql).into_sql_str())
                .bind(check_id)
                .bind(to)
                .fetch_all(pool)
                .await?
        });
        let counts: Vec<(String, String, i64)> = if to <= from || sources.is_empty() {
            Vec::new()
        } else {
            self.probe_window_counts(check_id, from, to).await?
        };
        Ok(sources
            .into_iter()
            .map(|(key, vantage, kind, pack, latest_at)| {
                crate::state::WindowedVerdict::from_counts(
                    &key,
                    &vantage,
                    pack.as_deref().unwrap_or_default(),
                    kind == SourceKind::Simulated.as_str(),
                    counts
                        .iter()
                        .filter(|(k, _, _)| *k == key)
                        .map(|(_, status, n)| (status.as_str(), usize::try_from(*n).unwrap_or(0))),
                    latest_at.filter(|t| *t > from),
                )
            })
            .collect())
    }

    /// The counting verdicts of a check over `(from, to]` (`from < to`) per source and
    /// status. Across midnight: `probe_days` for the days after `from`'s up to `to`'s,
    /// with the verdicts of `from`'s day after `from` read and added, and those of `to`'s
    /// day after `to` read and taken away (none when `to` is now: the window's end
    /// costs nothing however many verdicts today has). Within one day: its verdicts read.
    async fn probe_window_counts(
        &self,
        check_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(String, String, i64)>, StorageError> {
        const DAY: i64 = 86_400;
        let next_day = |t: DateTime<Utc>| {
            t - chrono::Duration::seconds(t.timestamp().rem_euclid(DAY))
                - chrono::Duration::nanoseconds(i64::from(t.timestamp_subsec_nanos()))
                + chrono::Duration::days(1)
        };
        let (from_day, to_day) = (
            from.timestamp().div_euclid(DAY),
            to.timestamp().div_euclid(DAY),
        );
        // (sign, lower bound's comparison, upper bound's comparison, bounds).
        let (days, ranges) = if to_day > from_day {
            (
                (from_day + 1, to_day),
                vec![
                    (1, ">", "<", from, next_day(from)),
                    (-1, ">", "<", to, next_day(to)),
                ],
            )
        } else {
            ((1, 0), vec![(1, ">", "<=", from, to)])
        };
        let postgres = self.backend() == Backend::Postgres;
        let counting = format!(
            "{} and o.retracted_at is null and o.superseded_by is null",
            confirmed_probe_verdict(postgres).replace("{o}", "o")
        );
        let read = ranges
            .iter()
            .enumerate()
            .map(|(i, (sign, lo_op, hi_op, _, _))| {
                let (lo, hi) = (format!("${}", 4 + 2 * i), format!("${}", 5 + 2 * i));
                let (r_at, lo_at) = repeat_at(postgres, "o", &lo);
                let (_, hi_at) = repeat_at(postgres, "o", &hi);
                let r_at = r_at
                    .replace("o.at", "o.repeat_at")
                    .replace("o.observed_at", "o.repeat_at");
                both_forms(
                    &format!(
                        "select o.source_key, o.status, {sign} as n from {{OBS}} o where {{WHERE}}"
                    ),
                    &format!(
                        "o.check_id = $1 and {counting} and o.observed_at {lo_op} {lo}
                         and o.observed_at {hi_op} {hi}"
                    ),
                    &format!(
                        "o.repeat_check_no = {} and {counting} and {r_at} {lo_op} {lo_at}
                         and {r_at} {hi_op} {hi_at}",
                        check_no_of("$1")
                    ),
                    self.fetch_repeats(),
                )
            })
            .collect::<Vec<_>>()
            .join(" union all ");
        let sql = format!(
            "select c.source_key, c.status, cast(sum(c.n) as bigint) from (
                 select d.source_key, d.status, d.verdicts as n from probe_days d
                 where d.check_id = $1 and d.day >= $2 and d.day <= $3
                 union all {read}) c
             group by c.source_key, c.status"
        );
        let (first_day, last_day) = (
            i32::try_from(days.0).unwrap_or(i32::MAX),
            i32::try_from(days.1).unwrap_or(i32::MIN),
        );
        Ok(on_pool!(self, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(check_id)
                .bind(first_day)
                .bind(last_day);
            for (_, _, _, lo, hi) in &ranges {
                query = query.bind(*lo).bind(*hi);
            }
            query.fetch_all(pool).await?
        }))
    }

    /// Observations matching one fixed condition on `$1`, oldest first.
    async fn observations_where(
        &self,
        condition: &'static str,
        value: &str,
    ) -> Result<Vec<ObservationRecord>, StorageError> {
        let sql = format!(
            "select {OBSERVATION_COLUMNS}
             from observations_all o left join sources s on s.id = o.source_id
             left join evidence_bodies eb on eb.id = o.evidence_id
             left join fetches f on f.id = o.fetch_id
             where {condition}
             order by o.observed_at, o.check_id, o.id"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, ObservationRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(value)
                .fetch_all(pool)
                .await?
        }))
    }

    /// The status transitions of a check, oldest first, each within one source.
    pub async fn transitions(&self, check_id: &str) -> Result<Vec<TransitionRecord>, StorageError> {
        let sql = format!(
            "select {TRANSITION_COLUMNS}
             from transitions t
             join checks c on c.id = t.check_id
             join observations o on o.id = t.observation_id
             where t.check_id = $1
             order by t.occurred_at, t.id"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, TransitionRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(check_id)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Transitions of all checks, newest first, filtered; with the total count.
    pub async fn timeline(
        &self,
        q: &TimelineQuery,
    ) -> Result<(Vec<TransitionRecord>, i64), StorageError> {
        // Filters touch `transitions` alone (checks through small subqueries), so counting
        // and paging walk one table and its time index; the page is joined afterwards.
        let filter = timeline_filter(q);
        let page = format!(
            "select {TRANSITION_COLUMNS}
             from transitions t
             join checks c on c.id = t.check_id
             join observations o on o.id = t.observation_id
             where t.id in (select t.id from transitions t where {filter}
                            order by t.occurred_at desc, t.id desc limit $8 offset $9)
             order by t.occurred_at desc, t.id desc"
        );
        let rows = on_pool!(self, pool => {
            bind_timeline_filter!(sqlx::query_as::<_, TransitionRecord>(sqlx::AssertSqlSafe(page).into_sql_str()), q)
                .bind(q.limit)
                .bind(q.offset)
                .fetch_all(pool)
                .await?
        });
        let total = match self.kept_timeline_counts(q).await? {
            Some((changes, first)) => match q.entries {
                TimelineEntries::All => changes + first,
                TimelineEntries::Changes => changes,
                TimelineEntries::FirstSightings => first,
            },
            None => on_pool!(self, pool => {
                let count = format!("select count(*) from transitions t where {filter}");
                bind_timeline_filter!(sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count).into_sql_str()), q)
                    .fetch_one(pool)
                    .await?
            }),
        };
        Ok((rows, total))
    }

    /// How many transitions the filters keep, whatever `q.entries` says: (changes, first
    /// sightings). A first sighting is a source's first observation of a check (no
    /// status before it); a change is every later transition.
    pub async fn timeline_counts(&self, q: &TimelineQuery) -> Result<(i64, i64), StorageError> {
        if let Some(kept) = self.kept_timeline_counts(q).await? {
            return Ok(kept);
        }
        self.timeline_counts_from_transitions(q).await
    }

    /// [`Store::timeline_counts`] from what every write keeps (`transition_counts`,
    /// migration 0018): one row per check and source kind, however many transitions. Only
    /// when the filters reach to now (no start, no transition after the end); `None`
    /// otherwise.
    async fn kept_timeline_counts(
        &self,
        q: &TimelineQuery,
    ) -> Result<Option<(i64, i64)>, StorageError> {
        let scope = timeline_scope(q);
        let sql = format!(
            "select $2 is null and $1 >= coalesce((select max(occurred_at) from transitions), $1),
                    cast(coalesce(sum(t.changes), 0) as bigint),
                    cast(coalesce(sum(t.first_sightings), 0) as bigint)
             from transition_counts t
             where {scope}"
        );
        let (reaches_now, changes, first): (bool, i64, i64) = on_pool!(self, pool => {
            bind_timeline_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str()), q)
                .fetch_one(pool)
                .await?
        });
        Ok(reaches_now.then_some((changes, first)))
    }

    /// [`Store::timeline_counts`] counted from the transitions themselves (any dates).
    pub async fn timeline_counts_from_transitions(
        &self,
        q: &TimelineQuery,
    ) -> Result<(i64, i64), StorageError> {
        let all = TimelineQuery {
            entries: TimelineEntries::All,
            ..q.clone()
        };
        let filter = timeline_filter(&all);
        let sql =
            format!("select count(t.from_status), count(*) from transitions t where {filter}");
        on_pool!(self, pool => {
            let (changes, total): (i64, i64) = bind_timeline_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str()), q)
                .fetch_one(pool)
                .await?;
            Ok((changes, total - changes))
        })
    }

    /// Every transition [`Store::timeline`] would page through (`limit` and `offset` are
    /// ignored), streamed row by row from the database in the given order: exports of
    /// any size in constant memory.
    pub fn timeline_stream<'a>(
        &'a self,
        q: &'a TimelineQuery,
        order: TimelineOrder,
    ) -> futures_util::stream::BoxStream<'a, Result<TransitionRecord, StorageError>> {
        use futures_util::StreamExt;
        let sql = timeline_stream_sql(q, order, TRANSITION_COLUMNS, true);
        on_pool!(self, pool => {
            bind_timeline_filter!(sqlx::query_as::<_, TransitionRecord>(sqlx::AssertSqlSafe(sql).into_sql_str()), q)
                .fetch(pool)
                .map(|r| r.map_err(StorageError::from))
                .boxed()
        })
    }

    /// A number that changes whenever anything pages read is written (catalog, history),
    /// by any process: what was computed from the data holds while it is the same.
    pub async fn data_version(&self) -> Result<i64, StorageError> {
        // PostgreSQL keeps it in slots that writers raise side by side (0036): their sum.
        let sql = match self.backend() {
            Backend::Sqlite => "select value from data_version where id = 1",
            Backend::Postgres => "select cast(sum(value) as bigint) from data_version",
        };
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(pool)
                .await?
        }))
    }

    /// The data version, the catalog's and the settled past's, with the database's clock,
    /// in one read: what pages keep their results under.
    pub async fn data_versions(&self) -> Result<Versions, StorageError> {
        // The database's clock: the one the triggers raising the past's version read. On
        // PostgreSQL the data's and the past's versions are sums of slots (0036).
        let sql = match self.backend() {
            Backend::Sqlite => {
                "select (select value from data_version where id = 1),
                        (select value from catalog_version where id = 1),
                        (select value from past_version where id = 1),
                        strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
            }
            Backend::Postgres => {
                "select (select cast(sum(value) as bigint) from data_version),
                        (select value from catalog_version where id = 1),
                        (select cast(sum(value) as bigint) from past_version),
                        clock_timestamp()"
            }
        };
        let (data, catalog, past, now) = on_pool!(self, pool => {
            sqlx::query_as::<_, (i64, i64, i64, DateTime<Utc>)>(sql)
                .fetch_one(pool)
                .await?
        });
        Ok(Versions {
            data,
            catalog,
            past,
            now,
        })
    }

    /// The time of the latest observation at or before `at`: every state as of `at`
    /// equals the state as of it (no row lies between), so results can be kept under it.
    /// On SQLite it may be a later instant at which repeats were unfolded or deleted
    /// (migration 0035 keeps repeats' instants once each): never later than `at`, so no
    /// row lies between it and `at` either.
    pub async fn latest_observation_at(
        &self,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        // Migration 0032: each form's latest by its index in time; on SQLite, repeats' by
        // their distinct instants (0035).
        let sql = if self.backend() == Backend::Postgres {
            let of_fetches = if self.fetch_repeats() {
                // A fetch's repeats are at its instant (0052).
                "union all select max(observed_at) from repeat_fetches where observed_at <= $1"
            } else {
                ""
            };
            format!(
                "select max(t) from (
                     select max(observed_at) as t from observations where observed_at <= $1
                     union all
                     select max(observed_at) from observation_repeats where observed_at <= $1
                     {of_fetches}) l"
            )
        } else {
            format!(
                "select max(t) from (
                     select max(observed_at) as t from observations where observed_at <= $1
                     union all
                     select {} from (select max(r.at) as m from repeat_instants r
                                     where r.at <= {}) l2) l",
                sqlite_text_of("l2.m"),
                sqlite_ns_of("$1")
            )
        };
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, Option<DateTime<Utc>>>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(at)
                .fetch_one(pool)
                .await?
        }))
    }

    /// The time of the latest transition at or before `at`: a timeline up to `at` equals
    /// the timeline up to it, so results can be kept under it.
    pub async fn latest_transition_at(
        &self,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        self.latest_at(
            "select max(occurred_at) from transitions where occurred_at <= $1",
            at,
        )
        .await
    }

    /// One `select max(time) … where time <= $1` over a time index.
    async fn latest_at(
        &self,
        sql: &'static str,
        at: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, Option<DateTime<Utc>>>(sql)
                .bind(at)
                .fetch_one(pool)
                .await?
        }))
    }

    /// What a current state of some checks is kept under ([`crate::storage::memo`]): the
    /// newest observation's time (a state as of any instant from it on is the current
    /// state) and each check's own version (migration 0031: raised by every write to one
    /// of its observations). Read before the state itself, so a state read afterwards is
    /// never older than the versions it is kept under.
    pub async fn current_versions(&self) -> Result<CurrentVersions, StorageError> {
        let newest_observation = on_pool!(self, pool => {
            // Every repeat counts (never failed, superseded nor retracted), so none is later
            // than its pair's current state (migration 0032).
            sqlx::query_scalar::<_, Option<DateTime<Utc>>>(
                "select max(t) from (select max(observed_at) as t from observations
                                     union all
                                     select max(observed_at) from current_states) l",
            )
            .fetch_one(pool)
            .await?
        });
        // One statement: both counts as of one instant (migration 0044: a repeat raises its
        // check's count of observations, not its version).
        let checks = on_pool!(self, pool => {
            sqlx::query_as::<_, (String, i64, i64)>(
                "select coalesce(v.check_id, c.check_id), coalesce(v.version, 0),
                        coalesce(c.observations, 0)
                 from check_versions v full join check_counts c on c.check_id = v.check_id",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(CurrentVersions {
            newest_observation,
            checks: checks
                .into_iter()
                .map(|(check, writes, observations)| {
                    (
                        check,
                        CheckVersion {
                            writes,
                            observations,
                        },
                    )
                })
                .collect(),
        })
    }

    /// The time of the first real (not simulated) observation, if any.
    pub async fn first_observation_at(&self) -> Result<Option<DateTime<Utc>>, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, Option<DateTime<Utc>>>(
                // A repeat is never earlier than its row, of the same kind (migration 0032).
                "select min(observed_at) from observations where source_kind <> 'simulated'",
            )
            .fetch_one(pool)
            .await?
        }))
    }

    /// Row counts, for health and load reports.
    pub async fn counts(&self) -> Result<Counts, StorageError> {
        on_pool!(self, pool => {
            let row = sqlx::query(if self.fetch_repeats() {
                "select (select count(*) from observations)
                          + (select count(*) from observation_repeats)
                          + (select coalesce(sum(cardinality(s.bases)), 0)::bigint
                             from repeat_fetches f join repeat_sets s on s.id = f.set_id)
                          as observations,
                        (select count(*) from transitions) as transitions,
                        (select count(*) from checks) as checks,
                        (select count(*) from platforms) as platforms"
            } else {
                "select (select count(*) from observations)
                          + (select count(*) from observation_repeats) as observations,
                        (select count(*) from transitions) as transitions,
                        (select count(*) from checks) as checks,
                        (select count(*) from platforms) as platforms"
            })
            .fetch_one(pool)
            .await?;
            Ok(Counts {
                observations: row.try_get("observations")?,
                transitions: row.try_get("transitions")?,
                checks: row.try_get("checks")?,
                platforms: row.try_get("platforms")?,
            })
        })
    }
}

const OBSERVATION_COLUMNS: &str = "o.id, o.check_id, o.observed_at, o.precision, o.status,
    o.source_kind, o.source_key, o.source_id, o.vantage, o.quote, o.note_en, o.note_zh,
    o.evidence, eb.body as evidence_body,
    coalesce(o.evidence_fetch, f.evidence_fetch) as evidence_fetch, o.catalog_key, o.recorded_at, o.pack_id, o.rule_version, o.confirmed,
    o.failure, coalesce(o.snapshot, f.snapshot) as snapshot, o.superseded_by, o.reclassifies, o.retracted_at, o.retraction_reason,
    s.publisher as source_publisher, s.title as source_title, s.url as source_url";

/// The timeline's filter over `transitions t` ($1 until, $2 since, $3 platform, $4 kind,
/// $5 include simulated, $6 source kind). Filters in use are spelt out as terms of their
/// own, so the planner can walk an index for them (`transitions_real` for real rows only,
/// `transitions_by_source_kind` for one source kind) instead of testing every row.
/// Every transition the filters keep, joined, in `order`; parameters `$1`…`$6` as in
/// [`timeline_filter`].
/// `columns` are [`TRANSITION_COLUMNS`], or [`TRANSITION_COLUMNS_UNJOINED`] without the
/// join on `checks` (`join_checks` false).
fn timeline_stream_sql(
    q: &TimelineQuery,
    order: TimelineOrder,
    columns: &str,
    join_checks: bool,
) -> String {
    let direction = match order {
        TimelineOrder::OldestFirst => "asc",
        TimelineOrder::NewestFirst => "desc",
    };
    // Joined per row through primary keys; ordered by the time index.
    let filter = timeline_filter(q);
    let checks = if join_checks {
        "join checks c on c.id = t.check_id"
    } else {
        ""
    };
    format!(
        "select {columns}
         from transitions t
         {checks}
         join observations o on o.id = t.observation_id
         where {filter}
         order by t.occurred_at {direction}, t.id {direction}"
    )
}

/// The timeline's filters over `transitions t`: `$1` until, `$2` since, `$3` platform,
/// `$4` kind, `$5` include simulated, `$6` source kind, `$7` check.
fn timeline_filter(q: &TimelineQuery) -> String {
    let mut f = String::from(
        "t.occurred_at <= $1
       and ($2 is null or t.occurred_at >= $2)
       and ",
    );
    f.push_str(&timeline_scope(q));
    f.push_str(match q.entries {
        TimelineEntries::All => "",
        TimelineEntries::Changes => "\n       and t.from_status is not null",
        TimelineEntries::FirstSightings => "\n       and t.from_status is null",
    });
    f
}

/// Which checks and source kinds the timeline's filters keep, over any `t` with
/// `check_id` and `source_kind` (`transitions`, or the counts kept of them): `$3`
/// platform, `$4` kind, `$5` include simulated, `$6` source kind, `$7` check.
fn timeline_scope(q: &TimelineQuery) -> String {
    let mut f = String::from(
        "($3 is null or t.check_id in (select id from checks where subject = $3 or object = $3))
       and ($4 is null or t.check_id in (select id from checks where kind = $4))
       and ($7 is null or t.check_id = $7)",
    );
    f.push_str(if q.include_simulated {
        "\n       and ($5 or t.source_kind <> 'simulated')"
    } else {
        "\n       and ($5 is not null and t.source_kind <> 'simulated')"
    });
    f.push_str(if q.source_kind.is_some() {
        "\n       and ($6 is not null and t.source_kind = $6)"
    } else {
        "\n       and ($6 is null or t.source_kind = $6)"
    });
    f
}

const TRANSITION_COLUMNS: &str = "t.id, t.check_id, t.source_key, t.observation_id,
    t.occurred_at, t.from_status, t.to_status, t.source_kind, o.source_id, o.precision,
    c.kind, c.subject, c.object";
/// [`TRANSITION_COLUMNS`] but the check's (kind, subject, object): read from `checks` once.
const TRANSITION_COLUMNS_UNJOINED: &str = "t.id, t.check_id, t.source_key, t.observation_id,
    t.occurred_at, t.from_status, t.to_status, t.source_kind, o.source_id, o.precision";

const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "probes",
        include_str!("../../migrations/sqlite/0002_probes.sql"),
    ),
    (
        3,
        "real indexes",
        include_str!("../../migrations/sqlite/0003_real_indexes.sql"),
    ),
    (
        4,
        "data version",
        include_str!("../../migrations/sqlite/0004_data_version.sql"),
    ),
    (
        5,
        "missed slots",
        include_str!("../../migrations/sqlite/0005_missed_slots.sql"),
    ),
    (
        6,
        "accounts",
        include_str!("../../migrations/sqlite/0006_accounts.sql"),
    ),
    (
        7,
        "submissions",
        include_str!("../../migrations/sqlite/0007_submissions.sql"),
    ),
    (
        8,
        "review",
        include_str!("../../migrations/sqlite/0008_review.sql"),
    ),
    (
        9,
        "retractions",
        include_str!("../../migrations/sqlite/0009_retractions.sql"),
    ),
    (
        10,
        "api tokens",
        include_str!("../../migrations/sqlite/0010_api_tokens.sql"),
    ),
    (
        11,
        "fleet",
        include_str!("../../migrations/sqlite/0011_fleet.sql"),
    ),
    (
        12,
        "vantage points",
        include_str!("../../migrations/sqlite/0012_vantage_points.sql"),
    ),
    (
        13,
        "webhooks",
        include_str!("../../migrations/sqlite/0013_webhooks.sql"),
    ),
    (
        15,
        "evidence stored once",
        include_str!("../../migrations/sqlite/0015_evidence_once.sql"),
    ),
    (
        17,
        "snapshot deltas",
        include_str!("../../migrations/sqlite/0017_snapshot_deltas.sql"),
    ),
    (
        18,
        "read model",
        include_str!("../../migrations/sqlite/0018_read_model.sql"),
    ),
    (
        19,
        "current state",
        include_str!("../../migrations/sqlite/0019_current_state.sql"),
    ),
    (
        22,
        "probed pairs",
        include_str!("../../migrations/sqlite/0022_probed_pairs.sql"),
    ),
    (
        23,
        "transitions by check and time",
        include_str!("../../migrations/sqlite/0023_transitions_by_check_time.sql"),
    ),
    (
        25,
        "past version",
        include_str!("../../migrations/sqlite/0025_past_version.sql"),
    ),
    (
        26,
        "fetches",
        include_str!("../../migrations/sqlite/0026_fetches.sql"),
    ),
    (
        27,
        "run keys",
        include_str!("../../migrations/sqlite/0027_run_keys.sql"),
    ),
    (
        28,
        "run key index partial",
        include_str!("../../migrations/sqlite/0028_run_key_index_partial.sql"),
    ),
    (
        29,
        "past version raised by transitions",
        include_str!("../../migrations/sqlite/0029_past_version_transitions.sql"),
    ),
    (
        31,
        "check versions",
        include_str!("../../migrations/sqlite/0031_check_versions.sql"),
    ),
    (
        32,
        "observation repeats",
        include_str!("../../migrations/sqlite/0032_observation_repeats.sql"),
    ),
    (
        34,
        "transitions raise check versions",
        include_str!("../../migrations/sqlite/0034_transition_check_versions.sql"),
    ),
    (
        35,
        "repeat instants",
        include_str!("../../migrations/sqlite/0035_repeat_instants.sql"),
    ),
    (
        38,
        "probe days",
        include_str!("../../migrations/sqlite/0038_probe_days.sql"),
    ),
    (
        39,
        "repeat evidence now",
        include_str!("../../migrations/sqlite/0039_repeat_evidence_now.sql"),
    ),
    (
        40,
        "snapshot numbers",
        include_str!("../../migrations/sqlite/0040_snapshot_numbers.sql"),
    ),
    (
        42,
        "repeat upkeep per batch",
        include_str!("../../migrations/sqlite/0042_repeat_upkeep_per_batch.sql"),
    ),
    (
        43,
        "repeat upkeep in one trigger",
        include_str!("../../migrations/sqlite/0043_repeat_upkeep_one_trigger.sql"),
    ),
    (
        44,
        "current state seek in two seeks",
        include_str!("../../migrations/sqlite/0044_current_state_seek_in_two_seeks.sql"),
    ),
    (
        45,
        "repeat written out keeps evidence",
        include_str!("../../migrations/sqlite/0045_repeat_written_out_keeps_evidence.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "probes",
        include_str!("../../migrations/postgres/0002_probes.sql"),
    ),
    (
        3,
        "real indexes",
        include_str!("../../migrations/postgres/0003_real_indexes.sql"),
    ),
    (
        4,
        "data version",
        include_str!("../../migrations/postgres/0004_data_version.sql"),
    ),
    (
        5,
        "missed slots",
        include_str!("../../migrations/postgres/0005_missed_slots.sql"),
    ),
    (
        6,
        "accounts",
        include_str!("../../migrations/postgres/0006_accounts.sql"),
    ),
    (
        7,
        "submissions",
        include_str!("../../migrations/postgres/0007_submissions.sql"),
    ),
    (
        8,
        "review",
        include_str!("../../migrations/postgres/0008_review.sql"),
    ),
    (
        9,
        "retractions",
        include_str!("../../migrations/postgres/0009_retractions.sql"),
    ),
    (
        10,
        "api tokens",
        include_str!("../../migrations/postgres/0010_api_tokens.sql"),
    ),
    (
        11,
        "fleet",
        include_str!("../../migrations/postgres/0011_fleet.sql"),
    ),
    (
        12,
        "vantage points",
        include_str!("../../migrations/postgres/0012_vantage_points.sql"),
    ),
    (
        13,
        "webhooks",
        include_str!("../../migrations/postgres/0013_webhooks.sql"),
    ),
    (
        14,
        "commit time data version",
        include_str!("../../migrations/postgres/0014_commit_time_data_version.sql"),
    ),
    (
        15,
        "evidence stored once",
        include_str!("../../migrations/postgres/0015_evidence_once.sql"),
    ),
    (
        17,
        "snapshot deltas",
        include_str!("../../migrations/postgres/0017_snapshot_deltas.sql"),
    ),
    (
        18,
        "read model",
        include_str!("../../migrations/postgres/0018_read_model.sql"),
    ),
    (
        19,
        "current state",
        include_str!("../../migrations/postgres/0019_current_state.sql"),
    ),
    (
        21,
        "statement triggers",
        include_str!("../../migrations/postgres/0021_statement_triggers.sql"),
    ),
    (
        22,
        "probed pairs",
        include_str!("../../migrations/postgres/0022_probed_pairs.sql"),
    ),
    (
        23,
        "transitions by check and time",
        include_str!("../../migrations/postgres/0023_transitions_by_check_time.sql"),
    ),
    (
        25,
        "past version",
        include_str!("../../migrations/postgres/0025_past_version.sql"),
    ),
    (
        26,
        "fetches",
        include_str!("../../migrations/postgres/0026_fetches.sql"),
    ),
    (
        27,
        "run keys",
        include_str!("../../migrations/postgres/0027_run_keys.sql"),
    ),
    (
        29,
        "past version raised by transitions",
        include_str!("../../migrations/postgres/0029_past_version_transitions.sql"),
    ),
    (
        31,
        "check versions",
        include_str!("../../migrations/postgres/0031_check_versions.sql"),
    ),
    (
        32,
        "observation repeats",
        include_str!("../../migrations/postgres/0032_observation_repeats.sql"),
    ),
    (
        33,
        "null-free indexes",
        include_str!("../../migrations/postgres/0033_null_free_indexes.sql"),
    ),
    (
        34,
        "transitions raise check versions",
        include_str!("../../migrations/postgres/0034_transition_check_versions.sql"),
    ),
    (
        36,
        "version slots",
        include_str!("../../migrations/postgres/0036_version_slots.sql"),
    ),
    (
        37,
        "analyze sooner",
        include_str!("../../migrations/postgres/0037_analyze_sooner.sql"),
    ),
    (
        38,
        "probe days",
        include_str!("../../migrations/postgres/0038_probe_days.sql"),
    ),
    (
        41,
        "repeat partitions",
        include_str!("../../migrations/postgres/0041_repeat_partitions.sql"),
    ),
    (
        44,
        "repeat upkeep once",
        include_str!("../../migrations/postgres/0044_repeat_upkeep_once.sql"),
    ),
    (
        45,
        "corrections wait for writers",
        include_str!("../../migrations/postgres/0045_corrections_wait_for_writers.sql"),
    ),
    (
        46,
        "repeat upkeep from the batch",
        include_str!("../../migrations/postgres/0046_repeat_upkeep_from_the_batch.sql"),
    ),
    (
        47,
        "transitions by pair",
        include_str!("../../migrations/postgres/0047_transitions_by_pair.sql"),
    ),
    (
        48,
        "current state seek in two seeks",
        include_str!("../../migrations/postgres/0048_current_state_seek_in_two_seeks.sql"),
    ),
    (
        49,
        "repeats deleted once per statement",
        include_str!("../../migrations/postgres/0049_repeats_deleted_once_per_statement.sql"),
    ),
    (
        50,
        "repeat evidence from the batch",
        include_str!("../../migrations/postgres/0050_repeat_evidence_from_the_batch.sql"),
    ),
    (
        51,
        "slimmer repeat indexes",
        include_str!("../../migrations/postgres/0051_slimmer_repeat_indexes.sql"),
    ),
    (
        52,
        "repeats by fetch",
        include_str!("../../migrations/postgres/0052_repeats_by_fetch.sql"),
    ),
    (
        53,
        "changes partitioned",
        include_str!("../../migrations/postgres/0053_changes_partitioned.sql"),
    ),
];

/// Migrations are compiled into the binary: a released `hutong` needs no files beside it.
fn migrator(list: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        list.iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    // sqlx's own mark of a file run outside the migrator's transaction
                    // (one that makes its own, as SQLite's 0040).
                    sql.starts_with("-- no-transaction"),
                )
            })
            .collect(),
    )
}

/// What [`Store::data_versions`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Versions {
    /// Raised by every write pages read (0004).
    pub data: i64,
    /// Raised by catalog writes only (0018).
    pub catalog: i64,
    /// Raised by writes that touch an observation more than a day before the write's own
    /// time, or move or remove a pair of check and source (0025), or write a transition
    /// dated more than a day before (0029: a change confirmed late); probes storing what
    /// they see now leave it alone.
    pub past: i64,
    /// The database's clock: the one the triggers raising `past` read.
    pub now: DateTime<Utc>,
}

/// What [`Store::current_versions`] reads.
#[derive(Debug, Clone, Default)]
pub struct CurrentVersions {
    /// The newest observation's time, of any check (`None`: no observation).
    pub newest_observation: Option<DateTime<Utc>>,
    /// Each check's own version; a check without one has never been written.
    pub checks: std::collections::HashMap<String, CheckVersion>,
}

/// A check's own version: its count of writes (`check_versions`, migrations 0031 and 0034:
/// raised by every write to one of its observations or transitions but storing a repeat)
/// and its count of observations (`check_counts`, which storing a repeat raises: migration
/// 0044 on PostgreSQL, the batch's repeat upkeep on SQLite). Only writes that raise the
/// first leave the second lower, so the pair, compared in order, grows with every write and
/// never comes back; so does a sum of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CheckVersion {
    pub writes: i64,
    pub observations: i64,
}

impl std::iter::Sum for CheckVersion {
    fn sum<I: Iterator<Item = CheckVersion>>(iter: I) -> CheckVersion {
        iter.fold(CheckVersion::default(), |a, b| CheckVersion {
            writes: a.writes + b.writes,
            observations: a.observations + b.observations,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct StateFilter {
    pub kind: Option<String>,
    pub check: Option<String>,
    pub include_simulated: bool,
}

#[derive(Debug, Clone)]
pub struct TimelineQuery {
    /// Transitions at or before this instant.
    pub until: DateTime<Utc>,
    /// And at or after this one, when given (`?from=`).
    pub since: Option<DateTime<Utc>>,
    pub platform: Option<String>,
    pub kind: Option<String>,
    pub source_kind: Option<SourceKind>,
    pub include_simulated: bool,
    /// One check only, when given (`?check=`).
    pub check: Option<String>,
    /// Changes, first sightings, or both.
    pub entries: TimelineEntries,
    pub limit: i64,
    pub offset: i64,
}

/// Which transitions a timeline keeps: a source's first sighting of a check says what it
/// found, not that anything changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TimelineEntries {
    /// Both (what every export meant before the distinction existed).
    #[default]
    All,
    /// Transitions from one status to another.
    Changes,
    /// A source's first observation of a check.
    FirstSightings,
}

/// The order a timeline is streamed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimelineOrder {
    OldestFirst,
    NewestFirst,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub observations: i64,
    pub transitions: i64,
    pub checks: i64,
    pub platforms: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bundled SQLite is built as `.cargo/config.toml` asks: a statement is planned once
    /// for any bound value (no re-preparing on every execution), and a connection maps the
    /// whole file, not its first 2 GiB.
    #[tokio::test]
    async fn sqlite_plans_a_statement_once_and_maps_the_whole_file() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url, 1).await.expect("store");
        let Db::Sqlite(pool) = &store.db else {
            panic!("not SQLite")
        };
        let options: Vec<String> =
            sqlx::query_scalar("select compile_options from pragma_compile_options")
                .fetch_all(pool)
                .await
                .expect("compile options");
        assert!(
            options.iter().any(|o| o == "ENABLE_QPSG"),
            "SQLite built without ENABLE_QPSG: {options:?}"
        );
        let mapped: i64 = sqlx::query_scalar("pragma mmap_size")
            .fetch_one(pool)
            .await
            .expect("mmap_size");
        assert_eq!(mapped, SQLITE_MMAP_BYTES, "SQLite capped the map");
        store.close().await;
    }

    /// Batches are written through a connection of the store's own that reads the file
    /// without the map (every page touched through it stays in the process's resident
    /// memory); the pool's connections keep the map and read what the writer wrote.
    #[tokio::test]
    async fn sqlite_batches_go_through_a_writer_that_reads_without_the_map() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url, 2).await.expect("store");
        let catalog = crate::catalog::load_dir(std::path::Path::new("catalog")).expect("catalog");
        store.apply_catalog(&catalog).await.expect("catalog loads");
        let (Db::Sqlite(pool), Some(writer)) = (&store.db, &store.sqlite_writer) else {
            panic!("a SQLite file store has a writer connection")
        };
        let map = |pool: &SqlitePool| {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, i64>("pragma mmap_size")
                    .fetch_one(&pool)
                    .await
                    .expect("mmap_size")
            }
        };
        assert_eq!(map(writer).await, SQLITE_WRITER_MMAP_BYTES);
        assert_eq!(map(pool).await, SQLITE_MMAP_BYTES);
        let cache: i64 = sqlx::query_scalar("pragma cache_size")
            .fetch_one(writer)
            .await
            .expect("cache_size");
        assert_eq!(
            cache, -SQLITE_WRITER_CACHE_KIB,
            "the writer's page cache, in KiB"
        );

        let mut new = crate::storage::evidence::tests::observation(None, None);
        new.check_id = "link.wechat.taobao".into();
        new.status = "open".into();
        let ids = store
            .insert_observations(&[new.clone()])
            .await
            .expect("written");
        let read = store
            .observation(ids[0])
            .await
            .expect("read")
            .expect("found");
        assert_eq!(
            (read.check_id.as_str(), read.status.as_str()),
            ("link.wechat.taobao", "open")
        );
        let stored = store.counts().await.expect("counts").observations;
        // With the writer gone, batches cannot be written (they do not fall back on the
        // pool); reading goes on.
        writer.close().await;
        let refused = store
            .insert_observations(&[new])
            .await
            .expect_err("no writer");
        assert!(refused.to_string().contains("closed"), "{refused}");
        assert_eq!(store.counts().await.expect("counts").observations, stored);
        store.close().await;
    }
}
