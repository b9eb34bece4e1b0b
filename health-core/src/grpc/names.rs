//! The names served: what each stands for, and how its status is found.

use std::collections::HashMap;
use std::sync::Arc;

use super::ServingStatuses;
use crate::monitor::{Subject, Target};
use crate::report::Selection;
use crate::{Monitor, ReportSource, Status};

/// What a served name stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Scope {
    /// The whole, a group or one component of the monitor.
    Subject { subject: Subject, target: Target },
    /// Some components, weighed by criticality like a group.
    Components(Selection),
}

/// One served name.
#[derive(Debug)]
pub(crate) struct Served {
    pub(crate) name: Arc<str>,
    pub(crate) scope: Scope,
    pub(crate) statuses: ServingStatuses,
    /// Whether it turns DOWN while the process drains: the monitor's rule.
    pub(crate) drains: bool,
}

/// Every served name, in the order `List` gives them.
#[derive(Debug)]
pub(crate) struct Names {
    served: Vec<Served>,
    by_name: HashMap<Arc<str>, usize>,
}

impl Names {
    pub(crate) fn new(served: Vec<Served>) -> Self {
        let by_name = served.iter().enumerate().map(|(index, served)| (Arc::clone(&served.name), index)).collect();
        Names { served, by_name }
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Served> {
        self.by_name.get(name).map(|index| &self.served[*index])
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Served> {
        self.served.iter()
    }
}

/// The names every monitor serves: `""` for the whole, each group, then each
/// enabled component, by their own names. A component named like a group is
/// left to a mapping: the group keeps the name, as probes expect.
pub(crate) fn built_in<R: ReportSource>(monitor: &Monitor<R>) -> Vec<(Arc<str>, Subject)> {
    let mut names = vec![(Arc::from(""), Subject::Overall)];
    for group in monitor.groups() {
        names.push((group.into(), Subject::group(group)));
    }
    for index in monitor.enabled().indices() {
        let name = monitor.components()[index].name();
        if !monitor.groups().any(|group| group == name) {
            names.push((name.into(), Subject::component(name)));
        }
    }
    names
}

impl Scope {
    /// The status from the latest statuses of the members, as the monitor
    /// tracks them; `None` until each has one.
    pub(crate) fn tracked<R: ReportSource>(&self, monitor: &Monitor<R>) -> Option<Status> {
        match self {
            Scope::Subject { subject, .. } => monitor.status(subject).ok().flatten(),
            Scope::Components(selection) => {
                let components = monitor.components();
                selection.indices().try_fold(Status::Up, |total, index| {
                    let component = &components[index];
                    let status = monitor.status(&Subject::component(component.name())).ok().flatten()?;
                    Some(total.combine(status, component.is_critical()))
                })
            }
        }
    }
}
