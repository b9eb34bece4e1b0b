//! The process being told to stop, for the transports that drain on it.

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
