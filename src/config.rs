//! One typed configuration, loaded once: defaults, then `hutong.toml` (if present), then
//! `HUTONG_*` environment variables, then command-line flags, each overriding the last.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;
use std::num::{NonZeroU64, NonZeroUsize};
use std::path::{Path, PathBuf};

/// The file read when no `--config` is given; missing is fine.
pub const DEFAULT_CONFIG_FILE: &str = "hutong.toml";

/// Evidence older than this many days at a page's date is stale, unless configured
/// otherwise (`stale_after_days`).
pub const DEFAULT_STALE_AFTER_DAYS: u32 = 180;

/// The public URL when neither `public_url` nor a usable listen address says otherwise.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";

#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite://path/to/file.db` or `postgres://user:password@host/db`.
    pub database_url: String,
    /// Where `hutong serve` listens.
    pub listen: SocketAddr,
    /// The folder of catalog TOML files.
    pub catalog_dir: PathBuf,
    /// A tracing filter: `info`, `hutong=debug,sqlx=warn`, …
    pub log: String,
    /// Upper bound on pooled database connections.
    pub max_connections: u32,
    /// Where readers reach this server, e.g. `https://hutong.example.org`: the base of
    /// absolute links in exports and feeds. Unset: `http://` + the listen address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Evidence older than this many days at a page's date is shown as stale, and counted
    /// apart in shares and compliance figures.
    #[serde(default = "default_stale_after_days")]
    pub stale_after_days: u32,
    /// The probe engine and its scheduler (`[probes]` in `hutong.toml`).
    #[serde(default)]
    pub probes: ProbeConfig,
    /// How `hutong serve` takes connections (`[http]` in `hutong.toml`).
    #[serde(default)]
    pub http: HttpConfig,
    /// Who may read `/metrics` (`[metrics]` in `hutong.toml`).
    #[serde(default)]
    pub metrics: MetricsConfig,
    /// Receivers of signed deliveries (`[[webhooks]]` in `hutong.toml`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://data/hutong.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            catalog_dir: PathBuf::from("catalog"),
            log: "info".into(),
            max_connections: 8,
            public_url: None,
            stale_after_days: DEFAULT_STALE_AFTER_DAYS,
            probes: ProbeConfig::default(),
            http: HttpConfig::default(),
            metrics: MetricsConfig::default(),
            webhooks: Vec::new(),
        }
    }
}

/// `[metrics]`: `/metrics` in Prometheus' text format. Off by default (the page does not
/// exist); on, it asks for the bearer token when one is set.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Count and serve `/metrics`.
    pub enabled: bool,
    /// A scraper must send `Authorization: Bearer <token>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// … or the token is the first line of this file (kept out of the configuration).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    /// Where `hutong worker` serves its own `/metrics` (a worker serves no pages); `None`:
    /// it serves none. `hutong worker --metrics-listen ADDR` sets it too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worker_listen: Option<SocketAddr>,
}

impl fmt::Debug for MetricsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MetricsConfig")
            .field("enabled", &self.enabled)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("token_file", &self.token_file)
            .field("worker_listen", &self.worker_listen)
            .finish()
    }
}

/// `[[webhooks]]`: a receiver of signed JSON deliveries.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Where deliveries are POSTed: `https://…`; `http://` only to a loopback host, or
    /// with `allow_http`.
    pub url: String,
    /// The HMAC-SHA256 key shared with the receiver …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// … or the first line of this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_file: Option<PathBuf>,
    /// What it receives: `change` (confirmed changes), `alert` (failing packs, silent
    /// vantage points). Default: both.
    #[serde(default = "all_webhook_events")]
    pub events: Vec<String>,
    /// Allow `http://` to a host that is not loopback (the signature still holds, but
    /// anyone on the way reads the body).
    #[serde(default)]
    pub allow_http: bool,
    /// Seconds before the first retry; each next one waits twice as long (at most 6 h).
    #[serde(default = "default_first_retry_secs")]
    pub first_retry_secs: u64,
    /// Attempts before a delivery is given up.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

fn all_webhook_events() -> Vec<String> {
    vec!["change".into(), "alert".into()]
}

fn default_first_retry_secs() -> u64 {
    30
}

fn default_max_attempts() -> u32 {
    10
}

/// The secret never reaches logs or error messages.
impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookConfig")
            .field("url", &redact_url(&self.url))
            .field("secret", &self.secret.as_ref().map(|_| "***"))
            .field("secret_file", &self.secret_file)
            .field("events", &self.events)
            .field("allow_http", &self.allow_http)
            .field("first_retry_secs", &self.first_retry_secs)
            .field("max_attempts", &self.max_attempts)
            .finish()
    }
}

impl MetricsConfig {
    /// The token scrapers must send: `token`, or the first line of `token_file`
    /// (an error names the file, never its content).
    pub fn bearer_token(&self) -> Result<Option<String>, ConfigError> {
        if let Some(t) = self.token.as_deref().filter(|t| !t.trim().is_empty()) {
            return Ok(Some(t.trim().to_string()));
        }
        let Some(path) = &self.token_file else {
            return Ok(None);
        };
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::Invalid(format!(
                "metrics.token_file {} cannot be read: {e}",
                path.display()
            ))
        })?;
        match text.lines().next().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Ok(Some(t.to_string())),
            None => Err(ConfigError::Invalid(format!(
                "metrics.token_file {} is empty",
                path.display()
            ))),
        }
    }
}

fn default_stale_after_days() -> u32 {
    DEFAULT_STALE_AFTER_DAYS
}

/// `[http]`: limits on client connections, so that slow or half-open clients cannot hold
/// the server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Seconds for a request's head to arrive, from when the server waits for it (on a new
    /// connection, or between requests on a kept-alive one).
    pub header_timeout_secs: NonZeroU64,
    /// Seconds a connection may stay with nothing read or written while no request on it
    /// is being worked on (also closes kept-alive connections left idle).
    pub idle_timeout_secs: NonZeroU64,
    /// Client connections open at once; more wait to be accepted. Lowered at start when
    /// the process's open-file limit would not leave room for the rest of the server.
    pub max_connections: NonZeroUsize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            header_timeout_secs: NonZeroU64::new(10).expect("not zero"),
            idle_timeout_secs: NonZeroU64::new(60).expect("not zero"),
            max_connections: NonZeroUsize::new(1024).expect("not zero"),
        }
    }
}

/// `[probes]`: how and where this process probes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProbeConfig {
    /// Run the scheduler inside `hutong serve` (`hutong worker` always does).
    pub schedule: bool,
    /// Where probes run from, recorded with every observation (`cn-beijing-unicom` …).
    pub vantage: String,
    /// The user agent of requests whose pack sets none.
    pub user_agent: String,
    /// Probe requests in flight at once, all packs together.
    pub concurrency: usize,
    /// Also schedule packs not marked `verified` (their endpoints are unconfirmed).
    pub run_unverified: bool,
    /// A pack failing for longer than this many minutes is flagged on the overview.
    pub alert_after_minutes: i64,
    /// An external simulator (`hutong simulate`) for simulated packs, e.g.
    /// `http://127.0.0.1:9090`; unset: simulated packs run only with `serve --demo`.
    pub simulator: Option<String>,
    /// Start the simulator inside `hutong serve` and schedule the simulated packs
    /// (`serve --demo`).
    pub demo: bool,
    /// Let probes connect to internal addresses (loopback, private networks, link-local,
    /// cloud metadata …), which they refuse by default: for test set-ups whose fixture
    /// servers run on this machine, never in production. Logged as a warning at start.
    pub allow_private_addresses: bool,
    /// Let `hutong serve` probe on PostgreSQL, where workers (`hutong worker`) probe by
    /// default and the web server does not (`serve --probe` says the same). On SQLite,
    /// `serve` is the one process and probes as `schedule` says.
    pub in_serve: bool,
    /// A worker's lease on a run lasts this many milliseconds without a heartbeat; then
    /// another worker of its vantage point takes the run over.
    pub lease_ms: u64,
    /// How often a worker renews its leases (milliseconds): well under `lease_ms`.
    pub heartbeat_ms: u64,
    /// How often a worker looks for due slots and expired leases (milliseconds).
    pub poll_ms: u64,
    /// The vantage points probes run from (`[[probes.vantage_points]]`): a name and what
    /// the name stands for. Empty: the one point `vantage`, described by nothing else.
    pub vantage_points: Vec<VantagePoint>,
}

impl Default for ProbeConfig {
    fn default() -> Self {
        Self {
            schedule: true,
            vantage: "local".into(),
            user_agent: concat!(
                "Hutong/",
                env!("CARGO_PKG_VERSION"),
                " (platform openness observatory)"
            )
            .into(),
            concurrency: 16,
            run_unverified: false,
            alert_after_minutes: 60,
            simulator: None,
            demo: false,
            allow_private_addresses: false,
            in_serve: false,
            lease_ms: 30_000,
            heartbeat_ms: 10_000,
            poll_ms: 1_000,
            vantage_points: Vec::new(),
        }
    }
}

/// Passwords never reach logs or error messages.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("catalog_dir", &self.catalog_dir)
            .field("log", &self.log)
            .field("max_connections", &self.max_connections)
            .field("public_url", &self.public_url)
            .field("stale_after_days", &self.stale_after_days)
            .field("probes", &self.probes)
            .field("http", &self.http)
            .field("metrics", &self.metrics)
            .field("webhooks", &self.webhooks)
            .finish()
    }
}

impl Config {
    /// The base of absolute links: `public_url` without a trailing slash, or `http://`
    /// and the listen address (loopback when it listens on every interface).
    pub fn public_url(&self) -> String {
        if let Some(url) = self.public_url.as_deref().filter(|u| !u.trim().is_empty()) {
            return url.trim().trim_end_matches('/').to_string();
        }
        let mut addr = self.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::IpAddr::from([127, 0, 0, 1]));
        }
        format!("http://{addr}")
    }
}

/// Values given on the command line; `None` leaves the lower layers' value.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Overrides {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub catalog_dir: Option<PathBuf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration file {0} does not exist")]
    MissingFile(PathBuf),
    #[error("invalid configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads the layers. `file` is an explicit `--config`: it must exist. Without it,
    /// `hutong.toml` in the working directory is read if present.
    pub fn load(file: Option<&Path>, overrides: &Overrides) -> Result<Self, ConfigError> {
        let file = match file {
            Some(path) if !path.exists() => return Err(ConfigError::MissingFile(path.into())),
            Some(path) => path.to_path_buf(),
            None => PathBuf::from(DEFAULT_CONFIG_FILE),
        };
        let config: Config = Self::figment(&file, overrides)
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// What the file's types cannot say: vantage point names are ids, each used once,
    /// and their descriptions are short.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (i, point) in self.probes.vantage_points.iter().enumerate() {
            let at = format!("probes.vantage_points[{i}]");
            if let Err(problem) = point.check() {
                problems.push(format!("{at}: {problem}"));
            }
            if !seen.insert(point.name.as_str()) {
                problems.push(format!(
                    "{at}: the name \"{}\" is used by an earlier vantage point",
                    point.name.escape_debug()
                ));
            }
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(ConfigError::Invalid(problems.join("; "))),
        }
    }

    /// The configured vantage point called `name`.
    pub fn vantage_point(&self, name: &str) -> Option<&VantagePoint> {
        self.probes.vantage_points.iter().find(|p| p.name == name)
    }

    /// The vantage point this process probes from (`probes.vantage`): its configured
    /// entry, or a bare point of that name when none is configured at all. A name missing
    /// from a configured list is an error: a typo would otherwise start an unknown point.
    pub fn own_vantage_point(&self) -> Result<VantagePoint, ConfigError> {
        let name = &self.probes.vantage;
        if let Some(point) = self.vantage_point(name) {
            return Ok(point.clone());
        }
        if !self.probes.vantage_points.is_empty() {
            let known: Vec<&str> = self
                .probes
                .vantage_points
                .iter()
                .map(|p| p.name.as_str())
                .collect();
            return Err(ConfigError::Invalid(format!(
                "probes.vantage \"{}\" is not one of the configured vantage points ({})",
                name.escape_debug(),
                known.join(", ")
            )));
        }
        let point = VantagePoint::named(name);
        point
            .check()
            .map_err(|problem| ConfigError::Invalid(format!("probes.vantage: {problem}")))?;
        Ok(point)
    }

    fn figment(file: &Path, overrides: &Overrides) -> Figment {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file(file))
            .merge(Env::prefixed("HUTONG_").only(&[
                "database_url",
                "listen",
                "catalog_dir",
                "log",
                "max_connections",
                "public_url",
                "stale_after_days",
            ]))
            .merge(Env::prefixed("HUTONG_PROBES__").map(|k| format!("probes.{k}").into()))
            .merge(Env::prefixed("HUTONG_HTTP__").map(|k| format!("http.{k}").into()))
            .merge(Env::prefixed("HUTONG_METRICS__").map(|k| format!("metrics.{k}").into()))
            .merge(Serialized::defaults(overrides))
    }
}

/// Longest vantage point name (an id, in URLs and source keys).
pub const MAX_VANTAGE_NAME: usize = 64;
/// Longest description of a vantage point, in characters.
pub const MAX_VANTAGE_DESCRIPTION: usize = 500;
/// Longest network, region, account region or device, in characters.
pub const MAX_VANTAGE_FIELD: usize = 200;

/// Where probes run from: a name (an id: lowercase letters, digits, `-`, `_`) and what it
/// stands for. Each vantage point's verdicts are their own source.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct VantagePoint {
    pub name: String,
    /// One line for readers: "Beijing, China Unicom home broadband".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The network or carrier: "China Unicom broadband", "AS4837".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    /// Where the machine is: "Beijing".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Where the probing accounts are registered: "mainland China", "Hong Kong".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_region: Option<String>,
    /// The device, app version or user agent the probes stand for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
}

impl VantagePoint {
    /// A point known by its name only.
    pub fn named(name: &str) -> VantagePoint {
        VantagePoint {
            name: name.to_string(),
            ..VantagePoint::default()
        }
    }

    /// What is wrong with this point, if anything: a malformed name or over-long text.
    pub fn check(&self) -> Result<(), String> {
        let name = &self.name;
        let well_formed = !name.is_empty()
            && name.len() <= MAX_VANTAGE_NAME
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(format!(
                "the name \"{}\" is not a vantage point name: use 1 to {MAX_VANTAGE_NAME} lowercase letters, digits, '-' or '_'",
                name.chars().take(80).collect::<String>().escape_debug()
            ));
        }
        let fields = [
            ("description", &self.description, MAX_VANTAGE_DESCRIPTION),
            ("network", &self.network, MAX_VANTAGE_FIELD),
            ("region", &self.region, MAX_VANTAGE_FIELD),
            ("account_region", &self.account_region, MAX_VANTAGE_FIELD),
            ("device", &self.device, MAX_VANTAGE_FIELD),
        ];
        let mut problems = Vec::new();
        for (field, value, cap) in fields {
            let Some(value) = value else { continue };
            let chars = value.chars().count();
            if chars > cap {
                problems.push(format!(
                    "{field} of \"{name}\" is {chars} characters long, more than {cap}"
                ));
            } else if value.chars().any(|c| c.is_control()) {
                problems.push(format!(
                    "{field} of \"{name}\" holds a control character (a line break?): keep it to one line"
                ));
            }
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(problems.join("; ")),
        }
    }

    /// The description and the other fields given, for one line on a page.
    pub fn details(&self) -> Vec<&str> {
        [
            &self.description,
            &self.network,
            &self.region,
            &self.account_region,
            &self.device,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .filter(|s| !s.trim().is_empty())
        .collect()
    }
}

/// A database URL fit to print: the password, if any, replaced by `***`.
pub fn redact_url(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // set_password fails only for URLs that cannot have one, which this has.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => raw.to_string(),
        // Unparseable: hide everything between "//" and "@" in case it holds a secret.
        Err(_) => match (raw.find("//"), raw.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                format!("{}***{}", &raw[..start + 2], &raw[at..])
            }
            _ => raw.to_string(),
        },
    }
}

#[cfg(test)]
// figment's test jail returns its own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(
            redact_url("postgres://hutong:s3cret@db.example:5432/hutong"),
            "postgres://hutong:***@db.example:5432/hutong"
        );
        assert_eq!(
            redact_url("sqlite://data/hutong.db"),
            "sqlite://data/hutong.db"
        );
        let config = Config {
            database_url: "postgres://u:pw@h/d".into(),
            ..Config::default()
        };
        assert!(!format!("{config:?}").contains("pw"));
    }

    #[test]
    fn layers_override_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "hutong.toml",
                "log = \"debug\"\nlisten = \"127.0.0.1:9000\"",
            )?;
            jail.set_env("HUTONG_LISTEN", "127.0.0.1:9001");
            let overrides = Overrides {
                database_url: Some("sqlite://x.db".into()),
                ..Overrides::default()
            };
            let config = Config::load(None, &overrides).map_err(|e| e.to_string())?;
            assert_eq!(config.log, "debug");
            assert_eq!(config.listen.port(), 9001);
            assert_eq!(config.database_url, "sqlite://x.db");
            assert_eq!(config.catalog_dir, PathBuf::from("catalog"));
            Ok(())
        });
    }

    #[test]
    fn the_stale_threshold_comes_from_the_file_or_the_environment() {
        assert_eq!(Config::default().stale_after_days, 180);
        figment::Jail::expect_with(|jail| {
            jail.create_file("hutong.toml", "stale_after_days = 90")?;
            let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.stale_after_days, 90);
            jail.set_env("HUTONG_STALE_AFTER_DAYS", "365");
            let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(config.stale_after_days, 365);
            Ok(())
        });
    }

    #[test]
    fn internal_addresses_are_refused_unless_the_file_or_environment_allows() {
        assert!(!Config::default().probes.allow_private_addresses);
        figment::Jail::expect_with(|jail| {
            jail.create_file("hutong.toml", "[probes]\nallow_private_addresses = true")?;
            let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert!(config.probes.allow_private_addresses);
            jail.set_env("HUTONG_PROBES__ALLOW_PRIVATE_ADDRESSES", "false");
            let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            assert!(!config.probes.allow_private_addresses);
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_and_bad_values_are_reported() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("hutong.toml", "databse_url = \"sqlite://x.db\"")?;
            let err = Config::load(None, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("databse_url"), "{err}");
            jail.create_file("hutong.toml", "[http]\nheader_timeout_secs = 0")?;
            let err = Config::load(None, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("header_timeout_secs"), "{err}");
            jail.create_file("hutong.toml", "listen = \"not an address\"")?;
            let err = Config::load(None, &Overrides::default())
                .unwrap_err()
                .to_string();
            assert!(err.contains("listen"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn vantage_points_are_read_and_checked() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "hutong.toml",
                r#"
[probes]
vantage = "cn-bj-unicom"
[[probes.vantage_points]]
name = "cn-bj-unicom"
description = "Beijing, China Unicom home broadband"
network = "China Unicom"
region = "Beijing"
account_region = "mainland China"
device = "Android 14, WeChat 8.0.50"
[[probes.vantage_points]]
name = "hk-hkt"
"#,
            )?;
            let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            let bj = config.vantage_point("cn-bj-unicom").expect("configured");
            assert_eq!(bj.region.as_deref(), Some("Beijing"));
            assert_eq!(bj.details().len(), 5);
            assert!(
                config
                    .vantage_point("hk-hkt")
                    .is_some_and(|p| p.details().is_empty())
            );
            assert!(config.vantage_point("nowhere").is_none());
            assert_eq!(
                config.own_vantage_point().map_err(|e| e.to_string())?.name,
                "cn-bj-unicom"
            );

            jail.set_env("HUTONG_PROBES__VANTAGE", "hk-hkt-typo");
            let config = Config::load(None, &Overrides::default()).map_err(|e| e.to_string())?;
            let err = config.own_vantage_point().unwrap_err().to_string();
            assert!(
                err.contains("hk-hkt-typo") && err.contains("cn-bj-unicom, hk-hkt"),
                "{err}"
            );
            Ok(())
        });
    }

    #[test]
    fn bad_vantage_points_are_refused_with_what_is_wrong() {
        let refused = |toml: &str| -> String {
            let mut message = String::new();
            figment::Jail::expect_with(|jail| {
                jail.create_file("hutong.toml", toml)?;
                message = Config::load(None, &Overrides::default())
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                Ok(())
            });
            message
        };
        let err = refused(
            "[[probes.vantage_points]]\nname = \"a\"\n[[probes.vantage_points]]\nname = \"a\"",
        );
        assert!(
            err.contains("probes.vantage_points[1]") && err.contains("used by an earlier"),
            "{err}"
        );
        let err = refused("[[probes.vantage_points]]\nname = \"Beijing Unicom\"");
        assert!(
            err.contains("probes.vantage_points[0]")
                && err.contains("\"Beijing Unicom\" is not a vantage point name"),
            "{err}"
        );
        let err = refused("[[probes.vantage_points]]\nname = \"\"");
        assert!(err.contains("is not a vantage point name"), "{err}");
        let long = "x".repeat(MAX_VANTAGE_DESCRIPTION + 1);
        let err = refused(&format!(
            "[[probes.vantage_points]]\nname = \"bj\"\ndescription = \"{long}\""
        ));
        assert!(
            err.contains("description of \"bj\" is 501 characters long, more than 500"),
            "{err}"
        );
        let err = refused("[[probes.vantage_points]]\nname = \"bj\"\nregion = \"a\\nb\"");
        assert!(
            err.contains("region of \"bj\" holds a control character"),
            "{err}"
        );
        let err = refused("[[probes.vantage_points]]\nname = \"bj\"\ncolour = \"red\"");
        assert!(err.contains("colour"), "{err}");
        assert!(refused("[[probes.vantage_points]]\nname = \"cn-bj_2\"").is_empty());
    }
}
