//! `hutong bench pages`: the dashboard's pages under concurrent load, on a database filled
//! with synthetic history. The real router is served on loopback; a pool of clients asks
//! for each page in turn and the latencies are printed as percentiles. With a write rate,
//! the pages are measured once more while a background writer stores probe observations
//! through the normal insert path, and the rate it achieved is printed beside them.
//! Prints figures, asserts nothing.

use crate::domain::evidence::Figure;
use crate::domain::{Evidence, NewObservation, Precision, ProbeFacts, SourceKind};
use crate::output::outln;
use crate::storage::Store;
use crate::web::{self, AppState};
use anyhow::Context;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
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
    /// Probe observations per second stored in the background while the pages are
    /// measured once more (0: no such round).
    pub write_rate: usize,
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
    // A database given but never seeded would answer every check page with 404 and measure
    // nothing; its writer's first batch would fail on the unknown checks.
    if store.check_history(&check_id, 1, 0).await?.1 == 0 {
        anyhow::bail!(
            "{} holds no synthetic history (check {check_id} has no observations): seed it \
             first with `hutong --database-url URL bench seed --checks {}`, or leave out \
             --database-url to measure a fresh SQLite seed",
            crate::config::redact_url(&url),
            args.seed_checks
        );
    }
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
    // `extra`: a last column's text, already padded (or nothing).
    let header = |extra: &str| {
        outln!(
            "{:<30} {:>9} {:>9} {:>9} {:>9} {:>10} {:>7}{extra}",
            "page",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "max ms",
            "req/s",
            "failed"
        )
    };
    let row = |name: &str, f: &Figures, extra: &str| {
        outln!(
            "{:<30} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>10.0} {:>7}{extra}",
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
    header("");
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
        row(name, &f, "");
    }
    let cold_requests = (args.requests / 5).max(20);
    outln!(
        "\nafter a write: the data version raised before each request ({cold_requests} requests, \
         nothing kept is reused)"
    );
    header("");
    for (name, path) in &pages {
        let url = format!("{base}{path}");
        let f = load(&client, &url, cold_requests, args.concurrency, Some(&store)).await;
        row(name, &f, "");
    }
    if args.write_rate > 0 {
        outln!(
            "\nwhile probes write: {} probe observations a second asked of a background \
             writer (batches every {} ms through Store::insert_probe_results, 1 in {} \
             changing status); writes/s is what it achieved while each page was measured",
            args.write_rate,
            WRITE_TICK.as_millis(),
            CHANGE_EVERY
        );
        header(&format!(" {:>9}", "writes/s"));
        let forms_before = store.stored_forms().await?;
        let writer = Writer::start(store.clone(), checks.clone(), args.write_rate);
        // Let the writer reach its pace before the first page is timed: its first batches
        // on a freshly copied database can take a second or more (pages read from disk),
        // and a fast page measured meanwhile would be timed with nothing written.
        let began = Instant::now();
        while writer.written() < 3 * writer.per_tick && began.elapsed() < Duration::from_secs(60) {
            tokio::time::sleep(WRITE_TICK).await;
        }
        tokio::time::sleep(WRITE_TICK * 5).await;
        for (name, path) in &pages {
            let url = format!("{base}{path}");
            let before = writer.written();
            let began = Instant::now();
            let f = load(&client, &url, args.requests, args.concurrency, None).await;
            let rate = (writer.written() - before) as f64 / began.elapsed().as_secs_f64();
            row(name, &f, &format!(" {rate:>9.0}"));
        }
        let (written, seconds, failure) = writer.stop().await;
        outln!(
            "the writer stored {written} observations in {seconds:.1} s ({:.0}/s)",
            written as f64 / seconds.max(1e-9)
        );
        if let Some(e) = failure {
            eprintln!("  the writer stopped on an error: {e}");
        }
        let forms_after = store.stored_forms().await?;
        outln!(
            "stored as whole rows: {}, as repeats of their pair's newest row: {}",
            forms_after.0 - forms_before.0,
            forms_after.1 - forms_before.1
        );
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

/// How often the background writer stores a batch (a probe engine stores each pack run's
/// results in one transaction; a second's worth arrives as a few such batches).
const WRITE_TICK: Duration = Duration::from_millis(100);

/// One observation in this many changes its check's status; the others repeat it.
const CHANGE_EVERY: u64 = 50;

/// Stores probe observations of the seeded checks at a steady rate in the background,
/// as probes would: statuses mostly repeating, each with its evidence.
struct Writer {
    /// Observations stored each tick.
    per_tick: usize,
    stop: Arc<AtomicBool>,
    written: Arc<AtomicUsize>,
    began: Instant,
    task: tokio::task::JoinHandle<Option<String>>,
}

impl Writer {
    fn start(store: Store, checks: Vec<String>, per_second: usize) -> Writer {
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicUsize::new(0));
        let per_tick = (per_second as f64 * WRITE_TICK.as_secs_f64()).ceil() as usize;
        let task = tokio::spawn({
            let stop = stop.clone();
            let written = written.clone();
            async move {
                let statuses = ["open", "warned", "token_only", "blocked"];
                let mut current: Vec<usize> =
                    (0..checks.len()).map(|i| i % statuses.len()).collect();
                let mut rng = super::Lcg(7);
                let mut next = 0usize;
                let mut tick = tokio::time::interval(WRITE_TICK);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                while !stop.load(Ordering::Relaxed) {
                    tick.tick().await;
                    let now = chrono::Utc::now();
                    let batch: Vec<NewObservation> = (0..per_tick)
                        .map(|_| {
                            let c = next % checks.len().max(1);
                            next += 1;
                            if rng.next().is_multiple_of(CHANGE_EVERY) {
                                current[c] = (rng.next() as usize) % statuses.len();
                            }
                            // One run per pass over the checks: each check once a run.
                            let run = (next - 1) / checks.len().max(1);
                            probe_observation(&checks[c], statuses[current[c]], now, next, run)
                        })
                        .collect();
                    match store.insert_probe_results(&[], &batch).await {
                        Ok(ids) => {
                            written.fetch_add(ids.len(), Ordering::Relaxed);
                        }
                        Err(e) => return Some(e.to_string()),
                    }
                }
                None
            }
        });
        Writer {
            per_tick,
            stop,
            written,
            began: Instant::now(),
            task,
        }
    }

    fn written(&self) -> usize {
        self.written.load(Ordering::Relaxed)
    }

    /// Stops the writer; what it stored, in how many seconds, and its error if it failed.
    async fn stop(self) -> (usize, f64, Option<String>) {
        self.stop.store(true, Ordering::Relaxed);
        let failure = self.task.await.unwrap_or_else(|e| Some(e.to_string()));
        (
            self.written.load(Ordering::Relaxed),
            self.began.elapsed().as_secs_f64(),
            failure,
        )
    }
}

/// A probe's observation of `check` as the engine stores it: a pack at a vantage point,
/// its evidence (about the size real probes keep) and a run key of the engine's form, its
/// run's part followed by the check (`run` numbers the writer's runs, each check once a
/// run), so a verdict that repeats its pair's newest row is stored as a repeat (migration
/// 0032), as a probe's is. (Until session 32 the key ended in a counter: no verdict could
/// be stored as a repeat, and the writer wrote whole rows only.)
pub(crate) fn probe_observation(
    check: &str,
    status: &str,
    at: chrono::DateTime<chrono::Utc>,
    n: usize,
    run: usize,
) -> NewObservation {
    let sha = format!("{:064x}", (n as u128).wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let evidence = Evidence {
        body_bytes: Some(Figure::Number(30_720)),
        body_sha256: Some(sha),
        charset: Some("UTF-8".into()),
        content_type: Some("text/html; charset=utf-8".into()),
        detail: Some(format!("the page answered and was classified {status}")),
        excerpt: Some(format!(
            "<div class=\"notice\">{status}: 网页包含诱导分享等内容，已停止访问该网页</div>"
        )),
        ..Evidence::default()
    };
    NewObservation {
        check_id: check.to_string(),
        observed_at: at,
        precision: Precision::Instant,
        status: status.to_string(),
        source_kind: SourceKind::Probe,
        source_id: None,
        vantage: "bench-writer".into(),
        quote: None,
        note_en: None,
        note_zh: None,
        evidence: Some(evidence.to_json().into()),
        catalog_key: None,
        probe: Some(ProbeFacts {
            pack_id: "bench_writer".into(),
            rule_version: 1,
            confirmed: true,
            run_key: Some(format!(
                "bench_writer:{}:{run}:bench-writer:{check}",
                std::process::id()
            )),
            confirmations: 1,
            ..ProbeFacts::default()
        }),
    }
}
