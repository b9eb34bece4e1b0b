//! The response future of [`HealthService`](super::HealthService).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::Response;
use http_body_util::Full;

/// The response future of [`HealthService`](super::HealthService): ready at
/// once for answers that need no run of the checks (a background snapshot,
/// a subject drained while shutting down, a refused request), which allocate nothing
/// for it; a run of the checks otherwise.
pub struct ResponseFuture {
    kind: Kind,
}

enum Kind {
    Ready(Response<Full<Bytes>>),
    Running(Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>),
    /// The response was given.
    Done,
}

impl ResponseFuture {
    pub(super) fn ready(response: Response<Full<Bytes>>) -> Self {
        ResponseFuture { kind: Kind::Ready(response) }
    }

    pub(super) fn running(future: impl Future<Output = Response<Full<Bytes>>> + Send + 'static) -> Self {
        ResponseFuture { kind: Kind::Running(Box::pin(future)) }
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response<Full<Bytes>>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
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
        Poll::Ready(Ok(response))
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Ready(_) => "ready",
            Kind::Running(_) => "running the checks",
            Kind::Done => "done",
        };
        f.debug_struct("ResponseFuture").field("kind", &kind).finish()
    }
}
