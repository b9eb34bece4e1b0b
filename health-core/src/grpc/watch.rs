//! The stream a `Watch` call answers with.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio_stream::wrappers::WatchStream as Latest;

use super::ServingStatus;
use super::pb::HealthCheckResponse;
use super::pb::health_check_response::ServingStatus as Wire;
use crate::Status;
use crate::monitor::{ShutdownHandle, StatusMap, StatusWatch};

type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The serving status of one name, sent at once and then on each change,
/// and only on changes: the answer to `Watch`, from
/// [`GrpcHealthService`](super::GrpcHealthService).
///
/// It follows the monitor's tracked statuses (no polling, no run of its own),
/// turns `NOT_SERVING` when shutdown begins if the monitor drains its name, and
/// ends when the service stops its watches. An unknown name gets
/// `SERVICE_UNKNOWN` and the stream stays open, as the protocol asks.
pub struct WatchStream {
    /// The subject's tracked status; none for an unknown name.
    latest: Option<Latest<Option<Status>>>,
    /// The latest status received.
    status: Option<Status>,
    statuses: StatusMap<ServingStatus>,
    /// Whether it turns DOWN while the process drains (the monitor's rule).
    drains: bool,
    /// Wakes the stream when shutdown begins; `None` once it has.
    shutdown: Option<Signal>,
    /// Whether shutdown has begun: read, not only awaited, since the watches
    /// may be stopped before the wake-up of shutdown arrives.
    handle: Option<ShutdownHandle>,
    /// Completes when the service stops its watches.
    stopped: Signal,
    sent: Option<Wire>,
    /// The stream has ended.
    done: bool,
}

impl WatchStream {
    pub(crate) fn new(
        status: StatusWatch,
        statuses: StatusMap<ServingStatus>,
        drains: bool,
        handle: ShutdownHandle,
        stopped: Signal,
    ) -> Self {
        let begun = handle.clone();
        WatchStream {
            latest: Some(Latest::new(status.into_receiver())),
            status: None,
            statuses,
            drains,
            shutdown: Some(Box::pin(async move { begun.shutdown_begun().await })),
            handle: Some(handle),
            stopped,
            sent: None,
            done: false,
        }
    }

    pub(crate) fn unknown(stopped: Signal) -> Self {
        WatchStream {
            latest: None,
            status: None,
            statuses: StatusMap::default(),
            drains: false,
            shutdown: None,
            handle: None,
            stopped,
            sent: None,
            done: false,
        }
    }

    /// What the caller should be told now; `None` until the subject has a status.
    fn current(&self) -> Option<Wire> {
        if self.latest.is_none() {
            return Some(Wire::ServiceUnknown);
        }
        if self.drains && self.handle.as_ref().is_some_and(ShutdownHandle::is_shutting_down) {
            return Some(self.statuses.of(Status::Down).into());
        }
        Some(self.statuses.of(self.status?).into())
    }
}

impl Stream for WatchStream {
    type Item = Result<HealthCheckResponse, tonic::Status>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        if let Some(shutdown) = &mut this.shutdown
            && shutdown.as_mut().poll(cx).is_ready()
        {
            this.shutdown = None;
        }
        if let Some(latest) = &mut this.latest {
            // The receiver gives the current status first, then the latest on
            // each change; a dropped monitor leaves the last one standing.
            while let Poll::Ready(Some(status)) = Pin::new(&mut *latest).poll_next(cx) {
                this.status = status;
            }
        }
        if let Some(now) = this.current()
            && this.sent != Some(now)
        {
            this.sent = Some(now);
            return Poll::Ready(Some(Ok(HealthCheckResponse { status: now.into() })));
        }
        // Only once the latest status has been sent.
        match this.stopped.as_mut().poll(cx) {
            Poll::Ready(()) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl fmt::Debug for WatchStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WatchStream")
            .field("status", &self.status)
            .field("unknown", &self.latest.is_none())
            .field("draining", &self.handle.as_ref().is_some_and(ShutdownHandle::is_shutting_down))
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}
