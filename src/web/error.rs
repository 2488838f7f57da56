//! Why a request failed, and how that is answered in each kind of answer.
//!
//! [`WebError`] is the one error of the web layer: 4xx say exactly what was wrong (in the
//! words of the reader's language, chosen when the error is made); 5xx are logged in full
//! and answered with a generic message. Handlers pick the kind of answer by their return
//! type:
//! - a page: [`HtmlError`], the error page in the reader's language with the navigation and
//!   date the page was going to show ([`PageResult`]);
//! - the JSON API: [`WebError`] itself, `{"error": …}` in English ([`ApiResult`]);
//! - a JSON download (the timeline's JSON and NDJSON): [`JsonError`], `{"error": …}` in the
//!   reader's language;
//! - any other file (CSV, Atom, iCalendar, charts, raw pages): [`FileError`], plain text in
//!   the reader's language.

use crate::storage::StorageError;
use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use hutong_app::i18n::Lang;
use hutong_app::model::Chrome;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The request is wrong; the text says how, in the reader's language.
    #[error("{0}")]
    BadRequest(String),
    /// What was asked for does not exist; the text says what, in the reader's language.
    #[error("{0}")]
    NotFound(String),
    /// The signed-in account may not do this, or a form's CSRF token is wrong.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts (sign-in); the text says when to try again.
    #[error("{0}")]
    TooManyRequests(String),
    /// What was asked for existed and was withdrawn (a retracted hand test's screenshots);
    /// the text says why.
    #[error("{0}")]
    Gone(String),
    /// The database failed: unavailable (503) or otherwise (500).
    #[error("{0}")]
    Storage(#[from] StorageError),
    /// Something else failed on our side; the text is for the log only.
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::BadRequest(_) => StatusCode::BAD_REQUEST,
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Forbidden(_) => StatusCode::FORBIDDEN,
            WebError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::Gone(_) => StatusCode::GONE,
            WebError::Storage(e) if e.is_unavailable() => StatusCode::SERVICE_UNAVAILABLE,
            WebError::Storage(_) | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The words a client sees, in `lang`. A 5xx is logged here, in full, and answered with
    /// a generic message: internal detail never reaches a client.
    pub fn public_message(&self, lang: Lang) -> String {
        match self {
            WebError::BadRequest(m)
            | WebError::NotFound(m)
            | WebError::Forbidden(m)
            | WebError::TooManyRequests(m)
            | WebError::Gone(m) => m.clone(),
            WebError::Storage(e) if e.is_unavailable() => {
                tracing::error!(error = %e, "request failed: the database is unavailable");
                lang.t("error-unavailable")
            }
            WebError::Storage(e) => {
                tracing::error!(error = %e, "request failed");
                lang.t("error-internal")
            }
            WebError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                lang.t("error-internal")
            }
        }
    }
}

/// What a page handler answers.
pub type PageResult = Result<Html<String>, HtmlError>;

/// What an API handler answers.
pub type ApiResult<T = Response> = Result<T, WebError>;

/// Answered on its own, an error is the API's: `{"error": …}` in English. (An extractor
/// rejects with it; pages and downloads take their extractors as `Result` and answer in
/// their own kind.)
impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        JsonError {
            lang: Lang::En,
            error: self,
        }
        .into_response()
    }
}

/// An error answered as a page: the error page in the reader's language, with the
/// navigation and date the page was going to show.
#[derive(Debug)]
pub struct HtmlError(Box<(Chrome, WebError)>);

impl HtmlError {
    pub fn new(chrome: &Chrome, error: impl Into<WebError>) -> HtmlError {
        HtmlError(Box::new((chrome.clone(), error.into())))
    }
}

impl IntoResponse for HtmlError {
    fn into_response(self) -> Response {
        let (chrome, error) = *self.0;
        let status = error.status();
        let page = hutong_app::pages::error_page(
            &chrome,
            status.as_u16(),
            &error.public_message(chrome.lang),
        );
        (status, Html(page)).into_response()
    }
}

/// An error answered as JSON, `{"error": …}`, in the reader's language.
#[derive(Debug)]
pub struct JsonError {
    pub lang: Lang,
    pub error: WebError,
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let body = serde_json::json!({ "error": self.error.public_message(self.lang) });
        (status, Json(body)).into_response()
    }
}

/// An error answered as plain text in the reader's language, one line.
#[derive(Debug)]
pub struct FileError {
    pub lang: Lang,
    pub error: WebError,
}

impl IntoResponse for FileError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let text = format!("{}\n", self.error.public_message(self.lang));
        (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            text,
        )
            .into_response()
    }
}

/// Turns a result's error into the kind of answer a handler gives.
pub trait Answer<T> {
    /// As an error page with this furniture.
    fn or_page(self, chrome: &Chrome) -> Result<T, HtmlError>;
    /// As plain text in `lang`.
    fn or_file(self, lang: Lang) -> Result<T, FileError>;
    /// As `{"error": …}` in `lang`.
    fn or_json(self, lang: Lang) -> Result<T, JsonError>;
}

impl<T, E: Into<WebError>> Answer<T> for Result<T, E> {
    fn or_page(self, chrome: &Chrome) -> Result<T, HtmlError> {
        self.map_err(|e| HtmlError::new(chrome, e))
    }

    fn or_file(self, lang: Lang) -> Result<T, FileError> {
        self.map_err(|e| FileError {
            lang,
            error: e.into(),
        })
    }

    fn or_json(self, lang: Lang) -> Result<T, JsonError> {
        self.map_err(|e| JsonError {
            lang,
            error: e.into(),
        })
    }
}

/// Values echoed back in errors are cut short: they come from the outside.
pub fn truncate(v: &str) -> String {
    const MAX: usize = 64;
    if v.chars().count() > MAX {
        format!("{}…", v.chars().take(MAX).collect::<String>())
    } else {
        v.to_string()
    }
}
