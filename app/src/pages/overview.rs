use crate::charts::chart_figure;
use crate::components::{date_query, openness_view, requirement_view, timeline_entry_view};
use crate::layout::render_document;
use crate::model::{Chrome, OverviewView};
use leptos::prelude::*;

pub fn overview_page(chrome: &Chrome, data: &OverviewView) -> String {
    let query = date_query(chrome);
    let links = data.links.iter().map(openness_view).collect_view();
    let payments = data.payments.iter().map(openness_view).collect_view();
    let latest = data.latest.iter().map(timeline_entry_view).collect_view();
    let requirements = data
        .requirements
        .iter()
        .map(requirement_view)
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
                <strong>{format!("{overdue} requirement(s) past their deadline")}</strong>
                " with checks in scope that do not comply as of this date."
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
                <strong>"Probes are failing"</strong>
                <ul>{items}</ul>
                <a href="/probes">"See the probe packs and their runs"</a>
            </div>
        }
    });
    let body = view! {
        <h1>"Overview"</h1>
        {probe_alerts}
        <p class="lede">
            "How open China's platforms are to each other's links and payments, as of "
            <strong>{chrome.at.to_string()}</strong>
            {format!(": {} observations of {} checks, every one with its source.", data.observations, data.checks)}
        </p>
        {overdue_note}
        {crate::pages::deadline_highlights_view(chrome, &data.deadlines)}
        <section aria-labelledby="h-links">
            <h2 id="h-links">"Link sharing: then and now"</h2>
            <p>"Share of link checks (host app × target platform) in each status. "
                <a href=format!("/links{query}")>"See the links matrix"</a></p>
            <div class="pair">{links}</div>
        </section>
        <section aria-labelledby="h-pay">
            <h2 id="h-pay">"Payments: then and now"</h2>
            <p>"Cross-group pairs only: an app and a payment method from different ecosystems (e.g. an Alibaba app and WeChat Pay). "
                <a href=format!("/payments{query}")>"See the payments matrix"</a></p>
            <div class="pair">{payments}</div>
        </section>
        {charts}
        <section aria-labelledby="h-req">
            <h2 id="h-req">"Requirements and deadlines"</h2>
            {requirements}
        </section>
        <section aria-labelledby="h-latest">
            <h2 id="h-latest">"Latest changes"</h2>
            <ol class="timeline">{latest}</ol>
            <p><a href=format!("/timeline{query}")>"The whole timeline"</a></p>
        </section>
    };
    render_document(chrome, body)
}
