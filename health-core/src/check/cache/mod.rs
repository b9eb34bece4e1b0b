//! Reuse of a check's recent result, with one run shared by concurrent reports.

pub(crate) mod cached;

use std::fmt;
use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::check::run::{Plan, RunIn, run_check, waited};
use crate::check::thresholds::streak::Tally;
use crate::report::component::Ending;
use crate::{Check, Component};

/// The recent result of one check, shared by every report that uses the same
/// check instance.
///
/// For `ttl` after a run completes, reports reuse its result. Reports that
/// arrive while a run is under way wait for that run instead of starting their
/// own (single-flight), so a flood of probes costs the dependency one query.
/// Failures are cached like successes: a dependency that is down is not
/// hammered either.
///
/// `#[health_check(cache = "5s")]` puts one in the generated check type,
/// [`Cached`](crate::Cached) one beside a hand-written check, and
/// `CheckOptions::cache` one in a registry entry.
pub struct ResultCache<T> {
    ttl: Duration,
    // Held across the run: whoever holds it runs the check, the others queue and
    // then find the fresh result. A report dropped mid-run releases it, and the
    // next waiter runs the check instead.
    latest: Mutex<Option<Fresh<T>>>,
}

/// A cached result and when its run completed.
struct Fresh<T> {
    completed: Instant,
    result: Component<T>,
}

impl<T: Clone> ResultCache<T> {
    /// A cache whose results stay fresh for `ttl` after their run completes.
    pub fn new(ttl: Duration) -> Self {
        ResultCache { ttl, latest: Mutex::const_new(None) }
    }

    /// Returns the fresh cached result of `check`, or runs it as `plan` says
    /// (counted in `tally`, if any) and caches what it returns. The timeout
    /// covers waiting for another report's run and this run together. The cache
    /// holds one result whatever the state it ran with.
    pub fn run<S, C>(
        &self,
        check: &C,
        state: &S,
        plan: Plan<'_>,
        tally: Option<&Tally>,
    ) -> impl Future<Output = Component<T>>
    where
        S: ?Sized + Sync,
        C: Check<S, Details = T> + ?Sized,
    {
        self.get_or_run(plan, move |plan| run_check(check, state, plan, tally, RunIn::ALONE))
    }

    /// The fresh cached result, or the result of `run(plan)`, which is then
    /// cached.
    pub(crate) async fn get_or_run<'p, F>(&self, plan: Plan<'p>, run: impl FnOnce(Plan<'p>) -> F) -> Component<T>
    where
        F: Future<Output = Component<T>>,
    {
        let mut latest = match self.latest.try_lock() {
            Ok(latest) => latest,
            Err(_) => match tokio::time::timeout_at(plan.deadline(), self.latest.lock()).await {
                Ok(latest) => latest,
                Err(_) => return waited(plan),
            },
        };
        if let Some(fresh) = &*latest
            && fresh.completed.elapsed() < self.ttl
        {
            let mut reused = fresh.result.clone();
            reused.ending = Ending::Reused;
            return reused;
        }
        let ran_at = SystemTime::now();
        let mut result = run(plan).await;
        // A result from a cache inside (the check's own) keeps its run's time.
        result.ran_at.get_or_insert(ran_at);
        *latest = Some(Fresh { completed: Instant::now(), result: result.clone() });
        result
    }
}

impl<T> fmt::Debug for ResultCache<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultCache").field("ttl", &self.ttl).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;
    use crate::check::run::Policy;

    #[tokio::test]
    async fn a_wait_for_another_reports_run_that_times_out_is_told_apart_from_a_run() {
        let cache = ResultCache::<()>::new(Duration::from_secs(60));
        let (long, short) = (Policy::new(Duration::from_secs(5), false), Policy::new(Duration::from_millis(50), false));
        let plan = |policy| Plan::new(Instant::now(), policy);
        let slow = cache.get_or_run(plan(&long), |_| async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            Component::new(Status::Up)
        });
        let impatient = cache.get_or_run(plan(&short), |_| async { Component::new(Status::Up) });
        let (ran, waited) = tokio::join!(slow, impatient);
        assert_eq!((ran.status, ran.ending), (Status::Up, Ending::Completed));
        assert_eq!((waited.status, waited.ending), (Status::Down, Ending::Waited));
        let reused = cache.get_or_run(plan(&long), |_| async { Component::new(Status::Down) }).await;
        assert_eq!((reused.status, reused.ending), (Status::Up, Ending::Reused));
    }
}
