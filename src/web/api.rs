//! The JSON API under `/api/v1`: the same answers as the pages, for programs.
//! Errors are `{"error": "..."}` with a 4xx that says what was wrong.

use super::pages::{TIMELINE_PAGE, TimelineFilter, timeline_entries};
use super::params::{Params, truncate};
use super::probe_pages::pack_statuses;
use super::{AppState, WebError};
use crate::state::{self, CheckState};
use crate::storage::{ObservationRecord, StateFilter};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use hutong_app::model::TimelineEntry;
use serde::Serialize;
use serde_json::{Value, json};

type ApiResult = Result<Response, WebError>;

fn finish(result: ApiResult) -> Response {
    match result {
        Ok(r) => r,
        Err(e) => (e.status(), Json(json!({ "error": e.public_message() }))).into_response(),
    }
}

pub async fn get_index() -> Response {
    Json(json!({
        "name": "Hutong API",
        "version": 1,
        "dates": "every endpoint that takes ?at=YYYY-MM-DD answers as of the end of that day, Beijing time; default now",
        "endpoints": [
            "/api/v1/platforms",
            "/api/v1/platforms/{slug}",
            "/api/v1/checks?kind=link|payment|qr",
            "/api/v1/checks/{id}?at=YYYY-MM-DD",
            "/api/v1/checks/{id}/observations",
            "/api/v1/matrix?kind=link|payment|qr&at=YYYY-MM-DD",
            "/api/v1/timeline?at=&platform=&kind=&source=&page=",
            "/api/v1/probes",
            "/api/v1/requirements?at=YYYY-MM-DD",
            "/api/v1/requirements/{id}?at=YYYY-MM-DD",
            "/healthz"
        ]
    }))
    .into_response()
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    finish(Err(WebError::NotFound(format!(
        "there is no API endpoint at {}; see /api/v1",
        truncate(uri.path())
    ))))
}

#[derive(Serialize)]
struct PlatformJson<'a> {
    slug: &'a str,
    name_zh: &'a str,
    name_en: &'a str,
    group: &'a str,
    ecosystem: &'a str,
    kind: &'a str,
    domains: &'a [String],
}

pub async fn list_platforms(State(state): State<AppState>) -> Response {
    finish(
        async {
            let r = state.reference().await?;
            let list: Vec<PlatformJson> = r
                .platforms
                .iter()
                .map(|p| PlatformJson {
                    slug: &p.slug,
                    name_zh: &p.name_zh,
                    name_en: &p.name_en,
                    group: &p.group,
                    ecosystem: r.ecosystem_of_group(&p.group),
                    kind: &p.kind,
                    domains: &p.domains,
                })
                .collect();
            Ok(Json(json!({ "platforms": list })).into_response())
        }
        .await,
    )
}

pub async fn get_platform(State(state): State<AppState>, Path(slug): Path<String>) -> Response {
    finish(
        async {
            let r = state.reference().await?;
            let p = r.platform(&slug).ok_or_else(|| {
                WebError::NotFound(format!("there is no platform \"{}\"", truncate(&slug)))
            })?;
            let checks: Vec<&crate::catalog::Check> = r
                .checks
                .iter()
                .filter(|c| c.subject == slug || c.object == slug)
                .collect();
            Ok(Json(json!({
                "platform": PlatformJson {
                    slug: &p.slug,
                    name_zh: &p.name_zh,
                    name_en: &p.name_en,
                    group: &p.group,
                    ecosystem: r.ecosystem_of_group(&p.group),
                    kind: &p.kind,
                    domains: &p.domains,
                },
                "checks": checks.iter().map(|c| check_json(c)).collect::<Vec<_>>(),
            }))
            .into_response())
        }
        .await,
    )
}

fn check_json(c: &crate::catalog::Check) -> Value {
    json!({ "id": c.id, "kind": c.kind, "subject": c.subject, "object": c.object })
}

pub async fn list_checks(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(
        async {
            let params = Params::parse(q.as_deref());
            let r = state.reference().await?;
            let kinds: Vec<&str> = r.kinds.iter().map(|k| k.id.as_str()).collect();
            let kind = params.one_of("kind", &kinds)?;
            let checks: Vec<Value> = r
                .checks
                .iter()
                .filter(|c| kind.as_ref().is_none_or(|k| &c.kind == k))
                .map(check_json)
                .collect();
            Ok(Json(json!({ "checks": checks })).into_response())
        }
        .await,
    )
}

/// A check's state as JSON: the leading status, every source's latest word, disagreement.
fn state_json(s: Option<&CheckState>) -> Value {
    match s {
        None => {
            json!({ "status": "unknown", "latest": null, "sources": [], "disagreement": false })
        }
        Some(s) => json!({
            "status": s.status(),
            "latest": s.latest.as_ref().map(observation_json),
            "sources": s.per_source.iter().map(observation_json).collect::<Vec<_>>(),
            "disagreement": !s.disagreeing().is_empty(),
        }),
    }
}

fn observation_json(o: &ObservationRecord) -> Value {
    json!({
        "id": o.id,
        "check": o.check_id,
        "observed_at": o.observed_at,
        "precision": o.precision,
        "status": o.status,
        "source_kind": o.source_kind,
        "simulated": o.source_kind == "simulated",
        "source": o.source_id,
        "citation": o.source_publisher.as_ref().map(|p| json!({
            "publisher": p,
            "title": o.source_title,
            "url": o.source_url,
        })),
        "vantage": o.vantage,
        "quote": o.quote,
        "note_en": o.note_en,
        "note_zh": o.note_zh,
        "evidence": o.evidence,
    })
}

pub async fn get_check(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    finish(
        async {
            let params = Params::parse(q.as_deref());
            let as_of = params.as_of()?;
            let r = state.reference().await?;
            let c = r.check(&id).ok_or_else(|| {
                WebError::NotFound(format!("there is no check \"{}\"", truncate(&id)))
            })?;
            let filter = StateFilter {
                check: Some(id.clone()),
                include_simulated: true,
                ..StateFilter::default()
            };
            let rows = state.state_as_of(as_of.instant, &filter).await?;
            let states = state::states([c], rows);
            let transitions = state.store.transitions(&id).await?;
            Ok(Json(json!({
                "check": check_json(c),
                "at": as_of.day,
                "state": state_json(states.get(&id)),
                "transitions": transitions,
            }))
            .into_response())
        }
        .await,
    )
}

pub async fn list_observations(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    finish(
        async {
            let r = state.reference().await?;
            if r.check(&id).is_none() {
                return Err(WebError::NotFound(format!("there is no check \"{}\"", truncate(&id))));
            }
            let list = state.store.observations(&id).await?;
            Ok(Json(json!({ "check": id, "observations": list.iter().map(observation_json).collect::<Vec<_>>() }))
                .into_response())
        }
        .await,
    )
}

pub async fn get_matrix(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(
        async {
            let params = Params::parse(q.as_deref());
            let as_of = params.as_of()?;
            let r = state.reference().await?;
            let kinds: Vec<&str> = r.kinds.iter().map(|k| k.id.as_str()).collect();
            let kind = params
                .one_of("kind", &kinds)?
                .ok_or_else(|| WebError::BadRequest(format!("kind: required, one of: {}", kinds.join(", "))))?;
            let filter = StateFilter { kind: Some(kind.clone()), ..StateFilter::default() };
            let rows = state.state_as_of(as_of.instant, &filter).await?;
            // Real figures only: checks of simulated platforms are left out.
            let checks: Vec<_> = r
                .checks
                .iter()
                .filter(|c| c.kind == kind && !r.is_simulated_check(c))
                .collect();
            let states = state::states(checks.iter().copied(), rows);
            let cells: Vec<Value> = checks
                .iter()
                .map(|c| {
                    let mut v = check_json(c);
                    v["state"] = state_json(states.get(&c.id));
                    v
                })
                .collect();
            Ok(Json(json!({ "kind": kind, "at": as_of.day, "simulated_included": false, "cells": cells }))
                .into_response())
        }
        .await,
    )
}

pub async fn get_timeline(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(
        async {
            let params = Params::parse(q.as_deref());
            let as_of = params.as_of()?;
            let page = params.page()?;
            let r = state.reference().await?;
            let filter = TimelineFilter::parse(&params, &r)?;
            let (entries, total) =
                timeline_entries(&state, &r, &as_of, &filter, page, TIMELINE_PAGE, "").await?;
            let entries: Vec<Value> = entries.iter().map(entry_json).collect();
            Ok(Json(json!({
                "at": as_of.day,
                "page": page,
                "per_page": TIMELINE_PAGE,
                "total": total,
                "entries": entries,
            }))
            .into_response())
        }
        .await,
    )
}

fn entry_json(e: &TimelineEntry) -> Value {
    let citation = |c: &hutong_app::model::CitationView| json!({ "source_kind": c.source_kind, "label": c.label, "title": c.title, "url": c.url, "simulated": c.source_kind == "simulated" });
    match e {
        TimelineEntry::Change {
            when,
            approximate,
            check_href,
            check_title,
            kind_name,
            from,
            to,
            citation: c,
        } => json!({
            "type": "change",
            "when": when,
            "approximate": approximate,
            "check": check_href.trim_start_matches("/checks/"),
            "title": check_title,
            "kind": kind_name.en,
            "from": from.as_ref().map(|s| &s.id),
            "to": to.id,
            "citation": citation(c),
        }),
        TimelineEntry::Milestone {
            when,
            approximate,
            title,
            citation: c,
        } => json!({
            "type": "milestone",
            "when": when,
            "approximate": approximate,
            "title_zh": title.zh,
            "title_en": title.en,
            "citation": citation(c),
        }),
    }
}

/// Every loaded probe pack with its schedule, last runs and failure streak, and the
/// method changes (reclassifications) of all packs.
pub async fn list_probes(State(state): State<AppState>) -> Response {
    finish(
        async {
            let now = chrono::Utc::now();
            let statuses = pack_statuses(&state, now).await?;
            let packs: Vec<Value> = statuses
                .iter()
                .map(|s| {
                    json!({
                        "id": s.pack.id,
                        "name_en": s.pack.name_en,
                        "name_zh": s.pack.name_zh,
                        "kind": s.pack.kind,
                        "version": s.pack.version,
                        "verified": s.pack.verified,
                        "simulated": s.pack.simulated,
                        "enabled": s.pack.enabled,
                        "scheduled": s.pack.scheduled,
                        "schedule": s.pack.schedule,
                        "schedule_timezone": "Asia/Shanghai",
                        "checks": s.pack.checks,
                        "next_run": s.next_run,
                        "last_run": s.recent.first(),
                        "last_success": s.last_success,
                        "consecutive_failed_runs": s.failed_runs,
                        "missed_slots_since_success": s.missed_slots,
                        "recent_missed_slots": s.missed,
                        "failing_since": s.failing_since,
                        "failing": s.failing,
                        "alert": s.alert(),
                        "recent_runs": s.recent,
                    })
                })
                .collect();
            let changes = state.store.method_changes(None).await?;
            Ok(Json(json!({
                "now": now,
                "alert_after_seconds": state.probe_alert_after.num_seconds(),
                "packs": packs,
                "method_changes": changes,
                "method_changes_note": "a method change re-derives old verdicts under newer rules; it is not a platform changing its policy",
            }))
            .into_response())
        }
        .await,
    )
}
