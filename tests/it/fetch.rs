//! The probe fetcher against a local fixture server: what a probe run would notice —
//! redirect chains hop by hop, Chinese pages decoded, compressed and oversized bodies,
//! timeouts, transport failures classified, per-host pacing, the simulator proxy and the
//! user agent.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::get;
use futures_util::stream;
use hutong::probes::fetch::{FetchSettings, Fetcher, FetcherOptions, decode_text};
use hutong::probes::{FailureClass, FetchError};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::time::Instant;

const CHINESE: &str = "微信外链跳转：淘宝、抖音、京东的链接能否打开？";
const CHUNK: usize = 64 * 1024;
static FILLER: [u8; CHUNK] = [b'x'; CHUNK];

#[derive(Default)]
struct Counters {
    /// Requests that reached `/internal/secret`: what a refused request must never do.
    secret_hits: AtomicUsize,
    big_sent: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

struct Fixture {
    addr: SocketAddr,
    counters: Arc<Counters>,
}

impl Fixture {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

fn redirect(status: StatusCode, location: &str) -> AxumResponse {
    (status, [(header::LOCATION, location.to_string())]).into_response()
}

fn page(content_type: &str, body: Vec<u8>) -> AxumResponse {
    ([(header::CONTENT_TYPE, content_type.to_string())], body).into_response()
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> String {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .unwrap_or_default()
}

/// Starts the fixture server on an ephemeral port of 127.0.0.1.
async fn fixture() -> Fixture {
    let counters = Arc::new(Counters::default());
    let app = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route(
            "/redirect/a",
            get(|| async { redirect(StatusCode::FOUND, "/redirect/b") }),
        )
        // Relative to the path: resolves to /redirect/c.
        .route(
            "/redirect/b",
            get(|| async { redirect(StatusCode::MOVED_PERMANENTLY, "c") }),
        )
        .route("/redirect/c", get(|| async { "arrived" }))
        // A redirect anywhere: `/goto?to=URL`.
        .route(
            "/goto",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                redirect(StatusCode::FOUND, q.get("to").map_or("/", String::as_str))
            }),
        )
        // What an internal service would answer: it must never be fetched.
        .route(
            "/internal/secret",
            get(|State(counters): State<Arc<Counters>>| async move {
                counters.secret_hits.fetch_add(1, Ordering::SeqCst);
                "internal secret: do not store"
            }),
        )
        .route(
            "/loop/a",
            get(|| async { redirect(StatusCode::FOUND, "/loop/b") }),
        )
        .route(
            "/loop/b",
            get(|| async { redirect(StatusCode::FOUND, "/loop/a#again") }),
        )
        .route(
            "/chain/{n}",
            get(|Path(n): Path<u32>| async move {
                redirect(StatusCode::FOUND, &format!("/chain/{}", n + 1))
            }),
        )
        .route(
            "/app-scheme",
            get(|| async { redirect(StatusCode::FOUND, "weixin://dl/business/?t=abc") }),
        )
        .route(
            "/gbk/header",
            get(|| async {
                let mut body = b"<html><body><p>".to_vec();
                body.extend(gbk(CHINESE));
                page("text/html; charset=GBK", body)
            }),
        )
        .route(
            "/gbk/meta",
            get(|| async {
                let mut body = b"<html><head><META http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\"></head><body><p>".to_vec();
                body.extend(gbk(CHINESE));
                page("text/html", body)
            }),
        )
        .route(
            "/gb18030/undeclared",
            get(|| async {
                let (bytes, _, _) = encoding_rs::GB18030.encode(CHINESE);
                page("text/html", bytes.into_owned())
            }),
        )
        .route(
            "/utf8/bom",
            get(|| async {
                let mut body = b"\xEF\xBB\xBF".to_vec();
                body.extend(CHINESE.as_bytes());
                page("text/plain", body)
            }),
        )
        .route(
            "/gzip/ok",
            get(|| async {
                let body = gzip(CHINESE.repeat(100).as_bytes());
                (
                    [
                        (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    body,
                )
            }),
        )
        .route(
            "/gzip/broken",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/plain"),
                        (header::CONTENT_ENCODING, "gzip"),
                    ],
                    b"this is certainly not a gzip stream".repeat(10),
                )
            }),
        )
        .route(
            "/big",
            // 100 MiB, streamed; counts what the server hands to the connection.
            get(|State(counters): State<Arc<Counters>>| async move {
                let chunks = stream::iter((0..1600).map(move |_| {
                    counters.big_sent.fetch_add(CHUNK, Ordering::SeqCst);
                    Ok::<_, Infallible>(Bytes::from_static(&FILLER))
                }));
                Body::from_stream(chunks)
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                "late"
            }),
        )
        .route(
            "/dribble",
            // Headers at once, then a byte every 100 ms for 10 s.
            get(|| async {
                let bytes = stream::unfold(0u32, |n| async move {
                    if n >= 100 {
                        return None;
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    Some((Ok::<_, Infallible>(Bytes::from_static(b".")), n + 1))
                });
                Body::from_stream(bytes)
            }),
        )
        .route(
            "/inflight",
            get(|State(counters): State<Arc<Counters>>| async move {
                let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(150)).await;
                counters.in_flight.fetch_sub(1, Ordering::SeqCst);
                "done"
            }),
        )
        .route(
            "/echo/host",
            get(|headers: HeaderMap| async move { header_text(&headers, header::HOST) }),
        )
        .route(
            "/echo/ua",
            get(|headers: HeaderMap| async move { header_text(&headers, header::USER_AGENT) }),
        )
        .with_state(counters.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    Fixture { addr, counters }
}

/// The fixture server runs on loopback, which probes refuse by default: this test set-up
/// opts in, as `probes.allow_private_addresses` does.
fn fetcher() -> Fetcher {
    Fetcher::new(FetcherOptions {
        user_agent: "HutongTest/1.0".to_string(),
        proxy: None,
        connect_timeout: Duration::from_secs(5),
        allow_private_addresses: true,
        resolver: None,
    })
    .expect("fetcher")
}

/// Defaults, but no pacing (fixtures share one host) and a short time limit.
fn quick() -> FetchSettings {
    FetchSettings {
        timeout: Duration::from_secs(5),
        min_host_spacing: Duration::ZERO,
        ..FetchSettings::default()
    }
}

#[test]
fn the_fetcher_can_be_shared_across_tasks() {
    fn send_sync<T: Send + Sync + Clone>() {}
    fn send<T: Send>(_: &T) {}
    send_sync::<Fetcher>();
    let fetcher = fetcher();
    let settings = FetchSettings::default();
    send(&fetcher.fetch("http://example.invalid/", &settings));
}

#[test]
fn defaults_match_the_pack_format() {
    let s = FetchSettings::default();
    assert_eq!(s.method, reqwest::Method::GET);
    assert!(s.follow_redirects);
    assert_eq!(s.max_redirects, 10);
    assert_eq!(s.timeout, Duration::from_secs(15));
    assert_eq!(s.max_body_bytes, 5 * 1024 * 1024);
    assert_eq!(s.per_host_concurrency, 2);
    assert_eq!(s.min_host_spacing, Duration::from_millis(500));
}

#[tokio::test]
async fn a_redirect_chain_is_recorded_hop_by_hop() {
    let fx = fixture().await;
    let r = fetcher()
        .fetch(&fx.url("/redirect/a"), &quick())
        .await
        .expect("fetch");
    assert_eq!(r.request_url, fx.url("/redirect/a"));
    let hops: Vec<_> = r
        .hops
        .iter()
        .map(|h| (h.url.as_str(), h.status, h.location.as_deref()))
        .collect();
    assert_eq!(
        hops,
        vec![
            (fx.url("/redirect/a").as_str(), 302, Some("/redirect/b")),
            (fx.url("/redirect/b").as_str(), 301, Some("c")),
            (fx.url("/redirect/c").as_str(), 200, None),
        ]
    );
    assert!(
        r.hops
            .windows(2)
            .all(|w| w[0].elapsed_ms <= w[1].elapsed_ms)
    );
    assert_eq!(r.final_url, fx.url("/redirect/c"));
    assert_eq!(r.status, 200);
    assert_eq!(r.location, None);
    assert_eq!(r.text, "arrived");
    assert_eq!(r.body, b"arrived");
}

#[tokio::test]
async fn without_following_the_first_redirect_is_the_answer() {
    let fx = fixture().await;
    let settings = FetchSettings {
        follow_redirects: false,
        ..quick()
    };
    let r = fetcher()
        .fetch(&fx.url("/redirect/a"), &settings)
        .await
        .expect("fetch");
    assert_eq!(r.status, 302);
    assert_eq!(r.hops.len(), 1);
    assert_eq!(r.hops[0].location.as_deref(), Some("/redirect/b"));
    assert_eq!(r.final_url, fx.url("/redirect/a"));
    // Resolved against the answer's URL.
    assert_eq!(r.location, Some(fx.url("/redirect/b")));
}

#[tokio::test]
async fn a_redirect_back_to_a_visited_url_is_a_loop() {
    let fx = fixture().await;
    let e = fetcher()
        .fetch(&fx.url("/loop/a"), &quick())
        .await
        .expect_err("loop");
    assert_eq!(e.class, FailureClass::RedirectLoop);
    assert_eq!(e.hops.len(), 2);
    assert!(e.detail.contains("/loop/a"), "{}", e.detail);
}

#[tokio::test]
async fn too_many_redirects_is_a_loop() {
    let fx = fixture().await;
    let settings = FetchSettings {
        max_redirects: 3,
        ..quick()
    };
    let e = fetcher()
        .fetch(&fx.url("/chain/0"), &settings)
        .await
        .expect_err("too many");
    assert_eq!(e.class, FailureClass::RedirectLoop);
    // Three redirects followed, the fourth refused.
    assert_eq!(e.hops.len(), 4);
    assert_eq!(e.hops[3].url, fx.url("/chain/3"));
}

#[tokio::test]
async fn a_redirect_to_an_app_scheme_ends_the_chain() {
    let fx = fixture().await;
    let r = fetcher()
        .fetch(&fx.url("/app-scheme"), &quick())
        .await
        .expect("fetch");
    assert_eq!(r.status, 302);
    assert_eq!(r.hops.len(), 1);
    assert_eq!(r.location.as_deref(), Some("weixin://dl/business/?t=abc"));
}

#[tokio::test]
async fn a_gbk_page_declared_in_the_header_reads_as_chinese() {
    let fx = fixture().await;
    let r = fetcher()
        .fetch(&fx.url("/gbk/header"), &quick())
        .await
        .expect("fetch");
    assert_eq!(r.text, format!("<html><body><p>{CHINESE}"));
    assert_eq!(r.charset, "GBK");
    assert_eq!(r.content_type.as_deref(), Some("text/html; charset=GBK"));
}

#[tokio::test]
async fn a_gb2312_page_declared_in_meta_reads_as_chinese() {
    let fx = fixture().await;
    let r = fetcher()
        .fetch(&fx.url("/gbk/meta"), &quick())
        .await
        .expect("fetch");
    assert!(r.text.ends_with(CHINESE), "{}", r.text);
    assert_eq!(r.charset, "GBK");
}

#[tokio::test]
async fn an_undeclared_gb18030_page_falls_back_from_utf8() {
    let fx = fixture().await;
    let r = fetcher()
        .fetch(&fx.url("/gb18030/undeclared"), &quick())
        .await
        .expect("fetch");
    assert_eq!(r.text, CHINESE);
    assert_eq!(r.charset, "gb18030");
}

#[tokio::test]
async fn a_utf8_bom_is_honoured_and_removed() {
    let fx = fixture().await;
    let r = fetcher()
        .fetch(&fx.url("/utf8/bom"), &quick())
        .await
        .expect("fetch");
    assert_eq!(r.text, CHINESE);
    assert_eq!(r.charset, "UTF-8");
    // The body stays exactly as received.
    assert!(r.body.starts_with(b"\xEF\xBB\xBF"));
}

#[test]
fn decode_text_ignores_unknown_labels_and_prefers_utf8() {
    let (text, encoding) = decode_text(CHINESE.as_bytes(), Some("text/html; charset=klingon"));
    assert_eq!((text.as_str(), encoding.name()), (CHINESE, "UTF-8"));
    let (text, encoding) = decode_text(b"", None);
    assert_eq!((text.as_str(), encoding.name()), ("", "UTF-8"));
}

#[tokio::test]
async fn a_gzip_body_is_decompressed() {
    let fx = fixture().await;
    let r = fetcher()
        .fetch(&fx.url("/gzip/ok"), &quick())
        .await
        .expect("fetch");
    assert_eq!(r.body, CHINESE.repeat(100).as_bytes());
    assert_eq!(r.text, CHINESE.repeat(100));
}

#[tokio::test]
async fn broken_compression_is_a_decode_failure() {
    let fx = fixture().await;
    let e = fetcher()
        .fetch(&fx.url("/gzip/broken"), &quick())
        .await
        .expect_err("broken gzip");
    assert_eq!(e.class, FailureClass::Decode, "{}", e.detail);
    assert_eq!(e.hops.len(), 1);
}

#[tokio::test]
async fn a_body_over_the_cap_is_too_large_without_reading_it_all() {
    let fx = fixture().await;
    let settings = FetchSettings {
        max_body_bytes: 64 * 1024,
        ..quick()
    };
    let e = fetcher()
        .fetch(&fx.url("/big"), &settings)
        .await
        .expect_err("too large");
    assert_eq!(e.class, FailureClass::TooLarge, "{}", e.detail);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let sent = fx.counters.big_sent.load(Ordering::SeqCst);
    assert!(sent < 50 * 1024 * 1024, "the server sent {sent} bytes");
}

#[tokio::test]
async fn a_slow_server_times_out() {
    let fx = fixture().await;
    let settings = FetchSettings {
        timeout: Duration::from_millis(300),
        ..quick()
    };
    let e = fetcher()
        .fetch(&fx.url("/slow"), &settings)
        .await
        .expect_err("timeout");
    assert_eq!(e.class, FailureClass::Timeout);
    assert!(e.hops.is_empty());
    assert!(e.detail.contains("/slow"), "{}", e.detail);
}

#[tokio::test]
async fn a_dribbling_body_times_out() {
    let fx = fixture().await;
    let settings = FetchSettings {
        timeout: Duration::from_millis(500),
        ..quick()
    };
    let e = fetcher()
        .fetch(&fx.url("/dribble"), &settings)
        .await
        .expect_err("timeout");
    assert_eq!(e.class, FailureClass::Timeout);
    // The headers came: the hop is evidence.
    assert_eq!(e.hops.len(), 1);
    assert_eq!(e.hops[0].status, 200);
}

#[tokio::test]
async fn a_refused_connection_is_connect() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let e = fetcher()
        .fetch(&format!("http://127.0.0.1:{port}/"), &quick())
        .await
        .expect_err("refused");
    assert_eq!(e.class, FailureClass::Connect, "{}", e.detail);
    assert!(e.detail.contains("127.0.0.1"), "{}", e.detail);
}

#[tokio::test]
async fn a_connection_cut_mid_body_is_connect() {
    // A raw server that promises 100 bytes, sends 5 and hangs up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        if let Ok((mut socket, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = socket.read(&mut request).await;
            let _ = socket
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
                .await;
        }
    });
    let e = fetcher()
        .fetch(&format!("http://{addr}/"), &quick())
        .await
        .expect_err("cut");
    assert_eq!(e.class, FailureClass::Connect, "{}", e.detail);
    assert_eq!(e.hops.len(), 1);
}

#[tokio::test]
async fn an_unknown_host_is_dns() {
    let e = fetcher()
        .fetch("http://no-such-host.invalid/", &quick())
        .await
        .expect_err("dns");
    assert_eq!(e.class, FailureClass::Dns, "{}", e.detail);
    assert!(e.detail.contains("no-such-host.invalid"), "{}", e.detail);
}

#[tokio::test]
async fn https_to_a_plain_http_server_is_tls() {
    let fx = fixture().await;
    let e = fetcher()
        .fetch(&format!("https://{}/ok", fx.addr), &quick())
        .await
        .expect_err("tls");
    assert_eq!(e.class, FailureClass::Tls, "{}", e.detail);
}

#[tokio::test]
async fn urls_that_are_not_http_are_refused_without_panic() {
    for url in [
        "ftp://example.com/",
        "weixin://dl/business",
        "not a url",
        "",
    ] {
        let e = fetcher().fetch(url, &quick()).await.expect_err(url);
        assert_eq!(e.class, FailureClass::Connect, "{url}: {}", e.detail);
        assert!(e.hops.is_empty());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_to_one_host_are_spaced_but_other_hosts_are_not() {
    let fx = fixture().await;
    let settings = FetchSettings {
        min_host_spacing: Duration::from_millis(200),
        ..quick()
    };
    let fetcher = fetcher();
    let start = Instant::now();
    let one = |path: &'static str| {
        let fetcher = fetcher.clone();
        let settings = settings.clone();
        let url = fx.url(path);
        async move {
            fetcher.fetch(&url, &settings).await.expect("fetch");
            start.elapsed()
        }
    };
    let other = {
        let fetcher = fetcher.clone();
        let settings = settings.clone();
        let url = format!("http://localhost:{}/ok", fx.addr.port());
        async move {
            fetcher.fetch(&url, &settings).await.expect("fetch");
            start.elapsed()
        }
    };
    let (a, b, c, elsewhere) = tokio::join!(one("/ok"), one("/ok"), one("/ok"), other);
    let last = a.max(b).max(c);
    assert!(last >= Duration::from_millis(400), "{last:?}");
    // The other host did not queue behind them.
    assert!(elsewhere < last, "{elsewhere:?} vs {last:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn per_host_concurrency_is_respected() {
    for (limit, expect_max) in [(1, 1), (3, 3)] {
        let fx = fixture().await;
        let settings = FetchSettings {
            per_host_concurrency: limit,
            ..quick()
        };
        let fetcher = fetcher();
        let url = fx.url("/inflight");
        let requests = (0..3).map(|_| fetcher.fetch(&url, &settings));
        for result in futures_util::future::join_all(requests).await {
            assert_eq!(result.expect("fetch").text, "done");
        }
        let max = fx.counters.max_in_flight.load(Ordering::SeqCst);
        if limit == 1 {
            assert_eq!(max, expect_max);
        } else {
            // Not serialized when allowed (three 150 ms requests overlap).
            assert!(max > 1, "{max}");
        }
    }
}

#[tokio::test]
async fn a_proxy_routes_fictional_hosts_to_the_simulator() {
    let fx = fixture().await;
    // No opt-in: a proxy on loopback (the simulator) is allowed as it is.
    let fetcher = Fetcher::new(FetcherOptions {
        user_agent: "HutongTest/1.0".to_string(),
        proxy: Some(url::Url::parse(&fx.url("/")).expect("url")),
        connect_timeout: Duration::from_secs(5),
        ..FetcherOptions::default()
    })
    .expect("fetcher");
    let r = fetcher
        .fetch("http://bridge.simchat.test/echo/host", &quick())
        .await
        .expect("fetch");
    assert_eq!(r.text, "bridge.simchat.test");
    assert_eq!(r.final_url, "http://bridge.simchat.test/echo/host");
}

#[tokio::test]
async fn the_user_agent_is_the_default_unless_the_request_sets_one() {
    let fx = fixture().await;
    let fetcher = fetcher();
    let r = fetcher
        .fetch(&fx.url("/echo/ua"), &quick())
        .await
        .expect("fetch");
    assert_eq!(r.text, "HutongTest/1.0");
    let settings = FetchSettings {
        headers: vec![(
            "user-agent".to_string(),
            "Mozilla/5.0 MicroMessenger/8.0.49".to_string(),
        )],
        ..quick()
    };
    let r = fetcher
        .fetch(&fx.url("/echo/ua"), &settings)
        .await
        .expect("fetch");
    assert_eq!(r.text, "Mozilla/5.0 MicroMessenger/8.0.49");
}

#[tokio::test]
async fn fetcher_rejects_a_bad_user_agent() {
    let built = Fetcher::new(FetcherOptions {
        user_agent: "bad\nagent".to_string(),
        connect_timeout: Duration::from_secs(1),
        ..FetcherOptions::default()
    });
    assert!(built.is_err());
}

// ---- internal addresses ----------------------------------------------------------------

/// A probe fetcher as production builds it: no opt-in for internal addresses.
fn guarded(proxy: Option<&Fixture>, resolver: Option<Arc<dyn Resolve>>) -> Fetcher {
    Fetcher::new(FetcherOptions {
        proxy: proxy.map(|fx| url::Url::parse(&fx.url("/")).expect("url")),
        connect_timeout: Duration::from_secs(5),
        resolver,
        ..FetcherOptions::default()
    })
    .expect("fetcher")
}

/// Answers every name with one address: a DNS server under an attacker's control
/// ("rebinding" a public-looking name to this machine).
struct EveryNameIs(SocketAddr);

impl Resolve for EveryNameIs {
    fn resolve(&self, _: Name) -> Resolving {
        let address = self.0;
        Box::pin(async move { Ok(Box::new(std::iter::once(address)) as Addrs) })
    }
}

fn assert_refused(e: &FetchError, names: &str) {
    assert_eq!(e.class, FailureClass::InternalAddress, "{}", e.detail);
    assert!(e.detail.contains(names), "{names} not named: {}", e.detail);
}

#[tokio::test]
async fn loopback_literals_are_refused_before_connecting() {
    let fx = fixture().await;
    let port = fx.addr.port();
    for (url, names) in [
        (
            fx.url("/internal/secret"),
            "127.0.0.1 is a loopback address",
        ),
        (
            format!("http://[::1]:{port}/internal/secret"),
            "::1 is a loopback address",
        ),
        (
            format!("http://[::ffff:127.0.0.1]:{port}/internal/secret"),
            "loopback",
        ),
        (
            format!("http://2130706433:{port}/internal/secret"),
            "127.0.0.1 is a loopback address",
        ),
        (
            format!("http://0.0.0.0:{port}/internal/secret"),
            "the unspecified address",
        ),
    ] {
        let e = guarded(None, None)
            .fetch(&url, &quick())
            .await
            .expect_err(&url);
        assert_refused(&e, names);
        assert!(e.hops.is_empty(), "{url}: {:?}", e.hops);
    }
    assert_eq!(fx.counters.secret_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn private_and_metadata_literals_are_refused_even_through_a_proxy() {
    // Through the loopback fixture as a proxy, so that nothing could leave this machine
    // even if the check were missing: the proxy would answer instead.
    let fx = fixture().await;
    let fetcher = guarded(Some(&fx), None);
    for (url, names) in [
        (
            "http://10.0.0.1/internal/secret",
            "10.0.0.1 is a private network address",
        ),
        ("http://192.168.1.1/internal/secret", "private network"),
        ("http://172.16.5.4/internal/secret", "private network"),
        ("http://100.64.0.1/internal/secret", "carrier-grade NAT"),
        (
            "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
            "169.254.169.254 is a cloud metadata service",
        ),
        ("http://100.100.100.200/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata"),
        ("http://[fe80::1]/internal/secret", "link-local"),
        ("http://[fc00::1]/internal/secret", "unique-local"),
        (
            "http://[::ffff:10.0.0.1]/internal/secret",
            "private network",
        ),
        (
            "http://metadata.google.internal/computeMetadata/v1/",
            "metadata.google.internal names a cloud metadata service",
        ),
        (
            "http://localhost/internal/secret",
            "localhost names a loopback",
        ),
        ("http://127.0.0.1/internal/secret", "loopback"),
    ] {
        let e = fetcher.fetch(url, &quick()).await.expect_err(url);
        assert_refused(&e, names);
    }
    assert_eq!(fx.counters.secret_hits.load(Ordering::SeqCst), 0);
    // The proxy itself, on loopback, is allowed: fictional hosts still go through.
    let r = fetcher
        .fetch("http://bridge.simchat.test/echo/host", &quick())
        .await
        .expect("through the proxy");
    assert_eq!(r.text, "bridge.simchat.test");
}

#[tokio::test]
async fn a_name_that_resolves_to_loopback_is_refused_at_connect_time() {
    let fx = fixture().await;
    let port = fx.addr.port();
    // The system resolver: localhost.
    let e = guarded(None, None)
        .fetch(
            &format!("http://localhost:{port}/internal/secret"),
            &quick(),
        )
        .await
        .expect_err("localhost");
    assert_refused(&e, "localhost");
    // A public-looking name whose DNS answers this machine.
    let rebinding: Arc<dyn Resolve> = Arc::new(EveryNameIs(fx.addr));
    let url = format!("http://www.rebind.example:{port}/internal/secret");
    let e = guarded(None, Some(rebinding.clone()))
        .fetch(&url, &quick())
        .await
        .expect_err("rebinding");
    assert_refused(
        &e,
        "www.rebind.example resolves only to internal addresses: 127.0.0.1 is a loopback address",
    );
    assert!(e.hops.is_empty());
    assert_eq!(fx.counters.secret_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_redirect_to_an_internal_address_is_refused_and_not_followed() {
    let fx = fixture().await;
    let fetcher = guarded(Some(&fx), None);
    for target in [
        fx.url("/internal/secret"),
        "http://169.254.169.254/latest/meta-data/".to_string(),
        "http://localhost/internal/secret".to_string(),
    ] {
        let url = format!("http://public.example/goto?to={target}");
        let e = fetcher.fetch(&url, &quick()).await.expect_err(&target);
        assert_eq!(e.class, FailureClass::InternalAddress, "{}", e.detail);
        assert!(e.detail.contains("refused the redirect"), "{}", e.detail);
        // The redirect is evidence; the internal answer was never asked for.
        assert_eq!(e.hops.len(), 1, "{:?}", e.hops);
        assert_eq!(e.hops[0].status, 302);
        assert_eq!(e.hops[0].location.as_deref(), Some(target.as_str()));
    }
    assert_eq!(fx.counters.secret_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn the_opt_in_lets_a_test_fixture_through() {
    let fx = fixture().await;
    let port = fx.addr.port();
    let allowed = Fetcher::new(FetcherOptions {
        allow_private_addresses: true,
        resolver: Some(Arc::new(EveryNameIs(fx.addr))),
        ..FetcherOptions::default()
    })
    .expect("fetcher");
    for url in [
        fx.url("/internal/secret"),
        format!("http://www.rebind.example:{port}/internal/secret"),
        fx.url(&format!("/goto?to={}", fx.url("/internal/secret"))),
    ] {
        let r = allowed.fetch(&url, &quick()).await.expect(&url);
        assert_eq!(r.text, "internal secret: do not store");
    }
    assert_eq!(fx.counters.secret_hits.load(Ordering::SeqCst), 3);
}
