//! PNG downloads of the charts: drawn once, kept, shared and queued. A drawn PNG is kept
//! under what it shows (chart, date, language), bounded in bytes, and all of them are
//! dropped when the data version moves on (as [`crate::storage::memo`] keeps what the SVGs
//! are drawn from); its "generated" line then tells when it was drawn. A request for a PNG being
//! drawn waits for that drawing. Only so many different PNGs wait or draw at once: one
//! more is answered 503 with `Retry-After`, so a flood of downloads costs neither
//! unbounded memory nor unbounded waits.

use crate::charts::raster;
use axum::body::Bytes;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use hutong_app::i18n::Lang;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use tokio::sync::Semaphore;

/// A PNG's key: the SHA-256 of the data version and what it shows.
type Key = [u8; 32];
/// A drawing under way, awaited by every request for that PNG.
type Drawing = Shared<BoxFuture<'static, Result<Bytes, String>>>;

/// Seconds a client is told to wait when the queue is full: about the time the queue
/// takes to drain on a small machine.
pub const RETRY_AFTER_SECONDS: u32 = 5;

/// How much PNG work the server takes on.
#[derive(Debug, Clone)]
pub struct PngLimits {
    /// Different PNGs waiting or being drawn at once; one more is answered 503.
    pub queue: usize,
    /// Bytes of drawn PNGs kept at most.
    pub kept_bytes: u64,
    /// Drawings at once: CPU-bound work takes one permit each, so a burst queues here
    /// instead of filling the blocking pool (one per core by default).
    pub drawing: Arc<Semaphore>,
}

impl Default for PngLimits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        PngLimits {
            queue: 4 * cores,
            kept_bytes: 32 << 20,
            drawing: Arc::new(Semaphore::new(cores)),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PngError {
    #[error("{0} different PNGs are already waiting or being drawn")]
    Busy(usize),
    #[error("drawing the PNG failed: {0}")]
    Failed(String),
}

/// Weighs a kept PNG by its bytes.
#[derive(Clone)]
struct ByteWeight;

impl quick_cache::Weighter<Key, Bytes> for ByteWeight {
    fn weight(&self, _key: &Key, png: &Bytes) -> u64 {
        png.len() as u64
    }
}

/// Shared by every clone of the web's `AppState`.
pub struct PngCharts {
    limits: PngLimits,
    kept: quick_cache::sync::Cache<Key, Bytes, ByteWeight>,
    state: Mutex<State>,
    renders: AtomicU64,
    waiting: AtomicUsize,
}

#[derive(Default)]
struct State {
    /// The data version the kept PNGs were drawn at (or after).
    version: Option<i64>,
    drawing: HashMap<Key, Drawing>,
}

impl Default for PngCharts {
    fn default() -> Self {
        PngCharts::new(PngLimits::default())
    }
}

/// Counts a request waiting for a drawing while it lives.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PngCharts {
    pub fn new(limits: PngLimits) -> PngCharts {
        // Charts draw to PNGs of about 100 KB.
        let items = usize::try_from(limits.kept_bytes / 100_000).map_or(1_000, |n| n.max(16));
        PngCharts {
            kept: quick_cache::sync::Cache::with_weighter(items, limits.kept_bytes, ByteWeight),
            limits,
            state: Mutex::new(State::default()),
            renders: AtomicU64::new(0),
            waiting: AtomicUsize::new(0),
        }
    }

    /// PNGs drawn since start.
    pub fn renders(&self) -> u64 {
        self.renders.load(Ordering::SeqCst)
    }

    /// Requests waiting for a PNG being drawn (or waiting its turn to be drawn).
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// Different PNGs waiting or being drawn.
    pub fn queued(&self) -> usize {
        self.lock().drawing.len()
    }

    /// Bytes of PNGs kept.
    pub fn kept_bytes(&self) -> u64 {
        self.kept.weight()
    }

    /// A panic elsewhere while holding the lock leaves a map that is still consistent.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The PNG that `shows` (a chart, date and language: one name per image), drawn from
    /// `svg` if needed; `version` is the data version read before the chart's data was.
    /// Kept, or being drawn (then awaited), or drawn now if the queue has room.
    pub async fn png(
        self: &Arc<Self>,
        version: i64,
        shows: &str,
        svg: String,
    ) -> Result<Bytes, PngError> {
        // The version is part of the key: a drawing begun before a write is never
        // handed to a request that read the data after it.
        let key: Key = Sha256::new()
            .chain_update(version.to_le_bytes())
            .chain_update(shows.as_bytes())
            .finalize()
            .into();
        let drawing = {
            let mut state = self.lock();
            if state.version.is_none_or(|v| v < version) {
                state.version = Some(version);
                self.kept.clear();
            }
            if let Some(png) = self.kept.get(&key) {
                return Ok(png);
            }
            match state.drawing.get(&key) {
                Some(drawing) => drawing.clone(),
                None => {
                    if state.drawing.len() >= self.limits.queue {
                        return Err(PngError::Busy(state.drawing.len()));
                    }
                    let drawing = self.start(key, svg);
                    state.drawing.insert(key, drawing.clone());
                    drawing
                }
            }
        };
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _waiting = Waiting(&self.waiting);
        drawing.await.map_err(PngError::Failed)
    }

    /// Draws on a task of its own: a client that goes away does not cancel the drawing
    /// others wait for, and the PNG is kept for the next request.
    fn start(self: &Arc<Self>, key: Key, svg: String) -> Drawing {
        let this = self.clone();
        let task = tokio::spawn(async move {
            let result = this.draw(svg).await;
            // Kept and no longer drawing in one step: no request sees neither.
            let mut state = this.lock();
            if let Ok(png) = &result {
                this.kept.insert(key, png.clone());
            }
            state.drawing.remove(&key);
            result
        });
        async move {
            task.await
                .unwrap_or_else(|e| Err(format!("the drawing task failed: {e}")))
        }
        .boxed()
        .shared()
    }

    async fn draw(&self, svg: String) -> Result<Bytes, String> {
        let _slot = self
            .limits
            .drawing
            .acquire()
            .await
            .map_err(|e| format!("no drawing slot: {e}"))?;
        self.renders.fetch_add(1, Ordering::SeqCst);
        match tokio::task::spawn_blocking(move || raster::png(&svg)).await {
            Ok(Ok(png)) => Ok(Bytes::from(png)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(format!("the drawing task failed: {e}")),
        }
    }
}

/// The answer when the queue is full: 503, `Retry-After`, and a message in the reader's
/// language.
pub fn busy(lang: Lang) -> Response {
    let mut response = (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        lang.t_args(
            "charts-png-busy",
            &[("seconds", RETRY_AFTER_SECONDS.to_string().into())],
        ),
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg(label: &str) -> String {
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"200\" height=\"100\">\
             <rect width=\"200\" height=\"100\" fill=\"#fff\"/>\
             <rect x=\"10\" y=\"10\" width=\"{}\" height=\"50\" fill=\"#345\"/></svg>",
            10 + label.len()
        )
    }

    /// Kept PNGs never exceed the byte bound, however many different ones are drawn.
    #[tokio::test]
    async fn kept_pngs_stay_within_their_byte_bound() {
        let one = raster::png(&svg("x")).expect("draws").len() as u64;
        let bound = one * 4;
        let charts = Arc::new(PngCharts::new(PngLimits {
            kept_bytes: bound,
            ..PngLimits::default()
        }));
        for n in 0..40 {
            let label = "x".repeat(n + 1);
            charts.png(1, &label, svg(&label)).await.expect("draws");
            assert!(
                charts.kept_bytes() <= bound,
                "{} > {bound}",
                charts.kept_bytes()
            );
        }
        assert_eq!(charts.renders(), 40);
        assert!(charts.kept_bytes() > 0);
    }

    /// A newer data version drops what was kept and draws anew.
    #[tokio::test]
    async fn a_newer_data_version_draws_anew() {
        let charts = Arc::new(PngCharts::default());
        let first = charts.png(1, "a", svg("a")).await.unwrap();
        assert_eq!(charts.png(1, "a", svg("a")).await.unwrap(), first);
        assert_eq!(charts.renders(), 1);
        assert_eq!(charts.png(2, "a", svg("a")).await.unwrap(), first);
        assert_eq!(charts.renders(), 2);
        charts.png(2, "a", svg("a")).await.unwrap();
        assert_eq!(charts.renders(), 2);
    }

    /// A request that read the data after a write does not wait for a drawing begun
    /// before it: it gets its own.
    #[tokio::test]
    async fn a_drawing_begun_before_a_write_is_not_shared_after_it() {
        let slots = Arc::new(Semaphore::new(1));
        let charts = Arc::new(PngCharts::new(PngLimits {
            drawing: slots.clone(),
            ..PngLimits::default()
        }));
        let held = slots.clone().acquire_owned().await.unwrap();
        let before = tokio::spawn({
            let charts = charts.clone();
            async move { charts.png(1, "a", svg("before")).await }
        });
        while charts.queued() < 1 {
            tokio::task::yield_now().await;
        }
        let after = tokio::spawn({
            let charts = charts.clone();
            async move { charts.png(2, "a", svg("after, longer")).await }
        });
        let own = async {
            while charts.queued() < 2 {
                tokio::task::yield_now().await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), own)
            .await
            .expect("a drawing of its own, not the one begun before the write");
        drop(held);
        let before = before.await.unwrap().unwrap();
        let after = after.await.unwrap().unwrap();
        assert_ne!(before, after);
        assert_eq!(charts.renders(), 2);
        assert_eq!(charts.png(2, "a", svg("ignored")).await.unwrap(), after);
    }
}
