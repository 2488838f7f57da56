use crate::components::{cell_view, date_query, header_view, name_view};
use crate::layout::render_document;
use crate::model::{Chrome, PlatformListItem, PlatformView};
use leptos::prelude::*;

pub fn platform_page(chrome: &Chrome, p: &PlatformView) -> String {
    let rows = p
        .checks
        .iter()
        .map(|s| {
            view! {
                <tr>
                    <td>{s.kind_name.en.clone()}</td>
                    <td>{s.role.clone()}</td>
                    <td>{header_view(&s.other)}</td>
                    <td>{cell_view(&s.cell)}</td>
                </tr>
            }
        })
        .collect_view();
    let domains = if p.domains.is_empty() {
        "none listed".to_string()
    } else {
        p.domains.join(", ")
    };
    let ecosystem = p
        .ecosystem
        .as_ref()
        .map(|e| view! { <dt>"Ecosystem"</dt><dd>{name_view(e)}</dd> });
    let banner = p.simulated.then(simulated_banner);
    let body = view! {
        <p class="crumbs"><a href=format!("/platforms{}", date_query(chrome))>"Platforms"</a>" › "{p.slug.clone()}</p>
        {banner}
        <h1>{name_view(&p.name)}</h1>
        <dl class="facts">
            <dt>"Operator"</dt><dd>{name_view(&p.group)}</dd>
            {ecosystem}
            <dt>"Kind"</dt><dd>{p.kind.replace('_', " ")}</dd>
            <dt>"Domains"</dt><dd>{domains}</dd>
        </dl>
        <h2>{format!("Its checks as of {}", chrome.at)}</h2>
        <table class="checks">
            <thead><tr><th scope="col">"Kind"</th><th scope="col">"Role"</th><th scope="col">"Other side"</th><th scope="col">"State"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    };
    render_document(chrome, body)
}

/// Said wherever a simulated platform appears on its own.
fn simulated_banner() -> impl IntoView + use<> {
    view! {
        <p class="simulated-banner" role="note">
            <span class="source-kind sk-simulated">"SIMULATED"</span>
            " Simulated platform (demo) — not real data. It exists only in Hutong's built-in "
            "simulator and is never counted in any real figure."
        </p>
    }
}

pub fn platform_list_page(chrome: &Chrome, items: &[PlatformListItem]) -> String {
    let query = date_query(chrome);
    let rows = items
        .iter()
        .filter(|p| !p.simulated)
        .map(|p| {
            view! {
                <tr>
                    <td><a href=format!("/platforms/{}{query}", p.slug)>{name_view(&p.name)}</a></td>
                    <td>{name_view(&p.group)}</td>
                    <td>{p.kind.replace('_', " ")}</td>
                    <td class="num">{p.checks}</td>
                </tr>
            }
        })
        .collect_view();
    let simulated: Vec<_> = items.iter().filter(|p| p.simulated).collect();
    let simulated = (!simulated.is_empty()).then(|| {
        let list = simulated
            .iter()
            .map(|p| view! { <li><a href=format!("/platforms/{}{query}", p.slug)>{name_view(&p.name)}</a></li> })
            .collect_view();
        view! {
            <section class="simulated-section" aria-labelledby="h-simulated">
                <h2 id="h-simulated">
                    <span class="source-kind sk-simulated">"SIMULATED"</span>
                    " Simulated platforms (demo) — not real data"
                </h2>
                <ul>{list}</ul>
            </section>
        }
    });
    let body = view! {
        <h1>"Platforms"</h1>
        <table class="checks">
            <thead><tr><th scope="col">"Platform"</th><th scope="col">"Operator"</th><th scope="col">"Kind"</th><th scope="col">"Checks"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {simulated}
    };
    render_document(chrome, body)
}
