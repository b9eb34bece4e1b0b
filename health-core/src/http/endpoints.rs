//! The endpoints as configured: the service every adapter holds, and what
//! it shares between its clones.

use std::fmt;
use std::sync::Arc;

use bytes::Bytes;

use super::openapi::options::OpenApiOptions;
use super::visibility::Access;
use crate::ReportSource;
use crate::monitor::Monitor;
use crate::monitor::ResolvedMaps;
use ::http::StatusCode;

/// The health endpoints as a tower `Service`; build it with
/// [`HealthServiceBuilder`](super::HealthServiceBuilder). Cloning is cheap: clones share
/// the monitor and the rendered bodies.
pub struct HealthService<R: ReportSource> {
    pub(super) inner: Arc<Inner<R>>,
}

/// The endpoints' configuration.
pub(super) struct Inner<R: ReportSource> {
    pub(super) monitor: Monitor<R>,
    pub(super) base_path: String,
    pub(super) codes: ResolvedMaps<StatusCode>,
    pub(super) access: Access,
    pub(super) openapi: OpenApiOptions,
    /// The OpenAPI document served at its path, once asked for.
    pub(super) openapi_document: std::sync::OnceLock<Bytes>,
    /// The status page, when turned on.
    #[cfg(feature = "ui")]
    pub(super) page: Option<super::ui::status_page::StatusPageOptions>,
}

impl<R: ReportSource> Clone for HealthService<R> {
    fn clone(&self) -> Self {
        HealthService { inner: Arc::clone(&self.inner) }
    }
}

impl<R: ReportSource> HealthService<R> {
    /// The monitor the endpoints read.
    pub fn monitor(&self) -> &Monitor<R> {
        &self.inner.monitor
    }

    /// The base path, such as `/health`.
    pub fn base_path(&self) -> &str {
        &self.inner.base_path
    }

    /// Where the status page is served, when it is turned on (feature `ui`).
    #[cfg(feature = "ui")]
    pub fn status_page_path(&self) -> Option<String> {
        let page = self.inner.page.as_ref()?;
        Some(format!("{}/{}", self.inner.base_path, page.segment))
    }

    /// Whether `path` is one of this service's: the base path or below it,
    /// or the OpenAPI document's path.
    pub fn serves(&self, path: &str) -> bool {
        path.strip_prefix(self.inner.base_path.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            || self.inner.openapi.path.as_deref() == Some(path)
    }
}

impl<R: ReportSource> fmt::Debug for HealthService<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HealthService")
            .field("monitor", &self.inner.monitor)
            .field("base_path", &self.inner.base_path)
            .field("access", &self.inner.access)
            .finish_non_exhaustive()
    }
}
