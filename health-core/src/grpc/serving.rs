//! Which serving status each health status is answered with.

use super::pb::health_check_response::ServingStatus as Wire;
use crate::monitor::StatusMap;

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

/// UP and DEGRADED → `SERVING`, DOWN → `NOT_SERVING`: a degraded service
/// still does its job. A stricter balancer may want DEGRADED → `NOT_SERVING`.
///
/// ```
/// use health_core::grpc::ServingStatus;
/// use health_core::monitor::StatusMap;
/// use health_core::Status;
///
/// let strict = StatusMap::default().degraded(ServingStatus::NotServing);
/// assert_eq!(strict.of(Status::Degraded), ServingStatus::NotServing);
/// assert_eq!(strict.of(Status::Up), ServingStatus::Serving);
/// ```
impl Default for StatusMap<ServingStatus> {
    fn default() -> Self {
        StatusMap::new(ServingStatus::Serving, ServingStatus::Serving, ServingStatus::NotServing)
    }
}
