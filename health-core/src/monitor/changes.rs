//! Status tracking: the statuses seen per subject, and who hears of changes.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use serde::Serialize;
use tokio::sync::{broadcast, watch};

use super::shutdown::OnShutdown;
use super::subject::{Catalog, Subject, Target};
use crate::report::{ComponentSet, ComponentVisitor, Selection};
use crate::{Component, Status};

/// A change of status, given to subscribers and hooks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatusChange {
    /// What changed.
    pub subject: Subject,
    /// The status before; `None` when it is the first one seen.
    pub from: Option<Status>,
    /// The status now.
    pub to: Status,
    /// Its place in the monitor's order of changes, from 1. Changes summed up
    /// for a subscriber that fell behind share the number of the latest one.
    pub sequence: u64,
    /// Where the subject is kept in per-subject lists.
    position: usize,
}

/// A function called with every change, in order.
pub(crate) type Hook = Arc<dyn Fn(&StatusChange) + Send + Sync>;

/// How many changes a subscriber may fall behind before they are summed up.
const BACKLOG: usize = 64;

/// The statuses seen and those who hear of changes.
pub(crate) struct Tracker {
    catalog: Arc<Catalog>,
    seen: Mutex<Seen>,
    /// The latest status of each subject, by position.
    watchers: Vec<watch::Sender<Option<Status>>>,
    changes: broadcast::Sender<StatusChange>,
    hooks: Vec<Hook>,
    /// Changes waiting for the hooks and `tracing`, in order.
    undelivered: Mutex<VecDeque<StatusChange>>,
    delivering: AtomicBool,
}

struct Seen {
    /// By position: the status and the generation of the report it came from.
    statuses: Vec<Option<Observed>>,
    /// The number of the latest change.
    sequence: u64,
    /// Shutting down: readiness stays DOWN.
    draining: bool,
}

#[derive(Clone, Copy)]
struct Observed {
    status: Status,
    generation: u64,
}

impl Tracker {
    pub(crate) fn new(catalog: Arc<Catalog>, hooks: Vec<Hook>) -> Self {
        let positions = catalog.positions();
        Tracker {
            seen: Mutex::new(Seen { statuses: vec![None; positions], sequence: 0, draining: false }),
            watchers: (0..positions).map(|_| watch::Sender::new(None)).collect(),
            changes: broadcast::Sender::new(BACKLOG),
            hooks,
            undelivered: Mutex::new(VecDeque::new()),
            delivering: AtomicBool::new(false),
            catalog,
        }
    }

    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records what a report of generation `generation` that ran `selection`
    /// says of every subject it covers: a component it ran, a group or the
    /// whole when it ran all their enabled components. A report older than
    /// the one a subject's status came from changes nothing: concurrent
    /// reports may finish out of order. Allocates only for changes.
    pub(crate) fn record<C: ComponentSet>(&self, components: &C, selection: Selection, generation: u64) {
        let mut ran = Ran { statuses: [None; Selection::CAPACITY] };
        components.visit_selected(selection, &mut ran);
        let mut seen = self.seen();
        let mut changed = false;
        for target in self.catalog.targets() {
            let status = match target {
                Target::Component(index) => ran.statuses[index].map(|(status, _)| status),
                Target::Overall | Target::Group(_) => {
                    let members = self.catalog.selection(target);
                    selection
                        .contains_all(members)
                        .then(|| Status::aggregate(members.indices().filter_map(|index| ran.statuses[index])))
                }
            };
            if let Some(status) = status
                && !(seen.draining && target == self.catalog.readiness())
            {
                changed |= self.advance(&mut seen, target, Observed { status, generation });
            }
        }
        drop(seen);
        if changed {
            self.deliver();
        }
    }

    /// Moves `target` to `observed` unless a newer status is recorded; tells
    /// everyone of a change, while the lock keeps changes in order.
    fn advance(&self, seen: &mut Seen, target: Target, observed: Observed) -> bool {
        let position = self.catalog.position(target);
        let previous = seen.statuses[position];
        if previous.is_some_and(|previous| previous.generation > observed.generation) {
            return false;
        }
        seen.statuses[position] = Some(observed);
        let from = previous.map(|previous| previous.status);
        if from == Some(observed.status) {
            return false;
        }
        seen.sequence += 1;
        let change = StatusChange {
            subject: self.catalog.subject(target).clone(),
            from,
            to: observed.status,
            sequence: seen.sequence,
            position,
        };
        self.watchers[position].send_replace(Some(observed.status));
        // Without subscribers there is nobody to tell; that is not an error.
        let _ = self.changes.send(change.clone());
        self.undelivered.lock().unwrap_or_else(PoisonError::into_inner).push_back(change);
        true
    }

    /// Calls the hooks and emits `tracing` events for undelivered changes, in
    /// order. One thread delivers at a time; others leave their changes to it,
    /// so a hook is never called concurrently with itself, nor with a lock
    /// held: hooks may use the monitor.
    fn deliver(&self) {
        while !self.delivering.swap(true, Ordering::Acquire) {
            loop {
                let next = self.undelivered.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
                let Some(change) = next else { break };
                self.announce(&change);
            }
            self.delivering.store(false, Ordering::Release);
            // A change queued after the queue was found empty, but before the
            // flag fell, is delivered by this thread.
            if self.undelivered.lock().unwrap_or_else(PoisonError::into_inner).is_empty() {
                return;
            }
        }
    }

    fn announce(&self, change: &StatusChange) {
        let (from, to) = (change.from.map_or("none", Status::as_str), change.to.as_str());
        match &change.subject {
            Subject::Overall => tracing::info!(from, to, "overall health status changed"),
            Subject::Group(group) => tracing::info!(group = &**group, from, to, "health status of a group changed"),
            Subject::Component(component) => {
                tracing::info!(component = &**component, from, to, "health status changed")
            }
        }
        for hook in &self.hooks {
            // A hook that panics must not take the report or the refresh with it.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(change))).is_err() {
                tracing::warn!("a status change hook panicked");
            }
        }
    }

    pub(crate) fn status(&self, target: Target) -> Option<Status> {
        *self.watchers[self.catalog.position(target)].borrow()
    }

    pub(crate) fn watch(&self, target: Target) -> watch::Receiver<Option<Status>> {
        self.watchers[self.catalog.position(target)].subscribe()
    }

    pub(crate) fn subscribe(self: &Arc<Self>) -> StatusChanges {
        let seen = self.seen();
        // Subscribed under the lock that orders changes: none is missed or seen twice.
        StatusChanges {
            receiver: self.changes.subscribe(),
            tracker: Arc::downgrade(self),
            delivered: seen.statuses.iter().map(|observed| observed.map(|o| o.status)).collect(),
            summary: VecDeque::new(),
            after: seen.sequence,
        }
    }
}

impl OnShutdown for Tracker {
    /// Readiness turns DOWN and stays so.
    fn shutdown_begun(&self) {
        let mut seen = self.seen();
        if seen.draining {
            return;
        }
        seen.draining = true;
        let readiness = self.catalog.readiness();
        let changed = self.advance(&mut seen, readiness, Observed { status: Status::Down, generation: u64::MAX });
        drop(seen);
        if changed {
            self.deliver();
        }
    }
}

impl fmt::Debug for Tracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker").field("hooks", &self.hooks.len()).finish_non_exhaustive()
    }
}

/// The statuses of the components a report ran, by position.
struct Ran {
    statuses: [Option<(Status, bool)>; Selection::CAPACITY],
}

impl ComponentVisitor for Ran {
    fn component<T: Serialize>(&mut self, index: usize, _: &str, component: &Component<T>) {
        if let Some(status) = self.statuses.get_mut(index) {
            *status = Some((component.status, component.critical));
        }
    }
}

/// Every status change of a monitor from the moment of subscribing, in order,
/// each once: from [`Monitor::subscribe`](super::Monitor::subscribe).
///
/// A subscriber that reads slowly never holds the checks up. If it falls more
/// than 64 changes behind, the changes it missed are summed up: one change per
/// subject whose status differs from the last one it was given, to the latest
/// status. It loses intermediate states, never the latest.
pub struct StatusChanges {
    receiver: broadcast::Receiver<StatusChange>,
    tracker: Weak<Tracker>,
    /// The status of each subject as this subscriber was last told it.
    delivered: Vec<Option<Status>>,
    /// Changes summed up after falling behind, to be given first.
    summary: VecDeque<StatusChange>,
    /// Changes up to this number are known already.
    after: u64,
}

impl StatusChanges {
    /// The next change; `None` once the monitor is gone.
    pub async fn next(&mut self) -> Option<StatusChange> {
        loop {
            if let Some(change) = self.summary.pop_front() {
                return Some(change);
            }
            match self.receiver.recv().await {
                Ok(change) if change.sequence <= self.after => {}
                Ok(change) => {
                    self.delivered[change.position] = Some(change.to);
                    return Some(change);
                }
                Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up(),
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    }

    /// Sums up what changed since the last change given.
    fn catch_up(&mut self) {
        let Some(tracker) = self.tracker.upgrade() else { return };
        let seen = tracker.seen();
        for target in tracker.catalog.targets() {
            let position = tracker.catalog.position(target);
            let now = seen.statuses[position].map(|observed| observed.status);
            if let Some(to) = now
                && now != self.delivered[position]
            {
                self.summary.push_back(StatusChange {
                    subject: tracker.catalog.subject(target).clone(),
                    from: self.delivered[position],
                    to,
                    sequence: seen.sequence,
                    position,
                });
                self.delivered[position] = now;
            }
        }
        self.after = seen.sequence;
    }
}

impl fmt::Debug for StatusChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusChanges").field("after", &self.after).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ComponentInfo;

    /// One component's status, as a report would hold it.
    struct One(Status);

    impl ComponentSet for One {
        fn visit<V: ComponentVisitor>(&self, visitor: &mut V) {
            visitor.component(0, "db", &Component::<()>::new(self.0).with_critical(true));
        }
    }

    #[test]
    fn a_report_older_than_the_one_recorded_changes_nothing() {
        let catalog = Arc::new(Catalog::new(&[ComponentInfo::new("db")], Selection::all()));
        let tracker = Arc::new(Tracker::new(Arc::clone(&catalog), Vec::new()));
        let db = catalog.component("db").unwrap();
        tracker.record(&One(Status::Up), Selection::all(), 10);
        tracker.record(&One(Status::Down), Selection::all(), 12);
        // Started earlier, finished later: concurrent reports end out of order.
        tracker.record(&One(Status::Up), Selection::all(), 11);
        assert_eq!(tracker.status(db), Some(Status::Down));
        assert_eq!(tracker.status(Target::Overall), Some(Status::Down));
        // A selection without the component records nothing of it.
        tracker.record(&One(Status::Up), Selection::none(), 13);
        assert_eq!(tracker.status(db), Some(Status::Down));
    }
}
