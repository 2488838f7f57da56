use crate::components::{
    retraction_note, source_kind_word, struck_status, time_view, timeline_entry_view, words_view,
};
use crate::layout::render_document;
use crate::model::{Chrome, SourceView};
use leptos::prelude::*;

/// A cited source: what it is, where to read it, and every fact Hutong takes from it.
/// Its title and words are the source's own, never translated.
pub fn source_page(chrome: &Chrome, s: &SourceView) -> String {
    let lang = chrome.lang;
    let facts = s
        .facts
        .iter()
        .map(|f| {
            let when = time_view(&f.when, f.approximate, true, lang);
            let words = words_view(f.quote.as_deref(), f.note.as_deref());
            let retraction = f.retraction.as_ref().map(|r| retraction_note(r, lang));
            let class = f.retraction.is_some().then_some("retracted");
            view! {
                <tr class=class>
                    <td>{when}</td>
                    <td><a href=f.check_href.clone()>{f.check_title.clone()}</a></td>
                    <td>{struck_status(&f.status, f.retraction.is_some(), lang)}{retraction}</td>
                    <td>{words}</td>
                </tr>
            }
        })
        .collect_view();
    let milestones = s
        .milestones
        .iter()
        .map(|x| timeline_entry_view(x, lang))
        .collect_view();
    let original = match &s.url {
        Some(url) => {
            view! { <a href=url.clone() rel="noopener noreferrer">{url.clone()}</a> }.into_any()
        }
        None => view! { <span>{lang.t("source-no-address")}</span> }.into_any(),
    };
    let title_en = s
        .title_en
        .clone()
        .map(|t| view! { <dt>{lang.t("source-title-en")}</dt><dd lang="en">{t}</dd> });
    let title_zh = s
        .title_zh
        .clone()
        .map(|t| view! { <p lang="zh-CN" class="title-zh"><span class="label">{lang.t("source-title-zh")}{lang.colon()}</span>{t}</p> });
    let date = match s.date {
        Some(d) => view! { <time datetime=d.to_string()>{lang.date(d)}</time> }.into_any(),
        None => view! { <span>{lang.t("source-date-unknown")}</span> }.into_any(),
    };
    let body = view! {
        <p class="crumbs"><a href=format!("/sources?lang={}", lang.code())>{lang.t("sources-heading")}</a>" › "{lang.t("source-crumb")}</p>
        <h1 lang=s.language.clone()>{s.title.clone()}</h1>
        {title_zh}
        <dl class="facts">
            <dt>{lang.t("source-publisher")}</dt><dd>{s.publisher.clone()}</dd>
            {title_en}
            <dt>{lang.t("source-published")}</dt><dd>{date}</dd>
            <dt>{lang.t("source-kind")}</dt><dd>{source_kind_word(&s.kind, lang)}</dd>
            <dt>{lang.t("source-language")}</dt>
            <dd>{lang.t_args(
                "source-language-value",
                &[
                    ("language", lang.t_or(&format!("language-name-{}", s.language.to_lowercase()), &s.language).into()),
                    ("region", lang.t_or(&format!("region-name-{}", s.region.to_lowercase()), &s.region).into()),
                ],
            )}</dd>
            <dt>{lang.t("source-original")}</dt><dd>{original}</dd>
        </dl>
        <h2>{lang.t_args("source-facts-heading", &[("count", s.facts.len().into())])}</h2>
        <table class="history">
            <thead><tr>
                <th scope="col">{lang.t("source-col-when")}</th>
                <th scope="col">{lang.t("source-col-check")}</th>
                <th scope="col">{lang.t("source-col-status")}</th>
                <th scope="col">{lang.t("source-col-words")}</th>
            </tr></thead>
            <tbody>{facts}</tbody>
        </table>
        <h2>{lang.t("source-milestones-heading")}</h2>
        <ol class="timeline">{milestones}</ol>
    };
    render_document(chrome, body)
}
