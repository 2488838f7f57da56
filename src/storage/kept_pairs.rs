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

    /// A batch that found `data_version` at `found` at its start: everything kept is
    /// forgotten when something else has written since the last batch.
    pub(crate) fn begin(kept: &Mutex<KeptPairs>, found: i64) -> BatchPairs<'_> {
        let mut k = KeptPairs::lock(kept);
        if k.version != Some(found) {
            k.forget();
        }
        BatchPairs {
            kept,
            found,
            named: Vec::new(),
            left: Vec::new(),
        }
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

    /// Pairs batches took instead of reading, since the store opened.
    pub(crate) fn taken(&self) -> u64 {
        self.taken
    }
}

/// One batch's dealings with what is kept: the pairs it names, and the looks it leaves.
#[derive(Debug)]
pub(crate) struct BatchPairs<'k> {
    kept: &'k Mutex<KeptPairs>,
    /// `data_version` at the batch's start.
    found: i64,
    /// (check, source key) of every pair the batch writes.
    named: Vec<(String, String)>,
    /// (check, source key, look) of the pairs it knows without reading once written.
    left: Vec<(String, String, PairLook)>,
}

impl BatchPairs<'_> {
    /// A pair the batch writes, as kept, taken out (when what is kept is as of the batch's
    /// start).
    pub(crate) fn take(&mut self, check: &str, source: &str) -> Option<PairLook> {
        self.named.push((check.to_string(), source.to_string()));
        let mut kept = KeptPairs::lock(self.kept);
        if kept.version != Some(self.found) {
            return None;
        }
        let look = kept.remove(check, source)?;
        kept.taken += 1;
        Some(look)
    }

    /// The pair as the batch leaves it, to keep once the batch has committed.
    pub(crate) fn leave(&mut self, check: &str, source: &str, look: PairLook) {
        self.left
            .push((check.to_string(), source.to_string(), look));
    }

    /// The batch committed, leaving `data_version` at `left`: its pairs are forgotten
    /// (another batch may have kept one since this one took them), those it knows kept.
    pub(crate) fn written(self, left: i64) {
        let mut kept = KeptPairs::lock(self.kept);
        if kept.version == Some(self.found) {
            for (check, source) in &self.named {
                kept.remove(check, source);
            }
        } else {
            kept.forget();
        }
        kept.version = Some(left);
        for (check, source, look) in self.left {
            if kept.len >= PAIRS_KEPT {
                break;
            }
            if kept
                .pairs
                .entry(source)
                .or_default()
                .insert(check, look)
                .is_none()
            {
                kept.len += 1;
            }
        }
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

    /// A batch at `found` naming `pairs`, leaving `known` (check, source, id), committed at
    /// `left`; what it took, by check.
    fn batch(
        kept: &Mutex<KeptPairs>,
        found: i64,
        pairs: &[(&str, &str)],
        known: &[(&str, &str, i64)],
        left: i64,
    ) -> Vec<(String, Option<PairLook>)> {
        let mut b = KeptPairs::begin(kept, found);
        let took = pairs
            .iter()
            .map(|&(c, s)| (c.to_string(), b.take(c, s)))
            .collect();
        for &(c, s, id) in known {
            b.leave(c, s, look(id));
        }
        b.written(left);
        took
    }

    fn took(got: &[(String, Option<PairLook>)], check: &str) -> Option<PairLook> {
        got.iter()
            .find(|(c, _)| c == check)
            .and_then(|(_, l)| l.clone())
    }

    #[test]
    fn a_pair_is_taken_only_while_nothing_else_has_written() {
        let kept = Mutex::new(KeptPairs::default());
        // Nothing kept yet: the first batch reads its pairs and leaves them.
        let got = batch(
            &kept,
            7,
            &[("a", "s"), ("b", "s")],
            &[("a", "s", 1), ("b", "s", 2)],
            9,
        );
        assert_eq!(took(&got, "a"), None);
        // The next batch finds the version the last one left: it takes its pairs, once.
        let mut b = KeptPairs::begin(&kept, 9);
        assert_eq!(b.take("a", "s"), Some(look(1)));
        assert_eq!(b.take("a", "s"), None, "taken once");
        b.written(10);
        // "a" left nothing known (it changed): forgotten; "b" still kept.
        let got = batch(&kept, 10, &[("a", "s"), ("b", "s")], &[("b", "s", 3)], 11);
        assert_eq!(took(&got, "a"), None);
        assert_eq!(took(&got, "b"), Some(look(2)));
        // Someone else wrote (12, not 11): everything forgotten.
        let got = batch(&kept, 12, &[("b", "s")], &[], 13);
        assert_eq!(took(&got, "b"), None);
        assert_eq!(KeptPairs::lock(&kept).taken(), 2);
    }

    #[test]
    fn a_batch_forgets_what_another_kept_of_its_pairs_meanwhile() {
        let kept = Mutex::new(KeptPairs::default());
        batch(&kept, 1, &[("a", "s")], &[("a", "s", 1)], 2);
        // Batch X takes "a" at 2; before X commits, batch Y (which committed before X
        // began) keeps "a" as of 2.
        let mut x = KeptPairs::begin(&kept, 2);
        assert!(x.take("a", "s").is_some());
        batch(&kept, 2, &[], &[("a", "s", 5)], 2);
        // X commits knowing nothing of "a": Y's look of it is gone too.
        x.written(3);
        let got = batch(&kept, 3, &[("a", "s")], &[], 4);
        assert_eq!(took(&got, "a"), None);
    }

    #[test]
    fn no_more_than_the_limit_is_kept() {
        let kept = Mutex::new(KeptPairs::default());
        let names: Vec<String> = (0..PAIRS_KEPT + 5).map(|i| format!("c{i}")).collect();
        let mut b = KeptPairs::begin(&kept, 1);
        for (i, n) in names.iter().enumerate() {
            b.leave(n, "s", look(i as i64));
        }
        b.written(2);
        assert_eq!(KeptPairs::lock(&kept).len, PAIRS_KEPT);
    }
}
