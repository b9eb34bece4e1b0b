//! Caching for checks written by hand.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use crate::__private::run_for_report;
use crate::check::cache::ResultCache;
use crate::check::flight::Coalesced;
use crate::check::run::{Plan, RunIn};
use crate::{Check, Component};

/// A check whose results are reused for `ttl` after each run, with one run
/// shared by concurrent reports: what `#[health_check(cache = "..")]` does for
/// generated checks, for a check written by hand.
///
/// `S` is the state of the reports it joins; its details must be `Clone`.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::time::Duration;
/// use health_core::{Cached, Check, HealthReport, Outcome};
///
/// struct Broker { queries: AtomicUsize }
///
/// impl Check for Broker {
///     type Details = usize;
///     async fn run(&self, _: &()) -> Outcome<usize> {
///         Outcome::up(self.queries.fetch_add(1, Ordering::SeqCst) + 1)
///     }
/// }
///
/// #[derive(HealthReport)]
/// struct Health {
///     broker: Cached<Broker>,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let health = Health { broker: Cached::new(Broker { queries: AtomicUsize::new(0) }, Duration::from_secs(5)) };
/// health.report(&()).await;
/// let second = health.report(&()).await;
/// assert_eq!(second.components.broker.details, Some(1), "the broker was asked once");
/// # }
/// ```
pub struct Cached<C, S: ?Sized = ()>
where
    C: Check<S>,
{
    check: C,
    cache: ResultCache<C::Details>,
    // The state only selects which `Check` impl of `C` is cached.
    state: PhantomData<fn(&S)>,
}

impl<C, S> Cached<C, S>
where
    S: ?Sized,
    C: Check<S>,
    C::Details: Clone,
{
    /// `check`, with each result reused for `ttl` after its run completes.
    pub fn new(check: C, ttl: Duration) -> Self {
        Cached { check, cache: ResultCache::new(ttl), state: PhantomData }
    }
}

impl<C: Check<S>, S: ?Sized> Cached<C, S> {
    /// The check itself.
    pub fn get_ref(&self) -> &C {
        &self.check
    }
}

impl<C: Check<S> + fmt::Debug, S: ?Sized> fmt::Debug for Cached<C, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached").field("check", &self.check).field("cache", &self.cache).finish()
    }
}

impl<C, S> Check<S> for Cached<C, S>
where
    S: ?Sized,
    C: Check<S>,
{
    crate::check::forward_check!(C, S, check);
    const __KEEPS_HISTORY: bool = C::__KEEPS_HISTORY;

    fn __run_for_report(
        &self,
        state: &S,
        plan: Plan<'_>,
        run_in: RunIn<'_>,
    ) -> impl Future<Output = Component<Self::Details>> + Send
    where
        S: Sync,
    {
        // The check's own runner, inside the cache: a `Damped` check counts
        // real runs only, never reuses.
        Coalesced::new(run_in, plan, self.cache.get_or_run(plan, move |plan| run_for_report(&self.check, state, plan)))
    }
}
