//! "What changed between two dates?": `/compare?from=…&to=…` shows every real check whose
//! status differs between the end of day A and the end of day B (Beijing), both statuses
//! side by side, with one-click presets ("since the deadline"); `/api/v1/compare` answers
//! the same as JSON.

use super::app_state::AppState;
use super::error::{Answer, ApiResult, PageResult, WebError};
use super::present::{self, states_at};
use super::request::{AsOf, Params, ReaderLang, chrome};
use crate::domain::Reference;
use crate::storage::Reads;
use crate::time::{self, SHANGHAI};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{Days, NaiveDate};
use hutong_app::i18n::Lang;
use hutong_app::model::{CompareRow, CompareView, Section};
use hutong_app::pages;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new().route("/compare", get(show_compare))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/compare", get(get_compare))
}

/// The two days compared, as the URL gives them (`from`, `to`); unset, `from` is the day
/// before the first deadline (the overview's "then") and `to` the page's date.
#[derive(Debug, Clone, Copy)]
pub struct Dates {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

impl<S: Send + Sync> FromRequestParts<S> for Dates {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Dates, WebError> {
        let lang = ReaderLang::of(parts);
        let params = Params::of(parts);
        Ok(Dates {
            from: params.day("from", lang)?,
            to: params.day("to", lang)?,
        })
    }
}

/// Each requirement's deadline day (Beijing) with its title: the presets.
fn deadlines(r: &Reference, lang: Lang) -> Vec<(NaiveDate, String)> {
    let mut v: Vec<(NaiveDate, String)> = r
        .requirements
        .iter()
        .filter_map(|q| {
            let title = match lang {
                Lang::ZhCn => q.title_zh.clone(),
                Lang::En => q.title_en.clone(),
            };
            q.deadline.map(|d| (time::shanghai_day(d), title))
        })
        .collect();
    v.sort();
    v
}

/// What two days compare to: the days, how many checks were compared, the checks whose
/// status changed (known on day A, different on day B) and those first sighted in between
/// (unknown on day A, known on day B), told apart as the timeline does: a first sighting
/// says what a source found, not that anything changed.
struct Compared {
    from: NaiveDate,
    to: NaiveDate,
    checks: usize,
    changes: Vec<CompareRow>,
    first_sightings: Vec<CompareRow>,
}

/// The checks whose status differs between the two days, and how many were compared.
async fn compared(
    reads: &Reads,
    dates: Dates,
    as_of: &AsOf,
    lang: Lang,
) -> Result<Compared, WebError> {
    let r = reads.real_reference().await?;
    let to = dates.to.unwrap_or(as_of.day);
    let from = match dates.from {
        Some(d) => d,
        None => deadlines(&r, lang)
            .first()
            .map_or(to, |(d, _)| *d - Days::new(1)),
    };
    if from > to {
        return Err(WebError::BadRequest(lang.t_args(
            "error-param-range-reversed",
            &[
                ("from", from.to_string().into()),
                ("to", to.to_string().into()),
            ],
        )));
    }
    let a = states_at(reads, &r, time::end_of_day(from, SHANGHAI), None, false).await?;
    let b = states_at(reads, &r, time::end_of_day(to, SHANGHAI), None, false).await?;
    let query = format!("?at={to}&lang={}", lang.code());
    let (mut changes, mut first_sightings) = (Vec::new(), Vec::new());
    for c in &r.checks {
        let before = a.get(&c.id).map_or(crate::domain::UNKNOWN, |s| s.status());
        let after = b.get(&c.id).map_or(crate::domain::UNKNOWN, |s| s.status());
        if before != after {
            let kind = r.kind(&c.kind);
            let rows = if before == crate::domain::UNKNOWN {
                &mut first_sightings
            } else {
                &mut changes
            };
            rows.push(CompareRow {
                check_id: c.id.clone(),
                href: format!("/checks/{}{query}", c.id),
                title: present::check_title(&r, c, lang),
                kind: kind
                    .map(|k| present::name(&k.name_zh, &k.name_en).get(lang).to_string())
                    .unwrap_or_else(|| c.kind.clone()),
                from: present::status_view(kind, before, lang),
                to: present::status_view(kind, after, lang),
            });
        }
    }
    Ok(Compared {
        from,
        to,
        checks: r.checks.len(),
        changes,
        first_sightings,
    })
}

pub async fn show_compare(
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    dates: Result<Dates, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let title = lang.t("compare-heading");
    let furniture =
        |as_of: &AsOf| chrome(lang, &title, Section::Other, "/compare", as_of, Vec::new());
    let as_of = at.or_page(&furniture(&AsOf::today()))?;
    let mut chrome = furniture(&as_of);
    let dates = dates.or_page(&chrome)?;
    let reads = reads.or_page(&chrome)?;
    let Compared {
        from,
        to,
        checks,
        changes,
        first_sightings,
    } = compared(&reads, dates, &as_of, lang)
        .await
        .or_page(&chrome)?;
    chrome.keep = vec![
        ("from".to_string(), from.to_string()),
        ("to".to_string(), to.to_string()),
    ];
    let r = reads
        .real_reference()
        .await
        .map_err(WebError::from)
        .or_page(&chrome)?;
    let presets = deadlines(&r, lang)
        .into_iter()
        .filter(|(d, _)| *d <= to)
        .map(|(d, title)| {
            (
                lang.t_args("compare-since-deadline", &[("requirement", title.into())]),
                format!("/compare?from={d}&to={to}&lang={}", lang.code()),
            )
        })
        .collect();
    let view = CompareView {
        from,
        to,
        checks,
        rows: changes,
        first_sightings,
        presets,
        json: format!("/api/v1/compare?from={from}&to={to}"),
    };
    Ok(Html(pages::compare_page(&chrome, &view)))
}

/// `/api/v1/compare?from=&to=`: `changed` (status known on both days, different) and
/// `first_sightings` (unknown on day A), with their counts.
pub async fn get_compare(as_of: AsOf, dates: Dates, reads: Reads) -> ApiResult {
    let c = compared(&reads, dates, &as_of, Lang::En).await?;
    let rows = |rows: &[CompareRow]| -> Vec<serde_json::Value> {
        rows.iter()
            .map(|c| {
                json!({
                    "check": c.check_id,
                    "title": c.title,
                    "kind": c.kind,
                    "from_status": c.from.id,
                    "to_status": c.to.id,
                })
            })
            .collect()
    };
    Ok(Json(json!({
        "from": c.from,
        "to": c.to,
        "checks_compared": c.checks,
        "changes": c.changes.len(),
        "first_sightings_count": c.first_sightings.len(),
        "changed": rows(&c.changes),
        "first_sightings": rows(&c.first_sightings),
    }))
    .into_response())
}
