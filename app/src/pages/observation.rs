use crate::components::date_query;
use crate::components::{citation_view, retraction_note, struck_status, time_view, words_view};
use crate::i18n::Lang;
use crate::layout::render_document;
use crate::model::{Chrome, EvidenceView, ObservationView};
use leptos::prelude::*;

/// Text or a dash: evidence fields may be missing.
fn or_dash(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "—".into())
}

/// One observation and its evidence. Every evidence value is scraped text and is shown as
/// text only: URLs are never made into links.
pub fn observation_page(chrome: &Chrome, o: &ObservationView) -> String {
    let lang = chrome.lang;
    let query = date_query(chrome);
    let simulated = o.simulated.then(|| {
        view! {
            <p class="simulated-banner" role="note">
                <span class="source-kind sk-simulated">{lang.t("simulated-mark")}</span>
                " "{lang.t("observation-simulated")}
            </p>
        }
    });
    let probe = o.pack_id.clone().map(|pack| {
        let version = o
            .rule_version
            .map_or_else(|| lang.t("observation-version-unknown"), |v| v.to_string());
        view! {
            <dt>{lang.t("observation-pack")}</dt>
            <dd><code>{pack}</code>{lang.t_args("observation-rule-version", &[("version", version.into())])}</dd>
        }
    });
    // A failure is no verdict on the page at all (its own line says why): never called an
    // anomaly, which would claim that no rule matched when one may have.
    let verdict = o.confirmed.filter(|_| o.failure.is_none()).map(|c| {
        let words = if c {
            lang.t("observation-confirmed")
        } else {
            lang.t("observation-anomaly")
        };
        let class = if c { "confirmed" } else { "anomaly" };
        view! { <dt>{lang.t("observation-verdict")}</dt><dd class=class>{words}</dd> }
    });
    let failure = o.failure.clone().map(|(class, words)| {
        let colon = if lang == Lang::En { ": " } else { "：" };
        view! { <dt>{lang.t("observation-failure")}</dt><dd class="failure"><code>{class}</code>{colon}{words}</dd> }
    });
    let observation_link = |id: i64| {
        view! {
            <a href=format!("/observations/{id}{query}")>
                {lang.t_args("observation-link", &[("id", id.into())])}
            </a>
        }
    };
    let superseded = o.superseded_by.map(|id| {
        view! {
            <dt>{lang.t("observation-superseded-by")}</dt>
            <dd>{observation_link(id)}{lang.t("observation-superseded-note")}</dd>
        }
    });
    let reclassifies = o.reclassifies.map(|id| {
        view! {
            <dt>{lang.t("observation-reclassifies")}</dt>
            <dd>{observation_link(id)}{lang.t("observation-reclassifies-note")}</dd>
        }
    });
    let snapshot = match (&o.snapshot_href, &o.snapshot_sha) {
        (Some(href), sha) => view! {
            <p class="snapshot">
                <a href=href.clone() download="">{lang.t("observation-download")}</a>
                {lang.t_args("observation-download-note", &[("sha", sha.clone().unwrap_or_default().into())])}
            </p>
        }
        .into_any(),
        (None, Some(sha)) => view! {
            <p class="snapshot">{lang.t_args("observation-raw-not-stored", &[("sha", sha.clone().into())])}</p>
        }
        .into_any(),
        (None, None) => {
            view! { <p class="snapshot">{lang.t("observation-no-raw")}</p> }.into_any()
        }
    };
    let retraction = o.retraction.as_ref().map(|r| {
        view! {
            <div class="retraction-banner">
                {retraction_note(r, lang)}
                <p>{lang.t("retracted-explained")}" "<a href=format!("/corrections?lang={}", lang.code())>{lang.t("corrections-link")}</a></p>
            </div>
        }
    });
    let evidence = match &o.evidence {
        Some(e) => evidence_view(lang, e).into_any(),
        None => view! { <p class="empty">{lang.t("observation-no-evidence")}</p> }.into_any(),
    };
    let evidence_section = match &o.hand_test {
        Some(h) => view! {
            <section aria-labelledby="h-evidence">
                <h2 id="h-evidence">{lang.t("observation-evidence")}</h2>
                <p class="hand-credit">{h.credit.clone()}</p>
                <h3>{lang.t("review-steps")}</h3>
                <p class="thread-body">{h.steps.clone()}</p>
                <h3>{lang.t("contribute-col-screenshots")}</h3>
                {if h.screenshots_withdrawn {
                    view! { <p class="empty">{lang.t("observation-screenshots-withdrawn")}</p> }
                        .into_any()
                } else {
                    crate::pages::review::screenshots_view(&h.screenshots).into_any()
                }}
            </section>
        }
        .into_any(),
        None => view! {
            <section aria-labelledby="h-evidence">
                <h2 id="h-evidence">{lang.t("observation-evidence")}</h2>
                {snapshot}
                {evidence}
            </section>
        }
        .into_any(),
    };
    let body = view! {
        <p class="crumbs">
            <a href=o.check_href.clone()>{o.check_title.clone()}</a>" › "
            {lang.t_args("observation-crumb", &[("id", o.id.into())])}
        </p>
        {simulated}
        <h1>{lang.t_args("observation-heading", &[("id", o.id.into())])}</h1>
        {retraction}
        <dl class="facts">
            <dt>{lang.t("observation-check")}</dt><dd><a href=o.check_href.clone()>{o.check_title.clone()}</a>" "<code>{o.check_id.clone()}</code></dd>
            <dt>{lang.t("observation-observed")}</dt><dd>{time_view(&o.when, false, false, lang)}</dd>
            <dt>{lang.t("observation-status")}</dt><dd>{struck_status(&o.status, o.retraction.is_some(), lang)}</dd>
            <dt>{lang.t("observation-source")}</dt><dd>{citation_view(&o.citation, lang)}</dd>
            <dt>{lang.t("observation-vantage")}</dt><dd>{o.vantage.clone()}</dd>
            {probe}
            {verdict}
            {failure}
            {superseded}
            {reclassifies}
        </dl>
        {words_view(o.quote.as_deref(), o.note.as_deref())}
        {evidence_section}
    };
    render_document(chrome, body)
}

fn evidence_view(lang: Lang, e: &EvidenceView) -> impl IntoView + use<> {
    let ms = |ms: &str| lang.t_args("evidence-ms", &[("ms", ms.into())]);
    let hops = e
        .hops
        .iter()
        .enumerate()
        .map(|(i, h)| {
            view! {
                <tr>
                    <td class="num">{i + 1}</td>
                    <td class="num">{or_dash(&h.status)}</td>
                    <td class="url">{or_dash(&h.url)}</td>
                    <td class="url">{or_dash(&h.location)}</td>
                    <td class="num">{h.elapsed_ms.as_deref().map(ms).unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let hops = (!e.hops.is_empty()).then(|| {
        view! {
            <h3>{lang.t("evidence-redirects")}</h3>
            <div class="table-wrap">
                <table class="history hops">
                    <thead><tr>
                        <th scope="col">"#"</th>
                        <th scope="col">{lang.t("evidence-col-status")}</th>
                        <th scope="col">{lang.t("evidence-col-url")}</th>
                        <th scope="col">{lang.t("evidence-col-location")}</th>
                        <th scope="col">{lang.t("evidence-col-after")}</th>
                    </tr></thead>
                    <tbody>{hops}</tbody>
                </table>
            </div>
        }
    });
    let control = e.control.as_ref().map(|c| {
        let ok = match c.ok {
            _ if c.refused => lang.t("evidence-control-refused"),
            Some(true) => lang.t("evidence-control-ok"),
            Some(false) => lang.t("evidence-control-failed"),
            None => lang.t("evidence-control-unknown"),
        };
        view! {
            <dt>{lang.t("evidence-control")}</dt>
            <dd><span class="url">{or_dash(&c.url)}</span>" → "{or_dash(&c.status)}{if lang == Lang::En { format!(" ({ok})") } else { format!("（{ok}）") }}</dd>
        }
    });
    let in_app_control = e.in_app_control.as_ref().map(|c| {
        let ok = match c.ok {
            _ if c.refused => lang.t("evidence-control-refused"),
            Some(true) => lang.t("evidence-in-app-control-ok"),
            Some(false) => lang.t("evidence-in-app-control-failed"),
            None => lang.t("evidence-control-unknown"),
        };
        view! {
            <dt>{lang.t("evidence-in-app-control")}</dt>
            <dd><span class="url">{or_dash(&c.url)}</span>" → "{or_dash(&c.status)}{if lang == Lang::En { format!(" ({ok})") } else { format!("（{ok}）") }}</dd>
        }
    });
    let extracted = (!e.extracted.is_empty()).then(|| {
        let items = e
            .extracted
            .iter()
            .map(|x| {
                let selected = (x.selected == Some(true)).then(|| lang.t("evidence-selected"));
                view! {
                    <li>
                        {x.names.join(" / ")}" → "
                        <code>{x.method.clone().unwrap_or_else(|| lang.t("evidence-no-method"))}</code>
                        {selected}
                    </li>
                }
            })
            .collect_view();
        view! { <h3>{lang.t("evidence-payments")}</h3><ul class="extracted">{items}</ul> }
    });
    let excerpt = e.excerpt.clone().map(|x| {
        view! {
            <h3>{lang.t("evidence-excerpt")}</h3>
            <pre class="excerpt">{x}</pre>
        }
    });
    let detail = e
        .detail
        .clone()
        .map(|d| view! { <dt>{lang.t("evidence-detail")}</dt><dd>{d}</dd> });
    view! {
        <dl class="facts evidence">
            <dt>{lang.t("evidence-requested")}</dt><dd class="url">{or_dash(&e.request_url)}</dd>
            <dt>{lang.t("evidence-final")}</dt><dd><span class="url">{or_dash(&e.final_url)}</span>" → "{or_dash(&e.final_status)}</dd>
            <dt>{lang.t("evidence-rule")}</dt><dd><code>{or_dash(&e.rule)}</code></dd>
            <dt>{lang.t("evidence-charset")}</dt><dd>{or_dash(&e.charset)}</dd>
            <dt>{lang.t("evidence-content-type")}</dt><dd>{or_dash(&e.content_type)}</dd>
            <dt>{lang.t("evidence-body")}</dt><dd>{e.body_bytes.as_deref().map_or_else(|| "—".into(), |b| lang.t_args("evidence-bytes", &[("bytes", b.into())]))}
                " sha256 "<code>{or_dash(&e.body_sha256)}</code></dd>
            <dt>{lang.t("evidence-total")}</dt><dd>{e.total_ms.as_deref().map_or_else(|| "—".into(), ms)}</dd>
            {control}
            {in_app_control}
            {detail}
        </dl>
        {hops}
        {excerpt}
        {extracted}
    }
}
