//! The time axis both charts share: instants to x, and ticks in Beijing time (months or
//! years; days, hours or minutes on a short axis).

use crate::time::{self, SHANGHAI};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

pub struct TimeAxis {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub x0: f64,
    pub x1: f64,
}

impl TimeAxis {
    /// An axis over `start..=end`; an empty span is widened to a day so nothing divides by 0.
    pub fn new(start: DateTime<Utc>, end: DateTime<Utc>, x0: f64, x1: f64) -> TimeAxis {
        let end = if end <= start {
            start + chrono::Duration::days(1)
        } else {
            end
        };
        TimeAxis { start, end, x0, x1 }
    }

    pub fn x(&self, t: DateTime<Utc>) -> f64 {
        let span = (self.end - self.start).num_seconds().max(1) as f64;
        let at = (t - self.start).num_seconds() as f64;
        self.x0 + (self.x1 - self.x0) * (at / span).clamp(0.0, 1.0)
    }

    pub fn x_day(&self, day: NaiveDate) -> f64 {
        self.x(time::start_of_day(day, SHANGHAI))
    }

    pub fn contains_day(&self, day: NaiveDate) -> bool {
        let t = time::start_of_day(day, SHANGHAI);
        t >= self.start && t <= self.end
    }

    /// Ticks inside the axis, at most `max` of them, in Beijing time: first days of months
    /// (every 1, 2, 3, 6, 12 … months) labelled `2021-10` or, for yearly ticks, `2022`;
    /// on an axis too short for two of those, days (`10-17`), then hours (`14:00`), then
    /// minutes (`14:05`): a check first probed today still has a readable axis.
    pub fn ticks(&self, max: usize) -> Vec<(DateTime<Utc>, String)> {
        let months = self.month_ticks(max);
        if months.len() >= 2 {
            return months;
        }
        let span = (self.end - self.start).num_seconds();
        const MINUTE: i64 = 60;
        const HOUR: i64 = 3_600;
        const DAY: i64 = 86_400;
        let steps: [(i64, &str); 15] = [
            (MINUTE, "%H:%M"),
            (2 * MINUTE, "%H:%M"),
            (5 * MINUTE, "%H:%M"),
            (10 * MINUTE, "%H:%M"),
            (15 * MINUTE, "%H:%M"),
            (30 * MINUTE, "%H:%M"),
            (HOUR, "%H:00"),
            (2 * HOUR, "%H:00"),
            (3 * HOUR, "%H:00"),
            (6 * HOUR, "%H:00"),
            (12 * HOUR, "%H:00"),
            (DAY, "%m-%d"),
            (2 * DAY, "%m-%d"),
            (7 * DAY, "%m-%d"),
            (14 * DAY, "%m-%d"),
        ];
        // Hours only on an axis shorter than two days (a label says no date), minutes only
        // on one shorter than two hours.
        let smallest = if span >= 2 * DAY {
            DAY
        } else if span >= 2 * HOUR {
            HOUR
        } else {
            MINUTE
        };
        for (step, format) in steps.into_iter().filter(|(s, _)| *s >= smallest) {
            let ticks = self.every(step, format, max + 1);
            if !ticks.is_empty() && ticks.len() <= max {
                return ticks;
            }
        }
        months
    }

    /// Instants inside the axis at local (Beijing) multiples of `step` seconds, labelled
    /// with `format`; stops past `limit` of them.
    fn every(&self, step: i64, format: &str, limit: usize) -> Vec<(DateTime<Utc>, String)> {
        // Beijing time is UTC+8 all year: its multiples of a step are UTC instants shifted
        // by eight hours.
        let offset = 8 * 3_600;
        let mut at = (self.start.timestamp() + offset).div_euclid(step) * step - offset;
        let mut ticks = Vec::new();
        while at <= self.end.timestamp() && ticks.len() < limit {
            if at >= self.start.timestamp()
                && let Some(t) = DateTime::<Utc>::from_timestamp(at, 0)
            {
                let label = t.with_timezone(&SHANGHAI).format(format).to_string();
                ticks.push((t, label));
            }
            at += step;
        }
        ticks
    }

    fn month_ticks(&self, max: usize) -> Vec<(DateTime<Utc>, String)> {
        let first = time::shanghai_day(self.start);
        let last = time::shanghai_day(self.end);
        let months = |d: NaiveDate| d.year() as i64 * 12 + d.month0() as i64;
        let span = (months(last) - months(first)).max(0) + 1;
        let step = [1i64, 2, 3, 6, 12, 24, 60, 120]
            .into_iter()
            .find(|s| span / s < max as i64)
            .unwrap_or(240);
        let mut ticks = Vec::new();
        let mut m = months(first);
        while m <= months(last) {
            if m % step == 0
                && let Some(day) = first_of_month(m)
                && self.contains_day(day)
            {
                let label = if step >= 12 {
                    day.format("%Y").to_string()
                } else {
                    day.format("%Y-%m").to_string()
                };
                ticks.push((time::start_of_day(day, SHANGHAI), label));
            }
            m += 1;
        }
        ticks
    }
}

/// The first day of month number `m` (`year × 12 + month0`): euclidean division, so the
/// months of year 0 and before (negative numbers) give their own year, not an overflow.
fn first_of_month(m: i64) -> Option<NaiveDate> {
    let year = i32::try_from(m.div_euclid(12)).ok()?;
    let month0 = u32::try_from(m.rem_euclid(12)).ok()?;
    NaiveDate::from_ymd_opt(year, month0 + 1, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn ticks_fit_the_span() {
        let axis = TimeAxis::new(
            time::start_of_day(day(2021, 8, 20), SHANGHAI),
            time::end_of_day(day(2021, 12, 31), SHANGHAI),
            0.0,
            100.0,
        );
        let labels: Vec<String> = axis.ticks(8).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["2021-09", "2021-10", "2021-11", "2021-12"]);
        let long = TimeAxis::new(
            time::start_of_day(day(2021, 8, 20), SHANGHAI),
            time::end_of_day(day(2026, 11, 22), SHANGHAI),
            0.0,
            100.0,
        );
        let labels: Vec<String> = long.ticks(8).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["2022", "2023", "2024", "2025", "2026"]);
        assert_eq!(long.x_day(day(2021, 8, 20)), 0.0);
        assert_eq!(
            long.ticks(8)[0].0,
            time::start_of_day(day(2022, 1, 1), SHANGHAI)
        );
        assert!((long.x(long.end) - 100.0).abs() < 1e-9);
    }

    /// An axis shorter than two months ticks days, hours or minutes in Beijing time, never
    /// more than asked and never none.
    #[test]
    fn short_axes_tick_days_hours_and_minutes() {
        let noon = time::start_of_day(day(2026, 12, 2), SHANGHAI) + chrono::Duration::hours(12);
        let labels = |start, end, max| -> Vec<String> {
            TimeAxis::new(start, end, 0.0, 100.0)
                .ticks(max)
                .into_iter()
                .map(|t| t.1)
                .collect()
        };
        assert_eq!(
            labels(noon, noon + chrono::Duration::days(5), 8),
            ["12-03", "12-04", "12-05", "12-06", "12-07"]
        );
        assert_eq!(
            labels(noon, noon + chrono::Duration::hours(5), 8),
            ["12:00", "13:00", "14:00", "15:00", "16:00", "17:00"]
        );
        assert_eq!(
            labels(
                noon + chrono::Duration::seconds(30),
                noon + chrono::Duration::minutes(3),
                4
            ),
            ["12:01", "12:02", "12:03"]
        );
        assert_eq!(
            labels(noon, noon + chrono::Duration::minutes(40), 4),
            ["12:00", "12:15", "12:30"]
        );
        for minutes in [1, 7, 59, 61, 300, 1_439, 2_881, 20_000, 80_000] {
            for max in [2, 4, 8] {
                let got = labels(noon, noon + chrono::Duration::minutes(minutes), max);
                assert!(
                    !got.is_empty() && got.len() <= max,
                    "{minutes} min, {max}: {got:?}"
                );
            }
        }
    }

    /// Axes reaching into year 0 and before (negative month numbers) and up to the last
    /// day chrono knows tick like any other: no overflow in a debug build.
    #[test]
    fn ticks_at_the_calendars_edges() {
        let ancient = TimeAxis::new(
            time::start_of_day(day(-1, 11, 20), SHANGHAI),
            time::end_of_day(day(0, 2, 10), SHANGHAI),
            0.0,
            100.0,
        );
        let labels: Vec<String> = ancient.ticks(8).into_iter().map(|t| t.1).collect();
        assert_eq!(labels, ["-0001-12", "0000-01", "0000-02"]);
        let last = NaiveDate::MAX;
        let far = TimeAxis::new(
            time::start_of_day(last - chrono::Days::new(70), SHANGHAI),
            time::end_of_day(last, SHANGHAI),
            0.0,
            100.0,
        );
        let labels: Vec<String> = far.ticks(8).into_iter().map(|t| t.1).collect();
        assert_eq!(labels.len(), 2, "{labels:?}");
        assert_eq!(first_of_month(-1), Some(day(-1, 12, 1)));
        assert_eq!(first_of_month(0), Some(day(0, 1, 1)));
        assert_eq!(first_of_month(i64::MAX), None);
    }
}
