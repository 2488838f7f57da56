//! The command line: `hutong serve | migrate | catalog check | catalog load`.
//! Each subcommand is a plain function that tests can call.

use crate::catalog::{self, Catalog, Problems};
use crate::config::{Config, Overrides};
use crate::output::outln;
use crate::probe_cli;
use crate::serve::{self, Application};
use crate::storage::{LoadReport, Store};
use clap::{Parser, Subcommand};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "hutong",
    version,
    about = "Hutong 互通: an observatory of platform openness"
)]
pub struct Cli {
    /// Configuration file (default: ./hutong.toml when it exists).
    #[arg(long, global = true, env = "HUTONG_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER:PASSWORD@HOST/DB.
    #[arg(long, global = true, value_name = "URL")]
    pub database_url: Option<String>,
    /// Folder of catalog TOML files.
    #[arg(long, global = true, value_name = "DIR")]
    pub catalog_dir: Option<PathBuf>,
    /// Log filter, e.g. info or hutong=debug.
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the dashboard and the JSON API.
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
        /// Start the platform simulator in-process and probe it on schedule: a live view
        /// with no network. Everything it produces is labelled simulated.
        #[arg(long)]
        demo: bool,
        /// Probe from this process on PostgreSQL too (`probes.in_serve`), where workers
        /// probe and the web server by default does not.
        #[arg(long)]
        probe: bool,
    },
    /// A fleet worker (PostgreSQL only): claims due probe runs of its vantage point under
    /// leases, alongside any number of other workers and `serve`.
    Worker {
        /// Start the platform simulator in-process (as `serve --demo`).
        #[arg(long)]
        demo: bool,
        /// The vantage point this worker probes from (default: `probes.vantage`).
        #[arg(long, value_name = "NAME")]
        vantage: Option<String>,
        /// Serve this worker's own `/metrics` here (default: `metrics.worker_listen`; none).
        #[arg(long, value_name = "ADDR")]
        metrics_listen: Option<std::net::SocketAddr>,
    },
    /// Run probes by hand, classify saved pages, validate packs.
    Probe {
        #[command(subcommand)]
        action: ProbeAction,
    },
    /// Re-run today's rules over stored page snapshots; differing verdicts are stored as
    /// a method change, never as a platform changing its policy.
    Reclassify {
        /// Only this pack.
        #[arg(long, value_name = "ID")]
        pack: Option<String>,
    },
    /// Run the platform simulator alone (an HTTP proxy imitating platforms).
    Simulate {
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9090")]
        listen: SocketAddr,
        /// Seconds each simulated state lasts; 0 keeps the starting states.
        #[arg(long, default_value_t = 90)]
        period: u64,
    },
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Validate or load the catalog.
    Catalog {
        #[command(subcommand)]
        action: CatalogAction,
    },
    /// Accounts of contributors, reviewers and admins (the first admin comes from here).
    User {
        #[command(subcommand)]
        action: UserAction,
    },
    /// Hand tests and observations from the command line: submit a hand test (pending
    /// review), or retract a published observation that proved wrong.
    Observe {
        #[command(subcommand)]
        action: ObserveAction,
    },
    /// PostgreSQL's observations (repeats and changes) by year: list the partitions, or
    /// detach a past year for archive (`pg_dump` the detached tables, then drop them).
    Partitions {
        #[command(subcommand)]
        action: PartitionAction,
    },
    /// Benchmarks that print figures.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Fill a database with synthetic (simulated) history and time the dashboard's queries.
    /// Uses a temporary SQLite file unless --database-url is given.
    Storage {
        #[arg(long, default_value_t = 1_000_000)]
        observations: usize,
        #[arg(long, default_value_t = 200)]
        checks: usize,
    },
    /// Observations per second through the normal insert path (transitions and kept
    /// counts maintained, verified against a scan at the end). Uses a temporary SQLite
    /// file unless --database-url names a scratch database.
    Writes {
        #[arg(long, default_value_t = 200_000)]
        observations: usize,
        /// Observations per call (one transaction each).
        #[arg(long, default_value_t = 1_000)]
        batch: usize,
        #[arg(long, default_value_t = 200)]
        checks: usize,
        /// Agreeing observations a change needs.
        #[arg(long, default_value_t = 1)]
        confirmations: u32,
        /// Transactions written side by side, each on its own share of the checks
        /// (default: 2 on PostgreSQL, 1 on SQLite, which writes one at a time).
        #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        writers: Option<usize>,
    },
    /// Fill a database with labelled synthetic history (simulated group, source kind
    /// `simulated`) for benchmarks. Uses a new temporary SQLite file (path printed, kept)
    /// unless --database-url is given.
    Seed {
        #[arg(long, default_value_t = 1_000_000)]
        observations: usize,
        #[arg(long, default_value_t = 200)]
        checks: usize,
        /// On average one observation in this many changes status (1: every one).
        #[arg(long, default_value_t = 20)]
        change_every: usize,
        /// Transactions written side by side, each on its own share of the checks
        /// (default: 2 on PostgreSQL, 1 on SQLite, which writes one at a time).
        #[arg(long, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        writers: Option<usize>,
    },
    /// The dashboard's pages under concurrent load (overview, links matrix at a past date,
    /// a check page, the timeline), on a database of synthetic history: seeds a temporary
    /// SQLite file unless --database-url names one filled by `bench seed`.
    Pages {
        /// Requests per page.
        #[arg(long, default_value_t = 1_000)]
        requests: usize,
        /// Requests in flight.
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        /// Observations to seed when no database is given.
        #[arg(long, default_value_t = 1_000_000)]
        observations: usize,
        #[arg(long, default_value_t = 200)]
        checks: usize,
        /// Measure the pages once more while this many probe observations a second are
        /// stored in the background (0: not).
        #[arg(long, default_value_t = 0)]
        write_rate: usize,
    },
    /// The catalog load (TOML, validation, storing) at a tenth, a fifth, two fifths and
    /// all of a synthetic catalog of --platforms platforms and --checks payment checks
    /// beside the real one, into a fresh SQLite file at each size and, with
    /// --database-url postgres://…, a fresh PostgreSQL database beside that one.
    Catalog {
        #[arg(long, default_value_t = 5_000)]
        platforms: usize,
        #[arg(long, default_value_t = 35_000)]
        checks: usize,
    },
    /// A reviewer's retraction of a probe verdict repeated --repeats times (its repeats are
    /// written out whole first): how long it takes. Uses a temporary SQLite file, or a fresh
    /// database beside the PostgreSQL one --database-url names.
    Retract {
        #[arg(long, default_value_t = 35_000)]
        repeats: usize,
    },
    /// Stream /timeline.csv from an in-process server on loopback and report rows/s and
    /// memory. Seeds a temporary SQLite file with --rows changes unless --database-url
    /// names a database that already has simulated history.
    Export {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Downloads to make (the median is printed when more than one).
        #[arg(long, default_value_t = 1)]
        repeat: usize,
    },
    /// Probe runs end to end against the simulator on loopback (fetch, decode, parse,
    /// classify, store with evidence), with the raw GET rate of the same server.
    Probes {
        #[arg(long, default_value_t = 10_000)]
        runs: usize,
        /// Page size in KiB.
        #[arg(long, default_value_t = 30)]
        kb: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Targets (distinct checks) per pack run (default 500); with --workers, in all
        /// (default 8000: more than the fleet can probe every second).
        #[arg(long)]
        targets: Option<usize>,
        /// A fleet of N workers sharing PostgreSQL (--database-url postgres://…) instead
        /// of one engine: probe runs stored per second while they work for --seconds.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
        workers: Option<u16>,
        /// With --workers: how long the fleet probes.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=3600))]
        seconds: u64,
        /// With --workers: packs the targets are spread over (each due every second).
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=1000))]
        packs: u16,
        /// A payment pack against the cashier fixture at this URL instead of the simulator
        /// (python3 ../shared/bench/cashier_fixture.py serve --port 18080 --prewarm 500):
        /// one merchant app per page, a check per payment method, noise on.
        #[arg(long, value_name = "URL", conflicts_with = "workers")]
        cashier: Option<url::Url>,
        /// With --cashier: merchant apps, one per fixture page /page/1 ..
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        pages: u64,
        /// With --cashier: times the whole pack is run.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        rounds: u64,
        /// With --cashier: each run a task of the runtime, as the scheduler and workers run
        /// packs (by default the command's own thread drives them).
        #[arg(long, requires = "cashier")]
        as_scheduled: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProbeAction {
    /// Run packs now, with a progress bar and a summary table of verdicts.
    Run {
        #[arg(long, value_name = "ID")]
        pack: Option<String>,
        #[arg(long, value_name = "CHECK")]
        check: Option<String>,
    },
    /// Classify a saved page offline and print the verdict, the rule and the excerpt.
    Classify {
        #[arg(long, value_name = "ID")]
        pack: String,
        #[arg(long, value_name = "PAGE.html")]
        file: PathBuf,
        /// The URL the page was served from (decides host rules and the target).
        #[arg(long, value_name = "FINAL_URL")]
        url: Option<String>,
        /// The HTTP status it was served with.
        #[arg(long, default_value_t = 200)]
        status: u16,
        /// Its Content-Type header (for the charset), e.g. "text/html; charset=GBK".
        #[arg(long, value_name = "TYPE")]
        content_type: Option<String>,
    },
    /// Validate every pack (selectors, cron, checks, rules that can never match).
    Check,
}

#[derive(Debug, Subcommand)]
pub enum UserAction {
    /// Create an account. Its password is read from standard input with
    /// --password-stdin, else made up and printed once.
    Add {
        login: String,
        /// contributor, reviewer or admin.
        #[arg(long)]
        role: crate::domain::Role,
        /// The name pages credit this person's hand tests to.
        #[arg(long, value_name = "NAME")]
        name: String,
        #[arg(long, value_name = "ORG")]
        organisation: Option<String>,
        /// Private: never shown publicly or exported.
        #[arg(long)]
        email: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password (read as for `add`, or made up and printed), enable the account
    /// again and end its sessions.
    Reset {
        login: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account: it cannot sign in, and its sessions end at once.
    Disable { login: String },
    /// List accounts (login, role, public name, state).
    List,
}

#[derive(Debug, Subcommand)]
pub enum PartitionAction {
    /// Each partition of repeats and of changes: its span (years begin at midnight,
    /// Asia/Shanghai), the planner's estimate of its rows, its size.
    List,
    /// Detach one past year of observations from what pages read, for archive. The table
    /// `observation_repeats_YEAR` keeps its repeats, `observations_YEAR` its changes that
    /// no later answer stands on (those that still stand stay); the check counts lose them,
    /// current states naming one of them are sought again, the transitions the leaving
    /// changes begin are deleted, probe days stay.
    Detach {
        /// The year (it must have ended before this year began).
        #[arg(long)]
        year: i32,
    },
}

#[derive(Debug, Subcommand)]
pub enum ObserveAction {
    /// Retract a published observation, with a reason shown publicly in the corrections
    /// log; it is never deleted. Written in the audit log with the account named.
    Retract {
        /// The observation's id (as in /observations/ID).
        id: i64,
        /// Why it is wrong, in words readers will see.
        #[arg(long, value_name = "TEXT")]
        reason: String,
        /// The reviewer or admin account retracting it (its public name is shown).
        #[arg(long = "as", value_name = "LOGIN")]
        login: String,
    },
    /// Submit a hand test for an account, through the same checks as the form. It waits
    /// for review like any submission: nothing is published by this command.
    Add(Box<ObserveAdd>),
}

/// The fields of a hand test, as the form has them.
#[derive(Debug, Clone, clap::Args)]
pub struct ObserveAdd {
    /// The account submitting (contributor or above, enabled).
    #[arg(long = "as", value_name = "LOGIN")]
    pub login: String,
    /// The check's id (as in `/checks/ID`).
    #[arg(long, value_name = "ID")]
    pub check: String,
    /// When it was observed, Beijing time: "YYYY-MM-DD HH:MM".
    #[arg(long, value_name = "TIME")]
    pub observed_at: String,
    /// A status of the check's ladder (its id).
    #[arg(long, value_name = "S")]
    pub status: String,
    #[arg(long, default_value = "")]
    pub device: String,
    #[arg(long, default_value = "")]
    pub os: String,
    #[arg(long, default_value = "")]
    pub app: String,
    #[arg(long, default_value = "")]
    pub app_version: String,
    #[arg(long, default_value = "")]
    pub network: String,
    #[arg(long, default_value = "")]
    pub network_region: String,
    #[arg(long, default_value = "")]
    pub account_region: String,
    /// The steps taken.
    #[arg(long, default_value = "")]
    pub steps: String,
    /// What was seen, in the tester's words.
    #[arg(long, default_value = "")]
    pub seen: String,
    /// A screenshot (PNG, JPEG or WebP): 1 to 5 of them.
    #[arg(long = "screenshot", value_name = "FILE")]
    pub screenshots: Vec<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum CatalogAction {
    /// Validate every catalog file and print every problem with file and line.
    Check,
    /// Validate, then load the catalog into the database (idempotent).
    Load,
}

/// Runs the command line; the exit code is non-zero on any failure.
pub fn run(cli: Cli) -> ExitCode {
    let listen = match &cli.command {
        Command::Serve { listen, .. } => *listen,
        _ => None,
    };
    let overrides = Overrides {
        database_url: cli.database_url.clone(),
        listen,
        catalog_dir: cli.catalog_dir.clone(),
        log: cli.log.clone(),
    };
    let config = match Config::load(cli.config.as_deref(), &overrides) {
        Ok(mut c) => {
            if let Command::Serve { demo: true, .. } | Command::Worker { demo: true, .. } =
                cli.command
            {
                c.probes.demo = true;
            }
            if let Command::Serve { probe: true, .. } = cli.command {
                c.probes.in_serve = true;
            }
            if let Command::Worker {
                vantage: Some(v), ..
            } = &cli.command
            {
                c.probes.vantage = v.clone();
            }
            if let Command::Worker {
                metrics_listen: Some(a),
                ..
            } = &cli.command
            {
                c.metrics.worker_listen = Some(*a);
            }
            c
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_tracing(&config.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let explicit_database = cli.database_url.clone();
    let result = runtime.block_on(async {
        match cli.command {
            Command::Bench { what: BenchCommand::Storage { observations, checks } } => {
                crate::bench::storage(crate::bench::StorageBench {
                    observations,
                    checks,
                    database_url: explicit_database,
                    catalog_dir: config.catalog_dir.clone(),
                })
                .await
            }
            Command::Bench { what: BenchCommand::Writes { observations, batch, checks, confirmations, writers } } => {
                crate::bench::writes::writes(crate::bench::writes::WritesBench {
                    observations,
                    batch,
                    checks,
                    confirmations,
                    writers,
                    database_url: explicit_database,
                    catalog_dir: config.catalog_dir.clone(),
                })
                .await
            }
            Command::Bench { what: BenchCommand::Seed { observations, checks, change_every, writers } } => {
                crate::bench::seed::seed_command(observations, checks, change_every, writers, explicit_database, config.catalog_dir.clone()).await
            }
            Command::Bench { what: BenchCommand::Pages { requests, concurrency, observations, checks, write_rate } } => {
                crate::bench::pages::pages(crate::bench::pages::PagesBench {
                    requests,
                    concurrency,
                    database_url: explicit_database,
                    seed_observations: observations,
                    seed_checks: checks,
                    catalog_dir: config.catalog_dir.clone(),
                    write_rate,
                })
                .await
            }
            Command::Bench { what: BenchCommand::Catalog { platforms, checks } } => {
                crate::bench::catalog_load::catalog(crate::bench::catalog_load::CatalogBench {
                    platforms,
                    checks,
                    database_url: explicit_database,
                    catalog_dir: config.catalog_dir.clone(),
                })
                .await
            }
            Command::Bench { what: BenchCommand::Retract { repeats } } => {
                crate::bench::retract::retract(crate::bench::retract::RetractBench {
                    repeats,
                    database_url: explicit_database,
                    catalog_dir: config.catalog_dir.clone(),
                })
                .await
            }
            Command::Bench { what: BenchCommand::Export { rows, repeat } } => {
                crate::bench::seed::export_command(rows, repeat, explicit_database, config.catalog_dir.clone()).await
            }
            Command::Bench { what: BenchCommand::Probes { cashier: Some(base), pages, rounds, concurrency, as_scheduled, .. } } => {
                crate::bench::cashier::cashier(crate::bench::cashier::CashierBench {
                    base,
                    pages: pages as usize,
                    rounds: rounds as usize,
                    concurrency,
                    as_scheduled,
                    database_url: explicit_database,
                    catalog_dir: config.catalog_dir.clone(),
                })
                .await
            }
            Command::Bench { what: BenchCommand::Probes { runs, kb, concurrency, targets, workers, seconds, packs, .. } } => {
                crate::bench::probes::probes(crate::bench::probes::ProbeBench {
                    runs,
                    kb,
                    concurrency,
                    targets: targets.unwrap_or(if workers.is_some() { 8000 } else { 500 }),
                    database_url: explicit_database,
                    catalog_dir: config.catalog_dir.clone(),
                    workers: workers.map(usize::from),
                    seconds,
                    packs: usize::from(packs),
                })
                .await
            }
            Command::Serve { .. } => serve_command(&config).await,
            Command::Worker { .. } => probe_cli::worker(&config, serve::shutdown_signal()).await,
            Command::Simulate { listen, period } => probe_cli::simulate(listen, period).await,
            Command::Reclassify { pack } => probe_cli::reclassify(&config, pack.as_deref()).await.map(|_| ()),
            Command::Probe { action: ProbeAction::Run { pack, check } } => {
                probe_cli::run_now(&config, pack.as_deref(), check.as_deref(), serve::shutdown_signal()).await.map(|_| ())
            }
            Command::Probe { action: ProbeAction::Check } => match probe_cli::check_packs(&config.catalog_dir) {
                Ok(packs) => {
                    outln!("{} probe packs are valid:", packs.len());
                    for p in &packs {
                        let checks: usize = p.targets.iter().map(|t| t.checks.len()).sum();
                        outln!(
                            "  {:<24} {:<8} v{:<3} {:>3} checks  {:>2} rules  {}{}",
                            p.id, p.kind, p.version, checks, p.rules.len(), p.schedule,
                            match (p.verified, p.simulated) {
                                (_, true) => "  simulated",
                                (false, _) => "  UNVERIFIED",
                                _ => "",
                            }
                        );
                    }
                    Ok(())
                }
                Err(problems) => Err(anyhow::anyhow!("{problems}")),
            },
            Command::Probe { action: ProbeAction::Classify { pack, file, url, status, content_type } } => {
                probe_cli::classify_file(&config.catalog_dir, &pack, &file, url.as_deref(), status, content_type.as_deref())
                    .map(|v| probe_cli::print_offline(&v))
            }
            Command::User { action } => user_command(&config, action).await,
            Command::Observe { action: ObserveAction::Add(add) } => observe_add(&config, *add).await.map(|id| {
                outln!("hand test {id} stored; it waits for review and is not public until a reviewer approves it");
                outln!("follow it at /contribute/mine (signed in as the account), or GET /api/v1/submissions/mine with an API token");
            }),
            Command::Observe { action: ObserveAction::Retract { id, reason, login } } => {
                observe_retract(&config, id, &reason, &login).await.map(|line| outln!("{line}"))
            }
            Command::Partitions { action } => partitions(&config, action).await,
            Command::Migrate => migrate(&config).await.map(|()| outln!("database {} is up to date", crate::config::redact_url(&config.database_url))),
            Command::Catalog { action: CatalogAction::Check } => match check_catalog(&config.catalog_dir) {
                Ok(cat) => {
                    outln!("catalog {} is valid:", config.catalog_dir.display());
                    for (what, n) in catalog::summary(&cat) {
                        outln!("  {n:>4} {what}");
                    }
                    Ok(())
                }
                Err(problems) => Err(anyhow::anyhow!("{problems}")),
            },
            Command::Catalog { action: CatalogAction::Load } => load_catalog(&config).await.map(|r| {
                outln!(
                    "catalog loaded: {} observations inserted, {} updated, {} unchanged; {} reference rows upserted",
                    r.observations_inserted, r.observations_updated, r.observations_unchanged, r.reference_rows
                )
            }),
        }
    });
    // Blocking work still in flight (a page being classified) would keep the runtime, and
    // so the process, alive until it ends: give it a moment, then exit regardless.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing(filter: &str) {
    use tracing_subscriber::field::MakeExt;
    let filter = tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|e| {
        eprintln!("warning: log filter \"{filter}\" is invalid ({e}); using \"info\"");
        tracing_subscriber::EnvFilter::new("info")
    });
    // Each field's text capped: sqlx's slow-statement warning names the whole statement,
    // and one batch INSERT of 1,000 observations is some 150 KB of placeholders.
    let fields = tracing_subscriber::fmt::format::debug_fn(|w, field, value| {
        let text = format!("{value:?}");
        let shown = capped(&text, LOGGED_FIELD_CHARS);
        if field.name() == "message" {
            write!(w, "{shown}")
        } else {
            write!(w, "{}={shown}", field.name())
        }
    })
    .delimited(" ");
    // A second initialisation (tests calling `run` twice) is harmless: keep the first.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .fmt_fields(fields)
        .try_init();
}

/// Characters of one logged field shown at most.
const LOGGED_FIELD_CHARS: usize = 1_000;

/// `text` cut to its first `max` characters, saying how many bytes were left out.
fn capped(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => std::borrow::Cow::Owned(format!(
            "{}… ({} more bytes not logged)",
            &text[..cut],
            text.len() - cut
        )),
    }
}

/// `hutong serve`.
pub async fn serve_command(config: &Config) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    app.run_until(serve::shutdown_signal()).await
}

/// The first line of standard input, without its line ending.
fn password_from_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

/// `hutong user add | reset | disable | list`.
pub async fn user_command(config: &Config, action: UserAction) -> anyhow::Result<()> {
    use crate::accounts::{self, Actor};
    let store = Store::open(&config.database_url, config.max_connections).await?;
    let actor = Actor::command_line();
    let result = async {
        match action {
            UserAction::Add {
                login,
                role,
                name,
                organisation,
                email,
                password_stdin,
            } => {
                let password = if password_stdin {
                    Some(password_from_stdin()?)
                } else {
                    None
                };
                let new = crate::domain::NewAccount {
                    login,
                    public_name: name,
                    organisation,
                    email,
                    role,
                };
                let (account, generated) = accounts::add(&store, new, password, &actor).await?;
                outln!(
                    "account {} created ({}, credited as \"{}\")",
                    account.login,
                    account.role,
                    account.credit()
                );
                if let Some(p) = generated {
                    outln!("password (shown once; give it to its owner): {p}");
                }
            }
            UserAction::Reset {
                login,
                password_stdin,
            } => {
                let password = if password_stdin {
                    Some(password_from_stdin()?)
                } else {
                    None
                };
                let (account, generated) =
                    accounts::reset(&store, &login, password, &actor).await?;
                outln!(
                    "account {}: new password set, sessions ended",
                    account.login
                );
                if let Some(p) = generated {
                    outln!("password (shown once; give it to its owner): {p}");
                }
            }
            UserAction::Disable { login } => {
                let account = accounts::disable(&store, &login, &actor).await?;
                outln!("account {} disabled, sessions ended", account.login);
            }
            UserAction::List => {
                for a in store.accounts().await? {
                    outln!(
                        "{:<24} {:<12} {:<9} {}",
                        a.login,
                        a.role,
                        if a.is_disabled() {
                            "disabled"
                        } else {
                            "active"
                        },
                        a.credit()
                    );
                }
            }
        }
        anyhow::Ok(())
    }
    .await;
    store.close().await;
    result
}

/// `hutong observe add`: checks and stores a pending hand test of `add.login`; its id.
/// Every problem is named (a file by its path), and nothing is stored unless all is well.
pub async fn observe_add(config: &Config, add: ObserveAdd) -> anyhow::Result<i64> {
    use crate::accounts::Actor;
    use crate::contributions::{self, ContributionError, HandTest, UploadedFile};
    let mut files = Vec::new();
    let mut unreadable = Vec::new();
    for path in &add.screenshots {
        // Read no more than a screenshot may be (and one byte more, to know it is more).
        let read = std::fs::File::open(path).and_then(|f| {
            use std::io::Read;
            let mut bytes = Vec::new();
            f.take(crate::screenshots::MAX_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .map(|_| bytes)
        });
        match read {
            Ok(bytes) => files.push(UploadedFile {
                name: path.display().to_string(),
                bytes,
            }),
            Err(e) => unreadable.push(format!("screenshot {}: {e}", path.display())),
        }
    }
    if !unreadable.is_empty() {
        anyhow::bail!("nothing stored: {}", unreadable.join("; "));
    }
    let store = Store::open(&config.database_url, config.max_connections).await?;
    let result = async {
        let account = store
            .account_by_login(&add.login)
            .await?
            .filter(|a| !a.is_disabled())
            .ok_or_else(|| anyhow::anyhow!("no enabled account has the login \"{}\"", add.login))?;
        if !account.role.allows(crate::domain::Role::Contributor) {
            anyhow::bail!("{} may not submit hand tests", account.login);
        }
        let reference = store.reference().await?;
        let test = HandTest {
            observed_at: add.observed_at,
            status: add.status,
            device: add.device,
            os: add.os,
            app: add.app,
            app_version: add.app_version,
            network: add.network,
            network_region: add.network_region,
            account_region: add.account_region,
            steps: add.steps,
            seen: add.seen,
        };
        let checked = contributions::check(&reference, &add.check, account.id, test, files)
            .await
            .map_err(|e| match e {
                ContributionError::Refused(problems) => anyhow::anyhow!(
                    "nothing stored:\n  {}",
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("\n  ")
                ),
                e => anyhow::anyhow!("nothing stored: {e}"),
            })?;
        let actor = Actor::account(&account, None).via("cli");
        Ok(contributions::store(&store, &checked, &actor).await?)
    }
    .await;
    store.close().await;
    result
}

/// `hutong observe retract ID --reason TEXT --as LOGIN`: what was done, in a line. The
/// account must be an enabled reviewer or admin; the audit line names it, from the
/// command line.
pub async fn observe_retract(
    config: &Config,
    id: i64,
    reason: &str,
    login: &str,
) -> anyhow::Result<String> {
    use crate::domain::{RetractOutcome, Role, retraction_reason};
    let reason = retraction_reason(reason)?;
    let store = Store::open(&config.database_url, config.max_connections).await?;
    let result = async {
        let account = match store.account_by_login(login).await? {
            Some(a) if !a.is_disabled() => a,
            Some(_) => anyhow::bail!("the account \"{login}\" is disabled"),
            None => anyhow::bail!("no account has the login \"{login}\""),
        };
        if !account.role.allows(Role::Reviewer) {
            anyhow::bail!(
                "the account \"{login}\" is a {}: only reviewers and admins retract observations",
                account.role
            );
        }
        let actor = crate::accounts::Actor::account(&account, Some("command line".into()));
        let audit = actor.entry(
            "observation.retract",
            Some(format!("observation {id}")),
            Some(reason.clone()),
        );
        match store.retract_observation(id, &reason, &audit).await? {
            RetractOutcome::Retracted { check_id } => Ok(format!(
                "observation {id} (check {check_id}) retracted; it is listed in the corrections log"
            )),
            RetractOutcome::NoSuchObservation => anyhow::bail!("there is no observation {id}"),
            RetractOutcome::AlreadyRetracted { at } => anyhow::bail!(
                "observation {id} was already retracted at {}: nothing was changed",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
        }
    }
    .await;
    store.close().await;
    result
}

/// `hutong migrate`.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    let store = Store::open(&config.database_url, config.max_connections).await?;
    store.close().await;
    Ok(())
}

/// `hutong partitions list | detach --year Y`.
async fn partitions(config: &Config, action: PartitionAction) -> anyhow::Result<()> {
    // Refused before opening: opening a SQLite URL would make the file.
    if !config.database_url.starts_with("postgres") {
        anyhow::bail!(
            "partitions: only PostgreSQL partitions observations by year, and {} is not PostgreSQL; \
             a SQLite database is one file (archive it whole with `sqlite3 FILE .backup`)",
            crate::config::redact_url(&config.database_url)
        );
    }
    let store = Store::open(&config.database_url, 2).await?;
    let now = chrono::Utc::now();
    let result = async {
        match action {
            PartitionAction::List => {
                let parts = store.partitions().await?;
                let at = |t: Option<chrono::DateTime<chrono::Utc>>, open: &str| {
                    t.map_or(open.to_string(), |t| {
                        t.with_timezone(&crate::time::SHANGHAI)
                            .format("%Y-%m-%d")
                            .to_string()
                    })
                };
                for (changes, what) in [
                    (false, "repeats by year (Asia/Shanghai)"),
                    (true, "changes, live until their year is detached"),
                ] {
                    let of: Vec<_> = parts.iter().filter(|p| p.changes() == changes).collect();
                    outln!("{what}, {} partitions:", of.len());
                    for p in of {
                        // The changes' partition is a list's: it has no span.
                        let span = if changes {
                            "what pages read".to_string()
                        } else {
                            format!("{:>10} – {:<10}", at(p.from, "…"), at(p.to, "…"))
                        };
                        outln!(
                            "  {:<34} {:<23} ≈ {:>11} rows {:>9.1} MiB",
                            p.name,
                            span,
                            p.rows_estimate,
                            p.bytes as f64 / 1048576.0,
                        );
                    }
                }
                Ok(())
            }
            PartitionAction::Detach { year } => {
                let gone = store.detach_year(year, now).await?;
                let mut tables = Vec::new();
                if let Some(n) = gone.repeats {
                    outln!(
                        "{n} repeats of {year} left what pages read: observation_repeats_{year}"
                    );
                    tables.push(format!("observation_repeats_{year}"));
                }
                if gone.changes > 0 {
                    outln!(
                        "{} changes of {year} that no later answer stands on left what pages \
                         read: observations_{year} (those that still stand stay)",
                        gone.changes
                    );
                    tables.push(format!("observations_{year}"));
                }
                let dump: Vec<String> = tables.iter().map(|t| format!("-t {t}")).collect();
                outln!(
                    "the detached tables stay until archived (pg_dump {}) and dropped",
                    dump.join(" ")
                );
                Ok(())
            }
        }
    }
    .await;
    store.close().await;
    result
}

/// `hutong catalog check`.
pub fn check_catalog(dir: &Path) -> Result<Catalog, Problems> {
    catalog::load_dir(dir)
}

/// `hutong catalog load`: nothing is written unless the whole catalog is valid.
pub async fn load_catalog(config: &Config) -> anyhow::Result<LoadReport> {
    let cat = catalog::load_dir(&config.catalog_dir).map_err(|p| anyhow::anyhow!("{p}"))?;
    let store = Store::open(&config.database_url, config.max_connections).await?;
    let report = store.apply_catalog(&cat).await?;
    store.close().await;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::capped;

    #[test]
    fn a_logged_field_is_cut_at_a_character_and_says_how_much_was_left_out() {
        assert_eq!(capped("select 1", 1_000), "select 1");
        assert_eq!(capped("abcdef", 6), "abcdef");
        assert_eq!(capped("abcdef", 4), "abcd… (2 more bytes not logged)");
        // Cut between characters, never inside one (each of these is 3 bytes).
        assert_eq!(capped("互通互通", 1), "互… (9 more bytes not logged)");
        let statement = format!(
            "insert into observations values {}",
            "(?, ?), ".repeat(20_000)
        );
        let shown = capped(&statement, 1_000);
        assert!(shown.len() < 1_100, "{}", shown.len());
        assert!(shown.starts_with("insert into observations values (?, ?)"));
    }
}
