//! Snapshots stored as differences (migration 0017): a page fetched again with small
//! changes is stored as a difference against the last whole copy of that page, reads back
//! byte for byte wherever it is read, and a stored row that cannot be read is a clear error.

use crate::common::{self, TestApp, TestDb};
use axum::http::StatusCode;
use chrono::{TimeZone, Utc};
use hutong::probes::engine::{Engine, sha256_hex};
use hutong::probes::fetch::{Fetcher, FetcherOptions};
use hutong::probes::pack::validate_packs;
use hutong::storage::snapshots::{compress_against, compress_whole};
use hutong::storage::{NewSnapshot, Store};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

const CHECK: &str = "link.simchat.simshop";

/// A cashier-like page of `seed`'s items (about 20 KiB), with `nonce` where a real page
/// carries its per-request token.
fn page(seed: &str, nonce: u32) -> String {
    let mut x = seed
        .bytes()
        .fold(7_u64, |h, b| h.wrapping_mul(31).wrapping_add(b.into()));
    let mut items = String::new();
    for i in 0..300 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        items.push_str(&format!(
            "<li data-id=\"{i}\">{seed} item {i}: {:x} ¥{}.{:02}</li>\n",
            x >> 40,
            (x >> 20) % 1000,
            (x >> 8) % 100
        ));
    }
    format!(
        "<!doctype html><html><head><meta name=\"csrf\" content=\"{nonce:08x}\">\
         <title>{seed}</title></head><body><ul>\n{items}</ul><p>served {nonce}</p></body></html>"
    )
}

/// A loopback page whose body the test sets between runs.
async fn serve_page(body: Arc<Mutex<String>>) -> std::net::SocketAddr {
    let app = axum::Router::new().route(
        "/page",
        axum::routing::get(move || {
            let body = body.lock().unwrap().clone();
            async move { ([("content-type", "text/html; charset=utf-8")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn engine(store: &Store, addr: std::net::SocketAddr) -> Engine {
    let text = format!(
        r#"[pack]
id = "pages"
name_en = "Test pages"
name_zh = "测试"
kind = "link"
subject = "simchat"
version = 1
simulated = false
schedule = "0 0 * * * *"
timeout_secs = 5
max_redirects = 5
per_host_concurrency = 4
min_host_spacing_ms = 0

[targets]
simshop = "http://{addr}/page"

[request]
url = "{{target_raw}}"
follow_redirects = true

[[rule]]
id = "anything"
status = "open"
"#
    );
    let packs = validate_packs(
        &[(PathBuf::from("packs/pages.toml"), text.as_str())],
        &common::real_catalog(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let direct = Fetcher::new(FetcherOptions {
        allow_private_addresses: true,
        ..FetcherOptions::default()
    })
    .unwrap();
    Engine::new(store.clone(), packs, direct, None, "test", 4)
}

/// Serves `body`, runs the pack once (slot `n`), and returns the stored row of the body.
async fn fetch(
    store: &Store,
    engine: &Engine,
    served: &Arc<Mutex<String>>,
    body: &str,
    n: u32,
) -> hutong::storage::SnapshotRecord {
    *served.lock().unwrap() = body.to_string();
    let slot = Utc.with_ymd_and_hms(2026, 5, 1, n, 0, 0).unwrap();
    let summary = engine
        .run_pack("pages", slot, "test", None, &|_| {})
        .await
        .unwrap();
    assert_eq!(summary.failures, 0, "{summary:?}");
    let sha = sha256_hex(body.as_bytes());
    store
        .snapshot(&sha)
        .await
        .unwrap()
        .expect("the body is stored")
}

/// Three fetches of a page with small differences store one whole snapshot and two
/// differences against it, each far smaller and each read back byte for byte (through
/// the store and the raw page download); the same body again stores nothing; an
/// unrelated page becomes the new base.
async fn a_page_fetched_again_is_stored_as_a_difference(db: TestDb) {
    db.store
        .apply_catalog(&common::real_catalog())
        .await
        .unwrap();
    let served = Arc::new(Mutex::new(String::new()));
    let addr = serve_page(served.clone()).await;
    let engine = engine(&db.store, addr);
    let store = db.store.clone();

    let bodies: Vec<String> = (1..=3).map(|n| page("shop", n)).collect();
    let mut rows = Vec::new();
    for (n, body) in bodies.iter().enumerate() {
        rows.push(fetch(&store, &engine, &served, body, n as u32).await);
    }
    let whole = &rows[0];
    assert_eq!(whole.base_sha256, None, "the first fetch is stored whole");
    for delta in &rows[1..] {
        assert_eq!(
            delta.base_sha256.as_deref(),
            Some(whole.sha256.as_str()),
            "a later fetch is a difference against the first"
        );
        assert!(
            delta.body.len() * 4 <= whole.body.len(),
            "a difference ({} bytes) is at most a quarter of the whole ({} bytes)",
            delta.body.len(),
            whole.body.len()
        );
    }
    for body in &bodies {
        let read = store
            .snapshot_body(&sha256_hex(body.as_bytes()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.body, body.as_bytes(), "read back byte for byte");
    }
    let (count, raw, stored) = store.snapshot_totals().await.unwrap();
    assert_eq!(count, 3);
    assert!(
        stored * 8 < raw,
        "{stored} bytes stored for {raw} of bodies"
    );

    // The same body again stores nothing new.
    fetch(&store, &engine, &served, &bodies[2], 3).await;
    assert_eq!(store.snapshot_totals().await.unwrap(), (count, raw, stored));

    // Another page at the same address: too unlike the base, so stored whole, and the
    // next fetch of it is a difference against it.
    let other = page("elsewhere", 1);
    let rebased = fetch(&store, &engine, &served, &other, 4).await;
    assert_eq!(
        rebased.base_sha256, None,
        "an unrelated body is stored whole"
    );
    let next = fetch(&store, &engine, &served, &page("elsewhere", 2), 5).await;
    assert_eq!(next.base_sha256.as_deref(), Some(rebased.sha256.as_str()));

    // Every observation's raw page downloads as it was served.
    let observations = store.observations(CHECK).await.unwrap();
    assert_eq!(observations.len(), 6);
    let app = TestApp::on(db);
    for o in observations {
        let sha = o.snapshot.clone().unwrap();
        let raw = app.raw_page(o.id).await;
        assert_eq!(raw.status, StatusCode::OK);
        assert_eq!(
            sha256_hex(&raw.bytes),
            sha,
            "observation {} reads back",
            o.id
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_fetched_again_is_stored_as_a_difference_on_sqlite() {
    a_page_fetched_again_is_stored_as_a_difference(common::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_fetched_again_is_stored_as_a_difference_on_postgres() {
    if let Some(db) = common::postgres().await {
        a_page_fetched_again_is_stored_as_a_difference(db).await;
    }
}

fn whole(body: &str) -> NewSnapshot {
    NewSnapshot {
        sha256: sha256_hex(body.as_bytes()),
        size: body.len() as i64,
        content_type: Some("text/html".into()),
        compressed: compress_whole(body.as_bytes()),
        base_sha256: None,
    }
}

fn difference(base: &str, body: &str) -> NewSnapshot {
    NewSnapshot {
        compressed: compress_against(base.as_bytes(), body.as_bytes()).unwrap(),
        base_sha256: Some(sha256_hex(base.as_bytes())),
        ..whole(body)
    }
}

/// A row stored before 0017 (no base) reads as before; a difference and its base stored
/// in one batch read back; a base cannot be deleted while a difference names it; a whole
/// copy of a body stored as a difference replaces it.
async fn differences_and_whole_rows_read_back(store: &Store) {
    let (base, body, third) = (page("a", 1), page("a", 2), page("a", 3));
    let old = NewSnapshot {
        compressed: zstd::encode_all(page("old", 1).as_bytes(), 3).unwrap(),
        ..whole(&page("old", 1))
    };
    // The difference first: the batch stores whole rows before the rows naming them.
    store
        .insert_probe_results(&[difference(&base, &body), whole(&base), old.clone()], &[])
        .await
        .unwrap();
    for text in [&base, &body, &page("old", 1)] {
        let read = store
            .snapshot_body(&sha256_hex(text.as_bytes()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.body, text.as_bytes());
        assert_eq!(read.content_type.as_deref(), Some("text/html"));
    }
    assert!(
        store
            .snapshot_body(&"0".repeat(64))
            .await
            .unwrap()
            .is_none()
    );

    let base_sha = sha256_hex(base.as_bytes());
    assert!(
        store
            .execute_admin(&format!(
                "delete from snapshots where sha256 = '{base_sha}'"
            ))
            .await
            .is_err(),
        "a base named by a difference is never deleted"
    );

    // `third` stored as a difference, then whole (by a worker that had no base): the row
    // becomes whole, so it can serve as a base itself.
    let sha = sha256_hex(third.as_bytes());
    store
        .insert_probe_results(&[difference(&base, &third)], &[])
        .await
        .unwrap();
    store
        .insert_probe_results(&[whole(&third)], &[])
        .await
        .unwrap();
    let row = store.snapshot(&sha).await.unwrap().unwrap();
    assert_eq!(
        row.base_sha256, None,
        "the whole copy replaced the difference"
    );
    // A difference arriving for a whole row changes nothing.
    store
        .insert_probe_results(&[difference(&base, &third)], &[])
        .await
        .unwrap();
    assert_eq!(
        store.snapshot(&sha).await.unwrap().unwrap().base_sha256,
        None
    );
    let read = store.snapshot_body(&sha).await.unwrap().unwrap();
    assert_eq!(read.body, third.as_bytes());

    // A difference against a base never stored is refused, and nothing of it is kept.
    let (missing, orphan) = (page("never", 1), page("never", 2));
    let err = store
        .insert_probe_results(&[difference(&missing, &orphan)], &[])
        .await
        .unwrap_err()
        .to_string();
    assert!(err.to_lowercase().contains("foreign key"), "{err}");
    let orphan_sha = sha256_hex(orphan.as_bytes());
    assert!(store.snapshot(&orphan_sha).await.unwrap().is_none());
    assert!(store.snapshot_body(&orphan_sha).await.unwrap().is_none());
}

/// A base or a difference whose stored bytes were damaged gives an error naming the
/// snapshot read (and its base), never a panic or another page's body.
async fn a_damaged_snapshot_is_a_clear_error(store: &Store) {
    let (base, body, later, other) = (page("b", 1), page("b", 2), page("b", 3), page("c", 1));
    store
        .insert_probe_results(
            &[
                whole(&base),
                difference(&base, &body),
                difference(&base, &later),
                whole(&other),
            ],
            &[],
        )
        .await
        .unwrap();
    let [base_sha, sha, later_sha, other_sha] =
        [&base, &body, &later, &other].map(|t| sha256_hex(t.as_bytes()));
    let copy = |from: &str, to: &str| {
        format!(
            "update snapshots set body = (select body from snapshots where sha256 = '{from}') \
             where sha256 = '{to}'"
        )
    };
    // The difference's own bytes replaced by another page's whole frame: it decompresses,
    // to the wrong page.
    store
        .execute_admin(&copy(&other_sha, &later_sha))
        .await
        .unwrap();
    let err = store
        .snapshot_body(&later_sha)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains(&format!("snapshot {later_sha} cannot be read")),
        "{err}"
    );
    // The base replaced by another page, then by bytes that are no whole zstd frame.
    for from in [&other_sha, &sha] {
        store.execute_admin(&copy(from, &base_sha)).await.unwrap();
        let err = store.snapshot_body(&sha).await.unwrap_err().to_string();
        assert!(
            err.contains(&format!("snapshot {sha} cannot be read")) && err.contains(&base_sha),
            "{err}"
        );
    }
}

common::on_both!(
    differences_and_whole_rows_read_back,
    a_damaged_snapshot_is_a_clear_error,
);

/// `bytes` as a SQL blob literal.
fn blob(bytes: &[u8]) -> String {
    format!("x'{}'", hex::encode(bytes))
}

/// A SQLite database written before migration 0040 (each difference naming its base by
/// hash, a hand test naming its screenshot) keeps every snapshot through it: each body
/// reads back byte for byte, the difference still names its base, neither the base nor the
/// screenshot can be deleted while named (foreign keys are on again), and new differences
/// against the old base are stored and read.
#[tokio::test]
async fn snapshots_stored_before_bases_were_numbered_read_back_after() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    // One connection: the migration's own setting of foreign keys is that connection's.
    let store = Store::connect(&url, 1).await.unwrap();
    store.migrate_up_to(39).await.unwrap();
    store.apply_catalog(&common::real_catalog()).await.unwrap();

    let (base, body, old) = (page("d", 1), page("d", 2), page("old", 7));
    let screenshot: Vec<u8> = (0..4000u32).map(|i| (i * 7 % 251) as u8).collect();
    let [base_sha, sha, old_sha] = [&base, &body, &old].map(|t| sha256_hex(t.as_bytes()));
    let shot_sha = sha256_hex(&screenshot);
    let row = |sha: &str, size: usize, kind: &str, stored: &[u8], base: Option<&str>| {
        format!(
            "insert into snapshots (sha256, size, content_type, body, stored_at, base_sha256)
             values ('{sha}', {size}, '{kind}', {}, '2026-11-30T08:00:00+00:00', {})",
            blob(stored),
            base.map_or("null".to_string(), |b| format!("'{b}'"))
        )
    };
    for statement in [
        row(
            &old_sha,
            old.len(),
            "text/html",
            &compress_whole(old.as_bytes()),
            None,
        ),
        row(
            &base_sha,
            base.len(),
            "text/html",
            &compress_whole(base.as_bytes()),
            None,
        ),
        row(
            &sha,
            body.len(),
            "text/html",
            &compress_against(base.as_bytes(), body.as_bytes()).unwrap(),
            Some(&base_sha),
        ),
        row(
            &shot_sha,
            screenshot.len(),
            "image/png",
            &compress_whole(&screenshot),
            None,
        ),
        "insert into accounts (login, public_name, role, password_hash, created_at,
             password_changed_at)
         values ('old', 'Old', 'contributor', 'x', '2026-11-30T08:00:00+00:00',
             '2026-11-30T08:00:00+00:00')"
            .to_string(),
        format!(
            "insert into submissions (account_id, check_id, observed_at, status, device, os, app,
                 app_version, network, network_region, account_region, steps, seen,
                 submitted_at)
             values (1, '{CHECK}', '2026-11-30T08:00:00+00:00', 'blocked', 'd', 'o', 'a', '1',
                 'n', 'r', 'r', 's', 's', '2026-11-30T08:00:00+00:00')"
        ),
        format!(
            "insert into submission_screenshots (submission_id, position, file_name,
                 image_sha256, thumbnail_sha256, width, height)
             values (1, 0, 'shot.png', '{shot_sha}', '{shot_sha}', 10, 10)"
        ),
    ] {
        store.execute_admin(&statement).await.unwrap();
    }

    store.migrate().await.unwrap();

    for (sha, bytes) in [
        (&old_sha, old.as_bytes()),
        (&base_sha, base.as_bytes()),
        (&sha, body.as_bytes()),
        (&shot_sha, screenshot.as_slice()),
    ] {
        let read = store.snapshot_body(sha).await.unwrap().unwrap();
        assert_eq!(read.body, bytes, "snapshot {sha}");
    }
    let row = store.snapshot(&sha).await.unwrap().unwrap();
    assert_eq!(row.base_sha256.as_deref(), Some(base_sha.as_str()));
    assert_eq!(store.snapshot_differences().await.unwrap().0, 1);
    for named in [&base_sha, &shot_sha] {
        assert!(
            store
                .execute_admin(&format!("delete from snapshots where sha256 = '{named}'"))
                .await
                .is_err(),
            "{named} is named, so it stays"
        );
    }

    let later = page("d", 3);
    store
        .insert_probe_results(&[difference(&base, &later)], &[])
        .await
        .unwrap();
    let later_sha = sha256_hex(later.as_bytes());
    let read = store.snapshot_body(&later_sha).await.unwrap().unwrap();
    assert_eq!(read.body, later.as_bytes());
    assert_eq!(
        store
            .snapshot(&later_sha)
            .await
            .unwrap()
            .unwrap()
            .base_sha256,
        Some(base_sha)
    );
    store.close().await;
}
