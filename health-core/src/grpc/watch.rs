//! The stream a `Watch` call answers with.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio_stream::wrappers::WatchStream as Latest;

use super::ServingStatuses;
use super::pb::HealthCheckResponse;
use super::pb::health_check_response::ServingStatus as Wire;
use crate::Status;
use crate::monitor::{ShutdownHandle, StatusWatch};

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
    /// The members' latest statuses; none for an unknown name.
    members: Vec<Member>,
    unknown: bool,
    statuses: ServingStatuses,
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

/// One component, group or whole the watched name weighs.
struct Member {
    latest: Latest<Option<Status>>,
    status: Option<Status>,
    critical: bool,
}

impl WatchStream {
    pub(crate) fn new(
        members: impl IntoIterator<Item = (StatusWatch, bool)>,
        statuses: ServingStatuses,
        drains: bool,
        handle: ShutdownHandle,
        stopped: Signal,
    ) -> Self {
        let members = members
            .into_iter()
            .map(|(watch, critical)| Member { latest: Latest::new(watch.into_receiver()), status: None, critical })
            .collect();
        let begun = handle.clone();
        WatchStream {
            members,
            unknown: false,
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
            members: Vec::new(),
            unknown: true,
            statuses: ServingStatuses::default(),
            drains: false,
            shutdown: None,
            handle: None,
            stopped,
            sent: None,
            done: false,
        }
    }

    /// What the caller should be told now; `None` until every member has a status.
    fn current(&self) -> Option<Wire> {
        if self.unknown {
            return Some(Wire::ServiceUnknown);
        }
        if self.drains && self.handle.as_ref().is_some_and(ShutdownHandle::is_shutting_down) {
            return Some(self.statuses.of(Status::Down).into());
        }
        let status = self
            .members
            .iter()
            .try_fold(Status::Up, |total, member| Some(total.combine(member.status?, member.critical)))?;
        Some(self.statuses.of(status).into())
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
        for member in &mut this.members {
            // Each receiver gives its current status first, then the latest on
            // each change; a dropped monitor leaves the last one standing.
            while let Poll::Ready(Some(status)) = Pin::new(&mut member.latest).poll_next(cx) {
                member.status = status;
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
            .field("members", &self.members.len())
            .field("unknown", &self.unknown)
            .field("draining", &self.handle.as_ref().is_some_and(ShutdownHandle::is_shutting_down))
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}
