//! What the admin pages read: the audit log filtered and paged, when each account last
//! signed in, and how many admins can still act.

use super::{Db, StorageError, Store, on_pool};
use crate::domain::AuditEntry;
use chrono::{DateTime, Utc};
use sqlx::SqlSafeStr;
use std::collections::HashMap;

/// Which audit lines to read: by actor (login, exact) and action (exact), when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
}

const AUDIT_WHERE: &str = "where ($1 is null or actor = $1) and ($2 is null or action = $2)";

impl Store {
    /// Audit lines matching `filter`, newest first: `limit` of them after skipping
    /// `offset`.
    pub async fn audit_page(
        &self,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<AuditEntry>, StorageError> {
        let sql = format!(
            "select id, occurred_at, actor_id, actor, action, subject, detail, address
             from audit_log {AUDIT_WHERE}
             order by occurred_at desc, id desc limit $3 offset $4"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(filter.actor.as_deref())
            .bind(filter.action.as_deref())
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?))
    }

    /// How many audit lines match `filter`.
    pub async fn audit_count(&self, filter: &AuditFilter) -> Result<i64, StorageError> {
        let sql = format!("select count(*) from audit_log {AUDIT_WHERE}");
        on_pool!(self, pool => Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(filter.actor.as_deref())
            .bind(filter.action.as_deref())
            .fetch_one(pool)
            .await?))
    }

    /// The actions the audit log holds, sorted (for the filter's choices).
    pub async fn audit_actions(&self) -> Result<Vec<String>, StorageError> {
        on_pool!(self, pool => Ok(sqlx::query_scalar(
            "select distinct action from audit_log order by action",
        )
        .fetch_all(pool)
        .await?))
    }

    /// When each account last signed in (from the audit log), by account id.
    pub async fn last_sign_ins(&self) -> Result<HashMap<i64, DateTime<Utc>>, StorageError> {
        let rows: Vec<(i64, DateTime<Utc>)> = on_pool!(self, pool => sqlx::query_as(
            "select actor_id, max(occurred_at) from audit_log
             where action = 'signed-in' and actor_id is not null group by actor_id",
        )
        .fetch_all(pool)
        .await?);
        Ok(rows.into_iter().collect())
    }

    /// How many admins are enabled.
    pub async fn enabled_admin_count(&self) -> Result<i64, StorageError> {
        on_pool!(self, pool => Ok(sqlx::query_scalar(
            "select count(*) from accounts where role = 'admin' and disabled_at is null",
        )
        .fetch_one(pool)
        .await?))
    }
}
