//! One check's downloads, `/checks/{id}.csv` and `/checks/{id}.json`: every observation of
//! the check (simulated ones marked), oldest first, each with its source's citation and
//! address (or that none is known) and the link to its evidence.

use super::no_check;
use crate::domain::{ObservationRecord, Reference};
use crate::storage::Reads;
use crate::time::SHANGHAI;
use crate::web::error::WebError;
use crate::web::present::cite;
use crate::web::present::table::csv_bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::SecondsFormat;
use hutong_app::i18n::Lang;
use serde::Serialize;

/// The columns of a check's CSV, in order; also the keys of each JSON row.
pub const CHECK_COLUMNS: [&str; 17] = [
    "observation_id",
    "observed_at",
    "observed_at_utc",
    "precision",
    "check_id",
    "status",
    "status_label",
    "source_kind",
    "simulated",
    "source",
    "citation",
    "citation_url",
    "quote",
    "note",
    "evidence_url",
    "check_url",
    "rule_version",
];

/// Rows read from the store at a time.
const READ: i64 = 1000;

/// One observation as a check's export writes it.
#[derive(Debug, Serialize)]
pub struct CheckRow {
    pub observation_id: i64,
    pub observed_at: String,
    pub observed_at_utc: String,
    pub precision: String,
    pub check_id: String,
    pub status: String,
    pub status_label: String,
    pub source_kind: String,
    pub simulated: bool,
    pub source: String,
    pub citation: Option<String>,
    pub citation_url: Option<String>,
    pub quote: Option<String>,
    pub note: Option<String>,
    pub evidence_url: String,
    pub check_url: String,
    pub rule_version: Option<i64>,
}

impl CheckRow {
    fn cells(&self) -> [String; 17] {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        [
            self.observation_id.to_string(),
            self.observed_at.clone(),
            self.observed_at_utc.clone(),
            self.precision.clone(),
            self.check_id.clone(),
            self.status.clone(),
            self.status_label.clone(),
            self.source_kind.clone(),
            if self.simulated { "yes" } else { "no" }.to_string(),
            self.source.clone(),
            opt(&self.citation),
            opt(&self.citation_url),
            opt(&self.quote),
            opt(&self.note),
            self.evidence_url.clone(),
            self.check_url.clone(),
            self.rule_version.map(|v| v.to_string()).unwrap_or_default(),
        ]
    }
}

/// Every observation of `check_id`, oldest first, as export rows.
pub async fn check_rows(
    reads: &Reads,
    r: &Reference,
    check_id: &str,
    public_url: &str,
    lang: Lang,
) -> Result<Vec<CheckRow>, WebError> {
    let check = r.check(check_id).ok_or_else(|| no_check(check_id, lang))?;
    let kind = r.kind(&check.kind);
    let simulated_check = r.is_simulated_check(check);
    let mut records: Vec<ObservationRecord> = Vec::new();
    loop {
        let (page, total) = reads
            .store()
            .check_history(check_id, READ, records.len() as i64)
            .await?;
        let done = page.is_empty() || records.len() + page.len() >= total as usize;
        records.extend(page);
        if done {
            break;
        }
    }
    records.sort_by_key(|o| (o.observed_at, o.id));
    let base = public_url.trim_end_matches('/');
    Ok(records
        .into_iter()
        .map(|o| {
            let source = o.source_id.as_deref().and_then(|id| r.source(id));
            let label = kind
                .and_then(|k| k.statuses.iter().find(|s| s.id == o.status))
                .map(|s| match lang {
                    Lang::ZhCn => s.label_zh.clone(),
                    Lang::En => s.label_en.clone(),
                })
                .unwrap_or_else(|| o.status.clone());
            CheckRow {
                observation_id: o.id,
                observed_at: o
                    .observed_at
                    .with_timezone(&SHANGHAI)
                    .to_rfc3339_opts(SecondsFormat::Secs, true),
                observed_at_utc: o.observed_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                precision: o.precision.clone(),
                check_id: o.check_id.clone(),
                status_label: label,
                status: o.status.clone(),
                simulated: simulated_check || o.source_kind == "simulated",
                source_kind: o.source_kind.clone(),
                source: o.source_id.clone().unwrap_or_else(|| o.source_key.clone()),
                citation: source.map(|s| cite::source_text(s, lang)),
                citation_url: source.map(|s| cite::address(s).to_string()),
                quote: o.quote.clone(),
                note: o.note_in(lang),
                evidence_url: format!("{base}/observations/{}", o.id),
                check_url: format!(
                    "{base}/checks/{}?at={}",
                    o.check_id,
                    o.observed_at.with_timezone(&SHANGHAI).date_naive()
                ),
                rule_version: o.rule_version,
            }
        })
        .collect())
}

/// `/checks/{id}.csv` or `.json`.
pub fn answer(rows: &[CheckRow], check_id: &str, json: bool) -> Response {
    let ext = if json { "json" } else { "csv" };
    let disposition = format!(
        "attachment; filename=\"hutong-check-{}.{ext}\"",
        check_id.replace(|c: char| !(c.is_ascii_alphanumeric() || c == '-'), "_")
    );
    if json {
        let body = serde_json::json!({
            "check": check_id,
            "columns": CHECK_COLUMNS,
            "no_address": cite::NO_ADDRESS,
            "rows": rows,
        });
        (
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            body.to_string(),
        )
            .into_response()
    } else {
        let bytes = csv_bytes(&CHECK_COLUMNS, rows.iter().map(|r| r.cells().to_vec()));
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (header::CONTENT_DISPOSITION, disposition),
            ],
            bytes,
        )
            .into_response()
    }
}
