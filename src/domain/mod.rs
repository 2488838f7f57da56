//! Hutong's domain, the floor every other layer stands on: the vocabulary (kinds of
//! source, how precisely an observation is dated, check ids, what counts as open), the
//! reference types the catalog loads ([`mod@reference`]), and the records pure code reasons
//! about ([`records`]). It imports nothing else from Hutong.

pub mod account;
pub mod correction;
pub mod evidence;
pub mod records;
pub mod reference;
pub mod submission;

pub use account::{
    Account, ApiToken, AuditEntry, NewAccount, NewAuditEntry, Role, TOKEN_SCOPE_SUBMIT,
};
pub use correction::{
    Correction, MAX_REASON_CHARS, MethodChangeEntry, ReasonError, RetractOutcome, RetractionEntry,
    retraction_reason,
};
pub use evidence::Evidence;
pub use records::*;
pub use reference::*;
pub use submission::{
    Answer, Decision, HandVantage, NewSubmission, ReviewRefused, Submission, SubmissionScreenshot,
    SubmissionState, ThreadEntry, ThreadKind, hand_test_source_id,
};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The status every ladder has implicitly: nothing could be observed.
pub const UNKNOWN: &str = "unknown";

/// Statuses at or above this openness count as "open" (links: open, warned; payments:
/// accepted, accepted but not default).
pub const OPEN_SCORE: f64 = 0.5;

/// Where an observation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A published report, cited.
    Article,
    /// A test made by hand and written down.
    Manual,
    /// An automatic probe, with evidence.
    Probe,
    /// Produced by the simulator: never mixed into real figures.
    Simulated,
}

impl SourceKind {
    pub const ALL: [SourceKind; 4] = [Self::Article, Self::Manual, Self::Probe, Self::Simulated];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Article => "article",
            Self::Manual => "manual",
            Self::Probe => "probe",
            Self::Simulated => "simulated",
        }
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SourceKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("\"{s}\" is not a source kind (article, manual, probe, simulated)")
            })
    }
}

/// How precisely an observation's time is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// The exact instant (probes).
    Instant,
    /// The calendar day (articles: "by 2021-10-17").
    Day,
    /// The source gives no exact date; the stored one is an estimate explained in the note.
    Approximate,
}

impl Precision {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Instant => "instant",
            Self::Day => "day",
            Self::Approximate => "approximate",
        }
    }
}

impl FromStr for Precision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "instant" => Ok(Self::Instant),
            "day" => Ok(Self::Day),
            "approximate" => Ok(Self::Approximate),
            _ => Err(format!(
                "\"{s}\" is not a precision (instant, day, approximate)"
            )),
        }
    }
}

/// A check's id is `KIND.SUBJECT.OBJECT`, e.g. `link.wechat.taobao`.
pub fn check_id(kind: &str, subject: &str, object: &str) -> String {
    format!("{kind}.{subject}.{object}")
}

/// Slugs are short lowercase ASCII words: safe in URLs, ids and file names.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Ids may also contain hyphens.
pub fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// The key that groups observations "from the same source" when asking for the latest
/// state: each article or manual report is its own source; each probe pack at each
/// vantage point is another.
pub fn source_key(kind: SourceKind, source_id: Option<&str>, vantage: &str) -> String {
    match source_id {
        Some(id) => format!("{kind}:{id}"),
        None => format!("{kind}@{vantage}"),
    }
}
