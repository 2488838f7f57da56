//! The web server's life: validate the catalog, open and migrate the database, load the
//! catalog, listen, and shut down cleanly on Ctrl-C or SIGTERM.

use crate::catalog;
use crate::config::Config;
use crate::storage::Store;
use crate::web::{self, AppState};
use anyhow::Context;
use std::future::Future;
use std::net::SocketAddr;
use tokio::net::TcpListener;

pub struct Application {
    listener: TcpListener,
    store: Store,
    addr: SocketAddr,
}

impl Application {
    /// Everything that can fail before serving fails here, with a message that says why.
    /// An invalid catalog stops start-up before the database is touched.
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        let cat = catalog::load_dir(&config.catalog_dir).map_err(|problems| {
            anyhow::anyhow!(
                "refusing to start: the catalog in {} is invalid\n{problems}",
                config.catalog_dir.display()
            )
        })?;
        let store = Store::open(&config.database_url, config.max_connections).await?;
        let report = store
            .apply_catalog(&cat)
            .await
            .context("loading the catalog into the database")?;
        tracing::info!(
            inserted = report.observations_inserted,
            updated = report.observations_updated,
            unchanged = report.observations_unchanged,
            "catalog loaded from {}",
            config.catalog_dir.display()
        );
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;
        Ok(Application {
            listener,
            store,
            addr,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until `shutdown` completes, then finishes in-flight requests and closes
    /// the database.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(
            "Hutong listening on http://{} with {} database {}",
            self.addr,
            self.store.backend().name(),
            self.store.url()
        );
        let app = web::router(AppState::new(self.store.clone()));
        axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .context("serving HTTP")?;
        self.store.close().await;
        tracing::info!("Hutong stopped");
        Ok(())
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
