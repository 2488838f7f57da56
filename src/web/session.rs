//! Who is signed in, shared by the questions that need an account (accounts,
//! contributions, review, admin): the session layer over the database, the signed-in
//! account as an extractor, the CSRF token every state-changing form carries, the
//! client's address. (The sign-in limits are in [`super::limits`].)
//!
//! Public pages do not go through the session layer: reading needs no account and sets
//! no cookie.

use super::app_state::AppState;
use super::error::{HtmlError, WebError};
use super::request::{AsOf, ReaderLang, chrome};
use crate::domain::{Account, Role};
use crate::storage::StoredSessions;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use hutong_app::i18n::Lang;
use hutong_app::model::{Chrome, Section};
use serde::de::DeserializeOwned;
use std::net::SocketAddr;
use subtle::ConstantTimeEq;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "hutong_session";
/// Where a session keeps its CSRF token and its account.
const CSRF_KEY: &str = "csrf";
const ACCOUNT_KEY: &str = crate::storage::SESSION_ACCOUNT_KEY;
/// The name of the hidden field that carries the CSRF token in every form.
pub const CSRF_FIELD: &str = "csrf";
/// Forms are small; uploads have their own limit.
const FORM_LIMIT: usize = 64 * 1024;

/// The session layer: sessions in the database, a cookie that is `HttpOnly`,
/// `SameSite=Lax` and `Secure` when readers reach Hutong over HTTPS, ending after
/// `idle` without a request.
pub fn layer(state: &AppState) -> SessionManagerLayer<StoredSessions> {
    let idle = time::Duration::try_from(state.accounts.idle).unwrap_or(time::Duration::HOUR);
    SessionManagerLayer::new(StoredSessions::new(state.store.clone()))
        .with_name(SESSION_COOKIE)
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_secure(state.public_url.starts_with("https://"))
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(idle))
        // Every request renews the idle clock.
        .with_always_save(true)
}

/// The client's address as the connection gave it; "unknown" in-process (tests).
#[derive(Debug, Clone)]
pub struct ClientAddress(pub String);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string()),
        ))
    }
}

/// Furniture for pages of accounts: no date, no cite box.
pub fn account_chrome(lang: Lang, title: &str, path: &str) -> Chrome {
    chrome(
        lang,
        title,
        Section::Other,
        path,
        &AsOf::today(),
        Vec::new(),
    )
}

/// The session's CSRF token, made on first use.
pub async fn csrf_token(session: &Session) -> Result<String, WebError> {
    if let Some(token) = session
        .get::<String>(CSRF_KEY)
        .await
        .map_err(|e| WebError::Internal(format!("session: {e}")))?
    {
        return Ok(token);
    }
    renew_csrf_token(session).await
}

/// A new CSRF token for the session (at sign-in, with the new session id).
pub async fn renew_csrf_token(session: &Session) -> Result<String, WebError> {
    let token = crate::accounts::random_hex(32);
    session
        .insert(CSRF_KEY, &token)
        .await
        .map_err(|e| WebError::Internal(format!("session: {e}")))?;
    Ok(token)
}

/// Whether `given` is this session's CSRF token (compared in constant time).
pub async fn csrf_matches(session: &Session, given: &str) -> bool {
    match session.get::<String>(CSRF_KEY).await {
        Ok(Some(token)) => {
            !given.is_empty() && bool::from(token.as_bytes().ct_eq(given.as_bytes()))
        }
        _ => false,
    }
}

/// Marks the session as `account`'s: a new session id (a cookie from before signing in is
/// worth nothing after), a new CSRF token.
pub async fn sign_in(session: &Session, account: &Account) -> Result<String, WebError> {
    session
        .cycle_id()
        .await
        .map_err(|e| WebError::Internal(format!("session: {e}")))?;
    session
        .insert(ACCOUNT_KEY, account.id)
        .await
        .map_err(|e| WebError::Internal(format!("session: {e}")))?;
    renew_csrf_token(session).await
}

/// Ends the session: its record is deleted and the cookie removed.
pub async fn sign_out(session: &Session) -> Result<(), WebError> {
    session
        .flush()
        .await
        .map_err(|e| WebError::Internal(format!("session: {e}")))
}

/// The signed-in account, enabled and as stored now (a role changed or an account
/// disabled takes effect on the next request). Without one, pages redirect to sign-in.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account: Account,
    pub session: Session,
    pub csrf: String,
    pub address: String,
}

impl SignedIn {
    /// The account as the actor of a change, for the audit log.
    pub fn actor(&self) -> crate::accounts::Actor {
        crate::accounts::Actor::account(&self.account, Some(self.address.clone()))
    }

    /// Refuses (403, in the reader's words) unless the account's role includes `role`.
    pub fn require(&self, role: Role, lang: Lang) -> Result<(), WebError> {
        if self.account.role.allows(role) {
            Ok(())
        } else {
            Err(WebError::Forbidden(lang.t_args(
                "error-role-needed",
                &[("role", lang.t(&format!("role-{}", role.as_str())).into())],
            )))
        }
    }
}

/// Not signed in: to the sign-in page, which comes back to the page asked for
/// (`next`, a path on this site) once signed in.
pub struct NotSignedIn {
    /// The path and query asked for.
    pub next: String,
}

impl NotSignedIn {
    fn of(parts: &Parts) -> NotSignedIn {
        NotSignedIn {
            next: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_string(), |p| p.as_str().to_string()),
        }
    }
}

impl IntoResponse for NotSignedIn {
    fn into_response(self) -> Response {
        let next: String = url::form_urlencoded::byte_serialize(self.next.as_bytes()).collect();
        Redirect::to(&format!("/sign-in?next={next}")).into_response()
    }
}

/// `next` when it is a path on this site (never another site: `//host` or `/\host`
/// would leave it); else the account page.
pub fn local_next(next: &str) -> Option<&str> {
    (next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && next.len() <= 2048
        && !next.chars().any(|c| c.is_control()))
    .then_some(next)
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<SignedIn, Response> {
        let lang = ReaderLang::of(parts);
        let page_error = |e: WebError| {
            HtmlError::new(&account_chrome(lang, &lang.t("title-error"), "/"), e).into_response()
        };
        let session = Session::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let id = session
            .get::<i64>(ACCOUNT_KEY)
            .await
            .map_err(|e| page_error(WebError::Internal(format!("session: {e}"))))?;
        let Some(id) = id else {
            return Err(NotSignedIn::of(parts).into_response());
        };
        let account = state
            .store
            .account(id)
            .await
            .map_err(|e| page_error(e.into()))?;
        let account = match account {
            Some(a) if !a.is_disabled() => a,
            // Disabled (or gone) since signing in: the session ends now.
            _ => {
                let _ = session.flush().await;
                return Err(NotSignedIn::of(parts).into_response());
            }
        };
        let csrf = csrf_token(&session).await.map_err(page_error)?;
        let ClientAddress(address) = ClientAddress::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        Ok(SignedIn {
            account,
            session,
            csrf,
            address,
        })
    }
}

/// A signed-in account whose role includes what a handler needs: handlers say it in
/// their signature (`who: Reviewer`). Without an account the reader is sent to sign in
/// (and brought back); with too small a role they get 403 in their language, before the
/// handler runs.
macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub SignedIn);

        impl std::ops::Deref for $name {
            type Target = SignedIn;

            fn deref(&self) -> &SignedIn {
                &self.0
            }
        }

        impl FromRequestParts<AppState> for $name {
            type Rejection = Response;

            async fn from_request_parts(
                parts: &mut Parts,
                state: &AppState,
            ) -> Result<$name, Response> {
                let who = SignedIn::from_request_parts(parts, state).await?;
                let lang = ReaderLang::of(parts);
                match who.require($role, lang) {
                    Ok(()) => Ok($name(who)),
                    Err(e) => Err(HtmlError::new(
                        &account_chrome(lang, &lang.t("title-error"), parts.uri.path()),
                        e,
                    )
                    .into_response()),
                }
            }
        }
    };
}

role_extractor!(
    /// Signed in as a contributor or more.
    Contributor,
    Role::Contributor
);
role_extractor!(
    /// Signed in as a reviewer or an admin.
    Reviewer,
    Role::Reviewer
);
role_extractor!(
    /// Signed in as an admin.
    Admin,
    Role::Admin
);

/// A form that changes something: read only when it carries the session's CSRF token
/// (else 403, in the reader's language, and nothing is done).
pub struct CsrfForm<T>(pub T);

#[derive(serde::Deserialize, Default)]
struct TokenField {
    #[serde(default)]
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<CsrfForm<T>, Response> {
        let (mut parts, body) = req.into_parts();
        let lang = ReaderLang::of(&parts);
        let path = parts.uri.path().to_string();
        let page_error = |e: WebError| {
            HtmlError::new(&account_chrome(lang, &lang.t("title-error"), &path), e).into_response()
        };
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let bytes = axum::body::to_bytes(body, FORM_LIMIT)
            .await
            .map_err(|_| page_error(WebError::BadRequest(lang.t("error-form-too-large"))))?;
        let token: TokenField = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        if !csrf_matches(&session, &token.csrf).await {
            return Err(page_error(WebError::Forbidden(lang.t("error-csrf"))));
        }
        let value = serde_urlencoded::from_bytes(&bytes).map_err(|e| {
            page_error(WebError::BadRequest(lang.t_args(
                "error-form",
                &[("reason", super::error::truncate(&e.to_string()).into())],
            )))
        })?;
        Ok(CsrfForm(value))
    }
}
