//! Writers side by side for the write benches (`bench seed`, `bench writes`): each takes
//! the batches of its own share of the checks, in order, and stores them through the
//! normal insert path while the others store theirs. A check always goes to the same
//! writer, so its observations are stored in the order they were made.

use crate::domain::NewObservation;
use crate::storage::{Backend, Store};
use anyhow::Context;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// The writers asked for, or by default 2 on PostgreSQL and 1 on SQLite (which writes one
/// transaction at a time whatever runs beside it).
pub(crate) fn count(asked: Option<usize>, backend: Backend) -> usize {
    asked.unwrap_or(match backend {
        Backend::Postgres => 2,
        Backend::Sqlite => 1,
    })
}

pub(crate) struct Writers {
    queues: Vec<mpsc::Sender<Vec<NewObservation>>>,
    tasks: JoinSet<anyhow::Result<()>>,
    written: Arc<AtomicUsize>,
}

impl Writers {
    /// `count` writers (at least one) on `store`; `stored` is told the total written so far
    /// after each batch a writer stores.
    pub(crate) fn start(
        store: &Store,
        count: usize,
        stored: impl Fn(usize) + Send + Sync + 'static,
    ) -> Writers {
        let written = Arc::new(AtomicUsize::new(0));
        let stored = Arc::new(stored);
        let mut queues = Vec::with_capacity(count.max(1));
        let mut tasks = JoinSet::new();
        for _ in 0..count.max(1) {
            // One batch waiting per writer: the next is made while this one is stored.
            let (tx, mut rx) = mpsc::channel::<Vec<NewObservation>>(1);
            queues.push(tx);
            let (store, written, stored) = (store.clone(), written.clone(), stored.clone());
            tasks.spawn(async move {
                while let Some(batch) = rx.recv().await {
                    store.insert_observations(&batch).await?;
                    stored(written.fetch_add(batch.len(), Ordering::Relaxed) + batch.len());
                }
                anyhow::Ok(())
            });
        }
        Writers {
            queues,
            tasks,
            written,
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.queues.len()
    }

    /// The writer of the check at `check_index` (among the checks in a fixed order).
    pub(crate) fn of(&self, check_index: usize) -> usize {
        check_index % self.queues.len()
    }

    /// Gives `batch` to writer `writer`; false when that writer has stopped on an error
    /// (which [`Writers::finish`] tells).
    pub(crate) async fn send(&self, writer: usize, batch: Vec<NewObservation>) -> bool {
        batch.is_empty() || self.queues[writer].send(batch).await.is_ok()
    }

    /// Waits for every writer to store what it was given; the observations written, or
    /// the first writer's error.
    pub(crate) async fn finish(mut self) -> anyhow::Result<usize> {
        self.queues.clear();
        while let Some(done) = self.tasks.join_next().await {
            done.context("a writer stopped")??;
        }
        Ok(self.written.load(Ordering::Relaxed))
    }
}
