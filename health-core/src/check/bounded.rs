//! One run of a check, bounded in time, with a panic caught.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::time::{Instant, Sleep};

/// How a bounded run ended.
pub(crate) enum Ended<T> {
    Completed(T),
    Panicked(Box<dyn Any + Send>),
    TimedOut,
}

pin_project_lite::pin_project! {
    /// Polls `inner` until it completes, panics or `deadline` passes.
    ///
    /// The timer is armed only when the first poll finds the check pending: most
    /// checks answer at once, and a Tokio timer costs a clock read, a runtime
    /// handle clone and a timer-wheel entry.
    pub(crate) struct Bounded<F> {
        #[pin]
        inner: F,
        #[pin]
        timer: Option<Sleep>,
        deadline: Instant,
    }
}

impl<F> Bounded<F> {
    /// Bounds `inner` to `deadline`.
    pub(crate) fn new(inner: F, deadline: Instant) -> Self {
        Bounded { inner, timer: None, deadline }
    }
}

impl<F: Future> Future for Bounded<F> {
    type Output = Ended<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let inner = this.inner;
        // A check that panicked is never polled again, so no broken invariant
        // inside it can be observed: asserting unwind safety is sound here.
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(output)) => return Poll::Ready(Ended::Completed(output)),
            Err(panic) => return Poll::Ready(Ended::Panicked(panic)),
            Ok(Poll::Pending) => {}
        }
        if this.timer.is_none() {
            this.timer.set(Some(tokio::time::sleep_until(*this.deadline)));
        }
        match this.timer.as_pin_mut().map(|timer| timer.poll(cx)) {
            Some(Poll::Ready(())) => Poll::Ready(Ended::TimedOut),
            Some(Poll::Pending) | None => Poll::Pending,
        }
    }
}
