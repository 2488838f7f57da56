//! The records pure code reasons about: observations (new and stored), the transitions
//! between consecutive observations, confirmed status changes, and what is known of one
//! check at a date. Storage reads rows into these types; state, compliance, charts,
//! probes and pages take them from here.

use super::{Evidence, Precision, SourceKind, UNKNOWN};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One stored observation, with its source's citation when it has one.
#[derive(Debug, Clone, Serialize)]
pub struct ObservationRecord {
    pub id: i64,
    pub check_id: String,
    pub observed_at: DateTime<Utc>,
    pub precision: String,
    pub status: String,
    pub source_kind: String,
    pub source_key: String,
    pub source_id: Option<String>,
    pub vantage: String,
    pub quote: Option<String>,
    pub note_en: Option<String>,
    pub note_zh: Option<String>,
    /// A probe's evidence, read leniently from what was stored.
    pub evidence: Option<Evidence>,
    #[serde(skip)]
    pub catalog_key: Option<String>,
    pub recorded_at: DateTime<Utc>,
    pub pack_id: Option<String>,
    pub rule_version: Option<i64>,
    pub confirmed: Option<bool>,
    pub failure: Option<String>,
    pub snapshot: Option<String>,
    pub superseded_by: Option<i64>,
    pub reclassifies: Option<i64>,
    /// When a reviewer retracted it (kept, never deleted; it counts nowhere).
    pub retracted_at: Option<DateTime<Utc>>,
    /// Why it was retracted, in the reviewer's words.
    pub retraction_reason: Option<String>,
    pub source_publisher: Option<String>,
    pub source_title: Option<String>,
    pub source_url: Option<String>,
}

impl ObservationRecord {
    /// The stored time is an estimate (the source gave no exact date).
    pub fn is_approximate(&self) -> bool {
        self.precision == super::Precision::Approximate.as_str()
    }

    /// The note to show: English when there is one, else Chinese.
    pub fn note(&self) -> Option<String> {
        self.note_en.clone().or_else(|| self.note_zh.clone())
    }

    /// Hutong's note in the reader's language, else in the other one.
    pub fn note_in(&self, lang: hutong_app::i18n::Lang) -> Option<String> {
        match lang {
            hutong_app::i18n::Lang::En => self.note(),
            hutong_app::i18n::Lang::ZhCn => self.note_zh.clone().or_else(|| self.note_en.clone()),
        }
    }
}

/// A change of status between two consecutive observations of one check by one source.
/// `from_status` is `None` for the first observation a source made of a check.
#[derive(Debug, Clone, Serialize)]
pub struct TransitionRecord {
    pub id: i64,
    pub check_id: String,
    pub source_key: String,
    pub observation_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub from_status: Option<String>,
    pub to_status: String,
    pub source_kind: String,
    pub source_id: Option<String>,
    pub precision: String,
    pub kind: String,
    pub subject: String,
    pub object: String,
}

impl TransitionRecord {
    pub fn is_approximate(&self) -> bool {
        self.precision == super::Precision::Approximate.as_str()
    }

    /// The same transition, borrowed.
    pub fn view(&self) -> TransitionRef<'_> {
        TransitionRef {
            id: self.id,
            check_id: &self.check_id,
            source_key: &self.source_key,
            observation_id: self.observation_id,
            occurred_at: self.occurred_at,
            from_status: self.from_status.as_deref(),
            to_status: &self.to_status,
            source_kind: &self.source_kind,
            source_id: self.source_id.as_deref(),
            precision: &self.precision,
            kind: &self.kind,
            subject: &self.subject,
            object: &self.object,
        }
    }
}

/// A [`TransitionRecord`] whose text is borrowed: from the record, or straight from the
/// database's row buffer while a long read steps through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionRef<'a> {
    pub id: i64,
    pub check_id: &'a str,
    pub source_key: &'a str,
    pub observation_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub from_status: Option<&'a str>,
    pub to_status: &'a str,
    pub source_kind: &'a str,
    pub source_id: Option<&'a str>,
    pub precision: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub object: &'a str,
}

/// When checks' real evidence was seen, kept small enough to tell the age of a check's
/// evidence at any instant: each check's first and last evidence, and the gaps between
/// consecutive evidence longer than `min_gap_days` (shorter gaps can never make it stale).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvidenceTimes {
    /// Gaps shorter than this many days are left out.
    pub min_gap_days: u32,
    pub by_check: std::collections::HashMap<String, CheckEvidence>,
}

/// One check's evidence times: see [`EvidenceTimes`].
#[derive(Debug, Clone, PartialEq)]
pub struct CheckEvidence {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    /// (last evidence before the gap, first evidence after it), oldest first.
    pub gaps: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl EvidenceTimes {
    /// Whether `check`'s newest evidence at `at` is stale (older than `stale_after_days`
    /// Beijing days, as [`crate::state::age_at`] counts them); `None` before its first
    /// evidence. `stale_after_days` must be at least `min_gap_days`.
    pub fn is_stale(&self, check: &str, at: DateTime<Utc>, stale_after_days: u32) -> Option<bool> {
        self.is_stale_on(check, at, crate::time::shanghai_day(at), stale_after_days)
    }

    /// [`EvidenceTimes::is_stale`] with `at`'s Beijing day given (`at_day`), for callers
    /// asking of many checks at one instant.
    pub fn is_stale_on(
        &self,
        check: &str,
        at: DateTime<Utc>,
        at_day: chrono::NaiveDate,
        stale_after_days: u32,
    ) -> Option<bool> {
        let e = self.by_check.get(check)?;
        if at < e.first {
            return None;
        }
        let latest = if at >= e.last {
            e.last
        } else {
            // Inside a long gap: the evidence before it; elsewhere newer than any long gap.
            let i = e.gaps.partition_point(|(before, _)| *before <= at);
            match i.checked_sub(1).and_then(|i| e.gaps.get(i)) {
                Some((before, after)) if at < *after => *before,
                _ => return Some(false),
            }
        };
        let days = (at_day - crate::time::shanghai_day(latest)).num_days();
        Some(days > i64::from(stale_after_days))
    }
}

/// One confirmed status change: a check entered `status` at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub check_id: String,
    pub at: DateTime<Utc>,
    pub status: String,
}

/// What is known of one check at a date.
#[derive(Debug, Clone, Serialize)]
pub struct CheckState {
    pub check_id: String,
    /// The newest observation from any source, if any.
    pub latest: Option<ObservationRecord>,
    /// Every source's latest observation, newest first (includes `latest`).
    pub per_source: Vec<ObservationRecord>,
}

impl CheckState {
    /// The status shown for the check: the newest source's, or unknown.
    pub fn status(&self) -> &str {
        self.latest.as_ref().map_or(UNKNOWN, |o| o.status.as_str())
    }
}

/// What a new observation says; the storage layer fills in the rest.
#[derive(Debug, Clone)]
pub struct NewObservation {
    pub check_id: String,
    pub observed_at: DateTime<Utc>,
    pub precision: Precision,
    pub status: String,
    pub source_kind: SourceKind,
    pub source_id: Option<String>,
    pub vantage: String,
    pub quote: Option<String>,
    pub note_en: Option<String>,
    pub note_zh: Option<String>,
    /// A probe's evidence as it is stored: an [`Evidence`] written as JSON
    /// ([`Evidence::to_json`]), kept as JSON here so that what is stored is exactly what
    /// was written.
    /// Shared, not copied, by the observations of one fetch (one per check its target
    /// decides): they are stored as one body and one fetch anyway.
    pub evidence: Option<std::sync::Arc<serde_json::Value>>,
    pub catalog_key: Option<String>,
    /// Set for observations made by a probe pack (real or simulated).
    pub probe: Option<ProbeFacts>,
}

/// What a probe adds to an observation.
#[derive(Debug, Clone, Default)]
pub struct ProbeFacts {
    pub pack_id: String,
    pub rule_version: i64,
    pub confirmed: bool,
    /// The failure class when the status is `unknown`.
    pub failure: Option<String>,
    /// SHA-256 of the body kept in the snapshot store.
    pub snapshot: Option<String>,
    /// The observation this one re-derives under newer rules (reclassification).
    pub reclassifies: Option<i64>,
    /// `pack:slot:check`, unique: a resumed run never stores a check twice.
    pub run_key: Option<String>,
    /// Consecutive agreeing observations a status change needs.
    pub confirmations: u32,
}

impl NewObservation {
    /// Each probe pack at each vantage point is its own source.
    pub fn source_key(&self) -> String {
        match &self.probe {
            Some(p) => format!("{}:{}@{}", self.source_kind, p.pack_id, self.vantage),
            None => super::source_key(self.source_kind, self.source_id.as_deref(), &self.vantage),
        }
    }
}
