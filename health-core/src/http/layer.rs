//! The endpoints as a tower `Layer` in front of any service.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{Either, Full};
use tower_service::Service;

use crate::HealthReport;

use super::HealthService;

/// Answers the health endpoints in front of another service, which gets every
/// other request: `tower::ServiceBuilder::new().layer(HealthLayer::new(health))`
/// or axum's `Router::layer`.
pub struct HealthLayer<H: HealthReport>
where
    H::State: Sized,
{
    health: HealthService<H>,
}

impl<H: HealthReport> HealthLayer<H>
where
    H::State: Sized,
{
    /// A layer answering `health`'s endpoints.
    pub fn new(health: HealthService<H>) -> Self {
        HealthLayer { health }
    }
}

impl<H: HealthReport> Clone for HealthLayer<H>
where
    H::State: Sized,
{
    fn clone(&self) -> Self {
        HealthLayer { health: self.health.clone() }
    }
}

impl<H: HealthReport, S> tower_layer::Layer<S> for HealthLayer<H>
where
    H::State: Sized,
{
    type Service = WithHealth<H, S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithHealth { health: self.health.clone(), inner }
    }
}

/// A service behind a [`HealthLayer`].
pub struct WithHealth<H: HealthReport, S>
where
    H::State: Sized,
{
    health: HealthService<H>,
    inner: S,
}

impl<H: HealthReport, S: Clone> Clone for WithHealth<H, S>
where
    H::State: Sized,
{
    fn clone(&self) -> Self {
        WithHealth { health: self.health.clone(), inner: self.inner.clone() }
    }
}

impl<H, S, B, Body> Service<Request<B>> for WithHealth<H, S>
where
    H: HealthReport + 'static,
    H::State: Sized + Send + Sync + 'static,
    H::Components: 'static,
    S: Service<Request<B>, Response = Response<Body>>,
{
    type Response = Response<Either<Full<Bytes>, Body>>;
    type Error = S::Error;
    type Future = Routed<<HealthService<H> as Service<Request<B>>>::Future, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let route = if self.health.serves(request.uri().path()) {
            Route::Health { future: self.health.call(request) }
        } else {
            Route::Inner { future: self.inner.call(request) }
        };
        Routed { route }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`WithHealth`].
    pub struct Routed<H, I> {
        #[pin]
        route: Route<H, I>,
    }
}

pin_project_lite::pin_project! {
    #[project = RouteProj]
    enum Route<H, I> {
        Health { #[pin] future: H },
        Inner { #[pin] future: I },
    }
}

impl<H, I, Body, E> Future for Routed<H, I>
where
    H: Future<Output = Result<Response<Full<Bytes>>, Infallible>>,
    I: Future<Output = Result<Response<Body>, E>>,
{
    type Output = Result<Response<Either<Full<Bytes>, Body>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project().route.project() {
            RouteProj::Health { future } => {
                let Ok(response) = ready!(future.poll(cx));
                Poll::Ready(Ok(response.map(Either::Left)))
            }
            RouteProj::Inner { future } => Poll::Ready(ready!(future.poll(cx)).map(|r| r.map(Either::Right))),
        }
    }
}
