//! Draining on shutdown: readiness DOWN at once, liveness untouched.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// Tells the health endpoints the process is shutting down.
///
/// After [`begin_shutdown`](Self::begin_shutdown), `/health/ready` answers DOWN
/// ("shutting down") without running checks, so load balancers stop sending
/// traffic, while `/health/live` keeps answering as before, so the
/// orchestrator does not restart the process while it drains.
///
/// ```
/// use health_core::http::ShutdownHandle;
///
/// let handle = ShutdownHandle::new();
/// assert!(!handle.is_shutting_down());
/// handle.begin_shutdown();
/// assert!(handle.is_shutting_down());
/// ```
#[derive(Debug, Clone, Default)]
pub struct ShutdownHandle {
    inner: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    shutting_down: AtomicBool,
    started: Notify,
}

impl ShutdownHandle {
    /// A handle not shutting down.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes readiness DOWN from now on. Calling it again changes nothing.
    pub fn begin_shutdown(&self) {
        self.inner.shutting_down.store(true, Ordering::SeqCst);
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
}
