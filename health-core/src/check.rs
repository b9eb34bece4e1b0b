//! The check contract: what a component of a report is.

use std::future::Future;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use crate::run::run_bounded;
use crate::selection::DEFAULT_GROUPS;
use crate::{Component, Outcome};

/// The timeout of a check that names none: no check ever runs unbounded.
///
/// One second, Kubernetes' default probe `timeoutSeconds`: a health probe should
/// be a cheap query, and a dependency that needs longer to answer one is worth
/// reporting. Set `timeout` on checks that legitimately need more.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

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
    /// The typed details this check reports; `()` for none.
    type Details: Serialize + JsonSchema + Send + Sync + 'static;

    /// How long one run may take before it is reported DOWN.
    const TIMEOUT: Duration = DEFAULT_TIMEOUT;

    /// Whether this component being DOWN makes the whole report DOWN.
    const CRITICAL: bool = false;

    /// A description of what is checked, shown in the JSON Schema.
    const DESCRIPTION: Option<&'static str> = None;

    /// The probe groups the check belongs to (see [`group`](crate::group)).
    const GROUPS: &'static [&'static str] = DEFAULT_GROUPS;

    /// Runs the check once. Timeouts, panics and caching are handled by the caller.
    fn run(&self, state: &S) -> impl Future<Output = Outcome<Self::Details>> + Send;

    /// Runs the check for a report: under `timeout`, with a panic reported DOWN.
    ///
    /// Not part of the API: only this crate can call it (it alone makes the
    /// token), and only its generated checks and [`Cached`](crate::Cached)
    /// replace it, to choose a cached runner per type so that uncached checks
    /// carry no cache code.
    #[doc(hidden)]
    fn __run_for_report(
        &self,
        state: &S,
        timeout: Duration,
        critical: bool,
        _: crate::__private::Sealed,
    ) -> impl Future<Output = Component<Self::Details>> + Send
    where
        S: Sync,
    {
        run_bounded::<S, Self, true>(self, state, timeout, critical)
    }
}
