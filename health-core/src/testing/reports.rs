//! A monitor's reports, counted for waits bounded in reports, whatever the
//! monitor's report type.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::ReportSource;
use crate::monitor::Monitor;

/// The reports of a monitor, its report type erased.
pub(crate) trait Reports: Send + Sync {
    /// Whether a background refresh makes them.
    fn in_background(&self) -> bool;

    /// The generation of the latest background report, 0 before the first.
    fn landed(&self) -> u64;

    /// The generation of the first background report newer than `after`,
    /// once it lands; `None` once the refresh stopped.
    fn next_after(&self, after: u64) -> Pin<Box<dyn Future<Output = Option<u64>> + Send + '_>>;
}

struct Counter<R: ReportSource>(Monitor<R>);

impl<R: ReportSource> Reports for Counter<R> {
    fn in_background(&self) -> bool {
        self.0.in_background()
    }

    fn landed(&self) -> u64 {
        self.0.landed()
    }

    fn next_after(&self, after: u64) -> Pin<Box<dyn Future<Output = Option<u64>> + Send + '_>> {
        Box::pin(async move { self.0.background_after(after).await.map(|snapshot| snapshot.generation()) })
    }
}

/// `monitor`'s reports.
pub(crate) fn counter<R: ReportSource>(monitor: &Monitor<R>) -> Arc<dyn Reports> {
    Arc::new(Counter(monitor.clone()))
}
