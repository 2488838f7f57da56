//! "What changed, when, and on whose word?": the timeline page `/timeline` (status changes
//! and milestones, newest first, filtered), its JSON `/api/v1/timeline`, and its exports
//! for journalists and programs ([`export`]): `/timeline.csv`, `/timeline.json`,
//! `/timeline.ndjson` and the Atom feed `/timeline.atom`.

mod atom;
pub mod csv;
pub mod export;
pub mod filter;
mod json;
pub mod rows;

pub use filter::TimelineFilter;

use super::app_state::AppState;
use super::error::{Answer, ApiResult, PageResult, WebError};
use super::present::{self, Audience, name};
use super::request::{AsOf, Paging, ReaderLang, chrome};
use crate::domain::Reference;
use crate::domain::SourceKind;
use crate::storage::{Reads, TimelineEntries};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use hutong_app::pages;
use serde_json::{Value, json};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/timeline", get(show_timeline))
        .route("/timeline.csv", get(export::get_csv))
        .route("/timeline.json", get(export::get_json))
        .route("/timeline.ndjson", get(export::get_ndjson))
        .route("/timeline.atom", get(atom::get_atom))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/timeline", get(get_timeline))
}

/// Entries per page of the timeline (and of its JSON).
pub const TIMELINE_PAGE: usize = 50;

/// Transitions and milestones the filters keep, merged, newest first; returns one page and
/// the total.
async fn timeline_entries(
    reads: &Reads,
    r: &Reference,
    as_of: &AsOf,
    f: &TimelineFilter,
    page: usize,
    query: &str,
    a: Audience,
) -> Result<(Vec<TimelineEntry>, usize), WebError> {
    let wanted = page * TIMELINE_PAGE;
    let (transitions, transition_total) = if f.milestones_only() {
        (Vec::new(), 0)
    } else {
        let q = f.query(as_of, wanted as i64, 0);
        let page = reads.timeline(&q).await?;
        (page.0.clone(), page.1 as usize)
    };
    let milestones: Vec<_> = r
        .milestones
        .iter()
        .filter(|m| f.keeps_milestone(r, m, as_of))
        .collect();
    let total = transition_total + milestones.len();
    let entries =
        present::merged_entries(r, &transitions, &milestones, page, TIMELINE_PAGE, query, a);
    Ok((entries, total))
}

pub async fn show_timeline(
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
    filter: Result<TimelineFilter, WebError>,
    paging: Result<Paging, WebError>,
) -> PageResult {
    let title = lang.t("nav-timeline");
    let furniture = |as_of: &AsOf| {
        chrome(
            lang,
            &title,
            Section::Timeline,
            "/timeline",
            as_of,
            Vec::new(),
        )
    };
    let as_of = at.or_page(&furniture(&AsOf::today()))?;
    let mut chrome = furniture(&as_of);
    let reads = reads.or_page(&chrome)?;
    let mut filter = filter.or_page(&chrome)?;
    // The page shows changes unless asked otherwise: first sightings outnumber them.
    if filter.entries.is_none() {
        filter.entries = Some(TimelineEntries::Changes);
        filter.entries_defaulted = true;
    }
    // A simulated platform or check has only simulated entries: the reader coming from
    // its page gets the simulated timeline, spelt in the URL of every link and download.
    if filter.simulated_subject && filter.source.is_none() {
        filter.source = Some(SourceKind::Simulated);
    }
    let page = paging.or_page(&chrome)?.page;
    chrome.keep = filter.pairs();
    let view = timeline_view(&reads, &as_of, &filter, page, lang)
        .await
        .or_page(&chrome)?;
    Ok(Html(pages::timeline_page(&chrome, &view)))
}

async fn timeline_view(
    reads: &Reads,
    as_of: &AsOf,
    filter: &TimelineFilter,
    page: usize,
    lang: Lang,
) -> Result<TimelineView, WebError> {
    let r = reads.reference().await?;
    let query = present::date_query(as_of, lang);
    let (entries, total) = timeline_entries(
        reads,
        &r,
        as_of,
        filter,
        page,
        &query,
        Audience::Reader(lang),
    )
    .await?;
    let (changes, first_sightings) = reads.timeline_counts(&filter.query(as_of, 0, 0)).await?;
    let shown = filter.entries();
    let entries_shown = filter::ENTRIES
        .iter()
        .map(|(value, e)| FilterOption {
            value: (*value).to_string(),
            label: lang.t(&format!("timeline-entries-{value}")),
            selected: *e == shown,
        })
        .collect();
    let check = filter.check.as_ref().map(|id| {
        let title = r
            .check(id)
            .map(|c| present::check_title(&r, c, lang))
            .unwrap_or_else(|| id.clone());
        (id.clone(), title)
    });
    let pages_count = total.div_ceil(TIMELINE_PAGE);
    let page_href = |p: usize| {
        let mut pairs = filter.pairs();
        if p > 1 {
            pairs.push(("page".to_string(), p.to_string()));
        }
        present::link_with("/timeline", &pairs, as_of, lang)
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
        selected: filter.milestones_only(),
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
    Ok(TimelineView {
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
        // Downloads of what the page shows: the page's default spelt out.
        exports: export::links(
            &TimelineFilter {
                entries_defaulted: false,
                ..filter.clone()
            },
            as_of,
            lang,
        ),
        entries_shown,
        changes: changes as usize,
        first_sightings: first_sightings as usize,
        check,
        simulated: filter.shows_simulated(),
    })
}

/// `/api/v1/timeline?at=&platform=&kind=&source=&from=&to=&check=&entries=&page=`: every
/// entry unless `entries=` says otherwise (what the endpoint always answered).
pub async fn get_timeline(
    as_of: AsOf,
    paging: Paging,
    reads: Reads,
    filter: TimelineFilter,
) -> ApiResult {
    let page = paging.page;
    let r = reads.reference().await?;
    let (entries, total) =
        timeline_entries(&reads, &r, &as_of, &filter, page, "", Audience::Program).await?;
    let (changes, first_sightings) = reads.timeline_counts(&filter.query(&as_of, 0, 0)).await?;
    let entries: Vec<Value> = entries.iter().map(entry_json).collect();
    Ok(Json(json!({
        "at": as_of.day,
        "page": page,
        "per_page": TIMELINE_PAGE,
        "entries_kept": filter::entries_value(filter.entries()),
        "changes": changes,
        "first_sightings": first_sightings,
        "total": total,
        "entries": entries,
    }))
    .into_response())
}

fn entry_json(e: &TimelineEntry) -> Value {
    let citation = |c: &CitationView| {
        json!({
            "source_kind": c.source_kind,
            "label": c.label,
            "title": c.title,
            "url": c.url,
            "simulated": c.source_kind == "simulated",
        })
    };
    match e {
        TimelineEntry::Change {
            when,
            approximate,
            check_href,
            check_title,
            kind_name,
            from,
            to,
            citation: c,
        } => json!({
            "type": "change",
            "when": when,
            "approximate": approximate,
            "check": check_href.trim_start_matches("/checks/"),
            "title": check_title,
            "kind": kind_name.en,
            "from": from.as_ref().map(|s| &s.id),
            "to": to.id,
            "citation": citation(c),
        }),
        TimelineEntry::Milestone {
            when,
            approximate,
            title,
            citation: c,
        } => json!({
            "type": "milestone",
            "when": when,
            "approximate": approximate,
            "title_zh": title.zh,
            "title_en": title.en,
            "citation": citation(c),
        }),
    }
}
