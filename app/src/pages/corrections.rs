//! The public corrections log (`/corrections`: every retraction and every method change,
//! newest first) and the reviewer's retraction form (`/observations/{id}/retract`).

use crate::components::{citation_view, status_badge, textarea_text, time_view, when_text};
use crate::layout::render_document_with_feed;
use crate::model::{Chrome, CitationView, StatusView};
use crate::pages::account::csrf_field;
use leptos::prelude::*;

/// A retraction as the corrections log lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct RetractionRow {
    /// When it was retracted, as `when` text.
    pub when: String,
    pub observation_href: String,
    pub observation_id: i64,
    pub check_title: String,
    pub check_href: String,
    /// What the observation said.
    pub status: StatusView,
    /// Its source kind, in words.
    pub source_kind: String,
    /// When it had been observed, as `when` text.
    pub observed: String,
    pub reason: String,
    /// The reviewer's public name.
    pub reviewer: Option<String>,
}

/// One entry of the corrections log.
#[derive(Debug, Clone, PartialEq)]
pub enum CorrectionRow {
    Retraction(Box<RetractionRow>),
    MethodChange {
        when: String,
        pack: String,
        pack_href: String,
        from_version: Option<i64>,
        to_version: i64,
        /// Verdicts re-derived, and how many came out differently.
        checked: i64,
        changed: i64,
    },
}

/// `/corrections`, one page.
#[derive(Debug, Clone, PartialEq)]
pub struct CorrectionsView {
    pub entries: Vec<CorrectionRow>,
    pub total: i64,
    pub page: usize,
    pub pages: usize,
    pub newer: Option<String>,
    pub older: Option<String>,
    pub feed_href: String,
    pub json_href: String,
}

pub fn corrections_page(chrome: &Chrome, v: &CorrectionsView) -> String {
    let lang = chrome.lang;
    let entries = v
        .entries
        .iter()
        .map(|e| match e {
            CorrectionRow::Retraction(r) => {
                let RetractionRow {
                    when,
                    observation_href,
                    observation_id,
                    check_title,
                    check_href,
                    status,
                    source_kind,
                    observed,
                    reason,
                    reviewer,
                } = r.as_ref();
                let by = reviewer.clone().map(|name| {
                    view! { <p class="by">{lang.t_args("corrections-by", &[("name", name.into())])}</p> }
                });
                view! {
                    <li class="correction retracted-entry">
                        <p class="when">{time_view(when, false, true, lang)}" "
                            <span class="correction-kind">{lang.t("corrections-retraction")}</span></p>
                        <p>
                            <a href=observation_href.clone()>{lang.t_args("corrections-observation", &[("id", (*observation_id).into())])}</a>
                            " · "<a href=check_href.clone()>{check_title.clone()}</a>
                        </p>
                        <p>{lang.t("corrections-said")}" "<del class="retracted">{status_badge(status, lang)}</del>" "
                            {lang.t_args("corrections-said-when", &[("kind", source_kind.clone().into()), ("when", when_text(observed, false, true, lang).into())])}</p>
                        <p class="retraction"><strong>{lang.t("corrections-reason")}</strong>" "<span class="retraction-reason">{reason.clone()}</span></p>
                        {by}
                    </li>
                }
                .into_any()
            }
            CorrectionRow::MethodChange {
                when,
                pack,
                pack_href,
                from_version,
                to_version,
                checked,
                changed,
            } => {
                let from = from_version.map_or_else(|| "—".to_string(), |v| v.to_string());
                view! {
                    <li class="correction method-change">
                        <p class="when">{time_view(when, false, true, lang)}" "
                            <span class="correction-kind">{lang.t("corrections-method-change")}</span></p>
                        <p><a href=pack_href.clone()><code>{pack.clone()}</code></a>" "
                            {lang.t_args("corrections-rules", &[("from", from.into()), ("to", (*to_version).into())])}</p>
                        <p>{lang.t_args("corrections-rederived", &[("checked", (*checked).into()), ("changed", (*changed).into())])}</p>
                    </li>
                }
                .into_any()
            }
        })
        .collect_view();
    let empty = v
        .entries
        .is_empty()
        .then(|| view! { <p class="empty">{lang.t("corrections-empty")}</p> });
    let newer = v
        .newer
        .clone()
        .map(|h| view! { <a rel="prev" href=h>{lang.t("pager-newer")}</a> });
    let older = v
        .older
        .clone()
        .map(|h| view! { <a rel="next" href=h>{lang.t("pager-older")}</a> });
    let count = lang.t_args(
        "corrections-count",
        &[
            ("total", v.total.into()),
            ("page", v.page.into()),
            ("pages", v.pages.max(1).into()),
        ],
    );
    let body = view! {
        <h1>{lang.t("corrections-heading")}</h1>
        <p>{lang.t("corrections-intro")}</p>
        <p class="downloads">{lang.t("corrections-follow")}" "
            <a type="application/atom+xml" href=v.feed_href.clone()>"Atom"</a>" "
            <a type="application/json" href=v.json_href.clone()>"JSON"</a>
        </p>
        <p class="count">{count}</p>
        {empty}
        <ol class="corrections">{entries}</ol>
        <nav class="pager" aria-label=lang.t("corrections-pager-label")>{newer}" "{older}</nav>
    };
    render_document_with_feed(
        chrome,
        Some((lang.t("corrections-feed-title"), v.feed_href.clone())),
        body,
    )
}

/// The retraction form: the observation as it stands, and a reason.
#[derive(Debug, Clone, PartialEq)]
pub struct RetractView {
    pub observation_id: i64,
    pub check_title: String,
    pub check_href: String,
    /// When it was observed, as `when` text.
    pub when: String,
    pub approximate: bool,
    pub status: StatusView,
    pub citation: CitationView,
    pub csrf: String,
    pub action: String,
    /// The reason typed (kept after a refusal).
    pub reason: String,
    pub message: Option<String>,
    pub max_reason: usize,
    /// Whether the form is offered (not when the observation is retracted already).
    pub open: bool,
}

pub fn retract_page(chrome: &Chrome, v: &RetractView) -> String {
    let lang = chrome.lang;
    let message = v
        .message
        .clone()
        .map(|m| view! { <p class="alert" role="alert">{m}</p> });
    let form = v.open.then(|| {
        view! {
            <form method="post" action=v.action.clone() class="account-form">
                {csrf_field(&v.csrf)}
                <p>
                    <label for="reason">{lang.t("retract-reason")}</label><br/>
                    <textarea id="reason" name="reason" required rows="5"
                        maxlength=v.max_reason.to_string()>{textarea_text(&v.reason)}</textarea>
                </p>
                <p><button type="submit">{lang.t("retract-submit")}</button></p>
            </form>
        }
    });
    let body = view! {
        <p class="crumbs">
            <a href=v.check_href.clone()>{v.check_title.clone()}</a>" › "
            <a href=format!("/observations/{}?lang={}", v.observation_id, lang.code())>{lang.t_args("observation-crumb", &[("id", v.observation_id.into())])}</a>
        </p>
        <h1>{lang.t_args("retract-heading", &[("id", v.observation_id.into())])}</h1>
        <dl class="facts">
            <dt>{lang.t("observation-check")}</dt><dd><a href=v.check_href.clone()>{v.check_title.clone()}</a></dd>
            <dt>{lang.t("observation-observed")}</dt><dd>{time_view(&v.when, v.approximate, true, lang)}</dd>
            <dt>{lang.t("observation-status")}</dt><dd>{status_badge(&v.status, lang)}</dd>
            <dt>{lang.t("observation-source")}</dt><dd>{citation_view(&v.citation, lang)}</dd>
        </dl>
        <p>{lang.t("retract-intro")}</p>
        {message}
        {form}
    };
    crate::layout::render_document(chrome, body)
}
