//! "May I have all of it?": `/dataset.zip`, for researchers. Every real observation (never
//! a simulated one), every source, milestone and requirement, and the catalog (platforms,
//! payment methods, checks, the ladders of statuses), each as CSV and as JSON, with a
//! `metadata.json` that says what the archive covers, as of when, under which rule
//! versions and licence, how many rows each file holds and each file's SHA-256.
//!
//! The archive is the same bytes for the same data version (files in a fixed order, every
//! entry stamped with the newest observation's time, one compression level), so it can be
//! cited and mirrored. It is built once per data version and kept; the `ETag` is its
//! SHA-256, and the file name carries the data version.
//!
//! Words (status labels, citations, notes) are in English; names carry both languages.
//! Lists inside a CSV cell are joined with [`LIST_SEPARATOR`]; JSON keeps them as arrays.

use super::app_state::{AppState, KeptArchive};
use super::error::{Answer, FileError, WebError};
use super::present::cite::{self, NO_ADDRESS};
use super::present::table::{CHECK_COLUMNS, CheckRow, csv_bytes, observation_row};
use super::request::ReaderLang;
use crate::domain::{ObservationRecord, Reference};
use crate::storage::{PublishedHandTest, Reads};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use hutong_app::i18n::Lang;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::sync::Arc;

/// What joins the items of a list in one CSV cell.
pub const LIST_SEPARATOR: &str = ";";

/// The path readers download the archive from.
pub const PATH: &str = "/dataset.zip";

/// The compression level of every entry: fixed, so the bytes are too.
const DEFLATE_LEVEL: i64 = 6;

pub fn routes() -> Router<AppState> {
    Router::new().route(PATH, get(get_dataset))
}

/// `/dataset.zip`: the archive of the data version this request reads, built now or kept
/// from an earlier request; `304 Not Modified` to a client that holds it already.
pub async fn get_dataset(
    State(state): State<AppState>,
    ReaderLang(lang): ReaderLang,
    headers: HeaderMap,
    reads: Result<Reads, WebError>,
) -> Result<Response, FileError> {
    let reads = reads.or_file(lang)?;
    let archive = archive(&state, &reads).await.or_file(lang)?;
    let etag = format!("\"{}\"", archive.sha256);
    let fresh = super::request::holds_etag(&headers, &etag);
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, archive.bytes.clone()).into_response()
    };
    let h = response.headers_mut();
    if !fresh {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/zip"),
        );
        let disposition = format!("attachment; filename=\"{}\"", archive.file_name);
        if let Ok(v) = HeaderValue::from_str(&disposition) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    // Ask again each time (the data may have moved on), but a copy still current is
    // confirmed with a 304 rather than sent again.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}

/// The kept archive of this data version, or a new one (kept when the data did not change
/// while it was read). One request builds at a time; the others wait and take its result.
async fn archive(state: &AppState, reads: &Reads) -> Result<Arc<KeptArchive>, WebError> {
    let version = reads.version();
    let mut kept = state.dataset.lock().await;
    if let Some(a) = kept.as_ref().filter(|a| a.version == version) {
        return Ok(a.clone());
    }
    let reference = reads.reference().await?;
    let observations = reads.store().real_observations().await?;
    let hand_tests = reads.store().published_hand_tests(None).await?;
    let unchanged = reads.store().data_version().await? == version;
    let public_url = state.public_url.clone();
    let built = tokio::task::spawn_blocking(move || {
        build(&reference, observations, &hand_tests, &public_url, version)
    })
    .await
    .map_err(|e| WebError::Internal(format!("the dataset build stopped: {e}")))??;
    let built = Arc::new(built);
    if unchanged {
        *kept = Some(built.clone());
    }
    Ok(built)
}

/// One file of the archive.
struct Entry {
    name: String,
    bytes: Vec<u8>,
}

/// A file as `metadata.json` describes it.
#[derive(Debug, Serialize)]
struct FileFacts {
    name: String,
    table: &'static str,
    format: &'static str,
    rows: usize,
    bytes: usize,
    sha256: String,
}

/// A probe pack's rule version and how many observations were made under it.
#[derive(Debug, Serialize)]
struct RuleVersion {
    pack: String,
    rule_version: i64,
    observations: usize,
}

#[derive(Debug, Serialize)]
struct Words {
    en: String,
    #[serde(rename = "zh-CN")]
    zh_cn: String,
}

impl Words {
    fn of(id: &str) -> Words {
        Words {
            en: Lang::En.t(id),
            zh_cn: Lang::ZhCn.t(id),
        }
    }
}

/// `metadata.json`.
#[derive(Debug, Serialize)]
struct Metadata {
    title: Words,
    description: Words,
    licence: Words,
    /// Where the data was served from.
    publisher_url: String,
    /// The database's data version: the same version, the same archive.
    data_version: i64,
    oldest_observation_at: Option<String>,
    newest_observation_at: Option<String>,
    simulated_data_included: bool,
    /// What the observations' `retracted` columns mean.
    retractions: Words,
    rule_versions: Vec<RuleVersion>,
    list_separator: &'static str,
    no_address: &'static str,
    files: Vec<FileFacts>,
}

/// The archive as kept: the zip's bytes, their SHA-256 and the file name to offer.
fn build(
    r: &Reference,
    observations: Vec<ObservationRecord>,
    hand_tests: &HashMap<i64, PublishedHandTest>,
    public_url: &str,
    version: i64,
) -> Result<KeptArchive, WebError> {
    let base = public_url.trim_end_matches('/');
    let real = |slug: &str| !r.is_simulated_platform(slug);
    let oldest = observations.first().map(|o| o.observed_at);
    let newest = observations.iter().map(|o| o.observed_at).max();
    let mut rules: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for o in &observations {
        if let (Some(pack), Some(v)) = (&o.pack_id, o.rule_version) {
            *rules.entry((pack.clone(), v)).or_default() += 1;
        }
    }
    let observation_rows: Vec<CheckRow> = observations
        .into_iter()
        .map(|o| {
            let hand_test = hand_tests.get(&o.id);
            observation_row(o, r, false, base, Lang::En, hand_test)
        })
        .collect();

    let mut tables = Tables::default();
    tables.add("observations", &CHECK_COLUMNS, &observation_rows)?;
    tables.add("sources", &SOURCE_COLUMNS, &source_rows(r, base))?;
    tables.add("milestones", &MILESTONE_COLUMNS, &milestone_rows(r, &real))?;
    tables.add(
        "requirements",
        &REQUIREMENT_COLUMNS,
        &requirement_rows(r, &real),
    )?;
    tables.add("platforms", &PLATFORM_COLUMNS, &platform_rows(r, &real))?;
    tables.add("methods", &METHOD_COLUMNS, &method_rows(r))?;
    tables.add(
        "checks",
        &CHECK_CATALOG_COLUMNS,
        &check_rows(r, &real, base),
    )?;
    tables.add("ladders", &LADDER_COLUMNS, &ladder_rows(r))?;

    let stamp = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
    let metadata = Metadata {
        title: Words::of("dataset-title"),
        description: Words::of("dataset-description"),
        licence: Words::of("dataset-licence"),
        publisher_url: base.to_string(),
        data_version: version,
        oldest_observation_at: stamp(oldest),
        newest_observation_at: stamp(newest),
        simulated_data_included: false,
        retractions: Words::of("dataset-retractions"),
        rule_versions: rules
            .into_iter()
            .map(|((pack, rule_version), observations)| RuleVersion {
                pack,
                rule_version,
                observations,
            })
            .collect(),
        list_separator: LIST_SEPARATOR,
        no_address: NO_ADDRESS,
        files: tables.facts,
    };
    let mut metadata_bytes = serde_json::to_vec_pretty(&metadata)
        .map_err(|e| WebError::Internal(format!("metadata.json: {e}")))?;
    metadata_bytes.push(b'\n');
    let mut entries = vec![Entry {
        name: "metadata.json".into(),
        bytes: metadata_bytes,
    }];
    entries.extend(tables.entries);

    let bytes =
        zip(&entries, newest).map_err(|e| WebError::Internal(format!("dataset zip: {e}")))?;
    let day = newest
        .map(|t| crate::time::shanghai_day(t).to_string())
        .unwrap_or_else(|| "empty".into());
    Ok(KeptArchive {
        version,
        sha256: hex(&Sha256::digest(&bytes)),
        file_name: format!("hutong-dataset-v{version}-{day}.zip"),
        bytes: Bytes::from(bytes),
    })
}

/// The tables written so far: their files (CSV then JSON, in the order added) and what
/// `metadata.json` says of each.
#[derive(Default)]
struct Tables {
    entries: Vec<Entry>,
    facts: Vec<FileFacts>,
}

impl Tables {
    /// `name.csv` and `name.json` of `rows`: the CSV's columns are `columns`, read from
    /// each row's JSON object (so both files hold the same cells).
    fn add<T: Serialize>(
        &mut self,
        name: &'static str,
        columns: &[&str],
        rows: &[T],
    ) -> Result<(), WebError> {
        let internal = |e: serde_json::Error| WebError::Internal(format!("{name}: {e}"));
        let values: Vec<serde_json::Value> = rows
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()
            .map_err(internal)?;
        let csv = csv_bytes(
            columns,
            values
                .iter()
                .map(|v| columns.iter().map(|c| cell(&v[*c])).collect()),
        );
        let mut json = serde_json::to_vec(rows).map_err(internal)?;
        json.push(b'\n');
        for (format, bytes) in [("csv", csv), ("json", json)] {
            let file = format!("{name}.{format}");
            self.facts.push(FileFacts {
                name: file.clone(),
                table: name,
                format,
                rows: rows.len(),
                bytes: bytes.len(),
                sha256: hex(&Sha256::digest(&bytes)),
            });
            self.entries.push(Entry { name: file, bytes });
        }
        Ok(())
    }
}

/// A JSON value as one CSV cell: text as is, `yes`/`no` for booleans (as the other CSV
/// exports), nothing for null, lists joined with [`LIST_SEPARATOR`].
fn cell(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items
            .iter()
            .map(cell)
            .collect::<Vec<_>>()
            .join(LIST_SEPARATOR),
        Value::Object(_) => v.to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The zip of `entries`, in their order, each deflated at one level and stamped with
/// `newest` (or the first instant a zip can hold, when there is none): never "now".
fn zip(entries: &[Entry], newest: Option<DateTime<Utc>>) -> zip::result::ZipResult<Vec<u8>> {
    let stamp = newest
        .and_then(|t| {
            zip::DateTime::from_date_and_time(
                u16::try_from(t.year()).ok()?,
                t.month() as u8,
                t.day() as u8,
                t.hour() as u8,
                t.minute() as u8,
                t.second() as u8,
            )
            .ok()
        })
        .unwrap_or_default();
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .compression_level(Some(DEFLATE_LEVEL))
        .last_modified_time(stamp)
        .unix_permissions(0o644);
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for e in entries {
        writer.start_file(e.name.as_str(), options)?;
        writer.write_all(&e.bytes)?;
    }
    Ok(writer.finish()?.into_inner())
}

const SOURCE_COLUMNS: [&str; 11] = [
    "id",
    "kind",
    "publisher",
    "title",
    "title_en",
    "date",
    "language",
    "region",
    "url",
    "citation",
    "page_url",
];

#[derive(Serialize)]
struct SourceRow {
    id: String,
    kind: &'static str,
    publisher: String,
    title: String,
    title_en: Option<String>,
    date: Option<String>,
    language: String,
    region: String,
    /// The address, or [`NO_ADDRESS`].
    url: String,
    citation: String,
    page_url: String,
}

fn source_rows(r: &Reference, base: &str) -> Vec<SourceRow> {
    let mut rows: Vec<SourceRow> = r
        .sources
        .iter()
        .filter(|s| s.kind != crate::domain::SourceKind::Simulated)
        .map(|s| SourceRow {
            id: s.id.clone(),
            kind: s.kind.as_str(),
            publisher: s.publisher.clone(),
            title: s.title.clone(),
            title_en: s.title_en.clone(),
            date: s.date.map(|d| d.to_string()),
            language: s.language.clone(),
            region: s.region.clone(),
            url: cite::address(s).to_string(),
            citation: cite::source_text(s, Lang::En),
            page_url: format!("{base}/sources/{}", s.id),
        })
        .collect();
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows
}

const MILESTONE_COLUMNS: [&str; 8] = [
    "id",
    "date",
    "approximate",
    "title_zh",
    "title_en",
    "source",
    "kinds",
    "platforms",
];

#[derive(Serialize)]
struct MilestoneRow {
    id: String,
    date: String,
    approximate: bool,
    title_zh: String,
    title_en: String,
    source: String,
    kinds: Vec<String>,
    platforms: Vec<String>,
}

fn milestone_rows(r: &Reference, real: &dyn Fn(&str) -> bool) -> Vec<MilestoneRow> {
    let mut rows: Vec<MilestoneRow> = r
        .milestones
        .iter()
        .filter(|m| m.platforms.iter().all(|p| real(p)))
        .map(|m| MilestoneRow {
            id: m.id.clone(),
            date: m.date.to_string(),
            approximate: m.approximate,
            title_zh: m.title_zh.clone(),
            title_en: m.title_en.clone(),
            source: m.source.clone(),
            kinds: m.kinds.clone(),
            platforms: m.platforms.clone(),
        })
        .collect();
    rows.sort_by(|a, b| a.date.cmp(&b.date).then_with(|| a.id.cmp(&b.id)));
    rows
}

const REQUIREMENT_COLUMNS: [&str; 13] = [
    "id",
    "authority_zh",
    "authority_en",
    "title_zh",
    "title_en",
    "issued",
    "deadline",
    "timezone",
    "kind",
    "subjects",
    "subject_kinds",
    "compliant",
    "source",
];

#[derive(Serialize)]
struct RequirementRow {
    id: String,
    authority_zh: String,
    authority_en: String,
    title_zh: String,
    title_en: String,
    issued: String,
    deadline: Option<String>,
    timezone: String,
    kind: String,
    subjects: Vec<String>,
    subject_kinds: Vec<String>,
    compliant: Vec<String>,
    source: String,
}

fn requirement_rows(r: &Reference, real: &dyn Fn(&str) -> bool) -> Vec<RequirementRow> {
    let mut rows: Vec<RequirementRow> = r
        .requirements
        .iter()
        .map(|q| RequirementRow {
            id: q.id.clone(),
            authority_zh: q.authority_zh.clone(),
            authority_en: q.authority_en.clone(),
            title_zh: q.title_zh.clone(),
            title_en: q.title_en.clone(),
            issued: q.issued.to_string(),
            deadline: q
                .deadline
                .map(|d| d.to_rfc3339_opts(SecondsFormat::Secs, true)),
            timezone: q.timezone.clone(),
            kind: q.scope.kind.clone(),
            subjects: q
                .scope
                .subjects
                .iter()
                .filter(|s| real(s))
                .cloned()
                .collect(),
            subject_kinds: q.scope.subject_kinds.clone(),
            compliant: q.compliant.clone(),
            source: q.source.clone(),
        })
        .collect();
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows
}

const PLATFORM_COLUMNS: [&str; 8] = [
    "slug",
    "name_zh",
    "name_en",
    "group",
    "group_name_en",
    "ecosystem",
    "kind",
    "domains",
];

#[derive(Serialize)]
struct PlatformRow {
    slug: String,
    name_zh: String,
    name_en: String,
    group: String,
    group_name_en: Option<String>,
    ecosystem: String,
    kind: String,
    domains: Vec<String>,
}

fn platform_rows(r: &Reference, real: &dyn Fn(&str) -> bool) -> Vec<PlatformRow> {
    let mut rows: Vec<PlatformRow> = r
        .platforms
        .iter()
        .filter(|p| real(&p.slug))
        .map(|p| PlatformRow {
            slug: p.slug.clone(),
            name_zh: p.name_zh.clone(),
            name_en: p.name_en.clone(),
            group: p.group.clone(),
            group_name_en: r.group(&p.group).map(|g| g.name_en.clone()),
            ecosystem: r.ecosystem_of_group(&p.group).to_string(),
            kind: p.kind.clone(),
            domains: p.domains.clone(),
        })
        .collect();
    rows.sort_by(|a, b| a.slug.cmp(&b.slug));
    rows
}

const METHOD_COLUMNS: [&str; 6] = [
    "slug",
    "name_zh",
    "name_en",
    "group",
    "aliases",
    "code_prefixes",
];

#[derive(Serialize)]
struct MethodRow {
    slug: String,
    name_zh: String,
    name_en: String,
    group: String,
    aliases: Vec<String>,
    code_prefixes: Vec<String>,
}

fn method_rows(r: &Reference) -> Vec<MethodRow> {
    let mut rows: Vec<MethodRow> = r
        .methods
        .iter()
        .filter(|m| !r.group(&m.group).is_some_and(|g| g.simulated))
        .map(|m| MethodRow {
            slug: m.slug.clone(),
            name_zh: m.name_zh.clone(),
            name_en: m.name_en.clone(),
            group: m.group.clone(),
            aliases: m.aliases.clone(),
            code_prefixes: m.code_prefixes.clone(),
        })
        .collect();
    rows.sort_by(|a, b| a.slug.cmp(&b.slug));
    rows
}

const CHECK_CATALOG_COLUMNS: [&str; 5] = ["id", "kind", "subject", "object", "page_url"];

#[derive(Serialize)]
struct CheckCatalogRow {
    id: String,
    kind: String,
    subject: String,
    object: String,
    page_url: String,
}

fn check_rows(r: &Reference, real: &dyn Fn(&str) -> bool, base: &str) -> Vec<CheckCatalogRow> {
    let mut rows: Vec<CheckCatalogRow> = r
        .checks
        .iter()
        .filter(|c| real(&c.subject) && real(&c.object))
        .map(|c| CheckCatalogRow {
            id: c.id.clone(),
            kind: c.kind.clone(),
            subject: c.subject.clone(),
            object: c.object.clone(),
            page_url: format!("{base}/checks/{}", c.id),
        })
        .collect();
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    rows
}

const LADDER_COLUMNS: [&str; 10] = [
    "kind",
    "kind_name_zh",
    "kind_name_en",
    "subject_side",
    "object_side",
    "rank",
    "status",
    "label_zh",
    "label_en",
    "score",
];

#[derive(Serialize)]
struct LadderRow {
    kind: String,
    kind_name_zh: String,
    kind_name_en: String,
    subject_side: &'static str,
    object_side: &'static str,
    /// 1 is the most open status of the kind.
    rank: usize,
    status: String,
    label_zh: String,
    label_en: String,
    score: f64,
}

fn ladder_rows(r: &Reference) -> Vec<LadderRow> {
    let mut kinds: Vec<_> = r.kinds.iter().collect();
    kinds.sort_by(|a, b| a.id.cmp(&b.id));
    kinds
        .into_iter()
        .flat_map(|k| {
            k.statuses.iter().enumerate().map(move |(i, s)| LadderRow {
                kind: k.id.clone(),
                kind_name_zh: k.name_zh.clone(),
                kind_name_en: k.name_en.clone(),
                subject_side: k.subject.as_str(),
                object_side: k.object.as_str(),
                rank: i + 1,
                status: s.id.clone(),
                label_zh: s.label_zh.clone(),
                label_en: s.label_en.clone(),
                score: s.score,
            })
        })
        .collect()
}
