//! Hand tests submitted by contributors: the checks every submission passes, whichever way
//! it comes in (the web form, the API, the command line), and storing it. A submission is
//! stored whole or not at all: every field and every file is checked first, and every
//! problem is returned at once (a file by its name) for the caller to put in its words.

use crate::accounts::Actor;
use crate::domain::{Check, HandVantage, NewSubmission, Reference};
use crate::screenshots::{self, Screenshot, ScreenshotError};
use crate::storage::{NewScreenshot, NewSnapshot, StorageError, Store};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use sha2::{Digest, Sha256};

/// Screenshots per submission.
pub const MAX_SCREENSHOTS: usize = 5;
/// Longest short text fields (device, OS, app …).
pub const MAX_SHORT: usize = 200;
/// Longest long text fields (steps, what was seen).
pub const MAX_LONG: usize = 5_000;
/// How far ahead of the clock an observation time may be (clocks differ a little).
const CLOCK_SLACK_MINUTES: i64 = 5;

/// The text of a hand test as it was entered: the observation time in Beijing time
/// (`YYYY-MM-DDTHH:MM`, seconds or a space instead of `T` allowed), the status id, the
/// vantage, the steps and what was seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandTest {
    pub observed_at: String,
    pub status: String,
    pub device: String,
    pub os: String,
    pub app: String,
    pub app_version: String,
    pub network: String,
    pub network_region: String,
    pub account_region: String,
    pub steps: String,
    pub seen: String,
}

/// One uploaded file: the name it came with (or its path) and its bytes.
#[derive(Debug, Clone)]
pub struct UploadedFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// A text field of [`HandTest`] that has a length cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Device,
    Os,
    App,
    AppVersion,
    Network,
    NetworkRegion,
    AccountRegion,
    Steps,
    Seen,
}

impl Field {
    pub const ALL: [Field; 9] = [
        Field::Device,
        Field::Os,
        Field::App,
        Field::AppVersion,
        Field::Network,
        Field::NetworkRegion,
        Field::AccountRegion,
        Field::Steps,
        Field::Seen,
    ];

    /// Its name in the form, the API and the command line (`app_version`).
    pub fn name(self) -> &'static str {
        match self {
            Field::Device => "device",
            Field::Os => "os",
            Field::App => "app",
            Field::AppVersion => "app_version",
            Field::Network => "network",
            Field::NetworkRegion => "network_region",
            Field::AccountRegion => "account_region",
            Field::Steps => "steps",
            Field::Seen => "seen",
        }
    }

    pub fn required(self) -> bool {
        matches!(
            self,
            Field::Device | Field::Os | Field::App | Field::Steps | Field::Seen
        )
    }

    /// The most characters it may hold.
    pub fn max_chars(self) -> usize {
        match self {
            Field::Steps | Field::Seen => MAX_LONG,
            _ => MAX_SHORT,
        }
    }

    pub fn value(self, t: &HandTest) -> &str {
        match self {
            Field::Device => &t.device,
            Field::Os => &t.os,
            Field::App => &t.app,
            Field::AppVersion => &t.app_version,
            Field::Network => &t.network,
            Field::NetworkRegion => &t.network_region,
            Field::AccountRegion => &t.account_region,
            Field::Steps => &t.steps,
            Field::Seen => &t.seen,
        }
    }

    fn value_mut(self, t: &mut HandTest) -> &mut String {
        match self {
            Field::Device => &mut t.device,
            Field::Os => &mut t.os,
            Field::App => &mut t.app,
            Field::AppVersion => &mut t.app_version,
            Field::Network => &mut t.network,
            Field::NetworkRegion => &mut t.network_region,
            Field::AccountRegion => &mut t.account_region,
            Field::Steps => &mut t.steps,
            Field::Seen => &mut t.seen,
        }
    }
}

/// One thing wrong with a submission.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Not a Beijing time, before 2000, or in the future.
    #[error("observed_at: not a Beijing time (YYYY-MM-DD HH:MM) between 2000 and now")]
    ObservedAt,
    #[error("status: \"{0}\" is not on the check's ladder")]
    StatusOffLadder(String),
    #[error("{}: required", .0.name())]
    Required(Field),
    #[error("{}: longer than {} characters", .0.name(), .0.max_chars())]
    TooLong(Field),
    /// Fewer than one or more than [`MAX_SCREENSHOTS`] files.
    #[error("screenshot: between 1 and {MAX_SCREENSHOTS} files are needed, {0} given")]
    ScreenshotCount(usize),
    /// A file refused, by its name (or `#n` when it had none).
    #[error("screenshot {file}: {error}")]
    Screenshot {
        file: String,
        error: ScreenshotError,
    },
}

impl Problem {
    /// The form field it is about (`observed_at`, `status`, `steps`, `screenshot` …).
    pub fn field(&self) -> &'static str {
        match self {
            Problem::ObservedAt => "observed_at",
            Problem::StatusOffLadder(_) => "status",
            Problem::Required(f) | Problem::TooLong(f) => f.name(),
            Problem::ScreenshotCount(_) | Problem::Screenshot { .. } => "screenshot",
        }
    }
}

/// Why a submission was not stored.
#[derive(Debug, thiserror::Error)]
pub enum ContributionError {
    /// What was wrong with it; nothing was stored.
    #[error("the submission was refused: {}", problem_list(.0))]
    Refused(Vec<Problem>),
    #[error("no check has the id \"{0}\"")]
    NoSuchCheck(String),
    #[error("preparing the screenshots: {0}")]
    Internal(String),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

fn problem_list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// A submission's text tidied as it is stored: Windows line ends made plain, trimmed.
pub fn tidy(mut t: HandTest) -> HandTest {
    let clean = |s: &mut String| *s = s.replace("\r\n", "\n").trim().to_string();
    clean(&mut t.observed_at);
    clean(&mut t.status);
    for f in Field::ALL {
        clean(f.value_mut(&mut t));
    }
    t
}

/// The status ids of `check`'s ladder.
pub fn ladder(r: &Reference, check: &Check) -> Vec<String> {
    r.kind(&check.kind)
        .map(|k| k.statuses.iter().map(|s| s.id.clone()).collect())
        .unwrap_or_default()
}

/// The observation time as an instant: a Beijing time from 2000 up to a few minutes
/// from `now`.
pub fn observed_at(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let earliest = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .map(|local| crate::time::local_to_utc(local, crate::time::SHANGHAI))
    .filter(|at| {
        *at <= now + chrono::Duration::minutes(CLOCK_SLACK_MINUTES) && at.date_naive() >= earliest
    })
}

/// Checks the text of a (tidied) hand test against `ladder`: every problem, and the
/// observation time when it is usable.
pub fn check_text(
    t: &HandTest,
    ladder: &[String],
    now: DateTime<Utc>,
) -> (Vec<Problem>, Option<DateTime<Utc>>) {
    let mut problems = Vec::new();
    let observed = observed_at(&t.observed_at, now);
    if observed.is_none() {
        problems.push(Problem::ObservedAt);
    }
    if !ladder.contains(&t.status) {
        problems.push(Problem::StatusOffLadder(
            t.status.chars().take(MAX_SHORT).collect(),
        ));
    }
    for f in Field::ALL {
        let value = f.value(t);
        if f.required() && value.is_empty() {
            problems.push(Problem::Required(f));
        } else if value.chars().count() > f.max_chars() {
            problems.push(Problem::TooLong(f));
        }
    }
    (problems, observed)
}

/// Checks the number of files and sanitises each (off the async runtime): the sanitised
/// screenshots with their names, and every problem.
pub async fn check_files(
    files: Vec<UploadedFile>,
) -> Result<(Vec<(String, Screenshot)>, Vec<Problem>), ContributionError> {
    let mut problems = Vec::new();
    if files.is_empty() || files.len() > MAX_SCREENSHOTS {
        problems.push(Problem::ScreenshotCount(files.len()));
    }
    let sanitised = tokio::task::spawn_blocking(move || {
        files
            .into_iter()
            .map(|f| {
                let result = screenshots::sanitise(&f.bytes);
                (f.name, result)
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| ContributionError::Internal(e.to_string()))?;
    let mut shots = Vec::new();
    for (n, (name, result)) in sanitised.into_iter().enumerate() {
        match result {
            Ok(s) => shots.push((name, s)),
            Err(error) => problems.push(Problem::Screenshot {
                file: if name.is_empty() {
                    format!("#{}", n + 1)
                } else {
                    name
                },
                error,
            }),
        }
    }
    Ok((shots, problems))
}

/// A file as a snapshot: its SHA-256 and its zstd-compressed bytes.
pub fn as_snapshot(png: &[u8]) -> Result<NewSnapshot, ContributionError> {
    let sha256: String = Sha256::digest(png)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(NewSnapshot {
        sha256,
        size: png.len() as i64,
        content_type: Some("image/png".into()),
        compressed: zstd::encode_all(png, 3)
            .map_err(|e| ContributionError::Internal(format!("compressing a screenshot: {e}")))?,
        // Screenshots are always stored whole.
        base_sha256: None,
    })
}

/// A submission checked whole and ready to store.
#[derive(Debug, Clone)]
pub struct CheckedSubmission {
    pub submission: NewSubmission,
    pub screenshots: Vec<NewScreenshot>,
}

/// Checks a hand test of `check` by `account_id` with its files: ready to store, or every
/// problem with it.
pub async fn check(
    r: &Reference,
    check_id: &str,
    account_id: i64,
    test: HandTest,
    files: Vec<UploadedFile>,
) -> Result<CheckedSubmission, ContributionError> {
    let check = r.check(check_id).ok_or_else(|| {
        ContributionError::NoSuchCheck(check_id.chars().take(MAX_SHORT).collect())
    })?;
    let test = tidy(test);
    let (mut problems, observed) = check_text(&test, &ladder(r, check), Utc::now());
    let (shots, file_problems) = check_files(files).await?;
    problems.extend(file_problems);
    let Some(observed_at) = observed.filter(|_| problems.is_empty()) else {
        return Err(ContributionError::Refused(problems));
    };
    let mut stored = Vec::with_capacity(shots.len());
    for (file_name, s) in &shots {
        stored.push(NewScreenshot {
            file_name: file_name.clone(),
            image: as_snapshot(&s.png)?,
            thumbnail: as_snapshot(&s.thumbnail)?,
            width: i64::from(s.width),
            height: i64::from(s.height),
        });
    }
    Ok(CheckedSubmission {
        submission: NewSubmission {
            account_id,
            check_id: check.id.clone(),
            observed_at,
            status: test.status,
            vantage: HandVantage {
                device: test.device,
                os: test.os,
                app: test.app,
                app_version: test.app_version,
                network: test.network,
                network_region: test.network_region,
                account_region: test.account_region,
            },
            steps: test.steps,
            seen: test.seen,
        },
        screenshots: stored,
    })
}

/// A sent-back hand test as its contributor corrects it: the same checks as a new one,
/// except that files are optional (none given: the submission keeps its screenshots).
pub async fn check_correction(
    r: &Reference,
    check_id: &str,
    account_id: i64,
    test: HandTest,
    files: Vec<UploadedFile>,
) -> Result<(NewSubmission, Option<Vec<NewScreenshot>>), ContributionError> {
    if files.is_empty() {
        let check = r.check(check_id).ok_or_else(|| {
            ContributionError::NoSuchCheck(check_id.chars().take(MAX_SHORT).collect())
        })?;
        let test = tidy(test);
        let (problems, observed) = check_text(&test, &ladder(r, check), Utc::now());
        let Some(observed_at) = observed.filter(|_| problems.is_empty()) else {
            return Err(ContributionError::Refused(problems));
        };
        let checked = CheckedSubmission {
            submission: NewSubmission {
                account_id,
                check_id: check.id.clone(),
                observed_at,
                status: test.status,
                vantage: HandVantage {
                    device: test.device,
                    os: test.os,
                    app: test.app,
                    app_version: test.app_version,
                    network: test.network,
                    network_region: test.network_region,
                    account_region: test.account_region,
                },
                steps: test.steps,
                seen: test.seen,
            },
            screenshots: Vec::new(),
        };
        return Ok((checked.submission, None));
    }
    let checked = check(r, check_id, account_id, test, files).await?;
    Ok((checked.submission, Some(checked.screenshots)))
}

/// Stores a checked submission as pending (a reviewer must approve it) with its audit
/// line; its id.
pub async fn store(
    store: &Store,
    checked: &CheckedSubmission,
    actor: &Actor,
) -> Result<i64, ContributionError> {
    let audit = actor.entry(
        "submission-created",
        None,
        Some(format!(
            "check {}, {} screenshots",
            checked.submission.check_id,
            checked.screenshots.len()
        )),
    );
    Ok(store
        .insert_submission(&checked.submission, &checked.screenshots, &audit)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> HandTest {
        HandTest {
            observed_at: "2026-11-01T10:30".into(),
            status: "blocked".into(),
            device: "iPhone 13".into(),
            os: "iOS 17".into(),
            app: "WeChat".into(),
            steps: "Opened the link".into(),
            seen: "A warning".into(),
            ..HandTest::default()
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-30T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn a_complete_hand_test_passes() {
        let (problems, at) = check_text(&filled(), &["blocked".into()], now());
        assert_eq!(problems, vec![]);
        // 10:30 in Beijing is 02:30 UTC.
        assert_eq!(at.unwrap().to_rfc3339(), "2026-11-01T02:30:00+00:00");
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let mut t = filled();
        t.observed_at = "2026-12-25 10:00".into();
        t.status = "maybe".into();
        t.device = String::new();
        t.seen = "x".repeat(MAX_LONG + 1);
        let (problems, at) = check_text(&t, &["blocked".into()], now());
        assert!(at.is_none());
        assert_eq!(
            problems,
            vec![
                Problem::ObservedAt,
                Problem::StatusOffLadder("maybe".into()),
                Problem::Required(Field::Device),
                Problem::TooLong(Field::Seen),
            ]
        );
    }

    #[test]
    fn times_are_beijing_times_from_2000_to_now() {
        assert!(observed_at("1999-12-31 23:00", now()).is_none());
        assert!(observed_at("yesterday", now()).is_none());
        assert!(observed_at("2026-11-30 16:04", now()).is_some());
        assert!(observed_at("2026-11-30 16:06", now()).is_none());
    }

    #[test]
    fn tidying_trims_and_plains_line_ends() {
        let mut t = filled();
        t.steps = "  one\r\ntwo \n".into();
        assert_eq!(tidy(t).steps, "one\ntwo");
    }
}
