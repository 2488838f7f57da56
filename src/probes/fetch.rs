//! The fetcher: one HTTP request of a probe, redirects followed by hand so that every hop
//! is recorded, the body read as a stream under a size cap, decompressed and decoded to
//! text, under one total time limit, and politely paced per host.
//!
//! It never panics on what a server sends: every failure becomes a [`FetchError`] with a
//! [`FailureClass`] and a short sentence naming the URL.
//!
//! Unless told otherwise (`allow_private_addresses`, for test set-ups), it never connects
//! to an internal address (see [`super::address`]): IP-literal URLs and internal names are
//! refused before each hop, and names resolve through a resolver that drops internal
//! addresses, so what was checked is what is connected to.

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use encoding_rs::{Encoding, GB18030, UTF_8};
use percent_encoding::{CONTROLS, percent_encode};
use reqwest::header::{
    AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, HeaderValue, LOCATION,
    PROXY_AUTHORIZATION, USER_AGENT,
};
use reqwest::{Method, StatusCode};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::{Instant, timeout_at};
use url::Url;

use super::address::{self, GuardedResolver};
use super::types::{FailureClass, FetchError, Hop, Response};

/// Content-Type and Location are evidence, not payload: a hostile server must not make
/// them arbitrarily large.
const MAX_HEADER_BYTES: usize = 2048;
/// Failure details go to logs and evidence; a sentence is enough.
const MAX_DETAIL_BYTES: usize = 300;
/// How far into a body a `<meta>` charset declaration is looked for (as browsers do).
const META_PRESCAN_BYTES: usize = 4096;

/// How the fetcher's HTTP client is built; fixed for its lifetime.
#[derive(Clone)]
pub struct FetcherOptions {
    /// The `User-Agent` sent when a request sets none.
    pub user_agent: String,
    /// When set, every request goes through this HTTP proxy (used to route fictional
    /// hosts to the simulator). The proxy itself may be on loopback; the URLs requested
    /// through it are still checked, but the names in them are resolved by the proxy, so
    /// only the simulator (which forwards nothing) belongs here.
    pub proxy: Option<Url>,
    /// How long to wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Also connect to internal addresses (loopback, private, link-local, cloud
    /// metadata …). Off unless a test set-up asks (`probes.allow_private_addresses`).
    pub allow_private_addresses: bool,
    /// How host names become addresses; `None`: the system's resolver. Whatever it
    /// answers still goes through the address check.
    pub resolver: Option<Arc<dyn reqwest::dns::Resolve>>,
}

impl Default for FetcherOptions {
    fn default() -> Self {
        FetcherOptions {
            user_agent: concat!("Hutong/", env!("CARGO_PKG_VERSION")).to_string(),
            proxy: None,
            connect_timeout: Duration::from_secs(10),
            allow_private_addresses: false,
            resolver: None,
        }
    }
}

impl std::fmt::Debug for FetcherOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetcherOptions")
            .field("user_agent", &self.user_agent)
            .field("proxy", &self.proxy)
            .field("connect_timeout", &self.connect_timeout)
            .field("allow_private_addresses", &self.allow_private_addresses)
            .field(
                "resolver",
                &if self.resolver.is_some() {
                    "custom"
                } else {
                    "system"
                },
            )
            .finish()
    }
}

/// How one request is made (from a probe pack's `[pack]` and `[request]`).
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// GET, HEAD or POST.
    pub method: Method,
    /// Extra request headers, in order (a `User-Agent` here replaces the default).
    pub headers: Vec<(String, String)>,
    /// false: the first answer is the one returned, redirect or not.
    pub follow_redirects: bool,
    pub max_redirects: usize,
    /// For the whole request: every hop and the body (time spent waiting for this host's
    /// turn is not counted).
    pub timeout: Duration,
    /// After decompression.
    pub max_body_bytes: usize,
    /// Requests in flight to one host at once (fixed by the first request to that host).
    pub per_host_concurrency: usize,
    /// Minimum time between the starts of two requests to one host (fixed likewise).
    pub min_host_spacing: Duration,
}

impl Default for FetchSettings {
    fn default() -> Self {
        FetchSettings {
            method: Method::GET,
            headers: Vec::new(),
            follow_redirects: true,
            max_redirects: 10,
            timeout: Duration::from_secs(15),
            max_body_bytes: 5 * 1024 * 1024,
            per_host_concurrency: 2,
            min_host_spacing: Duration::from_millis(500),
        }
    }
}

/// The fetcher could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum FetcherBuildError {
    #[error("the proxy {url} cannot be used: {source}")]
    Proxy {
        url: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("the user agent {0:?} is not a valid header value")]
    UserAgent(String),
    #[error("the HTTP client could not be built: {0}")]
    Client(#[source] reqwest::Error),
}

/// Fetches probe URLs. Cheap to clone: clones share the client, its connection pool and
/// the per-host pacing.
#[derive(Debug, Clone)]
pub struct Fetcher {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    client: reqwest::Client,
    user_agent: HeaderValue,
    /// Internal addresses allowed too (test set-ups only).
    allow_private: bool,
    /// One gate per host ever fetched. Probe packs name a handful of hosts, so the map
    /// stays small and is never pruned.
    hosts: Mutex<HashMap<String, Arc<HostGate>>>,
}

/// Pacing for one host: how many requests at once, and when the next may start.
#[derive(Debug)]
struct HostGate {
    permits: Arc<Semaphore>,
    spacing: Duration,
    next_start: Mutex<Option<Instant>>,
}

/// A failure before it is dressed with the hops and the elapsed time.
struct Failure {
    class: FailureClass,
    detail: String,
}

impl Failure {
    fn new(class: FailureClass, detail: impl Into<String>) -> Self {
        Failure {
            class,
            detail: detail.into(),
        }
    }
}

/// Time of one fetch, not counting the time spent queued for a host's turn: queueing is
/// our own politeness, not the platform's slowness, and must not turn into timeouts.
struct Clock {
    start: Instant,
    budget: Duration,
    queued: Duration,
}

impl Clock {
    fn new(budget: Duration) -> Self {
        Clock {
            start: Instant::now(),
            budget,
            queued: Duration::ZERO,
        }
    }

    fn elapsed_ms(&self) -> u64 {
        let elapsed = self.start.elapsed().saturating_sub(self.queued);
        u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
    }

    fn deadline(&self) -> Instant {
        let allowed = self.budget.saturating_add(self.queued);
        // An absurd timeout must not overflow `Instant` (which panics): a year is forever.
        self.start
            .checked_add(allowed)
            .or_else(|| self.start.checked_add(Duration::from_secs(365 * 24 * 3600)))
            .unwrap_or(self.start)
    }
}

impl Fetcher {
    pub fn new(options: FetcherOptions) -> Result<Fetcher, FetcherBuildError> {
        let user_agent = HeaderValue::from_str(&options.user_agent)
            .map_err(|_| FetcherBuildError::UserAgent(options.user_agent.clone()))?;
        // Redirects are followed by hand so that each hop is recorded.
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .gzip(true)
            .brotli(true)
            .deflate(true);
        let proxy_host = options
            .proxy
            .as_ref()
            .and_then(|p| p.host_str())
            .map(str::to_string);
        builder = match (options.allow_private_addresses, &options.resolver) {
            (false, inner) => builder.dns_resolver(GuardedResolver::new(inner.clone(), proxy_host)),
            (true, Some(inner)) => builder.dns_resolver(inner.clone()),
            (true, None) => builder,
        };
        builder = match &options.proxy {
            Some(proxy) => {
                let proxy = reqwest::Proxy::all(proxy.as_str()).map_err(|source| {
                    FetcherBuildError::Proxy {
                        url: proxy.to_string(),
                        source,
                    }
                })?;
                builder.proxy(proxy)
            }
            None => builder.no_proxy(),
        };
        let client = builder.build().map_err(FetcherBuildError::Client)?;
        Ok(Fetcher {
            inner: Arc::new(Inner {
                client,
                user_agent,
                allow_private: options.allow_private_addresses,
                hosts: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Fetches `url`: the last answer with its body decoded, or why there is none.
    pub async fn fetch(&self, url: &str, settings: &FetchSettings) -> Result<Response, FetchError> {
        let mut clock = Clock::new(settings.timeout);
        let mut hops = Vec::new();
        match self.run(url, settings, &mut clock, &mut hops).await {
            Ok(response) => Ok(response),
            Err(failure) => Err(FetchError {
                class: failure.class,
                detail: cap(&failure.detail, MAX_DETAIL_BYTES).to_string(),
                hops,
                elapsed_ms: clock.elapsed_ms(),
            }),
        }
    }

    async fn run(
        &self,
        url: &str,
        settings: &FetchSettings,
        clock: &mut Clock,
        hops: &mut Vec<Hop>,
    ) -> Result<Response, Failure> {
        let mut current = parse_request_url(url)?;
        self.check_address(&current)
            .map_err(|refused| refusal(&refused, &format!("refused to fetch {current}")))?;
        let mut headers = self.request_headers(settings)?;
        let mut method = settings.method.clone();
        let mut visited = vec![without_fragment(&current)];
        loop {
            // Held for the whole exchange of this hop, body included.
            let permit = self.wait_turn(&current, settings, clock).await?;
            let request = self
                .inner
                .client
                .request(method.clone(), current.clone())
                .headers(headers.clone());
            let mut answer = match timeout_at(clock.deadline(), request.send()).await {
                Err(_) => return Err(timed_out(&current, settings.timeout)),
                Ok(Err(error)) => return Err(classify_send(&error, &current)),
                Ok(Ok(answer)) => answer,
            };
            let status = answer.status();
            let location = answer
                .headers()
                .get(LOCATION)
                .map(|value| location_text(value.as_bytes()));
            hops.push(Hop {
                url: current.to_string(),
                status: status.as_u16(),
                location: location
                    .as_deref()
                    .map(|l| cap(l, MAX_HEADER_BYTES).to_string()),
                elapsed_ms: clock.elapsed_ms(),
            });
            let resolved = location.as_deref().and_then(|l| current.join(l).ok());

            let next = resolved
                .as_ref()
                .filter(|next| is_fetchable(next))
                .filter(|_| settings.follow_redirects && is_followed_redirect(status));
            if let Some(next) = next {
                drop(answer);
                drop(permit);
                let next = next.clone();
                self.check_address(&next).map_err(|refused| {
                    refusal(
                        &refused,
                        &format!("refused the redirect from {current} to {next}"),
                    )
                })?;
                if visited.contains(&without_fragment(&next)) {
                    return Err(Failure::new(
                        FailureClass::RedirectLoop,
                        format!("{current} redirects back to {next}, already visited"),
                    ));
                }
                if hops.len() > settings.max_redirects {
                    return Err(Failure::new(
                        FailureClass::RedirectLoop,
                        format!(
                            "more than {} redirects fetching {url} (the last from {current} to {next})",
                            settings.max_redirects
                        ),
                    ));
                }
                method = method_after_redirect(&method, status);
                if next.host_str() != current.host_str() {
                    // Credentials meant for one host are not handed to another.
                    for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION] {
                        headers.remove(name);
                    }
                }
                visited.push(without_fragment(&next));
                current = next;
                continue;
            }

            // The answer to classify.
            let content_type = answer.headers().get(CONTENT_TYPE).map(|value| {
                cap(&String::from_utf8_lossy(value.as_bytes()), MAX_HEADER_BYTES).to_string()
            });
            let body = read_body(&mut answer, settings, clock, &current).await?;
            drop(permit);
            let (text, encoding) = decode_text(&body, content_type.as_deref());
            let location = match (resolved, location) {
                (Some(resolved), _) => Some(cap(resolved.as_str(), MAX_HEADER_BYTES).to_string()),
                // Unresolvable: still evidence, as sent.
                (None, Some(raw)) => Some(cap(&raw, MAX_HEADER_BYTES).to_string()),
                (None, None) => None,
            };
            return Ok(Response {
                request_url: url.to_string(),
                hops: std::mem::take(hops),
                final_url: current.to_string(),
                status: status.as_u16(),
                location,
                content_type,
                body,
                text,
                charset: encoding.name().to_string(),
                elapsed_ms: clock.elapsed_ms(),
            });
        }
    }

    /// Refuses a URL whose host is an internal address or name, unless allowed. Names that
    /// resolve to internal addresses are refused by the resolver, at connect time.
    fn check_address(&self, url: &Url) -> Result<(), address::Refused> {
        match address::refused_url(url) {
            Some(refused) if !self.inner.allow_private => Err(refused),
            _ => Ok(()),
        }
    }

    /// The request headers: the settings' ones, and the default user agent unless they
    /// name one.
    fn request_headers(&self, settings: &FetchSettings) -> Result<HeaderMap, Failure> {
        let mut headers = HeaderMap::new();
        for (name, value) in &settings.headers {
            let header = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                Failure::new(
                    FailureClass::Connect,
                    format!("request header name {name:?} is not valid"),
                )
            })?;
            let value = HeaderValue::from_str(value).map_err(|_| {
                Failure::new(
                    FailureClass::Connect,
                    format!("value of request header {name:?} is not valid"),
                )
            })?;
            headers.append(header, value);
        }
        if !headers.contains_key(USER_AGENT) {
            headers.insert(USER_AGENT, self.inner.user_agent.clone());
        }
        Ok(headers)
    }

    /// Waits for this host's turn (a free slot, then the spacing since the last start) and
    /// returns the slot. The wait is not charged to the request's clock.
    async fn wait_turn(
        &self,
        url: &Url,
        settings: &FetchSettings,
        clock: &mut Clock,
    ) -> Result<OwnedSemaphorePermit, Failure> {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let gate = lock(&self.inner.hosts)
            .entry(host)
            .or_insert_with(|| {
                Arc::new(HostGate {
                    // Zero would wait forever.
                    permits: Arc::new(Semaphore::new(settings.per_host_concurrency.max(1))),
                    spacing: settings.min_host_spacing,
                    next_start: Mutex::new(None),
                })
            })
            .clone();
        let queued_since = Instant::now();
        let permit = gate.permits.clone().acquire_owned().await.map_err(|_| {
            Failure::new(
                FailureClass::Connect,
                format!("no slot for {url}: host gate closed"),
            )
        })?;
        // Reserve a start time: concurrent requests take successive slots.
        let start_at = {
            let mut next_start = lock(&gate.next_start);
            let now = Instant::now();
            let at = match *next_start {
                Some(t) if t > now => t,
                _ => now,
            };
            *next_start = Some(at.checked_add(gate.spacing).unwrap_or(at));
            at
        };
        tokio::time::sleep_until(start_at).await;
        clock.queued = clock.queued.saturating_add(queued_since.elapsed());
        Ok(permit)
    }
}

/// A poisoned lock only means another fetch panicked mid-update of plain data; carry on.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn parse_request_url(url: &str) -> Result<Url, Failure> {
    let parsed = Url::parse(url.trim()).map_err(|e| {
        Failure::new(
            FailureClass::Connect,
            format!("cannot fetch {url}: not a valid URL ({e})"),
        )
    })?;
    if !is_fetchable(&parsed) {
        return Err(Failure::new(
            FailureClass::Connect,
            format!("cannot fetch {url}: only http and https URLs with a host are supported"),
        ));
    }
    Ok(parsed)
}

fn is_fetchable(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())
}

fn without_fragment(url: &Url) -> Url {
    let mut url = url.clone();
    url.set_fragment(None);
    url
}

/// The statuses whose Location a browser follows (not 300, 304, 305).
fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The method of the next hop, as browsers do it.
fn method_after_redirect(method: &Method, status: StatusCode) -> Method {
    match status {
        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => method.clone(),
        StatusCode::SEE_OTHER if *method != Method::HEAD => Method::GET,
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND if *method == Method::POST => Method::GET,
        _ => method.clone(),
    }
}

/// A Location header as text. Some servers send raw non-UTF-8 bytes; those are
/// percent-encoded, which is also how a browser would request them.
fn location_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.trim().to_string(),
        Err(_) => percent_encode(bytes, CONTROLS).to_string(),
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cap(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or_default()
}

/// Reads the (decompressed) body chunk by chunk, stopping as soon as it outgrows the cap.
async fn read_body(
    answer: &mut reqwest::Response,
    settings: &FetchSettings,
    clock: &Clock,
    url: &Url,
) -> Result<Vec<u8>, Failure> {
    // Sized once when the server says how much is coming (never beyond the cap).
    let expected = answer
        .content_length()
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0)
        .min(settings.max_body_bytes);
    let mut body = Vec::with_capacity(expected);
    loop {
        match timeout_at(clock.deadline(), answer.chunk()).await {
            Err(_) => return Err(timed_out(url, settings.timeout)),
            Ok(Err(error)) => return Err(classify_body(&error, url)),
            Ok(Ok(None)) => return Ok(body),
            Ok(Ok(Some(chunk))) => {
                if body.len().saturating_add(chunk.len()) > settings.max_body_bytes {
                    return Err(Failure::new(
                        FailureClass::TooLarge,
                        format!(
                            "the body of {url} is larger than {} bytes (after decompression)",
                            settings.max_body_bytes
                        ),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
        }
    }
}

fn timed_out(url: &Url, limit: Duration) -> Failure {
    Failure::new(
        FailureClass::Timeout,
        format!("no complete answer from {url} within {}", seconds(limit)),
    )
}

fn seconds(d: Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Every error behind `error`, `error` excluded. `io::Error::source` skips the error it
/// wraps (it returns that error's source), so wrapped errors are listed explicitly: that is
/// where rustls and resolver errors hide.
fn causes<'a>(error: &'a (dyn StdError + 'static)) -> Vec<&'a (dyn StdError + 'static)> {
    let mut found = Vec::new();
    let mut next = error.source();
    while let Some(cause) = next {
        found.push(cause);
        if let Some(inner) = cause
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            found.push(inner);
        }
        next = cause.source();
    }
    found
}

/// The causes' messages, joined, without repeats (wrappers often repeat their cause).
fn cause_text(causes: &[&(dyn StdError + 'static)]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in causes {
        let message = cause.to_string();
        if !message.is_empty() && !parts.iter().any(|p| p == &message) {
            parts.push(message);
        }
    }
    parts.join(": ")
}

fn io_kinds(causes: &[&(dyn StdError + 'static)]) -> Vec<std::io::ErrorKind> {
    causes
        .iter()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind)
        .collect()
}

const DNS_WORDS: [&str; 7] = [
    "dns error",
    "error resolving dns",
    "failed to lookup address",
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no such host",
];

const TLS_WORDS: [&str; 9] = [
    "invalid peer certificate",
    "certificate",
    "handshake",
    "tls",
    "ssl",
    "corrupt message",
    "invalidcontenttype",
    "peer is incompatible",
    "received fatal alert",
];

/// The refusal first: details are capped, and a long URL must not push it out.
fn refusal(refused: &address::Refused, what: &str) -> Failure {
    Failure::new(
        FailureClass::InternalAddress,
        format!("{refused}: {what} (probes never connect to internal addresses)"),
    )
}

/// Why a request got no answer. The top-level reqwest message names the URL, so only its
/// causes are searched for words.
fn classify_send(error: &reqwest::Error, url: &Url) -> Failure {
    if let Some(refused) = address::refusal_in(error) {
        return refusal(refused, &format!("refused to connect for {url}"));
    }
    let causes = causes(error);
    let cause = cause_text(&causes);
    let words = cause.to_lowercase();
    let kinds = io_kinds(&causes);
    let (class, what) = if error.is_dns() || DNS_WORDS.iter().any(|w| words.contains(w)) {
        let host = url.host_str().unwrap_or_default();
        (
            FailureClass::Dns,
            format!("the host name {host} did not resolve"),
        )
    } else if TLS_WORDS.iter().any(|w| words.contains(w)) {
        (FailureClass::Tls, "the TLS handshake failed".to_string())
    } else if error.is_timeout() || kinds.contains(&std::io::ErrorKind::TimedOut) {
        (
            FailureClass::Timeout,
            "the connection timed out".to_string(),
        )
    } else if kinds.contains(&std::io::ErrorKind::ConnectionRefused) {
        (
            FailureClass::Connect,
            "the connection was refused".to_string(),
        )
    } else {
        (FailureClass::Connect, "no answer".to_string())
    };
    Failure::new(class, with_cause(format!("{what} fetching {url}"), &cause))
}

/// hyper's words for a connection that broke mid-body (decompression errors come from
/// elsewhere and never say these).
const BODY_TRANSPORT_WORDS: [&str; 4] = [
    "error reading a body from connection",
    "end of file before message length reached",
    "connection closed before message completed",
    "connection reset",
];

/// Why a body could not be read: time, the connection, or broken compression.
fn classify_body(error: &reqwest::Error, url: &Url) -> Failure {
    let causes = causes(error);
    let cause = cause_text(&causes);
    let words = cause.to_lowercase();
    let kinds = io_kinds(&causes);
    let network = kinds.iter().any(|k| {
        matches!(
            k,
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
        )
    }) || BODY_TRANSPORT_WORDS.iter().any(|w| words.contains(w));
    let (class, what) = if error.is_timeout() || kinds.contains(&std::io::ErrorKind::TimedOut) {
        (FailureClass::Timeout, "the body timed out")
    } else if network {
        (
            FailureClass::Connect,
            "the connection broke while reading the body",
        )
    } else {
        (FailureClass::Decode, "the body could not be decoded")
    };
    Failure::new(class, with_cause(format!("{what} of {url}"), &cause))
}

fn with_cause(sentence: String, cause: &str) -> String {
    if cause.is_empty() {
        format!("{sentence}.")
    } else {
        format!("{sentence}: {cause}.")
    }
}

/// Decodes a body to text: the encoding comes from a byte order mark, else the
/// Content-Type `charset`, else a `<meta>` declaration in the first 4 KiB, else UTF-8 —
/// or GB18030 when the undeclared body is not UTF-8 but is valid GB18030 (common on
/// older Chinese pages). Unknown labels are ignored. Never fails: undecodable bytes become
/// U+FFFD.
pub fn decode_text(body: &[u8], content_type: Option<&str>) -> (String, &'static Encoding) {
    // A BOM wins over declarations, as in browsers: it cannot be there by accident.
    if let Some((encoding, bom_length)) = Encoding::for_bom(body) {
        let rest = body.get(bom_length..).unwrap_or_default();
        let (text, _) = encoding.decode_without_bom_handling(rest);
        return (text.into_owned(), encoding);
    }
    let declared = content_type
        .and_then(charset_from_content_type)
        .or_else(|| charset_from_meta(body));
    if let Some(encoding) = declared {
        let (text, _) = encoding.decode_without_bom_handling(body);
        return (text.into_owned(), encoding);
    }
    if let Some(text) = UTF_8.decode_without_bom_handling_and_without_replacement(body) {
        return (text.into_owned(), UTF_8);
    }
    if let Some(text) = GB18030.decode_without_bom_handling_and_without_replacement(body) {
        return (text.into_owned(), GB18030);
    }
    let (text, _) = UTF_8.decode_without_bom_handling(body);
    (text.into_owned(), UTF_8)
}

/// The known encoding named by a Content-Type's `charset` parameter.
fn charset_from_content_type(content_type: &str) -> Option<&'static Encoding> {
    content_type
        .split(';')
        .skip(1)
        .filter_map(|param| param.split_once('='))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("charset"))
        .find_map(|(_, value)| {
            let label = value.trim().trim_matches(|c| c == '"' || c == '\'');
            Encoding::for_label(label.as_bytes())
        })
}

/// The first known encoding declared by a `<meta charset=…>` or
/// `<meta http-equiv="Content-Type" content="…; charset=…">` in the first 4 KiB.
fn charset_from_meta(body: &[u8]) -> Option<&'static Encoding> {
    let head = body
        .get(..META_PRESCAN_BYTES)
        .unwrap_or(body)
        .to_ascii_lowercase();
    let mut rest = head.as_slice();
    while let Some(open) = find(rest, b"<meta") {
        let tag_start = rest.get(open + 5..).unwrap_or_default();
        let tag_end = tag_start
            .iter()
            .position(|&b| b == b'>')
            .unwrap_or(tag_start.len());
        let tag = tag_start.get(..tag_end).unwrap_or_default();
        if let Some(encoding) = charset_in_tag(tag) {
            // A page read as ASCII cannot really be UTF-16 (what browsers do too).
            if encoding == encoding_rs::UTF_16LE || encoding == encoding_rs::UTF_16BE {
                return Some(UTF_8);
            }
            return Some(encoding);
        }
        rest = tag_start.get(tag_end..).unwrap_or_default();
    }
    None
}

/// The first known `charset=label` inside one (lowercased) tag's attributes.
fn charset_in_tag(tag: &[u8]) -> Option<&'static Encoding> {
    let mut rest = tag;
    while let Some(at) = find(rest, b"charset") {
        rest = rest.get(at + 7..).unwrap_or_default();
        let after = trim_start(rest);
        let Some(after) = after.strip_prefix(b"=") else {
            continue;
        };
        let after = trim_start(after);
        let after = after
            .strip_prefix(b"\"")
            .or_else(|| after.strip_prefix(b"'"))
            .unwrap_or(after);
        let length = after
            .iter()
            .position(|&b| !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':')))
            .unwrap_or(after.len());
        if let Some(encoding) = after.get(..length).and_then(Encoding::for_label) {
            return Some(encoding);
        }
    }
    None
}

fn trim_start(bytes: &[u8]) -> &[u8] {
    let skip = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes.get(skip..).unwrap_or_default()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charset_from_header_meta_bom_and_fallback() {
        let (bytes, _, _) = encoding_rs::GBK.encode("微信外链");
        let (text, enc) = decode_text(&bytes, Some("text/html; charset=\"gb2312\""));
        assert_eq!((text.as_str(), enc.name()), ("微信外链", "GBK"));

        let mut page =
            b"<html><head><META HTTP-EQUIV=Content-Type CONTENT='text/html; Charset=GBK'>".to_vec();
        page.extend_from_slice(&bytes);
        let (text, enc) = decode_text(&page, Some("text/html"));
        assert!(text.ends_with("微信外链"));
        assert_eq!(enc.name(), "GBK");

        let (text, enc) = decode_text(b"<meta charset=bogus><meta charset=utf-8>ok", None);
        assert_eq!(
            (text.as_str(), enc),
            ("<meta charset=bogus><meta charset=utf-8>ok", UTF_8)
        );

        let (text, enc) = decode_text(&bytes, Some("text/html; charset=nonsense"));
        assert_eq!((text.as_str(), enc), ("微信外链", GB18030));

        let (text, enc) = decode_text(b"\xEF\xBB\xBFhi", Some("text/plain; charset=gbk"));
        assert_eq!((text.as_str(), enc), ("hi", UTF_8));

        let (text, enc) = decode_text(b"\xFF\xFE\xFF", None);
        assert_eq!(enc, encoding_rs::UTF_16LE);
        assert_eq!(text, "\u{FFFD}");

        let (text, enc) = decode_text(b"a\xFFb", None);
        assert_eq!((text.as_str(), enc), ("a\u{FFFD}b", UTF_8));
    }

    #[test]
    fn caps_cut_on_character_boundaries() {
        assert_eq!(cap("微信", 4), "微");
        assert_eq!(cap("abc", 10), "abc");
        assert_eq!(cap("微", 2), "");
    }

    #[test]
    fn non_utf8_locations_are_percent_encoded() {
        assert_eq!(location_text(b"/a?q=\xC4\xE3"), "/a?q=%C4%E3");
        assert_eq!(location_text(b" /plain "), "/plain");
    }
}
