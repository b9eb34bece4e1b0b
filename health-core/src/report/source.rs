//! What a monitor runs: a derived report or a registry, behind one trait.

use std::future::Future;

use serde::Serialize;

use crate::check::flight::Flights;
use crate::{ComponentInfo, ComponentSet, HealthReport, Report, Selection};

/// A set of checks that runs into a [`Report`]: every `#[derive(HealthReport)]`
/// struct, and [`Registry`](crate::Registry). A [`Monitor`](crate::monitor::Monitor),
/// and so every transport, serves either the same way.
///
/// ```
/// use health_core::{health_check, HealthReport, Registry, ReportSource};
///
/// #[health_check]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck }
///
/// fn names<R: ReportSource>(source: &R) -> Vec<&str> {
///     source.components().iter().map(|c| c.name()).collect()
/// }
///
/// let mut registry = Registry::<()>::new();
/// registry.register("ping", PingCheck::default()).unwrap();
/// assert_eq!(names(&Health::default()), names(&registry));
/// ```
pub trait ReportSource: Send + Sync + 'static {
    /// The state every check receives.
    type State: ?Sized + Send + Sync + 'static;

    /// The typed results of the components.
    type Components: ComponentSet + Serialize + Send + Sync + 'static;

    /// The report's name: the title of its JSON Schema and OpenAPI document.
    fn title(&self) -> &str;

    /// The components, in the order reports list them.
    fn components(&self) -> &[ComponentInfo];

    /// Runs the selected checks concurrently, each under its own timeout and
    /// with panics isolated. Components left out hold an UP placeholder.
    fn run(&self, state: &Self::State, selection: Selection) -> impl Future<Output = Report<Self::Components>> + Send;

    /// Runs the selected checks like [`run`](Self::run), each joining the run
    /// of it in `flights` that is under way, if any. Not part of the API:
    /// derived reports and registries implement it, so that a monitor
    /// coalesces their runs; another source runs what it is asked to.
    #[doc(hidden)]
    fn __run_in(
        &self,
        state: &Self::State,
        selection: Selection,
        flights: Flights<'_>,
    ) -> impl Future<Output = Report<Self::Components>> + Send {
        let _ = flights;
        self.run(state, selection)
    }

    /// The JSON Schema (2020-12) of the report's JSON.
    fn json_schema(&self) -> serde_json::Value;
}

impl<H> ReportSource for H
where
    H: HealthReport + 'static,
    H::State: Send + 'static,
    H::Components: 'static,
{
    type State = H::State;
    type Components = H::Components;

    fn title(&self) -> &str {
        H::TITLE
    }

    fn components(&self) -> &[ComponentInfo] {
        H::COMPONENTS
    }

    fn run(&self, state: &H::State, selection: Selection) -> impl Future<Output = Report<H::Components>> + Send {
        self.report_selected(state, selection)
    }

    fn __run_in(
        &self,
        state: &H::State,
        selection: Selection,
        flights: Flights<'_>,
    ) -> impl Future<Output = Report<H::Components>> + Send {
        self.__report_in(state, selection, flights)
    }

    fn json_schema(&self) -> serde_json::Value {
        H::json_schema()
    }
}
