//! Reports from checks chosen at run time.

use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use schemars::JsonSchema;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;
use tokio::time::Instant;

use crate::join::MaybeDone;
use crate::{Check, Component, IntoOutcome, Outcome, Report, SchemaBuilder, Status};

/// Checks chosen at run time (from configuration, say), reported in the same
/// JSON format as a `#[derive(HealthReport)]` struct.
///
/// Generated checks and closures alike can be registered; all run concurrently,
/// each under its own timeout and with panics isolated.
///
/// ```
/// use std::time::Duration;
/// use health_core::{check_fn, health_check, CheckOptions, Outcome, Registry, Status};
///
/// struct AppState { queue_depth: u64 }
///
/// #[health_check(timeout = "100ms", critical)]
/// async fn ping() {}
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), health_core::RegistryError> {
/// let mut registry = Registry::<AppState>::new();
/// registry.register("ping", PingCheck::default())?;
/// registry.register_with(
///     "queue",
///     // The closure copies what it needs out of the state; its future owns it.
///     check_fn(|state: &AppState| {
///         let depth = state.queue_depth;
///         async move { if depth > 100 { Outcome::degraded(depth) } else { Outcome::up(depth) } }
///     }),
///     CheckOptions::new().timeout(Duration::from_millis(50)),
/// )?;
///
/// let report = registry.report(&AppState { queue_depth: 250 }).await;
/// assert_eq!(report.status, Status::Degraded);
/// assert_eq!(report.components.get("queue").unwrap().details, Some(250.into()));
/// # Ok(()) }
/// ```
pub struct Registry<S: ?Sized = ()> {
    entries: Vec<Entry<S>>,
}

struct Entry<S: ?Sized> {
    name: String,
    timeout: Duration,
    critical: bool,
    description: Option<String>,
    check: Box<dyn DynCheck<S>>,
}

/// Overrides of a check's own settings for one registration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckOptions {
    timeout: Option<Duration>,
    critical: Option<bool>,
    description: Option<String>,
}

impl CheckOptions {
    /// No overrides: the check's own timeout, criticality and description.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long one run may take.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Whether the component being DOWN makes the report DOWN.
    #[must_use]
    pub fn critical(mut self, critical: bool) -> Self {
        self.critical = Some(critical);
        self
    }

    /// What the component checks, shown in the JSON Schema.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// Why a check could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// A component of that name is already registered.
    DuplicateName(String),
    /// Component names must not be empty.
    EmptyName,
    /// A timeout of zero would report the component DOWN without running it.
    ZeroTimeout(String),
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::DuplicateName(name) => write!(f, "a component named `{name}` is already registered"),
            RegistryError::EmptyName => f.write_str("a component name must not be empty"),
            RegistryError::ZeroTimeout(name) => {
                write!(f, "the timeout of component `{name}` must be greater than zero")
            }
        }
    }
}

impl std::error::Error for RegistryError {}

impl<S: ?Sized + Sync + 'static> Registry<S> {
    /// An empty registry: its report is UP with no components.
    pub fn new() -> Self {
        Registry { entries: Vec::new() }
    }

    /// Registers `check` as component `name`, with the check's own settings.
    pub fn register<C: Check<S> + 'static>(
        &mut self,
        name: impl Into<String>,
        check: C,
    ) -> Result<&mut Self, RegistryError> {
        self.register_with(name, check, CheckOptions::new())
    }

    /// Registers `check` as component `name`, with `options` overriding its own settings.
    pub fn register_with<C: Check<S> + 'static>(
        &mut self,
        name: impl Into<String>,
        check: C,
        options: CheckOptions,
    ) -> Result<&mut Self, RegistryError> {
        let name = name.into();
        let timeout = options.timeout.unwrap_or(C::TIMEOUT);
        if name.is_empty() {
            return Err(RegistryError::EmptyName);
        }
        if self.entries.iter().any(|entry| entry.name == name) {
            return Err(RegistryError::DuplicateName(name));
        }
        if timeout.is_zero() {
            return Err(RegistryError::ZeroTimeout(name));
        }
        self.entries.push(Entry {
            name,
            timeout,
            critical: options.critical.unwrap_or(C::CRITICAL),
            description: options.description.or_else(|| C::DESCRIPTION.map(str::to_owned)),
            check: Box::new(check),
        });
        Ok(self)
    }

    /// The registered component names, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|entry| entry.name.as_str())
    }

    /// Runs every registered check concurrently and combines the results.
    ///
    /// # Panics
    ///
    /// Like every Tokio timer, it must run inside a Tokio runtime with the time
    /// driver enabled.
    pub async fn report(&self, state: &S) -> Report<DynamicComponents> {
        let timestamp = SystemTime::now();
        let started = Instant::now();
        let mut running: Vec<_> = self
            .entries
            .iter()
            .map(|entry| MaybeDone::new(entry.check.run(state, entry.timeout, entry.critical)))
            .collect();
        poll_fn(|cx| {
            let mut pending = false;
            for future in &mut running {
                pending |= Pin::new(future).poll_pending(cx);
            }
            if pending { Poll::Pending } else { Poll::Ready(()) }
        })
        .await;
        let components: Vec<_> = self
            .entries
            .iter()
            .zip(&mut running)
            .map(|(entry, future)| (entry.name.clone(), Pin::new(future).take_output()))
            .collect();
        Report {
            status: Status::aggregate(components.iter().map(|(_, c)| (c.status, c.critical))),
            timestamp,
            duration: started.elapsed(),
            components: DynamicComponents(components),
        }
    }

    /// The JSON Schema (2020-12) of this registry's reports.
    pub fn json_schema(&self) -> Value {
        let mut builder = SchemaBuilder::default();
        for entry in &self.entries {
            entry.check.describe(&mut builder, &entry.name, entry.critical, entry.description.as_deref());
        }
        builder.finish("HealthReport")
    }
}

impl<S: ?Sized + Sync + 'static> Default for Registry<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: ?Sized> fmt::Debug for Registry<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<_> = self.entries.iter().map(|entry| &entry.name).collect();
        f.debug_struct("Registry").field("components", &names).finish()
    }
}

/// The components of a [`Registry`]'s report, in registration order, with their
/// details as JSON values.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicComponents(Vec<(String, Component<Value>)>);

impl DynamicComponents {
    /// The component named `name`.
    pub fn get(&self, name: &str) -> Option<&Component<Value>> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// Every component with its name, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Component<Value>)> {
        self.0.iter().map(|(n, c)| (n.as_str(), c))
    }

    /// How many components there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for DynamicComponents {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, component) in &self.0 {
            map.serialize_entry(name, component)?;
        }
        map.end()
    }
}

type BoxedRun<'a> = Pin<Box<dyn Future<Output = Component<Value>> + Send + 'a>>;

/// A check whose details type is erased, so checks of any type share a registry.
trait DynCheck<S: ?Sized>: Send + Sync {
    fn run<'a>(&'a self, state: &'a S, timeout: Duration, critical: bool) -> BoxedRun<'a>;
    fn describe(&self, builder: &mut SchemaBuilder, name: &str, critical: bool, description: Option<&str>);
}

impl<S: ?Sized + Sync, C: Check<S>> DynCheck<S> for C {
    fn run<'a>(&'a self, state: &'a S, timeout: Duration, critical: bool) -> BoxedRun<'a> {
        Box::pin(async move { erase_details(self.__run_for_report(state, timeout, critical).await) })
    }

    fn describe(&self, builder: &mut SchemaBuilder, name: &str, critical: bool, description: Option<&str>) {
        builder.component::<C::Details>(name, critical, description);
    }
}

fn erase_details<T: Serialize>(component: Component<T>) -> Component<Value> {
    let Component { status, critical, duration, message, details } = component;
    match details.map(serde_json::to_value).transpose() {
        Ok(details) => Component { status, critical, duration, message, details },
        Err(error) => Component {
            status: Status::Down,
            critical,
            duration,
            message: Some(format!("details could not be serialized: {error}").into()),
            details: None,
        },
    }
}

/// A check made of a closure, for [`Registry`]: `f` receives the state and
/// returns a future of one of the types a `#[health_check]` fn may return.
///
/// The future must own what it uses (`'static`): copy or clone what it needs
/// out of the state before the `async move` block.
pub fn check_fn<S, F, Fut>(f: F) -> FnCheck<F>
where
    S: ?Sized,
    F: Fn(&S) -> Fut + Send + Sync,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
{
    FnCheck(f)
}

/// A check made of a closure; see [`check_fn`].
#[derive(Clone)]
pub struct FnCheck<F>(F);

impl<F> fmt::Debug for FnCheck<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnCheck")
    }
}

impl<S, F, Fut> Check<S> for FnCheck<F>
where
    S: ?Sized,
    F: Fn(&S) -> Fut + Send + Sync,
    Fut: Future + Send + 'static,
    Fut::Output: IntoOutcome,
    <Fut::Output as IntoOutcome>::Details: Serialize + JsonSchema + Send + Sync + 'static,
{
    type Details = <Fut::Output as IntoOutcome>::Details;

    fn run(&self, state: &S) -> impl Future<Output = Outcome<Self::Details>> + Send {
        let run = (self.0)(state);
        async move { run.await.into_outcome() }
    }
}
