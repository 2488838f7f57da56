//! The deadlines as an iCalendar feed (RFC 5545), `/requirements.ics`, written by the
//! `icalendar` crate: it escapes TEXT values, folds lines at 75 octets (never inside a
//! UTF-8 character) and ends them with CRLF. Times are UTC, so every calendar app shows
//! them at the right local time without a VTIMEZONE.

use chrono::{DateTime, Duration, DurationRound, Utc};
use icalendar::{Calendar, Component, EventLike, Property, ValueType};

pub struct Event {
    /// Stable across requests: calendar apps update the event instead of adding one.
    pub uid: String,
    /// The last instant of the deadline day.
    pub deadline: DateTime<Utc>,
    pub summary: String,
    pub description: String,
    pub url: String,
}

/// TEXT without the control characters RFC 5545 does not allow in it (line breaks stay,
/// and are escaped by the writer; carriage returns go).
fn text(s: &str) -> String {
    s.chars()
        .filter(|&c| c == '\n' || c == '\t' || !c.is_control())
        .collect()
}

/// A whole calendar. Each deadline is an event from 23:59 to 24:00 of the deadline day in
/// its own zone (the instant rounded down to the minute), written in UTC.
pub fn calendar(name: &str, stamp: DateTime<Utc>, events: &[Event]) -> String {
    let mut cal = Calendar::empty();
    cal.append_property(("VERSION", "2.0"))
        .append_property(("PRODID", "-//Hutong//Regulatory deadlines//EN"))
        .append_property(("CALSCALE", "GREGORIAN"))
        .append_property(("METHOD", "PUBLISH"))
        .append_property(
            Property::new("X-WR-CALNAME", text(name))
                .append_parameter(ValueType::Text)
                .done(),
        );
    for e in events {
        let end = e.deadline + Duration::microseconds(1);
        let end = end.duration_trunc(Duration::minutes(1)).unwrap_or(end);
        let start = end - Duration::minutes(1);
        cal.push(
            icalendar::Event::new()
                .uid(&text(&e.uid))
                .timestamp(stamp)
                .starts(start)
                .ends(end)
                .summary(&text(&e.summary))
                .description(&text(&e.description))
                .url(&text(&e.url))
                .append_property(("TRANSP", "TRANSPARENT"))
                .done(),
        );
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(summary: &str) -> Event {
        let deadline = crate::time::end_of_day(
            chrono::NaiveDate::from_ymd_opt(2021, 9, 17).unwrap(),
            crate::time::SHANGHAI,
        );
        Event {
            uid: "u@h".into(),
            deadline,
            summary: summary.into(),
            description: "d".into(),
            url: "http://h/?at=2021-09-17&lang=en".into(),
        }
    }

    /// Content lines end with CRLF, fold at 75 octets without splitting a character, and
    /// unfold back to what was written, escaped.
    #[test]
    fn text_is_escaped_and_lines_fold_at_75_octets() {
        let summary = format!("a,b;c\\d\ne\r{}", "监管".repeat(40));
        let cal = calendar("x", Utc::now(), &[event(&summary)]);
        assert!(cal.ends_with("END:VCALENDAR\r\n"), "{cal}");
        assert!(!cal.replace("\r\n", "").contains(['\r', '\n']), "{cal}");
        for l in cal.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = cal.replace("\r\n ", "");
        let line = unfolded
            .split("\r\n")
            .find(|l| l.starts_with("SUMMARY:"))
            .unwrap();
        assert_eq!(
            line,
            format!("SUMMARY:a\\,b\\;c\\\\d\\ne{}", "监管".repeat(40))
        );
    }

    #[test]
    fn a_deadline_ends_at_midnight_beijing_in_utc() {
        let e = event("s");
        let cal = calendar("x", e.deadline, &[e]);
        assert!(cal.contains("\r\nDTSTART:20210917T155900Z\r\n"), "{cal}");
        assert!(cal.contains("\r\nDTEND:20210917T160000Z\r\n"), "{cal}");
        assert!(cal.contains("\r\nDTSTAMP:20210917T155959Z\r\n"), "{cal}");
        assert!(
            cal.contains("\r\nURL:http://h/?at=2021-09-17&lang=en\r\n"),
            "{cal}"
        );
        assert!(
            cal.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
            "{cal}"
        );
    }
}
