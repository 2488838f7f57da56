//! "What do we know about this one check, and since when?": the check page
//! `/checks/{id}` (state, every source's word, history, step chart), its chart download
//! `/charts/checks/{id}.svg|png`, one observation with its evidence and raw page
//! (`observations`), and the JSON: `/api/v1/checks`, `/api/v1/checks/{id}`,
//! `/api/v1/checks/{id}/observations`.

mod export;
mod observations;

use super::app_state::AppState;
use super::charts::{KeptUnder, date_line, downloads, reply, split_file, status_label};
use super::drawings::{Drawings, Shape};
use super::error::{Answer, ApiResult, FileError, PageResult, WebError, truncate};
use super::present::json::{check_json, observation_json, state_json};
use super::present::{self, name};
use super::request::{AsOf, Paging, Params, ReaderLang, chrome};
use crate::charts::StepChart;
use crate::charts::data;
use crate::charts::steps::{self, StepLine};
use crate::domain::Check;
use crate::domain::Reference;
use crate::state;
use crate::storage::{Reads, StateFilter};
use crate::time;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use hutong_app::charts::{ChartTable, ChartView};
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use hutong_app::pages;
use serde_json::{Value, json};
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/checks/{id}", get(show_check))
        .route("/charts/checks/{file}", get(get_check_chart))
        .merge(observations::routes())
}

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/checks", get(list_checks))
        .route("/checks/{id}", get(get_check))
        .route("/checks/{id}/observations", get(list_observations))
}

/// Observations per page of a check's history: probes write thousands per check.
pub const CHECK_HISTORY_PAGE: usize = 50;

fn no_check(id: &str, lang: Lang) -> WebError {
    WebError::NotFound(lang.t_args("error-no-check", &[("id", truncate(id).into())]))
}

/// `/checks/{id}`, or its downloads `/checks/{id}.csv` and `/checks/{id}.json` (a check id
/// never ends so: the catalog's ids are dotted words).
pub async fn show_check(
    Path(id): Path<String>,
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    paging: Result<Paging, WebError>,
    reads: Result<Reads, WebError>,
) -> Response {
    let download = id
        .strip_suffix(".csv")
        .map(|c| (c, false))
        .or_else(|| id.strip_suffix(".json").map(|c| (c, true)));
    if let Some((check, json)) = download {
        let rows = async {
            let reads = reads?;
            let r = reads.reference().await?;
            export::check_rows(&reads, &r, check, &state.public_url, lang).await
        }
        .await;
        return match rows {
            Ok(rows) => export::answer(&rows, check, json),
            Err(e) => FileError { error: e, lang }.into_response(),
        };
    }
    show_check_page(id, &state, lang, at, paging, reads)
        .await
        .into_response()
}

async fn show_check_page(
    id: String,
    state: &AppState,
    lang: Lang,
    at: Result<AsOf, WebError>,
    paging: Result<Paging, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let path = format!("/checks/{id}");
    let title = lang.t("title-check");
    let as_of = at.or_page(&chrome(
        lang,
        &title,
        Section::Other,
        &path,
        &AsOf::today(),
        Vec::new(),
    ))?;
    let mut chrome = chrome(lang, &title, Section::Other, &path, &as_of, Vec::new());
    let reads = reads.or_page(&chrome)?;
    let view = check_view(
        &state.drawings,
        &reads,
        &id,
        &path,
        &as_of,
        paging,
        &mut chrome,
    )
    .await;
    let view = view.or_page(&chrome)?;
    chrome.cite = Some(present::cite::cite_box(
        &state.public_url,
        &path,
        as_of.day,
        lang,
        (&view.cite_names.0, &view.cite_names.1),
        None,
    ));
    Ok(Html(pages::check_page(&chrome, &view)))
}

/// The check page's data; sets the page's title once the check is known, and keeps its
/// page number when the date or language changes.
async fn check_view(
    drawings: &Drawings,
    reads: &Reads,
    id: &str,
    path: &str,
    as_of: &AsOf,
    paging: Result<Paging, WebError>,
    chrome: &mut Chrome,
) -> Result<CheckView, WebError> {
    let lang = chrome.lang;
    let r = reads.reference().await?;
    let c = r.check(id).ok_or_else(|| no_check(id, lang))?;
    let kind = r.kind(&c.kind).ok_or_else(|| {
        WebError::NotFound(lang.t_args("error-check-kind", &[("id", truncate(id).into())]))
    })?;
    chrome.title = present::check_title(&r, c, lang);
    let query = present::date_query(as_of, lang);
    let filter = StateFilter {
        check: Some(id.to_string()),
        include_simulated: true,
        ..StateFilter::default()
    };
    let rows = reads.state_as_of(as_of.instant, &filter).await?;
    let states = state::states([c], (*rows).clone());
    let st = states.get(id);
    let page = paging?.page;
    if page > 1 {
        // A check's history does not depend on the date: its page survives a date or
        // language change.
        chrome.keep = vec![("page".to_string(), page.to_string())];
    }
    let offset = ((page - 1) * CHECK_HISTORY_PAGE) as i64;
    let history_page = reads
        .check_history(id, CHECK_HISTORY_PAGE as i64, offset)
        .await?;
    let (observations, total) = &*history_page;
    let total = usize::try_from(*total).unwrap_or(0);
    let pages_count = total.div_ceil(CHECK_HISTORY_PAGE);
    if page > pages_count.max(1) {
        return Err(WebError::NotFound(lang.t_args(
            "error-check-page",
            &[("page", page.into()), ("pages", pages_count.into())],
        )));
    }
    let page_href = |p: usize| {
        let pairs = if p > 1 {
            vec![("page".to_string(), p.to_string())]
        } else {
            Vec::new()
        };
        present::link_with(path, &pairs, as_of, lang)
    };
    // The page's rows that changed a status, and from what: asked of these rows only (a
    // check that flaps has thousands of transitions).
    let ids: Vec<i64> = observations.iter().map(|o| o.id).collect();
    let changed = reads.transitions_made_by(id, &ids).await?;
    let history = observations
        .iter()
        .map(|o| HistoryRow {
            when: present::when(o.observed_at, &o.precision),
            approximate: o.is_approximate(),
            status: present::status_view(Some(kind), &o.status, lang),
            citation: present::citation(&r, o, lang),
            quote: o.quote.clone(),
            note: present::note(o, lang),
            transition_from: changed.get(&o.id).map(|from| {
                from.as_deref()
                    .map(|s| present::status_view(Some(kind), s, lang))
            }),
            after_at: o.observed_at > as_of.instant,
            // Probe verdicts, hand tests and retracted observations have their own page.
            observation_href: (o.pack_id.is_some()
                || o.source_kind == "manual"
                || o.retracted_at.is_some())
            .then(|| format!("/observations/{}{query}", o.id)),
            probe: present::probe_note(o),
            retraction: present::retraction(o),
        })
        .collect();
    let chart = check_chart(drawings, reads, &r, c, as_of, lang).await?;
    let links = CheckLinks {
        requirements: r
            .requirements
            .iter()
            .filter(|q| {
                crate::compliance::checks_in_scope(&r, q)
                    .iter()
                    .any(|x| x.id == c.id)
            })
            .map(|q| {
                (
                    name(&q.title_zh, &q.title_en).get(lang).to_string(),
                    format!("/requirements/{}{query}", q.id),
                )
            })
            .collect(),
        timeline: present::link_with(
            "/timeline",
            &[
                ("check".to_string(), c.id.clone()),
                ("entries".to_string(), "all".to_string()),
            ],
            as_of,
            lang,
        ),
        csv: format!("/checks/{}.csv?lang={}", c.id, lang.code()),
        json: format!("/checks/{}.json?lang={}", c.id, lang.code()),
    };
    // Milestones of the check's kind naming one of its platforms, newest first.
    let mut milestones: Vec<&crate::domain::Milestone> = r
        .milestones
        .iter()
        .filter(|m| m.kinds.contains(&c.kind))
        .filter(|m| {
            m.platforms
                .iter()
                .any(|p| *p == c.subject || *p == c.object)
        })
        .collect();
    milestones.sort_by_key(|m| std::cmp::Reverse(m.date));
    let opinions = st
        .map(|s| crate::state::opinions(s, as_of.stale_after_days))
        .unwrap_or_default();
    let vantages = vantage_sections(reads, &r, kind, id, st, as_of, lang).await?;
    Ok(CheckView {
        vantages,
        window_days: state::WINDOW_DAYS,
        links,
        cite_names: (
            present::check_title(&r, c, Lang::ZhCn),
            present::check_title(&r, c, Lang::En),
        ),
        chart,
        simulated: r.is_simulated_check(c),
        milestones: milestones
            .into_iter()
            .map(|m| present::milestone_entry(&r, m, present::Audience::Reader(lang)))
            .collect(),
        id: c.id.clone(),
        kind_name: name(&kind.name_zh, &kind.name_en),
        subject_label: name(&kind.subject_label_zh, &kind.subject_label_en),
        object_label: name(&kind.object_label_zh, &kind.object_label_en),
        subject: present::side_header(&r, kind.subject, &c.subject, &query, lang),
        object: present::side_header(&r, kind.object, &c.object, &query, lang),
        cell: present::cell(&r, c, st, as_of, &query, lang),
        current: opinions
            .current
            .iter()
            .map(|o| present::opinion(&r, Some(kind), o, lang))
            .collect(),
        superseded: opinions
            .superseded
            .iter()
            .map(|o| present::opinion(&r, Some(kind), o, lang))
            .collect(),
        history,
        ladder: present::ladder(kind, lang),
        page,
        pages: pages_count,
        total,
        newer: (page > 1).then(|| page_href(page - 1)),
        older: (page < pages_count).then(|| page_href(page + 1)),
    })
}

/// Periods the check's step chart and its table show at most: the latest (a check that
/// flaps has thousands; every change stays in the timeline and the exports).
const CHART_PERIODS: usize = 100;

/// Sources the check's step chart draws at most, a row each: those heard from last (the
/// subtitle says how many were left out; every source is on the page below).
const CHART_SOURCES: usize = 12;

/// Changes listed per vantage point on the check page; the rest are counted.
const VANTAGE_CHANGES: usize = 10;

/// A section per probe source (a pack at a vantage point) that has spoken on the check by
/// the page's date: the registry's description, its latest verdict, its changes and its
/// windowed verdict over the [`state::WINDOW_DAYS`] days up to the page's date.
#[allow(clippy::too_many_arguments)]
async fn vantage_sections(
    reads: &Reads,
    r: &Reference,
    kind: &crate::domain::Kind,
    id: &str,
    st: Option<&crate::domain::CheckState>,
    as_of: &AsOf,
    lang: Lang,
) -> Result<Vec<VantageSection>, WebError> {
    let from = as_of.instant - chrono::Duration::days(state::WINDOW_DAYS);
    let windows = reads.store().probe_windows(id, from, as_of.instant).await?;
    if windows.is_empty() {
        return Ok(Vec::new());
    }
    let registry = reads.store().vantage_points().await?;
    let status = |s: &str| present::status_view(Some(kind), s, lang);
    // Each source's latest changes (newest first) and how many it made in all.
    let mut changes_of: HashMap<String, (Vec<crate::domain::TransitionRecord>, usize)> =
        HashMap::new();
    for w in &windows {
        let latest = reads
            .latest_transitions(id, &w.source_key, as_of.instant, VANTAGE_CHANGES as i64)
            .await?;
        let all = if latest.len() < VANTAGE_CHANGES {
            latest.len()
        } else {
            let n = reads
                .transition_count(id, &w.source_key, as_of.instant)
                .await?;
            usize::try_from(n).unwrap_or(0)
        };
        changes_of.insert(w.source_key.clone(), ((*latest).clone(), all));
    }
    Ok(windows
        .into_iter()
        .map(|w| {
            let point = registry
                .iter()
                .find(|p| p.point.name == w.vantage)
                .map(|p| &p.point);
            let field = |f: fn(&crate::config::VantagePoint) -> &Option<String>| {
                point.and_then(|p| f(p).clone())
            };
            let latest =
                st.and_then(|s| s.per_source.iter().find(|o| o.source_key == w.source_key));
            let age =
                latest.map(|o| state::age_at(o.observed_at, as_of.instant, as_of.stale_after_days));
            let (changes, all_changes) = changes_of.remove(&w.source_key).unwrap_or_default();
            let more_changes = all_changes.saturating_sub(changes.len());
            VantageSection {
                pack: w.pack_id,
                simulated: w.simulated,
                description: field(|p| &p.description),
                network: field(|p| &p.network),
                region: field(|p| &p.region),
                account_region: field(|p| &p.account_region),
                device: field(|p| &p.device),
                latest: latest.map(|o| OpinionView {
                    status: status(&o.status),
                    citation: present::citation(r, o, lang),
                    when: present::when(o.observed_at, &o.precision),
                    approximate: o.is_approximate(),
                }),
                age_days: age.map(|a| a.days),
                stale: age.is_some_and(|a| a.stale),
                changes: changes
                    .into_iter()
                    .take(VANTAGE_CHANGES)
                    .map(|t| VantageChange {
                        when: present::when(t.occurred_at, &t.precision),
                        approximate: t.is_approximate(),
                        from: t.from_status.as_deref().map(status),
                        to: status(&t.to_status),
                    })
                    .collect(),
                more_changes,
                window: WindowView {
                    from: time::shanghai_day(from),
                    to: as_of.day,
                    verdicts: w.verdicts,
                    shares: w
                        .shares
                        .iter()
                        .map(|(s, share)| (status(s), *share))
                        .collect(),
                },
                vantage: w.vantage,
            }
        })
        .collect())
}

// ---- The step chart -------------------------------------------------------------------

/// A check's status over time (its confirmed transitions), each source on its own line,
/// with its data table. Real checks draw real sources only; a simulated platform's check
/// draws the simulator's, labelled SIMULATED on the image. A source's last word ends where
/// it went stale (`stale_after_days`): what follows is drawn and listed as no current word.
/// `None` when the check's kind is unknown.
async fn check_steps(
    reads: &Reads,
    r: &Reference,
    check: &Check,
    as_of: &AsOf,
    lang: Lang,
) -> Result<Option<(StepChart, ChartTable)>, WebError> {
    let Some(kind) = r.kind(&check.kind) else {
        return Ok(None);
    };
    let simulated = r.is_simulated_check(check);
    // Every source's latest word at the date: which sources have spoken, and when each
    // was last heard from (read as the check page reads it, so it is kept once).
    let filter = StateFilter {
        check: Some(check.id.clone()),
        include_simulated: true,
        ..StateFilter::default()
    };
    let words = reads.state_as_of(as_of.instant, &filter).await?;
    // The sources heard from last first, at most CHART_SOURCES of them.
    let mut heard: Vec<&crate::domain::ObservationRecord> = words
        .iter()
        .filter(|o| o.check_id == check.id && (simulated || o.source_kind != "simulated"))
        .collect();
    heard.sort_by(|a, b| {
        b.observed_at
            .cmp(&a.observed_at)
            .then_with(|| a.source_key.cmp(&b.source_key))
    });
    let sources_heard = heard.len();
    heard.truncate(CHART_SOURCES);
    // Each source's latest periods only, read from its newest changes back: a check that
    // flaps gathers thousands, more than the chart has pixels or a reader has patience for.
    // Each source's changes read, newest first, and whether that is all of them.
    type Read = (std::sync::Arc<Vec<(DateTime<Utc>, String)>>, bool);
    let mut read: Vec<Read> = Vec::with_capacity(heard.len());
    for o in &heard {
        let limit = 2 * CHART_PERIODS + 1;
        let changes = reads
            .latest_changes(&check.id, &o.source_key, as_of.instant, limit as i64)
            .await?;
        let complete = changes.len() < limit;
        read.push((changes, complete));
    }
    // The chart ends at the request's second (never before the latest change): every
    // request of one second draws the same chart, and its drawing is kept.
    let newest = read
        .iter()
        .filter_map(|(changes, _)| changes.first().map(|(at, _)| *at))
        .max();
    let end = data::chart_end(as_of.instant, newest);
    let mut lines: Vec<StepLine> = Vec::with_capacity(heard.len());
    let mut earlier_left_out = false;
    for (o, (mut changes, mut complete)) in heard.iter().zip(read) {
        let mut limit = changes.len().max(1);
        let (segments, left_out) = loop {
            if let Some(found) = data::latest_status_steps(&changes, complete, end, CHART_PERIODS) {
                break found;
            }
            limit *= 4;
            changes = reads
                .latest_changes(&check.id, &o.source_key, as_of.instant, limit as i64)
                .await?;
            complete = changes.len() < limit;
        };
        if segments.is_empty() {
            continue;
        }
        earlier_left_out |= left_out;
        let segments = data::end_stale(
            segments,
            data::stale_from(o.observed_at, as_of.stale_after_days),
        );
        lines.push(StepLine {
            name: source_name(r, o, lang),
            segments,
        });
    }
    // Oldest first, so the rows read down in the order the sources first spoke.
    lines.sort_by(|a, b| {
        a.segments[0]
            .from
            .cmp(&b.segments[0].from)
            .then_with(|| a.name.cmp(&b.name))
    });
    // Two rows never share a name: a second one is numbered.
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in &mut lines {
        let n = seen.entry(line.name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            line.name = format!("{} ({n})", line.name);
        }
    }
    let start = lines
        .iter()
        .map(|l| l.segments[0].from)
        .min()
        .unwrap_or(end - chrono::Duration::days(30));
    let subject = present::side_name(r, kind.subject, &check.subject);
    let object = present::side_name(r, kind.object, &check.object);
    let pick = |n: &Name| match lang {
        Lang::ZhCn if !n.zh.is_empty() => n.zh.clone(),
        _ => n.en.clone(),
    };
    let ladder: Vec<(String, String)> = kind
        .statuses
        .iter()
        .map(|s| (s.id.clone(), status_label(lang, s)))
        .collect();
    let mut subtitle = match lines.as_slice() {
        [line] => lang.t_args(
            "charts-steps-subtitle",
            &[
                ("id", check.id.clone().into()),
                ("source", line.name.clone().into()),
            ],
        ),
        _ => lang.t_args(
            "charts-steps-subtitle-sources",
            &[
                ("id", check.id.clone().into()),
                ("count", lines.len().into()),
            ],
        ),
    };
    if earlier_left_out {
        subtitle = lang.t_args(
            "charts-steps-subtitle-latest",
            &[("periods", CHART_PERIODS.into()), ("rest", subtitle.into())],
        );
    }
    let sources_left_out = sources_heard > CHART_SOURCES;
    if sources_left_out {
        subtitle = lang.t_args(
            "charts-steps-subtitle-more-sources",
            &[
                ("shown", lines.len().into()),
                ("count", sources_heard.into()),
                ("rest", subtitle.into()),
            ],
        );
    }
    let chart = StepChart {
        id: "chart-steps".to_string(),
        title: lang.t_args(
            "charts-steps-title",
            &[(
                "check",
                format!("{} × {}", pick(&subject), pick(&object)).into(),
            )],
        ),
        subtitle,
        ladder,
        unknown_label: lang.t("charts-unknown"),
        lines,
        start,
        end,
        source_line: if simulated {
            lang.t("charts-source-line-simulated")
        } else {
            lang.t("charts-source-line")
        },
        date_line: date_line(lang, as_of),
        simulated,
    };
    let when = |t: DateTime<Utc>| {
        t.with_timezone(&time::SHANGHAI)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let by_source = chart.lines.len() > 1;
    let mut headers = vec![
        lang.t("charts-table-from"),
        lang.t("charts-table-to"),
        lang.t("charts-table-status"),
    ];
    if by_source {
        headers.insert(0, lang.t("charts-table-source"));
    }
    let table = ChartTable {
        caption: if earlier_left_out || sources_left_out {
            format!("{}: {}", chart.title, chart.subtitle)
        } else {
            chart.title.clone()
        },
        headers,
        rows: chart
            .lines
            .iter()
            .flat_map(|l| {
                l.segments.iter().map(|s| {
                    let mut row = vec![
                        when(s.from),
                        when(s.to),
                        steps::segment_words(&chart, s, lang),
                    ];
                    if by_source {
                        row.insert(0, l.name.clone());
                    }
                    row
                })
            })
            .collect(),
    };
    Ok(Some((chart, table)))
}

/// A source as the step chart names it: an article by its citation (publisher and date),
/// a probe by its vantage point, hand tests by where they were made from.
fn source_name(r: &Reference, o: &crate::domain::ObservationRecord, lang: Lang) -> String {
    let vantage = || o.vantage.clone().into();
    match o.source_kind.as_str() {
        "probe" | "simulated" => lang.t_args("check-vantage-heading", &[("vantage", vantage())]),
        "manual" if o.source_id.as_deref().and_then(|id| r.source(id)).is_none() => {
            lang.t_args("charts-steps-hand-tests", &[("vantage", vantage())])
        }
        _ => present::citation(r, o, lang).label,
    }
}

/// The check page's inline step chart, its drawings kept by what they show.
async fn check_chart(
    drawings: &Drawings,
    reads: &Reads,
    r: &Reference,
    check: &Check,
    as_of: &AsOf,
    lang: Lang,
) -> Result<Option<ChartView>, WebError> {
    let Some((chart, table)) = check_steps(reads, r, check, as_of, lang).await? else {
        return Ok(None);
    };
    let (svg_href, png_href) = downloads(&format!("/charts/checks/{}", check.id), as_of, lang);
    Ok(Some(ChartView {
        id: "figure-steps".into(),
        svg: drawings.steps(&chart, lang, Shape::Wide),
        narrow_svg: drawings.steps(&chart, lang, Shape::Narrow),
        table,
        svg_href,
        png_href,
    }))
}

/// `/charts/checks/{id}.svg|png` (`at`, `lang`).
pub async fn get_check_chart(
    State(state): State<AppState>,
    Path(file): Path<String>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> Result<Response, FileError> {
    let Some((id, format)) = split_file(&file) else {
        let e = WebError::NotFound(
            lang.t_args("error-no-chart-check", &[("file", truncate(&file).into())]),
        );
        return Err(e).or_file(lang);
    };
    let as_of = at.or_file(lang)?;
    let reads = reads.or_file(lang)?;
    let r = reads.reference().await.or_file(lang)?;
    let check = r
        .check(id)
        .ok_or_else(|| no_check(id, lang))
        .or_file(lang)?;
    let Some((chart, _)) = check_steps(&reads, &r, check, &as_of, lang)
        .await
        .or_file(lang)?
    else {
        let e = WebError::NotFound(lang.t_args("error-check-kind", &[("id", truncate(id).into())]));
        return Err(e).or_file(lang);
    };
    let svg = state.drawings.steps(&chart, lang, Shape::Wide);
    let stem = format!("check-{id}-{}-{}", as_of.day, lang.code());
    reply(
        &state.png,
        KeptUnder::new(&reads, &as_of),
        svg,
        format,
        &stem,
        lang,
    )
    .await
}

// ---- JSON ----------------------------------------------------------------------------

/// `/api/v1/checks?kind=…`: every check, of one kind when asked.
pub async fn list_checks(params: Params, reads: Reads) -> ApiResult {
    let r = reads.reference().await?;
    let kinds: Vec<&str> = r.kinds.iter().map(|k| k.id.as_str()).collect();
    let kind = params.one_of("kind", &kinds, Lang::En)?;
    let checks: Vec<Value> = r
        .checks
        .iter()
        .filter(|c| kind.as_ref().is_none_or(|k| &c.kind == k))
        .map(check_json)
        .collect();
    Ok(Json(json!({ "checks": checks })).into_response())
}

/// `/api/v1/checks/{id}?at=…`: a check's state and transitions.
pub async fn get_check(Path(id): Path<String>, as_of: AsOf, reads: Reads) -> ApiResult {
    let r = reads.reference().await?;
    let c = r.check(&id).ok_or_else(|| no_check(&id, Lang::En))?;
    let filter = StateFilter {
        check: Some(id.clone()),
        include_simulated: true,
        ..StateFilter::default()
    };
    let rows = reads.state_as_of(as_of.instant, &filter).await?;
    let states = state::states([c], (*rows).clone());
    let transitions = reads.store().transitions(&id).await?;
    let from = as_of.instant - chrono::Duration::days(state::WINDOW_DAYS);
    let window = reads
        .store()
        .probe_windows(&id, from, as_of.instant)
        .await?;
    Ok(Json(json!({
        "check": check_json(c),
        "at": as_of.day,
        "state": state_json(states.get(&id), &as_of),
        "transitions": transitions,
        "window": {
            "days": state::WINDOW_DAYS,
            "from": time::shanghai_day(from),
            "to": as_of.day,
            "vantage_points": window.iter().map(|w| json!({
                "source_key": w.source_key,
                "vantage": w.vantage,
                "simulated": w.simulated,
                "verdicts": w.verdicts,
                "latest_at": w.latest_at,
                "shares": w.shares.iter().map(|(status, share)| json!({
                    "status": status,
                    "share": share,
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        },
    }))
    .into_response())
}

/// `/api/v1/checks/{id}/observations`: every observation of a check, oldest first.
pub async fn list_observations(Path(id): Path<String>, reads: Reads) -> ApiResult {
    let r = reads.reference().await?;
    if r.check(&id).is_none() {
        return Err(no_check(&id, Lang::En));
    }
    let list = reads.store().observations(&id).await?;
    Ok(Json(json!({
        "check": id,
        "observations": list.iter().map(observation_json).collect::<Vec<_>>(),
    }))
    .into_response())
}
