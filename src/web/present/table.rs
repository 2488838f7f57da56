//! Tables written for spreadsheets: CSV cells a spreadsheet will not run, and whole small
//! CSV files (a check's observations, the dataset's tables).

use super::cite;
use crate::domain::{ObservationRecord, Reference};
use crate::storage::PublishedHandTest;
use crate::time::SHANGHAI;
use chrono::SecondsFormat;
use hutong_app::i18n::Lang;
use serde::Serialize;

/// A cell that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, or a leading
/// tab or carriage return, per OWASP) gets a `'` in front, so it shows as text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The rows as CSV: a byte-order mark (Excel reads Chinese), CRLF, formula cells
/// neutralised, as the timeline's CSV.
pub fn csv_bytes(columns: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut out = "\u{FEFF}".as_bytes().to_vec();
    {
        let mut w = ::csv::WriterBuilder::new()
            .terminator(::csv::Terminator::CRLF)
            .from_writer(&mut out);
        // Writing to memory cannot fail.
        let _ = w.write_record(columns);
        for row in rows {
            let _ = w.write_record(row.iter().map(|c| neutralise(c).into_owned()));
        }
        let _ = w.flush();
    }
    out
}

/// The columns of a check's CSV, in order; also the keys of each JSON row.
pub const CHECK_COLUMNS: [&str; 22] = [
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
    "retracted",
    "retracted_at",
    "retraction_reason",
    "hand_test_steps",
    "hand_test_screenshots",
];

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
    /// A reviewer retracted it: kept, but it counts nowhere.
    pub retracted: bool,
    /// When, ISO 8601 in UTC.
    pub retracted_at: Option<String>,
    pub retraction_reason: Option<String>,
    /// A hand test's steps, as its tester wrote them.
    pub hand_test_steps: Option<String>,
    /// A hand test's screenshots' addresses, separated by spaces; none once it was retracted
    /// (they are withdrawn from the public).
    pub hand_test_screenshots: Option<String>,
}

impl CheckRow {
    pub fn cells(&self) -> [String; 22] {
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
            if self.retracted { "yes" } else { "no" }.to_string(),
            opt(&self.retracted_at),
            opt(&self.retraction_reason),
            opt(&self.hand_test_steps),
            opt(&self.hand_test_screenshots),
        ]
    }
}

/// One observation as exports write it: words in `lang`, links under `base` (the public
/// URL without its trailing slash); `simulated_check` when the check is a simulated
/// platform's.
pub fn observation_row(
    o: ObservationRecord,
    r: &Reference,
    simulated_check: bool,
    base: &str,
    lang: Lang,
    hand_test: Option<&PublishedHandTest>,
) -> CheckRow {
    let retracted = o.retracted_at.is_some();
    let screenshots = hand_test
        .filter(|h| !retracted && !h.screenshots.is_empty())
        .map(|h| {
            h.screenshots
                .iter()
                .map(|n| format!("{base}/observations/{}/screenshots/{n}", o.id))
                .collect::<Vec<_>>()
                .join(" ")
        });
    let source = o.source_id.as_deref().and_then(|id| r.source(id));
    let status_label = r
        .check(&o.check_id)
        .and_then(|c| r.status(&c.kind, &o.status))
        .map(|s| match lang {
            Lang::ZhCn => s.label_zh.clone(),
            Lang::En => s.label_en.clone(),
        })
        .unwrap_or_else(|| o.status.clone());
    let local = o.observed_at.with_timezone(&SHANGHAI);
    CheckRow {
        observation_id: o.id,
        observed_at: local.to_rfc3339_opts(SecondsFormat::Secs, true),
        observed_at_utc: o.observed_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        precision: o.precision.clone(),
        status_label,
        status: o.status.clone(),
        simulated: simulated_check || o.source_kind == "simulated",
        source_kind: o.source_kind.clone(),
        source: o.source_id.clone().unwrap_or_else(|| o.source_key.clone()),
        citation: source.map(|s| cite::source_text(s, lang)),
        citation_url: source.map(|s| cite::address(s).to_string()),
        quote: o.quote.clone(),
        note: super::note(&o, lang),
        evidence_url: format!("{base}/observations/{}", o.id),
        check_url: format!("{base}/checks/{}?at={}", o.check_id, local.date_naive()),
        rule_version: o.rule_version,
        retracted,
        hand_test_steps: hand_test.map(|h| h.steps.clone()),
        hand_test_screenshots: screenshots,
        retracted_at: o
            .retracted_at
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)),
        retraction_reason: o.retraction_reason,
        check_id: o.check_id,
    }
}
