//! Observers of every run and every status, for adapters that record them
//! (metrics): the monitor calls them, and knows none of them.

use std::sync::Arc;
use std::time::Duration;

use super::MonitorError;
use super::subject::{Catalog, Target};
use crate::Status;
use crate::report::component::Ending;

/// One component's part in one run of checks.
#[derive(Debug, Clone, Copy)]
#[cfg_attr(not(feature = "metrics"), allow(dead_code, reason = "metrics read them"))]
pub(crate) struct Run {
    /// The run's own status, before thresholds: what the run found.
    pub(crate) status: Status,
    pub(crate) duration: Duration,
    pub(crate) ending: Ending,
}

/// Told of every component's run, as it is recorded, and of every status as
/// it is announced; called on the task that ran the checks, so it must be quick.
pub(crate) trait Observer: Send + Sync {
    /// The component at `index` ran (or its cached result was reused).
    fn ran(&self, index: usize, run: Run);
    /// `target`'s status is now `status`.
    fn status(&self, target: Target, status: Status);
}

/// Makes an observer once the monitor's subjects are known, or says why it
/// cannot observe them.
pub(crate) type MakeObserver = Box<dyn FnOnce(&Arc<Catalog>) -> Result<Arc<dyn Observer>, MonitorError> + Send>;
