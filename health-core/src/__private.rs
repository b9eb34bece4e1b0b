//! Paths the generated code uses. Not public API: it changes without notice.

pub use core::future::{Future, poll_fn};
pub use core::pin::pin;
pub use core::task::Poll;
pub use std::time::{Duration, Instant, SystemTime};

pub use serde;
pub use serde_json::Value;

pub use crate::join::{completed, poll_pending};
pub use crate::run::run_component;
pub use crate::{
    Check, Component, ComponentInfo, HealthReport, IntoOutcome, Outcome, Report, ResultCache, SchemaBuilder, Status,
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
