use crate::charts::chart_figure;
use crate::components::{
    cell_view, citation_view, date_query, header_view, opinion_view, retraction_note, status_badge,
    struck_status, time_view, timeline_entry_view, words_view,
};
use crate::i18n::Lang;
use crate::layout::render_document;
use crate::model::{CheckView, Chrome, ProbeNote, VantageSection};
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
        {vantages_view(c, lang)}
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

/// A section per vantage point (probe source) that has spoken on the check: what the
/// point stands for, its latest verdict (stale said so), its changes and its window.
fn vantages_view(c: &CheckView, lang: Lang) -> impl IntoView + use<> {
    (!c.vantages.is_empty()).then(|| {
        let sections = c
            .vantages
            .iter()
            .map(|v| vantage_view(v, c.window_days, lang))
            .collect_view();
        view! {
            <section aria-labelledby="h-vantages" class="vantages">
                <h2 id="h-vantages">{lang.t("check-vantages-heading")}</h2>
                <p>{lang.t("check-vantages-intro")}</p>
                {sections}
            </section>
        }
    })
}

fn vantage_view(v: &VantageSection, window_days: i64, lang: Lang) -> impl IntoView + use<> {
    let id = format!("vantage-{}-{}", v.vantage, v.pack);
    let facts = [
        ("check-vantage-network", &v.network),
        ("check-vantage-region", &v.region),
        ("check-vantage-account-region", &v.account_region),
        ("check-vantage-device", &v.device),
    ]
    .into_iter()
    .filter_map(|(key, value)| {
        value
            .clone()
            .map(|value| view! { <li>{lang.t_args(key, &[("value", value.into())])}</li> })
    })
    .collect_view();
    let description = match &v.description {
        Some(d) => view! { <p class="vantage-description">{d.clone()}</p> }.into_any(),
        None => {
            view! { <p class="vantage-description none">{lang.t("check-vantage-unregistered")}</p> }
                .into_any()
        }
    };
    let simulated = v
        .simulated
        .then(|| view! { <p class="simulated-banner">{lang.t("check-vantage-simulated")}</p> });
    let latest = match &v.latest {
        Some(o) => {
            let stale = v.stale.then(|| {
                let days = v.age_days.unwrap_or_default();
                view! { " "<span class="stale-note">{lang.t_args("cell-stale", &[("days", days.into())])}</span> }
            });
            let class = if v.stale {
                "vantage-latest stale"
            } else {
                "vantage-latest"
            };
            view! {
                <p class=class>
                    {lang.t("check-vantage-latest")}{status_badge(&o.status, lang)}" "
                    {time_view(&o.when, o.approximate, true, lang)}{stale}
                </p>
            }
            .into_any()
        }
        None => view! { <p class="vantage-latest none">{lang.t("check-vantage-latest-none")}</p> }
            .into_any(),
    };
    let changes = if v.changes.is_empty() {
        view! { <p>{lang.t("check-vantage-no-changes")}</p> }.into_any()
    } else {
        let items = v
            .changes
            .iter()
            .map(|ch| {
                let from = match &ch.from {
                    Some(from) => view! { {status_badge(from, lang)}" → " }.into_any(),
                    None => view! { <span class="change">{lang.t("check-vantage-change-first")}</span>": " }
                        .into_any(),
                };
                view! { <li>{time_view(&ch.when, ch.approximate, false, lang)}" "{from}{status_badge(&ch.to, lang)}</li> }
            })
            .collect_view();
        let more = (v.more_changes > 0).then(|| {
            view! { <p class="more">{lang.t_args("check-vantage-more-changes", &[("count", v.more_changes.into())])}</p> }
        });
        view! { <ol class="vantage-changes">{items}</ol>{more} }.into_any()
    };
    let w = &v.window;
    let (from, to) = (lang.date(w.from), lang.date(w.to));
    let window = if w.verdicts == 0 {
        view! {
            <p class="window empty">{lang.t_args("check-vantage-window-empty", &[("from", from.into()), ("to", to.into())])}</p>
        }
        .into_any()
    } else {
        let shares = w
            .shares
            .iter()
            .map(|(status, share)| {
                let percent = format!("{:.0}", share * 100.0);
                let text = lang.t_args(
                    "check-vantage-share",
                    &[
                        ("status", status.label.get(lang).to_string().into()),
                        ("percent", percent.into()),
                    ],
                );
                view! { <li class=format!("share st-{}", status.id)>{text}</li> }
            })
            .collect_view();
        view! {
            <p class="window">{lang.t_args("check-vantage-window", &[
                ("verdicts", w.verdicts.into()),
                ("from", from.into()),
                ("to", to.into()),
            ])}</p>
            <ul class="window-shares">{shares}</ul>
        }
        .into_any()
    };
    view! {
        <section class="vantage" id=id.clone() aria-labelledby=format!("h-{id}")>
            <h3 id=format!("h-{id}")>{lang.t_args("check-vantage-heading", &[("vantage", v.vantage.clone().into())])}</h3>
            {simulated}
            {description}
            <ul class="vantage-facts">
                <li>{lang.t_args("check-vantage-pack", &[("pack", v.pack.clone().into())])}</li>
                {facts}
            </ul>
            {latest}
            <h4>{lang.t("check-vantage-changes-heading")}</h4>
            {changes}
            <h4>{lang.t_args("check-vantage-window-heading", &[("days", window_days.into())])}</h4>
            {window}
        </section>
    }
}
