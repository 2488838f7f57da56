//! What Hutong counts about itself, for Prometheus: probe runs and verdicts, fetch
//! latencies, leases and queues, page latencies, webhook deliveries. Plain functions any
//! layer calls; they cost nothing until [`install`] has been called (by `serve` when
//! `metrics.enabled`), and `/metrics` answers [`render`] in Prometheus' text format.
//!
//! Every label takes its values from a bounded set (pack ids, vantage names, failure
//! classes, route patterns), never from outside data such as a requested path.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

pub const PROBE_RUNS: &str = "hutong_probe_runs_total";
pub const PROBE_VERDICTS: &str = "hutong_probe_verdicts_total";
pub const FETCH_SECONDS: &str = "hutong_probe_fetch_duration_seconds";
pub const LEASE_TAKEOVERS: &str = "hutong_lease_takeovers_total";
pub const QUEUE_DEPTH: &str = "hutong_probe_queue_depth";
pub const HTTP_SECONDS: &str = "hutong_http_request_duration_seconds";
pub const WEBHOOK_DELIVERIES: &str = "hutong_webhook_deliveries_total";

/// Fetches take from milliseconds (the simulator) to the 30-second timeout.
const FETCH_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Pages answer in milliseconds; a cold chart or the dataset archive in seconds.
const HTTP_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Who may read `/metrics` (`[metrics]`); exists only when it is enabled.
#[derive(Clone, Default)]
pub struct Access {
    /// Scrapers send `Authorization: Bearer <token>`; `None`: anyone who reaches the port.
    token: Option<String>,
}

impl Access {
    /// Starts counting (once per process) and lets `token`'s bearers read the figures.
    pub fn enable(token: Option<String>) -> Access {
        install();
        Access { token }
    }

    /// Whether a request with this `Authorization` header may read the figures (the
    /// token compared in constant time).
    pub fn allows(&self, authorization: Option<&str>) -> bool {
        use subtle::ConstantTimeEq;
        let Some(token) = &self.token else {
            return true;
        };
        let sent = authorization
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        sent.as_bytes().ct_eq(token.as_bytes()).into()
    }
}

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Starts counting, once per process (later calls return the same handle). `None` when
/// another metrics recorder was installed first (said in the log).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(FETCH_SECONDS.into()), FETCH_BUCKETS)
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full(HTTP_SECONDS.into()), HTTP_BUCKETS)
                })
                .map(|b| b.build_recorder());
            let recorder = match recorder {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!("metrics: cannot set up the recorder: {e}");
                    return None;
                }
            };
            let handle = recorder.handle();
            if let Err(e) = ::metrics::set_global_recorder(recorder) {
                tracing::error!("metrics: another recorder is installed: {e}");
                return None;
            }
            describe();
            Some(handle)
        })
        .as_ref()
}

/// Everything counted so far, in Prometheus' text format; `None` before [`install`].
pub fn render() -> Option<String> {
    HANDLE.get()?.as_ref().map(|h| h.render())
}

fn describe() {
    use ::metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        PROBE_RUNS,
        "Probe runs ended, by pack, vantage point and outcome (finished, failed, stopped, already_finished)."
    );
    describe_counter!(
        PROBE_VERDICTS,
        "Verdicts stored by probes, by pack, vantage point, status and failure class (none when the probe worked)."
    );
    describe_histogram!(
        FETCH_SECONDS,
        Unit::Seconds,
        "Time to fetch a probe's target, by pack, vantage point and result (ok or the failure class)."
    );
    describe_counter!(
        LEASE_TAKEOVERS,
        "Expired leases taken over by another worker, by vantage point."
    );
    describe_gauge!(
        QUEUE_DEPTH,
        "Runs due and not yet claimed, by vantage point, as last seen by this process."
    );
    describe_histogram!(
        HTTP_SECONDS,
        Unit::Seconds,
        "Time to answer a request (until its head is sent), by route pattern, method and status class."
    );
    describe_counter!(
        WEBHOOK_DELIVERIES,
        "Webhook delivery attempts, by event and outcome (delivered, failed, gave_up)."
    );
}

/// A probe run of `pack` from `vantage` ended with `outcome`.
pub fn probe_run(pack: &str, vantage: &str, outcome: &str) {
    ::metrics::counter!(PROBE_RUNS, "pack" => pack.to_string(), "vantage" => vantage.to_string(), "outcome" => outcome.to_string())
        .increment(1);
}

/// A verdict stored: `failure` is the failure class, `None` when the probe worked.
pub fn probe_verdict(pack: &str, vantage: &str, status: &str, failure: Option<&str>) {
    ::metrics::counter!(
        PROBE_VERDICTS,
        "pack" => pack.to_string(),
        "vantage" => vantage.to_string(),
        "status" => status.to_string(),
        "failure_class" => failure.unwrap_or("none").to_string()
    )
    .increment(1);
}

/// One fetch of a probe's target took `took`; `result` is `ok` or its failure class.
pub fn fetch_latency(pack: &str, vantage: &str, result: &str, took: Duration) {
    ::metrics::histogram!(FETCH_SECONDS, "pack" => pack.to_string(), "vantage" => vantage.to_string(), "result" => result.to_string())
        .record(took.as_secs_f64());
}

/// A worker of `vantage` took over a lease whose holder stopped renewing it.
pub fn lease_taken_over(vantage: &str) {
    ::metrics::counter!(LEASE_TAKEOVERS, "vantage" => vantage.to_string()).increment(1);
}

/// `n` runs of `vantage` are due and not yet claimed.
pub fn queue_depth(vantage: &str, n: u64) {
    ::metrics::gauge!(QUEUE_DEPTH, "vantage" => vantage.to_string()).set(n as f64);
}

/// A request matched `route` (the pattern, `/checks/{id}`; `unmatched` for none) and was
/// answered with `status` after `took`.
pub fn page_latency(route: &str, method: &str, status: u16, took: Duration) {
    let method = match method {
        "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" => method,
        _ => "other",
    };
    let class = match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    ::metrics::histogram!(HTTP_SECONDS, "route" => route.to_string(), "method" => method.to_string(), "status" => class)
        .record(took.as_secs_f64());
}

/// A webhook delivery attempt for `event` ended with `outcome`.
pub fn webhook_delivery(event: &str, outcome: &str) {
    ::metrics::counter!(WEBHOOK_DELIVERIES, "event" => event.to_string(), "outcome" => outcome.to_string())
        .increment(1);
}

/// Whether counting has started (so callers may skip work done only to count).
pub fn render_ready() -> bool {
    HANDLE.get().is_some_and(Option::is_some)
}
