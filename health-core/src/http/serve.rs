//! Serving an axum app until the process is told to stop, draining first,
//! with the limits that keep slow and abusive clients from exhausting it.

use std::io;
use std::pin::pin;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

use super::ServeOptions;
use super::connections::Connections;
use crate::monitor::ShutdownHandle;
use crate::ops::signal::{Aborting, watch_signals};
use crate::race::{First, race};

/// How long to wait before accepting again when the process is out of file
/// descriptors or memory, or the error is unknown: accepting again at once
/// would spin.
const RETRY_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` until SIGTERM, Ctrl-C or [`ShutdownHandle::begin_shutdown`];
/// then drains at once (readiness, the whole and the groups but liveness turn
/// DOWN: see [`Monitor::begin_shutdown`](crate::monitor::Monitor::begin_shutdown)),
/// keeps serving for `drain` so load balancers notice, and stops gracefully:
/// in-flight requests get up to [`GRACE`](super::GRACE) more to finish. A second signal
/// stops at once. Connections are limited as [`ServeOptions::default`] says;
/// see [`serve_with`].
///
/// Each step is logged through `tracing` (the signal, the drain, the stop):
/// install a subscriber to see them; without one, shutdown is silent.
pub async fn serve(
    listener: TcpListener,
    app: ::axum::Router,
    shutdown: ShutdownHandle,
    drain: Duration,
) -> io::Result<()> {
    serve_with(listener, app, shutdown, drain, ServeOptions::default()).await
}

/// [`serve`], with the connection limits and the grace of `options`.
///
/// # Errors
///
/// An error of the listener that accepting again cannot mend: the listening
/// socket is no longer usable (closed, shut down, not a socket). The drain
/// does not begin: the caller decides (a service that serves on two ports
/// may begin it, so that the other drains too). Errors of one connection
/// (reset before it was accepted, or a network error passed on from it) are
/// not errors of the server; running out of file descriptors or memory, and
/// any other error, is waited out.
///
/// Every task it spawns (the signal watcher, each connection) ends when it
/// returns, or when its future is dropped: connections still open are closed.
pub async fn serve_with(
    listener: TcpListener,
    app: ::axum::Router,
    shutdown: ShutdownHandle,
    drain: Duration,
    options: ServeOptions,
) -> io::Result<()> {
    let (insist, insisted) = oneshot::channel::<()>();
    let watcher = Aborting(tokio::spawn(watch_signals(shutdown.clone(), insist)));
    let mut insisted = pin!(insisted);
    // Dropping `stop` tells every connection to finish its request and close;
    // each holds a `done` receiver, so `closed` resolves when all are gone.
    let (stop, stopping) = watch::channel(());
    let (done, finished) = watch::channel(());
    let connections = Connections::new(&options);
    // Dropped on return, or with this future: what still runs is aborted.
    let mut tasks = JoinSet::new();
    let drained = async {
        shutdown.shutdown_begun().await;
        tracing::info!(drain_ms = drain.as_millis() as u64, "shutting down: draining");
        tokio::time::sleep(drain).await;
    };
    let mut drained = pin!(drained);
    loop {
        let accepted = match race(listener.accept(), race(drained.as_mut(), insisted.as_mut())).await {
            First::Left(accepted) => accepted,
            First::Right(First::Left(())) => break,
            First::Right(First::Right(_)) => return stop_now(watcher),
        };
        // Connections that ended are let go of as new ones come.
        while tasks.try_join_next().is_some() {}
        match accepted {
            Ok((stream, _)) => connections.serve(&mut tasks, stream, &app, stopping.clone(), finished.clone()),
            Err(error) => match AcceptError::of(&error) {
                AcceptError::Connection => tracing::debug!(%error, "a connection failed before it was accepted"),
                AcceptError::Retry => {
                    tracing::warn!(%error, "accepting a connection failed; trying again shortly");
                    tokio::time::sleep(RETRY_BACKOFF).await;
                }
                AcceptError::Listener => {
                    tracing::error!(%error, "the listener failed; serving stops");
                    return Err(error);
                }
            },
        }
    }
    drop((listener, stop, finished));
    match race(done.closed(), race(tokio::time::sleep(options.grace), insisted)).await {
        First::Left(()) => Ok(()),
        First::Right(_) => stop_now(watcher),
    }
}

/// Stops without waiting for the requests under way: returning drops the
/// tasks serving them, which closes their connections.
fn stop_now(watcher: Aborting) -> io::Result<()> {
    tracing::warn!("stopping without waiting for in-flight requests");
    drop(watcher);
    Ok(())
}

/// What an error of `accept` means for the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AcceptError {
    /// One connection failed before it was accepted (reset, aborted, or a
    /// network error Linux passes on from the pending connection): the
    /// listener is fine.
    Connection,
    /// Out of file descriptors, buffers or memory, or an error not known to
    /// be fatal: it may pass, and accepting again at once would spin.
    Retry,
    /// The listener itself failed: accepting again cannot mend it.
    Listener,
}

impl AcceptError {
    fn of(error: &io::Error) -> Self {
        use io::ErrorKind;
        // Only what names the listening socket stops the server: a remote
        // peer or a network blip must not.
        if is_listener_error(error) {
            return AcceptError::Listener;
        }
        match error.kind() {
            ErrorKind::ConnectionAborted
            | ErrorKind::ConnectionReset
            | ErrorKind::ConnectionRefused
            | ErrorKind::Interrupted
            | ErrorKind::WouldBlock
            | ErrorKind::TimedOut => AcceptError::Connection,
            _ if is_pending_connection_error(error) => AcceptError::Connection,
            _ => AcceptError::Retry,
        }
    }
}

/// Whether `error` says the listening socket is unusable: closed, shut
/// down, or not a listening socket.
#[cfg(unix)]
fn is_listener_error(error: &io::Error) -> bool {
    matches!(error.raw_os_error(), Some(libc::EBADF | libc::EINVAL | libc::ENOTSOCK | libc::EFAULT))
}

#[cfg(not(unix))]
fn is_listener_error(error: &io::Error) -> bool {
    error.kind() == io::ErrorKind::InvalidInput
}

/// Whether `error` is one that `accept` passes on from a pending connection
/// (accept(2) on Linux: network errors, and EPERM from a firewall rule).
#[cfg(unix)]
fn is_pending_connection_error(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(
            libc::EPROTO
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::EHOSTUNREACH
                | libc::ENETDOWN
                | libc::ENETUNREACH
                | libc::EOPNOTSUPP
                | libc::EPERM
        )
    )
}

#[cfg(not(unix))]
fn is_pending_connection_error(_: &io::Error) -> bool {
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_errors_are_told_apart() {
        let error = |kind| io::Error::from(kind);
        assert_eq!(AcceptError::of(&error(io::ErrorKind::ConnectionAborted)), AcceptError::Connection);
        assert_eq!(AcceptError::of(&error(io::ErrorKind::Other)), AcceptError::Retry);
        #[cfg(unix)]
        {
            let os = io::Error::from_raw_os_error;
            assert_eq!(AcceptError::of(&os(libc::EMFILE)), AcceptError::Retry);
            assert_eq!(AcceptError::of(&os(libc::EBADF)), AcceptError::Listener);
            assert_eq!(AcceptError::of(&os(libc::EINVAL)), AcceptError::Listener);
            // A peer or the network must not stop the server.
            for errno in [libc::EPROTO, libc::EHOSTUNREACH, libc::ENETDOWN, libc::EPERM] {
                assert_eq!(AcceptError::of(&os(errno)), AcceptError::Connection, "errno {errno}");
            }
        }
    }
}
