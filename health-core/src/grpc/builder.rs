//! Configuring the served names and statuses, and refusing what cannot work.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use super::ServingStatus;
use super::names::{Names, Served};
use super::service::GrpcHealthService;
use crate::ReportSource;
use crate::monitor::Monitor;
use crate::monitor::{StatusMap, StatusMaps, Subject};

/// Builds the `grpc.health.v1.Health` service of a [`Monitor`].
///
/// It serves `""` (the whole report), each probe group (`liveness`,
/// `readiness`, `startup`, those the checks name and those the monitor
/// [defines](crate::monitor::MonitorBuilder::group)), each enabled component
/// under its name, and the names you map to any of these. A name is always
/// one subject of the monitor, so what gRPC answers is what HTTP, metrics and
/// history see. A component named like a group must be mapped under a name
/// of its own, since gRPC has one namespace where HTTP has two routes.
///
/// ```
/// use health_core::grpc::{GrpcHealthService, ServingStatus};
/// use health_core::monitor::{StatusMap, Subject};
/// use health_core::{health_check, HealthReport};
/// use health_core::monitor::Monitor;
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
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let monitor = Monitor::builder(Health::default(), ()).group("orders.v1.Reports", ["database"]).build()?;
/// let health = GrpcHealthService::builder(monitor)
///     .map("orders.v1.Orders", Subject::group("readiness"))
///     .serving_statuses_for(Subject::group("readiness"), StatusMap::default().degraded(ServingStatus::NotServing))
///     .build()?;
/// let names: Vec<&str> = health.names().collect();
/// assert_eq!(names, ["", "liveness", "readiness", "startup", "orders.v1.Reports", "database", "cache", "orders.v1.Orders"]);
/// # Ok(()) }
/// ```
pub struct GrpcHealthServiceBuilder<R: ReportSource> {
    monitor: Monitor<R>,
    statuses: StatusMaps<ServingStatus>,
    mappings: Vec<Mapping>,
}

/// A name of the user's, and the subject it stands for.
#[derive(Debug)]
struct Mapping {
    name: String,
    subject: Subject,
}

impl<R: ReportSource> GrpcHealthServiceBuilder<R> {
    /// See [`GrpcHealthService::builder`](super::GrpcHealthService::builder).
    pub(crate) fn new(monitor: Monitor<R>) -> Self {
        GrpcHealthServiceBuilder { monitor, statuses: StatusMaps::new(StatusMap::default()), mappings: Vec::new() }
    }

    /// The serving statuses of every subject without its own (`SERVING`,
    /// `SERVING`, `NOT_SERVING` by default).
    #[must_use]
    pub fn serving_statuses(mut self, statuses: StatusMap<ServingStatus>) -> Self {
        self.statuses.set_every(statuses);
        self
    }

    /// The serving statuses of `subject`, under its own name and every name
    /// mapped to it. The HTTP service takes the same per subject, with
    /// status codes.
    #[must_use]
    pub fn serving_statuses_for(mut self, subject: Subject, statuses: StatusMap<ServingStatus>) -> Self {
        self.statuses.set(subject, statuses);
        self
    }

    /// Also serves `name`, such as `orders.v1.Orders`, as `subject`: the
    /// whole, a group or an enabled component. For a set of components of
    /// its own, [define a group](crate::monitor::MonitorBuilder::group) and
    /// map to it, or name the group like the service.
    #[must_use]
    pub fn map(mut self, name: impl Into<String>, subject: Subject) -> Self {
        self.mappings.push(Mapping { name: name.into(), subject });
        self
    }

    /// Checks the configuration and builds the service.
    pub fn build(self) -> Result<GrpcHealthService<R>, ConfigError> {
        let catalog = self.monitor.catalog();
        let statuses = self.statuses.resolve(catalog).map_err(ConfigError::UnknownSubject)?;
        let mut names: Vec<(Arc<str>, Subject)> = vec![(Arc::from(""), Subject::Overall)];
        names.extend(self.monitor.groups().map(|group| (Arc::from(group), Subject::group(group))));
        for index in self.monitor.enabled().indices() {
            let component = self.monitor.components()[index].name();
            if self.monitor.groups().all(|group| group != component) {
                names.push((Arc::from(component), Subject::component(component)));
            } else if !self.mappings.iter().any(|mapping| mapping.subject == Subject::component(component)) {
                return Err(ConfigError::ComponentNamedLikeGroup(component.to_owned()));
            }
        }
        names.extend(self.mappings.iter().map(|mapping| (Arc::from(mapping.name.as_str()), mapping.subject.clone())));
        let mut seen = HashSet::new();
        let mut served = Vec::with_capacity(names.len());
        for (name, subject) in names {
            if !seen.insert(Arc::clone(&name)) {
                return Err(ConfigError::NameTaken(name.to_string()));
            }
            let target = catalog.resolve(&subject).ok_or_else(|| ConfigError::UnknownSubject(subject.clone()))?;
            served.push(Served {
                name,
                target,
                statuses: *statuses.of(catalog, target),
                drains: catalog.drains(target),
            });
        }
        Ok(GrpcHealthService::new(self.monitor, Names::new(served)))
    }
}

impl<R: ReportSource> fmt::Debug for GrpcHealthServiceBuilder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcHealthServiceBuilder")
            .field("monitor", &self.monitor)
            .field("statuses", &self.statuses)
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
    /// A mapping, or serving statuses, for a subject the monitor does not
    /// have: an unknown group, or an unknown or disabled component.
    UnknownSubject(Subject),
    /// A component named like a group, which keeps the name: the component
    /// must be [mapped](GrpcHealthServiceBuilder::map) under a name of its own.
    ComponentNamedLikeGroup(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NameTaken(name) => write!(
                f,
                "the gRPC service name `{name}` is taken: `\"\"`, the groups and the components are served under their names"
            ),
            ConfigError::UnknownSubject(subject @ Subject::Group(_)) => {
                write!(f, "the monitor has no {subject}: check the spelling, or define it with `MonitorBuilder::group`")
            }
            ConfigError::UnknownSubject(subject) => {
                write!(f, "the monitor has no {subject}: check the spelling; a disabled component is not served")
            }
            ConfigError::ComponentNamedLikeGroup(name) => write!(
                f,
                "the component `{name}` is named like a group, which gRPC serves under `{name}`: serve the component under a name of its own with `.map(\"{name}-component\", Subject::component(\"{name}\"))`, or rename one of them"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}
