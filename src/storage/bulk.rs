//! Writing synthetic history fast, for benchmarks (`hutong bench seed`): many rows per
//! statement, transitions computed by the caller with the same rule as every other write.
//! Never used for real observations, which go through [`Store::insert_observations`].

use super::{Db, StorageError, Store, WritePool, on_pool};
use crate::domain::SourceKind;
use chrono::{DateTime, Utc};
use sqlx::SqlSafeStr;

/// One synthetic observation, appended after everything its (check, source) pair has.
#[derive(Debug, Clone)]
pub struct BulkObservation {
    pub check_id: String,
    pub observed_at: DateTime<Utc>,
    pub status: String,
    pub vantage: String,
    /// `Some(from)` when this observation starts a status change (`from` is `None` for
    /// the pair's first observation).
    pub transition_from: Option<Option<String>>,
}

/// Rows per statement: within SQLite's 32,766 and PostgreSQL's 65,535 parameters.
const ROWS_PER_STATEMENT: usize = 1_000;

impl Store {
    /// Appends `batch` (source kind `simulated`, precision `instant`) and its transitions in
    /// one transaction. Each pair's observations must come after any it already has, in
    /// order, and `transition_from` must follow the pair's history: the caller keeps it.
    pub async fn append_simulated_history(
        &self,
        batch: &[BulkObservation],
    ) -> Result<(), StorageError> {
        if batch.is_empty() {
            return Ok(());
        }
        let kind = SourceKind::Simulated;
        let now = Utc::now();
        let postgres = self.backend() == super::Backend::Postgres;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // Ids are given explicitly so that transitions can name their observation; on
            // SQLite the write lock is held from BEGIN. Benchmark data only: on PostgreSQL a
            // concurrent writer could race for the same ids.
            let first: i64 =
                sqlx::query_scalar("select coalesce(max(id), 0) from observations")
                    .fetch_one(&mut *tx)
                    .await?;
            let mut pairs: Vec<(&str, String)> = batch
                .iter()
                .map(|o| (o.check_id.as_str(), crate::domain::source_key(kind, None, &o.vantage)))
                .collect();
            pairs.sort();
            pairs.dedup();
            for (check, key) in &pairs {
                sqlx::query(
                    "insert into check_sources (check_id, source_key, confirmations)
                     values ($1, $2, 1) on conflict (check_id, source_key) do nothing",
                )
                .bind(*check)
                .bind(key)
                .execute(&mut *tx)
                .await?;
            }
            for (chunk_no, chunk) in batch.chunks(ROWS_PER_STATEMENT).enumerate() {
                let base = first + (chunk_no * ROWS_PER_STATEMENT) as i64;
                let sql = values_sql(
                    "insert into observations (id, check_id, observed_at, precision, status,
                         source_kind, source_key, vantage, recorded_at) values ",
                    9,
                    chunk.len(),
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str());
                for (i, o) in chunk.iter().enumerate() {
                    q = q
                        .bind(base + i as i64 + 1)
                        .bind(&o.check_id)
                        .bind(o.observed_at)
                        .bind("instant")
                        .bind(&o.status)
                        .bind(kind.as_str())
                        .bind(crate::domain::source_key(kind, None, &o.vantage))
                        .bind(&o.vantage)
                        .bind(now);
                }
                q.execute(&mut *tx).await?;
                let changes: Vec<(i64, &BulkObservation, Option<&str>)> = chunk
                    .iter()
                    .enumerate()
                    .filter_map(|(i, o)| {
                        o.transition_from
                            .as_ref()
                            .map(|from| (base + i as i64 + 1, o, from.as_deref()))
                    })
                    .collect();
                if !changes.is_empty() {
                    let sql = values_sql(
                        "insert into transitions (check_id, source_key, observation_id,
                             occurred_at, from_status, to_status, source_kind) values ",
                        7,
                        changes.len(),
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str());
                    for (id, o, from) in changes {
                        q = q
                            .bind(&o.check_id)
                            .bind(crate::domain::source_key(kind, None, &o.vantage))
                            .bind(id)
                            .bind(o.observed_at)
                            .bind(from)
                            .bind(&o.status)
                            .bind(kind.as_str());
                    }
                    q.execute(&mut *tx).await?;
                }
            }
            if postgres {
                // Explicit ids leave the sequence behind: move it past them.
                sqlx::query(
                    "select setval(pg_get_serial_sequence('observations', 'id'),
                         (select coalesce(max(id), 1) from observations))",
                )
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

/// `prefix ($1, $2, …), (…), …` for `rows` rows of `columns` parameters.
fn values_sql(prefix: &str, columns: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(prefix.len() + rows * columns * 6);
    sql.push_str(prefix);
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        for c in 0..columns {
            if c > 0 {
                sql.push(',');
            }
            n += 1;
            sql.push('$');
            sql.push_str(&n.to_string());
        }
        sql.push(')');
    }
    sql
}
