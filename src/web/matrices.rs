//! "Who opens whom?": the matrices of link sharing `/links`, payment acceptance
//! `/payments` and QR scanning `/qr` (subjects down, objects across, one cell per check),
//! and the same as JSON, `/api/v1/matrix`.

use super::app_state::AppState;
use super::error::{Answer, ApiResult, HtmlError, PageResult, WebError};
use super::present::json::{check_json, state_json};
use super::present::{self, name, states_at};
use super::request::{AsOf, Params, ReaderLang, chrome};
use crate::domain::Check;
use crate::domain::CheckState;
use crate::domain::Reference;
use crate::state;
use crate::storage::{Reads, StateFilter};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use hutong_app::pages;
use serde_json::{Value, json};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    PAGES.iter().fold(Router::new(), |router, &page| {
        router.route(
            page.path,
            get(
                move |ReaderLang(lang): ReaderLang,
                      at: Result<AsOf, WebError>,
                      reads: Result<Reads, WebError>| {
                    show_matrix(page, lang, at, reads)
                },
            ),
        )
    })
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/matrix", get(get_matrix))
}

/// What one matrix page is: its check kind, title and place in the navigation.
#[derive(Clone, Copy)]
struct MatrixPage {
    kind: &'static str,
    title: &'static str,
    section: Section,
    path: &'static str,
}

/// The matrix pages: links, payments, QR codes.
const PAGES: [MatrixPage; 3] = [
    MatrixPage {
        kind: "link",
        title: "nav-links",
        section: Section::Links,
        path: "/links",
    },
    MatrixPage {
        kind: "payment",
        title: "nav-payments",
        section: Section::Payments,
        path: "/payments",
    },
    MatrixPage {
        kind: "qr",
        title: "nav-qr",
        section: Section::Qr,
        path: "/qr",
    },
];

async fn show_matrix(
    page: MatrixPage,
    lang: Lang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let title = lang.t_or(page.title, page.title);
    let furniture = |as_of: &AsOf| chrome(lang, &title, page.section, page.path, as_of, Vec::new());
    let as_of = at.or_page(&furniture(&AsOf::today()))?;
    let chrome = furniture(&as_of);
    let reads = reads.or_page(&chrome)?;
    let (real, simulated) = matrices(&reads, page.kind, &as_of, lang)
        .await
        .or_page(&chrome)?;
    let Some(real) = real else {
        let e = WebError::NotFound(lang.t_args("error-no-kind", &[("kind", page.kind.into())]));
        return Err(HtmlError::new(&chrome, e));
    };
    Ok(Html(pages::matrix_page(&chrome, &real, simulated.as_ref())))
}

/// The real matrix of a kind (`None` when the catalog has no such kind) and, once the
/// simulator has observed something of this kind, the matrix of simulated platforms.
async fn matrices(
    reads: &Reads,
    kind_id: &str,
    as_of: &AsOf,
    lang: Lang,
) -> Result<(Option<MatrixView>, Option<MatrixView>), WebError> {
    let r = reads.reference().await?;
    let states = states_at(reads, &r, as_of.instant, Some(kind_id), false).await?;
    let real = build_matrix(&r, &states, kind_id, as_of, false, lang);
    if real.is_none() {
        return Ok((None, None));
    }
    // Simulated platforms get their own matrix below the real one.
    let has_simulated = r
        .checks
        .iter()
        .any(|c| c.kind == kind_id && r.is_simulated_check(c));
    if !has_simulated {
        return Ok((real, None));
    }
    let states = states_at(reads, &r, as_of.instant, Some(kind_id), true).await?;
    let observed = r
        .checks
        .iter()
        .any(|c| r.is_simulated_check(c) && states.get(&c.id).is_some_and(|s| s.latest.is_some()));
    let simulated = if observed {
        build_matrix(&r, &states, kind_id, as_of, true, lang)
    } else {
        None
    };
    Ok((real, simulated))
}

/// Subjects down, objects across; rows with the most checks first, columns by ecosystem.
/// Either the real checks or (`simulated`) those of simulated platforms, never both.
fn build_matrix(
    r: &Reference,
    states: &HashMap<String, CheckState>,
    kind_id: &str,
    as_of: &AsOf,
    simulated: bool,
    lang: Lang,
) -> Option<MatrixView> {
    let kind = r.kind(kind_id)?;
    let query = present::date_query(as_of, lang);
    let checks: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| c.kind == kind_id && r.is_simulated_check(c) == simulated)
        .collect();
    let mut subjects: Vec<&str> = Vec::new();
    let mut objects: Vec<&str> = Vec::new();
    for c in &checks {
        if !subjects.contains(&c.subject.as_str()) {
            subjects.push(&c.subject);
        }
        if !objects.contains(&c.object.as_str()) {
            objects.push(&c.object);
        }
    }
    let count = |s: &str| checks.iter().filter(|c| c.subject == s).count();
    subjects.sort_by(|a, b| count(b).cmp(&count(a)).then(a.cmp(b)));
    objects.sort_by_key(|o| {
        (
            r.ecosystem_of(kind.object, o).unwrap_or("").to_string(),
            o.to_string(),
        )
    });
    let by_pair: HashMap<(&str, &str), &Check> = checks
        .iter()
        .map(|c| ((c.subject.as_str(), c.object.as_str()), *c))
        .collect();
    let rows = subjects
        .iter()
        .map(|s| MatrixRow {
            header: present::side_header(r, kind.subject, s, &query, lang),
            cells: objects
                .iter()
                .map(|o| {
                    by_pair
                        .get(&(*s, *o))
                        .map(|c| present::cell(r, c, states.get(&c.id), as_of, &query, lang))
                })
                .collect(),
        })
        .collect();
    Some(MatrixView {
        kind_id: kind.id.clone(),
        kind_name: name(&kind.name_zh, &kind.name_en),
        subject_label: name(&kind.subject_label_zh, &kind.subject_label_en),
        object_label: name(&kind.object_label_zh, &kind.object_label_en),
        columns: objects
            .iter()
            .map(|o| present::side_header(r, kind.object, o, &query, lang))
            .collect(),
        rows,
        ladder: present::ladder(kind, lang),
        simulated_included: simulated,
    })
}

/// `/api/v1/matrix?kind=…&at=…`: every real check of a kind with its state.
pub async fn get_matrix(as_of: AsOf, params: Params, reads: Reads) -> ApiResult {
    let lang = Lang::En;
    let r = reads.reference().await?;
    let kinds: Vec<&str> = r.kinds.iter().map(|k| k.id.as_str()).collect();
    let kind = params.one_of("kind", &kinds, lang)?.ok_or_else(|| {
        WebError::BadRequest(lang.t_args(
            "error-param-required",
            &[
                ("param", "kind".into()),
                ("allowed", kinds.join(", ").into()),
            ],
        ))
    })?;
    let filter = StateFilter {
        kind: Some(kind.clone()),
        ..StateFilter::default()
    };
    let rows = reads.state_as_of(as_of.instant, &filter).await?;
    // Real figures only: checks of simulated platforms are left out.
    let checks: Vec<_> = r
        .checks
        .iter()
        .filter(|c| c.kind == kind && !r.is_simulated_check(c))
        .collect();
    let states = state::states(checks.iter().copied(), (*rows).clone());
    let cells: Vec<Value> = checks
        .iter()
        .map(|c| {
            let mut v = check_json(c);
            v["state"] = state_json(states.get(&c.id), &as_of);
            v
        })
        .collect();
    Ok(Json(json!({
        "kind": kind,
        "at": as_of.day,
        "simulated_included": false,
        "cells": cells,
    }))
    .into_response())
}
