//! `hutong bench probes`: probe runs end to end (fetch, decode, parse, classify, store with
//! evidence and a compressed snapshot) against the simulator on loopback, and the raw HTTP
//! GET rate of the same server as the ceiling. Prints figures; asserts nothing.

use crate::catalog;
use crate::config::Config;
use crate::domain::{Check, Platform};
use crate::output::outln;
use crate::probes::engine::Engine;
use crate::probes::fetch::{FetchSettings, Fetcher, FetcherOptions};
use crate::probes::pack::{ProbePack, validate_packs};
use crate::simulator::{Simulator, Timetable};
use crate::storage::Store;
use anyhow::Context;
use chrono::Utc;
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ProbeBench {
    /// Probe runs in all (one run: one target fetched, classified and stored).
    pub runs: usize,
    /// Size of each page, KiB.
    pub kb: usize,
    /// Requests in flight.
    pub concurrency: usize,
    /// Targets per pack run (each a distinct synthetic check).
    pub targets: usize,
    pub database_url: Option<String>,
    pub catalog_dir: PathBuf,
    /// A fleet of this many workers on PostgreSQL instead of one engine (see `fleet` below).
    pub workers: Option<usize>,
    /// How long the fleet probes, seconds.
    pub seconds: u64,
    /// Packs the fleet's targets are spread over (each claimed slot by slot).
    pub packs: usize,
}

pub async fn probes(args: ProbeBench) -> anyhow::Result<()> {
    if let Some(workers) = args.workers {
        return fleet(&args, workers).await;
    }
    let targets = args.targets.clamp(1, args.runs.max(1));
    let slots = args.runs.div_ceil(targets);
    let tmp = std::env::temp_dir().join(format!("hutong-bench-probes-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", tmp.join("bench.db").display()));
    let store = Store::open(&url, 4).await?;
    let cat = bench_catalog(&args.catalog_dir, targets)?;
    store.apply_catalog(&cat).await?;
    let packs = bench_packs(&cat, 1, targets, args.kb, "0 0 0 * * *")?;

    let sim = Simulator::new(Timetable::Fixed);
    let running = sim.start(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let proxy = url::Url::parse(&format!("http://{}", running.addr))?;
    let options = || FetcherOptions {
        user_agent: Config::default().probes.user_agent,
        proxy: Some(proxy.clone()),
        connect_timeout: Duration::from_secs(5),
        ..FetcherOptions::default()
    };
    let sim_fetcher = Fetcher::new(options()).context("client")?;
    outln!(
        "hutong bench probes: {} runs ({} targets × {} slots), {} KiB pages, {} in flight, {} on {}",
        targets * slots,
        targets,
        slots,
        args.kb,
        args.concurrency,
        store.backend().name(),
        crate::config::redact_url(&url)
    );

    // The ceiling: plain GETs of the same pages through the same client, nothing else.
    let settings = raw_settings();
    raw_ceiling(
        &sim_fetcher,
        (targets * slots).min(10_000),
        targets,
        args.kb,
        args.concurrency,
    )
    .await;

    // The classifier's share: one selector condition on the same page, from start tags
    // and from the tree (what the fast path saves).
    let page = sim_fetcher
        .fetch(
            &format!("http://shop.simshop.test/item/0?kb={}", args.kb),
            &settings,
        )
        .await
        .map_err(|e| anyhow::anyhow!("a page for the selector figures: {}", e.detail))?
        .text;
    selector_figures(&page);

    let engine = Engine::new(
        store.clone(),
        packs,
        Fetcher::new(FetcherOptions {
            proxy: None,
            ..options()
        })?,
        Some(sim_fetcher),
        "bench",
        args.concurrency,
    );
    let base = Utc::now();
    let started = Instant::now();
    let mut observed = 0;
    let mut failures = 0;
    for slot in 0..slots {
        let at = base + chrono::Duration::seconds(slot as i64);
        let s = engine.run_pack("bench", at, "bench", None, &|_| {}).await?;
        observed += s.observed;
        failures += s.failures;
    }
    let secs = started.elapsed().as_secs_f64();
    let (snapshots, raw_bytes, stored_bytes) = store.snapshot_totals().await?;
    outln!(
        "probe runs end to end: {observed} in {secs:.2} s = {:.0} runs/s ({failures} failed)",
        observed as f64 / secs
    );
    outln!(
        "snapshots: {snapshots} bodies, {:.1} MiB raw, {:.1} MiB stored (zstd)",
        raw_bytes as f64 / 1048576.0,
        stored_bytes as f64 / 1048576.0
    );
    let (bodies, body_bytes) = store.evidence_totals().await?;
    outln!(
        "evidence: {bodies} bodies kept once, {:.1} KiB in all",
        body_bytes as f64 / 1024.0
    );
    if let Some(mib) = super::peak_rss_mib() {
        outln!("peak memory (VmHWM, simulator included): {mib:.0} MiB");
    }
    running.shutdown().await;
    store.close().await;
    if args.database_url.is_none() && Path::new(&tmp).exists() {
        std::fs::remove_dir_all(&tmp)?;
    }
    Ok(())
}

/// Prints how long one `selector = "h1"` condition takes on `page`: answered from start
/// tags (`probes::scan`), and from scraper's tree.
fn selector_figures(page: &str) {
    use crate::probes::scan::{Scan, scan};
    use crate::probes::select::{ElementTest, FastSelector};
    let Some(fast) = FastSelector::parse("h1") else {
        return;
    };
    let micros = |f: &dyn Fn() -> bool| {
        let rounds = 2000;
        let started = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(f());
        }
        started.elapsed().as_secs_f64() * 1e6 / rounds as f64
    };
    let scanned =
        micros(&|| matches!(scan(page, &fast, &ElementTest::Present), Scan::Found { .. }));
    let selector = scraper::Selector::parse("h1").expect("a static selector");
    let tree = micros(&|| {
        scraper::Html::parse_document(page)
            .select(&selector)
            .next()
            .is_some()
    });
    outln!(
        "one selector condition on a {} KiB page: {scanned:.1} µs from start tags, {tree:.1} µs from the tree",
        page.len() / 1024
    );
}

/// The catalog plus `targets` synthetic (simulated, labelled) platforms, one check each,
/// so that every run stores a verdict.
fn bench_catalog(dir: &Path, targets: usize) -> anyhow::Result<catalog::Catalog> {
    let mut cat = catalog::load_dir(dir).map_err(|p| anyhow::anyhow!("{p}"))?;
    for i in 0..targets {
        let slug = format!("benchshop{i:05}");
        cat.platforms.push(Platform {
            slug: slug.clone(),
            name_zh: format!("基准商城{i}（模拟）"),
            name_en: format!("Bench shop {i} (simulated)"),
            group: "simulator".into(),
            kind: "shopping".into(),
            domains: vec!["shop.simshop.test".into()],
        });
        cat.checks.push(Check {
            id: format!("link.simchat.{slug}"),
            kind: "link".into(),
            subject: "simchat".into(),
            object: slug,
        });
    }
    Ok(cat)
}

/// `packs` simulated packs over the synthetic targets (spread evenly), each run on
/// `schedule`: one pack is called `bench`, several `bench00`, `bench01`, …
fn bench_packs(
    cat: &catalog::Catalog,
    packs: usize,
    targets: usize,
    kb: usize,
    schedule: &str,
) -> anyhow::Result<Vec<ProbePack>> {
    let packs = packs.clamp(1, targets.max(1));
    let mut files = Vec::with_capacity(packs);
    for p in 0..packs {
        let id = if packs == 1 {
            "bench".to_string()
        } else {
            format!("bench{p:02}")
        };
        let mut pack = format!(
            "[pack]\nid = \"{id}\"\nname_en = \"Benchmark {p}\"\nname_zh = \"基准 {p}\"\nkind = \"link\"\n\
             subject = \"simchat\"\nversion = 1\nverified = true\nsimulated = true\n\
             schedule = \"{schedule}\"\nper_host_concurrency = 1024\nmin_host_spacing_ms = 0\n\n[targets]\n",
        );
        for i in (p..targets).step_by(packs) {
            pack.push_str(&format!(
                "benchshop{i:05} = \"http://shop.simshop.test/item/{i}?kb={kb}\"\n"
            ));
        }
        pack.push_str(
            "\n[request]\nurl = \"{target_raw}\"\nfollow_redirects = true\n\n\
             [[rule]]\nid = \"product-page\"\nstatus = \"open\"\n\
             when = [ { final_host = \"{target_host}\" }, { selector = \"h1\" } ]\n",
        );
        files.push((PathBuf::from(format!("{id}.toml")), pack));
    }
    let files: Vec<(PathBuf, &str)> = files.iter().map(|(p, t)| (p.clone(), t.as_str())).collect();
    validate_packs(&files, cat).map_err(|p| anyhow::anyhow!("{p}"))
}

fn raw_settings() -> FetchSettings {
    FetchSettings {
        per_host_concurrency: 1024,
        min_host_spacing: Duration::ZERO,
        ..FetchSettings::default()
    }
}

/// Times `n` plain GETs of the bench pages through `fetcher` (fetch and decode, nothing
/// else), prints the rate and returns it in requests per second.
async fn raw_ceiling(
    fetcher: &Fetcher,
    n: usize,
    targets: usize,
    kb: usize,
    concurrency: usize,
) -> f64 {
    let settings = raw_settings();
    let started = Instant::now();
    let ok = futures_util::stream::iter(0..n)
        .map(|i| {
            let f = fetcher.clone();
            let settings = &settings;
            async move {
                f.fetch(
                    &format!(
                        "http://shop.simshop.test/item/{}?kb={kb}",
                        i % targets.max(1)
                    ),
                    settings,
                )
                .await
                .is_ok()
            }
        })
        .buffer_unordered(concurrency.max(1))
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    let secs = started.elapsed().as_secs_f64();
    let rate = ok as f64 / secs;
    outln!("raw HTTP GET (fetch + decode only): {ok}/{n} in {secs:.2} s = {rate:.0} requests/s");
    rate
}

/// `hutong bench probes --workers N`: a fleet of N workers at one vantage point sharing a
/// fresh PostgreSQL database (created beside the one given, dropped afterwards), probing
/// the simulator for `seconds`. The targets are spread over `packs` packs due every
/// second, more work than the fleet can do, so each worker claims slots (`FOR UPDATE SKIP
/// LOCKED`), holds them under leases its heartbeats renew, and the slots nobody could take
/// are recorded missed, as in production. The workers run in this process, each with its
/// own connection pool, HTTP client and engine (the same code `hutong worker` runs); the
/// figure is the probe runs stored per second, beside the raw GET ceiling.
async fn fleet(args: &ProbeBench, workers: usize) -> anyhow::Result<()> {
    let workers = workers.clamp(1, 64);
    let admin_url = args
        .database_url
        .clone()
        .filter(|u| u.starts_with("postgres"))
        .ok_or_else(|| {
            anyhow::anyhow!(
                "bench probes --workers needs PostgreSQL (--database-url postgres://…): workers \
                 claim their work through it (scripts/fleet --bench starts a throwaway server)"
            )
        })?;
    let targets = args.targets.max(1);
    let seconds = args.seconds.max(1);
    let name = format!("hutong_bench_fleet_{}", std::process::id());
    super::on_fresh_postgres(&admin_url, &name, |url| async move {
        fleet_on(args, workers, targets, seconds, &url).await
    })
    .await
}

async fn fleet_on(
    args: &ProbeBench,
    workers: usize,
    targets: usize,
    seconds: u64,
    url: &str,
) -> anyhow::Result<()> {
    let store = Store::open(url, 4).await?;
    let cat = bench_catalog(&args.catalog_dir, targets)?;
    store.apply_catalog(&cat).await?;
    let packs = bench_packs(&cat, args.packs, targets, args.kb, "* * * * * *")?;
    let ids: Vec<String> = packs.iter().map(|p| p.id.clone()).collect();

    let sim = Simulator::new(Timetable::Fixed);
    let running = sim.start(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let proxy = url::Url::parse(&format!("http://{}", running.addr))?;
    let fetcher = |proxy: Option<url::Url>| {
        Fetcher::new(FetcherOptions {
            user_agent: Config::default().probes.user_agent,
            proxy,
            connect_timeout: Duration::from_secs(5),
            ..FetcherOptions::default()
        })
        .context("client")
    };
    outln!(
        "hutong bench probes --workers {workers}: {targets} targets in {} packs due every second, \
         {} KiB pages, {} in flight per worker, {seconds} s on PostgreSQL {}",
        packs.len(),
        args.kb,
        args.concurrency,
        crate::config::redact_url(url)
    );
    let ceiling = raw_ceiling(
        &fetcher(Some(proxy.clone()))?,
        10_000,
        targets,
        args.kb,
        args.concurrency,
    )
    .await;

    let timing = crate::worker::WorkerTiming {
        lease: Duration::from_secs(10),
        heartbeat: Duration::from_secs(2),
        poll: Duration::from_millis(100),
    };
    let first_id = store.last_observation_id().await?;
    let since = Utc::now() - chrono::Duration::seconds(1);
    let (stop, _) = tokio::sync::watch::channel(false);
    let mut fleet = tokio::task::JoinSet::new();
    let mut names = Vec::with_capacity(workers);
    let started = Instant::now();
    for i in 0..workers {
        let worker_id = format!("bench-worker-{}", i + 1);
        names.push(worker_id.clone());
        let engine = Engine::new(
            Store::open(url, 8).await?,
            packs.clone(),
            fetcher(None)?,
            Some(fetcher(Some(proxy.clone()))?),
            "bench",
            args.concurrency,
        )
        .with_holder(crate::storage::LeaseHolder {
            worker_id: worker_id.clone(),
            lease: timing.lease,
        });
        let mut stopped = stop.subscribe();
        let (ids, timing) = (ids.clone(), timing.clone());
        fleet.spawn(async move {
            let store = engine.store().clone();
            let done = crate::worker::run(engine, ids, worker_id, timing, async move {
                let _ = stopped.wait_for(|s| *s).await;
            })
            .await;
            store.close().await;
            done
        });
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let _ = stop.send(true);
    while let Some(done) = fleet.join_next().await {
        done??;
    }
    let secs = started.elapsed().as_secs_f64();

    let stored = store.last_observation_id().await? - first_id;
    let runs = store.runs_since(since).await?;
    let rate = stored as f64 / secs;
    outln!(
        "fleet of {workers}: {stored} probe runs stored in {secs:.2} s = {rate:.0} runs/s, \
         {:.0}% of the raw GET ceiling",
        100.0 * rate / ceiling.max(1.0)
    );
    let mut missed = 0;
    for id in &ids {
        missed += store
            .missed_slots(id, 100_000)
            .await?
            .iter()
            .map(|m| m.slots)
            .sum::<i64>();
    }
    outln!(
        "  {} pack runs ({} finished, {} stopped at the end), {missed} pack slots recorded missed \
         (more work than capacity), {} lease takeovers",
        runs.len(),
        runs.iter().filter(|r| r.state == "finished").count(),
        runs.iter().filter(|r| r.state != "finished").count(),
        store.takeovers(100_000).await?.len()
    );
    let per_worker: Vec<String> = names
        .iter()
        .map(|n| {
            let done: i64 = runs
                .iter()
                .filter(|r| r.worker_id.as_deref() == Some(n))
                .map(|r| r.done)
                .sum();
            format!("{n} {done}")
        })
        .collect();
    outln!("  checks probed per worker: {}", per_worker.join(", "));
    if let Some(mib) = super::peak_rss_mib() {
        outln!("peak memory (VmHWM, simulator and every worker included): {mib:.0} MiB");
    }
    running.shutdown().await;
    store.close().await;
    Ok(())
}
