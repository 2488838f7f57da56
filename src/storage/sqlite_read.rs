//! Long reads straight from a SQLite file, on blocking threads.
//!
//! sqlx runs SQLite on a worker thread and hands every row to the async side through a
//! channel, with its values copied: fine for pages, but a million-row export then spends
//! most of its time waking threads and moving allocations between them. Here one
//! read-only connection steps the same statement and the caller consumes each row where
//! it is read ([`SqliteTimeline::for_each`]), or a second thread reads while the caller
//! works on the previous thousand rows ([`SqliteTimeline::for_each_batched`]). The SQL
//! and its parameters are those of [`Store::timeline_stream`], so every reader returns the
//! same rows (tests compare them).

use super::batches::{BATCH_ROWS, Batch};
use super::{
    StorageError, Store, TRANSITION_COLUMNS_UNJOINED, TimelineOrder, TimelineQuery,
    timeline_stream_sql,
};
use crate::domain::SourceKind;
use crate::domain::TransitionRef;
use chrono::{DateTime, SecondsFormat, Utc};
use rusqlite::{OpenFlags, types::ToSql};
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;
use std::time::Duration;

impl From<rusqlite::Error> for StorageError {
    fn from(e: rusqlite::Error) -> Self {
        StorageError::Read(e)
    }
}

/// A `DateTime<Utc>` as sqlx writes it into SQLite, so that text comparisons agree.
fn sqlite_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

impl Store {
    /// A reader of the timeline straight from the SQLite file; `None` when the store has
    /// no file to read (PostgreSQL, SQLite in memory): use [`Store::timeline_stream`].
    pub fn sqlite_timeline_reader(&self) -> Option<SqliteTimeline> {
        if !self.direct_reads {
            return None;
        }
        self.sqlite_file().map(|path| SqliteTimeline {
            path: path.to_path_buf(),
            store: self.clone(),
        })
    }
}

/// A reader of the timeline from one SQLite file; see [`Store::sqlite_timeline_reader`].
#[derive(Debug, Clone)]
pub struct SqliteTimeline {
    path: std::path::PathBuf,
    /// The store the file belongs to: the file must still be the one it opened.
    store: Store,
}

/// A timeline read opened on the file ([`SqliteTimeline::open`]): the file was found,
/// its checks were read and the statement prepared, so what remains is stepping rows.
pub struct OpenTimeline {
    conn: rusqlite::Connection,
    /// Check id → (kind, subject, object).
    checks: HashMap<String, [String; 3]>,
    sql: String,
    until: String,
    since: Option<String>,
    platform: Option<String>,
    kind: Option<String>,
    include_simulated: bool,
    source_kind: Option<&'static str>,
    check: Option<String>,
}

impl SqliteTimeline {
    /// Opens the read [`Store::timeline_stream`] would make, or says why it cannot be
    /// made (the file deleted or replaced, unreadable, not a Hutong database) before
    /// anything is sent. Blocks: call it from `spawn_blocking`.
    pub fn open(
        &self,
        q: &TimelineQuery,
        order: TimelineOrder,
    ) -> Result<OpenTimeline, StorageError> {
        // A file deleted under the server cannot be opened; one put in its place could,
        // and would be read as if it were the store's.
        self.store.check_file()?;
        let conn = open_read_only(&self.path)?;
        // One snapshot for the checks and the transitions (WAL readers do not block).
        conn.execute_batch("begin")?;
        // Checks are few: joined here rather than per row in SQL (a text-key lookup per
        // row costs as much as the rest of the statement).
        let mut checks: HashMap<String, [String; 3]> = HashMap::new();
        {
            let mut stmt = conn.prepare("select id, kind, subject, object from checks")?;
            let mut rows = stmt.raw_query();
            while let Some(row) = rows.next()? {
                checks.insert(row.get(0)?, [row.get(1)?, row.get(2)?, row.get(3)?]);
            }
        }
        let sql = timeline_stream_sql(q, order, TRANSITION_COLUMNS_UNJOINED, false);
        // Prepared once here to learn that it can be; again where it is stepped.
        conn.prepare(&sql)?;
        Ok(OpenTimeline {
            conn,
            checks,
            sql,
            until: sqlite_time(q.until),
            since: q.since.map(sqlite_time),
            platform: q.platform.clone(),
            kind: q.kind.clone(),
            include_simulated: q.include_simulated,
            source_kind: q.source_kind.map(SourceKind::as_str),
            check: q.check.clone(),
        })
    }

    /// Calls `each` with every transition [`Store::timeline_stream`] would yield, in the
    /// same order, until `each` breaks. Blocks: call it from `spawn_blocking`.
    pub fn for_each(
        &self,
        q: &TimelineQuery,
        order: TimelineOrder,
        each: impl FnMut(&TransitionRef<'_>) -> ControlFlow<()>,
    ) -> Result<(), StorageError> {
        self.open(q, order)?.for_each(each)
    }

    /// [`OpenTimeline::for_each_batched`] of a read opened here.
    pub fn for_each_batched(
        &self,
        q: &TimelineQuery,
        order: TimelineOrder,
        each: impl FnMut(&TransitionRef<'_>) -> ControlFlow<()>,
    ) -> Result<(), StorageError> {
        self.open(q, order)?.for_each_batched(each)
    }
}

impl OpenTimeline {
    /// Calls `each` with every transition of the read, in its order, until `each` breaks.
    pub fn for_each(
        self,
        mut each: impl FnMut(&TransitionRef<'_>) -> ControlFlow<()>,
    ) -> Result<(), StorageError> {
        let OpenTimeline {
            conn,
            checks,
            sql,
            until,
            since,
            platform,
            kind,
            include_simulated,
            source_kind,
            check,
        } = self;
        let mut stmt = conn.prepare(&sql)?;
        let params: [(&str, &dyn ToSql); 7] = [
            ("$1", &until),
            ("$2", &since),
            ("$3", &platform),
            ("$4", &kind),
            ("$5", &include_simulated),
            ("$6", &source_kind),
            ("$7", &check),
        ];
        stmt.raw_bind_parameters_named(&params)?;
        let mut rows = stmt.raw_query();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            let bad = |i: usize, e: rusqlite::types::FromSqlError| {
                let column = row.as_ref().column_name(i).unwrap_or("?");
                StorageError::Invalid(format!("transition {id}: column {column}: {e}"))
            };
            let text = |i: usize| -> Result<&str, StorageError> {
                row.get_ref(i)?.as_str().map_err(|e| bad(i, e))
            };
            let optional = |i: usize| -> Result<Option<&str>, StorageError> {
                row.get_ref(i)?.as_str_or_null().map_err(|e| bad(i, e))
            };
            let check_id = text(1)?;
            let Some([kind, subject, object]) = checks.get(check_id) else {
                return Err(StorageError::Invalid(format!(
                    "transition {id} names check {check_id:?}, which is not in the catalog"
                )));
            };
            let occurred_at = text(4)?;
            let occurred_at = DateTime::parse_from_rfc3339(occurred_at)
                .map_err(|e| {
                    StorageError::Invalid(format!(
                        "transition {id}: occurred_at {occurred_at:?} is not a time: {e}"
                    ))
                })?
                .with_timezone(&Utc);
            let record = TransitionRef {
                id,
                check_id,
                source_key: text(2)?,
                observation_id: row.get(3)?,
                occurred_at,
                from_status: optional(5)?,
                to_status: text(6)?,
                source_kind: text(7)?,
                source_id: optional(8)?,
                precision: text(9)?,
                kind,
                subject,
                object,
            };
            if each(&record).is_break() {
                break;
            }
        }
        Ok(())
    }
}

/// A read-only connection that waits for writers as the pool's connections do.
fn open_read_only(path: &Path) -> Result<rusqlite::Connection, StorageError> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StorageError::Open {
        path: path.display().to_string(),
        cause: e,
    })?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "mmap_size", super::SQLITE_MMAP_BYTES)?;
    Ok(conn)
}

/// Binding parameters by their `$n` names.
trait Named {
    fn raw_bind_parameters_named(
        &mut self,
        params: &[(&str, &dyn ToSql)],
    ) -> Result<(), StorageError>;
}

impl Named for rusqlite::Statement<'_> {
    /// Binds each `$n` the statement uses; names it does not use are skipped.
    fn raw_bind_parameters_named(
        &mut self,
        params: &[(&str, &dyn ToSql)],
    ) -> Result<(), StorageError> {
        for (name, value) in params {
            if let Some(i) = self.parameter_index(name)? {
                self.raw_bind_parameter(i, *value)?;
            }
        }
        Ok(())
    }
}

impl OpenTimeline {
    /// [`OpenTimeline::for_each`] on two threads: a second thread steps SQLite and copies
    /// rows into batches while this one runs `each` on the previous batch, so reading and
    /// what the caller does with the rows (an export's formatting) use both cores. Same
    /// rows, same order; stops reading when `each` breaks.
    pub fn for_each_batched(
        self,
        mut each: impl FnMut(&TransitionRef<'_>) -> ControlFlow<()>,
    ) -> Result<(), StorageError> {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Batch>(2);
        let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Batch>();
        std::thread::scope(|scope| {
            let reading = scope.spawn(move || -> Result<(), StorageError> {
                let mut batch = Batch::default();
                let mut stopped = false;
                self.for_each(|t| {
                    batch.push(t);
                    if batch.len() >= BATCH_ROWS {
                        let next = empty_rx.try_recv().unwrap_or_default();
                        if full_tx.send(std::mem::replace(&mut batch, next)).is_err() {
                            // The caller stopped.
                            stopped = true;
                            return ControlFlow::Break(());
                        }
                    }
                    ControlFlow::Continue(())
                })?;
                if !stopped && !batch.is_empty() {
                    let _ = full_tx.send(batch);
                }
                Ok(())
            });
            'batches: while let Ok(mut batch) = full_rx.recv() {
                for t in batch.rows() {
                    if each(&t).is_break() {
                        break 'batches;
                    }
                }
                batch.clear();
                let _ = empty_tx.send(batch);
            }
            // Closing the channel stops a reader still at work.
            drop(full_rx);
            reading
                .join()
                .unwrap_or_else(|_| Err(StorageError::Invalid("the timeline reader failed".into())))
        })
    }
}
