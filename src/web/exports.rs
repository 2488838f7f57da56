//! Exports of the timeline for journalists and programs: `/timeline.csv`, `.json`,
//! `.ndjson` (every entry the filters select, oldest first, streamed from the database in
//! constant memory) and `/timeline.atom` (the latest changes as an Atom 1.0 feed).
//!
//! They take exactly the `/timeline` page's query parameters (`at`, `platform`, `kind`,
//! `source`, `from`, `to`) plus `lang`. Every row carries its citation or an absolute link
//! to its evidence, and says whether it is simulated.

use super::pages::TimelineFilter;
use super::params::Params;
use super::{AppState, AsOf, WebError};
use crate::catalog::{Milestone, Side};
use crate::storage::{
    OpenTimeline, Reference, StorageError, Store, TimelineOrder, TimelineQuery, TransitionRef,
};
use crate::time::{self, SHANGHAI};
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use futures_util::StreamExt;
use hutong_app::i18n::Lang;
use hutong_app::model::ExportLink;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::ops::ControlFlow;

/// How many entries the Atom feed carries (the latest).
pub const FEED_ENTRIES: usize = 100;

/// Bytes gathered before a chunk is handed to the client.
const CHUNK: usize = 64 * 1024;

/// The columns of the CSV export, in order; also the keys of each JSON row.
pub const COLUMNS: [&str; 25] = [
    "when",
    "when_utc",
    "precision",
    "entry",
    "check_id",
    "kind",
    "subject",
    "subject_zh",
    "subject_en",
    "object",
    "object_zh",
    "object_en",
    "from_status",
    "from_label",
    "to_status",
    "to_label",
    "title",
    "source_kind",
    "simulated",
    "source",
    "citation",
    "citation_url",
    "evidence_url",
    "check_url",
    "observation_id",
];

/// The formats of the streamed exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
}

impl Format {
    fn extension(self) -> &'static str {
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
fn export_query(filter: &TimelineFilter, as_of: &AsOf, lang: Lang) -> String {
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

/// What one export request asks for, read strictly from its URL.
struct Request {
    as_of: AsOf,
    filter: TimelineFilter,
    lang: Lang,
    reference: std::sync::Arc<Reference>,
}

async fn read_request(state: &AppState, raw: Option<&str>) -> Result<Request, WebError> {
    let params = Params::parse(raw);
    let as_of = params.as_of()?;
    let lang = super::lang::current();
    let reference = state.reference().await?;
    let filter = TimelineFilter::parse(&params, &reference)?;
    Ok(Request {
        as_of,
        filter,
        lang,
        reference,
    })
}

fn error_response(e: &WebError, json: bool) -> Response {
    let message = e.public_message();
    if json {
        (
            e.status(),
            axum::Json(serde_json::json!({ "error": message })),
        )
            .into_response()
    } else {
        (
            e.status(),
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("{message}\n"),
        )
            .into_response()
    }
}

pub async fn get_csv(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    stream_export(state, q.as_deref(), Format::Csv).await
}

pub async fn get_json(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    stream_export(state, q.as_deref(), Format::Json).await
}

pub async fn get_ndjson(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    stream_export(state, q.as_deref(), Format::Ndjson).await
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

async fn stream_export(state: AppState, raw: Option<&str>, format: Format) -> Response {
    let json_errors = format != Format::Csv;
    let req = match read_request(&state, raw).await {
        Ok(r) => r,
        Err(e) => return error_response(&e, json_errors),
    };
    let name = file_name(&req.filter, &req.as_of, format.extension());
    let rows = RowMaker::new(&req, &state.public_url);
    let milestones_only = req.filter.kind.as_deref() == Some("milestone");
    let query = (!milestones_only).then(|| req.filter.query(&req.as_of, 0, 0));
    let preamble = match format {
        Format::Json => json_preamble(&req, &state.public_url),
        _ => Vec::new(),
    };
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    // The producer says whether the read could be opened before anything is sent: a
    // database that cannot be read is an error status with a message, not a 200 with an
    // empty, broken body.
    let (opened_tx, opened) = tokio::sync::oneshot::channel::<Result<(), StorageError>>();
    let broken = || Err(std::io::Error::other("the export failed midway"));
    // Once it has started, the body ends with an error when the export fails: the client
    // sees a broken transfer, never a truncated file that looks complete.
    match state.store.sqlite_timeline_reader() {
        // A SQLite file: read and encode on one blocking thread, chunks out.
        Some(reader) => {
            tokio::task::spawn_blocking(move || {
                let open = query
                    .as_ref()
                    .map(|q| reader.open(q, TimelineOrder::OldestFirst))
                    .transpose();
                let open = match open {
                    Ok(open) => {
                        let _ = opened_tx.send(Ok(()));
                        open
                    }
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                        return;
                    }
                };
                let exporter = Exporter::new(rows, format, preamble);
                if let Err(e) = exporter.and_then(|ex| produce_blocking(open, ex, &tx)) {
                    tracing::error!(error = %e, "timeline export failed midway");
                    let _ = tx.blocking_send(broken());
                }
            });
        }
        None => {
            let store = state.store.clone();
            tokio::spawn(async move {
                let exporter = Exporter::new(rows, format, preamble);
                let result = match exporter {
                    Ok(ex) => produce(store, query, ex, opened_tx, &tx).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = result {
                    tracing::error!(error = %e, "timeline export failed midway");
                    let _ = tx.send(broken()).await;
                }
            });
        }
    }
    match opened.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return error_response(&WebError::Storage(e), json_errors),
        Err(_) => {
            let e = StorageError::Invalid("the export ended before its read was opened".into());
            return error_response(&WebError::Storage(e), json_errors);
        }
    }
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
    response
}

/// The JSON document's opening: `{"filters":…,"generated_at":…,"order":…,"rows":[`.
fn json_preamble(req: &Request, public_url: &str) -> Vec<u8> {
    let f = &req.filter;
    let head = serde_json::json!({
        "filters": {
            "at": req.as_of.day,
            "platform": f.platform,
            "kind": f.kind,
            "source": f.source.map(|s| s.as_str()),
            "from": f.from,
            "to": f.to,
            "lang": req.lang.code(),
        },
        "generated_at": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
        "order": "oldest_first",
        "source": public_url,
        "columns": COLUMNS,
    });
    let mut text = head.to_string();
    // Reopen the object to append the rows array after the fixed fields.
    text.pop();
    text.push_str(",\"rows\":[");
    text.into_bytes()
}

/// Writes rows into a buffer in the chosen format.
enum Encoder {
    Csv(Box<CsvChunk>),
    Json { buf: Vec<u8>, first: bool },
    Ndjson(Vec<u8>),
}

impl Encoder {
    fn new(format: Format, preamble: Vec<u8>) -> Result<Encoder, std::io::Error> {
        Ok(match format {
            Format::Csv => {
                let mut csv = CsvChunk::new();
                // A byte-order mark: Excel reads the file as UTF-8 (Chinese intact).
                csv.raw("\u{FEFF}".as_bytes());
                csv.record(COLUMNS);
                Encoder::Csv(Box::new(csv))
            }
            Format::Json => Encoder::Json {
                buf: preamble,
                first: true,
            },
            Format::Ndjson => Encoder::Ndjson(Vec::with_capacity(CHUNK + 4096)),
        })
    }

    fn row(&mut self, row: &Row<'_>) -> Result<(), std::io::Error> {
        match self {
            Encoder::Csv(csv) => {
                let mut number = itoa::Buffer::new();
                let obs = row.observation_id.map(|i| number.format(i));
                let fields: [&str; 25] = [
                    &row.when,
                    &row.when_utc,
                    row.precision,
                    row.entry,
                    row.check_id.unwrap_or(""),
                    row.kind.unwrap_or(""),
                    row.subject.unwrap_or(""),
                    row.subject_zh.unwrap_or(""),
                    row.subject_en.unwrap_or(""),
                    row.object.unwrap_or(""),
                    row.object_zh.unwrap_or(""),
                    row.object_en.unwrap_or(""),
                    row.from_status.unwrap_or(""),
                    row.from_label.unwrap_or(""),
                    row.to_status.unwrap_or(""),
                    row.to_label.unwrap_or(""),
                    &row.title,
                    row.source_kind,
                    if row.simulated { "yes" } else { "no" },
                    row.source,
                    row.citation.unwrap_or(""),
                    row.citation_url.unwrap_or(""),
                    &row.evidence_url,
                    row.check_url.as_deref().unwrap_or(""),
                    obs.unwrap_or(""),
                ];
                csv.record(fields);
                Ok(())
            }
            Encoder::Json { buf, first } => {
                if !*first {
                    buf.push(b',');
                }
                *first = false;
                serde_json::to_writer(&mut *buf, row).map_err(std::io::Error::other)
            }
            Encoder::Ndjson(buf) => {
                serde_json::to_writer(&mut *buf, row).map_err(std::io::Error::other)?;
                buf.push(b'\n');
                Ok(())
            }
        }
    }

    fn len(&mut self) -> usize {
        match self {
            Encoder::Csv(csv) => csv.len,
            Encoder::Json { buf, .. } | Encoder::Ndjson(buf) => buf.len(),
        }
    }

    /// Takes what has been written so far.
    fn take(&mut self) -> Result<Bytes, std::io::Error> {
        Ok(match self {
            Encoder::Csv(csv) => csv.take(),
            Encoder::Json { buf, .. } | Encoder::Ndjson(buf) => {
                Bytes::from(std::mem::replace(buf, Vec::with_capacity(CHUNK + 4096)))
            }
        })
    }

    fn finish(&mut self, rows: u64, simulated: u64) -> Result<Bytes, std::io::Error> {
        if let Encoder::Json { buf, .. } = self {
            write!(
                Adapter(buf),
                "],\"rows_total\":{rows},\"simulated_rows\":{simulated}}}"
            )
            .map_err(|_| std::io::Error::other("writing the JSON end"))?;
            buf.push(b'\n');
        }
        self.take()
    }
}

/// CSV records (RFC 4180: CRLF line ends, a field quoted when it holds `"`, `,` or a line
/// break, quotes doubled; by `csv-core`) written straight into the chunk being filled, with
/// every cell [`neutralise`]d.
struct CsvChunk {
    writer: csv_core::Writer,
    /// Written up to `len`; the rest is room (zeroed: `csv-core` writes into slices).
    buf: Vec<u8>,
    len: usize,
}

impl CsvChunk {
    fn new() -> CsvChunk {
        CsvChunk {
            writer: csv_core::WriterBuilder::new()
                .terminator(csv_core::Terminator::CRLF)
                .build(),
            buf: vec![0; CHUNK + 16 * 1024],
            len: 0,
        }
    }

    /// Room for `n` more bytes after `len`.
    fn room(buf: &mut Vec<u8>, len: usize, n: usize) -> &mut [u8] {
        if buf.len() - len < n {
            buf.resize(len + n.max(16 * 1024), 0);
        }
        &mut buf[len..]
    }

    fn raw(&mut self, bytes: &[u8]) {
        Self::room(&mut self.buf, self.len, bytes.len())[..bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn record<const N: usize>(&mut self, cells: [&str; N]) {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                // With room for the end quote, the separator and the next field's worst case,
                // every call below completes.
                let (_, n) = self
                    .writer
                    .delimiter(Self::room(&mut self.buf, self.len, 2));
                self.len += n;
            }
            let cell = neutralise(cell);
            let input = cell.as_bytes();
            // Quoted, every byte may double: two per byte and the quotes.
            let (_, read, n) = self.writer.field(
                input,
                Self::room(&mut self.buf, self.len, 2 * input.len() + 2),
            );
            debug_assert_eq!(read, input.len());
            self.len += n;
        }
        let (_, n) = self
            .writer
            .terminator(Self::room(&mut self.buf, self.len, 3));
        self.len += n;
    }

    /// What has been written, handed over; a fresh buffer for what follows.
    fn take(&mut self) -> Bytes {
        let mut full = std::mem::replace(&mut self.buf, vec![0; CHUNK + 16 * 1024]);
        full.truncate(self.len);
        self.len = 0;
        Bytes::from(full)
    }
}

/// `fmt::Write` into a byte buffer.
struct Adapter<'a>(&'a mut Vec<u8>);

impl std::fmt::Write for Adapter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// A cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a leading
/// tab or carriage return, per OWASP) gets a `'` in front, so it shows as text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
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
    fn new(maker: RowMaker, format: Format, preamble: Vec<u8>) -> Result<Exporter, ExportError> {
        Ok(Exporter {
            out: Encoder::new(format, preamble)?,
            maker,
            next_milestone: 0,
            rows: 0,
            simulated: 0,
            bufs: RowBufs::default(),
        })
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
            Some(self.out.take()?)
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

/// Reads with the async stream (PostgreSQL, SQLite in memory). The first row is read
/// before `opened` is told the read works.
async fn produce(
    store: Store,
    query: Option<TimelineQuery>,
    mut ex: Exporter,
    opened: tokio::sync::oneshot::Sender<Result<(), StorageError>>,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), ExportError> {
    let Some(q) = &query else {
        let _ = opened.send(Ok(()));
        let _ = tx.send(Ok(ex.finish()?)).await;
        return Ok(());
    };
    let mut stream = store.timeline_stream(q, TimelineOrder::OldestFirst);
    let mut next = match stream.next().await {
        Some(Err(e)) => {
            let _ = opened.send(Err(e));
            return Ok(());
        }
        first => {
            let _ = opened.send(Ok(()));
            first
        }
    };
    while let Some(t) = next {
        if let Some(chunk) = ex.change(&t?.view())?
            && tx.send(Ok(chunk)).await.is_err()
        {
            // The client went away: stop reading the database.
            return Ok(());
        }
        next = stream.next().await;
    }
    let _ = tx.send(Ok(ex.finish()?)).await;
    Ok(())
}

/// Reads the SQLite file on this (blocking) thread, from a read already opened.
fn produce_blocking(
    open: Option<OpenTimeline>,
    mut ex: Exporter,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), ExportError> {
    if let Some(open) = open {
        let mut failed = None;
        let mut gone = false;
        open.for_each_batched(|t| match ex.change(t) {
            Ok(None) => ControlFlow::Continue(()),
            Ok(Some(chunk)) => {
                if tx.blocking_send(Ok(chunk)).is_err() {
                    gone = true;
                    return ControlFlow::Break(());
                }
                ControlFlow::Continue(())
            }
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        })?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        if gone {
            // The client went away: the statement is already finished.
            return Ok(());
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

/// One exported entry; keys are [`COLUMNS`]. Words are in the export's language, ids are not.
#[derive(Debug, Serialize)]
pub struct Row<'a> {
    pub when: String,
    pub when_utc: String,
    pub precision: &'a str,
    pub entry: &'static str,
    pub check_id: Option<&'a str>,
    pub kind: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub subject_zh: Option<&'a str>,
    pub subject_en: Option<&'a str>,
    pub object: Option<&'a str>,
    pub object_zh: Option<&'a str>,
    pub object_en: Option<&'a str>,
    pub from_status: Option<&'a str>,
    pub from_label: Option<&'a str>,
    pub to_status: Option<&'a str>,
    pub to_label: Option<&'a str>,
    pub title: String,
    pub source_kind: &'a str,
    pub simulated: bool,
    pub source: &'a str,
    pub citation: Option<&'a str>,
    pub citation_url: Option<&'a str>,
    pub evidence_url: String,
    pub check_url: Option<String>,
    pub observation_id: Option<i64>,
    /// For milestones: the catalog id (the Atom entry's id).
    #[serde(skip)]
    pub milestone_id: Option<&'a str>,
}

/// A cited source as exports show it.
struct Cited {
    kind: String,
    text: String,
    url: Option<String>,
    author: String,
}

/// What change rows say of one check, in the export's language.
struct CheckWords {
    /// (zh, en) names of the subject and the object, when the catalog has them.
    subject: Option<(String, String)>,
    object: Option<(String, String)>,
    /// `微信 × 抖音`: the check as titles name it.
    display: String,
    /// (status, label) along the check kind's ladder.
    ladder: Vec<(String, String)>,
    /// A check of a simulated platform.
    simulated: bool,
}

/// The text buffers of a [`Row`], handed from one row to the next.
#[derive(Debug, Default)]
pub struct RowBufs {
    when: String,
    when_utc: String,
    title: String,
    evidence_url: String,
    check_url: String,
}

impl Row<'_> {
    /// The row's buffers, for the next row.
    pub fn into_bufs(self) -> RowBufs {
        RowBufs {
            when: self.when,
            when_utc: self.when_utc,
            title: self.title,
            evidence_url: self.evidence_url,
            check_url: self.check_url.unwrap_or_default(),
        }
    }
}

/// Everything needed to turn records into rows, looked up once per export.
pub struct RowMaker {
    lang: Lang,
    base: String,
    /// (zh, en) names of platforms and of payment methods.
    platforms: HashMap<String, (String, String)>,
    methods: HashMap<String, (String, String)>,
    /// kind → (subject side, object side)
    sides: HashMap<String, (Side, Side)>,
    /// kind → status → label in the export's language
    labels: HashMap<String, HashMap<String, String>>,
    sources: HashMap<String, Cited>,
    simulated_checks: HashSet<String>,
    /// Every catalog check's words, by check id.
    checks: HashMap<String, CheckWords, foldhash::fast::RandomState>,
    /// Milestones the filters keep, oldest first, with their instant.
    milestones: Vec<(DateTime<Utc>, Milestone)>,
    change_title: Template,
    first_title: Template,
    simulated_mark: String,
}

/// A message formatted once with stand-ins for its per-row arguments, then filled in per
/// row by plain concatenation: Fluent's formatter is too slow to run a million times.
struct Template {
    /// Literal pieces; between piece `i` and `i + 1` goes argument `slots[i]`.
    pieces: Vec<String>,
    slots: Vec<usize>,
}

impl Template {
    fn new(lang: Lang, id: &str, args: &[&str], fixed: &[(&str, String)]) -> Template {
        let marker = |i: usize| format!("\u{1}{i}\u{1}");
        let mut all: Vec<(&str, hutong_app::i18n::Arg)> = args
            .iter()
            .enumerate()
            .map(|(i, a)| (*a, marker(i).into()))
            .collect();
        all.extend(fixed.iter().map(|(k, v)| (*k, v.clone().into())));
        let text = lang.t_args(id, &all);
        let mut pieces = Vec::new();
        let mut slots = Vec::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find('\u{1}') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('\u{1}') else {
                break;
            };
            match after[..end].parse::<usize>() {
                Ok(slot) => {
                    pieces.push(rest[..start].to_string());
                    slots.push(slot);
                }
                Err(_) => break,
            }
            rest = &after[end + 1..];
        }
        pieces.push(rest.to_string());
        Template { pieces, slots }
    }

    fn fill(&self, out: &mut String, args: &[&str]) {
        for (i, piece) in self.pieces.iter().enumerate() {
            out.push_str(piece);
            if let Some(arg) = self.slots.get(i).and_then(|&s| args.get(s)) {
                out.push_str(arg);
            }
        }
    }
}

impl RowMaker {
    fn new(req: &Request, public_url: &str) -> RowMaker {
        let r = &req.reference;
        let lang = req.lang;
        let mut milestones: Vec<(DateTime<Utc>, Milestone)> = r
            .milestones
            .iter()
            .filter(|m| req.filter.keeps_milestone(r, m, &req.as_of))
            .map(|m| (time::start_of_day(m.date, SHANGHAI), m.clone()))
            .collect();
        milestones.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
        let pick = |zh: &str, en: &str| -> String {
            match lang {
                Lang::ZhCn if !zh.is_empty() => zh.to_string(),
                _ => en.to_string(),
            }
        };
        let mut maker = RowMaker {
            lang,
            base: public_url.trim_end_matches('/').to_string(),
            platforms: r
                .platforms
                .iter()
                .map(|p| (p.slug.clone(), (p.name_zh.clone(), p.name_en.clone())))
                .collect(),
            methods: r
                .methods
                .iter()
                .map(|m| (m.slug.clone(), (m.name_zh.clone(), m.name_en.clone())))
                .collect(),
            sides: r
                .kinds
                .iter()
                .map(|k| (k.id.clone(), (k.subject, k.object)))
                .collect(),
            labels: r
                .kinds
                .iter()
                .map(|k| {
                    let ladder = k
                        .statuses
                        .iter()
                        .map(|s| (s.id.clone(), pick(&s.label_zh, &s.label_en)))
                        .collect();
                    (k.id.clone(), ladder)
                })
                .collect(),
            sources: r
                .sources
                .iter()
                .map(|s| {
                    let mut text = s.publisher.clone();
                    if let Some(d) = s.date {
                        let _ = write!(text, ", {d}");
                    }
                    let _ = write!(text, ": {}", s.title);
                    if let (Lang::En, Some(en)) = (lang, &s.title_en) {
                        let _ = write!(text, " ({en})");
                    }
                    (
                        s.id.clone(),
                        Cited {
                            kind: s.kind.as_str().to_string(),
                            text,
                            url: s.url.clone(),
                            author: s.publisher.clone(),
                        },
                    )
                })
                .collect(),
            simulated_checks: r
                .checks
                .iter()
                .filter(|c| r.is_simulated_check(c))
                .map(|c| c.id.clone())
                .collect(),
            milestones,
            change_title: Template::new(
                lang,
                "exports-change-title",
                &["check", "from", "to"],
                &[],
            ),
            first_title: Template::new(
                lang,
                "exports-change-first-title",
                &["check", "to"],
                &[("first", lang.t("exports-first-recorded"))],
            ),
            simulated_mark: lang.t("exports-simulated-mark"),
            checks: HashMap::default(),
        };
        maker.checks = r
            .checks
            .iter()
            .map(|c| {
                let words = maker.check_words(&c.kind, &c.subject, &c.object, &c.id);
                (c.id.clone(), words)
            })
            .collect();
        maker
    }

    fn side_name(&self, side: Side, slug: &str) -> Option<&(String, String)> {
        match side {
            Side::Platform => self.platforms.get(slug),
            Side::Method => self.methods.get(slug),
        }
    }

    fn name_in_lang<'a>(&self, names: Option<&'a (String, String)>, slug: &'a str) -> &'a str {
        match (names, self.lang) {
            (Some((zh, _)), Lang::ZhCn) if !zh.is_empty() => zh,
            (Some((_, en)), _) => en,
            (None, _) => slug,
        }
    }

    fn label<'a>(&'a self, kind: &str, status: &'a str) -> &'a str {
        self.labels
            .get(kind)
            .and_then(|ladder| ladder.get(status))
            .map_or(status, String::as_str)
    }

    /// What rows say of a check: worked out in [`RowMaker::new`] for every catalog check.
    fn check_words(&self, kind: &str, subject: &str, object: &str, check_id: &str) -> CheckWords {
        let (subject_side, object_side) = self
            .sides
            .get(kind)
            .copied()
            .unwrap_or((Side::Platform, Side::Platform));
        let subject_names = self.side_name(subject_side, subject);
        let object_names = self.side_name(object_side, object);
        CheckWords {
            display: format!(
                "{} × {}",
                self.name_in_lang(subject_names, subject),
                self.name_in_lang(object_names, object)
            ),
            subject: subject_names.cloned(),
            object: object_names.cloned(),
            ladder: self
                .labels
                .get(kind)
                .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            simulated: self.simulated_checks.contains(check_id),
        }
    }

    /// One change as a row, its text written into `bufs` (taken back with
    /// [`Row::into_bufs`], so that a long export allocates nothing per row).
    pub fn change_row<'a>(&'a self, t: &TransitionRef<'a>, bufs: RowBufs) -> Row<'a> {
        // Every catalog check is prepared; one added since the export began is worked out
        // here, its words looked up again below.
        let found: Option<&'a CheckWords> = self.checks.get(t.check_id);
        let prepared;
        let words: &CheckWords = match found {
            Some(w) => w,
            None => {
                prepared = self.check_words(t.kind, t.subject, t.object, t.check_id);
                &prepared
            }
        };
        let label = |status: &'a str| -> &'a str {
            match found {
                Some(w) => w
                    .ladder
                    .iter()
                    .find(|(id, _)| id == status)
                    .map_or(status, |(_, l)| l.as_str()),
                None => self.label(t.kind, status),
            }
        };
        let from_label = t.from_status.map(label);
        let to_label = label(t.to_status);
        let simulated = t.source_kind == "simulated" || words.simulated;
        let RowBufs {
            mut when,
            mut when_utc,
            mut title,
            mut evidence_url,
            mut check_url,
        } = bufs;
        title.clear();
        if simulated {
            title.push('[');
            title.push_str(&self.simulated_mark);
            title.push_str("] ");
        }
        match from_label {
            Some(from) => self
                .change_title
                .fill(&mut title, &[&words.display, from, to_label]),
            None => self
                .first_title
                .fill(&mut title, &[&words.display, to_label]),
        }
        let cited = t.source_id.and_then(|id| self.sources.get(id));
        when.clear();
        push_rfc3339_shanghai(&mut when, t.occurred_at);
        when_utc.clear();
        push_rfc3339_utc(&mut when_utc, t.occurred_at);
        evidence_url.clear();
        evidence_url.push_str(&self.base);
        evidence_url.push_str("/observations/");
        evidence_url.push_str(itoa::Buffer::new().format(t.observation_id));
        check_url.clear();
        check_url.push_str(&self.base);
        check_url.push_str("/checks/");
        check_url.push_str(t.check_id);
        check_url.push_str("?at=");
        // The local date: the start of `when`.
        check_url.push_str(
            when.get(..when.find('T').unwrap_or(when.len()))
                .unwrap_or(""),
        );
        let names = |side: fn(&CheckWords) -> &Option<(String, String)>, slug: &'a str, which| {
            let names: Option<&'a (String, String)> = match found {
                Some(w) => side(w).as_ref(),
                None => {
                    let (subject_side, object_side) = self
                        .sides
                        .get(t.kind)
                        .copied()
                        .unwrap_or((Side::Platform, Side::Platform));
                    self.side_name(if which { subject_side } else { object_side }, slug)
                }
            };
            (names.map(|n| n.0.as_str()), names.map(|n| n.1.as_str()))
        };
        let (subject_zh, subject_en) = names(|w| &w.subject, t.subject, true);
        let (object_zh, object_en) = names(|w| &w.object, t.object, false);
        Row {
            when,
            when_utc,
            precision: t.precision,
            entry: "change",
            check_id: Some(t.check_id),
            kind: Some(t.kind),
            subject: Some(t.subject),
            subject_zh,
            subject_en,
            object: Some(t.object),
            object_zh,
            object_en,
            from_status: t.from_status,
            from_label,
            to_status: Some(t.to_status),
            to_label: Some(to_label),
            title,
            source_kind: t.source_kind,
            simulated,
            source: t.source_id.unwrap_or(t.source_key),
            citation: cited.map(|c| c.text.as_str()),
            citation_url: cited.and_then(|c| c.url.as_deref()),
            evidence_url,
            check_url: Some(check_url),
            observation_id: Some(t.observation_id),
            milestone_id: None,
        }
    }

    pub fn milestone_row<'a>(&'a self, at: DateTime<Utc>, m: &'a Milestone) -> Row<'a> {
        let cited = self.sources.get(&m.source);
        let title = match self.lang {
            Lang::ZhCn if !m.title_zh.is_empty() => m.title_zh.clone(),
            _ => m.title_en.clone(),
        };
        Row {
            when: at
                .with_timezone(&SHANGHAI)
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            when_utc: at.to_rfc3339_opts(SecondsFormat::Secs, true),
            precision: if m.approximate { "approximate" } else { "day" },
            entry: "milestone",
            check_id: None,
            kind: None,
            subject: None,
            subject_zh: None,
            subject_en: None,
            object: None,
            object_zh: None,
            object_en: None,
            from_status: None,
            from_label: None,
            to_status: None,
            to_label: None,
            title,
            source_kind: cited.map_or("article", |c| c.kind.as_str()),
            simulated: false,
            source: &m.source,
            citation: cited.map(|c| c.text.as_str()),
            citation_url: cited.and_then(|c| c.url.as_deref()),
            evidence_url: format!("{}/sources/{}", self.base, m.source),
            check_url: None,
            observation_id: None,
            milestone_id: Some(&m.id),
        }
    }

    fn author(&self, row: &Row<'_>) -> String {
        match self.sources.get(row.source) {
            Some(c) => c.author.clone(),
            None => self.lang.t("exports-author-hutong"),
        }
    }
}

/// `/timeline.atom`: the latest changes and milestones as an Atom 1.0 feed (RFC 4287).
pub async fn get_atom(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    match atom(&state, q.as_deref()).await {
        Ok(r) => r,
        Err(e) => error_response(&e, false),
    }
}

async fn atom(state: &AppState, raw: Option<&str>) -> Result<Response, WebError> {
    let req = read_request(state, raw).await?;
    let maker = RowMaker::new(&req, &state.public_url);
    let transitions = if req.filter.kind.as_deref() == Some("milestone") {
        Vec::new()
    } else {
        let q = req.filter.query(&req.as_of, FEED_ENTRIES as i64, 0);
        state.store.timeline(&q).await?.0
    };
    // Newest first: changes and milestones merged.
    let mut entries: Vec<(DateTime<Utc>, Row<'_>)> = transitions
        .iter()
        .map(|t| {
            (
                t.occurred_at,
                maker.change_row(&t.view(), RowBufs::default()),
            )
        })
        .chain(
            maker
                .milestones
                .iter()
                .map(|(at, m)| (*at, maker.milestone_row(*at, m))),
        )
        .collect();
    entries.sort_by_key(|e| std::cmp::Reverse(e.0));
    entries.truncate(FEED_ENTRIES);

    let base = maker.base.as_str();
    let query = export_query(&req.filter, &req.as_of, req.lang);
    let host = url::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| "localhost".into());
    let updated = entries.first().map_or(req.as_of.instant, |e| e.0);
    let lang = req.lang;
    let mut x = String::with_capacity(64 * 1024);
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(
        x,
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">",
        lang.code()
    );
    let _ = writeln!(
        x,
        "<id>tag:{},2021:timeline?{}</id>",
        xml(&host),
        xml(&query)
    );
    let _ = writeln!(
        x,
        "<title type=\"text\">{}</title>",
        xml(&lang.t("exports-feed-title"))
    );
    let _ = writeln!(
        x,
        "<subtitle type=\"text\">{}</subtitle>",
        xml(&lang.t("exports-feed-subtitle"))
    );
    let _ = writeln!(x, "<updated>{}</updated>", rfc3339(updated));
    let _ = writeln!(
        x,
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        xml(&format!("{base}/timeline.atom?{query}"))
    );
    let _ = writeln!(
        x,
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        xml(&format!("{base}/timeline?{query}"))
    );
    let _ = writeln!(
        x,
        "<author><name>{}</name><uri>{}</uri></author>",
        xml(&lang.t("exports-author-hutong")),
        xml(base)
    );
    let _ = writeln!(x, "<generator>Hutong</generator>");
    for (at, row) in &entries {
        let id = match (row.observation_id, row.milestone_id) {
            (Some(obs), _) => format!("tag:{host},2021:change/{obs}"),
            (None, Some(m)) => format!("tag:{host},2021:milestone/{m}"),
            (None, None) => format!("tag:{host},2021:entry/{}", row.when_utc),
        };
        x.push_str("<entry>\n");
        let _ = writeln!(x, "<id>{}</id>", xml(&id));
        let _ = writeln!(x, "<title type=\"text\">{}</title>", xml(&row.title));
        let _ = writeln!(x, "<updated>{}</updated>", rfc3339(*at));
        let _ = writeln!(
            x,
            "<author><name>{}</name></author>",
            xml(&maker.author(row))
        );
        let _ = writeln!(
            x,
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            xml(&row.evidence_url)
        );
        if let Some(url) = row.citation_url {
            let _ = writeln!(x, "<link rel=\"related\" href=\"{}\"/>", xml(url));
        }
        if row.simulated {
            let _ = writeln!(
                x,
                "<category term=\"simulated\" label=\"{}\"/>",
                xml(&maker.simulated_mark)
            );
        }
        let mut content = vec![
            row.title.clone(),
            lang.t_args("exports-entry-when", &[("when", row.when.clone().into())]),
        ];
        if let Some(c) = row.citation {
            content.push(lang.t_args("exports-entry-source", &[("source", c.into())]));
        } else {
            content.push(lang.t_args("exports-entry-source", &[("source", row.source.into())]));
        }
        content.push(lang.t_args(
            "exports-entry-evidence",
            &[("url", row.evidence_url.clone().into())],
        ));
        if row.simulated {
            content.push(lang.t("exports-entry-simulated"));
        }
        let _ = writeln!(
            x,
            "<content type=\"text\">{}</content>",
            xml(&content.join("\n"))
        );
        x.push_str("</entry>\n");
    }
    x.push_str("</feed>\n");
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        x,
    )
        .into_response())
}

/// Appends `t` as `to_rfc3339_opts(SecondsFormat::Secs, true)` writes it, in UTC (`…Z`).
fn push_rfc3339_utc(out: &mut String, t: DateTime<Utc>) {
    push_rfc3339(out, t.naive_utc(), 0);
}

/// Appends `t` in Asia/Shanghai time as `to_rfc3339_opts(SecondsFormat::Secs, true)`
/// writes it (`…+08:00`).
fn push_rfc3339_shanghai(out: &mut String, t: DateTime<Utc>) {
    use chrono::{Offset, TimeZone};
    let offset = SHANGHAI
        .offset_from_utc_datetime(&t.naive_utc())
        .fix()
        .local_minus_utc();
    match t
        .naive_utc()
        .checked_add_signed(chrono::Duration::seconds(offset.into()))
    {
        Some(local) => push_rfc3339(out, local, offset),
        // The last hours chrono can represent have no local time: the instant in UTC.
        None => push_rfc3339(out, t.naive_utc(), 0),
    }
}

/// `YYYY-MM-DDTHH:MM:SS` and the offset (`Z` for zero), seconds truncated; digits written
/// by hand, a million rows at a time. Years outside 0–9999 and offsets of odd seconds
/// (local mean time, before 1901) go through chrono.
fn push_rfc3339(out: &mut String, local: chrono::NaiveDateTime, offset_secs: i32) {
    use chrono::{Datelike, Timelike};
    let year = local.year();
    if !(0..=9999).contains(&year) || offset_secs % 60 != 0 {
        let fixed = chrono::FixedOffset::east_opt(offset_secs);
        let utc = local.checked_sub_signed(chrono::Duration::seconds(offset_secs.into()));
        if let (Some(fixed), Some(utc)) = (fixed, utc) {
            out.push_str(
                &DateTime::<Utc>::from_naive_utc_and_offset(utc, Utc)
                    .with_timezone(&fixed)
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
            );
            return;
        }
    }
    let two = |out: &mut String, n: u32| {
        out.push(char::from(b'0' + (n / 10 % 10) as u8));
        out.push(char::from(b'0' + (n % 10) as u8));
    };
    let year = year as u32;
    two(out, year / 100);
    two(out, year % 100);
    out.push('-');
    two(out, local.month());
    out.push('-');
    two(out, local.day());
    out.push('T');
    two(out, local.hour());
    out.push(':');
    two(out, local.minute());
    out.push(':');
    two(out, local.second());
    if offset_secs == 0 {
        out.push('Z');
    } else {
        out.push(if offset_secs < 0 { '-' } else { '+' });
        let minutes = offset_secs.unsigned_abs() / 60;
        two(out, minutes / 60);
        out.push(':');
        two(out, minutes % 60);
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Text made safe for XML 1.0 content and attributes: markup characters escaped, and
/// characters XML forbids (most control characters) replaced.
pub fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        assert_eq!(neutralise("微信"), "微信");
        assert_eq!(neutralise("2021-10-17"), "2021-10-17");
        assert_eq!(neutralise(""), "");
    }

    #[test]
    fn xml_text_is_escaped() {
        assert_eq!(
            xml("<script>alert(\"x\" & 'y')</script>\u{1}"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &apos;y&apos;)&lt;/script&gt;\u{FFFD}"
        );
    }

    /// What the csv crate's own writer makes of the same records.
    fn csv_crate(records: &[Vec<String>]) -> Vec<u8> {
        let mut w = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(Vec::new());
        for r in records {
            w.write_record(r.iter().map(|c| neutralise(c).into_owned()))
                .expect("write");
        }
        w.into_inner().expect("flush")
    }

    #[test]
    fn csv_chunks_are_what_the_csv_crate_writes() {
        let cells = [
            "",
            "plain",
            "微信 × 抖音",
            "a,b",
            "say \"hi\"",
            "\"",
            "line\nbreak",
            "cr\rlf\r\n",
            "=HYPERLINK(\"x\")",
            "-1",
            "@x,\"y\"",
            " lead",
            "tab\tinside",
            "\u{FEFF}bom",
        ];
        // Rows of every cell at every position, long enough to cross chunk boundaries.
        let mut records = Vec::new();
        let mut seed = 7u64;
        for _ in 0..3_000 {
            let row: Vec<String> = (0..4)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    let cell = cells[(seed >> 33) as usize % cells.len()];
                    cell.repeat(1 + (seed >> 40) as usize % 40)
                })
                .collect();
            records.push(row);
        }
        let mut ours = Vec::new();
        let mut csv = CsvChunk::new();
        for r in &records {
            csv.record([&r[0], &r[1], &r[2], &r[3]].map(String::as_str));
            if csv.len >= CHUNK {
                ours.extend_from_slice(&csv.take());
            }
        }
        ours.extend_from_slice(&csv.take());
        assert!(ours.len() > 3 * CHUNK, "several chunks: {}", ours.len());
        assert_eq!(
            String::from_utf8_lossy(&ours),
            String::from_utf8_lossy(&csv_crate(&records))
        );
    }

    #[test]
    fn a_huge_cell_grows_the_chunk() {
        let huge = "\"".repeat(200_000);
        let mut csv = CsvChunk::new();
        csv.record([huge.as_str(), "x"]);
        let out = csv.take();
        assert_eq!(&out[..], &csv_crate(&[vec![huge.clone(), "x".into()]])[..]);
        assert_eq!(out.len(), 400_000 + 2 + 2 + 2);
    }

    #[test]
    fn times_are_written_as_chrono_writes_them() {
        let check = |t: DateTime<Utc>| {
            let (mut utc, mut local) = (String::new(), String::new());
            push_rfc3339_utc(&mut utc, t);
            push_rfc3339_shanghai(&mut local, t);
            assert_eq!(utc, t.to_rfc3339_opts(SecondsFormat::Secs, true));
            assert_eq!(
                local,
                t.with_timezone(&SHANGHAI)
                    .to_rfc3339_opts(SecondsFormat::Secs, true)
            );
        };
        // Every hour across China's summer-time years (1986–1991) and around them.
        let start = chrono::TimeZone::with_ymd_and_hms(&Utc, 1985, 1, 1, 0, 0, 0).unwrap();
        for h in 0..(8 * 366 * 24) {
            check(start + chrono::Duration::hours(h) + chrono::Duration::seconds(h % 61));
        }
        // Spread over the years, with sub-second parts that are truncated.
        let mut seed = 1u64;
        for _ in 0..20_000 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let secs = (seed >> 20) as i64 % (400 * 365 * 86_400) - 200 * 365 * 86_400;
            check(DateTime::from_timestamp(secs, (seed % 1_000_000_000) as u32).unwrap());
        }
        // Years chrono writes with a sign or five digits.
        for t in [
            DateTime::<Utc>::MIN_UTC + chrono::Duration::days(1),
            DateTime::<Utc>::MAX_UTC - chrono::Duration::days(1),
            chrono::TimeZone::with_ymd_and_hms(&Utc, 9999, 12, 31, 20, 0, 0).unwrap(),
            chrono::TimeZone::with_ymd_and_hms(&Utc, 0, 1, 1, 0, 0, 0).unwrap(),
            chrono::TimeZone::with_ymd_and_hms(&Utc, -1, 12, 31, 23, 0, 0).unwrap(),
        ] {
            check(t);
        }
        // Where chrono's own local time overflows, the instant is still written.
        let mut last = String::new();
        push_rfc3339_shanghai(&mut last, DateTime::<Utc>::MAX_UTC);
        assert!(last.ends_with('Z'), "{last}");
    }
}
