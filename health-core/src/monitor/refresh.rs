//! The background refresh: the whole report, every interval.

use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::watch;

use super::shutdown::ShutdownHandle;
use super::snapshot::Snapshot;
use super::{Shared, Target};
use crate::ReportSource;
use crate::race::{First, race};

/// The latest background snapshot; `None` until the first run completes.
pub(crate) type Latest<C> = Option<Arc<Snapshot<C>>>;

/// Runs every enabled check every `every` (from the end of one run to the
/// start of the next) until shutdown begins or the monitor is dropped: the
/// monitor holds the only receiver, so the channel closes with it. A run under
/// way when shutdown begins is dropped.
pub(crate) async fn refresh<R: ReportSource>(
    shared: Weak<Shared<R>>,
    sender: watch::Sender<Latest<R::Components>>,
    every: Duration,
    shutdown: ShutdownHandle,
) {
    let stopped = race(sender.closed(), shutdown.shutdown_begun());
    let mut stopped = std::pin::pin!(stopped);
    loop {
        let Some(monitor) = shared.upgrade() else { return };
        let run = monitor.run(Some(Target::Overall), monitor.catalog.enabled(), Some(&sender));
        if let First::Right(_) = race(run, stopped.as_mut()).await {
            return;
        }
        drop(monitor);
        if let First::Right(_) = race(tokio::time::sleep(every), stopped.as_mut()).await {
            return;
        }
    }
}
