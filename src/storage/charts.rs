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
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, StatusChange>(
                "select t.check_id, t.occurred_at as at, t.to_status as status
                 from transitions t
                 where t.source_kind <> 'simulated'
                   and exists (select 1 from checks c where c.id = t.check_id and c.kind = $1)
                   and ($2 is null or t.occurred_at <= $2)
                 order by t.occurred_at, t.id",
            )
            .bind(kind)
            .bind(until)
            .fetch_all(pool)
            .await?
        }))
    }

    /// When the real evidence of the checks of `kind` (all kinds when `None`) was seen:
    /// each check's first and last evidence and the gaps between consecutive evidence
    /// longer than `min_gap_days` (see [`EvidenceTimes`]). Evidence is what a check's state
    /// rests on: real observations with a status, neither failed, superseded nor retracted. One
    /// window query; only the long gaps leave the database.
    pub async fn evidence_times(
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
                 from observations o where {EVIDENCE}) g
             where g.prev is not null and {days} > $2
             order by g.check_id, g.observed_at"
        );
        let ends = format!(
            "select o.check_id, min(o.observed_at), max(o.observed_at)
             from observations o where {EVIDENCE} group by o.check_id"
        );
        let min_gap = f64::from(min_gap_days.saturating_sub(1));
        type Gap = (String, DateTime<Utc>, DateTime<Utc>);
        let (gaps, ends): (Vec<Gap>, Vec<Gap>) = on_pool!(self, pool => {
            let gaps = sqlx::query_as::<_, Gap>(sqlx::AssertSqlSafe(gaps).into_sql_str())
                .bind(kind)
                .bind(min_gap)
                .fetch_all(pool)
                .await?;
            let ends = sqlx::query_as::<_, Gap>(sqlx::AssertSqlSafe(ends).into_sql_str())
                .bind(kind)
                .fetch_all(pool)
                .await?;
            (gaps, ends)
        });
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
        Ok(times)
    }
}
