//! The axum side: a `Router` of the endpoints, and serving with graceful shutdown.

use std::time::Duration;

use crate::HealthReport;

use super::{HealthService, ShutdownHandle};

impl<H> HealthService<H>
where
    H: HealthReport + 'static,
    H::State: Sized + Send + Sync + 'static,
    H::Components: 'static,
{
    /// An axum `Router` with the endpoints at the base path. Merge it into the
    /// application's router, or nest it under a prefix.
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
        let all_below = format!("{}/{{*rest}}", self.base_path());
        ::axum::Router::new().route_service(self.base_path(), self.clone()).route_service(&all_below, self.clone())
    }
}

/// Serves `app` until SIGTERM, Ctrl-C or [`ShutdownHandle::begin_shutdown`]; then
/// makes readiness DOWN at once, keeps serving for `drain` so load balancers
/// notice, and stops gracefully, letting in-flight requests finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: ::axum::Router,
    shutdown: ShutdownHandle,
    drain: Duration,
) -> std::io::Result<()> {
    let on_signal = shutdown.clone();
    let watcher = tokio::spawn(async move {
        termination_signal().await;
        on_signal.begin_shutdown();
    });
    let draining = shutdown.clone();
    let result = ::axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            draining.shutdown_begun().await;
            tracing::info!(drain_ms = drain.as_millis() as u64, "shutting down: readiness is DOWN, draining");
            tokio::time::sleep(drain).await;
        })
        .await;
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
        let ctrl_c = std::pin::pin!(ctrl_c);
        let terminate = std::pin::pin!(terminate);
        first_of(ctrl_c, terminate).await;
    }
    #[cfg(not(unix))]
    ctrl_c.await;
}

/// Completes when either future does.
#[cfg(unix)]
async fn first_of(
    mut a: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
    mut b: std::pin::Pin<&mut impl std::future::Future<Output = ()>>,
) {
    std::future::poll_fn(|cx| {
        if a.as_mut().poll(cx).is_ready() || b.as_mut().poll(cx).is_ready() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await
}
