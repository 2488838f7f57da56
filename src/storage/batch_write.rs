//! Writing a batch of observations in a few statements (issue 15): many rows per INSERT,
//! the pairs' `check_sources` rows in one statement, and the transitions a batch adds
//! worked out in memory per (check, source) pair from the pair's current status and its
//! last few countable observations, with the same rule as [`super::after_write_in`]
//! applied row after row. What is stored is exactly what writing the rows one at a time
//! stores (a storage story compares both on both databases):
//!
//! - a pair whose rows all come after everything it already has (and after each other)
//!   gets its transitions from the in-memory rule;
//! - a pair with a row that does not (a late report) is rebuilt from its observations,
//!   once, after the batch is written, as writing that row alone would have done;
//! - a pair that is both late and changes its confirmations inside the batch (no caller
//!   does that) makes the whole batch go row by row, the old way.
//!
//! The read-model triggers (evidence times, counts, current states, data version) fire as
//! before: row triggers on SQLite; on PostgreSQL, statement triggers reading each
//! INSERT's rows at once (migration 0021).
//!
//! Repeats stored thin (migration 0032): a probe verdict that shows exactly what its pair's
//! newest row shows ([`Shown`]: every column but its instants, its fetch and its run key;
//! that row neither failed, superseded, retracted, a reclassification nor a catalog fact)
//! is written as a row of `observation_repeats` naming that row's base, not as a row of
//! `observations` with its seven index entries. Ids are taken for the batch's rows from
//! the observations' numbering when any row is a repeat, in the order whole rows are
//! numbered in ([`id_order`]: on PostgreSQL each fetch's verdicts together, so they can be
//! kept as one row later; on SQLite batch order), so ids are what writing whole rows gives.
//! `observations_all` shows every observation as before and is what readers read; a run's
//! check is refused twice across rows and repeats here (the unique index of 0027 sees rows
//! only; on PostgreSQL under a lock per run key); a transition that would start at a repeat
//! writes the repeat out whole first (its foreign key names a row). Only a row not earlier
//! than its pair's newest is folded, and a late row is never a base, so a base's repeats
//! lie between it and its pair's next row (what the readers' seeks in time order rest on).
//! A repeat names its check by number (`check_numbers`), given here to a check its first
//! time.

use chrono::{DateTime, Utc};

use crate::domain::NewObservation;
use crate::storage::StorageError;

/// Observations per INSERT: 24 parameters each, within SQLite's 32,766 and PostgreSQL's
/// 65,535.
pub(crate) const OBSERVATIONS_PER_STATEMENT: usize = 1_000;
/// Transitions per INSERT (7 parameters each).
pub(crate) const TRANSITIONS_PER_STATEMENT: usize = 1_000;

/// One row of a batch, as the transition rule sees it.
#[derive(Debug, Clone)]
pub(crate) struct RowFacts<'a> {
    /// Index of the row's (check, source) pair.
    pub pair: usize,
    pub at: DateTime<Utc>,
    /// The id the row was given.
    pub id: i64,
    pub status: &'a str,
    /// The confirmations this row asks for (at least 1).
    pub n: usize,
    /// Not a failed probe: failures observed nothing and never count.
    pub counted: bool,
}

/// What a pair had before the batch.
#[derive(Debug, Clone, Default)]
pub(crate) struct PairFacts {
    /// Its newest observation of any kind: (observed_at, id).
    pub latest: Option<(DateTime<Utc>, i64)>,
    /// The status of its latest transition.
    pub current: Option<String>,
    /// Its newest countable observations (not failed, superseded nor retracted), oldest
    /// first: as many as the rule can look back over (confirmations − 1), or none when no
    /// row of the batch can change the pair's status.
    pub recent: Vec<(i64, String)>,
}

/// What a batch reads of one pair before writing it (or takes from what an earlier batch
/// left it at, `kept_pairs`).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct PairLook {
    /// Its newest observation of any kind, kept current state included: (observed_at, id).
    pub latest: Option<(DateTime<Utc>, i64)>,
    /// The status of its latest transition.
    pub current: Option<String>,
    /// Its newest row and what it shows, when a verdict may repeat it.
    pub newest: Option<(i64, Shown)>,
}

/// The observation a transition is dated at: a row of the batch or one stored before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum First {
    Batch(usize),
    Stored(i64),
}

/// A transition to add: its first observation and the status it changes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedTransition {
    /// The row of the batch whose writing completes the change.
    pub row: usize,
    pub first: First,
    pub from: Option<String>,
}

/// The transitions a batch adds (in the order writing the rows one at a time adds them)
/// and the pairs to rebuild instead.
#[derive(Debug, Default)]
pub(crate) struct TransitionPlan {
    pub transitions: Vec<PlannedTransition>,
    pub rebuild: Vec<usize>,
}

/// The rows as the rule sees them; `ids` once they have some.
pub(crate) fn row_facts<'a>(
    rows: &[&'a crate::domain::NewObservation],
    row_pair: &[usize],
    confirmations: &[i64],
    ids: Option<&[i64]>,
) -> Vec<RowFacts<'a>> {
    rows.iter()
        .enumerate()
        .map(|(i, o)| RowFacts {
            pair: row_pair[i],
            at: o.observed_at,
            id: ids.map_or(0, |ids| ids[i]),
            status: o.status.as_str(),
            n: usize::try_from(confirmations[i]).unwrap_or(1),
            counted: o.probe.as_ref().is_none_or(|p| p.failure.is_none()),
        })
        .collect()
}

/// Whether pair `p` has a counted row with an observation after it when written: the
/// pair's newest row before the batch or an earlier row of the batch, compared by
/// (observed_at, id), which is when [`super::after_write_in`] rebuilds.
pub(crate) fn late_pairs(rows: &[RowFacts], pairs: &[PairFacts]) -> Vec<bool> {
    let mut newest: Vec<Option<(DateTime<Utc>, i64)>> = pairs.iter().map(|p| p.latest).collect();
    let mut late = vec![false; pairs.len()];
    for r in rows {
        let key = (r.at, r.id);
        if r.counted && newest[r.pair].is_some_and(|n| n > key) {
            late[r.pair] = true;
        }
        if newest[r.pair].is_none_or(|n| n < key) {
            newest[r.pair] = Some(key);
        }
    }
    late
}

/// Before the rows have ids: the pairs that may turn out late (an equal instant counts,
/// as the stored row's id may be the larger).
pub(crate) fn maybe_late_pairs(rows: &[RowFacts], pairs: &[PairFacts]) -> Vec<bool> {
    let mut newest: Vec<Option<DateTime<Utc>>> =
        pairs.iter().map(|p| p.latest.map(|l| l.0)).collect();
    let mut late = vec![false; pairs.len()];
    for r in rows {
        if r.counted && newest[r.pair].is_some_and(|n| n >= r.at) {
            late[r.pair] = true;
        }
        if newest[r.pair].is_none_or(|n| n < r.at) {
            newest[r.pair] = Some(r.at);
        }
    }
    late
}

/// The rule of [`super::after_write_in`] applied to each row in turn, in memory: a row
/// whose status differs from its pair's current one completes a change when it and the
/// `n − 1` countable observations before it agree; the change is dated at the first of
/// them. Late pairs are left to a rebuild.
pub(crate) fn plan_transitions(rows: &[RowFacts], pairs: &[PairFacts]) -> TransitionPlan {
    let late = late_pairs(rows, pairs);
    let mut current: Vec<Option<String>> = pairs.iter().map(|p| p.current.clone()).collect();
    let mut tail: Vec<Vec<(First, &str)>> = pairs
        .iter()
        .map(|p| {
            p.recent
                .iter()
                .map(|(id, s)| (First::Stored(*id), s.as_str()))
                .collect()
        })
        .collect();
    let mut plan = TransitionPlan::default();
    for (i, r) in rows.iter().enumerate() {
        if late[r.pair] || !r.counted {
            continue;
        }
        let t = &mut tail[r.pair];
        t.push((First::Batch(i), r.status));
        if current[r.pair].as_deref() == Some(r.status) {
            continue;
        }
        let n = r.n.max(1);
        if t.len() >= n && t[t.len() - n..].iter().all(|(_, s)| *s == r.status) {
            plan.transitions.push(PlannedTransition {
                row: i,
                first: t[t.len() - n].0,
                from: current[r.pair].take(),
            });
            current[r.pair] = Some(r.status.to_string());
        }
    }
    plan.rebuild = (0..pairs.len()).filter(|&p| late[p]).collect();
    plan
}

/// PostgreSQL: inside `$tx`, a transaction's advisory lock in `$namespace` for each
/// distinct two-part key of `$list` (a JSON array of `[first, second]`), held until the
/// commit; taken in the order of their hashes, the same whoever takes them, so two writers
/// wanting some of the same keys wait for each other, never each for the other.
macro_rules! lock_each_in {
    ($tx:expr, $namespace:expr, $list:expr) => {
        sqlx::query(
            "select pg_advisory_xact_lock(hashtext($2), x.h)
             from (select distinct hashtext((p.v->>0) || ' ' || (p.v->>1)) as h
                   from jsonb_array_elements($1::jsonb) p(v) order by 1) x",
        )
        .bind($list)
        .bind($namespace)
        .fetch_all(&mut *$tx)
        .await?
    };
}
pub(crate) use lock_each_in;

/// Writes `$rows` (`&[&NewObservation]`, storable and validated) inside `$tx`
/// with their evidence (`$evidence[i]`: the stored body's id and the fetch's own part),
/// keeping `check_sources` (unless `$upsert_sources` is false: the caller wrote them) and
/// `transitions`; evaluates to the rows' ids, in the given order. The pairs found in
/// `$kept` (`Option<&mut BatchPairs>` of `kept_pairs`, SQLite: what earlier batches left them
/// at, known by the caller to still hold) are taken from there instead of read, and the
/// looks of the pairs the batch leaves known without reading are handed back to it.
macro_rules! insert_batch_in {
    ($tx:ident, $rows:expr, $evidence:expr, $upsert_sources:expr, $postgres:expr, $fetches:expr,
     $thin:expr, $numbers:expr, $run_keys:expr, $fresh_numbers:ident, $kept:expr) => {{
        use $crate::storage::batch_write::{
            First, OBSERVATIONS_PER_STATEMENT,
            PairFacts, TRANSITIONS_PER_STATEMENT,
        };
        use $crate::storage::batch_statements::values_sql;
        let rows: &[&$crate::domain::NewObservation] = $rows;
        let evidence: &[Option<(i64, Option<String>)>] = $evidence;
        let upsert_sources: bool = $upsert_sources;
        let postgres: bool = $postgres;
        // PostgreSQL since 0052: repeats of fetches are read too.
        let fetches: bool = $fetches;
        let keys: Vec<String> = rows.iter().map(|o| o.source_key()).collect();
        let confirmations: Vec<i64> = rows
            .iter()
            .map(|o| i64::from(o.probe.as_ref().map_or(1, |p| p.confirmations.max(1))))
            .collect();
        // The pairs, in the order first seen, and each row's pair.
        let mut pair_of: std::collections::HashMap<(&str, &str), usize> =
            std::collections::HashMap::new();
        let mut pair_keys: Vec<(&str, &str)> = Vec::new();
        let mut row_pair = Vec::with_capacity(rows.len());
        for (o, k) in rows.iter().zip(&keys) {
            let key = (o.check_id.as_str(), k.as_str());
            let p = *pair_of.entry(key).or_insert_with(|| {
                pair_keys.push(key);
                pair_keys.len() - 1
            });
            row_pair.push(p);
        }
        // What each pair had: its newest row and its current status.
        let mut pairs: Vec<PairFacts> = vec![PairFacts::default(); pair_keys.len()];
        // One statement of constant text for all pairs (given as one JSON array), planned
        // once per connection. PostgreSQL: a statement of a subquery per pair took longer to
        // plan than to run (about 0.8 s for 300 pairs, then 60 ms to run). SQLite: such a
        // statement kept a cursor open per subquery (900 for 300 pairs), and SQLite walks
        // every open cursor of the connection each time it opens or closes one: about 20 ms
        // a statement, a third of a batch of 1,000 rows; here three cursors serve every pair.
        type PairRow = (
            i64,
            Option<chrono::DateTime<chrono::Utc>>,
            Option<i64>,
            Option<String>,
            Option<chrono::DateTime<chrono::Utc>>,
            Option<i64>,
        );
        // Pairs kept from earlier batches (SQLite, `kept_pairs`) are not read.
        // `Option<&mut BatchPairs>`.
        let mut batch_pairs = $kept;
        let mut looks: Vec<Option<$crate::storage::batch_write::PairLook>> =
            vec![None; pair_keys.len()];
        if let Some(batch_pairs) = batch_pairs.as_deref_mut() {
            for (look, (check, source)) in looks.iter_mut().zip(&pair_keys) {
                *look = batch_pairs.take(check, source);
            }
        }
        let asked: Vec<usize> = (0..pair_keys.len()).filter(|&p| looks[p].is_none()).collect();
        let list = if asked.len() == pair_keys.len() {
            serde_json::to_string(&pair_keys)
        } else {
            serde_json::to_string(&asked.iter().map(|&p| pair_keys[p]).collect::<Vec<_>>())
        }
        .map_err(|e| $crate::storage::StorageError::Invalid(format!("pairs as JSON: {e}")))?;
        let pair_sql = if postgres {
            // With what the pair's newest row shows when a verdict may repeat it. That row is
            // the base of the pair's newest observation whenever that is a repeat: a base's
            // repeats lie between it and its pair's next row of any kind (migration 0032), so
            // the newest repeat's base is the newest row. Read here, the base costs no
            // statement of its own, nor a seek of the repeat in each partition of
            // `observation_repeats` (about a seventh of the server's time in a PostgreSQL
            // cashier run), nor a second seek of the newest row (read whole by the first).
            // The newest row sought by the pair's index alone (the row comparisons, as the
            // current state's seek since migration 0044): on a fresh 10 M PostgreSQL seed
            // the planner once sought a new pair through the check's time index instead,
            // filtering every row of the check: one call took 30.5 s.
            "select p.k - 1, l.observed_at, l.id, t.to_status, c.observed_at, c.observation_id,
                 b.precision, b.status, b.source_kind, b.source_id, b.vantage, b.quote,
                 b.note_en, b.note_zh, b.evidence_id, b.pack_id, cast(b.rule_version as bigint),
                 b.confirmed
             from jsonb_array_elements($1::jsonb) with ordinality as p(v, k)
             left join lateral (select o.observed_at, o.id, o.precision, o.status,
                     o.source_kind, o.source_id, o.vantage, o.quote, o.note_en, o.note_zh,
                     o.evidence_id, o.pack_id, o.rule_version, o.confirmed,
                     o.failure is null and o.superseded_by is null and o.retracted_at is null
                     and o.catalog_key is null and o.reclassifies is null and o.evidence is null
                     and o.evidence_id is not null and o.pack_id is not null
                     and o.rule_version is not null and o.confirmed is not null as repeatable
                 from observations o
                 where (o.check_id, o.source_key, o.observed_at)
                           <= (p.v->>0, p.v->>1, 'infinity'::timestamptz)
                   and (o.check_id, o.source_key, o.observed_at)
                           >= (p.v->>0, p.v->>1, '-infinity'::timestamptz)
                 order by o.check_id desc, o.source_key desc, o.observed_at desc, o.id desc
                 limit 1) l on true
             left join lateral (select t.to_status from transitions t
                 where t.check_id = p.v->>0 and t.source_key = p.v->>1
                 order by t.occurred_at desc, t.id desc limit 1) t on true
             left join lateral (select c.observed_at, c.observation_id from current_states c
                 where c.check_id = p.v->>0 and c.source_key = p.v->>1 limit 1) c on true
             left join lateral (select l.precision, l.status, l.source_kind, l.source_id,
                     l.vantage, l.quote, l.note_en, l.note_zh, l.evidence_id, l.pack_id,
                     l.rule_version, l.confirmed
                 where l.repeatable) b on true"
        } else {
            // The pair's newest row of any kind, and its kept current state: every repeat
            // counts, so the newest repeat is no later than that (migration 0032); the
            // later of the two is the pair's newest observation. With what the newest row
            // shows when a verdict may repeat it (its status only then), read by the same
            // seek, as on PostgreSQL: a statement of its own for it took about a tenth of
            // a SQLite cashier run's statement time.
            // The pairs' keys taken out of the JSON once (`materialized`), not once per
            // seek: about 12% of this statement's time (the sqlite3 shell, 256 pairs).
            "with p(key, c, s) as materialized (select key, value->>0, value->>1 from json_each($1))
             select p.key, l.observed_at, l.id,
                 (select t.to_status from transitions t
                  where t.check_id = p.c and t.source_key = p.s
                  order by t.occurred_at desc, t.id desc limit 1),
                 k.observed_at, k.observation_id,
                 l.precision,
                 case when l.failure is null and l.superseded_by is null
                     and l.retracted_at is null and l.catalog_key is null
                     and l.reclassifies is null and l.evidence is null
                     and l.evidence_id is not null and l.pack_id is not null
                     and l.rule_version is not null and l.confirmed is not null
                     then l.status end,
                 l.source_kind, l.source_id, l.vantage, l.quote, l.note_en, l.note_zh,
                 l.evidence_id, l.pack_id, cast(l.rule_version as bigint), l.confirmed
             from p
             left join observations l on l.id = (select o.id from observations o
                 where o.check_id = p.c and o.source_key = p.s
                 order by o.observed_at desc, o.id desc limit 1)
             left join current_states k on k.check_id = p.c and k.source_key = p.s"
        };
        if postgres && upsert_sources {
            // PostgreSQL: writers of one pair one at a time from here to the commit (a
            // transaction's advisory lock per pair, taken in one order whoever writes), so
            // what is read next includes every batch of the pair committed before: two
            // writers each reading the pair without the other's rows would each decide its
            // changes from an old status. Probes' batches lock their pairs before this
            // (their `check_sources` first); SQLite writes one transaction at a time.
            $crate::storage::batch_write::lock_each_in!($tx, "hutong pair", &list);
        }
        let got = if asked.is_empty() {
            Vec::new()
        } else {
            sqlx::query(pair_sql)
                .bind(list)
                .fetch_all(&mut *$tx)
                .await?
        };
        for row in got {
            use sqlx::Row;
            let (k, at, id, current, kept_at, kept_id): PairRow = (
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
                row.try_get(4)?,
                row.try_get(5)?,
            );
            let p = usize::try_from(k)
                .ok()
                .and_then(|k| asked.get(k).copied())
                .ok_or_else(|| {
                    $crate::storage::StorageError::Invalid(format!("pair {k} came back unasked"))
                })?;
            let newest = match (id, row.try_get::<Option<String>, _>(7)?) {
                (Some(id), Some(status)) => Some((id, $crate::storage::batch_write::Shown {
                    precision: row.try_get(6)?,
                    status,
                    source_kind: row.try_get(8)?,
                    source_id: row.try_get(9)?,
                    vantage: row.try_get(10)?,
                    quote: row.try_get(11)?,
                    note_en: row.try_get(12)?,
                    note_zh: row.try_get(13)?,
                    evidence_id: row.try_get(14)?,
                    pack_id: row.try_get(15)?,
                    rule_version: row.try_get(16)?,
                    confirmed: row.try_get(17)?,
                })),
                _ => None,
            };
            looks[p] = Some($crate::storage::batch_write::PairLook {
                latest: at.zip(id).max(kept_at.zip(kept_id)),
                current,
                newest,
            });
        }
        // Each pair's newest row with what it shows, when a verdict may repeat it; kept
        // aside for the pairs the batch may leave known (`kept_pairs`).
        let mut newest_rows: Vec<Option<(i64, $crate::storage::batch_write::Shown)>> =
            Vec::with_capacity(pair_keys.len());
        for (pair, look) in pairs.iter_mut().zip(looks) {
            let look = look.unwrap_or_default();
            pair.latest = look.latest;
            pair.current = look.current;
            newest_rows.push(look.newest);
        }
        let newest_kept: Vec<Option<(i64, $crate::storage::batch_write::Shown)>> =
            if batch_pairs.is_some() { newest_rows.clone() } else { Vec::new() };
        // A late pair whose confirmations change inside the batch: row by row, the old way.
        let maybe_late = $crate::storage::batch_write::maybe_late_pairs(
            &$crate::storage::batch_write::row_facts(rows, &row_pair, &confirmations, None),
            &pairs,
        );
        let mut first_n: Vec<Option<i64>> = vec![None; pair_keys.len()];
        let mut varying = false;
        for (i, &p) in row_pair.iter().enumerate() {
            match first_n[p] {
                None => first_n[p] = Some(confirmations[i]),
                Some(n) if n != confirmations[i] && maybe_late[p] => varying = true,
                Some(_) => {}
            }
        }
        if varying {
            let mut ids = Vec::with_capacity(rows.len());
            for (o, e) in rows.iter().zip(evidence) {
                ids.push($crate::storage::insert_observation_in!(@storable $tx, o, e.clone(), upsert_sources));
            }
            ids
        } else {
            if upsert_sources {
                // Each pair's confirmations as its last row leaves them, pairs in one
                // order (check, source) whoever writes, so concurrent writers lock alike.
                let mut last_n: Vec<i64> = vec![1; pair_keys.len()];
                for (i, &p) in row_pair.iter().enumerate() {
                    last_n[p] = confirmations[i];
                }
                let mut order: Vec<usize> = (0..pair_keys.len()).collect();
                order.sort_by(|&a, &b| pair_keys[a].cmp(&pair_keys[b]));
                let sources: Vec<(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>, i64)> = order
                    .iter()
                    .map(|&p| (pair_keys[p].0.into(), pair_keys[p].1.into(), last_n[p]))
                    .collect();
                $crate::storage::batch_statements::BatchStatements::upsert_check_sources(&mut *$tx, &sources)
                    .await?;
            }
            // The fetches: a probe's verdicts of one fetch share its own figures and its
            // snapshot, kept once in `fetches` (migration 0026) and named by each row. A
            // fetch only one row of the batch names keeps them in the row (a row of its
            // own would save nothing).
            use $crate::storage::batch_write::fetch_key;
            let mut named: std::collections::HashMap<(Option<&str>, Option<&str>), usize> =
                std::collections::HashMap::new();
            for (o, e) in rows.iter().zip(evidence) {
                if let Some(key) = fetch_key(o, e) {
                    *named.entry(key).or_default() += 1;
                }
            }
            let mut fetch_of: std::collections::HashMap<(Option<&str>, Option<&str>), usize> =
                std::collections::HashMap::new();
            let mut fetch_keys: Vec<(Option<&str>, Option<&str>)> = Vec::new();
            let row_fetch: Vec<Option<usize>> = rows
                .iter()
                .zip(evidence)
                .map(|(o, e)| {
                    let key = fetch_key(o, e).filter(|k| named.get(k).is_some_and(|&n| n > 1))?;
                    Some(*fetch_of.entry(key).or_insert_with(|| {
                        fetch_keys.push(key);
                        fetch_keys.len() - 1
                    }))
                })
                .collect();
            let fetch_ids: Vec<i64> =
                $crate::storage::batch_statements::BatchStatements::insert_fetches(&mut *$tx, &fetch_keys)
                    .await?;
            // The run parts of the rows' run keys, each kept once (migration 0027).
            let mut run_ids: std::collections::HashMap<&str, i64> =
                std::collections::HashMap::new();
            let row_run: Vec<Option<&str>> = rows
                .iter()
                .map(|o| {
                    o.probe
                        .as_ref()
                        .and_then(|p| p.run_key.as_deref())
                        .and_then(|k| $crate::storage::batch_write::run_part(k, &o.check_id))
                })
                .collect();
            let mut parts: Vec<&str> = row_run.iter().flatten().copied().collect();
            parts.sort_unstable();
            parts.dedup();
            // Those known to be stored (committed before this batch began) need no read.
            let known_runs: &quick_cache::sync::Cache<String, i64> = $run_keys;
            for part in parts {
                let id = match known_runs.get(part) {
                    Some(id) => id,
                    None => $crate::storage::batch_write::run_key_id_in!($tx, part),
                };
                run_ids.insert(part, id);
            }
            // Repeats stored thin (migration 0032): a row showing what its pair's newest row
            // shows is written as a repeat of that row's base.
            let shown: Vec<Option<$crate::storage::batch_write::Shown>> = rows
                .iter()
                .zip(evidence)
                .enumerate()
                .map(|(i, (o, e))| {
                    $crate::storage::batch_write::Shown::of_new(o, e, row_run[i].is_some())
                })
                .collect();
            // What each pair's newest row shows was read with the pairs (above).
            let pair_bases: Vec<Option<(First, $crate::storage::batch_write::Shown)>> = pairs
                .iter()
                .zip(newest_rows)
                .map(|(p, row)| {
                    p.latest?;
                    let (base, shown) = row?;
                    Some((First::Stored(base), shown))
                })
                .collect();
            let repeat_of = if $thin {
                let times: Vec<chrono::DateTime<chrono::Utc>> = rows.iter().map(|o| o.observed_at).collect();
                let latest: Vec<Option<chrono::DateTime<chrono::Utc>>> =
                    pairs.iter().map(|p| p.latest.map(|l| l.0)).collect();
                $crate::storage::batch_write::plan_repeats(&shown, &times, &row_pair, pair_bases, latest)
            } else {
                vec![None; rows.len()]
            };
            // A run's check once: a repeat's (run part, check) is in no other row, nor a
            // row's in a repeat (the unique index of 0027 sees rows only).
            $crate::storage::batch_write::refuse_run_checks_twice_in!($tx, rows, &row_run, &run_ids, $numbers);
            let mut ids: Vec<i64> = Vec::with_capacity(rows.len());
            let now = chrono::Utc::now();
            // What each row stores beyond its verdict: a probe row keeps its fetch's figures
            // and snapshot with its fetch, and its run key's run part once; any other row
            // keeps them in its own columns.
            let columns: Vec<$crate::storage::copy_write::ObservationColumns<'_>> = rows
                .iter()
                .enumerate()
                .map(|(i, new)| {
                    let e = evidence[i].as_ref();
                    let fetch = row_fetch[i].map(|f| fetch_ids[f]);
                    let own = fetch.is_none();
                    $crate::storage::copy_write::ObservationColumns {
                        new,
                        source_key: &keys[i],
                        evidence_id: e.map(|e| e.0),
                        evidence_fetch: e.and_then(|e| e.1.as_deref()).filter(|_| own),
                        snapshot: new
                            .probe
                            .as_ref()
                            .and_then(|p| p.snapshot.as_deref())
                            .filter(|_| own),
                        run_key: new
                            .probe
                            .as_ref()
                            .and_then(|p| p.run_key.as_deref())
                            .filter(|_| row_run[i].is_none()),
                        fetch_id: fetch,
                        run_key_id: row_run[i].map(|part| run_ids[part]),
                    }
                })
                .collect();
            // PostgreSQL: the order the rows take their ids in, each fetch's verdicts
            // numbered together (`id_order`); SQLite's one writer numbers rows as it inserts
            // them, in batch order.
            let id_order: Vec<usize> = if postgres {
                type FetchGroup<'r> = (usize, chrono::DateTime<chrono::Utc>, Option<&'r str>);
                let groups: Vec<Option<FetchGroup<'_>>> = rows
                    .iter()
                    .enumerate()
                    .map(|(i, o)| row_fetch[i].map(|f| (f, o.observed_at, row_run[i])))
                    .collect();
                $crate::storage::batch_write::id_order(&groups, &row_pair)
            } else {
                (0..rows.len()).collect()
            };
            let in_batch_order = id_order.iter().enumerate().all(|(j, &i)| i == j);
            let any_repeat = repeat_of.iter().any(Option::is_some);
            // PostgreSQL: one COPY for a batch of whole rows (`copy_write`), numbered in
            // `id_order`; the INSERTs below then have nothing left to write.
            let copied: Option<Vec<i64>> = if postgres && !any_repeat {
                $crate::storage::copy_write::CopyObservations::copy_observations(
                    &mut *$tx, &columns, &id_order, now,
                )
                .await?
            } else {
                None
            };
            if let Some(got) = copied {
                ids = got;
            } else if any_repeat || !in_batch_order {
                // Ids reserved, then given: to rows and repeats alike, and to whole rows
                // numbered in another order than they are written.
                let reserved = $crate::storage::batch_write::reserve_ids_in!($tx, rows.len(), postgres);
                ids = $crate::storage::copy_write::ids_in_order(&reserved, &id_order);
                let full: Vec<usize> = (0..rows.len()).filter(|&i| repeat_of[i].is_none()).collect();
                for chunk in full.chunks(OBSERVATIONS_PER_STATEMENT) {
                    let sql = values_sql(
                        &format!(
                            "insert into observations (id, {}) values ",
                            $crate::storage::copy_write::ROW_COLUMNS
                        ),
                        25,
                        chunk.len(),
                        postgres,
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str());
                    for &i in chunk {
                        q = $crate::storage::batch_write::bind_row_columns!(q.bind(ids[i]), &columns[i], now);
                    }
                    q.execute(&mut *$tx).await?;
                }
                let thin: Vec<(usize, First)> = repeat_of
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| r.map(|r| (i, r)))
                    .collect();
                // Each repeat's check by its number (`check_numbers`, migration 0032).
                let mut thin_checks: Vec<&str> =
                    thin.iter().map(|&(i, _)| rows[i].check_id.as_str()).collect();
                thin_checks.sort_unstable();
                thin_checks.dedup();
                let check_nos = $crate::storage::batch_write::check_numbers_in!(
                    $tx, &thin_checks, postgres, $numbers, $fresh_numbers
                );
                // Each repeat's base and check number; the rest it stores as its row would
                // (`columns`).
                let base_and_number = |i: usize, base: First| {
                    let check_no = check_nos.get(rows[i].check_id.as_str()).copied().ok_or_else(|| {
                        $crate::storage::StorageError::Invalid(format!(
                            "check {} has no number", rows[i].check_id
                        ))
                    })?;
                    let base = match base {
                        First::Stored(id) => id,
                        First::Batch(j) => ids[j],
                    };
                    Ok::<_, $crate::storage::StorageError>((base, check_no))
                };
                if postgres {
                    // The columns as arrays, with what their upkeep reads (migration 0046).
                    let mut cols = $crate::storage::batch_statements::RepeatColumns::default();
                    for &(i, base) in &thin {
                        let (base, check_no) = base_and_number(i, base)?;
                        cols.push(ids[i], base, check_no, &columns[i]);
                    }
                    $crate::storage::batch_statements::BatchStatements::insert_repeat_columns(
                        &mut *$tx, &cols, now,
                    )
                    .await?;
                } else {
                    // SQLite: the repeats whose upkeep the batch does itself (migration 0042),
                    // then those of checks whose evidence times need more than their last
                    // instant moved, through the row triggers.
                    // The sums of all the batch's repeats, kept for the deferred ones when no
                    // check needs the triggers (the usual case), else summed again without them.
                    let day_ago = $crate::storage::batch_write::repeat_instant(
                        chrono::Utc::now() - chrono::Duration::days(1),
                    )
                    .unwrap_or(i64::MIN);
                    let all = $crate::storage::batch_write::RepeatUpkeep::of(
                        &$crate::storage::batch_write::repeats_of(rows, &keys, &ids, &thin)?,
                        day_ago,
                    );
                    let slow = $crate::storage::batch_write::evidence_slow_checks_in!($tx, &all);
                    let (one_by_one, deferred): (Vec<_>, Vec<_>) = thin
                        .into_iter()
                        .partition(|&(i, _)| slow.contains(rows[i].check_id.as_str()));
                    let upkeep = if one_by_one.is_empty() {
                        all
                    } else {
                        $crate::storage::batch_write::RepeatUpkeep::of(
                            &$crate::storage::batch_write::repeats_of(rows, &keys, &ids, &deferred)?,
                            day_ago,
                        )
                    };
                    for (deferred, group) in [(true, deferred), (false, one_by_one)] {
                        if group.is_empty() {
                            continue;
                        }
                        if deferred {
                            sqlx::query("update repeat_upkeep set deferred = 1 where id = 1")
                                .execute(&mut *$tx)
                                .await?;
                        }
                        for chunk in group.chunks(OBSERVATIONS_PER_STATEMENT) {
                            let sql = values_sql(
                                "insert into observation_repeats (id, repeat_of, check_no, at,
                                     recorded_after, fetch_id, evidence_fetch, snapshot, run_key_id, run_key)
                                 values ",
                                10,
                                chunk.len(),
                                postgres,
                            );
                            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str());
                            for &(i, base) in chunk {
                                let (base, check_no) = base_and_number(i, base)?;
                                let c = &columns[i];
                                let at = $crate::storage::batch_write::repeat_instant(c.new.observed_at)
                                    .ok_or_else(|| $crate::storage::StorageError::Invalid(format!(
                                        "instant {} cannot be kept as a repeat's", c.new.observed_at
                                    )))?;
                                let after = (now - c.new.observed_at).num_nanoseconds().ok_or_else(|| {
                                    $crate::storage::StorageError::Invalid(format!(
                                        "recorded time {now} too far from instant {}", c.new.observed_at
                                    ))
                                })?;
                                q = q
                                    .bind(ids[i])
                                    .bind(base)
                                    .bind(check_no)
                                    .bind(at)
                                    .bind(after)
                                    .bind(c.fetch_id)
                                    .bind(c.evidence_fetch)
                                    .bind(c.snapshot)
                                    .bind(c.run_key_id)
                                    .bind(c.run_key);
                            }
                            q.execute(&mut *$tx).await?;
                        }
                        if deferred {
                            $crate::storage::batch_write::repeat_upkeep_in!($tx, &upkeep);
                        }
                    }
                }
            } else {
                // The rows, many per statement; ids come back in insertion order once sorted
                // (both databases number the rows of one INSERT in order).
                for chunk in columns.chunks(OBSERVATIONS_PER_STATEMENT) {
                    let mut sql = values_sql(
                        &format!(
                            "insert into observations ({}) values ",
                            $crate::storage::copy_write::ROW_COLUMNS
                        ),
                        24,
                        chunk.len(),
                        postgres,
                    );
                    sql.push_str(" returning id");
                    let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql).into_sql_str());
                    for c in chunk {
                        q = $crate::storage::batch_write::bind_row_columns!(q, c, now);
                    }
                    let got = q.fetch_all(&mut *$tx).await?;
                    ids.extend($crate::storage::batch_statements::returned_ids(
                        got,
                        chunk.len(),
                        "observations",
                    )?);
                }
            }
            // The countable rows the rule may look back over, for the pairs whose status a
            // row of the batch can change.
            let row_facts =
                $crate::storage::batch_write::row_facts(rows, &row_pair, &confirmations, Some(&ids));
            let mut look_back: Vec<i64> = vec![0; pair_keys.len()];
            for r in &row_facts {
                if r.counted && pairs[r.pair].current.as_deref() != Some(r.status) {
                    look_back[r.pair] = look_back[r.pair].max(r.n as i64 - 1);
                }
            }
            let wanted: Vec<usize> = (0..pair_keys.len()).filter(|&p| look_back[p] > 0).collect();
            // Stored rows a transition may start at: their instant and source kind.
            let mut stored: std::collections::HashMap<i64, (chrono::DateTime<chrono::Utc>, String)> =
                std::collections::HashMap::new();
            let first_id = ids.iter().copied().min().unwrap_or(i64::MAX);
            // A pair's last n countable observations, seeking, never reading a pair's
            // repeats whole: its last n countable rows, then each one's last n repeats (a
            // row's repeats lie between it and its pair's next row, so a repeat among the
            // last n has its base among the last n rows and is among its base's last n).
            // Each pair's candidates (pair, instant, id, status, source kind): its rows, then
            // their repeats (status and source kind their base's).
            let mut candidates: Vec<(usize, chrono::DateTime<chrono::Utc>, i64, String, String)> =
                Vec::new();
            let wanted: Vec<(i64, &str, &str, i64)> = wanted
                .iter()
                .map(|&p| (p as i64, pair_keys[p].0, pair_keys[p].1, look_back[p]))
                .collect();
            for (k, id, status, at, kind) in
                $crate::storage::batch_statements::BatchStatements::recent_rows(
                    &mut *$tx, &wanted, first_id,
                )
                .await?
            {
                candidates.push((k as usize, at, id, status, kind));
            }
            let bases: Vec<(i64, i64, i64)> = candidates
                .iter()
                .enumerate()
                .map(|(b, (k, _, id, ..))| (b as i64, *id, look_back[*k]))
                .collect();
            for (b, id, at) in $crate::storage::batch_statements::BatchStatements::recent_repeats(
                &mut *$tx, &bases, first_id, fetches,
            )
            .await?
            {
                let (k, _, _, status, kind) = candidates[b as usize].clone();
                candidates.push((k, at, id, status, kind));
            }
            // Newest first within each pair, its last n kept, then oldest first as the rule
            // reads them.
            candidates.sort_by(|a, b| (a.0, b.1, b.2).cmp(&(b.0, a.1, a.2)));
            let mut kept: Vec<(usize, chrono::DateTime<chrono::Utc>, i64, String, String)> =
                Vec::with_capacity(candidates.len());
            let (mut pair, mut taken) = (usize::MAX, 0i64);
            for c in candidates {
                if c.0 != pair {
                    (pair, taken) = (c.0, 0);
                }
                if taken < look_back[c.0] {
                    taken += 1;
                    kept.push(c);
                }
            }
            kept.sort_by(|a, b| (a.0, a.1, a.2).cmp(&(b.0, b.1, b.2)));
            for (k, at, id, status, kind) in kept {
                pairs[k].recent.push((id, status));
                stored.insert(id, (at, kind));
            }
            let plan = $crate::storage::batch_write::plan_transitions(&row_facts, &pairs);
            // A transition names a row of `observations`: a repeat it starts at is written
            // out whole first (migration 0032). Which stored rows it starts at are repeats
            // is asked once for the batch (a statement per transition cost more than the
            // rest of the batch's reads on PostgreSQL).
            let stored_firsts: Vec<i64> = plan
                .transitions
                .iter()
                .filter_map(|t| match t.first {
                    First::Stored(id) => Some(id),
                    First::Batch(_) => None,
                })
                .collect();
            let stored_repeats: std::collections::HashSet<i64> = if stored_firsts.is_empty() {
                std::collections::HashSet::new()
            } else {
                let list = serde_json::to_string(&stored_firsts).map_err(|e| {
                    $crate::storage::StorageError::Invalid(format!("ids as JSON: {e}"))
                })?;
                let sql = if fetches {
                    "select r.id from jsonb_array_elements_text($1::jsonb) x
                     cross join lateral (select id from observation_repeats
                                         where id = cast(x as bigint) limit 1) r
                     union all
                     select id from hutong_fetch_repeats_of(array(
                         select cast(x as bigint) from jsonb_array_elements_text($1::jsonb) x))"
                } else if postgres {
                    "select r.id from jsonb_array_elements_text($1::jsonb) x
                     cross join lateral (select id from observation_repeats
                                         where id = cast(x as bigint) limit 1) r"
                } else {
                    "select r.id from json_each($1) x
                     join observation_repeats r on r.id = x.value"
                };
                sqlx::query_scalar::<_, i64>(sql)
                    .bind(list)
                    .fetch_all(&mut *$tx)
                    .await?
                    .into_iter()
                    .collect()
            };
            for t in &plan.transitions {
                let first = match t.first {
                    First::Batch(i) if repeat_of[i].is_some() => Some(ids[i]),
                    First::Batch(_) => None,
                    First::Stored(id) if stored_repeats.contains(&id) => Some(id),
                    First::Stored(_) => None,
                };
                if let Some(id) = first {
                    $crate::storage::unfold_in!($tx, id);
                }
            }
            for chunk in plan.transitions.chunks(TRANSITIONS_PER_STATEMENT) {
                let sql = values_sql(
                    "insert into transitions (check_id, source_key, observation_id,
                         occurred_at, from_status, to_status, source_kind) values ",
                    7,
                    chunk.len(),
                    postgres,
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str());
                for t in chunk {
                    let (observation, at, kind) = match t.first {
                        First::Batch(i) => (ids[i], rows[i].observed_at, rows[i].source_kind.as_str().to_string()),
                        First::Stored(id) => {
                            let (at, kind) = stored.get(&id).cloned().ok_or_else(|| {
                                $crate::storage::StorageError::Invalid(format!(
                                    "observation {id} was not read back"
                                ))
                            })?;
                            (id, at, kind)
                        }
                    };
                    // The change's first row agrees with the row completing it.
                    let to = &rows[t.row].status;
                    let pair = row_pair[t.row];
                    q = q
                        .bind(pair_keys[pair].0)
                        .bind(pair_keys[pair].1)
                        .bind(observation)
                        .bind(at)
                        .bind(t.from.as_deref())
                        .bind(to)
                        .bind(kind);
                }
                q.execute(&mut *$tx).await?;
            }
            let mut rebuild: Vec<(&str, &str)> = plan.rebuild.iter().map(|&p| pair_keys[p]).collect();
            rebuild.sort();
            for (check, key) in rebuild {
                $crate::storage::rebuild_transitions_in!($tx, check, key);
            }
            // The pairs this batch leaves known without reading: every verdict of the pair a
            // repeat, no transition added or rebuilt. Their newest row and status stay; their
            // newest observation is the later of theirs and their latest repeat.
            if let Some(batch_pairs) = batch_pairs {
                let mut known: Vec<bool> = newest_kept.iter().map(Option::is_some).collect();
                let mut latest: Vec<Option<(chrono::DateTime<chrono::Utc>, i64)>> =
                    pairs.iter().map(|p| p.latest).collect();
                for (i, &p) in row_pair.iter().enumerate() {
                    if repeat_of[i].is_none() {
                        known[p] = false;
                    }
                    latest[p] = latest[p].max(Some((rows[i].observed_at, ids[i])));
                }
                for t in &plan.transitions {
                    known[row_pair[t.row]] = false;
                }
                for &p in &plan.rebuild {
                    known[p] = false;
                }
                for (p, newest) in newest_kept.into_iter().enumerate() {
                    if known[p] && latest[p].is_some() {
                        batch_pairs.leave(pair_keys[p].0, pair_keys[p].1, $crate::storage::batch_write::PairLook {
                            latest: latest[p],
                            current: pairs[p].current.clone(),
                            newest,
                        });
                    }
                }
            }
            ids
        }
    }};
}
pub(crate) use insert_batch_in;

/// What a row shows that its repeats show too: every column of `observations_all` a repeat
/// takes from the row it repeats (migration 0032). Instants, fetch and run key are each
/// repeat's own; corrections (superseded, retracted) are none for a repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Shown {
    pub precision: String,
    pub status: String,
    pub source_kind: String,
    pub source_id: Option<String>,
    pub vantage: String,
    pub quote: Option<String>,
    pub note_en: Option<String>,
    pub note_zh: Option<String>,
    pub evidence_id: i64,
    pub pack_id: String,
    pub rule_version: i64,
    pub confirmed: bool,
}

impl Shown {
    /// What a row of a batch shows, when it may be stored as a repeat or repeated: a probe
    /// verdict with a stored evidence body, neither failed nor a reclassification nor a
    /// catalog fact, whose run key (if any) names its run part (`split_run_key`), so a
    /// run's check stays findable by its key.
    pub(crate) fn of_new(
        row: &crate::domain::NewObservation,
        evidence: &Option<(i64, Option<String>)>,
        split_run_key: bool,
    ) -> Option<Shown> {
        let probe = row.probe.as_ref()?;
        let evidence_id = evidence.as_ref()?.0;
        if probe.failure.is_some()
            || probe.reclassifies.is_some()
            || row.catalog_key.is_some()
            || (probe.run_key.is_some() && !split_run_key)
        {
            return None;
        }
        Some(Shown {
            precision: row.precision.as_str().to_string(),
            status: row.status.clone(),
            source_kind: row.source_kind.as_str().to_string(),
            source_id: row.source_id.clone(),
            vantage: row.vantage.clone(),
            quote: row.quote.clone(),
            note_en: row.note_en.clone(),
            note_zh: row.note_zh.clone(),
            evidence_id,
            pack_id: probe.pack_id.clone(),
            rule_version: probe.rule_version,
            confirmed: probe.confirmed,
        })
    }
}

/// Which rows of a batch are repeats, and of which row: a row repeats its pair's newest
/// row (`bases[pair]`: the row that newest one shows, when it may be repeated; a stored
/// repeat's base is its own base) when both show the same and the row is not earlier than
/// that newest one (`latest[pair]`, and every earlier row of the batch), so a base's
/// repeats lie between it and its pair's next row (readers seek a pair's latest through
/// its latest row, then that row's latest repeat); the pair's newest is then the row just
/// written (a repeat leaves its base as the pair's). A late row is never a base, and an
/// instant that cannot be kept as nanoseconds since 1970 is never a repeat. A late row
/// earlier than repeats planned before it in the batch makes those repeats whole rows, as
/// the triggers do for stored repeats after a late row (the batch's rows are inserted
/// before its repeats, so those triggers never see the batch's own).
pub(crate) fn plan_repeats(
    shown: &[Option<Shown>],
    at: &[DateTime<Utc>],
    row_pair: &[usize],
    mut bases: Vec<Option<(First, Shown)>>,
    mut latest: Vec<Option<DateTime<Utc>>>,
) -> Vec<Option<First>> {
    let mut repeat_of = vec![None; shown.len()];
    // Each pair's repeats planned so far in the batch.
    let mut planned: Vec<Vec<usize>> = vec![Vec::new(); bases.len()];
    for (i, s) in shown.iter().enumerate() {
        let p = row_pair[i];
        let in_order = latest[p].is_none_or(|l| at[i] >= l);
        let keepable = repeat_instant(at[i]).is_some();
        if !in_order {
            planned[p].retain(|&j| {
                let after = at[j] > at[i];
                if after {
                    repeat_of[j] = None;
                }
                !after
            });
        }
        match (s, &bases[p]) {
            (Some(s), Some((base, b))) if s == b && in_order && keepable => {
                repeat_of[i] = Some(*base);
                planned[p].push(i);
            }
            (Some(s), _) if in_order => bases[p] = Some((First::Batch(i), s.clone())),
            _ => bases[p] = None,
        }
        latest[p] = Some(latest[p].map_or(at[i], |l| l.max(at[i])));
    }
    repeat_of
}

/// The order in which a batch's rows take the ids reserved for it on PostgreSQL: row
/// `order[j]` takes the `j`-th smallest. Rows sharing a key of `group` (the verdicts of
/// one fetch: its `fetches` row, instant and run part) take consecutive ids, so they can be
/// kept as one row covering those ids; a group is numbered where its first row stands and
/// a row of no group (`None`) where it stands itself. The rows are still written in batch
/// order (the order sets the locks' order); only their ids change. Each pair's rows
/// (`row_pair`) must take ascending ids in batch order, as the transition rule and the
/// readers' seeks rest on; when grouping would break that, the rows take their ids in
/// batch order.
pub(crate) fn id_order<K: Eq + std::hash::Hash>(
    group: &[Option<K>],
    row_pair: &[usize],
) -> Vec<usize> {
    let mut first: std::collections::HashMap<&K, usize> = std::collections::HashMap::new();
    let rank: Vec<usize> = group
        .iter()
        .enumerate()
        .map(|(i, g)| g.as_ref().map_or(i, |k| *first.entry(k).or_insert(i)))
        .collect();
    let mut order: Vec<usize> = (0..group.len()).collect();
    order.sort_by_key(|&i| (rank[i], i));
    let mut place = vec![0; group.len()];
    for (j, &i) in order.iter().enumerate() {
        place[i] = j;
    }
    let mut last: std::collections::HashMap<usize, usize> = std::collections::HashMap::new();
    let ascending = row_pair
        .iter()
        .zip(&place)
        .all(|(&pair, &j)| last.insert(pair, j).is_none_or(|before| before < j));
    if ascending {
        order
    } else {
        (0..group.len()).collect()
    }
}

/// A repeat's instant as SQLite keeps it: nanoseconds since 1970, when it has a
/// non-negative value (1970 to 2262).
pub(crate) fn repeat_instant(at: DateTime<Utc>) -> Option<i64> {
    at.timestamp_nanos_opt().filter(|n| *n >= 0)
}

/// Refuses a batch naming a run's check that is stored already in a repeat, or that a
/// repeat would store again (full rows are refused by the unique index of 0027), or twice
/// in itself (migration 0032).
macro_rules! refuse_run_checks_twice_in {
    ($tx:ident, $rows:expr, $row_run:expr, $run_ids:expr, $known:expr) => {{
        let rows: &[&$crate::domain::NewObservation] = $rows;
        let row_run: &[Option<&str>] = $row_run;
        let run_ids: &std::collections::HashMap<&str, i64> = $run_ids;
        let known: &$crate::storage::CheckNumbers = $known;
        let mut keyed: Vec<(i64, &str)> = rows
            .iter()
            .zip(row_run)
            .filter_map(|(o, part)| part.map(|part| (run_ids[part], o.check_id.as_str())))
            .collect();
        if !keyed.is_empty() {
            keyed.sort_unstable();
            if let Some(w) = keyed.windows(2).find(|w| w[0] == w[1]) {
                return Err($crate::storage::StorageError::Invalid(format!(
                    "check {} is twice in one batch of run key {}",
                    w[0].1, w[0].0
                )));
            }
            // Each run's earliest instant in the batch.
            let mut earliest: Vec<(i64, chrono::DateTime<chrono::Utc>)> = rows
                .iter()
                .zip(row_run)
                .filter_map(|(o, part)| part.map(|part| (run_ids[part], o.observed_at)))
                .collect();
            earliest.sort_unstable();
            earliest.dedup_by_key(|e| e.0);
            let twice = $crate::storage::batch_statements::BatchStatements::stored_run_check(
                &mut *$tx, &keyed, &earliest, known,
            )
            .await?;
            if let Some(check) = twice {
                return Err($crate::storage::StorageError::Invalid(format!(
                    "check {check} is stored already in this run (its run key is unique)"
                )));
            }
        }
    }};
}
pub(crate) use refuse_run_checks_twice_in;

/// Binds a row's [`ROW_COLUMNS`](crate::storage::copy_write::ROW_COLUMNS) to `$q` (an
/// INSERT's query), in that order; `$now` is the recorded time.
macro_rules! bind_row_columns {
    ($q:expr, $c:expr, $now:expr) => {{
        let c: &$crate::storage::copy_write::ObservationColumns<'_> = $c;
        let new = c.new;
        let probe = new.probe.as_ref();
        $q.bind(&new.check_id)
            .bind(new.observed_at)
            .bind(new.precision.as_str())
            .bind(&new.status)
            .bind(new.source_kind.as_str())
            .bind(c.source_key)
            .bind(new.source_id.as_deref())
            .bind(&new.vantage)
            .bind(new.quote.as_deref())
            .bind(new.note_en.as_deref())
            .bind(new.note_zh.as_deref())
            .bind(c.evidence_id)
            .bind(c.evidence_fetch)
            .bind(new.catalog_key.as_deref())
            .bind($now)
            .bind(probe.map(|p| p.pack_id.as_str()))
            .bind(probe.map(|p| p.rule_version))
            .bind(probe.map(|p| p.confirmed))
            .bind(probe.and_then(|p| p.failure.as_deref()))
            .bind(c.snapshot)
            .bind(probe.and_then(|p| p.reclassifies))
            .bind(c.run_key)
            .bind(c.fetch_id)
            .bind(c.run_key_id)
    }};
}
pub(crate) use bind_row_columns;

/// Each of `thin`'s repeats (by row) as its row, pair key, id and stored instant.
pub(crate) fn repeats_of<'a>(
    rows: &[&'a NewObservation],
    keys: &'a [String],
    ids: &[i64],
    thin: &[(usize, First)],
) -> Result<Vec<(&'a NewObservation, &'a str, i64, i64)>, StorageError> {
    thin.iter()
        .map(|&(i, _)| {
            let at = repeat_instant(rows[i].observed_at).ok_or_else(|| {
                StorageError::Invalid(format!(
                    "instant {} cannot be kept as a repeat's",
                    rows[i].observed_at
                ))
            })?;
            Ok((rows[i], keys[i].as_str(), ids[i], at))
        })
        .collect()
}

/// SQLite: what the repeats' row triggers keep (migrations 0032, 0035, 0038, 0039), added up
/// for a batch's repeats (0042). A repeat shows exactly what its base shows but for its
/// instants, fetch and run key, so its row of the batch says what the triggers read from the
/// base: its check and pair, status, source kind, failure, pack and confirmation.
///
/// All but `probed_pairs`: a repeat's pair is listed there already, from no later than its
/// instant. A repeat shows its base's pack (`Shown`), so its base, a row of `observations`,
/// has one and listed the pair from its own instant when it was written (0022's triggers;
/// the bound is only ever lowered, and nothing deletes a pair), and a repeat is never
/// earlier than its base (`plan_repeats`). The upsert there changed no row: about 6% of a
/// cashier batch's statement time (README, Probes).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct RepeatUpkeep {
    /// Repeats, and those more than a day old (the data and past versions).
    pub repeats: i64,
    pub past: i64,
    /// Per check: repeats, real ones (`check_counts`, half of the check's version).
    pub counts: Vec<(String, i64, i64)>,
    /// Per pair that did not fail: its latest repeat, by instant then id (`current_states`).
    pub latest: Vec<(String, String, i64, i64)>,
    /// Per pair, day and status of confirmed probe verdicts: how many (`probe_days`).
    pub days: Vec<(String, String, i64, String, i64)>,
    /// Every instant once (`repeat_instants`).
    pub instants: Vec<i64>,
    /// Per check with evidence among these: the earliest and latest instant of it.
    pub evidence: Vec<(String, i64, i64)>,
}

impl RepeatUpkeep {
    /// `repeats`: each repeat's row and instant (nanoseconds, as stored) with its id.
    pub(crate) fn of(repeats: &[(&NewObservation, &str, i64, i64)], past_before: i64) -> Self {
        use std::collections::BTreeMap;
        let mut counts: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        let mut latest: BTreeMap<(&str, &str), (i64, i64)> = BTreeMap::new();
        let mut days: BTreeMap<(&str, &str, i64, &str), i64> = BTreeMap::new();
        let mut instants = std::collections::BTreeSet::new();
        let mut evidence: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        let mut past = 0;
        for &(new, key, id, at) in repeats {
            let check = new.check_id.as_str();
            let probe = new.probe.as_ref();
            let failed = probe.is_some_and(|p| p.failure.is_some());
            let real = new.source_kind.as_str() != "simulated";
            let c = counts.entry(check).or_default();
            c.0 += 1;
            c.1 += i64::from(real);
            if !failed {
                let l = latest.entry((check, key)).or_insert((at, id));
                *l = (*l).max((at, id));
            }
            if probe.is_some_and(|p| p.confirmed) {
                *days
                    .entry((
                        check,
                        key,
                        at.div_euclid(86_400_000_000_000),
                        new.status.as_str(),
                    ))
                    .or_default() += 1;
            }
            instants.insert(at);
            if real && !failed && new.status != "unknown" {
                let e = evidence.entry(check).or_insert((at, at));
                *e = (e.0.min(at), e.1.max(at));
            }
            past += i64::from(at < past_before);
        }
        RepeatUpkeep {
            repeats: repeats.len() as i64,
            past,
            counts: counts
                .into_iter()
                .map(|(c, (n, r))| (c.to_string(), n, r))
                .collect(),
            latest: latest
                .into_iter()
                .map(|((c, k), (at, id))| (c.to_string(), k.to_string(), id, at))
                .collect(),
            days: days
                .into_iter()
                .map(|((c, k, d, s), n)| (c.to_string(), k.to_string(), d, s.to_string(), n))
                .collect(),
            instants: instants.into_iter().collect(),
            evidence: evidence
                .into_iter()
                .map(|(c, (lo, hi))| (c.to_string(), lo, hi))
                .collect(),
        }
    }
}

/// SQLite: the checks of `$upkeep.evidence` whose evidence times their repeats would change
/// in more than the last instant (migration 0039's fast case does only that): a check with
/// no evidence yet, or whose repeats here begin before its last evidence or end more than a
/// day after it. Their repeats go through the row triggers.
macro_rules! evidence_slow_checks_in {
    ($tx:ident, $upkeep:expr) => {{
        let upkeep: &$crate::storage::batch_write::RepeatUpkeep = $upkeep;
        let list = serde_json::to_string(&upkeep.evidence)
            .map_err(|e| $crate::storage::StorageError::Invalid(format!("repeats as JSON: {e}")))?;
        let sql = format!(
            "select x.c from (select value->>0 as c, value->>1 as lo, value->>2 as hi
                              from json_each(?1)) x
             left join check_evidence ce on ce.check_id = x.c
             where ce.check_id is null
                or not ({lo} >= ce.last_at and julianday({hi}) - julianday(ce.last_at) <= 1)",
            lo = $crate::storage::sqlite_text_of("x.lo"),
            hi = $crate::storage::sqlite_text_of("x.hi"),
        );
        let slow: std::collections::HashSet<String> =
            sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(list)
                .fetch_all(&mut *$tx)
                .await?
                .into_iter()
                .collect();
        slow
    }};
}
pub(crate) use evidence_slow_checks_in;

/// SQLite: keeps what the repeats' row triggers keep for a batch's repeats inserted while
/// `repeat_upkeep` was deferred (migration 0042), a statement per table adding up what the
/// triggers add row by row (`RepeatUpkeep`), then turns the triggers back on. The evidence
/// times move their last instant only: every such repeat is of a check
/// `evidence_slow_checks_in!` did not name.
macro_rules! repeat_upkeep_in {
    ($tx:ident, $upkeep:expr) => {{
        let upkeep: &$crate::storage::batch_write::RepeatUpkeep = $upkeep;
        let text = $crate::storage::sqlite_text_of;
        let json = |v: serde_json::Result<String>| {
            v.map_err(|e| $crate::storage::StorageError::Invalid(format!("repeats as JSON: {e}")))
        };
        sqlx::query("update data_version set value = value + ?1 where id = 1")
            .bind(upkeep.repeats)
            .execute(&mut *$tx)
            .await?;
        if upkeep.past > 0 {
            sqlx::query("update past_version set value = value + ?1 where id = 1")
                .bind(upkeep.past)
                .execute(&mut *$tx)
                .await?;
        }
        let statements: [(String, String); 4] = [
            (
                "insert into check_counts (check_id, observations, real_observations)
                 select value->>0, value->>1, value->>2 from json_each(?1) where true
                 on conflict (check_id) do update
                 set observations = observations + excluded.observations,
                     real_observations = real_observations + excluded.real_observations"
                    .to_string(),
                json(serde_json::to_string(&upkeep.counts))?,
            ),
            (
                format!(
                    "insert into current_states (check_id, source_key, observation_id, observed_at)
                     select c, k, id, {at} from (select value->>0 as c, value->>1 as k,
                                                        value->>2 as id, value->>3 as at
                                                 from json_each(?1))
                     where true
                     on conflict (check_id, source_key) do update
                     set observation_id = excluded.observation_id,
                         observed_at = excluded.observed_at
                     where excluded.observed_at > current_states.observed_at
                        or (excluded.observed_at = current_states.observed_at
                            and excluded.observation_id > current_states.observation_id)",
                    at = text("at")
                ),
                json(serde_json::to_string(&upkeep.latest))?,
            ),
            (
                "insert into probe_days (check_id, source_key, day, status, verdicts)
                 select value->>0, value->>1, value->>2, value->>3, value->>4
                 from json_each(?1) where true
                 on conflict (check_id, source_key, day, status) do update
                 set verdicts = verdicts + excluded.verdicts"
                    .to_string(),
                json(serde_json::to_string(&upkeep.days))?,
            ),
            (
                format!(
                    "update check_evidence set last_at = {last}
                     from (select value->>0 as c, value->>2 as at from json_each(?1)) m
                     where check_evidence.check_id = m.c and {last} > check_evidence.last_at",
                    last = text("m.at")
                ),
                json(serde_json::to_string(&upkeep.evidence))?,
            ),
        ];
        for (sql, list) in statements {
            sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(list)
                .execute(&mut *$tx)
                .await?;
        }
        sqlx::query("insert or ignore into repeat_instants (at) select value from json_each(?1)")
            .bind(json(serde_json::to_string(&upkeep.instants))?)
            .execute(&mut *$tx)
            .await?;
        sqlx::query("update repeat_upkeep set deferred = 0 where id = 1")
            .execute(&mut *$tx)
            .await?;
    }};
}
pub(crate) use repeat_upkeep_in;

/// The numbers of `$checks` (`check_numbers`, migration 0032), given to those without one.
/// A number never changes once given, so those `$known` (a store's remembered numbers) are
/// not asked for; the others are pushed onto `$fresh`, to be remembered once the
/// transaction has committed (a rolled back number was never given). A cashier batch asked
/// for its few hundred checks' numbers in two statements, about 4% of its statement time.
macro_rules! check_numbers_in {
    ($tx:ident, $checks:expr, $postgres:expr, $known:expr, $fresh:ident) => {{
        let checks: &[&str] = $checks;
        let known: &$crate::storage::CheckNumbers = $known;
        let mut numbers: std::collections::HashMap<String, i64> =
            std::collections::HashMap::with_capacity(checks.len());
        let mut unknown: Vec<&str> = Vec::new();
        for &c in checks {
            match known.get(c) {
                Some(no) => {
                    numbers.insert(c.to_string(), no);
                }
                None => unknown.push(c),
            }
        }
        if !unknown.is_empty() {
            let list = serde_json::to_string(&unknown).map_err(|e| {
                $crate::storage::StorageError::Invalid(format!("checks as JSON: {e}"))
            })?;
            let (insert, select) = if $postgres {
                (
                    "insert into check_numbers (check_id)
                     select x from jsonb_array_elements_text($1::jsonb) x order by x
                     on conflict (check_id) do nothing",
                    "select n.check_id, n.no from jsonb_array_elements_text($1::jsonb) x
                     cross join lateral (select check_id, no from check_numbers
                                         where check_id = x limit 1) n",
                )
            } else {
                (
                    "insert into check_numbers (check_id)
                     select value from json_each($1) where true
                     on conflict (check_id) do nothing",
                    "select check_id, no from check_numbers
                     where check_id in (select value from json_each($1))",
                )
            };
            sqlx::query(insert).bind(&list).execute(&mut *$tx).await?;
            let got: Vec<(String, i64)> = sqlx::query_as(select)
                .bind(&list)
                .fetch_all(&mut *$tx)
                .await?;
            for (c, no) in got {
                $fresh.push((c.clone(), no));
                numbers.insert(c, no);
            }
        }
        numbers
    }};
}
pub(crate) use check_numbers_in;

/// `$n` ids from the observations' numbering, in order (migration 0032: repeats and rows
/// share it). SQLite: the `observations` row of `sqlite_sequence` (AUTOINCREMENT) raised
/// past every id handed out; PostgreSQL: the column's sequence.
macro_rules! reserve_ids_in {
    ($tx:ident, $n:expr, $postgres:expr) => {{
        let n = i64::try_from($n).unwrap_or(i64::MAX);
        let mut ids: Vec<i64> = if $postgres {
            // The sequence looked up once (an uncorrelated subquery), as `copy_write` does:
            // `pg_get_serial_sequence` for each id was nine tenths of the statement (psql,
            // 300,000 ids: 729 ms, 90 ms looked up once).
            sqlx::query_scalar(
                "select nextval((select pg_get_serial_sequence('observations', 'id')::regclass))
                 from generate_series(1, $1)",
            )
            .bind(n)
            .fetch_all(&mut *$tx)
            .await?
        } else {
            sqlx::query(
                "insert into sqlite_sequence (name, seq)
                 select 'observations', 0
                 where not exists (select 1 from sqlite_sequence where name = 'observations')",
            )
            .execute(&mut *$tx)
            .await?;
            let last: i64 = sqlx::query_scalar(
                "update sqlite_sequence
                 set seq = max(seq, coalesce((select max(id) from observations), 0),
                               coalesce((select max(id) from observation_repeats), 0)) + $1
                 where name = 'observations' returning seq",
            )
            .bind(n)
            .fetch_one(&mut *$tx)
            .await?;
            (last - n + 1..=last).collect()
        };
        ids.sort_unstable();
        if ids.len() as i64 != n {
            return Err($crate::storage::StorageError::Invalid(format!(
                "{n} observation ids were asked for but {} came",
                ids.len()
            )));
        }
        ids
    }};
}
pub(crate) use reserve_ids_in;

/// What a probe row's fetch is known by in a batch: its snapshot and its own figures
/// (`evidence`: the row's evidence body id and fetch part), when it has either.
#[allow(clippy::type_complexity)]
pub(crate) fn fetch_key<'a>(
    row: &'a crate::domain::NewObservation,
    evidence: &'a Option<(i64, Option<String>)>,
) -> Option<(Option<&'a str>, Option<&'a str>)> {
    let snapshot = row.probe.as_ref().and_then(|p| p.snapshot.as_deref());
    let figures = evidence.as_ref().and_then(|e| e.1.as_deref());
    (row.probe.is_some() && (snapshot.is_some() || figures.is_some()))
        .then_some((snapshot, figures))
}

/// A run key's run part (`pack:slot:vantage:`) when the key is that part followed by the
/// row's check: the row then names the part kept once in `run_keys` (migration 0027).
pub(crate) fn run_part<'a>(run_key: &'a str, check_id: &str) -> Option<&'a str> {
    let part = run_key.strip_suffix(check_id)?;
    (part.len() > 1 && part.ends_with(':')).then_some(part)
}

/// The id of run part `$part` in `run_keys` inside `$tx`, added when new: one read for
/// every batch of a run but its first.
macro_rules! run_key_id_in {
    ($tx:ident, $part:expr) => {{
        let part: &str = $part;
        let read = "select id from run_keys where prefix = $1";
        let known: Option<i64> = sqlx::query_scalar(read)
            .bind(part)
            .fetch_optional(&mut *$tx)
            .await?;
        match known {
            Some(id) => id,
            None => {
                sqlx::query(
                    "insert into run_keys (prefix) values ($1) on conflict (prefix) do nothing",
                )
                .bind(part)
                .execute(&mut *$tx)
                .await?;
                let id: i64 = sqlx::query_scalar(read)
                    .bind(part)
                    .fetch_one(&mut *$tx)
                    .await?;
                id
            }
        }
    }};
}
pub(crate) use run_key_id_in;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().unwrap() + chrono::Duration::hours(h)
    }

    fn row(pair: usize, h: i64, id: i64, status: &str, n: usize) -> RowFacts<'_> {
        RowFacts {
            pair,
            at: at(h),
            id,
            status,
            n,
            counted: true,
        }
    }

    /// A late row of a batch lands among the batch's own repeats of its pair: those after
    /// it become whole rows (a base's repeats lie between it and its pair's next row, which
    /// the seek of a pair's latest rests on); those before it stay repeats.
    #[test]
    fn a_late_row_in_a_batch_writes_out_the_batchs_repeats_after_it() {
        let shown = Shown {
            precision: "instant".into(),
            status: "open".into(),
            source_kind: "probe".into(),
            source_id: None,
            vantage: "local".into(),
            quote: None,
            note_en: None,
            note_zh: None,
            evidence_id: 1,
            pack_id: "p".into(),
            rule_version: 1,
            confirmed: true,
        };
        let rows = vec![Some(shown.clone()); 5];
        // Stored base 7 at hour 0; the batch: hours 1, 4, 3, 2 (late), 5.
        let times = [at(1), at(4), at(3), at(2), at(5)];
        let planned = plan_repeats(
            &rows,
            &times,
            &[0; 5],
            vec![Some((First::Stored(7), shown.clone()))],
            vec![Some(at(0))],
        );
        let s7 = Some(First::Stored(7));
        // Hour 3 comes after hour 4: a late row, and hour 4 is written out; hour 2 is late
        // too (hour 1 stays a repeat, before it); hour 5 is a new base.
        assert_eq!(planned, vec![s7, None, None, None, None]);
        // In order, every one repeats the stored base.
        let in_order = plan_repeats(
            &rows,
            &[at(1), at(2), at(3), at(4), at(5)],
            &[0; 5],
            vec![Some((First::Stored(7), shown))],
            vec![Some(at(0))],
        );
        assert_eq!(in_order, vec![s7; 5]);
    }

    /// What a batch of repeats adds to the kept tables (migration 0042): each table's
    /// figures as its row trigger would leave them, repeat after repeat.
    #[test]
    fn a_batch_of_repeats_adds_up_what_each_repeats_triggers_add() {
        use crate::domain::{Precision, ProbeFacts, SourceKind};
        let new =
            |check: &str, h: i64, status: &str, kind: SourceKind, probe: Option<(bool, bool)>| {
                NewObservation {
                    check_id: check.into(),
                    observed_at: at(h),
                    precision: Precision::Instant,
                    status: status.into(),
                    source_kind: kind,
                    source_id: None,
                    vantage: "local".into(),
                    quote: None,
                    note_en: None,
                    note_zh: None,
                    evidence: None,
                    catalog_key: None,
                    probe: probe.map(|(confirmed, failed)| ProbeFacts {
                        pack_id: "p".into(),
                        rule_version: 1,
                        confirmed,
                        failure: failed.then(|| "timeout".to_string()),
                        confirmations: 1,
                        ..ProbeFacts::default()
                    }),
                }
            };
        let ns = |h: i64| repeat_instant(at(h)).unwrap();
        let rows = [
            // Check a, pair x: three probe verdicts over two days, one before 2024.
            new("a", 30, "open", SourceKind::Probe, Some((true, false))),
            new("a", 2, "open", SourceKind::Probe, Some((true, false))),
            new("a", -3, "open", SourceKind::Probe, Some((true, false))),
            // Check a, pair y: failed (no current state, no evidence), not confirmed.
            new("a", 5, "unknown", SourceKind::Probe, Some((false, true))),
            // Check b: simulated, no probe facts; two at one instant (the later id wins).
            new("b", 7, "blocked", SourceKind::Simulated, None),
            new("b", 7, "blocked", SourceKind::Simulated, None),
        ];
        let keys = ["x", "x", "x", "y", "z", "z"];
        let repeats: Vec<(&NewObservation, &str, i64, i64)> = rows
            .iter()
            .zip(keys)
            .zip([10, 11, 12, 13, 14, 15])
            .map(|((r, k), id)| (r, k, id, repeat_instant(r.observed_at).unwrap()))
            .collect();
        let got = RepeatUpkeep::of(&repeats, ns(3));
        let s = |v: &str| v.to_string();
        assert_eq!(
            got,
            RepeatUpkeep {
                repeats: 6,
                past: 2,
                counts: vec![(s("a"), 4, 4), (s("b"), 2, 0)],
                latest: vec![(s("a"), s("x"), 10, ns(30)), (s("b"), s("z"), 15, ns(7))],
                days: vec![
                    (s("a"), s("x"), 19_722, s("open"), 1),
                    (s("a"), s("x"), 19_723, s("open"), 1),
                    (s("a"), s("x"), 19_724, s("open"), 1),
                ],
                instants: vec![ns(-3), ns(2), ns(5), ns(7), ns(30)],
                evidence: vec![(s("a"), ns(-3), ns(30))],
            }
        );
    }

    /// Three fetches of a page, each classified for three checks, sorted by (check, source)
    /// as a probe batch is: each fetch's verdicts take consecutive ids, fetches in the order
    /// they first appear, and each pair's verdicts still take ascending ids.
    #[test]
    fn a_fetchs_verdicts_take_consecutive_ids_and_each_pair_keeps_its_order() {
        // Row i is check i / 3 of fetch i % 3, fetches in time order; a check has one pair.
        let group: Vec<Option<usize>> = (0..9).map(|i| Some(i % 3)).collect();
        let row_pair: Vec<usize> = (0..9).map(|i| i / 3).collect();
        let order = id_order(&group, &row_pair);
        assert_eq!(order, vec![0, 3, 6, 1, 4, 7, 2, 5, 8]);
        let ids =
            crate::storage::copy_write::ids_in_order(&[10, 11, 12, 13, 14, 15, 16, 17, 18], &order);
        assert_eq!(ids, vec![10, 13, 16, 11, 14, 17, 12, 15, 18]);
        for fetch in 0..3 {
            let mut of_fetch: Vec<i64> =
                (0..9).filter(|i| i % 3 == fetch).map(|i| ids[i]).collect();
            of_fetch.sort_unstable();
            assert_eq!(
                of_fetch[2] - of_fetch[0],
                2,
                "fetch {fetch}'s ids are consecutive"
            );
        }
        // The three fetches from three vantages at once (a pair per row): the same order.
        let own_pairs: Vec<usize> = (0..9).collect();
        assert_eq!(id_order(&group, &own_pairs), order);
    }

    /// Rows of no fetch, and fetches named by one row each, stand where they are; a group
    /// with rows after them is numbered where its first row stands.
    #[test]
    fn rows_of_no_fetch_keep_their_places() {
        let none: Vec<Option<usize>> = vec![None; 5];
        assert_eq!(id_order(&none, &[0, 1, 0, 2, 1]), vec![0, 1, 2, 3, 4]);
        let single: Vec<Option<usize>> = (0..4).map(Some).collect();
        assert_eq!(id_order(&single, &[0, 1, 2, 3]), vec![0, 1, 2, 3]);
        let mixed = [None, Some(7), None, Some(7), None];
        assert_eq!(id_order(&mixed, &[0, 1, 2, 3, 4]), vec![0, 1, 3, 2, 4]);
    }

    /// A pair whose later row belongs to a fetch numbered before its earlier row's would
    /// take descending ids: the whole batch is numbered in batch order.
    #[test]
    fn grouping_that_would_turn_a_pair_around_numbers_in_batch_order() {
        // Fetch b first appears at row 0, fetch a at row 1. Pair 0 is rows 1 (fetch a) and
        // 2 (fetch b): fetch b's ids come first, so row 2 would take a smaller id than row 1.
        let group = [Some('b'), Some('a'), Some('b'), Some('a')];
        let row_pair = [1, 0, 0, 2];
        assert_eq!(id_order(&group, &row_pair), vec![0, 1, 2, 3]);
        // With rows 1 and 2 of different pairs, the groups are kept.
        assert_eq!(id_order(&group, &[0, 1, 2, 3]), vec![0, 2, 1, 3]);
    }

    #[test]
    fn a_run_key_is_split_only_where_it_ends_in_its_check() {
        let check = "payment.taobao.alipay";
        let key = crate::storage::run_key("p", "local", at(0), check);
        assert_eq!(run_part(&key, check), Some("p:2024-01-01T00:00:00Z:local:"));
        assert_eq!(run_part(&key, "payment.taobao.wechat_pay"), None);
        assert_eq!(run_part("bench_writer:1:2", check), None);
        assert_eq!(run_part(check, check), None, "nothing before the check");
        assert_eq!(run_part(&format!("x{check}"), check), None, "no separator");
        assert_eq!(run_part(&format!(":{check}"), check), None, "no run part");
    }

    #[test]
    fn a_change_counts_once_n_rows_agree_even_across_the_batch_edge() {
        let pairs = vec![PairFacts {
            latest: Some((at(0), 1)),
            current: Some("open".into()),
            recent: vec![(1, "blocked".into())],
        }];
        let rows = vec![row(0, 1, 2, "blocked", 2), row(0, 2, 3, "blocked", 2)];
        let plan = plan_transitions(&rows, &pairs);
        assert_eq!(
            plan.transitions,
            vec![PlannedTransition {
                row: 0,
                first: First::Stored(1),
                from: Some("open".into())
            }]
        );
        assert!(plan.rebuild.is_empty());
    }

    #[test]
    fn a_late_row_rebuilds_its_pair_only() {
        let pairs = vec![
            PairFacts {
                latest: Some((at(5), 1)),
                ..PairFacts::default()
            },
            PairFacts::default(),
        ];
        let rows = vec![row(0, 3, 2, "open", 1), row(1, 3, 3, "open", 1)];
        let plan = plan_transitions(&rows, &pairs);
        assert_eq!(plan.rebuild, vec![0]);
        assert_eq!(
            plan.transitions,
            vec![PlannedTransition {
                row: 1,
                first: First::Batch(1),
                from: None
            }]
        );
    }
}
