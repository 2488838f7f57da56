//! Accounts and the audit log. Every change to an account is written in the same
//! transaction as its audit line: no change without its record, no record without its
//! change. Password hashes go in and are read back only for checking a sign-in.

use super::{Backend, Db, StorageError, Store, WritePool, on_pool};
use crate::domain::{Account, AuditEntry, NewAccount, NewAuditEntry, Role};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, Row, SqlSafeStr};

const ACCOUNT_COLUMNS: &str =
    "id, login, public_name, organisation, email, role, disabled_at, created_at";

macro_rules! accounts_from {
    ($row:ty) => {
        impl<'r> FromRow<'r, $row> for Account {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                let role: String = row.try_get("role")?;
                Ok(Account {
                    id: row.try_get("id")?,
                    login: row.try_get("login")?,
                    public_name: row.try_get("public_name")?,
                    organisation: row.try_get("organisation")?,
                    email: row.try_get("email")?,
                    role: role
                        .parse()
                        .map_err(|e: String| sqlx::Error::ColumnDecode {
                            index: "role".into(),
                            source: e.into(),
                        })?,
                    disabled_at: row.try_get("disabled_at")?,
                    created_at: row.try_get("created_at")?,
                })
            }
        }

        impl<'r> FromRow<'r, $row> for AuditEntry {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(AuditEntry {
                    id: row.try_get("id")?,
                    occurred_at: row.try_get("occurred_at")?,
                    actor_id: row.try_get("actor_id")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    subject: row.try_get("subject")?,
                    detail: row.try_get("detail")?,
                    address: row.try_get("address")?,
                })
            }
        }
    };
}

accounts_from!(sqlx::sqlite::SqliteRow);
accounts_from!(sqlx::postgres::PgRow);

/// Writes `$entry` (a `&NewAuditEntry`) inside transaction `$tx`.
macro_rules! audit_in {
    ($tx:ident, $entry:expr) => {{
        let entry: &NewAuditEntry = $entry;
        sqlx::query(
            "insert into audit_log (occurred_at, actor_id, actor, action, subject, detail, address)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Utc::now())
        .bind(entry.actor_id)
        .bind(&entry.actor)
        .bind(entry.action)
        .bind(entry.subject.as_deref())
        .bind(entry.detail.as_deref())
        .bind(entry.address.as_deref())
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use audit_in;

/// Whether, inside the transaction `$tx`, no enabled admin is left.
macro_rules! no_enabled_admin {
    ($tx:ident) => {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from accounts where role = 'admin' and disabled_at is null",
        )
        .fetch_one(&mut *$tx)
        .await?
            == 0
    };
}

impl Store {
    /// Creates an account; refuses a login already taken (whatever its letter case).
    pub async fn insert_account(
        &self,
        new: &NewAccount,
        password_hash: &str,
        audit: &NewAuditEntry,
    ) -> Result<Account, StorageError> {
        let sql = format!(
            "insert into accounts (login, public_name, organisation, email, role,
                 password_hash, created_at, password_changed_at)
             values ($1, $2, $3, $4, $5, $6, $7, $7)
             returning {ACCOUNT_COLUMNS}"
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let taken: Option<i64> =
                sqlx::query_scalar("select id from accounts where lower(login) = lower($1)")
                    .bind(&new.login)
                    .fetch_optional(&mut *tx)
                    .await?;
            if taken.is_some() {
                return Err(StorageError::Invalid(format!(
                    "the login \"{}\" is taken",
                    new.login
                )));
            }
            let account: Account = sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(&new.login)
                .bind(&new.public_name)
                .bind(new.organisation.as_deref())
                .bind(new.email.as_deref())
                .bind(new.role.as_str())
                .bind(password_hash)
                .bind(Utc::now())
                .fetch_one(&mut *tx)
                .await?;
            audit_in!(tx, audit);
            tx.commit().await?;
            Ok(account)
        })
    }

    /// The account of `login` (any letter case) with its password hash, for a sign-in.
    pub async fn account_for_sign_in(
        &self,
        login: &str,
    ) -> Result<Option<(Account, String)>, StorageError> {
        let sql = format!(
            "select {ACCOUNT_COLUMNS}, password_hash from accounts where lower(login) = lower($1)"
        );
        on_pool!(self, pool => {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(login)
                .fetch_optional(pool)
                .await?;
            match row {
                None => Ok(None),
                Some(row) => {
                    let account = Account::from_row(&row)?;
                    let hash: String = row.try_get("password_hash")?;
                    Ok(Some((account, hash)))
                }
            }
        })
    }

    pub async fn account(&self, id: i64) -> Result<Option<Account>, StorageError> {
        let sql = format!("select {ACCOUNT_COLUMNS} from accounts where id = $1");
        on_pool!(self, pool => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(id)
            .fetch_optional(pool)
            .await?))
    }

    pub async fn account_by_login(&self, login: &str) -> Result<Option<Account>, StorageError> {
        let sql = format!("select {ACCOUNT_COLUMNS} from accounts where lower(login) = lower($1)");
        on_pool!(self, pool => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(login)
            .fetch_optional(pool)
            .await?))
    }

    /// Every account, by login.
    pub async fn accounts(&self) -> Result<Vec<Account>, StorageError> {
        let sql = format!("select {ACCOUNT_COLUMNS} from accounts order by lower(login), id");
        on_pool!(self, pool => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .fetch_all(pool)
            .await?))
    }

    /// Whether any account exists yet (the first admin comes from the command line).
    pub async fn account_count(&self) -> Result<i64, StorageError> {
        on_pool!(self, pool => Ok(sqlx::query_scalar("select count(*) from accounts")
            .fetch_one(pool)
            .await?))
    }

    /// Sets a new password (hash) and ends every session of the account.
    pub async fn set_password(
        &self,
        account: i64,
        password_hash: &str,
        audit: &NewAuditEntry,
    ) -> Result<(), StorageError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let changed = sqlx::query(
                "update accounts set password_hash = $2, password_changed_at = $3 where id = $1",
            )
            .bind(account)
            .bind(password_hash)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Err(StorageError::Invalid(format!("no account has id {account}")));
            }
            sqlx::query("delete from sessions where account_id = $1")
                .bind(account)
                .execute(&mut *tx)
                .await?;
            audit_in!(tx, audit);
            tx.commit().await?;
            Ok(())
        })
    }

    /// Disables (or enables again) an account; disabling ends every session it has.
    ///
    /// With `keep_an_admin`, the change is undone (and `false` returned) when it would
    /// leave no enabled admin: checked in the same transaction, with the enabled admins'
    /// rows locked on PostgreSQL, so two admins acting at once cannot both take away the
    /// last but one.
    pub async fn set_disabled(
        &self,
        account: i64,
        disabled: bool,
        keep_an_admin: bool,
        audit: &NewAuditEntry,
    ) -> Result<bool, StorageError> {
        let at: Option<DateTime<Utc>> = disabled.then(Utc::now);
        let lock = self.enabled_admins_lock();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if keep_an_admin {
                sqlx::query(lock).fetch_all(&mut *tx).await?;
            }
            let changed = sqlx::query("update accounts set disabled_at = $2 where id = $1")
                .bind(account)
                .bind(at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Err(StorageError::Invalid(format!("no account has id {account}")));
            }
            if keep_an_admin && no_enabled_admin!(tx) {
                tx.rollback().await?;
                return Ok(false);
            }
            if disabled {
                sqlx::query("delete from sessions where account_id = $1")
                    .bind(account)
                    .execute(&mut *tx)
                    .await?;
            }
            audit_in!(tx, audit);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Changes an account's role; `keep_an_admin` as for [`Store::set_disabled`].
    pub async fn set_role(
        &self,
        account: i64,
        role: Role,
        keep_an_admin: bool,
        audit: &NewAuditEntry,
    ) -> Result<bool, StorageError> {
        let lock = self.enabled_admins_lock();
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            if keep_an_admin {
                sqlx::query(lock).fetch_all(&mut *tx).await?;
            }
            sqlx::query("update accounts set role = $2 where id = $1")
                .bind(account)
                .bind(role.as_str())
                .execute(&mut *tx)
                .await?;
            if keep_an_admin && no_enabled_admin!(tx) {
                tx.rollback().await?;
                return Ok(false);
            }
            audit_in!(tx, audit);
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Reads the enabled admins' rows, locking them on PostgreSQL until the transaction
    /// ends (SQLite's write transaction already holds the whole database).
    fn enabled_admins_lock(&self) -> &'static str {
        match self.backend() {
            Backend::Postgres => {
                "select id from accounts where role = 'admin' and disabled_at is null for update"
            }
            Backend::Sqlite => {
                "select id from accounts where role = 'admin' and disabled_at is null"
            }
        }
    }

    /// Writes one audit line on its own (sign-ins, sign-outs, refused attempts).
    pub async fn record_audit(&self, entry: &NewAuditEntry) -> Result<(), StorageError> {
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            audit_in!(tx, entry);
            tx.commit().await?;
            Ok(())
        })
    }

    /// The audit log, newest first: at most `limit` lines.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditEntry>, StorageError> {
        on_pool!(self, pool => Ok(sqlx::query_as(
            "select id, occurred_at, actor_id, actor, action, subject, detail, address
             from audit_log order by occurred_at desc, id desc limit $1",
        )
        .bind(limit)
        .fetch_all(pool)
        .await?))
    }
}
