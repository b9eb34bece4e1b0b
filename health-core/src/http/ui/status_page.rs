//! What the status page is configured as: where it is served, how often it
//! polls, and whether that can work.

use std::time::Duration;

/// The path segment, below the page's, of the JSON it updates itself from.
pub(crate) const HISTORY_SEGMENT: &str = "history";

/// The shortest interval at which the page may poll.
pub const MIN_POLL: Duration = Duration::from_millis(500);

/// The status page (feature `ui`): where the endpoints serve it, and how
/// often it updates itself. Turn it on with
/// [`HealthServiceBuilder::status_page`](crate::http::HealthServiceBuilder::status_page).
///
/// The page lives at `{base}/{segment}` (`/health/ui` by default) and reads
/// `{base}/{segment}/history`. In background mode it polls once per refresh
/// interval (never faster than [`MIN_POLL`]); when checks run on each read,
/// every [`poll_every`](Self::poll_every), each poll being one read of every
/// component, as a request to `{base}` would be.
///
/// ```
/// use std::time::Duration;
/// use health_core::http::{HealthService, StatusPageOptions};
/// use health_core::{health_check, HealthReport};
/// use health_core::monitor::Monitor;
///
/// #[health_check]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck }
///
/// # fn main() -> Result<(), health_core::http::ConfigError> {
/// let service = HealthService::builder(Monitor::new(Health::default(), ()))
///     .status_page(StatusPageOptions::new().segment("status").poll_every(Duration::from_secs(10)))
///     .build()?;
/// assert_eq!(service.status_page_path().as_deref(), Some("/health/status"));
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusPageOptions {
    pub(crate) segment: String,
    pub(crate) poll_every: Duration,
}

impl Default for StatusPageOptions {
    fn default() -> Self {
        StatusPageOptions { segment: "ui".into(), poll_every: Duration::from_secs(5) }
    }
}

impl StatusPageOptions {
    /// The page at `{base}/ui`, polling every 5 s when checks run on each read.
    pub fn new() -> Self {
        StatusPageOptions::default()
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

/// Why a status page configuration cannot work, if it cannot.
pub(crate) fn check(
    page: &StatusPageOptions,
    components: &[crate::ComponentInfo],
) -> Result<(), crate::http::ConfigError> {
    let segment = page.segment.as_str();
    let taken = crate::report::RESERVED_NAMES.contains(&segment)
        || segment == crate::http::route::GROUP_SEGMENT
        || components.iter().any(|component| component.name() == segment);
    if taken || !crate::http::route::valid_segment(segment) {
        return Err(crate::http::ConfigError::BadStatusPagePath(segment.to_owned()));
    }
    if page.poll_every < MIN_POLL {
        return Err(crate::http::ConfigError::BadPollInterval(page.poll_every));
    }
    Ok(())
}
