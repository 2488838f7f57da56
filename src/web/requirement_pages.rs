//! Requirements: the pages `/requirements` and `/requirements/{id}`, their JSON under
//! `/api/v1/requirements`, the iCalendar feed `/requirements.ics`, and the overview's
//! deadline highlight. The figures come from [`crate::compliance`].

use super::pages::{PageFailure, PageResult, chrome, failure, finish, html};
use super::params::{Params, truncate};
use super::views::{self, name};
use super::{AppState, AsOf, WebError};
use crate::catalog::Requirement;
use crate::compliance::{self, Evaluation, Outcome, ShareSeries};
use crate::state::{self, CheckState};
use crate::storage::{Reference, StateFilter};
use crate::time::SHANGHAI;
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use hutong_app::pages;
use hutong_app::pages::requirements::page_query;
use serde_json::json;
use std::collections::HashMap;

/// Every requirement evaluated as of one instant, on real data only.
pub(super) struct Evaluated {
    pub reference: std::sync::Arc<Reference>,
    pub items: Vec<(Requirement, Evaluation)>,
    /// Real transitions by check, for the share over time.
    pub changes: HashMap<String, compliance::Changes>,
}

/// Reads what the requirements need: states now, states at each passed deadline, and
/// (`with_history`) the real transitions of every check in scope, in one query, not one per
/// check or per week. Without history, the figures that need it (since when, how late,
/// never) are left out: the overview's highlight needs none of them.
pub(super) async fn evaluate_all(
    state: &AppState,
    at: DateTime<Utc>,
    with_history: bool,
) -> Result<Evaluated, WebError> {
    let reference = state.real_reference().await?;
    let states_at = |rows| state::states(reference.checks.iter(), rows);
    let now = states_at(state.state_as_of(at, &StateFilter::default()).await?);
    let mut at_deadlines: HashMap<DateTime<Utc>, HashMap<String, CheckState>> = HashMap::new();
    let mut in_scope: Vec<&str> = Vec::new();
    for req in &reference.requirements {
        if let Some(d) = req.deadline.filter(|d| *d <= at)
            && !at_deadlines.contains_key(&d)
        {
            let rows = state.state_as_of(d, &StateFilter::default()).await?;
            at_deadlines.insert(d, states_at(rows));
        }
        for c in compliance::checks_in_scope(&reference, req) {
            if !in_scope.contains(&c.id.as_str()) {
                in_scope.push(&c.id);
            }
        }
    }
    let transitions = if with_history {
        state
            .store
            .real_transitions_of_checks(&in_scope, at)
            .await?
    } else {
        Vec::new()
    };
    let changes = compliance::changes_by_check(&transitions, at);
    let items = reference
        .requirements
        .iter()
        .map(|req| {
            let at_deadline = req.deadline.and_then(|d| at_deadlines.get(&d));
            let e = compliance::evaluate(&reference, req, at, &now, at_deadline, &changes);
            (req.clone(), e)
        })
        .collect();
    Ok(Evaluated {
        reference,
        items,
        changes,
    })
}

fn figures(e: &Evaluation) -> ComplianceFigures {
    let s = &e.summary;
    ComplianceFigures {
        in_scope: s.in_scope,
        compliant_now: s.compliant_now,
        not_compliant_now: s.not_compliant_now,
        unknown: s.unknown,
        never_compliant: s.never_compliant,
        complied_at_deadline: s.complied_at_deadline,
        complied_late: s.complied_late,
        compliant_unknown_at_deadline: s.compliant_unknown_at_deadline,
        longest_delay_days: s.longest_delay_days,
        overdue: s.overdue,
        overdue_days: s.overdue_days,
    }
}

/// "2021-09-17 23:59": the deadline's wall-clock time in Beijing.
fn beijing(d: DateTime<Utc>) -> String {
    d.with_timezone(&SHANGHAI)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

fn item(r: &Reference, req: &Requirement, e: &Evaluation, query: &str) -> RequirementItem {
    let kind = r.kind(&req.scope.kind);
    let s = &e.summary;
    RequirementItem {
        id: req.id.clone(),
        href: format!("/requirements/{}{query}", req.id),
        title: name(&req.title_zh, &req.title_en),
        authority: name(&req.authority_zh, &req.authority_en),
        issued: req.issued,
        deadline: req
            .deadline
            .zip(s.deadline_day)
            .map(|(d, day)| DeadlineView {
                day,
                beijing: beijing(d),
                countdown_days: s.countdown_days,
                days_since: s.days_since_deadline,
            }),
        scope_kind: kind.map_or_else(
            || name("", &req.scope.kind),
            |k| name(&k.name_zh, &k.name_en),
        ),
        scope_subject_kinds: req.scope.subject_kinds.clone(),
        scope_subjects: req
            .scope
            .subjects
            .iter()
            .map(|slug| {
                r.platform(slug)
                    .map_or_else(|| name("", slug), |p| name(&p.name_zh, &p.name_en))
            })
            .collect(),
        compliant_statuses: req
            .compliant
            .iter()
            .map(|st| views::status_view(kind, st))
            .collect(),
        citation: views::source_citation(r, &req.source),
        figures: figures(e),
    }
}

fn as_of_day(as_of: &AsOf) -> Option<chrono::NaiveDate> {
    (!as_of.is_today).then_some(as_of.day)
}

/// Parses `at` and `lang` and builds the page's furniture; a bad parameter is a 400 page.
fn page_setup(params: &Params, path: &str) -> Result<(AsOf, Chrome), PageFailure> {
    let title = "Requirements";
    let mut fallback = chrome(
        title,
        Section::Requirements,
        path,
        &AsOf::today(),
        Vec::new(),
    );
    let lang = super::lang::current();
    fallback.lang = lang;
    fallback.title = lang.t("requirements-title");
    let as_of = params.as_of().map_err(|e| failure(&fallback, e))?;
    let mut c = chrome(title, Section::Requirements, path, &as_of, Vec::new());
    c.lang = lang;
    c.title = lang.t("requirements-title");
    c.keep = vec![("lang".to_string(), lang.code().to_string())];
    Ok((as_of, c))
}

pub async fn show_requirements(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    finish(requirements(&state, Params::parse(q.as_deref())).await)
}

async fn requirements(state: &AppState, params: Params) -> PageResult {
    let (as_of, chrome) = page_setup(&params, "/requirements")?;
    let e = evaluate_all(state, as_of.instant, true)
        .await
        .map_err(|e| failure(&chrome, e))?;
    let query = page_query(as_of_day(&as_of), chrome.lang);
    let view = RequirementsView {
        requirements: e
            .items
            .iter()
            .map(|(req, ev)| item(&e.reference, req, ev, &query))
            .collect(),
        ics_href: format!("/requirements.ics{query}"),
    };
    let page = pages::requirements_page(&chrome, &view);
    Ok(with_calendar_link(page, &view.ics_href))
}

/// Adds `<link rel="alternate" type="text/calendar">` to the page's head, so calendar
/// apps and browsers find the feed.
fn with_calendar_link(page: String, href: &str) -> Response {
    let escaped = href.replace('&', "&amp;").replace('"', "&quot;");
    let link = format!(
        "<link rel=\"alternate\" type=\"text/calendar\" title=\"iCalendar\" href=\"{escaped}\"/></head>"
    );
    html(page.replacen("</head>", &link, 1))
}

pub async fn show_requirement(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    finish(requirement(&state, &id, Params::parse(q.as_deref())).await)
}

async fn requirement(state: &AppState, id: &str, params: Params) -> PageResult {
    let path = format!("/requirements/{id}");
    let (as_of, mut chrome) = page_setup(&params, &path)?;
    let e = evaluate_all(state, as_of.instant, true)
        .await
        .map_err(|e| failure(&chrome, e))?;
    let Some((req, ev)) = e.items.iter().find(|(r, _)| r.id == id) else {
        let err = WebError::NotFound(format!("there is no requirement \"{}\"", truncate(id)));
        return Err(failure(&chrome, err));
    };
    let lang = chrome.lang;
    chrome.title = match lang {
        Lang::ZhCn => req.title_zh.clone(),
        Lang::En => req.title_en.clone(),
    };
    let r = &e.reference;
    let query = page_query(as_of_day(&as_of), lang);
    let kind = r.kind(&req.scope.kind);
    let checks = ev
        .checks
        .iter()
        .map(|c| {
            let title = r
                .check(&c.check_id)
                .and_then(|check| {
                    let k = r.kind(&check.kind)?;
                    let a = views::side_name(r, k.subject, &check.subject);
                    let b = views::side_name(r, k.object, &check.object);
                    let join = |x: &str, y: &str| format!("{x} × {y}");
                    let zh = |n: &Name| {
                        if n.zh.is_empty() {
                            n.en.clone()
                        } else {
                            n.zh.clone()
                        }
                    };
                    Some(name(&join(&zh(&a), &zh(&b)), &join(&a.en, &b.en)))
                })
                .unwrap_or_else(|| name("", &c.check_id));
            CheckComplianceRow {
                check_id: c.check_id.clone(),
                href: format!("/checks/{}{query}", c.check_id),
                title,
                status_now: views::status_view(kind, &c.status_now),
                status_at_deadline: c
                    .status_at_deadline
                    .as_deref()
                    .map(|s| views::status_view(kind, s)),
                outcome: match c.outcome {
                    Outcome::Unknown => ComplianceOutcome::Unknown,
                    Outcome::NeverCompliant => ComplianceOutcome::NeverCompliant,
                    Outcome::Compliant => ComplianceOutcome::Compliant,
                    Outcome::CompliedLate => ComplianceOutcome::CompliedLate,
                    Outcome::LostCompliance => ComplianceOutcome::LostCompliance,
                    Outcome::CompliantUnknownAtDeadline => {
                        ComplianceOutcome::CompliantUnknownAtDeadline
                    }
                },
                compliant_since: c.compliant_since.map(crate::time::shanghai_day),
                complied_after_deadline: c.complied_after_deadline.map(crate::time::shanghai_day),
                delay_days: c.delay_days,
                overdue_days: c.overdue_days,
            }
        })
        .collect();
    let series = series_of(&e, req, as_of.instant);
    let chart = (!series.points.is_empty()).then(|| {
        let (svg_chart, table) = super::charts::requirement_share(req, &series, &as_of, lang);
        let (svg_href, png_href) =
            super::charts::downloads(&format!("/charts/requirements/{}", req.id), &as_of, lang);
        hutong_app::charts::ChartView {
            id: "figure-compliance".into(),
            svg: crate::charts::share::render(&svg_chart, lang),
            table,
            svg_href,
            png_href,
        }
    });
    let view = RequirementPageView {
        chart,
        requirement: item(r, req, ev, &query),
        checks,
        series: ShareSeriesView {
            deadline_day: series.deadline_day,
            points: series
                .points
                .iter()
                .map(|p| SharePointView {
                    day: p.day,
                    compliant: p.compliant,
                    known: p.known,
                    in_scope: p.in_scope,
                    share: p.share,
                })
                .collect(),
        },
    };
    Ok(html(pages::requirement_page(&chrome, &view)))
}

fn series_of(e: &Evaluated, req: &Requirement, at: DateTime<Utc>) -> ShareSeries {
    let ids: Vec<&str> = compliance::checks_in_scope(&e.reference, req)
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    compliance::share_over_time(req, &ids, &e.changes, at)
}

/// Deadlines within this many days of the date are highlighted on the overview.
pub const UPCOMING_DAYS: i64 = 30;

/// The overview's highlight: requirements overdue as of the date, and deadlines in the
/// next [`UPCOMING_DAYS`] days.
pub(super) async fn deadline_highlights(
    state: &AppState,
    as_of: &AsOf,
    lang: Lang,
) -> Result<DeadlineHighlights, WebError> {
    let e = evaluate_all(state, as_of.instant, false).await?;
    let query = page_query(as_of_day(as_of), lang);
    let mut h = DeadlineHighlights::default();
    for (req, ev) in &e.items {
        let s = &ev.summary;
        if s.overdue > 0 {
            h.overdue.push(item(&e.reference, req, ev, &query));
        } else if s.countdown_days.is_some_and(|d| d <= UPCOMING_DAYS) {
            h.upcoming.push(item(&e.reference, req, ev, &query));
        }
    }
    Ok(h)
}

// ---- JSON API ----------------------------------------------------------------------

fn api_finish(result: Result<Response, WebError>) -> Response {
    match result {
        Ok(r) => r,
        Err(e) => (e.status(), Json(json!({ "error": e.public_message() }))).into_response(),
    }
}

fn requirement_json(req: &Requirement, e: &Evaluation) -> serde_json::Value {
    json!({
        "id": req.id,
        "authority_zh": req.authority_zh,
        "authority_en": req.authority_en,
        "title_zh": req.title_zh,
        "title_en": req.title_en,
        "issued": req.issued,
        "deadline": req.deadline,
        "deadline_beijing": req.deadline.map(beijing),
        "timezone": req.timezone,
        "scope": {
            "kind": req.scope.kind,
            "subjects": req.scope.subjects,
            "subject_kinds": req.scope.subject_kinds,
        },
        "compliant_statuses": req.compliant,
        "source": req.source,
        "summary": e.summary,
    })
}

pub async fn list_requirements_api(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    api_finish(
        async {
            let params = Params::parse(q.as_deref());
            let as_of = params.as_of()?;
            let e = evaluate_all(&state, as_of.instant, true).await?;
            let list: Vec<_> = e
                .items
                .iter()
                .map(|(req, ev)| requirement_json(req, ev))
                .collect();
            Ok(Json(json!({
                "at": as_of.day,
                "real_checks_only": true,
                "requirements": list,
            }))
            .into_response())
        }
        .await,
    )
}

pub async fn get_requirement_api(
    State(state): State<AppState>,
    Path(id): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    api_finish(
        async {
            let params = Params::parse(q.as_deref());
            let as_of = params.as_of()?;
            let e = evaluate_all(&state, as_of.instant, true).await?;
            let Some((req, ev)) = e.items.iter().find(|(r, _)| r.id == id) else {
                return Err(WebError::NotFound(format!(
                    "there is no requirement \"{}\"",
                    truncate(&id)
                )));
            };
            let mut body = requirement_json(req, ev);
            body["at"] = json!(as_of.day);
            body["real_checks_only"] = json!(true);
            body["checks"] = json!(ev.checks);
            body["share_over_time"] = json!(series_of(&e, req, as_of.instant));
            Ok(Json(body).into_response())
        }
        .await,
    )
}

// ---- iCalendar feed ------------------------------------------------------------------

/// The deadlines as an iCalendar feed. Its absolute links start with `public_url`, never
/// with the request's `Host` (or `X-Forwarded-*`): anyone can send those, and a feed a
/// calendar keeps must not carry a stranger's address.
pub async fn get_requirements_ics(
    State(state): State<AppState>,
    RawQuery(q): RawQuery,
) -> Response {
    let result = async {
        let params = Params::parse(q.as_deref());
        let lang = super::lang::current();
        let as_of = params.as_of()?;
        let e = evaluate_all(&state, as_of.instant, true).await?;
        let base = state.public_url.trim_end_matches('/');
        let query = page_query(as_of_day(&as_of), lang);
        let events: Vec<ics::Event> = e
            .items
            .iter()
            .filter_map(|(req, ev)| {
                let deadline = req.deadline?;
                let s = &ev.summary;
                let title = match lang {
                    Lang::ZhCn => &req.title_zh,
                    Lang::En => &req.title_en,
                };
                let authority = match lang {
                    Lang::ZhCn => &req.authority_zh,
                    Lang::En => &req.authority_en,
                };
                let url = format!("{base}/requirements/{}{query}", req.id);
                let description = [
                    title.clone(),
                    lang.t_args(
                        "requirements-ics-authority",
                        &[("authority", authority.clone().into())],
                    ),
                    lang.t_args(
                        "requirements-ics-figures",
                        &[
                            ("date", lang.date(as_of.day).into()),
                            ("compliant", s.compliant_now.into()),
                            ("in_scope", s.in_scope.into()),
                            ("overdue", s.overdue.into()),
                            ("unknown", s.unknown.into()),
                        ],
                    ),
                    lang.t_args("requirements-ics-page", &[("url", url.clone().into())]),
                ]
                .join("\n");
                Some(ics::Event {
                    uid: format!("requirement-{}@hutong", req.id),
                    deadline,
                    summary: lang.t_args(
                        "requirements-ics-summary",
                        &[("title", title.clone().into())],
                    ),
                    description,
                    url,
                })
            })
            .collect();
        let body = ics::calendar(
            &lang.t("requirements-ics-calendar-name"),
            Utc::now(),
            &events,
        );
        Ok::<_, WebError>(
            (
                [
                    (header::CONTENT_TYPE, "text/calendar; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "inline; filename=\"hutong-deadlines.ics\"",
                    ),
                ],
                body,
            )
                .into_response(),
        )
    }
    .await;
    match result {
        Ok(r) => r,
        Err(e) => (
            e.status(),
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            e.public_message(),
        )
            .into_response(),
    }
}

/// A small iCalendar (RFC 5545) writer: exactly what the deadline feed needs.
pub mod ics {
    use chrono::{DateTime, Duration, DurationRound, Utc};

    pub struct Event {
        /// Stable across requests: calendar apps update the event instead of adding one.
        pub uid: String,
        /// The last instant of the deadline day.
        pub deadline: DateTime<Utc>,
        pub summary: String,
        pub description: String,
        pub url: String,
    }

    /// Escapes a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma, newline.
    pub fn escape_text(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                ';' => out.push_str("\\;"),
                ',' => out.push_str("\\,"),
                '\n' => out.push_str("\\n"),
                '\r' => {}
                // Other control characters are not allowed in TEXT.
                c if c.is_control() && c != '\t' => {}
                c => out.push(c),
            }
        }
        out
    }

    /// Folds one content line into lines of at most 75 octets (RFC 5545 §3.1), never
    /// splitting a UTF-8 character, each ended by CRLF.
    pub fn fold(line: &str) -> String {
        let mut out = String::with_capacity(line.len() + line.len() / 70 * 3 + 2);
        let mut width = 0;
        for c in line.chars() {
            let n = c.len_utf8();
            if width + n > 75 {
                out.push_str("\r\n ");
                width = 1;
            }
            out.push(c);
            width += n;
        }
        out.push_str("\r\n");
        out
    }

    fn utc(t: DateTime<Utc>) -> String {
        t.format("%Y%m%dT%H%M%SZ").to_string()
    }

    /// A whole calendar. Each deadline is an event in UTC from 23:59 to 24:00 of the
    /// deadline day in its own zone (the instant rounded down to the minute), so every
    /// calendar app shows it at the right local time without a VTIMEZONE.
    pub fn calendar(name: &str, stamp: DateTime<Utc>, events: &[Event]) -> String {
        let mut out = String::new();
        let mut line = |l: String| out.push_str(&fold(&l));
        line("BEGIN:VCALENDAR".into());
        line("VERSION:2.0".into());
        line("PRODID:-//Hutong//Regulatory deadlines//EN".into());
        line("CALSCALE:GREGORIAN".into());
        line("METHOD:PUBLISH".into());
        line(format!("X-WR-CALNAME:{}", escape_text(name)));
        for e in events {
            let end = e.deadline + Duration::microseconds(1);
            let end = end.duration_trunc(Duration::minutes(1)).unwrap_or(end);
            let start = end - Duration::minutes(1);
            line("BEGIN:VEVENT".into());
            line(format!("UID:{}", escape_text(&e.uid)));
            line(format!("DTSTAMP:{}", utc(stamp)));
            line(format!("DTSTART:{}", utc(start)));
            line(format!("DTEND:{}", utc(end)));
            line(format!("SUMMARY:{}", escape_text(&e.summary)));
            line(format!("DESCRIPTION:{}", escape_text(&e.description)));
            line(format!("URL:{}", e.url));
            line("TRANSP:TRANSPARENT".into());
            line("END:VEVENT".into());
        }
        line("END:VCALENDAR".into());
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn text_is_escaped_and_lines_fold_at_75_octets() {
            assert_eq!(escape_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
            let long = format!("SUMMARY:{}", "监管".repeat(40));
            let folded = fold(&long);
            assert!(folded.ends_with("\r\n"));
            for l in folded.split("\r\n").filter(|l| !l.is_empty()) {
                assert!(l.len() <= 75, "{} octets: {l}", l.len());
            }
            // Unfolding gives the line back.
            assert_eq!(folded.trim_end().replace("\r\n ", ""), long);
        }

        #[test]
        fn a_deadline_ends_at_midnight_beijing_in_utc() {
            let deadline = crate::time::end_of_day(
                chrono::NaiveDate::from_ymd_opt(2021, 9, 17).unwrap(),
                crate::time::SHANGHAI,
            );
            let cal = calendar(
                "x",
                deadline,
                &[Event {
                    uid: "u@h".into(),
                    deadline,
                    summary: "s".into(),
                    description: "d".into(),
                    url: "http://h/".into(),
                }],
            );
            assert!(cal.contains("\r\nDTSTART:20210917T155900Z\r\n"), "{cal}");
            assert!(cal.contains("\r\nDTEND:20210917T160000Z\r\n"), "{cal}");
        }
    }
}

/// `/charts/requirements/{id}.svg|png`: the share of a requirement's checks compliant over
/// time, as drawn on its page (`at`, `lang`).
pub async fn get_requirement_chart(
    State(state): State<AppState>,
    Path(file): Path<String>,
    RawQuery(q): RawQuery,
) -> Response {
    use super::charts::{error_reply, reply, split_file};
    let Some((id, format)) = split_file(&file) else {
        return error_reply(WebError::NotFound(format!(
            "there is no chart \"{}\": requirement charts are /charts/requirements/ID.svg or .png",
            truncate(&file)
        )));
    };
    let params = Params::parse(q.as_deref());
    let as_of = match params.as_of() {
        Ok(v) => v,
        Err(e) => return error_reply(e),
    };
    let lang = super::lang::current();
    let kept = match super::charts::kept_under(&state, format, &as_of).await {
        Ok(v) => v,
        Err(e) => return error_reply(e),
    };
    let e = match evaluate_all(&state, as_of.instant, true).await {
        Ok(e) => e,
        Err(e) => return error_reply(e),
    };
    let Some((req, _)) = e.items.iter().find(|(r, _)| r.id == id) else {
        return error_reply(WebError::NotFound(format!(
            "there is no requirement \"{}\"",
            truncate(id)
        )));
    };
    let series = series_of(&e, req, as_of.instant);
    let (chart, _) = super::charts::requirement_share(req, &series, &as_of, lang);
    let svg = crate::charts::share::render(&chart, lang);
    reply(
        &state,
        kept,
        svg,
        format,
        &format!("requirement-{id}-{}-{}", as_of.day, lang.code()),
    )
    .await
}
