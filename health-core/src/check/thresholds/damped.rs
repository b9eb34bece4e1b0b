//! Failure and success thresholds for checks written by hand.

use std::fmt;
use std::future::Future;

use crate::__private::run_for_report;
use crate::check::flight::Coalesced;
use crate::check::run::{Plan, RunIn};
use crate::check::thresholds::ThresholdOverride;
use crate::check::thresholds::streak::Tally;
use crate::{Check, Component, Thresholds};

/// A check whose status changes only after consecutive runs agree (see
/// [`Thresholds`]): what `#[health_check(failure_threshold = 3)]` does for
/// generated checks, for a check written by hand or a ready-made probe.
///
/// The history lives in the instance, so every report that uses it counts the
/// same runs; a cached result reused is not counted, whichever side of the
/// cache `Damped` is. Wrapping a check that has thresholds of its own replaces
/// them: only the wrapper's apply.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use health_core::{Check, Damped, HealthReport, Outcome, Status, Thresholds};
///
/// struct Broker { reachable: AtomicBool }
///
/// impl Check for Broker {
///     type Details = ();
///     async fn run(&self, _: &()) -> Outcome<()> {
///         if self.reachable.load(Ordering::SeqCst) { Outcome::up(()) } else { Outcome::down(()).with_message("refused") }
///     }
/// }
///
/// #[derive(HealthReport)]
/// struct Health {
///     broker: Damped<Broker>,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let broker = Broker { reachable: AtomicBool::new(true) };
/// let health = Health { broker: Damped::new(broker, Thresholds::new(3, 2).unwrap()) };
/// assert_eq!(health.report(&()).await.status, Status::Up);
/// health.broker.get_ref().reachable.store(false, Ordering::SeqCst);
/// let blip = health.report(&()).await;
/// assert_eq!(blip.status, Status::Up, "one failure of three needed");
/// assert_eq!(blip.components.broker.message.as_deref(), Some("1 of 3 consecutive failures: refused"));
/// # }
/// ```
pub struct Damped<C> {
    check: C,
    tally: Tally,
}

impl<C> Damped<C> {
    /// `check`, whose status changes only as `thresholds` allow.
    pub fn new(check: C, thresholds: Thresholds) -> Self {
        Damped { check, tally: Tally::new(thresholds) }
    }

    /// The check itself.
    pub fn get_ref(&self) -> &C {
        &self.check
    }

    /// The thresholds it applies unless a report sets its own.
    pub fn thresholds(&self) -> Thresholds {
        self.tally.thresholds()
    }
}

impl<C: fmt::Debug> fmt::Debug for Damped<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Damped").field("check", &self.check).field("tally", &self.tally).finish()
    }
}

impl<C, S> Check<S> for Damped<C>
where
    S: ?Sized,
    C: Check<S>,
{
    crate::check::forward_check!(C, S, check);
    const __KEEPS_HISTORY: bool = true;

    fn __run_for_report(
        &self,
        state: &S,
        plan: Plan<'_>,
        run_in: RunIn<'_>,
    ) -> impl Future<Output = Component<Self::Details>> + Send
    where
        S: Sync,
    {
        let run = async move {
            // Only these thresholds apply: a wrapped check's own are turned off.
            let inner = plan.policy.with_thresholds(ThresholdOverride::OFF);
            let mut component = run_for_report(&self.check, state, Plan::new(plan.started, &inner)).await;
            self.tally.record(&mut component, plan.policy.thresholds);
            component
        };
        Coalesced::new(run_in, plan, run)
    }
}
