//! What pages compute from the data and may keep between requests: the reference data
//! (catalog tables), each check's state as of a date, and the status changes the charts
//! draw. All of it is kept under the database's [data version](Store::data_version), which
//! triggers raise on every write by anyone, so nothing kept outlives the data it came from.
//!
//! A state "as of" an instant is kept under the time of the latest observation at or
//! before it: every instant between two observations has the same state, so "now" on one
//! request and "now" on the next share one entry until something new is observed.

use crate::charts::data::StatusChange;
use crate::storage::{
    ObservationRecord, Reference, StateFilter, StorageError, Store, TimelineQuery, TransitionRecord,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// States kept at most (dates × filters); beyond it the oldest half is dropped.
const MAX_STATES: usize = 64;
/// Checks whose transitions are kept at most; beyond it the oldest half is dropped.
const MAX_CHECKS: usize = 64;
/// Timeline pages kept at most (filters × pages × dates); beyond it the oldest half goes.
const MAX_TIMELINES: usize = 128;

/// Longer timeline reads (deep pages) are not kept, nor checks with more than
/// `MAX_KEPT_TRANSITIONS`: memory stays bounded (about 600,000 rows at most in all).
const MAX_KEPT_ROWS: usize = 2_000;
const MAX_KEPT_TRANSITIONS: usize = 5_000;

/// A timeline page with the total the filters select.
pub type TimelinePage = (Vec<TransitionRecord>, i64);

/// Shared by every clone of one [`super::AppState`].
#[derive(Default)]
pub struct Memo {
    inner: Mutex<Inner>,
}

/// A state's key: the filter, and the latest observation's time at or before the date.
type StateKey = (StateFilter, Option<DateTime<Utc>>);

#[derive(Default)]
struct Inner {
    /// The data version everything below was computed at.
    version: Option<i64>,
    reference: Option<Arc<Reference>>,
    /// The same without the checks of simulated platforms.
    real_reference: Option<Arc<Reference>>,
    /// Keyed by the filter and the latest observation's time at or before the date asked
    /// for (`None`: no observation that early). The number orders entries by insertion.
    states: HashMap<StateKey, (u64, Arc<Vec<ObservationRecord>>)>,
    inserted: u64,
    /// Real confirmed changes by kind (the charts).
    changes: HashMap<String, Arc<Vec<StatusChange>>>,
    /// A check's transitions (its page and its chart), by check id, ordered as `states`.
    transitions: HashMap<String, (u64, Arc<Vec<TransitionRecord>>)>,
    /// Timeline pages, keyed by the query with its end replaced by the latest transition's
    /// time at or before it (nothing lies between: the same page).
    timelines: HashMap<String, (u64, Arc<TimelinePage>)>,
}

/// Inserts into a map bounded to `max` entries, dropping the older half when full.
fn insert_bounded<K: std::hash::Hash + Eq, V>(
    map: &mut HashMap<K, (u64, V)>,
    counter: &mut u64,
    max: usize,
    key: K,
    value: V,
) {
    if map.len() >= max {
        let mut order: Vec<u64> = map.values().map(|e| e.0).collect();
        order.sort_unstable();
        let cut = order[order.len() / 2];
        map.retain(|_, e| e.0 >= cut);
    }
    *counter += 1;
    map.insert(key, (*counter, value));
}

impl Memo {
    /// Runs `f` on what is kept if it was computed at `version` (a lock poisoned by a
    /// panic elsewhere counts as nothing kept).
    fn with<T>(&self, version: i64, f: impl FnOnce(&Inner) -> Option<T>) -> Option<T> {
        let guard = self.inner.lock().ok()?;
        if guard.version == Some(version) {
            f(&guard)
        } else {
            None
        }
    }

    /// Keeps a result read after `version` was: it holds at least that version's data.
    /// An older memo is dropped first; under a newer one (another request saw a later
    /// write) the result is not kept.
    fn keep(&self, version: i64, f: impl FnOnce(&mut Inner)) {
        let Ok(mut guard) = self.inner.lock() else {
            return;
        };
        match guard.version {
            Some(v) if v > version => return,
            Some(v) if v == version => {}
            _ => {
                *guard = Inner {
                    version: Some(version),
                    ..Inner::default()
                }
            }
        }
        f(&mut guard);
    }

    /// The reference data.
    pub async fn reference(&self, store: &Store) -> Result<Arc<Reference>, StorageError> {
        let version = store.data_version().await?;
        if let Some(r) = self.with(version, |m| m.reference.clone()) {
            return Ok(r);
        }
        let r = Arc::new(store.reference().await?);
        self.keep(version, |m| m.reference = Some(r.clone()));
        Ok(r)
    }

    /// The reference data without the checks of simulated platforms.
    pub async fn real_reference(&self, store: &Store) -> Result<Arc<Reference>, StorageError> {
        let version = store.data_version().await?;
        if let Some(r) = self.with(version, |m| m.real_reference.clone()) {
            return Ok(r);
        }
        let full = self.reference(store).await?;
        let mut real = (*full).clone();
        real.checks.retain(|c| !full.is_simulated_check(c));
        let real = Arc::new(real);
        self.keep(version, |m| m.real_reference = Some(real.clone()));
        Ok(real)
    }

    /// [`Store::state_as_of`], kept.
    pub async fn state_as_of(
        &self,
        store: &Store,
        at: DateTime<Utc>,
        filter: &StateFilter,
    ) -> Result<Arc<Vec<ObservationRecord>>, StorageError> {
        let version = store.data_version().await?;
        let key = (filter.clone(), store.latest_observation_at(at).await?);
        if let Some(rows) = self.with(version, |m| m.states.get(&key).map(|e| e.1.clone())) {
            return Ok(rows);
        }
        let rows = Arc::new(store.state_as_of(at, filter).await?);
        self.keep(version, |m| {
            insert_bounded(
                &mut m.states,
                &mut m.inserted,
                MAX_STATES,
                key,
                rows.clone(),
            );
        });
        Ok(rows)
    }

    /// [`Store::timeline`], kept.
    pub async fn timeline(
        &self,
        store: &Store,
        q: &TimelineQuery,
    ) -> Result<Arc<TimelinePage>, StorageError> {
        let version = store.data_version().await?;
        let mut keyed = q.clone();
        let latest = store.latest_transition_at(q.until).await?;
        // Before any transition the page is empty whatever the end: one key for all.
        keyed.until = latest.unwrap_or(DateTime::<Utc>::MIN_UTC);
        let key = format!("{keyed:?}");
        if let Some(page) = self.with(version, |m| m.timelines.get(&key).map(|e| e.1.clone())) {
            return Ok(page);
        }
        let page = Arc::new(store.timeline(q).await?);
        if page.0.len() > MAX_KEPT_ROWS {
            return Ok(page);
        }
        self.keep(version, |m| {
            insert_bounded(
                &mut m.timelines,
                &mut m.inserted,
                MAX_TIMELINES,
                key,
                page.clone(),
            );
        });
        Ok(page)
    }

    /// [`Store::transitions`] of one check, kept.
    pub async fn transitions(
        &self,
        store: &Store,
        check_id: &str,
    ) -> Result<Arc<Vec<TransitionRecord>>, StorageError> {
        let version = store.data_version().await?;
        if let Some(rows) = self.with(version, |m| {
            m.transitions.get(check_id).map(|e| e.1.clone())
        }) {
            return Ok(rows);
        }
        let rows = Arc::new(store.transitions(check_id).await?);
        if rows.len() > MAX_KEPT_TRANSITIONS {
            return Ok(rows);
        }
        self.keep(version, |m| {
            let key = check_id.to_string();
            insert_bounded(
                &mut m.transitions,
                &mut m.inserted,
                MAX_CHECKS,
                key,
                rows.clone(),
            );
        });
        Ok(rows)
    }

    /// Every real confirmed change of `kind` ([`Store::status_changes`]), kept unless
    /// there are more than `max_rows` of them.
    pub async fn status_changes(
        &self,
        store: &Store,
        kind: &str,
        max_rows: usize,
    ) -> Result<Arc<Vec<StatusChange>>, StorageError> {
        let version = store.data_version().await?;
        if let Some(rows) = self.with(version, |m| m.changes.get(kind).cloned()) {
            return Ok(rows);
        }
        let rows = Arc::new(store.status_changes(kind, None).await?);
        if rows.len() <= max_rows {
            self.keep(version, |m| {
                m.changes.insert(kind.to_string(), rows.clone());
            });
        }
        Ok(rows)
    }
}
