//! The platform simulator: a loopback HTTP server that imitates platforms so that probe
//! packs can be demonstrated, tested and benchmarked with no network.
//!
//! Probes reach it as an HTTP proxy: requests arrive in absolute form with the fictional
//! host (all under `.test`) in the `Host` header, so routing is by `Host` (port stripped),
//! then by path. Every page says it is simulated (a visible "模拟 / SIMULATED" line and
//! `<meta name="generator" content="hutong-simulator">`) but otherwise mimics real pages:
//!
//! - `bridge.simchat.test/wapredirect?url=…` and `safety.simchat.test/cgi-bin/newredirectconfirmcgi`:
//!   a WeChat-like link bridge and interstitial (`var cgiData = {…}`).
//! - `c.simtalk.test/middlem.html?pfurl=…` and `/pc.html?url=…`: a QQ-like bridge.
//! - `shop.simshop.test/item/{id}`, `video.simvideo.test/v/{id}`, `news.simnews.test/a/{id}`
//!   (GBK): target pages padded to `?kb=N` KiB.
//! - `pay.simshop.test/cashier`, `pay.simvideo.test/cashier` (GBK): checkout pages.
//! - `lab.sim.test/…` and `fake.simscam.test/`: hostile and look-alike answers.
//! - Internal hosts (`127.0.0.1`, `localhost`, `169.254.169.254` …): what a service meant
//!   only for this machine or network would answer, marked with [`INTERNAL_SECRET`]; the
//!   lab's `/redirect-internal` and `/redirect-metadata` point probes there, which must
//!   refuse to follow.
//!
//! The state of each link (chat app × target) and each cashier follows a [`Timetable`];
//! tests pin states with [`Simulator::set_link`] and [`Simulator::set_cashier`].

mod html;
mod lab;
mod links;
mod sites;

#[cfg(test)]
pub(crate) use html::Rng;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::response::Response;
use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

/// What a chat app does with a shared link, on the `link` ladder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkState {
    Open,
    Warned,
    TokenOnly,
    Blocked,
}

impl LinkState {
    /// The ladder, most open first; the order the timetable walks through.
    pub const ALL: [LinkState; 4] = [Self::Open, Self::Warned, Self::TokenOnly, Self::Blocked];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Warned => "warned",
            Self::TokenOnly => "token_only",
            Self::Blocked => "blocked",
        }
    }
}

impl fmt::Display for LinkState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for LinkState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| {
                format!("\"{s}\" is not a link state (open, warned, token_only, blocked)")
            })
    }
}

/// How states change over time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timetable {
    /// Each link and cashier keeps its starting state until pinned with `set_*`.
    Fixed,
    /// Each link and cashier walks through its own sequence, one step per `period`,
    /// measured from [`Simulator::new`]; offsets differ so they do not change in lockstep.
    /// A zero period behaves like `Fixed`.
    Rotating { period: Duration },
}

/// The chat apps the simulator imitates.
pub const CHAT_APPS: [&str; 2] = ["simchat", "simtalk"];
/// The target platforms and the host of their pages.
pub const TARGETS: [(&str, &str); 3] = [
    ("simshop", "shop.simshop.test"),
    ("simvideo", "video.simvideo.test"),
    ("simnews", "news.simnews.test"),
];
/// Merchant apps with a cashier, and the cashier's host.
pub const CASHIERS: [(&str, &str); 2] = [
    ("simshop", "pay.simshop.test"),
    ("simvideo", "pay.simvideo.test"),
];

/// The cashier phases the timetable walks through: (offered methods, pre-selected).
const CASHIER_PHASES: [(&[&str], Option<&str>); 5] = [
    (&["alipay"], Some("alipay")),
    (&["alipay", "wechat_pay"], Some("alipay")),
    (&["wechat_pay", "alipay", "unionpay"], Some("wechat_pay")),
    (
        &[
            "alipay",
            "wechat_pay",
            "unionpay",
            "ecny",
            "jd_pay",
            "apple_pay",
            "qq_wallet",
        ],
        None,
    ),
    (
        &["unionpay", "alipay", "ecny", "apple_pay"],
        Some("unionpay"),
    ),
];

type Cashier = (Vec<String>, Option<String>);

struct Inner {
    timetable: Timetable,
    epoch: Instant,
    pinned_links: Mutex<HashMap<(String, String), LinkState>>,
    /// Chat apps whose bridge blocks every link, known-good ones included (a broken or
    /// hostile bridge: the in-app control must catch it).
    intercepting: Mutex<std::collections::HashSet<String>>,
    pinned_cashiers: Mutex<HashMap<String, Cashier>>,
    bench_pages: Mutex<HashMap<u64, axum::body::Bytes>>,
    served: AtomicU64,
    /// Where [`Simulator::start`] first listened: the lab redirects probes there.
    local_addr: OnceLock<SocketAddr>,
    /// The vantage point this simulator stands for the network of, when it is not the
    /// first one: some links are handled differently there (see [`Simulator::seen_from`]).
    seen_from: Option<String>,
}

/// The simulator's shared state; cheap to clone.
#[derive(Clone)]
pub struct Simulator {
    inner: Arc<Inner>,
}

impl fmt::Debug for Simulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Simulator")
            .field("timetable", &self.inner.timetable)
            .field("requests_served", &self.requests_served())
            .finish()
    }
}

/// Locks even a poisoned mutex: the maps hold plain data, always consistent.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// FNV-1a: a stable hash for offsets and seeds (the same on every run and platform).
pub(crate) fn fnv(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Where each known link starts (an index into [`LinkState::ALL`]).
fn link_offset(app: &str, target: &str) -> usize {
    match (app, target) {
        ("simchat", "simshop") => 1, // warned, like Taobao in WeChat in late 2021
        ("simchat", "simvideo") => 2, // token_only, like Douyin in WeChat
        ("simchat", "simnews") => 0, // open
        ("simtalk", "simshop") => 0, // open, like QQ
        ("simtalk", "simvideo") => 1, // warned
        ("simtalk", "simnews") => 3, // blocked
        _ => (fnv(&[app, target]) % 4) as usize,
    }
}

/// Where each cashier starts (an index into the cashier phases).
fn cashier_offset(app: &str) -> usize {
    match app {
        "simshop" => 0,  // Alipay only, like Taobao in 2021
        "simvideo" => 2, // WeChat Pay pre-selected, Alipay offered, like Pinduoduo
        _ => (fnv(&[app]) % CASHIER_PHASES.len() as u64) as usize,
    }
}

impl Simulator {
    pub fn new(timetable: Timetable) -> Simulator {
        Self::build(timetable, None)
    }

    /// The simulator as seen from another vantage point, as a real network would differ:
    /// each link's sequence is shifted by 0, 1 or 2 steps, chosen by the vantage point's
    /// name (stable across runs), so that some links get another verdict there than from a
    /// simulator made with [`Simulator::new`] and others the same (from `sim-hongkong`,
    /// SimTalk's links differ and SimChat's agree). Pinned links and cashiers are as pinned.
    pub fn seen_from(timetable: Timetable, vantage: &str) -> Simulator {
        Self::build(timetable, Some(vantage.to_string()))
    }

    fn build(timetable: Timetable, seen_from: Option<String>) -> Simulator {
        Simulator {
            inner: Arc::new(Inner {
                timetable,
                epoch: Instant::now(),
                pinned_links: Mutex::new(HashMap::new()),
                intercepting: Mutex::new(Default::default()),
                pinned_cashiers: Mutex::new(HashMap::new()),
                bench_pages: Mutex::new(HashMap::new()),
                served: AtomicU64::new(0),
                local_addr: OnceLock::new(),
                seen_from,
            }),
        }
    }

    pub fn timetable(&self) -> Timetable {
        self.inner.timetable
    }

    /// The router serving every simulated host (for in-process tests with `oneshot`).
    pub fn router(&self) -> Router {
        Router::new().fallback(dispatch).with_state(self.clone())
    }

    /// Binds `addr` (port 0 picks a free port) and serves in a spawned task.
    pub async fn start(&self, addr: SocketAddr) -> std::io::Result<RunningSimulator> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let _ = self.inner.local_addr.set(addr);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = self.router();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = rx.await;
            });
            if let Err(e) = served.await {
                tracing::warn!(error = %e, "simulator stopped with an error");
            }
        });
        tracing::info!(%addr, "simulator listening");
        Ok(RunningSimulator {
            addr,
            stop: Some(tx),
            task: Some(task),
        })
    }

    /// Pins the state of `app`'s handling of `target` links (overrides the timetable).
    pub fn set_link(&self, app: &str, target: &str, state: LinkState) {
        lock(&self.inner.pinned_links).insert((app.to_string(), target.to_string()), state);
    }

    /// Makes `app`'s bridge block every link (`true`), whatever its target, or behave
    /// again (`false`).
    pub fn set_bridge_intercepts_all(&self, app: &str, on: bool) {
        let mut apps = lock(&self.inner.intercepting);
        if on {
            apps.insert(app.to_string());
        } else {
            apps.remove(app);
        }
    }

    /// Whether `app`'s bridge blocks every link.
    pub fn bridge_intercepts_all(&self, app: &str) -> bool {
        lock(&self.inner.intercepting).contains(app)
    }

    /// Pins `app`'s cashier: the methods offered (slugs, in page order) and the
    /// pre-selected one (overrides the timetable).
    pub fn set_cashier(&self, app: &str, offered: &[&str], selected: Option<&str>) {
        lock(&self.inner.pinned_cashiers).insert(
            app.to_string(),
            (
                offered.iter().map(|m| (*m).to_string()).collect(),
                selected.map(str::to_string),
            ),
        );
    }

    /// The step of the timetable for an item with time phase `phase` (0..1000‰ of a period).
    fn step(&self, phase_key: u64) -> usize {
        match self.inner.timetable {
            Timetable::Fixed => 0,
            Timetable::Rotating { period } => {
                let period = period.as_nanos();
                if period == 0 {
                    return 0;
                }
                let phase = period * u128::from(phase_key % 1000) / 1000;
                let elapsed = self.inner.epoch.elapsed().as_nanos();
                ((elapsed + phase) / period % 1_000_000) as usize
            }
        }
    }

    /// What the simulator would answer now for `app` × `target`.
    pub fn link_state(&self, app: &str, target: &str) -> LinkState {
        if let Some(state) =
            lock(&self.inner.pinned_links).get(&(app.to_string(), target.to_string()))
        {
            return *state;
        }
        let step = self.step(fnv(&["link", app, target]));
        let elsewhere = self.inner.seen_from.as_deref().map_or(0, |vantage| {
            (fnv(&["vantage", vantage, app, target]) % 3) as usize
        });
        LinkState::ALL[(link_offset(app, target) + step + elsewhere) % LinkState::ALL.len()]
    }

    /// The vantage point this simulator stands for, when made with [`Simulator::seen_from`].
    pub fn vantage(&self) -> Option<&str> {
        self.inner.seen_from.as_deref()
    }

    /// `app`'s cashier now: the methods offered (slugs, in page order) and the pre-selected one.
    pub fn cashier(&self, app: &str) -> (Vec<String>, Option<String>) {
        if let Some(pinned) = lock(&self.inner.pinned_cashiers).get(app) {
            return pinned.clone();
        }
        let step = self.step(fnv(&["cashier", app]));
        let (offered, selected) =
            CASHIER_PHASES[(cashier_offset(app) + step) % CASHIER_PHASES.len()];
        (
            offered.iter().map(|m| (*m).to_string()).collect(),
            selected.map(str::to_string),
        )
    }

    /// The simulator's own address once started (loopback in every use Hutong makes).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.local_addr.get().copied()
    }

    /// Requests answered since [`Simulator::new`], whatever the answer.
    pub fn requests_served(&self) -> u64 {
        self.inner.served.load(Ordering::Relaxed)
    }

    pub(crate) fn bench_page(&self, kb: u64) -> axum::body::Bytes {
        let mut pages = lock(&self.inner.bench_pages);
        if let Some(page) = pages.get(&kb) {
            return page.clone();
        }
        let page = axum::body::Bytes::from(html::bench_page(kb));
        if pages.len() < 64 {
            pages.insert(kb, page.clone());
        }
        page
    }
}

/// A simulator serving on [`RunningSimulator::addr`]. Dropping it stops the server too.
#[derive(Debug)]
pub struct RunningSimulator {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl RunningSimulator {
    /// Stops accepting connections and waits (up to 5 s) for requests in flight.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
        {
            task.abort();
        }
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The host a request is for: the `Host` header (or the absolute URI's host), lower case,
/// without port or trailing dot.
fn request_host(req: &Request) -> Option<String> {
    let raw = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_string()))?;
    let raw = raw.trim();
    let raw = raw.rsplit_once('@').map_or(raw, |(_, h)| h);
    let host = if let Some(rest) = raw.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        raw.split(':').next().unwrap_or("")
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty()).then_some(host)
}

async fn dispatch(State(sim): State<Simulator>, req: Request) -> Response {
    sim.inner.served.fetch_add(1, Ordering::Relaxed);
    let Some(host) = request_host(&req) else {
        return html::error_page(
            axum::http::StatusCode::BAD_REQUEST,
            "缺少 Host / Missing Host",
            "请求没有 Host 头，模拟器不知道要模拟哪个网站。The request names no host.",
        );
    };
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    match host.as_str() {
        "bridge.simchat.test" => links::simchat_bridge(&sim, &path, &query),
        "safety.simchat.test" => links::simchat_interstitial(&sim, &path, &query),
        "c.simtalk.test" => links::simtalk(&sim, &path, &query),
        "lab.sim.test" => lab::handle(&sim, &path, &query).await,
        "fake.simscam.test" => lab::fake_block(),
        // SimChat's own site: the known-good link of its pack's in-app control.
        "www.simchat.test" => sites::home("SimChat 模拟聊天", "www.simchat.test"),
        internal if is_internal_host(internal) => lab::internal(),
        other => {
            if let Some((app, _)) = TARGETS.iter().find(|(_, h)| *h == other) {
                sites::target(app, &path, &query)
            } else if let Some((app, _)) = CASHIERS.iter().find(|(_, h)| *h == other) {
                sites::cashier(&sim, app, &path)
            } else {
                html::not_found(&host, &path)
            }
        }
    }
}

/// The marker on every internal answer: stored or published anywhere, it shows that a
/// probe reached an internal address.
pub const INTERNAL_SECRET: &str = "SIMULATED-INTERNAL-SECRET-7f3a9c";

/// An address or name that only this machine or its network would answer.
fn is_internal_host(host: &str) -> bool {
    use crate::probes::address;
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => address::classify(ip).is_some(),
        Err(_) => address::classify_name(host).is_some(),
    }
}

/// The target platform a URL on `host` belongs to, if it is one the simulator imitates.
pub(crate) fn target_of_host(host: &str) -> Option<&'static str> {
    TARGETS.iter().find_map(|(slug, h)| {
        let apex = format!("{slug}.test");
        (host == *h || host == apex || host.ends_with(&format!(".{apex}"))).then_some(*slug)
    })
}
