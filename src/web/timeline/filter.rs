//! The timeline's filters, as the URL gives them (`platform`, `kind`, `source`, `from`,
//! `to`), checked against the catalog: the page, its JSON and every export read them the
//! same way.

use crate::domain::Milestone;
use crate::domain::Reference;
use crate::domain::SourceKind;
use crate::storage::{Reads, TimelineQuery};
use crate::time::{self, SHANGHAI};
use crate::web::app_state::AppState;
use crate::web::error::{WebError, truncate};
use crate::web::request::{AsOf, Params, ReaderLang};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{DateTime, NaiveDate, Utc};
use hutong_app::i18n::Lang;

/// Timeline filters, as given in the URL.
#[derive(Debug, Default, Clone)]
pub struct TimelineFilter {
    pub platform: Option<String>,
    /// A check kind, or `milestone` for milestones only.
    pub kind: Option<String>,
    pub source: Option<SourceKind>,
    /// First day shown (`?from=`, a Beijing day, inclusive).
    pub from: Option<NaiveDate>,
    /// Last day shown (`?to=`, a Beijing day, inclusive).
    pub to: Option<NaiveDate>,
}

/// Read with the request's [`Reads`], so the catalog checked against is the one the rest of
/// the request reads.
impl FromRequestParts<AppState> for TimelineFilter {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let reads = Reads::from_request_parts(parts, state).await?;
        let reference = reads.reference().await?;
        let lang = ReaderLang::of(parts);
        TimelineFilter::parse(&Params::of(parts), &reference, lang)
    }
}

impl TimelineFilter {
    pub fn parse(params: &Params, r: &Reference, lang: Lang) -> Result<TimelineFilter, WebError> {
        let platform = params.get("platform").map(str::to_string);
        if let Some(p) = &platform
            && r.platform(p).is_none()
        {
            return Err(WebError::BadRequest(
                lang.t_args("error-param-platform", &[("slug", truncate(p).into())]),
            ));
        }
        let mut kinds: Vec<&str> = r.kinds.iter().map(|k| k.id.as_str()).collect();
        kinds.push("milestone");
        let kind = params.one_of("kind", &kinds, lang)?;
        let sources: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
        let source = params
            .one_of("source", &sources, lang)?
            .and_then(|s| s.parse().ok());
        let from = params.day("from", lang)?;
        let to = params.day("to", lang)?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(WebError::BadRequest(lang.t_args(
                "error-param-range-reversed",
                &[("from", f.to_string().into()), ("to", t.to_string().into())],
            )));
        }
        Ok(TimelineFilter {
            platform,
            kind,
            source,
            from,
            to,
        })
    }

    /// Milestones only: no transitions are read.
    pub fn milestones_only(&self) -> bool {
        self.kind.as_deref() == Some("milestone")
    }

    /// The first instant shown, if the range has a start.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.from.map(|d| time::start_of_day(d, SHANGHAI))
    }

    /// The last instant shown: the end of `to`, or of the page's date if earlier.
    pub fn until(&self, as_of: &AsOf) -> DateTime<Utc> {
        match self.to {
            Some(d) => time::end_of_day(d, SHANGHAI).min(as_of.instant),
            None => as_of.instant,
        }
    }

    /// Whether a milestone falls within these filters and dates.
    pub fn keeps_milestone(&self, r: &Reference, m: &Milestone, as_of: &AsOf) -> bool {
        let at = time::start_of_day(m.date, SHANGHAI);
        at <= self.until(as_of)
            && self.since().is_none_or(|s| at >= s)
            && self
                .platform
                .as_ref()
                .is_none_or(|p| m.platforms.contains(p))
            && match self.kind.as_deref() {
                None | Some("milestone") => true,
                Some(k) => m.kinds.iter().any(|mk| mk == k),
            }
            && self
                .source
                .is_none_or(|s| r.source(&m.source).is_some_and(|src| src.kind == s))
    }

    /// The storage query for these filters (transitions only).
    pub fn query(&self, as_of: &AsOf, limit: i64, offset: i64) -> TimelineQuery {
        TimelineQuery {
            until: self.until(as_of),
            since: self.since(),
            platform: self.platform.clone(),
            kind: self.kind.clone(),
            source_kind: self.source,
            include_simulated: self.source == Some(SourceKind::Simulated),
            limit,
            offset,
        }
    }

    /// The filters as query pairs, in a fixed order (without `at`).
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(p) = &self.platform {
            v.push(("platform".to_string(), p.clone()));
        }
        if let Some(k) = &self.kind {
            v.push(("kind".to_string(), k.clone()));
        }
        if let Some(s) = self.source {
            v.push(("source".to_string(), s.as_str().to_string()));
        }
        if let Some(d) = self.from {
            v.push(("from".to_string(), d.to_string()));
        }
        if let Some(d) = self.to {
            v.push(("to".to_string(), d.to_string()));
        }
        v
    }
}
