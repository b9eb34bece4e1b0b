//! Status tracking: deciding what changed, under a lock, and telling
//! everyone of it, after the lock.
//!
//! A report's statuses are weighed under the lock that orders changes: which
//! components changed, which groups and the whole follow, in what order.
//! The lock is let go before anyone is told: the changes decided wait in a
//! queue, in order, and one thread at a time publishes them to the status
//! watches, the subscribers, `tracing`, the observer (metrics) and the
//! history; then, apart, to the hooks. So a slow `tracing` writer, a slow
//! metrics recorder or a hook that never returns holds up no report: a
//! report that finds another thread publishing leaves its changes to it.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use serde::Serialize;
use tokio::sync::{broadcast, watch};

use super::changes::StatusChange;
use super::history::{self, Histories, History, HistoryDepth, Recording, Transition};
use super::observe::{Observer, Run};
use super::shutdown::OnShutdown;
use super::subject::{Catalog, Target};
use crate::report::{ComponentSet, ComponentVisitor, Selection};
use crate::{Component, Status};

/// A function called with every change, in order.
pub(crate) type Hook = Arc<dyn Fn(&StatusChange) + Send + Sync>;

/// How many changes a subscriber may fall behind before they are summed up.
const BACKLOG: usize = 64;

/// How many changes may wait for the hooks; beyond, the oldest are dropped
/// (a hook that never returns must not grow the queue without end).
const UNDELIVERED: usize = 1024;

/// The statuses decided, and those who are told of changes.
pub(crate) struct Tracker {
    catalog: Arc<Catalog>,
    seen: Mutex<Seen>,
    /// The latest status published of each subject, by position.
    watchers: Vec<watch::Sender<Option<Status>>>,
    changes: broadcast::Sender<StatusChange>,
    hooks: Vec<Hook>,
    /// Told of every run and status, such as the metrics.
    observer: Option<Arc<dyn Observer>>,
    /// Changes decided, waiting to be published, in order.
    decided: Mutex<VecDeque<Decided>>,
    publishing: AtomicBool,
    /// The sequence number of the latest change published.
    published: AtomicU64,
    /// Changes published, waiting for the hooks, in order.
    undelivered: Mutex<Undelivered>,
    delivering: AtomicBool,
    /// Every subject's transitions and runs, by position.
    history: Histories,
}

/// What the lock orders.
pub(crate) struct Seen {
    /// By position: the status last decided.
    pub(crate) statuses: Vec<Option<Status>>,
    /// By component: the generation of the run its status came from.
    generations: Vec<u64>,
    /// The number of the latest change.
    pub(crate) sequence: u64,
    /// Shutting down: the subjects that drain stay DOWN.
    draining: bool,
}

/// A change decided, with what its transition keeps.
struct Decided {
    change: StatusChange,
    at: SystemTime,
    message: Option<Arc<str>>,
}

#[derive(Default)]
struct Undelivered {
    changes: VecDeque<StatusChange>,
    /// How many were dropped since the last delivery.
    dropped: usize,
}

/// Locks `mutex`; what it guards stays consistent, as nothing that can
/// panic runs while it is held.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Tracker {
    pub(crate) fn new(
        catalog: Arc<Catalog>,
        hooks: Vec<Hook>,
        observer: Option<Arc<dyn Observer>>,
        depth: HistoryDepth,
    ) -> Self {
        let positions = catalog.positions();
        let mut statuses = vec![None; positions];
        // A group without enabled components is UP from the start: no run
        // would ever give it a status, and its watchers wait for one.
        for target in catalog.aggregates() {
            if catalog.selection(target) == Selection::none() {
                statuses[catalog.position(target)] = Some(Status::Up);
            }
        }
        if let Some(observer) = &observer {
            for target in catalog.aggregates() {
                if let Some(status) = statuses[catalog.position(target)] {
                    observer.status(target, status);
                }
            }
        }
        let watchers = statuses.iter().map(|status| watch::Sender::new(*status)).collect();
        let seen = Seen { statuses, generations: vec![0; Selection::CAPACITY], sequence: 0, draining: false };
        Tracker {
            seen: Mutex::new(seen),
            watchers,
            changes: broadcast::Sender::new(BACKLOG),
            hooks,
            observer,
            decided: Mutex::new(VecDeque::new()),
            publishing: AtomicBool::new(false),
            published: AtomicU64::new(0),
            undelivered: Mutex::new(Undelivered::default()),
            delivering: AtomicBool::new(false),
            history: Histories::new(positions, depth),
            catalog,
        }
    }

    pub(crate) fn seen(&self) -> MutexGuard<'_, Seen> {
        lock(&self.seen)
    }

    pub(crate) fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Records what a report of generation `generation`, started `at`, that
    /// ran `selection` says: its runs, in the history and to the observer;
    /// the status of each component it ran, unless a newer report already
    /// gave one (concurrent reports may finish out of order); then each group
    /// and the whole, from the latest statuses of their components, once all
    /// of these have been seen. Allocates only for changes.
    pub(crate) fn record<C: ComponentSet>(
        &self,
        components: &C,
        selection: Selection,
        generation: u64,
        at: SystemTime,
    ) {
        let ran_selection = selection.intersect(self.catalog.enabled());
        let mut ran = Ran {
            statuses: [None; Selection::CAPACITY],
            fresh: Selection::none(),
            micros: [0; Selection::CAPACITY],
            found_down: Selection::none(),
            found_impaired: Selection::none(),
            catalog: &self.catalog,
            recording: self.history.recording(at),
        };
        components.visit_selected(ran_selection, &mut ran);
        if let Some(mut recording) = ran.recording.take() {
            self.record_aggregates(&mut recording, &ran, ran_selection);
        }
        // The recorder is others' code: told with the history's lock let go.
        if let Some(observer) = self.observer.as_deref() {
            components.visit_selected(ran_selection, &mut Observed(observer));
        }
        let mut seen = self.seen();
        let mut changed = Selection::none();
        for index in ran_selection.indices() {
            let Some(status) = ran.statuses[index] else { continue };
            if seen.generations[index] > generation {
                continue;
            }
            seen.generations[index] = generation;
            // Most runs change nothing: that case does no more than compare.
            if seen.statuses[self.catalog.position(Target::Component(index))] != Some(status) {
                changed = changed.with(index);
            }
        }
        if changed.is_empty() {
            return;
        }
        // Only changes need their messages.
        let mut messages = Messages { messages: Vec::new() };
        components.visit_selected(changed, &mut messages);
        for (index, message) in messages.messages {
            let status = ran.statuses[index].unwrap_or(Status::Down);
            self.decide(&mut seen, Target::Component(index), status, |_| message);
        }
        // Groups and the whole follow their components: unchanged components,
        // unchanged aggregates. (Each component's first status is a change.)
        for target in self.catalog.aggregates() {
            if seen.draining && self.catalog.drains(target) {
                continue;
            }
            if let Some(status) = self.aggregate(&seen, target) {
                self.decide(&mut seen, target, status, |seen| self.not_up(seen, target));
            }
        }
        drop(seen);
        self.publish();
    }

    /// Keeps a run of each group, and of the whole, that a report of
    /// `ran_selection` covered entirely and in which some component ran: as
    /// long as its slowest component, and what its components found, weighed
    /// by criticality.
    fn record_aggregates(&self, recording: &mut Recording<'_>, ran: &Ran<'_>, ran_selection: Selection) {
        // What a group found, weighed by criticality as `Status::combine`
        // weighs it, from two sets rather than component by component.
        let down_critical = ran.found_down.intersect(self.catalog.critical());
        for aggregate in self.catalog.aggregate_members() {
            let fresh = aggregate.members.intersect(ran.fresh);
            if !aggregate.members.without_all(ran_selection).is_empty() || fresh.is_empty() {
                continue;
            }
            let found = if !fresh.intersect(down_critical).is_empty() {
                Status::Down
            } else if !fresh.intersect(ran.found_impaired).is_empty() {
                Status::Degraded
            } else {
                Status::Up
            };
            // Components that did not run left their duration at zero.
            let members = aggregate.indices.iter();
            let slowest = members.filter_map(|index| ran.micros.get(usize::from(*index))).max().copied().unwrap_or(0);
            recording.push(aggregate.position, slowest, found);
        }
    }

    /// The message of an aggregate's transition: which of its components are
    /// not UP, by status.
    fn not_up(&self, seen: &Seen, target: Target) -> Option<Arc<str>> {
        let mut parts = Vec::new();
        for status in [Status::Down, Status::Degraded] {
            let names: Vec<&str> = self
                .catalog
                .selection(target)
                .indices()
                .filter(|index| seen.statuses[self.catalog.position(Target::Component(*index))] == Some(status))
                .filter_map(|index| self.catalog.subject(Target::Component(index)).name())
                .collect();
            if !names.is_empty() {
                parts.push(format!("{status}: {}", names.join(", ")));
            }
        }
        (!parts.is_empty()).then(|| history::message(&parts.join("; ")))
    }

    /// The status of a group or the whole from its components' latest
    /// statuses, by criticality; `None` until each of them has been seen.
    fn aggregate(&self, seen: &Seen, target: Target) -> Option<Status> {
        let critical = self.catalog.critical();
        let mut status = Status::Up;
        for index in self.catalog.selection(target).indices() {
            let component = seen.statuses[self.catalog.position(Target::Component(index))]?;
            status = status.combine(component, critical.contains(index));
        }
        Some(status)
    }

    /// Sets the status of `target`, if it changes: the change takes the next
    /// number and waits, in order, to be published, with the message `why`
    /// gives. Returns whether it changed.
    fn decide(
        &self,
        seen: &mut Seen,
        target: Target,
        status: Status,
        why: impl FnOnce(&Seen) -> Option<Arc<str>>,
    ) -> bool {
        let position = self.catalog.position(target);
        if seen.statuses[position] == Some(status) {
            return false;
        }
        let message = why(seen);
        let from = seen.statuses[position].replace(status);
        seen.sequence += 1;
        let change = StatusChange::new(self.catalog.subject(target).clone(), from, status, seen.sequence, position);
        // Queued under the lock, so that the queue's order is the changes' order.
        lock(&self.decided).push_back(Decided { change, at: SystemTime::now(), message });
        true
    }

    /// Publishes the changes decided, in order, each once: one thread at a
    /// time; a thread that finds another publishing leaves its changes to it.
    /// Then tells the hooks.
    fn publish(&self) {
        while !self.publishing.swap(true, Ordering::Acquire) {
            // Lowers the flag even if a subscriber or recorder panics, so that
            // the changes after it are still published.
            let publishing = Lowered(&self.publishing);
            loop {
                let next = lock(&self.decided).pop_front();
                let Some(decided) = next else { break };
                self.publish_one(decided);
            }
            drop(publishing);
            // A change decided after the queue was found empty, but before
            // the flag fell, is published by this thread.
            if lock(&self.decided).is_empty() {
                break;
            }
        }
        if !self.hooks.is_empty() {
            self.deliver();
        }
    }

    /// Tells everyone but the hooks of one change, and queues it for them.
    /// What this module owns comes first; then the code of others (the
    /// `tracing` subscriber, the metrics recorder), which may panic: the
    /// change has been published everywhere else by then.
    fn publish_one(&self, decided: Decided) {
        let Decided { change, at, message } = decided;
        let target = self.catalog.target_at(change.position);
        let (sequence, to) = (change.sequence, change.to);
        let transition = Transition { at, from: change.from, to, message, sequence };
        self.history.transition(change.position, transition);
        // Only this module borrows the values, never across anything:
        // sending never waits (see `StatusWatch`).
        self.watchers[change.position].send_replace(Some(to));
        trace(&change);
        if self.hooks.is_empty() {
            // Without subscribers there is nobody to tell; that is not an error.
            let _ = self.changes.send(change);
        } else {
            let _ = self.changes.send(change.clone());
            let mut undelivered = lock(&self.undelivered);
            if undelivered.changes.len() == UNDELIVERED {
                undelivered.changes.pop_front();
                undelivered.dropped += 1;
            }
            undelivered.changes.push_back(change);
        }
        self.published.store(sequence, Ordering::Release);
        if let Some(observer) = &self.observer {
            observer.status(target, to);
        }
    }

    /// Calls the hooks with undelivered changes, in order. One thread delivers
    /// at a time; others leave their changes to it, so a hook is never called
    /// concurrently with itself, nor with a lock held: hooks may use the
    /// monitor.
    fn deliver(&self) {
        while !self.delivering.swap(true, Ordering::Acquire) {
            loop {
                let (next, dropped) = {
                    let mut undelivered = lock(&self.undelivered);
                    (undelivered.changes.pop_front(), std::mem::take(&mut undelivered.dropped))
                };
                if dropped > 0 {
                    tracing::warn!(dropped, "status change hooks fell behind; the oldest changes were dropped");
                }
                let Some(change) = next else { break };
                self.tell(&change);
            }
            self.delivering.store(false, Ordering::Release);
            // A change queued after the queue was found empty, but before the
            // flag fell, is delivered by this thread.
            if lock(&self.undelivered).changes.is_empty() {
                return;
            }
        }
    }

    fn tell(&self, change: &StatusChange) {
        for hook in &self.hooks {
            // A hook that panics must not take the report or the refresh with it.
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(change))).is_err() {
                tracing::warn!("a status change hook panicked");
            }
        }
    }

    /// A copy of `target`'s history; its transitions only unless `runs`.
    pub(crate) fn history_of(&self, target: Target, runs: bool) -> History {
        let position = self.catalog.position(target);
        if runs {
            self.history.get(position)
        } else {
            History { transitions: self.history.transitions(position), runs: Vec::new() }
        }
    }

    /// The latest status published for `target`.
    pub(crate) fn status(&self, target: Target) -> Option<Status> {
        *self.watchers[self.catalog.position(target)].borrow()
    }

    pub(crate) fn watch(&self, target: Target) -> watch::Receiver<Option<Status>> {
        self.watchers[self.catalog.position(target)].subscribe()
    }

    /// The subjects somebody watches.
    pub(crate) fn watched(&self) -> impl Iterator<Item = Target> + '_ {
        self.catalog.targets().filter(|target| self.watchers[self.catalog.position(*target)].receiver_count() > 0)
    }

    /// A receiver of every change from the next one decided on, and the
    /// statuses decided so far with the number of the latest change: taken
    /// under the lock that orders changes, so that none is missed or counted
    /// twice.
    pub(crate) fn subscribe(&self) -> (broadcast::Receiver<StatusChange>, Vec<Option<Status>>, u64) {
        let seen = self.seen();
        (self.changes.subscribe(), seen.statuses.clone(), seen.sequence)
    }
}

/// Lowers a flag when dropped, unwinding included.
struct Lowered<'a>(&'a AtomicBool);

impl Drop for Lowered<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// The `tracing` event of a change, emitted as it is published.
fn trace(change: &StatusChange) {
    use super::Subject;
    let (from, to) = (change.from.map_or("none", Status::as_str), change.to.as_str());
    match &change.subject {
        Subject::Overall => tracing::info!(from, to, "overall health status changed"),
        Subject::Group(group) => tracing::info!(group = &**group, from, to, "health status of a group changed"),
        Subject::Component(component) => tracing::info!(component = &**component, from, to, "health status changed"),
    }
}

impl OnShutdown for Tracker {
    /// The subjects that drain turn DOWN and stay so; every watcher and
    /// subscriber has been told so when this returns.
    fn shutdown_begun(&self) {
        let mut seen = self.seen();
        if seen.draining {
            return;
        }
        seen.draining = true;
        for target in self.catalog.aggregates().filter(|target| self.catalog.drains(*target)) {
            self.decide(&mut seen, target, Status::Down, |_| Some(history::message("shutting down")));
        }
        let last = seen.sequence;
        drop(seen);
        self.publish();
        // Another thread may be publishing them: publishing never waits on
        // anyone, so neither does this, for long.
        while self.published.load(Ordering::Acquire) < last {
            std::thread::yield_now();
        }
    }
}

impl fmt::Debug for Tracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker").field("hooks", &self.hooks.len()).finish_non_exhaustive()
    }
}

/// The components a report ran: the status each shows, by position, and
/// each run kept in the history on the way.
struct Ran<'a> {
    statuses: [Option<Status>; Selection::CAPACITY],
    /// The components that ran, rather than their result being reused or
    /// joined; by position, how long each of these took (zero for the
    /// others); and those whose run found them DOWN, or other than UP.
    fresh: Selection,
    micros: [u32; Selection::CAPACITY],
    found_down: Selection,
    found_impaired: Selection,
    catalog: &'a Catalog,
    recording: Option<Recording<'a>>,
}

impl ComponentVisitor for Ran<'_> {
    fn component<T: Serialize>(&mut self, index: usize, _: &str, component: &Component<T>) {
        if let Some(status) = self.statuses.get_mut(index) {
            *status = Some(component.status);
        }
        if component.ending.is_run()
            && let Some(micros) = self.micros.get_mut(index)
        {
            self.fresh = self.fresh.with(index);
            *micros = history::micros(component.duration);
            let found = component.raw_status();
            if found == Status::Down {
                self.found_down = self.found_down.with(index);
            }
            if found != Status::Up {
                self.found_impaired = self.found_impaired.with(index);
            }
            if let Some(recording) = &mut self.recording {
                recording.push(self.catalog.position(Target::Component(index)), *micros, found);
            }
        }
    }
}

/// Tells the observer of each run of a report.
struct Observed<'a>(&'a dyn Observer);

impl ComponentVisitor for Observed<'_> {
    fn component<T: Serialize>(&mut self, index: usize, _: &str, component: &Component<T>) {
        let run = Run { status: component.raw_status(), duration: component.duration, ending: component.ending };
        self.0.ran(index, run);
    }
}

/// The messages of the components whose status changed, as transitions keep them.
struct Messages {
    messages: Vec<(usize, Option<Arc<str>>)>,
}

impl ComponentVisitor for Messages {
    fn component<T: Serialize>(&mut self, index: usize, _: &str, component: &Component<T>) {
        self.messages.push((index, component.message.as_deref().map(history::message)));
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
        let catalog = Arc::new(Catalog::new(&[ComponentInfo::new("db").with_critical(true)], Selection::all()));
        let tracker = Arc::new(Tracker::new(Arc::clone(&catalog), Vec::new(), None, HistoryDepth::default()));
        let db = catalog.component("db").unwrap();
        let now = SystemTime::now();
        tracker.record(&One(Status::Up), Selection::all(), 10, now);
        tracker.record(&One(Status::Down), Selection::all(), 12, now);
        // Started earlier, finished later: concurrent reports end out of order.
        tracker.record(&One(Status::Up), Selection::all(), 11, now);
        assert_eq!(tracker.status(db), Some(Status::Down));
        assert_eq!(tracker.status(Target::Overall), Some(Status::Down));
        // A selection without the component records nothing of it.
        tracker.record(&One(Status::Up), Selection::none(), 13, now);
        assert_eq!(tracker.status(db), Some(Status::Down));
    }
}
