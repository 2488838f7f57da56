//! Compliance with requirements: which real checks a requirement covers, and for each, at
//! a given instant, whether it complies now, complied at the deadline, since when, how late,
//! or never; per requirement, the counts, overdue days and countdown; and the share of
//! checks compliant over time. Pure functions over the domain's records, shared by the
//! pages (the overview's requirement table included), the JSON API and the iCalendar feed:
//! the one place that says what complies and how days are counted.
//!
//! Two readings of history are used, each where it is the right one:
//! - **status at an instant** (now, at the deadline) is the check's state as of that instant,
//!   exactly as every other page shows it ([`CheckState::status`]: the newest
//!   source's latest observation);
//! - **when a status began** (compliant since, first compliance after the deadline, the
//!   share over time) comes from confirmed transitions: the check's status changes when any
//!   real source's confirmed status changes, the latest change winning.
//!
//! Days (delays, overdue, countdown) are counted in Beijing calendar days.

use crate::domain::{
    Check, CheckState, EvidenceTimes, Reference, Requirement, SourceKind, TransitionRecord, UNKNOWN,
};
use crate::time::{self, SHANGHAI};
use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashMap;

/// The real checks a requirement covers: checks of simulated platforms never count.
pub fn checks_in_scope<'a>(reference: &'a Reference, req: &Requirement) -> Vec<&'a Check> {
    reference
        .checks
        .iter()
        .filter(|c| !reference.is_simulated_check(c))
        .filter(|c| {
            let subject_kind = reference.platform(&c.subject).map(|p| p.kind.as_str());
            req.scope.covers(&c.kind, &c.subject, subject_kind)
        })
        .collect()
}

/// The day a deadline falls on, in Beijing time.
pub fn deadline_day(deadline: DateTime<Utc>) -> NaiveDate {
    time::shanghai_day(deadline)
}

/// Calendar days from `from` to `to` (negative when `to` is earlier).
fn day_diff(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// Whether a status complies with a requirement: `None` when it is unknown (no evidence).
pub fn complies(req: &Requirement, status: &str) -> Option<bool> {
    (status != UNKNOWN).then(|| req.compliant.iter().any(|c| c == status))
}

/// Where a requirement's deadline stands as of an instant, in Beijing calendar days: the
/// one count every page, the API and the calendar feed use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeadlinePosition {
    pub state: DeadlineState,
    /// The deadline's day in Beijing time.
    pub day: Option<NaiveDate>,
    /// Days from the as-of day to the deadline day, when it is ahead (0 = ends today).
    pub countdown_days: Option<i64>,
    /// Days from the deadline day to the as-of day, when it has passed.
    pub days_since: Option<i64>,
}

/// Where `deadline` stands as of `as_of`: passed once the instant is reached.
pub fn deadline_position(
    deadline: Option<DateTime<Utc>>,
    as_of: DateTime<Utc>,
) -> DeadlinePosition {
    let today = time::shanghai_day(as_of);
    let day = deadline.map(deadline_day);
    let state = match deadline {
        None => DeadlineState::None,
        Some(d) if d <= as_of => DeadlineState::Passed,
        Some(_) => DeadlineState::Ahead,
    };
    DeadlinePosition {
        state,
        day,
        countdown_days: day
            .filter(|_| state == DeadlineState::Ahead)
            .map(|d| day_diff(today, d)),
        days_since: day
            .filter(|_| state == DeadlineState::Passed)
            .map(|d| day_diff(d, today)),
    }
}

/// A requirement's standing as of an instant read from the checks' states alone (no
/// history): how many of its checks comply, do not, or are unknown, and its deadline.
/// The overview's requirement table; [`evaluate`] gives the full figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Standing {
    pub in_scope: usize,
    pub compliant: usize,
    pub not_compliant: usize,
    pub unknown: usize,
    pub deadline: DeadlinePosition,
}

pub fn standing(
    reference: &Reference,
    req: &Requirement,
    as_of: DateTime<Utc>,
    states: &HashMap<String, CheckState>,
) -> Standing {
    let mut s = Standing {
        in_scope: 0,
        compliant: 0,
        not_compliant: 0,
        unknown: 0,
        deadline: deadline_position(req.deadline, as_of),
    };
    for check in checks_in_scope(reference, req) {
        s.in_scope += 1;
        match complies(req, status_of(states, &check.id)) {
            None => s.unknown += 1,
            Some(true) => s.compliant += 1,
            Some(false) => s.not_compliant += 1,
        }
    }
    s
}

/// A check's status changes from confirmed transitions, oldest first: (when, new status).
pub type Changes = Vec<(DateTime<Utc>, String)>;

/// Groups real transitions by check, oldest first, up to `until`.
pub fn changes_by_check(
    transitions: &[TransitionRecord],
    until: DateTime<Utc>,
) -> HashMap<String, Changes> {
    let mut sorted: Vec<&TransitionRecord> = transitions
        .iter()
        .filter(|t| t.source_kind != SourceKind::Simulated.as_str() && t.occurred_at <= until)
        .collect();
    sorted.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at).then(a.id.cmp(&b.id)));
    let mut by_check: HashMap<String, Changes> = HashMap::new();
    for t in sorted {
        by_check
            .entry(t.check_id.clone())
            .or_default()
            .push((t.occurred_at, t.to_status.clone()));
    }
    by_check
}

/// How a check stands against a requirement, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// No evidence: nothing real was observed up to the date.
    Unknown,
    /// Observed, never in a compliant status up to the date.
    NeverCompliant,
    /// Compliant now, and at the deadline (or there is no deadline, or it is ahead).
    Compliant,
    /// Compliant now; observed and not compliant at the deadline: complied late.
    CompliedLate,
    /// Compliant now; nothing was observed by the deadline, so whether it was met is not
    /// known (the first compliance seen after it is still reported, with its delay).
    CompliantUnknownAtDeadline,
    /// Was compliant at some point, is not now.
    LostCompliance,
}

/// One check against one requirement, as of an instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CheckCompliance {
    pub check_id: String,
    /// The status as of the date (`unknown` without evidence).
    pub status_now: String,
    /// Whether anything real was observed up to the date.
    pub evidence: bool,
    pub compliant_now: bool,
    /// The status at the end of the deadline day, when the deadline has passed.
    pub status_at_deadline: Option<String>,
    pub compliant_at_deadline: Option<bool>,
    /// Start of the current compliant run (confirmed transitions), when compliant now.
    pub compliant_since: Option<DateTime<Utc>>,
    /// The first compliance after a missed deadline, up to the date.
    pub complied_after_deadline: Option<DateTime<Utc>>,
    /// Beijing days from the deadline day to `complied_after_deadline`'s day.
    pub delay_days: Option<i64>,
    /// Whether the check was ever in a compliant status up to the date.
    pub ever_compliant: bool,
    /// Days past the deadline, when it has passed and the check does not comply now
    /// (checks without evidence are counted as unknown, not overdue).
    pub overdue_days: Option<i64>,
    pub outcome: Outcome,
}

/// Where a requirement's deadline stands as of the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    None,
    /// Still ahead: `countdown_days` to go (0 = ends today).
    Ahead,
    Passed,
}

/// One requirement's figures as of an instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RequirementSummary {
    pub requirement_id: String,
    pub deadline: Option<DateTime<Utc>>,
    /// The deadline's day in Beijing time.
    pub deadline_day: Option<NaiveDate>,
    pub deadline_state: DeadlineState,
    /// Days from the date to the deadline day, when it is ahead.
    pub countdown_days: Option<i64>,
    /// Days from the deadline day to the date, when it has passed.
    pub days_since_deadline: Option<i64>,
    pub in_scope: usize,
    pub compliant_now: usize,
    /// Observed and not compliant now.
    pub not_compliant_now: usize,
    /// No evidence.
    pub unknown: usize,
    pub never_compliant: usize,
    /// Checks compliant at the end of the deadline day (when it has passed).
    pub complied_at_deadline: Option<usize>,
    /// Checks with a known status at the deadline (the others were unknown then);
    /// `None` before the deadline or without one.
    pub known_at_deadline: Option<usize>,
    /// Compliant now after missing the deadline (observed not compliant at it).
    pub complied_late: usize,
    /// The longest delay among those that complied late, in days.
    pub longest_delay_days: Option<i64>,
    /// Compliant now, with nothing observed by the deadline.
    pub compliant_unknown_at_deadline: usize,
    /// Deadline passed and not compliant now (observed checks only).
    pub overdue: usize,
    /// How many days the overdue checks are overdue (all since the same deadline).
    pub overdue_days: Option<i64>,
}

/// A requirement evaluated: its figures and each check's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    pub summary: RequirementSummary,
    pub checks: Vec<CheckCompliance>,
}

fn status_of<'a>(states: &'a HashMap<String, CheckState>, id: &str) -> &'a str {
    states.get(id).map_or(UNKNOWN, CheckState::status)
}

/// One check against a requirement.
///
/// `status_now` is its state as of `as_of`; `status_at_deadline` its state at the
/// deadline (pass `None` when the deadline has not passed or there is none); `changes`
/// its confirmed changes, oldest first (later ones are ignored).
pub fn check_compliance(
    req: &Requirement,
    check_id: &str,
    status_now: &str,
    status_at_deadline: Option<&str>,
    changes: &[(DateTime<Utc>, String)],
    as_of: DateTime<Utc>,
) -> CheckCompliance {
    let complies = |s: &str| self::complies(req, s) == Some(true);
    let passed = req.deadline.filter(|d| *d <= as_of);
    let changes: Vec<&(DateTime<Utc>, String)> =
        changes.iter().filter(|(t, _)| *t <= as_of).collect();
    let evidence = status_now != UNKNOWN;
    let compliant_now = complies(status_now);
    let status_at_deadline = passed.map(|_| status_at_deadline.unwrap_or(UNKNOWN).to_string());
    let compliant_at_deadline = status_at_deadline.as_deref().map(complies);

    // The start of the current compliant run: statuses that both comply keep the run.
    let mut run_start = None;
    for (t, s) in &changes {
        if complies(s) {
            run_start.get_or_insert(*t);
        } else {
            run_start = None;
        }
    }
    let compliant_since = if compliant_now { run_start } else { None };
    let ever_compliant = compliant_now
        || compliant_at_deadline == Some(true)
        || changes.iter().any(|(_, s)| complies(s));

    let (complied_after_deadline, delay_days) = match passed {
        Some(d) if compliant_at_deadline != Some(true) => {
            let first = changes
                .iter()
                .find(|(t, s)| *t > d && complies(s))
                .map(|(t, _)| *t);
            let delay = first.map(|t| day_diff(deadline_day(d), time::shanghai_day(t)));
            (first, delay)
        }
        _ => (None, None),
    };
    let overdue_days = match passed {
        Some(d) if evidence && !compliant_now => {
            Some(day_diff(deadline_day(d), time::shanghai_day(as_of)))
        }
        _ => None,
    };
    let outcome = if !evidence {
        Outcome::Unknown
    } else if compliant_now {
        match status_at_deadline.as_deref() {
            Some(UNKNOWN) => Outcome::CompliantUnknownAtDeadline,
            Some(_) if compliant_at_deadline == Some(false) => Outcome::CompliedLate,
            _ => Outcome::Compliant,
        }
    } else if ever_compliant {
        Outcome::LostCompliance
    } else {
        Outcome::NeverCompliant
    };
    CheckCompliance {
        check_id: check_id.to_string(),
        status_now: status_now.to_string(),
        evidence,
        compliant_now,
        status_at_deadline,
        compliant_at_deadline,
        compliant_since,
        complied_after_deadline,
        delay_days,
        ever_compliant,
        overdue_days,
        outcome,
    }
}

/// A requirement against every real check in its scope, as of `as_of`.
///
/// `now` holds the states as of `as_of`; `at_deadline` the states at the deadline (read
/// only when the deadline has passed); `changes` comes from [`changes_by_check`].
pub fn evaluate(
    reference: &Reference,
    req: &Requirement,
    as_of: DateTime<Utc>,
    now: &HashMap<String, CheckState>,
    at_deadline: Option<&HashMap<String, CheckState>>,
    changes: &HashMap<String, Changes>,
) -> Evaluation {
    let passed = req.deadline.is_some_and(|d| d <= as_of);
    let checks: Vec<CheckCompliance> = checks_in_scope(reference, req)
        .into_iter()
        .map(|c| {
            let deadline_status = if passed {
                Some(at_deadline.map_or(UNKNOWN, |s| status_of(s, &c.id)))
            } else {
                None
            };
            check_compliance(
                req,
                &c.id,
                status_of(now, &c.id),
                deadline_status,
                changes.get(&c.id).map_or(&[][..], Vec::as_slice),
                as_of,
            )
        })
        .collect();
    Evaluation {
        summary: summarize(req, as_of, &checks),
        checks,
    }
}

/// A requirement's figures from its checks' (see [`evaluate`]).
pub fn summarize(
    req: &Requirement,
    as_of: DateTime<Utc>,
    checks: &[CheckCompliance],
) -> RequirementSummary {
    let position = deadline_position(req.deadline, as_of);
    let passed = position.state == DeadlineState::Passed;
    let count = |f: &dyn Fn(&CheckCompliance) -> bool| checks.iter().filter(|c| f(c)).count();
    let overdue = count(&|c| c.overdue_days.is_some());
    RequirementSummary {
        requirement_id: req.id.clone(),
        deadline: req.deadline,
        deadline_day: position.day,
        deadline_state: position.state,
        countdown_days: position.countdown_days,
        days_since_deadline: position.days_since,
        in_scope: checks.len(),
        compliant_now: count(&|c| c.compliant_now),
        not_compliant_now: count(&|c| c.evidence && !c.compliant_now),
        unknown: count(&|c| !c.evidence),
        never_compliant: count(&|c| c.outcome == Outcome::NeverCompliant),
        complied_at_deadline: passed.then(|| count(&|c| c.compliant_at_deadline == Some(true))),
        known_at_deadline: passed.then(|| {
            count(&|c| {
                c.status_at_deadline
                    .as_deref()
                    .is_some_and(|s| s != UNKNOWN)
            })
        }),
        complied_late: count(&|c| c.outcome == Outcome::CompliedLate),
        compliant_unknown_at_deadline: count(&|c| c.outcome == Outcome::CompliantUnknownAtDeadline),
        longest_delay_days: checks
            .iter()
            .filter(|c| c.outcome == Outcome::CompliedLate)
            .filter_map(|c| c.delay_days)
            .max(),
        overdue,
        overdue_days: checks.iter().filter_map(|c| c.overdue_days).max(),
    }
}

/// One point of the share compliant over time: the state at the end of `day` (Beijing),
/// or at the as-of instant for the last point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharePoint {
    pub day: NaiveDate,
    pub compliant: usize,
    /// Checks with any known status at that point.
    pub known: usize,
    pub in_scope: usize,
    /// `compliant / in_scope` (0 when nothing is in scope).
    pub share: f64,
    /// The checks in scope told apart as the charts draw them (they add up to
    /// `in_scope`): compliant and not compliant on current evidence, a known status on
    /// stale evidence, and unknown.
    pub current_compliant: usize,
    pub current_not_compliant: usize,
    pub stale: usize,
    pub unknown: usize,
}

/// The share of a requirement's checks compliant over time, weekly: a plain series a
/// table or an SVG chart can be drawn from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShareSeries {
    pub requirement_id: String,
    /// The deadline's day, to mark on a chart.
    pub deadline_day: Option<NaiveDate>,
    pub points: Vec<SharePoint>,
}

/// Days between points of [`share_over_time`].
pub const SHARE_STEP_DAYS: u64 = 7;

/// Weekly points from the first real change of a check in scope to `as_of` (the last
/// point is `as_of` itself), computed in one pass over the changes.
pub fn share_over_time(
    req: &Requirement,
    check_ids: &[&str],
    changes: &HashMap<String, Changes>,
    (evidence, stale_after_days): (&EvidenceTimes, u32),
    as_of: DateTime<Utc>,
) -> ShareSeries {
    let complies = |s: &str| self::complies(req, s) == Some(true);
    let mut all: Vec<(DateTime<Utc>, &str, &str)> = check_ids
        .iter()
        .filter_map(|id| changes.get(*id).map(|v| (*id, v)))
        .flat_map(|(id, v)| v.iter().map(move |(t, s)| (*t, id, s.as_str())))
        .filter(|(t, ..)| *t <= as_of)
        .collect();
    all.sort_by_key(|(t, ..)| *t);
    let in_scope = check_ids.len();
    let mut points = Vec::new();
    let Some(first) = all.first().map(|(t, ..)| *t) else {
        return ShareSeries {
            requirement_id: req.id.clone(),
            deadline_day: req.deadline.map(deadline_day),
            points,
        };
    };
    let last_day = time::shanghai_day(as_of);
    let mut current: HashMap<&str, &str> = HashMap::new();
    let (mut compliant, mut known) = (0usize, 0usize);
    let mut next = 0;
    let mut day = time::shanghai_day(first);
    loop {
        let (point_day, until) = if day >= last_day {
            (last_day, as_of)
        } else {
            (day, time::end_of_day(day, SHANGHAI))
        };
        while let Some((t, id, status)) = all.get(next).copied()
            && t <= until
        {
            if let Some(old) = current.insert(id, status) {
                known -= usize::from(old != UNKNOWN);
                compliant -= usize::from(complies(old));
            }
            known += usize::from(status != UNKNOWN);
            compliant += usize::from(complies(status));
            next += 1;
        }
        let (mut current_compliant, mut current_not_compliant, mut stale) = (0, 0, 0);
        for (id, status) in &current {
            if *status == UNKNOWN {
                continue;
            }
            if evidence.is_stale(id, until, stale_after_days) == Some(true) {
                stale += 1;
            } else if complies(status) {
                current_compliant += 1;
            } else {
                current_not_compliant += 1;
            }
        }
        points.push(SharePoint {
            day: point_day,
            compliant,
            known,
            in_scope,
            share: if in_scope == 0 {
                0.0
            } else {
                compliant as f64 / in_scope as f64
            },
            current_compliant,
            current_not_compliant,
            stale,
            unknown: in_scope.saturating_sub(current_compliant + current_not_compliant + stale),
        });
        if point_day >= last_day {
            break;
        }
        match day.checked_add_days(Days::new(SHARE_STEP_DAYS)) {
            Some(d) => day = d,
            None => break,
        }
    }
    ShareSeries {
        requirement_id: req.id.clone(),
        deadline_day: req.deadline.map(deadline_day),
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Group, ObservationRecord, Platform, Scope};

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        // Observations dated by day are stored at the start of the Beijing day.
        time::start_of_day(NaiveDate::from_ymd_opt(y, m, d).unwrap(), SHANGHAI)
    }

    fn end(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        time::end_of_day(NaiveDate::from_ymd_opt(y, m, d).unwrap(), SHANGHAI)
    }

    fn requirement(deadline: Option<DateTime<Utc>>) -> Requirement {
        Requirement {
            id: "miit".into(),
            authority_zh: "工信部".into(),
            authority_en: "MIIT".into(),
            title_zh: "解除屏蔽".into(),
            title_en: "Lift blocking".into(),
            issued: NaiveDate::from_ymd_opt(2021, 9, 9).unwrap(),
            deadline,
            timezone: "Asia/Shanghai".into(),
            scope: Scope {
                kind: "link".into(),
                subjects: Vec::new(),
                subject_kinds: vec!["messaging".into()],
            },
            compliant: vec!["open".into(), "warned".into()],
            source: "src".into(),
        }
    }

    fn deadline() -> Option<DateTime<Utc>> {
        Some(end(2021, 9, 17))
    }

    fn transition(
        id: i64,
        check: &str,
        when: DateTime<Utc>,
        to: &str,
        kind: &str,
    ) -> TransitionRecord {
        TransitionRecord {
            id,
            check_id: check.into(),
            source_key: format!("{kind}:x"),
            observation_id: id,
            occurred_at: when,
            from_status: None,
            to_status: to.into(),
            source_kind: kind.into(),
            source_id: None,
            precision: "day".into(),
            kind: "link".into(),
            subject: "wechat".into(),
            object: "x".into(),
        }
    }

    fn state(check: &str, status: Option<&str>) -> (String, CheckState) {
        let latest = status.map(|s| ObservationRecord {
            id: 1,
            check_id: check.into(),
            observed_at: at(2021, 1, 1),
            precision: "day".into(),
            status: s.into(),
            source_kind: "article".into(),
            source_key: "article:a".into(),
            source_id: None,
            vantage: "CN".into(),
            quote: None,
            note_en: None,
            note_zh: None,
            evidence: None,
            catalog_key: None,
            pack_id: None,
            rule_version: None,
            confirmed: None,
            failure: None,
            snapshot: None,
            superseded_by: None,
            reclassifies: None,
            retracted_at: None,
            retraction_reason: None,
            recorded_at: Utc::now(),
            source_publisher: None,
            source_title: None,
            source_url: None,
        });
        (
            check.to_string(),
            CheckState {
                check_id: check.into(),
                per_source: latest.iter().cloned().collect(),
                latest,
            },
        )
    }

    /// A small world: WeChat (messaging) with four targets, and a simulated messenger.
    fn reference() -> Reference {
        let platform = |slug: &str, kind: &str, group: &str| Platform {
            slug: slug.into(),
            name_zh: slug.into(),
            name_en: slug.into(),
            group: group.into(),
            kind: kind.into(),
            domains: Vec::new(),
        };
        let group = |slug: &str, simulated: bool| Group {
            slug: slug.into(),
            name_zh: slug.into(),
            name_en: slug.into(),
            ecosystem: None,
            simulated,
        };
        let check = |subject: &str, object: &str| Check {
            id: format!("link.{subject}.{object}"),
            kind: "link".into(),
            subject: subject.into(),
            object: object.into(),
        };
        Reference {
            groups: vec![group("tencent", false), group("sim", true)],
            platforms: vec![
                platform("wechat", "messaging", "tencent"),
                platform("simchat", "messaging", "sim"),
                platform("shop", "ecommerce", "tencent"),
            ],
            checks: vec![
                check("wechat", "early"),
                check("wechat", "late"),
                check("wechat", "never"),
                check("wechat", "dark"),
                check("wechat", "lost"),
                check("wechat", "quiet"),
                check("simchat", "shop"),
                check("shop", "wechat"),
            ],
            ..Reference::default()
        }
    }

    fn history() -> Vec<TransitionRecord> {
        vec![
            transition(
                1,
                "link.wechat.early",
                at(2021, 7, 1),
                "token_only",
                "article",
            ),
            transition(2, "link.wechat.early", at(2021, 9, 15), "warned", "article"),
            transition(3, "link.wechat.early", at(2021, 10, 1), "open", "probe"),
            transition(
                4,
                "link.wechat.late",
                at(2021, 7, 1),
                "token_only",
                "article",
            ),
            transition(5, "link.wechat.late", at(2021, 10, 17), "warned", "article"),
            transition(6, "link.wechat.never", at(2021, 9, 1), "blocked", "article"),
            transition(
                7,
                "link.wechat.never",
                at(2021, 10, 17),
                "token_only",
                "article",
            ),
            transition(8, "link.wechat.lost", at(2021, 9, 10), "open", "article"),
            transition(9, "link.wechat.lost", at(2021, 11, 1), "blocked", "probe"),
            transition(10, "link.simchat.shop", at(2021, 8, 1), "open", "simulated"),
            transition(11, "link.wechat.quiet", at(2021, 10, 17), "open", "article"),
        ]
    }

    fn states(pairs: &[(&str, Option<&str>)]) -> HashMap<String, CheckState> {
        pairs.iter().map(|(c, s)| state(c, *s)).collect()
    }

    fn evaluation(as_of: DateTime<Utc>, req: &Requirement) -> Evaluation {
        let r = reference();
        let changes = changes_by_check(&history(), as_of);
        // States as the storage would give them, consistent with the history above.
        let now = if as_of >= end(2021, 11, 30) {
            states(&[
                ("link.wechat.early", Some("open")),
                ("link.wechat.late", Some("warned")),
                ("link.wechat.never", Some("token_only")),
                ("link.wechat.lost", Some("blocked")),
                ("link.wechat.quiet", Some("open")),
            ])
        } else {
            states(&[
                ("link.wechat.early", Some("warned")),
                ("link.wechat.late", Some("token_only")),
                ("link.wechat.never", Some("blocked")),
                ("link.wechat.lost", Some("open")),
            ])
        };
        let at_deadline = states(&[
            ("link.wechat.early", Some("warned")),
            ("link.wechat.late", Some("token_only")),
            ("link.wechat.never", Some("blocked")),
            ("link.wechat.lost", Some("open")),
        ]);
        evaluate(&r, req, as_of, &now, Some(&at_deadline), &changes)
    }

    fn find<'a>(e: &'a Evaluation, id: &str) -> &'a CheckCompliance {
        e.checks.iter().find(|c| c.check_id == id).unwrap()
    }

    #[test]
    fn scope_is_real_checks_of_messaging_hosts() {
        let r = reference();
        let ids: Vec<&str> = checks_in_scope(&r, &requirement(deadline()))
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        assert_eq!(
            ids,
            [
                "link.wechat.early",
                "link.wechat.late",
                "link.wechat.never",
                "link.wechat.dark",
                "link.wechat.lost",
                "link.wechat.quiet"
            ],
            "the simulated messenger and the shop host are out"
        );
    }

    #[test]
    fn each_check_against_a_passed_deadline() {
        let req = requirement(deadline());
        let e = evaluation(end(2021, 11, 30), &req);

        let early = find(&e, "link.wechat.early");
        assert_eq!(early.outcome, Outcome::Compliant);
        assert_eq!(early.compliant_at_deadline, Some(true));
        // warned then open: one compliant run, since the first.
        assert_eq!(early.compliant_since, Some(at(2021, 9, 15)));
        assert_eq!(early.delay_days, None);
        assert_eq!(early.overdue_days, None);

        let late = find(&e, "link.wechat.late");
        assert_eq!(late.outcome, Outcome::CompliedLate);
        assert_eq!(late.compliant_at_deadline, Some(false));
        assert_eq!(late.status_at_deadline.as_deref(), Some("token_only"));
        assert_eq!(late.complied_after_deadline, Some(at(2021, 10, 17)));
        assert_eq!(late.delay_days, Some(30));
        assert_eq!(late.compliant_since, Some(at(2021, 10, 17)));

        let never = find(&e, "link.wechat.never");
        assert_eq!(never.outcome, Outcome::NeverCompliant);
        assert!(!never.ever_compliant);
        // 2021-09-17 to 2021-11-30.
        assert_eq!(never.overdue_days, Some(74));

        let dark = find(&e, "link.wechat.dark");
        assert_eq!(dark.outcome, Outcome::Unknown);
        assert!(!dark.evidence);
        assert_eq!(
            dark.overdue_days, None,
            "no evidence is unknown, not overdue"
        );

        let lost = find(&e, "link.wechat.lost");
        assert_eq!(lost.outcome, Outcome::LostCompliance);
        assert_eq!(lost.compliant_at_deadline, Some(true));
        assert!(lost.ever_compliant && !lost.compliant_now);
        assert_eq!(lost.compliant_since, None);
        assert_eq!(lost.overdue_days, Some(74));

        // Nothing seen by the deadline, open later: not known to have missed it.
        let quiet = find(&e, "link.wechat.quiet");
        assert_eq!(quiet.outcome, Outcome::CompliantUnknownAtDeadline);
        assert_eq!(quiet.status_at_deadline.as_deref(), Some("unknown"));
        assert_eq!(quiet.complied_after_deadline, Some(at(2021, 10, 17)));
        assert_eq!(quiet.delay_days, Some(30));
        assert_eq!(quiet.overdue_days, None);

        let s = &e.summary;
        assert_eq!(s.in_scope, 6);
        assert_eq!(s.compliant_now, 3);
        assert_eq!(s.compliant_unknown_at_deadline, 1);
        assert_eq!(s.not_compliant_now, 2);
        assert_eq!(s.unknown, 1);
        assert_eq!(s.never_compliant, 1);
        assert_eq!(s.complied_at_deadline, Some(2));
        assert_eq!(s.complied_late, 1);
        assert_eq!(s.longest_delay_days, Some(30));
        assert_eq!(s.overdue, 2);
        assert_eq!(s.overdue_days, Some(74));
        assert_eq!(s.deadline_state, DeadlineState::Passed);
        assert_eq!(s.days_since_deadline, Some(74));
        assert_eq!(s.countdown_days, None);
    }

    #[test]
    fn as_of_in_the_past_ignores_later_history() {
        let req = requirement(deadline());
        // 2021-10-01: Late has not complied yet; Lost still open.
        let e = evaluation(end(2021, 10, 1), &req);
        let late = find(&e, "link.wechat.late");
        assert_eq!(late.outcome, Outcome::NeverCompliant);
        assert_eq!(late.complied_after_deadline, None);
        assert_eq!(late.overdue_days, Some(14));
        let lost = find(&e, "link.wechat.lost");
        assert_eq!(lost.outcome, Outcome::Compliant);
        assert_eq!(lost.compliant_since, Some(at(2021, 9, 10)));
        assert_eq!(e.summary.overdue, 2);
        assert_eq!(e.summary.complied_late, 0);

        // Before the deadline: a countdown, nothing overdue, no figures at the deadline.
        let e = evaluation(end(2021, 9, 10), &req);
        assert_eq!(e.summary.deadline_state, DeadlineState::Ahead);
        assert_eq!(e.summary.countdown_days, Some(7));
        assert_eq!(e.summary.overdue, 0);
        assert_eq!(e.summary.complied_at_deadline, None);
        assert!(e.checks.iter().all(|c| c.status_at_deadline.is_none()));
    }

    #[test]
    fn without_a_deadline_nothing_is_overdue() {
        let req = requirement(None);
        let e = evaluation(end(2021, 11, 30), &req);
        assert_eq!(e.summary.deadline_state, DeadlineState::None);
        assert_eq!(e.summary.overdue, 0);
        assert_eq!(e.summary.overdue_days, None);
        assert_eq!(e.summary.complied_at_deadline, None);
        assert_eq!(e.summary.countdown_days, None);
        assert_eq!(find(&e, "link.wechat.late").outcome, Outcome::Compliant);
        assert_eq!(find(&e, "link.wechat.quiet").outcome, Outcome::Compliant);
        assert_eq!(e.summary.compliant_now, 3);
    }

    #[test]
    fn share_over_time_is_weekly_and_leaves_simulated_out() {
        let req = requirement(deadline());
        let r = reference();
        let ids: Vec<&str> = checks_in_scope(&r, &req)
            .iter()
            .map(|c| c.id.as_str())
            .collect();
        let as_of = end(2021, 11, 30);
        let series = share_over_time(
            &req,
            &ids,
            &changes_by_check(&history(), as_of),
            (&EvidenceTimes::default(), 180),
            as_of,
        );
        let first = &series.points[0];
        assert_eq!(first.day, NaiveDate::from_ymd_opt(2021, 7, 1).unwrap());
        assert_eq!((first.compliant, first.known, first.in_scope), (0, 2, 6));
        for w in series.points.windows(2) {
            let gap = (w[1].day - w[0].day).num_days();
            assert!(gap > 0 && gap <= 7, "{:?}", w);
        }
        let last = series.points.last().unwrap();
        assert_eq!(last.day, NaiveDate::from_ymd_opt(2021, 11, 30).unwrap());
        assert_eq!((last.compliant, last.known), (3, 5));
        assert!((last.share - 0.5).abs() < 1e-9);
        // The week containing the deadline: early and lost comply (and never was simulated-open).
        let at_deadline = series
            .points
            .iter()
            .find(|p| p.day == NaiveDate::from_ymd_opt(2021, 9, 23).unwrap())
            .unwrap();
        assert_eq!(at_deadline.compliant, 2);
        assert_eq!(series.deadline_day, NaiveDate::from_ymd_opt(2021, 9, 17));

        // Nothing observed: no points.
        let empty = share_over_time(
            &req,
            &ids,
            &HashMap::new(),
            (&EvidenceTimes::default(), 180),
            as_of,
        );
        assert!(empty.points.is_empty());
    }
}
