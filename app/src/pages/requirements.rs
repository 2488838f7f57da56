//! `/requirements` (every requirement with its deadline and compliance figures),
//! `/requirements/{id}` (each check in scope: since when it complies, how late, or never;
//! the share compliant over time), and the overview's deadline highlight.

use crate::components::{citation_view, name_view, status_badge};
use crate::i18n::Lang;
use crate::layout::{Alternate, render_document, render_document_with_alternate};
use crate::model::*;
use chrono::NaiveDate;
use leptos::prelude::*;

/// `?at=…&lang=…` for links that keep the page's date and language.
pub fn page_query(at: Option<NaiveDate>, lang: Lang) -> String {
    match at {
        Some(day) => format!("?at={day}&lang={}", lang.code()),
        None => format!("?lang={}", lang.code()),
    }
}

fn chrome_query(chrome: &Chrome) -> String {
    page_query((!chrome.at_is_today).then_some(chrome.at), chrome.lang)
}

/// A catalog name in the page's language (the other language when one is missing).
fn local_name(name: &Name, lang: Lang) -> String {
    let (first, second) = match lang {
        Lang::ZhCn => (&name.zh, &name.en),
        Lang::En => (&name.en, &name.zh),
    };
    if first.is_empty() {
        second.clone()
    } else {
        first.clone()
    }
}

/// "2021-09-17 23:59 (Beijing time)", localised.
fn deadline_text(d: &DeadlineView, lang: Lang) -> String {
    lang.t_args(
        "requirements-beijing-time",
        &[("time", d.beijing.clone().into())],
    )
}

/// Where the deadline stands: "passed 74 days ago", "in 5 days", "ends today".
fn standing_text(d: &DeadlineView, lang: Lang) -> String {
    match (d.countdown_days, d.days_since) {
        (Some(0), _) => lang.t("requirements-due-today"),
        (Some(n), _) => lang.t_args("requirements-countdown", &[("days", n.into())]),
        (None, Some(n)) => lang.t_args("requirements-passed", &[("days", n.into())]),
        (None, None) => String::new(),
    }
}

fn deadline_view(r: &RequirementItem, lang: Lang) -> AnyView {
    match &r.deadline {
        None => view! { <span class="no-deadline">{lang.t("requirements-no-deadline")}</span> }
            .into_any(),
        Some(d) => {
            let class = if d.countdown_days.is_some() {
                "countdown"
            } else {
                "passed"
            };
            view! {
                <time datetime=d.day.to_string()>{deadline_text(d, lang)}</time>
                " — "<strong class=class>{standing_text(d, lang)}</strong>
            }
            .into_any()
        }
    }
}

fn scope_view(r: &RequirementItem, lang: Lang) -> impl IntoView + use<> {
    let kinds = (!r.scope_subject_kinds.is_empty()).then(|| {
        let list = r
            .scope_subject_kinds
            .iter()
            .map(|k| view! { " "<span class="platform-kind" data-kind=k.clone()>{crate::components::platform_kind_words(lang, k)}</span> })
            .collect_view();
        view! { {lang.semicolon()}{lang.t("requirements-scope-host-kinds")}{list} }
    });
    let subjects = (!r.scope_subjects.is_empty()).then(|| {
        let list = r
            .scope_subjects
            .iter()
            .map(|s| view! { " "{name_view(s, lang)} })
            .collect_view();
        view! { {lang.semicolon()}{lang.t("requirements-scope-hosts")}{list} }
    });
    let all = (r.scope_subject_kinds.is_empty() && r.scope_subjects.is_empty())
        .then(|| view! { {lang.semicolon()}{lang.t("requirements-scope-all-hosts")} });
    view! { {name_view(&r.scope_kind, lang)}{kinds}{subjects}{all} }
}

/// The figures of one requirement as a small table.
fn figures_view(r: &RequirementItem, lang: Lang) -> impl IntoView + use<> {
    let f = &r.figures;
    let row = |class: &'static str, label: String, value: String| {
        view! { <tr class=class><th scope="row">{label}</th><td class="num">{value}</td></tr> }
    };
    let of = |n: usize| {
        lang.t_args(
            "requirements-n-of-m",
            &[("n", n.into()), ("m", f.in_scope.into())],
        )
    };
    // A share of the observed ones, with the unknown ones said: "0 of 9" when 8 of the
    // 9 were unknown would read as 9 refusals.
    let of_observed = |n: usize, known: usize| {
        if known == f.in_scope {
            of(n)
        } else {
            lang.t_args(
                "requirements-n-of-observed",
                &[
                    ("n", n.into()),
                    ("known", known.into()),
                    ("unknown", (f.in_scope - known.min(f.in_scope)).into()),
                ],
            )
        }
    };
    let mut rows = vec![
        row(
            "fig-in-scope",
            lang.t("requirements-fig-in-scope"),
            f.in_scope.to_string(),
        )
        .into_any(),
        row(
            "fig-compliant-now",
            lang.t("requirements-fig-compliant-now"),
            of_observed(f.compliant_now, f.in_scope - f.unknown.min(f.in_scope)),
        )
        .into_any(),
        row(
            "fig-evidence",
            lang.t("requirements-fig-evidence"),
            f.evidence.clone(),
        )
        .into_any(),
    ];
    if let Some(n) = f.complied_at_deadline {
        rows.push(
            row(
                "fig-at-deadline",
                lang.t("requirements-fig-at-deadline"),
                of_observed(n, f.known_at_deadline.unwrap_or(f.in_scope)),
            )
            .into_any(),
        );
        let overdue = match f.overdue_days {
            Some(days) if f.overdue > 0 => lang.t_args(
                "requirements-overdue-by",
                &[("n", f.overdue.into()), ("days", days.into())],
            ),
            _ => f.overdue.to_string(),
        };
        rows.push(row("fig-overdue", lang.t("requirements-fig-overdue"), overdue).into_any());
        let late = match f.longest_delay_days {
            Some(days) if f.complied_late > 0 => lang.t_args(
                "requirements-late-longest",
                &[("n", f.complied_late.into()), ("days", days.into())],
            ),
            _ => f.complied_late.to_string(),
        };
        rows.push(row("fig-late", lang.t("requirements-fig-late"), late).into_any());
        rows.push(
            row(
                "fig-unseen-at-deadline",
                lang.t("requirements-fig-unseen-at-deadline"),
                f.compliant_unknown_at_deadline.to_string(),
            )
            .into_any(),
        );
    }
    rows.push(
        row(
            "fig-never",
            lang.t("requirements-fig-never"),
            f.never_compliant.to_string(),
        )
        .into_any(),
    );
    rows.push(
        row(
            "fig-unknown",
            lang.t("requirements-fig-unknown"),
            f.unknown.to_string(),
        )
        .into_any(),
    );
    view! {
        <table class="compact figures">
            <caption>{lang.t("requirements-figures-caption")}</caption>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// The facts of a requirement: authority, dates, scope, what complies, its source.
fn facts_view(r: &RequirementItem, lang: Lang, query: &str) -> impl IntoView + use<> {
    let compliant = r
        .compliant_statuses
        .iter()
        .map(|s| view! { {status_badge(s, lang)}" " })
        .collect_view();
    let mut citation = r.citation.clone();
    if let Some(href) = citation.href.as_mut() {
        // The page's own query (date and language) replaces whatever the link carried.
        href.truncate(href.find('?').unwrap_or(href.len()));
        href.push_str(query);
    }
    view! {
        <dl class="facts">
            <dt>{lang.t("requirements-authority")}</dt><dd>{name_view(&r.authority, lang)}</dd>
            <dt>{lang.t("requirements-issued")}</dt>
            <dd><time datetime=r.issued.to_string()>{lang.date(r.issued)}</time></dd>
            <dt>{lang.t("requirements-deadline")}</dt><dd>{deadline_view(r, lang)}</dd>
            <dt>{lang.t("requirements-scope")}</dt><dd>{scope_view(r, lang)}</dd>
            <dt>{lang.t("requirements-counts-as-compliant")}</dt><dd>{compliant}</dd>
            <dt>{lang.t("requirements-source")}</dt><dd>{citation_view(&citation, lang)}</dd>
        </dl>
    }
}

fn requirement_class(r: &RequirementItem) -> &'static str {
    if r.figures.overdue > 0 {
        "requirement overdue"
    } else {
        "requirement"
    }
}

/// `/requirements`.
pub fn requirements_page(chrome: &Chrome, data: &RequirementsView) -> String {
    let lang = chrome.lang;
    let query = chrome_query(chrome);
    let items = data
        .requirements
        .iter()
        .map(|r| {
            view! {
                <article class=requirement_class(r) id=format!("req-{}", r.id)>
                    <h2><a href=r.href.clone()>{name_view(&r.title, lang)}</a></h2>
                    {facts_view(r, lang, &query)}
                    {figures_view(r, lang)}
                    <p><a href=r.href.clone()>{lang.t("requirements-each-check-link")}</a></p>
                </article>
            }
        })
        .collect_view();
    let empty = data
        .requirements
        .is_empty()
        .then(|| view! { <p>{lang.t("requirements-none")}</p> });
    let body = view! {
        <h1>{lang.t("requirements-title")}</h1>
        <p class="lede">
            {lang.t_args("requirements-lede", &[("date", lang.date(chrome.at).into())])}
        </p>
        <p class="feed">
            <a type="text/calendar" href=data.ics_href.clone()>{lang.t("requirements-ics-link")}</a>
            " "<span class="note">{lang.t("requirements-ics-hint")}</span>
        </p>
        {empty}
        {items}
    };
    // Calendar apps and browsers find the feed in the head.
    let calendar = Alternate {
        mime: "text/calendar",
        title: "iCalendar".into(),
        href: data.ics_href.clone(),
    };
    render_document_with_alternate(chrome, Some(calendar), body)
}

fn outcome_text(row: &CheckComplianceRow, lang: Lang) -> String {
    match row.outcome {
        ComplianceOutcome::Unknown => lang.t("requirements-outcome-unknown"),
        ComplianceOutcome::NeverCompliant => lang.t("requirements-outcome-never"),
        ComplianceOutcome::LostCompliance => lang.t("requirements-outcome-lost"),
        ComplianceOutcome::Compliant => match &row.compliant_since {
            Some(since) => lang.t_args(
                "requirements-outcome-compliant-since",
                &[("date", lang.date(*since).into())],
            ),
            None => lang.t("requirements-outcome-compliant"),
        },
        ComplianceOutcome::CompliedLate => match (&row.complied_after_deadline, row.delay_days) {
            (Some(date), Some(days)) => lang.t_args(
                "requirements-outcome-late",
                &[("date", lang.date(*date).into()), ("days", days.into())],
            ),
            _ => lang.t("requirements-outcome-late-undated"),
        },
        ComplianceOutcome::CompliantUnknownAtDeadline => match &row.compliant_since {
            Some(since) => lang.t_args(
                "requirements-outcome-unseen-since",
                &[("date", lang.date(*since).into())],
            ),
            None => lang.t("requirements-outcome-unseen"),
        },
    }
}

fn outcome_id(o: ComplianceOutcome) -> &'static str {
    match o {
        ComplianceOutcome::Unknown => "unknown",
        ComplianceOutcome::NeverCompliant => "never_compliant",
        ComplianceOutcome::Compliant => "compliant",
        ComplianceOutcome::CompliedLate => "complied_late",
        ComplianceOutcome::CompliantUnknownAtDeadline => "compliant_unknown_at_deadline",
        ComplianceOutcome::LostCompliance => "lost_compliance",
    }
}

/// `/requirements/{id}`.
pub fn requirement_page(chrome: &Chrome, data: &RequirementPageView) -> String {
    let lang = chrome.lang;
    let query = chrome_query(chrome);
    let r = &data.requirement;
    let deadline_passed = r.figures.complied_at_deadline.is_some();
    let rows = data
        .checks
        .iter()
        .map(|c| {
            let at_deadline = deadline_passed.then(|| {
                let cell = c
                    .status_at_deadline
                    .as_ref()
                    .map(|s| status_badge(s, lang).into_any())
                    .unwrap_or_else(|| "—".into_any());
                view! { <td class="at-deadline">{cell}</td> }
            });
            let late = match (c.delay_days, c.overdue_days) {
                (Some(d), _) if c.outcome == ComplianceOutcome::CompliantUnknownAtDeadline => {
                    lang.t_args("requirements-days-first-seen", &[("days", d.into())])
                }
                (Some(d), _) => lang.t_args("requirements-days-late", &[("days", d.into())]),
                (None, Some(d)) => lang.t_args("requirements-days-overdue", &[("days", d.into())]),
                (None, None) => "—".to_string(),
            };
            view! {
                <tr data-check=c.check_id.clone() data-outcome=outcome_id(c.outcome)>
                    <th scope="row"><a href=c.href.clone()>{local_name(&c.title, lang)}</a>
                        " "<code class="check-id">{c.check_id.clone()}</code></th>
                    {at_deadline}
                    <td class="now">{status_badge(&c.status_now, lang)}</td>
                    <td class="outcome">{outcome_text(c, lang)}</td>
                    <td class="late num">{late}</td>
                </tr>
            }
        })
        .collect_view();
    let at_deadline_head = deadline_passed
        .then(|| view! { <th scope="col">{lang.t("requirements-col-at-deadline")}</th> });
    let series_rows = data
        .series
        .points
        .iter()
        .map(|p| {
            let deadline_week = data
                .series
                .deadline_day
                .is_some_and(|d| d <= p.day && (p.day - d).num_days() < 7);
            let class = if deadline_week { "deadline-week" } else { "" };
            view! {
                <tr class=class>
                    <th scope="row"><time datetime=p.day.to_string()>{lang.date(p.day)}</time></th>
                    <td class="num">{p.compliant}</td>
                    <td class="num">{p.known}</td>
                    <td class="num">{p.in_scope}</td>
                    <td class="num">{format!("{:.0}%", p.share * 100.0)}</td>
                </tr>
            }
        })
        .collect_view();
    let series_empty = data
        .series
        .points
        .is_empty()
        .then(|| view! { <p>{lang.t("requirements-share-empty")}</p> });
    let body = view! {
        <p class="crumbs"><a href=format!("/requirements{query}")>{lang.t("requirements-title")}</a></p>
        <h1>{name_view(&r.title, lang)}</h1>
        <article class=requirement_class(r) id=format!("req-{}", r.id)>
            {facts_view(r, lang, &query)}
            {figures_view(r, lang)}
        </article>
        <section aria-labelledby="h-checks">
            <h2 id="h-checks">{lang.t("requirements-checks-heading")}</h2>
            <table class="compliance">
                <thead>
                    <tr>
                        <th scope="col">{lang.t("requirements-col-check")}</th>
                        {at_deadline_head}
                        <th scope="col">{lang.t("requirements-col-now")}</th>
                        <th scope="col">{lang.t("requirements-col-outcome")}</th>
                        <th scope="col">{lang.t("requirements-col-late")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
        <section aria-labelledby="h-share">
            <h2 id="h-share">{lang.t("requirements-share-heading")}</h2>
            // The share over time as a server-drawn SVG chart; the table below stays as its
            // accessible twin.
            {data.chart.as_ref().map(|c| crate::charts::chart_figure(lang, c))}
            {series_empty}
            <details>
                <summary>{lang.t("requirements-share-table")}</summary>
                <table class="compact share">
                    <thead>
                        <tr>
                            <th scope="col">{lang.t("requirements-col-week")}</th>
                            <th scope="col">{lang.t("requirements-col-compliant")}</th>
                            <th scope="col">{lang.t("requirements-col-known")}</th>
                            <th scope="col">{lang.t("requirements-col-in-scope")}</th>
                            <th scope="col">{lang.t("requirements-col-share")}</th>
                        </tr>
                    </thead>
                    <tbody>{series_rows}</tbody>
                </table>
            </details>
        </section>
    };
    render_document(chrome, body)
}

/// The overview's highlight: overdue requirements and deadlines in the next 30 days.
/// Renders nothing when there are neither.
pub fn deadline_highlights_view(chrome: &Chrome, h: &DeadlineHighlights) -> impl IntoView + use<> {
    let lang = chrome.lang;
    let shown = !(h.overdue.is_empty() && h.upcoming.is_empty());
    let overdue = (!h.overdue.is_empty()).then(|| {
        let items = h
            .overdue
            .iter()
            .map(|r| {
                let text = lang.t_args(
                    "requirements-highlight-overdue-item",
                    &[
                        ("n", r.figures.overdue.into()),
                        ("m", r.figures.in_scope.into()),
                        ("days", r.figures.overdue_days.unwrap_or(0).into()),
                    ],
                );
                let unknown = (r.figures.unknown > 0).then(|| {
                    lang.t_args(
                        "requirements-highlight-unknown",
                        &[("unknown", r.figures.unknown.into())],
                    )
                });
                view! { <li><a href=r.href.clone()>{local_name(&r.title, lang)}</a>{lang.colon()}{text}{unknown}</li> }
            })
            .collect_view();
        view! {
            <h3>{lang.t("requirements-highlight-overdue")}</h3>
            <ul class="overdue">{items}</ul>
        }
    });
    let upcoming = (!h.upcoming.is_empty()).then(|| {
        let items = h
            .upcoming
            .iter()
            .map(|r| {
                let when = r
                    .deadline
                    .as_ref()
                    .map(|d| format!("{} — {}", deadline_text(d, lang), standing_text(d, lang)))
                    .unwrap_or_default();
                let f = &r.figures;
                let text = if f.unknown == 0 {
                    lang.t_args(
                        "requirements-highlight-upcoming-item",
                        &[("n", f.compliant_now.into()), ("m", f.in_scope.into())],
                    )
                } else {
                    // Unknown is not "does not comply": the share is of the observed ones.
                    lang.t_args(
                        "requirements-highlight-upcoming-item-unknown",
                        &[
                            ("n", f.compliant_now.into()),
                            ("known", (f.in_scope - f.unknown.min(f.in_scope)).into()),
                            ("unknown", f.unknown.into()),
                        ],
                    )
                };
                view! { <li><a href=r.href.clone()>{local_name(&r.title, lang)}</a>{lang.colon()}{when}{lang.semicolon()}{text}</li> }
            })
            .collect_view();
        view! {
            <h3>{lang.t("requirements-highlight-upcoming")}</h3>
            <ul class="upcoming">{items}</ul>
        }
    });
    shown.then(|| {
        view! {
            <section class="alert deadlines" aria-labelledby="h-deadlines">
                <h2 id="h-deadlines">{lang.t("requirements-highlight-heading")}</h2>
                {overdue}
                {upcoming}
            </section>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrome(lang: Lang) -> Chrome {
        Chrome {
            title: "Requirements".into(),
            section: Section::Requirements,
            path: "/requirements/r".into(),
            at: NaiveDate::from_ymd_opt(2021, 10, 17).unwrap(),
            at_is_today: false,
            today: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            keep: Vec::new(),
            lang,
            cite: None,
            public_url: None,
        }
    }

    fn status(id: &str) -> StatusView {
        StatusView {
            id: id.into(),
            label: Name::new("", id),
            description: String::new(),
            score: None,
            rung: None,
            rungs: 4,
        }
    }

    fn item(deadline: Option<DeadlineView>) -> RequirementItem {
        RequirementItem {
            id: "r".into(),
            href: "/requirements/r?at=2021-10-17&lang=en".into(),
            title: Name::new("标题", "<script>alert(1)</script> & co"),
            authority: Name::new("机关", "Authority"),
            issued: NaiveDate::from_ymd_opt(2021, 9, 9).unwrap(),
            deadline,
            scope_kind: Name::new("外链分享", "Link sharing"),
            scope_subject_kinds: vec!["messaging".into()],
            scope_subjects: Vec::new(),
            compliant_statuses: vec![status("open")],
            citation: CitationView {
                source_kind: "article".into(),
                label: "cnBeta".into(),
                title: None,
                url: None,
                href: Some("/sources/s".into()),
            },
            figures: ComplianceFigures {
                in_scope: 2,
                compliant_now: 1,
                not_compliant_now: 1,
                complied_at_deadline: Some(0),
                complied_late: 1,
                longest_delay_days: Some(3),
                overdue: 1,
                overdue_days: Some(30),
                never_compliant: 1,
                ..ComplianceFigures::default()
            },
        }
    }

    fn page(lang: Lang, deadline: bool) -> String {
        let deadline = deadline.then(|| DeadlineView {
            day: NaiveDate::from_ymd_opt(2021, 9, 17).unwrap(),
            beijing: "2021-09-17 23:59".into(),
            countdown_days: None,
            days_since: Some(30),
        });
        let data = RequirementPageView {
            chart: None,
            requirement: item(deadline),
            checks: vec![CheckComplianceRow {
                check_id: "link.a.b".into(),
                href: "/checks/link.a.b?at=2021-10-17".into(),
                title: Name::new("甲 × 乙", "A × B"),
                status_now: status("open"),
                status_at_deadline: Some(status("blocked")),
                outcome: ComplianceOutcome::CompliedLate,
                compliant_since: NaiveDate::from_ymd_opt(2021, 9, 20),
                complied_after_deadline: NaiveDate::from_ymd_opt(2021, 9, 20),
                delay_days: Some(3),
                overdue_days: None,
            }],
            series: ShareSeriesView {
                deadline_day: NaiveDate::from_ymd_opt(2021, 9, 17),
                points: vec![SharePointView {
                    day: NaiveDate::from_ymd_opt(2021, 9, 20).unwrap(),
                    compliant: 1,
                    known: 2,
                    in_scope: 2,
                    share: 0.5,
                }],
            },
        };
        requirement_page(&chrome(lang), &data)
    }

    #[test]
    fn the_page_says_how_late_in_both_languages_and_escapes_titles() {
        let en = page(Lang::En, true);
        assert!(en.contains("Complied on 20 Sep 2021, 3 days after the deadline"));
        assert!(en.contains("2021-09-17 23:59 (Beijing time)"));
        assert!(en.contains("&lt;script&gt;") && !en.contains("<script>"));
        assert!(en.contains("<details>") && en.contains("50%"));
        let zh = page(Lang::ZhCn, true);
        assert!(zh.contains("2021年9月20日合规，比期限晚 3 天"), "{zh}");
        assert!(zh.contains("2021-09-17 23:59（北京时间）"));
        for p in [&en, &zh, &page(Lang::ZhCn, false)] {
            assert!(!p.contains(crate::i18n::MISSING_MARK), "{p}");
        }
        assert!(page(Lang::En, false).contains("no deadline"));
    }

    #[test]
    fn the_highlight_is_absent_when_nothing_is_due() {
        let c = chrome(Lang::En);
        let empty = deadline_highlights_view(&c, &DeadlineHighlights::default()).to_html();
        assert!(!empty.contains("deadlines"), "{empty}");
        let overdue = DeadlineHighlights {
            overdue: vec![item(None)],
            upcoming: Vec::new(),
        };
        let html = deadline_highlights_view(&c, &overdue).to_html();
        assert!(html.contains("1 of 2 checks overdue, by 30 days"), "{html}");
        assert!(html.contains("href=\"/requirements/r?at=2021-10-17&amp;lang=en\""));
    }
}
