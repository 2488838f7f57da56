//! `hutong bench probes --cashier URL`: a payment pack run end to end against the cashier
//! fixture (`../shared/bench/cashier_fixture.py`, or any server answering `/page/1..N`
//! with its pages): N synthetic merchant apps, one per page, each with a check per payment
//! method of the catalog, probed through the normal engine path (fetch, decode, parse,
//! verdicts, evidence, snapshot, store). Before that, the fixture's own ceiling: plain GETs
//! of the same pages through the same client at the same concurrency. Prints figures (pages
//! per second, CPU per page, peak memory, the share of the ceiling, the database's bytes
//! per stored observation); asserts nothing.

use crate::catalog;
use crate::config::Config;
use crate::domain::{Check, Platform};
use crate::output::outln;
use crate::probes::engine::Engine;
use crate::probes::fetch::{FetchSettings, Fetcher, FetcherOptions};
use crate::probes::pack::{ProbePack, validate_packs};
use crate::storage::{Backend, Store};
use anyhow::Context;
use chrono::Utc;
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The pack's id.
const PACK: &str = "cashier-bench";

#[derive(Debug, Clone)]
pub struct CashierBench {
    /// The fixture's base URL (`http://127.0.0.1:18080`).
    pub base: url::Url,
    /// Merchant apps, one per fixture page (`/page/1` ..).
    pub pages: usize,
    /// Times the whole pack is run (each run a schedule slot of its own).
    pub rounds: usize,
    /// Requests in flight.
    pub concurrency: usize,
    /// Each run a task of the runtime, as the scheduler and workers run packs, rather than
    /// driven from the command's own thread.
    pub as_scheduled: bool,
    /// PostgreSQL: a fresh database is created beside this one and dropped afterwards.
    /// `None`: a fresh SQLite file.
    pub database_url: Option<String>,
    pub catalog_dir: PathBuf,
}

/// User and system CPU time this process has used so far, seconds (getrusage).
fn cpu_seconds() -> (f64, f64) {
    use nix::sys::resource::{UsageWho, getrusage};
    use nix::sys::time::TimeValLike;
    match getrusage(UsageWho::RUSAGE_SELF) {
        Ok(u) => (
            u.user_time().num_microseconds() as f64 / 1e6,
            u.system_time().num_microseconds() as f64 / 1e6,
        ),
        Err(_) => (0.0, 0.0),
    }
}

pub async fn cashier(args: CashierBench) -> anyhow::Result<()> {
    let pages = args.pages.max(1);
    let rounds = args.rounds.max(1);
    match args.database_url.clone() {
        Some(admin_url) if admin_url.starts_with("postgres") => {
            let name = format!("hutong_bench_cashier_{}", std::process::id());
            super::on_fresh_postgres(&admin_url, &name, |url| async move {
                run(&args, pages, rounds, &url, None).await
            })
            .await
        }
        Some(_) => anyhow::bail!(
            "bench probes --cashier takes a PostgreSQL --database-url (a fresh database is \
             created beside it), or none for a fresh SQLite file"
        ),
        None => {
            let dir =
                std::env::temp_dir().join(format!("hutong-bench-cashier-{}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            let file = dir.join("bench.db");
            let url = format!("sqlite://{}", file.display());
            let result = run(&args, pages, rounds, &url, Some(&file)).await;
            let _ = std::fs::remove_dir_all(&dir);
            result
        }
    }
}

async fn run(
    args: &CashierBench,
    pages: usize,
    rounds: usize,
    url: &str,
    sqlite_file: Option<&Path>,
) -> anyhow::Result<()> {
    let concurrency = args.concurrency.max(1);
    let store = Store::open(url, 4).await?;
    let mut cat = catalog::load_dir(&args.catalog_dir).map_err(|p| anyhow::anyhow!("{p}"))?;
    add_merchants(&mut cat, pages);
    store.apply_catalog(&cat).await?;
    let pack = cashier_pack(&cat, &args.base, pages, concurrency)?;
    let methods = cat.methods.len();
    let empty_bytes = database_bytes(&store, sqlite_file).await?;

    // The fixture is on loopback: this client may connect there (a test set-up).
    let fetcher = Fetcher::new(FetcherOptions {
        user_agent: Config::default().probes.user_agent,
        connect_timeout: Duration::from_secs(5),
        allow_private_addresses: true,
        ..FetcherOptions::default()
    })
    .context("client")?;
    let settings = FetchSettings {
        per_host_concurrency: concurrency,
        min_host_spacing: Duration::ZERO,
        ..FetchSettings::default()
    };
    let page_url = |i: usize| format!("{}page/{}", with_slash(&args.base), i % pages + 1);
    fetcher
        .fetch(&format!("{}__noise/on", with_slash(&args.base)), &settings)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "the cashier fixture at {} does not answer ({}: {}); start it with \
                 `python3 ../shared/bench/cashier_fixture.py serve --port 18080 --prewarm {pages}`",
                args.base,
                e.class,
                e.detail
            )
        })?;
    outln!(
        "hutong bench probes --cashier: {pages} merchant apps × {methods} payment checks, \
         {rounds} rounds, {concurrency} in flight, noise on, each run driven {}, {} ({})",
        if args.as_scheduled {
            "as a task of the runtime (as scheduled)"
        } else {
            "from the command's thread"
        },
        store.backend().name(),
        crate::config::redact_url(url)
    );
    if let Some(jit) = store.postgres_setting("jit").await? {
        outln!("PostgreSQL's JIT compilation on the store's connections: {jit}");
    }

    // The ceiling: plain GETs of the same pages, same client, same concurrency.
    let gets = (pages * rounds).max(10_000);
    let (cpu_u, cpu_s) = cpu_seconds();
    let started = Instant::now();
    let ok = futures_util::stream::iter(0..gets)
        .map(|i| {
            let (fetcher, settings, url) = (&fetcher, &settings, page_url(i));
            async move { fetcher.fetch(&url, settings).await.is_ok() }
        })
        .buffer_unordered(concurrency)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    let secs = started.elapsed().as_secs_f64();
    let (u, s) = cpu_seconds();
    let ceiling = ok as f64 / secs;
    outln!(
        "fixture GET ceiling (fetch + decode only): {ok}/{gets} in {secs:.2} s = {ceiling:.0} pages/s, \
         {:.3} ms CPU per page",
        1000.0 * ((u - cpu_u) + (s - cpu_s)) / ok.max(1) as f64
    );

    let engine = Engine::new(
        store.clone(),
        vec![pack],
        fetcher.clone(),
        Some(fetcher),
        "bench",
        concurrency,
    );
    let first_id = store.last_observation_id().await?;
    let base = Utc::now();
    let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
    let (mut observed, mut failures) = (0, 0);
    let (cpu_u, cpu_s) = cpu_seconds();
    let started = Instant::now();
    let resident = super::ResidentSampler::start();
    for round in 0..rounds {
        let at = base + chrono::Duration::seconds(round as i64);
        let s = if args.as_scheduled {
            let engine = engine.clone();
            tokio::spawn(async move { engine.run_pack(PACK, at, "bench", None, &|_| {}).await })
                .await
                .context("the run's task stopped")??
        } else {
            engine.run_pack(PACK, at, "bench", None, &|_| {}).await?
        };
        observed += s.observed;
        failures += s.failures;
        for r in &s.results {
            *statuses.entry(r.status.clone()).or_default() += 1;
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let (u, s) = cpu_seconds();
    let resident = resident.stop();
    let probed = pages * rounds;
    let rate = probed as f64 / secs;
    let cpu_ms = 1000.0 * ((u - cpu_u) + (s - cpu_s)) / probed as f64;
    outln!(
        "payment probes end to end: {probed} pages in {secs:.2} s = {rate:.0} pages/s, \
         {:.1}% of the GET ceiling",
        100.0 * rate / ceiling.max(1.0)
    );
    outln!(
        "CPU per page: {cpu_ms:.3} ms (user {:.2} s + system {:.2} s)",
        u - cpu_u,
        s - cpu_s
    );
    if let Some(mib) = super::peak_rss_mib() {
        outln!("peak memory (VmHWM): {mib:.0} MiB");
    }
    if let Some((anon, file)) = resident {
        outln!(
            "  while probing, sampled every 100 ms: anonymous at most {anon:.0} MiB, file pages \
             (the binary, the SQLite file's memory map) at most {file:.0} MiB"
        );
    }
    let stored = store.last_observation_id().await? - first_id;
    let tally: Vec<String> = statuses.iter().map(|(k, v)| format!("{k} {v}")).collect();
    outln!(
        "observations stored: {stored} of {observed} verdicts ({failures} failures; {})",
        tally.join(", ")
    );
    let (snapshots, raw, compressed) = store.snapshot_totals().await?;
    let (differences, difference_bytes) = store.snapshot_differences().await?;
    outln!(
        "snapshots: {snapshots} bodies, {:.1} MiB raw, {:.1} MiB stored (zstd) = {:.0} bytes \
         per stored observation; {differences} stored as differences ({:.1} MiB)",
        raw as f64 / 1048576.0,
        compressed as f64 / 1048576.0,
        compressed as f64 / stored.max(1) as f64,
        difference_bytes as f64 / 1048576.0
    );
    let (bodies, body_bytes) = store.evidence_totals().await?;
    outln!(
        "evidence: {bodies} bodies kept once, {:.1} KiB in all",
        body_bytes as f64 / 1024.0
    );
    let (fetches, naming) = store.fetch_totals().await?;
    let (runs, naming_runs) = store.run_key_totals().await?;
    outln!(
        "fetches: {fetches} kept once for {naming} observations; run keys: {runs} runs kept \
         once for {naming_runs} observations"
    );
    if store.backend() == Backend::Sqlite {
        outln!(
            "pairs taken from what earlier batches left instead of read: {} of {stored}",
            store.kept_pairs_taken()
        );
    }
    let bytes = database_bytes(&store, sqlite_file).await?;
    outln!(
        "database: {:.1} MiB ({:.1} MiB empty) = {:.0} bytes per stored observation",
        bytes as f64 / 1048576.0,
        empty_bytes as f64 / 1048576.0,
        (bytes - empty_bytes) as f64 / stored.max(1) as f64
    );
    let per_observation = |bytes: i64| bytes as f64 / stored.max(1) as f64;
    for (table, heap, indexes) in store.largest_tables(8).await? {
        outln!(
            "  {table}: {:.0} bytes per stored observation ({:.0} in rows, {:.0} in indexes)",
            per_observation(heap + indexes),
            per_observation(heap),
            per_observation(indexes)
        );
    }
    store.close().await;
    Ok(())
}

/// SQLite: the file and its WAL after a checkpoint; PostgreSQL: `pg_database_size`.
async fn database_bytes(store: &Store, sqlite_file: Option<&Path>) -> anyhow::Result<i64> {
    match (store.backend(), sqlite_file) {
        (Backend::Sqlite, Some(file)) => {
            store
                .execute_admin("pragma wal_checkpoint(truncate)")
                .await?;
            let mut wal = file.as_os_str().to_owned();
            wal.push("-wal");
            let size = |p: &Path| std::fs::metadata(p).map_or(0, |m| m.len() as i64);
            Ok(size(file) + size(Path::new(&wal)))
        }
        _ => Ok(store.database_bytes().await?),
    }
}

fn with_slash(base: &url::Url) -> String {
    let s = base.as_str();
    if s.ends_with('/') {
        s.to_string()
    } else {
        format!("{s}/")
    }
}

/// The merchant app of fixture page `i` (1-based).
fn merchant(i: usize) -> String {
    format!("benchcashier{i:05}")
}

/// `pages` synthetic (simulated, labelled) merchant apps with a payment check per method.
fn add_merchants(cat: &mut catalog::Catalog, pages: usize) {
    let methods: Vec<String> = cat.methods.iter().map(|m| m.slug.clone()).collect();
    for i in 1..=pages {
        let slug = merchant(i);
        cat.platforms.push(Platform {
            slug: slug.clone(),
            name_zh: format!("基准收银台{i}（模拟）"),
            name_en: format!("Bench cashier {i} (simulated)"),
            group: "simulator".into(),
            kind: "ecommerce".into(),
            domains: Vec::new(),
        });
        for m in &methods {
            cat.checks.push(Check {
                id: crate::domain::check_id("payment", &slug, m),
                kind: "payment".into(),
                subject: slug.clone(),
                object: m.clone(),
            });
        }
    }
}

/// The payment pack a real cashier pack would be: one target per merchant app (its
/// checkout page), every payment method of the catalog asked about, options read from the
/// fixture's `<ul id="pay-methods">`, the pre-selected one by its checked radio.
fn cashier_pack(
    cat: &catalog::Catalog,
    base: &url::Url,
    pages: usize,
    concurrency: usize,
) -> anyhow::Result<ProbePack> {
    let mut text = format!(
        "[pack]\nid = \"{PACK}\"\nname_en = \"Cashier benchmark\"\nname_zh = \"收银台基准\"\n\
         kind = \"payment\"\nversion = 1\nverified = true\nsimulated = true\n\
         schedule = \"0 0 0 * * *\"\nconfirmations = 2\ntimeout_secs = 10\n\
         per_host_concurrency = {concurrency}\nmin_host_spacing_ms = 0\n\n[targets]\n"
    );
    let base = with_slash(base);
    for i in 1..=pages {
        text.push_str(&format!("{} = \"{base}page/{i}\"\n", merchant(i)));
    }
    text.push_str(
        "\n[request]\nmethod = \"GET\"\nurl = \"{target_raw}\"\nfollow_redirects = true\n\n\
         [extract]\npage = { selector = \"#pay-methods\" }\noption = \"#pay-methods > li\"\n\
         selected = \"[checked]\"\nread = [\"text\", \"alt\", \"id\", \"class\", \"value\", \"data-method\"]\n",
    );
    let mut packs = validate_packs(
        &[(PathBuf::from(format!("{PACK}.toml")), text.as_str())],
        cat,
    )
    .map_err(|p| anyhow::anyhow!("{p}"))?;
    packs.pop().context("the cashier pack")
}
