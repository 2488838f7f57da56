//! PostgreSQL: a batch's observations written with one `COPY observations (…) FROM STDIN`
//! instead of INSERTs of 1,000 rows (issue 15). The rows' ids are taken beforehand from the
//! table's sequence (`nextval` once per row, the sequence named once, one statement) and
//! given in the order the batch numbers its rows in (each fetch's verdicts together, see
//! [`crate::storage::batch_write::id_order`]), so the transitions can name them as they
//! name the ids an INSERT returns, and a batch gets the same ids however it is written. The
//! rows are copied in batch order all the same. The statement
//! triggers of migration 0021 read COPY's rows as a transition table as they read an
//! INSERT's, once for the whole batch instead of once per 1,000 rows.
//!
//! COPY's text format: a row per line, columns split by tabs, `\N` for null; a backslash,
//! tab, newline or carriage return inside a value is written as `\\`, `\t`, `\n`, `\r`
//! ([`copy_text`]). U+0000 never reaches it (see [`crate::storage::storable`]). Instants are
//! written to the microsecond as sqlx binds them (truncated toward the year 2000); a batch
//! with an instant outside the years 1–9999, which the text would not say the same way, is
//! INSERTed as before.
//!
//! Only batches of at least [`COPY_MIN_ROWS`] observations are copied; smaller ones (a
//! probe run's, a few dozen rows) are INSERTed. A COPY costs one fixed wait that an INSERT
//! does not: sqlx writes the copied data and the `CopyDone` that ends it as two separate
//! writes to the socket and then waits for the answer, and its sockets do not set
//! `TCP_NODELAY`, so the kernel holds the small `CopyDone` back (Nagle) until the server
//! acknowledges the data, which the server delays (delayed ACK: 47–77 ms a COPY in an
//! `strace` of the probes' writer over TCP). An INSERT is written as one message group and
//! answered at once. Over a Unix socket (no Nagle) a COPY of 64 rows costs what an INSERT
//! does. sqlx 0.9.0 dropped `TCP_NODELAY` (transact-rs/sqlx#4335, fixed by #4336, not
//! released at the time of writing); with it back the threshold can be measured again.

use crate::domain::NewObservation;
use crate::storage::StorageError;
use chrono::{DateTime, Datelike, Utc};
use std::fmt::Write as _;
use std::future::Future;

/// The fewest observations a batch must have to be written with COPY on PostgreSQL;
/// smaller batches are INSERTed (see the module docs: the fixed wait a COPY costs is
/// larger than what it saves on fewer rows). Measured: README, "Writes and seeding",
/// session 31.
/// `HUTONG_COPY_MIN_ROWS` in the environment replaces it (for measuring: `1` copies every
/// batch, a number larger than any batch copies none).
pub const COPY_MIN_ROWS: usize = 1_000;

/// [`COPY_MIN_ROWS`], or `HUTONG_COPY_MIN_ROWS` when set (read once).
fn copy_min_rows() -> Result<usize, StorageError> {
    static FROM_ENV: std::sync::OnceLock<Result<usize, String>> = std::sync::OnceLock::new();
    FROM_ENV
        .get_or_init(|| match std::env::var("HUTONG_COPY_MIN_ROWS") {
            Err(std::env::VarError::NotPresent) => Ok(COPY_MIN_ROWS),
            Ok(v) => v.trim().parse::<usize>().map_err(|_| {
                format!("HUTONG_COPY_MIN_ROWS is {v:?}: expected a number of observations")
            }),
            Err(e) => Err(format!("HUTONG_COPY_MIN_ROWS: {e}")),
        })
        .clone()
        .map_err(StorageError::Invalid)
}

/// The columns an observation row is written with (COPY writes `id` first, taken from the
/// sequence; an INSERT lets the table number it or gives the id reserved for it).
pub(crate) const ROW_COLUMNS: &str = "check_id, observed_at, precision, status, source_kind, \
     source_key, source_id, vantage, quote, note_en, note_zh, evidence_id, evidence_fetch, \
     catalog_key, recorded_at, pack_id, rule_version, confirmed, failure, snapshot, \
     reclassifies, run_key, fetch_id, run_key_id";

/// One observation's values beyond those of its [`NewObservation`]: what the batch writer
/// worked out for it (its source key, evidence body, fetch and run key kept once).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ObservationColumns<'a> {
    pub new: &'a NewObservation,
    pub source_key: &'a str,
    pub evidence_id: Option<i64>,
    /// The fetch's own figures, when the row keeps them (it names no `fetches` row).
    pub evidence_fetch: Option<&'a str>,
    /// The snapshot, when the row keeps it (it names no `fetches` row).
    pub snapshot: Option<&'a str>,
    /// The whole run key, when the row keeps it (its run part is not in `run_keys`).
    pub run_key: Option<&'a str>,
    pub fetch_id: Option<i64>,
    pub run_key_id: Option<i64>,
}

/// Writes observations in one COPY, row `order[j]` taking the `j`-th smallest id reserved
/// (`order` is a permutation of the rows); evaluates to their ids in the given order, or to
/// `None` when this database has no COPY (SQLite), the batch is smaller than
/// [`COPY_MIN_ROWS`], or the rows cannot all be said in COPY's text exactly: the caller
/// INSERTs them.
pub(crate) trait CopyObservations {
    fn copy_observations<'a>(
        &'a mut self,
        rows: &'a [ObservationColumns<'a>],
        order: &'a [usize],
        recorded_at: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Vec<i64>>, StorageError>> + Send + 'a;
}

impl CopyObservations for sqlx::SqliteConnection {
    async fn copy_observations<'a>(
        &'a mut self,
        _rows: &'a [ObservationColumns<'a>],
        _order: &'a [usize],
        _recorded_at: DateTime<Utc>,
    ) -> Result<Option<Vec<i64>>, StorageError> {
        Ok(None)
    }
}

impl CopyObservations for sqlx::PgConnection {
    async fn copy_observations<'a>(
        &'a mut self,
        rows: &'a [ObservationColumns<'a>],
        order: &'a [usize],
        recorded_at: DateTime<Utc>,
    ) -> Result<Option<Vec<i64>>, StorageError> {
        copy_observations_pg(self, rows, order, recorded_at).await
    }
}

/// See the module docs: ids from the sequence, then one COPY of every row.
pub(crate) async fn copy_observations_pg(
    conn: &mut sqlx::PgConnection,
    rows: &[ObservationColumns<'_>],
    order: &[usize],
    recorded_at: DateTime<Utc>,
) -> Result<Option<Vec<i64>>, StorageError> {
    if order.len() != rows.len() {
        return Err(StorageError::Invalid(format!(
            "{} rows to copy but an order of {}",
            rows.len(),
            order.len()
        )));
    }
    if rows.is_empty() || rows.len() < copy_min_rows()? {
        return Ok(None);
    }
    let Some(recorded) = pg_instant(recorded_at) else {
        return Ok(None);
    };
    let mut instants = Vec::with_capacity(rows.len());
    for r in rows {
        match pg_instant(r.new.observed_at) {
            Some(t) => instants.push(t),
            None => return Ok(None),
        }
    }
    let count = i64::try_from(rows.len())
        .map_err(|_| StorageError::Invalid(format!("{} rows in one batch", rows.len())))?;
    // The sequence is named once (a scalar subquery, evaluated once as an init plan), not
    // per row: `nextval(pg_get_serial_sequence(…))` looked the sequence up for each id,
    // 47–66 ms for 10,000 ids in `psql` against 4–8 ms this way.
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "select nextval((select pg_get_serial_sequence('observations', 'id')::regclass))
         from generate_series(1, $1)",
    )
    .bind(count)
    .fetch_all(&mut *conn)
    .await?;
    if ids.len() != rows.len() {
        return Err(StorageError::Invalid(format!(
            "{} observation ids were asked for but {} came back",
            rows.len(),
            ids.len()
        )));
    }
    // One writer's `nextval`s rise; sorted, as the ids an INSERT returns are, then given
    // in the batch's order of numbering.
    ids.sort_unstable();
    let ids = ids_in_order(&ids, order);
    let mut text = String::with_capacity(rows.len() * 160);
    for ((r, id), at) in rows.iter().zip(&ids).zip(&instants) {
        copy_row(&mut text, *id, r, at, &recorded);
    }
    let statement = format!("copy observations (id, {ROW_COLUMNS}) from stdin");
    let mut copy = conn.copy_in_raw(&statement).await?;
    copy.send(text.as_bytes()).await?;
    let written = copy.finish().await?;
    if written != rows.len() as u64 {
        return Err(StorageError::Invalid(format!(
            "{} observations were sent but {written} were copied",
            rows.len()
        )));
    }
    Ok(Some(ids))
}

/// The ids of a batch's rows in batch order, from the ids reserved for it (ascending) and
/// the order the rows take them in ([`crate::storage::batch_write::id_order`]).
pub(crate) fn ids_in_order(reserved: &[i64], order: &[usize]) -> Vec<i64> {
    let mut ids = vec![0; order.len()];
    for (&row, &id) in order.iter().zip(reserved) {
        ids[row] = id;
    }
    ids
}

/// One line of COPY's text format for `r`, whose id is `id`.
fn copy_row(
    out: &mut String,
    id: i64,
    r: &ObservationColumns<'_>,
    observed_at: &str,
    recorded_at: &str,
) {
    let new = r.new;
    let probe = new.probe.as_ref();
    let _ = write!(out, "{id}");
    let mut text = |v: Option<&str>| {
        out.push('\t');
        match v {
            Some(v) => copy_text(out, v),
            None => out.push_str("\\N"),
        }
    };
    text(Some(&new.check_id));
    text(Some(observed_at));
    text(Some(new.precision.as_str()));
    text(Some(&new.status));
    text(Some(new.source_kind.as_str()));
    text(Some(r.source_key));
    text(new.source_id.as_deref());
    text(Some(&new.vantage));
    text(new.quote.as_deref());
    text(new.note_en.as_deref());
    text(new.note_zh.as_deref());
    text(r.evidence_id.map(|v| v.to_string()).as_deref());
    text(r.evidence_fetch);
    text(new.catalog_key.as_deref());
    text(Some(recorded_at));
    text(probe.map(|p| p.pack_id.as_str()));
    text(probe.map(|p| p.rule_version.to_string()).as_deref());
    text(probe.map(|p| if p.confirmed { "t" } else { "f" }));
    text(probe.and_then(|p| p.failure.as_deref()));
    text(r.snapshot);
    text(
        probe
            .and_then(|p| p.reclassifies)
            .map(|v| v.to_string())
            .as_deref(),
    );
    text(r.run_key);
    text(r.fetch_id.map(|v| v.to_string()).as_deref());
    text(r.run_key_id.map(|v| v.to_string()).as_deref());
    out.push('\n');
}

/// `value` as one column of COPY's text format: backslash, tab, newline and carriage
/// return escaped; everything else as it is.
pub(crate) fn copy_text(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// `t` as PostgreSQL stores it when sqlx binds it (microseconds since 2000-01-01,
/// truncated toward it), in text PostgreSQL reads back exactly; `None` outside the years
/// 1–9999.
pub(crate) fn pg_instant(t: DateTime<Utc>) -> Option<String> {
    let epoch = DateTime::<Utc>::from_timestamp(946_684_800, 0)?;
    let micros = (t - epoch).num_microseconds()?;
    let stored = epoch.checked_add_signed(chrono::Duration::microseconds(micros))?;
    (1..=9999)
        .contains(&stored.year())
        .then(|| stored.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn copy_text_escapes_what_the_text_format_would_misread() {
        let mut out = String::new();
        copy_text(&mut out, "a\tb\nc\r\\N\\d é");
        assert_eq!(out, "a\\tb\\nc\\r\\\\N\\\\d é");
    }

    #[test]
    fn instants_are_written_as_sqlx_binds_them() {
        let t = Utc.with_ymd_and_hms(2024, 3, 1, 12, 0, 5).single().unwrap()
            + chrono::Duration::nanoseconds(123_456_789);
        assert_eq!(
            pg_instant(t).as_deref(),
            Some("2024-03-01 12:00:05.123456+00")
        );
        // Before 2000 sqlx truncates toward 2000: up, not down.
        let t = Utc
            .with_ymd_and_hms(1999, 12, 31, 23, 59, 59)
            .single()
            .unwrap()
            + chrono::Duration::nanoseconds(999_999_999);
        assert_eq!(
            pg_instant(t).as_deref(),
            Some("2000-01-01 00:00:00.000000+00")
        );
        let far = Utc
            .with_ymd_and_hms(10_000, 1, 1, 0, 0, 0)
            .single()
            .unwrap();
        assert_eq!(pg_instant(far), None);
    }
}
