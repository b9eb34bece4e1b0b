//! What one run of a check found, and the return types a check may have.

use std::borrow::Cow;
use std::fmt::Display;

use crate::Status;

/// The result of one run of a check: a status, optional typed details and an
/// optional message.
///
/// Return it from a `#[health_check]` function when `Result` is not expressive
/// enough, for instance to report DEGRADED:
///
/// ```
/// use health_core::{Outcome, Status};
///
/// let outcome = Outcome::degraded(91u8).with_message("91% full");
/// assert_eq!(outcome.status(), Status::Degraded);
/// assert_eq!(outcome.details(), Some(&91));
/// assert_eq!(outcome.message(), Some("91% full"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome<T = ()> {
    status: Status,
    details: Option<T>,
    message: Option<Cow<'static, str>>,
}

impl<T> Outcome<T> {
    /// UP, with details.
    #[inline]
    pub fn up(details: T) -> Self {
        Self::with_details(Status::Up, details)
    }

    /// DEGRADED, with details.
    #[inline]
    pub fn degraded(details: T) -> Self {
        Self::with_details(Status::Degraded, details)
    }

    /// DOWN, with details.
    #[inline]
    pub fn down(details: T) -> Self {
        Self::with_details(Status::Down, details)
    }

    /// The given status, with details.
    #[inline]
    pub fn with_details(status: Status, details: T) -> Self {
        Outcome { status, details: Some(details), message: None }
    }

    /// The given status without details.
    ///
    /// ```
    /// use health_core::{Outcome, Status};
    ///
    /// let outcome: Outcome<u32> = Outcome::status_only(Status::Down).with_message("no leader");
    /// assert_eq!(outcome.details(), None);
    /// ```
    #[inline]
    pub fn status_only(status: Status) -> Self {
        Outcome { status, details: None, message: None }
    }

    /// Adds a human-readable message. Secrets in it are redacted before it is
    /// reported (see [`redact`](crate::redact)).
    #[must_use]
    #[inline]
    pub fn with_message(mut self, message: impl Into<Cow<'static, str>>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// The status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The details, if any.
    pub fn details(&self) -> Option<&T> {
        self.details.as_ref()
    }

    /// The message, if any.
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }

    /// Splits the outcome into its parts.
    #[inline]
    pub fn into_parts(self) -> (Status, Option<T>, Option<Cow<'static, str>>) {
        (self.status, self.details, self.message)
    }
}

/// The return types a `#[health_check]` function may have.
///
/// - `()`: reaching the end of the function means UP;
/// - `Result<T, E>`: `Ok(details)` is UP, `Err(e)` is DOWN with `e`'s `Display` as the message;
/// - [`Outcome<T>`]: any status, details and message.
///
/// ```
/// use health_core::{IntoOutcome, Status};
///
/// let err: Result<(), &str> = Err("connection refused");
/// let outcome = err.into_outcome();
/// assert_eq!(outcome.status(), Status::Down);
/// assert_eq!(outcome.message(), Some("connection refused"));
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a return type a health check may have",
    label = "unsupported health check return type",
    note = "a #[health_check] fn returns `()`, `Result<T, E>` (T: Serialize + JsonSchema, E: Display) or `health_core::Outcome<T>`"
)]
pub trait IntoOutcome {
    /// The type of the details reported on success.
    type Details;

    /// Converts the function's return value into an [`Outcome`].
    fn into_outcome(self) -> Outcome<Self::Details>;
}

impl IntoOutcome for () {
    type Details = ();

    #[inline]
    fn into_outcome(self) -> Outcome<()> {
        Outcome::status_only(Status::Up)
    }
}

impl<T, E: Display> IntoOutcome for Result<T, E> {
    type Details = T;

    #[inline]
    fn into_outcome(self) -> Outcome<T> {
        match self {
            Ok(details) => Outcome::up(details),
            Err(error) => Outcome::status_only(Status::Down).with_message(error.to_string()),
        }
    }
}

impl<T> IntoOutcome for Outcome<T> {
    type Details = T;

    #[inline]
    fn into_outcome(self) -> Outcome<T> {
        self
    }
}
