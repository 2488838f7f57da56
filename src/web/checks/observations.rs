//! One observation: `/observations/{id}` (what a probe saw, with its evidence) and
//! `/observations/{id}/snapshot` (the raw page it was judged on, as a download that can
//! never render).

use crate::storage::Reads;
use crate::web::app_state::AppState;
use crate::web::error::{Answer, HtmlError, PageResult, WebError, truncate};
use crate::web::present;
use crate::web::request::{AsOf, ReaderLang, chrome};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use hutong_app::pages;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/observations/{id}", get(show_observation))
        .route("/observations/{id}/snapshot", get(get_snapshot))
}

/// An observation id from the URL: a positive whole number, or a 400 that says so.
fn observation_id(raw: &str, lang: Lang) -> Result<i64, WebError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        WebError::BadRequest(
            lang.t_args("error-observation-id", &[("value", truncate(raw).into())]),
        )
    })
}

fn no_observation(id: i64, lang: Lang) -> WebError {
    WebError::NotFound(lang.t_args("error-no-observation", &[("id", id.into())]))
}

pub async fn show_observation(
    Path(raw_id): Path<String>,
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let path = format!("/observations/{}", truncate(&raw_id));
    let title = lang.t("title-observation");
    let as_of = at.or_page(&chrome(
        lang,
        &title,
        Section::Other,
        &path,
        &AsOf::today(),
        Vec::new(),
    ))?;
    let mut chrome = chrome(lang, &title, Section::Other, &path, &as_of, Vec::new());
    let id = observation_id(&raw_id, lang).or_page(&chrome)?;
    chrome.path = format!("/observations/{id}");
    let reads = reads.or_page(&chrome)?;
    let view = observation_view(&reads, id, &as_of, &mut chrome, &state.public_url).await;
    let view = view.or_page(&chrome)?;
    Ok(Html(pages::observation_page(&chrome, &view)))
}

async fn observation_view(
    reads: &Reads,
    id: i64,
    as_of: &AsOf,
    chrome: &mut Chrome,
    public_url: &str,
) -> Result<ObservationView, WebError> {
    let lang = chrome.lang;
    let store = reads.store();
    let o = store
        .observation(id)
        .await?
        .ok_or_else(|| no_observation(id, lang))?;
    let r = reads.reference().await?;
    let query = present::date_query(as_of, lang);
    let check = r.check(&o.check_id);
    let kind = check.and_then(|c| r.kind(&c.kind));
    let check_title =
        check.map_or_else(|| o.check_id.clone(), |c| present::check_title(&r, c, lang));
    chrome.title = lang.t_args(
        "title-observation-of",
        &[("id", id.into()), ("check", check_title.clone().into())],
    );
    let names = |l: Lang| {
        let check = check.map_or_else(|| o.check_id.clone(), |c| present::check_title(&r, c, l));
        l.t_args(
            "cite-observation",
            &[("id", id.into()), ("check", check.into())],
        )
    };
    chrome.cite = Some(present::cite::cite_box(
        public_url,
        &format!("/observations/{id}"),
        as_of.day,
        lang,
        (&names(Lang::ZhCn), &names(Lang::En)),
        o.source_id.as_deref().and_then(|s| r.source(s)),
    ));
    let snapshot_href = match &o.snapshot {
        Some(sha) => store
            .snapshot_exists(sha)
            .await?
            .then(|| format!("/observations/{id}/snapshot")),
        None => None,
    };
    let simulated = o.source_kind == "simulated" || check.is_some_and(|c| r.is_simulated_check(c));
    let hand_test =
        crate::web::hand_tests::hand_test_view(store, id, o.retracted_at.is_some(), lang).await?;
    Ok(ObservationView {
        id,
        check_id: o.check_id.clone(),
        check_href: format!("/checks/{}{query}", o.check_id),
        check_title,
        when: present::when(o.observed_at, "instant"),
        status: present::status_view(kind, &o.status, lang),
        source_kind: o.source_kind.clone(),
        simulated,
        citation: present::citation(&r, &o, lang),
        vantage: present::capped(&o.vantage, present::SHORT_CAP),
        pack_id: o.pack_id.clone(),
        rule_version: o.rule_version,
        confirmed: o.confirmed,
        failure: o.failure.as_deref().map(|f| {
            (
                present::capped(f, present::SHORT_CAP),
                present::failure_words(f, lang),
            )
        }),
        superseded_by: o.superseded_by,
        reclassifies: o.reclassifies,
        quote: o
            .quote
            .as_deref()
            .map(|q| present::capped(q, present::EXCERPT_CAP)),
        note: present::note(&o, lang).map(|n| present::capped(&n, present::EXCERPT_CAP)),
        evidence: o.evidence.as_ref().map(present::evidence_view),
        snapshot_href,
        snapshot_sha: o.snapshot.as_deref().map(|s| present::capped(s, 64)),
        hand_test,
        retraction: present::retraction(&o),
    })
}

/// The raw page an observation was judged on, as a download that can never render: it is
/// a platform's page, scripts and all. Errors are pages (a reader follows a link here).
pub async fn get_snapshot(
    Path(raw_id): Path<String>,
    ReaderLang(lang): ReaderLang,
    reads: Result<Reads, WebError>,
) -> Result<Response, HtmlError> {
    let chrome = chrome(
        lang,
        &lang.t("title-snapshot"),
        Section::Other,
        "/",
        &AsOf::today(),
        Vec::new(),
    );
    snapshot(&raw_id, lang, reads).await.or_page(&chrome)
}

async fn snapshot(
    raw_id: &str,
    lang: Lang,
    reads: Result<Reads, WebError>,
) -> Result<Response, WebError> {
    let id = observation_id(raw_id, lang)?;
    let store = reads?.store().clone();
    let o = store
        .observation(id)
        .await?
        .ok_or_else(|| no_observation(id, lang))?;
    let missing = || WebError::NotFound(lang.t_args("error-no-snapshot", &[("id", id.into())]));
    let sha = o.snapshot.ok_or_else(missing)?;
    let stored = store.snapshot_body(&sha).await?.ok_or_else(missing)?;
    let filename = snapshot_filename(id, &sha, stored.content_type.as_deref());
    let body = stored.body;
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
            (header::CACHE_CONTROL, "private, max-age=3600".to_string()),
        ],
        body,
    )
        .into_response())
}

/// The raw page's file name: what it is (an observation's raw page, which body) and an
/// extension that opens it as text. Saved as `.html`, a hostile page opened from disk
/// would run its scripts with no sandbox header to stop them; `.html.txt` says it is HTML
/// source and opens in a text editor or as plain text.
fn snapshot_filename(observation: i64, sha: &str, content_type: Option<&str>) -> String {
    let prefix: String = sha
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(12)
        .collect();
    let html = content_type.is_some_and(|t| t.to_ascii_lowercase().contains("html"));
    let kind = if html { ".html" } else { "" };
    format!("hutong-observation-{observation}-raw-page-{prefix}{kind}.txt")
}

#[cfg(test)]
mod tests {
    use super::snapshot_filename;

    #[test]
    fn raw_pages_are_named_to_open_as_text() {
        let sha = "0123456789abcdef".repeat(4);
        assert_eq!(
            snapshot_filename(42, &sha, Some("text/html; charset=GBK")),
            "hutong-observation-42-raw-page-0123456789ab.html.txt"
        );
        assert_eq!(
            snapshot_filename(7, &sha, Some("application/XHTML+xml")),
            "hutong-observation-7-raw-page-0123456789ab.html.txt"
        );
        for other in [Some("application/json"), Some("image/svg+xml"), None] {
            assert_eq!(
                snapshot_filename(7, &sha, other),
                "hutong-observation-7-raw-page-0123456789ab.txt"
            );
        }
        // Whatever is stored as the hash, only hex digits reach the header.
        assert_eq!(
            snapshot_filename(1, "ab\"; x=.html\r\ncd", None),
            "hutong-observation-1-raw-page-abcd.txt"
        );
    }
}
