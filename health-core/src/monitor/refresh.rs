//! The refreshes that run checks nobody asked for: in background mode, the
//! whole report every interval; on request, the subjects somebody watches.

use std::sync::atomic::{AtomicBool, Ordering, fence};
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument;
use tracing::field::Empty;

use super::shutdown::ShutdownHandle;
use super::snapshot::Snapshot;
use super::{Shared, Target};
use crate::ReportSource;
use crate::check::trace;
use crate::race::{First, race};
use crate::report::Selection;

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
        let run =
            run_refresh(&monitor, Refresh::Background, Some(Target::Overall), monitor.catalog.enabled(), Some(&sender));
        if let First::Right(_) = race(run, stopped.as_mut()).await {
            return;
        }
        drop(monitor);
        if let First::Right(_) = race(tokio::time::sleep(every), stopped.as_mut()).await {
            return;
        }
    }
}

/// Which refresh a run is, as its span says.
#[derive(Debug, Clone, Copy)]
enum Refresh {
    /// Every enabled check, every interval.
    Background,
    /// On request, the checks of the subjects somebody watches.
    Watched,
}

impl Refresh {
    fn name(self) -> &'static str {
        match self {
            Refresh::Background => "background",
            Refresh::Watched => "watched",
        }
    }
}

/// One run of `refresh` (see [`Shared::run`]); in a `health.refresh` span,
/// each check in one of its own, if the monitor traces refreshes.
async fn run_refresh<R: ReportSource>(
    monitor: &Shared<R>,
    refresh: Refresh,
    target: Option<Target>,
    selection: Selection,
    background: Option<&watch::Sender<Latest<R::Components>>>,
) {
    if !monitor.trace_refreshes {
        monitor.run(target, selection, background, false).await;
        return;
    }
    let span = tracing::info_span!(
        target: trace::TARGET,
        "health.refresh",
        refresh = refresh.name(),
        components = selection.indices().count(),
        generation = Empty,
        status = Empty,
        duration_ms = Empty,
    );
    let started = Instant::now();
    let snapshot = monitor.run(target, selection, background, true).instrument(span.clone()).await;
    span.record("generation", snapshot.generation());
    span.record("status", snapshot.report().status.as_str());
    span.record("duration_ms", trace::milliseconds(started.elapsed()));
}

/// On request, the refresh of the subjects somebody watches: how often, and
/// whether its task runs.
#[derive(Debug)]
pub(crate) struct Watched {
    every: Duration,
    running: AtomicBool,
}

impl Watched {
    pub(crate) fn new(every: Duration) -> Self {
        Watched { every, running: AtomicBool::new(false) }
    }
}

/// Starts the refresh of watched subjects unless it runs, or the background
/// refresh runs everything. It needs a Tokio runtime: without one, watches
/// see the changes reads make.
pub(crate) fn watched<R: ReportSource>(shared: &Arc<Shared<R>>) {
    if shared.background.is_some() {
        return;
    }
    let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
    // The watch was opened before: ordered before the flag is read, as the
    // task orders its flag before counting the watches (see there).
    fence(Ordering::SeqCst);
    if !shared.watched.running.swap(true, Ordering::AcqRel) {
        runtime.spawn(refresh_watched(Arc::downgrade(shared), shared.watched.every));
    }
}

/// Runs the checks of the watched subjects every `every` (from the end of one
/// run to the start of the next), joining runs under way, until nobody
/// watches or the monitor is dropped. Between runs it holds only a weak
/// reference: it keeps no monitor alive.
async fn refresh_watched<R: ReportSource>(shared: Weak<Shared<R>>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        let Some(monitor) = shared.upgrade() else { return };
        let selection = watched_selection(&monitor);
        if selection.is_empty() {
            monitor.watched.running.store(false, Ordering::Release);
            // Without the fence the count below could be read before the
            // flag falls, and a watch opened meanwhile see the flag still up
            // while this task sees no watch: nobody would refresh it.
            fence(Ordering::SeqCst);
            // A watch opened meanwhile either found the flag up, and counts
            // on this task, or started a task of its own.
            if watched_selection(&monitor).is_empty() || monitor.watched.running.swap(true, Ordering::AcqRel) {
                return;
            }
            continue;
        }
        let whole = (selection == monitor.catalog.enabled()).then_some(Target::Overall);
        run_refresh(&monitor, Refresh::Watched, whole, selection, None).await;
    }
}

/// The components of every subject somebody watches.
fn watched_selection<R: ReportSource>(shared: &Shared<R>) -> Selection {
    shared
        .tracker
        .watched()
        .fold(Selection::none(), |selection, target| selection.union(shared.catalog.selection(target)))
}
