//! A contributor's pages: finding the check they tested, the hand-test form (plain HTML,
//! multipart, no script), and their own submissions with where each stands.

use crate::components::textarea_text;
use crate::layout::render_document;
use crate::model::Chrome;
use crate::pages::account::csrf_field;
use leptos::prelude::*;

/// A check found by the search: its page on the form, its title and kind.
#[derive(Debug, Clone)]
pub struct CheckChoice {
    pub href: String,
    pub title: String,
    pub kind: String,
}

#[derive(Debug, Clone, Default)]
pub struct ContributeSearchView {
    pub q: String,
    pub results: Vec<CheckChoice>,
    /// Whether a search was made (no results then says so).
    pub searched: bool,
}

/// What the form holds: as typed, kept when it is sent back with errors.
#[derive(Debug, Clone, Default)]
pub struct SubmissionValues {
    pub observed_at: String,
    pub status: String,
    pub device: String,
    pub os: String,
    pub app: String,
    pub app_version: String,
    pub network: String,
    pub network_region: String,
    pub account_region: String,
    pub steps: String,
    pub seen: String,
}

#[derive(Debug, Clone, Default)]
pub struct SubmitView {
    pub csrf: String,
    pub action: String,
    pub check_title: String,
    /// The check's ladder: (status id, label).
    pub statuses: Vec<(String, String)>,
    pub values: SubmissionValues,
    /// What was wrong, each in the reader's words.
    pub errors: Vec<String>,
    /// Answering a reviewer's question: the thread and the answer (the form then corrects
    /// the sent-back submission; its screenshots are kept unless new ones are chosen).
    pub answer: Option<AnswerPart>,
}

/// What the form adds when a contributor answers a send-back.
#[derive(Debug, Clone, Default)]
pub struct AnswerPart {
    pub thread: Vec<crate::pages::review::ThreadItem>,
    pub answer: String,
    pub kept: Vec<crate::model::Screenshot>,
}

/// One of the contributor's own submissions.
#[derive(Debug, Clone)]
pub struct MySubmission {
    pub id: i64,
    pub check_title: String,
    pub observed: String,
    pub status: String,
    /// The state's id (for the style) and its words.
    pub state: String,
    pub state_label: String,
    /// A rejection's reason or a reviewer's question.
    pub note: Option<String>,
    pub submitted: String,
    /// Thumbnails: (address, alternative text).
    pub thumbnails: Vec<(String, String)>,
    /// The published observation, once approved.
    pub observation_href: Option<String>,
    /// Sent back: where to answer and correct it.
    pub answer_href: Option<String>,
}

pub fn contribute_search_page(chrome: &Chrome, v: &ContributeSearchView) -> String {
    let lang = chrome.lang;
    let results = v
        .results
        .iter()
        .map(|c| {
            view! {
                <li><a href=c.href.clone()>{c.title.clone()}</a>" "<span class="muted">{c.kind.clone()}</span></li>
            }
        })
        .collect::<Vec<_>>();
    let none = (v.searched && v.results.is_empty())
        .then(|| view! { <p>{lang.t("contribute-no-match")}</p> });
    let body = view! {
        <h1>{lang.t("contribute-heading")}</h1>
        <p>{lang.t("contribute-intro")}</p>
        <p><a href=format!("/contribute/mine?lang={}", lang.code())>{lang.t("contribute-mine-link")}</a></p>
        <form method="get" action="/contribute">
            <input type="hidden" name="lang" value=lang.code()/>
            <label for="q">{lang.t("contribute-search-label")}</label>" "
            <input id="q" name="q" type="search" maxlength="100" value=v.q.clone()/>" "
            <button type="submit">{lang.t("contribute-search-submit")}</button>
        </form>
        {none}
        <ul class="check-choices">{results}</ul>
    };
    render_document(chrome, body)
}

fn text_input(
    id: &'static str,
    label: String,
    value: &str,
    required: bool,
    max: usize,
) -> impl IntoView + use<> {
    view! {
        <p>
            <label for=id>{label}</label><br/>
            <input id=id name=id type="text" maxlength=max.to_string() required=required value=value.to_string()/>
        </p>
    }
}

pub fn submit_page(chrome: &Chrome, v: &SubmitView) -> String {
    let lang = chrome.lang;
    let errors = (!v.errors.is_empty()).then(|| {
        let items = v
            .errors
            .iter()
            .map(|e| view! { <li>{e.clone()}</li> })
            .collect::<Vec<_>>();
        view! { <div class="alert" role="alert"><p>{lang.t("contribute-errors")}</p><ul>{items}</ul></div> }
    });
    let statuses = v
        .statuses
        .iter()
        .map(|(id, label)| {
            view! { <option value=id.clone() selected=*id == v.values.status>{label.clone()}</option> }
        })
        .collect::<Vec<_>>();
    let x = &v.values;
    let answering = v.answer.is_some();
    let thread = v
        .answer
        .as_ref()
        .map(|a| crate::pages::review::thread_view(&a.thread, lang));
    let answer_field = v.answer.as_ref().map(|a| {
        view! {
            <p>
                <label for="answer">{lang.t("contribute-answer")}</label><br/>
                <textarea id="answer" name="answer" rows="4" cols="60" maxlength="5000" required>{textarea_text(&a.answer)}</textarea>
            </p>
        }
    });
    let kept = v.answer.as_ref().map(|a| {
        view! {
            <p>{lang.t("contribute-screenshots-kept")}</p>
            {crate::pages::review::screenshots_view(&a.kept)}
        }
    });
    let heading = if answering {
        lang.t_args(
            "contribute-answer-heading",
            &[("check", v.check_title.clone().into())],
        )
    } else {
        lang.t_args(
            "contribute-form-heading",
            &[("check", v.check_title.clone().into())],
        )
    };
    let body = view! {
        <h1>{heading}</h1>
        <p>{lang.t("contribute-form-intro")}</p>
        {thread}
        {errors}
        <form method="post" action=v.action.clone() enctype="multipart/form-data" class="account-form">
            {csrf_field(&v.csrf)}
            {answer_field}
            <p>
                <label for="observed_at">{lang.t("contribute-observed-at")}</label><br/>
                <input id="observed_at" name="observed_at" type="datetime-local" required value=x.observed_at.clone()/>
            </p>
            <p>
                <label for="status">{lang.t("contribute-status")}</label><br/>
                <select id="status" name="status" required>{statuses}</select>
            </p>
            <fieldset>
                <legend>{lang.t("contribute-vantage")}</legend>
                {text_input("device", lang.t("contribute-device"), &x.device, true, 200)}
                {text_input("os", lang.t("contribute-os"), &x.os, true, 200)}
                {text_input("app", lang.t("contribute-app"), &x.app, true, 200)}
                {text_input("app_version", lang.t("contribute-app-version"), &x.app_version, false, 200)}
                {text_input("network", lang.t("contribute-network"), &x.network, false, 200)}
                {text_input("network_region", lang.t("contribute-network-region"), &x.network_region, false, 200)}
                {text_input("account_region", lang.t("contribute-account-region"), &x.account_region, false, 200)}
            </fieldset>
            <p>
                <label for="steps">{lang.t("contribute-steps")}</label><br/>
                <textarea id="steps" name="steps" rows="5" cols="60" maxlength="5000" required>{textarea_text(&x.steps)}</textarea>
            </p>
            <p>
                <label for="seen">{lang.t("contribute-seen")}</label><br/>
                <textarea id="seen" name="seen" rows="5" cols="60" maxlength="5000" required>{textarea_text(&x.seen)}</textarea>
            </p>
            {kept}
            <p>
                <label for="screenshot">{lang.t("contribute-screenshots")}</label><br/>
                <input id="screenshot" name="screenshot" type="file" multiple required=!answering
                    accept="image/png,image/jpeg,image/webp"/>
            </p>
            <p><button type="submit">{if answering { lang.t("contribute-answer-submit") } else { lang.t("contribute-submit") }}</button></p>
        </form>
    };
    render_document(chrome, body)
}

pub fn my_submissions_page(
    chrome: &Chrome,
    items: &[MySubmission],
    notice: Option<String>,
) -> String {
    let lang = chrome.lang;
    let notice = notice.map(|n| view! { <p class="notice" role="status">{n}</p> });
    let rows = items
        .iter()
        .map(|s| {
            let thumbs = s
                .thumbnails
                .iter()
                .map(|(href, alt)| view! { <img src=href.clone() alt=alt.clone() loading="lazy" width="96"/> })
                .collect::<Vec<_>>();
            let note = s.note.clone().map(|n| view! { <p class="review-note">{n}</p> });
            let published = s.observation_href.clone().map(|h| {
                view! { <br/><a href=h>{lang.t("contribute-published-link")}</a> }
            });
            let answer = s.answer_href.clone().map(|h| {
                view! { <p><a class="button" href=h>{lang.t("contribute-answer-link")}</a></p> }
            });
            view! {
                <tr id=format!("submission-{}", s.id)>
                    <td>{s.id}</td>
                    <td>{s.check_title.clone()}</td>
                    <td>{s.observed.clone()}</td>
                    <td>{s.status.clone()}</td>
                    <td><span class=format!("state state-{}", s.state)>{s.state_label.clone()}</span>{note}{answer}{published}</td>
                    <td>{s.submitted.clone()}</td>
                    <td class="thumbs">{thumbs}</td>
                </tr>
            }
        })
        .collect::<Vec<_>>();
    let empty = items
        .is_empty()
        .then(|| view! { <p>{lang.t("contribute-mine-empty")}</p> });
    let body = view! {
        <h1>{lang.t("contribute-mine-heading")}</h1>
        {notice}
        <p><a href=format!("/contribute?lang={}", lang.code())>{lang.t("contribute-new-link")}</a></p>
        {empty}
        <div class="table-scroll">
        <table class="submissions">
            <thead><tr>
                <th>{lang.t("contribute-col-id")}</th>
                <th>{lang.t("contribute-col-check")}</th>
                <th>{lang.t("contribute-col-observed")}</th>
                <th>{lang.t("contribute-col-status")}</th>
                <th>{lang.t("contribute-col-state")}</th>
                <th>{lang.t("contribute-col-submitted")}</th>
                <th>{lang.t("contribute-col-screenshots")}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        </div>
    };
    render_document(chrome, body)
}
