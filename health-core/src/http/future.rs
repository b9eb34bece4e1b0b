//! The response future of [`HealthService`](super::HealthService).

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Response;
use http_body_util::Full;

/// The response future of [`HealthService`](super::HealthService): ready at
/// once for answers that need no run of the checks (a background snapshot,
/// readiness while shutting down, a refused request), which allocate nothing
/// for it; a run of the checks otherwise.
pub struct ResponseFuture {
    kind: Kind,
}

enum Kind {
    Ready(Option<Response<Full<Bytes>>>),
    Running(Pin<Box<dyn Future<Output = Response<Full<Bytes>>> + Send>>),
}

impl ResponseFuture {
    pub(super) fn ready(response: Response<Full<Bytes>>) -> Self {
        ResponseFuture { kind: Kind::Ready(Some(response)) }
    }

    pub(super) fn running(future: impl Future<Output = Response<Full<Bytes>>> + Send + 'static) -> Self {
        ResponseFuture { kind: Kind::Running(Box::pin(future)) }
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response<Full<Bytes>>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.kind {
            // Polled again after completing, it stays pending rather than panic.
            Kind::Ready(response) => response.take().map_or(Poll::Pending, |response| Poll::Ready(Ok(response))),
            Kind::Running(future) => future.as_mut().poll(cx).map(Ok),
        }
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            Kind::Ready(_) => "ready",
            Kind::Running(_) => "running the checks",
        };
        f.debug_struct("ResponseFuture").field("kind", &kind).finish()
    }
}
