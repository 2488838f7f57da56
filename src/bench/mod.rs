//! Hutong's benchmarks, behind `hutong bench`: each prints figures and asserts nothing.
//!
//! - this module: `hutong bench storage` fills a database with synthetic history (labelled
//!   `simulated`) and times the queries the dashboard makes;
//! - [`seed`]: `hutong bench seed` and `hutong bench export`;
//! - [`pages`]: `hutong bench pages`, page latency under concurrent load;
//! - [`probes`]: `hutong bench probes`, probe runs end to end against the simulator;
//! - [`cashier`]: `hutong bench probes --cashier`, a payment pack against the cashier fixture;
//! - [`catalog_load`]: `hutong bench catalog`, the catalog load at growing sizes;
//! - [`writes`]: `hutong bench writes`, observations per second through the normal insert path;
//! - [`retract`]: `hutong bench retract`, a retraction of a verdict repeated many times.

pub mod cashier;
pub mod catalog_load;
pub mod pages;
pub mod probes;
pub mod retract;
pub mod seed;
mod writers;
pub mod writes;

use crate::catalog;
use crate::domain::{Check, NewObservation, Platform, Precision, SourceKind};
use crate::output::outln;
use crate::storage::{StateFilter, Store, TimelineQuery};
use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::path::Path;
use std::time::Instant;

pub struct StorageBench {
    pub observations: usize,
    pub checks: usize,
    pub database_url: Option<String>,
    pub catalog_dir: std::path::PathBuf,
}

/// Runs `body` on a fresh PostgreSQL database `name` created beside the one `admin_url`
/// names (dropped first if a crashed run left it), and drops it afterwards whatever
/// `body` gave.
pub async fn on_fresh_postgres<T, F, Fut>(admin_url: &str, name: &str, body: F) -> anyhow::Result<T>
where
    F: FnOnce(String) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let admin = Store::connect(admin_url, 1).await?;
    admin
        .execute_admin(&format!("drop database if exists {name}"))
        .await?;
    admin
        .execute_admin(&format!("create database {name}"))
        .await?;
    let mut url = url::Url::parse(admin_url)?;
    url.set_path(name);
    let result = body(url.to_string()).await;
    if let Err(e) = admin
        .execute_admin(&format!("drop database if exists {name} with (force)"))
        .await
    {
        tracing::warn!("the bench database {name} could not be dropped: {e}");
    }
    admin.close().await;
    result
}

/// A small deterministic generator: the same figures for the same arguments.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i.min(samples.len() - 1)]
}

async fn time_it<F, Fut, T>(runs: usize, mut f: F) -> anyhow::Result<(f64, f64, T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut samples = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        last = Some(f().await?);
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let out = last.context("no runs")?;
    Ok((
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95),
        out,
    ))
}

/// The process's peak resident memory, from `/proc/self/status` (Linux).
pub(crate) fn peak_rss_mib() -> Option<f64> {
    status_mib(
        &std::fs::read_to_string("/proc/self/status").ok()?,
        "VmHWM:",
    )
}

/// A `name: N kB` line of `/proc/self/status`, in MiB.
fn status_mib(status: &str, name: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with(name))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// The process's resident memory now, in two parts (`/proc/self/status`, Linux): anonymous
/// (the heap, stacks) and file pages (the binary, and the SQLite file read through its
/// memory map, which the kernel may drop and read again at will).
fn resident_parts_mib() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    Some((
        status_mib(&status, "RssAnon:")?,
        status_mib(&status, "RssFile:")?,
    ))
}

/// The largest of each part of [`resident_parts_mib`] seen while it runs, sampled every
/// 100 ms: VmHWM counts both together, so a peak it reports may be mostly the database's
/// map.
pub(crate) struct ResidentSampler {
    peaks: std::sync::Arc<std::sync::Mutex<(f64, f64)>>,
    task: tokio::task::JoinHandle<()>,
}

impl ResidentSampler {
    pub(crate) fn start() -> ResidentSampler {
        let peaks = std::sync::Arc::new(std::sync::Mutex::new((0.0f64, 0.0f64)));
        let kept = peaks.clone();
        let task = tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_millis(100));
            loop {
                every.tick().await;
                if let (Some((anon, file)), Ok(mut peaks)) = (resident_parts_mib(), kept.lock()) {
                    peaks.0 = peaks.0.max(anon);
                    peaks.1 = peaks.1.max(file);
                }
            }
        });
        ResidentSampler { peaks, task }
    }

    /// The peaks (anonymous, file pages) in MiB; none when nothing could be read.
    pub(crate) fn stop(self) -> Option<(f64, f64)> {
        self.task.abort();
        let peaks = *self.peaks.lock().ok()?;
        (peaks.0 > 0.0).then_some(peaks)
    }
}

pub async fn storage(args: StorageBench) -> anyhow::Result<()> {
    let tmp = match &args.database_url {
        Some(_) => None,
        None => Some(tempfile_dir()?),
    };
    let url = match (&args.database_url, &tmp) {
        (Some(url), _) => url.clone(),
        (None, Some(dir)) => format!("sqlite://{}", dir.join("bench.db").display()),
        (None, None) => anyhow::bail!("no database for the benchmark"),
    };
    let store = Store::open(&url, 4).await?;
    outln!(
        "hutong bench storage: {} observations over {} checks on {} ({})",
        args.observations,
        args.checks,
        store.backend().name(),
        store.url()
    );
    outln!("synthetic data is labelled `simulated` and kept out of real figures");

    // Reference data: the real catalog plus synthetic target platforms.
    let mut cat = catalog::load_dir(&args.catalog_dir).map_err(|p| anyhow::anyhow!("{p}"))?;
    let group = cat
        .groups
        .first()
        .context("the catalog has no group")?
        .slug
        .clone();
    let mut checks = Vec::new();
    for i in 0..args.checks {
        let slug = format!("bench_target_{i:04}");
        cat.platforms.push(Platform {
            slug: slug.clone(),
            name_zh: format!("基准{i}"),
            name_en: format!("Bench target {i}"),
            group: group.clone(),
            kind: "other".into(),
            domains: Vec::new(),
        });
        let check = Check {
            id: format!("link.wechat.{slug}"),
            kind: "link".into(),
            subject: "wechat".into(),
            object: slug,
        };
        checks.push(check.id.clone());
        cat.checks.push(check);
    }
    store.apply_catalog(&cat).await?;

    // Hourly probe-like observations from three vantage points, statuses changing rarely.
    let statuses = ["open", "warned", "token_only", "blocked"];
    let start: DateTime<Utc> = Utc
        .with_ymd_and_hms(2022, 1, 1, 0, 0, 0)
        .single()
        .context("start")?;
    let per_check = args.observations.div_ceil(args.checks.max(1));
    let mut rng = Lcg(42);
    let mut current: Vec<usize> = (0..args.checks).map(|i| i % statuses.len()).collect();
    let began = Instant::now();
    let mut written = 0usize;
    let mut batch = Vec::with_capacity(10_000);
    'outer: for step in 0..per_check {
        for (c, check) in checks.iter().enumerate() {
            if written + batch.len() >= args.observations {
                break 'outer;
            }
            if rng.next() % 100 < 3 {
                current[c] = (rng.next() as usize) % statuses.len();
            }
            batch.push(NewObservation {
                check_id: check.clone(),
                observed_at: start + Duration::minutes(step as i64 * 60 + c as i64 % 60),
                precision: Precision::Instant,
                status: statuses[current[c]].into(),
                source_kind: SourceKind::Simulated,
                source_id: None,
                vantage: format!("bench-{}", step % 3),
                quote: None,
                note_en: None,
                note_zh: None,
                evidence: None,
                catalog_key: None,
                probe: None,
            });
            if batch.len() == 10_000 {
                written += store.insert_observations(&batch).await?.len();
                batch.clear();
            }
        }
    }
    written += store.insert_observations(&batch).await?.len();
    let load_secs = began.elapsed().as_secs_f64();
    let counts = store.counts().await?;
    outln!(
        "\nwrote {written} observations in {load_secs:.1} s ({:.0}/s); {} transitions maintained",
        written as f64 / load_secs,
        counts.transitions
    );

    let end = start + Duration::hours(per_check as i64);
    let mid = start + Duration::hours(per_check as i64 / 2);
    let all = StateFilter {
        kind: Some("link".into()),
        include_simulated: true,
        ..StateFilter::default()
    };
    let one_check = checks.first().context("no checks")?.clone();
    outln!(
        "\n{:<48} {:>9} {:>9}",
        "query (20 runs each)",
        "p50 ms",
        "p95 ms"
    );
    let report = |name: &str, p50: f64, p95: f64, note: String| {
        outln!("{name:<48} {p50:>9.2} {p95:>9.2}  {note}");
    };
    let (p50, p95, rows) =
        time_it(20, || async { Ok(store.state_as_of(end, &all).await?) }).await?;
    report(
        "links matrix as of the latest date",
        p50,
        p95,
        format!("{} rows", rows.len()),
    );
    let (p50, p95, rows) =
        time_it(20, || async { Ok(store.state_as_of(mid, &all).await?) }).await?;
    report(
        "links matrix as of a past date",
        p50,
        p95,
        format!("{} rows", rows.len()),
    );
    let (p50, p95, rows) =
        time_it(20, || async { Ok(store.observations(&one_check).await?) }).await?;
    report(
        "all observations of one check",
        p50,
        p95,
        format!("{} rows", rows.len()),
    );
    let (p50, p95, rows) =
        time_it(20, || async { Ok(store.transitions(&one_check).await?) }).await?;
    report(
        "transitions of one check",
        p50,
        p95,
        format!("{} rows", rows.len()),
    );
    let q = TimelineQuery {
        until: end,
        since: None,
        platform: None,
        kind: None,
        source_kind: None,
        include_simulated: true,
        check: None,
        entries: Default::default(),
        limit: 50,
        offset: 0,
    };
    let (p50, p95, (rows, total)) = time_it(20, || async { Ok(store.timeline(&q).await?) }).await?;
    report(
        "timeline, first page of 50 (with count)",
        p50,
        p95,
        format!("{} of {total}", rows.len()),
    );
    let platform_q = TimelineQuery {
        platform: Some(
            checks[checks.len() / 2]
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .to_string(),
        ),
        ..q.clone()
    };
    let (p50, p95, (rows, _)) =
        time_it(20, || async { Ok(store.timeline(&platform_q).await?) }).await?;
    report(
        "timeline filtered by one platform",
        p50,
        p95,
        format!("{} rows", rows.len()),
    );
    if let Some(mib) = peak_rss_mib() {
        outln!("\npeak memory (VmHWM): {mib:.0} MiB");
    }
    store.close().await;
    if let Some(dir) = tmp {
        std::fs::remove_dir_all(dir)?;
    }
    Ok(())
}

fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("hutong-bench-{}", std::process::id()));
    if Path::new(&dir).exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
