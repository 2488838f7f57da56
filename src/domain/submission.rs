//! Hand tests submitted by contributors: what they saw, from where, with screenshots, and
//! where the submission stands in review. Nothing of a submission is public until a
//! reviewer approves it (it then becomes an observation of source kind `manual`).

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Where a submission stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    /// Waiting for a reviewer.
    Pending,
    /// Published as an observation.
    Approved,
    /// Refused, with a reason.
    Rejected,
    /// Sent back to its contributor with a question.
    Returned,
}

impl SubmissionState {
    pub const ALL: [SubmissionState; 4] = [
        SubmissionState::Pending,
        SubmissionState::Approved,
        SubmissionState::Rejected,
        SubmissionState::Returned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionState::Pending => "pending",
            SubmissionState::Approved => "approved",
            SubmissionState::Rejected => "rejected",
            SubmissionState::Returned => "returned",
        }
    }
}

impl fmt::Display for SubmissionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SubmissionState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        SubmissionState::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown submission state \"{s}\""))
    }
}

/// Where a hand test was made from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct HandVantage {
    pub device: String,
    pub os: String,
    pub app: String,
    pub app_version: String,
    pub network: String,
    pub network_region: String,
    pub account_region: String,
}

impl HandVantage {
    /// One line for an observation's vantage: the fields given, in order.
    pub fn line(&self) -> String {
        let app = [self.app.as_str(), self.app_version.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let account =
            (!self.account_region.is_empty()).then(|| format!("account {}", self.account_region));
        [
            Some(self.device.clone()),
            Some(self.os.clone()),
            Some(app),
            Some(self.network.clone()),
            Some(self.network_region.clone()),
            account,
        ]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" · ")
    }
}

/// A hand test as its contributor submits it (screenshots apart).
#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub account_id: i64,
    pub check_id: String,
    pub observed_at: DateTime<Utc>,
    pub status: String,
    pub vantage: HandVantage,
    pub steps: String,
    pub seen: String,
}

/// One screenshot of a submission, as stored.
#[derive(Debug, Clone, Serialize)]
pub struct SubmissionScreenshot {
    pub position: i64,
    pub file_name: String,
    pub image_sha256: String,
    pub thumbnail_sha256: String,
    pub width: i64,
    pub height: i64,
}

/// A stored submission.
#[derive(Debug, Clone)]
pub struct Submission {
    pub id: i64,
    pub account_id: i64,
    pub check_id: String,
    pub observed_at: DateTime<Utc>,
    pub status: String,
    pub vantage: HandVantage,
    pub steps: String,
    pub seen: String,
    pub state: SubmissionState,
    pub reviewer_id: Option<i64>,
    pub review_note: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub observation_id: Option<i64>,
    pub submitted_at: DateTime<Utc>,
    pub screenshots: Vec<SubmissionScreenshot>,
}

/// What a reviewer decides about a pending submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Publish it as a hand-test observation.
    Approve,
    /// Refuse it, with the reason (required).
    Reject { reason: String },
    /// Send it back to its contributor with a question (required).
    SendBack { question: String },
}

impl Decision {
    /// The action's name in the audit log.
    pub fn action(&self) -> &'static str {
        match self {
            Decision::Approve => "submission-approved",
            Decision::Reject { .. } => "submission-rejected",
            Decision::SendBack { .. } => "submission-sent-back",
        }
    }
}

/// Why a review or an answer was not recorded (nothing was changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewRefused {
    /// No such submission.
    NotFound,
    /// Nobody reviews their own submission.
    OwnSubmission,
    /// Someone decided first (their public name, and what they decided).
    AlreadyReviewed {
        by: Option<String>,
        state: SubmissionState,
    },
    /// Only a sent-back submission is answered, by its contributor.
    NotAwaitingAnswer,
}

/// One message of a submission's review thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadKind {
    /// A reviewer's question when sending it back.
    Question,
    /// The contributor's answer.
    Answer,
    /// A reviewer's reason for rejecting it.
    Rejection,
}

impl ThreadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ThreadKind::Question => "question",
            ThreadKind::Answer => "answer",
            ThreadKind::Rejection => "rejection",
        }
    }
}

impl FromStr for ThreadKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        [
            ThreadKind::Question,
            ThreadKind::Answer,
            ThreadKind::Rejection,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| format!("unknown thread message kind \"{s}\""))
    }
}

/// A message of the thread, with its writer's public name (never their login).
#[derive(Debug, Clone)]
pub struct ThreadEntry {
    pub kind: ThreadKind,
    pub author: String,
    pub body: String,
    pub written_at: DateTime<Utc>,
}

/// A contributor's answer to a send-back: the answer and the corrected submission.
#[derive(Debug, Clone)]
pub struct Answer {
    pub answer: String,
    pub corrected: NewSubmission,
}

/// The source that credits one contributor's hand tests: one per account, of kind
/// `manual`, published under the public name (and organisation), never the login.
pub fn hand_test_source_id(account_id: i64) -> String {
    format!("hand-test-{account_id}")
}
