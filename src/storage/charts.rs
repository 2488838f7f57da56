//! What the charts read: every confirmed status change of one kind of check, in one query.

use super::{Db, StorageError, Store, on_pool};
use crate::domain::StatusChange;
use chrono::{DateTime, Utc};

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
}
