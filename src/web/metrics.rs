//! `/metrics`: what Hutong counts about itself, in Prometheus' text format, for whoever the
//! configuration lets read it; and the timing of every request by its route pattern.

use super::app_state::AppState;
use crate::metrics::Access;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(get_metrics))
}

/// `/metrics` alone, for a process that serves no pages (`hutong worker`); any other path
/// is a 404.
pub fn standalone(access: Arc<Access>) -> Router {
    Router::new().route(
        "/metrics",
        get(move |headers: HeaderMap| async move { answer(Some(&access), &headers) }),
    )
}

async fn get_metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    answer(state.metrics.as_deref(), &headers)
}

fn answer(access: Option<&Access>, headers: &HeaderMap) -> Response {
    let Some(access) = access else {
        return (StatusCode::NOT_FOUND, "metrics are not enabled here\n").into_response();
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if !access.allows(authorization) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "/metrics needs the bearer token set in metrics.token\n",
        )
            .into_response();
    }
    match crate::metrics::render() {
        Some(text) => (
            [
                (
                    header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics could not be set up (see the server log)\n",
        )
            .into_response(),
    }
}

/// Times each request under its route pattern (`/checks/{id}`), never its raw path, so
/// that the series stay as many as the routes; requests no route matched are `unmatched`.
pub async fn time_request(request: Request, next: Next) -> Response {
    if crate::metrics::render_ready() {
        let route = request
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "unmatched".to_string(), |m| m.as_str().to_string());
        let method = request.method().clone();
        let started = std::time::Instant::now();
        let response = next.run(request).await;
        crate::metrics::page_latency(
            &route,
            method.as_str(),
            response.status().as_u16(),
            started.elapsed(),
        );
        response
    } else {
        next.run(request).await
    }
}
