use crate::components::source_kind_word;
use crate::layout::render_document;
use crate::model::{Chrome, SourceListItem};
use leptos::prelude::*;

/// Every cited source: publisher, headline as published (never translated, its English
/// rendering beside it), date, kind and address, or that no address is known.
pub fn sources_page(chrome: &Chrome, sources: &[SourceListItem]) -> String {
    let lang = chrome.lang;
    let rows = sources
        .iter()
        .map(|s| {
            let date = match s.date {
                Some(d) => view! { <time datetime=d.to_string()>{lang.date(d)}</time> }.into_any(),
                None => view! { <span>{lang.t("source-date-unknown")}</span> }.into_any(),
            };
            let title_en = s
                .title_en
                .clone()
                .map(|t| view! { <br/><span lang="en" class="title-en">{t}</span> });
            let title_zh = s
                .title_zh
                .clone()
                .map(|t| view! { <br/><span lang="zh-CN" class="title-zh">{t}</span> });
            let address = match &s.url {
                Some(url) => view! { <a href=url.clone() rel="noopener noreferrer">{url.clone()}</a> }
                    .into_any(),
                None => view! { <span class="no-address">{lang.t("sources-no-address")}</span> }
                    .into_any(),
            };
            view! {
                <tr>
                    <td>{s.publisher.clone()}</td>
                    <td><a lang=s.language.clone() href=s.href.clone()>{s.title.clone()}</a>{title_en}{title_zh}</td>
                    <td>{date}</td>
                    <td>{source_kind_word(&s.kind, lang)}</td>
                    <td>{address}</td>
                </tr>
            }
        })
        .collect_view();
    let body = view! {
        <h1>{lang.t("sources-heading")}</h1>
        <p class="lede">{lang.t("sources-lede")}</p>
        <p class="dataset">
            {lang.t("dataset-lede")}" "
            <a class="dataset-link" href="/dataset.zip" type="application/zip" download="">
                {lang.t("dataset-link")}
            </a>
        </p>
        <table class="history sources">
            <thead><tr>
                <th scope="col">{lang.t("source-publisher")}</th>
                <th scope="col">{lang.t("sources-col-title")}</th>
                <th scope="col">{lang.t("source-published")}</th>
                <th scope="col">{lang.t("source-kind")}</th>
                <th scope="col">{lang.t("source-original")}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    };
    render_document(chrome, body)
}
