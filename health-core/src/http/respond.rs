//! The framework-neutral core of the endpoints: a [`HealthRequest`] in, an
//! [`Answer`] out. Routing, negotiation, visibility, rendering, the OpenAPI
//! document and the status page all happen here; the tower `Service`, the
//! `Layer` and the axum `Router` only translate requests and responses.

use std::sync::Arc;

use bytes::Bytes;

use super::endpoints::Inner;
use super::{Answer, HealthRequest, HealthResponse, HealthService, RequestError, negotiate};
use crate::ReportSource;

impl<R: ReportSource> HealthService<R> {
    /// The answer to `request`, for any HTTP framework: ready at once when
    /// no check needs to run ([`Answer::into_ready`]), else a future that
    /// runs them. Requests outside [`serves`](Self::serves) get 404.
    ///
    /// ```
    /// use health_core::http::{HealthService, HealthRequest};
    /// use health_core::{health_check, HealthReport};
    /// use health_core::monitor::Monitor;
    ///
    /// #[health_check]
    /// async fn ping() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { ping: PingCheck }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), health_core::http::ConfigError> {
    /// let health = HealthService::builder(Monitor::new(Health::default(), ())).build()?;
    /// let refused = health.respond(&HealthRequest::new("POST", "/health")).into_ready().unwrap();
    /// assert_eq!(refused.status(), 405);
    /// let ready = health.respond(&HealthRequest::new("GET", "/health/ready")).await;
    /// assert_eq!(ready.status(), 200);
    /// # Ok(()) }
    /// ```
    pub fn respond(&self, request: &HealthRequest<'_>) -> Answer {
        respond(&self.inner, request)
    }
}

/// [`HealthService::respond`].
pub(super) fn respond<R: ReportSource>(inner: &Arc<Inner<R>>, request: &HealthRequest<'_>) -> Answer {
    if inner.openapi.path.as_deref() == Some(request.path()) {
        // Made once, on the first request for it.
        let document = inner
            .openapi_document
            .get_or_init(|| Bytes::from(HealthService { inner: Arc::clone(inner) }.openapi().to_string()));
        return Answer::ready(document_response(request, document));
    }
    #[cfg(feature = "ui")]
    if let Some(answer) = inner.page_request(request) {
        return answer;
    }
    let asked = match inner.ask(request) {
        Ok(asked) => asked,
        Err(error) => return Answer::ready(HealthResponse::error(&error)),
    };
    if let Some(reading) = inner.monitor.read_at_hand(asked.route.target, asked.exclude) {
        return Answer::ready(inner.answer(&asked, &reading));
    }
    let inner = Arc::clone(inner);
    Answer::running(async move {
        let reading = inner.monitor.read_target(asked.route.target, asked.exclude).await;
        inner.answer(&asked, &reading)
    })
}

/// The OpenAPI document, in JSON, to a `GET` or `HEAD` whose `Accept` header
/// admits it.
fn document_response(request: &HealthRequest<'_>, document: &Bytes) -> HealthResponse {
    if !request.is_read() {
        return HealthResponse::error(&RequestError::MethodNotAllowed);
    }
    match negotiate::json_only(request.accept_header()) {
        Ok(_) => HealthResponse::document("application/json", &[], document.clone()),
        Err(error) => HealthResponse::error(&error),
    }
}
