//! Which serving status each health status is answered with.

use super::pb::health_check_response::ServingStatus as Wire;
use crate::Status;

/// A serving status a health status can be answered with: the two of the
/// protocol's `ServingStatus` ([`pb`](super::pb)) that `Check` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServingStatus {
    /// `SERVING`: send traffic.
    Serving,
    /// `NOT_SERVING`: send none.
    NotServing,
}

/// The protocol's value: `SERVING` or `NOT_SERVING`.
///
/// ```
/// use health_core::grpc::ServingStatus;
/// use health_core::grpc::pb::health_check_response::ServingStatus as Wire;
///
/// assert_eq!(Wire::from(ServingStatus::NotServing), Wire::NotServing);
/// ```
impl From<ServingStatus> for Wire {
    fn from(status: ServingStatus) -> Self {
        match status {
            ServingStatus::Serving => Wire::Serving,
            ServingStatus::NotServing => Wire::NotServing,
        }
    }
}

/// The serving status of each health status, for one served name or all.
///
/// The default is UP and DEGRADED → `SERVING`, DOWN → `NOT_SERVING`: a
/// degraded service still does its job. A stricter balancer may want
/// DEGRADED → `NOT_SERVING`.
///
/// ```
/// use health_core::grpc::{ServingStatus, ServingStatuses};
/// use health_core::Status;
///
/// let strict = ServingStatuses::default().degraded(ServingStatus::NotServing);
/// assert_eq!(strict.of(Status::Degraded), ServingStatus::NotServing);
/// assert_eq!(strict.of(Status::Up), ServingStatus::Serving);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServingStatuses {
    up: ServingStatus,
    degraded: ServingStatus,
    down: ServingStatus,
}

impl Default for ServingStatuses {
    fn default() -> Self {
        ServingStatuses {
            up: ServingStatus::Serving,
            degraded: ServingStatus::Serving,
            down: ServingStatus::NotServing,
        }
    }
}

impl ServingStatuses {
    /// The answer for UP.
    #[must_use]
    pub fn up(mut self, status: ServingStatus) -> Self {
        self.up = status;
        self
    }

    /// The answer for DEGRADED.
    #[must_use]
    pub fn degraded(mut self, status: ServingStatus) -> Self {
        self.degraded = status;
        self
    }

    /// The answer for DOWN.
    #[must_use]
    pub fn down(mut self, status: ServingStatus) -> Self {
        self.down = status;
        self
    }

    /// The answer for `status`.
    pub fn of(&self, status: Status) -> ServingStatus {
        match status {
            Status::Up => self.up,
            Status::Degraded => self.degraded,
            Status::Down => self.down,
        }
    }
}
