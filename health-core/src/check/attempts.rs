//! A check as the run's shared machinery sees it: attempts to begin and poll,
//! whatever the check's type.
//!
//! Everything a run does around a check (its timeout, panic isolation,
//! retries, waits, thresholds, redaction) is written once, in
//! [`Driver`](crate::check::driver::Driver), over a `dyn Attempts`. What is
//! compiled per check is only [`CheckAttempts`]: begin the check's future,
//! poll it, keep its details.

use std::any::Any;
use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use crate::check::flight::{SharedResult, joined, shareable};
use crate::check::run::is_unit;
use crate::{Component, Outcome, Status};

/// One attempt after another of a check: what the driver of a run needs of it.
pub(crate) trait Attempts {
    /// Polls the attempt in flight, beginning one if there is none (a
    /// hand-written `run` may do work, and panic, as it begins). When it
    /// completes, its details are kept for the component, and its status and
    /// message returned; the next poll begins another attempt.
    fn poll_attempt(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Verdict>;

    /// Drops the attempt in flight, if any: one that timed out or panicked.
    fn end(self: Pin<&mut Self>);

    /// The details kept, for the run's flight to share or fill.
    fn details(self: Pin<&mut Self>) -> &mut dyn Details;
}

/// The details a run keeps, as its flight shares them: generic over their
/// type only, so compiled once for every check of that type.
pub(crate) trait Details {
    /// The copy of the run's result, `component` with the details kept, that
    /// the joiners of its flight take. Clones the details: user code.
    fn share(&self, component: &Component<()>) -> Option<SharedResult>;

    /// Takes the result `shared` by another read's run as this run's: its
    /// details are kept, the rest returned. `None` if it is not of this
    /// check's type. Clones the details: user code.
    fn join(&mut self, shared: &(dyn Any + Send + Sync)) -> Option<Component<()>>;
}

impl<T: Clone + Send + Sync + 'static> Details for Option<T> {
    fn share(&self, component: &Component<()>) -> Option<SharedResult> {
        let details = component.details.and_then(|()| self.clone());
        Some(shareable(with_details(component.clone(), details)))
    }

    fn join(&mut self, shared: &(dyn Any + Send + Sync)) -> Option<Component<()>> {
        let (component, details) = without_details(joined::<T>(shared)?);
        *self = details;
        Some(component)
    }
}

/// What a completed attempt found, its details aside.
#[derive(Debug)]
pub(crate) struct Verdict {
    pub(crate) status: Status,
    pub(crate) message: Option<Cow<'static, str>>,
    /// Whether the attempt left details for the component (`()` details say
    /// nothing and are never kept).
    pub(crate) details: bool,
}

pin_project_lite::pin_project! {
    /// The attempts of one check: `begin` makes each attempt's future, and the
    /// details of the latest attempt that completed with some wait here for
    /// the component.
    pub struct CheckAttempts<B, F, T> {
        begin: B,
        #[pin]
        attempt: Option<F>,
        details: Option<T>,
    }
}

impl<B, F, T> CheckAttempts<B, F, T> {
    /// Attempts whose futures `begin` makes.
    #[inline]
    pub(crate) fn new(begin: B) -> Self {
        CheckAttempts { begin, attempt: None, details: None }
    }

    /// The details kept, if the attempt the component comes from left some.
    #[inline]
    pub(crate) fn take_details(self: Pin<&mut Self>) -> Option<T> {
        self.project().details.take()
    }
}

impl<B, F, T> Attempts for CheckAttempts<B, F, T>
where
    B: Fn() -> F,
    F: Future<Output = Outcome<T>>,
    T: Clone + Send + Sync + 'static,
{
    fn poll_attempt(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Verdict> {
        let mut this = self.project();
        if this.attempt.is_none() {
            this.attempt.set(Some((this.begin)()));
        }
        let Some(attempt) = this.attempt.as_mut().as_pin_mut() else {
            return Poll::Pending;
        };
        let outcome = ready!(attempt.poll(cx));
        this.attempt.set(None);
        Poll::Ready(keep(outcome, this.details))
    }

    fn end(self: Pin<&mut Self>) {
        self.project().attempt.set(None);
    }

    fn details(self: Pin<&mut Self>) -> &mut dyn Details {
        self.project().details
    }
}

/// The verdict of an attempt that completed with `outcome`, its details kept
/// in `kept` if it has some.
fn keep<T: 'static>(outcome: Outcome<T>, kept: &mut Option<T>) -> Verdict {
    let (status, details, message) = outcome.into_parts();
    let left = details.is_some() && !is_unit::<T>();
    if left {
        *kept = details;
    }
    Verdict { status, message, details: left }
}

/// `component`, with `details` if it says its attempt left some.
pub(crate) fn with_details<T>(component: Component<()>, details: Option<T>) -> Component<T> {
    let Component { status, critical, duration, message, details: left, ran_at, streak, attempts, ending } = component;
    Component { status, critical, duration, message, details: left.and(details), ran_at, streak, attempts, ending }
}

/// `component` and its details apart; the component says whether it had some.
fn without_details<T>(component: Component<T>) -> (Component<()>, Option<T>) {
    let Component { status, critical, duration, message, details, ran_at, streak, attempts, ending } = component;
    let left = details.as_ref().map(|_| ());
    (Component { status, critical, duration, message, details: left, ran_at, streak, attempts, ending }, details)
}
