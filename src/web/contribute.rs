//! "How do I add what I saw?": a contributor finds the check they tested
//! (`/contribute?q=`), fills in the hand-test form with 1-5 screenshots
//! (`/contribute/{check}`, a multipart post), and follows their submissions
//! (`/contribute/mine`). Screenshots of a submission are served to its contributor and to
//! reviewers only (`/submissions/{id}/screenshots/{n}`), until it is published.
//!
//! A submission is stored whole or not at all: every field and every file is checked
//! first; any problem sends the form back with what was wrong, naming the file.

use super::app_state::AppState;
use super::error::{HtmlError, WebError, truncate};
use super::hand_tests::{
    UPLOAD_LIMIT, contribution_error, form_values, hand_test, ladder, problem_message,
    read_signed_upload, screenshot_response,
};
use super::present::{check_title, name};
use super::request::ReaderLang;
use super::session::{Contributor, SignedIn, account_chrome};
use crate::contributions::{self, ContributionError, UploadedFile};
use crate::domain::{Check, Reference, Role, Submission};
use crate::storage::Reads;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::Utc;
use hutong_app::i18n::Lang;
use hutong_app::pages::{
    self, CheckChoice, ContributeSearchView, MySubmission, SubmissionValues, SubmitView,
};
use std::sync::Arc;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/contribute", get(show_search))
        .route("/contribute/mine", get(show_mine))
        .route(
            "/contribute/{check}",
            get(show_form)
                .post(submit)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/submissions/{id}/screenshots/{n}", get(get_screenshot))
        .route(
            "/submissions/{id}/screenshots/{n}/thumbnail",
            get(get_thumbnail),
        )
}

fn page_error(lang: Lang, path: &str, e: impl Into<WebError>) -> Response {
    HtmlError::new(&account_chrome(lang, &lang.t("title-error"), path), e).into_response()
}

fn private(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    response
}

/// Whether `q` names one side of the check, in either language or by its slug.
fn matches(r: &Reference, check: &Check, q: &str) -> bool {
    let Some(kind) = r.kind(&check.kind) else {
        return false;
    };
    let q = q.to_lowercase();
    [(kind.subject, &check.subject), (kind.object, &check.object)]
        .into_iter()
        .any(|(side, slug)| {
            let n = super::present::side_name(r, side, slug);
            [n.get(Lang::En), n.get(Lang::ZhCn), slug.as_str()]
                .iter()
                .any(|s| s.to_lowercase().contains(&q))
        })
}

#[derive(serde::Deserialize, Default)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn show_search(
    ReaderLang(lang): ReaderLang,
    _: Contributor,
    Query(query): Query<SearchQuery>,
    reads: Result<Reads, WebError>,
) -> Response {
    let path = "/contribute";
    let r = match reads {
        Ok(reads) => match reads.reference().await {
            Ok(r) => r,
            Err(e) => return page_error(lang, path, e),
        },
        Err(e) => return page_error(lang, path, e),
    };
    let q: String = query.q.trim().chars().take(100).collect();
    let results = r
        .checks
        .iter()
        .filter(|c| q.is_empty() || matches(&r, c, &q))
        .map(|c| CheckChoice {
            href: format!("/contribute/{}?lang={}", c.id, lang.code()),
            title: check_title(&r, c, lang),
            kind: r
                .kind(&c.kind)
                .map(|k| name(&k.name_zh, &k.name_en).get(lang).to_string())
                .unwrap_or_default(),
        })
        .collect();
    let chrome = account_chrome(lang, &lang.t("title-contribute"), path);
    let view = ContributeSearchView {
        searched: !q.is_empty(),
        q,
        results,
    };
    private(Html(pages::contribute_search_page(&chrome, &view)).into_response())
}

fn status_label(r: &Reference, check_id: &str, status: &str, lang: Lang) -> String {
    r.check(check_id)
        .and_then(|c| r.kind(&c.kind))
        .and_then(|k| k.statuses.iter().find(|s| s.id == status))
        .map_or_else(
            || status.to_string(),
            |s| name(&s.label_zh, &s.label_en).get(lang).to_string(),
        )
}

/// Now in Beijing time, as a `datetime-local` value.
fn now_in_beijing() -> String {
    Utc::now()
        .with_timezone(&crate::time::SHANGHAI)
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

async fn reference_and_check(
    reads: Result<Reads, WebError>,
    check: &str,
    lang: Lang,
) -> Result<(Arc<Reference>, Check), WebError> {
    let r = reads?.reference().await?;
    let c = r.check(check).cloned().ok_or_else(|| {
        WebError::NotFound(lang.t_args("error-no-check-id", &[("id", truncate(check).into())]))
    })?;
    Ok((r, c))
}

fn form_page(
    lang: Lang,
    status: StatusCode,
    r: &Reference,
    check: &Check,
    csrf: &str,
    values: SubmissionValues,
    errors: Vec<String>,
) -> Response {
    let title = check_title(r, check, lang);
    let chrome = account_chrome(
        lang,
        &lang.t("title-contribute"),
        &format!("/contribute/{}", check.id),
    );
    let view = SubmitView {
        csrf: csrf.to_string(),
        action: format!("/contribute/{}?lang={}", check.id, lang.code()),
        check_title: title,
        statuses: ladder(r, check, lang),
        values,
        errors,
        answer: None,
    };
    private((status, Html(pages::submit_page(&chrome, &view))).into_response())
}

pub async fn show_form(
    ReaderLang(lang): ReaderLang,
    Contributor(who): Contributor,
    Path(check): Path<String>,
    reads: Result<Reads, WebError>,
) -> Response {
    let path = format!("/contribute/{}", truncate(&check));
    let (r, c) = match reference_and_check(reads, &check, lang).await {
        Ok(found) => found,
        Err(e) => return page_error(lang, &path, e),
    };
    let values = SubmissionValues {
        observed_at: now_in_beijing(),
        ..SubmissionValues::default()
    };
    form_page(lang, StatusCode::OK, &r, &c, &who.csrf, values, Vec::new())
}

pub async fn submit(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Contributor(who): Contributor,
    Path(check): Path<String>,
    reads: Result<Reads, WebError>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let path = format!("/contribute/{}", truncate(&check));
    let upload = match read_signed_upload(multipart, &who.session, lang).await {
        Ok(u) => u,
        Err(e) => return page_error(lang, &path, e),
    };
    let (r, c) = match reference_and_check(reads, &check, lang).await {
        Ok(found) => found,
        Err(e) => return page_error(lang, &path, e),
    };
    let test = hand_test(&upload);
    let files = upload
        .files
        .into_iter()
        .map(|(name, bytes)| UploadedFile { name, bytes })
        .collect();
    let checked = match contributions::check(&r, &c.id, who.account.id, test.clone(), files).await {
        Ok(checked) => checked,
        Err(ContributionError::Refused(problems)) => {
            let errors = problems.iter().map(|p| problem_message(p, lang)).collect();
            return form_page(
                lang,
                StatusCode::BAD_REQUEST,
                &r,
                &c,
                &who.csrf,
                form_values(test),
                errors,
            );
        }
        Err(e) => return page_error(lang, &path, contribution_error(e, lang)),
    };
    match contributions::store(&state.store, &checked, &who.actor()).await {
        Ok(id) => Redirect::to(&format!(
            "/contribute/mine?submitted={id}&lang={}",
            lang.code()
        ))
        .into_response(),
        Err(e) => page_error(lang, &path, contribution_error(e, lang)),
    }
}

#[derive(serde::Deserialize, Default)]
pub struct MineQuery {
    submitted: Option<i64>,
    answered: Option<i64>,
}

pub async fn show_mine(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    Contributor(who): Contributor,
    Query(query): Query<MineQuery>,
    reads: Result<Reads, WebError>,
) -> Response {
    let path = "/contribute/mine";
    let r = match reads {
        Ok(reads) => match reads.reference().await {
            Ok(r) => r,
            Err(e) => return page_error(lang, path, e),
        },
        Err(e) => return page_error(lang, path, e),
    };
    let mine = match state.store.submissions_of(who.account.id).await {
        Ok(m) => m,
        Err(e) => return page_error(lang, path, e),
    };
    let items: Vec<MySubmission> = mine.iter().map(|s| my_item(&r, s, lang)).collect();
    let notice = query
        .submitted
        .filter(|id| mine.iter().any(|s| s.id == *id))
        .map(|id| lang.t_args("contribute-submitted", &[("id", id.into())]))
        .or_else(|| {
            query
                .answered
                .filter(|id| mine.iter().any(|s| s.id == *id))
                .map(|id| lang.t_args("contribute-answered", &[("id", id.into())]))
        });
    let chrome = account_chrome(lang, &lang.t("title-my-submissions"), path);
    private(Html(pages::my_submissions_page(&chrome, &items, notice)).into_response())
}

fn my_item(r: &Reference, s: &Submission, lang: Lang) -> MySubmission {
    MySubmission {
        id: s.id,
        check_title: r
            .check(&s.check_id)
            .map_or_else(|| s.check_id.clone(), |c| check_title(r, c, lang)),
        observed: lang.datetime(s.observed_at),
        status: status_label(r, &s.check_id, &s.status, lang),
        state: s.state.as_str().to_string(),
        state_label: lang.t(&format!("state-{}", s.state.as_str())),
        note: s.review_note.clone(),
        submitted: lang.datetime(s.submitted_at),
        thumbnails: s
            .screenshots
            .iter()
            .map(|shot| {
                (
                    format!(
                        "/submissions/{}/screenshots/{}/thumbnail",
                        s.id, shot.position
                    ),
                    lang.t_args(
                        "contribute-screenshot-alt",
                        &[("n", shot.position.into()), ("id", s.id.into())],
                    ),
                )
            })
            .collect(),
        observation_href: s
            .observation_id
            .map(|o| format!("/observations/{o}?lang={}", lang.code())),
        answer_href: (s.state == crate::domain::SubmissionState::Returned)
            .then(|| format!("/contribute/mine/{}/answer?lang={}", s.id, lang.code())),
    }
}

async fn screenshot_file(
    state: &AppState,
    who: &SignedIn,
    id: i64,
    n: i64,
    thumbnail: bool,
    lang: Lang,
) -> Result<Response, WebError> {
    let not_found = || WebError::NotFound(lang.t_args("error-no-submission", &[("id", id.into())]));
    let s = state.store.submission(id).await?.ok_or_else(not_found)?;
    // Unpublished evidence: its contributor and reviewers only.
    if s.account_id != who.account.id && !who.account.role.allows(Role::Reviewer) {
        return Err(not_found());
    }
    let shot = s
        .screenshots
        .iter()
        .find(|x| x.position == n)
        .ok_or_else(not_found)?;
    let sha = if thumbnail {
        &shot.thumbnail_sha256
    } else {
        &shot.image_sha256
    };
    let body = state
        .store
        .snapshot_body(sha)
        .await?
        .ok_or_else(not_found)?
        .body;
    Ok(screenshot_response(body))
}

async fn serve_screenshot(
    state: AppState,
    lang: Lang,
    who: SignedIn,
    id: String,
    n: String,
    thumbnail: bool,
) -> Response {
    let not_found =
        || WebError::NotFound(lang.t_args("error-no-submission", &[("id", truncate(&id).into())]));
    let (Ok(id_n), Ok(n_n)) = (id.parse::<i64>(), n.parse::<i64>()) else {
        return super::error::FileError {
            lang,
            error: not_found(),
        }
        .into_response();
    };
    match screenshot_file(&state, &who, id_n, n_n, thumbnail, lang).await {
        Ok(r) => r,
        Err(error) => super::error::FileError { lang, error }.into_response(),
    }
}

pub async fn get_screenshot(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    who: SignedIn,
    Path((id, n)): Path<(String, String)>,
) -> Response {
    serve_screenshot(state, lang, who, id, n, false).await
}

pub async fn get_thumbnail(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    who: SignedIn,
    Path((id, n)): Path<(String, String)>,
) -> Response {
    serve_screenshot(state, lang, who, id, n, true).await
}
