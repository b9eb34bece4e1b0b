//! The endpoints, and the status codes each answers with.

use http::StatusCode;

use crate::{Status, group};

/// The endpoints served under the base path (`/health` by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
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
    pub const ALL: [Endpoint; 6] =
        [Endpoint::All, Endpoint::Live, Endpoint::Ready, Endpoint::Startup, Endpoint::Group, Endpoint::Component];

    /// The endpoints of the built-in groups.
    pub(crate) const BUILT_IN_GROUPS: [Endpoint; 3] = [Endpoint::Live, Endpoint::Ready, Endpoint::Startup];

    /// The built-in probe group behind an endpoint of its own.
    pub fn group(self) -> Option<&'static str> {
        match self {
            Endpoint::Live => Some(group::LIVENESS),
            Endpoint::Ready => Some(group::READINESS),
            Endpoint::Startup => Some(group::STARTUP),
            Endpoint::All | Endpoint::Group | Endpoint::Component => None,
        }
    }

    /// The path segment after the base path, for the built-in groups' endpoints.
    pub fn segment(self) -> Option<&'static str> {
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

/// The HTTP status of each overall status, for one endpoint.
///
/// The default is UP and DEGRADED → 200, DOWN → 503: Kubernetes and most load
/// balancers treat 2xx–3xx as passing. Consul, for instance, expects 429 for a
/// warning:
///
/// ```
/// use health_core::http::{StatusCode, StatusCodes};
///
/// let consul = StatusCodes::default().degraded(StatusCode::TOO_MANY_REQUESTS);
/// assert_eq!(consul.code(health_core::Status::Degraded), StatusCode::TOO_MANY_REQUESTS);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusCodes {
    up: StatusCode,
    degraded: StatusCode,
    down: StatusCode,
}

impl Default for StatusCodes {
    fn default() -> Self {
        StatusCodes { up: StatusCode::OK, degraded: StatusCode::OK, down: StatusCode::SERVICE_UNAVAILABLE }
    }
}

impl StatusCodes {
    /// The code for UP.
    #[must_use]
    pub fn up(mut self, code: StatusCode) -> Self {
        self.up = code;
        self
    }

    /// The code for DEGRADED.
    #[must_use]
    pub fn degraded(mut self, code: StatusCode) -> Self {
        self.degraded = code;
        self
    }

    /// The code for DOWN.
    #[must_use]
    pub fn down(mut self, code: StatusCode) -> Self {
        self.down = code;
        self
    }

    /// The code for `status`.
    pub fn code(&self, status: Status) -> StatusCode {
        match status {
            Status::Up => self.up,
            Status::Degraded => self.degraded,
            Status::Down => self.down,
        }
    }
}

/// The status codes of every endpoint.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Codes {
    all: StatusCodes,
    live: StatusCodes,
    ready: StatusCodes,
    startup: StatusCodes,
    group: StatusCodes,
    component: StatusCodes,
}

impl Codes {
    pub(crate) fn get(&self, endpoint: Endpoint) -> &StatusCodes {
        match endpoint {
            Endpoint::All => &self.all,
            Endpoint::Live => &self.live,
            Endpoint::Ready => &self.ready,
            Endpoint::Startup => &self.startup,
            Endpoint::Group => &self.group,
            Endpoint::Component => &self.component,
        }
    }

    pub(crate) fn set(&mut self, endpoint: Endpoint, codes: StatusCodes) {
        let slot = match endpoint {
            Endpoint::All => &mut self.all,
            Endpoint::Live => &mut self.live,
            Endpoint::Ready => &mut self.ready,
            Endpoint::Startup => &mut self.startup,
            Endpoint::Group => &mut self.group,
            Endpoint::Component => &mut self.component,
        };
        *slot = codes;
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
