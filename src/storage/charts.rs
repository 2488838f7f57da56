//! What the charts read: every confirmed status change of one kind of check, in one query.

use super::{Backend, Db, StorageError, Store, on_pool};
use crate::domain::{CheckEvidence, EvidenceTimes, StatusChange};
use chrono::{DateTime, Utc};
use sqlx::SqlSafeStr;

impl Store {
    /// Every confirmed status change (transition) of the checks of `kind` (at or before
    /// `until` when given), oldest first, from real sources only: simulated observations
    /// never count. Walks the real transitions' time index once (SQLite's partial index
    /// `transitions_real`: simulated history, however long, is never read), so a chart over
    /// years of probe history costs one query, not one state query per week.
    pub async fn status_changes(
        &self,
        kind: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<StatusChange>, StorageError> {
        self.changes_of_kind(kind, "($2 is null or t.occurred_at <= $2)", until)
            .await
    }

    /// [`Store::status_changes`] after `after` (every one when `None`): what changed since
    /// a kept series was computed.
    pub async fn status_changes_after(
        &self,
        kind: &str,
        after: Option<DateTime<Utc>>,
    ) -> Result<Vec<StatusChange>, StorageError> {
        let Some(after) = after else {
            return self.status_changes(kind, None).await;
        };
        // A bound of its own (not `$2 is null or …`): the time index is entered at it.
        self.changes_of_kind(kind, "t.occurred_at > $2", Some(after))
            .await
    }

    /// The real confirmed changes of `kind` whose time passes `bound` (a condition on
    /// `t.occurred_at` and `$2`, the instant given), oldest first.
    async fn changes_of_kind(
        &self,
        kind: &str,
        bound: &'static str,
        instant: Option<DateTime<Utc>>,
    ) -> Result<Vec<StatusChange>, StorageError> {
        let sql = format!(
            "select t.check_id, t.occurred_at as at, t.to_status as status
             from transitions t
             where t.source_kind <> 'simulated'
               and exists (select 1 from checks c where c.id = t.check_id and c.kind = $1)
               and {bound}
             order by t.occurred_at, t.id"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, StatusChange>(sqlx::AssertSqlSafe(sql.clone()).into_sql_str())
                .bind(kind)
                .bind(instant)
                .fetch_all(pool)
                .await?
        }))
    }

    /// When the real evidence of the checks of `kind` (all kinds when `None`) was seen:
    /// each check's first and last evidence and the gaps between consecutive evidence
    /// longer than `min_gap_days` (see [`EvidenceTimes`]). Evidence is what a check's state
    /// rests on: real observations with a status, neither failed, superseded nor retracted.
    ///
    /// Read from what every write keeps up to date (`check_evidence`, `evidence_gaps`,
    /// migration 0018): a few rows per check, however many observations there are. Gaps of
    /// a day or less are not kept, so a threshold that short reads
    /// [`Store::evidence_times_from_observations`] instead.
    pub async fn evidence_times(
        &self,
        kind: Option<&str>,
        min_gap_days: u32,
    ) -> Result<EvidenceTimes, StorageError> {
        let min_gap = f64::from(min_gap_days.saturating_sub(1));
        if min_gap < KEPT_GAPS_LONGER_THAN_DAYS {
            return self
                .evidence_times_from_observations(kind, min_gap_days)
                .await;
        }
        const OF_KIND: &str = "($1 is null or exists (select 1 from checks c
                                                      where c.id = x.check_id and c.kind = $1))";
        let days = match self.backend() {
            Backend::Sqlite => "julianday(x.after_at) - julianday(x.before_at)",
            Backend::Postgres => "extract(epoch from (x.after_at - x.before_at)) / 86400.0",
        };
        let gaps = format!(
            "select x.check_id, x.before_at, x.after_at from evidence_gaps x
             where {OF_KIND} and {days} > $2
             order by x.check_id, x.after_at"
        );
        let ends = format!(
            "select x.check_id, x.first_at, x.last_at from check_evidence x where {OF_KIND}"
        );
        self.evidence_times_read(&gaps, &ends, kind, min_gap_days)
            .await
    }

    /// [`Store::evidence_times`] computed from the observations themselves: one window
    /// query over every piece of evidence (seconds at a million rows). For thresholds of a
    /// day or less, and to check what is kept against.
    pub async fn evidence_times_from_observations(
        &self,
        kind: Option<&str>,
        min_gap_days: u32,
    ) -> Result<EvidenceTimes, StorageError> {
        const EVIDENCE: &str = "o.source_kind <> 'simulated' and o.failure is null
              and o.superseded_by is null and o.retracted_at is null and o.status <> 'unknown'
              and ($1 is null or exists (select 1 from checks c
                                         where c.id = o.check_id and c.kind = $1))";
        // Days between two stored instants, in each database's own arithmetic. The gaps
        // read are a little wider than asked (a day less): which of them make the evidence
        // stale is decided here, in Beijing days.
        let days = match self.backend() {
            Backend::Sqlite => "julianday(g.observed_at) - julianday(g.prev)",
            Backend::Postgres => "extract(epoch from (g.observed_at - g.prev)) / 86400.0",
        };
        let gaps = format!(
            "select g.check_id, g.prev, g.observed_at from (
                 select o.check_id, o.observed_at,
                        lag(o.observed_at) over (partition by o.check_id
                                                 order by o.observed_at, o.id) as prev
                 from observations_all o where {EVIDENCE}) g
             where g.prev is not null and {days} > $2
             order by g.check_id, g.observed_at"
        );
        let ends = format!(
            "select o.check_id, min(o.observed_at), max(o.observed_at)
             from observations_all o where {EVIDENCE} group by o.check_id"
        );
        self.evidence_times_read(&gaps, &ends, kind, min_gap_days)
            .await
    }

    /// Runs `gaps` ($1 kind, $2 the least gap in days) and `ends` ($1 kind), each giving
    /// (check, instant, instant) rows, and assembles their evidence times.
    async fn evidence_times_read(
        &self,
        gaps: &str,
        ends: &str,
        kind: Option<&str>,
        min_gap_days: u32,
    ) -> Result<EvidenceTimes, StorageError> {
        let min_gap = f64::from(min_gap_days.saturating_sub(1));
        let gaps = sqlx::AssertSqlSafe(gaps.to_string()).into_sql_str();
        let ends = sqlx::AssertSqlSafe(ends.to_string()).into_sql_str();
        let (gaps, ends): (Vec<Gap>, Vec<Gap>) = on_pool!(self, pool => {
            let gaps = sqlx::query_as::<_, Gap>(gaps)
                .bind(kind)
                .bind(min_gap)
                .fetch_all(pool)
                .await?;
            let ends = sqlx::query_as::<_, Gap>(ends).bind(kind).fetch_all(pool).await?;
            (gaps, ends)
        });
        Ok(evidence_times_of(min_gap_days, gaps, ends))
    }
}

/// Gaps longer than this many days are kept by every write (migration 0018's triggers).
const KEPT_GAPS_LONGER_THAN_DAYS: f64 = 1.0;

/// A check with two instants: a gap (before, after) or its evidence's ends (first, last).
type Gap = (String, DateTime<Utc>, DateTime<Utc>);

/// Evidence times from each check's ends and its long gaps (ordered by check and time).
fn evidence_times_of(min_gap_days: u32, gaps: Vec<Gap>, ends: Vec<Gap>) -> EvidenceTimes {
    let mut times = EvidenceTimes {
        min_gap_days,
        by_check: ends
            .into_iter()
            .map(|(check, first, last)| {
                let e = CheckEvidence {
                    first,
                    last,
                    gaps: Vec::new(),
                };
                (check, e)
            })
            .collect(),
    };
    for (check, before, after) in gaps {
        if let Some(e) = times.by_check.get_mut(&check) {
            e.gaps.push((before, after));
        }
    }
    times
}
