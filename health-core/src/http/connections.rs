//! The connections `serve` holds: how each is served, how many may be open,
//! and which one gives way when a new one arrives past the cap.
//!
//! A connection is *waiting* from when it is accepted, or its last response
//! was sent, until it has sent a whole request head; it is *busy* while a
//! request is answered. Past the cap, a new connection evicts the connection
//! that has waited longest, so clients that hold connections without sending
//! requests (slow loris, idle keep-alive) cannot keep a probe out. When every
//! connection is busy, the new one is closed at once.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};

use super::ServeOptions;
use crate::race::{First, race};

/// The connections being served.
pub(super) struct Connections {
    http1: http1::Builder,
    slots: Arc<Semaphore>,
    open: Arc<Open>,
}

impl Connections {
    pub(super) fn new(options: &ServeOptions) -> Self {
        let mut http1 = http1::Builder::new();
        // Hyper enforces the header-read timeout only with a timer.
        http1.timer(TokioTimer::new()).header_read_timeout(options.header_read_timeout);
        Connections { http1, slots: Arc::new(Semaphore::new(options.max_connections)), open: Arc::new(Open::default()) }
    }

    /// Serves `stream` on a task of its own: in a free slot, or in the slot of
    /// the connection that has waited longest, or not at all when every
    /// connection is busy.
    pub(super) fn serve(
        &self,
        stream: tokio::net::TcpStream,
        app: &::axum::Router,
        mut stopping: watch::Receiver<()>,
        finished: watch::Receiver<()>,
    ) {
        let slot = match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(slot) => Slot::Free(slot),
            Err(_) if self.open.evict_longest_waiting() => Slot::Freed(Arc::clone(&self.slots)),
            Err(_) => {
                tracing::debug!(
                    "connection closed at once: the connection cap is reached and every connection is busy"
                );
                return;
            }
        };
        let _ = stream.set_nodelay(true);
        let standing = self.open.add();
        let service = Tracked { inner: TowerToHyperService::new(app.clone()), standing: Arc::clone(&standing) };
        // With upgrades, as `axum::serve` serves them: an app served here may
        // hold more than the health routes.
        let connection = self.http1.serve_connection(TokioIo::new(stream), service).with_upgrades();
        let open = Arc::clone(&self.open);
        tokio::spawn(async move {
            // The evicted connection's task lets its slot go as soon as it runs.
            let Some(_slot) = slot.take().await else { return };
            let mut connection = pin!(connection);
            match race(connection.as_mut(), race(stopping.changed(), standing.evicted.notified())).await {
                First::Left(_) => {}
                First::Right(First::Left(_)) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
                First::Right(First::Right(())) => tracing::debug!("idle connection closed for a new one"),
            }
            open.remove(&standing);
            drop(finished);
        });
    }
}

/// A connection's place within the cap.
enum Slot {
    Free(OwnedSemaphorePermit),
    /// One being freed by an eviction: the semaphore is fair, so it goes to
    /// the first connection waiting for it.
    Freed(Arc<Semaphore>),
}

impl Slot {
    async fn take(self) -> Option<OwnedSemaphorePermit> {
        match self {
            Slot::Free(permit) => Some(permit),
            Slot::Freed(slots) => slots.acquire_owned().await.ok(),
        }
    }
}

/// The open connections that may be evicted.
#[derive(Default)]
struct Open(Mutex<Vec<Arc<Standing>>>);

impl Open {
    fn add(&self) -> Arc<Standing> {
        let standing = Arc::new(Standing::default());
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::clone(&standing));
        standing
    }

    fn remove(&self, standing: &Arc<Standing>) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).retain(|open| !Arc::ptr_eq(open, standing));
    }

    /// Tells the connection that has waited longest for a request head to
    /// close, and takes it off the list so no other arrival picks it; `false`
    /// when every connection is busy.
    fn evict_longest_waiting(&self) -> bool {
        let mut open = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let longest = open
            .iter()
            .enumerate()
            .filter_map(|(index, standing)| standing.waiting_since().map(|since| (since, index)))
            .min();
        let Some((_, index)) = longest else { return false };
        open.swap_remove(index).evicted.notify_one();
        true
    }
}

/// Whether a connection is waiting for a request head, and since when.
struct Standing {
    waiting_since: Mutex<Option<Instant>>,
    evicted: Notify,
}

impl Default for Standing {
    fn default() -> Self {
        Standing { waiting_since: Mutex::new(Some(Instant::now())), evicted: Notify::new() }
    }
}

impl Standing {
    fn waiting_since(&self) -> Option<Instant> {
        *self.waiting_since.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn set(&self, waiting_since: Option<Instant>) {
        *self.waiting_since.lock().unwrap_or_else(PoisonError::into_inner) = waiting_since;
    }
}

/// Marks the connection waiting again when dropped: with the response body,
/// once it is sent, or with the request, if it is abandoned.
struct WaitingAgain(Arc<Standing>);

impl Drop for WaitingAgain {
    fn drop(&mut self) {
        self.0.set(Some(Instant::now()));
    }
}

/// The app, marking the connection busy from request head to response end.
struct Tracked<S> {
    inner: S,
    standing: Arc<Standing>,
}

type TrackedFuture<B, E> = Pin<Box<dyn Future<Output = Result<Response<Tracking<B>>, E>> + Send>>;

impl<S, B> hyper::service::Service<Request<Incoming>> for Tracked<S>
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>>,
    S::Future: Send + 'static,
{
    type Response = Response<Tracking<B>>;
    type Error = S::Error;
    type Future = TrackedFuture<B, S::Error>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.standing.set(None);
        let waiting_again = WaitingAgain(Arc::clone(&self.standing));
        let response = self.inner.call(request);
        Box::pin(async move {
            let response = response.await?;
            Ok(response.map(|body| Tracking { body, _waiting_again: waiting_again }))
        })
    }
}

/// A response body that marks its connection waiting again once sent.
struct Tracking<B> {
    body: B,
    _waiting_again: WaitingAgain,
}

impl<B: Body + Unpin> Body for Tracking<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
