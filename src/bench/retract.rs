//! `hutong bench retract`: how long a reviewer's retraction takes when the verdict it
//! retracts has been repeated many times. A probe verdict is stored, then `--repeats` more
//! verdicts saying the same with the same evidence, each its own run (one every 15 minutes,
//! stored as repeats of it, migration 0032; made as `bench pages`' writer makes them),
//! then the first is retracted through the store, as the form and the command line do: its
//! repeats are written out whole first (they still stand), which is what grows with them.
//! On a temporary SQLite file unless --database-url names a PostgreSQL database, beside
//! which a fresh one is made and dropped. Prints figures, asserts nothing.

use super::pages::probe_observation;
use super::{on_fresh_postgres, tempfile_dir};
use crate::catalog;
use crate::domain::{NewAuditEntry, NewObservation};
use crate::output::outln;
use crate::storage::Store;
use anyhow::Context;
use chrono::{Duration, TimeZone, Utc};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, Clone)]
pub struct RetractBench {
    /// Verdicts repeating the one retracted.
    pub repeats: usize,
    pub database_url: Option<String>,
    pub catalog_dir: PathBuf,
}

/// Verdicts per stored batch while filling.
const BATCH: usize = 1_000;

pub async fn retract(args: RetractBench) -> anyhow::Result<()> {
    match &args.database_url {
        Some(url) if url.starts_with("postgres") => {
            let name = format!("hutong_bench_retract_{}", std::process::id());
            on_fresh_postgres(url, &name, |url| run(url, &args)).await
        }
        Some(url) => anyhow::bail!(
            "--database-url {url}: give a PostgreSQL database (a fresh one is made beside it), \
             or none for a temporary SQLite file"
        ),
        None => {
            let dir = tempfile_dir()?;
            let result = run(
                format!("sqlite://{}", dir.join("bench.db").display()),
                &args,
            )
            .await;
            let _ = std::fs::remove_dir_all(&dir);
            result
        }
    }
}

async fn run(url: String, args: &RetractBench) -> anyhow::Result<()> {
    let store = Store::open(&url, 2).await?;
    let cat = catalog::load_dir(&args.catalog_dir).map_err(|p| anyhow::anyhow!("{p}"))?;
    let check = cat
        .checks
        .iter()
        .find(|c| c.kind == "link")
        .context("the catalog has no link check")?
        .id
        .clone();
    store.apply_catalog(&cat).await?;
    outln!(
        "hutong bench retract: a probe verdict of {check} and {} verdicts repeating it, then \
         the first retracted, on {}",
        args.repeats,
        store.backend().name()
    );
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .context("the first instant")?;
    let verdicts: Vec<NewObservation> = (0..=args.repeats)
        .map(|i| probe_observation(&check, "open", t0 + Duration::minutes(15 * i as i64), 0, i))
        .collect();
    let (rows_before, repeats_before) = store.stored_forms().await?;
    let filling = Instant::now();
    let mut first = None;
    for batch in verdicts.chunks(BATCH) {
        let ids = store.insert_probe_results(&[], batch).await?;
        first = first.or(ids.first().copied());
    }
    let first = first.context("no verdict was stored")?;
    let (rows, repeats) = store.stored_forms().await?;
    outln!(
        "stored in {:.2} s: {} row(s) and {} repeat(s)",
        filling.elapsed().as_secs_f64(),
        rows - rows_before,
        repeats - repeats_before
    );
    let audit = NewAuditEntry {
        actor_id: None,
        actor: "bench".into(),
        action: "observation.retract",
        subject: Some(format!("observation {first}")),
        detail: None,
        address: None,
    };
    let start = Instant::now();
    store
        .retract_observation(first, "bench: a verdict retracted", &audit)
        .await?;
    let took = start.elapsed().as_secs_f64();
    let (_, repeats_after) = store.stored_forms().await?;
    outln!(
        "retracted in {took:.3} s, its {} repeat(s) written out whole first",
        repeats - repeats_after
    );
    store.close().await;
    Ok(())
}
