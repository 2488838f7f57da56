//! SQLite: what a batch of probe rows ([`insert_batch_in!`](super::batch_write::insert_batch_in))
//! leaves each of its pairs at, kept for the next batch writing the pair (the next run of
//! its pack), so that batch need not read it again. A pair's look is what the batch's pairs
//! statement reads of it: its newest observation of any kind, its latest transition's
//! status and what its newest row shows. It is kept only where the batch knows it without
//! reading: every verdict of the pair a repeat, no transition added or rebuilt (the
//! newest row and the status stay; the newest observation is the latest repeat). Any other
//! pair of the batch is forgotten.
//!
//! What is kept holds while nothing but these batches has written: `data_version`
//! (migration 0004), which every write of an observation, a repeat or a transition moves
//! whoever writes (this process or another), reads at a batch's start what the last batch
//! left it at. A batch reads it inside its transaction (`BEGIN IMMEDIATE`: nobody writes in
//! between) at its start and its end; when it differs at the start, everything kept is
//! forgotten and the batch reads its pairs itself.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::batch_write::PairLook;

/// Pairs kept at most (a pair's look is a few hundred bytes, its note included): past it,
/// further pairs are read by their batches.
pub const PAIRS_KEPT: usize = 20_000;

/// `data_version`, read inside a batch's transaction.
pub(crate) const DATA_VERSION: &str = "select value from data_version where id = 1";

/// Pairs by source key, then check.
type ByPair = HashMap<String, HashMap<String, PairLook>>;

/// The pairs one batch took from what was kept, and the looks it leaves.
#[derive(Debug, Default)]
pub(crate) struct BatchPairs {
    taken: ByPair,
    /// (check, source key, look) of the pairs it knows without reading once written.
    left: Vec<(String, String, PairLook)>,
}

impl BatchPairs {
    /// The pair as kept, if it was.
    pub(crate) fn take(&mut self, check: &str, source: &str) -> Option<PairLook> {
        self.taken.get_mut(source)?.remove(check)
    }

    /// The pair as the batch leaves it, to keep once the batch has committed.
    pub(crate) fn leave(&mut self, check: &str, source: &str, look: PairLook) {
        self.left
            .push((check.to_string(), source.to_string(), look));
    }
}

/// What batches left their pairs at, as of `data_version` `version`.
#[derive(Debug, Default)]
pub(crate) struct KeptPairs {
    version: Option<i64>,
    pairs: ByPair,
    len: usize,
    /// Pairs batches took instead of reading.
    taken: u64,
}

impl KeptPairs {
    /// The kept pairs, locked; forgotten if a writer panicked while holding them.
    pub(crate) fn lock(kept: &Mutex<KeptPairs>) -> MutexGuard<'_, KeptPairs> {
        kept.lock().unwrap_or_else(|poisoned| {
            let mut kept = poisoned.into_inner();
            kept.forget();
            kept
        })
    }

    fn forget(&mut self) {
        self.version = None;
        self.pairs.clear();
        self.len = 0;
    }

    fn remove(&mut self, check: &str, source: &str) -> Option<PairLook> {
        let look = self.pairs.get_mut(source)?.remove(check)?;
        self.len -= 1;
        Some(look)
    }

    /// For a batch that found `data_version` at `found` at its start: its `pairs` (check,
    /// source key) as kept, taken out; nothing, and everything forgotten, when something
    /// else has written since the last batch.
    pub(crate) fn take<'a>(
        &mut self,
        found: i64,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> BatchPairs {
        let mut batch = BatchPairs::default();
        if self.version != Some(found) {
            self.forget();
            return batch;
        }
        for (check, source) in pairs {
            if let Some(look) = self.remove(check, source) {
                self.taken += 1;
                batch
                    .taken
                    .entry(source.to_string())
                    .or_default()
                    .insert(check.to_string(), look);
            }
        }
        batch
    }

    /// A batch of `pairs` that found `data_version` at `found` committed, leaving it at
    /// `left`: its pairs are forgotten (another batch may have kept one since this one
    /// took them), those it knows kept.
    pub(crate) fn written<'a>(
        &mut self,
        found: i64,
        left: i64,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
        batch: BatchPairs,
    ) {
        if self.version == Some(found) {
            for (check, source) in pairs {
                self.remove(check, source);
            }
        } else {
            self.forget();
        }
        self.version = Some(left);
        for (check, source, look) in batch.left {
            if self.len >= PAIRS_KEPT {
                break;
            }
            if self
                .pairs
                .entry(source)
                .or_default()
                .insert(check, look)
                .is_none()
            {
                self.len += 1;
            }
        }
    }

    /// Pairs batches took instead of reading, since the store opened.
    pub(crate) fn taken(&self) -> u64 {
        self.taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};

    fn look(id: i64) -> PairLook {
        PairLook {
            latest: Some((DateTime::<Utc>::UNIX_EPOCH, id)),
            current: Some("open".into()),
            newest: None,
        }
    }

    fn left(pairs: &[(&str, &str, i64)]) -> BatchPairs {
        let mut b = BatchPairs::default();
        for &(c, s, id) in pairs {
            b.leave(c, s, look(id));
        }
        b
    }

    #[test]
    fn a_pair_is_taken_only_while_nothing_else_has_written() {
        let mut kept = KeptPairs::default();
        // Nothing kept yet: the first batch reads its pairs and leaves them.
        let mut b = kept.take(7, [("a", "s"), ("b", "s")]);
        assert_eq!(b.take("a", "s"), None);
        kept.written(
            7,
            9,
            [("a", "s"), ("b", "s")],
            left(&[("a", "s", 1), ("b", "s", 2)]),
        );
        // The next batch finds the version the last one left: it takes its pairs.
        let mut b = kept.take(9, [("a", "s")]);
        assert_eq!(b.take("a", "s"), Some(look(1)));
        assert_eq!(b.take("a", "s"), None, "taken once");
        kept.written(9, 10, [("a", "s")], left(&[]));
        // "a" left nothing known (it changed): forgotten; "b" still kept.
        let mut b = kept.take(10, [("a", "s"), ("b", "s")]);
        assert_eq!(b.take("a", "s"), None);
        assert_eq!(b.take("b", "s"), Some(look(2)));
        kept.written(10, 11, [("a", "s"), ("b", "s")], left(&[("b", "s", 3)]));
        // Someone else wrote (12, not 11): everything forgotten.
        let mut b = kept.take(12, [("b", "s")]);
        assert_eq!(b.take("b", "s"), None);
        assert_eq!(kept.taken(), 2);
    }

    #[test]
    fn a_batch_forgets_what_another_kept_of_its_pairs_meanwhile() {
        let mut kept = KeptPairs::default();
        kept.written(1, 2, [("a", "s")], left(&[("a", "s", 1)]));
        // Batch X takes "a" at 2; before X commits, batch Y (which committed before X
        // began) keeps "a" as of 2.
        let mut x = kept.take(2, [("a", "s")]);
        assert!(x.take("a", "s").is_some());
        kept.written(2, 2, [("a", "s")], left(&[("a", "s", 5)]));
        // X commits knowing nothing of "a": Y's look of it is gone too.
        kept.written(2, 3, [("a", "s")], left(&[]));
        let mut next = kept.take(3, [("a", "s")]);
        assert_eq!(next.take("a", "s"), None);
    }

    #[test]
    fn no_more_than_the_limit_is_kept() {
        let mut kept = KeptPairs::default();
        let names: Vec<String> = (0..PAIRS_KEPT + 5).map(|i| format!("c{i}")).collect();
        let mut b = BatchPairs::default();
        for (i, n) in names.iter().enumerate() {
            b.leave(n, "s", look(i as i64));
        }
        kept.written(1, 2, names.iter().map(|n| (n.as_str(), "s")), b);
        assert_eq!(kept.len, PAIRS_KEPT);
    }
}
