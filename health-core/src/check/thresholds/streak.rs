//! A check's run history: consecutive failures and successes, and the status
//! they allow the component to show.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Mutex, PoisonError};

use serde::ser::{Serialize, SerializeStruct, Serializer};

use crate::check::thresholds::{ThresholdOverride, Thresholds};
use crate::{Component, Status};

/// Where a component with thresholds stands: its run's own status, and the
/// streak of runs that decided the status shown.
///
/// Present on the [`Component`] of a check with [`Thresholds`], and in the
/// JSON as `"streak"`, beside the details.
///
/// ```
/// use health_core::{Status, Streak};
///
/// fn held_up(streak: &Streak) -> bool {
///     streak.raw_status == Status::Down && streak.failures < streak.failure_threshold
/// }
/// # let _ = held_up;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Streak {
    /// The status of this run alone, before thresholds applied.
    pub raw_status: Status,
    /// Consecutive failed runs, this one included; 0 after a success.
    pub failures: u32,
    /// Consecutive successful runs, this one included; 0 after a failure.
    pub successes: u32,
    /// Consecutive failures that make the component DOWN.
    pub failure_threshold: u32,
    /// Consecutive successes that bring a DOWN component back.
    pub success_threshold: u32,
}

// By hand: the crate uses serde without its derive macros.
impl Serialize for Streak {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut streak = serializer.serialize_struct("Streak", 5)?;
        streak.serialize_field("raw_status", &self.raw_status)?;
        streak.serialize_field("failures", &self.failures)?;
        streak.serialize_field("successes", &self.successes)?;
        streak.serialize_field("failure_threshold", &self.failure_threshold)?;
        streak.serialize_field("success_threshold", &self.success_threshold)?;
        streak.end()
    }
}

/// The run history a check instance keeps for its thresholds, shared by every
/// report that uses the instance: the reason thresholds are declared on checks
/// that keep one (`#[health_check]` types, [`Damped`](crate::Damped) and
/// registry entries).
pub struct Tally {
    thresholds: Thresholds,
    state: Mutex<State>,
}

#[derive(Debug, Clone, Copy)]
struct State {
    /// Whether any run has succeeded: before that, nothing is held UP.
    succeeded: bool,
    /// The status last shown, once a run has succeeded.
    shown: Status,
    failures: u32,
    successes: u32,
}

impl Tally {
    /// A history applying `thresholds`, unless a report overrides them.
    pub const fn new(thresholds: Thresholds) -> Self {
        Tally {
            thresholds,
            state: Mutex::new(State { succeeded: false, shown: Status::Up, failures: 0, successes: 0 }),
        }
    }

    /// The thresholds it applies when a report sets none.
    pub fn thresholds(&self) -> Thresholds {
        self.thresholds
    }

    /// Counts the run that produced `component`, and returns it as the
    /// thresholds let it show: the tally's own, with what a report set over
    /// them. A cached result reused, or a timed-out wait for another report's
    /// run, is no run: it is shown as the history stands, without counting.
    #[inline]
    pub(crate) fn record<T>(&self, component: &mut Component<T>, over: ThresholdOverride) {
        let thresholds = over.apply(self.thresholds);
        // Checks without thresholds keep a tally too: they pay this test only.
        if !thresholds.is_none() {
            self.count(component, thresholds);
        }
    }

    fn count<T>(&self, component: &mut Component<T>, thresholds: Thresholds) {
        let counted = component.ending.is_run();
        let raw = component.status;
        let failed = raw == Status::Down;
        // Nothing below can panic, so a poisoned lock holds a consistent state.
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = *state;
        if counted && failed {
            next.failures = next.failures.saturating_add(1);
            next.successes = 0;
        } else if counted {
            next.successes = next.successes.saturating_add(1);
            next.failures = 0;
        }
        let note = match (next.succeeded, next.shown, failed) {
            // Never succeeded: nothing to hold, every status shows as it is.
            (false, _, _) => {
                next.succeeded = !failed;
                next.shown = raw;
                None
            }
            (true, Status::Down, true) => None,
            (true, Status::Down, false) if next.successes < thresholds.successes() => {
                component.status = Status::Down;
                Some(format!("{} of {} consecutive successes to recover", next.successes, thresholds.successes()))
            }
            (true, shown, true) if next.failures < thresholds.failures() => {
                component.status = shown;
                // A wait that timed out with no failure counted is held without a count.
                (next.failures > 0)
                    .then(|| format!("{} of {} consecutive failures", next.failures, thresholds.failures()))
            }
            (true, _, _) => {
                next.shown = raw;
                None
            }
        };
        if counted {
            *state = next;
        }
        drop(state);
        if let Some(note) = note {
            component.message = Some(Cow::Owned(match component.message.take() {
                Some(message) => format!("{note}: {message}"),
                None => note,
            }));
        }
        component.streak = Some(Streak {
            raw_status: raw,
            failures: next.failures,
            successes: next.successes,
            failure_threshold: thresholds.failures(),
            success_threshold: thresholds.successes(),
        });
    }
}

impl Default for Tally {
    fn default() -> Self {
        Tally::new(Thresholds::NONE)
    }
}

impl fmt::Debug for Tally {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("Tally").field("thresholds", &self.thresholds).field("state", &*state).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::component::Ending;

    fn run(tally: &Tally, status: Status) -> Component<()> {
        let mut component = Component::new(status);
        if status == Status::Down {
            component.message = Some("refused".into());
        }
        tally.record(&mut component, ThresholdOverride::NONE);
        component
    }

    fn shown(tally: &Tally, statuses: &[Status]) -> Vec<Status> {
        statuses.iter().map(|status| run(tally, *status).status).collect()
    }

    use Status::{Degraded as Dg, Down as Dn, Up};

    #[test]
    fn failures_under_the_threshold_keep_the_status_and_say_so() {
        let tally = Tally::new(Thresholds::new(3, 2).unwrap());
        assert_eq!(shown(&tally, &[Up, Dn, Dn, Up]), [Up, Up, Up, Up]);
        let held = run(&tally, Dn);
        assert_eq!(held.status, Up);
        assert_eq!(held.message.as_deref(), Some("1 of 3 consecutive failures: refused"));
        let streak = held.streak.unwrap();
        assert_eq!((streak.raw_status, streak.failures, streak.failure_threshold), (Dn, 1, 3));
        assert_eq!(shown(&tally, &[Dn, Dn]), [Up, Dn]);
        let recovering = run(&tally, Up);
        assert_eq!(recovering.status, Dn, "a success short of the threshold stays DOWN");
        assert_eq!(recovering.message.as_deref(), Some("1 of 2 consecutive successes to recover"));
        assert_eq!(shown(&tally, &[Up]), [Up]);
    }

    #[test]
    fn degraded_is_a_success_and_is_held_like_up() {
        let tally = Tally::new(Thresholds::new(2, 2).unwrap());
        assert_eq!(shown(&tally, &[Dg, Dn, Dg, Dn, Dn, Dg, Dg, Up]), [Dg, Dg, Dg, Dg, Dn, Dn, Dg, Up]);
    }

    #[test]
    fn a_component_that_never_succeeded_shows_every_failure() {
        let tally = Tally::new(Thresholds::new(3, 2).unwrap());
        let first = run(&tally, Dn);
        assert_eq!((first.status, first.message.as_deref()), (Dn, Some("refused")));
        assert_eq!(first.streak.unwrap().failures, 1);
        assert_eq!(shown(&tally, &[Dn, Up, Dn]), [Dn, Up, Up], "the first success counts at once");
    }

    #[test]
    fn a_failure_while_recovering_starts_the_count_again() {
        let tally = Tally::new(Thresholds::new(1, 3).unwrap());
        assert_eq!(shown(&tally, &[Up, Dn, Up, Up, Dn, Up, Up, Up]), [Up, Dn, Dn, Dn, Dn, Dn, Dn, Up]);
    }

    #[test]
    fn reuses_are_shown_as_the_history_stands_and_not_counted() {
        let tally = Tally::new(Thresholds::new(2, 2).unwrap());
        run(&tally, Up);
        let held = run(&tally, Dn);
        let reuse = |component: &Component<()>| {
            let mut reused = component.clone();
            reused.status = reused.raw_status();
            reused.message = Some("refused".into());
            reused.ending = Ending::Reused;
            tally.record(&mut reused, ThresholdOverride::NONE);
            reused
        };
        for _ in 0..3 {
            let reused = reuse(&held);
            assert_eq!(reused.status, Up, "held as the run that produced it was");
            assert_eq!(reused.message.as_deref(), Some("1 of 2 consecutive failures: refused"));
        }
        assert_eq!(run(&tally, Dn).status, Dn, "the second real failure, not the fifth");
        let mut waited = Component::<()>::new(Dn).with_message("timed out after 1s");
        waited.ending = Ending::Waited;
        tally.record(&mut waited, ThresholdOverride::NONE);
        assert_eq!(waited.status, Dn);
        assert_eq!(shown(&tally, &[Up, Up]), [Dn, Up], "the wait counted for nothing");
    }

    #[test]
    fn no_thresholds_leave_results_untouched() {
        let tally = Tally::default();
        let result = run(&tally, Dn);
        assert_eq!((result.status, result.streak), (Dn, None));
        let mut overridden = Component::<()>::new(Dn);
        tally.record(&mut overridden, ThresholdOverride::new(Some(2), None));
        assert_eq!(overridden.streak.map(|streak| streak.failure_threshold), Some(2));
    }
}
