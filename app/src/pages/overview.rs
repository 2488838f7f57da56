use crate::charts::chart_figure;
use crate::components::{date_query, openness_view, requirement_view, timeline_entry_view};
use crate::layout::render_document;
use crate::model::{Chrome, OverviewView};
use leptos::prelude::*;

pub fn overview_page(chrome: &Chrome, data: &OverviewView) -> String {
    let lang = chrome.lang;
    let query = date_query(chrome);
    let links = data
        .links
        .iter()
        .map(|x| openness_view(x, lang))
        .collect_view();
    let payments = data
        .payments
        .iter()
        .map(|x| openness_view(x, lang))
        .collect_view();
    let latest = data
        .latest
        .iter()
        .map(|x| timeline_entry_view(x, lang))
        .collect_view();
    let requirements = data
        .requirements
        .iter()
        .map(|x| requirement_view(x, lang))
        .collect_view();
    let charts = (!data.charts.is_empty()).then(|| {
        let figures = data
            .charts
            .iter()
            .map(|c| chart_figure(chrome.lang, c))
            .collect_view();
        view! {
            <section aria-labelledby="h-over-time">
                <h2 id="h-over-time">{chrome.lang.t("charts-overview-heading")}</h2>
                {figures}
            </section>
        }
    });
    let overdue = data.requirements.iter().filter(|r| r.overdue).count();
    let overdue_note = (overdue > 0).then(|| {
        view! {
            <p class="alert">
                <strong>{lang.t_args("overview-overdue", &[("count", overdue.into())])}</strong>
                {lang.t("overview-overdue-rest")}
            </p>
        }
    });
    let probe_alerts = (!data.probe_alerts.is_empty()).then(|| {
        let items = data
            .probe_alerts
            .iter()
            .map(|a| view! { <li>{a.clone()}</li> })
            .collect_view();
        view! {
            <div class="alert probe-alert" role="alert">
                <strong>{lang.t("overview-probes-failing")}</strong>
                <ul>{items}</ul>
                <a href=format!("/probes{query}")>{lang.t("overview-probes-link")}</a>
            </div>
        }
    });
    let silent_vantages = (!data.silent_vantages.is_empty()).then(|| {
        let items = data
            .silent_vantages
            .iter()
            .map(|a| view! { <li>{a.clone()}</li> })
            .collect_view();
        view! {
            <div class="alert vantage-alert" role="alert">
                <strong>{lang.t("overview-vantages-silent")}</strong>
                <ul>{items}</ul>
                <a href=format!("/probes{query}#h-vantages")>{lang.t("overview-vantages-link")}</a>
            </div>
        }
    });
    // "Then": the earlier of the two snapshots shown (the first when there are two).
    let then = (data.links.len() > 1)
        .then(|| data.links.first().map(|o| o.date))
        .flatten();
    let then_value = then.map(|d| d.to_string()).unwrap_or_default();
    let then_max = chrome.at.pred_opt().unwrap_or(chrome.at).to_string();
    let compare_link = then.map(|d| {
        view! { " "<a class="compare-link" href=format!("/compare?from={d}&to={}&lang={}", chrome.at, lang.code())>{lang.t("overview-compare-link")}</a> }
    });
    let then_form = view! {
        <form class="filters then" method="get" action="/">
            <input type="hidden" name="at" value=chrome.at.to_string()/>
            <input type="hidden" name="lang" value=lang.code()/>
            <label>{lang.t("overview-then-label")}" "<input type="date" name="then" value=then_value min=crate::model::EARLIEST_DAY.to_string() max=then_max/></label>
            <button type="submit">{lang.t("overview-then-submit")}</button>
            {compare_link}
        </form>
    };
    let body = view! {
        <h1>{lang.t("nav-overview")}</h1>
        {probe_alerts}
        {silent_vantages}
        <p class="lede">
            {lang.t("overview-lede-start")}
            <strong><time datetime=chrome.at.to_string()>{lang.date(chrome.at)}</time></strong>
            {lang.t_args(
                "overview-lede-end",
                &[("observations", data.observations.into()), ("checks", data.checks.into())],
            )}
        </p>
        {overdue_note}
        {crate::pages::deadline_highlights_view(chrome, &data.deadlines)}
        {then_form}
        <section aria-labelledby="h-links">
            <h2 id="h-links">{lang.t("overview-links-heading")}</h2>
            <p>{lang.t("overview-links-text")}" "
                <a href=format!("/links{query}")>{lang.t("overview-links-more")}</a></p>
            <div class="pair">{links}</div>
        </section>
        <section aria-labelledby="h-pay">
            <h2 id="h-pay">{lang.t("overview-pay-heading")}</h2>
            <p>{lang.t("overview-pay-text")}" "
                <a href=format!("/payments{query}")>{lang.t("overview-pay-more")}</a></p>
            <div class="pair">{payments}</div>
        </section>
        {charts}
        <section aria-labelledby="h-req">
            <h2 id="h-req">{lang.t("overview-req-heading")}</h2>
            {requirements}
        </section>
        <section aria-labelledby="h-latest">
            <h2 id="h-latest">{lang.t("overview-latest-heading")}</h2>
            <ol class="timeline">{latest}</ol>
            <p><a href=format!("/timeline{query}")>{lang.t("overview-timeline-link")}</a></p>
        </section>
    };
    render_document(chrome, body)
}
