//! Application state, the router for production and tests, and serving.

use crate::actor::Actor;
use crate::catalog::CatalogError;
use crate::catalog::curation::{Curated, CurationCommand};
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rusqlite::Connection;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::clock::{Clock, Moment};
use crate::config::{Limits, Settings};
use crate::content::FileStore;
use crate::db::Database;
use crate::indexer;
use crate::search::SearchIndex;
use crate::web::client::{self, ClientAddr};
use crate::web::connections::{self, Activity, IdleLimits, PerAddress, Tracked};
use crate::web::error::AppError;

/// What every request handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Database,
    pub store: Arc<FileStore>,
    /// Stamped copies of documents, made on first fetch (`marks::cache`).
    pub marked: Arc<crate::marks::cache::MarkedCopies>,
    pub settings: Arc<Settings>,
    /// Time as the service sees it; tests fix it.
    pub clock: Clock,
    /// The derived search index (one reader and one writer for the process).
    pub search: Arc<SearchIndex>,
    /// What one client may cost (see [`Limits`]).
    pub limits: Arc<Limits>,
    /// Uploads in progress hold a permit; none free means 503.
    pub uploads: Arc<Semaphore>,
    /// Password hashing (sign-in, password changes) runs a few at a time.
    pub hashing: Arc<crate::accounts::password::HashingGate>,
    /// The day's fully booked resources, reused between searches.
    pub booked_out: Arc<indexer::BookedOut>,
    /// Forms posted after their session expired, waiting for the sign-in.
    pub drafts: Arc<crate::web::drafts::FormDrafts>,
    /// Machine reading: its programs and whether this machine has them.
    pub ocr: Arc<crate::ocr::OcrService>,
    /// Whether a mail relay delivers the outbox (set-password links are then mailed).
    mail_relay: Arc<AtomicBool>,
    /// Whether serving runs the loan sweep (tests that drive the clock run it by hand).
    background_sweep: bool,
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
        let clock = Clock::system();
        crate::bootstrap::first_start(&db, &store, &settings, &clock)?;
        // The official holiday schedules the library ships, for years not yet kept.
        for applied in crate::loans::notice::load_shipped(&mut *db.get()?, clock.moment())? {
            tracing::info!(
                year = applied.year,
                "loaded the State Council's holiday schedule"
            );
        }
        if let Some(days) = settings.visitor_retention_days {
            crate::visits::sweep::set_retention_days(&*db.get()?, days)?;
        }
        let removed = crate::catalog::orphans::remove_orphans(
            &*db.get()?,
            &store,
            crate::catalog::orphans::ORPHAN_GRACE,
        )?;
        if removed > 0 {
            tracing::info!(removed, "removed files that no catalogue row references");
        }
        let measured =
            crate::catalog::files::fill_missing_durations(&mut *db.get()?, &store, clock.moment())?;
        if measured > 0 {
            tracing::info!(measured, "read the length of videos stored without one");
        }
        let opened = SearchIndex::open(&settings.data.index())?;
        opened
            .index
            .set_synonyms(crate::catalog::synonyms::effective(&*db.get()?)?);
        if let Some(bytes) = settings.search_cache_bytes {
            opened.index.set_result_cache_bytes(bytes);
        }
        let limits = settings.limits.clone();
        let marked = crate::marks::cache::MarkedCopies::open(
            settings.data.marked(),
            settings.marked_cache_bytes,
        )?;
        let ocr = crate::ocr::OcrService::on_path();
        Ok(Self {
            ocr: Arc::new(ocr),
            uploads: Arc::new(Semaphore::new(limits.max_uploads)),
            booked_out: Arc::default(),
            drafts: Arc::default(),
            hashing: Arc::new(crate::accounts::password::HashingGate::for_this_machine()),
            limits: Arc::new(limits),
            search: Arc::new(opened.index),
            index_needs_rebuild: opened.needs_rebuild,
            db,
            store: Arc::new(store),
            marked: Arc::new(marked),
            settings: Arc::new(settings),
            clock,
            mail_relay: Arc::default(),
            background_sweep: true,
            ready: Arc::new(AtomicBool::new(false)),
        })
    }

    /// The same state without the background loan sweep: tests that set the clock run
    /// `loans::sweep::run` themselves, so no sweep on the system date races them.
    pub fn without_background_sweep(mut self) -> Self {
        self.background_sweep = false;
        self
    }

    /// The same state with other limits (tests use short timeouts and small caps).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.uploads = Arc::new(Semaphore::new(limits.max_uploads));
        self.limits = Arc::new(limits);
        self
    }

    /// Starts delivering the mail outbox over `settings`' relay; from now on mail that
    /// people should receive (set-password links) is queued for it.
    pub fn start_mail(
        &self,
        settings: crate::config::MailSettings,
    ) -> Result<crate::mail::MailTask, crate::mail::MailError> {
        let task = crate::mail::spawn(self.db.clone(), settings)?;
        self.mail_relay.store(true, Ordering::Release);
        Ok(task)
    }

    /// Whether mail goes out (a relay is configured and its task runs).
    pub fn mails(&self) -> bool {
        self.mail_relay.load(Ordering::Acquire)
    }

    /// The site's public address (`https://jingshi.example.cn`) when one is set, for
    /// links in mail sent without a request to answer.
    pub fn public_base(&self) -> Option<String> {
        self.settings.public_url.as_ref().map(|public| {
            let scheme = if public.https { "https" } else { "http" };
            format!("{scheme}://{}", public.authority)
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
        // The pinyin completion tables of the whole index, built once now rather than
        // by the first person typing pinyin after a start.
        let search = self.search.clone();
        tokio::task::spawn_blocking(move || match search.warm_suggestions() {
            Ok((keys, bytes)) => tracing::info!(keys, bytes, "pinyin completions ready"),
            Err(err) => tracing::warn!(%err, "pinyin completions not prepared"),
        });
        self.mark_ready();
        indexer::follow(self.db.clone(), self.search.clone(), self.clock.clone()).await;
    }

    /// Brings the search index up to the database now (blocking), for changes that
    /// must be searchable, or gone from search, when the request answers: publish and
    /// withdraw; a first publication is checked against the saved searches. On failure
    /// the follower catches up within moments.
    pub fn refresh_index_now(&self) {
        if let Err(err) = indexer::catch_up_and_alert(&self.db, &self.search, self.clock.moment()) {
            tracing::warn!(%err, "search index not refreshed; the follower will catch up");
        }
    }

    /// [`Self::refresh_index_now`] on the blocking pool, for a handler whose change
    /// must be searchable when it answers.
    pub async fn refresh_index(&self) -> Result<(), AppError> {
        let indexing = self.clone();
        tokio::task::spawn_blocking(move || indexing.refresh_index_now()).await?;
        Ok(())
    }

    /// Runs a librarian's catalogue change at this moment of the clock. A change of
    /// what borrowers may see (publish, withdraw) reaches the search index before
    /// the answer. The outer error is the service failing; the inner one is the
    /// catalogue refusing, which a form shows beside its fields.
    pub async fn curate(
        &self,
        actor: Actor,
        command: CurationCommand,
    ) -> Result<Result<Curated, CatalogError>, AppError> {
        // A withdrawal settles the resource's open loans too (letting them run, the
        // gentle default); whoever withdraws goes through the same use case.
        if let CurationCommand::Withdraw(id) = command {
            let done = self
                .withdraw(actor, id.clone(), crate::loans::WithdrawRequest::default())
                .await?;
            return Ok(Ok(Curated {
                id,
                changed: done.changed,
            }));
        }
        let (at, indexing) = (self.clock.moment(), self.clone());
        let refresh = command.changes_visibility();
        self.with_conn(move |conn| {
            let outcome = crate::catalog::curation::curate(conn, &actor, command, at);
            if refresh && outcome.is_ok() {
                indexing.refresh_index_now();
            }
            Ok::<_, AppError>(outcome)
        })
        .await
    }

    /// Withdraws a resource at this moment of the clock and settles its open loans as
    /// `input` says (`loans::withdraw_resource`); search forgets it before the answer.
    pub async fn withdraw(
        &self,
        actor: Actor,
        id: crate::catalog::ResourceId,
        input: crate::loans::WithdrawRequest,
    ) -> Result<crate::loans::Withdrawal, AppError> {
        let (at, indexing) = (self.clock.moment(), self.clone());
        self.with_conn(move |conn| {
            let done = crate::loans::withdraw_resource(conn, &actor, &id, input, at)?;
            indexing.refresh_index_now();
            Ok::<_, AppError>(done)
        })
        .await
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

    /// [`Self::with_conn`] for one action of a signed-in `user`: `work` gets the
    /// connection, the user as the actor and the clock's moment.
    pub async fn as_user<T, E>(
        &self,
        user: &crate::accounts::SessionUser,
        work: impl FnOnce(&mut Connection, &Actor, Moment) -> Result<T, E> + Send + 'static,
    ) -> Result<T, AppError>
    where
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        let (actor, at) = (Actor::user(user), self.clock.moment());
        self.with_conn(move |conn| work(conn, &actor, at)).await
    }
}

/// The whole application, as production and tests use it.
pub fn build_app(state: AppState) -> Router {
    crate::web::router(state)
}

/// Prepares background work (the index) and serves until `shutdown` resolves.
///
/// The accept loop is ours rather than `axum::serve` so that a client cannot hold the
/// server: at most `max_connections` are open at once (further clients wait in the
/// listen queue) and at most `max_connections_per_address` from one client (further
/// ones are closed at once, so a flood from one address cannot take every slot); a
/// connection must start its first request within `header_read_timeout` and is closed
/// after `idle_timeout` without one (`web::connections`); a request head must fit in
/// `header_bytes`. On shutdown it stops accepting, lets requests in progress finish
/// (for a while), then returns.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (indexing, search) = (state.clone(), state.search.clone());
    // Background work stops with the server, releasing the index writer.
    let indexing = AbortOnDrop(tokio::spawn(async move { indexing.start_indexing().await }));
    // Work that follows the date; stops when serving stops.
    let _dated = dated_tasks(&state);
    let _reading = reading_task(&state);
    let limits = state.limits.clone();
    let app = build_app(state);
    let builder = connection_builder(&limits);
    let idle = IdleLimits {
        first_request: limits.header_read_timeout,
        idle: limits.idle_timeout,
    };
    let connections = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let per_address = PerAddress::new(limits.max_connections_per_address.max(1));
    let (stop, stopping) = tokio::sync::watch::channel(());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (tcp, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    accept_failed(err).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // Trusted proxies speak for all their users; anyone else has a quota.
        let slot = if limits.trusted_proxies.contains(remote.ip()) {
            None
        } else {
            match per_address.admit(remote.ip()) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(%remote, "too many connections from one address; closed");
                    continue;
                }
            }
        };
        // Without TCP_NODELAY, keep-alive file responses stall ~40 ms on delayed ACKs.
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "could not set TCP_NODELAY");
        }
        let activity = Activity::default();
        let service = request_service(app.clone(), remote, limits.clone(), activity.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(tcp), service)
            .into_owned();
        let stopping = stopping.clone();
        tokio::spawn(async move {
            if let Err(err) = connections::drive(connection, activity, idle, stopping).await {
                // Timeouts, resets and malformed requests end here; nothing to answer.
                tracing::debug!(%err, %remote, "connection ended with an error");
            }
            drop((permit, slot));
        });
    }
    drop(listener);
    drop(stopping);
    stop.send_replace(());
    if tokio::time::timeout(SHUTDOWN_GRACE, stop.closed())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period; closing");
    }
    // No new catch-up starts; one in flight holds the writer until it is done, and one
    // that has not taken it yet finds the index closed. So nothing of this server
    // writes the index after `serve` returns: a restore may replace it next.
    drop(indexing);
    match tokio::task::spawn_blocking(move || search.close()).await {
        Ok(Ok(())) => {}
        Ok(Err(err)) => tracing::warn!(%err, "search index merges did not finish cleanly"),
        Err(err) => tracing::warn!(%err, "search index could not be released"),
    }
    Ok(())
}

/// The machine reading of scans and films, unless this server is told not to read.
fn reading_task(state: &AppState) -> Option<AbortOnDrop> {
    state.settings.ocr_worker.then(|| {
        AbortOnDrop(crate::ocr::spawn_worker(
            state.db.clone(),
            state.store.clone(),
            state.ocr.clone(),
            state.clock.clone(),
        ))
    })
}

/// The background work that follows the date, unless tests drive it by hand: loan
/// states (`loans::sweep`) and the daily mail digest of saved searches' new matches.
fn dated_tasks(
    state: &AppState,
) -> Option<(
    crate::loans::sweep::SweepTask,
    crate::alerts::digest::DigestTask,
)> {
    state.background_sweep.then(|| {
        (
            crate::loans::sweep::spawn(state.db.clone(), state.clock.clone()),
            crate::alerts::digest::spawn(
                state.db.clone(),
                state.clock.clone(),
                state.public_base(),
            ),
        )
    })
}

/// HTTP/1 and HTTP/2 with our limits on heads and idle peers.
fn connection_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(limits.header_bytes.max(MIN_HEADER_BUFFER));
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_header_list_size(u32::try_from(limits.header_bytes).unwrap_or(u32::MAX))
        // A peer that vanished mid-request (half-open) is found by its missing pong.
        .keep_alive_interval(limits.idle_timeout)
        .keep_alive_timeout(limits.header_read_timeout);
    builder
}

/// The app for one connection from `remote`: each request carries the peer and the
/// client it speaks for, and counts as the connection's activity until its response
/// body ends.
fn request_service(
    app: Router,
    remote: SocketAddr,
    limits: Arc<Limits>,
    activity: Activity,
) -> impl hyper::service::Service<
    Request<Incoming>,
    Response = Response<Tracked>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<Tracked>, Infallible>> + Send + 'static,
> + Clone {
    hyper::service::service_fn(move |mut request: Request<Incoming>| {
        let client = client::resolve(remote.ip(), request.headers(), &limits.trusted_proxies);
        request.extensions_mut().insert(ConnectInfo(remote));
        request.extensions_mut().insert(ClientAddr(client));
        let in_progress = activity.begin();
        let answer = app.clone().oneshot(request);
        async move {
            let response = answer.await?;
            Ok(response.map(|body| Tracked::new(body, in_progress)))
        }
    })
}

/// hyper's smallest accepted read buffer.
const MIN_HEADER_BUFFER: usize = 8 * 1024;

/// How long requests in progress may take to finish after shutdown is asked for.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Accept errors: a client that gave up is ignored; running out of file descriptors
/// (or similar) waits a moment instead of spinning.
async fn accept_failed(err: std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%err, "accept failed; retrying in a second");
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
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
