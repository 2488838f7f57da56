//! "Are the platforms complying with what regulators required, and by when?": the pages
//! `/requirements` and `/requirements/{id}`, the compliance chart
//! `/charts/requirements/{id}.svg|png`, their JSON under `/api/v1/requirements`, and the
//! deadlines as an iCalendar feed `/requirements.ics` (`ics`). The evaluation itself is
//! shared with the overview ([`super::present::compliance`]).

mod ics;

use super::app_state::AppState;
use super::charts::{KeptUnder, date_line, downloads, reply, split_file};
use super::drawings::{Drawings, Shape};
use super::error::{Answer, ApiResult, FileError, PageResult, WebError, truncate};
use super::present::compliance::{Evaluated, beijing, evaluate_all, item};
use super::present::{self, name};
use super::request::{AsOf, ReaderLang, chrome};
use crate::charts::{BandPoint, Bands, Marker, ShareChart, SharePoint, ShareSeries, share};
use crate::compliance::{self, Evaluation, Outcome};
use crate::domain::Requirement;
use crate::storage::Reads;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::Utc;
use hutong_app::charts::{ChartTable, ChartView};
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use hutong_app::pages;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/requirements", get(show_requirements))
        .route("/requirements/{id}", get(show_requirement))
        .route("/requirements.ics", get(get_requirements_ics))
        .route("/charts/requirements/{file}", get(get_requirement_chart))
}

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/requirements", get(list_requirements))
        .route("/requirements/{id}", get(get_requirement))
}

fn no_requirement(id: &str, lang: Lang) -> WebError {
    WebError::NotFound(lang.t_args("error-no-requirement", &[("id", truncate(id).into())]))
}

/// The furniture of a requirements page: as of today until the date is read, then as of
/// it, keeping the language.
fn page_chrome(lang: Lang, path: &str, as_of: Option<&AsOf>) -> Chrome {
    let title = lang.t("requirements-title");
    match as_of {
        None => chrome(
            lang,
            &title,
            Section::Requirements,
            path,
            &AsOf::today(),
            Vec::new(),
        ),
        Some(as_of) => chrome(
            lang,
            &title,
            Section::Requirements,
            path,
            as_of,
            vec![("lang".to_string(), lang.code().to_string())],
        ),
    }
}

pub async fn show_requirements(
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let path = "/requirements";
    let as_of = at.or_page(&page_chrome(lang, path, None))?;
    let chrome = page_chrome(lang, path, Some(&as_of));
    let reads = reads.or_page(&chrome)?;
    let e = evaluate_all(&reads, as_of.instant, Some(as_of.stale_after_days))
        .await
        .or_page(&chrome)?;
    let query = present::date_query(&as_of, lang);
    let view = RequirementsView {
        requirements: e
            .items
            .iter()
            .map(|(req, ev)| item(&e, req, ev, &query, as_of.stale_after_days, lang))
            .collect(),
        ics_href: format!("/requirements.ics{query}"),
    };
    Ok(Html(pages::requirements_page(&chrome, &view)))
}

pub async fn show_requirement(
    Path(id): Path<String>,
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let path = format!("/requirements/{id}");
    let as_of = at.or_page(&page_chrome(lang, &path, None))?;
    let mut chrome = page_chrome(lang, &path, Some(&as_of));
    let reads = reads.or_page(&chrome)?;
    let e = evaluate_all(&reads, as_of.instant, Some(as_of.stale_after_days))
        .await
        .or_page(&chrome)?;
    let (req, ev) = e
        .find(&id)
        .ok_or_else(|| no_requirement(&id, lang))
        .or_page(&chrome)?;
    chrome.title = match lang {
        Lang::ZhCn => req.title_zh.clone(),
        Lang::En => req.title_en.clone(),
    };
    let source = reads
        .reference()
        .await
        .or_page(&chrome)?
        .source(&req.source)
        .cloned();
    chrome.cite = Some(super::present::cite::cite_box(
        &state.public_url,
        &path,
        as_of.day,
        lang,
        (&req.title_zh, &req.title_en),
        source.as_ref(),
    ));
    let view = requirement_view(&state.drawings, &e, req, ev, &as_of, lang);
    Ok(Html(pages::requirement_page(&chrome, &view)))
}

fn requirement_view(
    drawings: &Drawings,
    e: &Evaluated,
    req: &Requirement,
    ev: &Evaluation,
    as_of: &AsOf,
    lang: Lang,
) -> RequirementPageView {
    let r = &e.reference;
    let query = present::date_query(as_of, lang);
    let kind = r.kind(&req.scope.kind);
    // Who did not comply comes first (longest overdue first), then unknown, then the rest;
    // the catalog's order within each.
    let rank = |c: &compliance::CheckCompliance| match c.outcome {
        Outcome::NeverCompliant | Outcome::LostCompliance => 0,
        Outcome::Unknown => 1,
        Outcome::CompliedLate | Outcome::CompliantUnknownAtDeadline | Outcome::Compliant => 2,
    };
    let mut ordered: Vec<&compliance::CheckCompliance> = ev.checks.iter().collect();
    ordered.sort_by_key(|c| (rank(c), std::cmp::Reverse(c.overdue_days)));
    let checks = ordered
        .into_iter()
        .map(|c| {
            let title = r
                .check(&c.check_id)
                .and_then(|check| {
                    let k = r.kind(&check.kind)?;
                    let a = present::side_name(r, k.subject, &check.subject);
                    let b = present::side_name(r, k.object, &check.object);
                    let join = |x: &str, y: &str| format!("{x} × {y}");
                    let zh = |n: &Name| {
                        if n.zh.is_empty() {
                            n.en.clone()
                        } else {
                            n.zh.clone()
                        }
                    };
                    Some(name(&join(&zh(&a), &zh(&b)), &join(&a.en, &b.en)))
                })
                .unwrap_or_else(|| name("", &c.check_id));
            CheckComplianceRow {
                check_id: c.check_id.clone(),
                href: format!("/checks/{}{query}", c.check_id),
                title,
                status_now: present::status_view(kind, &c.status_now, lang),
                status_at_deadline: c
                    .status_at_deadline
                    .as_deref()
                    .map(|s| present::status_view(kind, s, lang)),
                outcome: match c.outcome {
                    Outcome::Unknown => ComplianceOutcome::Unknown,
                    Outcome::NeverCompliant => ComplianceOutcome::NeverCompliant,
                    Outcome::Compliant => ComplianceOutcome::Compliant,
                    Outcome::CompliedLate => ComplianceOutcome::CompliedLate,
                    Outcome::LostCompliance => ComplianceOutcome::LostCompliance,
                    Outcome::CompliantUnknownAtDeadline => {
                        ComplianceOutcome::CompliantUnknownAtDeadline
                    }
                },
                compliant_since: c.compliant_since.map(crate::time::shanghai_day),
                complied_after_deadline: c.complied_after_deadline.map(crate::time::shanghai_day),
                delay_days: c.delay_days,
                overdue_days: c.overdue_days,
            }
        })
        .collect();
    let series = e.series(req, as_of.instant);
    let chart = (!series.points.is_empty()).then(|| {
        let (svg_chart, table) = compliance_chart(req, &series, as_of, lang);
        let (svg_href, png_href) =
            downloads(&format!("/charts/requirements/{}", req.id), as_of, lang);
        ChartView {
            id: "figure-compliance".into(),
            svg: drawings.share(&svg_chart, lang, Shape::Wide),
            narrow_svg: drawings.share(&svg_chart, lang, Shape::Narrow),
            table,
            svg_href,
            png_href,
        }
    });
    RequirementPageView {
        chart,
        requirement: item(e, req, ev, &query, as_of.stale_after_days, lang),
        checks,
        series: ShareSeriesView {
            deadline_day: series.deadline_day,
            points: series
                .points
                .iter()
                .map(|p| SharePointView {
                    day: p.day,
                    compliant: p.compliant,
                    known: p.known,
                    in_scope: p.in_scope,
                    share: p.share,
                })
                .collect(),
        },
    }
}

// ---- The compliance chart ------------------------------------------------------------

/// A requirement's share of compliant checks over time (weekly), the deadline marked.
fn compliance_chart(
    req: &Requirement,
    series: &compliance::ShareSeries,
    as_of: &AsOf,
    lang: Lang,
) -> (ShareChart, ChartTable) {
    let title = match lang {
        Lang::ZhCn => req.title_zh.clone(),
        Lang::En => req.title_en.clone(),
    };
    let in_scope = series.points.last().map_or(0, |p| p.in_scope);
    let chart = ShareChart {
        id: "chart-compliance".to_string(),
        title: lang.t_args("charts-compliance-title", &[("title", title.into())]),
        subtitle: lang.t("charts-compliance-subtitle-all"),
        series: vec![ShareSeries {
            label: lang.t_args(
                "charts-series-of-total",
                &[
                    ("label", lang.t("charts-compliance-series").into()),
                    ("total", in_scope.into()),
                ],
            ),
            points: series
                .points
                .iter()
                .map(|p| SharePoint {
                    date: p.day,
                    value: (p.in_scope > 0).then(|| p.current_compliant as f64 / p.in_scope as f64),
                })
                .collect(),
        }],
        milestones: series
            .deadline_day
            .map(|d| Marker {
                date: d,
                approximate: false,
                label: lang.t("charts-compliance-deadline"),
            })
            .into_iter()
            .collect(),
        source_line: lang.t("charts-source-line"),
        date_line: date_line(lang, as_of),
        simulated: false,
        bands: Some(Bands {
            points: series
                .points
                .iter()
                .map(|p| {
                    let of = |n: usize| {
                        if p.in_scope == 0 {
                            0.0
                        } else {
                            n as f64 / p.in_scope as f64
                        }
                    };
                    BandPoint {
                        date: p.day,
                        stale: of(p.stale),
                        unknown: of(p.unknown),
                    }
                })
                .collect(),
            rest_label: lang.t("charts-band-not-compliant"),
            stale_label: lang.t_args(
                "charts-band-stale",
                &[("days", i64::from(as_of.stale_after_days).into())],
            ),
            unknown_label: lang.t("charts-band-unknown"),
        }),
    };
    let table = ChartTable {
        caption: chart.title.clone(),
        headers: vec![
            lang.t("charts-table-date"),
            lang.t("charts-compliance-compliant"),
            lang.t("charts-table-not-compliant"),
            lang.t("charts-table-stale"),
            lang.t("charts-table-unknown"),
            lang.t("charts-table-total"),
            lang.t("charts-table-compliant-current"),
        ],
        rows: series
            .points
            .iter()
            .map(|p| {
                let current = p.current_compliant + p.current_not_compliant;
                let share = if current == 0 {
                    lang.t("charts-table-none")
                } else {
                    lang.t_args(
                        "charts-table-n-of",
                        &[
                            ("n", p.current_compliant.into()),
                            ("of", current.into()),
                            (
                                "share",
                                share::percent(p.current_compliant as f64 / current as f64).into(),
                            ),
                        ],
                    )
                };
                vec![
                    p.day.to_string(),
                    p.current_compliant.to_string(),
                    p.current_not_compliant.to_string(),
                    p.stale.to_string(),
                    p.unknown.to_string(),
                    p.in_scope.to_string(),
                    share,
                ]
            })
            .collect(),
    };
    (chart, table)
}

/// `/charts/requirements/{id}.svg|png`: the share of a requirement's checks compliant over
/// time, as drawn on its page (`at`, `lang`).
pub async fn get_requirement_chart(
    State(state): State<AppState>,
    Path(file): Path<String>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> Result<Response, FileError> {
    let Some((id, format)) = split_file(&file) else {
        let e = WebError::NotFound(lang.t_args(
            "error-no-chart-requirement",
            &[("file", truncate(&file).into())],
        ));
        return Err(e).or_file(lang);
    };
    let as_of = at.or_file(lang)?;
    let reads = reads.or_file(lang)?;
    let e = evaluate_all(&reads, as_of.instant, Some(as_of.stale_after_days))
        .await
        .or_file(lang)?;
    let (req, _) = e
        .find(id)
        .ok_or_else(|| no_requirement(id, lang))
        .or_file(lang)?;
    let series = e.series(req, as_of.instant);
    let (chart, _) = compliance_chart(req, &series, &as_of, lang);
    let svg = state.drawings.share(&chart, lang, Shape::Wide);
    let stem = format!("requirement-{id}-{}-{}", as_of.day, lang.code());
    reply(
        &state.png,
        KeptUnder::new(&reads, &as_of),
        svg,
        format,
        &stem,
        lang,
    )
    .await
}

// ---- JSON ----------------------------------------------------------------------------

/// A requirement as JSON, with its figures and how old its checks' evidence is
/// (`evidence`: `fresh`, `stale`, `unknown`, `last_evidence_at`, `stale_after_days`).
fn requirement_json(
    all: &Evaluated,
    req: &Requirement,
    e: &Evaluation,
    stale_after_days: u32,
) -> serde_json::Value {
    let f = all.freshness(req, stale_after_days);
    json!({
        "id": req.id,
        "authority_zh": req.authority_zh,
        "authority_en": req.authority_en,
        "title_zh": req.title_zh,
        "title_en": req.title_en,
        "issued": req.issued,
        "deadline": req.deadline,
        "deadline_beijing": req.deadline.map(beijing),
        "timezone": req.timezone,
        "scope": {
            "kind": req.scope.kind,
            "subjects": req.scope.subjects,
            "subject_kinds": req.scope.subject_kinds,
        },
        "compliant_statuses": req.compliant,
        "source": req.source,
        "summary": e.summary,
        "evidence": {
            "checks": f.total,
            "fresh": f.fresh,
            "stale": f.stale,
            "unknown": f.unknown,
            "last_evidence_at": f.last_evidence_at,
            "stale_after_days": stale_after_days,
        },
    })
}

/// `/api/v1/requirements?at=…`: every requirement with its figures, real checks only.
pub async fn list_requirements(as_of: AsOf, reads: Reads) -> ApiResult {
    let e = evaluate_all(&reads, as_of.instant, Some(as_of.stale_after_days)).await?;
    let list: Vec<_> = e
        .items
        .iter()
        .map(|(req, ev)| requirement_json(&e, req, ev, as_of.stale_after_days))
        .collect();
    Ok(Json(json!({
        "at": as_of.day,
        "real_checks_only": true,
        "requirements": list,
    }))
    .into_response())
}

/// `/api/v1/requirements/{id}?at=…`: one requirement, its checks and its share over time.
pub async fn get_requirement(Path(id): Path<String>, as_of: AsOf, reads: Reads) -> ApiResult {
    let e = evaluate_all(&reads, as_of.instant, Some(as_of.stale_after_days)).await?;
    let (req, ev) = e.find(&id).ok_or_else(|| no_requirement(&id, Lang::En))?;
    let mut body = requirement_json(&e, req, ev, as_of.stale_after_days);
    body["at"] = json!(as_of.day);
    body["real_checks_only"] = json!(true);
    // Each check with the age of its evidence at the date.
    let checks: Vec<serde_json::Value> = ev
        .checks
        .iter()
        .map(|c| {
            let age = e.age(&c.check_id, as_of.stale_after_days);
            let mut v = json!(c);
            v["stale"] = json!(age.is_some_and(|a| a.stale));
            v["evidence_age_days"] = json!(age.map(|a| a.days));
            v["last_evidence_at"] = json!(age.map(|a| a.last_evidence_at));
            v
        })
        .collect();
    body["checks"] = json!(checks);
    body["share_over_time"] = json!(e.series(req, as_of.instant));
    Ok(Json(body).into_response())
}

// ---- The iCalendar feed --------------------------------------------------------------

/// The deadlines as an iCalendar feed. Its absolute links start with `public_url`, never
/// with the request's `Host` (or `X-Forwarded-*`): anyone can send those, and a feed a
/// calendar keeps must not carry a stranger's address.
pub async fn get_requirements_ics(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> Result<Response, FileError> {
    let as_of = at.or_file(lang)?;
    let reads = reads.or_file(lang)?;
    let e = evaluate_all(&reads, as_of.instant, Some(as_of.stale_after_days))
        .await
        .or_file(lang)?;
    let base = state.public_url.trim_end_matches('/');
    let query = present::date_query(&as_of, lang);
    let events: Vec<ics::Event> = e
        .items
        .iter()
        .filter_map(|(req, ev)| {
            let deadline = req.deadline?;
            let s = &ev.summary;
            let title = match lang {
                Lang::ZhCn => &req.title_zh,
                Lang::En => &req.title_en,
            };
            let authority = match lang {
                Lang::ZhCn => &req.authority_zh,
                Lang::En => &req.authority_en,
            };
            let url = format!("{base}/requirements/{}{query}", req.id);
            let description = [
                title.clone(),
                lang.t_args(
                    "requirements-ics-authority",
                    &[("authority", authority.clone().into())],
                ),
                lang.t_args(
                    "requirements-ics-figures",
                    &[
                        ("date", lang.date(as_of.day).into()),
                        ("compliant", s.compliant_now.into()),
                        ("in_scope", s.in_scope.into()),
                        ("overdue", s.overdue.into()),
                        ("unknown", s.unknown.into()),
                    ],
                ),
                lang.t_args("requirements-ics-page", &[("url", url.clone().into())]),
            ]
            .join("\n");
            Some(ics::Event {
                uid: format!("requirement-{}@hutong", req.id),
                deadline,
                summary: lang.t_args(
                    "requirements-ics-summary",
                    &[("title", title.clone().into())],
                ),
                description,
                url,
            })
        })
        .collect();
    let body = ics::calendar(
        &lang.t("requirements-ics-calendar-name"),
        Utc::now(),
        &events,
    );
    Ok((
        [
            (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "inline; filename=\"hutong-deadlines.ics\"",
            ),
        ],
        body,
    )
        .into_response())
}
