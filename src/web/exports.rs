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
use crate::storage::{Reference, Store, TimelineOrder, TimelineQuery, TransitionRecord};
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
    reference: Reference,
}

async fn read_request(state: &AppState, raw: Option<&str>) -> Result<Request, WebError> {
    let params = Params::parse(raw);
    let as_of = params.as_of()?;
    let lang = super::lang::current();
    let reference = state.store.reference().await?;
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
    let store = state.store.clone();
    tokio::spawn(async move {
        if let Err(e) = produce(store, query, rows, format, preamble, &tx).await {
            tracing::error!(error = %e, "timeline export failed midway");
            // The body ends with an error: the client sees a broken transfer, never a
            // truncated file that looks complete.
            let _ = tx
                .send(Err(std::io::Error::other("the export failed midway")))
                .await;
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
    /// Always `Some` between calls; taken out to hand its buffer over.
    Csv(Option<Box<csv::Writer<Vec<u8>>>>),
    Json {
        buf: Vec<u8>,
        first: bool,
    },
    Ndjson(Vec<u8>),
}

impl Encoder {
    fn new(format: Format, preamble: Vec<u8>) -> Result<Encoder, std::io::Error> {
        Ok(match format {
            Format::Csv => {
                let mut buf = Vec::with_capacity(CHUNK + 4096);
                // A byte-order mark: Excel reads the file as UTF-8 (Chinese intact).
                buf.extend_from_slice("\u{FEFF}".as_bytes());
                let mut w = csv_writer(buf);
                w.write_record(COLUMNS).map_err(std::io::Error::other)?;
                Encoder::Csv(Some(Box::new(w)))
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
            Encoder::Csv(w) => {
                let Some(w) = w else {
                    return Err(std::io::Error::other("the CSV writer is gone"));
                };
                let obs = row.observation_id.map(|i| i.to_string());
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
                    obs.as_deref().unwrap_or(""),
                ];
                let cells = fields.map(neutralise);
                w.write_record(cells.iter().map(|c| c.as_bytes()))
                    .map_err(std::io::Error::other)
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
            // The csv writer buffers up to 8 KiB itself; its output is close enough.
            Encoder::Csv(w) => w.as_ref().map_or(0, |w| w.get_ref().len()),
            Encoder::Json { buf, .. } | Encoder::Ndjson(buf) => buf.len(),
        }
    }

    /// Takes what has been written so far.
    fn take(&mut self) -> Result<Bytes, std::io::Error> {
        let out = match self {
            Encoder::Csv(slot) => {
                let w = slot
                    .take()
                    .ok_or_else(|| std::io::Error::other("the CSV writer is gone"))?;
                let buf = w.into_inner().map_err(|e| e.into_error())?;
                *slot = Some(Box::new(csv_writer(Vec::with_capacity(CHUNK + 4096))));
                buf
            }
            Encoder::Json { buf, .. } | Encoder::Ndjson(buf) => {
                std::mem::replace(buf, Vec::with_capacity(CHUNK + 4096))
            }
        };
        Ok(Bytes::from(out))
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

/// RFC 4180: CRLF line ends, fields quoted when they hold `"`, `,` or a line break,
/// quotes doubled.
fn csv_writer(buf: Vec<u8>) -> csv::Writer<Vec<u8>> {
    csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(buf)
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

async fn produce(
    store: Store,
    query: Option<TimelineQuery>,
    maker: RowMaker,
    format: Format,
    preamble: Vec<u8>,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
) -> Result<(), ExportError> {
    let mut out = Encoder::new(format, preamble)?;
    let mut milestones = maker.milestones.iter().peekable();
    let (mut rows, mut simulated) = (0u64, 0u64);
    let mut emit = |out: &mut Encoder, row: Row<'_>| -> Result<(), std::io::Error> {
        rows += 1;
        simulated += u64::from(row.simulated);
        out.row(&row)
    };
    if let Some(q) = &query {
        let mut stream = store.timeline_stream(q, TimelineOrder::OldestFirst);
        while let Some(t) = stream.next().await {
            let t = t?;
            while let Some(m) = milestones.next_if(|m| m.0 <= t.occurred_at) {
                emit(&mut out, maker.milestone_row(m.0, &m.1))?;
            }
            emit(&mut out, maker.change_row(&t))?;
            if out.len() >= CHUNK && tx.send(Ok(out.take()?)).await.is_err() {
                // The client went away: stop reading the database.
                return Ok(());
            }
        }
    }
    for m in milestones {
        emit(&mut out, maker.milestone_row(m.0, &m.1))?;
    }
    let last = out.finish(rows, simulated)?;
    let _ = tx.send(Ok(last)).await;
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
        RowMaker {
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
        }
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

    pub fn change_row<'a>(&'a self, t: &'a TransitionRecord) -> Row<'a> {
        let (subject_side, object_side) = self
            .sides
            .get(&t.kind)
            .copied()
            .unwrap_or((Side::Platform, Side::Platform));
        let subject = self.side_name(subject_side, &t.subject);
        let object = self.side_name(object_side, &t.object);
        let from_label = t.from_status.as_deref().map(|s| self.label(&t.kind, s));
        let to_label = self.label(&t.kind, &t.to_status);
        let simulated = t.source_kind == "simulated" || self.simulated_checks.contains(&t.check_id);
        let check = format!(
            "{} × {}",
            self.name_in_lang(subject, &t.subject),
            self.name_in_lang(object, &t.object)
        );
        let mut title = String::with_capacity(96);
        if simulated {
            title.push('[');
            title.push_str(&self.simulated_mark);
            title.push_str("] ");
        }
        match from_label {
            Some(from) => self
                .change_title
                .fill(&mut title, &[&check, from, to_label]),
            None => self.first_title.fill(&mut title, &[&check, to_label]),
        }
        let cited = t.source_id.as_deref().and_then(|id| self.sources.get(id));
        let local = t.occurred_at.with_timezone(&SHANGHAI);
        Row {
            when: local.to_rfc3339_opts(SecondsFormat::Secs, true),
            when_utc: t.occurred_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            precision: &t.precision,
            entry: "change",
            check_id: Some(&t.check_id),
            kind: Some(&t.kind),
            subject: Some(&t.subject),
            subject_zh: subject.map(|n| n.0.as_str()),
            subject_en: subject.map(|n| n.1.as_str()),
            object: Some(&t.object),
            object_zh: object.map(|n| n.0.as_str()),
            object_en: object.map(|n| n.1.as_str()),
            from_status: t.from_status.as_deref(),
            from_label,
            to_status: Some(&t.to_status),
            to_label: Some(to_label),
            title,
            source_kind: &t.source_kind,
            simulated,
            source: t.source_id.as_deref().unwrap_or(&t.source_key),
            citation: cited.map(|c| c.text.as_str()),
            citation_url: cited.and_then(|c| c.url.as_deref()),
            evidence_url: format!("{}/observations/{}", self.base, t.observation_id),
            check_url: Some(format!(
                "{}/checks/{}?at={}",
                self.base,
                t.check_id,
                local.date_naive()
            )),
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
        .map(|t| (t.occurred_at, maker.change_row(t)))
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
}
