//! `hutong bench pages`: the dashboard's pages under concurrent load, on a database filled
//! with synthetic history. The real router is served on loopback; a pool of clients asks
//! for each page in turn and the latencies are printed as percentiles. Prints figures,
//! asserts nothing.

use crate::output::outln;
use crate::storage::Store;
use crate::web::{self, AppState};
use anyhow::Context;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct PagesBench {
    /// Requests per page.
    pub requests: usize,
    /// Requests in flight.
    pub concurrency: usize,
    /// A database already filled (by `hutong bench seed`); without it one is seeded.
    pub database_url: Option<String>,
    pub seed_observations: usize,
    pub seed_checks: usize,
    pub catalog_dir: std::path::PathBuf,
}

/// One page's figures.
struct Figures {
    ok: usize,
    failed: usize,
    wall: Duration,
    /// Milliseconds, sorted.
    samples: Vec<f64>,
}

impl Figures {
    fn percentile(&self, p: f64) -> f64 {
        if self.samples.is_empty() {
            return f64::NAN;
        }
        let i = ((self.samples.len() as f64 - 1.0) * p).round() as usize;
        self.samples[i.min(self.samples.len() - 1)]
    }
}

/// Asks for `url` `requests` times with `concurrency` requests in flight. With `write`,
/// each request first raises the data version (as any write does), so the page computes
/// everything afresh: its cost right after a probe stored something.
async fn load(
    client: &reqwest::Client,
    url: &str,
    requests: usize,
    concurrency: usize,
    write: Option<&Store>,
) -> Figures {
    use futures_util::StreamExt;
    let began = Instant::now();
    let results: Vec<Result<f64, String>> = futures_util::stream::iter(0..requests)
        .map(|_| async move {
            if let Some(store) = write {
                store
                    .execute_admin("update data_version set value = value + 1 where id = 1")
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let start = Instant::now();
            let response = client.get(url).send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            // The whole body: a page is answered when its last byte is.
            response.bytes().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!("HTTP {status}"));
            }
            Ok(start.elapsed().as_secs_f64() * 1000.0)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    let wall = began.elapsed();
    let mut samples: Vec<f64> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .copied()
        .collect();
    samples.sort_by(f64::total_cmp);
    let failed = results.len() - samples.len();
    if let Some(Err(e)) = results.iter().find(|r| r.is_err()) {
        eprintln!("  first failure on {url}: {e}");
    }
    Figures {
        ok: samples.len(),
        failed,
        wall,
        samples,
    }
}

pub async fn pages(args: PagesBench) -> anyhow::Result<()> {
    let mut seed_args = super::seed::SeedArgs::new(
        args.seed_observations,
        args.seed_checks,
        args.catalog_dir.clone(),
    );
    seed_args.verbose = true;
    let tmp = std::env::temp_dir().join(format!("hutong-bench-pages-{}", std::process::id()));
    let url = match &args.database_url {
        Some(url) => url.clone(),
        None => {
            std::fs::create_dir_all(&tmp)?;
            let url = format!("sqlite://{}", tmp.join("bench.db").display());
            let store = Store::open(&url, 4).await?;
            let report = super::seed::seed(&store, &seed_args).await?;
            outln!(
                "seeded {} observations ({} transitions) in {:.1} s",
                report.observations,
                report.transitions,
                report.seconds
            );
            store.close().await;
            url
        }
    };
    let store = Store::open(&url, 8).await?;
    let counts = store.counts().await?;
    outln!(
        "hutong bench pages: {} observations, {} checks on {} ({})",
        counts.observations,
        counts.checks,
        store.backend().name(),
        store.url()
    );
    // A synthetic check (they all have the same share of the history) and a past date in
    // the middle of the synthetic years.
    let (_, checks) = super::seed::synthetic_catalog(&seed_args)?;
    let check_id = checks.first().context("no synthetic check")?.clone();
    let middle = seed_args.start + chrono::Duration::days(i64::from(seed_args.years) * 365 / 2);
    let past = crate::time::shanghai_day(middle);

    let app = web::router(AppState::new(store.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(args.concurrency.max(1))
        .build()?;
    let base = format!("http://{addr}");
    let pages = [
        ("overview", "/".to_string()),
        ("links matrix at a past date", format!("/links?at={past}")),
        ("check page", format!("/checks/{check_id}")),
        ("timeline", "/timeline".to_string()),
        (
            "timeline, simulated rows",
            "/timeline?source=simulated".to_string(),
        ),
    ];
    outln!(
        "{} requests per page, {} in flight; past date {past}; check {check_id}",
        args.requests,
        args.concurrency
    );
    let header = || {
        outln!(
            "{:<30} {:>9} {:>9} {:>9} {:>9} {:>10} {:>7}",
            "page",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "req/s",
            "failed"
        )
    };
    let row = |name: &str, f: &Figures| {
        outln!(
            "{:<30} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10.0} {:>7}",
            name,
            f.percentile(0.50),
            f.percentile(0.95),
            f.percentile(0.99),
            f.samples.last().copied().unwrap_or(f64::NAN),
            f.ok as f64 / f.wall.as_secs_f64(),
            f.failed
        )
    };
    outln!("\nwarm: the data unchanged between requests (what pages keep is reused)");
    header();
    for (name, path) in &pages {
        let url = format!("{base}{path}");
        // Warm up: what pages keep, connections, prepared statements.
        let _ = load(
            &client,
            &url,
            args.concurrency.max(1) * 2,
            args.concurrency,
            None,
        )
        .await;
        let f = load(&client, &url, args.requests, args.concurrency, None).await;
        row(name, &f);
    }
    let cold_requests = (args.requests / 5).max(20);
    outln!(
        "\nafter a write: the data version raised before each request ({cold_requests} requests, \
         nothing kept is reused)"
    );
    header();
    for (name, path) in &pages {
        let url = format!("{base}{path}");
        let f = load(&client, &url, cold_requests, args.concurrency, Some(&store)).await;
        row(name, &f);
    }
    if let Some(mib) = super::peak_rss_mib() {
        outln!("peak memory (VmHWM, server and clients): {mib:.0} MiB");
    }
    server.abort();
    store.close().await;
    if args.database_url.is_none() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}
