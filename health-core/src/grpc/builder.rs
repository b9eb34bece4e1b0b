//! Configuring the served names and statuses, and refusing what cannot work.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use super::ServingStatuses;
use super::names::{self, Names, Scope, Served};
use super::service::GrpcHealthService;
use crate::monitor::Subject;
use crate::report::Selection;
use crate::{Monitor, ReportSource};

/// Builds the `grpc.health.v1.Health` service of a [`Monitor`].
///
/// It serves `""` (the whole report), each probe group (`liveness`,
/// `readiness`, `startup` and those the checks name), each enabled component
/// under its name, and the names you map. A component named like a group
/// leaves the name to the group; map it under another name to serve it.
///
/// ```
/// use health_core::grpc::{GrpcHealthService, ServingStatus, ServingStatuses};
/// use health_core::monitor::Subject;
/// use health_core::{health_check, HealthReport, Monitor};
///
/// #[health_check(critical)]
/// async fn database() {}
///
/// #[health_check]
/// async fn cache() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { database: DatabaseCheck, cache: CacheCheck }
///
/// # fn main() -> Result<(), health_core::grpc::ConfigError> {
/// let health = GrpcHealthService::builder(Monitor::new(Health::default(), ()))
///     .map("orders.v1.Orders", Subject::group("readiness"))
///     .map_components("orders.v1.Reports", ["database"])
///     .serving_statuses_for("readiness", ServingStatuses::default().degraded(ServingStatus::NotServing))
///     .build()?;
/// let names: Vec<&str> = health.names().collect();
/// assert_eq!(names, ["", "liveness", "readiness", "startup", "database", "cache", "orders.v1.Orders", "orders.v1.Reports"]);
/// # Ok(()) }
/// ```
pub struct GrpcHealthServiceBuilder<R: ReportSource> {
    monitor: Monitor<R>,
    statuses: ServingStatuses,
    overrides: Vec<(String, ServingStatuses)>,
    mappings: Vec<Mapping>,
}

/// A name of the user's, and what it stands for.
#[derive(Debug)]
enum Mapping {
    Subject { name: String, subject: Subject },
    Components { name: String, components: Vec<String> },
}

impl<R: ReportSource> GrpcHealthServiceBuilder<R> {
    /// See [`GrpcHealthService::builder`](super::GrpcHealthService::builder).
    pub(crate) fn new(monitor: Monitor<R>) -> Self {
        GrpcHealthServiceBuilder {
            monitor,
            statuses: ServingStatuses::default(),
            overrides: Vec::new(),
            mappings: Vec::new(),
        }
    }

    /// The serving statuses of every name without one of its own.
    #[must_use]
    pub fn serving_statuses(mut self, statuses: ServingStatuses) -> Self {
        self.statuses = statuses;
        self
    }

    /// The serving statuses of the served name `name`.
    #[must_use]
    pub fn serving_statuses_for(mut self, name: impl Into<String>, statuses: ServingStatuses) -> Self {
        self.overrides.push((name.into(), statuses));
        self
    }

    /// Also serves `name`, such as `orders.v1.Orders`, with the status of
    /// `subject`: the whole, a group or a component. A disabled component
    /// stands for nothing in this deployment: the name is then always UP, as
    /// a group of disabled components is.
    #[must_use]
    pub fn map(mut self, name: impl Into<String>, subject: Subject) -> Self {
        self.mappings.push(Mapping::Subject { name: name.into(), subject });
        self
    }

    /// Also serves `name` with the status of `components` weighed by their
    /// criticality, as a group is. Disabled components are left out.
    #[must_use]
    pub fn map_components<I>(mut self, name: impl Into<String>, components: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let components = components.into_iter().map(Into::into).collect();
        self.mappings.push(Mapping::Components { name: name.into(), components });
        self
    }

    /// Checks the configuration and builds the service.
    pub fn build(self) -> Result<GrpcHealthService<R>, ConfigError> {
        let monitor = &self.monitor;
        let mut subjects = names::built_in(monitor);
        let mut sets = Vec::new();
        for mapping in &self.mappings {
            match mapping {
                Mapping::Subject { name, subject } => match subject {
                    // A disabled component stands for nothing: it is left out.
                    Subject::Component(component) if monitor.selection(subject).is_err() => {
                        sets.push((Arc::from(name.as_str()), component_set(monitor, [&**component])?));
                    }
                    _ => {
                        monitor.selection(subject).map_err(|_| ConfigError::UnknownSubject(subject.clone()))?;
                        subjects.push((Arc::from(name.as_str()), subject.clone()));
                    }
                },
                Mapping::Components { name, components } => {
                    let components = components.iter().map(String::as_str);
                    sets.push((Arc::from(name.as_str()), component_set(monitor, components)?));
                }
            }
        }
        let statuses = |name: &str| {
            self.overrides
                .iter()
                .rev()
                .find(|(named, _)| named == name)
                .map_or(self.statuses, |(_, statuses)| *statuses)
        };
        let catalog = monitor.catalog();
        let mut served = Vec::new();
        for (name, subject) in subjects {
            let Some(target) = catalog.resolve(&subject) else { continue };
            let drains = catalog.drains(target);
            served.push(Served { statuses: statuses(&name), name, scope: Scope::Subject { subject, target }, drains });
        }
        for (name, selection) in sets {
            served.push(Served {
                statuses: statuses(&name),
                name,
                scope: Scope::Components(selection),
                drains: catalog.set_drains(),
            });
        }
        let mut seen = HashSet::new();
        if let Some(taken) = served.iter().find(|served| !seen.insert(Arc::clone(&served.name))) {
            return Err(ConfigError::NameTaken(taken.name.to_string()));
        }
        if let Some((name, _)) = self.overrides.iter().find(|(name, _)| !seen.contains(name.as_str())) {
            return Err(ConfigError::UnknownName(name.clone()));
        }
        Ok(GrpcHealthService::new(self.monitor, Names::new(served)))
    }
}

/// The enabled ones of `components`, which must all be the report's.
fn component_set<'a, R: ReportSource>(
    monitor: &Monitor<R>,
    components: impl IntoIterator<Item = &'a str>,
) -> Result<Selection, ConfigError> {
    let all = monitor.components();
    let mut selection = Selection::none();
    for name in components {
        let index = all
            .iter()
            .position(|component| component.name() == name)
            .ok_or_else(|| ConfigError::UnknownSubject(Subject::component(name)))?;
        selection = selection.with(index);
    }
    Ok(selection.intersect(monitor.enabled()))
}

impl<R: ReportSource> fmt::Debug for GrpcHealthServiceBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcHealthServiceBuilder")
            .field("monitor", &self.monitor)
            .field("statuses", &self.statuses)
            .field("overrides", &self.overrides)
            .field("mappings", &self.mappings)
            .finish()
    }
}

/// Why the gRPC health service could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A mapping named like a group, a component or another mapping (`""`
    /// is the whole): two things would be served under one name.
    NameTaken(String),
    /// A mapping to a group or component the report does not have.
    UnknownSubject(Subject),
    /// Serving statuses for a name that is not served.
    UnknownName(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NameTaken(name) => write!(
                f,
                "the gRPC service name `{name}` is taken: `\"\"`, the groups and the components are served under their names"
            ),
            ConfigError::UnknownSubject(subject) => {
                write!(f, "cannot map a gRPC service name to {subject}: the report has none")
            }
            ConfigError::UnknownName(name) => {
                write!(f, "serving statuses for `{name}`, which is not served: map it first, or check the spelling")
            }
        }
    }
}

impl std::error::Error for ConfigError {}
