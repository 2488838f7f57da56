//! HTTP: the server-rendered dashboard, the JSON API under `/api/v1`, `/healthz`, and the
//! stylesheet and static files. [`router`] builds the whole app so tests can drive it
//! in-process.

mod api;
mod charts;
pub mod exports;
pub mod lang;
mod memo;
mod pages;
mod params;
pub mod png;
mod probe_pages;
mod requirement_pages;
mod views;

use crate::storage::{StorageError, Store};
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use params::AsOf;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The probe packs loaded at start (empty when none).
    pub packs: std::sync::Arc<Vec<crate::probes::PackSummary>>,
    /// A pack failing for longer than this is flagged on the overview.
    pub probe_alert_after: chrono::Duration,
    /// Where readers reach this server (`public_url`): absolute links in exports and feeds.
    pub public_url: String,
    /// Results kept while the data stays the same (see [`memo`]).
    pub memo: std::sync::Arc<memo::Memo>,
    /// Chart PNGs: drawn once, kept, shared and queued (see [`png`]).
    pub png: std::sync::Arc<png::PngCharts>,
}

impl AppState {
    /// A state with no probe packs (tests of pages that need none).
    pub fn new(store: Store) -> AppState {
        AppState {
            store,
            packs: std::sync::Arc::new(Vec::new()),
            probe_alert_after: chrono::Duration::hours(1),
            public_url: crate::config::DEFAULT_PUBLIC_URL.to_string(),
            memo: Default::default(),
            png: Default::default(),
        }
    }

    /// The reference data (catalog tables), kept while the data version holds.
    pub async fn reference(
        &self,
    ) -> Result<std::sync::Arc<crate::storage::Reference>, StorageError> {
        self.memo.reference(&self.store).await
    }

    /// The reference data without the checks of simulated platforms (what real figures
    /// count), kept likewise.
    pub async fn real_reference(
        &self,
    ) -> Result<std::sync::Arc<crate::storage::Reference>, StorageError> {
        self.memo.real_reference(&self.store).await
    }

    /// [`Store::state_as_of`], kept while the data version holds.
    pub async fn state_as_of(
        &self,
        at: chrono::DateTime<chrono::Utc>,
        filter: &crate::storage::StateFilter,
    ) -> Result<Vec<crate::storage::ObservationRecord>, StorageError> {
        Ok((*self.memo.state_as_of(&self.store, at, filter).await?).clone())
    }

    /// [`Store::timeline`], kept while the data version holds.
    pub async fn timeline(
        &self,
        q: &crate::storage::TimelineQuery,
    ) -> Result<std::sync::Arc<memo::TimelinePage>, StorageError> {
        self.memo.timeline(&self.store, q).await
    }

    /// [`Store::transitions`] of a check, kept while the data version holds.
    pub async fn transitions(
        &self,
        check_id: &str,
    ) -> Result<std::sync::Arc<Vec<crate::storage::TransitionRecord>>, StorageError> {
        self.memo.transitions(&self.store, check_id).await
    }

    /// The same state with another public URL (no trailing slash needed).
    pub fn with_public_url(mut self, url: &str) -> AppState {
        self.public_url = url.trim_end_matches('/').to_string();
        self
    }
}

/// Pages forbid scripts outright: cited and scraped text is shown, never executed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/", get(api::get_index))
        .route("/platforms", get(api::list_platforms))
        .route("/platforms/{slug}", get(api::get_platform))
        .route("/checks", get(api::list_checks))
        .route("/checks/{id}", get(api::get_check))
        .route("/checks/{id}/observations", get(api::list_observations))
        .route("/matrix", get(api::get_matrix))
        .route("/timeline", get(api::get_timeline))
        .route("/probes", get(api::list_probes))
        .route(
            "/requirements",
            get(requirement_pages::list_requirements_api),
        )
        .route(
            "/requirements/{id}",
            get(requirement_pages::get_requirement_api),
        )
        .fallback(api::not_found);
    // Pages are in the reader's language; the API, health check and static files are not.
    let dashboard = Router::new()
        .route("/", get(pages::show_overview))
        .route("/links", get(pages::show_links))
        .route("/payments", get(pages::show_payments))
        .route("/qr", get(pages::show_qr))
        .route("/checks/{id}", get(pages::show_check))
        .route("/platforms", get(pages::show_platforms))
        .route("/platforms/{slug}", get(pages::show_platform))
        .route("/timeline", get(pages::show_timeline))
        .route("/timeline.csv", get(exports::get_csv))
        .route("/timeline.json", get(exports::get_json))
        .route("/timeline.ndjson", get(exports::get_ndjson))
        .route("/timeline.atom", get(exports::get_atom))
        .route("/sources/{id}", get(pages::show_source))
        .route("/probes", get(probe_pages::show_probes))
        .route("/requirements", get(requirement_pages::show_requirements))
        .route(
            "/requirements/{id}",
            get(requirement_pages::show_requirement),
        )
        .route(
            "/requirements.ics",
            get(requirement_pages::get_requirements_ics),
        )
        .route("/observations/{id}", get(probe_pages::show_observation))
        .route(
            "/observations/{id}/snapshot",
            get(probe_pages::get_snapshot),
        )
        .route("/charts/checks/{file}", get(charts::get_check_chart))
        .route(
            "/charts/requirements/{file}",
            get(requirement_pages::get_requirement_chart),
        )
        .route("/charts/{file}", get(charts::get_openness_chart))
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn(lang::negotiate));
    Router::new()
        .merge(dashboard)
        .route("/healthz", get(get_health))
        .route("/style/hutong.css", get(get_stylesheet))
        .route("/favicon.svg", get(get_favicon))
        .route("/favicon.ico", get(get_favicon))
        .route("/robots.txt", get(get_robots))
        .nest("/api/v1", api)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(axum::middleware::map_response(retry_after_when_unavailable))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Seconds a client is asked to wait before trying again after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 30;

/// Every 503 says when to come back (`Retry-After`), unless its handler already did.
async fn retry_after_when_unavailable(mut response: Response) -> Response {
    if response.status() == StatusCode::SERVICE_UNAVAILABLE
        && !response.headers().contains_key(header::RETRY_AFTER)
    {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    }
    response
}

async fn get_health(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => axum::Json(serde_json::json!({
            "status": "ok",
            "database": state.store.backend().name(),
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            // A file deleted or replaced under the server is named: the operator must act.
            let error = match &e {
                StorageError::FileGone { .. } => e.to_string(),
                _ => "the database is not reachable".to_string(),
            };
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({
                    "status": "unavailable",
                    "database": state.store.backend().name(),
                    "error": error,
                })),
            )
                .into_response()
        }
    }
}

const STYLESHEET: &str = include_str!("../../style/hutong.css");
const FAVICON: &str = include_str!("../../public/favicon.svg");
const ROBOTS: &str = include_str!("../../public/robots.txt");

fn cached(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}

async fn get_stylesheet() -> Response {
    cached("text/css; charset=utf-8", STYLESHEET)
}

async fn get_favicon() -> Response {
    cached("image/svg+xml", FAVICON)
}

async fn get_robots() -> Response {
    cached("text/plain; charset=utf-8", ROBOTS)
}

/// Why a request failed. 4xx say exactly what was wrong; 5xx are logged in full and
/// answered with a generic message.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("internal error")]
    Storage(#[from] StorageError),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Storage(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Storage(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The message a client may see.
    pub fn public_message(&self) -> String {
        match self {
            WebError::Storage(e) if e.is_unavailable() => {
                tracing::error!(error = %e, "request failed: the database is unavailable");
                lang::current().t("error-unavailable")
            }
            WebError::Storage(e) => {
                tracing::error!(error = %e, "request failed");
                lang::current().t("error-internal")
            }
            other => other.to_string(),
        }
    }
}
