//! The interface language of a page request: `?lang=` (which also sets the `lang` cookie),
//! then the `lang` cookie, then `Accept-Language`, then English.
//!
//! [`negotiate`] runs once per page request and keeps the answer for the rest of it (a
//! task-local), so every page's [`super::pages::chrome`], the links it builds and the
//! messages it puts into its view data are in that language without each handler having to
//! pass it along. The JSON API does not go through it and stays in English.

use super::pages::chrome;
use super::params::{Params, truncate};
use super::{AsOf, WebError};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use hutong_app::i18n::Lang;
use hutong_app::model::Section;

tokio::task_local! {
    static LANG: Lang;
}

/// The language of the page being answered; English outside a page request (the API).
pub fn current() -> Lang {
    page().unwrap_or_default()
}

/// The language of the page being answered, `None` outside a page request: the API writes
/// dates as ISO 8601, not in words.
pub fn page() -> Option<Lang> {
    LANG.try_with(|l| *l).ok()
}

/// A year: the cookie remembers the reader's choice, not a session.
const COOKIE_MAX_AGE: u32 = 31_536_000;

/// Chooses the language, answers a wrong `?lang=` with a 400 page, and marks every page
/// as depending on the headers it was chosen from.
pub async fn negotiate(req: Request, next: Next) -> Response {
    let params = Params::parse(req.uri().query());
    let fallback = from_headers(req.headers());
    let mut response = match params.get("lang") {
        Some(value) => match Lang::from_param(value) {
            Some(lang) => {
                let mut response = LANG.scope(lang, next.run(req)).await;
                let cookie = format!(
                    "lang={}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax",
                    lang.code()
                );
                if let Ok(v) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(header::SET_COOKIE, v);
                }
                response
            }
            None => {
                let path = req.uri().path().to_string();
                let as_of = params.as_of().unwrap_or_else(|_| AsOf::today());
                // The page's other parameters, for the language switch and the date form.
                let keep: Vec<(String, String)> =
                    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
                        .into_owned()
                        .filter(|(k, _)| k != "lang" && k != "at")
                        .collect();
                LANG.scope(
                    fallback,
                    async move { bad_lang(&path, &as_of, keep, value) },
                )
                .await
            }
        },
        None => LANG.scope(fallback, next.run(req)).await,
    };
    response.headers_mut().insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie"),
    );
    response
}

/// The cookie's language, else the best of `Accept-Language`, else English.
fn from_headers(headers: &HeaderMap) -> Lang {
    let from_cookie = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == "lang")
        .find_map(|(_, value)| Lang::from_param(value.trim_matches('"')));
    from_cookie
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// The 400 page for a `lang` the site does not have, in the language the reader would
/// otherwise get.
fn bad_lang(path: &str, as_of: &AsOf, keep: Vec<(String, String)>, value: &str) -> Response {
    let lang = current();
    let message = lang.t_args("error-param-lang", &[("value", truncate(value).into())]);
    let chrome = chrome(
        &lang.t("title-bad-request"),
        Section::Other,
        path,
        as_of,
        keep,
    );
    let e = WebError::BadRequest(message);
    (
        StatusCode::BAD_REQUEST,
        Html(hutong_app::pages::error_page(
            &chrome,
            e.status().as_u16(),
            &e.public_message(),
        )),
    )
        .into_response()
}
