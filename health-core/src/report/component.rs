//! The result of one component in a report, and its JSON form.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::{Status, Streak};

/// One component's result within a [`Report`](crate::Report).
///
/// Serialized as `{"status", "critical", "duration_ms", "message"?, "details"?,
/// "streak"?, "attempts"?}`; the optional members are left out when absent, and
/// `attempts` when the run took one.
///
/// ```
/// use std::time::Duration;
/// use health_core::{Component, Status};
///
/// let component = Component::new(Status::Down)
///     .with_critical(true)
///     .with_duration(Duration::from_millis(3))
///     .with_message("connection refused")
///     .with_details(42u32);
/// let json = serde_json::to_value(&component).unwrap();
/// assert_eq!(json["status"], "DOWN");
/// assert_eq!(json["duration_ms"], 3.0);
/// assert_eq!(json["details"], 42);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Component<T> {
    /// The component's status.
    pub status: Status,
    /// Whether it being DOWN makes the report DOWN.
    pub critical: bool,
    /// How long its run took (for a cached result, the run that produced it).
    pub duration: Duration,
    /// What went wrong, or any other note, with secrets redacted.
    pub message: Option<Cow<'static, str>>,
    /// Typed details, when the check reported some.
    pub details: Option<T>,
    /// For a result that went through a cache: when the run that produced it
    /// started (for a result reused, earlier than the report). `None` for
    /// uncached results, whose run is the report's.
    pub ran_at: Option<SystemTime>,
    /// For a check with [`Thresholds`](crate::Thresholds): this run's own
    /// status and the streak that decided `status`.
    pub streak: Option<Streak>,
    /// How many attempts the run took: more than 1 when a failed attempt was
    /// retried (see [`Retry`](crate::Retry)).
    pub attempts: u32,
    /// How this result came about; not part of the result itself.
    pub(crate) ending: Ending,
}

/// How a component's result came about: a run that completed, timed out or
/// panicked, or a result had without a run of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Ending {
    #[default]
    Completed,
    TimedOut,
    Panicked,
    /// A cached result reused without a run.
    Reused,
    /// The result of another read's run, joined while it was in flight.
    Joined,
    /// Timed out waiting for another read's run.
    Waited,
}

impl Ending {
    /// Whether the result is a run of the check's own, as metrics and
    /// history count runs: one real run is one sample, however many reads
    /// shared it.
    pub(crate) fn is_run(self) -> bool {
        matches!(self, Ending::Completed | Ending::TimedOut | Ending::Panicked)
    }
}

/// Equal results, however they came about.
impl<T: PartialEq> PartialEq for Component<T> {
    fn eq(&self, other: &Self) -> bool {
        self.status == other.status
            && self.critical == other.critical
            && self.duration == other.duration
            && self.message == other.message
            && self.details == other.details
            && self.ran_at == other.ran_at
            && self.streak == other.streak
            && self.attempts == other.attempts
    }
}

impl<T> Component<T> {
    /// A result of `status`: not critical, no duration, message or details.
    pub fn new(status: Status) -> Self {
        Component {
            status,
            critical: false,
            duration: Duration::ZERO,
            message: None,
            details: None,
            ran_at: None,
            streak: None,
            attempts: 1,
            ending: Ending::Completed,
        }
    }

    /// The status of the run alone, before any [`Thresholds`](crate::Thresholds)
    /// held it: `status` itself for a check without thresholds.
    ///
    /// ```
    /// use health_core::{Component, Status};
    ///
    /// assert_eq!(Component::<()>::new(Status::Down).raw_status(), Status::Down);
    /// ```
    pub fn raw_status(&self) -> Status {
        self.streak.map_or(self.status, |streak| streak.raw_status)
    }

    /// Sets whether it being DOWN makes the report DOWN.
    #[must_use]
    pub fn with_critical(mut self, critical: bool) -> Self {
        self.critical = critical;
        self
    }

    /// Sets how long its run took.
    #[must_use]
    pub fn with_duration(mut self, duration: Duration) -> Self {
        self.duration = duration;
        self
    }

    /// Sets the message; secrets in it are not redacted here (see [`redact`](crate::redact)).
    #[must_use]
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Sets the details.
    #[must_use]
    pub fn with_details(mut self, details: T) -> Self {
        self.details = Some(details);
        self
    }

    /// The same result with its details converted by `convert`.
    pub fn map_details<U>(self, convert: impl FnOnce(T) -> U) -> Component<U> {
        let Component { status, critical, duration, message, details, ran_at, streak, attempts, ending } = self;
        Component {
            status,
            critical,
            duration,
            message,
            details: details.map(convert),
            ran_at,
            streak,
            attempts,
            ending,
        }
    }
}

/// Milliseconds with microsecond precision, as reports show durations.
pub(crate) fn millis(duration: Duration) -> f64 {
    (duration.as_micros() as f64) / 1000.0
}

impl<T: Serialize> Serialize for Component<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = 3
            + usize::from(self.message.is_some())
            + usize::from(self.details.is_some())
            + usize::from(self.streak.is_some())
            + usize::from(self.attempts > 1);
        let mut component = serializer.serialize_struct("Component", len)?;
        component.serialize_field("status", &self.status)?;
        component.serialize_field("critical", &self.critical)?;
        component.serialize_field("duration_ms", &millis(self.duration))?;
        match &self.message {
            Some(message) => component.serialize_field("message", message)?,
            None => component.skip_field("message")?,
        }
        match &self.details {
            Some(details) => component.serialize_field("details", details)?,
            None => component.skip_field("details")?,
        }
        match &self.streak {
            Some(streak) => component.serialize_field("streak", streak)?,
            None => component.skip_field("streak")?,
        }
        if self.attempts > 1 {
            component.serialize_field("attempts", &self.attempts)?;
        } else {
            component.skip_field("attempts")?;
        }
        component.end()
    }
}
