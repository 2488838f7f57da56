//! The JSON and NDJSON exports: a document with the filters and the rows, or one row per
//! line.

use super::rows::{CHUNK, COLUMNS, ExportRequest, Row};
use chrono::{SecondsFormat, Utc};
use std::io::Write as _;

/// The JSON document's opening: `{"filters":…,"generated_at":…,"order":…,"rows":[`.
pub(super) fn preamble(req: &ExportRequest, public_url: &str) -> Vec<u8> {
    let f = &req.filter;
    let head = serde_json::json!({
        "filters": {
            "at": req.as_of.day,
            "platform": f.platform,
            "kind": f.kind,
            "source": f.source.map(|s| s.as_str()),
            "from": f.from,
            "to": f.to,
            "check": f.check,
            "entries": super::filter::entries_value(f.entries()),
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

/// Rows of the JSON document, after its [`preamble`].
pub(super) struct JsonRows {
    pub(super) buf: Vec<u8>,
    first: bool,
}

impl JsonRows {
    pub(super) fn new(preamble: Vec<u8>) -> JsonRows {
        JsonRows {
            buf: preamble,
            first: true,
        }
    }

    pub(super) fn row(&mut self, row: &Row<'_>) -> Result<(), std::io::Error> {
        if !self.first {
            self.buf.push(b',');
        }
        self.first = false;
        serde_json::to_writer(&mut self.buf, row).map_err(std::io::Error::other)
    }

    /// Closes the rows and the document with the counts.
    pub(super) fn finish(&mut self, rows: u64, simulated: u64) -> Result<(), std::io::Error> {
        writeln!(
            self.buf,
            "],\"rows_total\":{rows},\"simulated_rows\":{simulated}}}"
        )
    }
}

/// NDJSON: one row per line.
pub(super) struct NdjsonRows {
    pub(super) buf: Vec<u8>,
}

impl NdjsonRows {
    pub(super) fn new() -> NdjsonRows {
        NdjsonRows {
            buf: Vec::with_capacity(CHUNK + 4096),
        }
    }

    pub(super) fn row(&mut self, row: &Row<'_>) -> Result<(), std::io::Error> {
        serde_json::to_writer(&mut self.buf, row).map_err(std::io::Error::other)?;
        self.buf.push(b'\n');
        Ok(())
    }
}
