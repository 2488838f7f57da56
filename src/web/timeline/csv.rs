//! The CSV export: RFC 4180 records written by `csv-core` straight into the chunk being
//! sent, every cell neutralised against spreadsheet formulas.

use super::rows::{CHUNK, COLUMNS, Row};
use axum::body::Bytes;

/// CSV records (RFC 4180: CRLF line ends, a field quoted when it holds `"`, `,` or a line
/// break, quotes doubled; by `csv-core`) written straight into the chunk being filled, with
/// every cell [`neutralise`]d.
pub(super) struct CsvChunk {
    writer: csv_core::Writer,
    /// Written up to `len`; the rest is room (zeroed: `csv-core` writes into slices).
    buf: Vec<u8>,
    pub(super) len: usize,
}

impl CsvChunk {
    pub(super) fn new() -> CsvChunk {
        CsvChunk {
            writer: csv_core::WriterBuilder::new()
                .terminator(csv_core::Terminator::CRLF)
                .build(),
            buf: vec![0; CHUNK + 16 * 1024],
            len: 0,
        }
    }

    /// A chunk that starts the file: a byte-order mark (Excel then reads it as UTF-8,
    /// Chinese intact) and the header row.
    pub(super) fn start() -> CsvChunk {
        let mut csv = CsvChunk::new();
        csv.raw("\u{FEFF}".as_bytes());
        csv.record(COLUMNS);
        csv
    }

    /// One exported entry as a record, its cells in the order of [`COLUMNS`].
    pub(super) fn row(&mut self, row: &Row<'_>) {
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
        self.record(fields);
    }

    /// Room for `n` more bytes after `len`.
    fn room(buf: &mut Vec<u8>, len: usize, n: usize) -> &mut [u8] {
        if buf.len() - len < n {
            buf.resize(len + n.max(16 * 1024), 0);
        }
        &mut buf[len..]
    }

    pub(super) fn raw(&mut self, bytes: &[u8]) {
        Self::room(&mut self.buf, self.len, bytes.len())[..bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    pub(super) fn record<const N: usize>(&mut self, cells: [&str; N]) {
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
    pub(super) fn take(&mut self) -> Bytes {
        let mut full = std::mem::replace(&mut self.buf, vec![0; CHUNK + 16 * 1024]);
        full.truncate(self.len);
        self.len = 0;
        Bytes::from(full)
    }
}

pub use crate::web::present::table::neutralise;

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
}
