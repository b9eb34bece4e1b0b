//! Reports from checks chosen at run time.

use std::borrow::Cow;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, SystemTime};

use schemars::JsonSchema;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;
use tokio::time::Instant;

use crate::__private::run_for_report;
use crate::check::MAX_TIMEOUT;
use crate::check::cache::ResultCache;
use crate::check::flight::{Coalesced, Flights};
use crate::check::run::{Plan, Policy, RunIn};
use crate::check::thresholds::ThresholdOverride;
use crate::report::join::MaybeDone;
use crate::report::names::{NameError, validate_component_name, validate_group_name};
use crate::time_format::ShortDuration;
use crate::{
    Check, Component, ComponentInfo, ComponentSet, ComponentVisitor, Damped, IntoOutcome, Outcome, Report,
    ReportSource, Retry, SchemaBuilder, Selection, Status, Thresholds,
};

/// Checks chosen at run time (from configuration, say), reported in the same
/// JSON format as a `#[derive(HealthReport)]` struct, and served the same way
/// by a [`Monitor`](crate::monitor::Monitor).
///
/// Generated checks, hand-written ones and closures alike can be registered;
/// all run concurrently, each under its own timeout and with panics isolated.
///
/// ```
/// use std::time::Duration;
/// use health_core::{check_fn, group, health_check, CheckOptions, Outcome, Registry, Status};
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
///     CheckOptions::new()
///         .timeout(Duration::from_millis(50))
///         .groups([group::READINESS, "batch-jobs"])
///         .cache(Duration::from_secs(2)),
/// )?;
///
/// let report = registry.report(&AppState { queue_depth: 250 }).await;
/// assert_eq!(report.status, Status::Degraded);
/// assert_eq!(report.components.get("queue").unwrap().details, Some(250.into()));
/// # Ok(()) }
/// ```
pub struct Registry<S: ?Sized = ()> {
    title: Cow<'static, str>,
    // Shared with every report's `DynamicComponents`, which name their entries by it.
    components: Arc<Vec<ComponentInfo>>,
    checks: Vec<Box<dyn DynCheck<S>>>,
}

/// Overrides of a check's own settings for one registration.
///
/// ```
/// use std::time::Duration;
/// use health_core::{group, CheckOptions};
///
/// let options = CheckOptions::new()
///     .critical(true)
///     .timeout(Duration::from_secs(2))
///     .groups([group::LIVENESS, group::READINESS])
///     .cache(Duration::from_secs(5))
///     .failure_threshold(3)
///     .success_threshold(2)
///     .retries(1)
///     .retry_backoff(Duration::from_millis(50))
///     .description("The primary database answers.");
/// # let _ = options;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckOptions {
    timeout: Option<Duration>,
    critical: Option<bool>,
    description: Option<String>,
    groups: Option<Vec<String>>,
    cache: Option<Duration>,
    retries: Option<u32>,
    retry_backoff: Option<Duration>,
    failure_threshold: Option<u32>,
    success_threshold: Option<u32>,
}

impl CheckOptions {
    /// No overrides: the check's own timeout, criticality, description and groups.
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

    /// The probe groups of the component, as `groups(...)` sets them for
    /// generated checks: [`group`](crate::group)'s built-in ones or custom names.
    #[must_use]
    pub fn groups<G: Into<String>>(mut self, groups: impl IntoIterator<Item = G>) -> Self {
        self.groups = Some(groups.into_iter().map(Into::into).collect());
        self
    }

    /// Reuses each result for `ttl` after its run completes, with one run
    /// shared by concurrent reports, as `cache = ".."` does for generated
    /// checks. It caches what the check's own runner returns.
    #[must_use]
    pub fn cache(mut self, ttl: Duration) -> Self {
        self.cache = Some(ttl);
        self
    }

    /// Tries a failed run again up to `retries` times within the same run
    /// (see [`Retry`]), in place of the check's own retries.
    #[must_use]
    pub fn retries(mut self, retries: u32) -> Self {
        self.retries = Some(retries);
        self
    }

    /// Waits `backoff` before each retry, in place of the check's own wait.
    #[must_use]
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = Some(backoff);
        self
    }

    /// Makes the component DOWN only after `failures` consecutive failed runs
    /// (see [`Thresholds`]). A check that keeps no history of its own is given
    /// one by the registry.
    #[must_use]
    pub fn failure_threshold(mut self, failures: u32) -> Self {
        self.failure_threshold = Some(failures);
        self
    }

    /// Brings a DOWN component back only after `successes` consecutive
    /// successful runs (see [`Thresholds`]).
    #[must_use]
    pub fn success_threshold(mut self, successes: u32) -> Self {
        self.success_threshold = Some(successes);
        self
    }

    fn thresholds(&self) -> ThresholdOverride {
        ThresholdOverride::new(self.failure_threshold, self.success_threshold)
    }

    fn retry<S: ?Sized, C: Check<S>>(&self) -> Retry {
        Retry::new(self.retries.unwrap_or(C::RETRY.retries()), self.retry_backoff.unwrap_or(C::RETRY.backoff()))
    }
}

/// Why a check could not be registered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegistryError {
    /// A component of that name is already registered.
    DuplicateName(String),
    /// The name cannot be a component's.
    InvalidName {
        /// The name.
        name: String,
        /// What is wrong with it.
        error: NameError,
    },
    /// A group name that cannot be one, or is listed twice.
    InvalidGroup {
        /// The component.
        component: String,
        /// The group.
        group: String,
        /// What is wrong with it; `None` when it is listed twice.
        error: Option<NameError>,
    },
    /// A timeout of zero would report the component DOWN without running it.
    ZeroTimeout(String),
    /// A timeout longer than [`MAX_TIMEOUT`](crate::MAX_TIMEOUT).
    TimeoutTooLong {
        /// The component.
        name: String,
        /// Its timeout.
        timeout: Duration,
    },
    /// A cache whose results are never fresh.
    ZeroCache(String),
    /// A failure or success threshold of zero: thresholds count runs.
    ZeroThreshold(String),
    /// A retry backoff for a check that makes no retries.
    BackoffWithoutRetries(String),
    /// Retries whose waits alone fill the timeout, leaving the last no time.
    RetriesExceedTimeout {
        /// The component.
        name: String,
        /// The retries.
        retry: Retry,
        /// Its timeout.
        timeout: Duration,
    },
    /// A registry holds at most [`Selection::CAPACITY`] components.
    Full,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryError::DuplicateName(name) => write!(f, "a component named `{name}` is already registered"),
            RegistryError::InvalidName { name, error } => write!(f, "invalid component name `{name}`: {error}"),
            RegistryError::InvalidGroup { component, group, error: Some(error) } => {
                write!(f, "invalid group `{group}` of component `{component}`: {error}")
            }
            RegistryError::InvalidGroup { component, group, error: None } => {
                write!(f, "group `{group}` of component `{component}` is listed twice")
            }
            RegistryError::ZeroTimeout(name) => {
                write!(f, "the timeout of component `{name}` must be greater than zero")
            }
            RegistryError::TimeoutTooLong { name, timeout } => write!(
                f,
                "the timeout of component `{name}`, {}, is longer than the longest a check may have, {}",
                ShortDuration(*timeout),
                ShortDuration(MAX_TIMEOUT)
            ),
            RegistryError::ZeroCache(name) => {
                write!(f, "the cache of component `{name}` must keep results for more than zero")
            }
            RegistryError::ZeroThreshold(name) => {
                write!(f, "the thresholds of component `{name}` count consecutive runs, so they must be 1 or more")
            }
            RegistryError::BackoffWithoutRetries(name) => {
                write!(f, "component `{name}` has a retry backoff but makes no retries; set `retries` too")
            }
            RegistryError::RetriesExceedTimeout { name, retry, timeout } => write!(
                f,
                "component `{name}`: {} retries waiting {} each, {} in all, leave no time within its timeout of {}; use fewer retries, a shorter backoff or a longer timeout",
                retry.retries(),
                ShortDuration(retry.backoff()),
                ShortDuration(retry.min_wait()),
                ShortDuration(*timeout)
            ),
            RegistryError::Full => write!(f, "a registry holds at most {} components", Selection::CAPACITY),
        }
    }
}

impl std::error::Error for RegistryError {}

impl<S: ?Sized + Sync + 'static> Registry<S> {
    /// An empty registry titled `Health`: its report is UP with no components.
    pub fn new() -> Self {
        Registry { title: Cow::Borrowed("Health"), components: Arc::default(), checks: Vec::new() }
    }

    /// Names the report: the title of its JSON Schema and OpenAPI schemas.
    #[must_use]
    pub fn with_title(mut self, title: impl Into<Cow<'static, str>>) -> Self {
        self.title = title.into();
        self
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
        let (info, policy) = self.describe::<C>(&name, &options)?;
        let thresholds = options.thresholds();
        let check: Box<dyn DynCheck<S>> = if thresholds.is_set() && !C::__KEEPS_HISTORY {
            // The registry keeps the history the check does not.
            let damped = Damped::new(check, thresholds.apply(Thresholds::NONE));
            entry(damped, policy, options.cache)
        } else {
            entry(check, policy.with_thresholds(thresholds), options.cache)
        };
        Arc::make_mut(&mut self.components).push(info);
        self.checks.push(check);
        Ok(self)
    }

    /// The component `check` would be as `name` with `options`, and how it
    /// would run (without thresholds), if it can be one.
    fn describe<C: Check<S>>(
        &self,
        name: &str,
        options: &CheckOptions,
    ) -> Result<(ComponentInfo, Policy), RegistryError> {
        validate_component_name(name).map_err(|error| RegistryError::InvalidName { name: name.to_owned(), error })?;
        if self.components.iter().any(|component| component.name() == name) {
            return Err(RegistryError::DuplicateName(name.to_owned()));
        }
        if self.components.len() == Selection::CAPACITY {
            return Err(RegistryError::Full);
        }
        let timeout = options.timeout.unwrap_or(C::TIMEOUT);
        if timeout.is_zero() {
            return Err(RegistryError::ZeroTimeout(name.to_owned()));
        }
        if timeout > MAX_TIMEOUT {
            return Err(RegistryError::TimeoutTooLong { name: name.to_owned(), timeout });
        }
        if options.cache.is_some_and(|ttl| ttl.is_zero()) {
            return Err(RegistryError::ZeroCache(name.to_owned()));
        }
        if options.failure_threshold == Some(0) || options.success_threshold == Some(0) {
            return Err(RegistryError::ZeroThreshold(name.to_owned()));
        }
        let retry = options.retry::<S, C>();
        if options.retry_backoff.is_some() && retry.is_none() {
            return Err(RegistryError::BackoffWithoutRetries(name.to_owned()));
        }
        if !retry.fits(timeout) {
            return Err(RegistryError::RetriesExceedTimeout { name: name.to_owned(), retry, timeout });
        }
        let critical = options.critical.unwrap_or(C::CRITICAL);
        let mut info = ComponentInfo::new(name.to_owned()).with_critical(critical).with_timeout(timeout);
        if let Some(description) = options.description.clone().or_else(|| C::DESCRIPTION.map(str::to_owned)) {
            info = info.with_description(description);
        }
        let groups: Vec<String> = match &options.groups {
            Some(groups) => groups.clone(),
            None => C::GROUPS.iter().map(|group| (*group).to_owned()).collect(),
        };
        for (position, group) in groups.iter().enumerate() {
            let invalid =
                |error| RegistryError::InvalidGroup { component: name.to_owned(), group: group.clone(), error };
            validate_group_name(group).map_err(|error| invalid(Some(error)))?;
            if groups[..position].contains(group) {
                return Err(invalid(None));
            }
        }
        Ok((info.with_groups(groups), Policy::new(timeout, critical).with_retry(retry)))
    }

    /// The registered component names, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.components.iter().map(ComponentInfo::name)
    }

    /// Runs every registered check concurrently and combines the results.
    ///
    /// # Panics
    ///
    /// Like every Tokio timer, it must run inside a Tokio runtime with the time
    /// driver enabled.
    pub async fn report(&self, state: &S) -> Report<DynamicComponents> {
        self.report_selected(state, Selection::all()).await
    }

    /// Runs the selected checks like [`report`](Self::report). The others are
    /// not run: their entries hold an UP placeholder.
    pub async fn report_selected(&self, state: &S, selection: Selection) -> Report<DynamicComponents> {
        self.report_in(state, selection, None).await
    }

    /// Runs the selected checks, each joining the run of it in `flights`
    /// that is under way, if any.
    async fn report_in(
        &self,
        state: &S,
        selection: Selection,
        flights: Option<Flights<'_>>,
    ) -> Report<DynamicComponents> {
        let timestamp = SystemTime::now();
        let started = Instant::now();
        let mut running: Vec<_> = self
            .components
            .iter()
            .zip(&self.checks)
            .enumerate()
            .map(|(index, (info, check))| {
                if selection.contains(index) {
                    let flight = flights.map(|flights| (flights, index));
                    MaybeDone::new(check.run(state, started, flight))
                } else {
                    MaybeDone::done(Component::new(Status::Up).with_critical(info.is_critical()))
                }
            })
            .collect();
        poll_fn(|cx| {
            let mut pending = false;
            for future in &mut running {
                pending |= Pin::new(future).poll_pending(cx);
            }
            if pending { Poll::Pending } else { Poll::Ready(()) }
        })
        .await;
        let results: Vec<_> = running.iter_mut().map(|future| Pin::new(future).take_output()).collect();
        Report {
            status: Status::aggregate(results.iter().map(|c| (c.status, c.critical))),
            timestamp,
            duration: started.elapsed(),
            components: DynamicComponents { components: Arc::clone(&self.components), results },
        }
    }

    /// The JSON Schema (2020-12) of this registry's reports.
    pub fn json_schema(&self) -> Value {
        let mut builder = SchemaBuilder::default();
        for (info, check) in self.components.iter().zip(&self.checks) {
            check.describe(&mut builder, info.name(), info.is_critical(), info.description());
        }
        builder.finish(&self.title)
    }
}

impl<S: ?Sized + Sync + 'static> Default for Registry<S> {
    fn default() -> Self {
        Self::new()
    }
}

impl<S: ?Sized> fmt::Debug for Registry<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry").field("title", &self.title).field("components", &self.components).finish()
    }
}

impl<S: ?Sized + Send + Sync + 'static> ReportSource for Registry<S> {
    type State = S;
    type Components = DynamicComponents;

    fn title(&self) -> &str {
        &self.title
    }

    fn components(&self) -> &[ComponentInfo] {
        &self.components
    }

    fn run(&self, state: &S, selection: Selection) -> impl Future<Output = Report<DynamicComponents>> + Send {
        self.report_selected(state, selection)
    }

    fn __run_in(
        &self,
        state: &S,
        selection: Selection,
        flights: Flights<'_>,
    ) -> impl Future<Output = Report<DynamicComponents>> + Send {
        self.report_in(state, selection, Some(flights))
    }

    fn json_schema(&self) -> Value {
        Registry::json_schema(self)
    }
}

/// The components of a [`Registry`]'s report, in registration order, with their
/// details as JSON values.
#[derive(Debug, Clone, PartialEq)]
pub struct DynamicComponents {
    components: Arc<Vec<ComponentInfo>>,
    results: Vec<Component<Value>>,
}

impl DynamicComponents {
    /// The component named `name`.
    pub fn get(&self, name: &str) -> Option<&Component<Value>> {
        let index = self.components.iter().position(|component| component.name() == name)?;
        self.results.get(index)
    }

    /// Every component with its name, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Component<Value>)> {
        self.components.iter().map(ComponentInfo::name).zip(&self.results)
    }

    /// How many components there are.
    pub fn len(&self) -> usize {
        self.results.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.results.is_empty()
    }
}

impl ComponentSet for DynamicComponents {
    fn visit<V: ComponentVisitor>(&self, visitor: &mut V) {
        for (index, (name, component)) in self.iter().enumerate() {
            visitor.component(index, name, component);
        }
    }
}

impl Serialize for DynamicComponents {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut map = serializer.serialize_map(Some(self.results.len()))?;
        for (name, component) in self.iter() {
            map.serialize_entry(name, component)?;
        }
        map.end()
    }
}

type BoxedRun<'a> = Pin<Box<dyn Future<Output = Component<Value>> + Send + 'a>>;

/// A check whose details type is erased, so checks of any type share a registry.
trait DynCheck<S: ?Sized>: Send + Sync {
    /// Runs the check from `started`, under the entry's policy: as the
    /// component at that index of these flights, if any.
    fn run<'a>(&'a self, state: &'a S, started: Instant, flight: Option<(Flights<'a>, usize)>) -> BoxedRun<'a>;
    fn describe(&self, builder: &mut SchemaBuilder, name: &str, critical: bool, description: Option<&str>);
}

/// The entry of `check`, with what the registration adds to its own runner.
fn entry<S, C>(check: C, policy: Policy, cache: Option<Duration>) -> Box<dyn DynCheck<S>>
where
    S: ?Sized + Sync,
    C: Check<S> + 'static,
{
    let check = Entry { check, policy };
    match cache {
        Some(ttl) => Box::new(CachedEntry { entry: check, cache: ResultCache::new(ttl) }),
        None => Box::new(check),
    }
}

/// A registered check, run by its own report runner under the registration's
/// policy.
struct Entry<C> {
    check: C,
    policy: Policy,
}

impl<S: ?Sized + Sync, C: Check<S>> DynCheck<S> for Entry<C> {
    fn run<'a>(&'a self, state: &'a S, started: Instant, flight: Option<(Flights<'a>, usize)>) -> BoxedRun<'a> {
        let plan = Plan::new(started, &self.policy);
        boxed(flight, plan, async move { erase_details(run_for_report(&self.check, state, plan).await) })
    }

    fn describe(&self, builder: &mut SchemaBuilder, name: &str, critical: bool, description: Option<&str>) {
        builder.component::<C::Details>(name, critical, description);
    }
}

/// A check registered with `CheckOptions::cache`: its erased results are cached,
/// so its details need not be `Clone`.
struct CachedEntry<C> {
    entry: Entry<C>,
    cache: ResultCache<Value>,
}

impl<S: ?Sized + Sync, C: Check<S>> DynCheck<S> for CachedEntry<C> {
    fn run<'a>(&'a self, state: &'a S, started: Instant, flight: Option<(Flights<'a>, usize)>) -> BoxedRun<'a> {
        let plan = Plan::new(started, &self.entry.policy);
        let run = self.cache.get_or_run(plan, move |plan| async move {
            erase_details(run_for_report(&self.entry.check, state, plan).await)
        });
        boxed(flight, plan, run)
    }

    fn describe(&self, builder: &mut SchemaBuilder, name: &str, critical: bool, description: Option<&str>) {
        self.entry.describe(builder, name, critical, description);
    }
}

/// `run`, boxed: alone, or in the component's flight.
fn boxed<'a, F>(flight: Option<(Flights<'a>, usize)>, plan: Plan<'a>, run: F) -> BoxedRun<'a>
where
    F: Future<Output = Component<Value>> + Send + 'a,
{
    match flight {
        Some((flights, index)) => Box::pin(Coalesced::new(RunIn::component(flights, index), plan, run)),
        None => Box::pin(run),
    }
}

fn erase_details<T: Serialize>(component: Component<T>) -> Component<Value> {
    let details = component.details.as_ref().map(serde_json::to_value).transpose();
    let mut erased = component.map_details(|_| Value::Null);
    match details {
        Ok(details) => erased.details = details,
        Err(error) => {
            erased.status = Status::Down;
            erased.message = Some(format!("details could not be serialized: {error}").into());
            erased.details = None;
        }
    }
    erased
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
    <Fut::Output as IntoOutcome>::Details: Serialize + JsonSchema + Clone + Send + Sync + 'static,
{
    type Details = <Fut::Output as IntoOutcome>::Details;

    fn run(&self, state: &S) -> impl Future<Output = Outcome<Self::Details>> + Send {
        let run = (self.0)(state);
        async move { run.await.into_outcome() }
    }
}
