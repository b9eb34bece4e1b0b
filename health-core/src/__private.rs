//! Paths the generated code uses. Not public API: it changes without notice.

pub use core::future::{Future, poll_fn};
pub use core::pin::pin;
pub use core::task::Poll;
pub use std::time::{Duration, SystemTime};
pub use tokio::time::Instant;

pub use serde;
pub use serde_json::Value;

pub use crate::cache::ResultCache;
pub use crate::join::MaybeDone;
pub use crate::run::run_bounded;
pub use crate::{
    Check, Component, ComponentInfo, ComponentSet, ComponentVisitor, HealthReport, Outcome, Report, SchemaBuilder,
    Selection, Status,
};

/// Milliseconds as the macros write them, as a `Duration`.
pub const fn millis(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Bound of `cache = ".."`: cached results are cloned into every report.
#[diagnostic::on_unimplemented(
    message = "the details type `{Self}` of a check with `cache` must implement `Clone`",
    label = "cached results are cloned into every report that reuses them",
    note = "derive or implement `Clone` for `{Self}`, or remove `cache = ..`"
)]
pub trait CacheableDetails: Clone {}

impl<T: Clone> CacheableDetails for T {}

/// The cache of a `#[health_check(cache = "..")]` check type.
pub fn new_cache<T: CacheableDetails>(ttl: Duration) -> ResultCache<T> {
    ResultCache::new(ttl)
}

/// What a `#[health_check]` fn may return: a supported type whose details can
/// be serialized and described. Bounding the generated items by it alone keeps
/// an unsupported return type to one error.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a return type a health check may have",
    label = "unsupported health check return type",
    note = "a #[health_check] fn returns `()`, `Result<T, E>` or `health_core::Outcome<T>`, where the details type T implements Serialize + JsonSchema + Send + Sync + 'static and E implements Display"
)]
pub trait CheckReturn: Sized {
    type Details: serde::Serialize + schemars::JsonSchema + Send + Sync + 'static;

    fn into_check_outcome(self) -> Outcome<Self::Details>;
}

impl<T> CheckReturn for T
where
    T: crate::IntoOutcome,
    T::Details: serde::Serialize + schemars::JsonSchema + Send + Sync + 'static,
{
    type Details = T::Details;

    #[inline]
    fn into_check_outcome(self) -> Outcome<Self::Details> {
        self.into_outcome()
    }
}

pin_project_lite::pin_project! {
    /// The future of a `#[health_check]` fn, its output converted to an `Outcome`.
    /// A plain adapter rather than an `async` block: one state machine less per check.
    pub struct OutcomeOf<F> {
        #[pin]
        future: F,
    }
}

impl<F> OutcomeOf<F> {
    #[inline]
    pub fn new(future: F) -> Self {
        OutcomeOf { future }
    }
}

impl<F> Future for OutcomeOf<F>
where
    F: Future,
    F::Output: CheckReturn,
{
    type Output = Outcome<<F::Output as CheckReturn>::Details>;

    #[inline]
    fn poll(self: core::pin::Pin<&mut Self>, cx: &mut core::task::Context<'_>) -> Poll<Self::Output> {
        self.project().future.poll(cx).map(CheckReturn::into_check_outcome)
    }
}

/// The entry of a component a selective report did not run.
pub fn skipped<T>(critical: bool) -> Component<T> {
    Component { status: Status::Up, critical, duration: Duration::ZERO, message: None, details: None }
}
