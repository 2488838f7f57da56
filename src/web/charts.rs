//! Charts on pages and as downloads: `/charts/openness-links.svg|png`,
//! `/charts/openness-payments.svg|png`, `/charts/checks/{id}.svg|png` (`at`, `lang`).
//! The same functions build the inline charts of the overview and the check pages.

use super::params::{Params, truncate};
use super::png::PngError;
use super::views;
use super::{AppState, AsOf, WebError};
use crate::catalog::Check;
use crate::charts::data::{self, OpennessPoint, StatusChange};
use crate::charts::{Marker, ShareChart, SharePoint, ShareSeries, StepChart, share, steps};
use crate::state;
use crate::storage::Reference;
use crate::time;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hutong_app::charts::{ChartTable, ChartView};
use hutong_app::components::href_with;
use hutong_app::i18n::Lang;
use std::sync::Arc;

/// The openness charts: file stem and check kind.
pub const OPENNESS: [(&str, &str); 2] =
    [("openness-links", "link"), ("openness-payments", "payment")];

/// The checks whose openness is charted, as the overview counts them: real link checks;
/// real payment pairs across ecosystems.
fn population<'a>(r: &'a Reference, kind: &str) -> Vec<&'a Check> {
    r.checks
        .iter()
        .filter(|c| c.kind == kind && !r.is_simulated_check(c))
        .filter(|c| kind != "payment" || state::is_cross_group(r, c))
        .collect()
}

pub(super) fn date_line(lang: Lang, as_of: &AsOf) -> String {
    lang.t_args(
        "charts-date-line",
        &[
            ("at", as_of.day.to_string().into()),
            (
                "generated",
                Utc::now().format("%Y-%m-%d %H:%M").to_string().into(),
            ),
        ],
    )
}

fn status_label(lang: Lang, s: &crate::catalog::Status) -> String {
    match lang {
        Lang::ZhCn if !s.label_zh.is_empty() => s.label_zh.clone(),
        _ => s.label_en.clone(),
    }
}

/// Links to download a chart in both formats, keeping the date and the language.
pub(super) fn downloads(stem_path: &str, as_of: &AsOf, lang: Lang) -> (String, String) {
    let pairs = vec![("lang".to_string(), lang.code().to_string())];
    let at = (!as_of.is_today).then(|| as_of.day.to_string());
    (
        href_with(&format!("{stem_path}.svg"), &pairs, at.as_deref()),
        href_with(&format!("{stem_path}.png"), &pairs, at.as_deref()),
    )
}

/// Larger histories are read per request rather than held in memory.
const CACHE_MAX_ROWS: usize = 500_000;

/// Every real confirmed change of a kind, kept between requests while the data version
/// holds: the overview draws two charts on every view, and reading every transition each
/// time would grow with history.
async fn cached_changes(state: &AppState, kind: &str) -> Result<Arc<Vec<StatusChange>>, WebError> {
    Ok(state
        .memo
        .status_changes(&state.store, kind, CACHE_MAX_ROWS)
        .await?)
}

/// Openness over time of one kind, with its data table. `None` when the catalog has no
/// such kind.
pub async fn openness(
    state: &AppState,
    r: &Reference,
    stem: &str,
    kind_id: &str,
    as_of: &AsOf,
    lang: Lang,
) -> Result<Option<(ShareChart, ChartTable)>, WebError> {
    let Some(kind) = r.kind(kind_id) else {
        return Ok(None);
    };
    let checks = population(r, kind_id);
    let changes = cached_changes(state, kind_id).await?;
    let points = data::weekly_openness(kind, &checks, &changes, as_of.day, as_of.instant);
    let open_labels: Vec<String> = kind
        .statuses
        .iter()
        .filter(|s| s.score >= state::OPEN_SCORE)
        .map(|s| status_label(lang, s))
        .collect();
    let sep = if lang == Lang::ZhCn { "、" } else { ", " };
    let (title, subtitle, series) = if kind_id == "payment" {
        (
            "charts-openness-payments-title",
            "charts-openness-payments-subtitle",
            "charts-openness-payments-series",
        )
    } else {
        (
            "charts-openness-links-title",
            "charts-openness-links-subtitle",
            "charts-openness-links-series",
        )
    };
    let milestones = r
        .milestones
        .iter()
        .filter(|m| m.kinds.iter().any(|k| k == kind_id))
        .map(|m| Marker {
            date: m.date,
            approximate: m.approximate,
            label: match lang {
                Lang::ZhCn => m.title_zh.clone(),
                Lang::En => m.title_en.clone(),
            },
        })
        .collect();
    let chart = ShareChart {
        id: format!("chart-{stem}"),
        title: lang.t(title),
        subtitle: lang.t_args(subtitle, &[("statuses", open_labels.join(sep).into())]),
        series: vec![ShareSeries {
            label: lang.t(series),
            points: points
                .iter()
                .map(|p| SharePoint {
                    date: p.day,
                    value: p.share(),
                })
                .collect(),
        }],
        milestones,
        source_line: lang.t("charts-source-line"),
        date_line: date_line(lang, as_of),
        simulated: false,
    };
    let table = ChartTable {
        caption: chart.title.clone(),
        headers: vec![
            lang.t("charts-table-date"),
            lang.t("charts-table-share"),
            lang.t("charts-table-open"),
            lang.t("charts-table-known"),
            lang.t("charts-table-total"),
        ],
        rows: points.iter().map(|p| openness_row(lang, p)).collect(),
    };
    Ok(Some((chart, table)))
}

fn openness_row(lang: Lang, p: &OpennessPoint) -> Vec<String> {
    vec![
        p.day.to_string(),
        p.share()
            .map_or_else(|| lang.t("charts-table-none"), share::percent),
        p.open.to_string(),
        p.known.to_string(),
        p.total.to_string(),
    ]
}

/// A check's status over time (its confirmed transitions), with its data table. Real
/// checks draw real sources only; a simulated platform's check draws the simulator's,
/// labelled SIMULATED on the image.
pub async fn check_steps(
    state: &AppState,
    r: &Reference,
    check: &Check,
    as_of: &AsOf,
    lang: Lang,
) -> Result<Option<(StepChart, ChartTable)>, WebError> {
    let Some(kind) = r.kind(&check.kind) else {
        return Ok(None);
    };
    let simulated = r.is_simulated_check(check);
    let transitions = state.transitions(&check.id).await?;
    let changes: Vec<(DateTime<Utc>, String)> = transitions
        .iter()
        .filter(|t| simulated || t.source_kind != "simulated")
        .map(|t| (t.occurred_at, t.to_status.clone()))
        .collect();
    let segments = data::status_steps(&changes, as_of.instant);
    let start = segments
        .first()
        .map_or(as_of.instant - chrono::Duration::days(30), |s| s.from);
    let subject = views::side_name(r, kind.subject, &check.subject);
    let object = views::side_name(r, kind.object, &check.object);
    let pick = |n: &hutong_app::model::Name| match lang {
        Lang::ZhCn if !n.zh.is_empty() => n.zh.clone(),
        _ => n.en.clone(),
    };
    let ladder: Vec<(String, String)> = kind
        .statuses
        .iter()
        .map(|s| (s.id.clone(), status_label(lang, s)))
        .collect();
    let chart = StepChart {
        id: "chart-steps".to_string(),
        title: lang.t_args(
            "charts-steps-title",
            &[(
                "check",
                format!("{} × {}", pick(&subject), pick(&object)).into(),
            )],
        ),
        subtitle: lang.t_args("charts-steps-subtitle", &[("id", check.id.clone().into())]),
        ladder: ladder.clone(),
        unknown_label: lang.t("charts-unknown"),
        segments: segments.clone(),
        start,
        end: as_of.instant,
        source_line: if simulated {
            lang.t("charts-source-line-simulated")
        } else {
            lang.t("charts-source-line")
        },
        date_line: date_line(lang, as_of),
        simulated,
    };
    let label = |status: &str| {
        ladder
            .iter()
            .find(|(id, _)| id == status)
            .map_or_else(|| lang.t("charts-unknown"), |(_, l)| l.clone())
    };
    let when = |t: DateTime<Utc>| {
        t.with_timezone(&time::SHANGHAI)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let table = ChartTable {
        caption: chart.title.clone(),
        headers: vec![
            lang.t("charts-table-from"),
            lang.t("charts-table-to"),
            lang.t("charts-table-status"),
        ],
        rows: segments
            .iter()
            .map(|s| vec![when(s.from), when(s.to), label(&s.status)])
            .collect(),
    };
    Ok(Some((chart, table)))
}

/// The overview's inline charts.
pub async fn overview_charts(
    state: &AppState,
    r: &Reference,
    as_of: &AsOf,
    lang: Lang,
) -> Result<Vec<ChartView>, WebError> {
    let mut out = Vec::new();
    for (stem, kind) in OPENNESS {
        if let Some((chart, table)) = openness(state, r, stem, kind, as_of, lang).await? {
            let (svg_href, png_href) = downloads(&format!("/charts/{stem}"), as_of, lang);
            out.push(ChartView {
                id: format!("figure-{stem}"),
                svg: share::render(&chart, lang),
                table,
                svg_href,
                png_href,
            });
        }
    }
    Ok(out)
}

/// The check page's inline step chart.
pub async fn check_chart(
    state: &AppState,
    r: &Reference,
    check: &Check,
    as_of: &AsOf,
    lang: Lang,
) -> Result<Option<ChartView>, WebError> {
    let Some((chart, table)) = check_steps(state, r, check, as_of, lang).await? else {
        return Ok(None);
    };
    let (svg_href, png_href) = downloads(&format!("/charts/checks/{}", check.id), as_of, lang);
    Ok(Some(ChartView {
        id: "figure-steps".into(),
        svg: steps::render(&chart, lang),
        table,
        svg_href,
        png_href,
    }))
}

/// The image format of a download, from its file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Svg,
    Png,
}

pub(super) fn split_file(file: &str) -> Option<(&str, Format)> {
    let (stem, ext) = file.rsplit_once('.')?;
    let format = match ext {
        "svg" => Format::Svg,
        "png" => Format::Png,
        _ => return None,
    };
    Some((stem, format))
}

pub(super) fn error_reply(e: WebError) -> Response {
    let status = e.status();
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        e.public_message(),
    )
        .into_response()
}

/// Answers the chart in the asked format, as an attachment named after what it shows.
/// PNGs are drawn once and kept, shared by concurrent requests, and queued ([`super::png`]).
/// `kept` comes from [`kept_under`], before the chart's data was read.
pub(super) async fn reply(
    state: &AppState,
    kept: Option<KeptUnder>,
    svg: String,
    format: Format,
    filename_stem: &str,
) -> Response {
    let (content_type, ext, body) = match (format, kept) {
        (Format::Svg, _) | (Format::Png, None) => ("image/svg+xml", "svg", Bytes::from(svg)),
        (Format::Png, Some(kept)) => {
            // The file name says what the image shows: chart, date and language.
            let shows = format!("{filename_stem}{}", if kept.now { " now" } else { "" });
            match state.png.png(kept.version, &shows, svg).await {
                Ok(png) => ("image/png", "png", png),
                Err(PngError::Busy(queued)) => {
                    tracing::debug!(queued, "PNG queue full: answered 503");
                    return super::png::busy(super::lang::current());
                }
                Err(e) => {
                    tracing::error!(error = %e, "chart rasterising failed");
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                        super::lang::current().t("error-internal"),
                    )
                        .into_response();
                }
            }
        }
    };
    let disposition = format!("attachment; filename=\"hutong-{filename_stem}.{ext}\"");
    let mut response = (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
        .into_response();
    // Stems are made of check ids and dates (ASCII): always a valid header.
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        response
            .headers_mut()
            .insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// What a PNG is kept under besides its file name: the data version, read before the
/// chart's data, and whether it shows "now" rather than the end of its day.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeptUnder {
    version: i64,
    now: bool,
}

/// Read for PNGs only (SVGs are not kept).
pub(super) async fn kept_under(
    state: &AppState,
    format: Format,
    as_of: &AsOf,
) -> Result<Option<KeptUnder>, WebError> {
    match format {
        Format::Svg => Ok(None),
        Format::Png => Ok(Some(KeptUnder {
            version: state.store.data_version().await?,
            now: as_of.is_today,
        })),
    }
}

pub async fn get_openness_chart(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let not_found = || {
        error_reply(WebError::NotFound(format!(
            "there is no chart \"{}\": try openness-links.svg, openness-payments.png …",
            truncate(&file)
        )))
    };
    let Some((stem, format)) = split_file(&file) else {
        return not_found();
    };
    let Some((stem, kind)) = OPENNESS.into_iter().find(|(s, _)| *s == stem) else {
        return not_found();
    };
    let params = Params::parse(q.as_deref());
    let as_of = match params.as_of() {
        Ok(v) => v,
        Err(e) => return error_reply(e),
    };
    let lang = super::lang::current();
    let kept = match kept_under(&state, format, &as_of).await {
        Ok(v) => v,
        Err(e) => return error_reply(e),
    };
    let built = async {
        let r = state.reference().await?;
        openness(&state, &r, stem, kind, &as_of, lang).await
    }
    .await;
    match built {
        Ok(Some((chart, _))) => {
            let svg = share::render(&chart, lang);
            reply(
                &state,
                kept,
                svg,
                format,
                &format!("{stem}-{}-{}", as_of.day, lang.code()),
            )
            .await
        }
        Ok(None) => not_found(),
        Err(e) => error_reply(e),
    }
}

pub async fn get_check_chart(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((id, format)) = split_file(&file) else {
        return error_reply(WebError::NotFound(format!(
            "there is no chart \"{}\": check charts are /charts/checks/ID.svg or .png",
            truncate(&file)
        )));
    };
    let params = Params::parse(q.as_deref());
    let as_of = match params.as_of() {
        Ok(v) => v,
        Err(e) => return error_reply(e),
    };
    let lang = super::lang::current();
    let kept = match kept_under(&state, format, &as_of).await {
        Ok(v) => v,
        Err(e) => return error_reply(e),
    };
    let built = async {
        let r = state.reference().await?;
        let Some(check) = r.check(id) else {
            return Err(WebError::NotFound(format!(
                "there is no check \"{}\"",
                truncate(id)
            )));
        };
        check_steps(&state, &r, check, &as_of, lang).await
    }
    .await;
    match built {
        Ok(Some((chart, _))) => {
            let svg = steps::render(&chart, lang);
            reply(
                &state,
                kept,
                svg,
                format,
                &format!("check-{id}-{}-{}", as_of.day, lang.code()),
            )
            .await
        }
        Ok(None) => error_reply(WebError::NotFound(format!(
            "check \"{}\" has an unknown kind",
            truncate(id)
        ))),
        Err(e) => error_reply(e),
    }
}

/// A requirement's share of compliant checks over time (weekly), the deadline marked.
pub fn requirement_share(
    req: &crate::catalog::Requirement,
    series: &crate::compliance::ShareSeries,
    as_of: &AsOf,
    lang: Lang,
) -> (ShareChart, ChartTable) {
    let title = match lang {
        Lang::ZhCn => req.title_zh.clone(),
        Lang::En => req.title_en.clone(),
    };
    let chart = ShareChart {
        id: "chart-compliance".to_string(),
        title: lang.t_args("charts-compliance-title", &[("title", title.into())]),
        subtitle: lang.t("charts-compliance-subtitle"),
        series: vec![ShareSeries {
            label: lang.t("charts-compliance-series"),
            points: series
                .points
                .iter()
                .map(|p| SharePoint {
                    date: p.day,
                    value: (p.in_scope > 0).then_some(p.share),
                })
                .collect(),
        }],
        milestones: series
            .deadline_day
            .map(|d| Marker {
                date: d,
                approximate: false,
                label: lang.t("charts-compliance-deadline"),
            })
            .into_iter()
            .collect(),
        source_line: lang.t("charts-source-line"),
        date_line: date_line(lang, as_of),
        simulated: false,
    };
    let table = ChartTable {
        caption: chart.title.clone(),
        headers: vec![
            lang.t("charts-table-date"),
            lang.t("charts-compliance-share"),
            lang.t("charts-compliance-compliant"),
            lang.t("charts-table-total"),
        ],
        rows: series
            .points
            .iter()
            .map(|p| {
                vec![
                    p.day.to_string(),
                    share::percent(p.share),
                    p.compliant.to_string(),
                    p.in_scope.to_string(),
                ]
            })
            .collect(),
    };
    (chart, table)
}
