//! A reviewer's pages: the queue of pending hand tests (oldest first) and one submission
//! beside the check's current state and recent history, with the three decisions (plain
//! forms, no script). Also the review thread as a contributor sees it when answering.

use crate::components::{
    cell_view, citation_view, local_when, opinion_view, status_badge, textarea_text,
};
use crate::layout::render_document;
pub use crate::model::Screenshot;
use crate::model::{CellView, Chrome, CitationView, OpinionView, StatusView};
use crate::pages::account::csrf_field;
use leptos::prelude::*;

/// A pending submission in the queue.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub id: i64,
    pub href: String,
    pub check_title: String,
    pub status: StatusView,
    /// The contributor's public name.
    pub contributor: String,
    pub submitted: String,
    /// How long it has waited, in words.
    pub age: String,
    /// Sent back once and answered: the reviewer has a thread to read.
    pub answered: bool,
    /// The reviewer's own submission: listed, but someone else decides.
    pub own: bool,
}

/// One message of a review thread.
#[derive(Debug, Clone)]
pub struct ThreadItem {
    /// `question`, `answer` or `rejection` (for the style) and its words.
    pub kind: String,
    pub kind_label: String,
    pub author: String,
    pub when: String,
    pub body: String,
}

/// An observation of the check's recent history.
#[derive(Debug, Clone)]
pub struct RecentRow {
    /// ISO 8601 in Beijing time, to its precision (`2021-10-17`, or `… 16:11 UTC+8`).
    pub when: String,
    pub status: StatusView,
    pub citation: CitationView,
    pub href: Option<String>,
}

/// One submission as a reviewer judges it.
#[derive(Debug, Clone)]
pub struct ReviewView {
    pub id: i64,
    pub csrf: String,
    pub action: String,
    pub check_title: String,
    pub check_href: String,
    pub contributor: String,
    pub state: String,
    pub state_label: String,
    /// Who decided and when, once decided.
    pub decided: Option<String>,
    pub observation_href: Option<String>,
    /// The reviewer's own submission: no decision offered.
    pub own: bool,
    pub observed: String,
    pub status: StatusView,
    /// The vantage and other short fields: (label, value).
    pub fields: Vec<(String, String)>,
    pub steps: String,
    pub seen: String,
    pub screenshots: Vec<Screenshot>,
    pub thread: Vec<ThreadItem>,
    /// The check now: its cell (with staleness) and every source's latest word.
    pub cell: CellView,
    pub current: Vec<OpinionView>,
    pub recent: Vec<RecentRow>,
    /// A decision that could not be made, in the reader's words (reason missing…).
    pub errors: Vec<String>,
    pub reason: String,
    pub question: String,
}

/// What the queue's retraction box held when it named no observation, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Typed {
    pub value: String,
    pub error: String,
}

pub fn review_queue_page(
    chrome: &Chrome,
    items: &[QueueItem],
    notice: Option<String>,
    typed: Option<&Typed>,
) -> String {
    let lang = chrome.lang;
    let find_error = typed.map(|t| {
        view! { <p class="alert" role="alert" id="find-observation-error">{t.error.clone()}</p> }
    });
    let find_value = typed.map(|t| t.value.clone()).unwrap_or_default();
    let invalid = typed.is_some().then_some("true");
    let notice = notice.map(|n| view! { <p class="notice" role="status">{n}</p> });
    let rows = items
        .iter()
        .map(|q| {
            let answered = q
                .answered
                .then(|| view! { <br/><span class="tag">{lang.t("review-answered")}</span> });
            let own = q
                .own
                .then(|| view! { <br/><span class="tag">{lang.t("review-own")}</span> });
            view! {
                <tr id=format!("submission-{}", q.id)>
                    <td><a href=q.href.clone()>{q.id}</a></td>
                    <td><a href=q.href.clone()>{q.check_title.clone()}</a>{answered}{own}</td>
                    <td>{status_badge(&q.status, lang)}</td>
                    <td>{q.contributor.clone()}</td>
                    <td>{q.submitted.clone()}<br/><span class="muted">{q.age.clone()}</span></td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let empty = items
        .is_empty()
        .then(|| view! { <p>{lang.t("review-queue-empty")}</p> });
    let body = view! {
        <h1>{lang.t("review-queue-heading")}</h1>
        <p>{lang.t("review-queue-intro")}</p>
        {notice}
        {find_error}
        <form class="find-retraction" method="get" action="/review/retract">
            <input type="hidden" name="lang" value=lang.code()/>
            <label for="find-observation">{lang.t("review-retract-find")}</label>" "
            <input id="find-observation" name="observation" type="text" inputmode="url"
                required=true maxlength="500" placeholder=lang.t("review-retract-find-example")
                value=find_value aria-invalid=invalid
                aria-describedby=invalid.map(|_| "find-observation-error")/>" "
            <button type="submit">{lang.t("review-retract-find-go")}</button>
        </form>
        {empty}
        <div class="table-scroll" hidden=items.is_empty()>
        <table class="submissions review-queue">
            <thead><tr>
                <th>{lang.t("contribute-col-id")}</th>
                <th>{lang.t("contribute-col-check")}</th>
                <th>{lang.t("contribute-col-status")}</th>
                <th>{lang.t("review-col-contributor")}</th>
                <th>{lang.t("review-col-waiting")}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
    };
    render_document(chrome, body)
}

/// The thread between reviewers and the contributor, oldest first.
pub fn thread_view(thread: &[ThreadItem], lang: crate::i18n::Lang) -> impl IntoView + use<> {
    let items = thread
        .iter()
        .map(|t| {
            view! {
                <li class=format!("thread-{}", t.kind)>
                    <p><strong>{t.kind_label.clone()}</strong>" · "{t.author.clone()}" · "{t.when.clone()}</p>
                    <p class="thread-body">{t.body.clone()}</p>
                </li>
            }
        })
        .collect::<Vec<_>>();
    (!thread.is_empty()).then(|| {
        view! {
            <section aria-labelledby="h-thread">
                <h2 id="h-thread">{lang.t("review-thread-heading")}</h2>
                <ol class="review-thread">{items}</ol>
            </section>
        }
    })
}

/// Thumbnails linking to the full images.
pub fn screenshots_view(shots: &[Screenshot]) -> impl IntoView + use<> {
    let items = shots
        .iter()
        .map(|s| {
            view! {
                <li><a href=s.full.clone()><img src=s.thumbnail.clone() alt=s.alt.clone() width="160"/></a></li>
            }
        })
        .collect::<Vec<_>>();
    view! { <ul class="screenshots">{items}</ul> }
}

pub fn review_page(chrome: &Chrome, v: &ReviewView) -> String {
    let lang = chrome.lang;
    let errors = (!v.errors.is_empty()).then(|| {
        let items = v
            .errors
            .iter()
            .map(|e| view! { <li>{e.clone()}</li> })
            .collect::<Vec<_>>();
        view! { <div class="alert" role="alert"><ul>{items}</ul></div> }
    });
    let fields = v
        .fields
        .iter()
        .map(|(label, value)| view! { <dt>{label.clone()}</dt><dd>{value.clone()}</dd> })
        .collect::<Vec<_>>();
    let decided = v.decided.clone().map(|d| {
        let published = v
            .observation_href
            .clone()
            .map(|h| view! { " "<a href=h>{lang.t("contribute-published-link")}</a> });
        view! { <p class="notice" role="status">{d}{published}</p> }
    });
    let decide = (v.state == "pending" && !v.own).then(|| {
        view! {
            <section aria-labelledby="h-decide" class="decide">
                <h2 id="h-decide">{lang.t("review-decide-heading")}</h2>
                <form method="post" action=format!("{}/approve?lang={}", v.action, lang.code()) class="account-form">
                    {csrf_field(&v.csrf)}
                    <p>{lang.t("review-approve-intro")}</p>
                    <p><button type="submit">{lang.t("review-approve")}</button></p>
                </form>
                <form method="post" action=format!("{}/reject?lang={}", v.action, lang.code()) class="account-form">
                    {csrf_field(&v.csrf)}
                    <p>
                        <label for="reason">{lang.t("review-reason")}</label><br/>
                        <textarea id="reason" name="reason" rows="3" cols="60" maxlength="2000" required>{textarea_text(&v.reason)}</textarea>
                    </p>
                    <p><button type="submit">{lang.t("review-reject")}</button></p>
                </form>
                <form method="post" action=format!("{}/send-back?lang={}", v.action, lang.code()) class="account-form">
                    {csrf_field(&v.csrf)}
                    <p>
                        <label for="question">{lang.t("review-question")}</label><br/>
                        <textarea id="question" name="question" rows="3" cols="60" maxlength="2000" required>{textarea_text(&v.question)}</textarea>
                    </p>
                    <p><button type="submit">{lang.t("review-send-back")}</button></p>
                </form>
            </section>
        }
    });
    let own = (v.own && v.state == "pending")
        .then(|| view! { <p class="alert">{lang.t("review-own-refused")}</p> });
    let current = v
        .current
        .iter()
        .map(|o| view! { <li>{opinion_view(o, lang)}</li> })
        .collect::<Vec<_>>();
    let recent = v
        .recent
        .iter()
        .map(|r| {
            // Said to its precision: a dated fact is a day, not that day's midnight.
            let said = local_when(&r.when, lang).0;
            let when = match &r.href {
                Some(h) => view! { <a href=h.clone()>{said}</a> }.into_any(),
                None => view! { <span>{said}</span> }.into_any(),
            };
            view! {
                <tr><td>{when}</td><td>{status_badge(&r.status, lang)}</td><td>{citation_view(&r.citation, lang)}</td></tr>
            }
        })
        .collect::<Vec<_>>();
    let body = view! {
        <p><a href=format!("/review?lang={}", lang.code())>{lang.t("review-back-to-queue")}</a></p>
        <h1>{lang.t_args("review-heading", &[("id", v.id.into()), ("check", v.check_title.clone().into())])}</h1>
        <p><span class=format!("state state-{}", v.state)>{v.state_label.clone()}</span></p>
        {decided}
        {errors}
        {own}
        <div class="review-grid">
            <section aria-labelledby="h-submission">
                <h2 id="h-submission">{lang.t("review-submission-heading")}</h2>
                <dl>
                    <dt>{lang.t("review-col-contributor")}</dt><dd>{v.contributor.clone()}</dd>
                    <dt>{lang.t("contribute-col-observed")}</dt><dd>{v.observed.clone()}</dd>
                    <dt>{lang.t("review-status-seen")}</dt><dd>{status_badge(&v.status, lang)}</dd>
                    {fields}
                </dl>
                <h3>{lang.t("review-steps")}</h3>
                <p class="thread-body">{v.steps.clone()}</p>
                <h3>{lang.t("review-seen")}</h3>
                <blockquote class="thread-body">{v.seen.clone()}</blockquote>
                <h3>{lang.t("contribute-col-screenshots")}</h3>
                {screenshots_view(&v.screenshots)}
                {thread_view(&v.thread, lang)}
            </section>
            <section aria-labelledby="h-check-now">
                <h2 id="h-check-now">{lang.t("review-check-heading")}</h2>
                <p><a href=v.check_href.clone()>{v.check_title.clone()}</a></p>
                <div class="review-cell">{cell_view(&v.cell, lang)}</div>
                <h3>{lang.t("review-current-heading")}</h3>
                <ul class="opinions">{current}</ul>
                <h3>{lang.t("review-recent-heading")}</h3>
                <div class="table-scroll">
                <table class="recent">
                    <tbody>{recent}</tbody>
                </table>
                </div>
            </section>
        </div>
        {decide}
    };
    render_document(chrome, body)
}
