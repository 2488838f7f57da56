use crate::components::{cell_view, date_query, header_view, name_view};
use crate::i18n::Lang;
use crate::layout::render_document;
use crate::model::{Chrome, PlatformListItem, PlatformView};
use leptos::prelude::*;

use crate::components::platform_kind_words as kind_words;

pub fn platform_page(chrome: &Chrome, p: &PlatformView) -> String {
    let lang = chrome.lang;
    let rows = p
        .checks
        .iter()
        .map(|s| {
            view! {
                <tr>
                    <td>{s.kind_name.get(lang).to_string()}</td>
                    <td>{s.role.clone()}</td>
                    <td>{header_view(&s.other, lang)}</td>
                    <td>{cell_view(&s.cell, lang)}</td>
                </tr>
            }
        })
        .collect_view();
    let domains = if p.domains.is_empty() {
        lang.t("platform-domains-none")
    } else {
        p.domains.join(", ")
    };
    let ecosystem = p
        .ecosystem
        .as_ref()
        .map(|e| view! { <dt>{lang.t("platform-ecosystem")}</dt><dd>{name_view(e, lang)}</dd> });
    let banner = p.simulated.then(|| simulated_banner(lang));
    let body = view! {
        <p class="crumbs"><a href=format!("/platforms{}", date_query(chrome))>{lang.t("platform-crumb")}</a>" › "{p.slug.clone()}</p>
        {banner}
        <h1>{name_view(&p.name, lang)}</h1>
        <dl class="facts">
            <dt>{lang.t("platform-operator")}</dt><dd>{name_view(&p.group, lang)}</dd>
            {ecosystem}
            <dt>{lang.t("platform-kind")}</dt><dd>{kind_words(lang, &p.kind)}</dd>
            <dt>{lang.t("platform-domains")}</dt><dd>{domains}</dd>
        </dl>
        <h2>{lang.t_args("platform-checks-heading", &[("date", lang.date(chrome.at).into())])}</h2>
        <table class="checks">
            <thead><tr>
                <th scope="col">{lang.t("platform-col-kind")}</th>
                <th scope="col">{lang.t("platform-col-role")}</th>
                <th scope="col">{lang.t("platform-col-other")}</th>
                <th scope="col">{lang.t("platform-col-state")}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
    };
    render_document(chrome, body)
}

/// Said wherever a simulated platform appears on its own.
fn simulated_banner(lang: Lang) -> impl IntoView + use<> {
    view! {
        <p class="simulated-banner" role="note">
            <span class="source-kind sk-simulated">{lang.t("simulated-mark")}</span>
            " "{lang.t("platform-simulated-banner")}
        </p>
    }
}

pub fn platform_list_page(chrome: &Chrome, items: &[PlatformListItem]) -> String {
    let lang = chrome.lang;
    let query = date_query(chrome);
    let rows = items
        .iter()
        .filter(|p| !p.simulated)
        .map(|p| {
            view! {
                <tr>
                    <td><a href=format!("/platforms/{}{query}", p.slug)>{name_view(&p.name, lang)}</a></td>
                    <td>{name_view(&p.group, lang)}</td>
                    <td>{kind_words(lang, &p.kind)}</td>
                    <td class="num">{p.checks}</td>
                </tr>
            }
        })
        .collect_view();
    let simulated: Vec<_> = items.iter().filter(|p| p.simulated).collect();
    let simulated = (!simulated.is_empty()).then(|| {
        let list = simulated
            .iter()
            .map(|p| view! { <li><a href=format!("/platforms/{}{query}", p.slug)>{name_view(&p.name, lang)}</a></li> })
            .collect_view();
        view! {
            <section class="simulated-section" aria-labelledby="h-simulated">
                <h2 id="h-simulated">
                    <span class="source-kind sk-simulated">{lang.t("simulated-mark")}</span>
                    " "{lang.t("matrix-simulated-heading")}
                </h2>
                <ul>{list}</ul>
            </section>
        }
    });
    let body = view! {
        <h1>{lang.t("platforms-heading")}</h1>
        <table class="checks">
            <thead><tr>
                <th scope="col">{lang.t("platforms-col-platform")}</th>
                <th scope="col">{lang.t("platforms-col-operator")}</th>
                <th scope="col">{lang.t("platforms-col-kind")}</th>
                <th scope="col">{lang.t("platforms-col-checks")}</th>
            </tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {simulated}
    };
    render_document(chrome, body)
}
