//! "What was corrected?": the public corrections log, `/corrections` (page),
//! `/api/v1/corrections` (JSON) and `/corrections.atom` (Atom), listing every retraction
//! and every method change newest first; and the reviewer's retraction form,
//! `/observations/{id}/retract` (under the session layer).
//!
//! A retraction never deletes: the observation stays on its page, struck through with the
//! reason, and in the exports with a `retracted` flag; it counts nowhere any more (see
//! [`crate::storage::Store::retract_observation`]).

use super::app_state::AppState;
use super::error::{Answer, ApiResult, FileError, HtmlError, PageResult, WebError, truncate};
use super::present;
use super::present::xml_text;
use super::request::{AsOf, Paging, ReaderLang, chrome};
use super::session::{CsrfForm, Reviewer, SignedIn, account_chrome};
use crate::domain::{
    Correction, MAX_REASON_CHARS, ReasonError, Reference, RetractOutcome, retraction_reason,
};
use crate::storage::Reads;
use atom_syndication::{Content, Entry, Feed, Generator, Link, Person, Text};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use chrono::{DateTime, SecondsFormat, Utc};
use hutong_app::i18n::Lang;
use hutong_app::model::Section;
use hutong_app::pages::{self, CorrectionRow, CorrectionsView, RetractView, RetractionRow};
use serde::Serialize;

/// Entries per page of the log (and of its JSON); the feed carries the newest this many.
pub const CORRECTIONS_PAGE: usize = 50;

/// The public log: no session, no cookie.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/corrections", get(show_corrections))
        .route("/corrections.atom", get(get_corrections_atom))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/corrections", get(list_corrections))
}

/// The reviewer's form: merged under the session layer.
pub fn session_routes() -> Router<AppState> {
    Router::new().route(
        "/observations/{id}/retract",
        get(show_retract).post(retract),
    )
}

/// One page of the log, and how many pages there are. Method changes of the simulator's
/// packs are left out: simulated data stays apart.
async fn page_of(
    state: &AppState,
    reads: &Reads,
    page: usize,
) -> Result<(Vec<Correction>, i64, usize), WebError> {
    let limit = CORRECTIONS_PAGE as i64;
    let offset = (page.saturating_sub(1) * CORRECTIONS_PAGE) as i64;
    let simulated: Vec<&str> = state
        .packs
        .iter()
        .filter(|p| p.simulated)
        .map(|p| p.id.as_str())
        .collect();
    let (entries, total) = reads.store().corrections(limit, offset, &simulated).await?;
    let pages = (usize::try_from(total).unwrap_or(0)).div_ceil(CORRECTIONS_PAGE);
    Ok((entries, total, pages))
}

fn check_title(r: &Reference, check_id: &str, lang: Lang) -> String {
    r.check(check_id).map_or_else(
        || check_id.to_string(),
        |c| present::check_title(r, c, lang),
    )
}

pub async fn show_corrections(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    reads: Result<Reads, WebError>,
    paging: Result<Paging, WebError>,
) -> PageResult {
    let path = "/corrections";
    let today = AsOf::today();
    let chrome = chrome(
        lang,
        &lang.t("title-corrections"),
        Section::Other,
        path,
        &today,
        Vec::new(),
    );
    let reads = reads.or_page(&chrome)?;
    let page = paging.or_page(&chrome)?.page;
    let view = corrections_view(&state, &reads, page, lang)
        .await
        .or_page(&chrome)?;
    Ok(Html(pages::corrections_page(&chrome, &view)))
}

async fn corrections_view(
    state: &AppState,
    reads: &Reads,
    page: usize,
    lang: Lang,
) -> Result<CorrectionsView, WebError> {
    let (entries, total, pages) = page_of(state, reads, page).await?;
    if page > 1 && page > pages {
        return Err(WebError::NotFound(lang.t_args(
            "error-check-page",
            &[("page", page.into()), ("pages", pages.into())],
        )));
    }
    let r = reads.reference().await?;
    let q = format!("?lang={}", lang.code());
    let entries = entries
        .iter()
        .map(|c| match c {
            Correction::Retraction(x) => CorrectionRow::Retraction(Box::new(RetractionRow {
                when: present::when(x.retracted_at, "instant"),
                observation_href: format!("/observations/{}{q}", x.observation_id),
                observation_id: x.observation_id,
                check_title: check_title(&r, &x.check_id, lang),
                check_href: format!("/checks/{}{q}", x.check_id),
                status: present::status_view(r.kind(&x.kind), &x.status, lang),
                source_kind: lang.t_or(&format!("source-kind-{}", x.source_kind), &x.source_kind),
                observed: present::when(x.observed_at, &x.precision),
                reason: present::capped(&x.reason, present::EXCERPT_CAP),
                reviewer: x.reviewer.clone(),
            })),
            Correction::MethodChange(m) => CorrectionRow::MethodChange {
                when: present::when(m.happened_at, "instant"),
                pack: m.pack_id.clone(),
                pack_href: format!("/probes{q}"),
                from_version: m.from_version,
                to_version: m.to_version,
                checked: m.checked,
                changed: m.changed,
            },
        })
        .collect();
    let page_href = |p: usize| format!("/corrections?lang={}&page={p}", lang.code());
    Ok(CorrectionsView {
        entries,
        total,
        page,
        pages,
        newer: (page > 1).then(|| page_href(page - 1)),
        older: (page < pages).then(|| page_href(page + 1)),
        feed_href: format!("/corrections.atom?lang={}", lang.code()),
        json_href: "/api/v1/corrections".into(),
    })
}

/// One entry of `/api/v1/corrections`.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum CorrectionJson {
    Retraction {
        at: DateTime<Utc>,
        observation_id: i64,
        observation_url: String,
        check: String,
        /// What the observation said.
        status: String,
        source_kind: String,
        observed_at: DateTime<Utc>,
        reason: String,
        /// The reviewer's public name.
        reviewer: Option<String>,
    },
    MethodChange {
        at: DateTime<Utc>,
        pack: String,
        from_version: Option<i64>,
        to_version: i64,
        /// Verdicts re-derived under the new rules, and how many came out differently.
        rederived: i64,
        changed: i64,
    },
}

#[derive(Debug, Serialize)]
struct CorrectionsJson {
    total: i64,
    page: usize,
    pages: usize,
    entries: Vec<CorrectionJson>,
}

/// `/api/v1/corrections?page=`: the log, newest first, in pages.
pub async fn list_corrections(
    State(state): State<AppState>,
    reads: Reads,
    paging: Paging,
) -> ApiResult {
    let (entries, total, pages) = page_of(&state, &reads, paging.page).await?;
    let base = state.public_url.trim_end_matches('/');
    let entries = entries
        .into_iter()
        .map(|c| match c {
            Correction::Retraction(x) => CorrectionJson::Retraction {
                at: x.retracted_at,
                observation_url: format!("{base}/observations/{}", x.observation_id),
                observation_id: x.observation_id,
                check: x.check_id,
                status: x.status,
                source_kind: x.source_kind,
                observed_at: x.observed_at,
                reason: x.reason,
                reviewer: x.reviewer,
            },
            Correction::MethodChange(m) => CorrectionJson::MethodChange {
                at: m.happened_at,
                pack: m.pack_id,
                from_version: m.from_version,
                to_version: m.to_version,
                rederived: m.checked,
                changed: m.changed,
            },
        })
        .collect();
    Ok(axum::Json(CorrectionsJson {
        total,
        page: paging.page,
        pages,
        entries,
    })
    .into_response())
}

/// `/corrections.atom`: the newest corrections as an Atom 1.0 feed, one entry per
/// retraction (`tag:HOST,2021:retraction/OBSERVATION`) or method change
/// (`tag:HOST,2021:method-change/ID`): ids that never change.
pub async fn get_corrections_atom(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    reads: Result<Reads, WebError>,
) -> Result<Response, FileError> {
    let reads = reads.or_file(lang)?;
    let body = corrections_feed(&state, &reads, lang).await.or_file(lang)?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

async fn corrections_feed(state: &AppState, reads: &Reads, lang: Lang) -> Result<String, WebError> {
    let (entries, _, _) = page_of(state, reads, 1).await?;
    let r = reads.reference().await?;
    let base = state.public_url.trim_end_matches('/');
    let host = url::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into());
    let link = |rel: &str, href: String, mime: &str| Link {
        href: xml_text(&href).into_owned(),
        rel: rel.into(),
        mime_type: Some(mime.into()),
        ..Link::default()
    };
    let hutong = Person {
        name: xml_text(&lang.t("exports-author-hutong")).into_owned(),
        uri: Some(xml_text(base).into_owned()),
        ..Person::default()
    };
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    let items: Vec<Entry> = entries
        .iter()
        .map(|c| {
            let (id, title, lines, href, author) = match c {
                Correction::Retraction(x) => {
                    let check = check_title(&r, &x.check_id, lang);
                    let status = present::status_view(r.kind(&x.kind), &x.status, lang);
                    let mut lines = vec![
                        format!(
                            "{} {} ({})",
                            lang.t("corrections-said"),
                            status.label.get(lang),
                            stamp(x.observed_at)
                        ),
                        format!("{} {}", lang.t("corrections-reason"), x.reason),
                    ];
                    if let Some(name) = &x.reviewer {
                        lines.push(lang.t_args("corrections-by", &[("name", name.clone().into())]));
                    }
                    (
                        format!("tag:{host},2021:retraction/{}", x.observation_id),
                        lang.t_args(
                            "corrections-entry-retraction",
                            &[("id", x.observation_id.into()), ("check", check.into())],
                        ),
                        lines,
                        format!("{base}/observations/{}", x.observation_id),
                        x.reviewer.clone(),
                    )
                }
                Correction::MethodChange(m) => {
                    let from = m
                        .from_version
                        .map_or_else(|| "—".to_string(), |v| v.to_string());
                    (
                        format!("tag:{host},2021:method-change/{}", m.id),
                        lang.t_args(
                            "corrections-entry-method",
                            &[
                                ("pack", m.pack_id.clone().into()),
                                ("from", from.into()),
                                ("to", m.to_version.into()),
                            ],
                        ),
                        vec![lang.t_args(
                            "corrections-rederived",
                            &[("checked", m.checked.into()), ("changed", m.changed.into())],
                        )],
                        format!("{base}/probes"),
                        None,
                    )
                }
            };
            Entry {
                id: xml_text(&id).into_owned(),
                title: Text::plain(xml_text(&title)),
                updated: c.at().fixed_offset(),
                authors: vec![match author {
                    Some(name) => Person {
                        name: xml_text(&name).into_owned(),
                        ..Person::default()
                    },
                    None => hutong.clone(),
                }],
                links: vec![link("alternate", href, "text/html")],
                content: Some(Content {
                    value: Some(xml_text(&lines.join("\n")).into_owned()),
                    content_type: Some("text".into()),
                    ..Content::default()
                }),
                ..Entry::default()
            }
        })
        .collect();
    // A feed with no entries yet is as old as the log: the epoch of Hutong's story.
    let updated = entries.first().map_or_else(
        || DateTime::<Utc>::from_timestamp(1_631_836_800, 0).unwrap_or_default(),
        Correction::at,
    );
    let feed = Feed {
        id: xml_text(&format!("tag:{host},2021:corrections")).into_owned(),
        title: Text::plain(xml_text(&lang.t("corrections-feed-title"))),
        subtitle: Some(Text::plain(xml_text(&lang.t("corrections-intro")))),
        updated: updated.fixed_offset(),
        links: vec![
            link(
                "self",
                format!("{base}/corrections.atom?lang={}", lang.code()),
                "application/atom+xml",
            ),
            link(
                "alternate",
                format!("{base}/corrections?lang={}", lang.code()),
                "text/html",
            ),
        ],
        authors: vec![hutong],
        generator: Some(Generator {
            value: "Hutong".into(),
            uri: None,
            version: None,
        }),
        lang: Some(lang.code().into()),
        entries: items,
        ..Feed::default()
    };
    let bytes = feed
        .write_to(Vec::new())
        .map_err(|e| WebError::Internal(format!("writing the corrections feed: {e}")))?;
    String::from_utf8(bytes).map_err(|e| WebError::Internal(format!("the corrections feed: {e}")))
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

/// What the form says back: the reason typed, why it was refused, with which status.
struct Typed {
    reason: String,
    message: Option<String>,
    status: StatusCode,
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

/// The form for observation `id`, as `typed` left it.
async fn retract_form(
    reads: &Reads,
    who: &SignedIn,
    lang: Lang,
    id: i64,
    typed: Typed,
) -> Response {
    let Typed {
        reason,
        message,
        status,
    } = typed;
    let path = format!("/observations/{id}/retract");
    let mut chrome = account_chrome(lang, &lang.t("title-retract"), &path);
    let found = async {
        let o = reads
            .store()
            .observation(id)
            .await?
            .ok_or_else(|| no_observation(id, lang))?;
        let r = reads.reference().await?;
        Ok::<_, WebError>((o, r))
    };
    let (o, r) = match found.await {
        Ok(found) => found,
        Err(e) => return page_error(lang, &path, e),
    };
    chrome.title = lang.t_args("retract-heading", &[("id", id.into())]);
    let check = r.check(&o.check_id);
    let already = o.retracted_at.map(|at| {
        lang.t_args(
            "error-already-retracted",
            &[("id", id.into()), ("date", lang.datetime(at).into())],
        )
    });
    let open = already.is_none();
    let q = format!("?lang={}", lang.code());
    let form = RetractView {
        observation_id: id,
        check_title: check_title(&r, &o.check_id, lang),
        check_href: format!("/checks/{}{q}", o.check_id),
        when: present::when(o.observed_at, &o.precision),
        approximate: o.is_approximate(),
        status: present::status_view(check.and_then(|c| r.kind(&c.kind)), &o.status, lang),
        citation: present::citation(&r, &o, lang),
        csrf: who.csrf.clone(),
        action: format!("{path}{q}"),
        reason,
        message: message.or(already),
        max_reason: MAX_REASON_CHARS,
        open,
    };
    let status = if open { status } else { StatusCode::CONFLICT };
    private((status, Html(pages::retract_page(&chrome, &form))).into_response())
}

pub async fn show_retract(
    Path(raw_id): Path<String>,
    ReaderLang(lang): ReaderLang,
    Reviewer(who): Reviewer,
    reads: Result<Reads, WebError>,
) -> Response {
    let path = "/observations/retract";
    let id = match observation_id(&raw_id, lang) {
        Ok(id) => id,
        Err(e) => return page_error(lang, path, e),
    };
    let reads = match reads {
        Ok(reads) => reads,
        Err(e) => return page_error(lang, path, e),
    };
    let typed = Typed {
        reason: String::new(),
        message: None,
        status: StatusCode::OK,
    };
    retract_form(&reads, &who, lang, id, typed).await
}

#[derive(serde::Deserialize)]
pub struct RetractForm {
    #[serde(default)]
    reason: String,
}

/// Retracts the observation (reviewers and admins only), then back to its page.
pub async fn retract(
    Path(raw_id): Path<String>,
    ReaderLang(lang): ReaderLang,
    Reviewer(who): Reviewer,
    reads: Result<Reads, WebError>,
    CsrfForm(form): CsrfForm<RetractForm>,
) -> Response {
    let path = "/observations/retract";
    let id = match observation_id(&raw_id, lang) {
        Ok(id) => id,
        Err(e) => return page_error(lang, path, e),
    };
    let reads = match reads {
        Ok(reads) => reads,
        Err(e) => return page_error(lang, path, e),
    };
    let reason = match retraction_reason(&form.reason) {
        Ok(reason) => reason,
        Err(e) => {
            let message = match e {
                ReasonError::Missing => lang.t("error-retract-reason-missing"),
                ReasonError::TooLong => lang.t_args(
                    "error-retract-reason-long",
                    &[("max", MAX_REASON_CHARS.into())],
                ),
            };
            let typed = Typed {
                reason: form.reason.chars().take(MAX_REASON_CHARS * 2).collect(),
                message: Some(message),
                status: StatusCode::BAD_REQUEST,
            };
            return retract_form(&reads, &who, lang, id, typed).await;
        }
    };
    let audit = who.actor().entry(
        "observation.retract",
        Some(format!("observation {id}")),
        Some(reason.clone()),
    );
    match reads.store().retract_observation(id, &reason, &audit).await {
        Ok(RetractOutcome::Retracted { .. }) => {
            Redirect::to(&format!("/observations/{id}?lang={}", lang.code())).into_response()
        }
        Ok(RetractOutcome::NoSuchObservation) => page_error(lang, path, no_observation(id, lang)),
        // The form shows when it was retracted, with 409.
        Ok(RetractOutcome::AlreadyRetracted { .. }) => {
            let typed = Typed {
                reason,
                message: None,
                status: StatusCode::CONFLICT,
            };
            retract_form(&reads, &who, lang, id, typed).await
        }
        Err(e) => page_error(lang, path, e),
    }
}
