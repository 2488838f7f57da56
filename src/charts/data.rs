//! The figures the charts draw, computed in one pass over confirmed status changes.
//!
//! A check's status at an instant is the status of its latest confirmed change at or
//! before that instant, whichever source made it (the same rule as the check page's step
//! chart). Unconfirmed single probe verdicts and failed probes never move it.

use crate::domain::{Check, Kind, OPEN_SCORE};
use crate::domain::{EvidenceTimes, StatusChange};
use crate::time::{self, SHANGHAI};
use chrono::{DateTime, Days, NaiveDate, Timelike, Utc};
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
    let series = Series::new(kind, checks, evidence, stale_after_days);
    let wanted = series.wanted();
    let relevant = relevant(changes, &wanted, end);
    let Some(first) = relevant.first() else {
        return Vec::new();
    };
    let mut fold = Fold::start(time::shanghai_day(first.at));
    series.weeks(&mut fold, &relevant, |day, _| day < end_day);
    series.last(fold, &relevant, end_day, end)
}

/// The weekly points of [`weekly_openness`] whose day ended before an instant, and where
/// the series stands after them: kept so that, when changes arrive, only the points after
/// them are computed again ([`SettledOpenness::finish`]). Every point depends only on the
/// changes and evidence up to its own day's end, so the points of days that ended before
/// the settled instant stay as they are while nothing earlier is written.
#[derive(Debug, Clone, PartialEq)]
pub struct SettledOpenness {
    fold: Fold,
}

/// A weekly series under way: its points so far, the next weekly day, each check's
/// openness after the changes up to `applied_until`.
#[derive(Debug, Clone, PartialEq)]
struct Fold {
    points: Vec<OpennessPoint>,
    next_day: NaiveDate,
    /// None = unknown, Some(open?).
    current: HashMap<String, Option<bool>>,
    /// Changes at or before this instant are in `current` (None: none yet).
    applied_until: Option<DateTime<Utc>>,
}

impl Fold {
    fn start(first_day: NaiveDate) -> Fold {
        Fold {
            points: Vec::new(),
            next_day: first_day,
            current: HashMap::new(),
            applied_until: None,
        }
    }
}

impl SettledOpenness {
    /// The weekly points of [`weekly_openness`] whose day ends before `before`, from
    /// `changes` (oldest first; at least every change before `before`, later ones are
    /// ignored). `None` when no change of `checks` comes before `before`: nothing is
    /// settled.
    pub fn new(
        kind: &Kind,
        checks: &[&Check],
        changes: &[StatusChange],
        evidence: &EvidenceTimes,
        stale_after_days: u32,
        before: DateTime<Utc>,
    ) -> Option<SettledOpenness> {
        let series = Series::new(kind, checks, evidence, stale_after_days);
        let wanted = series.wanted();
        let relevant: Vec<&StatusChange> = relevant(changes, &wanted, DateTime::<Utc>::MAX_UTC)
            .into_iter()
            .filter(|c| c.at < before)
            .collect();
        let first = relevant.first()?;
        let mut fold = Fold::start(time::shanghai_day(first.at));
        series.weeks(&mut fold, &relevant, |_, until| until < before);
        Some(SettledOpenness { fold })
    }

    /// Changes after this instant are what [`SettledOpenness::finish`] needs (`None`:
    /// every change).
    pub fn applied_until(&self) -> Option<DateTime<Utc>> {
        self.fold.applied_until
    }

    /// The points settled.
    pub fn points(&self) -> &[OpennessPoint] {
        &self.fold.points
    }

    /// What [`weekly_openness`] gives, from the settled points and `later` (oldest first;
    /// every change after [`SettledOpenness::applied_until`], earlier ones are ignored)
    /// with the same checks, kind and threshold, and evidence read at least as late.
    /// `None` when `end` comes before the settled points' end (count from every change).
    #[allow(clippy::too_many_arguments)]
    pub fn finish(
        &self,
        kind: &Kind,
        checks: &[&Check],
        later: &[StatusChange],
        evidence: &EvidenceTimes,
        stale_after_days: u32,
        end_day: NaiveDate,
        end: DateTime<Utc>,
    ) -> Option<Vec<OpennessPoint>> {
        let applied = self.fold.applied_until;
        let last_day = self.fold.points.last().map(|p| p.day);
        if applied.is_some_and(|a| a > end) || last_day.is_some_and(|d| d >= end_day) {
            return None;
        }
        let series = Series::new(kind, checks, evidence, stale_after_days);
        let wanted = series.wanted();
        let relevant: Vec<&StatusChange> = relevant(later, &wanted, end)
            .into_iter()
            .filter(|c| applied.is_none_or(|a| c.at > a))
            .collect();
        let mut fold = self.fold.clone();
        series.weeks(&mut fold, &relevant, |day, _| day < end_day);
        Some(series.last(fold, &relevant, end_day, end))
    }
}

/// Changes of the `wanted` checks at or before `end`, in their order.
fn relevant<'c>(
    changes: &'c [StatusChange],
    wanted: &HashMap<&str, ()>,
    end: DateTime<Utc>,
) -> Vec<&'c StatusChange> {
    changes
        .iter()
        .filter(|c| c.at <= end && wanted.contains_key(c.check_id.as_str()))
        .collect()
}

/// What one weekly series counts: the checks, their ladder and evidence.
struct Series<'a> {
    kind: &'a Kind,
    checks: &'a [&'a Check],
    evidence: &'a EvidenceTimes,
    stale_after_days: u32,
}

impl<'a> Series<'a> {
    fn new(
        kind: &'a Kind,
        checks: &'a [&'a Check],
        evidence: &'a EvidenceTimes,
        stale_after_days: u32,
    ) -> Series<'a> {
        Series {
            kind,
            checks,
            evidence,
            stale_after_days,
        }
    }

    fn wanted(&self) -> HashMap<&'a str, ()> {
        self.checks.iter().map(|c| (c.id.as_str(), ())).collect()
    }

    fn open_of(&self, status: &str) -> Option<bool> {
        self.kind
            .statuses
            .iter()
            .find(|s| s.id == status)
            .map(|s| s.score >= OPEN_SCORE)
    }

    /// Adds weekly points from `fold`'s next day while `more(day, its end)` holds,
    /// applying the changes of `relevant` up to each point.
    fn weeks(
        &self,
        fold: &mut Fold,
        relevant: &[&StatusChange],
        more: impl Fn(NaiveDate, DateTime<Utc>) -> bool,
    ) {
        let applied = fold.applied_until;
        let mut next = relevant
            .iter()
            .skip_while(|c| applied.is_some_and(|a| c.at <= a))
            .peekable();
        loop {
            let day = fold.next_day;
            let until = time::end_of_day(day, SHANGHAI);
            if !more(day, until) {
                break;
            }
            while let Some(change) = next.next_if(|c| c.at <= until) {
                fold.current
                    .insert(change.check_id.clone(), self.open_of(&change.status));
            }
            fold.applied_until = Some(until);
            fold.points.push(self.point(&fold.current, day, until));
            match day.checked_add_days(Days::new(7)) {
                Some(next_day) => fold.next_day = next_day,
                None => break,
            }
        }
    }

    /// The points so far with the last one, at `end` on `end_day`.
    fn last(
        &self,
        mut fold: Fold,
        relevant: &[&StatusChange],
        end_day: NaiveDate,
        end: DateTime<Utc>,
    ) -> Vec<OpennessPoint> {
        for change in relevant
            .iter()
            .filter(|c| fold.applied_until.is_none_or(|a| c.at > a) && c.at <= end)
        {
            fold.current
                .insert(change.check_id.clone(), self.open_of(&change.status));
        }
        let point = self.point(&fold.current, end_day, end);
        fold.points.push(point);
        fold.points
    }

    fn point(
        &self,
        current: &HashMap<String, Option<bool>>,
        day: NaiveDate,
        until: DateTime<Utc>,
    ) -> OpennessPoint {
        let mut p = OpennessPoint {
            day,
            open: 0,
            not_open: 0,
            stale: 0,
            unknown: 0,
            total: self.checks.len(),
        };
        let until_day = time::shanghai_day(until);
        for c in self.checks {
            match current.get(c.id.as_str()).copied().flatten() {
                None => p.unknown += 1,
                Some(_)
                    if self.evidence.is_stale_on(
                        &c.id,
                        until,
                        until_day,
                        self.stale_after_days,
                    ) == Some(true) =>
                {
                    p.stale += 1
                }
                Some(true) => p.open += 1,
                Some(false) => p.not_open += 1,
            }
        }
        p
    }
}

/// A source's status over time from its confirmed changes (oldest first): consecutive
/// changes to the same status merge; the last stretch runs to `end`. Changes after `end`
/// are left out.
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
            stale: false,
        });
    }
    segments
}

/// When a word last heard at `last_evidence` stops being current: at the start of the
/// first Beijing day on which its age in days exceeds `stale_after_days`, as
/// [`crate::state::age_at`] counts it.
pub fn stale_from(last_evidence: DateTime<Utc>, stale_after_days: u32) -> DateTime<Utc> {
    let day = time::shanghai_day(last_evidence) + Days::new(u64::from(stale_after_days) + 1);
    time::start_of_day(day, SHANGHAI)
}

/// A source's segments with its last word ended where it went stale (`stale_from`): the
/// rest of the last stretch becomes a stale segment, drawn and listed as no current word
/// instead of as the status, so that old evidence never reads as current.
pub fn end_stale(
    mut segments: Vec<super::steps::Segment>,
    stale_from: DateTime<Utc>,
) -> Vec<super::steps::Segment> {
    let Some(last) = segments.last_mut() else {
        return segments;
    };
    if stale_from >= last.to {
        return segments;
    }
    if stale_from <= last.from {
        last.stale = true;
        return segments;
    }
    let tail = super::steps::Segment {
        from: stale_from,
        to: last.to,
        status: last.status.clone(),
        stale: true,
    };
    last.to = stale_from;
    segments.push(tail);
    segments
}

/// Where a check's step chart ends for a request at `instant`: at the start of that
/// instant's second, so that every request within one second draws the same chart (and
/// its drawing is kept, see `web::drawings`), but never before `newest_change`, the latest
/// change drawn (at or before `instant`): a change made within the request's second
/// ends the chart at itself and is drawn, never left beyond the axis as if it had not
/// happened. The current status's bar ends less than a second before the request.
pub fn chart_end(instant: DateTime<Utc>, newest_change: Option<DateTime<Utc>>) -> DateTime<Utc> {
    let second = instant.with_nanosecond(0).unwrap_or(instant);
    newest_change
        .filter(|at| *at > second)
        .map_or(second, |at| at.min(instant))
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

    /// Pseudo-random numbers below `n` (xorshift), the same every run.
    fn numbers(mut seed: u64) -> impl FnMut(u64) -> u64 {
        move |n| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
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

    /// Settled points and the changes after them give exactly what counting every change
    /// gives, whatever the settled instant, the end and the evidence seen since: random
    /// histories (changes at any hour, several at one instant, checks outside the
    /// population) against [`weekly_openness`].
    #[test]
    fn settled_points_and_later_changes_count_as_every_change() {
        let mut next = numbers(0x9e37_79b9_7f4a_7c15);
        let checks = [check("x"), check("y"), check("z"), check("w")];
        let refs: Vec<&Check> = checks.iter().collect();
        let names = ["x", "y", "z", "w", "other"];
        let statuses = ["open", "warned", "token_only", "blocked", "unknown"];
        let start = at(9, 1);
        let hours = |h: u64| start + chrono::Duration::hours(h as i64);
        let mut compared = 0;
        for _ in 0..1000 {
            let span = 24 * (10 + next(120));
            let mut changes: Vec<StatusChange> = (0..next(30))
                .map(|_| StatusChange {
                    check_id: names[next(5) as usize].into(),
                    at: hours(next(span)),
                    status: statuses[next(5) as usize].into(),
                })
                .collect();
            changes.sort_by_key(|c| c.at);
            // Evidence: each check's instants, some long gaps among them.
            let mut evidence = EvidenceTimes {
                min_gap_days: 3,
                ..EvidenceTimes::default()
            };
            for name in &names[..4] {
                let mut times: Vec<DateTime<Utc>> =
                    (0..next(6)).map(|_| hours(next(span))).collect();
                times.sort();
                if let (Some(first), Some(last)) = (times.first(), times.last()) {
                    let gaps = times
                        .windows(2)
                        .filter(|w| w[1] - w[0] > chrono::Duration::days(3))
                        .map(|w| (w[0], w[1]))
                        .collect();
                    evidence.by_check.insert(
                        (*name).to_string(),
                        crate::domain::CheckEvidence {
                            first: *first,
                            last: *last,
                            gaps,
                        },
                    );
                }
            }
            let before = time::start_of_day(time::shanghai_day(hours(next(span))), SHANGHAI);
            let end = hours(next(span + 48));
            let end_day = time::shanghai_day(end);
            let every = weekly_openness(&kind(), &refs, &changes, &evidence, 3, end_day, end);
            let Some(settled) =
                SettledOpenness::new(&kind(), &refs, &changes, &evidence, 3, before)
            else {
                // Nothing of the population before the settled instant.
                assert!(
                    changes
                        .iter()
                        .all(|c| c.at >= before || c.check_id == "other")
                );
                continue;
            };
            let later: Vec<StatusChange> = changes
                .iter()
                .filter(|c| settled.applied_until().is_none_or(|a| c.at > a))
                .cloned()
                .collect();
            match settled.finish(&kind(), &refs, &later, &evidence, 3, end_day, end) {
                Some(points) => {
                    assert_eq!(points, every, "settled before {before}, end {end}");
                    compared += 1;
                }
                None => assert!(end < before, "only an end before the settled instant"),
            }
        }
        assert!(compared > 400, "compared {compared}");
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

    /// A word goes stale on the day its age in Beijing days first exceeds the threshold,
    /// not a nanosecond before or after, across days, hours and thresholds.
    #[test]
    fn a_word_goes_stale_when_its_age_first_says_so() {
        let mut next = numbers(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2_000 {
            let heard = at(1, 1) + chrono::Duration::minutes(next(60 * 24 * 400) as i64);
            let days = next(400) as u32;
            let from = stale_from(heard, days);
            let just_before = from - chrono::Duration::nanoseconds(1);
            // Stale: older than `days` Beijing days, as the pages count an age.
            let stale = |at| {
                (time::shanghai_day(at) - time::shanghai_day(heard)).num_days() > i64::from(days)
            };
            assert!(!stale(just_before), "{heard} {days}");
            assert!(stale(from), "{heard} {days}");
        }
    }

    #[test]
    fn the_last_stretch_ends_where_its_word_went_stale() {
        let seg = |from, to, status: &str| super::super::steps::Segment {
            from,
            to,
            status: status.into(),
            stale: false,
        };
        let two = vec![
            seg(at(9, 1), at(9, 17), "warned"),
            seg(at(9, 17), at(12, 1), "open"),
        ];
        // Still current at the end: unchanged.
        assert_eq!(end_stale(two.clone(), at(12, 1)), two);
        // Stale inside the last stretch: cut there, the rest listed as stale.
        let cut = end_stale(two.clone(), at(10, 1));
        let got: Vec<_> = cut
            .iter()
            .map(|s| (s.from, s.to, s.status.as_str(), s.stale))
            .collect();
        assert_eq!(
            got,
            [
                (at(9, 1), at(9, 17), "warned", false),
                (at(9, 17), at(10, 1), "open", false),
                (at(10, 1), at(12, 1), "open", true),
            ]
        );
        // Stale from before the last change (a word read back at an earlier date): the whole
        // last stretch is stale, nothing is drawn past the end.
        let all = end_stale(two, at(9, 10));
        assert_eq!(all.len(), 2);
        assert!(all[1].stale && !all[0].stale);
        assert_eq!(all[1].to, at(12, 1));
        assert!(end_stale(Vec::new(), at(9, 1)).is_empty());
    }

    /// Read from the newest change back, a few at a time: whenever the result is given, it
    /// is the tail of the steps over every change, and it is given once everything is read.
    #[test]
    fn the_latest_steps_are_the_tail_of_all_steps() {
        let mut next = numbers(0x2545_f491_4f6c_dd1d);
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

    /// The chart ends at the request's second, so that requests within it share one
    /// drawing, but a change made within that second is still drawn: its period starts
    /// on the axis, and the period before it ends there.
    #[test]
    fn a_chart_ends_at_its_second_and_never_before_the_latest_change() {
        let second = at(9, 1) + chrono::Duration::seconds(17);
        let instant = second + chrono::Duration::nanoseconds(700_000_000);
        assert_eq!(chart_end(instant, None), second);
        assert_eq!(chart_end(second, None), second);
        // A change the second before, or at its very start: the chart ends at the second.
        assert_eq!(chart_end(instant, Some(second)), second);
        assert_eq!(
            chart_end(instant, Some(second - chrono::Duration::milliseconds(1))),
            second
        );
        // A change within the request's second.
        let change = second + chrono::Duration::nanoseconds(300_000_000);
        let end = chart_end(instant, Some(change));
        assert_eq!(end, change);
        let changes = vec![
            (at(9, 1), "open".to_string()),
            (change, "blocked".to_string()),
        ];
        let drawn = status_steps(&changes, end);
        assert_eq!(drawn.last().map(|s| s.status.as_str()), Some("blocked"));
        assert_eq!(drawn.first().map(|s| s.to), Some(change));
        // Every request of one second, before and after that change, ends where the
        // first request after the change does or at the second itself.
        for ns in [0, 299_999_999, 300_000_000, 999_999_999] {
            let i = second + chrono::Duration::nanoseconds(ns);
            let newest = (change <= i).then_some(change);
            let e = chart_end(i, newest);
            assert!(e <= i && e >= second);
            assert!(
                newest.is_none_or(|c| c <= e),
                "the change must be on the axis"
            );
        }
    }
}
