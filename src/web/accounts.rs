//! "Who am I here?": signing in (`/sign-in`), out (`/sign-out`) and the signed-in
//! person's account page (`/account`). Accounts are created by admins (the command line,
//! the admin pages), never by their owners.

use super::app_state::AppState;
use super::error::{HtmlError, WebError};
use super::request::ReaderLang;
use super::session::{self, ClientAddress, CsrfForm, SignedIn, account_chrome};
use crate::accounts::{self, Actor, SignInRefused};
use crate::domain::Role;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use hutong_app::i18n::Lang;
use hutong_app::pages::{self, AccountView, SignInView};
use tower_sessions::Session;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", get(show_sign_in).post(sign_in))
        .route("/sign-out", axum::routing::post(sign_out))
        .route("/account", get(show_account))
}

fn page_error(lang: Lang, path: &str, e: impl Into<WebError>) -> Response {
    HtmlError::new(&account_chrome(lang, &lang.t("title-error"), path), e).into_response()
}

/// A page nobody should keep: not cached, anywhere.
fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn sign_in_form(lang: Lang, status: StatusCode, view: &SignInView) -> Response {
    let chrome = account_chrome(lang, &lang.t("title-sign-in"), "/sign-in");
    private((status, Html(pages::sign_in_page(&chrome, view))).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct SignInQuery {
    #[serde(default)]
    next: String,
}

pub async fn show_sign_in(
    ReaderLang(lang): ReaderLang,
    session: Session,
    axum::extract::Query(query): axum::extract::Query<SignInQuery>,
) -> Response {
    let csrf = match session::csrf_token(&session).await {
        Ok(t) => t,
        Err(e) => return page_error(lang, "/sign-in", e),
    };
    sign_in_form(
        lang,
        StatusCode::OK,
        &SignInView {
            csrf,
            next: session::local_next(&query.next)
                .unwrap_or_default()
                .to_string(),
            ..SignInView::default()
        },
    )
}

#[derive(serde::Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    /// Where to go once signed in (a path on this site).
    #[serde(default)]
    next: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    ClientAddress(address): ClientAddress,
    session: Session,
    CsrfForm(form): CsrfForm<SignInForm>,
) -> Response {
    let login: String = form.login.trim().chars().take(64).collect();
    let next = session::local_next(&form.next).map(str::to_string);
    let csrf = match session::csrf_token(&session).await {
        Ok(t) => t,
        Err(e) => return page_error(lang, "/sign-in", e),
    };
    let refused = |status: StatusCode, message: String| {
        sign_in_form(
            lang,
            status,
            &SignInView {
                csrf: csrf.clone(),
                login: login.clone(),
                next: next.clone().unwrap_or_default(),
                message: Some(message),
            },
        )
    };
    if let Err(wait) = state.accounts.attempt(&login, &address) {
        let seconds = wait.as_secs().max(1);
        tracing::warn!(%address, "sign-in attempts over the limit");
        let mut response = refused(
            StatusCode::TOO_MANY_REQUESTS,
            lang.t_args("sign-in-limited", &[("seconds", (seconds as i64).into())]),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        return response;
    }
    let checked = match accounts::check_sign_in(&state.store, &login, &form.password).await {
        Ok(c) => c,
        Err(e) => return page_error(lang, "/sign-in", e),
    };
    let account = match checked {
        Ok(account) => account,
        Err(why) => {
            // The login tried is kept only when it is an account's: anything else typed
            // there may be a password in the wrong box.
            let (name, detail) = match why {
                SignInRefused::UnknownLogin => ("(unknown login)".to_string(), "unknown login"),
                SignInRefused::WrongPassword => (login.clone(), "wrong password"),
                SignInRefused::Disabled => (login.clone(), "account disabled"),
            };
            let actor = Actor {
                id: None,
                name,
                address: Some(address.clone()),
            };
            if let Err(e) = state
                .store
                .record_audit(&actor.entry("sign-in-refused", None, Some(detail.into())))
                .await
            {
                return page_error(lang, "/sign-in", e);
            }
            return refused(StatusCode::UNAUTHORIZED, lang.t("sign-in-wrong"));
        }
    };
    if let Err(e) = session::sign_in(&session, &account).await {
        return page_error(lang, "/sign-in", e);
    }
    let actor = Actor::account(&account, Some(address));
    if let Err(e) = state
        .store
        .record_audit(&actor.entry("signed-in", None, None))
        .await
    {
        return page_error(lang, "/sign-in", e);
    }
    // Housekeeping: sessions past their expiry go now and then (at sign-in is enough).
    if let Err(e) = state.store.delete_expired_sessions().await {
        tracing::warn!(error = %e, "could not delete expired sessions");
    }
    match next {
        Some(next) => Redirect::to(&next).into_response(),
        None => Redirect::to(&format!("/account?lang={}", lang.code())).into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct Empty {}

pub async fn sign_out(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    signed_in: Result<SignedIn, Response>,
    session: Session,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    if let Ok(who) = &signed_in
        && let Err(e) = state
            .store
            .record_audit(&who.actor().entry("signed-out", None, None))
            .await
    {
        return page_error(lang, "/sign-out", e);
    }
    if let Err(e) = session::sign_out(&session).await {
        return page_error(lang, "/sign-out", e);
    }
    Redirect::to(&format!("/?lang={}", lang.code())).into_response()
}

/// The links a role's account page offers (each question module adds its own as it
/// lands).
fn links_for(role: Role, lang: Lang) -> Vec<(String, String)> {
    let mut links = Vec::new();
    if role.allows(Role::Contributor) {
        links.push((
            format!("/contribute?lang={}", lang.code()),
            lang.t("account-link-contribute"),
        ));
        links.push((
            format!("/contribute/mine?lang={}", lang.code()),
            lang.t("account-link-mine"),
        ));
        links.push((
            format!("/account/tokens?lang={}", lang.code()),
            lang.t("account-link-tokens"),
        ));
    }
    if role.allows(Role::Admin) {
        links.push((
            format!("/admin/accounts?lang={}", lang.code()),
            lang.t("account-link-admin"),
        ));
        links.push((
            format!("/admin/audit?lang={}", lang.code()),
            lang.t("account-link-audit"),
        ));
    }
    if role.allows(Role::Reviewer) {
        links.push((
            format!("/review?lang={}", lang.code()),
            lang.t("account-link-review"),
        ));
    }
    links
}

pub async fn show_account(ReaderLang(lang): ReaderLang, who: SignedIn) -> Response {
    let a = &who.account;
    let view = AccountView {
        csrf: who.csrf.clone(),
        login: a.login.clone(),
        public_name: a.public_name.clone(),
        organisation: a.organisation.clone(),
        role: lang.t(&format!("role-{}", a.role.as_str())),
        credit: a.credit(),
        links: links_for(a.role, lang),
    };
    let chrome = account_chrome(lang, &lang.t("title-account"), "/account");
    private(Html(pages::account_page(&chrome, &view)).into_response())
}
