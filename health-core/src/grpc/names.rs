//! The names served, each resolved once, at build, to a subject of the monitor.

use std::collections::HashMap;
use std::sync::Arc;

use super::ServingStatus;
use crate::monitor::{StatusMap, Target};

/// One served name.
#[derive(Debug)]
pub(crate) struct Served {
    pub(crate) name: Arc<str>,
    /// The subject it stands for, resolved.
    pub(crate) target: Target,
    pub(crate) statuses: StatusMap<ServingStatus>,
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
        self.by_name.get(name).and_then(|index| self.served.get(*index))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Served> {
        self.served.iter()
    }
}
