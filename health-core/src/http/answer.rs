//! The answer of [`HealthService::respond`](super::HealthService::respond):
//! ready at once, or once the checks have run.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use super::HealthResponse;

/// The answer to a [`HealthRequest`](super::HealthRequest), as a future:
/// ready at once for answers that need no run of the checks (a background
/// snapshot, a subject drained while shutting down, a refused request, the
/// OpenAPI document, the status page), which allocate nothing for it; a run
/// of the checks otherwise. [`into_ready`](Self::into_ready) takes a ready
/// answer without polling.
#[must_use = "an answer does nothing unless polled"]
pub struct Answer {
    kind: Kind,
}

enum Kind {
    Ready(HealthResponse),
    Running(Pin<Box<dyn Future<Output = HealthResponse> + Send>>),
    /// The response was given.
    Done,
}

impl Answer {
    pub(crate) fn ready(response: HealthResponse) -> Self {
        Answer { kind: Kind::Ready(response) }
    }

    pub(crate) fn running(future: impl Future<Output = HealthResponse> + Send + 'static) -> Self {
        Answer { kind: Kind::Running(Box::pin(future)) }
    }

    /// The response, if it is ready without running anything; else the
    /// answer back, to await.
    pub fn into_ready(self) -> Result<HealthResponse, Answer> {
        match self.kind {
            Kind::Ready(response) => Ok(response),
            kind => Err(Answer { kind }),
        }
    }
}

impl Future for Answer {
    type Output = HealthResponse;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<HealthResponse> {
        let response = match &mut self.kind {
            Kind::Running(future) => ready!(future.as_mut().poll(cx)),
            Kind::Ready(_) => match std::mem::replace(&mut self.kind, Kind::Done) {
                Kind::Ready(response) => response,
                _ => return Poll::Pending,
            },
            // Polled again after completing, it stays pending rather than panic.
            Kind::Done => return Poll::Pending,
        };
        self.kind = Kind::Done;
        Poll::Ready(response)
    }
}

impl fmt::Debug for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Ready(_) => "ready",
            Kind::Running(_) => "running the checks",
            Kind::Done => "done",
        };
        f.debug_struct("Answer").field("kind", &kind).finish()
    }
}
