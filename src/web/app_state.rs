//! What every handler shares.

use crate::storage::{Memo, Reads, StorageError, Store};
use std::sync::Arc;

/// What every handler shares: the store, the probe packs, the settings pages need, and
/// the results kept between requests.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    /// The probe packs loaded at start (empty when none).
    pub packs: Arc<Vec<crate::probes::PackSummary>>,
    /// A pack failing for longer than this is flagged on the overview.
    pub probe_alert_after: chrono::Duration,
    /// Where readers reach this server (`public_url`): absolute links in exports and feeds.
    pub public_url: String,
    /// Evidence older than this many days at a page's date is stale (`stale_after_days`).
    pub stale_after_days: u32,
    /// Results kept while the data stays the same (see [`crate::storage::memo`]).
    pub memo: Arc<Memo>,
    /// Chart PNGs: drawn once, kept, shared and queued (see [`super::png`]).
    pub png: Arc<super::png::PngCharts>,
    /// Share charts' SVG drawings, kept by what they show (see [`super::drawings`]).
    pub drawings: Arc<super::drawings::Drawings>,
    /// Sign-in limits and session settings (see [`super::limits`]).
    pub accounts: Arc<super::limits::AccountSettings>,
    /// The dataset archive of the latest data version it was built for.
    pub dataset: Arc<tokio::sync::Mutex<Option<Arc<KeptArchive>>>>,
    /// Who may read `/metrics`; `None`: it is not served (`metrics.enabled` off).
    pub metrics: Option<Arc<crate::metrics::Access>>,
    /// How many webhook receivers are configured (the delivery log says so).
    pub webhook_receivers: usize,
    /// Which vantage points are watched for silence, and when a worker counts as alive.
    pub fleet: Arc<FleetWatch>,
}

/// What the fleet view needs from the configuration.
#[derive(Debug, Clone)]
pub struct FleetWatch {
    /// The configured vantage points (`[[probes.vantage_points]]`). When there are any,
    /// they are the points watched for silence, even before they are first heard from;
    /// when there are none, every point ever heard from is watched.
    pub configured: Vec<String>,
    /// A worker whose last heartbeat is older than this (its lease) counts as gone.
    pub alive_within: chrono::Duration,
}

impl Default for FleetWatch {
    fn default() -> Self {
        FleetWatch {
            configured: Vec::new(),
            alive_within: chrono::Duration::seconds(30),
        }
    }
}

impl FleetWatch {
    pub fn from_config(config: &crate::config::Config) -> FleetWatch {
        FleetWatch {
            configured: (config.probes.vantage_points.iter())
                .map(|p| p.name.clone())
                .collect(),
            alive_within: i64::try_from(config.probes.lease_ms)
                .ok()
                .and_then(chrono::Duration::try_milliseconds)
                .unwrap_or(chrono::Duration::seconds(30)),
        }
    }
}

/// A download built once per data version and kept: `/dataset.zip`.
#[derive(Debug)]
pub struct KeptArchive {
    pub version: i64,
    pub bytes: axum::body::Bytes,
    /// Of `bytes`, in hex: the `ETag`.
    pub sha256: String,
    /// What `Content-Disposition` offers.
    pub file_name: String,
}

impl AppState {
    /// A state with no probe packs (tests of pages that need none).
    pub fn new(store: Store) -> AppState {
        AppState {
            store,
            packs: Arc::new(Vec::new()),
            probe_alert_after: chrono::Duration::hours(1),
            public_url: crate::config::DEFAULT_PUBLIC_URL.to_string(),
            stale_after_days: crate::config::DEFAULT_STALE_AFTER_DAYS,
            memo: Default::default(),
            png: Default::default(),
            drawings: Default::default(),
            accounts: Default::default(),
            dataset: Default::default(),
            metrics: None,
            webhook_receivers: 0,
            fleet: Default::default(),
        }
    }

    /// The same state with another public URL (no trailing slash needed).
    pub fn with_public_url(mut self, url: &str) -> AppState {
        self.public_url = url.trim_end_matches('/').to_string();
        self
    }

    /// A request's reads: the data version read once, what is kept under it.
    pub async fn reads(&self) -> Result<Reads, StorageError> {
        self.memo.reads(&self.store).await
    }
}
