//! How the health endpoints answer: paths, status codes, visibility, mode.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::StatusCode;

use crate::Status;

use super::Endpoint;

/// The HTTP status of each overall status, for one endpoint.
///
/// The default is UP and DEGRADED → 200, DOWN → 503: Kubernetes and most load
/// balancers treat 2xx–3xx as passing. Consul, for instance, expects 429 for a
/// warning:
///
/// ```
/// use health_core::http::StatusCodes;
/// use http::StatusCode;
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

/// What responses show beyond statuses: messages, details and timings.
#[derive(Clone, PartialEq, Eq, Default)]
pub enum Visibility {
    /// Everything, to everyone.
    Always,
    /// Overall and component statuses only. The default: messages and details
    /// can reveal hosts, versions and errors, and health endpoints are often
    /// reachable by more people than the service's own API.
    #[default]
    Never,
    /// Everything to requests carrying `Authorization: Bearer <token>`, statuses
    /// only to requests without one; a wrong token is refused with 401. The
    /// token is compared in constant time.
    WhenAuthorized {
        /// The expected bearer token.
        token: String,
    },
}

impl fmt::Debug for Visibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Visibility::Always => f.write_str("Always"),
            Visibility::Never => f.write_str("Never"),
            Visibility::WhenAuthorized { .. } => f.write_str("WhenAuthorized { token: *** }"),
        }
    }
}

/// A change of status, given to [`status change hooks`](super::HealthEndpoints::on_status_change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The component, or `None` for the overall status of the whole report.
    pub component: Option<&'static str>,
    /// The status before; `None` when it is the first one seen.
    pub from: Option<Status>,
    /// The status now.
    pub to: Status,
}

pub(crate) type Hook = Arc<dyn Fn(&StatusChange) + Send + Sync>;

/// When checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// On each request, with each check's `cache` and single-flight.
    OnRequest,
    /// On a timer; requests are answered from the latest report without
    /// running checks, with its age in the `Age` header.
    Background {
        /// Time between the end of one run and the start of the next.
        every: Duration,
    },
}

/// Why the endpoints could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base path is not `/` followed by path segments, without a trailing `/`.
    BadBasePath(String),
    /// A status code a report cannot be answered with: one without a body (1xx,
    /// 204, 205, 304), or one errors are answered with (400, 404, 405, 406,
    /// 414, and 401 when details need a token).
    BadStatusCode {
        /// The endpoint it was set for.
        endpoint: Endpoint,
        /// The code.
        code: u16,
    },
    /// A bearer token for `WhenAuthorized` that is empty or not a valid header value.
    BadToken,
    /// A refresh interval under 100 ms, which would keep the checks running all the time.
    RefreshTooFrequent(Duration),
    /// Background mode needs a Tokio runtime to run in.
    NoRuntime,
    /// [`disable`](super::HealthEndpoints::disable) names no component of the report.
    UnknownComponent(String),
    /// The OpenAPI document's path is not a valid path, or lies among the endpoints.
    BadOpenApiPath(String),
    /// A details type has the name of a schema of the OpenAPI document itself.
    SchemaNameTaken(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::BadBasePath(path) => write!(
                f,
                "the base path `{path}` must start with `/`, not end with one, and hold only letters, digits, `-`, `_`, `.` and `/`"
            ),
            ConfigError::BadStatusCode { endpoint, code } => write!(
                f,
                "status code {code} for {endpoint:?} cannot answer a report: it carries no body or is the code of an error"
            ),
            ConfigError::SchemaNameTaken(name) => write!(
                f,
                "a details type is named `{name}`, like a schema of the OpenAPI document; rename it (#[schemars(rename = \"...\")])"
            ),
            ConfigError::BadOpenApiPath(path) => {
                write!(
                    f,
                    "the OpenAPI document cannot be served at `{path}`: it must be a valid path outside the endpoints"
                )
            }
            ConfigError::BadToken => f.write_str("the bearer token must be non-empty visible ASCII"),
            ConfigError::RefreshTooFrequent(every) => {
                write!(f, "a refresh interval of {every:?} is too short; the shortest is 100ms")
            }
            ConfigError::NoRuntime => f.write_str("background refresh needs to be started inside a Tokio runtime"),
            ConfigError::UnknownComponent(name) => write!(f, "the report has no component named `{name}` to disable"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Whether `path` can be the base path: `/health`, `/api/v1/health`.
pub(crate) fn valid_base_path(path: &str) -> bool {
    let segment_ok = |segment: &str| {
        !matches!(segment, "" | "." | "..")
            && segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    path.strip_prefix('/').is_some_and(|rest| rest.split('/').all(segment_ok))
}

/// Whether `code` can carry a body.
pub(crate) fn valid_code(code: StatusCode) -> bool {
    !(code.is_informational()
        || code == StatusCode::NO_CONTENT
        || code == StatusCode::RESET_CONTENT
        || code == StatusCode::NOT_MODIFIED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths() {
        for good in ["/health", "/api/v1/health", "/_status"] {
            assert!(valid_base_path(good), "{good}");
        }
        for bad in ["", "/", "health", "/health/", "//health", "/he alth", "/health?x", "/a/../health", "/."] {
            assert!(!valid_base_path(bad), "{bad}");
        }
    }

    #[test]
    fn visibility_hides_its_token_in_debug_output() {
        let visibility = Visibility::WhenAuthorized { token: "s3cret".into() };
        assert!(!format!("{visibility:?}").contains("s3cret"));
    }
}
