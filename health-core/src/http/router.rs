//! The endpoints, and their OpenAPI document, as an axum `Router`.

use super::HealthService;
use crate::ReportSource;

impl<R: ReportSource> HealthService<R> {
    /// An axum `Router` with the endpoints at the base path, and the OpenAPI
    /// document if it has a path. Merge it into the application's router. It
    /// can be nested under a prefix, but the OpenAPI document and probe
    /// manifests describe paths from the base path: to serve under a prefix,
    /// put it in the base path instead.
    ///
    /// ```
    /// use health_core::http::HealthService;
    /// use health_core::{health_check, HealthReport};
    /// use health_core::monitor::Monitor;
    ///
    /// #[health_check]
    /// async fn ping() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { ping: PingCheck }
    ///
    /// # fn main() -> Result<(), health_core::http::ConfigError> {
    /// let health = HealthService::builder(Monitor::new(Health::default(), ())).build()?;
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
        // The document is answered by the service too.
        match &self.inner.openapi.path {
            Some(path) => router.route(path, every_method()),
            None => router,
        }
    }
}
