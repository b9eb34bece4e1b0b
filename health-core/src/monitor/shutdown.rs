//! Draining on shutdown: readiness, the whole and the groups DOWN at once;
//! liveness and the components untouched.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use tokio::sync::Notify;

/// Tells a [`Monitor`](super::Monitor), and so every transport serving it,
/// that the process is shutting down.
///
/// After [`begin_shutdown`](Self::begin_shutdown), the subjects that drain
/// are DOWN ("shutting down"): readiness, the whole, and every other group but
/// liveness. Reads of them answer so without running checks (a read under way
/// when shutdown begins too), over HTTP and gRPC alike, and their statuses turn
/// DOWN for every watcher and subscriber before `begin_shutdown` returns; load
/// balancers stop sending traffic. Liveness and each component keep being
/// measured, so that the orchestrator does not restart the process while it
/// drains and operators still see its dependencies. The background refresh
/// stops.
///
/// ```
/// use health_core::monitor::ShutdownHandle;
///
/// let handle = ShutdownHandle::new();
/// assert!(!handle.is_shutting_down());
/// handle.begin_shutdown();
/// assert!(handle.is_shutting_down());
/// ```
#[derive(Clone, Default)]
pub struct ShutdownHandle {
    inner: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    shutting_down: AtomicBool,
    started: Notify,
    /// Monitors that drain when shutdown begins.
    listeners: Mutex<Vec<Weak<dyn OnShutdown>>>,
}

/// What a monitor does, synchronously, when shutdown begins.
pub(crate) trait OnShutdown: Send + Sync {
    fn shutdown_begun(&self);
}

impl ShutdownHandle {
    /// A handle not shutting down.
    pub fn new() -> Self {
        Self::default()
    }

    /// Drains every monitor of this handle from now on, and stops background
    /// refreshes.
    /// Calling it again changes nothing.
    pub fn begin_shutdown(&self) {
        if self.inner.shutting_down.swap(true, Ordering::SeqCst) {
            return;
        }
        let listeners: Vec<_> = self.listeners().iter().filter_map(Weak::upgrade).collect();
        for listener in listeners {
            listener.shutdown_begun();
        }
        self.inner.started.notify_waiters();
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.inner.shutting_down.load(Ordering::SeqCst)
    }

    /// Completes once shutdown has begun.
    pub async fn shutdown_begun(&self) {
        let mut started = std::pin::pin!(self.inner.started.notified());
        started.as_mut().enable();
        if !self.is_shutting_down() {
            started.await;
        }
    }

    /// Calls `listener` when shutdown begins, or at once if it has.
    pub(crate) fn listen(&self, listener: Weak<dyn OnShutdown>) {
        {
            let mut listeners = self.listeners();
            listeners.retain(|known| known.strong_count() > 0);
            listeners.push(listener.clone());
        }
        // Checked after registering: a shutdown beginning meanwhile calls it
        // once more, which changes nothing.
        if self.is_shutting_down()
            && let Some(listener) = listener.upgrade()
        {
            listener.shutdown_begun();
        }
    }

    fn listeners(&self) -> std::sync::MutexGuard<'_, Vec<Weak<dyn OnShutdown>>> {
        self.inner.listeners.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ShutdownHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownHandle").field("shutting_down", &self.is_shutting_down()).finish_non_exhaustive()
    }
}
