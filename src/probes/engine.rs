//! The probe engine: runs a pack for a schedule slot (fetch, control, classify off the
//! async runtime, snapshot, store with evidence), resumes a run interrupted by a restart,
//! and reclassifies stored snapshots under today's rules.

use super::bounded::{Budget, ParseLimits};
use super::classify::{self, Classification, cap};
use super::fetch::{FetchSettings, Fetcher};
use super::pack::{ProbePack, RequestTemplate, Target};
use super::{FailureClass, FetchError, Hop, Response};
use crate::domain::evidence::{self, EVIDENCE_VERSION, Evidence, Figure};
use crate::domain::{NewObservation, ObservationRecord, Precision, ProbeFacts, SourceKind};
use crate::storage::snapshots;
use crate::storage::{
    Backend, FinishedRun, LeaseHolder, NewSnapshot, ProbeRow, RunStart, StorageError, Store,
    run_key,
};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Results are written in batches of at least this many checks (one transaction each)…
/// A batch's statements cost the database about as much for 64 checks as for 256 (a seek
/// or an upsert per pair aside): on PostgreSQL, `bench probes --cashier`, 100 rounds, 64
/// took 1,878–2,133 server CPU ticks (~0.4 ms a page), 256 took 1,607–1,812; 512 no fewer.
const WRITE_BATCH: usize = 256;
/// … taking in whatever else arrived while the last batch was written, up to this many:
/// when the database is slower than the probes, batches grow instead of the results
/// queueing behind one small transaction after another (`bench probes --cashier`,
/// PostgreSQL: 503 → 670 pages/s, each transaction a few round trips; SQLite, 100 rounds:
/// 1,677 → 2,094 pages/s, each commit writing every page it changed to the log). On SQLite
/// this costs memory only since the batch writer reads without the memory map
/// (`SQLITE_WRITER_MMAP_BYTES`): with the map, the larger batches' pages took peak memory to
/// 183 MiB.
const MAX_WRITE_BATCH: usize = 512;
/// Pages' results a writer's queue holds (a page's checks each).
const WRITE_QUEUE: usize = 256;
/// Writers of one run on PostgreSQL, each with its own connection: one writer's transactions
/// kept the database to one of the machine's two cores.
const POSTGRES_WRITERS: usize = 2;
/// … or as soon as no result has arrived for this long…
const IDLE_FLUSH: std::time::Duration = std::time::Duration::from_millis(200);
/// … or once the first result held has waited this long, however slowly results arrive
/// (slow targets answering one after another would otherwise hold a batch for minutes).
const MAX_HOLD: std::time::Duration = std::time::Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The run could not even be recorded as started: nothing was probed.
    #[error("the run could not start: {0}")]
    CannotBegin(StorageError),
    /// The run went on, but its results were not all stored; it is marked failed.
    #[error("the run failed to store its results: {0}")]
    NotStored(String),
    /// The engine is stopping (shutdown); the run is left to be resumed.
    #[error("the run was stopped: Hutong is shutting down")]
    Stopped,
    /// Another worker holds the run's lease: it is not touched.
    #[error("the run is held by worker {worker}")]
    HeldElsewhere { worker: String },
    #[error("no probe pack \"{0}\"")]
    UnknownPack(String),
    #[error(
        "pack \"{pack}\" is simulated and no simulator is running (use `hutong serve --demo`, or set probes.simulator)"
    )]
    NoSimulator { pack: String },
}

/// What one run did.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    pub pack_id: String,
    pub slot: DateTime<Utc>,
    /// Skipped: the slot had already been run to the end.
    pub already_finished: bool,
    /// Checks already stored by an interrupted run of this slot.
    pub resumed: usize,
    pub observed: usize,
    pub failures: usize,
    pub results: Vec<CheckResult>,
}

/// One check's verdict in a run, for summaries.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    pub check_id: String,
    pub status: String,
    pub failure: Option<String>,
    pub confirmed: bool,
    pub rule: Option<String>,
    pub excerpt: Option<String>,
}

/// Shared by the scheduler, the CLI and the benchmark.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    packs: Vec<Arc<ProbePack>>,
    fetcher: Fetcher,
    /// Requests for simulated packs go through the simulator (as an HTTP proxy).
    sim_fetcher: Option<Fetcher>,
    vantage: String,
    /// The worker (and its lease) runs are held by; `None` outside `hutong worker`.
    holder: Option<LeaseHolder>,
    global: Semaphore,
    /// Classification and compression in parallel, per pack: one per core, so that many
    /// pages in flight do not become many threads fighting over two cores, and so that one
    /// pack's hostile pages never hold up another pack.
    cpu: HashMap<String, Arc<Semaphore>>,
    /// How much tree and time one page may cost.
    limits: ParseLimits,
    /// Set once the process is stopping: classification stops at its next check.
    stop: Arc<AtomicBool>,
    /// Snapshot hashes known to be stored (bounded): identical bodies are compressed once.
    stored: Mutex<HashSet<String>>,
    /// Per request URL, the last whole snapshot this engine stored of it: the next body of
    /// the same page is stored as a difference against it (bounded by bytes; a page not
    /// kept here is stored whole and becomes its base).
    bases: quick_cache::sync::Cache<String, Arc<SnapshotBase>, BaseWeight>,
    /// Whether bases keep their raw body (PostgreSQL; see [`SnapshotBase`]).
    raw_bases: bool,
}

/// A whole snapshot kept as the base of the next bodies of its page. On SQLite only as it is
/// stored (compressed), decompressed for each body compared with it (about 0.02 ms of CPU
/// a 30 KiB cashier page): the raw bodies held about 15 MiB for the bench's 500 pages,
/// which the process also holding the database's pages could not spare (peak memory
/// 145–149 MiB, the target 150). On PostgreSQL, where the process's CPU is the bound and
/// memory is not (about 110 MiB), the raw body is kept too.
struct SnapshotBase {
    sha256: String,
    body: BaseBody,
    /// Its stored (compressed) bytes: a difference is kept only when it is at most a
    /// quarter of these.
    stored_bytes: usize,
}

/// A base's body, raw or as stored ([`snapshots::compress_whole`]) with its raw length.
enum BaseBody {
    Raw(Vec<u8>),
    Compressed { whole: Vec<u8>, size: usize },
}

impl SnapshotBase {
    /// Its body, decompressed if need be; `None` if it does not decompress.
    fn body(&self) -> Option<std::borrow::Cow<'_, [u8]>> {
        match &self.body {
            BaseBody::Raw(raw) => Some(std::borrow::Cow::Borrowed(raw)),
            BaseBody::Compressed { whole, size } => {
                snapshots::decompress_whole(whole, *size).map(std::borrow::Cow::Owned)
            }
        }
    }
}

/// Bases are weighed by the bytes they hold.
#[derive(Clone)]
struct BaseWeight;

impl quick_cache::Weighter<String, Arc<SnapshotBase>> for BaseWeight {
    fn weight(&self, key: &String, base: &Arc<SnapshotBase>) -> u64 {
        let held = match &base.body {
            BaseBody::Raw(raw) => raw.len(),
            BaseBody::Compressed { whole, .. } => whole.len(),
        };
        (key.len() + held) as u64
    }
}

/// The bytes of bases kept: about 2,000 cashier pages either way (raw: 30 KiB each;
/// compressed: about 4 KiB).
const BASE_BYTES_RAW: u64 = 64 * 1024 * 1024;
const BASE_BYTES_COMPRESSED: u64 = 8 * 1024 * 1024;
/// A difference larger than this share of its base's stored bytes is not worth it: the
/// body is stored whole and becomes the page's new base.
const DELTA_SHARE: usize = 4;

impl Engine {
    pub fn new(
        store: Store,
        packs: Vec<ProbePack>,
        fetcher: Fetcher,
        sim_fetcher: Option<Fetcher>,
        vantage: &str,
        concurrency: usize,
    ) -> Engine {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let raw_bases = store.backend() == Backend::Postgres;
        let cpu = packs
            .iter()
            .map(|p| (p.id.clone(), Arc::new(Semaphore::new(cores))))
            .collect();
        Engine {
            inner: Arc::new(Inner {
                store,
                packs: packs.into_iter().map(Arc::new).collect(),
                fetcher,
                sim_fetcher,
                vantage: vantage.to_string(),
                holder: None,
                global: Semaphore::new(concurrency.max(1)),
                cpu,
                limits: ParseLimits::default(),
                stop: Arc::new(AtomicBool::new(false)),
                stored: Mutex::new(HashSet::new()),
                bases: quick_cache::sync::Cache::with_weighter(
                    2048,
                    if raw_bases {
                        BASE_BYTES_RAW
                    } else {
                        BASE_BYTES_COMPRESSED
                    },
                    BaseWeight,
                ),
                raw_bases,
            }),
        }
    }

    /// The same engine with other parse limits (tests, benchmarks). Call it before the
    /// engine is cloned; on a shared engine it changes nothing.
    pub fn with_parse_limits(mut self, limits: ParseLimits) -> Engine {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.limits = limits;
        }
        self
    }

    /// The same engine holding its runs as worker `holder` (leases). Call it before the
    /// engine is cloned; on a shared engine it changes nothing.
    pub fn with_holder(mut self, holder: LeaseHolder) -> Engine {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.holder = Some(holder);
        }
        self
    }

    /// The worker this engine holds its runs as, in `hutong worker`.
    pub fn holder_id(&self) -> Option<&str> {
        self.inner.holder.as_ref().map(|h| h.worker_id.as_str())
    }

    /// The vantage point this engine probes from.
    pub fn vantage(&self) -> &str {
        &self.inner.vantage
    }

    /// Stops the engine for good (shutdown): classifications in flight stop at their next
    /// check, runs in flight end with [`EngineError::Stopped`] and are resumed at the next
    /// start.
    pub fn stop(&self) {
        self.inner.stop.store(true, Ordering::Relaxed);
    }

    fn stopping(&self) -> bool {
        self.inner.stop.load(Ordering::Relaxed)
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn packs(&self) -> &[Arc<ProbePack>] {
        &self.inner.packs
    }

    pub fn pack(&self, id: &str) -> Option<Arc<ProbePack>> {
        self.inner.packs.iter().find(|p| p.id == id).cloned()
    }

    pub fn has_simulator(&self) -> bool {
        self.inner.sim_fetcher.is_some()
    }

    /// Runs (or resumes) `pack` for `slot`. `only_check` limits the run to targets
    /// deciding that check. `progress` is called once per target done.
    pub async fn run_pack(
        &self,
        pack_id: &str,
        slot: DateTime<Utc>,
        trigger: &str,
        only_check: Option<&str>,
        progress: &(dyn Fn(&CheckResult) + Sync),
    ) -> Result<RunSummary, EngineError> {
        let result = self
            .run_pack_uncounted(pack_id, slot, trigger, only_check, progress)
            .await;
        let outcome = match &result {
            Ok(s) if s.already_finished => "already_finished",
            Ok(_) => "finished",
            Err(EngineError::Stopped) => "stopped",
            Err(EngineError::UnknownPack(_)) => return result,
            Err(_) => "failed",
        };
        crate::metrics::probe_run(pack_id, &self.inner.vantage, outcome);
        result
    }

    async fn run_pack_uncounted(
        &self,
        pack_id: &str,
        slot: DateTime<Utc>,
        trigger: &str,
        only_check: Option<&str>,
        progress: &(dyn Fn(&CheckResult) + Sync),
    ) -> Result<RunSummary, EngineError> {
        let pack = self
            .pack(pack_id)
            .ok_or_else(|| EngineError::UnknownPack(pack_id.to_string()))?;
        let fetcher = if pack.simulated {
            self.inner
                .sim_fetcher
                .clone()
                .ok_or_else(|| EngineError::NoSimulator {
                    pack: pack.id.clone(),
                })?
        } else {
            self.inner.fetcher.clone()
        };
        let targets: Vec<usize> = pack
            .targets
            .iter()
            .enumerate()
            .filter(|(_, t)| only_check.is_none_or(|c| t.checks.iter().any(|x| x.check_id == c)))
            .map(|(i, _)| i)
            .collect();
        let planned: usize = targets.iter().map(|&i| pack.targets[i].checks.len()).sum();
        let slot = slot.with_nanosecond_zeroed();
        let mut summary = RunSummary {
            pack_id: pack.id.clone(),
            slot,
            already_finished: false,
            resumed: 0,
            observed: 0,
            failures: 0,
            results: Vec::new(),
        };
        if self.stopping() {
            return Err(EngineError::Stopped);
        }
        let store = &self.inner.store;
        let (run_id, done) = match store
            .begin_run(
                &pack.id,
                &self.inner.vantage,
                slot,
                trigger,
                planned as i64,
                self.inner.holder.as_ref(),
            )
            .await
            .map_err(EngineError::CannotBegin)?
        {
            RunStart::HeldElsewhere { worker, .. } => {
                return Err(EngineError::HeldElsewhere { worker });
            }
            RunStart::AlreadyFinished(_) => {
                summary.already_finished = true;
                return Ok(summary);
            }
            RunStart::Fresh(id) => (id, HashSet::new()),
            RunStart::Resumed { id, done } => (id, done.into_iter().collect::<HashSet<_>>()),
        };
        summary.resumed = done.len();
        let todo: Vec<usize> = targets
            .into_iter()
            .filter(|&i| {
                pack.targets[i]
                    .checks
                    .iter()
                    .any(|c| !done.contains(&c.check_id))
            })
            .collect();

        // The bridge itself, first: a known-good link it does not let through makes every
        // verdict of the run `unknown`.
        let bridge = match &pack.in_app_control {
            Some(known_good) if !todo.is_empty() => Some(Arc::new(
                self.in_app_control(&pack, known_good, &fetcher).await,
            )),
            _ => None,
        };
        let concurrency = pack.per_host_concurrency.max(1) * 4;
        let mut results = futures_util::stream::iter(todo.into_iter().map(|i| {
            let pack = pack.clone();
            let fetcher = fetcher.clone();
            let bridge = bridge.clone();
            async move {
                let probed = self
                    .probe_target(&pack, i, &fetcher, bridge.as_deref())
                    .await;
                (i, probed)
            }
        }))
        .buffer_unordered(concurrency);

        // Writer tasks store results in batches while probes go on fetching: one on SQLite
        // (it writes one transaction at a time), several on PostgreSQL, each page's results
        // always to the same one (so no two of them ever write one pair).
        let writer_count = match store.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => POSTGRES_WRITERS,
        };
        let (txs, writers): (Vec<_>, Vec<_>) =
            (0..writer_count).map(|_| self.spawn_writer()).unzip();
        let mut write_failed = false;
        let mut stopped = false;
        while let Some((target, probed)) = results.next().await {
            if self.stopping() || probed.stopped {
                // Shutting down: what was stored stays, the rest is probed on resume.
                stopped = true;
                break;
            }
            let mut batch = Vec::new();
            for (obs, result) in self.observations(&pack, slot, &probed) {
                if done.contains(&obs.check_id) {
                    continue;
                }
                if result.failure.is_some() {
                    summary.failures += 1;
                }
                crate::metrics::probe_verdict(
                    &pack.id,
                    &self.inner.vantage,
                    &result.status,
                    result.failure.as_deref(),
                );
                summary.observed += 1;
                progress(&result);
                summary.results.push(result);
                batch.push(obs);
            }
            // Made ready to store here, beside the batch being written (`ProbeRow`).
            let batch = ProbeRow::all(batch);
            if txs[writer_for(target, txs.len())]
                .send((probed.snapshot, batch))
                .await
                .is_err()
            {
                write_failed = true;
                break;
            }
        }
        drop(results);
        drop(txs);
        let written = join_writers(writers).await;
        if stopped {
            // Left running: the next start of the scheduler resumes it.
            return Err(EngineError::Stopped);
        }
        let (stored, not_stored) = match written {
            Ok(Ok(report)) if !write_failed => (report.stored, report.problem()),
            Ok(Ok(report)) => (
                report.stored,
                Some(
                    report
                        .problem()
                        .unwrap_or_else(|| "the result writer stopped".into()),
                ),
            ),
            Ok(Err((report, e))) => (
                report.stored,
                Some(match report.problem() {
                    Some(p) => format!("{e}; {p}"),
                    None => e.to_string(),
                }),
            ),
            Err(e) => (0, Some(format!("the result writer stopped: {e}"))),
        };
        let earlier_failures = if done.is_empty() {
            0
        } else {
            match store
                .run_observations_at(&pack.id, &self.inner.vantage, slot)
                .await
            {
                Ok(obs) => obs
                    .iter()
                    .filter(|o| done.contains(&o.check_id) && o.failure.is_some())
                    .count(),
                Err(e) => {
                    tracing::warn!(pack = %pack.id, %slot, "cannot count the resumed run's failures: {e}");
                    0
                }
            }
        };
        let total_failures = summary.failures + earlier_failures;
        let finished = FinishedRun {
            id: run_id,
            pack_id: pack.id.clone(),
            slot,
            done: (stored + summary.resumed) as i64,
            failures: total_failures as i64,
            detail: not_stored.clone().map(|d| cap(&d, 2000)),
            finished_at: Utc::now(),
        };
        // A run is never left `running`: when even its end cannot be written, it is kept
        // in memory (and shown) until the database takes it.
        if let Err(e) = store.finish_run_or_keep(finished).await {
            tracing::error!(
                pack = %pack.id, %slot,
                "the end of the run cannot be written yet (kept in memory until it can): {e}"
            );
        }
        if let Some(reason) = not_stored {
            return Err(EngineError::NotStored(reason));
        }
        summary.results.sort_by(|a, b| a.check_id.cmp(&b.check_id));
        Ok(summary)
    }

    /// A task that writes results in batches of [`WRITE_BATCH`] checks (up to
    /// [`MAX_WRITE_BATCH`] when more are waiting), or whatever is ready when
    /// nothing has arrived for [`IDLE_FLUSH`] (a slow target) or the oldest result held
    /// has waited [`MAX_HOLD`] (see [`Hold`]), so that a stop loses as little as possible
    /// and results reach the pages soon. It ends with what it stored, or with the error that
    /// stopped it (the database failing, not one observation it refused).
    fn spawn_writer(
        &self,
    ) -> (
        tokio::sync::mpsc::Sender<ToWrite>,
        tokio::task::JoinHandle<WriterOutcome>,
    ) {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<ToWrite>(WRITE_QUEUE);
        let engine = self.clone();
        let handle = tokio::spawn(async move {
            let mut report = WriteReport::default();
            let mut snaps: Vec<NewSnapshot> = Vec::new();
            let mut obs: Vec<ProbeRow> = Vec::new();
            let mut hold = Hold::default();
            let result = async {
                loop {
                    let wait = hold.wait(std::time::Instant::now());
                    match tokio::time::timeout(wait, rx.recv()).await {
                        Ok(Some((snap, batch))) => {
                            hold.took(std::time::Instant::now());
                            snaps.extend(snap);
                            obs.extend(batch);
                            // What else arrived meanwhile joins this batch.
                            while obs.len() < MAX_WRITE_BATCH {
                                match rx.try_recv() {
                                    Ok((snap, batch)) => {
                                        snaps.extend(snap);
                                        obs.extend(batch);
                                    }
                                    Err(_) => break,
                                }
                            }
                            if hold.due(obs.len(), std::time::Instant::now()) {
                                engine.flush(&mut snaps, &mut obs, &mut report).await?;
                                hold = Hold::default();
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            engine.flush(&mut snaps, &mut obs, &mut report).await?;
                            hold = Hold::default();
                        }
                    }
                }
                engine.flush(&mut snaps, &mut obs, &mut report).await
            }
            .await;
            match result {
                Ok(()) => Ok(report),
                Err(e) => Err((report, e)),
            }
        });
        (tx, handle)
    }

    /// Writes a batch in one transaction. When the database refuses the batch because of
    /// what is in it (not because it is failing), each observation is written on its own,
    /// so one bad target never loses the others; those refused are named in the report.
    async fn flush(
        &self,
        snaps: &mut Vec<NewSnapshot>,
        obs: &mut Vec<ProbeRow>,
        report: &mut WriteReport,
    ) -> Result<(), StorageError> {
        if obs.is_empty() && snaps.is_empty() {
            return Ok(());
        }
        snaps.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        snaps.dedup_by(|a, b| a.sha256 == b.sha256);
        let store = &self.inner.store;
        let mut wait = std::time::Duration::from_millis(100);
        let mut conflicts = 0;
        let written = loop {
            match store.insert_probe_rows(snaps, obs).await {
                // The database rolled the batch back to settle a conflict with another
                // writer: nothing of it was stored, so it is written again.
                Err(e) if e.is_rolled_back_by_conflict() && conflicts < 5 => {
                    conflicts += 1;
                    tracing::warn!("probe results rolled back by a conflict ({e}); writing again");
                    tokio::time::sleep(std::time::Duration::from_millis(20 * conflicts)).await;
                }
                // A worker holds its run under a lease: while the database is away it keeps
                // its results and tries again (its heartbeats stop meanwhile, so a run held
                // too long is taken over, and this one aborted, by another worker).
                Err(e) if e.is_unavailable() && self.inner.holder.is_some() && !self.stopping() => {
                    tracing::warn!(
                        "probe results wait for the database ({e}); retrying in {wait:?}"
                    );
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(std::time::Duration::from_secs(5));
                }
                other => break other,
            }
        };
        match written {
            Ok(_) => {
                report.stored += obs.len();
                self.remember(snaps);
            }
            Err(e) if e.is_about_the_data() => {
                tracing::warn!(
                    "a batch of probe results was refused ({e}): storing them one by one"
                );
                for row in obs.iter() {
                    let o = row.observation();
                    let sha = o.probe.as_ref().and_then(|p| p.snapshot.as_deref());
                    let snap: Vec<NewSnapshot> = snaps
                        .iter()
                        .filter(|s| Some(s.sha256.as_str()) == sha)
                        .cloned()
                        .collect();
                    match store
                        .insert_probe_rows(&snap, std::slice::from_ref(row))
                        .await
                    {
                        Ok(_) => {
                            report.stored += 1;
                            self.remember(&snap);
                        }
                        Err(e) if e.is_about_the_data() => {
                            report.refused.push((o.check_id.clone(), e.to_string()));
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
            Err(e) => return Err(e),
        }
        snaps.clear();
        obs.clear();
        Ok(())
    }

    fn remember(&self, snaps: &[NewSnapshot]) {
        if let Ok(mut stored) = self.inner.stored.lock() {
            if stored.len() > 100_000 {
                stored.clear();
            }
            stored.extend(snaps.iter().map(|s| s.sha256.clone()));
        }
    }

    /// Probes one target; when the run's in-app control was not let through, its verdict
    /// is `unknown` / `bridge_failed`, and the evidence says what the control met.
    async fn probe_target(
        &self,
        pack: &Arc<ProbePack>,
        index: usize,
        fetcher: &Fetcher,
        bridge: Option<&ControlResult>,
    ) -> Probed {
        let mut probed = self.probe_target_itself(pack, index, fetcher).await;
        if let Some(b) = bridge {
            if !b.ok && !probed.stopped && probed.classification.failure().is_none() {
                let was = probed.classification.status().to_string();
                probed.classification.downgrade(
                    FailureClass::BridgeFailed,
                    format!(
                        "the in-app control {} was not let through the same bridge ({}), so \"{was}\" says nothing about the target",
                        cap(&b.url, 200),
                        b.detail
                    ),
                );
            }
            let mut ev = Evidence::from_json((*probed.evidence).clone()).unwrap_or_default();
            ev.in_app_control = Some(b.evidence());
            if !b.ok {
                ev.detail = probed
                    .classification
                    .detail
                    .as_deref()
                    .map(|d| cap(d, 1000));
            }
            probed.evidence = Arc::new(ev.to_json());
        }
        probed
    }

    /// Sends the pack's known-good link through the request template: let through (the
    /// top status of the ladder, by the pack's own rules) or not.
    async fn in_app_control(
        &self,
        pack: &ProbePack,
        known_good: &Target,
        fetcher: &Fetcher,
    ) -> ControlResult {
        let url = pack.request.url_for(known_good);
        let fetched = {
            let _permit = self.inner.global.acquire().await;
            fetcher.fetch(&url, &settings(pack, &pack.request)).await
        };
        let response = match fetched {
            Ok(r) => r,
            Err(e) => {
                return ControlResult {
                    url: known_good.url.clone(),
                    status: None,
                    ok: false,
                    failure: Some(e.class),
                    detail: format!("{}: {}", e.class, cap(&e.detail, 200)),
                };
            }
        };
        let work_pack = pack.clone();
        let target = known_good.clone();
        let limits = self.inner.limits;
        let status = response.status;
        let classified = tokio::task::spawn_blocking(move || {
            classify::classify_within(&work_pack, &target, &response, &Budget::new(limits))
        })
        .await;
        let (ok, failure, detail) = match classified {
            Ok(c) if c.failure().is_none() && c.status() == pack.top_status => {
                (true, None, format!("let through: {}", c.status()))
            }
            Ok(c) => (
                false,
                c.failure(),
                match c.failure() {
                    Some(f) => format!("{f}"),
                    None => format!(
                        "intercepted: {} by rule {}",
                        c.status(),
                        c.rule.as_deref().unwrap_or("?")
                    ),
                },
            ),
            Err(_) => (false, Some(FailureClass::Decode), "not classified".into()),
        };
        ControlResult {
            url: known_good.url.clone(),
            status: Some(status),
            ok,
            failure,
            detail,
        }
    }

    /// Fetches, controls and classifies one target.
    async fn probe_target_itself(
        &self,
        pack: &Arc<ProbePack>,
        index: usize,
        fetcher: &Fetcher,
    ) -> Probed {
        let target = &pack.targets[index];
        let request_url = pack.request.url_for(target);
        let started = std::time::Instant::now();
        let fetched = {
            let _permit = self.inner.global.acquire().await;
            fetcher
                .fetch(&request_url, &settings(pack, &pack.request))
                .await
        };
        crate::metrics::fetch_latency(
            &pack.id,
            &self.inner.vantage,
            fetched.as_ref().map_or_else(|e| e.class.as_str(), |_| "ok"),
            started.elapsed(),
        );
        let observed_at = Utc::now();
        let failed = |c: Classification, error: Option<&FetchError>| Probed {
            stopped: false,
            observed_at,
            evidence: evidence_of(
                pack,
                &request_url,
                None,
                None,
                error,
                &c,
                None,
                started.elapsed().as_millis() as u64,
            ),
            classification: c,
            snapshot_sha: None,
            snapshot: None,
        };
        let response = match fetched {
            Err(e) => {
                return failed(
                    classify::classify_failure(target, e.class, &e.detail),
                    Some(&e),
                );
            }
            Ok(response) => response,
        };
        let sha256 = sha256_hex(&response.body);
        // The page's base, once it is known to be stored (a base still in an unwritten
        // batch could be lost with it).
        let (known, base) = match self.inner.stored.lock() {
            Ok(stored) => (
                stored.contains(&sha256),
                self.inner
                    .bases
                    .get(&request_url)
                    .filter(|b| stored.contains(&b.sha256)),
            ),
            Err(_) => (false, None),
        };
        // Parsing and compressing are CPU work: keep them off the async runtime, within
        // the pack's own share of the cores and the page's budget.
        let work_pack = pack.clone();
        let cpu = match self.inner.cpu.get(&pack.id) {
            Some(s) => s.clone(),
            None => Arc::new(Semaphore::new(1)),
        };
        let cpu = cpu.acquire_owned().await;
        let limits = self.inner.limits;
        let raw_bases = self.inner.raw_bases;
        let stop = self.inner.stop.clone();
        let joined = tokio::task::spawn_blocking(move || {
            let _cpu = cpu;
            let budget = Budget::new(limits).with_stop(stop);
            let c = classify::classify_within(
                &work_pack,
                &work_pack.targets[index],
                &response,
                &budget,
            );
            let (snapshot, new_base) = if known {
                (None, None)
            } else {
                let (s, b) = snapshot_of(&response, &sha256, base.as_deref(), raw_bases);
                (Some(s), b)
            };
            (c, response, sha256, snapshot, new_base)
        })
        .await;
        if self.stopping() {
            // The classification may have been cut short by the stop: not a verdict.
            return Probed {
                stopped: true,
                ..failed(
                    classify::classify_failure(target, FailureClass::TooComplex, "stopped"),
                    None,
                )
            };
        }
        let Ok((mut c, response, sha256, snapshot, new_base)) = joined else {
            return failed(
                classify::classify_failure(
                    target,
                    FailureClass::Decode,
                    "the page could not be classified (the classifier stopped)",
                ),
                None,
            );
        };
        if let Some(b) = new_base {
            self.inner.bases.insert(request_url.clone(), Arc::new(b));
        }
        let control = self.control(pack, target, &c, fetcher).await;
        if let Some(ctl) = &control
            && !ctl.ok
        {
            let was = c.status().to_string();
            if ctl.failure == Some(FailureClass::InternalAddress) {
                c.downgrade(
                    FailureClass::InternalAddress,
                    format!(
                        "the control request was refused ({}), so \"{was}\" cannot be checked",
                        ctl.detail
                    ),
                );
            } else {
                c.downgrade(
                    FailureClass::ControlFailed,
                    format!(
                        "the target itself did not answer ({}), so \"{was}\" cannot be told apart from a target that is down",
                        ctl.detail
                    ),
                );
            }
        }
        let evidence = evidence_of(
            pack,
            &request_url,
            Some(&response),
            Some(&sha256),
            None,
            &c,
            control.as_ref(),
            started.elapsed().as_millis() as u64,
        );
        Probed {
            stopped: false,
            observed_at,
            classification: c,
            evidence,
            snapshot_sha: Some(sha256),
            snapshot,
        }
    }

    /// Fetches the target itself when the verdict is a restriction (or a failure that a
    /// down target could explain).
    async fn control(
        &self,
        pack: &ProbePack,
        target: &Target,
        c: &Classification,
        fetcher: &Fetcher,
    ) -> Option<ControlResult> {
        let template = pack.control.as_ref()?;
        let status = c.status();
        if status == pack.top_status || c.failure().is_some() {
            return None;
        }
        let url = template.url_for(target);
        let _permit = self.inner.global.acquire().await;
        Some(match fetcher.fetch(&url, &settings(pack, template)).await {
            Ok(r) if r.status < 400 => ControlResult {
                url,
                status: Some(r.status),
                ok: true,
                failure: None,
                detail: format!("HTTP {}", r.status),
            },
            Ok(r) => ControlResult {
                url,
                status: Some(r.status),
                ok: false,
                failure: Some(FailureClass::HttpStatus),
                detail: format!("HTTP {}", r.status),
            },
            Err(e) => ControlResult {
                url,
                status: None,
                ok: false,
                failure: Some(e.class),
                detail: format!("{}: {}", e.class, cap(&e.detail, 200)),
            },
        })
    }

    /// The observations one probed target gives.
    fn observations(
        &self,
        pack: &ProbePack,
        slot: DateTime<Utc>,
        probed: &Probed,
    ) -> Vec<(NewObservation, CheckResult)> {
        let c = &probed.classification;
        c.verdicts
            .iter()
            .map(|v| {
                let obs = NewObservation {
                    check_id: v.check_id.clone(),
                    observed_at: probed.observed_at,
                    precision: Precision::Instant,
                    status: v.status.clone(),
                    source_kind: if pack.simulated {
                        SourceKind::Simulated
                    } else {
                        SourceKind::Probe
                    },
                    source_id: None,
                    vantage: self.inner.vantage.clone(),
                    quote: None,
                    note_en: c.detail.clone(),
                    note_zh: None,
                    evidence: Some(probed.evidence.clone()),
                    catalog_key: None,
                    probe: Some(ProbeFacts {
                        pack_id: pack.id.clone(),
                        rule_version: pack.version,
                        confirmed: v.confirmed,
                        failure: v.failure.map(|f| f.as_str().to_string()),
                        snapshot: probed.snapshot_sha.clone(),
                        reclassifies: None,
                        run_key: Some(run_key(&pack.id, &self.inner.vantage, slot, &v.check_id)),
                        confirmations: pack.confirmations,
                    }),
                };
                let result = CheckResult {
                    check_id: v.check_id.clone(),
                    status: v.status.clone(),
                    failure: v.failure.map(|f| f.as_str().to_string()),
                    confirmed: v.confirmed,
                    rule: c.rule.clone(),
                    excerpt: c.excerpt.clone(),
                };
                (obs, result)
            })
            .collect()
    }

    /// Re-runs today's rules over the stored snapshots of `pack_id`. Verdicts that differ
    /// replace the old ones as a method change (the old ones are kept, marked superseded);
    /// returns (checked, changed).
    pub async fn reclassify(&self, pack_id: &str) -> Result<(i64, i64), EngineError> {
        let pack = self
            .pack(pack_id)
            .ok_or_else(|| EngineError::UnknownPack(pack_id.to_string()))?;
        let store = &self.inner.store;
        let mut after = 0;
        let mut checked = 0i64;
        let mut changed = 0i64;
        let mut from_version: Option<i64> = None;
        let mut bodies: HashMap<String, Option<Vec<u8>>> = HashMap::new();
        let up_to = store.last_observation_id().await?;
        loop {
            let page = store.pack_observations(&pack.id, after, up_to, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let mut replacements = Vec::new();
            for old in &page {
                let Some(sha) = old.snapshot.clone() else {
                    continue;
                };
                if !bodies.contains_key(&sha) {
                    if bodies.len() > 256 {
                        bodies.clear();
                    }
                    // A snapshot that cannot be read is left out, as one never stored.
                    let body = match store.snapshot_body(&sha).await {
                        Ok(s) => s.map(|s| s.body),
                        Err(StorageError::Invalid(e)) => {
                            tracing::warn!("reclassifying {}: {e}", pack.id);
                            None
                        }
                        Err(e) => return Err(e.into()),
                    };
                    bodies.insert(sha.clone(), body);
                }
                let Some(Some(body)) = bodies.get(&sha) else {
                    continue;
                };
                checked += 1;
                if old.rule_version.is_some_and(|v| v != pack.version) {
                    from_version = from_version.min(old.rule_version).or(old.rule_version);
                }
                if let Some(new) = reclassified(&pack, old, body, self.inner.limits) {
                    changed += 1;
                    replacements.push(new);
                }
            }
            if !replacements.is_empty() {
                store.supersede(&replacements).await?;
            }
        }
        store
            .record_method_change(&pack.id, from_version, pack.version, checked, changed)
            .await?;
        Ok((checked, changed))
    }
}

/// The new observation when today's rules give a different verdict for `old`'s snapshot.
fn reclassified(
    pack: &ProbePack,
    old: &ObservationRecord,
    body: &[u8],
    limits: ParseLimits,
) -> Option<NewObservation> {
    let target = pack
        .targets
        .iter()
        .find(|t| t.checks.iter().any(|c| c.check_id == old.check_id))?;
    let ev = old.evidence.as_ref()?;
    let response = response_from_evidence(ev, body)?;
    let mut c = classify::classify_within(pack, target, &response, &Budget::new(limits));
    let control_failed = ev.control.as_ref().is_some_and(|c| c.ok == Some(false));
    let control_refused = ev.control.as_ref().and_then(|c| c.failure.as_deref())
        == Some(FailureClass::InternalAddress.as_str());
    if control_failed && c.failure().is_none() && c.status() != pack.top_status {
        if control_refused {
            c.downgrade(
                FailureClass::InternalAddress,
                "the control request was refused: it would have reached an internal address".into(),
            );
        } else {
            c.downgrade(
                FailureClass::ControlFailed,
                "the target itself did not answer when this page was fetched".into(),
            );
        }
    }
    if ev
        .in_app_control
        .as_ref()
        .is_some_and(|b| b.ok == Some(false))
        && c.failure().is_none()
    {
        c.downgrade(
            FailureClass::BridgeFailed,
            "the in-app control was not let through the bridge when this page was fetched".into(),
        );
    }
    let v = c.verdicts.iter().find(|v| v.check_id == old.check_id)?;
    let new_failure = v.failure.map(|f| f.as_str().to_string());
    if v.status == old.status && new_failure == old.failure && Some(v.confirmed) == old.confirmed {
        return None;
    }
    let evidence = Evidence {
        rule: c.rule.clone(),
        excerpt: c.excerpt.clone(),
        rule_version: Some(pack.version.into()),
        reclassified_from: Some(evidence::Reclassified {
            observation: Some(old.id.into()),
            status: Some(old.status.clone()),
            failure: old.failure.clone(),
            rule_version: old.rule_version.map(Figure::from),
        }),
        extracted: extracted_evidence(&c),
        v: EVIDENCE_VERSION,
        ..ev.clone()
    };
    Some(NewObservation {
        check_id: old.check_id.clone(),
        observed_at: old.observed_at,
        precision: Precision::Instant,
        status: v.status.clone(),
        source_kind: old.source_kind.parse().unwrap_or(SourceKind::Probe),
        source_id: None,
        vantage: old.vantage.clone(),
        quote: None,
        note_en: Some(format!(
            "reclassified under rule version {} (was {} under version {})",
            pack.version,
            old.status,
            old.rule_version.map_or("?".into(), |v| v.to_string())
        )),
        note_zh: None,
        evidence: Some(Arc::new(evidence.to_json())),
        catalog_key: None,
        probe: Some(ProbeFacts {
            pack_id: pack.id.clone(),
            rule_version: pack.version,
            confirmed: v.confirmed,
            failure: new_failure,
            snapshot: old.snapshot.clone(),
            reclassifies: Some(old.id),
            run_key: None,
            confirmations: pack.confirmations,
        }),
    })
}

/// Rebuilds the classified answer from stored evidence and the snapshot body; `None`
/// when the evidence lacks what a classification needs (the chain, the final URL, the
/// status, all as numbers where they are numbers).
pub fn response_from_evidence(ev: &Evidence, body: &[u8]) -> Option<Response> {
    let number = |f: &Option<Figure>| f.as_ref().and_then(Figure::number);
    let hops: Vec<Hop> = ev
        .hops
        .iter()
        .map(|h| {
            Some(Hop {
                url: h.url.clone()?,
                status: u16::try_from(number(&h.status)?).ok()?,
                location: h.location.clone(),
                elapsed_ms: u64::try_from(number(&h.elapsed_ms)?).ok()?,
            })
        })
        .collect::<Option<_>>()?;
    let final_url = ev.final_url.clone()?;
    let status = u16::try_from(number(&ev.status)?).ok()?;
    let charset = ev.charset.as_deref().unwrap_or("UTF-8");
    let encoding =
        encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap_or(encoding_rs::UTF_8);
    let (text, _, _) = encoding.decode(body);
    Some(Response {
        request_url: ev.request_url.clone().unwrap_or_else(|| final_url.clone()),
        hops,
        final_url,
        status,
        location: ev.location.clone(),
        content_type: ev.content_type.clone(),
        body: body.to_vec(),
        text: text.into_owned(),
        charset: encoding.name().to_string(),
        elapsed_ms: 0,
    })
}

/// What the writer stored, and what the database refused (check, why).
#[derive(Debug, Default)]
struct WriteReport {
    stored: usize,
    refused: Vec<(String, String)>,
}

/// When a writer's held results are written: at [`WRITE_BATCH`] checks, after [`IDLE_FLUSH`]
/// with nothing new, or once the first of them has waited [`MAX_HOLD`].
#[derive(Default, Debug)]
struct Hold {
    /// When the first result held arrived (none held: `None`).
    since: Option<std::time::Instant>,
}

impl Hold {
    /// How long to wait for the next result before writing what is held.
    fn wait(&self, now: std::time::Instant) -> std::time::Duration {
        match self.since {
            Some(since) => MAX_HOLD
                .saturating_sub(now.saturating_duration_since(since))
                .min(IDLE_FLUSH),
            None => IDLE_FLUSH,
        }
    }

    /// A result arrived at `now` (the first one held starts the clock).
    fn took(&mut self, now: std::time::Instant) {
        self.since.get_or_insert(now);
    }

    /// Whether `held` checks are written now.
    fn due(&self, held: usize, now: std::time::Instant) -> bool {
        held >= WRITE_BATCH
            || self
                .since
                .is_some_and(|since| now.saturating_duration_since(since) >= MAX_HOLD)
    }
}

/// Which of a run's `writers` stores the results of the pack's target `target` (its
/// position in the pack): a run fetches each target once, so two writers of a run never
/// write one pair.
pub fn writer_for(target: usize, writers: usize) -> usize {
    target % writers.max(1)
}

/// What a writer is given: a target's snapshot, if new, and its verdicts.
type ToWrite = (Option<NewSnapshot>, Vec<ProbeRow>);

/// How a writer ended: what it stored, or that with the error that stopped it.
type WriterOutcome = Result<WriteReport, (WriteReport, StorageError)>;

/// What the writers stored together, or the first error that stopped one of them (with
/// everything they stored, the others' included).
async fn join_writers(
    writers: Vec<tokio::task::JoinHandle<WriterOutcome>>,
) -> Result<WriterOutcome, tokio::task::JoinError> {
    let mut all = WriteReport::default();
    let mut failed: Option<StorageError> = None;
    for writer in writers {
        let (report, error) = match writer.await? {
            Ok(report) => (report, None),
            Err((report, e)) => (report, Some(e)),
        };
        all.stored += report.stored;
        all.refused.extend(report.refused);
        failed = failed.or(error);
    }
    Ok(match failed {
        Some(e) => Err((all, e)),
        None => Ok(all),
    })
}

impl WriteReport {
    /// The refused observations in words, when there are any.
    fn problem(&self) -> Option<String> {
        if self.refused.is_empty() {
            return None;
        }
        let named: Vec<String> = self
            .refused
            .iter()
            .take(5)
            .map(|(check, why)| format!("{check} ({})", cap(why, 200)))
            .collect();
        Some(format!(
            "{} result(s) were refused by the database and not stored: {}{}",
            self.refused.len(),
            named.join("; "),
            if self.refused.len() > 5 { "; …" } else { "" }
        ))
    }
}

struct Probed {
    /// The engine stopped while this target was classified: no verdict.
    stopped: bool,
    observed_at: DateTime<Utc>,
    classification: Classification,
    /// The evidence as stored: one, shared by every check the target decides.
    evidence: Arc<serde_json::Value>,
    snapshot_sha: Option<String>,
    snapshot: Option<NewSnapshot>,
}

#[derive(Debug, Clone)]
struct ControlResult {
    url: String,
    status: Option<u16>,
    ok: bool,
    /// Why it failed; `internal_address` makes the verdict that too.
    failure: Option<FailureClass>,
    detail: String,
}

/// The snapshot of a fetched body: a difference against the page's `base` when that is
/// small enough, else whole, and then also the page's new base.
fn snapshot_of(
    response: &Response,
    sha256: &str,
    base: Option<&SnapshotBase>,
    raw_bases: bool,
) -> (NewSnapshot, Option<SnapshotBase>) {
    let body = &response.body;
    let snapshot = |compressed: Vec<u8>, base_sha256: Option<String>| NewSnapshot {
        sha256: sha256.to_string(),
        size: body.len() as i64,
        content_type: response.content_type.clone(),
        compressed,
        base_sha256,
    };
    if let Some(base) = base
        && let Some(base_body) = base.body()
        && let Some(delta) = snapshots::compress_against(&base_body, body)
        && delta.len() * DELTA_SHARE <= base.stored_bytes
    {
        return (snapshot(delta, Some(base.sha256.clone())), None);
    }
    let whole = snapshots::compress_whole(body);
    let new_base = SnapshotBase {
        sha256: sha256.to_string(),
        body: if raw_bases {
            BaseBody::Raw(body.clone())
        } else {
            BaseBody::Compressed {
                whole: whole.clone(),
                size: body.len(),
            }
        },
        stored_bytes: whole.len(),
    };
    (snapshot(whole, None), Some(new_base))
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

fn settings(pack: &ProbePack, template: &RequestTemplate) -> FetchSettings {
    FetchSettings {
        method: template.method.clone(),
        headers: template.headers.clone(),
        follow_redirects: template.follow_redirects,
        max_redirects: pack.max_redirects,
        timeout: pack.timeout,
        max_body_bytes: pack.max_body_bytes,
        per_host_concurrency: pack.per_host_concurrency,
        min_host_spacing: pack.min_host_spacing,
    }
}

impl ControlResult {
    fn evidence(&self) -> evidence::Control {
        evidence::Control {
            detail: Some(self.detail.clone()),
            failure: self.failure.map(|f| f.as_str().to_string()),
            ok: Some(self.ok),
            status: self.status.map(Figure::from),
            url: Some(self.url.clone()),
        }
    }
}

/// The options a classification read off a checkout page, as evidence.
fn extracted_evidence(c: &Classification) -> Vec<evidence::ExtractedOption> {
    c.extracted
        .iter()
        .map(|x| evidence::ExtractedOption {
            methods: x.methods.clone(),
            names: x.names.clone(),
            selected: Some(x.selected),
        })
        .collect()
}

/// The evidence kept with every observation of a run, as stored.
#[allow(clippy::too_many_arguments)]
fn evidence_of(
    pack: &ProbePack,
    request_url: &str,
    response: Option<&Response>,
    body_sha256: Option<&str>,
    error: Option<&FetchError>,
    c: &Classification,
    control: Option<&ControlResult>,
    total_ms: u64,
) -> Arc<serde_json::Value> {
    let hops = response
        .map(|r| r.hops.as_slice())
        .or_else(|| error.map(|e| e.hops.as_slice()))
        .unwrap_or_default();
    Evidence {
        body_bytes: response.map(|r| r.body.len().into()),
        body_sha256: body_sha256.map(str::to_string),
        charset: response.map(|r| r.charset.clone()),
        content_type: response.and_then(|r| r.content_type.clone()),
        control: control.map(ControlResult::evidence),
        in_app_control: None,
        detail: c.detail.as_deref().map(|d| cap(d, 1000)),
        excerpt: c.excerpt.clone(),
        extracted: extracted_evidence(c),
        failure: error.map(|e| e.class.as_str().to_string()),
        final_url: response.map(|r| cap(&r.final_url, 2000)),
        hops: hops
            .iter()
            .map(|h| evidence::Hop {
                elapsed_ms: Some(h.elapsed_ms.into()),
                location: h.location.clone(),
                status: Some(h.status.into()),
                url: Some(h.url.clone()),
            })
            .collect(),
        location: response.and_then(|r| r.location.as_deref().map(|l| cap(l, 2000))),
        reclassified_from: None,
        request_url: Some(cap(request_url, 2000)),
        rule: c.rule.clone(),
        rule_version: Some(pack.version.into()),
        status: response.map(|r| r.status.into()),
        timings: Some(evidence::Timings {
            fetch_ms: response
                .map(|r| r.elapsed_ms)
                .or(error.map(|e| e.elapsed_ms))
                .map(Figure::from),
            total_ms: Some(total_ms.into()),
        }),
        v: EVIDENCE_VERSION,
        other: Default::default(),
    }
    .to_json()
    .into()
}

trait ZeroNanos {
    fn with_nanosecond_zeroed(self) -> Self;
}

impl ZeroNanos for DateTime<Utc> {
    fn with_nanosecond_zeroed(self) -> Self {
        chrono::Timelike::with_nanosecond(&self, 0).unwrap_or(self)
    }
}

#[cfg(test)]
mod hold_tests {
    use super::{Hold, IDLE_FLUSH, MAX_HOLD, WRITE_BATCH};
    use std::time::{Duration, Instant};

    #[test]
    fn a_batch_is_written_when_full_whatever_its_age() {
        let t0 = Instant::now();
        let mut hold = Hold::default();
        assert_eq!(hold.wait(t0), IDLE_FLUSH);
        hold.took(t0);
        assert!(!hold.due(WRITE_BATCH - 1, t0));
        assert!(hold.due(WRITE_BATCH, t0));
    }

    #[test]
    fn results_trickling_in_are_written_once_the_first_has_waited_its_most() {
        let t0 = Instant::now();
        let mut hold = Hold::default();
        hold.took(t0);
        // A result every 150 ms never leaves the writer idle for IDLE_FLUSH…
        for step in 1..6u32 {
            let now = t0 + Duration::from_millis(150) * step;
            hold.took(now);
            assert!(
                !hold.due(7 * step as usize, now),
                "written early at step {step}"
            );
        }
        // … the wait shrinks to what is left of the first one's hold…
        let late = t0 + Duration::from_millis(900);
        assert_eq!(hold.wait(late), Duration::from_millis(100));
        // … and the few held are written once it is over.
        assert!(hold.due(42, t0 + MAX_HOLD));
        assert_eq!(hold.wait(t0 + MAX_HOLD * 2), Duration::ZERO);
    }
}
