//! The tower `Service` answering the health endpoints.

use std::borrow::Cow;
use std::convert::Infallible;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderValue};
use http::{Request, Response};
use http_body_util::Full;

use super::future::ResponseFuture;
use super::request::joined_lines;
use super::respond::respond;
use super::{HealthRequest, HealthService};
use crate::ReportSource;

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

/// The `Accept` header, its lines joined.
pub(super) fn accept(headers: &HeaderMap) -> Option<Cow<'_, [u8]>> {
    joined_lines(headers.get_all(header::ACCEPT).iter().map(HeaderValue::as_bytes))
}
