//! Running one check: timeout, panic isolation and redaction.

use std::any::{Any, TypeId};
use std::borrow::Cow;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

// Tokio's clock, like the timer's: with a paused clock in tests, timeouts and
// durations still agree.
use tokio::time::Instant;

use crate::bounded::{Bounded, Ended};
use crate::component::Ending;
use crate::redact::{redact, redact_message};
use crate::time_format::ShortDuration;
use crate::{Check, Component, Status};

/// Runs `check` once from now: under `timeout`, with a panic turned into DOWN
/// and messages redacted. `RUN_MAY_PANIC`: whether `run` may do work, and so
/// panic, before returning its future. The checks `#[health_check]` generates
/// pass `false`: their `run` only calls an `async fn`, which runs nothing
/// before its first poll, and that poll is guarded.
pub fn run_bounded<S, C, const RUN_MAY_PANIC: bool>(
    check: &C,
    state: &S,
    timeout: Duration,
    critical: bool,
) -> impl Future<Output = Component<C::Details>>
where
    S: ?Sized + Sync,
    C: Check<S> + ?Sized,
{
    // Not an `async fn`: it hands over the inner future instead of wrapping it
    // in one more state machine.
    run_bounded_from::<S, C, RUN_MAY_PANIC>(check, state, Instant::now(), timeout, critical)
}

/// Like [`run_bounded`], with the timeout counted from `started`.
pub(crate) async fn run_bounded_from<S, C, const RUN_MAY_PANIC: bool>(
    check: &C,
    state: &S,
    started: Instant,
    timeout: Duration,
    critical: bool,
) -> Component<C::Details>
where
    S: ?Sized + Sync,
    C: Check<S> + ?Sized,
{
    // `run` itself may do work before returning its future (a closure given to
    // `check_fn`, say), and that work may panic too.
    let future = if RUN_MAY_PANIC {
        match catch_unwind(AssertUnwindSafe(|| check.run(state))) {
            Ok(future) => future,
            Err(panic) => return panicked(&*panic, critical, started.elapsed()),
        }
    } else {
        check.run(state)
    };
    let ended = Bounded::new(future, started, timeout).await;
    let duration = started.elapsed();
    match ended {
        Ended::Completed(outcome) => {
            let (status, details, message) = outcome.into_parts();
            Component {
                status,
                critical,
                duration,
                message: message.map(redact_message),
                // `()` details say nothing; they are left out of the JSON and the schema.
                details: details.filter(|_| !is_unit::<C::Details>()),
                ran_at: None,
                ending: Ending::Completed,
            }
        }
        Ended::Panicked(panic) => panicked(&*panic, critical, duration),
        Ended::TimedOut => timed_out(timeout, critical, duration),
    }
}

fn panicked<T>(panic: &(dyn Any + Send), critical: bool, duration: Duration) -> Component<T> {
    Component {
        status: Status::Down,
        critical,
        duration,
        message: Some(Cow::Owned(format!("check panicked: {}", redact(panic_text(panic))))),
        details: None,
        ran_at: None,
        ending: Ending::Panicked,
    }
}

pub(crate) fn timed_out<T>(timeout: Duration, critical: bool, duration: Duration) -> Component<T> {
    Component {
        status: Status::Down,
        critical,
        duration,
        message: Some(Cow::Owned(format!("timed out after {}", ShortDuration(timeout)))),
        details: None,
        ran_at: None,
        ending: Ending::TimedOut,
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
