//! The app as a test meets it: the real router on a fresh database, in-process, with a
//! method per endpoint. Each method gives a [`Request`] that is sent when awaited
//! (`app.links("at=2021-10-17").await`), after any headers are added
//! (`app.links("").header("accept-language", "zh-CN").await`).
//!
//! Queries are written as in the address, without the `?`: `""` for none.

use super::{TestDb, real_catalog, sqlite_with_catalog};
use axum::Router;
use axum::body::Body;
use axum::http::header::AsHeaderName;
use axum::http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use hutong::catalog::Catalog;
use hutong::probes::PackSummary;
use hutong::storage::Store;
use hutong::web::png::PngCharts;
use hutong::web::{self, AppState};
use std::fmt::Display;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use tower::ServiceExt;

/// The router and the database it serves; cheap to clone (for requests sent from tasks).
#[derive(Clone)]
pub struct TestApp {
    pub router: Router,
    /// The database the app reads (directly, or through what `AppBuilder::serving` gave).
    pub db: TestDb,
}

/// An app whose state differs from the default: probe packs, an alert threshold, a
/// public URL, PNG limits, or another view of the database.
#[must_use = "`build` gives the app"]
pub struct AppBuilder {
    db: TestDb,
    state: AppState,
}

impl AppBuilder {
    pub fn packs(mut self, packs: Vec<PackSummary>) -> Self {
        self.state.packs = Arc::new(packs);
        self
    }

    /// A pack failing for longer than this is flagged (zero: at once).
    pub fn probe_alert_after(mut self, after: chrono::Duration) -> Self {
        self.state.probe_alert_after = after;
        self
    }

    /// Which vantage points are watched for silence, and how long a worker stays alive.
    pub fn fleet(mut self, watch: hutong::web::app_state::FleetWatch) -> Self {
        self.state.fleet = Arc::new(watch);
        self
    }

    /// Evidence older than this many days at a page's date is stale.
    pub fn stale_after_days(mut self, days: u32) -> Self {
        self.state.stale_after_days = days;
        self
    }

    pub fn public_url(mut self, url: &str) -> Self {
        self.state = self.state.with_public_url(url);
        self
    }

    pub fn png(mut self, png: Arc<PngCharts>) -> Self {
        self.state.png = png;
        self
    }

    /// Serves `store` (the test database through the pool only, through a relay, …)
    /// instead of the test database's own store.
    pub fn serving(mut self, store: Store) -> Self {
        self.state.store = store;
        self
    }

    /// `/metrics` served (and counting started), for bearers of `token` when given.
    pub fn metrics(mut self, token: Option<&str>) -> Self {
        self.state.metrics = Some(Arc::new(hutong::metrics::Access::enable(
            token.map(str::to_string),
        )));
        self
    }

    pub fn build(self) -> TestApp {
        TestApp {
            router: web::router(self.state),
            db: self.db,
        }
    }
}

/// `path?query`, or `path` for an empty query.
fn with_query(path: impl Display, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

impl TestApp {
    /// The real catalog on a fresh SQLite database.
    pub async fn new() -> TestApp {
        TestApp::with_catalog(&real_catalog()).await
    }

    /// `catalog` on a fresh SQLite database.
    pub async fn with_catalog(catalog: &Catalog) -> TestApp {
        TestApp::on(sqlite_with_catalog(catalog).await)
    }

    /// The app with its default state on a database the test prepared.
    pub fn on(db: TestDb) -> TestApp {
        TestApp::builder(db).build()
    }

    pub fn builder(db: TestDb) -> AppBuilder {
        AppBuilder {
            state: AppState::new(db.store.clone()),
            db,
        }
    }

    pub fn store(&self) -> &Store {
        &self.db.store
    }

    /// A GET of any address (a path and its query).
    pub fn get(&self, uri: impl Into<String>) -> Request<'_> {
        Request {
            router: &self.router,
            uri: uri.into(),
            headers: Vec::new(),
            method: axum::http::Method::GET,
            body: Vec::new(),
        }
    }

    /// A POST of a form (`application/x-www-form-urlencoded`) to any address.
    pub fn post_form(&self, uri: impl Into<String>, fields: &[(&str, &str)]) -> Request<'_> {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        Request {
            router: &self.router,
            uri: uri.into(),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            method: axum::http::Method::POST,
            body: body.into_bytes(),
        }
    }

    /// A POST of any body, with its content type.
    pub fn post_body(
        &self,
        uri: impl Into<String>,
        content_type: &str,
        body: Vec<u8>,
    ) -> Request<'_> {
        Request {
            router: &self.router,
            uri: uri.into(),
            headers: vec![("content-type".into(), content_type.into())],
            method: axum::http::Method::POST,
            body,
        }
    }

    /// `GET /metrics`, with `token` as its bearer when given.
    pub fn metrics(&self, token: Option<&str>) -> Request<'_> {
        let mut request = self.get("/metrics");
        if let Some(token) = token {
            request
                .headers
                .push(("authorization".into(), format!("Bearer {token}")));
        }
        request
    }

    // Accounts.

    pub fn sign_in_page(&self) -> Request<'_> {
        self.get("/sign-in")
    }

    pub fn account_page(&self) -> Request<'_> {
        self.get("/account")
    }

    // Admin pages, API tokens and the submissions API.

    /// `POST /api/v1/submissions`: a multipart body of `fields` and `screenshot` files
    /// (file name, bytes), with `token` as its bearer when given.
    pub fn api_submit(
        &self,
        token: Option<&str>,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Request<'_> {
        const BOUNDARY: &str = "----hutong-api-boundary-Q2VoYXJsaWU";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (file, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{BOUNDARY}\r\ncontent-disposition: form-data; name=\"screenshot\"; filename=\"{file}\"\r\ncontent-type: image/png\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
        let request = self.post_body(
            "/api/v1/submissions",
            &format!("multipart/form-data; boundary={BOUNDARY}"),
            body,
        );
        match token {
            Some(t) => request.header("authorization", &format!("Bearer {t}")),
            None => request,
        }
    }

    /// `GET /api/v1/submissions/mine`, with `token` as its bearer when given.
    pub fn api_my_submissions(&self, token: Option<&str>) -> Request<'_> {
        let request = self.get("/api/v1/submissions/mine");
        match token {
            Some(t) => request.header("authorization", &format!("Bearer {t}")),
            None => request,
        }
    }

    // Pages.

    pub fn overview(&self, query: &str) -> Request<'_> {
        self.get(with_query("/", query))
    }

    pub fn links(&self, query: &str) -> Request<'_> {
        self.get(with_query("/links", query))
    }

    pub fn payments(&self, query: &str) -> Request<'_> {
        self.get(with_query("/payments", query))
    }

    pub fn qr(&self, query: &str) -> Request<'_> {
        self.get(with_query("/qr", query))
    }

    pub fn check_page(&self, id: &str, query: &str) -> Request<'_> {
        self.get(with_query(format_args!("/checks/{id}"), query))
    }

    pub fn platforms(&self, query: &str) -> Request<'_> {
        self.get(with_query("/platforms", query))
    }

    pub fn platform_page(&self, slug: &str, query: &str) -> Request<'_> {
        self.get(with_query(format_args!("/platforms/{slug}"), query))
    }

    pub fn source_page(&self, id: &str, query: &str) -> Request<'_> {
        self.get(with_query(format_args!("/sources/{id}"), query))
    }

    pub fn timeline(&self, query: &str) -> Request<'_> {
        self.get(with_query("/timeline", query))
    }

    pub fn requirements(&self, query: &str) -> Request<'_> {
        self.get(with_query("/requirements", query))
    }

    pub fn requirement_page(&self, id: &str, query: &str) -> Request<'_> {
        self.get(with_query(format_args!("/requirements/{id}"), query))
    }

    pub fn probes_page(&self, query: &str) -> Request<'_> {
        self.get(with_query("/probes", query))
    }

    /// `id` is usually a number; the route must also answer what is not one.
    pub fn observation_page(&self, id: impl Display, query: &str) -> Request<'_> {
        self.get(with_query(format_args!("/observations/{id}"), query))
    }

    /// The raw page a probe kept, as a download.
    pub fn raw_page(&self, observation: impl Display) -> Request<'_> {
        self.get(format!("/observations/{observation}/snapshot"))
    }

    // Downloads.

    /// Every observation of one check, as CSV.
    pub fn check_csv(&self, id: &str, query: &str) -> Request<'_> {
        self.get(with_query(format_args!("/checks/{id}.csv"), query))
    }

    /// Every observation of one check, as JSON.
    pub fn check_json(&self, id: &str, query: &str) -> Request<'_> {
        self.get(with_query(format_args!("/checks/{id}.json"), query))
    }

    /// The sources index.
    pub fn sources(&self, query: &str) -> Request<'_> {
        self.get(with_query("/sources", query))
    }

    /// Two dates side by side.
    pub fn compare(&self, query: &str) -> Request<'_> {
        self.get(with_query("/compare", query))
    }

    /// `/dataset.zip`.
    pub fn dataset(&self) -> Request<'_> {
        self.get("/dataset.zip")
    }

    pub fn timeline_csv(&self, query: &str) -> Request<'_> {
        self.get(with_query("/timeline.csv", query))
    }

    pub fn timeline_json(&self, query: &str) -> Request<'_> {
        self.get(with_query("/timeline.json", query))
    }

    pub fn timeline_ndjson(&self, query: &str) -> Request<'_> {
        self.get(with_query("/timeline.ndjson", query))
    }

    pub fn timeline_atom(&self, query: &str) -> Request<'_> {
        self.get(with_query("/timeline.atom", query))
    }

    pub fn requirements_ics(&self, query: &str) -> Request<'_> {
        self.get(with_query("/requirements.ics", query))
    }

    /// The overview's chart of `kind` (`links`, `payments`) as `ext` (`svg`, `png`).
    pub fn openness_chart(&self, kind: &str, ext: &str, query: &str) -> Request<'_> {
        self.get(with_query(
            format_args!("/charts/openness-{kind}.{ext}"),
            query,
        ))
    }

    /// A check's step chart as `ext` (`svg`, `png`).
    pub fn check_chart(&self, id: &str, ext: &str, query: &str) -> Request<'_> {
        self.get(with_query(format_args!("/charts/checks/{id}.{ext}"), query))
    }

    /// A requirement's compliance chart as `ext` (`svg`, `png`).
    pub fn requirement_chart(&self, id: &str, ext: &str, query: &str) -> Request<'_> {
        self.get(with_query(
            format_args!("/charts/requirements/{id}.{ext}"),
            query,
        ))
    }

    pub fn stylesheet(&self) -> Request<'_> {
        self.get("/style/hutong.css")
    }

    pub fn favicon(&self) -> Request<'_> {
        self.get("/favicon.svg")
    }

    pub fn health(&self) -> Request<'_> {
        self.get("/healthz")
    }

    // The JSON API.

    pub fn api_platforms(&self, query: &str) -> Request<'_> {
        self.get(with_query("/api/v1/platforms", query))
    }

    pub fn api_matrix(&self, query: &str) -> Request<'_> {
        self.get(with_query("/api/v1/matrix", query))
    }

    pub fn api_checks(&self, query: &str) -> Request<'_> {
        self.get(with_query("/api/v1/checks", query))
    }

    pub fn api_check(&self, id: &str, query: &str) -> Request<'_> {
        self.get(with_query(format_args!("/api/v1/checks/{id}"), query))
    }

    pub fn api_observations(&self, check: &str) -> Request<'_> {
        self.get(format!("/api/v1/checks/{check}/observations"))
    }

    pub fn api_timeline(&self, query: &str) -> Request<'_> {
        self.get(with_query("/api/v1/timeline", query))
    }

    pub fn api_requirements(&self, query: &str) -> Request<'_> {
        self.get(with_query("/api/v1/requirements", query))
    }

    pub fn api_requirement(&self, id: &str, query: &str) -> Request<'_> {
        self.get(with_query(format_args!("/api/v1/requirements/{id}"), query))
    }

    pub fn api_sources(&self) -> Request<'_> {
        self.get("/api/v1/sources")
    }

    pub fn api_compare(&self, query: &str) -> Request<'_> {
        self.get(with_query("/api/v1/compare", query))
    }

    pub fn api_probes(&self) -> Request<'_> {
        self.get("/api/v1/probes")
    }

    pub fn corrections(&self, query: &str) -> Request<'_> {
        self.get(with_query("/corrections", query))
    }

    pub fn corrections_atom(&self, query: &str) -> Request<'_> {
        self.get(with_query("/corrections.atom", query))
    }

    pub fn api_corrections(&self, query: &str) -> Request<'_> {
        self.get(with_query("/api/v1/corrections", query))
    }

    /// The reviewer's retraction form (GET; a [`super::Visitor`] posts it).
    pub fn retract_page(&self, observation: impl Display) -> Request<'_> {
        self.get(format!("/observations/{observation}/retract"))
    }
}

/// A request on its way: add headers, then await it.
#[must_use = "a request is sent when awaited"]
pub struct Request<'a> {
    router: &'a Router,
    uri: String,
    headers: Vec<(String, String)>,
    method: axum::http::Method,
    body: Vec<u8>,
}

impl Request<'_> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn headers(self, headers: &[(&str, &str)]) -> Self {
        headers
            .iter()
            .fold(self, |request, (name, value)| request.header(name, value))
    }

    async fn send(self) -> Reply {
        let mut request = axum::http::Request::builder()
            .method(self.method.clone())
            .uri(&self.uri);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(self.body)).expect("a request"))
            .await
            .expect("the router never fails");
        let status = response.status();
        let headers = response.headers().clone();
        let content_type = headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let bytes = response
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("{}: the body breaks off: {e}", self.uri))
            .to_bytes()
            .to_vec();
        Reply {
            status,
            content_type,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
        }
    }
}

impl<'a> IntoFuture for Request<'a> {
    type Output = Reply;
    type IntoFuture = Pin<Box<dyn Future<Output = Reply> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// An answer: status, headers and the body, as bytes and as text.
pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: HeaderMap,
    /// The body as text (invalid UTF-8 replaced).
    pub body: String,
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn html(&self) -> scraper::Html {
        scraper::Html::parse_document(&self.body)
    }

    /// The page's `<html lang>`.
    pub fn html_lang(&self) -> String {
        self.html()
            .select(&super::sel("html"))
            .next()
            .and_then(|h| h.value().attr("lang"))
            .unwrap_or_default()
            .to_string()
    }

    /// The header's (first) value; empty when there is none.
    pub fn header(&self, name: impl AsHeaderName) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Every value of the header, in order.
    pub fn header_values(&self, name: impl AsHeaderName) -> Vec<String> {
        self.headers
            .get_all(name)
            .iter()
            .map(|v| v.to_str().unwrap_or_default().to_string())
            .collect()
    }
}
