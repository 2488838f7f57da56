//! The timeline's exports for journalists and programs: `/timeline.csv`, `.json`,
//! `.ndjson` (every entry the filters select, oldest first, streamed from the database in
//! constant memory) and the Atom feed (see `atom`), their file names and links; the
//! request, columns and rows they share are `rows`'.
//!
//! They take exactly the `/timeline` page's query parameters (`at`, `platform`, `kind`,
//! `source`, `from`, `to`) plus `lang`. Every row carries its citation or an absolute link
//! to its evidence, and says whether it is simulated.
//!
//! Rows are read in batches by storage ([`Store::timeline_batches`]: straight from a SQLite
//! file, through the pool otherwise) and encoded on a blocking thread, so reading and
//! encoding use both cores; the read is opened before the 200, and a failure later breaks
//! the transfer rather than ending a file that looks complete.
//!
//! [`Store::timeline_batches`]: crate::storage::Store::timeline_batches

use super::csv::CsvChunk;
use super::filter::TimelineFilter;
use super::json::{self, JsonRows, NdjsonRows};
use super::rows::{CHUNK, ExportRequest, Row, RowBufs, RowMaker};
use crate::domain::TransitionRef;
use crate::storage::{Reads, TimelineBatches, TimelineOrder};
use crate::web::app_state::AppState;
use crate::web::error::{Answer, FileError, JsonError, WebError};
use crate::web::request::{AsOf, ReaderLang};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use hutong_app::i18n::Lang;
use hutong_app::model::ExportLink;

/// How many entries the Atom feed carries (the latest).
pub const FEED_ENTRIES: usize = 100;

/// The formats of the streamed exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
}

impl Format {
    pub(super) fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8; header=present",
            Format::Json => "application/json",
            Format::Ndjson => "application/x-ndjson",
        }
    }
}

/// The export links the `/timeline` page shows, each carrying its filters, date and language.
pub fn links(filter: &TimelineFilter, as_of: &AsOf, lang: Lang) -> Vec<ExportLink> {
    let query = export_query(filter, as_of, lang);
    [
        ("csv", "text/csv", "CSV"),
        ("json", "application/json", "JSON"),
        ("ndjson", "application/x-ndjson", "NDJSON"),
        ("atom", "application/atom+xml", "Atom"),
    ]
    .into_iter()
    .map(|(ext, mime, format)| ExportLink {
        href: format!("/timeline.{ext}?{query}"),
        mime: mime.into(),
        format: format.into(),
    })
    .collect()
}

/// `platform=…&kind=…&…&at=…&lang=…`: the filters, the date unless today, the language.
pub(super) fn export_query(filter: &TimelineFilter, as_of: &AsOf, lang: Lang) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in filter.pairs() {
        q.append_pair(&k, &v);
    }
    if !as_of.is_today {
        q.append_pair("at", &as_of.day.to_string());
    }
    q.append_pair("lang", lang.code());
    q.finish()
}

pub async fn get_csv(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
    filter: Result<TimelineFilter, WebError>,
) -> Result<Response, FileError> {
    let req = ExportRequest::new(lang, at, reads, filter)
        .await
        .or_file(lang)?;
    stream_export(&state, req, Format::Csv).await.or_file(lang)
}

pub async fn get_json(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
    filter: Result<TimelineFilter, WebError>,
) -> Result<Response, JsonError> {
    let req = ExportRequest::new(lang, at, reads, filter)
        .await
        .or_json(lang)?;
    stream_export(&state, req, Format::Json).await.or_json(lang)
}

pub async fn get_ndjson(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    at: Result<AsOf, WebError>,
    reads: Result<Reads, WebError>,
    filter: Result<TimelineFilter, WebError>,
) -> Result<Response, JsonError> {
    let req = ExportRequest::new(lang, at, reads, filter)
        .await
        .or_json(lang)?;
    stream_export(&state, req, Format::Ndjson)
        .await
        .or_json(lang)
}

/// `hutong-timeline-platform-wechat_kind-link-2021-12-31.csv`: the filters and the date,
/// in characters every file system accepts.
fn file_name(filter: &TimelineFilter, as_of: &AsOf, ext: &str) -> String {
    let pairs = filter.pairs();
    let filters = if pairs.is_empty() {
        "all".to_string()
    } else {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}-{v}"))
            .collect::<Vec<_>>()
            .join("_")
    };
    let safe: String = filters
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("hutong-timeline-{safe}-{}.{ext}", as_of.day)
}

/// Answers a streamed export: the read is opened first (a database that cannot be read is
/// an error status with a message, not a 200 with an empty, broken body), then rows are
/// encoded on a blocking thread as batches arrive.
async fn stream_export(
    state: &AppState,
    req: ExportRequest,
    format: Format,
) -> Result<Response, WebError> {
    let name = file_name(&req.filter, &req.as_of, format.extension());
    let rows = RowMaker::new(&req, &state.public_url);
    let preamble = match format {
        Format::Json => json::preamble(&req, &state.public_url),
        _ => Vec::new(),
    };
    let batches = if req.filter.milestones_only() {
        None
    } else {
        let q = req.filter.query(&req.as_of, 0, 0);
        Some(
            req.reads
                .store()
                .timeline_batches(&q, TimelineOrder::OldestFirst)
                .await?,
        )
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::task::spawn_blocking(move || {
        let exporter = Exporter::new(rows, format, preamble);
        if let Err(e) = produce(batches, exporter, &tx) {
            tracing::error!(error = %e, "timeline export failed midway");
            // The body ends with an error: the client sees a broken transfer, never a
            // truncated file that looks complete.
            let _ = tx.blocking_send(Err(std::io::Error::other("the export failed midway")));
        }
    });
    let body = Body::from_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    let disposition = format!("attachment; filename=\"{name}\"");
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// Encodes every batch, then the milestones after the last change and the format's end;
/// stops when the client goes away (dropping the batches stops the read).
fn produce(
    batches: Option<TimelineBatches>,
    mut ex: Exporter,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), ExportError> {
    if let Some(mut batches) = batches {
        while let Some(batch) = batches.next() {
            let batch = batch?;
            for t in batch.rows() {
                if let Some(chunk) = ex.change(&t)?
                    && tx.blocking_send(Ok(chunk)).is_err()
                {
                    return Ok(());
                }
            }
            batches.recycle(batch);
        }
    }
    let _ = tx.blocking_send(Ok(ex.finish()?));
    Ok(())
}

#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Storage(#[from] crate::storage::StorageError),
}

/// Writes rows into a buffer in the chosen format.
enum Encoder {
    Csv(Box<CsvChunk>),
    Json(JsonRows),
    Ndjson(NdjsonRows),
}

impl Encoder {
    fn new(format: Format, preamble: Vec<u8>) -> Encoder {
        match format {
            Format::Csv => Encoder::Csv(Box::new(CsvChunk::start())),
            Format::Json => Encoder::Json(JsonRows::new(preamble)),
            Format::Ndjson => Encoder::Ndjson(NdjsonRows::new()),
        }
    }

    fn row(&mut self, row: &Row<'_>) -> Result<(), std::io::Error> {
        match self {
            Encoder::Csv(csv) => {
                csv.row(row);
                Ok(())
            }
            Encoder::Json(json) => json.row(row),
            Encoder::Ndjson(ndjson) => ndjson.row(row),
        }
    }

    fn len(&self) -> usize {
        match self {
            Encoder::Csv(csv) => csv.len,
            Encoder::Json(JsonRows { buf, .. }) | Encoder::Ndjson(NdjsonRows { buf }) => buf.len(),
        }
    }

    /// Takes what has been written so far.
    fn take(&mut self) -> Bytes {
        match self {
            Encoder::Csv(csv) => csv.take(),
            Encoder::Json(JsonRows { buf, .. }) | Encoder::Ndjson(NdjsonRows { buf }) => {
                Bytes::from(std::mem::replace(buf, Vec::with_capacity(CHUNK + 4096)))
            }
        }
    }

    fn finish(&mut self, rows: u64, simulated: u64) -> Result<Bytes, std::io::Error> {
        if let Encoder::Json(json) = self {
            json.finish(rows, simulated)?;
        }
        Ok(self.take())
    }
}

/// Turns transitions (with the milestones that fall between them) into encoded chunks.
struct Exporter {
    out: Encoder,
    maker: RowMaker,
    /// The next milestone of `maker.milestones` to write.
    next_milestone: usize,
    rows: u64,
    simulated: u64,
    /// Recycled from row to row.
    bufs: RowBufs,
}

impl Exporter {
    fn new(maker: RowMaker, format: Format, preamble: Vec<u8>) -> Exporter {
        Exporter {
            out: Encoder::new(format, preamble),
            maker,
            next_milestone: 0,
            rows: 0,
            simulated: 0,
            bufs: RowBufs::default(),
        }
    }

    /// Writes the milestones up to `until` (all when `None`).
    fn milestones(&mut self, until: Option<DateTime<Utc>>) -> Result<(), std::io::Error> {
        while let Some((at, m)) = self.maker.milestones.get(self.next_milestone) {
            if until.is_some_and(|u| *at > u) {
                break;
            }
            self.next_milestone += 1;
            let row = self.maker.milestone_row(*at, m);
            self.rows += 1;
            self.out.row(&row)?;
        }
        Ok(())
    }

    /// Writes one change after the milestones before it; a chunk once one is full.
    fn change(&mut self, t: &TransitionRef<'_>) -> Result<Option<Bytes>, std::io::Error> {
        self.milestones(Some(t.occurred_at))?;
        let row = self.maker.change_row(t, std::mem::take(&mut self.bufs));
        self.rows += 1;
        self.simulated += u64::from(row.simulated);
        let written = self.out.row(&row);
        self.bufs = row.into_bufs();
        written?;
        Ok(if self.out.len() >= CHUNK {
            Some(self.out.take())
        } else {
            None
        })
    }

    /// The remaining milestones and the format's end.
    fn finish(mut self) -> Result<Bytes, std::io::Error> {
        self.milestones(None)?;
        self.out.finish(self.rows, self.simulated)
    }
}
