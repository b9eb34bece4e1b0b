//! The status page: one self-contained HTML page of the monitor's statuses
//! and history, and the JSON it updates itself from.
//!
//! The page is static (inline CSS and script, allowed by their hashes in a
//! strict `Content-Security-Policy`); everything it shows comes from
//! `{page}/history`, which reads the monitor as any other endpoint does and
//! shows messages, details and timings only where [`Visibility`] allows.
//!
//! [`Visibility`]: super::Visibility

mod history;
mod page;

use std::time::Duration;

use bytes::Bytes;

use super::negotiate::Format;
use super::service::Inner;
use super::{Answer, HealthRequest, HealthResponse, RequestError, negotiate};
use crate::ReportSource;
use crate::monitor::{Reading, Target};
use crate::report::Selection;

pub(crate) use page::SECURITY_HEADERS;

/// The path segment, below the page's, of the JSON it updates itself from.
pub(crate) const HISTORY_SEGMENT: &str = "history";

/// The shortest interval at which the page may poll.
pub const MIN_POLL: Duration = Duration::from_millis(500);

/// The status page (feature `ui`): where the endpoints serve it, and how
/// often it updates itself. Turn it on with
/// [`HealthEndpoints::status_page`](super::HealthEndpoints::status_page).
///
/// The page lives at `{base}/{segment}` (`/health/ui` by default) and reads
/// `{base}/{segment}/history`. In background mode it polls once per refresh
/// interval (never faster than [`MIN_POLL`]); when checks run on each read,
/// every [`poll_every`](Self::poll_every), each poll being one read of every
/// component, as a request to `{base}` would be.
///
/// ```
/// use std::time::Duration;
/// use health_core::http::{HealthEndpoints, StatusPage};
/// use health_core::{health_check, HealthReport, Monitor};
///
/// #[health_check]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck }
///
/// # fn main() -> Result<(), health_core::http::ConfigError> {
/// let service = HealthEndpoints::new(Monitor::new(Health::default(), ()))
///     .status_page(StatusPage::new().segment("status").poll_every(Duration::from_secs(10)))
///     .build()?;
/// assert_eq!(service.status_page_path().as_deref(), Some("/health/status"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusPage {
    pub(crate) segment: String,
    pub(crate) poll_every: Duration,
}

impl Default for StatusPage {
    fn default() -> Self {
        StatusPage { segment: "ui".into(), poll_every: Duration::from_secs(5) }
    }
}

impl StatusPage {
    /// The page at `{base}/ui`, polling every 5 s when checks run on each read.
    pub fn new() -> Self {
        StatusPage::default()
    }

    /// Serves the page at `{base}/{segment}`: one path segment of letters,
    /// digits, `-`, `_` and `.`, named like no component and no other route.
    #[must_use]
    pub fn segment(mut self, segment: impl Into<String>) -> Self {
        self.segment = segment.into();
        self
    }

    /// How often the page polls when checks run on each read (at least
    /// [`MIN_POLL`]). In background mode it follows the refresh interval.
    #[must_use]
    pub fn poll_every(mut self, every: Duration) -> Self {
        self.poll_every = every;
        self
    }
}

/// The headers of the history, beyond its type.
const HISTORY_HEADERS: &[(&str, &str)] = &[("cache-control", "no-store"), ("x-content-type-options", "nosniff")];

/// What a request below the page's path asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PageRoute {
    /// The HTML page.
    Page,
    /// The JSON it updates itself from.
    History,
}

impl<R: ReportSource> Inner<R> {
    /// The answer to `request` if it is for the page or its history; `None`
    /// for the other endpoints.
    pub(in crate::http) fn page_request(self: &std::sync::Arc<Self>, request: &HealthRequest<'_>) -> Option<Answer> {
        let page = self.page.as_ref()?;
        let path = request.path();
        let below =
            path.strip_prefix(self.base_path.as_str())?.strip_prefix('/')?.strip_prefix(page.segment.as_str())?;
        let route = match below.strip_prefix('/') {
            None if below.is_empty() => Some(PageRoute::Page),
            // Another route whose name starts like the page's.
            None => return None,
            Some(HISTORY_SEGMENT) => Some(PageRoute::History),
            Some(_) => None,
        };
        Some(match self.ask_page(request, route) {
            Ok(PageRoute::Page) => Answer::ready(page::response()),
            Ok(PageRoute::History) => self.history(request),
            Err(error) => Answer::ready(HealthResponse::error(&error)),
        })
    }

    /// Checks what every page route needs of a request, in the order the
    /// other endpoints do: GET or HEAD, a known path, no query, an `Accept`
    /// header that admits the answer's media type.
    fn ask_page(&self, request: &HealthRequest<'_>, route: Option<PageRoute>) -> Result<PageRoute, RequestError> {
        if !request.is_read() {
            return Err(RequestError::MethodNotAllowed);
        }
        let route = route.ok_or_else(|| RequestError::NotFound(request.path().to_owned()))?;
        if let Some(query) = request.query_text().filter(|query| !query.is_empty()) {
            let name = query.split(['&', '=']).next().unwrap_or_default();
            return Err(RequestError::UnknownParameter(name.to_owned()));
        }
        let media = match route {
            PageRoute::Page => "text/html",
            PageRoute::History => "application/json",
        };
        negotiate::admits(request.accept_header(), media)?;
        Ok(route)
    }

    /// The history, with the latest report of every component: from the
    /// background snapshot, or one run of them all when checks run on each
    /// read; while shutting down too.
    fn history(self: &std::sync::Arc<Self>, request: &HealthRequest<'_>) -> Answer {
        let details = match self.access.details_shown(request.authorization_header()) {
            Ok(details) => details,
            Err(error) => return Answer::ready(HealthResponse::error(&error)),
        };
        // Measured even while the whole drains: operators still see what
        // each component says as the service shuts down.
        if let Some(reading) = self.monitor.background_reading(Target::Overall, Selection::none()) {
            return Answer::ready(self.history_response(&reading, details));
        }
        let inner = std::sync::Arc::clone(self);
        Answer::running(async move {
            let reading = inner.monitor.measure(Target::Overall, Selection::none()).await;
            inner.history_response(&reading, details)
        })
    }

    fn history_response(&self, reading: &Reading<R::Components>, details: bool) -> HealthResponse {
        let poll_every = match self.monitor.refresh_interval() {
            Some(every) => every.max(MIN_POLL),
            None => self.page.as_ref().map_or(MIN_POLL, |page| page.poll_every),
        };
        let body = history::render(&self.monitor, reading, self.access.visibility(), details, poll_every);
        HealthResponse::document(Format::Json.content_type(), HISTORY_HEADERS, Bytes::from(body))
    }
}

/// Why a status page configuration cannot work, if it cannot.
pub(crate) fn check(page: &StatusPage, components: &[crate::ComponentInfo]) -> Result<(), super::ConfigError> {
    let segment = page.segment.as_str();
    let taken = crate::report::RESERVED_NAMES.contains(&segment)
        || segment == super::route::GROUP_SEGMENT
        || components.iter().any(|component| component.name() == segment);
    if taken || !super::builder::valid_segment(segment) {
        return Err(super::ConfigError::BadStatusPagePath(segment.to_owned()));
    }
    if page.poll_every < MIN_POLL {
        return Err(super::ConfigError::BadPollInterval(page.poll_every));
    }
    Ok(())
}
