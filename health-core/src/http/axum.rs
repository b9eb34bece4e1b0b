//! The axum side: a `Router` of the endpoints, and serving with graceful shutdown.

use std::time::Duration;

use crate::HealthReport;

use std::future::IntoFuture;

use super::race::{First, race};
use super::{HealthService, ShutdownHandle};

impl<H> HealthService<H>
where
    H: HealthReport + 'static,
    H::State: Sized + Send + Sync + 'static,
    H::Components: 'static,
{
    /// An axum `Router` with the endpoints at the base path. Merge it into the
    /// application's router. It can be nested under a prefix, but the OpenAPI
    /// document and probe manifests describe paths from the base path: to
    /// serve under a prefix, put it in the base path instead.
    ///
    /// ```
    /// use health_core::http::HealthEndpoints;
    /// use health_core::{health_check, HealthReport};
    ///
    /// #[health_check]
    /// async fn ping() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { ping: PingCheck }
    ///
    /// # fn main() -> Result<(), health_core::http::ConfigError> {
    /// let health = HealthEndpoints::new(Health::default(), ()).build()?;
    /// let app: axum::Router = axum::Router::new().nest("/internal", health.router());
    /// # let _ = app; Ok(()) }
    /// ```
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> ::axum::Router<S> {
        let base = self.base_path();
        // `{*rest}` matches no empty rest: `/health/` gets a route of its own,
        // so that every path below the base path is answered by the service.
        let router = ::axum::Router::new()
            .route_service(base, self.clone())
            .route_service(&format!("{base}/"), self.clone())
            .route_service(&format!("{base}/{{*rest}}"), self.clone());
        match &self.inner.openapi_path {
            Some(path) => {
                let document = bytes::Bytes::from(self.openapi().to_string());
                let content_type = [(http::header::CONTENT_TYPE, "application/json")];
                router.route(path, ::axum::routing::get(move || async move { (content_type, document) }))
            }
            None => router,
        }
    }
}

/// How long in-flight requests may take to finish once the drain delay is over.
pub const GRACE: Duration = Duration::from_secs(10);

/// Serves `app` until SIGTERM, Ctrl-C or [`ShutdownHandle::begin_shutdown`]; then
/// makes readiness DOWN at once, keeps serving for `drain` so load balancers
/// notice, and stops gracefully: in-flight requests get up to [`GRACE`] more
/// to finish. A second signal stops at once.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: ::axum::Router,
    shutdown: ShutdownHandle,
    drain: Duration,
) -> std::io::Result<()> {
    let on_signal = shutdown.clone();
    let (insist, insisted) = tokio::sync::oneshot::channel::<()>();
    let watcher = tokio::spawn(async move {
        termination_signal().await;
        on_signal.begin_shutdown();
        // Tokio keeps the signal handled: a second one is the operator insisting.
        termination_signal().await;
        let _ = insist.send(());
    });
    let draining = shutdown.clone();
    let server = ::axum::serve(listener, app).with_graceful_shutdown(async move {
        draining.shutdown_begun().await;
        tracing::info!(drain_ms = drain.as_millis() as u64, "shutting down: readiness is DOWN, draining");
        tokio::time::sleep(drain).await;
    });
    let deadline = async {
        shutdown.shutdown_begun().await;
        // Whichever comes first: the grace period running out, or a second signal.
        race(tokio::time::sleep(drain + GRACE), insisted).await;
    };
    let result = match race(server.into_future(), deadline).await {
        First::Left(result) => result,
        First::Right(()) => {
            tracing::warn!("stopping without waiting for in-flight requests");
            Ok(())
        }
    };
    watcher.abort();
    result
}

/// Completes on SIGTERM or Ctrl-C (on Unix), or Ctrl-C (elsewhere). A signal
/// that cannot be listened to is logged and ignored.
pub async fn termination_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let terminate = async {
            match signal(SignalKind::terminate()) {
                Ok(mut terminate) => {
                    terminate.recv().await;
                }
                Err(error) => {
                    tracing::warn!(%error, "cannot listen for SIGTERM");
                    std::future::pending::<()>().await;
                }
            }
        };
        race(ctrl_c, terminate).await;
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}
