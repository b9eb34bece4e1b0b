//! Watching one subject's status.

use std::fmt;

use tokio::sync::watch;

use crate::Status;

/// The status of one subject as it changes: from
/// [`Monitor::watch`](super::Monitor::watch).
///
/// It always has the latest status (`None` before any run covered the
/// subject), and a reader that falls behind skips to it. It hands out
/// copies, never a borrow of the value, so that no reader can hold up the
/// monitor: one that kept a borrow across an `.await` would stall every
/// report that changes the subject.
///
/// While any watch of a monitor that runs checks on request is open, the
/// watched subjects are refreshed in the background
/// ([`MonitorBuilder::refresh_watched_every`](super::MonitorBuilder::refresh_watched_every)),
/// so that a watch sees changes without anyone reading.
///
/// ```
/// use health_core::monitor::{Monitor, Subject};
/// use health_core::report::Selection;
/// use health_core::{health_check, HealthReport, Status};
///
/// #[health_check(critical)]
/// async fn database() -> Result<(), String> {
///     Err("connection refused".into())
/// }
///
/// #[derive(HealthReport, Default)]
/// struct Health { database: DatabaseCheck }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let monitor = Monitor::new(Health::default(), ());
/// let mut readiness = monitor.watch(&Subject::group("readiness")).unwrap();
/// assert_eq!(readiness.get(), None, "nothing ran yet");
/// monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
/// readiness.changed().await.unwrap();
/// assert_eq!(readiness.get_and_update(), Some(Status::Down));
/// assert!(!readiness.has_changed());
/// # }
/// ```
pub struct StatusWatch {
    receiver: watch::Receiver<Option<Status>>,
}

/// The monitor of a [`StatusWatch`] is gone: no status will change any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct MonitorGone;

impl fmt::Display for MonitorGone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the monitor is gone")
    }
}

impl std::error::Error for MonitorGone {}

impl StatusWatch {
    pub(crate) fn new(receiver: watch::Receiver<Option<Status>>) -> Self {
        StatusWatch { receiver }
    }

    /// The latest status.
    pub fn get(&self) -> Option<Status> {
        *self.receiver.borrow()
    }

    /// The latest status, which is from then on no longer a change.
    pub fn get_and_update(&mut self) -> Option<Status> {
        *self.receiver.borrow_and_update()
    }

    /// Whether the status changed since this watch last took it with
    /// [`get_and_update`](Self::get_and_update) or [`changed`](Self::changed);
    /// `false` once the monitor is gone.
    pub fn has_changed(&self) -> bool {
        self.receiver.has_changed().unwrap_or(false)
    }

    /// Completes when the status changes, or has changed since this watch
    /// last took it; the change is then taken. Cancelling it loses nothing.
    pub async fn changed(&mut self) -> Result<(), MonitorGone> {
        self.receiver.changed().await.map_err(|_| MonitorGone)
    }

    /// Completes with the latest status once `until` holds for it, at once if
    /// it holds already; the status is then taken.
    ///
    /// ```
    /// # use health_core::monitor::{Monitor, Subject};
    /// # use health_core::{health_check, HealthReport, Status};
    /// # #[health_check] async fn ping() {}
    /// # #[derive(HealthReport, Default)] struct Health { ping: PingCheck }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let monitor = Monitor::new(Health::default(), ());
    /// let mut ping = monitor.watch(&Subject::component("ping")).unwrap();
    /// # let reading = monitor.read(&Subject::Overall, health_core::report::Selection::none());
    /// # reading.await.unwrap();
    /// assert_eq!(ping.wait_for(|status| status.is_some()).await, Ok(Some(Status::Up)));
    /// # }
    /// ```
    pub async fn wait_for(
        &mut self,
        mut until: impl FnMut(Option<Status>) -> bool,
    ) -> Result<Option<Status>, MonitorGone> {
        match self.receiver.wait_for(|status| until(*status)).await {
            Ok(status) => Ok(*status),
            Err(_) => Err(MonitorGone),
        }
    }

    /// The underlying channel's receiver, for transports that stream it.
    #[cfg(feature = "grpc")]
    pub(crate) fn into_receiver(self) -> watch::Receiver<Option<Status>> {
        self.receiver
    }
}

impl Clone for StatusWatch {
    fn clone(&self) -> Self {
        StatusWatch { receiver: self.receiver.clone() }
    }
}

impl fmt::Debug for StatusWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusWatch").field("status", &self.get()).finish()
    }
}
