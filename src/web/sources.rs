//! "Where do the facts come from?": the sources index `/sources` (every cited source with
//! its publisher, headline as published, date and address, or that none is known) and
//! `/api/v1/sources`.

use super::app_state::AppState;
use super::error::{Answer, ApiResult, PageResult, WebError};
use super::present::cite;
use super::request::{AsOf, ReaderLang, chrome};
use crate::storage::Reads;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use axum::{Json, Router};
use hutong_app::model::{Section, SourceListItem};
use hutong_app::pages;
use serde_json::json;

pub fn routes() -> Router<AppState> {
    Router::new().route("/sources", get(show_sources))
}

pub fn api_routes() -> Router<AppState> {
    Router::new().route("/sources", get(list_sources))
}

pub async fn show_sources(
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
) -> PageResult {
    let title = lang.t("sources-heading");
    let furniture =
        |as_of: &AsOf| chrome(lang, &title, Section::Other, "/sources", as_of, Vec::new());
    let as_of = at.or_page(&furniture(&AsOf::today()))?;
    let chrome = furniture(&as_of);
    let reads = reads.or_page(&chrome)?;
    let r = reads
        .reference()
        .await
        .map_err(WebError::from)
        .or_page(&chrome)?;
    let mut sources: Vec<_> = r.sources.iter().collect();
    // Newest first; undated last, by publisher.
    sources.sort_by(|a, b| b.date.cmp(&a.date).then(a.publisher.cmp(&b.publisher)));
    let items = sources
        .into_iter()
        .map(|s| SourceListItem {
            href: format!("/sources/{}?lang={}", s.id, lang.code()),
            id: s.id.clone(),
            kind: s.kind.as_str().to_string(),
            publisher: s.publisher.clone(),
            title: s.title.clone(),
            title_en: s.title_en.clone(),
            title_zh: super::present::title_zh(s, lang),
            language: s.language.clone(),
            date: s.date,
            url: s.url.clone(),
        })
        .collect::<Vec<_>>();
    Ok(Html(pages::sources_page(&chrome, &items)))
}

/// `/api/v1/sources`: every source; `url` is null where no address is known, and
/// `address` says so in words.
pub async fn list_sources(reads: Reads) -> ApiResult {
    let r = reads.reference().await?;
    let sources: Vec<_> = r
        .sources
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "kind": s.kind.as_str(),
                "publisher": s.publisher,
                "title": s.title,
                "title_en": s.title_en,
                "date": s.date,
                "language": s.language,
                "region": s.region,
                "url": s.url,
                "address": cite::address(s),
                "page": format!("/sources/{}", s.id),
            })
        })
        .collect();
    Ok(Json(json!({ "sources": sources })).into_response())
}
