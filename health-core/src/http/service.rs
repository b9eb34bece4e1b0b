//! The tower `Service` answering the health endpoints.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;

use super::endpoint::Codes;
use super::future::ResponseFuture;
use super::openapi::OpenApiOptions;
use super::response;
use super::visibility::Access;
use crate::{Monitor, ReportSource};

/// The health endpoints as a tower `Service`; build it with
/// [`HealthEndpoints`](super::HealthEndpoints). Cloning is cheap: clones share
/// the monitor and the rendered bodies.
pub struct HealthService<R: ReportSource> {
    pub(super) inner: Arc<Inner<R>>,
}

/// The endpoints' configuration.
pub(super) struct Inner<R: ReportSource> {
    pub(super) monitor: Monitor<R>,
    pub(super) base_path: String,
    pub(super) codes: Codes,
    pub(super) access: Access,
    pub(super) openapi: OpenApiOptions,
    /// The status page, when turned on.
    #[cfg(feature = "ui")]
    pub(super) page: Option<super::StatusPage>,
}

impl<R: ReportSource> Clone for HealthService<R> {
    fn clone(&self) -> Self {
        HealthService { inner: Arc::clone(&self.inner) }
    }
}

impl<R: ReportSource> HealthService<R> {
    /// The monitor the endpoints read.
    pub fn monitor(&self) -> &Monitor<R> {
        &self.inner.monitor
    }

    /// The base path, such as `/health`.
    pub fn base_path(&self) -> &str {
        &self.inner.base_path
    }

    /// Where the status page is served, when it is turned on (feature `ui`).
    #[cfg(feature = "ui")]
    pub fn status_page_path(&self) -> Option<String> {
        let page = self.inner.page.as_ref()?;
        Some(format!("{}/{}", self.inner.base_path, page.segment))
    }

    /// Whether `path` is one of this service's: the base path or below it.
    pub fn serves(&self, path: &str) -> bool {
        path.strip_prefix(self.inner.base_path.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

impl<R: ReportSource> fmt::Debug for HealthService<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthService")
            .field("monitor", &self.inner.monitor)
            .field("base_path", &self.inner.base_path)
            .field("access", &self.inner.access)
            .finish_non_exhaustive()
    }
}

impl<R, B> tower_service::Service<Request<B>> for HealthService<R>
where
    R: ReportSource,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    /// HEAD answers are rendered like GET ones, so that `Content-Length`
    /// matches; the server leaves the body out.
    fn call(&mut self, request: Request<B>) -> Self::Future {
        #[cfg(feature = "ui")]
        if let Some(answer) = self.inner.page_request(&request) {
            return answer;
        }
        let asked = match self.inner.ask(&request) {
            Ok(asked) => asked,
            Err(error) => return ResponseFuture::ready(response::error(&error)),
        };
        let monitor = &self.inner.monitor;
        if let Some(reading) = monitor.read_at_hand(asked.route.target, asked.exclude) {
            return ResponseFuture::ready(self.inner.answer(&asked, &reading));
        }
        let inner = Arc::clone(&self.inner);
        ResponseFuture::running(async move {
            let reading = inner.monitor.read_target(asked.route.target, asked.exclude).await;
            inner.answer(&asked, &reading)
        })
    }
}
