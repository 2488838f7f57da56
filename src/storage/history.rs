//! Reading history for the dashboard in pages: one check's observations newest first (a
//! probed check gathers thousands), counts that leave simulated data out, and setting a
//! probe run's times (imports and tests of old runs).

use super::{Db, OBSERVATION_COLUMNS, StorageError, Store, TRANSITION_COLUMNS, on_pool};
use crate::domain::{ObservationRecord, TransitionRecord};
use chrono::{DateTime, Utc};
use sqlx::SqlSafeStr;
use std::collections::HashMap;

/// Checks that involve a platform of a simulated group, as a subquery over `checks c`.
const SIMULATED_CHECK: &str = "(c.subject in (select p.slug from platforms p
         join groups g on g.slug = p.group_slug where g.simulated)
     or c.object in (select p.slug from platforms p
         join groups g on g.slug = p.group_slug where g.simulated))";

impl Store {
    /// One page of a check's observations, newest first, and how many it has in all.
    pub async fn check_history(
        &self,
        check_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<ObservationRecord>, i64), StorageError> {
        // Migration 0032: the page's ids first, from the check's newest `offset + limit` rows
        // and newest `offset + limit` repeats, each read in time order from its own index
        // (never every observation of the check sorted); then those observations.
        let postgres = self.backend() == super::Backend::Postgres;
        let repeat_shown = if postgres {
            "r.observed_at".to_string()
        } else {
            super::sqlite_text_of("r.at")
        };
        let r_at = if postgres { "r.observed_at" } else { "r.at" };
        let fetches = self.fetch_repeats();
        let shown_of = format!(
            "select {OBSERVATION_COLUMNS}
             from {{OBS}} o left join sources s on s.id = o.source_id
             left join evidence_bodies eb on eb.id = o.evidence_id
             left join fetches f on f.id = o.fetch_id
             where o.id in (select id from page)"
        );
        // PostgreSQL with repeats of fetches (0052): the page's observations sought by id in
        // every form at once (a fetch's repeats cannot be sought by id through a view).
        let shown = if fetches {
            shown_of.replace(
                "{OBS}",
                "hutong_observations_of(array(select id from page))",
            )
        } else {
            super::both_forms(&shown_of, "true", "true", false)
        };
        // And the check's newest repeats of fetches: each of its sets' newest fetches.
        let of_fetches = if fetches {
            format!(
                "union all
                 select * from (select x.id, x.t from repeat_set_members m
                                cross join lateral (
                                    select f.first_id + m.ord as id, f.observed_at as t
                                    from repeat_fetches f where f.set_id = m.set_id
                                    order by f.observed_at desc limit $4) x
                                where m.check_no = {}
                                order by x.t desc, x.id desc limit $4) l3",
                super::check_no_of("$1")
            )
        } else {
            String::new()
        };
        let page = format!(
            "with page (id) as materialized (
                 select id from (
                     select * from (select o.id, o.observed_at as t from observations o
                                    where o.check_id = $1
                                    order by o.observed_at desc, o.id desc limit $4) l1
                     union all
                     select * from (select r.id, {repeat_shown} as t from observation_repeats r
                                    where r.check_no = {}
                                    order by {r_at} desc, r.id desc limit $4) l2
                     {of_fetches}) l
                 order by t desc, id desc
                 limit $2 offset $3)
             select * from ({shown}) w
             order by w.observed_at desc, w.id desc",
            super::check_no_of("$1")
        );
        let newest = limit.max(0).saturating_add(offset.max(0));
        if let Db::Sqlite(pool) = &self.db {
            // SQLite: the two lists of ids merged here (a repeat's instant is an integer
            // there, shown as text only for the page's own rows).
            let rows: Vec<(i64, DateTime<Utc>)> = sqlx::query_as(
                "select o.id, o.observed_at from observations o where o.check_id = $1
                 order by o.observed_at desc, o.id desc limit $2",
            )
            .bind(check_id)
            .bind(newest)
            .fetch_all(pool)
            .await?;
            let repeats: Vec<(i64, i64)> = sqlx::query_as(
                "select r.id, r.at from observation_repeats r
                 where r.check_no = (select n.no from check_numbers n where n.check_id = $1)
                 order by r.at desc, r.id desc limit $2",
            )
            .bind(check_id)
            .bind(newest)
            .fetch_all(pool)
            .await?;
            let mut all: Vec<(DateTime<Utc>, i64)> =
                rows.into_iter().map(|(id, at)| (at, id)).collect();
            all.extend(
                repeats
                    .into_iter()
                    .map(|(id, at)| (DateTime::from_timestamp_nanos(at), id)),
            );
            all.sort_unstable_by(|a, b| b.cmp(a));
            let page_ids: Vec<i64> = all
                .into_iter()
                .skip(usize::try_from(offset.max(0)).unwrap_or(usize::MAX))
                .take(usize::try_from(limit.max(0)).unwrap_or(usize::MAX))
                .map(|(_, id)| id)
                .collect();
            let list = serde_json::to_string(&page_ids)
                .map_err(|e| StorageError::Invalid(format!("ids as JSON: {e}")))?;
            let read = super::both_forms(
                &format!(
                    "select {OBSERVATION_COLUMNS}
                     from {{OBS}} o left join sources s on s.id = o.source_id
                     left join evidence_bodies eb on eb.id = o.evidence_id
                     left join fetches f on f.id = o.fetch_id
                     where o.id in (select value from json_each($1))"
                ),
                "true",
                "true",
                false,
            );
            let sql = format!("select * from ({read}) w order by w.observed_at desc, w.id desc");
            let rows =
                sqlx::query_as::<_, ObservationRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                    .bind(list)
                    .fetch_all(pool)
                    .await?;
            let total: i64 = sqlx::query_scalar(
                "select coalesce(max(observations), 0) from check_counts where check_id = $1",
            )
            .bind(check_id)
            .fetch_one(pool)
            .await?;
            return Ok((rows, total));
        }
        on_pool!(self, pool => {
            let rows = sqlx::query_as::<_, ObservationRecord>(sqlx::AssertSqlSafe(page).into_sql_str())
                .bind(check_id)
                .bind(limit)
                .bind(offset)
                .bind(newest)
                .fetch_all(pool)
                .await?;
            // Kept by every write (migration 0018), not counted.
            let total: i64 = sqlx::query_scalar(
                "select coalesce(max(observations), 0) from check_counts where check_id = $1",
            )
            .bind(check_id)
            .fetch_one(pool)
            .await?;
            Ok((rows, total))
        })
    }

    /// Observations that count as real: not from the simulator, not of a check that
    /// involves a simulated platform, and not retracted. Summed from the counts every write
    /// keeps per check (migration 0018): one row per check, however many observations.
    pub async fn real_observation_count(&self) -> Result<i64, StorageError> {
        let sql = format!(
            "select cast(coalesce(sum(o.real_observations), 0) as bigint)
             from check_counts o join checks c on c.id = o.check_id
             where not {SIMULATED_CHECK}"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .fetch_one(pool)
                .await?
        }))
    }

    /// Every real observation (not simulated, as [`Store::real_observation_count`]
    /// counts), retracted ones included with their flag, oldest first: the dataset
    /// download.
    pub async fn real_observations(&self) -> Result<Vec<ObservationRecord>, StorageError> {
        let sql = format!(
            "select {OBSERVATION_COLUMNS}
             from observations_all o join checks c on c.id = o.check_id
             left join sources s on s.id = o.source_id
             left join evidence_bodies eb on eb.id = o.evidence_id
             left join fetches f on f.id = o.fetch_id
             where o.source_kind <> 'simulated' and not {SIMULATED_CHECK}
             order by o.observed_at, o.check_id, o.id"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, ObservationRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .fetch_all(pool)
                .await?
        }))
    }

    /// Sets when a probe run started and finished (runs imported from elsewhere, and
    /// tests that need runs from hours ago).
    pub async fn set_run_times(
        &self,
        id: i64,
        started_at: DateTime<Utc>,
        finished_at: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        on_pool!(self, pool => {
            sqlx::query("update probe_runs set started_at = $2, finished_at = $3 where id = $1")
                .bind(id)
                .bind(started_at)
                .bind(finished_at)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
    /// One source's latest transitions on a check at or before `until`, newest first, at
    /// most `limit` (a vantage point's latest changes on the check page; a check that
    /// flaps gathers thousands).
    pub async fn latest_transitions(
        &self,
        check_id: &str,
        source_key: &str,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<TransitionRecord>, StorageError> {
        let sql = format!(
            "select {TRANSITION_COLUMNS}
             from transitions t
             join checks c on c.id = t.check_id
             join observations o on o.id = t.observation_id
             where t.check_id = $1 and t.source_key = $2 and t.occurred_at <= $3
             order by t.occurred_at desc, t.id desc
             limit $4"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, TransitionRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(check_id)
                .bind(source_key)
                .bind(until)
                .bind(limit)
                .fetch_all(pool)
                .await?
        }))
    }

    /// One source's latest changes on a check at or before `until`, newest first, at most
    /// `limit`: when and to what. What the check's step chart draws for that source, read
    /// from the end of the source's transitions in time order.
    pub async fn latest_changes(
        &self,
        check_id: &str,
        source_key: &str,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<(DateTime<Utc>, String)>, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, (DateTime<Utc>, String)>(
                "select occurred_at, to_status from transitions
                 where check_id = $1 and source_key = $2 and occurred_at <= $3
                 order by occurred_at desc, id desc
                 limit $4",
            )
            .bind(check_id)
            .bind(source_key)
            .bind(until)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }

    /// How many transitions one source has made on a check at or before `until` (an
    /// index-only count).
    pub async fn transition_count(
        &self,
        check_id: &str,
        source_key: &str,
        until: DateTime<Utc>,
    ) -> Result<i64, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_scalar::<_, i64>(
                "select count(*) from transitions
                 where check_id = $1 and source_key = $2 and occurred_at <= $3",
            )
            .bind(check_id)
            .bind(source_key)
            .bind(until)
            .fetch_one(pool)
            .await?
        }))
    }

    /// For those of `observation_ids` that made a transition, the status it changed from
    /// (`None`: the source's first word). What a page of a check's history marks.
    pub async fn transitions_made_by(
        &self,
        observation_ids: &[i64],
    ) -> Result<HashMap<i64, Option<String>>, StorageError> {
        let mut made = HashMap::new();
        // A page of history is 50 rows; a few statements at most.
        for ids in observation_ids.chunks(200) {
            let marks: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "select observation_id, from_status from transitions
                 where observation_id in ({})",
                marks.join(", ")
            );
            let rows: Vec<(i64, Option<String>)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str());
                for id in ids {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await?
            });
            made.extend(rows);
        }
        Ok(made)
    }
}
