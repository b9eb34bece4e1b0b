//! What runs one check: the contract ([`Check`]), what a check gives
//! ([`Outcome`](crate::Outcome)), the bounded run, retries, thresholds,
//! caching, the run shared by concurrent readers, and redaction.
//!
//! The check contract: what a component of a report is.

pub(crate) mod attempts;
pub(crate) mod cache;
pub(crate) mod driver;
pub(crate) mod flight;
pub(crate) mod outcome;
pub(crate) mod redact;
pub(crate) mod retry;
pub(crate) mod run;
pub(crate) mod thresholds;
pub(crate) mod trace;

use std::future::Future;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use crate::Retry;
use crate::check::run::{Plan, RunIn, run_check};
use crate::check::thresholds::streak::Tally;
use crate::group;
use crate::{Component, Outcome};

/// The timeout of a check that names none: no check ever runs unbounded.
///
/// One second, Kubernetes' default probe `timeoutSeconds`: a health probe should
/// be a cheap query, and a dependency that needs longer to answer one is worth
/// reporting. Set `timeout` on checks that legitimately need more.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// The longest timeout a check may have: one hour.
///
/// A health check that needs longer tells nobody anything in time, and an
/// unbounded one would hold its readers, and a background refresh, forever.
/// Longer timeouts are compile errors in `#[health_check]` and
/// `#[health(timeout = ..)]`, and [`Registry`](crate::Registry) refuses them
/// ([`RegistryError::TimeoutTooLong`](crate::RegistryError::TimeoutTooLong));
/// a run is never given more, whatever a hand-written check declares.
///
/// ```
/// assert_eq!(health_core::MAX_TIMEOUT, std::time::Duration::from_secs(3600));
/// ```
pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// A health check of state `S`: one component of a report.
///
/// `#[health_check]` implements it for the type it generates. Implement it by
/// hand for checks that carry their own configuration (and wrap them in
/// [`Cached`](crate::Cached) to reuse their results):
///
/// ```
/// use std::time::Duration;
/// use health_core::{Check, Outcome};
///
/// struct QueueDepth { limit: u64 }
///
/// impl Check for QueueDepth {
///     type Details = u64;
///     const TIMEOUT: Duration = Duration::from_millis(200);
///
///     async fn run(&self, _state: &()) -> Outcome<u64> {
///         let depth = 12; // ask the broker here
///         if depth > self.limit { Outcome::degraded(depth) } else { Outcome::up(depth) }
///     }
/// }
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a health check for state `{S}`",
    label = "not a health check for state `{S}`",
    note = "a report's fields are checks: the `<Name>Check` types that #[health_check] generates, or types implementing `health_core::Check<{S}>`",
    note = "a check whose function takes `&State` fits only reports declared with `#[health(state = State)]`"
)]
pub trait Check<S: ?Sized = ()>: Send + Sync {
    /// The typed details this check reports; `()` for none. They are
    /// `Clone`: a monitor gives a copy of one run's result to every read that
    /// joins the run while it is in flight.
    type Details: Serialize + JsonSchema + Clone + Send + Sync + 'static;

    /// How long one run may take before it is reported DOWN; at most
    /// [`MAX_TIMEOUT`].
    const TIMEOUT: Duration = DEFAULT_TIMEOUT;

    /// Whether this component being DOWN makes the whole report DOWN.
    const CRITICAL: bool = false;

    /// A description of what is checked, shown in the JSON Schema.
    const DESCRIPTION: Option<&'static str> = None;

    /// The probe groups the check belongs to (see [`group`](crate::group)).
    const GROUPS: &'static [&'static str] = group::DEFAULT;

    /// How often a failed run is tried again within the same run (see [`Retry`]).
    const RETRY: Retry = Retry::NONE;

    /// Whether the check keeps the run history that [`Thresholds`](crate::Thresholds)
    /// need: `#[health_check]` types and [`Damped`](crate::Damped) do. Not part
    /// of the API.
    #[doc(hidden)]
    const __KEEPS_HISTORY: bool = false;

    /// The history of this check's runs, if it keeps one: `#[health_check]`
    /// types do. Not part of the API.
    #[doc(hidden)]
    fn __tally(&self) -> Option<&Tally> {
        None
    }

    /// Runs the check once. Timeouts, panics and caching are handled by the caller.
    fn run(&self, state: &S) -> impl Future<Output = Outcome<Self::Details>> + Send;

    /// Runs the check for a report as `plan` says: under its timeout, with
    /// retries, a panic reported DOWN.
    ///
    /// Not part of the API: only this crate can call it (it alone makes the
    /// token), and only its cached generated checks, [`Cached`](crate::Cached)
    /// and [`Damped`](crate::Damped) replace it, to choose a runner per type
    /// so that checks without a cache carry no code for one.
    #[doc(hidden)]
    fn __run_for_report(
        &self,
        state: &S,
        plan: Plan<'_>,
        run_in: RunIn<'_>,
    ) -> impl Future<Output = Component<Self::Details>> + Send
    where
        S: Sync,
    {
        run_check(self, state, plan, self.__tally(), run_in)
    }
}

/// The items of `Check<$state>` that a wrapper of `$inner` forwards to it:
/// its details, settings and `run`. One place for what `Cached` and `Damped`
/// share, so that a setting added to `Check` is forwarded by both.
macro_rules! forward_check {
    ($inner:ty, $state:ty, $field:ident) => {
        type Details = <$inner as $crate::Check<$state>>::Details;
        const TIMEOUT: ::std::time::Duration = <$inner as $crate::Check<$state>>::TIMEOUT;
        const CRITICAL: bool = <$inner as $crate::Check<$state>>::CRITICAL;
        const DESCRIPTION: Option<&'static str> = <$inner as $crate::Check<$state>>::DESCRIPTION;
        const GROUPS: &'static [&'static str] = <$inner as $crate::Check<$state>>::GROUPS;
        const RETRY: $crate::Retry = <$inner as $crate::Check<$state>>::RETRY;

        fn run(&self, state: &$state) -> impl ::std::future::Future<Output = $crate::Outcome<Self::Details>> + Send {
            self.$field.run(state)
        }
    };
}
pub(crate) use forward_check;
