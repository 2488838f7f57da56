//! Probes: declarative packs that ask platforms over HTTP what happens to a link or which
//! payment methods a checkout offers, and turn the answers into verdicts with evidence.

pub mod address;
pub mod bounded;
pub mod classify;
pub mod engine;
pub mod fetch;
pub mod options;
pub mod pack;
pub mod scan;
pub mod select;
pub mod types;

#[cfg(test)]
mod options_tests;
#[cfg(test)]
mod scan_tests;
#[cfg(test)]
mod tests;

pub use types::{FailureClass, FetchError, Hop, Response};

use chrono::{DateTime, Utc};
use serde::Serialize;

/// What the dashboard and the API show about a pack (no rules, no selectors).
#[derive(Debug, Clone, Serialize)]
pub struct PackSummary {
    pub id: String,
    pub name_en: String,
    pub name_zh: String,
    /// The check kind observed: `link` or `payment`.
    pub kind: String,
    /// The rule version.
    pub version: i64,
    /// Endpoints confirmed live.
    pub verified: bool,
    /// Runs against the built-in simulator; results are stored as simulated.
    pub simulated: bool,
    /// The pack asks to be scheduled.
    pub enabled: bool,
    /// This process schedules it (enabled, allowed by configuration, simulator running
    /// for simulated packs).
    pub scheduled: bool,
    /// Six-field cron, seconds first, Asia/Shanghai.
    pub schedule: String,
    pub confirmations: u32,
    pub checks: Vec<String>,
    /// The pack's file, relative to the catalog folder.
    pub file: String,
}

impl PackSummary {
    /// The next time the schedule fires strictly after `after`.
    pub fn next_run(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        next_fire(&self.schedule, after)
    }
}

/// Parses a six-field cron (seconds first), as packs and tokio-cron-scheduler write it.
pub fn parse_cron(schedule: &str) -> Result<croner::Cron, String> {
    if schedule.split_whitespace().count() != 6 {
        return Err(format!(
            "schedule \"{schedule}\" must have six fields (seconds minutes hours day month weekday)"
        ));
    }
    let parser = croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .build();
    parser
        .parse(schedule)
        .map_err(|e| format!("schedule \"{schedule}\" is not a valid cron: {e}"))
}

/// The next time a six-field cron (read in Asia/Shanghai time) fires after `after`.
pub fn next_fire(schedule: &str, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cron = parse_cron(schedule).ok()?;
    let local = after.with_timezone(&crate::time::SHANGHAI);
    cron.find_next_occurrence(&local, false)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The latest time the cron fired at or before `at` (a run's slot), in whole seconds.
pub fn previous_fire(schedule: &str, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cron = parse_cron(schedule).ok()?;
    // Slots are whole seconds: otherwise an every-second cron "fires" at `at` itself,
    // fraction and all, and one slot reads as two.
    let at = chrono::Timelike::with_nanosecond(&at, 0).unwrap_or(at);
    let local = at.with_timezone(&crate::time::SHANGHAI);
    cron.find_previous_occurrence(&local, true)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
