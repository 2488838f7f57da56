//! The webhook queue: deliveries waiting, sent or given up, each attempt kept for the
//! admins' log, and how far confirmed changes have been looked at. No secret is stored.

use super::{Db, StorageError, Store, WritePool, on_pool};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, SqlSafeStr};

/// A delivery, queued or done.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct WebhookDelivery {
    pub id: i64,
    /// The receiver's URL (credentials redacted).
    pub webhook: String,
    /// `change` or `alert`.
    pub event: String,
    pub about: String,
    pub payload: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub gave_up_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

/// One attempt at a delivery.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct WebhookAttempt {
    pub delivery_id: i64,
    pub attempted_at: DateTime<Utc>,
    /// The receiver's HTTP status; `None` when no answer came.
    pub status: Option<i32>,
    pub error: Option<String>,
}

/// What an attempt led to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttemptOutcome {
    Delivered,
    RetryAt(DateTime<Utc>),
    GaveUp,
}

/// A transition whose observation is a confirmed probe verdict.
#[derive(Debug, Clone, PartialEq, FromRow)]
pub struct ConfirmedChange {
    pub transition_id: i64,
    pub observation_id: i64,
    pub check_id: String,
    pub source_key: String,
    pub vantage: Option<String>,
    pub occurred_at: DateTime<Utc>,
    pub from_status: Option<String>,
    pub to_status: String,
}

const DELIVERY_COLUMNS: &str = "id, webhook, event, about, payload, created_at, attempts, \
     next_attempt_at, delivered_at, gave_up_at, last_status, last_error";

impl Store {
    /// Queues a delivery to try at once; false when `webhook` already has one `about` this.
    pub async fn enqueue_webhook(
        &self,
        webhook: &str,
        event: &str,
        about: &str,
        payload: &str,
    ) -> Result<bool, StorageError> {
        let now = Utc::now();
        on_pool!(self, pool => {
            let done = sqlx::query(
                "insert into webhook_deliveries (webhook, event, about, payload, created_at,
                     next_attempt_at)
                 values ($1, $2, $3, $4, $5, $5)
                 on conflict (webhook, about) do nothing",
            )
            .bind(webhook)
            .bind(event)
            .bind(about)
            .bind(payload)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Deliveries due at `now`, oldest first.
    pub async fn due_webhook_deliveries(
        &self,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, StorageError> {
        let sql = format!(
            "select {DELIVERY_COLUMNS} from webhook_deliveries
             where next_attempt_at is not null and next_attempt_at <= $1
             order by next_attempt_at, id limit $2"
        );
        on_pool!(self, pool => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }

    /// Records an attempt and what it led to, in one transaction.
    pub async fn record_webhook_attempt(
        &self,
        id: i64,
        at: DateTime<Utc>,
        status: Option<u16>,
        error: Option<&str>,
        outcome: AttemptOutcome,
    ) -> Result<(), StorageError> {
        let status = status.map(i32::from);
        let (next, delivered, gave_up) = match outcome {
            AttemptOutcome::Delivered => (None, Some(at), None),
            AttemptOutcome::RetryAt(next) => (Some(next), None, None),
            AttemptOutcome::GaveUp => (None, None, Some(at)),
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query(
                "insert into webhook_attempts (delivery_id, attempted_at, status, error)
                 values ($1, $2, $3, $4)",
            )
            .bind(id)
            .bind(at)
            .bind(status)
            .bind(error)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "update webhook_deliveries set attempts = attempts + 1, next_attempt_at = $2,
                     delivered_at = $3, gave_up_at = $4, last_status = $5, last_error = $6
                 where id = $1",
            )
            .bind(id)
            .bind(next)
            .bind(delivered)
            .bind(gave_up)
            .bind(status)
            .bind(error)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    /// The newest deliveries, for the log.
    pub async fn webhook_deliveries(
        &self,
        limit: i64,
    ) -> Result<Vec<WebhookDelivery>, StorageError> {
        let sql =
            format!("select {DELIVERY_COLUMNS} from webhook_deliveries order by id desc limit $1");
        on_pool!(self, pool => Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(limit)
            .fetch_all(pool)
            .await?))
    }

    /// A delivery's attempts, in order.
    pub async fn webhook_attempts(
        &self,
        delivery: i64,
    ) -> Result<Vec<WebhookAttempt>, StorageError> {
        on_pool!(self, pool => Ok(sqlx::query_as(
            "select delivery_id, attempted_at, status, error from webhook_attempts
             where delivery_id = $1 order by id",
        )
        .bind(delivery)
        .fetch_all(pool)
        .await?))
    }

    /// Confirmed probe changes after transition `after`, in order, and the last transition
    /// id looked at (to start from next time).
    pub async fn confirmed_changes_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<(Vec<ConfirmedChange>, i64), StorageError> {
        let rows: Vec<(i64, Option<bool>, ConfirmedChangeRow)> = on_pool!(self, pool => {
            let rows: Vec<ConfirmedChangeRow> = sqlx::query_as(
                "select t.id as transition_id, t.observation_id, t.check_id, t.source_key,
                     o.vantage, t.occurred_at, t.from_status, t.to_status, o.confirmed
                 from transitions t join observations o on o.id = t.observation_id
                 where t.id > $1 order by t.id limit $2",
            )
            .bind(after)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(|r| (r.transition_id, r.confirmed, r)).collect()
        });
        let last = rows.last().map_or(after, |(id, _, _)| *id);
        let changes = rows
            .into_iter()
            .filter(|(_, confirmed, _)| *confirmed == Some(true))
            .map(|(_, _, r)| ConfirmedChange {
                transition_id: r.transition_id,
                observation_id: r.observation_id,
                check_id: r.check_id,
                source_key: r.source_key,
                vantage: r.vantage,
                occurred_at: r.occurred_at,
                from_status: r.from_status,
                to_status: r.to_status,
            })
            .collect();
        Ok((changes, last))
    }

    /// How far confirmed changes were looked at; the first call starts at the newest
    /// transition (what happened before webhooks were set up is not sent).
    pub async fn webhook_cursor(&self) -> Result<i64, StorageError> {
        on_pool!(self, pool => {
            let kept: Option<i64> =
                sqlx::query_scalar("select last_transition_id from webhook_cursor where id = 1")
                    .fetch_optional(pool)
                    .await?;
            if let Some(kept) = kept {
                return Ok(kept);
            }
            let newest: Option<i64> = sqlx::query_scalar("select max(id) from transitions")
                .fetch_one(pool)
                .await?;
            let newest = newest.unwrap_or(0);
            sqlx::query(
                "insert into webhook_cursor (id, last_transition_id) values (1, $1)
                 on conflict (id) do nothing",
            )
            .bind(newest)
            .execute(pool)
            .await?;
            Ok(newest)
        })
    }

    pub async fn set_webhook_cursor(&self, last: i64) -> Result<(), StorageError> {
        on_pool!(self, pool => {
            sqlx::query(
                "insert into webhook_cursor (id, last_transition_id) values (1, $1)
                 on conflict (id) do update set last_transition_id = excluded.last_transition_id",
            )
            .bind(last)
            .execute(pool)
            .await?;
            Ok(())
        })
    }
}

#[derive(FromRow)]
struct ConfirmedChangeRow {
    transition_id: i64,
    observation_id: i64,
    check_id: String,
    source_key: String,
    vantage: Option<String>,
    occurred_at: DateTime<Utc>,
    from_status: Option<String>,
    to_status: String,
    confirmed: Option<bool>,
}
