//! Dates as Hutong's users read them: calendar days in Asia/Shanghai, stored as UTC instants.

use chrono::{DateTime, Days, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// The zone every date in the catalog and the UI is read in unless said otherwise.
pub const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

/// The first instant of `day` in `tz`, as UTC.
pub fn start_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    local_to_utc(day.and_time(NaiveTime::MIN), tz)
}

/// The last instant of `day` in `tz`, as UTC: "as of 2021-10-17" includes all of that day.
pub fn end_of_day(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    match day.checked_add_days(Days::new(1)) {
        Some(next) => start_of_day(next, tz) - chrono::Duration::microseconds(1),
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// A wall-clock time in `tz` as UTC. Ambiguous or skipped local times (no DST in
/// Asia/Shanghai since 1991, but other zones have them) resolve to the earliest instant.
pub fn local_to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => t.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        chrono::LocalResult::None => {
            let shifted = local + chrono::Duration::hours(1);
            tz.from_local_datetime(&shifted)
                .earliest()
                .map_or_else(|| Utc.from_utc_datetime(&local), |t| t.with_timezone(&Utc))
        }
    }
}

/// Today's date in Asia/Shanghai.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&SHANGHAI).date_naive()
}

/// The day an instant falls on in Asia/Shanghai. The last hours chrono can represent have
/// no local date: they fall on their UTC date (`with_timezone` would panic there).
pub fn shanghai_day(t: DateTime<Utc>) -> NaiveDate {
    let utc = t.naive_utc();
    let offset = SHANGHAI.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_offset(offset)
        .map_or_else(|| utc.date(), |local| local.date())
}

/// Parses a `YYYY-MM-DD` date, saying what is wrong with anything else.
pub fn parse_day(text: &str) -> Result<NaiveDate, String> {
    let text = text.trim();
    let well_formed = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !well_formed {
        return Err(format!("\"{text}\" is not a date of the form YYYY-MM-DD"));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| format!("\"{text}\" is not a real calendar date"))
}

/// Parses `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM[:SS]`. A bare date is returned as `Err(day)`'s
/// counterpart: the caller decides whether it means the start or the end of the day.
pub fn parse_day_or_time(text: &str) -> Result<DayOrTime, String> {
    let text = text.trim();
    if text.len() <= 10 {
        return parse_day(text).map(DayOrTime::Day);
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Ok(DayOrTime::Time(t));
        }
    }
    Err(format!(
        "\"{text}\" is not a date (YYYY-MM-DD) or a local date-time (YYYY-MM-DDTHH:MM[:SS])"
    ))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayOrTime {
    Day(NaiveDate),
    Time(NaiveDateTime),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn end_of_day_in_shanghai_is_16_utc() {
        let day = NaiveDate::from_ymd_opt(2021, 9, 17).unwrap();
        let end = end_of_day(day, SHANGHAI);
        assert_eq!(end.to_rfc3339(), "2021-09-17T15:59:59.999999+00:00");
        assert_eq!(
            start_of_day(day, SHANGHAI).to_rfc3339(),
            "2021-09-16T16:00:00+00:00"
        );
        assert_eq!(shanghai_day(end), day);
        assert_eq!(
            shanghai_day(DateTime::<Utc>::MAX_UTC),
            DateTime::<Utc>::MAX_UTC.date_naive()
        );
    }

    #[test]
    fn bad_dates_are_named() {
        assert!(
            parse_day("2021-02-30")
                .unwrap_err()
                .contains("not a real calendar date")
        );
        assert!(parse_day("17/10/2021").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_day("2021-1-5").is_err());
        assert_eq!(
            parse_day_or_time("2021-09-17T23:59").unwrap(),
            DayOrTime::Time(
                NaiveDate::from_ymd_opt(2021, 9, 17)
                    .unwrap()
                    .and_hms_opt(23, 59, 0)
                    .unwrap()
            )
        );
        assert!(parse_day_or_time("2021-09-17 23:59").is_err());
    }
}
