//! Health as metrics, through the [`metrics`](https://docs.rs/metrics) facade
//! (feature `metrics`): the application installs the exporter it wants, such
//! as `metrics-exporter-prometheus`, and the monitor records into it.
//!
//! | metric | type | labels | what |
//! |---|---|---|---|
//! | `health_check_status` | gauge, one series per status (1 for the current one, 0 for the others) | `component`, `status` | each component's latest status |
//! | `health_check_duration_seconds` | histogram | `component` | how long runs took |
//! | `health_check_runs_total` | counter | `component`, `result` (`up`, `degraded`, `down`, `timeout`, `panic`) | runs |
//! | `health_status` | gauge, one series per status | `group` (`all`, `liveness`, `readiness`, `startup`, custom groups) | the status of each group and of the whole |
//!
//! Every real run is recorded, on request and in the background alike; a
//! cached result reused is not a run. A run's `result` is what it found; the
//! status gauges show what thresholds let the component show (see
//! [`Thresholds`](crate::Thresholds)). Statuses are the monitor's: readiness
//! turns DOWN when shutdown begins. The prefix `health_` can be changed
//! ([`MetricsOptions::prefix`]). Every series is registered as the monitor
//! is built, all at 0 until a status is known: install the recorder before
//! building the monitor. Recording then allocates nothing.
//!
//! ```
//! use health_core::metrics::MetricsOptions;
//! use health_core::{health_check, HealthReport};
//! use health_core::monitor::Monitor;
//!
//! #[health_check(critical)]
//! async fn database() {}
//!
//! #[derive(HealthReport, Default)]
//! struct Health { database: DatabaseCheck }
//!
//! # fn main() -> Result<(), health_core::monitor::MonitorError> {
//! // Install your exporter's recorder first, e.g.
//! // metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?;
//! let monitor = Monitor::builder(Health::default(), ())
//!     .metrics(MetricsOptions::default().prefix("app_health_"))
//!     .build()?;
//! # let _ = monitor; Ok(()) }
//! ```

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use metrics::{Counter, Gauge, Histogram, Unit};

use crate::monitor::{Catalog, MonitorBuilder, MonitorError, Observer, Run, Subject, Target};
use crate::report::Selection;
use crate::report::component::Ending;
use crate::{ReportSource, Status};

/// The `group` label of the whole report.
const ALL: &str = "all";

/// What the monitor's metrics are called; see the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsOptions {
    prefix: Cow<'static, str>,
}

impl Default for MetricsOptions {
    /// The prefix `health_`.
    fn default() -> Self {
        MetricsOptions { prefix: Cow::Borrowed("health_") }
    }
}

impl MetricsOptions {
    /// Starts every metric's name with `prefix`: `app_health_` gives
    /// `app_health_check_status`. Building the monitor refuses a prefix that
    /// is not ASCII letters, digits, `_` and `:`, or starts with a digit.
    #[must_use]
    pub fn prefix(mut self, prefix: impl Into<Cow<'static, str>>) -> Self {
        self.prefix = prefix.into();
        self
    }
}

impl<R: ReportSource> MonitorBuilder<R> {
    /// Records every run and status as metrics; see [`metrics`](crate::metrics).
    /// [`build`](Self::build) refuses a bad prefix
    /// ([`MonitorError::BadMetricsPrefix`]) and a group named `all`
    /// ([`MonitorError::MetricsGroupAll`]), the label of the whole.
    #[must_use]
    pub fn metrics(mut self, options: MetricsOptions) -> Self {
        self.observer = Some(Box::new(move |catalog: &Arc<Catalog>| {
            let prefix = &options.prefix;
            let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | ':');
            if !prefix.chars().all(valid) || prefix.starts_with(|c: char| c.is_ascii_digit()) {
                return Err(MonitorError::BadMetricsPrefix(prefix.to_string()));
            }
            if catalog.group(ALL).is_some() {
                return Err(MonitorError::MetricsGroupAll);
            }
            // Registered now, with the recorder installed now, on this thread.
            let series = register(&options, catalog);
            Ok(Arc::new(Metrics { options, catalog: Arc::clone(catalog), series }) as Arc<dyn Observer>)
        }));
        self
    }
}

/// The monitor's observer that records metrics.
struct Metrics {
    options: MetricsOptions,
    catalog: Arc<Catalog>,
    series: Series,
}

/// Every series, registered once.
struct Series {
    /// By component index; `None` for disabled components.
    runs: Vec<Option<Runs>>,
    /// By catalog position; `None` for disabled components.
    statuses: Vec<Option<StateSet>>,
}

/// One component's run metrics.
struct Runs {
    duration: Histogram,
    /// By [`Outcome::index`].
    results: [Counter; Outcome::ALL.len()],
}

/// One series per status: 1 for the current one, 0 for the others.
struct StateSet([Gauge; Status::ALL.len()]);

impl StateSet {
    /// The others to 0 first: a scrape meanwhile never sees two at 1.
    fn set(&self, status: Status) {
        for (gauge, each) in self.0.iter().zip(Status::ALL) {
            if each != status {
                gauge.set(0.0);
            }
        }
        for (gauge, each) in self.0.iter().zip(Status::ALL) {
            if each == status {
                gauge.set(1.0);
            }
        }
    }
}

/// The `result` label of a run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Up,
    Degraded,
    Down,
    Timeout,
    Panic,
}

impl Outcome {
    const ALL: [Outcome; 5] = [Outcome::Up, Outcome::Degraded, Outcome::Down, Outcome::Timeout, Outcome::Panic];

    fn of(run: Run) -> Self {
        match (run.ending, run.status) {
            (Ending::TimedOut, _) => Outcome::Timeout,
            (Ending::Panicked, _) => Outcome::Panic,
            (_, Status::Up) => Outcome::Up,
            (_, Status::Degraded) => Outcome::Degraded,
            (_, Status::Down) => Outcome::Down,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Outcome::Up => "up",
            Outcome::Degraded => "degraded",
            Outcome::Down => "down",
            Outcome::Timeout => "timeout",
            Outcome::Panic => "panic",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Every series of a monitor's subjects, with their descriptions.
fn register(options: &MetricsOptions, catalog: &Catalog) -> Series {
    {
        let name = |metric: &str| format!("{}{metric}", options.prefix);
        let (check_status, duration, runs, status) =
            (name("check_status"), name("check_duration_seconds"), name("check_runs_total"), name("status"));
        metrics::describe_gauge!(
            check_status.clone(),
            "The latest status of each health check component: 1 for the current status, 0 for the others."
        );
        metrics::describe_histogram!(duration.clone(), Unit::Seconds, "How long health check runs took.");
        metrics::describe_counter!(runs.clone(), "Health check runs, by result.");
        metrics::describe_gauge!(
            status.clone(),
            "The status of each probe group and of the whole (`all`): 1 for the current status, 0 for the others."
        );
        let state_set = |name: &str, label: &'static str, value: &str| {
            StateSet(
                Status::ALL
                    .map(|each| metrics::gauge!(name.to_owned(), label => value.to_owned(), "status" => each.as_str())),
            )
        };
        let components = (0..catalog.component_count())
            .map(|index| {
                let enabled = catalog.enabled().contains(index);
                enabled.then(|| {
                    let component = catalog.subject(Target::Component(index)).name().unwrap_or_default().to_owned();
                    Runs {
                        duration: metrics::histogram!(duration.clone(), "component" => component.clone()),
                        results: Outcome::ALL.map(|outcome| {
                            metrics::counter!(runs.clone(), "component" => component.clone(), "result" => outcome.label())
                        }),
                    }
                })
            })
            .collect();
        let statuses = (0..catalog.positions())
            .map(|position| {
                let target = catalog.target_at(position);
                match catalog.subject(target) {
                    // Disabled components have no series: they are not part of this deployment.
                    Subject::Component(_)
                        if catalog.selection(target).intersect(catalog.enabled()) == Selection::none() =>
                    {
                        None
                    }
                    Subject::Component(component) => Some(state_set(&check_status, "component", component)),
                    Subject::Group(group) => Some(state_set(&status, "group", group)),
                    _ => Some(state_set(&status, "group", ALL)),
                }
            })
            .collect();
        Series { runs: components, statuses }
    }
}

impl Observer for Metrics {
    fn ran(&self, index: usize, run: Run) {
        // A result reused or joined, or a wait for another read's run that
        // timed out, is no run of the check.
        if !run.ending.is_run() {
            return;
        }
        if let Some(Some(runs)) = self.series.runs.get(index) {
            runs.duration.record(run.duration.as_secs_f64());
            runs.results[Outcome::of(run).index()].increment(1);
        }
    }

    fn status(&self, target: Target, status: Status) {
        if let Some(Some(states)) = self.series.statuses.get(self.catalog.position(target)) {
            states.set(status);
        }
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics").field("options", &self.options).finish_non_exhaustive()
    }
}
