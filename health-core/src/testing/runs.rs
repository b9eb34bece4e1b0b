//! Stepping a monitor through its runs on Tokio's clock: [`Runs`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::monitor::{Monitor, Snapshot, Subject};
use crate::report::Selection;
use crate::{ReportSource, Status};

/// Steps a [`Monitor`] through its runs one at a time, and asserts the
/// status of a subject after each: a threshold scenario in a few lines.
///
/// On request, a step is one read of the whole report, which runs every
/// enabled check; [`every`](Self::every) puts time between steps, for
/// caches and clocks that count it. In background mode, a step waits for
/// the next background report. Under `#[tokio::test(start_paused = true)]`
/// Tokio skips the waits, so that a scenario of minutes takes none.
///
/// The status asserted is the subject's in the step's report, as every
/// transport serves it: thresholds, groups and the drain on shutdown
/// included. A failed assertion prints the run, the statuses so far and the
/// whole report, messages redacted as served.
///
/// ```
/// use health_core::monitor::{Monitor, Subject};
/// use health_core::testing::{Runs, ScriptedCheck, Step};
/// use health_core::{HealthReport, Status};
/// use health_core::Status::{Down, Up};
///
/// #[derive(HealthReport)]
/// struct Health {
///     // DOWN after 3 failed runs in a row, UP again after 2 good ones.
///     #[health(critical, failure_threshold = 3, success_threshold = 2)]
///     database: ScriptedCheck,
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let database = ScriptedCheck::new([Step::up()]);
/// let monitor = Monitor::new(Health { database: database.clone() }, ());
/// let mut runs = Runs::new(&monitor);
/// runs.expect(&Subject::component("database"), [Up]).await;
///
/// database.then([Step::down("connection refused")]);
/// runs.expect(&Subject::component("database"), [Up, Up, Down]).await;
/// database.then([Step::up()]);
/// runs.expect(&Subject::group("readiness"), [Down, Up]).await;
/// assert_eq!(runs.count(), 6);
/// # }
/// ```
pub struct Runs<R: ReportSource> {
    monitor: Monitor<R>,
    every: Duration,
    count: u32,
    generation: u64,
}

impl<R: ReportSource> Runs<R> {
    /// Steps `monitor` (a clone of it: the same checks, state and statuses).
    pub fn new(monitor: &Monitor<R>) -> Self {
        Runs { monitor: monitor.clone(), every: Duration::ZERO, count: 0, generation: monitor.landed() }
    }

    /// On request, waits `every` on Tokio's clock before each step but the
    /// first. In background mode the refresh interval spaces the steps.
    #[must_use]
    pub fn every(mut self, every: Duration) -> Self {
        self.every = every;
        self
    }

    /// How many steps were made.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// One step: a run of every enabled check. Returns its report: in
    /// background mode, the first one newer than the last step's (the
    /// first step takes a report under way, if any, or the next).
    ///
    /// # Panics
    ///
    /// In background mode, if the refresh stopped (the monitor is shutting
    /// down): no report would ever come.
    pub async fn step(&mut self) -> Arc<Snapshot<R::Components>> {
        let snapshot = if self.monitor.in_background() {
            match self.monitor.background_after(self.generation).await {
                Some(snapshot) => snapshot,
                None => panic!("the background refresh has stopped: no report after run {}", self.count),
            }
        } else {
            if self.count > 0 && !self.every.is_zero() {
                tokio::time::sleep(self.every).await;
            }
            let reading = self.monitor.read(&Subject::Overall, Selection::none()).await;
            match reading.ok().and_then(|reading| reading.snapshot().cloned()) {
                Some(snapshot) => snapshot,
                None => panic!("the monitor is shutting down: reads run no check after run {}", self.count),
            }
        };
        self.count += 1;
        self.generation = snapshot.generation();
        snapshot
    }

    /// Makes one step per status of `expected`, and asserts after each that
    /// `subject` has that status.
    ///
    /// # Panics
    ///
    /// At the first step after which `subject` has another status, or if it
    /// is no subject of the monitor; the message shows the whole report.
    pub async fn expect(&mut self, subject: &Subject, expected: impl IntoIterator<Item = Status>) {
        let mut seen = Vec::new();
        for want in expected {
            let snapshot = self.step().await;
            let status = self.status(&snapshot, subject);
            seen.push(status);
            if status != want {
                panic!(
                    "after run {run}, {subject} is {status}, not {want} (statuses after each run asserted: {seen})\nthe report of run {run}:\n{report}",
                    run = self.count,
                    seen = seen.iter().map(|status| status.as_str()).collect::<Vec<_>>().join(", "),
                    report = pretty(snapshot.report()),
                );
            }
        }
    }

    /// Steps until `subject` has `status`, at most `most` times (at least
    /// once); returns how many steps it took.
    ///
    /// # Panics
    ///
    /// If `subject` still has another status after `most` steps; the message
    /// shows the whole report of the last.
    pub async fn until(&mut self, subject: &Subject, status: Status, most: u32) -> u32 {
        let most = most.max(1);
        let mut taken = 0;
        loop {
            let snapshot = self.step().await;
            taken += 1;
            let now = self.status(&snapshot, subject);
            if now == status {
                return taken;
            }
            if taken == most {
                panic!(
                    "{subject} is still {now} after {most} runs, not {status}\nthe report of run {run}:\n{report}",
                    run = self.count,
                    report = pretty(snapshot.report()),
                );
            }
        }
    }

    /// `subject`'s status in `snapshot`.
    fn status(&self, snapshot: &Snapshot<R::Components>, subject: &Subject) -> Status {
        match self.monitor.status_in(snapshot, subject) {
            Ok(status) => status,
            Err(unknown) => panic!("{unknown}"),
        }
    }
}

/// A report as JSON, indented, as served with every detail shown.
pub(crate) fn pretty<T: serde::Serialize>(report: &T) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|error| format!("(not serializable: {error})"))
}

impl<R: ReportSource> fmt::Debug for Runs<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runs")
            .field("monitor", &self.monitor)
            .field("every", &self.every)
            .field("count", &self.count)
            .finish()
    }
}
