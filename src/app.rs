//! Application state, the router for production and tests, and serving.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::serve::ListenerExt;
use rusqlite::Connection;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Settings;
use crate::content::FileStore;
use crate::db::Database;
use crate::indexer;
use crate::search::SearchIndex;
use crate::web::error::AppError;

/// What every request handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub store: Arc<FileStore>,
    pub settings: Arc<Settings>,
    /// Time as the service sees it; tests fix it.
    pub clock: Clock,
    /// The derived search index (one reader and one writer for the process).
    pub search: Arc<SearchIndex>,
    /// Whether the index must be rebuilt before the server is ready.
    index_needs_rebuild: bool,
    ready: Arc<AtomicBool>,
}

impl AppState {
    /// Opens the database and file store and runs the first-start steps.
    pub fn open(settings: Settings) -> anyhow::Result<Self> {
        settings.data.check_writable()?;
        let db = Database::open(&settings.data.database())?;
        let store = FileStore::open(settings.data.store())?;
        crate::bootstrap::first_start(&db, &store, &settings)?;
        let removed = crate::catalog::orphans::remove_orphans(
            &*db.get()?,
            &store,
            crate::catalog::orphans::ORPHAN_GRACE,
        )?;
        if removed > 0 {
            tracing::info!(removed, "removed files that no catalogue row references");
        }
        let opened = SearchIndex::open(&settings.data.index())?;
        Ok(Self {
            search: Arc::new(opened.index),
            index_needs_rebuild: opened.needs_rebuild,
            db,
            store: Arc::new(store),
            settings: Arc::new(settings),
            clock: Clock::system(),
            ready: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Whether the server is ready to answer searches.
    pub fn is_ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    fn mark_ready(&self) {
        self.ready.store(true, Ordering::Release);
    }

    /// Brings the index up to date, then marks the server ready and keeps the index
    /// following the catalogue until the task is aborted.
    async fn start_indexing(&self) {
        let (db, search, rebuild) = (
            self.db.clone(),
            self.search.clone(),
            self.index_needs_rebuild,
        );
        let prepared =
            tokio::task::spawn_blocking(move || indexer::prepare(&db, &search, rebuild)).await;
        match prepared {
            Ok(Ok(())) => {}
            // The follower retries; searches meanwhile answer from what the index has.
            Ok(Err(err)) => tracing::error!(%err, "search index could not be brought up to date"),
            Err(err) => tracing::error!(%err, "search index preparation failed"),
        }
        self.mark_ready();
        indexer::follow(self.db.clone(), self.search.clone()).await;
    }

    /// Runs blocking database work on the blocking pool.
    pub async fn with_conn<T, E>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, E> + Send + 'static,
    ) -> Result<T, AppError>
    where
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().map_err(AppError::from)?;
            work(&mut conn).map_err(Into::into)
        })
        .await?
    }
}

/// The whole application, as production and tests use it.
pub fn build_app(state: AppState) -> Router {
    crate::web::router(state)
}

/// Prepares background work (the index) and serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let indexing = state.clone();
    // Background work stops with the server, releasing the index writer.
    let _indexing = AbortOnDrop(tokio::spawn(async move { indexing.start_indexing().await }));
    // Loan states that follow the date; stops when serving stops.
    let _loans = crate::loans::sweep::spawn(state.db.clone(), state.clock.clone());
    let app = build_app(state);
    // Without TCP_NODELAY, keep-alive file responses stall ~40 ms on delayed ACKs.
    let listener = listener.tap_io(|tcp| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "could not set TCP_NODELAY");
        }
    });
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Aborts a background task when serving ends.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
