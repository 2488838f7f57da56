//! HTTP: the server-rendered dashboard, the JSON API under `/api/v1`, `/healthz`, and the
//! stylesheet and static files. [`router`] builds the whole app so tests can drive it
//! in-process.
//!
//! One module per question a reader asks, each with its page, its JSON and its downloads:
//!
//! | question | module |
//! |---|---|
//! | How open are the platforms, now and then? (`/`, openness charts) | [`overview`] |
//! | Who opens whom? (`/links`, `/payments`, `/qr`, `/api/v1/matrix`) | [`matrices`] |
//! | What do we know of one check? (`/checks/…`, `/observations/…`) | [`checks`] |
//! | Who is this platform, where does a fact come from? (`/platforms…`, `/sources/…`) | [`platforms`] |
//! | Are the probes working? (`/probes`) | [`probes`] |
//! | What changed, when? (`/timeline` and its CSV, JSON, NDJSON, Atom) | [`timeline`] |
//! | Are regulators' requirements met? (`/requirements…`, iCalendar) | [`requirements`] |
//! | Where do the facts come from? (`/sources`, `/api/v1/sources`) | [`sources`] |
//! | What changed between two dates? (`/compare`, `/api/v1/compare`) | [`compare`] |
//! | Who am I here? (`/sign-in`, `/sign-out`, `/account`) | [`accounts`] |
//! | How do I add what I saw? (`/contribute…`, a submission's screenshots) | [`contribute`] |
//! | What was corrected? (`/corrections`, its JSON and Atom; retracting an observation) | [`corrections`] |
//! | May I have all of it? (`/dataset.zip`) | [`dataset`] |
//!
//! Below them, shared by all and never using them: [`request`] (what a request asks for,
//! as extractors), [`error`] (one error type, answered as a page, JSON or text),
//! [`present`] (view data several questions show), [`charts`] (the chart downloads'
//! answer), [`session`] (who is signed in, CSRF), [`limits`] (sign-in limits) and [`app_state`].
//! [`metrics`] serves `/metrics` and times every request.

pub mod accounts;
pub mod admin;
pub mod app_state;
pub mod charts;
pub mod checks;
pub mod compare;
pub mod contribute;
pub mod corrections;
pub mod dataset;
pub mod drawings;
pub mod error;
pub mod hand_tests;
pub mod limits;
pub mod matrices;
pub mod metrics;
pub mod overview;
pub mod platforms;
pub mod png;
pub mod present;
pub mod probes;
pub mod request;
pub mod requirements;
pub mod review;
pub mod session;
pub mod sources;
pub mod timeline;
pub mod tokens;

#[cfg(test)]
mod layers;
#[cfg(test)]
mod tests;

pub use app_state::AppState;
pub use error::WebError;
pub use request::AsOf;

/// The timeline exports under their former path.
pub mod exports {
    pub use super::timeline::export::FEED_ENTRIES;
    pub use super::timeline::rows::COLUMNS;
}

use crate::storage::StorageError;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use error::{HtmlError, truncate};
use hutong_app::i18n::Lang;
use hutong_app::model::Section;
use request::ReaderLang;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Pages forbid scripts outright: cited and scraped text is shown, never executed.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/", get(get_api_index))
        .merge(matrices::api_routes())
        .merge(checks::api_routes())
        .merge(platforms::api_routes())
        .merge(probes::api_routes())
        .merge(timeline::api_routes())
        .merge(requirements::api_routes())
        .merge(sources::api_routes())
        .merge(compare::api_routes())
        .merge(tokens::api_routes())
        .merge(corrections::api_routes())
        .fallback(api_not_found);
    // Pages and downloads are in the reader's language; the API, health check and static
    // files are not.
    let dashboard = Router::new()
        .merge(overview::routes())
        .merge(matrices::routes())
        .merge(checks::routes())
        .merge(platforms::routes())
        .merge(probes::routes())
        .merge(timeline::routes())
        .merge(requirements::routes())
        .merge(sources::routes())
        .merge(compare::routes())
        .merge(corrections::routes())
        // Only the pages of accounts have sessions: reading needs none and sets no cookie.
        .merge(
            accounts::routes()
                .merge(contribute::routes())
                .merge(admin::routes())
                .merge(tokens::routes())
                .merge(review::routes())
                .merge(corrections::session_routes())
                .layer(session::layer(&state)),
        )
        .merge(review::public_routes())
        .merge(dataset::routes())
        .fallback(page_not_found)
        .layer(axum::middleware::from_fn(request::negotiate));
    Router::new()
        .merge(dashboard)
        .merge(metrics::routes())
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
        .layer(axum::middleware::from_fn(metrics::time_request))
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

/// A page that does not exist, said in the reader's language.
async fn page_not_found(uri: Uri, ReaderLang(lang): ReaderLang) -> HtmlError {
    let chrome = request::chrome(
        lang,
        &lang.t("title-not-found"),
        Section::Other,
        uri.path(),
        &request::AsOf::today(),
        Vec::new(),
    );
    let message = lang.t_args("error-no-page", &[("path", truncate(uri.path()).into())]);
    HtmlError::new(&chrome, WebError::NotFound(message))
}

/// An API endpoint that does not exist.
async fn api_not_found(uri: Uri) -> WebError {
    WebError::NotFound(Lang::En.t_args(
        "error-no-endpoint",
        &[("path", truncate(uri.path()).into())],
    ))
}

async fn get_api_index() -> Response {
    axum::Json(serde_json::json!({
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
            "/api/v1/sources",
            "/api/v1/compare?from=YYYY-MM-DD&to=YYYY-MM-DD",
            "/api/v1/corrections?page=",
            "/api/v1/requirements?at=YYYY-MM-DD",
            "/api/v1/requirements/{id}?at=YYYY-MM-DD",
            "/healthz"
        ]
    }))
    .into_response()
}

async fn get_health(State(state): State<AppState>) -> Response {
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
