//! Running one check: its policy, its plan, and the future of its run.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

// Tokio's clock, like the timer's: with a paused clock in tests, timeouts and
// durations still agree.
use tokio::time::{Instant, Sleep};

use crate::check::MAX_TIMEOUT;
use crate::check::attempts::{CheckAttempts, with_details};
use crate::check::driver::Driver;
use crate::check::flight::{Flight, Flights};
use crate::check::retry::Retry;
use crate::check::thresholds::ThresholdOverride;
use crate::check::thresholds::streak::Tally;
use crate::check::trace::RunSpan;
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

pin_project_lite::pin_project! {
    /// The run of one check as its plan says: under its timeout, retried after
    /// a failure while the retries fit, with a panic turned into DOWN, messages
    /// redacted, and counted in the check's history if it keeps one.
    ///
    /// All of that is the [`Driver`]'s, compiled once for every check; this
    /// type adds only the check's own future and details. Made by
    /// [`run_check`].
    pub struct CheckRun<'p, 't, 'f, B, F, T> {
        // First: the check's future is dropped before the driver leaves
        // its flight, so that no other run starts while it still exists.
        #[pin]
        attempts: CheckAttempts<B, F, T>,
        driver: Driver<'p, 't, 'f>,
        // The attempts' deadline and the waits before retries, armed by the
        // driver when first needed.
        #[pin]
        timer: Option<Sleep>,
    }
}

impl<B, F, T> Future for CheckRun<'_, '_, '_, B, F, T>
where
    B: Fn() -> F,
    F: Future<Output = Outcome<T>>,
    T: Clone + Send + Sync + 'static,
{
    type Output = Component<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Component<T>> {
        let mut this = self.project();
        let component = ready!(this.driver.poll_run(this.attempts.as_mut(), this.timer, cx));
        Poll::Ready(with_details(component, this.attempts.take_details()))
    }
}

impl<B, F, T> fmt::Debug for CheckRun<'_, '_, '_, B, F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckRun").finish_non_exhaustive()
    }
}

/// Where a report runs a check: in the flight of a monitor's component,
/// shared with the reads that need it meanwhile, or alone.
///
/// Only this crate makes one, so only it calls
/// [`Check::__run_for_report`](crate::Check::__run_for_report).
// Neither `Clone` nor `Copy`: one run takes its place in a flight.
#[derive(Debug)]
pub struct RunIn<'f> {
    pub(crate) flight: Option<&'f Flight>,
    /// The run's span, if its report is traced.
    pub(crate) span: RunSpan,
}

impl RunIn<'static> {
    /// A run of its own.
    pub(crate) const ALONE: Self = RunIn { flight: None, span: RunSpan::OFF };
}

impl<'f> RunIn<'f> {
    /// A run in `flight`, not traced: for tests of flights.
    #[cfg(test)]
    pub(crate) fn in_flight(flight: &'f Flight) -> Self {
        RunIn { flight: Some(flight), span: RunSpan::OFF }
    }

    /// The run of the component at `index` of a report run with `flights`.
    #[inline]
    pub(crate) fn component(flights: Flights<'f>, index: usize) -> Self {
        RunIn { flight: flights.get(index), span: flights.span(index) }
    }
}

/// Runs `check` with `state` as `plan` says (see `CheckRun`), counted in
/// `tally` if any, in `run_in`.
///
/// Not an `async fn`: it hands over the run itself instead of wrapping it in
/// one more state machine.
#[inline]
pub(crate) fn run_check<'c, 's, 'p, 't, 'f, S, C>(
    check: &'c C,
    state: &'s S,
    plan: Plan<'p>,
    tally: Option<&'t Tally>,
    run_in: RunIn<'f>,
) -> impl Future<Output = Component<C::Details>> + Send
where
    S: ?Sized + Sync,
    C: Check<S> + ?Sized,
{
    CheckRun {
        attempts: CheckAttempts::new(move || check.run(state)),
        driver: Driver::new(plan, tally, run_in),
        timer: None,
    }
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
