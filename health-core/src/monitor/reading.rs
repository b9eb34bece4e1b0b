//! What a read of a subject gives.

use std::sync::Arc;
use std::time::Duration;

use super::Snapshot;
use crate::Status;
use crate::report::{ComponentSet, Selection};

/// What [`Monitor::read`](super::Monitor::read) gives: a report covering the
/// subject, or DOWN without a run for a subject that drains once shutdown
/// has begun.
#[derive(Debug)]
pub struct Reading<C> {
    /// `None`: a subject drained while shutting down, DOWN without a run.
    snapshot: Option<Arc<Snapshot<C>>>,
    selection: Selection,
    /// One component's reading: its own status, not weighed by criticality.
    single: bool,
    /// The snapshot's age, when it came from the background refresh.
    age: Option<Duration>,
}

impl<C> Reading<C> {
    pub(crate) fn report(
        snapshot: Arc<Snapshot<C>>,
        selection: Selection,
        single: bool,
        age: Option<Duration>,
    ) -> Self {
        Reading { snapshot: Some(snapshot), selection, single, age }
    }

    pub(crate) fn shutting_down() -> Self {
        Reading { snapshot: None, selection: Selection::none(), single: false, age: None }
    }

    /// The report read: from a run for this read, or from the background
    /// refresh. `None` for a subject that drains, once shutdown has begun.
    pub fn snapshot(&self) -> Option<&Arc<Snapshot<C>>> {
        self.snapshot.as_ref()
    }

    /// The subject's components in the report, less those excluded.
    pub fn selection(&self) -> Selection {
        self.selection
    }

    /// Whether this is a subject drained while shutting down: DOWN, and no
    /// check ran.
    pub fn is_shutting_down(&self) -> bool {
        self.snapshot.is_none()
    }

    /// How old the report is, when it came from the background refresh;
    /// `None` when it was run for this read.
    pub fn age(&self) -> Option<Duration> {
        self.age
    }
}

impl<C: ComponentSet> Reading<C> {
    /// The subject's status: its components by criticality, a single
    /// component's own, or DOWN while shutting down.
    pub fn status(&self) -> Status {
        match &self.snapshot {
            Some(snapshot) => snapshot.status(self.selection, self.single),
            None => Status::Down,
        }
    }
}
