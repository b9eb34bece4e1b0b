//! How many consecutive runs it takes to change a component's status.

pub(crate) mod damped;
pub(crate) mod streak;

use std::fmt;
use std::num::NonZeroU32;

/// How many consecutive failed runs make a component DOWN, and how many
/// consecutive successful ones bring it back.
///
/// A run fails when its status is DOWN (an error, a timeout or a panic); UP and
/// DEGRADED are successes. With a failure threshold of 3, one or two failures
/// in a row leave the component as it was, with a message that counts them
/// (`1 of 3 consecutive failures: <error>`); the third makes it DOWN. With a
/// success threshold of 2, a DOWN component needs two successes in a row to
/// return. A component that has never succeeded is not held UP: each of its
/// failures shows as DOWN, and its first success brings it up at once.
///
/// ```
/// use health_core::Thresholds;
///
/// let thresholds = Thresholds::new(3, 2).unwrap();
/// assert_eq!((thresholds.failures(), thresholds.successes()), (3, 2));
/// assert!(Thresholds::new(0, 1).is_err());
/// assert!(Thresholds::NONE.is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Thresholds {
    failures: NonZeroU32,
    successes: NonZeroU32,
}

impl Thresholds {
    /// Every run's status shown as it is.
    pub const NONE: Thresholds = Thresholds { failures: NonZeroU32::MIN, successes: NonZeroU32::MIN };

    /// `failures` consecutive failed runs to become DOWN, `successes`
    /// consecutive successful ones to leave DOWN; both at least 1.
    pub const fn new(failures: u32, successes: u32) -> Result<Thresholds, ThresholdError> {
        match (NonZeroU32::new(failures), NonZeroU32::new(successes)) {
            (Some(failures), Some(successes)) => Ok(Thresholds { failures, successes }),
            _ => Err(ThresholdError(())),
        }
    }

    /// Consecutive failed runs that make the component DOWN.
    pub const fn failures(self) -> u32 {
        self.failures.get()
    }

    /// Consecutive successful runs that bring a DOWN component back.
    pub const fn successes(self) -> u32 {
        self.successes.get()
    }

    /// Whether every run's status is shown as it is.
    pub const fn is_none(self) -> bool {
        self.failures.get() == 1 && self.successes.get() == 1
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds::NONE
    }
}

/// Thresholds a report or registry entry sets over a check's own; a threshold
/// left unset keeps the check's. Not part of the API.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ThresholdOverride {
    /// Consecutive failures that make the component DOWN.
    pub failures: Option<NonZeroU32>,
    /// Consecutive successes that bring it back.
    pub successes: Option<NonZeroU32>,
}

impl ThresholdOverride {
    /// Keeps the check's own thresholds.
    pub const NONE: ThresholdOverride = ThresholdOverride { failures: None, successes: None };

    /// Turns the check's own thresholds off: each run shows as it is.
    pub const OFF: ThresholdOverride =
        ThresholdOverride { failures: Some(NonZeroU32::MIN), successes: Some(NonZeroU32::MIN) };

    /// Overrides what is set; a zero is left unset (the macros and the
    /// registry refuse it before).
    pub const fn new(failures: Option<u32>, successes: Option<u32>) -> Self {
        let failures = match failures {
            Some(failures) => NonZeroU32::new(failures),
            None => None,
        };
        let successes = match successes {
            Some(successes) => NonZeroU32::new(successes),
            None => None,
        };
        ThresholdOverride { failures, successes }
    }

    /// Whether it sets anything.
    pub const fn is_set(self) -> bool {
        self.failures.is_some() || self.successes.is_some()
    }

    /// `own`, with what this sets in place.
    #[inline]
    pub fn apply(self, own: Thresholds) -> Thresholds {
        Thresholds {
            failures: self.failures.unwrap_or(own.failures),
            successes: self.successes.unwrap_or(own.successes),
        }
    }
}

/// A threshold of zero: thresholds count runs, so each is at least 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThresholdError(());

impl fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a threshold counts consecutive runs, so it must be 1 or more")
    }
}

impl std::error::Error for ThresholdError {}
