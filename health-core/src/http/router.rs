//! The endpoints, and their OpenAPI document, as an axum `Router`.

use bytes::Bytes;
use http::Response;
use http::header::{self, HeaderMap, HeaderValue};
use http_body_util::Full;

use super::dispatch::accept;
use super::negotiate;
use super::{HealthService, response};
use crate::ReportSource;

impl<R: ReportSource> HealthService<R> {
    /// An axum `Router` with the endpoints at the base path, and the OpenAPI
    /// document if it has a path. Merge it into the application's router. It
    /// can be nested under a prefix, but the OpenAPI document and probe
    /// manifests describe paths from the base path: to serve under a prefix,
    /// put it in the base path instead.
    ///
    /// ```
    /// use health_core::http::HealthEndpoints;
    /// use health_core::{health_check, HealthReport, Monitor};
    ///
    /// #[health_check]
    /// async fn ping() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { ping: PingCheck }
    ///
    /// # fn main() -> Result<(), health_core::http::ConfigError> {
    /// let health = HealthEndpoints::new(Monitor::new(Health::default(), ())).build()?;
    /// let app: axum::Router = axum::Router::new().nest("/internal", health.router());
    /// # let _ = app; Ok(()) }
    /// ```
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> ::axum::Router<S> {
        let base = self.base_path();
        // `{*rest}` matches no empty rest: `/health/` gets a route of its own,
        // so that every path below the base path is answered by the service.
        // As method routers: merged into an application's router they stay
        // one layer, where `route_service` routes gain one per merge.
        let every_method = || ::axum::routing::any_service(self.clone());
        let router = ::axum::Router::new()
            .route(base, every_method())
            .route(&format!("{base}/"), every_method())
            .route(&format!("{base}/{{*rest}}"), every_method());
        match &self.inner.openapi.path {
            Some(path) => {
                let document = Bytes::from(self.openapi().to_string());
                let serve = move |headers: HeaderMap| {
                    let document = document.clone();
                    async move { document_response(&headers, document) }
                };
                router.route(path, ::axum::routing::get(serve))
            }
            None => router,
        }
    }
}

/// The document, in JSON, to requests whose `Accept` header admits it.
fn document_response(headers: &HeaderMap, document: Bytes) -> Response<Full<Bytes>> {
    match negotiate::json_only(accept(headers).as_deref()) {
        Ok(_) => {
            let mut response = Response::new(Full::new(document));
            response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        Err(error) => response::error(&error),
    }
}
