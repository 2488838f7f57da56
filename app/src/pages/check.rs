use crate::charts::chart_figure;
use crate::components::{
    cell_view, citation_view, date_query, header_view, opinion_view, retraction_note, status_badge,
    struck_status, time_view, timeline_entry_view, words_view,
};
use crate::i18n::Lang;
use crate::layout::render_document;
use crate::model::{CheckView, Chrome, ProbeNote};
use leptos::prelude::*;

pub fn check_page(chrome: &Chrome, c: &CheckView) -> String {
    let lang = chrome.lang;
    let current = c
        .current
        .iter()
        .map(|o| view! { <li>{opinion_view(o, lang)}</li> })
        .collect_view();
    let superseded = (!c.superseded.is_empty()).then(|| {
        let items = c
            .superseded
            .iter()
            .map(|o| view! { <li>{opinion_view(o, lang)}</li> })
            .collect_view();
        view! {
            <h3>{lang.t("check-superseded-heading")}</h3>
            <p>{lang.t("check-superseded-intro")}</p>
            <ul class="opinions superseded">{items}</ul>
        }
    });
    let disputed = (!c.cell.disagreeing.is_empty()).then(|| {
        view! {
            <p class="alert">
                <strong>{lang.t("check-disagree")}</strong>
                {lang.t("check-disagree-rest")}
            </p>
        }
    });
    let rows = c
        .history
        .iter()
        .map(|h| {
            let mut class = String::from("obs");
            if h.transition_from.is_some() {
                class.push_str(" transition");
            }
            if h.after_at {
                class.push_str(" after");
            }
            if h.retraction.is_some() {
                class.push_str(" retracted");
            }
            let change = match &h.transition_from {
                Some(Some(from)) => {
                    view! { <span class="change">{lang.t("check-changed-from")}{status_badge(from, lang)}</span> }
                        .into_any()
                }
                Some(None) => {
                    view! { <span class="change">{lang.t("check-first-by-source")}</span> }
                        .into_any()
                }
                None if h.retraction.is_some() => ().into_any(),
                None => view! { <span class="change same">{lang.t("check-no-change")}</span> }
                    .into_any(),
            };
            let retraction = h.retraction.as_ref().map(|r| retraction_note(r, lang));
            let when = time_view(&h.when, h.approximate, true, lang);
            let words = words_view(h.quote.as_deref(), h.note.as_deref());
            let after = h
                .after_at
                .then(|| view! { <span class="after-note">{lang.t("check-after-date")}</span> });
            let evidence = h.observation_href.clone().map(|href| {
                view! { <br/><a class="evidence-link" href=href>{lang.t("check-evidence")}</a> }
            });
            let probe = h.probe.as_ref().map(|x| probe_note_view(x, lang));
            view! {
                <tr class=class>
                    <td>{when}{after}{evidence}</td>
                    <td>{struck_status(&h.status, h.retraction.is_some(), lang)}<br/>{change}{probe}{retraction}</td>
                    <td>{citation_view(&h.citation, lang)}{words}</td>
                </tr>
            }
        })
        .collect_view();
    let ladder = c
        .ladder
        .iter()
        .map(|x| status_badge(x, lang))
        .collect_view();
    let newer = c
        .newer
        .clone()
        .map(|h| view! { <a rel="prev" href=h>{lang.t("pager-newer")}</a> });
    let older = c
        .older
        .clone()
        .map(|h| view! { <a rel="next" href=h>{lang.t("pager-older")}</a> });
    let count = lang.t_args(
        "check-count",
        &[
            ("total", c.total.into()),
            ("page", c.page.into()),
            ("pages", c.pages.max(1).into()),
        ],
    );
    let sides = lang.t_args(
        "check-lede-sides",
        &[
            ("subject_label", c.subject_label.get(lang).into()),
            ("subject", c.subject.name.get(lang).into()),
            ("object_label", c.object_label.get(lang).into()),
            ("object", c.object.name.get(lang).into()),
        ],
    );
    let chart = c.chart.as_ref().map(|chart| {
        view! {
            <section aria-labelledby="h-steps">
                <h2 id="h-steps">{chrome.lang.t("charts-steps-heading")}</h2>
                {chart_figure(chrome.lang, chart)}
            </section>
        }
    });
    let requirements = c
        .links
        .requirements
        .iter()
        .map(|(title, href)| view! { <li><a href=href.clone()>{title.clone()}</a></li> })
        .collect_view();
    let related = view! {
        <section class="check-links" aria-labelledby="h-check-links">
            <h2 id="h-check-links">{lang.t("check-links-heading")}</h2>
            <ul>
                {requirements}
                <li><a class="check-timeline" href=c.links.timeline.clone()>{lang.t("check-links-timeline")}</a></li>
                <li>{lang.t("check-links-download")}" "
                    <a type="text/csv" href=c.links.csv.clone()>"CSV"</a>" "
                    <a type="application/json" href=c.links.json.clone()>"JSON"</a>
                </li>
            </ul>
        </section>
    };
    let milestones = (!c.milestones.is_empty()).then(|| {
        let items = c
            .milestones
            .iter()
            .map(|m| timeline_entry_view(m, lang))
            .collect_view();
        view! {
            <section aria-labelledby="h-milestones" class="check-milestones">
                <h2 id="h-milestones">{lang.t("check-milestones-heading")}</h2>
                <p>{lang.t("check-milestones-intro")}</p>
                <ol class="timeline">{items}</ol>
            </section>
        }
    });
    let body = view! {
        <p class="crumbs"><a href=format!("/{}", date_query(chrome))>{lang.t("nav-overview")}</a>" › "{c.kind_name.get(lang).to_string()}</p>
        <h1>
            {header_view(&c.subject, lang)}" × "{header_view(&c.object, lang)}
        </h1>
        {c.simulated.then(|| view! { <p class="simulated-banner">{lang.t("check-simulated-banner")}</p> })}
        <p class="lede">
            {lang.t_args("check-lede", &[("kind", c.kind_name.get(lang).into())])}" "
            <code>{c.id.clone()}</code>{if lang == Lang::En { ": " } else { "：" }}
            {sides}
        </p>
        <section aria-labelledby="h-now">
            <h2 id="h-now">{lang.t_args("check-state-heading", &[("date", lang.date(chrome.at).into())])}</h2>
            {cell_view(&c.cell, lang)}
            {disputed}
            <h3>{lang.t("check-latest-words")}</h3>
            <ul class="opinions">{current}</ul>
            {superseded}
        </section>
        {chart}
        {milestones}
        <section aria-labelledby="h-history">
            <h2 id="h-history">{lang.t("check-history-heading")}</h2>
            <p>{lang.t("check-history-intro")}</p>
            <p class="count">{count}</p>
            <table class="history">
                <thead><tr><th scope="col">{lang.t("check-col-observed")}</th><th scope="col">{lang.t("check-col-status")}</th><th scope="col">{lang.t("check-col-source")}</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
            <nav class="pager" aria-label=lang.t("check-pager-label")>{newer}" "{older}</nav>
            <p class="ladder">{lang.t("check-ladder")}{ladder}</p>
        </section>
        {related}
    };
    render_document(chrome, body)
}

/// A probe verdict's details in a few words: failure class, anomaly, the rule that matched.
fn probe_note_view(p: &ProbeNote, lang: Lang) -> impl IntoView + use<> {
    let failure = p.failure.clone().map(|f| {
        view! { " "<span class="probe-flag failure" title=lang.t("probe-failed-title")>{lang.t_args("probe-failed", &[("class", f.into())])}</span> }
    });
    let anomaly = p.anomaly.then(|| {
        view! { " "<span class="probe-flag anomaly" title=lang.t("probe-anomaly-title")>{lang.t("probe-anomaly")}</span> }
    });
    let rule = p.rule.clone().map(
        |r| view! { " "<span class="probe-flag rule">{lang.t("probe-rule")}<code>{r}</code></span> },
    );
    let superseded = p.superseded.then(|| {
        view! { " "<span class="probe-flag superseded" title=lang.t("probe-superseded-title")>{lang.t("probe-superseded")}</span> }
    });
    view! { <span class="probe-note">{failure}{anomaly}{rule}{superseded}</span> }
}
