//! Hand tests as they arrive over HTTP (the form and the API): the multipart upload read
//! under its limits, its fields as a [`HandTest`], and each problem the checks below the
//! web find put in the reader's words (a file by its name).

use super::error::{WebError, truncate};
use crate::contributions::{
    ContributionError, Field, HandTest, MAX_SCREENSHOTS, Problem, UploadedFile,
};
use crate::screenshots::{self, ScreenshotError};
use axum::extract::Multipart;
use axum::http::StatusCode;
use hutong_app::i18n::Lang;
use std::collections::HashMap;

/// A whole upload: five screenshots at their cap, and the form's text.
pub const UPLOAD_LIMIT: usize = MAX_SCREENSHOTS * screenshots::MAX_BYTES + 256 * 1024;

/// What the multipart form held: its text fields and its files (name, bytes).
pub struct Upload {
    pub fields: HashMap<String, String>,
    pub files: Vec<(String, Vec<u8>)>,
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

/// The label of a field on the form, in the reader's words.
fn field_label(f: Field, lang: Lang) -> String {
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

impl Upload {
    /// The uploaded files, in order.
    pub fn files(self) -> Vec<UploadedFile> {
        self.files
            .into_iter()
            .map(|(name, bytes)| UploadedFile { name, bytes })
            .collect()
    }
}
