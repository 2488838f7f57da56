//! How the server takes connections: at most so many at once (at the limit, the least
//! recently active connection with nothing in progress is closed to make room, and when
//! every one is working, new ones wait in the kernel's backlog and cost no file descriptor
//! here), a deadline for each request's head, an idle deadline for connections on which
//! nothing moves, a pause after accept errors (running out of file descriptors must not
//! spin), and a graceful shutdown that finishes requests in progress. `axum::serve` has neither timeouts nor a limit: a few hundred
//! half-open requests held it forever.

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::ServiceExt;

/// Limits on what one connection, and all of them, may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From when the server waits for a request (on a new connection, or the next one on a
    /// kept-alive connection) until its head has fully arrived. Also how long a kept-alive
    /// connection may wait for its next request.
    pub header_timeout: Duration,
    /// A connection on which nothing is read or written for this long while no request is
    /// being worked on (a client that stopped reading an answer, or sending a body) is
    /// closed.
    pub idle_timeout: Duration,
    /// Connections open at once (one more may wait for a place); more wait to be accepted.
    pub max_connections: usize,
}

/// File descriptors left for everything but client connections (database pool, probes,
/// the simulator, files, logs) when the process's file limit is low.
const RESERVED_DESCRIPTORS: u64 = 128;

/// Requests in progress when shutdown begins get this long to finish.
pub const DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// The connections to allow under a file-descriptor limit of `file_limit` (the soft
/// `RLIMIT_NOFILE`): `configured`, lowered so that client sockets can never take the
/// descriptors the rest of the server needs.
pub fn connections_within(configured: usize, file_limit: Option<u64>) -> usize {
    let Some(limit) = file_limit else {
        return configured.max(1);
    };
    let room = limit.saturating_sub(RESERVED_DESCRIPTORS).max(limit / 2);
    let room = usize::try_from(room).unwrap_or(usize::MAX);
    configured.min(room).max(1)
}

/// This process's soft limit on open files, if it has one.
#[cfg(unix)]
pub fn file_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

#[cfg(not(unix))]
pub fn file_limit() -> Option<u64> {
    None
}

/// How long to pause after `consecutive` accept errors in a row: 10 ms, doubling, at most
/// one second. Never zero, so a persistent error (no descriptors left) cannot spin.
pub fn accept_backoff(consecutive: u32) -> Duration {
    const FIRST: Duration = Duration::from_millis(10);
    const MOST: Duration = Duration::from_secs(1);
    let doublings = consecutive.saturating_sub(1).min(16);
    FIRST.saturating_mul(1 << doublings).min(MOST)
}

/// Errors of one connection that went away before it was accepted: try the next at once.
fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Serves `app` on `listener` until `shutdown` completes; then stops accepting, lets
/// requests in progress finish (for at most [`DRAIN_LIMIT`]) and closes idle connections.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    // Tells the accept loop and every connection that shutdown has begun. Awaited on a
    // task of its own: a signal handler the future installs is in place at once, not
    // only once no connection is waiting to be accepted.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let mut stopped = stop_rx.clone();
    let shutdown = async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let mut failures: u32 = 0;
    let mut full_logged = false;
    let live = Arc::new(Live::default());
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match stream {
            Ok((stream, peer)) => {
                if failures > 0 {
                    tracing::info!(failures, "accepting connections again");
                    failures = 0;
                }
                (stream, peer)
            }
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                failures = failures.saturating_add(1);
                // Once per burst: "Too many open files" repeats until a descriptor frees.
                if failures == 1 {
                    tracing::error!(error = %e, "accept error: pausing before accepting again");
                }
                tokio::select! {
                    () = tokio::time::sleep(accept_backoff(failures)) => {}
                    () = &mut shutdown => break,
                }
                continue;
            }
        };
        // One connection past the limit is held here (the rest wait in the backlog) until
        // a place frees: made now by closing the least recently active connection with
        // nothing in progress (half-open or idle), else by a connection ending.
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                // A new burst is one that starts with at least half the places free.
                if slots.available_permits() >= limits.max_connections / 2 {
                    full_logged = false;
                }
                slot
            }
            Err(_) => {
                if !full_logged {
                    tracing::warn!(
                        limit = limits.max_connections,
                        "connection limit reached: closing idle and half-open connections \
                         to make room, or waiting for one to end"
                    );
                    full_logged = true;
                }
                live.evict_least_active();
                tokio::select! {
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    () = &mut shutdown => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let registered = live.register(&activity);
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let service = TowerToHyperService::new(Busy {
            app: app.clone(),
            activity: activity.clone(),
            peer,
        });
        let connection = graceful.watch(http.serve_connection(io, service));
        let idle_timeout = limits.idle_timeout;
        let mut stopping = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let _registered = registered;
            tokio::pin!(connection);
            let idle = activity.idle_for(idle_timeout);
            tokio::pin!(idle);
            let mut draining = false;
            loop {
                tokio::select! {
                    served = &mut connection => {
                        if let Err(e) = served {
                            tracing::debug!(error = %e, "connection ended with an error");
                        }
                        break;
                    }
                    () = &mut idle => {
                        tracing::debug!("closed a connection idle for {idle_timeout:?}");
                        break;
                    }
                    () = activity.evicted.notified() => {
                        // Made room for a new connection, unless a request began since.
                        if activity.open.load(Ordering::SeqCst) == 0 {
                            tracing::debug!("closed an idle connection to make room");
                            break;
                        }
                    }
                    _ = stopping.wait_for(|stop| *stop), if !draining => {
                        // hyper closes a kept-alive connection between requests itself,
                        // but waits for a first request (or the rest of a half-sent head)
                        // on one that never had any: close that now.
                        if activity.requests.load(Ordering::SeqCst) == 0 {
                            break;
                        }
                        draining = true;
                    }
                }
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(DRAIN_LIMIT) => {
            tracing::warn!("requests still in progress after {DRAIN_LIMIT:?}: stopping anyway");
        }
    }
}

/// When a connection last moved a byte, and whether a request on it is in progress.
struct Activity {
    start: Instant,
    /// Milliseconds after `start` of the last byte read or written.
    last: AtomicU64,
    /// Requests whose answer is being worked out (idle time does not count then).
    working: AtomicUsize,
    /// Requests whose answer's body is still being produced.
    open: AtomicUsize,
    /// Requests received on this connection.
    requests: AtomicU64,
    /// Asks the connection to close to make room, if nothing is in progress on it.
    evicted: tokio::sync::Notify,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last: AtomicU64::new(0),
            working: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            evicted: tokio::sync::Notify::new(),
        }
    }

    /// When a byte last moved.
    fn last_active(&self) -> Instant {
        self.start + Duration::from_millis(self.last.load(Ordering::Relaxed))
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Relaxed);
    }

    /// Completes once the connection has been idle for `limit` with no request in progress.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let deadline = self.last_active() + limit;
            if Instant::now() >= deadline {
                if self.working.load(Ordering::SeqCst) == 0 {
                    return;
                }
                // Working on a request is not idleness: the clock starts again after it.
                self.touch();
                continue;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// The open connections, so that one with nothing in progress can be closed to make room.
#[derive(Default)]
struct Live {
    next: AtomicU64,
    connections: std::sync::Mutex<HashMap<u64, Arc<Activity>>>,
}

/// Removes its connection from [`Live`] when the connection's task ends.
struct Registered {
    live: Arc<Live>,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        self.live.lock().remove(&self.id);
    }
}

impl Live {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<Activity>>> {
        self.connections
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn register(self: &Arc<Self>, activity: &Arc<Activity>) -> Registered {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().insert(id, activity.clone());
        Registered {
            live: self.clone(),
            id,
        }
    }

    /// Asks the connection with no request in progress that never had one (half-open),
    /// else the least recently active one with none in progress, to close.
    fn evict_least_active(&self) {
        let connections = self.lock();
        let idle = connections
            .values()
            .filter(|a| a.open.load(Ordering::SeqCst) == 0)
            .min_by_key(|a| (a.requests.load(Ordering::SeqCst) > 0, a.last_active()));
        if let Some(activity) = idle {
            activity.evicted.notify_one();
        }
    }
}

/// A socket that notes every byte that moves.
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The app, marking its connection's requests as in progress: worked on until the
/// answer's head, open until its body has been sent (or dropped).
#[derive(Clone)]
struct Busy {
    app: Router,
    activity: Arc<Activity>,
    /// The client's address, given to handlers as `ConnectInfo` (the audit log and
    /// sign-in limits per address use it).
    peer: std::net::SocketAddr,
}

/// Takes one off `counter` on drop, whatever ended the request; the idle clock restarts.
struct Counted {
    activity: Arc<Activity>,
    open: bool,
}

impl Counted {
    fn new(activity: &Arc<Activity>, open: bool) -> Counted {
        let counter = if open {
            &activity.open
        } else {
            &activity.working
        };
        counter.fetch_add(1, Ordering::SeqCst);
        Counted {
            activity: activity.clone(),
            open,
        }
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        let counter = if self.open {
            &self.activity.open
        } else {
            &self.activity.working
        };
        counter.fetch_sub(1, Ordering::SeqCst);
        self.activity.touch();
    }
}

/// An answer's body that counts its request open until it is sent or dropped.
struct CountedBody {
    inner: axum::body::Body,
    _open: Counted,
}

impl axum::body::HttpBody for CountedBody {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

impl tower::Service<axum::http::Request<Incoming>> for Busy {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<Incoming>) -> Self::Future {
        self.activity.requests.fetch_add(1, Ordering::SeqCst);
        let open = Counted::new(&self.activity, true);
        let working = Counted::new(&self.activity, false);
        let app = self.app.clone();
        let mut request = request.map(axum::body::Body::new);
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(self.peer));
        Box::pin(async move {
            let answer = app.oneshot(request).await;
            drop(working);
            answer.map(|response| {
                response.map(|inner| axum::body::Body::new(CountedBody { inner, _open: open }))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_errors_pause_longer_each_time_up_to_a_second_and_never_spin() {
        assert_eq!(accept_backoff(1), Duration::from_millis(10));
        assert_eq!(accept_backoff(2), Duration::from_millis(20));
        assert_eq!(accept_backoff(5), Duration::from_millis(160));
        assert_eq!(accept_backoff(8), Duration::from_secs(1));
        assert_eq!(accept_backoff(u32::MAX), Duration::from_secs(1));
        // Even a call before any error pauses.
        assert_eq!(accept_backoff(0), Duration::from_millis(10));
        let mut previous = Duration::ZERO;
        for n in 0..100 {
            let pause = accept_backoff(n);
            assert!(pause >= previous && pause >= Duration::from_millis(10));
            previous = pause;
        }
    }

    #[test]
    fn a_low_file_limit_lowers_the_connection_limit() {
        assert_eq!(connections_within(1024, Some(20_000)), 1024);
        assert_eq!(connections_within(1024, Some(1024)), 896);
        assert_eq!(connections_within(1024, Some(256)), 128);
        assert_eq!(connections_within(1024, Some(64)), 32);
        assert_eq!(connections_within(1024, Some(0)), 1);
        assert_eq!(connections_within(1024, None), 1024);
        assert_eq!(connections_within(0, None), 1);
    }
}
