//! Long timeline reads (exports of any size) in batches of a thousand transitions, read
//! on a blocking thread by whichever driver suits the database: straight from a SQLite
//! file ([`super::SqliteTimeline`], several times faster for a million rows), through the
//! pool otherwise (PostgreSQL, SQLite in memory). Callers never choose: they ask
//! [`Store::timeline_batches`] and work on each batch while the next is read.
//!
//! The read is opened before the method returns, so a database that cannot be read is an
//! error the caller can answer before sending anything; a failure later arrives as an
//! `Err` batch.

use super::{StorageError, Store, TimelineOrder, TimelineQuery};
use crate::domain::TransitionRef;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use std::ops::ControlFlow;
use std::sync::mpsc;

/// Rows per batch handed from the reading thread to the caller's.
pub(super) const BATCH_ROWS: usize = 1024;

/// Transitions copied out of the database's buffers, their text in one string per batch:
/// two allocations per thousand rows, and the buffers go back to the reader
/// ([`TimelineBatches::recycle`]) to be filled again.
#[derive(Default)]
pub struct Batch {
    text: String,
    rows: Vec<BatchRow>,
}

/// One transition of a [`Batch`]: numbers, and byte ranges of `Batch::text` for the text
/// (`None` for SQL nulls).
struct BatchRow {
    id: i64,
    observation_id: i64,
    occurred_at: DateTime<Utc>,
    /// check_id, source_key, from_status, to_status, source_kind, source_id, precision,
    /// kind, subject, object
    text: [Option<(u32, u32)>; 10],
}

impl Batch {
    pub(super) fn push(&mut self, t: &TransitionRef<'_>) {
        let mut put = |s: Option<&str>| {
            s.map(|s| {
                let start = self.text.len() as u32;
                self.text.push_str(s);
                (start, self.text.len() as u32)
            })
        };
        let text = [
            put(Some(t.check_id)),
            put(Some(t.source_key)),
            put(t.from_status),
            put(Some(t.to_status)),
            put(Some(t.source_kind)),
            put(t.source_id),
            put(Some(t.precision)),
            put(Some(t.kind)),
            put(Some(t.subject)),
            put(Some(t.object)),
        ];
        self.rows.push(BatchRow {
            id: t.id,
            observation_id: t.observation_id,
            occurred_at: t.occurred_at,
            text,
        });
    }

    fn row(&self, r: &BatchRow) -> TransitionRef<'_> {
        let get = |i: usize| r.text[i].and_then(|(a, b)| self.text.get(a as usize..b as usize));
        TransitionRef {
            id: r.id,
            check_id: get(0).unwrap_or_default(),
            source_key: get(1).unwrap_or_default(),
            observation_id: r.observation_id,
            occurred_at: r.occurred_at,
            from_status: get(2),
            to_status: get(3).unwrap_or_default(),
            source_kind: get(4).unwrap_or_default(),
            source_id: get(5),
            precision: get(6).unwrap_or_default(),
            kind: get(7).unwrap_or_default(),
            subject: get(8).unwrap_or_default(),
            object: get(9).unwrap_or_default(),
        }
    }

    /// The batch's transitions, in the order read.
    pub fn rows(&self) -> impl Iterator<Item = TransitionRef<'_>> {
        self.rows.iter().map(|r| self.row(r))
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub(super) fn clear(&mut self) {
        self.text.clear();
        self.rows.clear();
    }
}

/// A timeline read under way: its batches, in order, then the end. It is an iterator that
/// waits for each batch: consume it on a blocking thread (such as `spawn_blocking`'s).
/// Dropping it stops the read.
pub struct TimelineBatches {
    full: mpsc::Receiver<Result<Batch, StorageError>>,
    empty: mpsc::Sender<Batch>,
}

impl TimelineBatches {
    /// Hands a batch that was worked through back to the reader, to be filled again.
    pub fn recycle(&self, mut batch: Batch) {
        batch.clear();
        let _ = self.empty.send(batch);
    }
}

impl Iterator for TimelineBatches {
    type Item = Result<Batch, StorageError>;

    /// The next batch, waiting for it; `None` once every row was read.
    fn next(&mut self) -> Option<Self::Item> {
        self.full.recv().ok()
    }
}

/// Collects rows into batches and hands each full one on (two at most wait: the reader
/// stays a little ahead of the caller, never far).
struct Batcher {
    batch: Batch,
    full: mpsc::SyncSender<Result<Batch, StorageError>>,
    empty: mpsc::Receiver<Batch>,
}

impl Batcher {
    /// Adds a row; `false` once the reader of the batches has gone away.
    fn push(&mut self, t: &TransitionRef<'_>) -> bool {
        self.batch.push(t);
        if self.batch.len() < BATCH_ROWS {
            return true;
        }
        let next = self.empty.try_recv().unwrap_or_default();
        let full = std::mem::replace(&mut self.batch, next);
        self.full.send(Ok(full)).is_ok()
    }

    /// Hands on the last batch, or the error the read ended with.
    fn finish(mut self, read: Result<(), StorageError>) {
        let last = match read {
            Ok(()) if self.batch.is_empty() => return,
            Ok(()) => Ok(std::mem::take(&mut self.batch)),
            Err(e) => Err(e),
        };
        let _ = self.full.send(last);
    }
}

impl Store {
    /// Every transition [`Store::timeline`] would page through (`limit` and `offset` are
    /// ignored), in `order`, in batches: exports of any size in constant memory. A SQLite
    /// file is read directly, anything else through the pool; either way on a blocking
    /// thread of its own, while the caller works on the batch before. Fails when the read
    /// cannot be opened (the database unreachable, its file gone); a failure once rows flow
    /// arrives as an `Err` batch.
    pub async fn timeline_batches(
        &self,
        q: &TimelineQuery,
        order: TimelineOrder,
    ) -> Result<TimelineBatches, StorageError> {
        let (full_tx, full) = mpsc::sync_channel(2);
        let (empty, empty_rx) = mpsc::channel();
        let (opened_tx, opened) = tokio::sync::oneshot::channel::<Result<(), StorageError>>();
        let mut batcher = Batcher {
            batch: Batch::default(),
            full: full_tx,
            empty: empty_rx,
        };
        let q = q.clone();
        match self.sqlite_timeline_reader() {
            Some(reader) => {
                tokio::task::spawn_blocking(move || {
                    let open = match reader.open(&q, order) {
                        Ok(open) => {
                            let _ = opened_tx.send(Ok(()));
                            open
                        }
                        Err(e) => {
                            let _ = opened_tx.send(Err(e));
                            return;
                        }
                    };
                    let mut gone = false;
                    let read = open.for_each(|t| {
                        if batcher.push(t) {
                            ControlFlow::Continue(())
                        } else {
                            gone = true;
                            ControlFlow::Break(())
                        }
                    });
                    if !gone {
                        batcher.finish(read);
                    }
                });
            }
            None => {
                let store = self.clone();
                let runtime = tokio::runtime::Handle::current();
                tokio::task::spawn_blocking(move || {
                    runtime.block_on(async {
                        let mut rows = store.timeline_stream(&q, order);
                        // The first row is read before the read counts as opened.
                        let mut next = match rows.next().await {
                            Some(Err(e)) => {
                                let _ = opened_tx.send(Err(e));
                                return;
                            }
                            first => {
                                let _ = opened_tx.send(Ok(()));
                                first
                            }
                        };
                        while let Some(row) = next {
                            match row {
                                Ok(t) => {
                                    if !batcher.push(&t.view()) {
                                        return;
                                    }
                                }
                                Err(e) => return batcher.finish(Err(e)),
                            }
                            next = rows.next().await;
                        }
                        batcher.finish(Ok(()));
                    })
                });
            }
        }
        match opened.await {
            Ok(Ok(())) => Ok(TimelineBatches { full, empty }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(StorageError::Invalid(
                "the timeline read ended before it was opened".into(),
            )),
        }
    }
}
