//! "How does my program submit?": API tokens and the submissions API. A contributor (or
//! higher) creates and revokes their own tokens at `/account/tokens` (a token is shown
//! once; only its SHA-256 is stored). `POST /api/v1/submissions` with
//! `Authorization: Bearer TOKEN` takes the same multipart fields and 1-5 `screenshot`
//! files as the form, through the same checks ([`crate::contributions`]), and stores a
//! pending submission; `GET /api/v1/submissions/mine` lists the token owner's.
//!
//! A token is not a session: it reaches these two routes and nothing else (no other
//! route reads the `Authorization` header), and it never sets a cookie.

use super::app_state::AppState;
use super::error::{HtmlError, JsonError, WebError, truncate};
use super::hand_tests::{UPLOAD_LIMIT, field, hand_test, problem_message, read_upload};
use super::request::ReaderLang;
use super::session::{self, ClientAddress, Contributor, CsrfForm, SignedIn, account_chrome};
use crate::accounts::{self, AccountError, Actor};
use crate::contributions::{self, ContributionError, Problem};
use crate::domain::{Account, Role};
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hutong_app::i18n::Lang;
use hutong_app::pages::{self, ShownOnce, TokenRow, TokensView};
use serde::{Deserialize, Serialize};

/// Where the next page's notice, error or new token waits in the session.
const FLASH: &str = "tokens-flash";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/tokens", get(show_tokens).post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
}

/// Under `/api/v1`: no session, a token instead.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/submissions",
            post(post_submission).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/submissions/mine", get(get_my_submissions))
}

fn page_error(lang: Lang, path: &str, e: impl Into<WebError>) -> Response {
    HtmlError::new(&account_chrome(lang, &lang.t("title-error"), path), e).into_response()
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Flash {
    notice: Option<String>,
    error: Option<String>,
    once: Option<(String, String)>,
}

async fn back(who: &SignedIn, lang: Lang, flash: Flash) -> Response {
    if let Err(e) = session::set_flash(&who.session, FLASH, &flash).await {
        return page_error(lang, "/account/tokens", e);
    }
    Redirect::to(&format!("/account/tokens?lang={}", lang.code())).into_response()
}

pub async fn show_tokens(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Contributor(who): Contributor,
) -> Response {
    let path = "/account/tokens";
    let tokens = match state.store.tokens_of(who.account.id).await {
        Ok(t) => t,
        Err(e) => return page_error(lang, path, e),
    };
    let flash: Flash = session::take_flash(&who.session, FLASH)
        .await
        .unwrap_or_default();
    let view = TokensView {
        rows: tokens
            .iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name.clone(),
                created: lang.datetime(t.created_at),
                last_used: t.last_used_at.map(|at| lang.datetime(at)),
                revoked: t.revoked_at.map(|at| lang.datetime(at)),
            })
            .collect(),
        notice: flash.notice,
        once: flash
            .once
            .map(|(heading, secret)| ShownOnce { heading, secret }),
        error: flash.error,
    };
    let chrome = account_chrome(lang, &lang.t("tokens-heading"), path);
    let mut response = Html(pages::tokens_page(&chrome, &view, &who.csrf)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[derive(Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    name: String,
}

pub async fn create_token(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Contributor(who): Contributor,
    CsrfForm(form): CsrfForm<NewTokenForm>,
) -> Response {
    let flash = match accounts::create_token(&state.store, &who.account, &form.name, &who.actor())
        .await
    {
        Ok((token, secret)) => Flash {
            notice: Some(lang.t_args("tokens-created", &[("name", token.name.clone().into())])),
            once: Some((
                lang.t_args("tokens-once", &[("name", token.name.into())]),
                secret,
            )),
            ..Flash::default()
        },
        Err(AccountError::BadTokenName) => Flash {
            error: Some(lang.t("tokens-error-name")),
            ..Flash::default()
        },
        Err(e) => return page_error(lang, "/account/tokens", WebError::Internal(e.to_string())),
    };
    back(&who, lang, flash).await
}

#[derive(Deserialize)]
pub struct Empty {}

pub async fn revoke_token(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Contributor(who): Contributor,
    Path(id): Path<String>,
    CsrfForm(_): CsrfForm<Empty>,
) -> Response {
    let result = match id.parse::<i64>() {
        Ok(id) => accounts::revoke_token(&state.store, &who.account, id, &who.actor()).await,
        Err(_) => Err(AccountError::NoSuchToken(0)),
    };
    let flash = match result {
        Ok(()) => Flash {
            notice: Some(lang.t("tokens-revoked")),
            ..Flash::default()
        },
        Err(AccountError::NoSuchToken(_)) => Flash {
            error: Some(lang.t("tokens-error-none")),
            ..Flash::default()
        },
        Err(e) => return page_error(lang, "/account/tokens", WebError::Internal(e.to_string())),
    };
    back(&who, lang, flash).await
}

/// An API answer that is not a success: `{"error": …}` (in English), with what was wrong.
#[derive(Debug, Serialize)]
pub struct ApiProblems {
    pub error: String,
    /// Each thing wrong: the field (`observed_at`, `screenshot` …), the file when it is
    /// about one, and what was wrong.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ApiProblem>,
}

#[derive(Debug, Serialize)]
pub struct ApiProblem {
    pub field: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub message: String,
}

fn api_answer(status: StatusCode, error: String, problems: Vec<ApiProblem>) -> Response {
    let mut response = (status, Json(ApiProblems { error, problems })).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    response
}

/// The account a request's bearer token acts for, counted against the API's limit. Without
/// a valid token: 401; over the limit: 429.
pub struct TokenHolder(pub Account);

impl FromRequestParts<AppState> for TokenHolder {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let lang = Lang::En;
        let ClientAddress(address) = ClientAddress::from_request_parts(parts, state)
            .await
            .unwrap_or_else(|never| match never {});
        if let Err(wait) = state.accounts.api_request(&address) {
            let seconds = wait.as_secs().max(1);
            let mut response = api_answer(
                StatusCode::TOO_MANY_REQUESTS,
                lang.t_args(
                    "api-error-too-many",
                    &[("seconds", (seconds as i64).into())],
                ),
                Vec::new(),
            );
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            return Err(response);
        }
        let unauthorized = || {
            api_answer(
                StatusCode::UNAUTHORIZED,
                lang.t("api-error-token"),
                Vec::new(),
            )
        };
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(unauthorized)?;
        match accounts::token_account(&state.store, token).await {
            Ok(Some(account)) if account.role.allows(Role::Contributor) => Ok(TokenHolder(account)),
            Ok(_) => Err(unauthorized()),
            Err(e) => Err(JsonError {
                lang,
                error: e.into(),
            }
            .into_response()),
        }
    }
}

/// A submission as the API answers it.
#[derive(Debug, Serialize)]
pub struct ApiSubmission {
    pub id: i64,
    pub check: String,
    pub observed_at: chrono::DateTime<chrono::Utc>,
    pub status: String,
    /// `pending`, `approved`, `rejected` or `returned`.
    pub state: String,
    pub submitted_at: chrono::DateTime<chrono::Utc>,
    pub screenshots: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_note: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub observation_id: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct ApiSubmissions {
    pub submissions: Vec<ApiSubmission>,
}

fn problem_of(p: &Problem) -> ApiProblem {
    ApiProblem {
        field: p.field(),
        file: match p {
            Problem::Screenshot { file, .. } => Some(file.clone()),
            _ => None,
        },
        message: problem_message(p, Lang::En),
    }
}

pub async fn post_submission(
    State(state): State<AppState>,
    TokenHolder(account): TokenHolder,
    ClientAddress(address): ClientAddress,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let lang = Lang::En;
    let bad = |message: String| api_answer(StatusCode::BAD_REQUEST, message, Vec::new());
    let multipart = match multipart {
        Ok(m) => m,
        Err(e) => {
            return bad(lang.t_args(
                "error-upload-unreadable",
                &[("reason", truncate(&e.body_text()).into())],
            ));
        }
    };
    let upload = match read_upload(multipart, lang).await {
        Ok(u) => u,
        Err(e) => return bad(e.public_message(lang)),
    };
    let check = field(&upload, "check");
    if check.is_empty() {
        let problem = ApiProblem {
            field: "check",
            file: None,
            message: lang.t("api-error-check"),
        };
        return api_answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            lang.t("contribute-errors"),
            vec![problem],
        );
    }
    let reference = match state.reads().await {
        Ok(reads) => reads.reference().await,
        Err(e) => Err(e),
    };
    let r = match reference {
        Ok(r) => r,
        Err(e) => {
            return JsonError {
                lang,
                error: e.into(),
            }
            .into_response();
        }
    };
    let test = hand_test(&upload);
    let checked = contributions::check(
        &r,
        &check,
        account.id,
        test,
        upload
            .files
            .into_iter()
            .map(|(name, bytes)| contributions::UploadedFile { name, bytes })
            .collect(),
    )
    .await;
    let checked = match checked {
        Ok(c) => c,
        Err(ContributionError::Refused(problems)) => {
            return api_answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang.t("contribute-errors"),
                problems.iter().map(problem_of).collect(),
            );
        }
        Err(ContributionError::NoSuchCheck(id)) => {
            let problem = ApiProblem {
                field: "check",
                file: None,
                message: lang.t_args("error-no-check-id", &[("id", truncate(&id).into())]),
            };
            return api_answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                lang.t("contribute-errors"),
                vec![problem],
            );
        }
        Err(e) => {
            return JsonError {
                lang,
                error: super::hand_tests::contribution_error(e, lang),
            }
            .into_response();
        }
    };
    let actor = Actor::account(&account, Some(address)).via("api");
    match contributions::store(&state.store, &checked, &actor).await {
        Ok(id) => {
            let answer = ApiSubmission {
                id,
                check: checked.submission.check_id.clone(),
                observed_at: checked.submission.observed_at,
                status: checked.submission.status.clone(),
                state: "pending".into(),
                submitted_at: chrono::Utc::now(),
                screenshots: checked.screenshots.len(),
                review_note: None,
                observation_id: None,
            };
            let mut response = (StatusCode::CREATED, Json(answer)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => JsonError {
            lang,
            error: super::hand_tests::contribution_error(e, lang),
        }
        .into_response(),
    }
}

pub async fn get_my_submissions(
    State(state): State<AppState>,
    TokenHolder(account): TokenHolder,
) -> Response {
    let mine = match state.store.submissions_of(account.id).await {
        Ok(m) => m,
        Err(e) => {
            return JsonError {
                lang: Lang::En,
                error: e.into(),
            }
            .into_response();
        }
    };
    let answer = ApiSubmissions {
        submissions: mine
            .into_iter()
            .map(|s| ApiSubmission {
                id: s.id,
                check: s.check_id,
                observed_at: s.observed_at,
                status: s.status,
                state: s.state.as_str().to_string(),
                submitted_at: s.submitted_at,
                screenshots: s.screenshots.len(),
                review_note: s.review_note,
                observation_id: s.observation_id,
            })
            .collect(),
    };
    let mut response = Json(answer).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
