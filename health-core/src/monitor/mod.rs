//! The live health state: how checks run, the latest results, status changes
//! and shutdown, for every transport to serve.
//!
//! A [`Monitor`] holds a report (a `#[derive(HealthReport)]` struct or a
//! [`Registry`](crate::Registry)) and its state. Transports (the HTTP
//! endpoints, and others built the same way) read from it and keep no health
//! state of their own:
//!
//! - **how checks run:** on each read, or in the background every interval,
//!   with reads answered from the latest report; before the first one, and
//!   when the refresh has stopped, reads run the checks themselves. Either
//!   way, reads that need a check while it runs share that run (coalescing:
//!   one run per check in flight, so an answer comes from a run that started
//!   at most one timeout before the read), and a check's cache reuses its
//!   results for as long as it says;
//! - **the latest result** of every subject: the whole report, each probe
//!   group, each component, with its age;
//! - **status tracking:** changes of every subject, to any number of
//!   subscribers ([`Monitor::subscribe`], [`Monitor::watch`]), to hooks, and
//!   as `tracing` events, decided under a lock and told after it, so that no
//!   listener can hold up a report;
//! - **history:** the latest transitions and run durations of every subject,
//!   bounded ([`Monitor::history`]);
//! - **shutdown:** [`Monitor::begin_shutdown`] turns readiness, the whole and
//!   every other group but liveness DOWN at once for every reader and
//!   subscriber of every transport (the one drain rule), and stops the
//!   background refresh; liveness and each component keep being measured.
//!
//! ```
//! use health_core::monitor::{Monitor, Reading, Subject};
//! use health_core::report::Selection;
//! use health_core::{health_check, HealthReport, Status};
//!
//! #[health_check(critical)]
//! async fn database() -> Result<(), String> {
//!     Err("connection refused".into())
//! }
//!
//! #[derive(HealthReport, Default)]
//! struct Health { database: DatabaseCheck }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let monitor = Monitor::new(Health::default(), ());
//! let mut readiness = monitor.watch(&Subject::group("readiness")).unwrap();
//! let reading = monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
//! assert_eq!(reading.status(), Status::Down);
//! assert_eq!(reading.snapshot().unwrap().report().components.database.message.as_deref(), Some("connection refused"));
//! // The read ran every component of readiness: its status is known too.
//! assert_eq!(readiness.get_and_update(), Some(Status::Down));
//! # }
//! ```

mod changes;
mod error;
mod history;
mod observe;
mod reading;
mod refresh;
mod shutdown;
mod snapshot;
mod status_map;
mod status_watch;
mod subject;
mod tracker;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use crate::check::flight::{Flight, Flights};
use crate::report::{Selection, validate_group_name};
use crate::{ComponentInfo, ReportSource, Status, group};

pub use changes::{StatusChange, StatusChanges};
pub use error::{MonitorError, UnknownSubject};
pub use history::{History, HistoryDepth, MAX_DEPTH, MESSAGE_LIMIT, RunSample, Transition};
pub use reading::Reading;
pub use shutdown::ShutdownHandle;
pub use snapshot::Snapshot;
#[cfg(feature = "http")]
pub(crate) use status_map::ResolvedMaps;
pub use status_map::StatusMap;
#[cfg(any(feature = "http", feature = "grpc"))]
pub(crate) use status_map::StatusMaps;
pub use status_watch::{MonitorGone, StatusWatch};
pub use subject::Subject;

/// Waits for SIGTERM or Ctrl-C: what [`ShutdownHandle::begin_shutdown`] is
/// usually called after.
#[cfg(any(feature = "axum", feature = "actix", feature = "grpc"))]
pub use crate::ops::signal::termination_signal;

pub(crate) use observe::MakeObserver;
#[cfg(feature = "metrics")]
pub(crate) use observe::{Observer, Run};
use refresh::Latest;
use snapshot::Slot;
use subject::DefinedGroup;
pub(crate) use subject::{Catalog, Target};
use tracker::{Hook, Tracker};

/// The shortest background refresh interval accepted.
pub const MIN_REFRESH: Duration = Duration::from_millis(100);

/// How often a monitor that runs checks on request refreshes the subjects
/// somebody watches, unless
/// [`refresh_watched_every`](MonitorBuilder::refresh_watched_every) says
/// otherwise: five seconds, as often as Kubernetes' default probes ask
/// twice.
pub const DEFAULT_WATCH_REFRESH: Duration = Duration::from_secs(5);

/// The live health state of one report; see the [module documentation](self).
///
/// Cloning is cheap: clones share checks, caches, snapshots and subscribers.
pub struct Monitor<R: ReportSource> {
    shared: Arc<Shared<R>>,
}

pub(crate) struct Shared<R: ReportSource> {
    source: R,
    state: Arc<R::State>,
    catalog: Arc<Catalog>,
    tracker: Arc<Tracker>,
    /// The latest snapshot of each subject, by position, from runs for it.
    slots: Vec<Slot<R::Components>>,
    /// Each component's run in flight, which concurrent reads join.
    flights: Vec<Flight>,
    background: Option<Background<R::Components>>,
    /// On request, the refresh of watched subjects.
    watched: refresh::Watched,
    /// The generation of the latest run started.
    generations: AtomicU64,
    shutdown: ShutdownHandle,
    /// Whether refreshes run in spans (see [`MonitorBuilder::trace_refreshes`]).
    trace_refreshes: bool,
}

/// The background refresh, as readers see it.
struct Background<C> {
    latest: watch::Receiver<Latest<C>>,
    every: Duration,
    /// A snapshot older than this means the refresh has stopped.
    stale_after: Duration,
}

impl<R: ReportSource> Monitor<R> {
    /// A monitor of `source`, whose checks receive `state`, running checks on
    /// each read. [`builder`](Self::builder) offers the other choices.
    pub fn new(source: R, state: impl Into<Arc<R::State>>) -> Self {
        let builder = Self::builder(source, state);
        let enabled = Selection::first(builder.source.components().len());
        let catalog = Arc::new(Catalog::new(builder.source.components(), enabled));
        builder.assemble(catalog, None, None)
    }

    /// Configures a monitor of `source`, whose checks receive `state`.
    pub fn builder(source: R, state: impl Into<Arc<R::State>>) -> MonitorBuilder<R> {
        MonitorBuilder {
            source,
            state: state.into(),
            every: None,
            watched_every: DEFAULT_WATCH_REFRESH,
            disabled: Vec::new(),
            hooks: Vec::new(),
            observer: None,
            shutdown: ShutdownHandle::new(),
            history: HistoryDepth::default(),
            groups: Vec::new(),
            trace_refreshes: false,
        }
    }

    /// The report this monitor runs.
    pub fn source(&self) -> &R {
        &self.shared.source
    }

    /// Every component of the report, disabled ones included.
    pub fn components(&self) -> &[ComponentInfo] {
        self.shared.source.components()
    }

    /// The components not disabled.
    pub fn enabled(&self) -> Selection {
        self.shared.catalog.enabled()
    }

    /// The components a subject is made of (enabled ones only).
    pub fn selection(&self, subject: &Subject) -> Result<Selection, UnknownSubject> {
        Ok(self.shared.catalog.selection(self.resolve(subject)?))
    }

    /// The names of the probe groups: the built-in ones, every group a
    /// component names, then those [`MonitorBuilder::group`] defines.
    pub fn groups(&self) -> impl Iterator<Item = &str> {
        self.shared.catalog.group_names()
    }

    /// Every subject: each enabled component, each group, then the whole.
    pub fn subjects(&self) -> impl Iterator<Item = &Subject> {
        let catalog = &self.shared.catalog;
        catalog.targets().map(|target| catalog.subject(target))
    }

    /// The background refresh interval; `None` when checks run on each read.
    pub fn refresh_interval(&self) -> Option<Duration> {
        self.shared.background.as_ref().map(|background| background.every)
    }

    /// Reads `subject`, less the components in `exclude`: from the latest
    /// background report while it is fresh, else by running its checks now,
    /// joining the runs of them already under way. Once shutdown has begun,
    /// a subject that drains (see [`begin_shutdown`](Self::begin_shutdown))
    /// is DOWN without a run.
    ///
    /// Every run records the statuses of the components it ran; groups and
    /// the whole follow the latest statuses of their components.
    pub async fn read(&self, subject: &Subject, exclude: Selection) -> Result<Reading<R::Components>, UnknownSubject> {
        let target = self.resolve(subject)?;
        Ok(self.read_target(target, exclude).await)
    }

    pub(crate) async fn read_target(&self, target: Target, exclude: Selection) -> Reading<R::Components> {
        if self.is_drained(target) {
            return Reading::shutting_down();
        }
        let reading = self.measure(target, exclude).await;
        // Shutdown may have begun while the checks ran.
        if self.is_drained(target) { Reading::shutting_down() } else { reading }
    }

    /// The reading of `target` if it needs no run: a subject drained while
    /// shutting down, or a fresh background snapshot. Transports answer these
    /// at once.
    #[cfg_attr(not(feature = "http"), allow(dead_code, reason = "HTTP answers these without a task"))]
    pub(crate) fn read_at_hand(&self, target: Target, exclude: Selection) -> Option<Reading<R::Components>> {
        if self.is_drained(target) {
            return Some(Reading::shutting_down());
        }
        self.background_reading(target, exclude)
    }

    /// `target`'s components as they are, whether or not it drains: from a
    /// fresh background snapshot, or by running them now.
    pub(crate) async fn measure(&self, target: Target, exclude: Selection) -> Reading<R::Components> {
        if let Some(reading) = self.background_reading(target, exclude) {
            return reading;
        }
        let shared = &self.shared;
        let whole = shared.catalog.selection(target);
        let selection = whole.without_all(exclude);
        // Only runs of a whole subject are its latest result.
        let snapshot = shared.run((selection == whole).then_some(target), selection, None, false).await;
        Reading::report(snapshot, selection, matches!(target, Target::Component(_)), None)
    }

    /// `target` from the fresh background snapshot, if there is one:
    /// [`measure`](Self::measure) without a run.
    pub(crate) fn background_reading(&self, target: Target, exclude: Selection) -> Option<Reading<R::Components>> {
        let shared = &self.shared;
        let (snapshot, age) = shared.fresh_background()?;
        let selection = shared.catalog.selection(target).without_all(exclude);
        Some(Reading::report(snapshot, selection, matches!(target, Target::Component(_)), Some(age)))
    }

    /// Whether `target` is DOWN, without a run, because it drains and
    /// shutdown has begun.
    pub(crate) fn is_drained(&self, target: Target) -> bool {
        self.shared.catalog.drains(target) && self.shared.shutdown.is_shutting_down()
    }

    /// The newest report covering `subject` without running anything: its own
    /// latest run, or a run of every component (the background refresh's are).
    /// Reports are kept as they ran: once shutdown has begun, the subjects that
    /// drain are DOWN whatever they say (see [`status`](Self::status)).
    pub fn latest(&self, subject: &Subject) -> Result<Option<Arc<Snapshot<R::Components>>>, UnknownSubject> {
        let target = self.resolve(subject)?;
        let shared = &self.shared;
        // Background runs are kept as the whole's latest run too.
        let own = shared.slot(target).get();
        let whole = shared.slot(Target::Overall).get();
        Ok([own, whole].into_iter().flatten().max_by_key(|snapshot| snapshot.generation()))
    }

    /// The latest status of `subject` told to watchers and subscribers;
    /// `None` before any run covered it.
    pub fn status(&self, subject: &Subject) -> Result<Option<Status>, UnknownSubject> {
        Ok(self.status_of(self.resolve(subject)?))
    }

    /// The status of `subject` as it changes (see [`StatusWatch`]). On
    /// request, the watched subjects are refreshed in the background while
    /// any watch is open, every
    /// [`refresh_watched_every`](MonitorBuilder::refresh_watched_every).
    pub fn watch(&self, subject: &Subject) -> Result<StatusWatch, UnknownSubject> {
        Ok(self.watch_target(self.resolve(subject)?))
    }

    /// The watch of a subject resolved already.
    pub(crate) fn watch_target(&self, target: Target) -> StatusWatch {
        let watch = StatusWatch::new(self.shared.tracker.watch(target));
        refresh::watched(&self.shared);
        watch
    }

    /// The latest transitions and runs of `subject`, oldest first, as deep
    /// as [`MonitorBuilder::history_depth`] says; see [`History`].
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
    /// monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
    /// monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
    /// let history = monitor.history(&Subject::component("database")).unwrap();
    /// assert_eq!(history.runs.len(), 2);
    /// let first = &history.transitions[0];
    /// assert_eq!((first.from, first.to), (None, Status::Down));
    /// assert_eq!(first.message.as_deref(), Some("connection refused"));
    /// let whole = monitor.history(&Subject::Overall).unwrap();
    /// assert_eq!(whole.transitions[0].message.as_deref(), Some("DOWN: database"));
    /// # }
    /// ```
    pub fn history(&self, subject: &Subject) -> Result<History, UnknownSubject> {
        Ok(self.history_of(self.resolve(subject)?, true))
    }

    /// Every status change from now on, of every subject, in order.
    pub fn subscribe(&self) -> StatusChanges {
        StatusChanges::new(&self.shared.tracker)
    }

    /// Begins shutdown; see [`ShutdownHandle`]. The one drain rule, which
    /// every transport answers from: readiness, the whole and every other
    /// group but liveness turn DOWN ("shutting down") at once for every reader,
    /// watcher and subscriber, so that load balancers stop sending traffic;
    /// liveness and each component keep being measured, so that the
    /// orchestrator does not restart the process while it drains, and
    /// operators still see its dependencies. The background refresh stops.
    pub fn begin_shutdown(&self) {
        self.shared.shutdown.begin_shutdown();
    }

    /// Whether shutdown has begun.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.shutdown.is_shutting_down()
    }

    /// The handle that begins shutdown, to give to whatever notices it.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shared.shutdown.clone()
    }

    fn resolve(&self, subject: &Subject) -> Result<Target, UnknownSubject> {
        self.shared.catalog.resolve(subject).ok_or_else(|| UnknownSubject::new(subject.clone()))
    }

    /// The latest status recorded for `target`.
    pub(crate) fn status_of(&self, target: Target) -> Option<Status> {
        self.shared.tracker.status(target)
    }

    /// `target`'s history; its transitions only unless `runs`.
    pub(crate) fn history_of(&self, target: Target, runs: bool) -> History {
        self.shared.tracker.history_of(target, runs)
    }

    /// The catalog of subjects, for transports resolving names.
    #[cfg_attr(
        not(any(feature = "http", feature = "grpc")),
        allow(dead_code, reason = "the transports use it, each behind its feature")
    )]
    pub(crate) fn catalog(&self) -> &Catalog {
        &self.shared.catalog
    }
}

#[cfg(feature = "testing")]
impl<R: ReportSource> Monitor<R> {
    /// Whether a background refresh runs the checks.
    pub(crate) fn in_background(&self) -> bool {
        self.shared.background.is_some()
    }

    /// `subject`'s status in `snapshot`, as a read of it would answer: DOWN
    /// if it drains and shutdown has begun.
    pub(crate) fn status_in(
        &self,
        snapshot: &Snapshot<R::Components>,
        subject: &Subject,
    ) -> Result<Status, UnknownSubject> {
        let target = self.resolve(subject)?;
        if self.is_drained(target) {
            return Ok(Status::Down);
        }
        Ok(snapshot.status(self.shared.catalog.selection(target), matches!(target, Target::Component(_))))
    }

    /// The generation of the latest background snapshot; 0 before the
    /// first, or without a background refresh.
    pub(crate) fn landed(&self) -> u64 {
        let latest = self.shared.background.as_ref().and_then(|background| background.latest.borrow().clone());
        latest.map_or(0, |snapshot| snapshot.generation())
    }

    /// The first background snapshot newer than generation `after`, once it
    /// lands; `None` without a background refresh, or once it stopped.
    pub(crate) async fn background_after(&self, after: u64) -> Option<Arc<Snapshot<R::Components>>> {
        let mut latest = self.shared.background.as_ref()?.latest.clone();
        let newer = latest.wait_for(|latest| latest.as_ref().is_some_and(|snapshot| snapshot.generation() > after));
        newer.await.ok().and_then(|latest| latest.clone())
    }
}

impl<R: ReportSource> Shared<R> {
    /// Runs `selection` as a new generation, each check in a span of its own
    /// if `traced`; keeps it as `target`'s latest result, if given, and as
    /// the background snapshot, if `background`; then records its statuses,
    /// so that whoever hears of a change finds the report behind it.
    async fn run(
        &self,
        target: Option<Target>,
        selection: Selection,
        background: Option<&watch::Sender<Latest<R::Components>>>,
        traced: bool,
    ) -> Arc<Snapshot<R::Components>> {
        let generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        let flights = match traced {
            false => Flights::new(&self.flights),
            true => Flights::traced(&self.flights, self.source.components()),
        };
        let report = self.source.__run_in(&self.state, selection, flights).await;
        let snapshot = match target {
            Some(target) => self.slot(target).store(report, selection, generation),
            None => Arc::new(Snapshot::new(report, selection, generation)),
        };
        if let Some(background) = background {
            background.send_replace(Some(Arc::clone(&snapshot)));
        }
        let report = snapshot.report();
        self.tracker.record(&report.components, selection, generation, report.timestamp);
        snapshot
    }

    fn slot(&self, target: Target) -> &Slot<R::Components> {
        &self.slots[self.catalog.position(target)]
    }

    /// The background snapshot and its age, unless there is none yet or the
    /// refresh has stopped.
    fn fresh_background(&self) -> Option<(Arc<Snapshot<R::Components>>, Duration)> {
        let background = self.background.as_ref()?;
        let latest = background.latest.borrow().clone()?;
        let age = latest.age();
        (age <= background.stale_after).then_some((latest, age))
    }
}

impl<R: ReportSource> Clone for Monitor<R> {
    fn clone(&self) -> Self {
        Monitor { shared: Arc::clone(&self.shared) }
    }
}

impl<R: ReportSource> fmt::Debug for Monitor<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("report", &self.shared.source.title())
            .field("components", &Names(self.components()))
            .field("refresh_interval", &self.refresh_interval())
            .field("shutdown", &self.shared.shutdown)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Monitor`]: from [`Monitor::builder`].
///
/// ```
/// use std::time::Duration;
/// use health_core::monitor::Monitor;
/// use health_core::{health_check, HealthReport};
///
/// #[health_check]
/// async fn ping() {}
///
/// #[health_check]
/// async fn search() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck, search: SearchCheck }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), health_core::monitor::MonitorError> {
/// let monitor = Monitor::builder(Health::default(), ())
///     .refresh_every(Duration::from_secs(5))
///     .disable("search")
///     .on_status_change(|change| eprintln!("{} is {}", change.subject, change.to))
///     .build()?;
/// assert_eq!(monitor.refresh_interval(), Some(Duration::from_secs(5)));
/// # Ok(()) }
/// ```
pub struct MonitorBuilder<R: ReportSource> {
    source: R,
    state: Arc<R::State>,
    every: Option<Duration>,
    watched_every: Duration,
    disabled: Vec<String>,
    hooks: Vec<Hook>,
    /// Told of every run and status: the metrics, when asked for.
    pub(crate) observer: Option<MakeObserver>,
    shutdown: ShutdownHandle,
    history: HistoryDepth,
    groups: Vec<GroupDefinition>,
    trace_refreshes: bool,
}

/// A group as [`MonitorBuilder::group`] was told of it.
#[derive(Debug)]
struct GroupDefinition {
    name: String,
    components: Vec<String>,
}

impl<R: ReportSource> MonitorBuilder<R> {
    /// Runs every enabled check every `every` (at least [`MIN_REFRESH`]) in the
    /// background, and answers reads from the latest report.
    #[must_use]
    pub fn refresh_every(mut self, every: Duration) -> Self {
        self.every = Some(every);
        self
    }

    /// On request, refreshes the subjects somebody watches (through
    /// [`Monitor::watch`], or a gRPC `Watch`) every `every` (at least
    /// [`MIN_REFRESH`]; [`DEFAULT_WATCH_REFRESH`] by default), while any
    /// watch is open: a watch then sees a dependency fail without anyone
    /// reading. The refresh runs only the watched subjects' checks, joins
    /// runs under way, and stops with the last watch. In background mode the
    /// background refresh does this.
    #[must_use]
    pub fn refresh_watched_every(mut self, every: Duration) -> Self {
        self.watched_every = every;
        self
    }

    /// Runs each refresh nobody asked for (the background refresh, or on
    /// request the refresh of watched subjects) in a `health.refresh` span,
    /// with a `health.check` span around each check's run: a check's own
    /// spans, such as a database client's, nest in it. The refresh span
    /// records which refresh it is, how many components it runs, and once
    /// done its generation, status and duration in milliseconds; each check
    /// span its component, criticality, status, duration in milliseconds and
    /// attempts. Both are `INFO` spans of the target `health_core::refresh`.
    ///
    /// Off by default: a run then makes no span and allocates nothing for
    /// one. Reads made on request are never traced, so probe traffic stays
    /// out of traces either way.
    ///
    /// ```
    /// use std::time::Duration;
    /// use health_core::monitor::Monitor;
    /// use health_core::{health_check, HealthReport};
    ///
    /// #[health_check(critical)]
    /// async fn database() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { database: DatabaseCheck }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), health_core::monitor::MonitorError> {
    /// let monitor = Monitor::builder(Health::default(), ())
    ///     .refresh_every(Duration::from_secs(10))
    ///     .trace_refreshes(true)
    ///     .build()?;
    /// # drop(monitor); Ok(()) }
    /// ```
    #[must_use]
    pub fn trace_refreshes(mut self, traced: bool) -> Self {
        self.trace_refreshes = traced;
        self
    }

    /// Leaves the component `name` out of every read: it is never run, and is
    /// no subject. For dependencies that only some deployments have.
    #[must_use]
    pub fn disable(mut self, name: impl Into<String>) -> Self {
        self.disabled.push(name.into());
        self
    }

    /// Calls `hook` with every status change, in order, and never twice at
    /// once; a `tracing` event is emitted as well. A hook that panics is
    /// contained.
    #[must_use]
    pub fn on_status_change(mut self, hook: impl Fn(&StatusChange) + Send + Sync + 'static) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// How much history to keep per subject ([`HistoryDepth::default`]: the
    /// last 100 transitions and 300 runs); see [`Monitor::history`].
    #[must_use]
    pub fn history_depth(mut self, depth: HistoryDepth) -> Self {
        self.history = depth;
        self
    }

    /// Defines the group `name` of `components`, beside the groups the checks
    /// name: a subject like any other, weighed by criticality, tracked, kept
    /// in history, counted in metrics, served over HTTP at
    /// `/health/group/{name}` and over gRPC under `name`, and drained on
    /// shutdown. For a set a deployment decides, such as the dependencies of
    /// one gRPC service (`orders.v1.Orders`). Disabled components are left
    /// out; a group whose members are all disabled is UP. Over gRPC, a group
    /// named like a component leaves the component to be mapped under a name
    /// of its own.
    ///
    /// ```
    /// use health_core::monitor::{Monitor, Subject};
    /// use health_core::{health_check, HealthReport};
    ///
    /// #[health_check(critical)]
    /// async fn database() {}
    ///
    /// #[health_check]
    /// async fn search() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { database: DatabaseCheck, search: SearchCheck }
    ///
    /// # fn main() -> Result<(), health_core::monitor::MonitorError> {
    /// let monitor = Monitor::builder(Health::default(), ())
    ///     .group("orders.v1.Orders", ["database", "search"])
    ///     .build()?;
    /// assert!(monitor.groups().any(|group| group == "orders.v1.Orders"));
    /// assert_eq!(monitor.selection(&Subject::group("orders.v1.Orders")).unwrap().indices().count(), 2);
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn group<I>(mut self, name: impl Into<String>, components: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let components = components.into_iter().map(Into::into).collect();
        self.groups.push(GroupDefinition { name: name.into(), components });
        self
    }

    /// Uses `handle` to learn about shutdown (a new one by default): a
    /// handle shared with other monitors, or with the application.
    #[must_use]
    pub fn share_shutdown(mut self, handle: ShutdownHandle) -> Self {
        self.shutdown = handle;
        self
    }

    /// Checks the configuration and builds the monitor. In background mode it
    /// must be called inside a Tokio runtime, where the refresh task starts.
    pub fn build(mut self) -> Result<Monitor<R>, MonitorError> {
        let components = self.source.components();
        let mut enabled = Selection::first(components.len());
        for name in &self.disabled {
            let index = components
                .iter()
                .position(|component| component.name() == name)
                .ok_or_else(|| MonitorError::UnknownComponent(name.clone()))?;
            enabled = enabled.without(index);
        }
        if !self.history.is_bounded() {
            return Err(MonitorError::HistoryTooDeep(self.history));
        }
        if self.watched_every < MIN_REFRESH {
            return Err(MonitorError::RefreshTooFrequent(self.watched_every));
        }
        let refresh = match self.every {
            None => None,
            Some(every) if every < MIN_REFRESH => return Err(MonitorError::RefreshTooFrequent(every)),
            Some(every) => {
                let runtime = tokio::runtime::Handle::try_current().map_err(|_| MonitorError::NoRuntime)?;
                Some((every, runtime))
            }
        };
        let defined = self.defined_groups()?;
        let catalog = Arc::new(Catalog::with_defined(components, enabled, &defined));
        let observer = match self.observer.take() {
            Some(make) => Some(make(&catalog)?),
            None => None,
        };
        Ok(self.assemble(catalog, observer, refresh))
    }

    /// The groups [`group`](Self::group) defines, checked: valid names no
    /// other group has, of the report's components.
    fn defined_groups(&self) -> Result<Vec<DefinedGroup>, MonitorError> {
        let components = self.source.components();
        let mut defined: Vec<DefinedGroup> = Vec::with_capacity(self.groups.len());
        for GroupDefinition { name, components: names } in &self.groups {
            validate_group_name(name).map_err(|error| MonitorError::BadGroupName { name: name.clone(), error })?;
            let named = group::BUILT_IN.contains(&name.as_str())
                || components.iter().any(|component| component.in_group(name))
                || defined.iter().any(|group| group.name == *name);
            if named {
                return Err(MonitorError::GroupTaken(name.clone()));
            }
            if names.is_empty() {
                return Err(MonitorError::EmptyGroup(name.clone()));
            }
            let mut members = Selection::none();
            for member in names {
                let index = components
                    .iter()
                    .position(|component| component.name() == member)
                    .ok_or_else(|| MonitorError::UnknownMember { group: name.clone(), component: member.clone() })?;
                members = members.with(index);
            }
            defined.push(DefinedGroup { name: name.clone(), members });
        }
        Ok(defined)
    }

    /// The monitor of a checked configuration.
    fn assemble(
        self,
        catalog: Arc<Catalog>,
        observer: Option<Arc<dyn observe::Observer>>,
        refresh: Option<(Duration, tokio::runtime::Handle)>,
    ) -> Monitor<R> {
        let components = self.source.components();
        let enabled = catalog.enabled();
        let tracker = Arc::new(Tracker::new(Arc::clone(&catalog), self.hooks, observer, self.history));
        let (sender, latest) = watch::channel(None);
        let background = refresh.as_ref().map(|(every, _)| {
            let slowest = enabled.indices().map(|index| components[index].timeout()).max().unwrap_or_default();
            // Two intervals and the slowest check without a report: the refresh has stopped.
            Background { latest, every: *every, stale_after: every.saturating_mul(2).saturating_add(slowest) }
        });
        let shared = Arc::new(Shared {
            slots: (0..catalog.positions()).map(|_| Slot::default()).collect(),
            flights: components.iter().map(|_| Flight::default()).collect(),
            source: self.source,
            state: self.state,
            catalog,
            tracker: Arc::clone(&tracker),
            background,
            watched: refresh::Watched::new(self.watched_every),
            generations: AtomicU64::new(0),
            shutdown: self.shutdown.clone(),
            trace_refreshes: self.trace_refreshes,
        });
        let listener: Arc<dyn shutdown::OnShutdown> = tracker;
        self.shutdown.listen(Arc::downgrade(&listener));
        if let Some((every, runtime)) = refresh {
            runtime.spawn(refresh::refresh(Arc::downgrade(&shared), sender, every, self.shutdown));
        }
        Monitor { shared }
    }
}

impl<R: ReportSource> fmt::Debug for MonitorBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitorBuilder")
            .field("report", &self.source.title())
            .field("components", &Names(self.source.components()))
            .field("refresh_every", &self.every)
            .field("refresh_watched_every", &self.watched_every)
            .field("disabled", &self.disabled)
            .field("hooks", &self.hooks.len())
            .field("observed", &self.observer.is_some())
            .field("history", &self.history)
            .field("groups", &self.groups)
            .field("trace_refreshes", &self.trace_refreshes)
            .finish_non_exhaustive()
    }
}

/// Components shown by name.
struct Names<'a>(&'a [ComponentInfo]);

impl fmt::Debug for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(ComponentInfo::name)).finish()
    }
}
