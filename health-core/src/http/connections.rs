//! The connections `serve` holds: how each is served, how many may be open,
//! and which one gives way when a new one arrives past the cap.
//!
//! A connection is *waiting* from when it gets its slot, or its last response
//! was sent, until it has sent a whole request head; it is *busy* while a
//! request is answered. Past the cap, a new connection evicts the connection
//! that has waited longest, which hands its slot over once closed, so clients
//! that hold connections without sending requests (slow loris, idle
//! keep-alive) cannot keep a probe out. When every connection is busy, the
//! new one is answered 503 and closed at once.

use std::future::Future;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Instant;

use http::{Request, Response};
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::task::JoinSet;

use super::ServeOptions;
use crate::race::{First, race};

/// The connections being served.
pub(super) struct Connections {
    http1: http1::Builder,
    slots: Arc<Semaphore>,
    open: Arc<Open>,
}

/// What a connection refused at the cap is told before it is closed.
const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n\
Content-Length: 40\r\n\r\nthe server's connection limit is reached";

impl Connections {
    pub(super) fn new(options: &ServeOptions) -> Self {
        let mut http1 = http1::Builder::new();
        // Hyper enforces the header-read timeout only with a timer.
        http1.timer(TokioTimer::new()).header_read_timeout(options.header_read_timeout);
        Connections { http1, slots: Arc::new(Semaphore::new(options.max_connections)), open: Arc::new(Open::default()) }
    }

    /// Serves `stream` on a task of its own in `tasks`: in a free slot, or in
    /// the slot of the connection that has waited longest, or not at all when
    /// every connection is busy.
    pub(super) fn serve(
        &self,
        tasks: &mut JoinSet<()>,
        stream: tokio::net::TcpStream,
        app: &::axum::Router,
        mut stopping: watch::Receiver<()>,
        finished: watch::Receiver<()>,
    ) {
        let slot = match Arc::clone(&self.slots).try_acquire_owned() {
            Ok(slot) => Slot::Free(slot),
            Err(_) => match self.open.evict_longest_waiting() {
                Some(handed_over) => Slot::HandedOver(handed_over),
                None => {
                    tracing::debug!("connection refused: the connection cap is reached and every connection is busy");
                    // Best effort: a client that reads gets a status, not just a closed socket.
                    let _ = stream.try_write(REFUSED);
                    return;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let http1 = self.http1.clone();
        let app = app.clone();
        let open = Arc::clone(&self.open);
        tasks.spawn(async move {
            let Some(slot) = slot.take().await else { return };
            // Only a connection with a slot can be evicted: evicting one still
            // waiting for its slot would free nothing.
            let standing = open.add();
            let service = Tracked { inner: TowerToHyperService::new(app), standing: Arc::clone(&standing) };
            // With upgrades, as `axum::serve` serves them: an app served here
            // may hold more than the health routes. An upgraded connection
            // leaves the cap when it leaves hyper.
            let connection = http1.serve_connection(TokioIo::new(stream), service).with_upgrades();
            let mut connection = pin!(connection);
            match race(connection.as_mut(), race(stopping.changed(), standing.evicted.notified())).await {
                First::Left(_) => {}
                // A connection waiting for a request head has nothing to finish.
                First::Right(_) if standing.is_waiting() => {}
                // A request that began as the eviction or the stop came is answered first.
                First::Right(_) => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            open.remove(&standing);
            standing.hand_over(slot);
            drop(finished);
        });
    }
}

/// A connection's place within the cap.
enum Slot {
    Free(OwnedSemaphorePermit),
    /// The slot of an evicted connection, handed over when it has closed.
    HandedOver(oneshot::Receiver<OwnedSemaphorePermit>),
}

impl Slot {
    async fn take(self) -> Option<OwnedSemaphorePermit> {
        match self {
            Slot::Free(permit) => Some(permit),
            Slot::HandedOver(handed_over) => handed_over.await.ok(),
        }
    }
}

/// The open connections that may be evicted, and the moment their waits are
/// counted from.
struct Open {
    connections: Mutex<Vec<Arc<Standing>>>,
    epoch: Instant,
}

impl Default for Open {
    fn default() -> Self {
        Open { connections: Mutex::new(Vec::new()), epoch: Instant::now() }
    }
}

impl Open {
    fn add(&self) -> Arc<Standing> {
        let standing = Arc::new(Standing::new(self.epoch));
        self.connections.lock().unwrap_or_else(PoisonError::into_inner).push(Arc::clone(&standing));
        standing
    }

    fn remove(&self, standing: &Arc<Standing>) {
        let mut connections = self.connections.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(index) = connections.iter().position(|open| Arc::ptr_eq(open, standing)) {
            connections.swap_remove(index);
        }
    }

    /// Evicts the connection that has waited longest for a request head: marks
    /// it, takes it off the list so no other arrival picks it, and tells it to
    /// close. Its slot comes through the receiver once it has. `None` when
    /// every connection is busy.
    fn evict_longest_waiting(&self) -> Option<oneshot::Receiver<OwnedSemaphorePermit>> {
        let mut connections = self.connections.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            let (state, index) = connections
                .iter()
                .enumerate()
                .filter_map(|(index, standing)| {
                    let state = standing.state.load(Ordering::Acquire);
                    (state != BUSY && state != EVICTED).then_some((state, index))
                })
                .min()?;
            let standing = &connections[index];
            // A request may have begun since the scan: then try the next one.
            if standing.state.compare_exchange(state, EVICTED, Ordering::AcqRel, Ordering::Acquire).is_err() {
                continue;
            }
            let (handed_over, receiver) = oneshot::channel();
            *standing.handoff.lock().unwrap_or_else(PoisonError::into_inner) = Some(handed_over);
            let standing = connections.swap_remove(index);
            standing.evicted.notify_one();
            return Some(receiver);
        }
    }
}

/// A connection busy with a request.
const BUSY: u64 = 0;
/// A connection told to close for a new one.
const EVICTED: u64 = u64::MAX;

/// Where a connection stands, in one word so that eviction and a request
/// beginning cannot both win: `BUSY`, `EVICTED`, or waiting for a request
/// head since that many nanoseconds after the epoch, plus one.
struct Standing {
    state: AtomicU64,
    epoch: Instant,
    evicted: Notify,
    /// Where an evicted connection's slot goes.
    handoff: Mutex<Option<oneshot::Sender<OwnedSemaphorePermit>>>,
}

impl Standing {
    fn new(epoch: Instant) -> Self {
        let standing =
            Standing { state: AtomicU64::new(BUSY), epoch, evicted: Notify::new(), handoff: Mutex::new(None) };
        standing.wait();
        standing
    }

    /// Marks the connection waiting for a request head from now.
    fn wait(&self) {
        let since = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(EVICTED - 1);
        let _ = self.state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| {
            (state != EVICTED).then_some(since.saturating_add(1).min(EVICTED - 1))
        });
    }

    fn is_waiting(&self) -> bool {
        self.state.load(Ordering::Acquire) != BUSY
    }

    /// Gives the slot to the connection this one was evicted for, if any.
    fn hand_over(&self, slot: OwnedSemaphorePermit) {
        if let Some(handed_over) = self.handoff.lock().unwrap_or_else(PoisonError::into_inner).take() {
            // A new connection that is gone lets the slot go back to the pool.
            let _ = handed_over.send(slot);
        }
    }
}

/// Marks the connection waiting again when dropped: with the response body,
/// once it is sent, or with the request, if it is abandoned.
struct WaitingAgain(Arc<Standing>);

impl Drop for WaitingAgain {
    fn drop(&mut self) {
        self.0.wait();
    }
}

/// The app, marking the connection busy from request head to response end.
struct Tracked<S> {
    inner: S,
    standing: Arc<Standing>,
}

impl<S, B> hyper::service::Service<Request<Incoming>> for Tracked<S>
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>>,
{
    type Response = Response<Tracking<B>>;
    type Error = S::Error;
    type Future = TrackedFuture<S::Future>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        // Busy, even if just evicted: the eviction then lets the request finish.
        self.standing.state.store(BUSY, Ordering::Release);
        let waiting_again = WaitingAgain(Arc::clone(&self.standing));
        TrackedFuture { response: self.inner.call(request), waiting_again: Some(waiting_again) }
    }
}

pin_project_lite::pin_project! {
    /// The app's response future, its body then carrying the mark; named
    /// rather than boxed, so tracking allocates nothing per request.
    struct TrackedFuture<F> {
        #[pin]
        response: F,
        waiting_again: Option<WaitingAgain>,
    }
}

impl<F, B, E> Future for TrackedFuture<F>
where
    F: Future<Output = Result<Response<B>, E>>,
{
    type Output = Result<Response<Tracking<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let response = std::task::ready!(this.response.poll(cx))?;
        // Moved to the body, which marks the connection once sent.
        let waiting_again = this.waiting_again.take();
        Poll::Ready(Ok(response.map(|body| Tracking { body, _waiting_again: waiting_again })))
    }
}

/// A response body that marks its connection waiting again once sent.
struct Tracking<B> {
    body: B,
    _waiting_again: Option<WaitingAgain>,
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
