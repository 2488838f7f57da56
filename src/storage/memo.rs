//! What pages compute from the data and may keep between requests: the reference data
//! (catalog tables), each check's state as of a date, timeline pages, a check's
//! transitions, and the status changes the charts draw.
//!
//! Everything is kept under the database's [data version](Store::data_version), which
//! triggers raise on every write by anyone, so nothing kept outlives the data it came from;
//! the reference data under the catalog's own version, which only catalog writes raise, so
//! probes writing every second do not make every page read the catalog again. A request
//! reads both versions once, when it takes its [`Reads`]; every kept result it asks for
//! afterwards is looked up under them (a page used to read the version once per kept
//! result, about eight times for the overview).
//!
//! A state "as of" an instant is kept under the time of the latest observation at or
//! before it: every instant between two observations has the same state, so "now" on one
//! request and "now" on the next share one entry until something new is observed.
//!
//! A state as of a settled instant (more than [`SETTLED_AFTER`] before the database's
//! clock) is kept under the settled past's version instead (migration 0025), which only
//! writes reaching more than a day back raise: a probe storing what it sees now leaves it
//! alone, so a matrix at a past date, or the overview's "then", is not computed again
//! after each probe write. Why two days: a write that leaves that version alone touches
//! nothing earlier than a day before its own clock, and a writing transaction is assumed
//! to commit within a day of its write; so nothing written since the state was read
//! reaches back to its instant.
//!
//! The overview's weekly openness series keeps its points of settled days the same way
//! (migration 0029 raises that version for a transition dated in the settled past too: a
//! change confirmed late); after a probe's write only the weeks since are counted again,
//! from the changes after the last settled point. Those changes and the evidence times the
//! series reads are kept under the catalog's version and the sum of the population's own
//! versions (as its current states are): a write to another check of the kind leaves them.
//!
//! What a check's page reads of that one check (a page of its history and the changes it
//! marks, each source's latest changes and transitions and their count) is kept under the
//! catalog's version and the check's own version ([`CheckVersion`]: its writes and its
//! observations, which together grow with every write to its observations or transitions),
//! not the data version: a probe writing other checks leaves it, and of a check written ten
//! times a second every request between two writes shares one read. Reads that end at an
//! instant are kept so only for a current instant (nothing observed after it: every "now"),
//! where the end does not matter.
//!
//! The bounded maps are [`quick_cache`]'s (CLOCK-Pro eviction; concurrent requests for one
//! missing entry wait for the first one's read instead of all reading the database).

use super::{CheckVersion, CurrentVersions, StateFilter, StorageError, Store, TimelineQuery};
use crate::charts::data::{OpennessPoint, SettledOpenness, weekly_openness};
use crate::domain::{Check, CheckState, Kind};
use crate::domain::{EvidenceTimes, ObservationRecord, Reference, StatusChange, TransitionRecord};
use crate::time::{self, SHANGHAI};
use chrono::{DateTime, Utc};
use quick_cache::sync::Cache;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// States kept at most (dates × filters).
const MAX_STATES: usize = 64;
/// Timeline pages kept at most (filters × pages × dates).
const MAX_TIMELINES: usize = 128;
/// Kinds whose status changes are kept at most.
const MAX_KINDS: usize = 16;
/// Pages of single checks' histories kept at most (50 observations each).
const MAX_CHECK_PAGES: usize = 64;
/// Other reads of single checks kept at most (a source's changes, its transitions, their
/// count: a check page makes two or three per source).
const MAX_CHECK_READS: usize = 256;

/// How long before the database's clock an instant is settled: see the module's notes.
pub const SETTLED_AFTER: chrono::TimeDelta = chrono::TimeDelta::days(2);

/// Longer timeline reads (deep pages) are not kept: memory stays bounded.
const MAX_KEPT_ROWS: usize = 2_000;

/// A timeline page with the total the filters select.
pub type TimelinePage = (Vec<TransitionRecord>, i64);

/// A state's key: the filter, and the latest observation's time at or before the date.
type StateKey = (StateFilter, Option<DateTime<Utc>>);

/// A settled state's key: the catalog's version (checks and sources are joined), the
/// filter and the instant.
type SettledKey = (i64, StateFilter, DateTime<Utc>);

/// A settled weekly series' key: the catalog's version, the kind, a hash of the checks
/// counted, the staleness threshold and the settled instant (the start of a Beijing day).
type SettledSeriesKey = (i64, String, u64, u32, DateTime<Utc>);

/// Each check's state built from a kept state: the state's key and a hash of the checks.
type CheckStatesKey = (StateKey, u64);
/// The same from a settled state.
type SettledCheckStatesKey = (SettledKey, u64);
/// Each check's current state (nothing observed after the instant asked), under the
/// catalog's version: the filter, a hash of the checks and the sum of their own versions.
type CurrentCheckStatesKey = (StateFilter, u64, CheckVersion);
/// A read of one check kept under the catalog's version: the check, its own version and
/// the read's other arguments (a current instant's end left out).
type OfCheck<K> = (String, CheckVersion, K);
/// A map of reads of single checks.
type CheckCache<K, V> = Cache<Versioned<OfCheck<K>>, V>;
/// A page of a check's history and how many observations it has in all.
pub type HistoryPage = Arc<(Vec<ObservationRecord>, i64)>;
/// A source's latest changes: when and to what, newest first.
pub type LatestChanges = Arc<Vec<(DateTime<Utc>, String)>>;

/// The real observations' count, under the catalog's version: the sum of the real checks'
/// own versions.
type RealCountKey = (u64, CheckVersion);

/// A read of a kind for a population of its checks, under the catalog's version: the kind,
/// a hash of the checks, the sum of their own versions and the read's other argument.
type PopulationKey<K> = (String, u64, CheckVersion, K);
/// Status changes, oldest first.
type Changes = Arc<Vec<StatusChange>>;

/// Where a state is kept: see [`Reads::state_key`].
enum StateAt {
    Settled(SettledKey),
    Versioned(StateKey),
}

/// Every check's state by check id.
pub type CheckStates = Arc<HashMap<String, CheckState>>;

/// Every kept entry is keyed by the data version it was read at, so an entry of older data
/// is never found by a request that saw a newer version.
type Versioned<K> = (i64, K);

/// Results kept between requests while the data stays the same. Shared by every clone of
/// one web state; obtain a request's view with [`Memo::reads`].
pub struct Memo {
    /// The newest data version any request has seen; entries of older versions are dropped
    /// when it moves.
    newest: AtomicI64,
    /// The same for the catalog's version (what the reference is kept under).
    newest_catalog: AtomicI64,
    /// The same for the settled past's version (what settled states are kept under).
    newest_past: AtomicI64,
    /// How many times the data version was read (one per request).
    version_reads: AtomicU64,
    reference: Cache<Versioned<()>, Arc<Reference>>,
    /// The reference without the checks of simulated platforms.
    real_reference: Cache<Versioned<()>, Arc<Reference>>,
    states: Cache<Versioned<StateKey>, Arc<Vec<ObservationRecord>>>,
    /// States as of settled instants, under the settled past's version.
    settled_states: Cache<Versioned<SettledKey>, Arc<Vec<ObservationRecord>>>,
    /// Each check's state, built from `states` for a population of checks.
    check_states: Cache<Versioned<CheckStatesKey>, CheckStates>,
    /// The same from `settled_states`.
    settled_check_states: Cache<Versioned<SettledCheckStatesKey>, CheckStates>,
    /// Each check's current state, under the catalog's version and the checks' own
    /// versions: it outlives writes to other checks.
    current_check_states: Cache<Versioned<CurrentCheckStatesKey>, CheckStates>,
    /// The newest observation's time and each check's own version, read once per data
    /// version.
    current_versions: Cache<Versioned<()>, Arc<CurrentVersions>>,
    /// Keyed by the query with its end replaced by the latest transition's time at or
    /// before it (nothing lies between: the same page).
    timelines: Cache<Versioned<String>, Arc<TimelinePage>>,
    /// The timeline's counts of changes and first sightings, keyed as `timelines`.
    timeline_counts: Cache<Versioned<String>, (i64, i64)>,
    /// Real confirmed changes by kind (the charts).
    changes: Cache<Versioned<String>, Arc<Vec<StatusChange>>>,
    /// When evidence was seen (the charts' stale bands), by kind and threshold.
    evidence: Cache<Versioned<(Option<String>, u32)>, Arc<EvidenceTimes>>,
    /// Weekly openness points of settled days, under the settled past's version.
    settled_series: Cache<Versioned<SettledSeriesKey>, Arc<Option<SettledOpenness>>>,
    /// What check pages read of one check, under the catalog's version and the check's
    /// own: a page of its history (limit, offset) and the changes its rows made, each
    /// source's latest changes and transitions (limit) and their count.
    check_history: CheckCache<(i64, i64), HistoryPage>,
    check_made_by: CheckCache<Vec<i64>, Arc<HashMap<i64, Option<String>>>>,
    check_changes: CheckCache<(String, i64), LatestChanges>,
    check_transitions: CheckCache<(String, i64), Arc<Vec<TransitionRecord>>>,
    check_transition_counts: CheckCache<String, i64>,
    /// The real observations' count, under the catalog's version and the real checks' own.
    real_count: Cache<Versioned<RealCountKey>, i64>,
    /// Evidence times of a kind as a population of its checks uses them, under the
    /// catalog's version and the population's own versions.
    population_evidence: Cache<Versioned<PopulationKey<u32>>, Arc<EvidenceTimes>>,
    /// Changes of a kind after an instant as a population uses them, keyed the same way.
    population_later: Cache<Versioned<PopulationKey<Option<DateTime<Utc>>>>, Changes>,
}

impl Default for Memo {
    fn default() -> Memo {
        Memo {
            newest: AtomicI64::new(i64::MIN),
            newest_catalog: AtomicI64::new(i64::MIN),
            newest_past: AtomicI64::new(i64::MIN),
            version_reads: AtomicU64::new(0),
            reference: Cache::new(2),
            real_reference: Cache::new(2),
            states: Cache::new(MAX_STATES),
            settled_states: Cache::new(MAX_STATES),
            check_states: Cache::new(MAX_STATES),
            settled_check_states: Cache::new(MAX_STATES),
            current_check_states: Cache::new(MAX_STATES),
            current_versions: Cache::new(2),
            timelines: Cache::new(MAX_TIMELINES),
            timeline_counts: Cache::new(MAX_TIMELINES),
            changes: Cache::new(MAX_KINDS),
            evidence: Cache::new(MAX_KINDS),
            settled_series: Cache::new(MAX_KINDS),
            check_history: Cache::new(MAX_CHECK_PAGES),
            check_made_by: Cache::new(MAX_CHECK_PAGES),
            check_changes: Cache::new(MAX_CHECK_READS),
            check_transitions: Cache::new(MAX_CHECK_READS),
            check_transition_counts: Cache::new(MAX_CHECK_READS),
            real_count: Cache::new(2),
            population_evidence: Cache::new(MAX_KINDS),
            population_later: Cache::new(MAX_KINDS),
        }
    }
}

impl std::fmt::Debug for Memo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Memo")
            .field("newest", &self.newest.load(Ordering::Relaxed))
            .field("states", &self.states.len())
            .field("settled_states", &self.settled_states.len())
            .field("timelines", &self.timelines.len())
            .finish_non_exhaustive()
    }
}

impl Memo {
    /// A request's view of the data: reads the data version once; every kept result asked
    /// for through it is the one computed at that version (or is computed and kept).
    pub async fn reads(self: &Arc<Self>, store: &Store) -> Result<Reads, StorageError> {
        let versions = store.data_versions().await?;
        let (version, catalog_version) = (versions.data, versions.catalog);
        self.version_reads.fetch_add(1, Ordering::Relaxed);
        if self.newest.fetch_max(version, Ordering::AcqRel) < version {
            // Newer data: what was kept is of no use any more.
            self.clear();
        }
        if self
            .newest_catalog
            .fetch_max(catalog_version, Ordering::AcqRel)
            < catalog_version
        {
            self.reference.clear();
            self.real_reference.clear();
            self.current_check_states.clear();
            self.check_history.clear();
            self.check_made_by.clear();
            self.check_changes.clear();
            self.check_transitions.clear();
            self.check_transition_counts.clear();
            self.real_count.clear();
            self.population_evidence.clear();
            self.population_later.clear();
        }
        if self.newest_past.fetch_max(versions.past, Ordering::AcqRel) < versions.past {
            self.settled_states.clear();
            self.settled_check_states.clear();
            self.settled_series.clear();
        }
        Ok(Reads {
            store: store.clone(),
            memo: self.clone(),
            current: Arc::new(tokio::sync::OnceCell::new()),
            version,
            catalog_version,
            past_version: versions.past,
            settled_before: versions.now - SETTLED_AFTER,
        })
    }

    /// How many times the data version has been read through this memo.
    pub fn version_reads(&self) -> u64 {
        self.version_reads.load(Ordering::Relaxed)
    }

    /// Drops what was read from observations (the reference stays: it has its own version).
    fn clear(&self) {
        self.states.clear();
        self.check_states.clear();
        self.current_versions.clear();
        self.timelines.clear();
        self.timeline_counts.clear();
        self.changes.clear();
        self.evidence.clear();
    }
}

/// One request's reads: the data version read once, the store, and what is kept.
#[derive(Clone)]
pub struct Reads {
    store: Store,
    memo: Arc<Memo>,
    /// [`Reads::current_versions`] as this request got it: asked for by several reads of
    /// one page, read (or taken from the memo) once.
    current: Arc<tokio::sync::OnceCell<Arc<CurrentVersions>>>,
    version: i64,
    catalog_version: i64,
    past_version: i64,
    /// Instants before this one are settled (see the module's notes).
    settled_before: DateTime<Utc>,
}

impl std::fmt::Debug for Reads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reads")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

/// Looks `key` up in `cache`; on a miss runs `read` and keeps its result when `keep` says
/// so. Concurrent misses of one key wait for the first read. A request that saw an older
/// version than the `newest` seen reads without keeping: its result may be stale for the
/// others.
async fn kept<K, V, F>(
    newest: &AtomicI64,
    cache: &Cache<Versioned<K>, V>,
    version: i64,
    key: K,
    read: F,
    keep: impl FnOnce(&V) -> bool,
) -> Result<V, StorageError>
where
    K: Hash + Eq + Clone,
    V: Clone,
    F: Future<Output = Result<V, StorageError>>,
{
    if newest.load(Ordering::Acquire) > version {
        return read.await;
    }
    let key = (version, key);
    match cache.get_value_or_guard_async(&key).await {
        Ok(v) => Ok(v),
        Err(guard) => {
            let v = read.await?;
            if keep(&v) {
                let _ = guard.insert(v.clone());
            }
            Ok(v)
        }
    }
}

impl Reads {
    /// The store, for reads that are not kept.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The data version this request reads at.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The reference data (catalog tables).
    pub async fn reference(&self) -> Result<Arc<Reference>, StorageError> {
        let read = async { Ok(Arc::new(self.store.reference().await?)) };
        kept(
            &self.memo.newest_catalog,
            &self.memo.reference,
            self.catalog_version,
            (),
            read,
            |_| true,
        )
        .await
    }

    /// The reference data without the checks of simulated platforms (what real figures
    /// count).
    pub async fn real_reference(&self) -> Result<Arc<Reference>, StorageError> {
        let read = async {
            let full = self.reference().await?;
            let mut real = (*full).clone();
            real.checks.retain(|c| !full.is_simulated_check(c));
            Ok(Arc::new(real))
        };
        kept(
            &self.memo.newest_catalog,
            &self.memo.real_reference,
            self.catalog_version,
            (),
            read,
            |_| true,
        )
        .await
    }

    /// Where a state as of `at` is kept: a settled instant under the settled past's
    /// version, any other under the data version and the latest observation's time at or
    /// before `at` (read here, once).
    async fn state_key(
        &self,
        at: DateTime<Utc>,
        filter: &StateFilter,
    ) -> Result<StateAt, StorageError> {
        Ok(if at < self.settled_before {
            StateAt::Settled((self.catalog_version, filter.clone(), at))
        } else {
            StateAt::Versioned((filter.clone(), self.store.latest_observation_at(at).await?))
        })
    }

    /// [`Store::state_as_of`], kept: under the settled past's version when `at` is
    /// settled, else under the data version.
    pub async fn state_as_of(
        &self,
        at: DateTime<Utc>,
        filter: &StateFilter,
    ) -> Result<Arc<Vec<ObservationRecord>>, StorageError> {
        let key = self.state_key(at, filter).await?;
        self.state_kept(at, filter, &key).await
    }

    /// The state as of `at`, kept under `key` ([`Reads::state_key`]).
    async fn state_kept(
        &self,
        at: DateTime<Utc>,
        filter: &StateFilter,
        key: &StateAt,
    ) -> Result<Arc<Vec<ObservationRecord>>, StorageError> {
        let read = async { Ok(Arc::new(self.store.state_as_of(at, filter).await?)) };
        match key {
            StateAt::Settled(k) => {
                kept(
                    &self.memo.newest_past,
                    &self.memo.settled_states,
                    self.past_version,
                    k.clone(),
                    read,
                    |_| true,
                )
                .await
            }
            StateAt::Versioned(k) => {
                kept(
                    &self.memo.newest,
                    &self.memo.states,
                    self.version,
                    k.clone(),
                    read,
                    |_| true,
                )
                .await
            }
        }
    }

    /// Each of `checks`' state ([`crate::state::states`]) from [`Reads::state_as_of`],
    /// kept under the same key (with the checks'): pages ask for the same states several
    /// times a request (the overview's now, then and requirements).
    ///
    /// A current state (nothing observed after `at`, the usual "now") is kept under the
    /// catalog's version and the sum of the checks' own versions ([`CheckVersion`]), not
    /// the data version: writes to other checks leave it, any write to one of the checks
    /// (a version only grows) makes it read again. Its rows are read after the versions,
    /// never taken from what was kept under the data version, so a state is never older
    /// than the versions it is kept under.
    pub async fn check_states(
        &self,
        at: DateTime<Utc>,
        filter: &StateFilter,
        checks: &[&Check],
    ) -> Result<CheckStates, StorageError> {
        if at >= self.settled_before {
            let current = self.current_versions().await?;
            if current.newest_observation.is_none_or(|newest| newest <= at) {
                let versions: CheckVersion = checks
                    .iter()
                    .map(|c| current.checks.get(&c.id).copied().unwrap_or_default())
                    .sum();
                let build = async {
                    let rows = self.store.state_as_of(at, filter).await?;
                    Ok(Arc::new(crate::state::states(checks.iter().copied(), rows)))
                };
                return kept(
                    &self.memo.newest_catalog,
                    &self.memo.current_check_states,
                    self.catalog_version,
                    (filter.clone(), population_hash(checks), versions),
                    build,
                    |_| true,
                )
                .await;
            }
        }
        let key = self.state_key(at, filter).await?;
        let build = async {
            let rows = self.state_kept(at, filter, &key).await?;
            Ok(Arc::new(crate::state::states(
                checks.iter().copied(),
                (*rows).clone(),
            )))
        };
        let population = population_hash(checks);
        match &key {
            StateAt::Settled(k) => {
                kept(
                    &self.memo.newest_past,
                    &self.memo.settled_check_states,
                    self.past_version,
                    (k.clone(), population),
                    build,
                    |_| true,
                )
                .await
            }
            StateAt::Versioned(k) => {
                kept(
                    &self.memo.newest,
                    &self.memo.check_states,
                    self.version,
                    (k.clone(), population),
                    build,
                    |_| true,
                )
                .await
            }
        }
    }

    /// [`Store::current_versions`], read once per data version, and once per request at
    /// most (a request that saw an older data version than another keeps nothing in the
    /// memo, and a page asks for the versions for several reads).
    async fn current_versions(&self) -> Result<Arc<CurrentVersions>, StorageError> {
        self.current
            .get_or_try_init(|| async {
                let read = async { Ok(Arc::new(self.store.current_versions().await?)) };
                kept(
                    &self.memo.newest,
                    &self.memo.current_versions,
                    self.version,
                    (),
                    read,
                    |_| true,
                )
                .await
            })
            .await
            .cloned()
    }

    /// The check's own version when what is read of it up to `until` may be kept under it
    /// (`None`: read it afresh): always for a read without an end, and for an end that is
    /// current (not settled, and nothing observed after it; no transition either, each
    /// being dated at one of the check's observations), where the end changes nothing.
    async fn check_version(
        &self,
        check_id: &str,
        until: Option<DateTime<Utc>>,
    ) -> Result<Option<CheckVersion>, StorageError> {
        if until.is_some_and(|at| at < self.settled_before) {
            return Ok(None);
        }
        let current = self.current_versions().await?;
        if let Some(at) = until
            && current.newest_observation.is_some_and(|newest| newest > at)
        {
            return Ok(None);
        }
        Ok(Some(
            current.checks.get(check_id).copied().unwrap_or_default(),
        ))
    }

    /// `read` kept in `cache` under the catalog's version, `check_id` and the check's own
    /// `version` (read before `read` runs, so nothing kept is older than its key), or
    /// read afresh without a version.
    async fn of_check<K, V, F>(
        &self,
        cache: &CheckCache<K, V>,
        check_id: &str,
        version: Option<CheckVersion>,
        key: K,
        read: F,
    ) -> Result<V, StorageError>
    where
        K: Hash + Eq + Clone,
        V: Clone,
        F: Future<Output = Result<V, StorageError>>,
    {
        match version {
            None => read.await,
            Some(v) => {
                kept(
                    &self.memo.newest_catalog,
                    cache,
                    self.catalog_version,
                    (check_id.to_string(), v, key),
                    read,
                    |_| true,
                )
                .await
            }
        }
    }

    /// [`Store::check_history`], kept under the check's own version.
    pub async fn check_history(
        &self,
        check_id: &str,
        limit: i64,
        offset: i64,
    ) -> Result<HistoryPage, StorageError> {
        let version = self.check_version(check_id, None).await?;
        let read = async {
            Ok(Arc::new(
                self.store.check_history(check_id, limit, offset).await?,
            ))
        };
        self.of_check(
            &self.memo.check_history,
            check_id,
            version,
            (limit, offset),
            read,
        )
        .await
    }

    /// [`Store::transitions_made_by`] for observations of `check_id` (a page of its
    /// history), kept under the check's own version.
    pub async fn transitions_made_by(
        &self,
        check_id: &str,
        observation_ids: &[i64],
    ) -> Result<Arc<HashMap<i64, Option<String>>>, StorageError> {
        let version = self.check_version(check_id, None).await?;
        let read = async {
            Ok(Arc::new(
                self.store.transitions_made_by(observation_ids).await?,
            ))
        };
        self.of_check(
            &self.memo.check_made_by,
            check_id,
            version,
            observation_ids.to_vec(),
            read,
        )
        .await
    }

    /// [`Store::latest_changes`], kept under the check's own version when `until` is
    /// current.
    pub async fn latest_changes(
        &self,
        check_id: &str,
        source_key: &str,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<LatestChanges, StorageError> {
        let version = self.check_version(check_id, Some(until)).await?;
        let read = async {
            Ok(Arc::new(
                self.store
                    .latest_changes(check_id, source_key, until, limit)
                    .await?,
            ))
        };
        self.of_check(
            &self.memo.check_changes,
            check_id,
            version,
            (source_key.to_string(), limit),
            read,
        )
        .await
    }

    /// [`Store::latest_transitions`], kept under the check's own version when `until` is
    /// current.
    pub async fn latest_transitions(
        &self,
        check_id: &str,
        source_key: &str,
        until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Arc<Vec<TransitionRecord>>, StorageError> {
        let version = self.check_version(check_id, Some(until)).await?;
        let read = async {
            Ok(Arc::new(
                self.store
                    .latest_transitions(check_id, source_key, until, limit)
                    .await?,
            ))
        };
        self.of_check(
            &self.memo.check_transitions,
            check_id,
            version,
            (source_key.to_string(), limit),
            read,
        )
        .await
    }

    /// [`Store::transition_count`], kept under the check's own version when `until` is
    /// current.
    pub async fn transition_count(
        &self,
        check_id: &str,
        source_key: &str,
        until: DateTime<Utc>,
    ) -> Result<i64, StorageError> {
        let version = self.check_version(check_id, Some(until)).await?;
        let read = self.store.transition_count(check_id, source_key, until);
        self.of_check(
            &self.memo.check_transition_counts,
            check_id,
            version,
            source_key.to_string(),
            read,
        )
        .await
    }

    /// [`Store::real_observation_count`], kept under the catalog's version and the sum of
    /// the real checks' own versions (`real_checks`: the reference's checks without those
    /// of simulated platforms, the population the count sums): a write to a simulated
    /// check leaves it.
    pub async fn real_observation_count(&self, real_checks: &[Check]) -> Result<i64, StorageError> {
        let (population, versions) = self
            .population_versions(&real_checks.iter().collect::<Vec<_>>())
            .await?;
        kept(
            &self.memo.newest_catalog,
            &self.memo.real_count,
            self.catalog_version,
            (population, versions),
            self.store.real_observation_count(),
            |_| true,
        )
        .await
    }

    /// [`Store::timeline`], kept unless the page is long.
    pub async fn timeline(&self, q: &TimelineQuery) -> Result<Arc<TimelinePage>, StorageError> {
        let mut keyed = q.clone();
        let latest = self.store.latest_transition_at(q.until).await?;
        // Before any transition the page is empty whatever the end: one key for all.
        keyed.until = latest.unwrap_or(DateTime::<Utc>::MIN_UTC);
        let key = format!("{keyed:?}");
        let read = async { Ok(Arc::new(self.store.timeline(q).await?)) };
        kept(
            &self.memo.newest,
            &self.memo.timelines,
            self.version,
            key,
            read,
            |page: &Arc<TimelinePage>| page.0.len() <= MAX_KEPT_ROWS,
        )
        .await
    }

    /// [`Store::timeline_counts`], kept under the same key as [`Reads::timeline`].
    pub async fn timeline_counts(&self, q: &TimelineQuery) -> Result<(i64, i64), StorageError> {
        let mut keyed = q.clone();
        let latest = self.store.latest_transition_at(q.until).await?;
        keyed.until = latest.unwrap_or(DateTime::<Utc>::MIN_UTC);
        // Counts whatever the page, the length or the kind of entries shown.
        keyed.limit = 0;
        keyed.offset = 0;
        keyed.entries = super::TimelineEntries::All;
        let key = format!("{keyed:?}");
        let read = self.store.timeline_counts(q);
        kept(
            &self.memo.newest,
            &self.memo.timeline_counts,
            self.version,
            key,
            read,
            |_| true,
        )
        .await
    }

    /// Every real confirmed change of `kind` ([`Store::status_changes`]), kept unless
    /// there are more than `max_rows` of them.
    pub async fn status_changes(
        &self,
        kind: &str,
        max_rows: usize,
    ) -> Result<Arc<Vec<StatusChange>>, StorageError> {
        let read = async { Ok(Arc::new(self.store.status_changes(kind, None).await?)) };
        kept(
            &self.memo.newest,
            &self.memo.changes,
            self.version,
            kind.to_string(),
            read,
            |rows: &Arc<Vec<StatusChange>>| rows.len() <= max_rows,
        )
        .await
    }

    /// [`weekly_openness`] of `checks` (all of `kind`) up to `end`, with
    /// evidence thresholds of `stale_after_days`. The points of days that ended before the
    /// settled instant are kept under the settled past's version, so after a probe's write
    /// only the last weeks are counted again, from the changes since (a short read). An
    /// `end` before the settled instant, or history longer than `max_rows` changes, is
    /// counted from every change.
    #[allow(clippy::too_many_arguments)]
    pub async fn weekly_openness(
        &self,
        kind: &Kind,
        checks: &[&Check],
        stale_after_days: u32,
        end_day: chrono::NaiveDate,
        end: DateTime<Utc>,
        max_rows: usize,
    ) -> Result<Vec<OpennessPoint>, StorageError> {
        let evidence = self
            .evidence_times_of(kind, checks, stale_after_days)
            .await?;
        // The settled instant rounded down to the start of its Beijing day: one key a day.
        let before = time::start_of_day(time::shanghai_day(self.settled_before), SHANGHAI);
        if end >= before {
            let read = async {
                let changes = self.store.status_changes(&kind.id, Some(before)).await?;
                Ok(Arc::new(SettledOpenness::new(
                    kind,
                    checks,
                    &changes,
                    &evidence,
                    stale_after_days,
                    before,
                )))
            };
            let settled = kept(
                &self.memo.newest_past,
                &self.memo.settled_series,
                self.past_version,
                (
                    self.catalog_version,
                    kind.id.clone(),
                    population_hash(checks),
                    stale_after_days,
                    before,
                ),
                read,
                |_| true,
            )
            .await?;
            if let Some(settled) = settled.as_ref() {
                let after = settled.applied_until();
                let later = self
                    .status_changes_after_of(kind, checks, after, max_rows)
                    .await?;
                if let Some(points) = settled.finish(
                    kind,
                    checks,
                    &later,
                    &evidence,
                    stale_after_days,
                    end_day,
                    end,
                ) {
                    return Ok(points);
                }
            }
        }
        let changes = self.status_changes(&kind.id, max_rows).await?;
        Ok(weekly_openness(
            kind,
            checks,
            &changes,
            &evidence,
            stale_after_days,
            end_day,
            end,
        ))
    }

    /// The sum of `checks`' own versions (0031, 0034) and a hash naming them.
    async fn population_versions(
        &self,
        checks: &[&Check],
    ) -> Result<(u64, CheckVersion), StorageError> {
        let current = self.current_versions().await?;
        let versions = checks
            .iter()
            .map(|c| current.checks.get(&c.id).copied().unwrap_or_default())
            .sum();
        Ok((population_hash(checks), versions))
    }

    /// [`Store::evidence_times`] of `kind` as the weekly series of `checks` (all of that
    /// kind) uses it: kept under the catalog's version and the sum of the checks' own
    /// versions, so writes to the kind's other checks (a simulated platform's) leave it.
    /// Only the entries of `checks` are as new as that key: entries of the kind's other
    /// checks may be older, and are not to be read from it.
    pub async fn evidence_times_of(
        &self,
        kind: &Kind,
        checks: &[&Check],
        min_gap_days: u32,
    ) -> Result<Arc<EvidenceTimes>, StorageError> {
        let (population, versions) = self.population_versions(checks).await?;
        let read = async {
            Ok(Arc::new(
                self.store
                    .evidence_times(Some(&kind.id), min_gap_days)
                    .await?,
            ))
        };
        kept(
            &self.memo.newest_catalog,
            &self.memo.population_evidence,
            self.catalog_version,
            (kind.id.clone(), population, versions, min_gap_days),
            read,
            |_| true,
        )
        .await
    }

    /// [`Store::status_changes_after`] of `kind` as the weekly series of `checks` (all of
    /// that kind) uses it, kept as [`Reads::evidence_times_of`] is (unless there are more
    /// than `max_rows`): only the changes of `checks` are as new as its key.
    pub async fn status_changes_after_of(
        &self,
        kind: &Kind,
        checks: &[&Check],
        after: Option<DateTime<Utc>>,
        max_rows: usize,
    ) -> Result<Arc<Vec<StatusChange>>, StorageError> {
        let (population, versions) = self.population_versions(checks).await?;
        let read = async {
            Ok(Arc::new(
                self.store.status_changes_after(&kind.id, after).await?,
            ))
        };
        kept(
            &self.memo.newest_catalog,
            &self.memo.population_later,
            self.catalog_version,
            (kind.id.clone(), population, versions, after),
            read,
            |rows: &Arc<Vec<StatusChange>>| rows.len() <= max_rows,
        )
        .await
    }

    /// [`Store::evidence_times`], kept.
    pub async fn evidence_times(
        &self,
        kind: Option<&str>,
        min_gap_days: u32,
    ) -> Result<Arc<EvidenceTimes>, StorageError> {
        let read = async {
            Ok(Arc::new(
                self.store.evidence_times(kind, min_gap_days).await?,
            ))
        };
        kept(
            &self.memo.newest,
            &self.memo.evidence,
            self.version,
            (kind.map(str::to_string), min_gap_days),
            read,
            |_| true,
        )
        .await
    }
}

/// Names a population of checks (their ids in order) within one key.
fn population_hash(checks: &[&Check]) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default()
        .hash_one(checks.iter().map(|c| c.id.as_str()).collect::<Vec<_>>())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A miss waits for a read already under way rather than reading again, and a read
    /// that is not to be kept leaves the next request to read for itself.
    #[tokio::test]
    async fn misses_are_read_once_and_kept_only_when_asked() {
        let memo = Memo::default();
        let reads = std::sync::atomic::AtomicUsize::new(0);
        let read = || async {
            reads.fetch_add(1, Ordering::SeqCst);
            Ok::<_, StorageError>(Arc::new(vec![1, 2, 3]))
        };
        let cache: Cache<Versioned<String>, Arc<Vec<i32>>> = Cache::new(4);
        for _ in 0..3 {
            let v = kept(&memo.newest, &cache, 1, "k".into(), read(), |_| true)
                .await
                .unwrap();
            assert_eq!(*v, vec![1, 2, 3]);
        }
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        for _ in 0..2 {
            kept(&memo.newest, &cache, 1, "big".into(), read(), |_| false)
                .await
                .unwrap();
        }
        assert_eq!(reads.load(Ordering::SeqCst), 3);
        // Another version is another entry.
        kept(&memo.newest, &cache, 2, "k".into(), read(), |_| true)
            .await
            .unwrap();
        assert_eq!(reads.load(Ordering::SeqCst), 4);
    }

    /// A request that saw an older version than another reads without keeping.
    #[tokio::test]
    async fn an_older_request_keeps_nothing() {
        let memo = Memo::default();
        memo.newest.store(5, Ordering::SeqCst);
        let cache: Cache<Versioned<String>, Arc<Vec<i32>>> = Cache::new(4);
        let read = || async { Ok::<_, StorageError>(Arc::new(vec![1])) };
        kept(&memo.newest, &cache, 4, "k".into(), read(), |_| true)
            .await
            .unwrap();
        assert!(cache.is_empty());
        kept(&memo.newest, &cache, 5, "k".into(), read(), |_| true)
            .await
            .unwrap();
        assert_eq!(cache.len(), 1);
    }
}
