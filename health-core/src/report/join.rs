//! Driving several futures to completion on one task, without boxing them.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pin_project_lite::pin_project! {
    /// A future that keeps its output in its own place once it completes, so a
    /// join of many needs no room beyond the futures themselves.
    #[project = MaybeDoneProj]
    #[project_replace = MaybeDoneTaken]
    pub enum MaybeDone<F: Future> {
        /// Not complete yet.
        Running { #[pin] future: F },
        /// Complete; its output waits to be taken.
        Done { output: F::Output },
        /// Its output was taken.
        Taken,
    }
}

impl<F: Future> MaybeDone<F> {
    /// Wraps a future that has not run yet.
    #[inline]
    pub fn new(future: F) -> Self {
        MaybeDone::Running { future }
    }

    /// Already complete with `output`: a future that did not need to run.
    #[inline]
    pub fn done(output: F::Output) -> Self {
        MaybeDone::Done { output }
    }

    /// Polls the future unless it already completed. Returns whether it is still pending.
    #[inline]
    pub fn poll_pending(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> bool {
        let output = match self.as_mut().project() {
            MaybeDoneProj::Running { future } => match future.poll(cx) {
                Poll::Ready(output) => output,
                Poll::Pending => return true,
            },
            MaybeDoneProj::Done { .. } | MaybeDoneProj::Taken => return false,
        };
        self.set(MaybeDone::Done { output });
        false
    }

    /// The output of a future that `poll_pending` reported complete.
    #[inline]
    pub fn take_output(self: Pin<&mut Self>) -> F::Output {
        match self.project_replace(MaybeDone::Taken) {
            MaybeDoneTaken::Done { output } => output,
            MaybeDoneTaken::Running { .. } | MaybeDoneTaken::Taken => {
                unreachable!("the output of a joined future is taken once, after it completed")
            }
        }
    }
}
