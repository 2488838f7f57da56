//! Shared test fixtures: fresh databases (SQLite in a temp dir, PostgreSQL as a new
//! database on the server named by HUTONG_TEST_POSTGRES_URL), the real catalog, requests.
#![allow(dead_code)]

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use hutong::catalog::{self, Catalog};
use hutong::storage::Store;
use hutong::web::{self, AppState};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;

pub fn catalog_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalog")
}

pub fn real_catalog() -> Catalog {
    catalog::load_dir(&catalog_dir()).expect("the shipped catalog is valid")
}

/// A database that lives as long as the value (the temp dir for SQLite).
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite() -> TestDb {
    sqlite_with(4).await
}

/// A fresh SQLite database with a pool of `max_connections` (one: every statement on
/// one connection, so a `pragma` set through it holds for all of them).
pub async fn sqlite_with(max_connections: u32) -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    let store = Store::open(&url, max_connections)
        .await
        .expect("open sqlite");
    TestDb {
        store,
        url,
        _dir: Some(dir),
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// The PostgreSQL server for tests. The README's test command starts one and sets the
/// variable; without it these tests fail loudly rather than pass without running,
/// unless HUTONG_TEST_POSTGRES=skip says to skip them on purpose.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("HUTONG_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("HUTONG_TEST_POSTGRES").as_deref() == Ok("skip") => None,
        _ => panic!(
            "HUTONG_TEST_POSTGRES_URL is not set: run ./scripts/test (it starts PostgreSQL), \
             or set HUTONG_TEST_POSTGRES=skip to skip the PostgreSQL half of the storage suite"
        ),
    }
}

/// A fresh, empty PostgreSQL database for one test; `None` when skipping on purpose.
pub async fn postgres() -> Option<TestDb> {
    let admin = postgres_admin_url()?;
    let name = format!(
        "hutong_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        chrono::Utc::now().timestamp_subsec_nanos()
    );
    let admin_store = Store::connect(&admin, 1)
        .await
        .expect("connect to the PostgreSQL test server");
    admin_store
        .execute_admin(&format!("create database {name}"))
        .await
        .expect("create test database");
    admin_store.close().await;
    let mut url = url::Url::parse(&admin).expect("postgres url");
    url.set_path(&name);
    let url = url.to_string();
    let store = Store::open(&url, 4)
        .await
        .expect("open postgres test database");
    Some(TestDb {
        store,
        url,
        _dir: None,
    })
}

pub async fn app_with_catalog() -> (Router, TestDb) {
    let db = sqlite().await;
    db.store
        .apply_catalog(&real_catalog())
        .await
        .expect("load catalog");
    (web::router(AppState::new(db.store.clone())), db)
}

pub struct Reply {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn get(app: &Router, uri: &str) -> Reply {
    let response = app
        .clone()
        .oneshot(
            Request::builder()
                .uri(uri)
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible router");
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status,
        content_type,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}
