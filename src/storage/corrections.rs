//! Corrections: retracting a published observation and the public corrections log.
//!
//! A retraction never deletes: it marks the row (when, by whom, why, from where), rebuilds
//! the transitions of the observation's (check, source) without it, and writes its audit
//! line, all in one transaction. The write bumps the data version (the observations
//! trigger), so every memo, ETag and `/dataset.zip` moves with it.

use super::accounts::audit_in;
use super::{Db, StorageError, Store, WritePool, on_pool};
use crate::domain::{
    Correction, MethodChangeEntry, NewAuditEntry, RetractOutcome, RetractionEntry,
};
use chrono::{DateTime, Utc};
use sqlx::{FromRow, Row, SqlSafeStr};

macro_rules! corrections_from {
    ($row:ty) => {
        impl<'r> FromRow<'r, $row> for RetractionEntry {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(RetractionEntry {
                    observation_id: row.try_get("id")?,
                    check_id: row.try_get("check_id")?,
                    kind: row.try_get("kind")?,
                    subject: row.try_get("subject")?,
                    object: row.try_get("object")?,
                    status: row.try_get("status")?,
                    source_kind: row.try_get("source_kind")?,
                    observed_at: row.try_get("observed_at")?,
                    precision: row.try_get("precision")?,
                    retracted_at: row.try_get("retracted_at")?,
                    reason: row.try_get("retraction_reason")?,
                    reviewer: row.try_get("public_name")?,
                })
            }
        }

        impl<'r> FromRow<'r, $row> for MethodChangeEntry {
            fn from_row(row: &'r $row) -> Result<Self, sqlx::Error> {
                Ok(MethodChangeEntry {
                    id: row.try_get("id")?,
                    pack_id: row.try_get("pack_id")?,
                    from_version: row.try_get("from_version")?,
                    to_version: row.try_get("to_version")?,
                    happened_at: row.try_get("happened_at")?,
                    checked: row.try_get("checked")?,
                    changed: row.try_get("changed")?,
                })
            }
        }
    };
}

corrections_from!(sqlx::sqlite::SqliteRow);
corrections_from!(sqlx::postgres::PgRow);

/// Retractions of real observations (simulated data stays apart), newest first. Rows only:
/// a repeat is never retracted (it is written out whole first, migration 0032).
const RETRACTIONS: &str = "select o.id, o.check_id, c.kind, c.subject, c.object, o.status,
        o.source_kind, o.observed_at, o.precision, o.retracted_at, o.retraction_reason, a.public_name
     from observations o
     join checks c on c.id = o.check_id
     left join accounts a on a.id = o.retracted_by
     where o.retracted_at is not null and o.source_kind <> 'simulated'
     order by o.retracted_at desc, o.id desc
     limit $1";

/// Method changes, newest first, leaving out the packs numbered `$2`… (`hidden` of them).
fn method_changes_sql(hidden: usize) -> String {
    format!(
        "select id, pack_id, from_version, to_version, happened_at, checked, changed
         from method_changes {}
         order by happened_at desc, id desc
         limit $1",
        not_these_packs(hidden, 2)
    )
}

/// `where pack_id not in ($first, …)` for `hidden` packs; nothing when there are none.
/// Only numbered placeholders are formatted into the text; the ids are bound.
fn not_these_packs(hidden: usize, first: usize) -> String {
    if hidden == 0 {
        return String::new();
    }
    let placeholders: Vec<String> = (0..hidden).map(|i| format!("${}", i + first)).collect();
    format!("where pack_id not in ({})", placeholders.join(", "))
}

impl Store {
    /// Retracts observation `id` with `reason` (already checked by
    /// [`crate::domain::retraction_reason`]); `audit` names the reviewer (its actor id and
    /// address are kept on the row) and is written in the same transaction. Retracting
    /// twice changes nothing and says when the first retraction was.
    pub async fn retract_observation(
        &self,
        id: i64,
        reason: &str,
        audit: &NewAuditEntry,
    ) -> Result<RetractOutcome, StorageError> {
        let sought = format!(
            "select check_id, source_key, retracted_at from {} where id = $1",
            self.observations_by_id("$1")
        );
        on_pool!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: Option<(String, String, Option<DateTime<Utc>>)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sought.clone()).into_sql_str())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((check_id, source_key, before)) = row else {
                return Ok(RetractOutcome::NoSuchObservation);
            };
            if let Some(at) = before {
                return Ok(RetractOutcome::AlreadyRetracted { at });
            }
            let now = Utc::now();
            // A repeat is retracted as a row of its own (migration 0032).
            super::unfold_in!(tx, id);
            // Guarded again in the update: of two reviewers retracting at once, one wins.
            let done = sqlx::query(
                "update observations set retracted_at = $2, retracted_by = $3,
                     retraction_reason = $4, retracted_from = $5
                 where id = $1 and retracted_at is null",
            )
            .bind(id)
            .bind(now)
            .bind(audit.actor_id)
            .bind(reason)
            .bind(audit.address.as_deref())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 0 {
                let at: Option<DateTime<Utc>> =
                    sqlx::query_scalar("select retracted_at from observations where id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                return Ok(RetractOutcome::AlreadyRetracted { at: at.unwrap_or(now) });
            }
            super::rebuild_transitions_in!(tx, &check_id, &source_key);
            audit_in!(tx, audit);
            tx.commit().await?;
            Ok(RetractOutcome::Retracted { check_id })
        })
    }

    /// One page of the corrections log, newest first: retractions of real observations
    /// and method changes (except those of `simulated_packs`: simulated data stays apart),
    /// merged; with how many there are in all.
    pub async fn corrections(
        &self,
        limit: i64,
        offset: i64,
        simulated_packs: &[&str],
    ) -> Result<(Vec<Correction>, i64), StorageError> {
        let wanted = limit.saturating_add(offset).max(0);
        let (retractions, methods, total) = on_pool!(self, pool => {
            let retractions = sqlx::query_as::<_, RetractionEntry>(RETRACTIONS)
                .bind(wanted)
                .fetch_all(pool)
                .await?;
            let sql = method_changes_sql(simulated_packs.len());
            let mut q = sqlx::query_as::<_, MethodChangeEntry>(sqlx::AssertSqlSafe(sql).into_sql_str())
                .bind(wanted);
            for pack in simulated_packs {
                q = q.bind(*pack);
            }
            let methods = q.fetch_all(pool).await?;
            let count = format!(
                "select (select count(*) from observations
                         where retracted_at is not null and source_kind <> 'simulated')
                      + (select count(*) from method_changes {})",
                not_these_packs(simulated_packs.len(), 1)
            );
            let mut q = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count).into_sql_str());
            for pack in simulated_packs {
                q = q.bind(*pack);
            }
            let total: i64 = q.fetch_one(pool).await?;
            (retractions, methods, total)
        });
        let mut all: Vec<Correction> = retractions
            .into_iter()
            .map(Correction::Retraction)
            .chain(methods.into_iter().map(Correction::MethodChange))
            .collect();
        // Newest first; a retraction before a method change of the same instant.
        all.sort_by_key(|c| {
            std::cmp::Reverse((
                c.at(),
                matches!(c, Correction::Retraction(_)),
                match c {
                    Correction::Retraction(r) => r.observation_id,
                    Correction::MethodChange(m) => m.id,
                },
            ))
        });
        let page = all
            .into_iter()
            .skip(usize::try_from(offset).unwrap_or(0))
            .take(usize::try_from(limit).unwrap_or(0))
            .collect();
        Ok((page, total))
    }
}
