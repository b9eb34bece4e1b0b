//! Status changes, and the stream of them a subscriber reads.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::{Context, Poll, ready};

use futures_core::Stream;
use tokio::sync::broadcast;

use super::subject::Subject;
use super::tracker::Tracker;
use crate::Status;

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
    pub(crate) position: usize,
}

impl StatusChange {
    pub(crate) fn new(subject: Subject, from: Option<Status>, to: Status, sequence: u64, position: usize) -> Self {
        StatusChange { subject, from, to, sequence, position }
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
    /// Every change `tracker` decides from now on.
    pub(crate) fn new(tracker: &Arc<Tracker>) -> Self {
        let (receiver, delivered, after) = tracker.subscribe();
        StatusChanges {
            receiving: Receiving::Idle(receiver),
            tracker: Arc::downgrade(tracker),
            delivered,
            summary: VecDeque::new(),
            after,
        }
    }

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
        let catalog = tracker.catalog();
        for target in catalog.targets() {
            let position = catalog.position(target);
            let now = seen.statuses[position];
            if let Some(to) = now
                && now != self.delivered[position]
            {
                let subject = catalog.subject(target).clone();
                self.summary.push_back(StatusChange::new(
                    subject,
                    self.delivered[position],
                    to,
                    seen.sequence,
                    position,
                ));
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
