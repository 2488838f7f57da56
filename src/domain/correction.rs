//! Corrections: a published observation retracted by a reviewer (kept and shown, struck
//! through, but counted nowhere), and the reason it must carry.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The longest reason a retraction may give, in characters.
pub const MAX_REASON_CHARS: usize = 1_000;

/// Why a retraction's reason is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    #[error("a retraction needs a reason")]
    Missing,
    #[error("the reason is longer than {MAX_REASON_CHARS} characters")]
    TooLong,
}

/// The reason as it will be stored: trimmed, required, capped, its control characters
/// (other than line breaks) removed.
pub fn retraction_reason(text: &str) -> Result<String, ReasonError> {
    let reason: String = text
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .collect();
    if reason.is_empty() {
        return Err(ReasonError::Missing);
    }
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(ReasonError::TooLong);
    }
    Ok(reason)
}

/// What retracting an observation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RetractOutcome {
    /// Retracted now; the transitions of its (check, source) were rebuilt.
    Retracted {
        check_id: String,
    },
    NoSuchObservation,
    /// It was retracted before (then): nothing was changed.
    AlreadyRetracted {
        at: DateTime<Utc>,
    },
}

/// One retraction as the corrections log lists it. The reviewer is named by their
/// public name only (never a login or an email).
#[derive(Debug, Clone, Serialize)]
pub struct RetractionEntry {
    pub observation_id: i64,
    pub check_id: String,
    pub kind: String,
    pub subject: String,
    pub object: String,
    /// What the observation said.
    pub status: String,
    pub source_kind: String,
    pub observed_at: DateTime<Utc>,
    /// How precisely `observed_at` is known (`instant`, `day`, `approximate`).
    pub precision: String,
    pub retracted_at: DateTime<Utc>,
    pub reason: String,
    pub reviewer: Option<String>,
}

/// A reclassification of a probe pack's verdicts under new rules.
#[derive(Debug, Clone, Serialize)]
pub struct MethodChangeEntry {
    pub id: i64,
    pub pack_id: String,
    pub from_version: Option<i64>,
    pub to_version: i64,
    pub happened_at: DateTime<Utc>,
    /// Verdicts re-derived.
    pub checked: i64,
    /// Of which came out differently.
    pub changed: i64,
}

/// One entry of the public corrections log.
#[derive(Debug, Clone)]
pub enum Correction {
    Retraction(RetractionEntry),
    MethodChange(MethodChangeEntry),
}

impl Correction {
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Correction::Retraction(r) => r.retracted_at,
            Correction::MethodChange(m) => m.happened_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_required_capped_and_cleaned() {
        assert_eq!(retraction_reason("  \t "), Err(ReasonError::Missing));
        assert_eq!(
            retraction_reason(&"x".repeat(MAX_REASON_CHARS + 1)),
            Err(ReasonError::TooLong)
        );
        assert_eq!(
            retraction_reason(" wrong\u{0}check\nsee note "),
            Ok("wrongcheck\nsee note".to_string())
        );
        assert!(retraction_reason(&"字".repeat(MAX_REASON_CHARS)).is_ok());
    }
}
