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
pub(crate) mod status_page;

use bytes::Bytes;

use super::endpoints::Inner;
use super::negotiate::Format;
use super::visibility::Shown;
use super::{Answer, HealthRequest, HealthResponse, RequestError, negotiate};
use crate::ReportSource;
use crate::monitor::{Reading, Target};
use crate::report::Selection;

pub(crate) use page::SECURITY_HEADERS;
pub(crate) use status_page::{HISTORY_SEGMENT, check};
pub use status_page::{MIN_POLL, StatusPageOptions};

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
        let shown = match self.access.shown(request.authorization_header()) {
            Ok(shown) => shown,
            Err(error) => return Answer::ready(HealthResponse::error(&error)),
        };
        // Measured even while the whole drains: operators still see what
        // each component says as the service shuts down.
        if let Some(reading) = self.monitor.background_reading(Target::Overall, Selection::none()) {
            return Answer::ready(self.history_response(&reading, shown));
        }
        let inner = std::sync::Arc::clone(self);
        Answer::running(async move {
            let reading = inner.monitor.measure(Target::Overall, Selection::none()).await;
            inner.history_response(&reading, shown)
        })
    }

    fn history_response(&self, reading: &Reading<R::Components>, shown: Shown) -> HealthResponse {
        let poll_every = match self.monitor.refresh_interval() {
            Some(every) => every.max(MIN_POLL),
            None => self.page.as_ref().map_or(MIN_POLL, |page| page.poll_every),
        };
        let body = history::render(&self.monitor, reading, self.access.visibility(), shown, poll_every);
        HealthResponse::document(Format::Json.content_type(), HISTORY_HEADERS, Bytes::from(body))
    }
}
