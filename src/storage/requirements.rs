//! Reading what compliance with requirements needs in few queries: every real confirmed
//! transition of a set of checks up to a date.

use super::{Db, StorageError, Store, TRANSITION_COLUMNS, on_pool};
use crate::domain::TransitionRecord;
use chrono::{DateTime, Utc};
use sqlx::SqlSafeStr;

/// Checks per query: far under either database's limit on bound parameters.
const CHECKS_PER_QUERY: usize = 500;

impl Store {
    /// Real (not simulated) transitions of the given checks up to `until`, oldest first:
    /// a requirement's whole history in one query (per 500 checks), each check read
    /// through its own index range rather than one query per check or per week.
    pub async fn real_transitions_of_checks(
        &self,
        check_ids: &[&str],
        until: DateTime<Utc>,
    ) -> Result<Vec<TransitionRecord>, StorageError> {
        let mut out = Vec::new();
        for chunk in check_ids.chunks(CHECKS_PER_QUERY) {
            // Only numbered placeholders are formatted into the text; values are bound.
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "select {TRANSITION_COLUMNS}
                 from transitions t
                 join checks c on c.id = t.check_id
                 join observations o on o.id = t.observation_id
                 where t.occurred_at <= $1 and t.source_kind <> 'simulated'
                   and t.check_id in ({})
                 order by t.occurred_at, t.id",
                placeholders.join(", ")
            );
            let rows = on_pool!(self, pool => {
                let mut q = sqlx::query_as::<_, TransitionRecord>(sqlx::AssertSqlSafe(sql).into_sql_str())
                    .bind(until);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await?
            });
            out.extend(rows);
        }
        out.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }
}
