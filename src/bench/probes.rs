//! `hutong bench probes`: probe runs end to end (fetch, decode, parse, classify, store with
//! evidence and a compressed snapshot) against the simulator on loopback, and the raw HTTP
//! GET rate of the same server as the ceiling. Prints figures; asserts nothing.

use crate::catalog;
use crate::config::Config;
use crate::domain::{Check, Platform};
use crate::output::outln;
use crate::probes::engine::Engine;
use crate::probes::fetch::{FetchSettings, Fetcher, FetcherOptions};
use crate::probes::pack::validate_packs;
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
}

pub async fn probes(args: ProbeBench) -> anyhow::Result<()> {
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

    // Synthetic, labelled platforms: one check per target so every run stores a verdict.
    let mut cat = catalog::load_dir(&args.catalog_dir).map_err(|p| anyhow::anyhow!("{p}"))?;
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
    store.apply_catalog(&cat).await?;
    let mut pack = String::from(
        "[pack]\nid = \"bench\"\nname_en = \"Benchmark\"\nname_zh = \"基准\"\nkind = \"link\"\n\
         subject = \"simchat\"\nversion = 1\nverified = true\nsimulated = true\n\
         schedule = \"0 0 0 * * *\"\nper_host_concurrency = 1024\nmin_host_spacing_ms = 0\n\n[targets]\n",
    );
    for i in 0..targets {
        pack.push_str(&format!(
            "benchshop{i:05} = \"http://shop.simshop.test/item/{i}?kb={}\"\n",
            args.kb
        ));
    }
    pack.push_str(
        "\n[request]\nurl = \"{target_raw}\"\nfollow_redirects = true\n\n\
         [[rule]]\nid = \"product-page\"\nstatus = \"open\"\n\
         when = [ { final_host = \"{target_host}\" }, { selector = \"h1\" } ]\n",
    );
    let packs = validate_packs(&[(PathBuf::from("bench.toml"), pack.as_str())], &cat)
        .map_err(|p| anyhow::anyhow!("{p}"))?;

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
    let raw_n = (targets * slots).min(10_000);
    let settings = FetchSettings {
        per_host_concurrency: 1024,
        min_host_spacing: Duration::ZERO,
        ..FetchSettings::default()
    };
    let started = Instant::now();
    let ok = futures_util::stream::iter(0..raw_n)
        .map(|i| {
            let f = sim_fetcher.clone();
            let settings = &settings;
            let kb = args.kb;
            async move {
                f.fetch(
                    &format!("http://shop.simshop.test/item/{}?kb={kb}", i % targets),
                    settings,
                )
                .await
                .is_ok()
            }
        })
        .buffer_unordered(args.concurrency)
        .filter(|ok| std::future::ready(*ok))
        .count()
        .await;
    let raw_secs = started.elapsed().as_secs_f64();
    outln!(
        "raw HTTP GET (fetch + decode only): {ok}/{raw_n} in {raw_secs:.2} s = {:.0} requests/s",
        ok as f64 / raw_secs
    );

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
