//! `hutong bench seed` and `hutong bench export`.
//!
//! [`seed`] fills a database with labelled synthetic history for benchmarks: a catalog
//! group marked `simulated`, one synthetic host and `checks` synthetic target platforms
//! (named "Synthetic …"), and observations of source kind `simulated` spread over years,
//! statuses changing every so often, written in large batches through the normal insert
//! path ([`Store::insert_observations`]), which keeps their transitions. The real catalog
//! is loaded too, so every page works on a seeded database;
//! real figures leave all of it out.
//!
//! [`export_command`] measures `/timeline.csv` streaming: rows per second and memory.

use super::peak_rss_mib;
use crate::catalog;
use crate::domain::{Check, Group, NewObservation, Platform, Precision, SourceKind};
use crate::output::outln;
use crate::storage::Store;
use crate::web::{self, AppState};
use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::path::PathBuf;
use std::time::Instant;

/// The synthetic group, host platform and name prefix of target platforms.
pub const SYNTHETIC_GROUP: &str = "synthetic";
pub const SYNTHETIC_HOST: &str = "synthetic_host";
pub const SYNTHETIC_TARGET_PREFIX: &str = "synthetic_";

/// What [`seed`] writes.
#[derive(Debug, Clone)]
pub struct SeedArgs {
    /// Observations to write.
    pub observations: usize,
    /// Synthetic checks (`link.synthetic_host.synthetic_NNNN`), at least 1.
    pub checks: usize,
    /// On average one observation in this many changes its check's status (1: every one).
    pub change_every: usize,
    /// The first observation's time; the last is `years` later.
    pub start: DateTime<Utc>,
    pub years: u32,
    /// The catalog folder: the real catalog is loaded first (kinds, ladders, platforms).
    pub catalog_dir: PathBuf,
    /// Observations per transaction.
    pub batch: usize,
    /// Transactions written side by side, each on its own share of the checks (a check's
    /// observations always by the same writer, in time order). SQLite writes one at a time
    /// whatever this says; PostgreSQL writes them at once.
    pub writers: usize,
    /// Print progress.
    pub verbose: bool,
}

impl SeedArgs {
    pub fn new(observations: usize, checks: usize, catalog_dir: PathBuf) -> SeedArgs {
        SeedArgs {
            observations,
            checks,
            change_every: 20,
            start: Utc
                .with_ymd_and_hms(2022, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_else(Utc::now),
            years: 4,
            catalog_dir,
            batch: 20_000,
            writers: 1,
            verbose: false,
        }
    }
}

/// What [`seed`] wrote.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub observations: usize,
    pub transitions: usize,
    pub checks: Vec<String>,
    pub seconds: f64,
}

impl SeedReport {
    pub fn rows_per_second(&self) -> f64 {
        self.observations as f64 / self.seconds.max(1e-9)
    }
}

/// A small deterministic generator: the same history for the same arguments.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

/// The real catalog plus the synthetic group, platforms and checks.
pub fn synthetic_catalog(args: &SeedArgs) -> anyhow::Result<(catalog::Catalog, Vec<String>)> {
    let mut cat = catalog::load_dir(&args.catalog_dir).map_err(|p| anyhow::anyhow!("{p}"))?;
    cat.groups.push(Group {
        slug: SYNTHETIC_GROUP.into(),
        name_zh: "合成数据（基准测试）".into(),
        name_en: "Synthetic (benchmark data)".into(),
        ecosystem: None,
        simulated: true,
    });
    cat.platforms.push(Platform {
        slug: SYNTHETIC_HOST.into(),
        name_zh: "合成宿主应用".into(),
        name_en: "Synthetic host app".into(),
        group: SYNTHETIC_GROUP.into(),
        kind: "other".into(),
        domains: Vec::new(),
    });
    let mut checks = Vec::new();
    for i in 0..args.checks.max(1) {
        let slug = format!("{SYNTHETIC_TARGET_PREFIX}{i:04}");
        cat.platforms.push(Platform {
            slug: slug.clone(),
            name_zh: format!("合成平台 {i}"),
            name_en: format!("Synthetic platform {i}"),
            group: SYNTHETIC_GROUP.into(),
            kind: "other".into(),
            domains: Vec::new(),
        });
        let check = Check {
            id: crate::domain::check_id("link", SYNTHETIC_HOST, &slug),
            kind: "link".into(),
            subject: SYNTHETIC_HOST.into(),
            object: slug,
        };
        checks.push(check.id.clone());
        cat.checks.push(check);
    }
    Ok((cat, checks))
}

/// Fills `store` with synthetic history (see the module docs). Observations are appended
/// after whatever the synthetic checks already have, so seeding twice adds more.
/// Loads the catalog with the synthetic checks of `args` into `store`: the checks' ids and
/// the link ladder's statuses (two at least).
pub async fn load_synthetic(
    store: &Store,
    args: &SeedArgs,
) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let (cat, checks) = synthetic_catalog(args)?;
    store
        .apply_catalog(&cat)
        .await
        .context("loading the catalog and the synthetic platforms")?;
    let statuses: Vec<String> = cat
        .kinds
        .iter()
        .find(|k| k.id == "link")
        .context("the catalog has no `link` kind")?
        .statuses
        .iter()
        .map(|s| s.id.clone())
        .collect();
    anyhow::ensure!(
        statuses.len() >= 2,
        "the link ladder needs two statuses at least"
    );
    Ok((checks, statuses))
}

pub async fn seed(store: &Store, args: &SeedArgs) -> anyhow::Result<SeedReport> {
    let (checks, statuses) = load_synthetic(store, args).await?;
    // Append after the newest synthetic observation, from each check's latest status, so
    // transitions stay right when seeding twice.
    let far = Utc::now() + Duration::days(365 * 100);
    let filter = crate::storage::StateFilter {
        kind: Some("link".into()),
        include_simulated: true,
        ..Default::default()
    };
    let latest: std::collections::HashMap<String, (DateTime<Utc>, String)> = store
        .state_as_of(far, &filter)
        .await?
        .into_iter()
        .filter(|o| o.check_id.starts_with("link.synthetic_host."))
        .map(|o| (o.check_id, (o.observed_at, o.status)))
        .collect();
    let start = match latest.values().map(|(t, _)| *t).max() {
        Some(t) => t.max(args.start) + Duration::hours(1),
        None => args.start,
    };
    let mut current: Vec<Option<usize>> = checks
        .iter()
        .map(|c| {
            latest
                .get(c)
                .and_then(|(_, s)| statuses.iter().position(|x| x == s))
        })
        .collect();
    let n = args.observations;
    let per_check = n.div_ceil(checks.len()).max(1);
    let span_secs = i64::from(args.years.max(1)) * 365 * 24 * 3600;
    let step = (span_secs / per_check as i64).max(1);
    let mut rng = Lcg(0x5eed);
    let change_every = args.change_every.max(1) as u64;
    let began = Instant::now();
    let (mut generated, mut transitions) = (0usize, 0usize);
    let verbose = args.verbose;
    let writers = super::writers::Writers::start(store, args.writers, move |total| {
        if verbose {
            let secs = began.elapsed().as_secs_f64();
            eprint!(
                "\r  {total} observations, {:.0} rows/s   ",
                total as f64 / secs
            );
        }
    });
    let per_batch = args.batch.max(1);
    let mut batches: Vec<Vec<NewObservation>> = (0..writers.count())
        .map(|_| Vec::with_capacity(per_batch))
        .collect();
    'outer: for s in 0..per_check {
        for (c, check) in checks.iter().enumerate() {
            if generated >= n {
                break 'outer;
            }
            generated += 1;
            let before = current[c];
            let next = match before {
                None => (rng.next() as usize) % statuses.len(),
                Some(cur) if rng.next().is_multiple_of(change_every) => {
                    // Any other rung of the ladder.
                    let hop = 1 + (rng.next() as usize) % (statuses.len() - 1);
                    (cur + hop) % statuses.len()
                }
                Some(cur) => cur,
            };
            current[c] = Some(next);
            let jitter = (rng.next() % (step as u64).max(1)) as i64 / 2;
            // The change the store records (one confirmation: at once).
            transitions += usize::from(before != Some(next));
            let batch = &mut batches[writers.of(c)];
            batch.push(NewObservation {
                check_id: check.clone(),
                observed_at: start + Duration::seconds(s as i64 * step + jitter),
                precision: Precision::Instant,
                status: statuses[next].clone(),
                source_kind: SourceKind::Simulated,
                source_id: None,
                vantage: "synthetic".into(),
                quote: None,
                note_en: None,
                note_zh: None,
                evidence: None,
                catalog_key: None,
                probe: None,
            });
            if batch.len() >= per_batch {
                let full = std::mem::replace(batch, Vec::with_capacity(per_batch));
                if !writers.send(writers.of(c), full).await {
                    // That writer stopped on an error: `finish` tells it.
                    break 'outer;
                }
            }
        }
    }
    for (w, batch) in batches.into_iter().enumerate() {
        if !writers.send(w, batch).await {
            break;
        }
    }
    let written = writers.finish().await?;
    let seconds = began.elapsed().as_secs_f64();
    if args.verbose {
        eprintln!();
    }
    if store.backend() == crate::storage::Backend::Postgres {
        // After a bulk load, as PostgreSQL's documentation advises: pages measured on the
        // seed are then planned with what it holds, not with what autovacuum last saw
        // (not counted in the seed's time).
        store
            .execute_admin("analyze observations; analyze observation_repeats")
            .await?;
    }
    Ok(SeedReport {
        observations: written,
        transitions,
        checks,
        seconds,
    })
}

/// A new SQLite file in a fresh temporary folder (kept: its path is printed).
pub(crate) fn temp_sqlite(name: &str) -> anyhow::Result<(PathBuf, String)> {
    let dir = std::env::temp_dir().join(format!(
        "hutong-{name}-{}-{}",
        std::process::id(),
        Utc::now().timestamp()
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let file = dir.join("hutong.db");
    let url = format!("sqlite://{}", file.display());
    Ok((file, url))
}

/// `hutong bench seed`.
pub async fn seed_command(
    observations: usize,
    checks: usize,
    change_every: usize,
    writers: Option<usize>,
    database_url: Option<String>,
    catalog_dir: PathBuf,
) -> anyhow::Result<()> {
    let url = match database_url {
        Some(url) => url,
        None => {
            let (file, url) = temp_sqlite("seed")?;
            outln!(
                "database: {} (kept; pass --database-url {url})",
                file.display()
            );
            url
        }
    };
    let store = Store::open(&url, 4).await?;
    outln!(
        "hutong bench seed: {observations} observations over {checks} synthetic checks on {} ({})",
        store.backend().name(),
        store.url()
    );
    outln!(
        "everything written is labelled simulated (group `{SYNTHETIC_GROUP}`, source kind `simulated`)"
    );

    let mut args = SeedArgs::new(observations, checks, catalog_dir);
    args.change_every = change_every;
    args.writers = super::writers::count(writers, store.backend());
    args.verbose = true;
    let report = seed(&store, &args).await?;
    outln!(
        "wrote {} observations and {} transitions in {:.1} s with {} writer(s): {:.0} observations/s",
        report.observations,
        report.transitions,
        report.seconds,
        args.writers,
        report.rows_per_second()
    );
    store.close().await;
    Ok(())
}

/// The process's resident memory now (`VmRSS`), in MiB.
fn rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// `hutong bench export`.
pub async fn export_command(
    rows: usize,
    repeat: usize,
    database_url: Option<String>,
    catalog_dir: PathBuf,
) -> anyhow::Result<()> {
    let (url, fresh) = match database_url {
        Some(url) => (url, false),
        None => {
            let (file, url) = temp_sqlite("export")?;
            outln!(
                "database: {} (kept; pass --database-url {url} to reuse it)",
                file.display()
            );
            (url, true)
        }
    };
    let store = Store::open(&url, 4).await?;
    outln!(
        "hutong bench export: /timeline.csv?source=simulated on {} ({})",
        store.backend().name(),
        store.url()
    );
    let until = Utc::now();
    let existing = store
        .timeline(&crate::storage::TimelineQuery {
            until,
            since: None,
            platform: None,
            kind: None,
            source_kind: Some(SourceKind::Simulated),
            include_simulated: true,
            check: None,
            entries: Default::default(),
            limit: 1,
            offset: 0,
        })
        .await?
        .1 as usize;
    if fresh || existing == 0 {
        // Every observation a change: one timeline row per observation.
        let mut args = SeedArgs::new(rows, 200, catalog_dir);
        args.change_every = 1;
        args.verbose = true;
        let report = seed(&store, &args).await?;
        outln!(
            "seeded {} observations ({} transitions) in {:.1} s: {:.0} observations/s",
            report.observations,
            report.transitions,
            report.seconds,
            report.rows_per_second()
        );
    } else {
        outln!("using the {existing} simulated timeline rows already there");
    }

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}");
    let app = web::router(AppState::new(store.clone()).with_public_url(&base));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    // The machine's other work moves single runs a lot: several, with their median.
    let mut rates = Vec::new();
    for run in 1..=repeat.max(1) {
        outln!("\nrun {run} of {}", repeat.max(1));
        let hwm_before = peak_rss_mib();
        let rss_before = rss_mib();
        let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let sampler = {
            let sampling = sampling.clone();
            tokio::spawn(async move {
                let mut samples = Vec::new();
                while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some(r) = rss_mib() {
                        samples.push(r);
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
                }
                samples
            })
        };

        use futures_util::StreamExt;
        let client = reqwest::Client::new();
        let began = Instant::now();
        let response = client
            .get(format!("{base}/timeline.csv?source=simulated"))
            .send()
            .await?
            .error_for_status()?;
        let mut body = response.bytes_stream();
        let (mut bytes, mut lines) = (0u64, 0u64);
        let mut first_byte = None;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.context("reading the export")?;
            first_byte.get_or_insert_with(|| began.elapsed());
            bytes += chunk.len() as u64;
            lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
        }
        let secs = began.elapsed().as_secs_f64();
        sampling.store(false, std::sync::atomic::Ordering::Relaxed);
        let samples = sampler.await.unwrap_or_default();
        let data_rows = lines.saturating_sub(1);
        outln!(
            "\ndownloaded {data_rows} rows, {:.1} MiB in {secs:.2} s",
            bytes as f64 / 1048576.0
        );
        if let Some(t) = first_byte {
            outln!("first byte after {:.0} ms", t.as_secs_f64() * 1000.0);
        }
        outln!(
            "rate: {:.0} rows/s ({:.1} MiB/s)",
            data_rows as f64 / secs,
            bytes as f64 / 1048576.0 / secs
        );
        let fmt = |v: Option<f64>| v.map_or("?".to_string(), |v| format!("{v:.0} MiB"));
        outln!(
            "memory: RSS before {}, after {}; peak (VmHWM) before {}, after {}",
            fmt(rss_before),
            fmt(rss_mib()),
            fmt(hwm_before),
            fmt(peak_rss_mib())
        );
        if !samples.is_empty() {
            let min = samples.iter().copied().fold(f64::INFINITY, f64::min);
            let max = samples.iter().copied().fold(0.0, f64::max);
            outln!(
                "RSS during the download ({} samples, every 200 ms): min {min:.0} MiB, max {max:.0} MiB",
                samples.len()
            );
        }
        rates.push(data_rows as f64 / secs);
    }
    if rates.len() > 1 {
        rates.sort_by(f64::total_cmp);
        outln!(
            "\n{} runs: median {:.0} rows/s, range {:.0}–{:.0}",
            rates.len(),
            rates[rates.len() / 2],
            rates[0],
            rates[rates.len() - 1]
        );
    }
    server.abort();
    store.close().await;
    Ok(())
}
