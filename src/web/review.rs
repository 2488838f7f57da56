//! "Is this hand test sound?": reviewers and admins read the queue of pending submissions
//! (`/review`, oldest first), judge one beside the check's current state and recent
//! history (`/review/{id}`), and approve it, reject it with a reason or send it back with
//! a question (each a CSRF-protected POST answered by a redirect). Approval publishes the
//! hand test as an observation of source kind `manual`; its screenshots are then public
//! (`/observations/{id}/screenshots/{n}`), served as the raw snapshots are.
//!
//! Nobody decides on their own submission, and of two reviewers deciding at once exactly
//! one wins: both are enforced in storage ([`crate::storage::Store::review_submission`]), the page only
//! says so.

use super::app_state::AppState;
use super::error::{HtmlError, WebError, truncate};
use super::hand_tests::{screenshot_links, thread_items, vantage_fields};
use super::present;
use super::request::{AsOf, ReaderLang};
use super::session::{Contributor, CsrfForm, Reviewer, account_chrome};
use crate::domain::{Decision, Reference, ReviewRefused, Submission, SubmissionState, ThreadKind};
use crate::storage::{Reads, StateFilter};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use hutong_app::i18n::Lang;
use hutong_app::pages::review::{self as pages, QueueItem, RecentRow, ReviewView};

/// Longest reason or question (characters).
pub const MAX_NOTE: usize = 2_000;
/// How many of the check's latest observations the review page shows.
const RECENT: i64 = 10;

/// Pages that need a session (merged under the session layer).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/review", get(show_queue))
        .route("/review/retract", get(find_retraction))
        .route("/review/{id}", get(show_submission))
        // `approve`, `reject` or `send-back`.
        .route("/review/{id}/{decision}", post(post_decision))
        .route(
            "/contribute/mine/{id}/answer",
            get(show_answer)
                .post(answer)
                .layer(axum::extract::DefaultBodyLimit::max(
                    super::hand_tests::UPLOAD_LIMIT,
                )),
        )
}

/// Public files: a published hand test's screenshots (no session, no cookie).
pub fn public_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/observations/{id}/screenshots/{n}",
            get(get_published_screenshot),
        )
        .route(
            "/observations/{id}/screenshots/{n}/thumbnail",
            get(get_published_thumbnail),
        )
}

fn page_error(lang: Lang, path: &str, e: impl Into<WebError>) -> Response {
    HtmlError::new(&account_chrome(lang, &lang.t("title-error"), path), e).into_response()
}

fn private(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn no_submission(id: &str, lang: Lang) -> WebError {
    WebError::NotFound(lang.t_args("error-no-submission", &[("id", truncate(id).into())]))
}

fn check_title(r: &Reference, check_id: &str, lang: Lang) -> String {
    r.check(check_id).map_or_else(
        || check_id.to_string(),
        |c| present::check_title(r, c, lang),
    )
}

fn status_view(
    r: &Reference,
    check_id: &str,
    status: &str,
    lang: Lang,
) -> hutong_app::model::StatusView {
    let kind = r.check(check_id).and_then(|c| r.kind(&c.kind));
    present::status_view(kind, status, lang)
}

#[derive(serde::Deserialize, Default)]
pub struct QueueQuery {
    done: Option<i64>,
    decision: Option<String>,
}

pub async fn show_queue(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    who: Reviewer,
    Query(query): Query<QueueQuery>,
    reads: Result<Reads, WebError>,
) -> Response {
    let notice = match (query.done, query.decision.as_deref()) {
        (Some(id), Some(d @ ("approved" | "rejected" | "returned"))) => {
            Some(lang.t_args(&format!("review-done-{d}"), &[("id", id.into())]))
        }
        _ => None,
    };
    queue(&state, lang, &who, reads, notice, None).await
}

/// The queue page; `typed` is what the retraction box held when it named no observation
/// (shown again in the box, with what was wrong).
async fn queue(
    state: &AppState,
    lang: Lang,
    who: &Reviewer,
    reads: Result<Reads, WebError>,
    notice: Option<String>,
    typed: Option<pages::Typed>,
) -> Response {
    let path = "/review";
    let loaded = async {
        let r = reads?.reference().await?;
        let pending = state.store.pending_submissions().await?;
        let names = state.store.public_names().await?;
        Ok::<_, WebError>((r, pending, names))
    }
    .await;
    let (r, pending, names) = match loaded {
        Ok(x) => x,
        Err(e) => return page_error(lang, path, e),
    };
    let now = Utc::now();
    let mut items = Vec::with_capacity(pending.len());
    for s in &pending {
        let answered = match state.store.submission_thread(s.id).await {
            Ok(t) => t.iter().any(|e| e.kind == ThreadKind::Answer),
            Err(e) => return page_error(lang, path, e),
        };
        items.push(QueueItem {
            id: s.id,
            href: format!("/review/{}?lang={}", s.id, lang.code()),
            check_title: check_title(&r, &s.check_id, lang),
            status: status_view(&r, &s.check_id, &s.status, lang),
            contributor: names.get(&s.account_id).cloned().unwrap_or_default(),
            submitted: lang.datetime(s.submitted_at),
            age: lang.t_args(
                "review-age",
                &[("age", lang.duration(now - s.submitted_at).into())],
            ),
            answered,
            own: s.account_id == who.account.id,
        });
    }
    let chrome = account_chrome(lang, &lang.t("title-review"), path);
    let status = if typed.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = pages::review_queue_page(&chrome, &items, notice, typed.as_ref());
    private((status, Html(page)).into_response())
}

#[derive(serde::Deserialize, Default)]
pub struct FindQuery {
    #[serde(default)]
    observation: String,
}

/// The queue's "retract an observation" box: a number or an observation's address, sent on
/// to that observation's retraction form. Anything else is sent back, saying what was
/// typed.
pub async fn find_retraction(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    who: Reviewer,
    Query(query): Query<FindQuery>,
    reads: Result<Reads, WebError>,
) -> Response {
    match observation_named(&query.observation) {
        Some(id) => private(
            Redirect::to(&format!("/observations/{id}/retract?lang={}", lang.code()))
                .into_response(),
        ),
        None => {
            let typed = truncate(query.observation.trim());
            let error = lang.t_args(
                "review-retract-not-an-observation",
                &[("typed", typed.clone().into())],
            );
            let typed = pages::Typed {
                value: typed,
                error,
            };
            queue(&state, lang, &who, reads, None, Some(typed)).await
        }
    }
}

/// The observation a reviewer named: its number (`1234`, `#1234`) or any address of it
/// (`https://host/observations/1234?lang=zh-CN`, `/observations/1234/screenshots/1`).
fn observation_named(typed: &str) -> Option<i64> {
    let typed = typed.trim();
    let digits = match typed.find("/observations/") {
        Some(at) => &typed[at + "/observations/".len()..],
        None => typed.strip_prefix('#').unwrap_or(typed),
    };
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let (number, rest) = digits.split_at(end);
    // After the number: nothing, or the rest of an address.
    let address_goes_on = rest.is_empty() || rest.starts_with(['/', '?', '#']);
    if !address_goes_on || (!rest.is_empty() && !typed.contains("/observations/")) {
        return None;
    }
    number.parse::<i64>().ok().filter(|id| *id > 0)
}

/// What the form held when a decision could not be made.
#[derive(Default)]
struct Typed {
    errors: Vec<String>,
    reason: String,
    question: String,
}

async fn review_view(
    state: &AppState,
    who: &Reviewer,
    id: i64,
    as_of: &AsOf,
    reads: &Reads,
    lang: Lang,
    typed: Typed,
) -> Result<ReviewView, WebError> {
    let s = state
        .store
        .submission(id)
        .await?
        .ok_or_else(|| no_submission(&id.to_string(), lang))?;
    let r = reads.reference().await?;
    let names = state.store.public_names().await?;
    let thread = state.store.submission_thread(id).await?;
    let c = r
        .check(&s.check_id)
        .ok_or_else(|| no_submission(&id.to_string(), lang))?;
    let query = present::date_query(as_of, lang);
    let filter = StateFilter {
        check: Some(c.id.clone()),
        include_simulated: true,
        ..StateFilter::default()
    };
    let rows = reads.state_as_of(as_of.instant, &filter).await?;
    let states = crate::state::states([c], (*rows).clone());
    let st = states.get(&c.id);
    let kind = r.kind(&c.kind);
    let opinions = st
        .map(|x| crate::state::opinions(x, as_of.stale_after_days))
        .unwrap_or_default();
    let (recent, _) = state.store.check_history(&c.id, RECENT, 0).await?;
    let decided = match (s.state, s.reviewer_id, s.reviewed_at) {
        (SubmissionState::Pending, _, _) => None,
        (state, Some(by), Some(at)) => Some(lang.t_args(
            &format!("review-decided-{}", state.as_str()),
            &[
                ("name", names.get(&by).cloned().unwrap_or_default().into()),
                ("when", lang.datetime(at).into()),
            ],
        )),
        _ => None,
    };
    Ok(ReviewView {
        id: s.id,
        csrf: who.csrf.clone(),
        action: format!("/review/{}", s.id),
        check_title: present::check_title(&r, c, lang),
        check_href: format!("/checks/{}{query}", c.id),
        contributor: names.get(&s.account_id).cloned().unwrap_or_default(),
        state: s.state.as_str().to_string(),
        state_label: lang.t(&format!("state-{}", s.state.as_str())),
        decided,
        observation_href: s
            .observation_id
            .map(|o| format!("/observations/{o}?lang={}", lang.code())),
        own: s.account_id == who.account.id,
        observed: lang.datetime(s.observed_at),
        status: present::status_view(kind, &s.status, lang),
        fields: vantage_fields(&s, lang),
        steps: s.steps.clone(),
        seen: s.seen.clone(),
        screenshots: screenshot_links(&s, &format!("/submissions/{}", s.id), lang),
        thread: thread_items(&thread, lang),
        cell: present::cell(&r, c, st, as_of, &query, lang),
        current: opinions
            .current
            .iter()
            .map(|o| present::opinion(&r, kind, o, lang))
            .collect(),
        recent: recent
            .iter()
            .map(|o| RecentRow {
                when: present::when(o.observed_at, &o.precision),
                status: present::status_view(kind, &o.status, lang),
                citation: present::citation(&r, o, lang),
                href: (o.pack_id.is_some() || o.source_kind == "manual")
                    .then(|| format!("/observations/{}{query}", o.id)),
            })
            .collect(),
        errors: typed.errors,
        reason: typed.reason,
        question: typed.question,
    })
}

#[allow(clippy::too_many_arguments)]
async fn review_page(
    state: &AppState,
    who: &Reviewer,
    raw_id: &str,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
    lang: Lang,
    status: StatusCode,
    typed: Typed,
) -> Response {
    let path = format!("/review/{}", truncate(raw_id));
    let view = async {
        let id: i64 = raw_id.parse().map_err(|_| no_submission(raw_id, lang))?;
        let as_of = at?;
        let reads = reads?;
        review_view(state, who, id, &as_of, &reads, lang, typed).await
    }
    .await;
    match view {
        Ok(v) => {
            let chrome = account_chrome(
                lang,
                &lang.t_args(
                    "review-title",
                    &[("id", v.id.into()), ("check", v.check_title.clone().into())],
                ),
                &path,
            );
            private((status, Html(pages::review_page(&chrome, &v))).into_response())
        }
        Err(e) => page_error(lang, &path, e),
    }
}

pub async fn show_submission(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    who: Reviewer,
    Path(raw_id): Path<String>,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> Response {
    review_page(
        &state,
        &who,
        &raw_id,
        at,
        reads,
        lang,
        StatusCode::OK,
        Typed::default(),
    )
    .await
}

#[derive(serde::Deserialize, Default)]
pub struct DecisionForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    question: String,
}

/// The note a reason or question field holds, checked: what was wrong, if anything.
fn note_problem(note: &str, label: &str, lang: Lang) -> Option<String> {
    let label = lang.t(label);
    if note.is_empty() {
        Some(lang.t_args("error-field-required", &[("field", label.into())]))
    } else if note.chars().count() > MAX_NOTE {
        Some(lang.t_args(
            "error-field-too-long",
            &[("field", label.into()), ("max", (MAX_NOTE as i64).into())],
        ))
    } else {
        None
    }
}

#[allow(clippy::too_many_arguments)]
async fn decide(
    state: AppState,
    lang: Lang,
    who: Reviewer,
    raw_id: String,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
    decision: Decision,
    form: DecisionForm,
) -> Response {
    let path = format!("/review/{}", truncate(&raw_id));
    let Ok(id) = raw_id.parse::<i64>() else {
        return page_error(lang, &path, no_submission(&raw_id, lang));
    };
    let problem = match &decision {
        Decision::Approve => None,
        Decision::Reject { reason } => note_problem(reason, "review-reason", lang),
        Decision::SendBack { question } => note_problem(question, "review-question", lang),
    };
    if let Some(problem) = problem {
        let typed = Typed {
            errors: vec![problem],
            reason: form.reason,
            question: form.question,
        };
        return review_page(
            &state,
            &who,
            &raw_id,
            at,
            reads,
            lang,
            StatusCode::BAD_REQUEST,
            typed,
        )
        .await;
    }
    let audit = who.actor().entry(decision.action(), None, None);
    let outcome = state
        .store
        .review_submission(id, &who.account, &decision, &audit)
        .await;
    let refused = match outcome {
        Err(e) => return page_error(lang, &path, e),
        Ok(Ok(_)) => {
            let done = match decision {
                Decision::Approve => "approved",
                Decision::Reject { .. } => "rejected",
                Decision::SendBack { .. } => "returned",
            };
            return Redirect::to(&format!(
                "/review?done={id}&decision={done}&lang={}",
                lang.code()
            ))
            .into_response();
        }
        Ok(Err(refused)) => refused,
    };
    let message = match refused {
        ReviewRefused::NotFound | ReviewRefused::NotAwaitingAnswer => {
            return page_error(lang, &path, no_submission(&raw_id, lang));
        }
        ReviewRefused::OwnSubmission => {
            return page_error(
                lang,
                &path,
                WebError::Forbidden(lang.t("review-own-refused")),
            );
        }
        ReviewRefused::AlreadyReviewed { by, state } => lang.t_args(
            "review-already",
            &[
                ("name", by.unwrap_or_default().into()),
                ("state", lang.t(&format!("state-{}", state.as_str())).into()),
            ],
        ),
    };
    review_page(
        &state,
        &who,
        &raw_id,
        at,
        reads,
        lang,
        StatusCode::CONFLICT,
        Typed {
            errors: vec![message],
            ..Typed::default()
        },
    )
    .await
}

/// A decision posted from the review page's forms: `approve`, `reject` (with a reason) or
/// `send-back` (with a question); any other word is not a page.
pub async fn post_decision(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    who: Reviewer,
    Path((raw_id, decision)): Path<(String, String)>,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> Response {
    let note = |text: &str| text.replace("\r\n", "\n").trim().to_string();
    let decision = match decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject {
            reason: note(&form.reason),
        },
        "send-back" => Decision::SendBack {
            question: note(&form.question),
        },
        _ => {
            let path = format!("/review/{}/{}", truncate(&raw_id), truncate(&decision));
            let message = lang.t_args("error-no-page", &[("path", path.clone().into())]);
            return page_error(lang, &path, WebError::NotFound(message));
        }
    };
    decide(state, lang, who, raw_id, at, reads, decision, form).await
}

// ---- Published screenshots ----------------------------------------------------------

async fn published_screenshot(
    state: &AppState,
    raw_id: &str,
    raw_n: &str,
    thumbnail: bool,
    lang: Lang,
    headers: &HeaderMap,
) -> Result<Response, WebError> {
    let not_found = || {
        WebError::NotFound(lang.t_args(
            "error-no-screenshot",
            &[
                ("id", truncate(raw_id).into()),
                ("n", truncate(raw_n).into()),
            ],
        ))
    };
    let (Ok(id), Ok(n)) = (raw_id.parse::<i64>(), raw_n.parse::<i64>()) else {
        return Err(not_found());
    };
    // Only an approved submission's files: nothing unpublished is served here.
    let s = state
        .store
        .submission_of_observation(id)
        .await?
        .ok_or_else(not_found)?;
    let shot = s
        .screenshots
        .iter()
        .find(|x| x.position == n)
        .ok_or_else(not_found)?;
    // A retracted hand test keeps its words as the record, but its images are withdrawn:
    // a screenshot can hold what its words do not (a name, a number). Reviewers still see
    // them on the submission's page.
    if let Some(o) = state.store.observation(id).await?
        && o.retracted_at.is_some()
    {
        return Err(WebError::Gone(lang.t_args(
            "error-screenshot-withdrawn",
            &[("id", id.into()), ("n", n.into())],
        )));
    }
    let sha = if thumbnail {
        &shot.thumbnail_sha256
    } else {
        &shot.image_sha256
    };
    // The bytes never change, but a retraction withdraws them: caches may keep them only
    // if they ask again (a 304 while the file is still published).
    let etag = format!("\"{sha}\"");
    let fresh = super::request::holds_etag(headers, &etag);
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let body = state
            .store
            .snapshot_body(sha)
            .await?
            .ok_or_else(not_found)?
            .body;
        super::hand_tests::screenshot_response(body)
    };
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    Ok(response)
}

pub async fn get_published_screenshot(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    headers: HeaderMap,
    Path((id, n)): Path<(String, String)>,
) -> Response {
    match published_screenshot(&state, &id, &n, false, lang, &headers).await {
        Ok(r) => r,
        Err(error) => super::error::FileError { lang, error }.into_response(),
    }
}

pub async fn get_published_thumbnail(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    headers: HeaderMap,
    Path((id, n)): Path<(String, String)>,
) -> Response {
    match published_screenshot(&state, &id, &n, true, lang, &headers).await {
        Ok(r) => r,
        Err(error) => super::error::FileError { lang, error }.into_response(),
    }
}

// ---- The contributor's answer to a send-back ------------------------------------------

/// The contributor's own sent-back submission (else 404: nobody else's is shown).
async fn own_returned(
    state: &AppState,
    who: &Contributor,
    raw_id: &str,
    lang: Lang,
) -> Result<Submission, WebError> {
    let id: i64 = raw_id.parse().map_err(|_| no_submission(raw_id, lang))?;
    state
        .store
        .submission(id)
        .await?
        .filter(|s| s.account_id == who.account.id && s.state == SubmissionState::Returned)
        .ok_or_else(|| no_submission(raw_id, lang))
}

/// The answer form: the thread, the answer, the submission's fields as they are (or as
/// typed), its screenshots kept.
#[allow(clippy::too_many_arguments)]
async fn answer_page(
    state: &AppState,
    who: &Contributor,
    s: &Submission,
    r: &Reference,
    lang: Lang,
    status: StatusCode,
    values: hutong_app::pages::SubmissionValues,
    answer: String,
    errors: Vec<String>,
) -> Response {
    let path = format!("/contribute/mine/{}/answer", s.id);
    let thread = match state.store.submission_thread(s.id).await {
        Ok(t) => t,
        Err(e) => return page_error(lang, &path, e),
    };
    let Some(c) = r.check(&s.check_id) else {
        return page_error(lang, &path, no_submission(&s.id.to_string(), lang));
    };
    let view = hutong_app::pages::SubmitView {
        csrf: who.csrf.clone(),
        action: format!("{path}?lang={}", lang.code()),
        check_title: present::check_title(r, c, lang),
        statuses: super::hand_tests::ladder(r, c, lang),
        values,
        errors,
        answer: Some(hutong_app::pages::AnswerPart {
            thread: thread_items(&thread, lang),
            answer,
            kept: screenshot_links(s, &format!("/submissions/{}", s.id), lang),
        }),
    };
    let chrome = account_chrome(lang, &lang.t("title-my-submissions"), &path);
    private((status, Html(hutong_app::pages::submit_page(&chrome, &view))).into_response())
}

/// A stored submission's fields as the form shows them (Beijing time).
fn stored_values(s: &Submission) -> hutong_app::pages::SubmissionValues {
    let v = &s.vantage;
    hutong_app::pages::SubmissionValues {
        observed_at: s
            .observed_at
            .with_timezone(&crate::time::SHANGHAI)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        status: s.status.clone(),
        device: v.device.clone(),
        os: v.os.clone(),
        app: v.app.clone(),
        app_version: v.app_version.clone(),
        network: v.network.clone(),
        network_region: v.network_region.clone(),
        account_region: v.account_region.clone(),
        steps: s.steps.clone(),
        seen: s.seen.clone(),
    }
}

pub async fn show_answer(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    who: Contributor,
    Path(raw_id): Path<String>,
    reads: Result<Reads, WebError>,
) -> Response {
    let path = format!("/contribute/mine/{}/answer", truncate(&raw_id));
    let found = async {
        let s = own_returned(&state, &who, &raw_id, lang).await?;
        let r = reads?.reference().await?;
        Ok::<_, WebError>((s, r))
    }
    .await;
    match found {
        Ok((s, r)) => {
            let values = stored_values(&s);
            answer_page(
                &state,
                &who,
                &s,
                &r,
                lang,
                StatusCode::OK,
                values,
                String::new(),
                Vec::new(),
            )
            .await
        }
        Err(e) => page_error(lang, &path, e),
    }
}

pub async fn answer(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    who: Contributor,
    Path(raw_id): Path<String>,
    reads: Result<Reads, WebError>,
    multipart: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    use super::hand_tests::{field, form_values, hand_test, problem_message, read_signed_upload};
    use crate::contributions::{self, ContributionError, UploadedFile};
    let path = format!("/contribute/mine/{}/answer", truncate(&raw_id));
    let upload = match read_signed_upload(multipart, &who.session, lang).await {
        Ok(u) => u,
        Err(e) => return page_error(lang, &path, e),
    };
    let found = async {
        let s = own_returned(&state, &who, &raw_id, lang).await?;
        let r = reads?.reference().await?;
        Ok::<_, WebError>((s, r))
    }
    .await;
    let (s, r) = match found {
        Ok(x) => x,
        Err(e) => return page_error(lang, &path, e),
    };
    let answer_text = field(&upload, "answer");
    let test = hand_test(&upload);
    let files: Vec<UploadedFile> = upload
        .files
        .into_iter()
        .map(|(name, bytes)| UploadedFile { name, bytes })
        .collect();
    let mut errors = Vec::new();
    if let Some(problem) = note_problem(&answer_text, "contribute-answer", lang) {
        errors.push(problem);
    }
    let checked =
        contributions::check_correction(&r, &s.check_id, who.account.id, test.clone(), files).await;
    let checked = match checked {
        Ok(c) => Some(c),
        Err(ContributionError::Refused(problems)) => {
            errors.extend(problems.iter().map(|p| problem_message(p, lang)));
            None
        }
        Err(e) => {
            return page_error(lang, &path, super::hand_tests::contribution_error(e, lang));
        }
    };
    // Every problem at once: the answer's and the corrected fields'.
    let Some(checked) = checked.filter(|_| errors.is_empty()) else {
        return answer_page(
            &state,
            &who,
            &s,
            &r,
            lang,
            StatusCode::BAD_REQUEST,
            form_values(test),
            answer_text,
            errors,
        )
        .await;
    };
    let (corrected, screenshots) = checked;
    let audit = who.actor().entry(
        "submission-answered",
        None,
        Some(match &screenshots {
            Some(shots) => format!("{} new screenshots", shots.len()),
            None => "screenshots kept".into(),
        }),
    );
    let answered = state
        .store
        .answer_submission(
            s.id,
            who.account.id,
            &crate::domain::Answer {
                answer: answer_text,
                corrected,
            },
            screenshots.as_deref(),
            &audit,
        )
        .await;
    match answered {
        Ok(Ok(())) => Redirect::to(&format!(
            "/contribute/mine?answered={}&lang={}",
            s.id,
            lang.code()
        ))
        .into_response(),
        Ok(Err(_)) => page_error(lang, &path, no_submission(&raw_id, lang)),
        Err(e) => page_error(lang, &path, e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reviewer_names_an_observation_by_number_or_by_any_of_its_addresses() {
        for (typed, id) in [
            ("1234", Some(1234)),
            (" #1234 ", Some(1234)),
            ("https://hutong.example/observations/1234", Some(1234)),
            (
                "https://hutong.example/observations/1234?lang=zh-CN",
                Some(1234),
            ),
            ("/observations/1234/screenshots/1/thumbnail", Some(1234)),
            ("/observations/1234#h-evidence", Some(1234)),
            ("", None),
            ("abc", None),
            ("12a", None),
            ("1234?lang=en", None),
            ("0", None),
            ("-5", None),
            ("/observations/", None),
            ("/observations/x1", None),
            ("/checks/link.wechat.taobao", None),
            ("99999999999999999999999", None),
        ] {
            assert_eq!(observation_named(typed), id, "{typed:?}");
        }
    }
}
