//! The process being told to stop, for the transports that drain on it.

#[cfg(any(feature = "axum", feature = "actix"))]
use tokio::{sync::oneshot, task::JoinHandle};

#[cfg(any(feature = "axum", feature = "actix"))]
use crate::monitor::ShutdownHandle;
use crate::race::race;

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

/// Begins shutdown on the first termination signal, and tells `insist` of a
/// second: the operator insisting.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) async fn watch_signals(shutdown: ShutdownHandle, insist: oneshot::Sender<()>) {
    termination_signal().await;
    shutdown.begin_shutdown();
    // Tokio keeps the signal handled: the next one is the second.
    termination_signal().await;
    let _ = insist.send(());
}

/// A task aborted when this is dropped.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) struct Aborting(pub(crate) JoinHandle<()>);

#[cfg(any(feature = "axum", feature = "actix"))]
impl Drop for Aborting {
    fn drop(&mut self) {
        self.0.abort();
    }
}
