//! Dashboard pages: read the URL, ask storage, fill the view data, render with Leptos.

use super::params::{Params, truncate};
use super::views::{self, name};
use super::{AppState, AsOf, WebError};
use crate::catalog::{Check, Side};
use crate::compliance;
use crate::domain::SourceKind;
use crate::state::{self, CheckState};
use crate::storage::{StateFilter, TimelineQuery};
use crate::time::{self, SHANGHAI};
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, Days, NaiveDate, Utc};
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use hutong_app::pages;
use std::collections::HashMap;

/// A failed page keeps the furniture it was going to render with, so the error page
/// shows the same navigation and date.
pub(super) type PageFailure = Box<(Chrome, WebError)>;
pub(super) type PageResult = Result<Response, PageFailure>;

pub(super) fn failure(chrome: &Chrome, e: impl Into<WebError>) -> PageFailure {
    Box::new((chrome.clone(), e.into()))
}

pub(super) fn chrome(
    title: &str,
    section: Section,
    path: &str,
    as_of: &AsOf,
    keep: Vec<(String, String)>,
) -> Chrome {
    Chrome {
        title: title.to_string(),
        section,
        path: path.to_string(),
        at: as_of.day,
        at_is_today: as_of.is_today,
        today: time::today(),
        keep,
        lang: super::lang::current(),
    }
}

pub(super) fn html(page: String) -> Response {
    Html(page).into_response()
}

pub(super) fn finish(result: PageResult) -> Response {
    match result {
        Ok(r) => r,
        Err(failure) => {
            let (chrome, e) = *failure;
            let status = e.status();
            (
                status,
                Html(pages::error_page(
                    &chrome,
                    status.as_u16(),
                    &e.public_message(),
                )),
            )
                .into_response()
        }
    }
}

/// Parses `at`, answering a 400 page (shown as of today) when it is wrong.
pub(super) fn as_of_or_error(
    params: &Params,
    title: &str,
    section: Section,
    path: &str,
) -> Result<AsOf, PageFailure> {
    params
        .as_of()
        .map_err(|e| failure(&chrome(title, section, path, &AsOf::today(), Vec::new()), e))
}

/// The query internal links carry: the page's date (unless today) and its language.
pub(super) fn date_query(as_of: &AsOf) -> String {
    hutong_app::components::keep_query(
        (!as_of.is_today).then_some(as_of.day),
        super::lang::current(),
    )
}

/// A link to `path` with its own parameters, keeping the page's date and language.
pub(super) fn link_with(path: &str, params: &[(String, String)], as_of: &AsOf) -> String {
    hutong_app::components::link_with(
        path,
        params,
        (!as_of.is_today).then_some(as_of.day),
        super::lang::current(),
    )
}

/// Everything a matrix-like page needs: reference data and each check's state.
struct Snapshot {
    reference: std::sync::Arc<crate::storage::Reference>,
    states: HashMap<String, CheckState>,
}

async fn snapshot(
    state: &AppState,
    at: DateTime<Utc>,
    kind: Option<&str>,
) -> Result<Snapshot, WebError> {
    let reference = state.reference().await?;
    let states = states_at(state, &reference, at, kind, false).await?;
    Ok(Snapshot { reference, states })
}

/// Each check's state at `at`, for reference data already read; simulated observations
/// count only when asked for (the matrices and pages of simulated platforms).
async fn states_at(
    state: &AppState,
    reference: &crate::storage::Reference,
    at: DateTime<Utc>,
    kind: Option<&str>,
    include_simulated: bool,
) -> Result<HashMap<String, CheckState>, WebError> {
    let filter = StateFilter {
        kind: kind.map(str::to_string),
        include_simulated,
        ..StateFilter::default()
    };
    let rows = state.state_as_of(at, &filter).await?;
    Ok(state::states(
        reference
            .checks
            .iter()
            .filter(|c| kind.is_none_or(|k| c.kind == k)),
        rows,
    ))
}

pub async fn show_overview(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(overview(&state, Params::parse(q.as_deref())).await)
}

async fn overview(state: &AppState, params: Params) -> PageResult {
    let lang = super::lang::current();
    let title = lang.t("nav-overview");
    let as_of = as_of_or_error(&params, &title, Section::Overview, "/")?;
    let then_param = params.day("then");
    let keep = params
        .get("then")
        .map(|t| vec![("then".to_string(), t.to_string())])
        .unwrap_or_default();
    let chrome = chrome(&title, Section::Overview, "/", &as_of, keep);
    let fail = |e: WebError| failure(&chrome, e);
    let then_param = then_param.map_err(fail)?;
    let mut now = snapshot(state, as_of.instant, None).await.map_err(fail)?;
    // Simulated platforms never enter a real figure: the figures below see real checks only.
    now.reference = state.real_reference().await.map_err(|e| fail(e.into()))?;
    let r = &now.reference;

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
                reference: now.reference.clone(),
                states: states_at(
                    state,
                    &now.reference,
                    time::end_of_day(day, SHANGHAI),
                    None,
                    false,
                )
                .await
                .map_err(fail)?,
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

    let openness =
        |snap: &Snapshot, kind_id: &str, caption: String, day: NaiveDate, cross_only: bool| {
            let kind = snap.reference.kind(kind_id)?;
            let checks: Vec<&Check> = snap
                .reference
                .checks
                .iter()
                .filter(|c| {
                    c.kind == kind_id && (!cross_only || state::is_cross_group(&snap.reference, c))
                })
                .collect();
            let d = state::distribution(kind, checks.iter().filter_map(|c| snap.states.get(&c.id)));
            let open_labels: Vec<&str> = kind
                .statuses
                .iter()
                .filter(|s| s.score >= state::OPEN_SCORE)
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
            Some(OpennessView {
                caption,
                date: day,
                total: d.total,
                buckets: d
                    .counts
                    .iter()
                    .map(|(id, count)| Bucket {
                        status: views::status_view(Some(kind), id),
                        count: *count,
                        share: if d.total == 0 {
                            0.0
                        } else {
                            *count as f64 / d.total as f64
                        },
                    })
                    .collect(),
                headline,
            })
        };
    let mut links = Vec::new();
    let mut payments = Vec::new();
    if let Some((day, snap)) = &then {
        links.extend(openness(snap, "link", then_caption(*day), *day, false));
        payments.extend(openness(snap, "payment", then_caption(*day), *day, true));
    }
    links.extend(openness(
        &now,
        "link",
        now_caption.clone(),
        as_of.day,
        false,
    ));
    payments.extend(openness(&now, "payment", now_caption, as_of.day, true));

    let query = date_query(&as_of);
    let (latest, _) = timeline_entries(state, r, &as_of, &TimelineFilter::default(), 1, 10, &query)
        .await
        .map_err(fail)?;
    let requirements = r
        .requirements
        .iter()
        .map(|req| {
            let c = compliance::standing(r, req, as_of.instant, &now.states);
            let kind = r.kind(&req.scope.kind);
            let (deadline, deadline_state, overdue) = match req.deadline {
                None => (None, lang.t("req-no-deadline"), false),
                Some(d) => {
                    let tz: chrono_tz::Tz = req.timezone.parse().unwrap_or(SHANGHAI);
                    let local = d.with_timezone(&tz);
                    let shown = format!(
                        "{} {} ({})",
                        lang.date(local.date_naive()),
                        local.format("%H:%M"),
                        req.timezone
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
                        let state = lang
                            .t_args("req-ahead", &[("days", days.into()), ("date", date.into())]);
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
                    .map(|s| views::status_view(kind, s))
                    .collect(),
                in_scope: c.in_scope,
                compliant: c.compliant,
                not_compliant: c.not_compliant,
                unknown: c.unknown,
                citation: views::source_citation(r, &req.source),
            }
        })
        .collect();
    let observations = state
        .store
        .real_observation_count()
        .await
        .map_err(|e| fail(e.into()))?;
    let probe_alerts = super::probe_pages::pack_statuses(state, Utc::now())
        .await
        .map_err(|e| fail(e.into()))?
        .iter()
        .filter_map(|p| p.alert())
        .collect();
    let deadlines = super::requirement_pages::deadline_highlights(state, &as_of, chrome.lang)
        .await
        .map_err(fail)?;
    let charts = super::charts::overview_charts(state, r, &as_of, chrome.lang)
        .await
        .map_err(fail)?;
    let data = OverviewView {
        charts,
        links,
        payments,
        latest,
        requirements,
        observations,
        checks: r.checks.len() as i64,
        probe_alerts,
        deadlines,
    };
    Ok(html(pages::overview_page(&chrome, &data)))
}

pub async fn show_links(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(
        matrix(
            &state,
            Params::parse(q.as_deref()),
            "link",
            "nav-links",
            Section::Links,
            "/links",
        )
        .await,
    )
}

pub async fn show_payments(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(
        matrix(
            &state,
            Params::parse(q.as_deref()),
            "payment",
            "nav-payments",
            Section::Payments,
            "/payments",
        )
        .await,
    )
}

pub async fn show_qr(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(
        matrix(
            &state,
            Params::parse(q.as_deref()),
            "qr",
            "nav-qr",
            Section::Qr,
            "/qr",
        )
        .await,
    )
}

async fn matrix(
    state: &AppState,
    params: Params,
    kind_id: &str,
    title_id: &str,
    section: Section,
    path: &str,
) -> PageResult {
    let lang = super::lang::current();
    let title = lang.t_or(title_id, title_id);
    let as_of = as_of_or_error(&params, &title, section, path)?;
    let chrome = chrome(&title, section, path, &as_of, Vec::new());
    let fail = |e: WebError| failure(&chrome, e);
    let snap = snapshot(state, as_of.instant, Some(kind_id))
        .await
        .map_err(fail)?;
    let m = build_matrix(&snap, kind_id, &as_of, false).ok_or_else(|| {
        fail(WebError::NotFound(
            lang.t_args("error-no-kind", &[("kind", kind_id.into())]),
        ))
    })?;
    // Simulated platforms get their own matrix below the real one, and only once the
    // simulator has observed something of this kind.
    let r = &snap.reference;
    let simulated = if r
        .checks
        .iter()
        .any(|c| c.kind == kind_id && r.is_simulated_check(c))
    {
        let states = states_at(state, r, as_of.instant, Some(kind_id), true)
            .await
            .map_err(fail)?;
        let observed = r.checks.iter().any(|c| {
            r.is_simulated_check(c) && states.get(&c.id).is_some_and(|s| s.latest.is_some())
        });
        let sim = Snapshot {
            reference: snap.reference.clone(),
            states,
        };
        if observed {
            build_matrix(&sim, kind_id, &as_of, true)
        } else {
            None
        }
    } else {
        None
    };
    Ok(html(pages::matrix_page(&chrome, &m, simulated.as_ref())))
}

/// Subjects down, objects across; rows with the most checks first, columns by ecosystem.
/// Either the real checks or (`simulated`) those of simulated platforms, never both.
fn build_matrix(
    snap: &Snapshot,
    kind_id: &str,
    as_of: &AsOf,
    simulated: bool,
) -> Option<MatrixView> {
    let r = &snap.reference;
    let kind = r.kind(kind_id)?;
    let query = date_query(as_of);
    let checks: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| c.kind == kind_id && r.is_simulated_check(c) == simulated)
        .collect();
    let mut subjects: Vec<&str> = Vec::new();
    let mut objects: Vec<&str> = Vec::new();
    for c in &checks {
        if !subjects.contains(&c.subject.as_str()) {
            subjects.push(&c.subject);
        }
        if !objects.contains(&c.object.as_str()) {
            objects.push(&c.object);
        }
    }
    let count = |s: &str| checks.iter().filter(|c| c.subject == s).count();
    subjects.sort_by(|a, b| count(b).cmp(&count(a)).then(a.cmp(b)));
    objects.sort_by_key(|o| {
        (
            r.ecosystem_of(kind.object, o).unwrap_or("").to_string(),
            o.to_string(),
        )
    });
    let by_pair: HashMap<(&str, &str), &Check> = checks
        .iter()
        .map(|c| ((c.subject.as_str(), c.object.as_str()), *c))
        .collect();
    let rows = subjects
        .iter()
        .map(|s| MatrixRow {
            header: views::side_header(r, kind.subject, s, &query),
            cells: objects
                .iter()
                .map(|o| {
                    by_pair
                        .get(&(*s, *o))
                        .map(|c| views::cell(r, c, snap.states.get(&c.id), as_of, &query))
                })
                .collect(),
        })
        .collect();
    Some(MatrixView {
        kind_id: kind.id.clone(),
        kind_name: name(&kind.name_zh, &kind.name_en),
        subject_label: name(&kind.subject_label_zh, &kind.subject_label_en),
        object_label: name(&kind.object_label_zh, &kind.object_label_en),
        columns: objects
            .iter()
            .map(|o| views::side_header(r, kind.object, o, &query))
            .collect(),
        rows,
        ladder: views::ladder(kind),
        simulated_included: simulated,
    })
}

/// Observations per page of a check's history: probes write thousands per check.
pub const CHECK_HISTORY_PAGE: usize = 50;

pub async fn show_check(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    finish(check(&state, &id, Params::parse(q.as_deref())).await)
}

async fn check(state: &AppState, id: &str, params: Params) -> PageResult {
    let path = format!("/checks/{id}");
    let lang = super::lang::current();
    let title = lang.t("title-check");
    let as_of = as_of_or_error(&params, &title, Section::Other, &path)?;
    let mut chrome = chrome(&title, Section::Other, &path, &as_of, Vec::new());
    let fail = |chrome: &Chrome, e: WebError| failure(chrome, e);
    let r = state
        .reference()
        .await
        .map_err(|e| fail(&chrome, e.into()))?;
    let Some(c) = r.check(id) else {
        return Err(fail(
            &chrome,
            WebError::NotFound(lang.t_args("error-no-check", &[("id", truncate(id).into())])),
        ));
    };
    let Some(kind) = r.kind(&c.kind) else {
        return Err(fail(
            &chrome,
            WebError::NotFound(lang.t_args("error-check-kind", &[("id", truncate(id).into())])),
        ));
    };
    chrome.title = views::check_title(&r, c);
    let query = date_query(&as_of);
    let filter = StateFilter {
        check: Some(id.to_string()),
        include_simulated: true,
        ..StateFilter::default()
    };
    let rows = state
        .state_as_of(as_of.instant, &filter)
        .await
        .map_err(|e| fail(&chrome, e.into()))?;
    let states = state::states([c], rows);
    let st = states.get(id);
    let page = params.page().map_err(|e| fail(&chrome, e))?;
    if page > 1 {
        // A check's history does not depend on the date: its page survives a date or
        // language change.
        chrome.keep = vec![("page".to_string(), page.to_string())];
    }
    let offset = ((page - 1) * CHECK_HISTORY_PAGE) as i64;
    let (observations, total) = state
        .store
        .check_history(id, CHECK_HISTORY_PAGE as i64, offset)
        .await
        .map_err(|e| fail(&chrome, e.into()))?;
    let total = usize::try_from(total).unwrap_or(0);
    let pages_count = total.div_ceil(CHECK_HISTORY_PAGE);
    if page > pages_count.max(1) {
        return Err(fail(
            &chrome,
            WebError::NotFound(lang.t_args(
                "error-check-page",
                &[("page", page.into()), ("pages", pages_count.into())],
            )),
        ));
    }
    let page_href = |p: usize| {
        let pairs = if p > 1 {
            vec![("page".to_string(), p.to_string())]
        } else {
            Vec::new()
        };
        link_with(&path, &pairs, &as_of)
    };
    let transitions = state
        .transitions(id)
        .await
        .map_err(|e| fail(&chrome, e.into()))?;
    let changed: HashMap<i64, Option<&str>> = transitions
        .iter()
        .map(|t| (t.observation_id, t.from_status.as_deref()))
        .collect();
    let history = observations
        .iter()
        .map(|o| HistoryRow {
            when: views::when(o.observed_at, &o.precision),
            approximate: o.is_approximate(),
            status: views::status_view(Some(kind), &o.status),
            citation: views::citation(&r, o),
            quote: o.quote.clone(),
            note: o.note_in(lang),
            transition_from: changed
                .get(&o.id)
                .map(|from| from.map(|s| views::status_view(Some(kind), s))),
            after_at: o.observed_at > as_of.instant,
            observation_href: o
                .pack_id
                .is_some()
                .then(|| format!("/observations/{}{query}", o.id)),
            probe: views::probe_note(o),
        })
        .collect();
    let chart = super::charts::check_chart(state, &r, c, &as_of, chrome.lang)
        .await
        .map_err(|e| fail(&chrome, e))?;
    let view = CheckView {
        chart,
        id: c.id.clone(),
        kind_name: name(&kind.name_zh, &kind.name_en),
        subject_label: name(&kind.subject_label_zh, &kind.subject_label_en),
        object_label: name(&kind.object_label_zh, &kind.object_label_en),
        subject: views::side_header(&r, kind.subject, &c.subject, &query),
        object: views::side_header(&r, kind.object, &c.object, &query),
        cell: views::cell(&r, c, st, &as_of, &query),
        current: st
            .map(|s| {
                s.per_source
                    .iter()
                    .map(|o| views::opinion(&r, Some(kind), o))
                    .collect()
            })
            .unwrap_or_default(),
        history,
        ladder: views::ladder(kind),
        page,
        pages: pages_count,
        total,
        newer: (page > 1).then(|| page_href(page - 1)),
        older: (page < pages_count).then(|| page_href(page + 1)),
    };
    Ok(html(pages::check_page(&chrome, &view)))
}

pub async fn show_platforms(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(platforms(&state, Params::parse(q.as_deref())).await)
}

async fn platforms(state: &AppState, params: Params) -> PageResult {
    let title = super::lang::current().t("nav-platforms");
    let as_of = as_of_or_error(&params, &title, Section::Platforms, "/platforms")?;
    let chrome = chrome(&title, Section::Platforms, "/platforms", &as_of, Vec::new());
    let r = state.reference().await.map_err(|e| failure(&chrome, e))?;
    let mut items: Vec<PlatformListItem> = r
        .platforms
        .iter()
        .map(|p| PlatformListItem {
            slug: p.slug.clone(),
            name: name(&p.name_zh, &p.name_en),
            kind: p.kind.clone(),
            group: r
                .group(&p.group)
                .map_or_else(|| name("", &p.group), |g| name(&g.name_zh, &g.name_en)),
            checks: platform_checks(&r, &p.slug).len(),
            simulated: r.is_simulated_platform(&p.slug),
        })
        .collect();
    items.sort_by(|a, b| a.group.en.cmp(&b.group.en).then(a.name.en.cmp(&b.name.en)));
    Ok(html(pages::platform_list_page(&chrome, &items)))
}

/// The checks a platform takes part in, with its role in each.
fn platform_checks<'a>(r: &'a crate::storage::Reference, slug: &str) -> Vec<(&'a Check, bool)> {
    r.checks
        .iter()
        .filter_map(|c| {
            let kind = r.kind(&c.kind)?;
            if c.subject == slug && kind.subject == Side::Platform {
                Some((c, true))
            } else if c.object == slug && kind.object == Side::Platform {
                Some((c, false))
            } else {
                None
            }
        })
        .collect()
}

pub async fn show_platform(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    finish(platform(&state, &slug, Params::parse(q.as_deref())).await)
}

async fn platform(state: &AppState, slug: &str, params: Params) -> PageResult {
    let path = format!("/platforms/{slug}");
    let lang = super::lang::current();
    let title = lang.t("title-platform");
    let as_of = as_of_or_error(&params, &title, Section::Platforms, &path)?;
    let mut chrome = chrome(&title, Section::Platforms, &path, &as_of, Vec::new());
    let mut snap = snapshot(state, as_of.instant, None)
        .await
        .map_err(|e| failure(&chrome, e))?;
    let simulated = snap.reference.is_simulated_platform(slug);
    if simulated {
        // A simulated platform's page is all demo data, labelled as such.
        snap.states = states_at(state, &snap.reference, as_of.instant, None, true)
            .await
            .map_err(|e| failure(&chrome, e))?;
    }
    let r = &snap.reference;
    let Some(p) = r.platform(slug) else {
        let e = WebError::NotFound(
            lang.t_args("error-no-platform", &[("slug", truncate(slug).into())]),
        );
        return Err(failure(&chrome, e));
    };
    chrome.title = match lang {
        Lang::En => format!("{} {}", p.name_en, p.name_zh),
        Lang::ZhCn => format!("{} {}", p.name_zh, p.name_en),
    };
    let query = date_query(&as_of);
    let checks = platform_checks(r, slug)
        .into_iter()
        .filter_map(|(c, as_subject)| {
            let kind = r.kind(&c.kind)?;
            let (role, other) = if as_subject {
                (
                    name(&kind.subject_label_zh, &kind.subject_label_en)
                        .get(lang)
                        .to_string(),
                    views::side_header(r, kind.object, &c.object, &query),
                )
            } else {
                (
                    name(&kind.object_label_zh, &kind.object_label_en)
                        .get(lang)
                        .to_string(),
                    views::side_header(r, kind.subject, &c.subject, &query),
                )
            };
            Some(CheckSummary {
                kind_name: name(&kind.name_zh, &kind.name_en),
                role,
                other,
                cell: views::cell(r, c, snap.states.get(&c.id), &as_of, &query),
            })
        })
        .collect();
    let group = r.group(&p.group);
    let ecosystem = group
        .and_then(|g| g.ecosystem.as_deref())
        .and_then(|e| r.group(e))
        .map(|g| name(&g.name_zh, &g.name_en));
    let view = PlatformView {
        slug: p.slug.clone(),
        name: name(&p.name_zh, &p.name_en),
        kind: p.kind.clone(),
        group: group.map_or_else(|| name("", &p.group), |g| name(&g.name_zh, &g.name_en)),
        ecosystem,
        domains: p.domains.clone(),
        checks,
        simulated,
    };
    Ok(html(pages::platform_page(&chrome, &view)))
}

pub async fn show_source(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    finish(source(&state, &id, Params::parse(q.as_deref())).await)
}

async fn source(state: &AppState, id: &str, params: Params) -> PageResult {
    let path = format!("/sources/{id}");
    let lang = super::lang::current();
    let title = lang.t("title-source");
    let as_of = as_of_or_error(&params, &title, Section::Other, &path)?;
    let mut chrome = chrome(&title, Section::Other, &path, &as_of, Vec::new());
    let r = state.reference().await.map_err(|e| failure(&chrome, e))?;
    let Some(src) = r.source(id) else {
        let e = WebError::NotFound(lang.t_args("error-no-source", &[("id", truncate(id).into())]));
        return Err(failure(&chrome, e));
    };
    chrome.title = format!("{}: {}", src.publisher, src.title);
    let query = date_query(&as_of);
    let cited = state
        .store
        .observations_citing(id)
        .await
        .map_err(|e| failure(&chrome, e))?;
    let facts = cited
        .iter()
        .filter_map(|o| {
            let check = r.check(&o.check_id)?;
            Some(SourceFact {
                check_title: views::check_title(&r, check),
                check_href: format!("/checks/{}{query}", check.id),
                when: views::when(o.observed_at, &o.precision),
                approximate: o.is_approximate(),
                status: views::status_view(r.kind(&check.kind), &o.status),
                quote: o.quote.clone(),
                note: o.note_in(lang),
            })
        })
        .collect();
    let view = SourceView {
        id: src.id.clone(),
        kind: src.kind.as_str().to_string(),
        publisher: src.publisher.clone(),
        title: src.title.clone(),
        title_en: src.title_en.clone(),
        date: src.date,
        language: src.language.clone(),
        region: src.region.clone(),
        url: src.url.clone(),
        facts,
        milestones: r
            .milestones
            .iter()
            .filter(|m| m.source == id)
            .map(|m| views::milestone_entry(&r, m))
            .collect(),
    };
    Ok(html(pages::source_page(&chrome, &view)))
}

/// Timeline filters, as given in the URL.
#[derive(Debug, Default, Clone)]
pub struct TimelineFilter {
    pub platform: Option<String>,
    /// A check kind, or `milestone` for milestones only.
    pub kind: Option<String>,
    pub source: Option<SourceKind>,
    /// First day shown (`?from=`, a Beijing day, inclusive).
    pub from: Option<NaiveDate>,
    /// Last day shown (`?to=`, a Beijing day, inclusive).
    pub to: Option<NaiveDate>,
}

impl TimelineFilter {
    pub fn parse(
        params: &Params,
        r: &crate::storage::Reference,
    ) -> Result<TimelineFilter, WebError> {
        let platform = params.get("platform").map(str::to_string);
        if let Some(p) = &platform
            && r.platform(p).is_none()
        {
            return Err(WebError::BadRequest(
                super::lang::current()
                    .t_args("error-param-platform", &[("slug", truncate(p).into())]),
            ));
        }
        let mut kinds: Vec<&str> = r.kinds.iter().map(|k| k.id.as_str()).collect();
        kinds.push("milestone");
        let kind = params.one_of("kind", &kinds)?;
        let sources: Vec<&str> = SourceKind::ALL.iter().map(|k| k.as_str()).collect();
        let source = params
            .one_of("source", &sources)?
            .and_then(|s| s.parse().ok());
        let from = params.day("from")?;
        let to = params.day("to")?;
        if let (Some(f), Some(t)) = (from, to)
            && f > t
        {
            return Err(WebError::BadRequest(super::lang::current().t_args(
                "error-param-range-reversed",
                &[("from", f.to_string().into()), ("to", t.to_string().into())],
            )));
        }
        Ok(TimelineFilter {
            platform,
            kind,
            source,
            from,
            to,
        })
    }

    /// The first instant shown, if the range has a start.
    pub fn since(&self) -> Option<DateTime<Utc>> {
        self.from.map(|d| time::start_of_day(d, SHANGHAI))
    }

    /// The last instant shown: the end of `to`, or of the page's date if earlier.
    pub fn until(&self, as_of: &AsOf) -> DateTime<Utc> {
        match self.to {
            Some(d) => time::end_of_day(d, SHANGHAI).min(as_of.instant),
            None => as_of.instant,
        }
    }

    /// Whether a milestone falls within these filters and dates.
    pub fn keeps_milestone(
        &self,
        r: &crate::storage::Reference,
        m: &crate::catalog::Milestone,
        as_of: &AsOf,
    ) -> bool {
        let at = time::start_of_day(m.date, SHANGHAI);
        at <= self.until(as_of)
            && self.since().is_none_or(|s| at >= s)
            && self
                .platform
                .as_ref()
                .is_none_or(|p| m.platforms.contains(p))
            && match self.kind.as_deref() {
                None | Some("milestone") => true,
                Some(k) => m.kinds.iter().any(|mk| mk == k),
            }
            && self
                .source
                .is_none_or(|s| r.source(&m.source).is_some_and(|src| src.kind == s))
    }

    /// The storage query for these filters (transitions only).
    pub fn query(&self, as_of: &AsOf, limit: i64, offset: i64) -> TimelineQuery {
        TimelineQuery {
            until: self.until(as_of),
            since: self.since(),
            platform: self.platform.clone(),
            kind: self.kind.clone(),
            source_kind: self.source,
            include_simulated: self.source == Some(SourceKind::Simulated),
            limit,
            offset,
        }
    }

    /// The filters as query pairs, in a fixed order (without `at`).
    pub fn pairs(&self) -> Vec<(String, String)> {
        let mut v = Vec::new();
        if let Some(p) = &self.platform {
            v.push(("platform".to_string(), p.clone()));
        }
        if let Some(k) = &self.kind {
            v.push(("kind".to_string(), k.clone()));
        }
        if let Some(s) = self.source {
            v.push(("source".to_string(), s.as_str().to_string()));
        }
        if let Some(d) = self.from {
            v.push(("from".to_string(), d.to_string()));
        }
        if let Some(d) = self.to {
            v.push(("to".to_string(), d.to_string()));
        }
        v
    }
}

/// Transitions and milestones merged, newest first; returns one page and the total.
pub async fn timeline_entries(
    state: &AppState,
    r: &crate::storage::Reference,
    as_of: &AsOf,
    f: &TimelineFilter,
    page: usize,
    per_page: usize,
    query: &str,
) -> Result<(Vec<TimelineEntry>, usize), WebError> {
    let wanted = page * per_page;
    let milestones_only = f.kind.as_deref() == Some("milestone");
    let (transitions, transition_total) = if milestones_only {
        (Vec::new(), 0)
    } else {
        let q = f.query(as_of, wanted as i64, 0);
        let page = state.timeline(&q).await?;
        (page.0.clone(), page.1 as usize)
    };
    let milestones: Vec<_> = r
        .milestones
        .iter()
        .filter(|m| f.keeps_milestone(r, m, as_of))
        .collect();
    let total = transition_total + milestones.len();
    let mut merged: Vec<(DateTime<Utc>, TimelineEntry)> = transitions
        .iter()
        .map(|t| (t.occurred_at, views::transition_entry(r, t, query)))
        .chain(milestones.iter().map(|m| {
            (
                time::start_of_day(m.date, SHANGHAI),
                views::milestone_entry(r, m),
            )
        }))
        .collect();
    merged.sort_by_key(|e| std::cmp::Reverse(e.0));
    let entries = merged
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|(_, e)| e)
        .collect();
    Ok((entries, total))
}

pub const TIMELINE_PAGE: usize = 50;

pub async fn show_timeline(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(timeline(&state, Params::parse(q.as_deref())).await)
}

async fn timeline(state: &AppState, params: Params) -> PageResult {
    let lang = super::lang::current();
    let title = lang.t("nav-timeline");
    let as_of = as_of_or_error(&params, &title, Section::Timeline, "/timeline")?;
    let mut chrome = chrome(&title, Section::Timeline, "/timeline", &as_of, Vec::new());
    let r = state.reference().await.map_err(|e| failure(&chrome, e))?;
    let filter = TimelineFilter::parse(&params, &r).map_err(|e| failure(&chrome, e))?;
    let page = params.page().map_err(|e| failure(&chrome, e))?;
    chrome.keep = filter.pairs();
    let query = date_query(&as_of);
    let (entries, total) =
        timeline_entries(state, &r, &as_of, &filter, page, TIMELINE_PAGE, &query)
            .await
            .map_err(|e| failure(&chrome, e))?;
    let pages_count = total.div_ceil(TIMELINE_PAGE);
    let page_href = |p: usize| {
        let mut pairs = filter.pairs();
        if p > 1 {
            pairs.push(("page".to_string(), p.to_string()));
        }
        link_with("/timeline", &pairs, &as_of)
    };
    let mut platforms = vec![FilterOption {
        value: String::new(),
        label: lang.t("timeline-all-platforms"),
        selected: filter.platform.is_none(),
    }];
    let mut sorted: Vec<_> = r.platforms.iter().collect();
    match lang {
        Lang::En => sorted.sort_by(|a, b| a.name_en.cmp(&b.name_en)),
        Lang::ZhCn => sorted.sort_by(|a, b| a.name_zh.cmp(&b.name_zh)),
    }
    platforms.extend(sorted.into_iter().map(|p| FilterOption {
        value: p.slug.clone(),
        label: match lang {
            Lang::En => format!("{} {}", p.name_en, p.name_zh),
            Lang::ZhCn => format!("{} {}", p.name_zh, p.name_en),
        },
        selected: filter.platform.as_deref() == Some(p.slug.as_str()),
    }));
    let mut kinds = vec![FilterOption {
        value: String::new(),
        label: lang.t("timeline-all-kinds"),
        selected: filter.kind.is_none(),
    }];
    kinds.extend(r.kinds.iter().map(|k| FilterOption {
        value: k.id.clone(),
        label: name(&k.name_zh, &k.name_en).get(lang).to_string(),
        selected: filter.kind.as_deref() == Some(k.id.as_str()),
    }));
    kinds.push(FilterOption {
        value: "milestone".into(),
        label: lang.t("timeline-milestones-only"),
        selected: filter.kind.as_deref() == Some("milestone"),
    });
    let mut sources = vec![FilterOption {
        value: String::new(),
        label: lang.t("timeline-all-sources"),
        selected: filter.source.is_none(),
    }];
    sources.extend(SourceKind::ALL.iter().map(|s| FilterOption {
        value: s.as_str().into(),
        label: if *s == SourceKind::Simulated {
            lang.t("timeline-simulated-source")
        } else {
            lang.t_or(&format!("source-kind-{}", s.as_str()), s.as_str())
        },
        selected: filter.source == Some(*s),
    }));
    let view = TimelineView {
        entries,
        platforms,
        kinds,
        sources,
        page,
        pages: pages_count,
        total,
        newer: (page > 1).then(|| page_href(page - 1)),
        older: (page < pages_count).then(|| page_href(page + 1)),
        from: filter.from,
        to: filter.to,
        exports: super::exports::links(&filter, &as_of, chrome.lang),
    };
    Ok(html(pages::timeline_page(&chrome, &view)))
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    let as_of = AsOf::today();
    let lang = super::lang::current();
    let chrome = chrome(
        &lang.t("title-not-found"),
        Section::Other,
        uri.path(),
        &as_of,
        Vec::new(),
    );
    let message = lang.t_args("error-no-page", &[("path", truncate(uri.path()).into())]);
    (
        StatusCode::NOT_FOUND,
        Html(pages::error_page(&chrome, 404, &message)),
    )
        .into_response()
}
