//! The time axis both charts share: instants to x, and month or year ticks in Beijing time.

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

    /// First days of months (every 1, 2, 3, 6, 12 … months) inside the axis, at most
    /// `max` of them, labelled `2021-10` or, for yearly ticks, `2022`.
    pub fn ticks(&self, max: usize) -> Vec<(NaiveDate, String)> {
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
                ticks.push((day, label));
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
        assert!((long.x(long.end) - 100.0).abs() < 1e-9);
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
