//! The endpoints, and the status codes reports are answered with.

use http::StatusCode;

use crate::group;
use crate::monitor::StatusMap;

/// The endpoints served under the base path (`/health` by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Endpoint {
    /// `/health`: every component.
    All,
    /// `/health/live`: the liveness group.
    Live,
    /// `/health/ready`: the readiness group.
    Ready,
    /// `/health/startup`: the startup group.
    Startup,
    /// `/health/group/{name}`: a custom group.
    Group,
    /// `/health/{component}`: one component.
    Component,
}

impl Endpoint {
    /// Every endpoint, in the order of the list above.
    pub(crate) const ALL: [Endpoint; 6] =
        [Endpoint::All, Endpoint::Live, Endpoint::Ready, Endpoint::Startup, Endpoint::Group, Endpoint::Component];

    /// The endpoints of the built-in groups.
    pub(crate) const BUILT_IN_GROUPS: [Endpoint; 3] = [Endpoint::Live, Endpoint::Ready, Endpoint::Startup];

    /// The built-in probe group behind an endpoint of its own.
    pub(crate) fn group(self) -> Option<&'static str> {
        match self {
            Endpoint::Live => Some(group::LIVENESS),
            Endpoint::Ready => Some(group::READINESS),
            Endpoint::Startup => Some(group::STARTUP),
            Endpoint::All | Endpoint::Group | Endpoint::Component => None,
        }
    }

    /// The path segment after the base path, for the built-in groups' endpoints.
    pub(crate) fn segment(self) -> Option<&'static str> {
        match self {
            Endpoint::Live => Some("live"),
            Endpoint::Ready => Some("ready"),
            Endpoint::Startup => Some("startup"),
            Endpoint::All | Endpoint::Group | Endpoint::Component => None,
        }
    }

    /// The endpoint serving the built-in `group`, if it is one.
    pub(crate) fn of_group(group: &str) -> Option<Endpoint> {
        [Endpoint::Live, Endpoint::Ready, Endpoint::Startup]
            .into_iter()
            .find(|endpoint| endpoint.group() == Some(group))
    }
}

/// UP and DEGRADED → 200, DOWN → 503: Kubernetes and most load balancers
/// treat 2xx–3xx as passing. Consul, for instance, expects 429 for a warning:
///
/// ```
/// use health_core::http::StatusCode;
/// use health_core::monitor::StatusMap;
/// use health_core::Status;
///
/// let consul = StatusMap::default().degraded(StatusCode::TOO_MANY_REQUESTS);
/// assert_eq!(consul.of(Status::Degraded), StatusCode::TOO_MANY_REQUESTS);
/// assert_eq!(consul.of(Status::Down), StatusCode::SERVICE_UNAVAILABLE);
/// ```
impl Default for StatusMap<StatusCode> {
    fn default() -> Self {
        StatusMap::new(StatusCode::OK, StatusCode::OK, StatusCode::SERVICE_UNAVAILABLE)
    }
}

/// Whether `code` can carry a body.
pub(crate) fn carries_body(code: StatusCode) -> bool {
    !(code.is_informational()
        || code == StatusCode::NO_CONTENT
        || code == StatusCode::RESET_CONTENT
        || code == StatusCode::NOT_MODIFIED)
}

#[cfg(test)]
mod tests {
    use super::Endpoint;
    use crate::report::RESERVED_NAMES;

    #[test]
    fn the_group_routes_are_the_reserved_names() {
        assert_eq!(Endpoint::BUILT_IN_GROUPS.map(|endpoint| endpoint.segment()), RESERVED_NAMES.map(Some));
        assert_eq!(Endpoint::BUILT_IN_GROUPS.map(|endpoint| endpoint.group()), crate::group::BUILT_IN.map(Some));
    }
}
