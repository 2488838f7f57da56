//! What the hand-test questions share (contributing, reviewing, and the observation page
//! of a published hand test): the multipart form as it was sent and its problems in the
//! reader's words, a screenshot as served, and a submission's view data (screenshots,
//! vantage, review thread, the observation page's hand-test part).

use super::error::{WebError, truncate};
use crate::contributions::{ContributionError, Field, HandTest, MAX_SCREENSHOTS, Problem};
use crate::domain::{Check, Reference, Submission, ThreadEntry};
use crate::screenshots::ScreenshotError;
use axum::extract::Multipart;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hutong_app::i18n::Lang;
use hutong_app::model::Name;
use hutong_app::model::{HandTestView, Screenshot};
use hutong_app::pages::SubmissionValues;
use hutong_app::pages::review::ThreadItem;
use std::collections::HashMap;

/// A whole upload: five screenshots at their cap, and the form's text.
pub const UPLOAD_LIMIT: usize = MAX_SCREENSHOTS * crate::screenshots::MAX_BYTES + 256 * 1024;

/// The check's ladder as (id, label in `lang`).
pub fn ladder(r: &Reference, check: &Check, lang: Lang) -> Vec<(String, String)> {
    r.kind(&check.kind)
        .map(|k| {
            k.statuses
                .iter()
                .map(|s| {
                    (
                        s.id.clone(),
                        Name::new(&s.label_zh, &s.label_en).get(lang).to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What the multipart form held: its text fields and its files (name, bytes).
pub struct Upload {
    pub fields: HashMap<String, String>,
    pub files: Vec<(String, Vec<u8>)>,
}

/// A hand-test form as posted by a signed-in person: the multipart body read (or why it
/// could not be), and its CSRF token checked against the session's.
pub async fn read_signed_upload(
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
    session: &tower_sessions::Session,
    lang: Lang,
) -> Result<Upload, WebError> {
    let multipart = multipart.map_err(|e| {
        WebError::BadRequest(lang.t_args(
            "error-upload-unreadable",
            &[("reason", truncate(&e.body_text()).into())],
        ))
    })?;
    let upload = read_upload(multipart, lang).await?;
    if !super::session::csrf_matches(session, &field(&upload, "csrf")).await {
        return Err(WebError::Forbidden(lang.t("error-csrf")));
    }
    Ok(upload)
}

pub async fn read_upload(mut multipart: Multipart, lang: Lang) -> Result<Upload, WebError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            WebError::BadRequest(lang.t("error-upload-too-large"))
        } else {
            WebError::BadRequest(lang.t_args(
                "error-upload-unreadable",
                &[("reason", truncate(&e.body_text()).into())],
            ))
        }
    };
    let mut upload = Upload {
        fields: HashMap::new(),
        files: Vec::new(),
    };
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        if name == "screenshot" {
            let file_name: String = field
                .file_name()
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .take(120)
                .collect();
            let bytes = field.bytes().await.map_err(unreadable)?;
            // A file input left empty still sends a part, with no name and no bytes.
            if file_name.is_empty() && bytes.is_empty() {
                continue;
            }
            if upload.files.len() >= MAX_SCREENSHOTS * 2 {
                return Err(WebError::BadRequest(lang.t("error-screenshot-count")));
            }
            upload.files.push((file_name, bytes.to_vec()));
        } else {
            let text = field.text().await.map_err(unreadable)?;
            upload.fields.insert(name, text);
        }
    }
    Ok(upload)
}

pub fn field(upload: &Upload, name: &str) -> String {
    upload
        .fields
        .get(name)
        .map(|v| v.replace("\r\n", "\n").trim().to_string())
        .unwrap_or_default()
}

/// The hand test as the form sent it.
pub fn hand_test(upload: &Upload) -> HandTest {
    HandTest {
        observed_at: field(upload, "observed_at"),
        status: field(upload, "status"),
        device: field(upload, "device"),
        os: field(upload, "os"),
        app: field(upload, "app"),
        app_version: field(upload, "app_version"),
        network: field(upload, "network"),
        network_region: field(upload, "network_region"),
        account_region: field(upload, "account_region"),
        steps: field(upload, "steps"),
        seen: field(upload, "seen"),
    }
}

pub fn form_values(t: HandTest) -> SubmissionValues {
    SubmissionValues {
        observed_at: t.observed_at,
        status: t.status,
        device: t.device,
        os: t.os,
        app: t.app,
        app_version: t.app_version,
        network: t.network,
        network_region: t.network_region,
        account_region: t.account_region,
        steps: t.steps,
        seen: t.seen,
    }
}

/// The label of a field on the form, in the reader's words.
pub fn field_label(f: Field, lang: Lang) -> String {
    lang.t(&format!("contribute-{}", f.name().replace('_', "-")))
}

/// A screenshot's refusal reason in the reader's words.
pub fn screenshot_reason(e: &ScreenshotError, lang: Lang) -> String {
    match e {
        ScreenshotError::Empty => lang.t("screenshot-empty"),
        ScreenshotError::TooLarge => lang.t("screenshot-too-large"),
        ScreenshotError::NotAnImage => lang.t("screenshot-not-image"),
        ScreenshotError::TooManyPixels { width, height } => lang.t_args(
            "screenshot-too-many-pixels",
            &[
                ("width", i64::from(*width).into()),
                ("height", i64::from(*height).into()),
            ],
        ),
        ScreenshotError::Damaged => lang.t("screenshot-damaged"),
    }
}

/// What was wrong with a submission, in the reader's words (a file by its name).
pub fn problem_message(p: &Problem, lang: Lang) -> String {
    match p {
        Problem::ObservedAt => lang.t("error-observed-at"),
        Problem::StatusOffLadder(_) => lang.t("error-status-off-ladder"),
        Problem::Required(f) => lang.t_args(
            "error-field-required",
            &[("field", field_label(*f, lang).into())],
        ),
        Problem::TooLong(f) => lang.t_args(
            "error-field-too-long",
            &[
                ("field", field_label(*f, lang).into()),
                ("max", (f.max_chars() as i64).into()),
            ],
        ),
        Problem::ScreenshotCount(_) => lang.t("error-screenshot-count"),
        Problem::Screenshot { file, error } => lang.t_args(
            "error-screenshot",
            &[
                ("file", truncate(file).into()),
                ("reason", screenshot_reason(error, lang).into()),
            ],
        ),
    }
}

/// A submission not stored, as the web's error (problems joined, in the reader's words).
pub fn contribution_error(e: ContributionError, lang: Lang) -> WebError {
    match e {
        ContributionError::Refused(problems) => WebError::BadRequest(
            problems
                .iter()
                .map(|p| problem_message(p, lang))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ContributionError::NoSuchCheck(id) => {
            WebError::NotFound(lang.t_args("error-no-check-id", &[("id", truncate(&id).into())]))
        }
        ContributionError::Internal(detail) => WebError::Internal(detail),
        ContributionError::Storage(e) => WebError::Storage(e),
    }
}

/// A screenshot as served: an image that cannot be sniffed into anything else, sandboxed,
/// not kept by shared caches.
pub fn screenshot_response(png: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::CONTENT_SECURITY_POLICY, "sandbox"),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        png,
    )
        .into_response()
}

/// A submission's review thread as pages show it.
pub fn thread_items(thread: &[ThreadEntry], lang: Lang) -> Vec<ThreadItem> {
    thread
        .iter()
        .map(|t| ThreadItem {
            kind: t.kind.as_str().to_string(),
            kind_label: lang.t(&format!("review-thread-{}", t.kind.as_str())),
            author: t.author.clone(),
            when: lang.datetime(t.written_at),
            body: t.body.clone(),
        })
        .collect()
}

/// A submission's screenshots at `base` (`/submissions/{id}` while private,
/// `/observations/{id}` once published).
pub fn screenshot_links(s: &Submission, base: &str, lang: Lang) -> Vec<Screenshot> {
    s.screenshots
        .iter()
        .map(|shot| Screenshot {
            thumbnail: format!("{base}/screenshots/{}/thumbnail", shot.position),
            full: format!("{base}/screenshots/{}", shot.position),
            alt: lang.t_args(
                "contribute-screenshot-alt",
                &[("n", shot.position.into()), ("id", s.id.into())],
            ),
        })
        .collect()
}

/// The vantage and its companions as (label, value), the empty ones left out.
pub fn vantage_fields(s: &Submission, lang: Lang) -> Vec<(String, String)> {
    let v = &s.vantage;
    [
        ("contribute-device", &v.device),
        ("contribute-os", &v.os),
        ("contribute-app", &v.app),
        ("contribute-app-version", &v.app_version),
        ("contribute-network", &v.network),
        ("contribute-network-region", &v.network_region),
        ("contribute-account-region", &v.account_region),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(label, value)| (lang.t(label), value.clone()))
    .collect()
}

/// The hand-test part of observation `id`'s page, when it is a published hand test: its
/// contributor's public credit and the reviewer's public name (never a login), the steps,
/// the screenshots (public now, unless `retracted` withdrew them).
pub async fn hand_test_view(
    store: &crate::storage::Store,
    id: i64,
    retracted: bool,
    lang: Lang,
) -> Result<Option<HandTestView>, WebError> {
    let Some(s) = store.submission_of_observation(id).await? else {
        return Ok(None);
    };
    let names = store.public_names().await?;
    let name_of = |account: Option<i64>| {
        account
            .and_then(|a| names.get(&a).cloned())
            .unwrap_or_default()
    };
    Ok(Some(HandTestView {
        credit: lang.t_args(
            "observation-hand-test-by",
            &[
                ("name", name_of(Some(s.account_id)).into()),
                ("reviewer", name_of(s.reviewer_id).into()),
            ],
        ),
        steps: s.steps.clone(),
        screenshots: if retracted {
            Vec::new()
        } else {
            screenshot_links(&s, &format!("/observations/{id}"), lang)
        },
        screenshots_withdrawn: retracted,
    }))
}
