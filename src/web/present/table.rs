//! Tables written for spreadsheets: CSV cells a spreadsheet will not run, and whole small
//! CSV files (a check's observations, the dataset's tables).

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
