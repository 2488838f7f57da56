//! `hutong bench writes`: observations per second through the normal insert path
//! ([`Store::insert_observations`], what probes and imports use), transitions and the
//! kept read-model tables maintained, on a fresh temporary SQLite file unless
//! `--database-url` names a database (use a scratch one: the bench writes probe
//! observations of synthetic checks). On a database that already holds rows, its rows
//! begin after the newest, so a second run adds to the first (writes into a large file).
//!
//! The rows look like probe results: `--checks` synthetic checks seen from three vantage
//! points, one round after another, a status change now and then, a small evidence body
//! (the same for the same status, so stored once), `--confirmations` agreeing rows per
//! change. At the end every pair's transitions are recomputed from its observations with
//! the same rule and compared with the stored ones, and the kept counts (per check, the
//! timeline's, the evidence times) with a count of the rows: the figure is only printed
//! for a store that kept everything right.

use super::seed::{SeedArgs, load_synthetic};
use crate::domain::{NewObservation, Precision, ProbeFacts, SourceKind};
use crate::output::outln;
use crate::storage::{Store, TimelineEntries, TimelineQuery};
use anyhow::Context;
use chrono::{Duration, TimeZone, Utc};
use std::path::PathBuf;
use std::time::Instant;

pub struct WritesBench {
    pub observations: usize,
    pub batch: usize,
    pub checks: usize,
    pub confirmations: u32,
    /// Writers side by side (`None`: 2 on PostgreSQL, 1 on SQLite).
    pub writers: Option<usize>,
    pub database_url: Option<String>,
    pub catalog_dir: PathBuf,
}

const VANTAGES: [&str; 3] = ["bench-1", "bench-2", "bench-3"];

/// `hutong bench writes`.
pub async fn writes(args: WritesBench) -> anyhow::Result<()> {
    let (url, temp) = match &args.database_url {
        Some(url) => (url.clone(), None),
        None => {
            let (file, url) = super::seed::temp_sqlite("writes")?;
            (url, file.parent().map(std::path::Path::to_path_buf))
        }
    };
    let store = Store::open(&url, 4).await?;
    let writer_count = super::writers::count(args.writers, store.backend());
    let seed_args = SeedArgs::new(args.observations, args.checks.max(1), args.catalog_dir);
    let (checks, statuses) = load_synthetic(&store, &seed_args).await?;
    let batch_size = args.batch.max(1);
    let n = args.confirmations.max(1);
    outln!(
        "hutong bench writes: {} observations in batches of {batch_size} over {} checks × {} \
         vantage points, {n} confirmation(s), {writer_count} writer(s), on {} (load average {})",
        args.observations,
        checks.len(),
        VANTAGES.len(),
        store.backend().name(),
        load_average()
    );
    // Rows begin on 2024-01-01, or after the newest row of the bench's checks: written
    // before it, every row would arrive late and take the slow path (a pair rebuilt), and
    // the bench would time that instead (9 observations/s on a database of 400,000).
    let first = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .context("start")?;
    let start = match newest_of(&store, &checks).await? {
        Some(t) if t >= first => {
            let start = t + Duration::minutes(15);
            outln!("the database holds this bench's checks up to {t}: these rows begin at {start}");
            start
        }
        _ => first,
    };
    let mut rng = super::Lcg(0x77_72_69_74);
    let pairs = checks.len() * VANTAGES.len();
    let mut current: Vec<usize> = (0..pairs).map(|p| p % statuses.len()).collect();
    let began = Instant::now();
    let report_every = (args.observations / 10).max(batch_size);
    // Each tenth written: observations per second since the last report.
    let last_report = std::sync::Mutex::new((Instant::now(), 0usize));
    let writers = super::writers::Writers::start(&store, writer_count, move |written| {
        let Ok(mut last) = last_report.lock() else {
            return;
        };
        if written - last.1 >= report_every || written == args.observations {
            let secs = last.0.elapsed().as_secs_f64();
            outln!(
                "  {written:>10} written, {:>8.0} observations/s over the last {}",
                (written - last.1) as f64 / secs.max(1e-9),
                written - last.1
            );
            *last = (Instant::now(), written);
        }
    });
    // Rounds of every pair in turn; each writer's batches hold its own checks' rows.
    let mut batches: Vec<Vec<NewObservation>> = (0..writers.count())
        .map(|_| Vec::with_capacity(batch_size))
        .collect();
    for row in 0..args.observations {
        let pair = row % pairs;
        let round = row / pairs;
        // A change in one pair in 50 rounds, kept for `n` rounds at least.
        if rng.next().is_multiple_of(50) {
            current[pair] =
                (current[pair] + 1 + rng.next() as usize % (statuses.len() - 1)) % statuses.len();
        }
        let status = &statuses[current[pair]];
        let writer = writers.of(pair / VANTAGES.len());
        let batch = &mut batches[writer];
        batch.push(NewObservation {
            check_id: checks[pair / VANTAGES.len()].clone(),
            observed_at: start + Duration::minutes(round as i64 * 15),
            precision: Precision::Instant,
            status: status.clone(),
            source_kind: SourceKind::Probe,
            source_id: None,
            vantage: VANTAGES[pair % VANTAGES.len()].into(),
            quote: None,
            note_en: None,
            note_zh: None,
            evidence: Some(std::sync::Arc::new(serde_json::json!({
                "final_url": format!("https://synthetic.example/{status}"),
            }))),
            catalog_key: None,
            probe: Some(ProbeFacts {
                pack_id: "bench".into(),
                rule_version: 1,
                confirmed: true,
                confirmations: n,
                ..ProbeFacts::default()
            }),
        });
        if batch.len() >= batch_size {
            let full = std::mem::replace(batch, Vec::with_capacity(batch_size));
            if !writers.send(writer, full).await {
                // That writer stopped on an error: `finish` tells it.
                break;
            }
        }
    }
    for (w, batch) in batches.into_iter().enumerate() {
        if !writers.send(w, batch).await {
            break;
        }
    }
    let written = writers.finish().await?;
    let secs = began.elapsed().as_secs_f64();
    outln!(
        "wrote {written} observations in {secs:.1} s: {:.0} observations/s sustained (load average {})",
        written as f64 / secs.max(1e-9),
        load_average()
    );
    let verified = Instant::now();
    let transitions = verify(&store, &checks, n as usize).await?;
    outln!(
        "verified in {:.1} s: {transitions} transitions equal to a scan of the observations, \
         kept counts and evidence times equal to a count of the rows",
        verified.elapsed().as_secs_f64()
    );
    store.close().await;
    if let Some(dir) = temp {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    Ok(())
}

/// The newest observation of `checks`, if any.
async fn newest_of(
    store: &Store,
    checks: &[String],
) -> anyhow::Result<Option<chrono::DateTime<Utc>>> {
    let mut newest = None;
    for check in checks {
        let (rows, _) = store.check_history(check, 1, 0).await?;
        newest = newest.max(rows.first().map(|o| o.observed_at));
    }
    Ok(newest)
}

/// Recomputes every pair's transitions and the kept figures from the rows; an error
/// naming the first difference. Gives the number of transitions.
async fn verify(store: &Store, checks: &[String], n: usize) -> anyhow::Result<usize> {
    let mut total = 0;
    for check in checks {
        let observations = store.observations(check).await?;
        let mut by_pair: std::collections::BTreeMap<&str, Vec<(i64, String)>> =
            std::collections::BTreeMap::new();
        for o in &observations {
            if o.failure.is_none() && o.superseded_by.is_none() && o.retracted_at.is_none() {
                by_pair
                    .entry(o.source_key.as_str())
                    .or_default()
                    .push((o.id, o.status.clone()));
            }
        }
        // `observations` is oldest first by instant then id, as the rule reads them.
        let mut expected: Vec<(i64, Option<String>)> = by_pair
            .values()
            .flat_map(|rows| crate::storage::confirmed_changes(rows, n))
            .collect();
        let mut stored: Vec<(i64, Option<String>)> = store
            .transitions(check)
            .await?
            .into_iter()
            .map(|t| (t.observation_id, t.from_status))
            .collect();
        expected.sort();
        stored.sort();
        anyhow::ensure!(
            expected == stored,
            "the transitions of {check} differ from a scan of its observations"
        );
        total += stored.len();
        let (_, kept) = store.check_history(check, 1, 0).await?;
        anyhow::ensure!(
            kept as usize == observations.len(),
            "{check}: {kept} observations kept, {} stored",
            observations.len()
        );
    }
    let q = TimelineQuery {
        until: Utc::now() + Duration::days(365 * 50),
        since: None,
        platform: None,
        kind: None,
        source_kind: None,
        include_simulated: true,
        check: None,
        entries: TimelineEntries::All,
        limit: 1,
        offset: 0,
    };
    let kept = store.timeline_counts(&q).await?;
    let counted = store.timeline_counts_from_transitions(&q).await?;
    anyhow::ensure!(
        kept == counted,
        "timeline totals kept {kept:?}, counted {counted:?}"
    );
    for days in [2, 8] {
        anyhow::ensure!(
            store.evidence_times(None, days).await?
                == store.evidence_times_from_observations(None, days).await?,
            "the evidence times kept differ from a scan ({days} days)"
        );
    }
    Ok(total)
}

/// The one-minute load average, for the record.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run twice on one database, the second run's rows follow the first's instead of
    /// arriving late among them.
    #[tokio::test]
    async fn a_second_run_on_one_database_writes_after_the_first() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let url = format!("sqlite://{}", dir.path().join("w.db").display());
        let args = || WritesBench {
            observations: 120,
            batch: 50,
            checks: 4,
            confirmations: 1,
            writers: None,
            database_url: Some(url.clone()),
            catalog_dir: PathBuf::from("catalog"),
        };
        // The newest row of the bench's checks (the catalog's own rows are later).
        let newest = || async {
            let store = Store::open(&url, 1).await.expect("store");
            let seed = SeedArgs::new(120, 4, PathBuf::from("catalog"));
            let (checks, _) = load_synthetic(&store, &seed).await.expect("checks");
            let at = newest_of(&store, &checks).await.expect("read");
            store.close().await;
            at.expect("rows")
        };
        writes(args()).await.expect("first run");
        let after_first = newest().await;
        writes(args()).await.expect("second run");
        let after_second = newest().await;
        // 120 rows over 12 pairs: 10 rounds of 15 minutes, then 10 more after a gap.
        assert_eq!(after_second - after_first, Duration::minutes(15 * 10));
    }
}
