//! Serving an axum app until the process is told to stop, draining first.

use std::future::IntoFuture;
use std::time::Duration;

use crate::monitor::ShutdownHandle;
use crate::race::{First, race};
use crate::signal::termination_signal;

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
