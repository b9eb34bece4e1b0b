//! Running one check: timeout, panic isolation, caching and redaction.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::redact::{redact, redact_message};
use crate::time_format::ShortDuration;
use crate::{Check, Component, Status};

/// Runs `check` once for a report: under `timeout`, with a panic turned into
/// DOWN, through the check's cache when it has one.
pub async fn run_component<S, C>(check: &C, state: &S, timeout: Duration, critical: bool) -> Component<C::Details>
where
    S: ?Sized + Sync,
    C: Check<S>,
{
    let run = run_bounded(check, state, timeout, critical);
    match check.result_cache() {
        None => run.await,
        Some(cache) => match cache.get_or_run(timeout, run).await {
            Some(result) => result,
            None => timed_out(timeout, critical, timeout),
        },
    }
}

async fn run_bounded<S, C>(check: &C, state: &S, timeout: Duration, critical: bool) -> Component<C::Details>
where
    S: ?Sized + Sync,
    C: Check<S>,
{
    let started = Instant::now();
    let finished = tokio::time::timeout(timeout, CatchUnwind { inner: check.run(state) }).await;
    let duration = started.elapsed();
    match finished {
        Ok(Ok(outcome)) => {
            let (status, details, message) = outcome.into_parts();
            Component {
                status,
                critical,
                duration,
                message: message.map(redact_message),
                // `()` details say nothing; they are left out of the JSON and the schema.
                details: details.filter(|_| !is_unit::<C::Details>()),
            }
        }
        Ok(Err(panic)) => Component {
            status: Status::Down,
            critical,
            duration,
            message: Some(Cow::Owned(format!("check panicked: {}", redact(panic_text(&*panic))))),
            details: None,
        },
        Err(_) => timed_out(timeout, critical, duration),
    }
}

fn timed_out<T>(timeout: Duration, critical: bool, duration: Duration) -> Component<T> {
    Component {
        status: Status::Down,
        critical,
        duration,
        message: Some(Cow::Owned(format!("timed out after {}", ShortDuration(timeout)))),
        details: None,
    }
}

pub(crate) fn is_unit<T: 'static>() -> bool {
    TypeId::of::<T>() == TypeId::of::<()>()
}

fn panic_text(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&'static str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "a non-string payload"
    }
}

pin_project_lite::pin_project! {
    /// Turns a panic while polling the inner future into an `Err` output.
    struct CatchUnwind<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.project().inner;
        // A check that panicked is never polled again, so no broken invariant
        // inside it can be observed: asserting unwind safety is sound here.
        match catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(panic) => Poll::Ready(Err(panic)),
        }
    }
}
