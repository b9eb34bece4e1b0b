//! Configuring the endpoints, and refusing configurations that cannot work.

use std::fmt;
use std::sync::Arc;

use super::endpoint::{Codes, carries_body};
use super::openapi::{ERROR_CODES, OpenApiOptions, schema_names};
use super::service::{HealthService, Inner};
use super::visibility::Access;
use super::{Endpoint, StatusCodes, Visibility};
use crate::{Monitor, ReportSource, Status};

/// Builds the health endpoints of a [`Monitor`]: `GET`/`HEAD` on `/health`,
/// `/health/live`, `/health/ready`, `/health/startup`, `/health/group/{name}`
/// and `/health/{component}`.
///
/// The monitor decides how checks run, tracks statuses and drains on
/// shutdown; the endpoints add routes, formats, status codes and visibility.
///
/// ```
/// use health_core::http::{Endpoint, HealthEndpoints, StatusCodes, Visibility};
/// use health_core::{health_check, HealthReport, Monitor};
///
/// #[health_check(timeout = "100ms")]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck }
///
/// # fn main() -> Result<(), health_core::http::ConfigError> {
/// let service = HealthEndpoints::new(Monitor::new(Health::default(), ()))
///     .base_path("/internal/health")
///     .visibility(Visibility::Always)
///     .status_codes(Endpoint::Ready, StatusCodes::default().degraded(health_core::http::StatusCode::TOO_MANY_REQUESTS))
///     .build()?;
/// # let _ = service; Ok(()) }
/// ```
pub struct HealthEndpoints<R: ReportSource> {
    monitor: Monitor<R>,
    base_path: String,
    codes: Codes,
    visibility: Visibility,
    openapi: OpenApiOptions,
    #[cfg(feature = "ui")]
    page: Option<super::StatusPage>,
}

impl<R: ReportSource> HealthEndpoints<R> {
    /// Endpoints reading `monitor`. Defaults: base path `/health`, UP and
    /// DEGRADED → 200 and DOWN → 503 everywhere, [`Visibility::Never`].
    pub fn new(monitor: Monitor<R>) -> Self {
        HealthEndpoints {
            monitor,
            base_path: "/health".into(),
            codes: Codes::default(),
            visibility: Visibility::default(),
            openapi: OpenApiOptions::default(),
            #[cfg(feature = "ui")]
            page: None,
        }
    }

    /// Where the endpoints live, such as `/internal/health`.
    #[must_use]
    pub fn base_path(mut self, path: impl Into<String>) -> Self {
        self.base_path = path.into();
        self
    }

    /// The status codes of one endpoint.
    #[must_use]
    pub fn status_codes(mut self, endpoint: Endpoint, codes: StatusCodes) -> Self {
        self.codes.set(endpoint, codes);
        self
    }

    /// What responses show beyond statuses.
    #[must_use]
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = visibility;
        self
    }

    /// Also serves the OpenAPI document of the endpoints (see
    /// [`HealthService::openapi`]) at `path`, such as `/openapi.json`, from
    /// the axum router.
    #[must_use]
    pub fn openapi_path(mut self, path: impl Into<String>) -> Self {
        self.openapi.path = Some(path.into());
        self
    }

    /// Starts every `operationId` of the OpenAPI document with `prefix`, so
    /// that it merges into a document with operations of the same names:
    /// `orders` gives `ordersGetHealthReady`.
    #[must_use]
    pub fn operation_id_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.openapi.operation_prefix = prefix.into();
        self
    }

    /// The URL the OpenAPI document gives as its server (`/` by default: the
    /// host that served it).
    #[must_use]
    pub fn server_url(mut self, url: impl Into<String>) -> Self {
        self.openapi.server = url.into();
        self
    }

    /// Also serves the status page (feature `ui`): one self-contained HTML
    /// page of every status, transition and run duration, at `{base}/ui` by
    /// default; see [`StatusPage`](super::StatusPage). It shows messages,
    /// details and timings only as [`visibility`](Self::visibility) allows.
    #[cfg(feature = "ui")]
    #[must_use]
    pub fn status_page(mut self, page: super::StatusPage) -> Self {
        self.page = Some(page);
        self
    }

    /// Checks the configuration and builds the service.
    pub fn build(self) -> Result<HealthService<R>, ConfigError> {
        if !valid_path(&self.base_path) {
            return Err(ConfigError::BadBasePath(self.base_path));
        }
        // Codes for reports must carry a body and differ from the codes of
        // errors, or the OpenAPI document could not tell the answers apart.
        let authorized = self.visibility.needs_token();
        let taken = |code: u16| ERROR_CODES.contains(&code) || (authorized && code == 401);
        for endpoint in Endpoint::ALL {
            let codes = self.codes.get(endpoint);
            let codes = Status::ALL.map(|status| codes.code(status));
            if let Some(code) = codes.into_iter().find(|code| !carries_body(*code) || taken(code.as_u16())) {
                return Err(ConfigError::BadStatusCode { endpoint, code: code.as_u16() });
            }
        }
        // The OpenAPI document names its own schemas after the report, beside
        // the details types'.
        let source = self.monitor.source();
        let title = source.title();
        if title.is_empty() || !title.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
            return Err(ConfigError::BadTitle(title.to_owned()));
        }
        let own = schema_names(title);
        let report = source.json_schema();
        if let Some(taken) = report["$defs"].as_object().and_then(|defs| defs.keys().find(|name| own.contains(name))) {
            return Err(ConfigError::SchemaNameTaken(taken.clone()));
        }
        if let Some(path) = &self.openapi.path
            && (!valid_path(path) || path == &self.base_path || path.starts_with(&format!("{}/", self.base_path)))
        {
            return Err(ConfigError::BadOpenApiPath(path.clone()));
        }
        let prefix = &self.openapi.operation_prefix;
        if !prefix.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
            return Err(ConfigError::BadOperationIdPrefix(prefix.clone()));
        }
        if let Visibility::WhenAuthorized { token } = &self.visibility
            && (token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ConfigError::BadToken);
        }
        #[cfg(feature = "ui")]
        if let Some(page) = &self.page {
            super::ui::check(page, source.components())?;
        }
        let inner = Inner {
            monitor: self.monitor,
            base_path: self.base_path,
            codes: self.codes,
            access: Access::new(self.visibility),
            openapi: self.openapi,
            openapi_document: std::sync::OnceLock::new(),
            #[cfg(feature = "ui")]
            page: self.page,
        };
        Ok(HealthService { inner: Arc::new(inner) })
    }
}

impl<R: ReportSource> fmt::Debug for HealthEndpoints<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthEndpoints")
            .field("monitor", &self.monitor)
            .field("base_path", &self.base_path)
            .field("codes", &self.codes)
            .field("visibility", &self.visibility)
            .field("openapi", &self.openapi)
            .finish_non_exhaustive()
    }
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
    /// The OpenAPI document's path is not a valid path, or lies among the endpoints.
    BadOpenApiPath(String),
    /// A details type has the name of a schema of the OpenAPI document itself.
    SchemaNameTaken(String),
    /// A report title that cannot start the names of the OpenAPI document's
    /// schemas: it must be letters, digits, `.`, `-` and `_`.
    BadTitle(String),
    /// An `operationId` prefix that is not letters, digits, `.`, `-` and `_`,
    /// which keep operationIds safe in URLs.
    BadOperationIdPrefix(String),
    /// The status page's segment is not one path segment of letters, digits,
    /// `-`, `_` and `.`, or is the name of a component or another route.
    BadStatusPagePath(String),
    /// The status page would poll more often than every 500 ms.
    BadPollInterval(std::time::Duration),
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
            ConfigError::BadOperationIdPrefix(prefix) => {
                write!(f, "the operationId prefix `{prefix}` must be letters, digits, `.`, `-` and `_`")
            }
            ConfigError::BadStatusPagePath(segment) => write!(
                f,
                "the status page cannot be served at `{segment}`: it must be one path segment of letters, digits, `-`, `_` and `.`, named like no component and no other route (`live`, `ready`, `startup`, `group`)"
            ),
            ConfigError::BadPollInterval(every) => {
                write!(f, "the status page cannot poll every {every:?}: the shortest interval is 500ms")
            }
            ConfigError::BadTitle(title) => write!(
                f,
                "the report title `{title}` must be letters, digits, `.`, `-` and `_`, as OpenAPI schema names are"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Whether `path` can be the base path or the document's: `/health`, `/api/v1/health`.
fn valid_path(path: &str) -> bool {
    path.strip_prefix('/').is_some_and(|rest| rest.split('/').all(valid_segment))
}

/// Whether `segment` can be one segment of a path: letters, digits, `-`, `_`, `.`.
pub(super) fn valid_segment(segment: &str) -> bool {
    !matches!(segment, "" | "." | "..")
        && segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::valid_path;

    #[test]
    fn base_paths() {
        for good in ["/health", "/api/v1/health", "/_status"] {
            assert!(valid_path(good), "{good}");
        }
        for bad in ["", "/", "health", "/health/", "//health", "/he alth", "/health?x", "/a/../health", "/."] {
            assert!(!valid_path(bad), "{bad}");
        }
    }
}
