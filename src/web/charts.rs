//! What the chart downloads of every question share: the file name's format, the SVG or
//! PNG answer (PNGs drawn once, kept and queued: [`super::png`]), the download links, the date
//! line. Each chart itself lives with the question it answers (the overview's openness, a
//! check's steps, a requirement's compliance).

use super::error::{FileError, WebError};
use super::png::{self, PngCharts, PngError};
use super::request::AsOf;
use crate::storage::Reads;
use axum::body::Bytes;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use hutong_app::components::href_with;
use hutong_app::i18n::Lang;
use std::sync::Arc;

/// The image format of a download, from its file name's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

/// `stem.svg` or `stem.png` → (stem, format); anything else is `None`.
pub fn split_file(file: &str) -> Option<(&str, Format)> {
    let (stem, ext) = file.rsplit_once('.')?;
    let format = match ext {
        "svg" => Format::Svg,
        "png" => Format::Png,
        _ => return None,
    };
    Some((stem, format))
}

/// "Hutong · as of 2021-10-17 · generated 2021-10-18 09:12": under every chart.
pub fn date_line(lang: Lang, as_of: &AsOf) -> String {
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

/// A status's label in `lang` (English when the catalog has no Chinese).
pub fn status_label(lang: Lang, s: &crate::domain::Status) -> String {
    match lang {
        Lang::ZhCn if !s.label_zh.is_empty() => s.label_zh.clone(),
        _ => s.label_en.clone(),
    }
}

/// Links to download a chart in both formats, keeping the date and the language.
pub fn downloads(stem_path: &str, as_of: &AsOf, lang: Lang) -> (String, String) {
    let pairs = vec![("lang".to_string(), lang.code().to_string())];
    let at = as_of.day_in_links().map(|d| d.to_string());
    (
        href_with(&format!("{stem_path}.svg"), &pairs, at.as_deref()),
        href_with(&format!("{stem_path}.png"), &pairs, at.as_deref()),
    )
}

/// What a PNG is kept under besides its file name: the data version the request read
/// before the chart's data, and whether it shows "now" rather than the end of its day.
#[derive(Debug, Clone, Copy)]
pub struct KeptUnder {
    version: i64,
    now: bool,
}

impl KeptUnder {
    pub fn new(reads: &Reads, as_of: &AsOf) -> KeptUnder {
        KeptUnder {
            version: reads.version(),
            now: as_of.is_today,
        }
    }
}

/// Answers the chart in the asked format, as an attachment named after what it shows.
/// PNGs are drawn once and kept, shared by concurrent requests, and queued ([`super::png`]).
pub async fn reply(
    pngs: &Arc<PngCharts>,
    kept: KeptUnder,
    svg: String,
    format: Format,
    filename_stem: &str,
    lang: Lang,
) -> Result<Response, FileError> {
    let (content_type, ext, body) = match format {
        Format::Svg => ("image/svg+xml", "svg", Bytes::from(svg)),
        Format::Png => {
            // The file name says what the image shows: chart, date and language.
            let shows = format!("{filename_stem}{}", if kept.now { " now" } else { "" });
            match pngs.png(kept.version, &shows, svg).await {
                Ok(png) => ("image/png", "png", png),
                Err(PngError::Busy(queued)) => {
                    tracing::debug!(queued, "PNG queue full: answered 503");
                    return Ok(png::busy(lang));
                }
                Err(e) => {
                    return Err(FileError {
                        lang,
                        error: WebError::Internal(format!("chart rasterising failed: {e}")),
                    });
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
    Ok(response)
}
