//! The web server's life: validate the catalog, open and migrate the database, load the
//! catalog, listen, and shut down cleanly on Ctrl-C or SIGTERM.

use crate::catalog::{self, Catalog};
use crate::config::{Config, VantagePoint};
use crate::connections::{self, ConnectionLimits};
use crate::probes::PackSummary;
use crate::probes::engine::Engine;
use crate::probes::fetch::{Fetcher, FetcherOptions};
use crate::probes::pack::{self, ProbePack};
use crate::scheduler::{self, Scheduler};
use crate::simulator::{RunningSimulator, Simulator, Timetable};
use crate::storage::{Backend, Store};
use crate::web::app_state::FleetWatch;
use crate::web::{self, AppState};
use crate::webhooks::{Receiver, Webhooks};
use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    store: Store,
    addr: SocketAddr,
    probes: ProbeSystem,
    schedule: bool,
    alert_after: chrono::Duration,
    public_url: String,
    stale_after_days: u32,
    limits: ConnectionLimits,
    metrics: Option<Arc<crate::metrics::Access>>,
    webhooks: Option<Webhooks>,
    fleet: Arc<FleetWatch>,
    /// On SQLite, the lock that keeps a second writer out (held until the end).
    _writer: Option<std::fs::File>,
}

/// How often queued webhook deliveries are looked at (and failing packs checked).
pub const WEBHOOK_ROUND: Duration = Duration::from_secs(2);

/// The probe engine as a process runs it: packs, fetchers, the simulator when asked for,
/// and which packs the scheduler takes.
pub struct ProbeSystem {
    pub engine: Engine,
    pub summaries: Vec<PackSummary>,
    /// Ids of the packs this process schedules.
    pub scheduled: Vec<String>,
    pub simulator: Option<(Simulator, RunningSimulator)>,
    /// With `probes.demo`: the other configured vantage points, each probing the simulated
    /// packs through a simulator of its own, in this same process.
    pub elsewhere: Vec<DemoVantage>,
}

/// A further vantage point `serve --demo` probes from: a simulator standing for that
/// point's network ([`Simulator::seen_from`]) and an engine probing through it, so its
/// verdicts are stored under `simulated@NAME`, its own source.
pub struct DemoVantage {
    pub engine: Engine,
    /// Ids of the (simulated) packs scheduled at this point.
    pub scheduled: Vec<String>,
    pub simulator: Simulator,
    pub running: RunningSimulator,
}

/// The vantage points of `serve --demo` when the configuration names none: two simulated
/// stand-ins, one inside mainland China and one outside, whose simulators answer some
/// links differently (as two real networks would).
pub fn demo_vantage_points() -> Vec<VantagePoint> {
    vec![
        VantagePoint {
            name: "sim-beijing".into(),
            description: Some(
                "Simulated: a Beijing broadband line, accounts registered in mainland China"
                    .into(),
            ),
            network: Some("simulator (no real network)".into()),
            region: Some("Beijing (simulated)".into()),
            account_region: Some("mainland China (simulated)".into()),
            device: None,
        },
        VantagePoint {
            name: "sim-hongkong".into(),
            description: Some(
                "Simulated: a Hong Kong line, accounts registered outside mainland China; the simulator answers some links differently here"
                    .into(),
            ),
            network: Some("simulator (no real network)".into()),
            region: Some("Hong Kong (simulated)".into()),
            account_region: Some("outside mainland China (simulated)".into()),
            device: None,
        },
    ]
}

/// The configuration `serve --demo` runs with: when no vantage point is configured, the
/// demo's two ([`demo_vantage_points`]), probing from the first. Otherwise unchanged.
pub fn with_demo_vantage_points(config: &Config) -> Config {
    let mut config = config.clone();
    if config.probes.demo && config.probes.vantage_points.is_empty() {
        config.probes.vantage_points = demo_vantage_points();
        config.probes.vantage = config.probes.vantage_points[0].name.clone();
    }
    config
}

/// How long the demo simulator keeps each state.
pub const DEMO_PERIOD: Duration = Duration::from_secs(90);

impl ProbeSystem {
    /// Loads and validates the packs in `<catalog>/probes`, starts the in-process
    /// simulator with `probes.demo`, and builds the engine.
    pub async fn build(
        config: &Config,
        catalog: &Catalog,
        store: Store,
    ) -> anyhow::Result<ProbeSystem> {
        let packs_dir = config.catalog_dir.join("probes");
        let packs = pack::load_packs(&packs_dir, catalog).map_err(|problems| {
            anyhow::anyhow!(
                "the probe packs in {} are invalid\n{problems}",
                packs_dir.display()
            )
        })?;
        let simulator = if config.probes.demo {
            let sim = Simulator::new(Timetable::Rotating {
                period: DEMO_PERIOD,
            });
            let running = sim
                .start(SocketAddr::from(([127, 0, 0, 1], 0)))
                .await
                .context("starting the simulator")?;
            tracing::info!(
                "simulator listening on http://{} (demo data, labelled simulated)",
                running.addr
            );
            Some((sim, running))
        } else {
            None
        };
        let proxy = match (&simulator, &config.probes.simulator) {
            (Some((_, running)), _) => Some(format!("http://{}", running.addr)),
            (None, Some(url)) => Some(url.clone()),
            (None, None) => None,
        };
        Self::with_packs(config, store, packs, proxy, simulator)
    }

    /// Builds the engine for given packs; `simulator_proxy` routes simulated packs.
    pub fn with_packs(
        config: &Config,
        store: Store,
        packs: Vec<ProbePack>,
        simulator_proxy: Option<String>,
        simulator: Option<(Simulator, RunningSimulator)>,
    ) -> anyhow::Result<ProbeSystem> {
        let allow_private = config.probes.allow_private_addresses;
        if allow_private {
            tracing::warn!(
                "probes.allow_private_addresses is on: probes may connect to this machine, private networks and cloud metadata services; use it only in test set-ups"
            );
        }
        let options = |proxy: Option<url::Url>| fetcher_options(config, proxy);
        let fetcher = Fetcher::new(options(None)).context("building the HTTP client")?;
        let sim_fetcher = match &simulator_proxy {
            Some(url) => {
                let proxy = url::Url::parse(url)
                    .with_context(|| format!("probes.simulator \"{url}\" is not a URL"))?;
                Some(Fetcher::new(options(Some(proxy))).context("building the simulator client")?)
            }
            None => None,
        };
        let have_sim = sim_fetcher.is_some();
        let summaries: Vec<PackSummary> = packs
            .iter()
            .map(|p| {
                summary(
                    p,
                    scheduler::schedulable(p, config.probes.run_unverified, have_sim),
                    &config.catalog_dir,
                )
            })
            .collect();
        let scheduled = summaries
            .iter()
            .filter(|s| s.scheduled)
            .map(|s| s.id.clone())
            .collect();
        let engine = Engine::new(
            store,
            packs,
            fetcher,
            sim_fetcher,
            &config.probes.vantage,
            config.probes.concurrency,
        );
        Ok(ProbeSystem {
            engine,
            summaries,
            scheduled,
            simulator,
            elsewhere: Vec::new(),
        })
    }

    /// Starts the scheduler for the scheduled packs.
    pub async fn start_scheduler(&self) -> anyhow::Result<Scheduler> {
        Scheduler::start(self.engine.clone(), &self.scheduled).await
    }

    /// With `probes.demo` (`serve --demo`, one process): probes from every other
    /// configured vantage point too, each through a simulator of its own.
    pub async fn add_demo_vantage_points(&mut self, config: &Config) -> anyhow::Result<()> {
        if config.probes.demo {
            let simulated = self
                .summaries
                .iter()
                .filter(|s| s.simulated)
                .filter_map(|s| self.engine.pack(&s.id))
                .map(|p| (*p).clone())
                .collect();
            self.elsewhere = demo_elsewhere(
                config,
                self.engine.store().clone(),
                simulated,
                &self.summaries,
            )
            .await?;
        }
        Ok(())
    }

    /// Starts a scheduler per further demo vantage point ([`ProbeSystem::elsewhere`]).
    pub async fn start_demo_schedulers(&self) -> anyhow::Result<Vec<Scheduler>> {
        let mut schedulers = Vec::new();
        for point in &self.elsewhere {
            schedulers.push(Scheduler::start(point.engine.clone(), &point.scheduled).await?);
        }
        Ok(schedulers)
    }
}

fn fetcher_options(config: &Config, proxy: Option<url::Url>) -> FetcherOptions {
    FetcherOptions {
        user_agent: config.probes.user_agent.clone(),
        proxy,
        connect_timeout: Duration::from_secs(10),
        allow_private_addresses: config.probes.allow_private_addresses,
        resolver: None,
    }
}

/// With `probes.demo`, an engine and a simulator of its own for each configured vantage
/// point besides `probes.vantage`, probing the simulated packs only (real packs are
/// probed from where this machine really is, never from a stand-in).
async fn demo_elsewhere(
    config: &Config,
    store: Store,
    simulated: Vec<ProbePack>,
    summaries: &[PackSummary],
) -> anyhow::Result<Vec<DemoVantage>> {
    let scheduled: Vec<String> = summaries
        .iter()
        .filter(|s| s.scheduled && s.simulated)
        .map(|s| s.id.clone())
        .collect();
    let mut points = Vec::new();
    for point in &config.probes.vantage_points {
        if point.name == config.probes.vantage {
            continue;
        }
        let simulator = Simulator::seen_from(
            Timetable::Rotating {
                period: DEMO_PERIOD,
            },
            &point.name,
        );
        let running = simulator
            .start(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .with_context(|| format!("starting the simulator of vantage point {}", point.name))?;
        let proxy = url::Url::parse(&format!("http://{}", running.addr))
            .context("the simulator's address is not a URL")?;
        let direct =
            Fetcher::new(fetcher_options(config, None)).context("building the HTTP client")?;
        let through = Fetcher::new(fetcher_options(config, Some(proxy)))
            .context("building the simulator client")?;
        tracing::info!(
            "simulator for vantage point {} listening on http://{} (demo data, labelled simulated)",
            point.name,
            running.addr
        );
        let engine = Engine::new(
            store.clone(),
            simulated.clone(),
            direct,
            Some(through),
            &point.name,
            config.probes.concurrency,
        );
        points.push(DemoVantage {
            engine,
            scheduled: scheduled.clone(),
            simulator,
            running,
        });
    }
    Ok(points)
}

fn summary(p: &ProbePack, scheduled: bool, catalog_dir: &std::path::Path) -> PackSummary {
    PackSummary {
        id: p.id.clone(),
        name_en: p.name_en.clone(),
        name_zh: p.name_zh.clone(),
        kind: p.kind.clone(),
        version: p.version,
        verified: p.verified,
        simulated: p.simulated,
        enabled: p.enabled,
        scheduled,
        schedule: p.schedule.clone(),
        confirmations: p.confirmations,
        checks: p
            .targets
            .iter()
            .flat_map(|t| t.checks.iter().map(|c| c.check_id.clone()))
            .collect(),
        file: p
            .file
            .strip_prefix(catalog_dir)
            .unwrap_or(&p.file)
            .display()
            .to_string(),
    }
}

/// Whether `serve` probes: on SQLite as `probes.schedule` says (it is the one process);
/// on PostgreSQL, where workers probe, only when told to (`probes.in_serve`, `--probe`,
/// or `--demo`, whose simulator is there to be probed).
pub fn probes_in_serve(config: &Config, backend: Backend) -> bool {
    config.probes.schedule
        && (backend == Backend::Sqlite || config.probes.in_serve || config.probes.demo)
}

/// Why a second process may not write a SQLite database, in words.
pub const SQLITE_ONE_WRITER: &str = "on SQLite Hutong is one process (`hutong serve` with its \
    own probe scheduler); to run workers (`hutong worker`) or several servers, use \
    PostgreSQL (--database-url postgres://…)";

/// On SQLite, the one writer: an exclusive lock on `<database>.lock` held for the
/// process's life, so that a second `serve` on the same file is refused with why.
pub fn single_writer(store: &Store) -> anyhow::Result<Option<std::fs::File>> {
    let Some(file) = store.sqlite_file() else {
        return Ok(None);
    };
    let mut lock_path = file.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .with_context(|| format!("cannot open {}", std::path::Path::new(&lock_path).display()))?;
    match lock.try_lock() {
        Ok(()) => Ok(Some(lock)),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "refusing to start: another Hutong process is already using the SQLite database {}; {SQLITE_ONE_WRITER}",
            file.display()
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(e)
            .with_context(|| format!("cannot lock {}", std::path::Path::new(&lock_path).display())),
    }
}

/// Validates the catalog and opens the database with the catalog loaded.
pub async fn open_with_catalog(config: &Config) -> anyhow::Result<(Catalog, Store)> {
    let cat = catalog::load_dir(&config.catalog_dir).map_err(|problems| {
        anyhow::anyhow!(
            "the catalog in {} is invalid\n{problems}",
            config.catalog_dir.display()
        )
    })?;
    let store = Store::open(&config.database_url, config.max_connections).await?;
    store
        .apply_catalog(&cat)
        .await
        .context("loading the catalog into the database")?;
    Ok((cat, store))
}

impl Application {
    /// Everything that can fail before serving fails here, with a message that says why.
    /// An invalid catalog stops start-up before the database is touched.
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        let config = &with_demo_vantage_points(config);
        let cat = catalog::load_dir(&config.catalog_dir).map_err(|problems| {
            anyhow::anyhow!(
                "refusing to start: the catalog in {} is invalid\n{problems}",
                config.catalog_dir.display()
            )
        })?;
        let store = Store::open(&config.database_url, config.max_connections).await?;
        let writer = single_writer(&store)?;
        let schedule = probes_in_serve(config, store.backend());
        let report = store
            .apply_catalog(&cat)
            .await
            .context("loading the catalog into the database")?;
        tracing::info!(
            inserted = report.observations_inserted,
            updated = report.observations_updated,
            unchanged = report.observations_unchanged,
            "catalog loaded from {}",
            config.catalog_dir.display()
        );
        let mut probes = ProbeSystem::build(config, &cat, store.clone())
            .await
            .context("refusing to start")?;
        probes
            .add_demo_vantage_points(config)
            .await
            .context("refusing to start")?;
        register_vantage_points(config, &store)
            .await
            .context("refusing to start")?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        let limits = connection_limits(config);
        let metrics = if config.metrics.enabled {
            let token = config.metrics.bearer_token().context("refusing to start")?;
            if token.is_none() {
                tracing::warn!(
                    "metrics.enabled without metrics.token: /metrics is open to anyone who reaches {}",
                    addr
                );
            }
            Some(Arc::new(crate::metrics::Access::enable(token)))
        } else {
            None
        };
        let receivers = config
            .webhooks
            .iter()
            .map(Receiver::from_config)
            .collect::<Result<Vec<_>, String>>()
            .map_err(|e| anyhow::anyhow!("refusing to start: {e}"))?;
        let webhooks = if receivers.is_empty() {
            None
        } else {
            Some(Webhooks::new(
                store.clone(),
                receivers,
                &config.public_url(),
            )?)
        };
        Ok(Application {
            fleet: Arc::new(FleetWatch::from_config(config)),
            metrics,
            webhooks,
            listener,
            store,
            addr,
            probes,
            schedule,
            alert_after: chrono::Duration::minutes(config.probes.alert_after_minutes.max(1)),
            public_url: config.public_url(),
            stale_after_days: config.stale_after_days,
            limits,
            _writer: writer,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn probes(&self) -> &ProbeSystem {
        &self.probes
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes
    /// the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(
            "Hutong listening on http://{} with {} database {}",
            self.addr,
            self.store.backend().name(),
            self.store.url()
        );
        let scheduler = if self.schedule {
            Some(self.probes.start_scheduler().await?)
        } else {
            None
        };
        let demo_schedulers = if self.schedule {
            self.probes.start_demo_schedulers().await?
        } else {
            Vec::new()
        };
        let app = web::router(AppState {
            store: self.store.clone(),
            packs: Arc::new(self.probes.summaries.clone()),
            probe_alert_after: self.alert_after,
            public_url: self.public_url.clone(),
            stale_after_days: self.stale_after_days,
            memo: Default::default(),
            png: Default::default(),
            drawings: Default::default(),
            accounts: Default::default(),
            dataset: Default::default(),
            metrics: self.metrics.clone(),
            webhook_receivers: self.webhooks.as_ref().map_or(0, |w| w.receivers().len()),
            fleet: self.fleet.clone(),
        });
        let webhooks = self.webhooks.clone().map(|w| {
            let packs = Arc::new(self.probes.summaries.clone());
            let alert_after = self.alert_after;
            let store = self.store.clone();
            let alerts = w.clone();
            let fleet = self.fleet.clone();
            // Failing packs and silent vantage points are looked for beside the
            // deliveries, never by a page load.
            let watch = tokio::spawn(async move {
                loop {
                    tokio::time::sleep(WEBHOOK_ROUND).await;
                    alert_failing_packs(&alerts, &store, &packs, alert_after).await;
                    let now = chrono::Utc::now();
                    alert_silent_vantages(&alerts, &store, &packs, &fleet, alert_after, now).await;
                }
            });
            (w.spawn(WEBHOOK_ROUND), watch)
        });
        let years_ahead = tokio::spawn(crate::storage::keep_years_ahead(self.store.clone()));
        connections::serve(self.listener, app, self.limits, shutdown).await;
        years_ahead.abort();
        if let Some((task, watch)) = webhooks {
            watch.abort();
            task.shutdown().await;
        }
        if let Some(s) = scheduler {
            s.shutdown().await;
        }
        for s in demo_schedulers {
            s.shutdown().await;
        }
        if let Some((_, running)) = self.probes.simulator {
            running.shutdown().await;
        }
        for point in self.probes.elsewhere {
            point.running.shutdown().await;
        }
        self.store.close().await;
        tracing::info!("Hutong stopped");
        Ok(())
    }
}

/// Queues an alert for each pack failing for longer than `alert_after` (once per failure
/// streak: the alert is known by the pack and when the streak began).
async fn alert_failing_packs(
    webhooks: &Webhooks,
    store: &Store,
    packs: &[PackSummary],
    alert_after: chrono::Duration,
) {
    let statuses =
        match web::present::packs::pack_statuses(store, packs, alert_after, chrono::Utc::now())
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("webhooks: cannot read the packs' health: {e}");
                return;
            }
        };
    for s in statuses.iter().filter(|s| s.failing) {
        if let Some(since) = s.failing_since
            && let Err(e) = webhooks.alert_failing_pack(&s.pack.id, since).await
        {
            tracing::warn!(
                "webhooks: cannot queue the alert for pack {}: {e}",
                s.pack.id
            );
        }
    }
}

/// Queues an alert for each watched vantage point silent for longer than `alert_after`
/// as of `now` (once per silence: the alert is known by the point and when it was last
/// heard from, so a point that speaks again and falls silent again alerts again).
pub async fn alert_silent_vantages(
    webhooks: &Webhooks,
    store: &Store,
    packs: &[PackSummary],
    fleet: &FleetWatch,
    alert_after: chrono::Duration,
    now: chrono::DateTime<chrono::Utc>,
) {
    let health =
        match web::present::fleet::fleet_health(store, packs, fleet, alert_after, now).await {
            Ok(h) => h,
            Err(e) => {
                tracing::warn!("webhooks: cannot read the vantage points' health: {e}");
                return;
            }
        };
    for v in health.vantages.iter().filter(|v| v.silent) {
        if let Err(e) = webhooks
            .alert_silent_vantage(v.name(), v.status.last_seen)
            .await
        {
            tracing::warn!(
                "webhooks: cannot queue the alert for vantage point {}: {e}",
                v.name()
            );
        }
    }
}

/// Writes the configured vantage points to the registry, so that pages (here or in a
/// server on another machine) can say what each name stands for; with the scheduler on,
/// also the point this process probes from, which must then be a configured one.
pub async fn register_vantage_points(config: &Config, store: &Store) -> anyhow::Result<()> {
    for point in &config.probes.vantage_points {
        store
            .register_vantage_point(point)
            .await
            .with_context(|| format!("registering vantage point \"{}\"", point.name))?;
    }
    if config.probes.schedule {
        let own = config.own_vantage_point()?;
        if config.vantage_point(&own.name).is_none() {
            store
                .register_vantage_point(&own)
                .await
                .with_context(|| format!("registering vantage point \"{}\"", own.name))?;
        }
    }
    Ok(())
}

/// The `[http]` settings as limits, the connection limit lowered (and said so) when the
/// process's open-file limit would not leave room for the rest of the server.
fn connection_limits(config: &Config) -> ConnectionLimits {
    let configured = config.http.max_connections.get();
    let file_limit = connections::file_limit();
    let max_connections = connections::connections_within(configured, file_limit);
    if max_connections < configured {
        tracing::warn!(
            configured,
            file_limit,
            "open-file limit is low: at most {max_connections} client connections"
        );
    }
    ConnectionLimits {
        header_timeout: Duration::from_secs(config.http.header_timeout_secs.get()),
        idle_timeout: Duration::from_secs(config.http.idle_timeout_secs.get()),
        max_connections,
    }
}

/// Completes on Ctrl-C or SIGTERM. The handlers are installed when this is called, not
/// when first awaited: a signal that arrives while the server starts is not lost and does
/// not end the process outright.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let wait = |installed: std::io::Result<tokio::signal::unix::Signal>, name: &'static str| async move {
            match installed {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(e) => {
                    tracing::error!(error = %e, "cannot listen for {name}");
                    std::future::pending::<()>().await;
                }
            }
        };
        let ctrl_c = wait(signal(SignalKind::interrupt()), "Ctrl-C");
        let terminate = wait(signal(SignalKind::terminate()), "SIGTERM");
        async move {
            tokio::select! {
                () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
                () = terminate => tracing::info!("SIGTERM received, shutting down"),
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        tracing::info!("Ctrl-C received, shutting down");
    }
}
