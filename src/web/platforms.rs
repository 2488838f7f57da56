//! "Who is this platform, and what do we know of it? Where does a fact come from?": the
//! platform list `/platforms`, a platform's page `/platforms/{slug}`, a cited source's page
//! `/sources/{id}`, and `/api/v1/platforms`, `/api/v1/platforms/{slug}`.

use super::app_state::AppState;
use super::error::{Answer, ApiResult, PageResult, WebError, truncate};
use super::present::json::check_json;
use super::present::{self, Audience, name, states_at};
use super::request::{AsOf, ReaderLang, chrome};
use crate::domain::Reference;
use crate::domain::{Check, Side};
use crate::storage::Reads;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use hutong_app::i18n::Lang;
use hutong_app::model::*;
use hutong_app::pages;
use serde::Serialize;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/platforms", get(show_platforms))
        .route("/platforms/{slug}", get(show_platform))
        .route("/sources/{id}", get(show_source))
}

pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/platforms", get(list_platforms))
        .route("/platforms/{slug}", get(get_platform))
}

/// The checks a platform takes part in, with its role in each (`true`: the subject).
fn platform_checks<'a>(r: &'a Reference, slug: &str) -> Vec<(&'a Check, bool)> {
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

pub async fn show_platforms(
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let title = lang.t("nav-platforms");
    let furniture = |as_of: &AsOf| {
        chrome(
            lang,
            &title,
            Section::Platforms,
            "/platforms",
            as_of,
            Vec::new(),
        )
    };
    let as_of = at.or_page(&furniture(&AsOf::today()))?;
    let chrome = furniture(&as_of);
    let reads = reads.or_page(&chrome)?;
    let r = reads.reference().await.or_page(&chrome)?;
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
    Ok(Html(pages::platform_list_page(&chrome, &items)))
}

pub async fn show_platform(
    Path(slug): Path<String>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let path = format!("/platforms/{slug}");
    let title = lang.t("title-platform");
    let furniture =
        |as_of: &AsOf| chrome(lang, &title, Section::Platforms, &path, as_of, Vec::new());
    let as_of = at.or_page(&furniture(&AsOf::today()))?;
    let mut chrome = furniture(&as_of);
    let reads = reads.or_page(&chrome)?;
    let view = platform_view(&reads, &slug, &as_of, &mut chrome).await;
    let view = view.or_page(&chrome)?;
    Ok(Html(pages::platform_page(&chrome, &view)))
}

/// A platform's page; its title is the platform's names once it is found.
async fn platform_view(
    reads: &Reads,
    slug: &str,
    as_of: &AsOf,
    chrome: &mut Chrome,
) -> Result<PlatformView, WebError> {
    let lang = chrome.lang;
    let r = reads.reference().await?;
    let simulated = r.is_simulated_platform(slug);
    // A simulated platform's page is all demo data, labelled as such.
    let states = states_at(reads, &r, as_of.instant, None, simulated).await?;
    let Some(p) = r.platform(slug) else {
        return Err(WebError::NotFound(
            lang.t_args("error-no-platform", &[("slug", truncate(slug).into())]),
        ));
    };
    chrome.title = match lang {
        Lang::En => format!("{} {}", p.name_en, p.name_zh),
        Lang::ZhCn => format!("{} {}", p.name_zh, p.name_en),
    };
    let query = present::date_query(as_of, lang);
    let checks = platform_checks(&r, slug)
        .into_iter()
        .filter_map(|(c, as_subject)| {
            let kind = r.kind(&c.kind)?;
            let (role, other) = if as_subject {
                (
                    name(&kind.subject_label_zh, &kind.subject_label_en)
                        .get(lang)
                        .to_string(),
                    present::side_header(&r, kind.object, &c.object, &query, lang),
                )
            } else {
                (
                    name(&kind.object_label_zh, &kind.object_label_en)
                        .get(lang)
                        .to_string(),
                    present::side_header(&r, kind.subject, &c.subject, &query, lang),
                )
            };
            Some(CheckSummary {
                kind_name: name(&kind.name_zh, &kind.name_en),
                role,
                other,
                cell: present::cell(&r, c, states.get(&c.id), as_of, &query, lang),
            })
        })
        .collect();
    let group = r.group(&p.group);
    let ecosystem = group
        .and_then(|g| g.ecosystem.as_deref())
        .and_then(|e| r.group(e))
        .map(|g| name(&g.name_zh, &g.name_en));
    Ok(PlatformView {
        slug: p.slug.clone(),
        name: name(&p.name_zh, &p.name_en),
        kind: p.kind.clone(),
        group: group.map_or_else(|| name("", &p.group), |g| name(&g.name_zh, &g.name_en)),
        ecosystem,
        domains: p.domains.clone(),
        checks,
        simulated,
    })
}

pub async fn show_source(
    Path(id): Path<String>,
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let path = format!("/sources/{id}");
    let title = lang.t("title-source");
    let furniture = |as_of: &AsOf| chrome(lang, &title, Section::Other, &path, as_of, Vec::new());
    let as_of = at.or_page(&furniture(&AsOf::today()))?;
    let mut chrome = furniture(&as_of);
    let reads = reads.or_page(&chrome)?;
    let view = source_view(&reads, &id, &as_of, &mut chrome).await;
    let view = view.or_page(&chrome)?;
    if let Some(src) = reads.reference().await.or_page(&chrome)?.source(&id) {
        let names = |l: Lang| l.t_args("cite-source", &[("id", id.clone().into())]);
        chrome.cite = Some(super::present::cite::cite_box(
            &state.public_url,
            &path,
            as_of.day,
            lang,
            (&names(Lang::ZhCn), &names(Lang::En)),
            Some(src),
        ));
    }
    Ok(Html(pages::source_page(&chrome, &view)))
}

/// A source's page: what it is, every fact it backs, the milestones it dates.
async fn source_view(
    reads: &Reads,
    id: &str,
    as_of: &AsOf,
    chrome: &mut Chrome,
) -> Result<SourceView, WebError> {
    let lang = chrome.lang;
    let r = reads.reference().await?;
    let Some(src) = r.source(id) else {
        return Err(WebError::NotFound(
            lang.t_args("error-no-source", &[("id", truncate(id).into())]),
        ));
    };
    chrome.title = format!("{}: {}", src.publisher, src.title);
    let query = present::date_query(as_of, lang);
    let cited = reads.store().observations_citing(id).await?;
    let facts = cited
        .iter()
        .filter_map(|o| {
            let check = r.check(&o.check_id)?;
            Some(SourceFact {
                check_title: present::check_title(&r, check, lang),
                check_href: format!("/checks/{}{query}", check.id),
                when: present::when(o.observed_at, &o.precision),
                approximate: o.is_approximate(),
                status: present::status_view(r.kind(&check.kind), &o.status, lang),
                quote: o.quote.clone(),
                note: present::note(o, lang),
                retraction: present::retraction(o),
            })
        })
        .collect();
    Ok(SourceView {
        id: src.id.clone(),
        kind: src.kind.as_str().to_string(),
        publisher: src.publisher.clone(),
        title: src.title.clone(),
        title_en: src.title_en.clone(),
        title_zh: present::title_zh(src, lang),
        date: src.date,
        language: src.language.clone(),
        region: src.region.clone(),
        url: src.url.clone(),
        facts,
        milestones: r
            .milestones
            .iter()
            .filter(|m| m.source == id)
            .map(|m| present::milestone_entry(&r, m, Audience::Reader(lang)))
            .collect(),
    })
}

// ---- JSON ----------------------------------------------------------------------------

#[derive(Serialize)]
struct PlatformJson<'a> {
    slug: &'a str,
    name_zh: &'a str,
    name_en: &'a str,
    group: &'a str,
    ecosystem: &'a str,
    kind: &'a str,
    domains: &'a [String],
}

fn platform_json<'a>(r: &'a Reference, p: &'a crate::domain::Platform) -> PlatformJson<'a> {
    PlatformJson {
        slug: &p.slug,
        name_zh: &p.name_zh,
        name_en: &p.name_en,
        group: &p.group,
        ecosystem: r.ecosystem_of_group(&p.group),
        kind: &p.kind,
        domains: &p.domains,
    }
}

/// `/api/v1/platforms`: every platform of the catalog.
pub async fn list_platforms(reads: Reads) -> ApiResult {
    let r = reads.reference().await?;
    let list: Vec<PlatformJson> = r.platforms.iter().map(|p| platform_json(&r, p)).collect();
    Ok(Json(json!({ "platforms": list })).into_response())
}

/// `/api/v1/platforms/{slug}`: a platform and the checks it takes part in.
pub async fn get_platform(Path(slug): Path<String>, reads: Reads) -> ApiResult {
    let r = reads.reference().await?;
    let p = r.platform(&slug).ok_or_else(|| {
        WebError::NotFound(
            Lang::En.t_args("error-no-platform", &[("slug", truncate(&slug).into())]),
        )
    })?;
    let checks: Vec<&Check> = r
        .checks
        .iter()
        .filter(|c| c.subject == slug || c.object == slug)
        .collect();
    Ok(Json(json!({
        "platform": platform_json(&r, p),
        "checks": checks.iter().map(|c| check_json(c)).collect::<Vec<_>>(),
    }))
    .into_response())
}
