//! The endpoints as a tower `Layer` in front of any service.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{Either, Full};
use tower_service::Service;

use crate::ReportSource;

use super::HealthService;

/// Answers the health endpoints in front of another service, which gets every
/// other request: `tower::ServiceBuilder::new().layer(HealthLayer::new(health))`
/// or axum's `Router::layer`.
pub struct HealthLayer<R: ReportSource> {
    health: HealthService<R>,
}

impl<R: ReportSource> HealthLayer<R> {
    /// A layer answering `health`'s endpoints.
    pub fn new(health: HealthService<R>) -> Self {
        HealthLayer { health }
    }
}

impl<R: ReportSource> Clone for HealthLayer<R> {
    fn clone(&self) -> Self {
        HealthLayer { health: self.health.clone() }
    }
}

impl<R: ReportSource, S> tower_layer::Layer<S> for HealthLayer<R> {
    type Service = WithHealth<R, S>;

    fn layer(&self, inner: S) -> Self::Service {
        WithHealth { health: self.health.clone(), inner }
    }
}

/// A service behind a [`HealthLayer`].
pub struct WithHealth<R: ReportSource, S> {
    health: HealthService<R>,
    inner: S,
}

impl<R: ReportSource, S: Clone> Clone for WithHealth<R, S> {
    fn clone(&self) -> Self {
        WithHealth { health: self.health.clone(), inner: self.inner.clone() }
    }
}

impl<R, S, B, Body> Service<Request<B>> for WithHealth<R, S>
where
    R: ReportSource,
    S: Service<Request<B>, Response = Response<Body>> + Clone,
{
    type Response = Response<Either<Full<Bytes>, Body>>;
    type Error = S::Error;
    type Future = Routed<<HealthService<R> as Service<Request<B>>>::Future, S, Request<B>>;

    /// Always ready: the wrapped service's readiness is awaited in the response
    /// future, only by requests it serves, so health keeps answering while the
    /// application is saturated (a liveness probe must not fail then).
    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let route = if self.health.serves(request.uri().path()) {
            Route::Health { future: self.health.call(request) }
        } else {
            // The clone stays for the next call; this request takes the service
            // it will drive to readiness.
            let clone = self.inner.clone();
            Route::Waiting { service: std::mem::replace(&mut self.inner, clone), request: Some(request) }
        };
        Routed { route }
    }
}

pin_project_lite::pin_project! {
    /// The response future of [`WithHealth`].
    pub struct Routed<F, S, R> where S: Service<R> {
        #[pin]
        route: Route<F, S, R>,
    }
}

pin_project_lite::pin_project! {
    #[project = RouteProj]
    enum Route<F, S, R> where S: Service<R> {
        Health { #[pin] future: F },
        Waiting { service: S, request: Option<R> },
        Inner { #[pin] future: S::Future },
    }
}

impl<F, S, B, Body> Future for Routed<F, S, Request<B>>
where
    F: Future<Output = Result<Response<Full<Bytes>>, Infallible>>,
    S: Service<Request<B>, Response = Response<Body>>,
{
    type Output = Result<Response<Either<Full<Bytes>, Body>>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut route = self.project().route;
        loop {
            match route.as_mut().project() {
                RouteProj::Health { future } => {
                    let Ok(response) = ready!(future.poll(cx));
                    return Poll::Ready(Ok(response.map(Either::Left)));
                }
                RouteProj::Waiting { service, request } => {
                    ready!(service.poll_ready(cx))?;
                    let Some(request) = request.take() else {
                        unreachable!("a waiting route holds its request until the service is ready")
                    };
                    let future = service.call(request);
                    route.set(Route::Inner { future });
                }
                RouteProj::Inner { future } => {
                    return Poll::Ready(ready!(future.poll(cx)).map(|response| response.map(Either::Right)));
                }
            }
        }
    }
}

impl<R: ReportSource> fmt::Debug for HealthLayer<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthLayer").field("health", &self.health).finish()
    }
}

impl<R: ReportSource, S: fmt::Debug> fmt::Debug for WithHealth<R, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WithHealth").field("health", &self.health).field("inner", &self.inner).finish()
    }
}

impl<F, S: Service<R>, R> fmt::Debug for Routed<F, S, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Routed").finish_non_exhaustive()
    }
}
