//! Reviewing submitted hand tests: the queue, a reviewer's decision, the review thread and
//! the contributor's answer to a send-back.
//!
//! A decision is one transaction: a conditional update (`… where state = 'pending'`) that
//! only one reviewer can win, the thread message, the audit line and, for an approval,
//! the published observation (through the same insert path as every other observation,
//! so state and transitions follow) and its contributor's source. Nobody decides on
//! their own submission: refused here, not only hidden in the page.

use super::accounts::audit_in;
use super::submissions::{NewScreenshot, SUBMISSION_COLUMNS};
use super::{Db, StorageError, Store, WritePool, on_pool};
use crate::domain::{
    self, Account, Answer, Decision, NewAuditEntry, NewObservation, Precision, ReviewRefused,
    SourceKind, Submission, SubmissionState, ThreadEntry, ThreadKind, hand_test_source_id,
};
use chrono::{DateTime, Utc};
use sqlx::SqlSafeStr;
use std::collections::HashMap;

/// A published hand test as the exports show it beside its observation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedHandTest {
    /// What the tester did, in their words.
    pub steps: String,
    /// Its screenshots' positions, in order (`/observations/{id}/screenshots/{n}`).
    pub screenshots: Vec<i64>,
}

/// What a decision did: the observation an approval published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reviewed {
    pub observation_id: Option<i64>,
}

/// The observation an approved submission becomes: a hand test of source kind `manual`,
/// at the time observed, from the hand vantage, in the tester's words, credited to the
/// contributor's source.
fn observation_of(s: &Submission) -> NewObservation {
    NewObservation {
        check_id: s.check_id.clone(),
        observed_at: s.observed_at,
        precision: Precision::Instant,
        status: s.status.clone(),
        source_kind: SourceKind::Manual,
        source_id: Some(hand_test_source_id(s.account_id)),
        vantage: s.vantage.line(),
        quote: Some(s.seen.clone()),
        note_en: None,
        note_zh: None,
        evidence: None,
        catalog_key: None,
        probe: None,
    }
}

impl Store {
    /// Every account's public credit (public name, and organisation when given), by id:
    /// what review pages show of people, never their login.
    pub async fn public_names(
        &self,
    ) -> Result<std::collections::HashMap<i64, String>, StorageError> {
        let rows: Vec<(i64, String, Option<String>)> = on_pool!(self, pool => sqlx::query_as(
            "select id, public_name, organisation from accounts",
        )
        .fetch_all(pool)
        .await?);
        Ok(rows
            .into_iter()
            .map(|(id, name, org)| {
                let credit = match org.as_deref().map(str::trim) {
                    Some(o) if !o.is_empty() => format!("{name} ({o})"),
                    _ => name,
                };
                (id, credit)
            })
            .collect())
    }

    /// Pending submissions, oldest first (with their screenshots).
    pub async fn pending_submissions(&self) -> Result<Vec<Submission>, StorageError> {
        let sql = format!(
            "select {SUBMISSION_COLUMNS} from submissions where state = 'pending'
             order by submitted_at, id"
        );
        let found: Vec<Submission> = on_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .fetch_all(pool)
            .await?);
        self.with_screenshots(found).await
    }

    /// The submission published as observation `observation`, if one was.
    pub async fn submission_of_observation(
        &self,
        observation: i64,
    ) -> Result<Option<Submission>, StorageError> {
        let sql = format!(
            "select {SUBMISSION_COLUMNS} from submissions
             where observation_id = $1 and state = 'approved'"
        );
        let found: Option<Submission> = on_pool!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
            .bind(observation)
            .fetch_optional(pool)
            .await?);
        Ok(self
            .with_screenshots(found.into_iter().collect())
            .await?
            .pop())
    }

    /// The hand tests published (of one check, or of all): for each observation a hand
    /// test was published as, its steps and its screenshots' positions, in order. What the
    /// exports add to a hand test's row.
    pub async fn published_hand_tests(
        &self,
        check: Option<&str>,
    ) -> Result<HashMap<i64, PublishedHandTest>, StorageError> {
        let steps: Vec<(i64, String)> = on_pool!(self, pool => sqlx::query_as(
            "select observation_id, steps from submissions
             where state = 'approved' and observation_id is not null
               and ($1 is null or check_id = $1)",
        )
        .bind(check)
        .fetch_all(pool)
        .await?);
        let shots: Vec<(i64, i64)> = on_pool!(self, pool => sqlx::query_as(
            "select s.observation_id, ss.position
             from submissions s join submission_screenshots ss on ss.submission_id = s.id
             where s.state = 'approved' and s.observation_id is not null
               and ($1 is null or s.check_id = $1)
             order by s.observation_id, ss.position",
        )
        .bind(check)
        .fetch_all(pool)
        .await?);
        let mut found: HashMap<i64, PublishedHandTest> = steps
            .into_iter()
            .map(|(id, steps)| {
                (
                    id,
                    PublishedHandTest {
                        steps,
                        screenshots: Vec::new(),
                    },
                )
            })
            .collect();
        for (id, position) in shots {
            if let Some(h) = found.get_mut(&id) {
                h.screenshots.push(position);
            }
        }
        Ok(found)
    }

    /// A submission's review thread, oldest first, each message with its writer's public
    /// name.
    pub async fn submission_thread(&self, id: i64) -> Result<Vec<ThreadEntry>, StorageError> {
        let rows: Vec<(String, String, String, DateTime<Utc>)> = on_pool!(self, pool => sqlx::query_as(
            "select t.kind, a.public_name, t.body, t.written_at
             from submission_thread t join accounts a on a.id = t.account_id
             where t.submission_id = $1 order by t.id",
        )
        .bind(id)
        .fetch_all(pool)
        .await?);
        rows.into_iter()
            .map(|(kind, author, body, written_at)| {
                Ok(ThreadEntry {
                    kind: kind.parse().map_err(StorageError::Invalid)?,
                    author,
                    body,
                    written_at,
                })
            })
            .collect()
    }

    /// Records `reviewer`'s decision on pending submission `id`, all or nothing. Exactly
    /// one of two reviewers deciding at once wins; the other is told who did.
    pub async fn review_submission(
        &self,
        id: i64,
        reviewer: &Account,
        decision: &Decision,
        audit: &NewAuditEntry,
    ) -> Result<Result<Reviewed, ReviewRefused>, StorageError> {
        let (state, note, kind) = match decision {
            Decision::Approve => (SubmissionState::Approved, None, None),
            Decision::Reject { reason } => (
                SubmissionState::Rejected,
                Some(reason.trim()),
                Some(ThreadKind::Rejection),
            ),
            Decision::SendBack { question } => (
                SubmissionState::Returned,
                Some(question.trim()),
                Some(ThreadKind::Question),
            ),
        };
        if note.is_some_and(str::is_empty) {
            return Err(StorageError::Invalid(
                "a rejection needs a reason and a send-back a question".into(),
            ));
        }
        let note = note.map(|n| super::storable_text(n).into_owned());
        let sql = format!("select {SUBMISSION_COLUMNS} from submissions where id = $1");
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let found: Option<Submission> = sqlx::query_as(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(submission) = found else {
                return Ok(Err(ReviewRefused::NotFound));
            };
            if submission.account_id == reviewer.id {
                return Ok(Err(ReviewRefused::OwnSubmission));
            }
            let now = Utc::now();
            // The one statement two reviewers race on: whoever updates first wins, the
            // other updates nothing (PostgreSQL re-reads the row after the winner commits;
            // SQLite's write transactions run one at a time).
            let won = sqlx::query(
                "update submissions set state = $1, reviewer_id = $2, review_note = $3,
                     reviewed_at = $4
                 where id = $5 and state = 'pending' and account_id <> $2",
            )
            .bind(state.as_str())
            .bind(reviewer.id)
            .bind(note.as_deref())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if won == 0 {
                let (state, by): (String, Option<String>) = sqlx::query_as(
                    "select s.state, a.public_name from submissions s
                     left join accounts a on a.id = s.reviewer_id where s.id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                let state: SubmissionState = state.parse().map_err(StorageError::Invalid)?;
                return Ok(Err(ReviewRefused::AlreadyReviewed { by, state }));
            }
            if let (Some(kind), Some(body)) = (kind, note.as_deref()) {
                sqlx::query(
                    "insert into submission_thread (submission_id, kind, account_id, body,
                         written_at)
                     values ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(kind.as_str())
                .bind(reviewer.id)
                .bind(body)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            let mut published = None;
            if *decision == Decision::Approve {
                let (name, organisation): (String, Option<String>) = sqlx::query_as(
                    "select public_name, organisation from accounts where id = $1",
                )
                .bind(submission.account_id)
                .fetch_one(&mut *tx)
                .await?;
                let credit = match organisation.as_deref().map(str::trim) {
                    Some(org) if !org.is_empty() => format!("{name} ({org})"),
                    _ => name,
                };
                // The contributor's source: one per account, named as they are credited
                // today (a changed public name is the source's new name).
                sqlx::query(
                    "insert into sources (id, kind, publisher, title, title_en, published_on,
                         language, region, url)
                     values ($1, 'manual', $2, $3, $4, null, 'zh', 'CN', null)
                     on conflict (id) do update set publisher = excluded.publisher,
                         title = excluded.title, title_en = excluded.title_en
                     where sources.publisher <> excluded.publisher",
                )
                .bind(hand_test_source_id(submission.account_id))
                .bind(&credit)
                .bind(format!("{credit} 的实测"))
                .bind(format!("Hand tests by {credit}"))
                .execute(&mut *tx)
                .await?;
                let ladder: Vec<String> = sqlx::query_scalar(
                    "select s.id from checks c join statuses s on s.kind = c.kind where c.id = $1",
                )
                .bind(&submission.check_id)
                .fetch_all(&mut *tx)
                .await?;
                if submission.status != domain::UNKNOWN && !ladder.contains(&submission.status) {
                    return Err(StorageError::Invalid(format!(
                        "status \"{}\" is no longer on the ladder of check \"{}\"",
                        submission.status, submission.check_id
                    )));
                }
                let new = observation_of(&submission);
                let observation: i64 = super::insert_observation_in!(tx, &new);
                sqlx::query("update submissions set observation_id = $1 where id = $2")
                    .bind(observation)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                published = Some(observation);
            }
            let audit = NewAuditEntry {
                action: decision.action(),
                subject: Some(format!("submission {id}")),
                detail: match published {
                    Some(o) => Some(format!("published as observation {o}")),
                    None => audit.detail.clone(),
                },
                ..audit.clone()
            };
            audit_in!(tx, &audit);
            tx.commit().await?;
            Ok(Ok(Reviewed { observation_id: published }))
        })
    }

    /// The contributor's answer to a send-back: the corrected submission goes back to the
    /// queue (pending, no reviewer), the answer joins the thread. `screenshots`, when
    /// given, replace the submission's; else they are kept.
    pub async fn answer_submission(
        &self,
        id: i64,
        account_id: i64,
        answer: &Answer,
        screenshots: Option<&[NewScreenshot]>,
        audit: &NewAuditEntry,
    ) -> Result<Result<(), ReviewRefused>, StorageError> {
        let text = super::storable_text(answer.answer.trim()).into_owned();
        if text.is_empty() {
            return Err(StorageError::Invalid("an answer cannot be empty".into()));
        }
        let new = &answer.corrected;
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let ladder: Vec<String> = sqlx::query_scalar(
                "select s.id from statuses s join checks c on s.kind = c.kind
                 join submissions x on x.check_id = c.id where x.id = $1",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            if !ladder.contains(&new.status) {
                return Err(StorageError::Invalid(format!(
                    "status {} is not on the ladder of submission {id}'s check",
                    new.status
                )));
            }
            let now = Utc::now();
            let v = &new.vantage;
            let changed = sqlx::query(
                "update submissions set observed_at = $1, status = $2, device = $3, os = $4,
                     app = $5, app_version = $6, network = $7, network_region = $8,
                     account_region = $9, steps = $10, seen = $11, state = 'pending',
                     reviewer_id = null, review_note = null, reviewed_at = null
                 where id = $12 and account_id = $13 and state = 'returned'",
            )
            .bind(new.observed_at)
            .bind(&new.status)
            .bind(super::storable_text(&v.device))
            .bind(super::storable_text(&v.os))
            .bind(super::storable_text(&v.app))
            .bind(super::storable_text(&v.app_version))
            .bind(super::storable_text(&v.network))
            .bind(super::storable_text(&v.network_region))
            .bind(super::storable_text(&v.account_region))
            .bind(super::storable_text(&new.steps))
            .bind(super::storable_text(&new.seen))
            .bind(id)
            .bind(account_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok(Err(ReviewRefused::NotAwaitingAnswer));
            }
            sqlx::query(
                "insert into submission_thread (submission_id, kind, account_id, body, written_at)
                 values ($1, 'answer', $2, $3, $4)",
            )
            .bind(id)
            .bind(account_id)
            .bind(&text)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if let Some(shots) = screenshots {
                // An unpublished submission's files: the new ones replace the old (the
                // files themselves stay in the evidence store, by hash).
                sqlx::query("delete from submission_screenshots where submission_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                super::submissions::insert_screenshots_in!(tx, id, shots, now);
            }
            let audit = NewAuditEntry {
                action: "submission-answered",
                subject: Some(format!("submission {id}")),
                ..audit.clone()
            };
            audit_in!(tx, &audit);
            tx.commit().await?;
            Ok(Ok(()))
        })
    }
}
