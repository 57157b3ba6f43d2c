//! The connection layer: how many connections one client may hold, and closing
//! connections that carry no request. A connection must start its first request
//! within the head time limit (silent sockets, a lone HTTP/2 preface) and is closed
//! when no request has run on it for the idle time (keep-alive, idle HTTP/2).

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use hyper::body::{Frame, SizeHint};
use hyper_util::server::graceful::GracefulConnection;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

use super::client::client_group;

/// Open connections per client group, each group capped.
pub struct PerAddress {
    cap: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl PerAddress {
    pub fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap,
            open: Mutex::default(),
        })
    }

    fn open(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        // The counts stay right even if a holder panicked: each change is one step.
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for one more connection from `peer`; `None` when its group holds the
    /// cap already.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<AddressSlot> {
        let group = client_group(peer);
        let mut open = self.open();
        let count = open.entry(group).or_default();
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            counts: self.clone(),
            group,
        })
    }
}

/// One connection counted against its client group until dropped.
pub struct AddressSlot {
    counts: Arc<PerAddress>,
    group: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.counts.open();
        if let Some(count) = open.get_mut(&self.group) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.group);
            }
        }
    }
}

/// What one connection is doing: requests in progress (until their response body
/// ends) and when that last changed.
#[derive(Clone)]
pub struct Activity(Arc<Shared>);

struct Shared {
    state: Mutex<ActivityState>,
    /// Wakes the connection's driver to recompute its deadline.
    changed: Notify,
}

struct ActivityState {
    in_progress: usize,
    since: Instant,
    served: bool,
}

impl Default for Activity {
    /// A connection just accepted.
    fn default() -> Self {
        Self(Arc::new(Shared {
            state: Mutex::new(ActivityState {
                in_progress: 0,
                since: Instant::now(),
                served: false,
            }),
            changed: Notify::new(),
        }))
    }
}

impl Activity {
    fn state(&self) -> MutexGuard<'_, ActivityState> {
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A request starts; it ends when the guard (moved into its response body) drops.
    pub fn begin(&self) -> InProgress {
        let mut state = self.state();
        state.in_progress += 1;
        state.since = Instant::now();
        state.served = true;
        self.0.changed.notify_one();
        InProgress(self.clone())
    }

    /// Whether a request has ever started on the connection.
    fn served(&self) -> bool {
        self.state().served
    }

    /// When the connection will have carried no request for long enough to close it,
    /// or `None` while a request is in progress.
    fn idle_deadline(&self, limits: IdleLimits) -> Option<Instant> {
        let state = self.state();
        let wait = if state.served {
            limits.idle
        } else {
            limits.first_request
        };
        (state.in_progress == 0).then(|| state.since + wait)
    }
}

/// A request in progress on its connection.
pub struct InProgress(Activity);

impl Drop for InProgress {
    fn drop(&mut self) {
        let mut state = self.0.state();
        state.in_progress = state.in_progress.saturating_sub(1);
        state.since = Instant::now();
        self.0.0.changed.notify_one();
    }
}

/// A response body that keeps its request in progress until it is sent or dropped
/// (a long download is not idle).
pub struct Tracked {
    body: Body,
    _in_progress: InProgress,
}

impl Tracked {
    pub fn new(body: Body, in_progress: InProgress) -> Self {
        Self {
            body,
            _in_progress: in_progress,
        }
    }
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// How long a connection may carry no request.
#[derive(Clone, Copy)]
pub struct IdleLimits {
    /// Until its first request starts (first bytes, HTTP/2 preface, request head).
    pub first_request: Duration,
    /// Between requests.
    pub idle: Duration,
}

/// Runs one connection to its end. One that starts no request within `first_request`
/// is dropped (nothing to finish). One that then carries no request for `idle` is
/// asked to close (HTTP/2 GOAWAY; HTTP/1 closes at once), and dropped if, another
/// `first_request` later, it is still open with nothing in progress (a peer that
/// ignores GOAWAY). When the server stops (`stopping` changes) it is asked to close
/// the same way, and finishes the requests it has.
pub async fn drive<C>(
    connection: C,
    activity: Activity,
    limits: IdleLimits,
    mut stopping: watch::Receiver<()>,
) -> Result<(), C::Error>
where
    C: GracefulConnection,
{
    let mut connection = std::pin::pin!(connection);
    let mut closing_since: Option<Instant> = None;
    let mut stop_heard = false;
    loop {
        let deadline = match closing_since {
            Some(asked) => asked + limits.first_request,
            // While a request is in progress, look again later.
            None => activity
                .idle_deadline(limits)
                .unwrap_or_else(|| Instant::now() + limits.idle),
        };
        tokio::select! {
            ended = connection.as_mut() => return ended,
            () = activity.0.changed.notified() => {}
            _ = stopping.changed(), if !stop_heard => {
                stop_heard = true;
                if closing_since.is_none() {
                    connection.as_mut().graceful_shutdown();
                    closing_since = Some(Instant::now());
                }
            }
            () = tokio::time::sleep_until(deadline) => {
                let now = Instant::now();
                let idle = activity.idle_deadline(limits);
                match closing_since {
                    Some(_) if idle.is_some() => return Ok(()),
                    Some(_) => closing_since = Some(now),
                    // Never a request (silent, a lone HTTP/2 preface): nothing to finish.
                    None if idle.is_some_and(|at| at <= now) && !activity.served() => {
                        return Ok(());
                    }
                    None if idle.is_some_and(|at| at <= now) => {
                        connection.as_mut().graceful_shutdown();
                        closing_since = Some(now);
                    }
                    None => {}
                }
            }
        }
    }
}
