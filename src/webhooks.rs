//! Webhooks: each confirmed change and each alert is queued in the database for every
//! receiver that asked for it, then POSTed as JSON signed with HMAC-SHA256 over
//! `"{timestamp}.{body}"`, retried with exponential back-off until delivered or given up.
//! The queue survives restarts; a task of its own sends it, so probing and pages never
//! wait for a receiver. Secrets live in the configuration only: never stored, logged or
//! shown.

use crate::config::{WebhookConfig, redact_url};
use crate::storage::{AttemptOutcome, ConfirmedChange, StorageError, Store, WebhookDelivery};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use std::sync::Arc;
use std::time::Duration;

/// The header carrying `sha256=<hex>` of the HMAC.
pub const SIGNATURE_HEADER: &str = "x-hutong-signature";
/// The header carrying the Unix time (seconds) the signature covers.
pub const TIMESTAMP_HEADER: &str = "x-hutong-timestamp";
pub const EVENT_HEADER: &str = "x-hutong-event";
pub const DELIVERY_HEADER: &str = "x-hutong-delivery";

/// The longest wait between two attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);
/// Deliveries sent per round, at most.
const BATCH: i64 = 50;

/// `sha256=<hex>` of HMAC-SHA256(`secret`, `"{timestamp}.{body}"`): what a receiver
/// recomputes, comparing in constant time, and refusing timestamps older than a few
/// minutes so that a captured delivery cannot be replayed later.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A receiver as configured, its secret read.
#[derive(Clone)]
pub struct Receiver {
    /// The URL, credentials in it redacted: its name in the queue and the log.
    pub name: String,
    url: url::Url,
    secret: Vec<u8>,
    pub events: Vec<String>,
    pub first_retry: Duration,
    pub max_attempts: u32,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("name", &self.name)
            .field("events", &self.events)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// Checks a `[[webhooks]]` entry: an `https://` URL (`http://` only to a loopback
    /// host, or with `allow_http`), a secret, known events. Errors name the entry by its
    /// redacted URL, never the secret.
    pub fn from_config(c: &WebhookConfig) -> Result<Receiver, String> {
        let name = redact_url(&c.url);
        let url = url::Url::parse(&c.url)
            .map_err(|e| format!("webhook {name}: the url is not a URL ({e})"))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback || c.allow_http => {}
            "http" => {
                return Err(format!(
                    "webhook {name}: http:// to a host that is not loopback sends every delivery in clear; use https://, or set allow_http = true"
                ));
            }
            other => {
                return Err(format!(
                    "webhook {name}: the url's scheme {other} is not http(s)"
                ));
            }
        }
        let secret = match (&c.secret, &c.secret_file) {
            (Some(s), None) if !s.trim().is_empty() => s.trim().to_string(),
            (None, Some(path)) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    format!(
                        "webhook {name}: secret_file {} cannot be read: {e}",
                        path.display()
                    )
                })?;
                match text.lines().next().map(str::trim).filter(|t| !t.is_empty()) {
                    Some(t) => t.to_string(),
                    None => {
                        return Err(format!(
                            "webhook {name}: secret_file {} is empty",
                            path.display()
                        ));
                    }
                }
            }
            (Some(_), Some(_)) => {
                return Err(format!(
                    "webhook {name}: give secret or secret_file, not both"
                ));
            }
            _ => {
                return Err(format!(
                    "webhook {name}: a secret (or secret_file) is needed"
                ));
            }
        };
        if let Some(bad) = c
            .events
            .iter()
            .find(|e| !matches!(e.as_str(), "change" | "alert"))
        {
            return Err(format!(
                "webhook {name}: unknown event \"{bad}\" (known: change, alert)"
            ));
        }
        Ok(Receiver {
            name,
            url,
            secret: secret.into_bytes(),
            events: c.events.clone(),
            first_retry: Duration::from_secs(c.first_retry_secs.max(1)),
            max_attempts: c.max_attempts.max(1),
        })
    }

    /// The same receiver waiting `first` before its first retry (tests: milliseconds).
    pub fn with_first_retry(mut self, first: Duration) -> Receiver {
        self.first_retry = first;
        self
    }

    fn wants(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }

    /// The wait after `attempts` failed attempts: `first_retry`, doubling, at most 6 h.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
        self.first_retry.saturating_mul(factor).min(MAX_BACKOFF)
    }
}

/// A confirmed change, as delivered.
#[derive(Debug, Serialize)]
struct ChangeBody<'a> {
    event: &'static str,
    check: &'a str,
    source: &'a str,
    vantage: Option<&'a str>,
    from: Option<&'a str>,
    to: &'a str,
    occurred_at: DateTime<Utc>,
    observation: String,
}

/// What an alert is about.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Alert {
    /// A pack with only failures since `since`.
    FailingPack { pack: String, since: DateTime<Utc> },
    /// A vantage point not heard from since `last_seen`.
    SilentVantage {
        vantage: String,
        last_seen: Option<DateTime<Utc>>,
    },
}

impl Alert {
    /// Once per receiver per alert: the same failure streak or silence alerts once.
    fn about(&self) -> String {
        match self {
            Alert::FailingPack { pack, since } => {
                format!("alert:failing-pack:{pack}:{}", since.timestamp())
            }
            Alert::SilentVantage { vantage, last_seen } => format!(
                "alert:silent-vantage:{vantage}:{}",
                last_seen.map_or(0, |t| t.timestamp())
            ),
        }
    }
}

#[derive(Debug, Serialize)]
struct AlertBody<'a> {
    event: &'static str,
    #[serde(flatten)]
    alert: &'a Alert,
    raised_at: DateTime<Utc>,
}

/// The receivers and the queue: what serve runs.
#[derive(Clone)]
pub struct Webhooks {
    store: Store,
    receivers: Arc<Vec<Receiver>>,
    client: reqwest::Client,
    public_url: String,
}

impl Webhooks {
    pub fn new(
        store: Store,
        receivers: Vec<Receiver>,
        public_url: &str,
    ) -> Result<Webhooks, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            // A receiver cannot send the signed body on to somewhere else.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Hutong-Webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Webhooks {
            store,
            receivers: Arc::new(receivers),
            client,
            public_url: public_url.trim_end_matches('/').to_string(),
        })
    }

    pub fn receivers(&self) -> &[Receiver] {
        &self.receivers
    }

    /// Queues `alert` for every receiver of alerts (once per alert and receiver).
    pub async fn alert(&self, alert: &Alert) -> Result<(), StorageError> {
        let body = AlertBody {
            event: "alert",
            alert,
            raised_at: Utc::now(),
        };
        let payload = serde_json::to_string(&body).unwrap_or_default();
        for r in self.receivers.iter().filter(|r| r.wants("alert")) {
            self.store
                .enqueue_webhook(&r.name, "alert", &alert.about(), &payload)
                .await?;
        }
        Ok(())
    }

    /// A vantage point fell silent: what the fleet's check calls.
    pub async fn alert_silent_vantage(
        &self,
        vantage: &str,
        last_seen: Option<DateTime<Utc>>,
    ) -> Result<(), StorageError> {
        self.alert(&Alert::SilentVantage {
            vantage: vantage.to_string(),
            last_seen,
        })
        .await
    }

    /// A pack has only failed since `since`.
    pub async fn alert_failing_pack(
        &self,
        pack: &str,
        since: DateTime<Utc>,
    ) -> Result<(), StorageError> {
        self.alert(&Alert::FailingPack {
            pack: pack.to_string(),
            since,
        })
        .await
    }

    /// Queues the confirmed changes stored since the last look.
    pub async fn enqueue_changes(&self) -> Result<usize, StorageError> {
        if !self.receivers.iter().any(|r| r.wants("change")) {
            return Ok(0);
        }
        let mut after = self.store.webhook_cursor().await?;
        let mut queued = 0;
        loop {
            let (changes, last) = self.store.confirmed_changes_after(after, 500).await?;
            for change in &changes {
                queued += self.enqueue_change(change).await?;
            }
            if last == after {
                return Ok(queued);
            }
            self.store.set_webhook_cursor(last).await?;
            after = last;
        }
    }

    async fn enqueue_change(&self, c: &ConfirmedChange) -> Result<usize, StorageError> {
        let body = ChangeBody {
            event: "change",
            check: &c.check_id,
            source: &c.source_key,
            vantage: c.vantage.as_deref(),
            from: c.from_status.as_deref(),
            to: &c.to_status,
            occurred_at: c.occurred_at,
            observation: format!("{}/observations/{}", self.public_url, c.observation_id),
        };
        let payload = serde_json::to_string(&body).unwrap_or_default();
        let about = format!("change:{}:{}", c.observation_id, c.to_status);
        let mut queued = 0;
        for r in self.receivers.iter().filter(|r| r.wants("change")) {
            if self
                .store
                .enqueue_webhook(&r.name, "change", &about, &payload)
                .await?
            {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// Sends what is due; returns how many attempts were made.
    pub async fn deliver_due(&self) -> Result<usize, StorageError> {
        let due = self.store.due_webhook_deliveries(Utc::now(), BATCH).await?;
        let mut made = 0;
        for d in due {
            // A receiver no longer configured: its deliveries wait in case it comes back.
            let Some(r) = self.receivers.iter().find(|r| r.name == d.webhook) else {
                continue;
            };
            self.attempt(r, &d).await?;
            made += 1;
        }
        Ok(made)
    }

    async fn attempt(&self, r: &Receiver, d: &WebhookDelivery) -> Result<(), StorageError> {
        let now = Utc::now();
        let body = d.payload.clone().into_bytes();
        let sent = self
            .client
            .post(r.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(TIMESTAMP_HEADER, now.timestamp())
            .header(
                SIGNATURE_HEADER,
                signature(&r.secret, now.timestamp(), &body),
            )
            .header(EVENT_HEADER, &d.event)
            .header(DELIVERY_HEADER, d.id)
            .body(body)
            .send()
            .await;
        let (status, error) = match sent {
            Ok(resp) if resp.status().is_success() => (Some(resp.status().as_u16()), None),
            Ok(resp) => (
                Some(resp.status().as_u16()),
                Some(format!("HTTP {}", resp.status().as_u16())),
            ),
            // Without the URL: it may hold credentials.
            Err(e) => (None, Some(e.without_url().to_string())),
        };
        let attempts = u32::try_from(d.attempts).unwrap_or(0) + 1;
        let outcome = if error.is_none() {
            AttemptOutcome::Delivered
        } else if attempts >= r.max_attempts {
            AttemptOutcome::GaveUp
        } else {
            let wait = chrono::Duration::from_std(r.backoff(attempts))
                .unwrap_or(chrono::Duration::hours(6));
            AttemptOutcome::RetryAt(now + wait)
        };
        crate::metrics::webhook_delivery(
            &d.event,
            match outcome {
                AttemptOutcome::Delivered => "delivered",
                AttemptOutcome::RetryAt(_) => "failed",
                AttemptOutcome::GaveUp => "gave_up",
            },
        );
        if let Some(e) = &error {
            tracing::warn!(webhook = %r.name, delivery = d.id, attempts, "webhook delivery failed: {e}");
        }
        self.store
            .record_webhook_attempt(d.id, now, status, error.as_deref(), outcome)
            .await
    }

    /// One round: queue new changes, send what is due.
    pub async fn round(&self) -> Result<usize, StorageError> {
        self.enqueue_changes().await?;
        self.deliver_due().await
    }

    /// Runs rounds every `every` until `stop` is notified; database errors are logged and
    /// the next round tries again.
    pub fn spawn(self, every: Duration) -> WebhookTask {
        let stop = Arc::new(tokio::sync::Notify::new());
        let stopped = stop.clone();
        let handle = tokio::spawn(async move {
            loop {
                if let Err(e) = self.round().await {
                    tracing::warn!("webhooks: {e}");
                }
                tokio::select! {
                    () = stopped.notified() => break,
                    () = tokio::time::sleep(every) => {}
                }
            }
        });
        WebhookTask { stop, handle }
    }
}

/// The running delivery task.
pub struct WebhookTask {
    stop: Arc<tokio::sync::Notify>,
    handle: tokio::task::JoinHandle<()>,
}

impl WebhookTask {
    /// Stops after the round in progress; what is queued stays queued.
    pub async fn shutdown(self) {
        self.stop.notify_one();
        let _ = self.handle.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> WebhookConfig {
        WebhookConfig {
            url: url.into(),
            secret: Some("s3cret".into()),
            secret_file: None,
            events: vec!["change".into(), "alert".into()],
            allow_http: false,
            first_retry_secs: 30,
            max_attempts: 10,
        }
    }

    #[test]
    fn http_is_refused_to_hosts_that_are_not_loopback() {
        assert!(Receiver::from_config(&config("https://hooks.example.org/x")).is_ok());
        assert!(Receiver::from_config(&config("http://127.0.0.1:9000/x")).is_ok());
        assert!(Receiver::from_config(&config("http://localhost/x")).is_ok());
        let err = Receiver::from_config(&config("http://hooks.example.org/x")).unwrap_err();
        assert!(err.contains("allow_http"), "{err}");
        let mut allowed = config("http://hooks.example.org/x");
        allowed.allow_http = true;
        assert!(Receiver::from_config(&allowed).is_ok());
        let mut no_secret = config("https://hooks.example.org/x");
        no_secret.secret = None;
        assert!(Receiver::from_config(&no_secret).is_err());
        let mut bad = config("https://u:pw@hooks.example.org/x");
        bad.events = vec!["everything".into()];
        let err = Receiver::from_config(&bad).unwrap_err();
        assert!(
            err.contains("everything") && !err.contains("pw") && !err.contains("s3cret"),
            "{err}"
        );
        assert!(
            !format!(
                "{:?}",
                Receiver::from_config(&config("https://h.example/")).unwrap()
            )
            .contains("s3cret")
        );
    }

    #[test]
    fn back_off_doubles_up_to_six_hours() {
        let r = Receiver::from_config(&config("https://h.example/")).unwrap();
        assert_eq!(r.backoff(1), Duration::from_secs(30));
        assert_eq!(r.backoff(2), Duration::from_secs(60));
        assert_eq!(r.backoff(4), Duration::from_secs(240));
        assert_eq!(r.backoff(40), MAX_BACKOFF);
    }

    #[test]
    fn the_signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231 style check against an independent computation: HMAC of "1.{}" with
        // key "key" must differ from a signature over the body alone, and be stable.
        let a = signature(b"key", 1, b"{}");
        assert_eq!(a, signature(b"key", 1, b"{}"));
        assert_ne!(a, signature(b"key", 2, b"{}"));
        assert_ne!(a, signature(b"other", 1, b"{}"));
        assert!(a.starts_with("sha256=") && a.len() == 7 + 64);
    }
}
