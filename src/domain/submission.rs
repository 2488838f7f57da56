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
