//! Query parameters, read strictly: a wrong value is a 400 that names the parameter and says
//! what was expected, never a silent default.

use super::WebError;
use super::lang;
use crate::time::{self, SHANGHAI};
use chrono::{DateTime, NaiveDate, Utc};
use hutong_app::model::EARLIEST_DAY;
use std::collections::HashMap;

/// The raw query string as a map; repeated keys keep the last value.
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Params {
        let map = raw
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Params(map)
    }

    /// A non-empty value, trimmed.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    /// The date a page shows (`?at=YYYY-MM-DD`, default today), from [`EARLIEST_DAY`] to
    /// today.
    pub fn as_of(&self) -> Result<AsOf, WebError> {
        AsOf::parse(self.get("at"), "at")
    }

    /// An optional date parameter other than `at`, from [`EARLIEST_DAY`] to today.
    pub fn day(&self, key: &str) -> Result<Option<NaiveDate>, WebError> {
        self.get(key)
            .map(|v| {
                let day = time::parse_day(v).map_err(|_| date_error(key, v))?;
                accepted(key, day)
            })
            .transpose()
    }

    /// One of a closed set of values.
    pub fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<String>, WebError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
            Some(v) => Err(WebError::BadRequest(lang::current().t_args(
                "error-param-one-of",
                &[
                    ("param", key.into()),
                    ("value", truncate(v).into()),
                    ("allowed", allowed.join(", ").into()),
                ],
            ))),
        }
    }

    /// A positive page number, default 1.
    pub fn page(&self) -> Result<usize, WebError> {
        match self.get("page") {
            None => Ok(1),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|&p| (1..=100_000).contains(&p))
                .ok_or_else(|| {
                    WebError::BadRequest(
                        lang::current()
                            .t_args("error-param-page", &[("value", truncate(v).into())]),
                    )
                }),
        }
    }
}

/// A date parameter that is not a date, said in the reader's language: either not of the
/// form YYYY-MM-DD, or no such day.
fn date_error(key: &str, value: &str) -> WebError {
    let well_formed = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let id = if well_formed {
        "error-param-date-real"
    } else {
        "error-param-date-form"
    };
    WebError::BadRequest(lang::current().t_args(
        id,
        &[("param", key.into()), ("value", truncate(value).into())],
    ))
}

/// A day within the dates Hutong accepts, [`EARLIEST_DAY`] to today in Beijing; outside
/// them, a 400 that names the parameter and states the range.
fn accepted(key: &str, day: NaiveDate) -> Result<NaiveDate, WebError> {
    let today = time::today();
    let id = if day < EARLIEST_DAY {
        "error-param-too-early"
    } else if day > today {
        "error-param-future"
    } else {
        return Ok(day);
    };
    Err(WebError::BadRequest(lang::current().t_args(
        id,
        &[
            ("param", key.into()),
            ("day", day.to_string().into()),
            ("earliest", EARLIEST_DAY.to_string().into()),
            ("today", today.to_string().into()),
        ],
    )))
}

/// Values echoed back in errors are cut short: they come from the outside.
pub fn truncate(v: &str) -> String {
    const MAX: usize = 64;
    if v.chars().count() > MAX {
        format!("{}…", v.chars().take(MAX).collect::<String>())
    } else {
        v.to_string()
    }
}

/// The date a page shows the state as of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf {
    pub day: NaiveDate,
    /// The instant queried: the end of `day` in Beijing time, or now for today.
    pub instant: DateTime<Utc>,
    pub is_today: bool,
}

impl AsOf {
    pub fn today() -> AsOf {
        AsOf {
            day: time::today(),
            instant: Utc::now(),
            is_today: true,
        }
    }

    pub fn parse(value: Option<&str>, key: &str) -> Result<AsOf, WebError> {
        let Some(value) = value else {
            return Ok(AsOf::today());
        };
        let day = time::parse_day(value).map_err(|_| date_error(key, value.trim()))?;
        let day = accepted(key, day)?;
        if day == time::today() {
            return Ok(AsOf::today());
        }
        Ok(AsOf {
            day,
            instant: time::end_of_day(day, SHANGHAI),
            is_today: false,
        })
    }
}
