//! The timeline's filters, as the URL gives them (`platform`, `kind`, `source`, `from`,
//! `to`, `check`, `entries`), checked against the catalog: the page, its JSON and every export read them the
//! same way.

use crate::domain::Milestone;
use crate::domain::Reference;
use crate::domain::SourceKind;
use crate::storage::{Reads, TimelineEntries, TimelineQuery};
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
    /// One check only (`?check=`, a check id of the catalog).
    pub check: Option<String>,
    /// Changes, first sightings or all (`?entries=changes|first|all`). Unset, exports and
    /// the API keep every entry (what their links always meant); the page sets its own
    /// default, changes.
    pub entries: Option<TimelineEntries>,
    /// The page chose `entries` (its default), the URL did not: its own links leave it
    /// out, its downloads spell it.
    pub entries_defaulted: bool,
    /// The platform or check asked for is simulated: its entries can only be simulated,
    /// so the page shows the simulated timeline (under its banner) rather than an empty
    /// one. Exports and the API keep reading `source` as given.
    pub simulated_subject: bool,
}

/// `?entries=` values, in the order the page offers them.
pub const ENTRIES: [(&str, TimelineEntries); 3] = [
    ("changes", TimelineEntries::Changes),
    ("first", TimelineEntries::FirstSightings),
    ("all", TimelineEntries::All),
];

/// The `?entries=` value of a choice.
pub fn entries_value(e: TimelineEntries) -> &'static str {
    ENTRIES
        .iter()
        .find(|(_, x)| *x == e)
        .map(|(v, _)| *v)
        .unwrap_or("all")
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
        let check = params.get("check").map(str::to_string);
        if let Some(c) = &check
            && r.check(c).is_none()
        {
            return Err(WebError::BadRequest(
                lang.t_args("error-param-check", &[("id", truncate(c).into())]),
            ));
        }
        let values: Vec<&str> = ENTRIES.iter().map(|(v, _)| *v).collect();
        let entries = params
            .one_of("entries", &values, lang)?
            .and_then(|v| ENTRIES.iter().find(|(x, _)| *x == v).map(|(_, e)| *e));
        let simulated_subject = platform
            .as_deref()
            .is_some_and(|p| r.is_simulated_platform(p))
            || check
                .as_deref()
                .and_then(|c| r.check(c))
                .is_some_and(|c| r.is_simulated_check(c));
        Ok(TimelineFilter {
            platform,
            kind,
            source,
            from,
            to,
            check,
            entries,
            entries_defaulted: false,
            simulated_subject,
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

    /// The entries kept: as asked, else all.
    pub fn entries(&self) -> TimelineEntries {
        self.entries.unwrap_or_default()
    }

    /// Whether a milestone falls within these filters and dates: not among first sightings;
    /// for one check, a milestone of its kind about one of its two platforms.
    pub fn keeps_milestone(&self, r: &Reference, m: &Milestone, as_of: &AsOf) -> bool {
        if self.entries() == TimelineEntries::FirstSightings {
            return false;
        }
        if let Some(id) = &self.check {
            let Some(c) = r.check(id) else {
                return false;
            };
            if !m.kinds.contains(&c.kind)
                || !(m.platforms.contains(&c.subject) || m.platforms.contains(&c.object))
            {
                return false;
            }
        }
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

    /// Whether simulated entries are shown (`source=simulated`).
    pub fn shows_simulated(&self) -> bool {
        self.source == Some(SourceKind::Simulated)
    }

    /// The storage query for these filters (transitions only).
    pub fn query(&self, as_of: &AsOf, limit: i64, offset: i64) -> TimelineQuery {
        TimelineQuery {
            until: self.until(as_of),
            since: self.since(),
            platform: self.platform.clone(),
            kind: self.kind.clone(),
            source_kind: self.source,
            include_simulated: self.shows_simulated(),
            check: self.check.clone(),
            entries: self.entries(),
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
        if let Some(c) = &self.check {
            v.push(("check".to_string(), c.clone()));
        }
        if let Some(e) = self.entries.filter(|_| !self.entries_defaulted) {
            v.push(("entries".to_string(), entries_value(e).to_string()));
        }
        v
    }
}
