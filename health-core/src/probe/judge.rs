//! What the probes share to turn an answer into a status.

use std::borrow::Cow;
use std::time::Duration;

use tokio::time::Instant;

use crate::{Outcome, Status};

/// Above this round-trip time a probe reports DEGRADED unless its options say
/// otherwise: Kubernetes' default probe timeout is one second, so an answer
/// slower than that already endangers the probes that depend on it.
pub const DEFAULT_SLOW_AFTER: Duration = Duration::from_secs(1);

/// The latency threshold of the probes that have no other options: above
/// it, DEGRADED.
///
/// ```
/// use std::time::Duration;
/// use health_core::probe::{DEFAULT_SLOW_AFTER, LatencyOptions};
///
/// assert_eq!(LatencyOptions::new().slow_threshold(), DEFAULT_SLOW_AFTER);
/// let strict = LatencyOptions::new().slow_after(Duration::from_millis(50));
/// assert_eq!(strict.slow_threshold(), Duration::from_millis(50));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyOptions {
    slow_after: Duration,
}

impl Default for LatencyOptions {
    fn default() -> Self {
        LatencyOptions { slow_after: DEFAULT_SLOW_AFTER }
    }
}

impl LatencyOptions {
    /// The default threshold, [`DEFAULT_SLOW_AFTER`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Reports DEGRADED when an answer takes longer than this.
    #[must_use]
    pub fn slow_after(mut self, threshold: Duration) -> Self {
        self.slow_after = threshold;
        self
    }

    /// The threshold.
    pub fn slow_threshold(&self) -> Duration {
        self.slow_after
    }

    /// DEGRADED when `latency` exceeds the threshold.
    pub(crate) fn judge(&self, latency: Latency) -> Verdict {
        if latency.0 > self.slow_after {
            Verdict::degraded(format!(
                "answered in {:.0} ms, above the {:.0} ms threshold",
                millis(latency.0),
                millis(self.slow_after)
            ))
        } else {
            Verdict::up()
        }
    }
}

/// Times a probe's exchange with its dependency, on Tokio's clock like the
/// runs that bound it (so that a paused clock in tests pauses both).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stopwatch(Instant);

impl Stopwatch {
    pub(crate) fn start() -> Self {
        Stopwatch(Instant::now())
    }

    /// The time since the start.
    pub(crate) fn stop(self) -> Latency {
        Latency(self.0.elapsed())
    }
}

/// How long a probe's exchange took: judged against the options'
/// threshold, and shown in details as `latency_ms`.
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd)]
pub(crate) struct Latency(Duration);

impl From<Duration> for Latency {
    fn from(duration: Duration) -> Self {
        Latency(duration)
    }
}

impl Latency {
    /// What details show: milliseconds, to the microsecond.
    pub(crate) fn ms(self) -> Option<f64> {
        Some(millis(self.0))
    }
}

/// The latency setter and getter of a probe's options, which hold a
/// [`LatencyOptions`] in their `latency` field: one text and one rule for
/// every probe. `$what` names what is timed: "the query", "the round trip".
macro_rules! latency_threshold {
    ($options:ident $(<$param:ident>)?, $what:literal) => {
        impl$(<$param>)? $options$(<$param>)? {
            #[doc = concat!("Reports DEGRADED when ", $what, " takes longer than this (default")]
            /// [`DEFAULT_SLOW_AFTER`](crate::probe::DEFAULT_SLOW_AFTER)).
            #[must_use]
            pub fn slow_after(mut self, threshold: ::std::time::Duration) -> Self {
                self.latency = self.latency.slow_after(threshold);
                self
            }

            /// The latency above which the probe reports DEGRADED.
            pub fn slow_threshold(&self) -> ::std::time::Duration {
                self.latency.slow_threshold()
            }
        }
    };
}

pub(crate) use latency_threshold;

/// What a custom validation (a query's rows mapped by the application, an HTTP
/// body predicate) concluded.
///
/// ```
/// use health_core::probe::Verdict;
/// use health_core::Status;
///
/// let verdict = Verdict::degraded("replication lag 12 s");
/// assert_eq!(verdict.status(), Status::Degraded);
/// assert_eq!(verdict.message(), Some("replication lag 12 s"));
/// assert_eq!(Verdict::up().status(), Status::Up);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    status: Status,
    message: Option<Cow<'static, str>>,
}

impl Verdict {
    /// Healthy.
    pub fn up() -> Self {
        Verdict { status: Status::Up, message: None }
    }

    /// Impaired, with the reason.
    pub fn degraded(message: impl Into<Cow<'static, str>>) -> Self {
        Verdict { status: Status::Degraded, message: Some(message.into()) }
    }

    /// Failed, with the reason.
    pub fn down(message: impl Into<Cow<'static, str>>) -> Self {
        Verdict { status: Status::Down, message: Some(message.into()) }
    }

    /// The status concluded.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Why, if not UP.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// The worse of two verdicts; the first wins a tie, so the earliest
    /// reason found is the one told.
    pub(crate) fn or_worse(self, other: Verdict) -> Verdict {
        if other.status > self.status { other } else { self }
    }

    /// The outcome with these details; none when a probe that failed found
    /// nothing to tell (details that would show as `{}`).
    pub(crate) fn with<T: serde::Serialize>(self, details: T) -> Outcome<T> {
        // Only a failure can leave every figure unknown: an UP result is not
        // serialized twice.
        let nothing = self.status != Status::Up
            && serde_json::to_value(&details).is_ok_and(|value| value.as_object().is_some_and(|map| map.is_empty()));
        let outcome =
            if nothing { Outcome::status_only(self.status) } else { Outcome::with_details(self.status, details) };
        match self.message {
            Some(message) => outcome.with_message(message),
            None => outcome,
        }
    }
}

/// Latencies in details are shown as reports show durations.
use crate::report::component::millis;

/// An error and its sources, `outer: inner: root`, as clients often keep the
/// useful part (`Connection refused`) in a source.
pub(crate) fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors repeat their source in their own message.
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Figures a probe may not have learned.
    #[derive(serde::Serialize)]
    struct Figures {
        #[serde(skip_serializing_if = "Option::is_none")]
        version: Option<String>,
    }

    #[test]
    fn a_failure_that_learned_nothing_has_no_details_and_anything_learned_is_kept() {
        let nothing = Verdict::down("refused").with(Figures { version: None });
        assert_eq!((nothing.status(), nothing.details().is_none()), (Status::Down, true));
        assert_eq!(nothing.message(), Some("refused"));
        let learned = Verdict::down("read-only").with(Figures { version: Some("16.2".into()) });
        assert!(learned.details().is_some());
        // An UP result keeps its details as they are, empty or not.
        assert!(Verdict::up().with(Figures { version: None }).details().is_some());
    }

    #[test]
    fn latencies_show_whole_microseconds() {
        assert_eq!(Latency(Duration::from_nanos(6_898_914)).ms().map(|ms| ms.to_string()).as_deref(), Some("6.898"));
    }

    #[test]
    fn a_latency_above_the_threshold_degrades() {
        let options = LatencyOptions::new().slow_after(Duration::from_millis(50));
        assert_eq!(options.judge(Latency(Duration::from_millis(50))).status(), Status::Up);
        let slow = options.judge(Latency(Duration::from_millis(51)));
        assert_eq!(
            (slow.status(), slow.message()),
            (Status::Degraded, Some("answered in 51 ms, above the 50 ms threshold"))
        );
    }
}
