//! What a request asks for, read once: the query string, the reader's language, the date
//! (`at`), the page number. Each is an axum extractor; the query string is parsed the first
//! time one of them asks and kept in the request's extensions for the others.
//!
//! Values are read strictly: a wrong one is a 400 that names the parameter and says what
//! was expected (in the reader's language), never a silent default. Extractors that can
//! fail reject with a [`WebError`]; pages and downloads take them as `Result<_, WebError>`
//! and answer in their own kind (see [`super::error`]), the API takes them directly.
//!
//! The language is chosen by [`negotiate`], a middleware around every page and download
//! (the API stays in English): `?lang=` (which also sets the `lang` cookie), then the
//! `lang` cookie, then `Accept-Language`, then English. It puts the choice in the
//! request's extensions, where [`ReaderLang`] reads it.

use super::app_state::AppState;
use super::error::{HtmlError, WebError, truncate};
use crate::storage::Reads;
use crate::time::{self, SHANGHAI};
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use hutong_app::i18n::Lang;
use hutong_app::model::{Chrome, EARLIEST_DAY, Section};
use std::convert::Infallible;
use std::sync::Arc;

/// The query string's pairs, in order, parsed once per request; a repeated key means its
/// last value.
#[derive(Debug, Clone, Default)]
pub struct Params(Arc<Vec<(String, String)>>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Params {
        let pairs = raw
            .map(|q| {
                url::form_urlencoded::parse(q.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Params(Arc::new(pairs))
    }

    /// The request's parameters: parsed the first time they are asked for, then kept.
    pub fn of(parts: &mut Parts) -> Params {
        if let Some(p) = parts.extensions.get::<Params>() {
            return p.clone();
        }
        let p = Params::parse(parts.uri.query());
        parts.extensions.insert(p.clone());
        p
    }

    /// A non-empty value, trimmed.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Every pair but those of the keys named, in the order given.
    pub fn except(&self, skip: &[&str]) -> Vec<(String, String)> {
        self.0
            .iter()
            .filter(|(k, _)| !skip.contains(&k.as_str()))
            .cloned()
            .collect()
    }

    /// An optional date parameter other than `at`, from [`EARLIEST_DAY`] to today.
    pub fn day(&self, key: &str, lang: Lang) -> Result<Option<NaiveDate>, WebError> {
        self.get(key)
            .map(|v| {
                let day = time::parse_day(v).map_err(|_| date_error(key, v, lang))?;
                accepted(key, day, lang)
            })
            .transpose()
    }

    /// One of a closed set of values.
    pub fn one_of(
        &self,
        key: &str,
        allowed: &[&str],
        lang: Lang,
    ) -> Result<Option<String>, WebError> {
        match self.get(key) {
            None => Ok(None),
            Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
            Some(v) => Err(WebError::BadRequest(lang.t_args(
                "error-param-one-of",
                &[
                    ("param", key.into()),
                    ("value", truncate(v).into()),
                    ("allowed", allowed.join(", ").into()),
                ],
            ))),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Params, Infallible> {
        Ok(Params::of(parts))
    }
}

/// Whether the request's `If-None-Match` names `etag` (quoted, as sent in `ETag`) or `*`:
/// the client holds it already (a 304).
pub fn holds_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').map(str::trim).any(|t| t == etag || t == "*"))
}

/// The reader's language, as [`negotiate`] chose it; English where it does not run (the
/// API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReaderLang(pub Lang);

impl ReaderLang {
    pub fn of(parts: &Parts) -> Lang {
        parts.extensions.get::<Lang>().copied().unwrap_or_default()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ReaderLang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ReaderLang, Infallible> {
        Ok(ReaderLang(ReaderLang::of(parts)))
    }
}

/// A date parameter that is not a date, said in the reader's language: either not of the
/// form YYYY-MM-DD, or no such day.
fn date_error(key: &str, value: &str, lang: Lang) -> WebError {
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
    WebError::BadRequest(lang.t_args(
        id,
        &[("param", key.into()), ("value", truncate(value).into())],
    ))
}

/// A day within the dates Hutong accepts, [`EARLIEST_DAY`] to today in Beijing; outside
/// them, a 400 that names the parameter and states the range.
fn accepted(key: &str, day: NaiveDate, lang: Lang) -> Result<NaiveDate, WebError> {
    let today = time::today();
    let id = if day < EARLIEST_DAY {
        "error-param-too-early"
    } else if day > today {
        "error-param-future"
    } else {
        return Ok(day);
    };
    Err(WebError::BadRequest(lang.t_args(
        id,
        &[
            ("param", key.into()),
            ("day", day.to_string().into()),
            ("earliest", EARLIEST_DAY.to_string().into()),
            ("today", today.to_string().into()),
        ],
    )))
}

/// The date a page shows the state as of (`?at=YYYY-MM-DD`, default today), from
/// [`EARLIEST_DAY`] to today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsOf {
    pub day: NaiveDate,
    /// The instant queried: the end of `day` in Beijing time, or now for today.
    pub instant: DateTime<Utc>,
    pub is_today: bool,
    /// Evidence older than this many days at `day` is stale (`stale_after_days`): the age
    /// of evidence is counted against the page's date, not the clock.
    pub stale_after_days: u32,
    /// Where readers reach this server (`public_url`), for the absolute permalink printed
    /// on paper; `None` where the request could not be read (a page is then cited by path).
    pub public_url: Option<Arc<str>>,
}

impl AsOf {
    pub fn today() -> AsOf {
        AsOf {
            day: time::today(),
            instant: Utc::now(),
            is_today: true,
            stale_after_days: crate::config::DEFAULT_STALE_AFTER_DAYS,
            public_url: None,
        }
    }

    /// How old evidence observed at `observed_at` is at this date, and whether it is stale.
    pub fn age_of(&self, observed_at: DateTime<Utc>) -> crate::state::EvidenceAge {
        crate::state::age_at(observed_at, self.instant, self.stale_after_days)
    }

    /// The date named by `value` (parameter `key`), today when there is none.
    pub fn parse(value: Option<&str>, key: &str, lang: Lang) -> Result<AsOf, WebError> {
        let Some(value) = value else {
            return Ok(AsOf::today());
        };
        let day = time::parse_day(value).map_err(|_| date_error(key, value.trim(), lang))?;
        let day = accepted(key, day, lang)?;
        if day == time::today() {
            return Ok(AsOf::today());
        }
        Ok(AsOf {
            day,
            instant: time::end_of_day(day, SHANGHAI),
            is_today: false,
            stale_after_days: crate::config::DEFAULT_STALE_AFTER_DAYS,
            public_url: None,
        })
    }

    /// The day to carry in links: `None` for today (links then follow the present).
    pub fn day_in_links(&self) -> Option<NaiveDate> {
        (!self.is_today).then_some(self.day)
    }
}

impl FromRequestParts<AppState> for AsOf {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<AsOf, WebError> {
        let lang = ReaderLang::of(parts);
        let mut as_of = AsOf::parse(Params::of(parts).get("at"), "at", lang)?;
        as_of.stale_after_days = state.stale_after_days;
        as_of.public_url = Some(Arc::from(state.public_url.as_str()));
        Ok(as_of)
    }
}

/// The date the overview compares with (`?then=YYYY-MM-DD`), when the URL names one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Then(pub Option<NaiveDate>);

impl<S: Send + Sync> FromRequestParts<S> for Then {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Then, WebError> {
        let lang = ReaderLang::of(parts);
        Params::of(parts).day("then", lang).map(Then)
    }
}

/// The page of a paged list (`?page=`, from 1, default 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub page: usize,
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Paging, WebError> {
        let lang = ReaderLang::of(parts);
        match Params::of(parts).get("page") {
            None => Ok(Paging { page: 1 }),
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|&p| (1..=100_000).contains(&p))
                .map(|page| Paging { page })
                .ok_or_else(|| {
                    WebError::BadRequest(
                        lang.t_args("error-param-page", &[("value", truncate(v).into())]),
                    )
                }),
        }
    }
}

/// Page furniture: the title and section, where the page is, its date, the parameters to
/// keep when the date or language changes, and the language.
pub fn chrome(
    lang: Lang,
    title: &str,
    section: Section,
    path: &str,
    as_of: &AsOf,
    keep: Vec<(String, String)>,
) -> Chrome {
    Chrome {
        title: title.to_string(),
        section,
        path: path.to_string(),
        at: as_of.day,
        at_is_today: as_of.is_today,
        today: time::today(),
        keep,
        lang,
        cite: None,
        public_url: as_of.public_url.as_deref().map(str::to_string),
    }
}

/// A year: the cookie remembers the reader's choice, not a session.
const COOKIE_MAX_AGE: u32 = 31_536_000;

/// Chooses the reader's language and puts it in the request's extensions, answers a wrong
/// `?lang=` with a 400 page, remembers a `?lang=` in the `lang` cookie, and marks every
/// answer as depending on the headers the language was chosen from.
pub async fn negotiate(mut req: Request, next: Next) -> Response {
    let params = Params::parse(req.uri().query());
    let fallback = from_headers(req.headers());
    req.extensions_mut().insert(params.clone());
    let mut response = match params.get("lang").map(|v| (v, Lang::from_param(v))) {
        Some((_, Some(lang))) => {
            req.extensions_mut().insert(lang);
            let mut response = next.run(req).await;
            // Written by hand: the cookie crate orders the attributes differently, and
            // clients and tests read this exact line.
            let cookie = format!(
                "lang={}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax",
                lang.code()
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                response.headers_mut().append(header::SET_COOKIE, v);
            }
            response
        }
        Some((value, None)) => bad_lang(req.uri().path(), &params, value, fallback),
        None => {
            req.extensions_mut().insert(fallback);
            next.run(req).await
        }
    };
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    response
}

/// The cookie's language, else the best of `Accept-Language`, else English.
fn from_headers(headers: &HeaderMap) -> Lang {
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .filter(|c| c.name() == "lang")
        .find_map(|c| Lang::from_param(c.value_trimmed()));
    from_cookie
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// The 400 page for a `lang` the site does not have, in the language the reader would
/// otherwise get, keeping the page's other parameters for the language switch and the date
/// form.
fn bad_lang(path: &str, params: &Params, value: &str, lang: Lang) -> Response {
    let as_of = AsOf::parse(params.get("at"), "at", lang).unwrap_or_else(|_| AsOf::today());
    let keep = params.except(&["lang", "at"]);
    let chrome = chrome(
        lang,
        &lang.t("title-bad-request"),
        Section::Other,
        path,
        &as_of,
        keep,
    );
    let message = lang.t_args("error-param-lang", &[("value", truncate(value).into())]);
    HtmlError::new(&chrome, WebError::BadRequest(message)).into_response()
}

/// The request's reads (see [`crate::storage::memo`]): the data version is read the first
/// time they are asked for, then kept for the rest of the request. A failure is not tried
/// again by a later extractor of the same request (the database would be waited for twice):
/// take `Reads` before the extractors that need it, and answer its error first.
impl FromRequestParts<AppState> for Reads {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Reads, WebError> {
        if let Some(reads) = parts.extensions.get::<Reads>() {
            return Ok(reads.clone());
        }
        if parts.extensions.get::<ReadsFailed>().is_some() {
            return Err(WebError::Internal(
                "the request's reads failed before".into(),
            ));
        }
        match state.reads().await {
            Ok(reads) => {
                parts.extensions.insert(reads.clone());
                Ok(reads)
            }
            Err(e) => {
                parts.extensions.insert(ReadsFailed);
                Err(e.into())
            }
        }
    }
}

/// Marks a request whose reads could not be taken.
#[derive(Debug, Clone, Copy)]
struct ReadsFailed;
