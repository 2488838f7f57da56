//! Webhooks against a local receiver: a delivery's signature verifies with the shared
//! secret; a failing receiver gets retries with growing waits, all in the log; a
//! restart keeps what is queued; a confirmed change is delivered once, an unconfirmed one
//! never. Each story runs on SQLite and on PostgreSQL.

use crate::common::{self, observation, real_catalog};
use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration as Days, Utc};
use hmac::{Hmac, Mac};
use hutong::config::WebhookConfig;
use hutong::domain::ProbeFacts;
use hutong::storage::Store;
use hutong::webhooks::{Receiver, Webhooks};
use sha2::Sha256;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the receiver got: headers and body of each request.
type Got = Arc<Mutex<Vec<(HeaderMap, String)>>>;

/// A receiver on a free port that answers 500 to its first `failures` requests, then 200.
async fn receiver(failures: usize) -> (String, Got) {
    let got: Got = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                let mut seen = seen.lock().unwrap();
                seen.push((headers, body));
                if seen.len() <= failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}/hook"), got)
}

fn hook(url: &str, first_retry: Duration, max_attempts: u32) -> Receiver {
    Receiver::from_config(&WebhookConfig {
        url: url.into(),
        secret: Some("shared-secret".into()),
        secret_file: None,
        events: vec!["change".into(), "alert".into()],
        allow_http: false,
        first_retry_secs: 1,
        max_attempts,
    })
    .unwrap()
    .with_first_retry(first_retry)
}

fn webhooks(store: &Store, receiver: Receiver) -> Webhooks {
    Webhooks::new(store.clone(), vec![receiver], "https://hutong.example.org").unwrap()
}

/// Runs delivery rounds until `done` holds (at most 10 s).
async fn rounds_until(w: &Webhooks, what: &str, done: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        w.round().await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn verify(secret: &str, headers: &HeaderMap, body: &str) -> bool {
    let ts = headers["x-hutong-timestamp"].to_str().unwrap();
    let sig = headers["x-hutong-signature"].to_str().unwrap();
    let Some(hex_sig) = sig.strip_prefix("sha256=") else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.{body}").as_bytes());
    mac.verify_slice(&hex::decode(hex_sig).unwrap()).is_ok()
}

common::on_both!(
    an_alert_arrives_signed_with_the_shared_secret,
    a_failing_receiver_gets_retries_with_growing_waits_then_is_given_up,
    a_restart_keeps_queued_deliveries,
    a_confirmed_change_is_delivered_once_and_an_unconfirmed_one_never,
    a_silent_vantage_point_alerts_once_per_silence,
);

async fn an_alert_arrives_signed_with_the_shared_secret(store: &Store) {
    let (url, got) = receiver(0).await;
    let w = webhooks(store, hook(&url, Duration::from_millis(10), 5));
    let last_seen = Utc::now() - Days::hours(3);
    w.alert_silent_vantage("cn-shanghai-telecom", Some(last_seen))
        .await
        .unwrap();
    // The same silence alerts once.
    w.alert_silent_vantage("cn-shanghai-telecom", Some(last_seen))
        .await
        .unwrap();
    rounds_until(&w, "the alert is delivered", || {
        !got.lock().unwrap().is_empty()
    })
    .await;
    w.round().await.unwrap();
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (headers, body) = &got[0];
    assert!(
        verify("shared-secret", headers, body),
        "the signature verifies"
    );
    assert!(!verify("another-secret", headers, body));
    // Changing the body or the timestamp breaks it.
    assert!(!verify(
        "shared-secret",
        headers,
        &body.replace("telecom", "unicom")
    ));
    let ts: i64 = headers["x-hutong-timestamp"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (Utc::now().timestamp() - ts).abs() < 300,
        "a fresh timestamp"
    );
    assert_eq!(headers["x-hutong-event"], "alert");
    assert_eq!(headers["content-type"], "application/json");
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["event"], "alert");
    assert_eq!(json["kind"], "silent_vantage");
    assert_eq!(json["vantage"], "cn-shanghai-telecom");
    assert!(!body.contains("shared-secret"));

    let log = store.webhook_deliveries(10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert!(log[0].delivered_at.is_some());
    assert_eq!(log[0].attempts, 1);
    assert_eq!(log[0].last_status, Some(200));
    assert!(!log[0].webhook.contains("shared-secret") && !log[0].payload.contains("shared-secret"));
}

async fn a_failing_receiver_gets_retries_with_growing_waits_then_is_given_up(store: &Store) {
    // Fails twice, then takes it.
    let (url, got) = receiver(2).await;
    let first = Duration::from_millis(40);
    let w = webhooks(store, hook(&url, first, 5));
    w.alert_failing_pack("wechat-links", Utc::now())
        .await
        .unwrap();
    // Each failure schedules the next try after the back-off: first, then twice that.
    for (failures, wait_ms) in [(1, 40), (2, 80)] {
        rounds_until(&w, "a failed attempt", || {
            got.lock().unwrap().len() == failures
        })
        .await;
        let d = store.webhook_deliveries(10).await.unwrap().remove(0);
        let attempts = store.webhook_attempts(d.id).await.unwrap();
        assert_eq!(attempts.len(), failures);
        let last = attempts.last().unwrap();
        assert_eq!(last.status, Some(500));
        assert_eq!(last.error.as_deref(), Some("HTTP 500"));
        let next = d.next_attempt_at.expect("a next try");
        assert_eq!((next - last.attempted_at).num_milliseconds(), wait_ms);
        assert!(d.delivered_at.is_none());
    }
    rounds_until(&w, "delivered after two failures", || {
        got.lock().unwrap().len() == 3
    })
    .await;
    let log = store.webhook_deliveries(10).await.unwrap();
    let d = &log[0];
    assert_eq!(d.attempts, 3);
    assert!(d.delivered_at.is_some() && d.next_attempt_at.is_none());
    let attempts = store.webhook_attempts(d.id).await.unwrap();
    let statuses: Vec<_> = attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(500), Some(200)]);
    // No attempt before its time.
    let gap = |i: usize| {
        (attempts[i + 1].attempted_at - attempts[i].attempted_at)
            .to_std()
            .unwrap()
    };
    assert!(
        gap(0) >= first && gap(1) >= first * 2,
        "{:?} {:?}",
        gap(0),
        gap(1)
    );

    // A receiver that never takes it: given up after its attempts, with the reason.
    let (url, got) = receiver(usize::MAX).await;
    let w = webhooks(store, hook(&url, Duration::from_millis(5), 2));
    w.alert_failing_pack("qq-links", Utc::now()).await.unwrap();
    let given_up = || async {
        store
            .webhook_deliveries(10)
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.payload.contains("qq-links"))
            .unwrap()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while given_up().await.gave_up_at.is_none() {
        assert!(std::time::Instant::now() < deadline, "never given up");
        w.round().await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let d = given_up().await;
    assert_eq!(d.attempts, 2);
    assert!(d.next_attempt_at.is_none() && d.delivered_at.is_none());
    assert_eq!(d.last_status, Some(500));
    w.round().await.unwrap();
    assert_eq!(got.lock().unwrap().len(), 2, "nothing after giving up");
}

async fn a_restart_keeps_queued_deliveries(store: &Store) {
    // The receiver is down: the delivery waits in the queue.
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let url = format!("http://{down}/hook");
    let before = webhooks(store, hook(&url, Duration::from_millis(5), 10));
    before
        .alert_failing_pack("wechat-links", Utc::now())
        .await
        .unwrap();
    before.round().await.unwrap();
    let queued = store.webhook_deliveries(10).await.unwrap();
    assert_eq!(queued[0].attempts, 1);
    assert!(queued[0].last_status.is_none() && queued[0].last_error.is_some());
    drop(before);

    // Hutong restarts (a new connection to the same database); the receiver is back on
    // the same address.
    let reopened = Store::open(store.url(), 2).await.unwrap();
    let got: Got = Arc::default();
    let seen = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push((headers, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(down).await.unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let after = webhooks(&reopened, hook(&url, Duration::from_millis(5), 10));
    rounds_until(
        &after,
        "the queued delivery is sent after the restart",
        || !got.lock().unwrap().is_empty(),
    )
    .await;
    let (headers, body) = got.lock().unwrap()[0].clone();
    assert!(verify("shared-secret", &headers, &body));
    assert!(body.contains("wechat-links"));
    let log = reopened.webhook_deliveries(10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].attempts, 2);
    assert!(log[0].delivered_at.is_some());
}

async fn a_confirmed_change_is_delivered_once_and_an_unconfirmed_one_never(store: &Store) {
    store.apply_catalog(&real_catalog()).await.unwrap();
    let (url, got) = receiver(0).await;
    let w = webhooks(store, hook(&url, Duration::from_millis(10), 5));
    // What was there before webhooks were set up is not sent.
    let probe = |confirmed: bool| ProbeFacts {
        pack_id: "wechat-links".into(),
        rule_version: 1,
        confirmed,
        confirmations: 1,
        ..ProbeFacts::default()
    };
    let t0 = Utc::now() - Days::hours(5);
    store
        .insert_observation(
            &observation("link.wechat.taobao", t0, "open")
                .probed()
                .vantage("cn-a")
                .pack(probe(true))
                .build(),
        )
        .await
        .unwrap();
    w.round().await.unwrap();
    // An anomaly (no known page recognised) changes the state but is not confirmed.
    store
        .insert_observation(
            &observation("link.wechat.taobao", t0 + Days::hours(1), "warned")
                .probed()
                .vantage("cn-a")
                .pack(probe(false))
                .build(),
        )
        .await
        .unwrap();
    // A confirmed block.
    let id = store
        .insert_observation(
            &observation("link.wechat.taobao", t0 + Days::hours(2), "blocked")
                .probed()
                .vantage("cn-a")
                .pack(probe(true))
                .build(),
        )
        .await
        .unwrap();
    rounds_until(&w, "the confirmed change is delivered", || {
        !got.lock().unwrap().is_empty()
    })
    .await;
    for _ in 0..3 {
        w.round().await.unwrap();
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let (headers, body) = &got[0];
    assert!(verify("shared-secret", headers, body));
    assert_eq!(headers["x-hutong-event"], "change");
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["check"], "link.wechat.taobao");
    assert_eq!(json["to"], "blocked");
    assert_eq!(json["from"], "warned");
    assert_eq!(json["vantage"], "cn-a");
    assert_eq!(
        json["observation"],
        format!("https://hutong.example.org/observations/{id}")
    );
}

#[tokio::test]
async fn admins_read_the_delivery_log_without_any_secret() {
    use crate::common::visitor::{PASSWORD, account};
    use crate::common::{TestApp, Visitor};
    use hutong::domain::Role;
    let app = TestApp::on(common::sqlite().await);
    account(app.store(), "wang", Role::Admin, "Wang").await;
    account(app.store(), "zhao", Role::Reviewer, "Zhao").await;
    // A receiver with credentials in its URL, failing: one attempt, a next try.
    let (url, _) = receiver(usize::MAX).await;
    let url = url.replace("http://", "http://user:url-password@");
    let w = webhooks(app.store(), hook(&url, Duration::from_secs(60), 5));
    w.alert_failing_pack("wechat-links", Utc::now())
        .await
        .unwrap();
    w.round().await.unwrap();

    let mut reviewer = Visitor::new(&app);
    assert_eq!(reviewer.sign_in("zhao", PASSWORD).await.status, 303);
    assert_eq!(reviewer.get("/admin/webhooks").await.status, 403);

    let mut admin = Visitor::new(&app);
    assert_eq!(admin.sign_in("wang", PASSWORD).await.status, 303);
    let page = admin.get("/admin/webhooks").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("HTTP 500"), "{}", page.body);
    assert!(page.body.contains("waiting"), "{}", page.body);
    assert!(page.body.contains("user:***@127.0.0.1"), "{}", page.body);
    assert!(!page.body.contains("url-password") && !page.body.contains("shared-secret"));
    let zh = admin.get("/admin/webhooks?lang=zh-CN").await;
    assert!(zh.body.contains("等待中"), "{}", zh.body);
}

/// serve's alert loop: a vantage point silent past the threshold alerts once however many
/// rounds see it; one that speaks again and falls silent again alerts again.
async fn a_silent_vantage_point_alerts_once_per_silence(store: &Store) {
    use hutong::serve::alert_silent_vantages;
    use hutong::storage::WorkerRecord;
    use hutong::web::app_state::FleetWatch;
    let (url, got) = receiver(0).await;
    let w = webhooks(store, hook(&url, Duration::from_millis(10), 5));
    let after = Days::hours(1);
    let fleet = FleetWatch::default();
    let heard = |at: chrono::DateTime<Utc>| WorkerRecord {
        id: "w-sh".into(),
        host: "probe-sh".into(),
        pid: 7,
        vantage: "cn-sh-telecom".into(),
        started_at: at,
        last_heartbeat: at,
        stopped_at: None,
    };
    // Whole seconds: PostgreSQL keeps microseconds.
    let first = chrono::SubsecRound::trunc_subsecs(Utc::now() - Days::hours(3), 0);
    store.register_worker(&heard(first)).await.unwrap();
    // Not yet silent for an hour (as of 30 minutes after it was last heard from).
    alert_silent_vantages(&w, store, &[], &fleet, after, first + Days::minutes(30)).await;
    w.round().await.unwrap();
    assert!(store.webhook_deliveries(10).await.unwrap().is_empty());
    // Silent: every round sees it, one alert.
    for _ in 0..3 {
        alert_silent_vantages(&w, store, &[], &fleet, after, Utc::now()).await;
    }
    rounds_until(&w, "the alert is delivered", || {
        got.lock().unwrap().len() == 1
    })
    .await;
    w.round().await.unwrap();
    assert_eq!(got.lock().unwrap().len(), 1, "one alert per silence");
    let json: serde_json::Value = serde_json::from_str(&got.lock().unwrap()[0].1).unwrap();
    assert_eq!(json["kind"], "silent_vantage");
    assert_eq!(json["vantage"], "cn-sh-telecom");
    assert_eq!(
        json["last_seen"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<Utc>>()
            .unwrap(),
        first
    );
    // It speaks, then falls silent again: a new silence, a new alert.
    let second = Utc::now() - Days::hours(2);
    store.register_worker(&heard(second)).await.unwrap();
    for _ in 0..2 {
        alert_silent_vantages(&w, store, &[], &fleet, after, Utc::now()).await;
    }
    rounds_until(&w, "the second alert", || got.lock().unwrap().len() == 2).await;
    // Speaking now: nothing more.
    store.register_worker(&heard(Utc::now())).await.unwrap();
    alert_silent_vantages(&w, store, &[], &fleet, after, Utc::now()).await;
    w.round().await.unwrap();
    assert_eq!(store.webhook_deliveries(10).await.unwrap().len(), 2);
}
