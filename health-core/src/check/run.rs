//! Running one check: timeout, retries, panic isolation and redaction.

use std::any::{Any, TypeId};
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

// Tokio's clock, like the timer's: with a paused clock in tests, timeouts and
// durations still agree.
use tokio::time::Instant;

use crate::check::MAX_TIMEOUT;
use crate::check::bounded::{Bounded, Ended};
use crate::check::redact::{redact, redact_message};
use crate::check::retry::Retry;
use crate::check::thresholds::ThresholdOverride;
use crate::check::thresholds::streak::Tally;
use crate::report::component::Ending;
use crate::time_format::ShortDuration;
use crate::{Check, Component, Outcome, Status};

/// How a report runs one component: how long it may take, whether it is
/// critical, its retries, and thresholds the report sets over the check's
/// own. The derive keeps one per field in a constant, a registry one per
/// entry, so that a run carries a reference to it, not a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// How long the run, retries included, may take.
    pub timeout: Duration,
    /// Whether the component is critical.
    pub critical: bool,
    /// Attempts after a failed one.
    pub retry: Retry,
    /// Thresholds over the check's own.
    pub thresholds: ThresholdOverride,
}

impl Policy {
    /// A run under `timeout`, without retries or thresholds of its own.
    pub const fn new(timeout: Duration, critical: bool) -> Self {
        Policy { timeout, critical, retry: Retry::NONE, thresholds: ThresholdOverride::NONE }
    }

    /// The same policy with `retry`.
    #[must_use]
    pub const fn with_retry(self, retry: Retry) -> Self {
        Policy { retry, ..self }
    }

    /// The same policy with `thresholds` over the check's own.
    #[must_use]
    pub const fn with_thresholds(self, thresholds: ThresholdOverride) -> Self {
        Policy { thresholds, ..self }
    }
}

/// One run of a component: when it began (the timeout counts from here) and
/// its policy.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'p> {
    /// When the run began.
    pub started: Instant,
    /// How it runs.
    pub policy: &'p Policy,
}

impl<'p> Plan<'p> {
    /// A run of `policy` that began at `started`.
    #[inline]
    pub const fn new(started: Instant, policy: &'p Policy) -> Self {
        Plan { started, policy }
    }

    /// When the run must end: its timeout after it began, the timeout no
    /// longer than [`MAX_TIMEOUT`] whatever a check declares, so that no run
    /// is ever unbounded.
    #[inline]
    pub fn deadline(&self) -> Instant {
        let timeout = self.policy.timeout.min(MAX_TIMEOUT);
        self.started.checked_add(timeout).unwrap_or(self.started)
    }
}

/// Runs `check` as `plan` says: under its timeout, retried after a failure
/// while the retries fit, with a panic turned into DOWN and messages redacted.
/// `RUN_MAY_PANIC`: whether `run` may do work, and so panic, before returning
/// its future. The checks `#[health_check]` generates pass `false`: their `run`
/// only calls an `async fn`, which runs nothing before its first poll, and
/// that poll is guarded.
///
/// Not an `async fn`: it hands over the inner future instead of wrapping it
/// in one more state machine.
pub fn run_bounded<S, C, const RUN_MAY_PANIC: bool>(
    check: &C,
    state: &S,
    plan: Plan<'_>,
) -> impl Future<Output = Component<C::Details>> + Send
where
    S: ?Sized + Sync,
    C: Check<S> + ?Sized,
{
    run_planned::<S, C, RUN_MAY_PANIC>(check, state, plan, None)
}

/// Runs `check` as [`run_bounded`] does, then counts the run in `tally`,
/// which decides the status it shows.
pub fn run_tracked<S, C, const RUN_MAY_PANIC: bool>(
    check: &C,
    state: &S,
    plan: Plan<'_>,
    tally: &Tally,
) -> impl Future<Output = Component<C::Details>> + Send
where
    S: ?Sized + Sync,
    C: Check<S> + ?Sized,
{
    run_planned::<S, C, RUN_MAY_PANIC>(check, state, plan, Some(tally))
}

/// One attempt of `$check` with `$state` under `$plan`: the check's future,
/// bounded, then its component. A macro, so that the first attempt runs in
/// the state machine of the run itself rather than in one nested in it.
macro_rules! attempt {
    // `$plan` is read where needed rather than copied into locals, which
    // would live in the state machine beside it.
    ($may_panic:ident, $check:expr, $state:expr, $plan:expr) => {{
        match start::<_, $may_panic>(|| $check.run($state)) {
            Ok(future) => finish(Bounded::new(future, $plan.deadline()).await, $plan.started, $plan.policy),
            Err(panic) => panicked(&*panic, $plan.policy.critical, $plan.started.elapsed()),
        }
    }};
}

/// The run of a check, counted in `tally` if any. A check without retries
/// runs as this one state machine, holding a reference to its policy and no
/// room for retries; one with retries runs its attempts and waits on the heap.
pub(crate) async fn run_planned<S, C, const RUN_MAY_PANIC: bool>(
    check: &C,
    state: &S,
    plan: Plan<'_>,
    tally: Option<&Tally>,
) -> Component<C::Details>
where
    S: ?Sized + Sync,
    C: Check<S> + ?Sized,
{
    let mut component = if plan.policy.retry.is_none() {
        attempt!(RUN_MAY_PANIC, check, state, plan)
    } else {
        Box::pin(run_retrying::<S, C, RUN_MAY_PANIC>(check, state, plan)).await
    };
    if let Some(tally) = tally {
        tally.record(&mut component, plan.policy.thresholds);
    }
    component
}

/// Attempts after failures, while the retries fit.
async fn run_retrying<S, C, const RUN_MAY_PANIC: bool>(check: &C, state: &S, plan: Plan<'_>) -> Component<C::Details>
where
    S: ?Sized + Sync,
    C: Check<S> + ?Sized,
{
    let Plan { started, policy } = plan;
    let mut component = attempt!(RUN_MAY_PANIC, check, state, plan);
    let mut attempts: u32 = 1;
    let deadline = plan.deadline();
    for _ in 0..policy.retry.retries() {
        // Only failures the check reported are retried: a timeout has used
        // the whole budget, and a panic is a bug.
        if component.status != Status::Down || component.ending != Ending::Completed {
            break;
        }
        let backoff = policy.retry.backoff();
        if !backoff.is_zero() {
            // A wait that would end at or past the timeout leaves no time to
            // try again: the failure stands.
            match Instant::now().checked_add(backoff) {
                Some(resume) if resume < deadline => tokio::time::sleep_until(resume).await,
                _ => break,
            }
        }
        attempts = attempts.saturating_add(1);
        let retried = attempt!(RUN_MAY_PANIC, check, state, plan);
        if retried.ending == Ending::TimedOut {
            // The retry ran out of the run's time: the failure the check
            // reported says more than the timeout.
            component.duration = started.elapsed();
            break;
        }
        component = retried;
    }
    component.attempts = attempts;
    component
}

/// The check's future, from `run`. `run` itself may do work before returning
/// it (a closure given to `check_fn`, say), and that work may panic too.
#[inline]
fn start<F, const RUN_MAY_PANIC: bool>(run: impl FnOnce() -> F) -> Result<F, Box<dyn Any + Send>> {
    if RUN_MAY_PANIC { catch_unwind(AssertUnwindSafe(run)) } else { Ok(run()) }
}

/// The component of an attempt that ended. Inlined into each check's state
/// machine: the component is then built where it is returned.
#[inline(always)]
fn finish<T: 'static>(ended: Ended<Outcome<T>>, started: Instant, policy: &Policy) -> Component<T> {
    let Policy { timeout, critical, .. } = *policy;
    let duration = started.elapsed();
    match ended {
        Ended::Completed(outcome) => {
            let (status, details, message) = outcome.into_parts();
            let mut component = Component::new(status).with_critical(critical).with_duration(duration);
            component.message = message.map(redact_message);
            // `()` details say nothing; they are left out of the JSON and the schema.
            component.details = details.filter(|_| !is_unit::<T>());
            component
        }
        Ended::Panicked(panic) => panicked(&*panic, critical, duration),
        Ended::TimedOut => timed_out(timeout, critical, duration),
    }
}

fn panicked<T>(panic: &(dyn Any + Send), critical: bool, duration: Duration) -> Component<T> {
    let mut component = Component::new(Status::Down)
        .with_critical(critical)
        .with_duration(duration)
        .with_message(format!("check panicked: {}", redact(panic_text(panic))));
    component.ending = Ending::Panicked;
    component
}

pub(crate) fn timed_out<T>(timeout: Duration, critical: bool, duration: Duration) -> Component<T> {
    let mut component = Component::new(Status::Down)
        .with_critical(critical)
        .with_duration(duration)
        .with_message(format!("timed out after {}", ShortDuration(timeout)));
    component.ending = Ending::TimedOut;
    component
}

/// The result of a reader that waited for another read's run until its own
/// deadline passed: DOWN, timed out, and no run of its own.
pub(crate) fn waited<T>(plan: Plan<'_>) -> Component<T> {
    let Plan { started, policy } = plan;
    let mut waited = timed_out(policy.timeout, policy.critical, started.elapsed());
    waited.ending = Ending::Waited;
    waited
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
