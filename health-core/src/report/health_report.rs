//! A whole report, its JSON form, and the trait the derive implements.

use std::future::Future;
use std::time::{Duration, SystemTime};

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::check::flight::Flights;
use crate::report::component::millis;
use crate::{ComponentInfo, ComponentSet, Selection, Status, time_format::Rfc3339};

/// The result of running every component of a report once.
///
/// `C` holds the components: for a `#[derive(HealthReport)]` struct `Foo` it is
/// the generated `FooComponents`, with one typed [`Component`](crate::Component)
/// field per check; for a [`Registry`](crate::Registry) it is
/// [`DynamicComponents`](crate::DynamicComponents).
///
/// Serialized as
/// `{"status", "timestamp", "duration_ms", "components": {name: component, …}}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Report<C> {
    /// The overall status (see [`Status::aggregate`]).
    pub status: Status,
    /// When the report started.
    pub timestamp: SystemTime,
    /// How long the whole report took.
    pub duration: Duration,
    /// The components' results.
    pub components: C,
}

impl<C> Report<C> {
    /// A report of `components` whose overall status is `status`, started at
    /// `timestamp` and run for `duration`.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use health_core::{Report, Status};
    ///
    /// let report = Report::new(Status::Up, SystemTime::now(), Duration::from_millis(2), ());
    /// assert_eq!(report.status, Status::Up);
    /// ```
    pub fn new(status: Status, timestamp: SystemTime, duration: Duration, components: C) -> Self {
        Report { status, timestamp, duration, components }
    }
}

impl<C: Serialize> Serialize for Report<C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut report = serializer.serialize_struct("Report", 4)?;
        report.serialize_field("status", &self.status)?;
        report.serialize_field("timestamp", &Rfc3339(self.timestamp))?;
        report.serialize_field("duration_ms", &millis(self.duration))?;
        report.serialize_field("components", &self.components)?;
        report.end()
    }
}

/// A set of checks run together into one [`Report`].
///
/// Implemented by `#[derive(HealthReport)]`; import this trait (the derive has
/// the same name, so one `use` brings both) to call its methods.
///
/// ```
/// use health_core::{health_check, HealthReport, Status};
///
/// #[health_check(timeout = "50ms")]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health {
///     ping: PingCheck,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let report = Health::default().report(&()).await;
/// assert_eq!(report.status, Status::Up);
/// assert_eq!(report.components.ping.status, Status::Up);
/// assert_eq!(Health::COMPONENTS[0].name(), "ping");
/// assert_eq!(Health::TITLE, "Health");
/// # }
/// ```
pub trait HealthReport: Send + Sync {
    /// The state every check receives, declared with `#[health(state = T)]`.
    type State: ?Sized + Sync;

    /// The typed results of the components.
    type Components: Serialize + ComponentSet + Send + Sync;

    /// The components in declaration order.
    const COMPONENTS: &'static [ComponentInfo];

    /// The report's name, the title of its JSON Schema: the struct's name.
    const TITLE: &'static str;

    /// Runs every check concurrently, each under its own timeout and with panics
    /// isolated, and combines the results.
    ///
    /// # Panics
    ///
    /// Like every Tokio timer, it must run inside a Tokio runtime with the time
    /// driver enabled.
    fn report(&self, state: &Self::State) -> impl Future<Output = Report<Self::Components>> + Send {
        self.report_selected(state, Selection::all())
    }

    /// Runs the selected checks like [`report`](Self::report). The others are not
    /// run: their entries hold an UP placeholder and are meant to be left out
    /// of any output (the formats of the HTTP layer visit only the selection).
    fn report_selected(
        &self,
        state: &Self::State,
        selection: Selection,
    ) -> impl Future<Output = Report<Self::Components>> + Send;

    /// Runs the selected checks like [`report_selected`](Self::report_selected),
    /// each joining the run of it under way in `flights`, a monitor's, if any.
    /// Not part of the API: the derive implements it, and a monitor calls it.
    #[doc(hidden)]
    fn __report_in(
        &self,
        state: &Self::State,
        selection: Selection,
        flights: Flights<'_>,
    ) -> impl Future<Output = Report<Self::Components>> + Send {
        let _ = flights;
        self.report_selected(state, selection)
    }

    /// The JSON Schema (2020-12) of this report's JSON.
    fn json_schema() -> serde_json::Value;
}
