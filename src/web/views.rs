//! Turning records into what pages show: names, statuses in words, citations, cells.

use super::AsOf;
use crate::catalog::{Check, Kind, Milestone, Side};
use crate::domain::UNKNOWN;
use crate::state::CheckState;
use crate::storage::{ObservationRecord, Reference, TransitionRecord};
use crate::time::SHANGHAI;
use chrono::{DateTime, Utc};
use hutong_app::model::*;

pub fn name(zh: &str, en: &str) -> Name {
    Name::new(zh, en)
}

/// The name of whatever one side of a check refers to.
pub fn side_name(r: &Reference, side: Side, slug: &str) -> Name {
    match side {
        Side::Platform => r.platform(slug).map(|p| name(&p.name_zh, &p.name_en)),
        Side::Method => r.method(slug).map(|m| name(&m.name_zh, &m.name_en)),
    }
    .unwrap_or_else(|| name("", slug))
}

pub fn side_header(r: &Reference, side: Side, slug: &str, query: &str) -> Header {
    let href = (side == Side::Platform).then(|| format!("/platforms/{slug}{query}"));
    let note = match side {
        Side::Method => r
            .method(slug)
            .and_then(|m| r.group(&m.group))
            .map(|g| g.name_en.clone()),
        Side::Platform => None,
    };
    Header {
        name: side_name(r, side, slug),
        href,
        note,
    }
}

pub fn status_view(kind: Option<&Kind>, status: &str) -> StatusView {
    let rungs = kind.map_or(0, |k| k.statuses.len());
    let found = kind.and_then(|k| k.statuses.iter().enumerate().find(|(_, s)| s.id == status));
    match found {
        Some((rung, s)) => StatusView {
            id: s.id.clone(),
            label: name(&s.label_zh, &s.label_en),
            description: s.description_en.clone(),
            score: Some(s.score),
            rung: Some(rung),
            rungs,
        },
        None => StatusView {
            id: status.to_string(),
            label: if status == UNKNOWN {
                name("未知", "unknown")
            } else {
                name("", status)
            },
            description: if status == UNKNOWN {
                "Nothing has been observed".into()
            } else {
                "A status that is no longer on this kind's ladder".into()
            },
            score: None,
            rung: None,
            rungs,
        },
    }
}

pub fn ladder(kind: &Kind) -> Vec<StatusView> {
    kind.statuses
        .iter()
        .map(|s| status_view(Some(kind), &s.id))
        .collect()
}

/// "2021-10-17" for dated facts, "2021-10-17 16:11 UTC+8" for exact instants.
pub fn when(at: DateTime<Utc>, precision: &str) -> String {
    let local = at.with_timezone(&SHANGHAI);
    if precision == "instant" {
        local.format("%Y-%m-%d %H:%M UTC+8").to_string()
    } else {
        local.format("%Y-%m-%d").to_string()
    }
}

fn citation_for(
    r: &Reference,
    source_kind: &str,
    source_id: Option<&str>,
    source_key: &str,
) -> CitationView {
    match source_id.and_then(|id| r.source(id)) {
        Some(s) => {
            let label = match s.date {
                Some(d) => format!("{}, {d}", s.publisher),
                None => s.publisher.clone(),
            };
            let title = match &s.title_en {
                Some(en) => format!("{} ({en})", s.title),
                None => s.title.clone(),
            };
            CitationView {
                source_kind: source_kind.to_string(),
                label,
                title: Some(title),
                url: s.url.clone(),
                href: Some(format!("/sources/{}", s.id)),
            }
        }
        None => CitationView {
            source_kind: source_kind.to_string(),
            label: source_key.to_string(),
            title: None,
            url: None,
            href: None,
        },
    }
}

pub fn citation(r: &Reference, o: &ObservationRecord) -> CitationView {
    citation_for(r, &o.source_kind, o.source_id.as_deref(), &o.source_key)
}

pub fn opinion(r: &Reference, kind: Option<&Kind>, o: &ObservationRecord) -> OpinionView {
    OpinionView {
        status: status_view(kind, &o.status),
        citation: citation(r, o),
        when: when(o.observed_at, &o.precision),
        approximate: o.is_approximate(),
    }
}

pub fn cell(
    r: &Reference,
    check: &Check,
    state: Option<&CheckState>,
    as_of: &AsOf,
    query: &str,
) -> CellView {
    let kind = r.kind(&check.kind);
    let latest = state.and_then(|s| s.latest.as_ref());
    CellView {
        check_id: check.id.clone(),
        href: format!("/checks/{}{query}", check.id),
        status: status_view(kind, latest.map_or(UNKNOWN, |o| o.status.as_str())),
        latest: latest.map(|o| opinion(r, kind, o)),
        disagreeing: state
            .map(|s| {
                s.disagreeing()
                    .into_iter()
                    .map(|o| opinion(r, kind, o))
                    .collect()
            })
            .unwrap_or_default(),
        age_days: latest.map(|o| (as_of.instant - o.observed_at).num_days()),
    }
}

pub fn check_title(r: &Reference, check: &Check) -> String {
    let Some(kind) = r.kind(&check.kind) else {
        return check.id.clone();
    };
    format!(
        "{} × {}",
        side_name(r, kind.subject, &check.subject).en,
        side_name(r, kind.object, &check.object).en
    )
}

pub fn transition_entry(r: &Reference, t: &TransitionRecord, query: &str) -> TimelineEntry {
    let kind = r.kind(&t.kind);
    let check = Check {
        id: t.check_id.clone(),
        kind: t.kind.clone(),
        subject: t.subject.clone(),
        object: t.object.clone(),
    };
    TimelineEntry::Change {
        when: when(t.occurred_at, &t.precision),
        approximate: t.is_approximate(),
        check_href: format!("/checks/{}{query}", t.check_id),
        check_title: check_title(r, &check),
        kind_name: kind.map_or_else(|| name("", &t.kind), |k| name(&k.name_zh, &k.name_en)),
        from: t.from_status.as_deref().map(|s| status_view(kind, s)),
        to: status_view(kind, &t.to_status),
        citation: citation_for(r, &t.source_kind, t.source_id.as_deref(), &t.source_key),
    }
}

/// A catalog source cited by id (milestones, requirements).
pub fn source_citation(r: &Reference, source_id: &str) -> CitationView {
    let kind = r.source(source_id).map_or("article", |s| s.kind.as_str());
    citation_for(r, kind, Some(source_id), source_id)
}

pub fn milestone_entry(r: &Reference, m: &Milestone) -> TimelineEntry {
    TimelineEntry::Milestone {
        when: m.date.to_string(),
        approximate: m.approximate,
        title: name(&m.title_zh, &m.title_en),
        citation: source_citation(r, &m.source),
    }
}
