//! Reading what compliance with requirements needs in one query: every real confirmed
//! transition of one kind of check up to a date.

use super::{Db, StorageError, Store, TRANSITION_COLUMNS, TransitionRecord, on_pool};
use chrono::{DateTime, Utc};
use sqlx::SqlSafeStr;

impl Store {
    /// Real (not simulated) transitions of every check of `kind` up to `until`, oldest
    /// first: one query for a requirement's whole history, however many checks it covers.
    pub async fn real_transitions_of_kind(
        &self,
        kind: &str,
        until: DateTime<Utc>,
    ) -> Result<Vec<TransitionRecord>, StorageError> {
        let sql = format!(
            "select {TRANSITION_COLUMNS}
             from transitions t
             join checks c on c.id = t.check_id
             join observations o on o.id = t.observation_id
             where c.kind = $1 and t.occurred_at <= $2 and t.source_kind <> 'simulated'
             order by t.occurred_at, t.id"
        );
        Ok(on_pool!(self, pool => {
            sqlx::query_as::<_, TransitionRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(kind)
                .bind(until)
                .fetch_all(pool)
                .await?
        }))
    }
}
