//! Sign-in sessions kept in the database (both backends), for `tower-sessions`.
//!
//! A session's id is stored only as its SHA-256, so the table read by someone else gives
//! no cookie that works. The signed-in account's id is kept beside the record, so that
//! disabling an account or resetting its password ends all of its sessions at once.

use super::{Db, StorageError, Store, WritePool, on_pool};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The key under which a session holds its account's id.
pub const ACCOUNT_KEY: &str = "account";

/// [`SessionStore`] over Hutong's own [`Store`].
#[derive(Debug, Clone)]
pub struct StoredSessions {
    store: Store,
}

impl StoredSessions {
    pub fn new(store: Store) -> StoredSessions {
        StoredSessions { store }
    }
}

fn id_hash(id: &Id) -> String {
    let digest = Sha256::digest(id.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn expiry(record: &Record) -> DateTime<Utc> {
    DateTime::from_timestamp(
        record.expiry_date.unix_timestamp(),
        record.expiry_date.nanosecond(),
    )
    .unwrap_or_else(Utc::now)
}

fn backend(e: impl std::fmt::Display) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

impl Store {
    /// Stores a new session; false when its id is already taken.
    async fn insert_session(&self, record: &Record) -> Result<bool, StorageError> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| StorageError::Invalid(e.to_string()))?;
        let account: Option<i64> = record.data.get(ACCOUNT_KEY).and_then(|v| v.as_i64());
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query(
                "insert into sessions (id_hash, account_id, data, expires_at) values ($1, $2, $3, $4)
                 on conflict (id_hash) do nothing",
            )
            .bind(id_hash(&record.id))
            .bind(account)
            .bind(data)
            .bind(expiry(record))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            Ok(n == 1)
        })
    }

    async fn save_session(&self, record: &Record) -> Result<(), StorageError> {
        let data = serde_json::to_string(&record.data)
            .map_err(|e| StorageError::Invalid(e.to_string()))?;
        let account: Option<i64> = record.data.get(ACCOUNT_KEY).and_then(|v| v.as_i64());
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            // A session whose account was disabled meanwhile is not written back.
            let disabled: Option<bool> = match account {
                Some(id) => sqlx::query_scalar(
                    "select disabled_at is not null from accounts where id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?,
                None => Some(false),
            };
            if disabled != Some(false) {
                sqlx::query("delete from sessions where id_hash = $1")
                    .bind(id_hash(&record.id))
                    .execute(&mut *tx)
                    .await?;
            } else {
                sqlx::query(
                    "insert into sessions (id_hash, account_id, data, expires_at)
                     values ($1, $2, $3, $4)
                     on conflict (id_hash) do update set account_id = excluded.account_id,
                         data = excluded.data, expires_at = excluded.expires_at",
                )
                .bind(id_hash(&record.id))
                .bind(account)
                .bind(data)
                .bind(expiry(record))
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    async fn load_session(&self, id: &Id) -> Result<Option<Record>, StorageError> {
        let row: Option<(String, DateTime<Utc>)> = on_pool!(self, pool => sqlx::query_as(
            "select data, expires_at from sessions where id_hash = $1 and expires_at > $2",
        )
        .bind(id_hash(id))
        .bind(Utc::now())
        .fetch_optional(pool)
        .await?);
        let Some((data, expires_at)) = row else {
            return Ok(None);
        };
        let data: HashMap<String, serde_json::Value> =
            serde_json::from_str(&data).map_err(|e| StorageError::Invalid(e.to_string()))?;
        let expiry_date = time::OffsetDateTime::from_unix_timestamp(expires_at.timestamp())
            .map_err(|e| StorageError::Invalid(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date,
        }))
    }

    async fn delete_session(&self, id: &Id) -> Result<(), StorageError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("delete from sessions where id_hash = $1")
                .bind(id_hash(id))
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// Deletes sessions past their expiry; how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64, StorageError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let n = sqlx::query("delete from sessions where expires_at <= $1")
                .bind(Utc::now())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            Ok(n)
        })
    }

    /// How many live sessions an account has.
    pub async fn session_count(&self, account: i64) -> Result<i64, StorageError> {
        on_pool!(self, pool => Ok(sqlx::query_scalar(
            "select count(*) from sessions where account_id = $1 and expires_at > $2",
        )
        .bind(account)
        .bind(Utc::now())
        .fetch_one(pool)
        .await?))
    }
}

#[async_trait::async_trait]
impl SessionStore for StoredSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A clash of 128-bit random ids is unlikely but handled: draw another.
        while !self.store.insert_session(record).await.map_err(backend)? {
            record.id = Id::default();
        }
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store.save_session(record).await.map_err(backend)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.store.load_session(id).await.map_err(backend)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.store.delete_session(id).await.map_err(backend)
    }
}
