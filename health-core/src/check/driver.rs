//! The run of a check, written once for every check: its timeout, a panic
//! turned into DOWN, retries and their waits, redaction and thresholds.
//!
//! A [`Driver`] is a plain state machine over a `dyn Attempts`, with no type
//! parameter: it is compiled once, in this crate, however many checks a
//! program has. Each check's own code is only what its type needs (see
//! [`CheckAttempts`](crate::check::attempts::CheckAttempts)).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use std::time::Duration;

// Tokio's clock, like the timer's: with a paused clock in tests, timeouts and
// durations still agree.
use tokio::time::{Instant, Sleep};

use crate::check::attempts::{Attempts, Verdict};
use crate::check::flight::{Seat, Turn};
use crate::check::redact::{redact, redact_message};
use crate::check::run::{Plan, Policy, RunIn, timed_out, waited};
use crate::check::thresholds::streak::Tally;
use crate::check::trace::RunSpan;
use crate::report::component::Ending;
use crate::{Component, Status};

/// The run of one check as its plan says, counted in its tally if any.
///
/// Its component is a `Component<()>` whose `details` say whether the
/// attempt it comes from left details: the check's own future puts them in.
pub(crate) struct Driver<'p, 't, 'f> {
    plan: Plan<'p>,
    tally: Option<&'t Tally>,
    // The run's place in its component's flight: led by this read, or
    // another's joined.
    seat: Option<Seat<'f>>,
    // Its span, if its report is traced.
    span: RunSpan,
    stage: Stage,
    // Attempts begun so far.
    attempts: u32,
    // The failure a retry may replace; on the heap, as only retries
    // need it.
    failure: Option<Box<Component<()>>>,
}

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// About to lead the run, or join another read's.
    Board,
    /// Polling an attempt, begun at its first poll.
    Attempt,
    /// Waiting before a retry.
    Wait,
    /// The component was returned.
    Done,
}

impl<'p, 't, 'f> Driver<'p, 't, 'f> {
    /// The run `plan` describes, counted in `tally` if any, shared with the
    /// reads of the flight `run_in` names, if any.
    #[inline]
    pub(crate) fn new(plan: Plan<'p>, tally: Option<&'t Tally>, run_in: RunIn<'f>) -> Self {
        let RunIn { flight, span } = run_in;
        Driver { plan, tally, seat: flight.map(Seat::on), span, stage: Stage::Board, attempts: 0, failure: None }
    }

    /// Drives the run of `check`, whose attempts it begins and polls, with
    /// `timer` for the attempts' deadline and the waits before retries; inside
    /// the run's span, if it is traced. The timer is armed only when an
    /// attempt is first found pending: most checks answer at once, and a
    /// Tokio timer costs a clock read, a runtime handle clone and a
    /// timer-wheel entry.
    pub(crate) fn poll_run(
        &mut self,
        mut check: Pin<&mut dyn Attempts>,
        mut timer: Pin<&mut Option<Sleep>>,
        cx: &mut Context<'_>,
    ) -> Poll<Component<()>> {
        if !self.span.is_off() {
            return self.poll_in_span(check, timer, cx);
        }
        // The path of a check that answers at once is kept short; the rest
        // is in functions of their own.
        loop {
            let ended = match self.stage {
                // A check that panicked is never polled again, so no broken
                // invariant inside it can be observed: asserting unwind
                // safety is sound here.
                Stage::Attempt => match catch_unwind(AssertUnwindSafe(|| check.as_mut().poll_attempt(cx))) {
                    Ok(Poll::Ready(verdict)) => {
                        completed(verdict, self.plan.policy.critical, self.plan.started.elapsed())
                    }
                    Ok(Poll::Pending) => ready!(self.poll_deadline(check.as_mut(), timer.as_mut(), cx)),
                    Err(panic) => {
                        end(check.as_mut());
                        panicked(&*panic, self.plan.policy.critical, self.plan.started.elapsed())
                    }
                },
                // A run with no flight to share is this read's own.
                Stage::Board if self.seat.is_none() => {
                    self.begin();
                    continue;
                }
                _ => match ready!(self.poll_between(check.as_mut(), timer.as_mut(), cx)) {
                    Between::Attempt => continue,
                    Between::Answer(component) => return Poll::Ready(component),
                },
            };
            // A run without retries ends with its first attempt.
            let component = if self.plan.policy.retry.is_none() {
                ended
            } else {
                match self.settle(ended, timer.as_mut()) {
                    Some(component) => component,
                    None => continue,
                }
            };
            return Poll::Ready(self.finish(component, check));
        }
    }

    /// [`poll_run`](Self::poll_run) of a traced run: the same poll, inside its
    /// span, out of the way of runs that are not traced.
    #[cold]
    #[inline(never)]
    fn poll_in_span(
        &mut self,
        check: Pin<&mut dyn Attempts>,
        timer: Pin<&mut Option<Sleep>>,
        cx: &mut Context<'_>,
    ) -> Poll<Component<()>> {
        let span = self.span.take();
        let (polled, span) = span.poll(|| self.poll_run(check, timer, cx));
        self.span = span;
        polled
    }

    /// The timeout of an attempt found pending: armed, and the attempt cut
    /// when it passes.
    #[inline(never)]
    fn poll_deadline(
        &mut self,
        check: Pin<&mut dyn Attempts>,
        mut timer: Pin<&mut Option<Sleep>>,
        cx: &mut Context<'_>,
    ) -> Poll<Component<()>> {
        arm(timer.as_mut(), self.plan.deadline());
        ready!(poll_timer(timer, cx));
        end(check);
        let Policy { timeout, critical, .. } = *self.plan.policy;
        Poll::Ready(timed_out(timeout, critical, self.plan.started.elapsed()))
    }

    /// The stages between attempts: boarding a flight (to lead its run, or
    /// take another read's result), and waiting before a retry.
    #[inline(never)]
    fn poll_between(
        &mut self,
        check: Pin<&mut dyn Attempts>,
        timer: Pin<&mut Option<Sleep>>,
        cx: &mut Context<'_>,
    ) -> Poll<Between> {
        match self.stage {
            Stage::Board => {
                match ready!(self.seat.as_mut().map_or(Poll::Ready(Turn::Lead), |seat| seat.poll_turn(&self.plan, cx)))
                {
                    Turn::Lead => self.begin(),
                    Turn::Take(shared) => match catch_unwind(AssertUnwindSafe(|| check.details().join(&*shared))) {
                        Ok(Some(joined)) => {
                            self.stage = Stage::Done;
                            return Poll::Ready(Between::Answer(joined));
                        }
                        // Not a result it can copy: it runs the check instead.
                        _ => {
                            if let Some(seat) = self.seat.as_mut() {
                                seat.reboard();
                            }
                        }
                    },
                    Turn::Waited => {
                        self.stage = Stage::Done;
                        return Poll::Ready(Between::Answer(waited(self.plan)));
                    }
                }
            }
            Stage::Wait => {
                ready!(poll_timer(timer, cx));
                self.begin();
            }
            // Polled after it completed: it stays pending rather than panic.
            Stage::Attempt | Stage::Done => return Poll::Pending,
        }
        Poll::Ready(Between::Attempt)
    }

    /// The component of a run with retries, after an attempt that ended as
    /// `ended`; `None` if another attempt follows.
    #[cold]
    #[inline(never)]
    fn settle(&mut self, ended: Component<()>, timer: Pin<&mut Option<Sleep>>) -> Option<Component<()>> {
        let (component, resume) = match self.failure.take() {
            // The retry ran out of the run's time: the failure the check
            // reported says more than the timeout, and no time is left.
            Some(mut failure) if ended.ending == Ending::TimedOut => {
                failure.duration = self.plan.started.elapsed();
                (*failure, None)
            }
            _ => {
                let resume = retry(&ended, self.attempts, &self.plan);
                (ended, resume)
            }
        };
        let Some(resume) = resume else { return Some(component) };
        self.failure = Some(Box::new(component));
        match resume {
            Resume::Now => self.begin(),
            Resume::At(resume) => {
                arm(timer, resume);
                self.stage = Stage::Wait;
            }
        }
        None
    }

    /// Moves on to a new attempt.
    #[inline]
    fn begin(&mut self) {
        self.attempts = self.attempts.saturating_add(1);
        self.stage = Stage::Attempt;
    }

    /// Ends the run with `component`: counted in the tally, and shared with
    /// the flight's joiners.
    #[inline(always)]
    fn finish(&mut self, mut component: Component<()>, mut check: Pin<&mut dyn Attempts>) -> Component<()> {
        self.stage = Stage::Done;
        component.attempts = self.attempts;
        if let Some(tally) = self.tally {
            tally.record(&mut component, self.plan.policy.thresholds);
        }
        if let Some(seat) = self.seat.as_mut() {
            let details = check.as_mut().details();
            seat.land_with(|| details.share(&component));
        }
        component
    }
}

/// `timer`, made or reset to go off at `at`.
fn arm(mut timer: Pin<&mut Option<Sleep>>, at: Instant) {
    match timer.as_mut().as_pin_mut() {
        Some(armed) if armed.deadline() != at => armed.reset(at),
        Some(_) => {}
        None => timer.set(Some(tokio::time::sleep_until(at))),
    }
}

/// Whether `timer` went off; one never armed has nothing to wait for.
fn poll_timer(timer: Pin<&mut Option<Sleep>>, cx: &mut Context<'_>) -> Poll<()> {
    timer.as_pin_mut().map_or(Poll::Ready(()), |armed| armed.poll(cx))
}

/// What the stages between attempts come to: an attempt, or an answer
/// without one.
enum Between {
    Attempt,
    Answer(Component<()>),
}

/// Drops the attempt in flight: one that timed out or panicked. Its drop is
/// the check's code and may panic too; the component already says what
/// happened.
fn end(check: Pin<&mut dyn Attempts>) {
    let _ = catch_unwind(AssertUnwindSafe(|| check.end()));
}

/// When a retry begins.
enum Resume {
    Now,
    At(Instant),
}

/// Whether `component`, after `attempts` attempts, is tried again, and when.
fn retry(component: &Component<()>, attempts: u32, plan: &Plan<'_>) -> Option<Resume> {
    let retry = plan.policy.retry;
    // Only failures the check reported are retried: a timeout has used the
    // whole budget, and a panic is a bug.
    // (`attempts` saturates: a count of retries at `u32::MAX` still ends.)
    if attempts > retry.retries()
        || attempts == u32::MAX
        || component.status != Status::Down
        || component.ending != Ending::Completed
    {
        return None;
    }
    let backoff = retry.backoff();
    if backoff.is_zero() {
        return Some(Resume::Now);
    }
    // A wait that would end at or past the timeout leaves no time to try
    // again: the failure stands.
    match Instant::now().checked_add(backoff) {
        Some(resume) if resume < plan.deadline() => Some(Resume::At(resume)),
        _ => None,
    }
}

/// The component of an attempt that completed.
#[inline]
fn completed(verdict: Verdict, critical: bool, duration: Duration) -> Component<()> {
    let Verdict { status, message, details } = verdict;
    let mut component = Component::new(status).with_critical(critical).with_duration(duration);
    component.message = message.map(redact_message);
    component.details = details.then_some(());
    component
}

fn panicked(panic: &(dyn Any + Send), critical: bool, duration: Duration) -> Component<()> {
    let mut component = Component::new(Status::Down)
        .with_critical(critical)
        .with_duration(duration)
        .with_message(format!("check panicked: {}", redact(panic_text(panic))));
    component.ending = Ending::Panicked;
    component
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::check::flight::Flight;
    use crate::check::retry::Retry;
    use crate::check::run::{Policy, RunIn, run_check};
    use crate::{Check, Outcome};

    /// Fails with details on its first attempt; then does what `then` says.
    struct FailsThen {
        then: Then,
        attempts: AtomicU32,
    }

    #[derive(Clone, Copy)]
    enum Then {
        Hangs,
        Panics,
        Succeeds,
    }

    impl Check for FailsThen {
        type Details = u32;

        async fn run(&self, _: &()) -> Outcome<u32> {
            let attempt = self.attempts.fetch_add(1, Ordering::SeqCst) + 1;
            if attempt == 1 {
                return Outcome::down(attempt).with_message("refused");
            }
            match self.then {
                Then::Hangs => std::future::pending().await,
                Then::Panics => panic!("bug"),
                Then::Succeeds => Outcome::up(attempt),
            }
        }
    }

    async fn run(then: Then) -> (Component<u32>, u32) {
        let check = FailsThen { then, attempts: AtomicU32::new(0) };
        let policy = Policy::new(Duration::from_millis(100), true).with_retry(Retry::new(3, Duration::ZERO));
        let component = run_check(&check, &(), Plan::new(Instant::now(), &policy), None, RunIn::ALONE).await;
        (component, check.attempts.load(Ordering::SeqCst))
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_cut_by_the_timeout_leaves_the_failure_before_it_with_its_details() {
        let (component, attempts) = run(Then::Hangs).await;
        assert_eq!((component.status, component.message.as_deref()), (Status::Down, Some("refused")));
        assert_eq!(component.details, Some(1), "the details of the failure reported");
        assert_eq!((component.attempts, attempts), (2, 2), "no attempt after the timeout");
        assert_eq!(component.duration, Duration::from_millis(100));
    }

    #[tokio::test]
    async fn a_retry_that_panics_is_reported_without_the_failures_details() {
        let (component, attempts) = run(Then::Panics).await;
        assert_eq!((component.status, component.ending), (Status::Down, Ending::Panicked));
        assert_eq!(component.details, None);
        assert_eq!((component.attempts, attempts), (2, 2), "a panic is not retried");
    }

    /// Notes whether its flight was idle when it was dropped, then panics.
    struct Bomb<'a> {
        flight: &'a Flight,
        idle_when_dropped: &'a AtomicU32,
    }

    impl Drop for Bomb<'_> {
        fn drop(&mut self) {
            self.idle_when_dropped.store(u32::from(self.flight.is_idle()), Ordering::SeqCst);
            panic!("dropped");
        }
    }

    /// Never answers; its attempt is a `Bomb`.
    struct Hangs {
        idle_when_dropped: AtomicU32,
    }

    impl Check<Flight> for Hangs {
        type Details = ();

        async fn run(&self, flight: &Flight) -> Outcome<()> {
            let _bomb = Bomb { flight, idle_when_dropped: &self.idle_when_dropped };
            std::future::pending().await
        }
    }

    #[tokio::test]
    async fn a_leader_dropped_midway_drops_its_attempt_before_leaving_its_flight_even_if_that_panics() {
        let flight = Flight::default();
        let check = Hangs { idle_when_dropped: AtomicU32::new(2) };
        let policy = Policy::new(Duration::from_secs(5), true);
        let run_in = RunIn::in_flight(&flight);
        let mut run = Box::pin(run_check(&check, &flight, Plan::new(Instant::now(), &policy), None, run_in));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(run.as_mut().poll(&mut cx).is_pending());
        assert!(!flight.is_idle(), "the run leads its flight");
        assert!(catch_unwind(AssertUnwindSafe(move || drop(run))).is_err(), "its drop panics");
        assert_eq!(check.idle_when_dropped.load(Ordering::SeqCst), 0, "no other run could start while it existed");
        assert!(flight.is_idle(), "the next read can lead a run");
    }

    #[tokio::test]
    async fn a_retry_that_succeeds_reports_its_own_details() {
        let (component, attempts) = run(Then::Succeeds).await;
        assert_eq!((component.status, component.details, component.message), (Status::Up, Some(2), None));
        assert_eq!((component.attempts, attempts), (2, 2));
    }
}
