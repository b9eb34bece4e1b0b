//! Serving an axum app until the process is told to stop, draining first,
//! with the limits that keep slow and abusive clients from exhausting it.

use std::pin::pin;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

use super::ServeOptions;
use super::connections::Connections;
use crate::monitor::ShutdownHandle;
use crate::race::{First, race};
use crate::signal::termination_signal;

/// How long in-flight requests may take to finish once the drain delay is over.
pub const GRACE: Duration = Duration::from_secs(10);

/// Serves `app` until SIGTERM, Ctrl-C or [`ShutdownHandle::begin_shutdown`]; then
/// makes readiness DOWN at once, keeps serving for `drain` so load balancers
/// notice, and stops gracefully: in-flight requests get up to [`GRACE`] more
/// to finish. A second signal stops at once. Connections are limited as
/// [`ServeOptions::default`] says; see [`serve_with`].
pub async fn serve(
    listener: TcpListener,
    app: ::axum::Router,
    shutdown: ShutdownHandle,
    drain: Duration,
) -> std::io::Result<()> {
    serve_with(listener, app, shutdown, drain, ServeOptions::default()).await
}

/// [`serve`], with the connection limits of `options`: a header-read timeout
/// and a cap on concurrent connections.
pub async fn serve_with(
    listener: TcpListener,
    app: ::axum::Router,
    shutdown: ShutdownHandle,
    drain: Duration,
    options: ServeOptions,
) -> std::io::Result<()> {
    let on_signal = shutdown.clone();
    let (insist, insisted) = oneshot::channel::<()>();
    let watcher = tokio::spawn(async move {
        termination_signal().await;
        on_signal.begin_shutdown();
        // Tokio keeps the signal handled: a second one is the operator insisting.
        termination_signal().await;
        let _ = insist.send(());
    });
    let mut insisted = pin!(insisted);
    // Dropping `stop` tells every connection to finish its request and close;
    // each holds a `done` receiver, so `closed` resolves when all are gone.
    let (stop, stopping) = watch::channel(());
    let (done, finished) = watch::channel(());
    let connections = Connections::new(&options);
    let drained = async {
        shutdown.shutdown_begun().await;
        tracing::info!(drain_ms = drain.as_millis() as u64, "shutting down: readiness is DOWN, draining");
        tokio::time::sleep(drain).await;
    };
    let mut drained = pin!(drained);
    loop {
        let accepted = match race(listener.accept(), race(drained.as_mut(), insisted.as_mut())).await {
            First::Left(accepted) => accepted,
            First::Right(First::Left(())) => break,
            First::Right(First::Right(_)) => return stop_now(watcher),
        };
        match accepted {
            Ok((stream, _)) => connections.serve(stream, &app, stopping.clone(), finished.clone()),
            // Out of file descriptors, say: accepting again at once would spin.
            Err(error) => {
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
    drop((listener, stop, finished));
    match race(done.closed(), race(tokio::time::sleep(GRACE), insisted)).await {
        First::Left(()) => {
            watcher.abort();
            Ok(())
        }
        First::Right(_) => stop_now(watcher),
    }
}

fn stop_now(watcher: tokio::task::JoinHandle<()>) -> std::io::Result<()> {
    tracing::warn!("stopping without waiting for in-flight requests");
    watcher.abort();
    Ok(())
}
