//! "How open are the platforms now, and how were they when regulators stepped in?": the
//! overview page `/` and its openness charts `/charts/openness-links.svg|png` and
//! `/charts/openness-payments.svg|png`.

use super::app_state::AppState;
use super::charts::{KeptUnder, date_line, downloads, reply, split_file, status_label};
use super::drawings::{Drawings, Shape};
use super::error::{Answer, FileError, PageResult, WebError, truncate};
use super::present::compliance::deadline_highlights;
use super::present::fleet::fleet_health;
use super::present::packs::pack_statuses;
use super::present::{self, Audience, name, states_at};
use super::request::{AsOf, Params, ReaderLang, Then, chrome};
use crate::charts::data::OpennessPoint;
use crate::charts::{BandPoint, Bands, Marker, ShareChart, SharePoint, ShareSeries, share};
use crate::compliance;
use crate::domain::CheckState;
use crate::domain::Reference;
use crate::domain::{Check, Milestone};
use crate::state;
use crate::storage::{Reads, TimelineEntries, TimelineQuery};
use crate::time::{self, SHANGHAI};
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{Html, Response};
use axum::routing::get;
use chrono::{Days, NaiveDate, Utc};
use hutong_app::charts::{ChartTable, ChartView};
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use hutong_app::pages;
use std::collections::HashMap;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(show_overview))
        .route("/charts/{file}", get(get_openness_chart))
}

/// How many of the latest changes the overview lists.
const LATEST: usize = 10;

pub async fn show_overview(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    params: Params,
    at: Result<AsOf, WebError>,
    then: Result<Then, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let title = lang.t("nav-overview");
    let path = "/";
    let as_of = at.or_page(&chrome(
        lang,
        &title,
        Section::Overview,
        path,
        &AsOf::today(),
        Vec::new(),
    ))?;
    // The date compared with is kept as given, for the date form and the language switch.
    let keep = params
        .get("then")
        .map(|t| vec![("then".to_string(), t.to_string())])
        .unwrap_or_default();
    let chrome = chrome(lang, &title, Section::Overview, path, &as_of, keep);
    let then = then.or_page(&chrome)?.0;
    let reads = reads.or_page(&chrome)?;
    let view = overview(&state, &reads, lang, &as_of, then)
        .await
        .or_page(&chrome)?;
    Ok(Html(pages::overview_page(&chrome, &view)))
}

/// Each check's state at one date, with the reference data it was read with.
struct Snapshot<'a> {
    reference: &'a Reference,
    states: crate::storage::memo::CheckStates,
    /// The instant the states are read at: evidence ages are counted against it.
    at: chrono::DateTime<Utc>,
    stale_after_days: u32,
}

async fn overview(
    state: &AppState,
    reads: &Reads,
    lang: Lang,
    as_of: &AsOf,
    then_param: Option<NaiveDate>,
) -> Result<OverviewView, WebError> {
    // Simulated platforms never enter a real figure: the figures below see real checks
    // only, and so the states read are the real checks' (kept while only simulated
    // checks are written, see `Reads::check_states`).
    let real = reads.real_reference().await?;
    let r: &Reference = &real;
    let states = states_at(reads, r, as_of.instant, None, false).await?;
    let now = Snapshot {
        reference: r,
        states,
        at: as_of.instant,
        stale_after_days: as_of.stale_after_days,
    };

    // "Then": the day before the earliest deadline (how things stood when regulators
    // stepped in), unless the URL names another date.
    let first_deadline = r.requirements.iter().filter_map(|q| q.deadline).min();
    let then_day = then_param
        .or_else(|| first_deadline.map(|d| time::shanghai_day(d) - Days::new(1)))
        .filter(|d| *d < as_of.day);
    let then = match then_day {
        Some(day) => Some((
            day,
            Snapshot {
                reference: r,
                states: states_at(reads, r, time::end_of_day(day, SHANGHAI), None, false).await?,
                at: time::end_of_day(day, SHANGHAI),
                stale_after_days: as_of.stale_after_days,
            },
        )),
        None => None,
    };
    let then_caption = |day: NaiveDate| {
        let id = if then_param.is_some() {
            "overview-then"
        } else {
            "overview-then-deadline"
        };
        lang.t_args(id, &[("date", lang.date(day).into())])
    };
    let now_caption = lang.t_args("overview-now", &[("date", lang.date(as_of.day).into())]);

    let mut links = Vec::new();
    let mut payments = Vec::new();
    if let Some((day, snap)) = &then {
        links.extend(openness_view(
            snap,
            "link",
            then_caption(*day),
            *day,
            false,
            lang,
        ));
        payments.extend(openness_view(
            snap,
            "payment",
            then_caption(*day),
            *day,
            true,
            lang,
        ));
    }
    links.extend(openness_view(
        &now,
        "link",
        now_caption.clone(),
        as_of.day,
        false,
        lang,
    ));
    payments.extend(openness_view(
        &now,
        "payment",
        now_caption,
        as_of.day,
        true,
        lang,
    ));

    let query = present::date_query(as_of, lang);
    let latest = {
        let q = TimelineQuery {
            until: as_of.instant,
            since: None,
            platform: None,
            kind: None,
            source_kind: None,
            include_simulated: false,
            check: None,
            // Changes, as the heading says: first sightings outnumber them and would
            // drown the one real change (the timeline lists them on request).
            entries: TimelineEntries::Changes,
            limit: LATEST as i64,
            offset: 0,
        };
        let page = reads.timeline(&q).await?;
        let milestones: Vec<&Milestone> = r
            .milestones
            .iter()
            .filter(|m| time::start_of_day(m.date, SHANGHAI) <= as_of.instant)
            .collect();
        present::merged_entries(
            r,
            &page.0,
            &milestones,
            1,
            LATEST,
            &query,
            Audience::Reader(lang),
        )
    };
    let requirements = r
        .requirements
        .iter()
        .map(|req| requirement_view(r, req, &now.states, as_of, lang))
        .collect();
    let observations = reads.real_observation_count(&r.checks).await?;
    let probe_alerts = pack_statuses(
        &state.store,
        &state.packs,
        state.probe_alert_after,
        Utc::now(),
    )
    .await?
    .iter()
    .filter_map(|p| p.alert(Audience::Reader(lang)))
    .collect();
    let silent_vantages = fleet_health(
        &state.store,
        &state.packs,
        &state.fleet,
        state.probe_alert_after,
        Utc::now(),
    )
    .await?
    .vantages
    .iter()
    .filter_map(|v| v.alert(Audience::Reader(lang)))
    .collect();
    let deadlines =
        deadline_highlights(reads, as_of.instant, &query, as_of.stale_after_days, lang).await?;
    let charts = overview_charts(&state.drawings, reads, r, as_of, lang).await?;
    Ok(OverviewView {
        charts,
        links,
        payments,
        latest,
        requirements,
        observations,
        checks: r.checks.len() as i64,
        probe_alerts,
        silent_vantages,
        deadlines,
    })
}

/// How open the checks of one kind were on `day`, in words and buckets; payments count
/// pairs across ecosystems only (`cross_only`).
fn openness_view(
    snap: &Snapshot<'_>,
    kind_id: &str,
    caption: String,
    day: NaiveDate,
    cross_only: bool,
    lang: Lang,
) -> Option<OpennessView> {
    let r = snap.reference;
    let kind = r.kind(kind_id)?;
    let checks: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| c.kind == kind_id && (!cross_only || state::is_cross_group(r, c)))
        .collect();
    let d = state::distribution(kind, checks.iter().filter_map(|c| snap.states.get(&c.id)));
    let open_labels: Vec<&str> = kind
        .statuses
        .iter()
        .filter(|s| s.score >= crate::domain::OPEN_SCORE)
        .map(|s| {
            if lang == Lang::ZhCn {
                s.label_zh.as_str()
            } else {
                s.label_en.as_str()
            }
        })
        .collect();
    let (none_id, headline_id) = if cross_only {
        ("overview-none-pairs", "overview-headline-pairs")
    } else {
        ("overview-none-checks", "overview-headline-checks")
    };
    let headline = if d.known == 0 {
        lang.t_args(none_id, &[("total", d.total.into())])
    } else {
        lang.t_args(
            headline_id,
            &[
                ("open", d.open.into()),
                ("known", d.known.into()),
                (
                    "labels",
                    open_labels
                        .join(if lang == Lang::ZhCn { "、" } else { ", " })
                        .into(),
                ),
                (
                    "percent",
                    format!("{:.0}", 100.0 * d.open as f64 / d.known as f64).into(),
                ),
                ("unobserved", (d.total - d.known).into()),
            ],
        )
    };
    let states = || checks.iter().map(|c| snap.states.get(&c.id));
    let freshness = state::freshness(states(), snap.at, snap.stale_after_days);
    // The share must not read as today's fact when it rests on old evidence.
    let headline = if d.known > 0 && freshness.stale > 0 {
        let stale = lang.t_args(
            "overview-headline-stale",
            &[
                ("stale", freshness.stale.into()),
                ("known", d.known.into()),
                ("days", (snap.stale_after_days as usize).into()),
            ],
        );
        format!("{headline}{}{stale}", lang.semicolon())
    } else {
        headline
    };
    let stale_of = |status: &str| {
        states()
            .flatten()
            .filter(|s| s.status() == status)
            .filter_map(|s| state::evidence_age(s, snap.at, snap.stale_after_days))
            .filter(|a| a.stale)
            .count()
    };
    Some(OpennessView {
        caption,
        date: day,
        total: d.total,
        evidence: present::freshness_words(&freshness, snap.stale_after_days, lang),
        buckets: d
            .counts
            .iter()
            .map(|(id, count)| Bucket {
                status: present::status_view(Some(kind), id, lang),
                count: *count,
                stale: stale_of(id),
                share: if d.total == 0 {
                    0.0
                } else {
                    *count as f64 / d.total as f64
                },
            })
            .collect(),
        headline,
    })
}

/// A requirement's row on the overview: its deadline and how many checks comply now.
fn requirement_view(
    r: &Reference,
    req: &crate::domain::Requirement,
    states: &HashMap<String, CheckState>,
    as_of: &AsOf,
    lang: Lang,
) -> RequirementView {
    let c = compliance::standing(r, req, as_of.instant, states);
    let kind = r.kind(&req.scope.kind);
    let query = present::date_query(as_of, lang);
    let in_scope = compliance::checks_in_scope(r, req);
    let age = |id: &str| {
        states
            .get(id)
            .and_then(|s| state::evidence_age(s, as_of.instant, as_of.stale_after_days))
    };
    let evidence = present::freshness_words(
        &state::freshness(
            in_scope.iter().map(|ch| states.get(&ch.id)),
            as_of.instant,
            as_of.stale_after_days,
        ),
        as_of.stale_after_days,
        lang,
    );
    // Out of compliance, longest overdue first (all share the deadline: then by name).
    let mut failing: Vec<FailingCheck> = in_scope
        .iter()
        .filter_map(|ch| {
            let status = states
                .get(&ch.id)
                .map_or(crate::domain::UNKNOWN, CheckState::status);
            (compliance::complies(req, status) == Some(false)).then(|| FailingCheck {
                title: present::check_title(r, ch, lang),
                href: format!("/checks/{}{query}", ch.id),
                status: present::status_view(kind, status, lang),
                // The one day count: days from the deadline's day to the page's day.
                overdue_days: c.deadline.days_since,
                stale_days: age(&ch.id).filter(|a| a.stale).map(|a| a.days),
            })
        })
        .collect();
    failing.sort_by(|a, b| a.title.cmp(&b.title));
    let (deadline, deadline_state, overdue) = match req.deadline {
        None => (None, lang.t("req-no-deadline"), false),
        Some(d) => {
            let tz: chrono_tz::Tz = req.timezone.parse().unwrap_or(SHANGHAI);
            let local = d.with_timezone(&tz);
            let zone = lang.t_or(
                &format!(
                    "time-zone-{}",
                    req.timezone.replace('/', "-").to_lowercase()
                ),
                &req.timezone,
            );
            let shown = lang.t_args(
                "req-deadline-time",
                &[
                    ("date", lang.date(local.date_naive()).into()),
                    ("time", local.format("%H:%M").to_string().into()),
                    ("zone", zone.into()),
                ],
            );
            let date = lang.date(as_of.day);
            if let Some(days) = c.deadline.days_since {
                let state = lang.t_args(
                    "req-passed",
                    &[("days", days.into()), ("date", date.into())],
                );
                (Some(shown), state, c.not_compliant > 0)
            } else {
                let days = c.deadline.countdown_days.unwrap_or_default();
                let state =
                    lang.t_args("req-ahead", &[("days", days.into()), ("date", date.into())]);
                (Some(shown), state, false)
            }
        }
    };
    RequirementView {
        id: req.id.clone(),
        title: name(&req.title_zh, &req.title_en),
        authority: name(&req.authority_zh, &req.authority_en),
        issued: req.issued,
        deadline,
        deadline_state,
        overdue,
        compliant_statuses: req
            .compliant
            .iter()
            .map(|s| present::status_view(kind, s, lang))
            .collect(),
        in_scope: c.in_scope,
        compliant: c.compliant,
        not_compliant: c.not_compliant,
        unknown: c.unknown,
        citation: present::source_citation(r, &req.source, Audience::Reader(lang)),
        failing,
        evidence,
        href: format!("/requirements/{}{query}", req.id),
    }
}

// ---- Openness charts ------------------------------------------------------------------

/// The openness charts: file stem and check kind.
pub const OPENNESS: [(&str, &str); 2] =
    [("openness-links", "link"), ("openness-payments", "payment")];

/// Larger histories are read per request rather than kept in memory.
const KEEP_MAX_CHANGES: usize = 500_000;

/// The checks whose openness is charted, as the overview counts them: real link checks;
/// real payment pairs across ecosystems.
fn population<'a>(r: &'a Reference, kind: &str) -> Vec<&'a Check> {
    r.checks
        .iter()
        .filter(|c| c.kind == kind && !r.is_simulated_check(c))
        .filter(|c| kind != "payment" || state::is_cross_group(r, c))
        .collect()
}

/// Openness over time of one kind, with its data table. `None` when the catalog has no
/// such kind. Every real confirmed change of the kind is kept between requests while the
/// data version holds: the overview draws two charts on every view.
async fn openness_chart(
    reads: &Reads,
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
    let days = as_of.stale_after_days;
    let points = reads
        .weekly_openness(
            kind,
            &checks,
            days,
            as_of.day,
            as_of.instant,
            KEEP_MAX_CHANGES,
        )
        .await?;
    let open_labels: Vec<String> = kind
        .statuses
        .iter()
        .filter(|s| s.score >= crate::domain::OPEN_SCORE)
        .map(|s| status_label(lang, s))
        .collect();
    let sep = if lang == Lang::ZhCn { "、" } else { ", " };
    let (title, subtitle, series) = if kind_id == "payment" {
        (
            "charts-openness-payments-title",
            "charts-openness-payments-subtitle-all",
            "charts-openness-payments-series",
        )
    } else {
        (
            "charts-openness-links-title",
            "charts-openness-links-subtitle-all",
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
            label: lang.t_args(
                "charts-series-of-total",
                &[
                    ("label", lang.t(series).into()),
                    ("total", checks.len().into()),
                ],
            ),
            points: points
                .iter()
                .map(|p| SharePoint {
                    date: p.day,
                    value: (p.total > 0).then(|| p.of_total(p.open)),
                })
                .collect(),
        }],
        milestones,
        source_line: lang.t("charts-source-line"),
        date_line: date_line(lang, as_of),
        simulated: false,
        bands: Some(Bands {
            points: points
                .iter()
                .map(|p| BandPoint {
                    date: p.day,
                    stale: p.of_total(p.stale),
                    unknown: p.of_total(p.unknown),
                })
                .collect(),
            rest_label: lang.t("charts-band-not-open"),
            stale_label: lang.t_args("charts-band-stale", &[("days", i64::from(days).into())]),
            unknown_label: lang.t("charts-band-unknown"),
        }),
    };
    let table = ChartTable {
        caption: chart.title.clone(),
        headers: vec![
            lang.t("charts-table-date"),
            lang.t("charts-table-open"),
            lang.t("charts-table-not-open"),
            lang.t("charts-table-stale"),
            lang.t("charts-table-unknown"),
            lang.t("charts-table-total"),
            lang.t("charts-table-share-current"),
        ],
        rows: points.iter().map(|p| openness_row(lang, p)).collect(),
    };
    Ok(Some((chart, table)))
}

fn openness_row(lang: Lang, p: &OpennessPoint) -> Vec<String> {
    vec![
        p.day.to_string(),
        p.open.to_string(),
        p.not_open.to_string(),
        p.stale.to_string(),
        p.unknown.to_string(),
        p.total.to_string(),
        share_of(lang, p.open, p.current()),
    ]
}

/// "3 of 7 (43%)", or that none is current.
pub(super) fn share_of(lang: Lang, n: usize, of: usize) -> String {
    if of == 0 {
        return lang.t("charts-table-none");
    }
    lang.t_args(
        "charts-table-n-of",
        &[
            ("n", n.into()),
            ("of", of.into()),
            ("share", share::percent(n as f64 / of as f64).into()),
        ],
    )
}

/// The overview's inline charts.
async fn overview_charts(
    drawings: &Drawings,
    reads: &Reads,
    r: &Reference,
    as_of: &AsOf,
    lang: Lang,
) -> Result<Vec<ChartView>, WebError> {
    let mut out = Vec::new();
    for (stem, kind) in OPENNESS {
        if let Some((chart, table)) = openness_chart(reads, r, stem, kind, as_of, lang).await? {
            let (svg_href, png_href) = downloads(&format!("/charts/{stem}"), as_of, lang);
            out.push(ChartView {
                id: format!("figure-{stem}"),
                svg: drawings.share(&chart, lang, Shape::Wide),
                narrow_svg: drawings.share(&chart, lang, Shape::Narrow),
                table,
                svg_href,
                png_href,
            });
        }
    }
    Ok(out)
}

/// `/charts/openness-links.svg|png`, `/charts/openness-payments.svg|png` (`at`, `lang`).
pub async fn get_openness_chart(
    State(state): State<AppState>,
    Path(file): Path<String>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> Result<Response, FileError> {
    let not_found = || {
        Err(WebError::NotFound(lang.t_args(
            "error-no-chart-openness",
            &[("file", truncate(&file).into())],
        )))
        .or_file(lang)
    };
    let Some((stem, format)) = split_file(&file) else {
        return not_found();
    };
    let Some((stem, kind)) = OPENNESS.into_iter().find(|(s, _)| *s == stem) else {
        return not_found();
    };
    let as_of = at.or_file(lang)?;
    let reads = reads.or_file(lang)?;
    let r = reads.reference().await.or_file(lang)?;
    let Some((chart, _)) = openness_chart(&reads, &r, stem, kind, &as_of, lang)
        .await
        .or_file(lang)?
    else {
        return not_found();
    };
    let svg = state.drawings.share(&chart, lang, Shape::Wide);
    let stem = format!("{stem}-{}-{}", as_of.day, lang.code());
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
