//! Shared test fixtures: fresh databases (SQLite in a temp dir, PostgreSQL as a new
//! database on the server named by HUTONG_TEST_POSTGRES_URL), the real catalog and copies
//! of it to break, the app with a method per endpoint ([`TestApp`]), and test observations
//! ([`observation`]).

mod app;
mod observation;
pub mod relay;
pub mod visitor;

pub use app::{Reply, TestApp};
pub use observation::{ObservationBuilder, observation};
pub use visitor::Visitor;

use hutong::catalog::{self, Catalog};
use hutong::storage::Store;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

pub fn catalog_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("catalog")
}

pub fn real_catalog() -> Catalog {
    catalog::load_dir(&catalog_dir()).expect("the shipped catalog is valid")
}

/// Copies the folder `from` (and everything under it) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a folder");
    for entry in std::fs::read_dir(from).expect("read a folder").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

/// A copy of the shipped catalog that a test may change: `<temp dir>/catalog`.
pub fn copy_catalog() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("catalog");
    copy_dir(&catalog_dir(), &dir);
    (tmp, dir)
}

/// The `hutong` binary of this build.
pub fn hutong() -> Command {
    Command::new(env!("CARGO_BIN_EXE_hutong"))
}

/// A CSS selector written in a test.
pub fn sel(s: &str) -> scraper::Selector {
    scraper::Selector::parse(s).unwrap_or_else(|e| panic!("selector {s:?}: {e}"))
}

/// A database that lives as long as the last clone of the value (the temp dir for SQLite;
/// on PostgreSQL the database is dropped then, unless the test is failing: see
/// [`PostgresGuard`]).
#[derive(Clone)]
pub struct TestDb {
    pub store: Store,
    pub url: String,
    _dir: Option<Arc<tempfile::TempDir>>,
    _postgres: Option<Arc<PostgresGuard>>,
}

impl TestDb {
    /// Closes the database and, on PostgreSQL, drops it now: a whole run of the suite used
    /// to leave about 350 databases of some 10 MB each on a developer's server. A story
    /// that fails leaves its database behind to be looked at.
    pub async fn drop_database(self) {
        self.store.close().await;
        if let Some(guard) = &self._postgres {
            guard.dropped.store(true, Ordering::SeqCst);
            drop_postgres_database(&guard.admin, &guard.name).await;
        }
    }
}

/// A test's PostgreSQL database, dropped when the last [`TestDb`] naming it goes, unless
/// the thread is panicking (a failed test keeps its database to be looked at). Stories
/// that hand the database to an app drop it here when they end.
pub struct PostgresGuard {
    admin: String,
    name: String,
    dropped: std::sync::atomic::AtomicBool,
}

impl Drop for PostgresGuard {
    fn drop(&mut self) {
        if std::thread::panicking() || self.dropped.load(Ordering::SeqCst) {
            return;
        }
        let (admin, name) = (self.admin.clone(), self.name.clone());
        // Its own thread and runtime: this may run inside a test's runtime, which cannot
        // block on another future.
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database")
                .block_on(drop_postgres_database(&admin, &name));
        })
        .join();
        if dropped.is_err() {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

async fn drop_postgres_database(admin: &str, name: &str) {
    if name.starts_with("hutong_test_") {
        on_postgres_server(
            admin,
            &format!("drop database if exists {name} with (force)"),
        )
        .await;
    }
}

/// Runs one statement (create or drop a database) on the test server's admin database.
async fn on_postgres_server(admin: &str, statement: &str) {
    let admin_store = Store::connect(admin, 1)
        .await
        .expect("connect to the PostgreSQL test server");
    admin_store
        .execute_admin(statement)
        .await
        .unwrap_or_else(|e| panic!("{statement}: {e}"));
    admin_store.close().await;
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
        _dir: Some(Arc::new(dir)),
        _postgres: None,
    }
}

/// A fresh SQLite database with `catalog` loaded.
pub async fn sqlite_with_catalog(catalog: &Catalog) -> TestDb {
    let db = sqlite().await;
    db.store
        .apply_catalog(catalog)
        .await
        .expect("load the catalog");
    db
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
/// Its name is unique across the tests of this process (a counter) and across processes
/// (the process id and the time).
pub async fn postgres() -> Option<TestDb> {
    postgres_at(i64::MAX).await
}

/// A fresh PostgreSQL database migrated up to `version` only (as an older release left
/// it); `None` when skipping on purpose.
pub async fn postgres_at(version: i64) -> Option<TestDb> {
    let admin = postgres_admin_url()?;
    let name = format!(
        "hutong_test_{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        chrono::Utc::now().timestamp_subsec_nanos()
    );
    on_postgres_server(&admin, &format!("create database {name}")).await;
    let mut url = url::Url::parse(&admin).expect("postgres url");
    url.set_path(&name);
    let url = url.to_string();
    let store = Store::connect(&url, 4)
        .await
        .expect("open postgres test database");
    store
        .migrate_up_to(version)
        .await
        .expect("migrate postgres test database");
    Some(TestDb {
        store,
        url,
        _dir: None,
        _postgres: Some(Arc::new(PostgresGuard {
            admin,
            name,
            dropped: std::sync::atomic::AtomicBool::new(false),
        })),
    })
}

/// Runs each story (an `async fn(&Store)` of the calling module) once per backend, as
/// `sqlite_backend::<story>` and `postgres_backend::<story>`, each on a fresh database.
macro_rules! on_both {
    ($($story:ident),* $(,)?) => {
        mod sqlite_backend {
            $(
                #[tokio::test]
                async fn $story() {
                    let db = crate::common::sqlite().await;
                    super::$story(&db.store).await;
                }
            )*
        }
        mod postgres_backend {
            $(
                #[tokio::test]
                async fn $story() {
                    let Some(db) = crate::common::postgres().await else { return };
                    assert_eq!(db.store.backend(), hutong::storage::Backend::Postgres);
                    super::$story(&db.store).await;
                    db.drop_database().await;
                }
            )*
        }
    };
}
pub(crate) use on_both;

/// The names of the vantage points registered in `store`, in its order.
pub async fn vantage_names(store: &Store) -> Vec<String> {
    store
        .vantage_points()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.point.name)
        .collect()
}
