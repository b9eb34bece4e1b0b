//! Status tracking: the statuses seen per subject, and who hears of changes.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{Context, Poll, ready};
use std::time::SystemTime;

use futures_core::Stream;
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use super::history::{self, Histories, History, HistoryDepth, Recording, Transition};
use super::observe::{Observer, Run};
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

/// How many changes may wait for the hooks; beyond, the oldest are dropped
/// (a hook that never returns must not grow the queue without end).
const UNDELIVERED: usize = 1024;

/// The statuses seen and those who hear of changes.
pub(crate) struct Tracker {
    catalog: Arc<Catalog>,
    seen: Mutex<Seen>,
    /// The latest status of each subject, by position.
    watchers: Vec<watch::Sender<Option<Status>>>,
    changes: broadcast::Sender<StatusChange>,
    hooks: Vec<Hook>,
    /// Told of every run and status, such as the metrics.
    observer: Option<Arc<dyn Observer>>,
    /// Changes waiting for the hooks and `tracing`, in order.
    undelivered: Mutex<Undelivered>,
    delivering: AtomicBool,
    /// Every subject's transitions and runs, by position.
    history: Histories,
}

struct Seen {
    /// By position: the status last announced.
    statuses: Vec<Option<Status>>,
    /// By component: the generation of the run its status came from.
    generations: Vec<u64>,
    /// The number of the latest change.
    sequence: u64,
    /// Shutting down: readiness stays DOWN.
    draining: bool,
}

#[derive(Default)]
struct Undelivered {
    changes: VecDeque<StatusChange>,
    /// How many were dropped since the last delivery.
    dropped: usize,
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
            undelivered: Mutex::new(Undelivered::default()),
            delivering: AtomicBool::new(false),
            history: Histories::new(positions, depth),
            catalog,
        }
    }

    fn seen(&self) -> MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records what a report of generation `generation`, started `at`, that
    /// ran `selection` says: its runs, in the history; the status of each
    /// component it ran, unless a newer report already gave one (concurrent
    /// reports may finish out of order); then each group and the whole, from
    /// the latest statuses of their components, once all of these have been
    /// seen. Allocates only for changes.
    pub(crate) fn record<C: ComponentSet>(
        &self,
        components: &C,
        selection: Selection,
        generation: u64,
        at: SystemTime,
    ) {
        let ran_selection = selection.intersect(self.catalog.enabled());
        let mut seen = self.seen();
        // Under the lock that orders changes, runs are kept in one order with
        // transitions; the history's own lock is let go before any transition.
        let mut ran = Ran {
            statuses: [None; Selection::CAPACITY],
            fresh: Selection::none(),
            micros: [0; Selection::CAPACITY],
            found: [Status::Up; Selection::CAPACITY],
            catalog: &self.catalog,
            observer: self.observer.as_deref(),
            recording: self.history.recording(at),
        };
        components.visit_selected(ran_selection, &mut ran);
        if let Some(mut recording) = ran.recording.take() {
            self.record_aggregates(&mut recording, &ran, ran_selection);
        }
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
            self.announce(&mut seen, Target::Component(index), status, |_| message);
        }
        // Groups and the whole follow their components: unchanged components,
        // unchanged aggregates. (Each component's first status is a change.)
        for target in self.catalog.aggregates() {
            if seen.draining && target == self.catalog.readiness() {
                continue;
            }
            if let Some(status) = self.aggregate(&seen, target) {
                self.announce(&mut seen, target, status, |seen| self.not_up(seen, target));
            }
        }
        drop(seen);
        self.deliver();
    }

    /// Keeps a run of each group, and of the whole, that a report of
    /// `ran_selection` covered entirely and in which some component ran: as
    /// long as its slowest component, and what its components found, weighed
    /// by criticality.
    fn record_aggregates(&self, recording: &mut Recording<'_>, ran: &Ran<'_>, ran_selection: Selection) {
        let critical = self.catalog.critical();
        for target in self.catalog.aggregates() {
            let members = self.catalog.selection(target);
            let fresh = members.intersect(ran.fresh);
            if !members.without_all(ran_selection).is_empty() || fresh.is_empty() {
                continue;
            }
            let mut slowest = 0;
            let mut found = Status::Up;
            for index in fresh.indices() {
                slowest = slowest.max(ran.micros[index]);
                found = found.combine(ran.found[index], critical.contains(index));
            }
            recording.push(self.catalog.position(target), slowest, found);
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

    /// Sets the status of `target`; keeps a change in the history, with the
    /// message `why` gives, and tells everyone of it, while the lock keeps
    /// changes in order.
    fn announce(
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
        let change = StatusChange {
            subject: self.catalog.subject(target).clone(),
            from,
            to: status,
            sequence: seen.sequence,
            position,
        };
        trace(&change);
        let transition = Transition { at: SystemTime::now(), from, to: status, message, sequence: seen.sequence };
        self.history.transition(position, transition);
        if let Some(observer) = &self.observer {
            observer.status(target, status);
        }
        self.watchers[position].send_replace(Some(status));
        // Without subscribers there is nobody to tell; that is not an error.
        let _ = self.changes.send(change.clone());
        let mut undelivered = self.undelivered();
        if undelivered.changes.len() == UNDELIVERED {
            undelivered.changes.pop_front();
            undelivered.dropped += 1;
        }
        undelivered.changes.push_back(change);
        true
    }

    fn undelivered(&self) -> MutexGuard<'_, Undelivered> {
        self.undelivered.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Calls the hooks with undelivered changes, in order. One thread delivers
    /// at a time; others leave their changes to it, so a hook is never called
    /// concurrently with itself, nor with a lock held: hooks may use the
    /// monitor.
    fn deliver(&self) {
        while !self.delivering.swap(true, Ordering::Acquire) {
            loop {
                let (next, dropped) = {
                    let mut undelivered = self.undelivered();
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
            if self.undelivered().changes.is_empty() {
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
            receiving: Receiving::Idle(self.changes.subscribe()),
            tracker: Arc::downgrade(self),
            delivered: seen.statuses.clone(),
            summary: VecDeque::new(),
            after: seen.sequence,
        }
    }
}

/// The `tracing` event of a change, emitted as it is recorded: no hook can
/// hold it up.
fn trace(change: &StatusChange) {
    let (from, to) = (change.from.map_or("none", Status::as_str), change.to.as_str());
    match &change.subject {
        Subject::Overall => tracing::info!(from, to, "overall health status changed"),
        Subject::Group(group) => tracing::info!(group = &**group, from, to, "health status of a group changed"),
        Subject::Component(component) => tracing::info!(component = &**component, from, to, "health status changed"),
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
        let changed = self
            .announce(&mut seen, self.catalog.readiness(), Status::Down, |_| Some(history::message("shutting down")));
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

/// The components a report ran: the status each shows, by position, and
/// each run kept in the history and told to the observer on the way.
struct Ran<'a> {
    statuses: [Option<Status>; Selection::CAPACITY],
    /// The components that ran, rather than their cached result being reused;
    /// and, by position, how long each of these took and what it found.
    fresh: Selection,
    micros: [u32; Selection::CAPACITY],
    found: [Status; Selection::CAPACITY],
    catalog: &'a Catalog,
    observer: Option<&'a dyn Observer>,
    recording: Option<Recording<'a>>,
}

impl ComponentVisitor for Ran<'_> {
    fn component<T: Serialize>(&mut self, index: usize, _: &str, component: &Component<T>) {
        if let Some(status) = self.statuses.get_mut(index) {
            *status = Some(component.status);
        }
        if component.ending.is_run()
            && let (Some(micros), Some(found)) = (self.micros.get_mut(index), self.found.get_mut(index))
        {
            self.fresh = self.fresh.with(index);
            *micros = history::micros(component.duration);
            *found = component.raw_status();
            if let Some(recording) = &mut self.recording {
                recording.push(self.catalog.position(Target::Component(index)), *micros, *found);
            }
        }
        if let Some(observer) = self.observer {
            observer.ran(
                index,
                Run { status: component.raw_status(), duration: component.duration, ending: component.ending },
            );
        }
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

/// Every status change of a monitor from the moment of subscribing, in order,
/// each once: from [`Monitor::subscribe`](super::Monitor::subscribe). Read it
/// with [`next`](Self::next), or as a [`Stream`].
///
/// A subscriber that reads slowly never holds the checks up. If it falls more
/// than 64 changes behind, the changes it missed are summed up: one change per
/// subject whose status differs from the last one it was given, to the latest
/// status. It loses intermediate states, never the latest.
pub struct StatusChanges {
    receiving: Receiving,
    tracker: Weak<Tracker>,
    /// The status of each subject as this subscriber was last told it.
    delivered: Vec<Option<Status>>,
    /// Changes summed up after falling behind, to be given first.
    summary: VecDeque<StatusChange>,
    /// Changes up to this number are known already.
    after: u64,
}

/// The channel's receiver, or a wait for its next message that owns it.
enum Receiving {
    Idle(broadcast::Receiver<StatusChange>),
    Waiting(Pin<Box<dyn Future<Output = Received> + Send>>),
    /// The monitor is gone.
    Closed,
}

type Received = (Result<StatusChange, broadcast::error::RecvError>, broadcast::Receiver<StatusChange>);

impl StatusChanges {
    /// The next change; `None` once the monitor is gone. Cancelling it loses
    /// nothing.
    pub async fn next(&mut self) -> Option<StatusChange> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The channel's next message.
    fn poll_receive(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<StatusChange, broadcast::error::RecvError>>> {
        loop {
            match &mut self.receiving {
                Receiving::Waiting(wait) => {
                    let (received, receiver) = ready!(wait.as_mut().poll(cx));
                    self.receiving = Receiving::Idle(receiver);
                    return Poll::Ready(Some(received));
                }
                Receiving::Idle(_) => {
                    let Receiving::Idle(mut receiver) = std::mem::replace(&mut self.receiving, Receiving::Closed)
                    else {
                        continue;
                    };
                    self.receiving = Receiving::Waiting(Box::pin(async move {
                        let received = receiver.recv().await;
                        (received, receiver)
                    }));
                }
                Receiving::Closed => return Poll::Ready(None),
            }
        }
    }

    /// Sums up what changed since the last change given.
    fn catch_up(&mut self) {
        let Some(tracker) = self.tracker.upgrade() else { return };
        let seen = tracker.seen();
        for target in tracker.catalog.targets() {
            let position = tracker.catalog.position(target);
            let now = seen.statuses[position];
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

impl Stream for StatusChanges {
    type Item = StatusChange;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<StatusChange>> {
        let this = self.get_mut();
        loop {
            if let Some(change) = this.summary.pop_front() {
                return Poll::Ready(Some(change));
            }
            match ready!(this.poll_receive(cx)) {
                Some(Ok(change)) if change.sequence <= this.after => {}
                Some(Ok(change)) => {
                    this.delivered[change.position] = Some(change.to);
                    return Poll::Ready(Some(change));
                }
                Some(Err(broadcast::error::RecvError::Lagged(_))) => this.catch_up(),
                Some(Err(broadcast::error::RecvError::Closed)) | None => {
                    this.receiving = Receiving::Closed;
                    return Poll::Ready(None);
                }
            }
        }
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
