//! The response future of [`HealthService`](super::HealthService) as a tower
//! `Service`: an [`Answer`] turned into an `http` response.

use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{Response, StatusCode};
use http_body_util::Full;

use super::{Answer, HealthResponse};

/// The response future of [`HealthService`](super::HealthService): its
/// [`Answer`], as an `http` response.
pub struct ResponseFuture {
    answer: Answer,
}

impl ResponseFuture {
    pub(super) fn new(answer: Answer) -> Self {
        ResponseFuture { answer }
    }
}

impl Future for ResponseFuture {
    type Output = Result<Response<Full<Bytes>>, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let answer = ready!(Pin::new(&mut self.answer).poll(cx));
        Poll::Ready(Ok(to_http(answer)))
    }
}

/// `answer` as an `http` response: the headers are static strings, and the
/// age a number, so nothing is parsed or allocated but the header map.
pub(super) fn to_http(answer: HealthResponse) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let age = answer.age();
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in answer.headers() {
        headers.insert(header_name(name), HeaderValue::from_static(value));
    }
    if let Some(age) = age {
        let value = answer.static_age().map_or_else(|| HeaderValue::from(age), HeaderValue::from_static);
        headers.insert(http::header::AGE, value);
    }
    *response.body_mut() = Full::new(answer.into_body());
    response
}

/// The `http` crate's constant for the names answers use, without parsing.
fn header_name(name: &'static str) -> HeaderName {
    use http::header;
    match name {
        "content-type" => header::CONTENT_TYPE,
        "cache-control" => header::CACHE_CONTROL,
        "allow" => header::ALLOW,
        "www-authenticate" => header::WWW_AUTHENTICATE,
        "x-content-type-options" => header::X_CONTENT_TYPE_OPTIONS,
        other => HeaderName::from_static(other),
    }
}

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").field("answer", &self.answer).finish()
    }
}
