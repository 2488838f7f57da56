//! The figures the charts draw, computed in one pass over confirmed status changes.
//!
//! A check's status at an instant is the status of its latest confirmed change at or
//! before that instant, whichever source made it (the same rule as the check page's step
//! chart). Unconfirmed single probe verdicts and failed probes never move it.

use crate::domain::{Check, Kind, OPEN_SCORE};
use crate::domain::{EvidenceTimes, StatusChange};
use crate::time::{self, SHANGHAI};
use chrono::{DateTime, Days, NaiveDate, Utc};
use std::collections::HashMap;

/// Openness at the end of one day, of `total` checks, told apart as the overview tells
/// them: `open` and `not_open` on current evidence, `stale` (a known status on evidence
/// older than the threshold, whatever the status) and `unknown` (no status on the
/// ladder). They add up to `total`; stale and unknown are never folded into "not open".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpennessPoint {
    pub day: NaiveDate,
    pub open: usize,
    pub not_open: usize,
    pub stale: usize,
    pub unknown: usize,
    pub total: usize,
}

impl OpennessPoint {
    /// Checks with a status on current evidence.
    pub fn current(&self) -> usize {
        self.open + self.not_open
    }

    /// open ÷ checks on current evidence; `None` while none is current.
    pub fn share(&self) -> Option<f64> {
        (self.current() > 0).then(|| self.open as f64 / self.current() as f64)
    }

    /// A count as a share of all the checks (0 when there are none).
    pub fn of_total(&self, n: usize) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            n as f64 / self.total as f64
        }
    }
}

/// Weekly openness of `checks` (all of one kind): a point at the end of every seventh day
/// from the day of the first change among them, and a last point at `end` (the as-of
/// instant, on `end_day`). `changes` must be oldest first; changes of other checks and
/// after `end` are skipped. A check whose newest evidence (`evidence`) is older than
/// `stale_after_days` at a point is counted stale there. O(changes + weeks × checks).
pub fn weekly_openness(
    kind: &Kind,
    checks: &[&Check],
    changes: &[StatusChange],
    evidence: &EvidenceTimes,
    stale_after_days: u32,
    end_day: NaiveDate,
    end: DateTime<Utc>,
) -> Vec<OpennessPoint> {
    let open_of = |status: &str| -> Option<bool> {
        kind.statuses
            .iter()
            .find(|s| s.id == status)
            .map(|s| s.score >= OPEN_SCORE)
    };
    let wanted: HashMap<&str, ()> = checks.iter().map(|c| (c.id.as_str(), ())).collect();
    let relevant: Vec<&StatusChange> = changes
        .iter()
        .filter(|c| c.at <= end && wanted.contains_key(c.check_id.as_str()))
        .collect();
    let Some(first) = relevant.first() else {
        return Vec::new();
    };
    let mut days = Vec::new();
    let mut day = time::shanghai_day(first.at);
    while day < end_day {
        days.push((day, time::end_of_day(day, SHANGHAI)));
        match day.checked_add_days(Days::new(7)) {
            Some(next) => day = next,
            None => break,
        }
    }
    days.push((end_day, end));

    // Each check's current openness: None = unknown, Some(open?).
    let mut current: HashMap<&str, Option<bool>> = HashMap::new();
    let mut next = relevant.iter().peekable();
    let mut points = Vec::with_capacity(days.len());
    for (day, until) in days {
        while let Some(change) = next.next_if(|c| c.at <= until) {
            current.insert(change.check_id.as_str(), open_of(&change.status));
        }
        let mut p = OpennessPoint {
            day,
            open: 0,
            not_open: 0,
            stale: 0,
            unknown: 0,
            total: checks.len(),
        };
        for c in checks {
            match current.get(c.id.as_str()).copied().flatten() {
                None => p.unknown += 1,
                Some(_) if evidence.is_stale(&c.id, until, stale_after_days) == Some(true) => {
                    p.stale += 1
                }
                Some(true) => p.open += 1,
                Some(false) => p.not_open += 1,
            }
        }
        points.push(p);
    }
    points
}

/// A check's status over time from its confirmed changes (oldest first): consecutive
/// changes to the same status (another source agreeing) merge; the last stretch runs to
/// `end`. Changes after `end` are left out.
pub fn status_steps(
    changes: &[(DateTime<Utc>, String)],
    end: DateTime<Utc>,
) -> Vec<super::steps::Segment> {
    let mut segments: Vec<super::steps::Segment> = Vec::new();
    for (at, status) in changes.iter().filter(|(at, _)| *at <= end) {
        if let Some(last) = segments.last_mut() {
            if &last.status == status {
                continue;
            }
            last.to = *at;
        }
        segments.push(super::steps::Segment {
            from: *at,
            to: end,
            status: status.clone(),
        });
    }
    segments
}

/// The latest `max` segments of [`status_steps`] over a check's changes, worked out from
/// its newest changes only: `newest_first` is what was read, newest first, and `complete`
/// says it holds every change. `None` when what was read does not settle `max` segments
/// (read more): the oldest segment read may begin before its oldest change read, so it is
/// never drawn unless every change was read. The flag says earlier segments were left out.
pub fn latest_status_steps(
    newest_first: &[(DateTime<Utc>, String)],
    complete: bool,
    end: DateTime<Utc>,
    max: usize,
) -> Option<(Vec<super::steps::Segment>, bool)> {
    let oldest_first: Vec<(DateTime<Utc>, String)> = newest_first.iter().rev().cloned().collect();
    let mut segments = status_steps(&oldest_first, end);
    if !complete && segments.len() <= max {
        return None;
    }
    let cut = segments.len().saturating_sub(max);
    Some((segments.split_off(cut), cut > 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Side, Status};
    use chrono::TimeZone;

    fn kind() -> Kind {
        let status = |id: &str, score| Status {
            id: id.into(),
            label_zh: String::new(),
            label_en: id.into(),
            description_en: String::new(),
            score,
        };
        Kind {
            id: "link".into(),
            name_zh: String::new(),
            name_en: "Links".into(),
            subject: Side::Platform,
            object: Side::Platform,
            subject_label_zh: String::new(),
            subject_label_en: String::new(),
            object_label_zh: String::new(),
            object_label_en: String::new(),
            statuses: vec![
                status("open", 1.0),
                status("warned", 0.75),
                status("token_only", 0.25),
                status("blocked", 0.0),
            ],
        }
    }

    fn check(id: &str) -> Check {
        Check {
            id: id.into(),
            kind: "link".into(),
            subject: "a".into(),
            object: id.into(),
        }
    }

    /// Noon in Beijing on 2021-`m`-`d`.
    fn at(m: u32, d: u32) -> DateTime<Utc> {
        SHANGHAI
            .with_ymd_and_hms(2021, m, d, 12, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn change(check: &str, m: u32, d: u32, status: &str) -> StatusChange {
        StatusChange {
            check_id: check.into(),
            at: at(m, d),
            status: status.into(),
        }
    }

    #[test]
    fn weekly_shares_follow_each_change() {
        let checks = [check("x"), check("y"), check("z")];
        let refs: Vec<&Check> = checks.iter().collect();
        let changes = vec![
            change("x", 9, 1, "blocked"),
            change("y", 9, 3, "token_only"),
            change("other", 9, 4, "open"), // not in the population
            change("x", 9, 10, "warned"),
            change("z", 9, 17, "open"),
            change("y", 9, 20, "unknown"),
        ];
        let end_day = NaiveDate::from_ymd_opt(2021, 9, 25).unwrap();
        let evidence = EvidenceTimes::default();
        let points = weekly_openness(&kind(), &refs, &changes, &evidence, 180, end_day, at(9, 25));
        let got: Vec<(String, usize, usize)> = points
            .iter()
            .map(|p| (p.day.to_string(), p.open, p.current()))
            .collect();
        // 09-01: x blocked. 09-08: x blocked, y token. 09-15: x warned, y token.
        // 09-22: x warned, z open, y unknown. 09-25 (as of): the same.
        assert_eq!(
            got,
            [
                ("2021-09-01".to_string(), 0, 1),
                ("2021-09-08".to_string(), 0, 2),
                ("2021-09-15".to_string(), 1, 2),
                ("2021-09-22".to_string(), 2, 2),
                ("2021-09-25".to_string(), 2, 2),
            ]
        );
        assert!(points.iter().all(|p| p.total == 3));
        assert_eq!(points[2].share(), Some(0.5));
        // Nothing known before the first change: no points at all.
        assert!(
            weekly_openness(&kind(), &refs, &[], &evidence, 180, end_day, at(9, 25)).is_empty()
        );
    }

    #[test]
    fn steps_merge_agreeing_sources_and_stop_at_the_date() {
        let changes = vec![
            (at(9, 1), "token_only".to_string()),
            (at(9, 5), "token_only".to_string()),
            (at(9, 17), "warned".to_string()),
            (at(10, 30), "open".to_string()),
        ];
        let steps = status_steps(&changes, at(10, 17));
        assert_eq!(steps.len(), 2);
        assert_eq!(
            (steps[0].from, steps[0].to, steps[0].status.as_str()),
            (at(9, 1), at(9, 17), "token_only")
        );
        assert_eq!(
            (steps[1].from, steps[1].to, steps[1].status.as_str()),
            (at(9, 17), at(10, 17), "warned")
        );
    }

    /// Read from the newest change back, a few at a time: whenever the result is given, it
    /// is the tail of the steps over every change, and it is given once everything is read.
    #[test]
    fn the_latest_steps_are_the_tail_of_all_steps() {
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let statuses = ["open", "warned", "blocked"];
        for _ in 0..300 {
            // Runs of repeated statuses (agreeing sources) make periods longer than a change.
            let len = next(40) as usize;
            let start = at(9, 1);
            let changes: Vec<(DateTime<Utc>, String)> = (0..len)
                .map(|i| {
                    (
                        start + chrono::Duration::hours(i as i64 * 7),
                        statuses[next(3) as usize].to_string(),
                    )
                })
                .collect();
            let end = start + chrono::Duration::hours(next(300) as i64);
            let all = status_steps(&changes, end);
            let max = next(12) as usize;
            let until_end: Vec<_> = changes.iter().filter(|(t, _)| *t <= end).cloned().collect();
            let newest_first: Vec<_> = until_end.iter().rev().cloned().collect();
            for read in 0..=newest_first.len() + 1 {
                let got = newest_first.get(..read).unwrap_or(&newest_first);
                let complete = got.len() == newest_first.len();
                match latest_status_steps(got, complete, end, max) {
                    Some((segments, earlier)) => {
                        let cut = all.len().saturating_sub(max);
                        assert_eq!(
                            segments,
                            all[cut..],
                            "{len} changes, {read} read, max {max}"
                        );
                        assert_eq!(earlier, cut > 0);
                    }
                    None => assert!(!complete, "everything was read: an answer is due"),
                }
            }
        }
    }
}
