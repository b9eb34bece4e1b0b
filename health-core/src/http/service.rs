//! The tower `Service` answering the health endpoints.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use std::borrow::Cow;

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response};
use http_body_util::Full;

use super::HealthRequest;
use super::endpoint::Codes;
use super::future::ResponseFuture;
use super::openapi::OpenApiOptions;
use super::respond::respond;
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
    /// The OpenAPI document served at its path, once asked for.
    pub(super) openapi_document: std::sync::OnceLock<Bytes>,
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

    /// Whether `path` is one of this service's: the base path or below it,
    /// or the OpenAPI document's path.
    pub fn serves(&self, path: &str) -> bool {
        path.strip_prefix(self.inner.base_path.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            || self.inner.openapi.path.as_deref() == Some(path)
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
        let accept = accept(request.headers());
        let asked = HealthRequest::new(request.method().as_str(), request.uri().path())
            .query(request.uri().query())
            .accept(accept)
            .authorization(request.headers().get(header::AUTHORIZATION).map(HeaderValue::as_bytes));
        ResponseFuture::new(respond(&self.inner, &asked))
    }
}

/// The `Accept` header: its one line, or every line joined with commas.
pub(super) fn accept(headers: &HeaderMap) -> Option<Cow<'_, [u8]>> {
    let mut values = headers.get_all(header::ACCEPT).iter();
    let first = values.next()?;
    let Some(second) = values.next() else { return Some(Cow::Borrowed(first.as_bytes())) };
    let mut list = first.as_bytes().to_vec();
    for value in std::iter::once(second).chain(values) {
        list.push(b',');
        list.extend_from_slice(value.as_bytes());
    }
    Some(Cow::Owned(list))
}
