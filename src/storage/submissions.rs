//! Submitted hand tests and their screenshots. A submission is stored whole or not at all:
//! its row, its screenshots (each file once, by content hash, in `snapshots`) and its
//! audit line in one transaction.

use super::accounts::audit_in;
use super::{Db, NewSnapshot, StorageError, Store, WritePool, on_pool};
use crate::domain::{HandVantage, NewAuditEntry, NewSubmission, Submission, SubmissionScreenshot};
use chrono::Utc;
use sqlx::{FromRow, Row, SqlSafeStr};

/// One screenshot ready to store: the sanitised image and its thumbnail (compressed as
/// snapshots are), with the name the file had.
#[derive(Debug, Clone)]
pub struct NewScreenshot {
    pub file_name: String,
    pub image: NewSnapshot,
    pub thumbnail: NewSnapshot,
    pub width: i64,
    pub height: i64,
}

pub(super) const SUBMISSION_COLUMNS: &str =
    "id, account_id, check_id, observed_at, status, device, os, app,
    app_version, network, network_region, account_region, steps, seen, state, reviewer_id,
    review_note, reviewed_at, observation_id, submitted_at";

macro_rules! submissions_from {
    ($row:ty) => {
        impl<'r> FromRow<'r, $row> for Submission {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                let state: String = row.try_get("state")?;
                Ok(Submission {
                    id: row.try_get("id")?,
                    account_id: row.try_get("account_id")?,
                    check_id: row.try_get("check_id")?,
                    observed_at: row.try_get("observed_at")?,
                    status: row.try_get("status")?,
                    vantage: HandVantage {
                        device: row.try_get("device")?,
                        os: row.try_get("os")?,
                        app: row.try_get("app")?,
                        app_version: row.try_get("app_version")?,
                        network: row.try_get("network")?,
                        network_region: row.try_get("network_region")?,
                        account_region: row.try_get("account_region")?,
                    },
                    steps: row.try_get("steps")?,
                    seen: row.try_get("seen")?,
                    state: state
                        .parse()
                        .map_err(|e: String| sqlx::Error::ColumnDecode {
                            index: "state".into(),
                            source: e.into(),
                        })?,
                    reviewer_id: row.try_get("reviewer_id")?,
                    review_note: row.try_get("review_note")?,
                    reviewed_at: row.try_get("reviewed_at")?,
                    observation_id: row.try_get("observation_id")?,
                    submitted_at: row.try_get("submitted_at")?,
                    screenshots: Vec::new(),
                })
            }
        }

        impl<'r> FromRow<'r, $row> for SubmissionScreenshot {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(SubmissionScreenshot {
                    position: row.try_get("position")?,
                    file_name: row.try_get("file_name")?,
                    image_sha256: row.try_get("image_sha256")?,
                    thumbnail_sha256: row.try_get("thumbnail_sha256")?,
                    width: row.try_get("width")?,
                    height: row.try_get("height")?,
                })
            }
        }
    };
}

submissions_from!(sqlx::sqlite::SqliteRow);
submissions_from!(sqlx::postgres::PgRow);

/// Stores screenshots `$shots` of submission `$id` in transaction `$tx`: each file once in
/// `snapshots` (by content hash), then the submission's rows in order.
macro_rules! insert_screenshots_in {
    ($tx:ident, $id:expr, $shots:expr, $now:expr) => {{
        for (position, shot) in $shots.iter().enumerate() {
            // Screenshots are whole (`as_snapshot`), never differences; one file a statement
            // (PostgreSQL refuses one hash twice in a statement, and files may repeat).
            for s in [&shot.image, &shot.thumbnail] {
                super::batch_statements::BatchStatements::insert_snapshots(&mut *$tx, &[s], $now)
                    .await?;
            }
            sqlx::query(
                "insert into submission_screenshots (submission_id, position, file_name,
                     image_sha256, thumbnail_sha256, width, height)
                 values ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind($id)
            .bind(position as i64 + 1)
            .bind(super::storable_text(&shot.file_name))
            .bind(&shot.image.sha256)
            .bind(&shot.thumbnail.sha256)
            .bind(shot.width)
            .bind(shot.height)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}
pub(super) use insert_screenshots_in;

impl Store {
    /// Stores a submission with its screenshots; refuses a check that does not exist or
    /// a status off its ladder. Its id.
    pub async fn insert_submission(
        &self,
        new: &NewSubmission,
        screenshots: &[NewScreenshot],
        audit: &NewAuditEntry,
    ) -> Result<i64, StorageError> {
        let new = &NewSubmission {
            steps: super::storable_text(&new.steps).into_owned(),
            seen: super::storable_text(&new.seen).into_owned(),
            ..new.clone()
        };
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let ladder: Vec<String> = sqlx::query_scalar(
                "select s.id from checks c join statuses s on s.kind = c.kind where c.id = $1",
            )
            .bind(&new.check_id)
            .fetch_all(&mut *tx)
            .await?;
            if ladder.is_empty() {
                return Err(StorageError::Invalid(format!("no check has id {}", new.check_id)));
            }
            if !ladder.contains(&new.status) {
                return Err(StorageError::Invalid(format!(
                    "status {} is not on the ladder of {}",
                    new.status, new.check_id
                )));
            }
            let now = Utc::now();
            let v = &new.vantage;
            let id: i64 = sqlx::query_scalar(
                "insert into submissions (account_id, check_id, observed_at, status, device, os,
                     app, app_version, network, network_region, account_region, steps, seen,
                     state, submitted_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'pending', $14)
                 returning id",
            )
            .bind(new.account_id)
            .bind(&new.check_id)
            .bind(new.observed_at)
            .bind(&new.status)
            .bind(super::storable_text(&v.device))
            .bind(super::storable_text(&v.os))
            .bind(super::storable_text(&v.app))
            .bind(super::storable_text(&v.app_version))
            .bind(super::storable_text(&v.network))
            .bind(super::storable_text(&v.network_region))
            .bind(super::storable_text(&v.account_region))
            .bind(&new.steps)
            .bind(&new.seen)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            insert_screenshots_in!(tx, id, screenshots, now);
            let audit = NewAuditEntry {
                subject: Some(format!("submission {id}")),
                ..audit.clone()
            };
            audit_in!(tx, &audit);
            tx.commit().await?;
            Ok(id)
        })
    }

    pub(super) async fn with_screenshots(
        &self,
        mut submissions: Vec<Submission>,
    ) -> Result<Vec<Submission>, StorageError> {
        for s in &mut submissions {
            s.screenshots = on_pool!(self, pool => sqlx::query_as(
                "select position, file_name, image_sha256, thumbnail_sha256, width, height
                 from submission_screenshots where submission_id = $1 order by position",
            )
            .bind(s.id)
            .fetch_all(pool)
            .await?);
        }
        Ok(submissions)
    }

    /// One submission with its screenshots.
    pub async fn submission(&self, id: i64) -> Result<Option<Submission>, StorageError> {
        let sql = format!("select {SUBMISSION_COLUMNS} from submissions where id = $1");
        let found: Option<Submission> = on_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(id)
            .fetch_optional(pool)
            .await?);
        Ok(self
            .with_screenshots(found.into_iter().collect())
            .await?
            .pop())
    }

    /// An account's submissions, newest first, with their screenshots.
    pub async fn submissions_of(&self, account: i64) -> Result<Vec<Submission>, StorageError> {
        let sql = format!(
            "select {SUBMISSION_COLUMNS} from submissions where account_id = $1
             order by submitted_at desc, id desc"
        );
        let found: Vec<Submission> = on_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(account)
            .fetch_all(pool)
            .await?);
        self.with_screenshots(found).await
    }

    /// How many submissions and screenshot rows are stored (tests: nothing half-stored).
    pub async fn submission_totals(&self) -> Result<(i64, i64), StorageError> {
        on_pool!(self, pool => Ok(sqlx::query_as(
            "select (select count(*) from submissions), (select count(*) from submission_screenshots)",
        )
        .fetch_one(pool)
        .await?))
    }
}
