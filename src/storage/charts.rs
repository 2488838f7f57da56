//! What the charts read: every confirmed status change of one kind of check, in one query.

use super::{Db, StorageError, Store, on_pool};
use crate::charts::data::StatusChange;
use chrono::{DateTime, Utc};

impl Store {
    /// Every confirmed status change (transition) of the checks of `kind` (at or before
    /// `until` when given), oldest first, from real sources only: simulated observations
    /// never count. Walks the transitions' time index once, so a chart over years of probe
    /// history costs one query, not one state query per week.
    pub async fn status_changes(
        &self,
        kind: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<Vec<StatusChange>, StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, StatusChange>(
                "select t.check_id, t.occurred_at as at, t.to_status as status
                 from transitions t
                 where t.check_id in (select id from checks where kind = $1)
                   and ($2 is null or t.occurred_at <= $2)
                   and t.source_kind <> 'simulated'
                 order by t.occurred_at, t.id",
            )
            .bind(kind)
            .bind(until)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Changes whenever any transition is written or rebuilt: (how many, highest id). Ids
    /// are never reused (`autoincrement`, `bigserial`), so a rebuild that deletes and
    /// re-inserts always raises the highest id. Lets callers keep [`Store::status_changes`]
    /// between requests.
    pub async fn transitions_fingerprint(&self) -> Result<(i64, i64), StorageError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, (i64, i64)>(
                "select count(*), coalesce(max(id), 0) from transitions",
            )
            .fetch_one(pool)
            .await?
        }))
    }
}
