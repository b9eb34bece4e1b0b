//! Retrying a failed run within the same run.

use std::time::Duration;

/// How often a failed run is tried again within the same run, and how long to
/// wait between attempts.
///
/// Attempts and waits together stay inside the check's timeout: the last
/// attempt is cut by the timeout like a single run (and the failure before it
/// is reported, not the timeout), and no wait starts that would end at or past
/// it. Only failures a check reports (`Err`, or an `Outcome`
/// that is DOWN) are retried: a timeout has used the whole budget, and a panic
/// is a bug, reported at once.
///
/// `#[health_check(retries = 2, retry_backoff = "50ms")]` sets it for a
/// generated check, [`Check::RETRY`](crate::Check::RETRY) for a hand-written
/// one, and `CheckOptions::retries` for a registry entry.
///
/// ```
/// use std::time::Duration;
/// use health_core::Retry;
///
/// let retry = Retry::new(2, Duration::from_millis(50));
/// assert_eq!(retry.retries(), 2);
/// assert_eq!(retry.min_wait(), Duration::from_millis(100));
/// assert!(Retry::NONE.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Retry {
    retries: u32,
    backoff: Duration,
}

impl Retry {
    /// One attempt per run: no retry.
    pub const NONE: Retry = Retry { retries: 0, backoff: Duration::ZERO };

    /// `retries` more attempts after a failed one, each `backoff` after the
    /// previous one failed (a constant wait: the budget is one timeout, and a
    /// predictable wait is easier to fit in it than a growing one).
    pub const fn new(retries: u32, backoff: Duration) -> Self {
        Retry { retries, backoff }
    }

    /// How many attempts may follow the first.
    pub const fn retries(self) -> u32 {
        self.retries
    }

    /// The wait before each retry.
    pub const fn backoff(self) -> Duration {
        self.backoff
    }

    /// Whether a failed run is tried once only.
    pub const fn is_none(self) -> bool {
        self.retries == 0
    }

    /// The least time every retry spends waiting, were each attempt instant: a
    /// timeout no longer than this leaves the last retry no time to run.
    pub const fn min_wait(self) -> Duration {
        match self.backoff.checked_mul(self.retries) {
            Some(wait) => wait,
            None => Duration::MAX,
        }
    }

    /// Whether the waits alone fit in `timeout` with time left for an attempt.
    pub const fn fits(self, timeout: Duration) -> bool {
        self.is_none() || self.min_wait().as_nanos() < timeout.as_nanos()
    }
}
