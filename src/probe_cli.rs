//! The probe subcommands: `probe run | classify | check`, `reclassify`, `worker` and
//! `simulate`. Each is a plain function that tests can call.

use crate::catalog::{self, Problems};
use crate::config::Config;
use crate::output::outln;
use crate::probes::classify::{self, cap};
use crate::probes::engine::{CheckResult, RunSummary};
use crate::probes::fetch::decode_text;
use crate::probes::pack::{self, ProbePack};
use crate::probes::{Hop, Response};
use crate::serve::{self, ProbeSystem};
use crate::simulator::{Simulator, Timetable};
use crate::storage::Store;
use anyhow::Context;
use chrono::Utc;
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};
use std::net::SocketAddr;
use std::path::Path;

/// `hutong probe check`: validates the catalog and every pack.
pub fn check_packs(catalog_dir: &Path) -> Result<Vec<ProbePack>, Problems> {
    let cat = catalog::load_dir(catalog_dir)?;
    pack::load_packs(&catalog_dir.join("probes"), &cat)
}

/// `hutong probe run`: runs packs now (all scheduled-or-not packs matching the filters),
/// printing progress and a summary table. Simulated packs get an in-process simulator
/// unless `probes.simulator` names one. When `shutdown` completes first (Ctrl-C, SIGTERM)
/// the run stops at once and is left `interrupted`, to be resumed by the scheduler.
pub async fn run_now(
    config: &Config,
    pack_id: Option<&str>,
    check: Option<&str>,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Vec<RunSummary>> {
    let mut shutdown = std::pin::pin!(shutdown);
    let (cat, store) = serve::open_with_catalog(config).await?;
    let packs = pack::load_packs(&config.catalog_dir.join("probes"), &cat)
        .map_err(|p| anyhow::anyhow!("the probe packs are invalid\n{p}"))?;
    let selected: Vec<&ProbePack> = packs
        .iter()
        .filter(|p| pack_id.is_none_or(|id| p.id == id))
        .filter(|p| {
            check.is_none_or(|c| {
                p.targets
                    .iter()
                    .any(|t| t.checks.iter().any(|x| x.check_id == c))
            })
        })
        .collect();
    if selected.is_empty() {
        anyhow::bail!(
            "no probe pack matches{}{} (packs: {})",
            pack_id.map(|p| format!(" --pack {p}")).unwrap_or_default(),
            check.map(|c| format!(" --check {c}")).unwrap_or_default(),
            packs
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let ids: Vec<String> = selected.iter().map(|p| p.id.clone()).collect();
    let needs_sim = selected.iter().any(|p| p.simulated) && config.probes.simulator.is_none();
    let mut sim_handle = None;
    let proxy = if needs_sim {
        let sim = Simulator::new(Timetable::Rotating {
            period: serve::DEMO_PERIOD,
        });
        let running = sim.start(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let url = format!("http://{}", running.addr);
        sim_handle = Some((sim, running));
        Some(url)
    } else {
        config.probes.simulator.clone()
    };
    let system = ProbeSystem::with_packs(config, store.clone(), packs, proxy, sim_handle)?;
    let mut summaries = Vec::new();
    for id in &ids {
        let pack = system.engine.pack(id).context("pack vanished")?;
        let total = pack
            .targets
            .iter()
            .filter(|t| check.is_none_or(|c| t.checks.iter().any(|x| x.check_id == c)))
            .map(|t| t.checks.len())
            .sum::<usize>();
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{prefix:>24} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.set_prefix(id.clone());
        let progress = |r: &CheckResult| {
            bar.inc(1);
            bar.set_message(format!("{} {}", r.check_id, r.status));
        };
        let slot = chrono::Timelike::with_nanosecond(&Utc::now(), 0).unwrap_or_else(Utc::now);
        let run = system.engine.run_pack(id, slot, "manual", check, &progress);
        let summary = tokio::select! {
            summary = run => summary,
            () = &mut shutdown => {
                bar.finish_and_clear();
                system.engine.stop();
                if let Err(e) = store.interrupt_run(id, &config.probes.vantage, slot).await {
                    eprintln!("the run of {id} could not be marked interrupted: {e}");
                }
                if let Some((_, running)) = system.simulator {
                    running.shutdown().await;
                }
                store.close().await;
                anyhow::bail!(
                    "stopped: the run of {id} for {} is left interrupted (the scheduler resumes it)",
                    slot.format("%Y-%m-%d %H:%M:%S UTC")
                );
            }
        };
        let summary = match summary {
            Ok(summary) => summary,
            Err(e) => {
                bar.finish_and_clear();
                let pending = store.pending_counts();
                if pending.finished_runs > 0 {
                    eprintln!(
                        "the end of this run could not be written to the database: it is lost when this command exits"
                    );
                }
                return Err(e.into());
            }
        };
        bar.finish_and_clear();
        print_summary(&pack, &summary);
        summaries.push(summary);
    }
    if let Some((_, running)) = system.simulator {
        running.shutdown().await;
    }
    store.close().await;
    Ok(summaries)
}

fn print_summary(pack: &ProbePack, s: &RunSummary) {
    let mut table = Table::new();
    table
        .load_preset(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(vec!["check", "verdict", "how sure", "rule", "excerpt"]);
    for r in &s.results {
        table.add_row(vec![
            r.check_id.clone(),
            match &r.failure {
                Some(f) => format!("unknown ({f})"),
                None => r.status.clone(),
            },
            if r.failure.is_some() {
                "-".into()
            } else if r.confirmed {
                "confirmed".into()
            } else {
                "ANOMALY".into()
            },
            r.rule.clone().unwrap_or_else(|| "-".into()),
            cap(&r.excerpt.clone().unwrap_or_default(), 70),
        ]);
    }
    outln!(
        "{} (rule version {}{}{}): {} observed, {} failed{}",
        pack.id,
        pack.version,
        if pack.verified {
            ""
        } else {
            ", UNVERIFIED endpoints"
        },
        if pack.simulated { ", SIMULATED" } else { "" },
        s.observed,
        s.failures,
        if s.resumed > 0 {
            format!(", {} already stored by an interrupted run", s.resumed)
        } else {
            String::new()
        }
    );
    outln!("{table}");
}

/// What `hutong probe classify` found.
#[derive(Debug, Clone)]
pub struct OfflineVerdict {
    pub target: String,
    pub classification: classify::Classification,
}

/// `hutong probe classify`: classifies a saved page with a pack's rules, offline.
pub fn classify_file(
    catalog_dir: &Path,
    pack_id: &str,
    file: &Path,
    final_url: Option<&str>,
    status: u16,
    content_type: Option<&str>,
) -> anyhow::Result<OfflineVerdict> {
    let packs = check_packs(catalog_dir).map_err(|p| anyhow::anyhow!("{p}"))?;
    let pack = packs.iter().find(|p| p.id == pack_id).with_context(|| {
        format!(
            "no probe pack \"{pack_id}\" (packs: {})",
            packs
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let body = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    if body.len() > pack.max_body_bytes {
        anyhow::bail!(
            "{} is {} bytes, over the pack's cap of {} bytes (a probe would report too_large)",
            file.display(),
            body.len(),
            pack.max_body_bytes
        );
    }
    let final_url = final_url.map(str::to_string);
    // The target: the one whose host the URL names, else the pack's first.
    let host = final_url.as_deref().and_then(classify::host_of);
    let target = pack
        .targets
        .iter()
        .find(|t| host.as_deref() == Some(t.host.as_str()))
        .or_else(|| pack.targets.first())
        .context("the pack has no targets")?;
    let final_url = match final_url {
        Some(u) => {
            url::Url::parse(&u).with_context(|| format!("--url \"{u}\" is not a URL"))?;
            u
        }
        None => pack.request.url_for(target),
    };
    let (text, encoding) = decode_text(&body, content_type);
    let response = Response {
        request_url: final_url.clone(),
        hops: vec![Hop {
            url: final_url.clone(),
            status,
            location: None,
            elapsed_ms: 0,
        }],
        final_url,
        status,
        location: None,
        content_type: content_type.map(str::to_string),
        body,
        text,
        charset: encoding.name().to_string(),
        elapsed_ms: 0,
    };
    let classification = classify::classify(pack, target, &response);
    Ok(OfflineVerdict {
        target: target.key.clone(),
        classification,
    })
}

pub fn print_offline(v: &OfflineVerdict) {
    let c = &v.classification;
    outln!("target:  {}", v.target);
    for verdict in &c.verdicts {
        let how = match (&verdict.failure, verdict.confirmed) {
            (Some(f), _) => format!("unknown ({f})"),
            (None, true) => format!("{} (confirmed)", verdict.status),
            (None, false) => format!("{} (ANOMALY)", verdict.status),
        };
        outln!("verdict: {} = {how}", verdict.check_id);
    }
    outln!("rule:    {}", c.rule.as_deref().unwrap_or("-"));
    if let Some(d) = &c.detail {
        outln!("detail:  {d}");
    }
    outln!("excerpt: {}", c.excerpt.as_deref().unwrap_or("-"));
    for o in &c.extracted {
        outln!(
            "option:  {} -> {}{}",
            o.names.join(" / "),
            if o.methods.is_empty() {
                "?".to_string()
            } else {
                o.methods.join(", ")
            },
            if o.selected { " (selected)" } else { "" }
        );
    }
}

/// `hutong reclassify`: re-runs today's rules over stored snapshots.
pub async fn reclassify(
    config: &Config,
    pack_id: Option<&str>,
) -> anyhow::Result<Vec<(String, i64, i64)>> {
    let (cat, store) = serve::open_with_catalog(config).await?;
    let packs = pack::load_packs(&config.catalog_dir.join("probes"), &cat)
        .map_err(|p| anyhow::anyhow!("the probe packs are invalid\n{p}"))?;
    let ids: Vec<String> = packs
        .iter()
        .filter(|p| pack_id.is_none_or(|id| p.id == id))
        .map(|p| p.id.clone())
        .collect();
    if ids.is_empty() {
        anyhow::bail!("no probe pack \"{}\"", pack_id.unwrap_or_default());
    }
    let system = ProbeSystem::with_packs(config, store.clone(), packs, None, None)?;
    let mut out = Vec::new();
    for id in ids {
        let (checked, changed) = system.engine.reclassify(&id).await?;
        outln!(
            "{id}: {checked} stored verdicts re-read, {changed} changed under the current rules{}",
            if changed > 0 {
                " (stored as a method change; the old verdicts are kept, marked superseded)"
            } else {
                ""
            }
        );
        out.push((id, checked, changed));
    }
    store.close().await;
    Ok(out)
}

/// A worker's own `/metrics` at `addr` (it serves no pages): what this process counted
/// (its runs, verdicts, fetches, lease takeovers, queue), for `metrics.token`'s bearers.
/// Counting starts here. Refuses to start when the address cannot be bound.
async fn serve_worker_metrics(
    config: &Config,
    addr: SocketAddr,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let token = config.metrics.bearer_token().context("refusing to start")?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("refusing to start: cannot serve metrics on {addr}"))?;
    let bound = listener.local_addr()?;
    if token.is_none() {
        tracing::warn!(
            "worker metrics without metrics.token: /metrics is open to anyone who reaches {bound}"
        );
    }
    let access = std::sync::Arc::new(crate::metrics::Access::enable(token));
    let app = crate::web::metrics::standalone(access);
    tracing::info!("worker metrics on http://{bound}/metrics");
    Ok(tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the worker's metrics server stopped");
        }
    }))
}

/// `hutong worker`: the scheduler without the web server.
pub async fn worker(
    config: &Config,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let vantage = &config.probes.vantage;
    if !crate::storage::valid_vantage_name(vantage) {
        anyhow::bail!(
            "vantage point \"{vantage}\" is not a usable name: letters, digits, '-', '_' and '.' only, at most 64"
        );
    }
    if !config.database_url.starts_with("postgres") {
        anyhow::bail!(
            "refusing to start a worker on {}: {}",
            crate::config::redact_url(&config.database_url),
            serve::SQLITE_ONE_WRITER
        );
    }
    // Refuses a name the configured vantage points do not list, before anything is opened.
    let own = config.own_vantage_point()?;
    let cat = catalog::load_dir(&config.catalog_dir).map_err(|problems| {
        anyhow::anyhow!(
            "the catalog in {} is invalid\n{problems}",
            config.catalog_dir.display()
        )
    })?;
    // The schema and the catalog are the owner's (`hutong migrate`, `serve`, `catalog
    // load`): a worker's role needs neither CREATE nor writes to the catalog tables.
    let store = Store::open_current(&config.database_url, config.max_connections).await?;
    // Every server reading this database can then say what the name stands for.
    store
        .register_vantage_point(&own)
        .await
        .with_context(|| format!("registering vantage point \"{}\"", own.name))?;
    let system = ProbeSystem::build(config, &cat, store.clone()).await?;
    load_missing_checks(&store, &cat, &system).await?;
    if system.scheduled.is_empty() {
        tracing::warn!(
            "no pack is scheduled: unverified packs need probes.run_unverified = true, simulated packs need --demo or probes.simulator"
        );
    }
    let ms = |n: u64| std::time::Duration::from_millis(n.max(10));
    let timing = crate::worker::WorkerTiming {
        lease: ms(config.probes.lease_ms),
        heartbeat: ms(config.probes.heartbeat_ms),
        poll: ms(config.probes.poll_ms),
    };
    let metrics = match config.metrics.worker_listen {
        Some(addr) => Some(serve_worker_metrics(config, addr).await?),
        None => None,
    };
    let worker_id = crate::worker::new_worker_id();
    let ProbeSystem {
        engine,
        scheduled,
        simulator,
        ..
    } = system;
    // The engine is not shared yet: it holds its runs as this worker.
    let engine = engine.with_holder(crate::storage::LeaseHolder {
        worker_id: worker_id.clone(),
        lease: timing.lease,
    });
    let ran = crate::worker::run(engine, scheduled, worker_id, timing, shutdown).await;
    if let Some(server) = metrics {
        server.abort();
    }
    ran?;
    if let Some((_, running)) = simulator {
        running.shutdown().await;
    }
    store.close().await;
    Ok(())
}

/// Loads the catalog only when the database lacks a check the worker's packs probe (a
/// fresh database, a worker on the owner's role); when that load is refused, says which
/// check is missing and how to load it.
async fn load_missing_checks(
    store: &Store,
    cat: &catalog::Catalog,
    system: &ProbeSystem,
) -> anyhow::Result<()> {
    let known: std::collections::HashSet<String> = store
        .reference()
        .await?
        .checks
        .into_iter()
        .map(|c| c.id)
        .collect();
    let missing = system
        .engine
        .packs()
        .iter()
        .filter(|p| system.scheduled.contains(&p.id))
        .flat_map(|p| p.targets.iter().flat_map(|t| &t.checks))
        .find(|c| !known.contains(&c.check_id));
    let Some(missing) = missing else {
        return Ok(());
    };
    store.apply_catalog(cat).await.with_context(|| {
        format!(
            "check {} is not in the database and the catalog could not be loaded with this \
             role: load it with the owner's role first (`hutong catalog load`)",
            missing.check_id
        )
    })?;
    Ok(())
}

/// `hutong simulate`: the simulator alone, until Ctrl-C.
pub async fn simulate(listen: SocketAddr, period_secs: u64) -> anyhow::Result<()> {
    let timetable = if period_secs == 0 {
        Timetable::Fixed
    } else {
        Timetable::Rotating {
            period: std::time::Duration::from_secs(period_secs),
        }
    };
    let sim = Simulator::new(timetable);
    let running = sim
        .start(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    outln!(
        "simulator listening on http://{} — use it as an HTTP proxy (probes.simulator = \"http://{}\"); every page it serves is simulated",
        running.addr,
        running.addr
    );
    serve::shutdown_signal().await;
    running.shutdown().await;
    Ok(())
}
