//! API tokens: stored as their SHA-256 only, with a name, a scope, and when each was
//! created, last used and revoked. Creating and revoking one is written with its audit
//! line in one transaction.

use super::accounts::audit_in;
use super::{Db, StorageError, Store, WritePool, on_pool};
use crate::domain::{Account, ApiToken, NewAuditEntry};
use chrono::Utc;
use sqlx::{FromRow, Row, SqlSafeStr};

const TOKEN_COLUMNS: &str = "id, account_id, name, scope, created_at, last_used_at, revoked_at";

macro_rules! tokens_from {
    ($row:ty) => {
        impl<'r> FromRow<'r, $row> for ApiToken {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(ApiToken {
                    id: row.try_get("id")?,
                    account_id: row.try_get("account_id")?,
                    name: row.try_get("name")?,
                    scope: row.try_get("scope")?,
                    created_at: row.try_get("created_at")?,
                    last_used_at: row.try_get("last_used_at")?,
                    revoked_at: row.try_get("revoked_at")?,
                })
            }
        }
    };
}

tokens_from!(sqlx::sqlite::SqliteRow);
tokens_from!(sqlx::postgres::PgRow);

impl Store {
    /// Stores a new token of `account` by its SHA-256 (hex).
    pub async fn insert_token(
        &self,
        account: i64,
        name: &str,
        scope: &str,
        sha256: &str,
        audit: &NewAuditEntry,
    ) -> Result<ApiToken, StorageError> {
        let sql = format!(
            "insert into api_tokens (account_id, name, scope, token_sha256, created_at)
             values ($1, $2, $3, $4, $5) returning {TOKEN_COLUMNS}"
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let token: ApiToken = sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(account)
                .bind(super::storable_text(name))
                .bind(scope)
                .bind(sha256)
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await?;
            let audit = NewAuditEntry {
                subject: Some(format!("token {}", token.id)),
                ..audit.clone()
            };
            audit_in!(tx, &audit);
            tx.commit().await?;
            Ok(token)
        })
    }

    /// An account's tokens, newest first (revoked ones included).
    pub async fn tokens_of(&self, account: i64) -> Result<Vec<ApiToken>, StorageError> {
        let sql = format!(
            "select {TOKEN_COLUMNS} from api_tokens where account_id = $1
             order by created_at desc, id desc"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(account)
            .fetch_all(pool)
            .await?))
    }

    /// Revokes `account`'s token `id`; false when it has no such token still in use.
    pub async fn revoke_token(
        &self,
        account: i64,
        id: i64,
        audit: &NewAuditEntry,
    ) -> Result<bool, StorageError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query(
                "update api_tokens set revoked_at = $3
                 where id = $1 and account_id = $2 and revoked_at is null",
            )
            .bind(id)
            .bind(account)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(false);
            }
            let audit = NewAuditEntry {
                subject: Some(format!("token {id}")),
                ..audit.clone()
            };
            audit_in!(tx, &audit);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The token with this SHA-256 and its account, when the token is not revoked and
    /// has `scope`, and the account is enabled; marks the token used now.
    pub async fn use_token(
        &self,
        sha256: &str,
        scope: &str,
    ) -> Result<Option<(ApiToken, Account)>, StorageError> {
        let sql = format!(
            "select {TOKEN_COLUMNS} from api_tokens
             where token_sha256 = $1 and scope = $2 and revoked_at is null"
        );
        let token: Option<ApiToken> = on_pool!(self, pool => sqlx::query_as(
            sqlx::AssertSqlSafe(sql).into_sql_str(),
        )
        .bind(sha256)
        .bind(scope)
        .fetch_optional(pool)
        .await?);
        let Some(token) = token else {
            return Ok(None);
        };
        let Some(account) = self
            .account(token.account_id)
            .await?
            .filter(|a| !a.is_disabled())
        else {
            return Ok(None);
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("update api_tokens set last_used_at = $2 where id = $1")
                .bind(token.id)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
        });
        Ok(Some((token, account)))
    }
}
