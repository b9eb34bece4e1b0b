//! The limits `serve` puts on connections.

use std::time::Duration;

/// How long in-flight requests may take to finish once the drain delay is
/// over, unless [`ServeOptions::grace`] says otherwise.
pub const GRACE: Duration = Duration::from_secs(10);

/// How [`serve_with`](super::serve_with) protects itself from slow and
/// abusive clients, so that probes keep being answered.
///
/// - **A header-read timeout**, 5 s by default: a connection that has not sent
///   a whole request head this long after the server began waiting for one is
///   closed. The wait begins when the connection is accepted and again after
///   each response, so it is also how long a kept-alive connection may stay
///   idle: behind a load balancer that keeps idle connections longer, set it
///   above the balancer's idle timeout.
/// - **A cap on concurrent connections**, 1,024 by default. A connection
///   accepted past it takes the place of the open connection that has waited
///   longest for a request head (a slow-loris client, an idle keep-alive
///   connection), which is closed; a request that begins on it as it is
///   evicted is answered first. When every open connection is busy with a
///   request, the new one is answered 503 and closed at once instead of
///   queueing. So clients that hold connections without using them cannot
///   keep a probe out. A connection upgraded (to a WebSocket, say) leaves the
///   cap when it leaves the HTTP server.
///
/// On shutdown, connections waiting for a request head are closed at once and
/// busy ones finish their request, for up to a **grace** period, 10 s by
/// default ([`GRACE`]); connections still busy then are closed.
///
/// A flood of requests that keeps more connections *busy* than the cap can
/// still turn a probe away: give probes their own listener (a second `serve`
/// of the probe routes on another port, with its own cap, ideally on a thread
/// and runtime of its own) where that matters.
///
/// ```
/// use std::time::Duration;
/// use health_core::http::ServeOptions;
///
/// let options = ServeOptions::default().header_read_timeout(Duration::from_secs(2)).max_connections(256);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeOptions {
    pub(super) header_read_timeout: Duration,
    pub(super) max_connections: usize,
    pub(super) grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions { header_read_timeout: Duration::from_secs(5), max_connections: 1024, grace: GRACE }
    }
}

impl ServeOptions {
    /// How long a connection may take to send a request head, counted from
    /// when the server is ready for one.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How many connections may be open at once; at least 1, and at most
    /// what a Tokio semaphore holds (`usize::MAX >> 3`).
    #[must_use]
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        self
    }

    /// How long requests under way may take to finish once the drain delay
    /// is over ([`GRACE`] by default); then their connections
    /// are closed.
    #[must_use]
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }
}
