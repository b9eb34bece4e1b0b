//! Configuring the endpoints, and refusing configurations that cannot work.

use std::fmt;
use std::sync::Arc;

use super::endpoint::carries_body;
use super::endpoints::{HealthService, Inner};
use super::openapi::options::OpenApiOptions;
use super::openapi::{ERROR_CODES, schema_names};
use super::route::valid_path;
use super::visibility::Access;
use super::{ConfigError, StatusCode, Visibility};
use crate::monitor::Monitor;
use crate::monitor::{StatusMap, StatusMaps, Subject};
use crate::{ReportSource, Status};

/// Builds the health endpoints of a [`Monitor`]: `GET`/`HEAD` on `/health`,
/// `/health/live`, `/health/ready`, `/health/startup`, `/health/group/{name}`
/// and `/health/{component}`.
///
/// The monitor decides how checks run, tracks statuses and drains on
/// shutdown; the endpoints add routes, formats, status codes and visibility.
///
/// ```
/// use health_core::http::{HealthService, StatusCode, Visibility};
/// use health_core::monitor::{StatusMap, Subject};
/// use health_core::{health_check, HealthReport};
/// use health_core::monitor::Monitor;
///
/// #[health_check(timeout = "100ms")]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck }
///
/// # fn main() -> Result<(), health_core::http::ConfigError> {
/// let service = HealthService::builder(Monitor::new(Health::default(), ()))
///     .base_path("/internal/health")
///     .visibility(Visibility::Always)
///     .status_codes_for(Subject::group("readiness"), StatusMap::default().degraded(StatusCode::TOO_MANY_REQUESTS))
///     .build()?;
/// # let _ = service; Ok(()) }
/// ```
pub struct HealthServiceBuilder<R: ReportSource> {
    monitor: Monitor<R>,
    base_path: String,
    codes: StatusMaps<StatusCode>,
    visibility: Visibility,
    openapi: OpenApiOptions,
    #[cfg(feature = "ui")]
    page: Option<super::StatusPageOptions>,
}

impl<R: ReportSource> HealthService<R> {
    /// The endpoints of `monitor`, to configure, then
    /// [`build`](HealthServiceBuilder::build). Defaults: base path `/health`,
    /// UP and DEGRADED → 200 and DOWN → 503 everywhere,
    /// [`Visibility::Never`](Visibility::Never), no OpenAPI path, no
    /// status page.
    pub fn builder(monitor: Monitor<R>) -> HealthServiceBuilder<R> {
        HealthServiceBuilder::new(monitor)
    }
}

impl<R: ReportSource> HealthServiceBuilder<R> {
    /// See [`HealthService::builder`].
    pub(crate) fn new(monitor: Monitor<R>) -> Self {
        HealthServiceBuilder {
            monitor,
            base_path: "/health".into(),
            codes: StatusMaps::new(StatusMap::default()),
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

    /// The status codes of every subject without codes of its own
    /// (200, 200, 503 by default).
    #[must_use]
    pub fn status_codes(mut self, codes: StatusMap<StatusCode>) -> Self {
        self.codes.set_every(codes);
        self
    }

    /// The status codes of `subject`'s endpoint: [`Subject::Overall`] for
    /// `/health`, a group's for `/health/ready` or `/health/group/{name}`, a
    /// component's for `/health/{component}`. The gRPC service takes the
    /// same per subject, with serving statuses.
    #[must_use]
    pub fn status_codes_for(mut self, subject: Subject, codes: StatusMap<StatusCode>) -> Self {
        self.codes.set(subject, codes);
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
    /// default; see [`StatusPageOptions`](super::StatusPageOptions). It shows messages,
    /// details and timings only as [`visibility`](Self::visibility) allows.
    #[cfg(feature = "ui")]
    #[must_use]
    pub fn status_page(mut self, page: super::StatusPageOptions) -> Self {
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
        for (subject, codes) in self.codes.maps() {
            let codes = Status::ALL.map(|status| codes.of(status));
            if let Some(code) = codes.into_iter().find(|code| !carries_body(*code) || taken(code.as_u16())) {
                return Err(ConfigError::BadStatusCode { subject: subject.cloned(), code: code.as_u16() });
            }
        }
        let codes = self.codes.resolve(self.monitor.catalog()).map_err(ConfigError::UnknownSubject)?;
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
            codes,
            access: Access::new(self.visibility),
            openapi: self.openapi,
            openapi_document: std::sync::OnceLock::new(),
            #[cfg(feature = "ui")]
            page: self.page,
        };
        Ok(HealthService { inner: Arc::new(inner) })
    }
}

impl<R: ReportSource> fmt::Debug for HealthServiceBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthServiceBuilder")
            .field("monitor", &self.monitor)
            .field("base_path", &self.base_path)
            .field("codes", &self.codes)
            .field("visibility", &self.visibility)
            .field("openapi", &self.openapi)
            .finish_non_exhaustive()
    }
}
