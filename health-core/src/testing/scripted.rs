//! A check whose runs follow a script: [`ScriptedCheck`].

use std::borrow::Cow;
use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::check::thresholds::streak::Tally;
use crate::{Check, Outcome, Thresholds};

/// A check whose runs follow a script: each run takes the next [`Step`],
/// waits its delay, then answers UP, DEGRADED or DOWN with a message,
/// panics, or hangs. Once the script is played out the last step repeats,
/// or, after [`cycle`](Self::cycle), the script starts over.
///
/// For unit tests of what is built on checks (aggregation, groups,
/// thresholds, retries, caches, status codes, watches) without any server.
/// It implements `Check<S>` for every state, with the default timeout, no
/// criticality and no thresholds: set them where it is used, with `#[health(...)]` on a
/// derived report's field or [`CheckOptions`](crate::CheckOptions) in a
/// [`Registry`](crate::Registry). Clones share the script, the count of
/// runs and the history thresholds count, so that the test keeps one to add
/// steps and count runs; give each component a check of its own.
///
/// Delays use Tokio's clock: under `#[tokio::test(start_paused = true)]` a
/// step that hangs for an hour takes no time.
///
/// ```
/// use std::time::Duration;
/// use health_core::testing::{ScriptedCheck, Step};
/// use health_core::{HealthReport, Status};
///
/// #[derive(HealthReport)]
/// struct Health {
///     #[health(critical, timeout = "1s")]
///     database: ScriptedCheck,
///     #[health(timeout = "1s")]
///     search: ScriptedCheck,
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)] async fn main() {
/// let search = ScriptedCheck::new([Step::up(), Step::down("index missing"), Step::up().after(Duration::from_secs(3))]);
/// let health = Health { database: ScriptedCheck::new([Step::up()]), search: search.clone() };
///
/// assert_eq!(health.report(&()).await.status, Status::Up);
/// let report = health.report(&()).await;
/// assert_eq!(report.status, Status::Degraded, "search is not critical");
/// assert_eq!(report.components.search.message.as_deref(), Some("index missing"));
/// let report = health.report(&()).await;
/// assert_eq!(report.components.search.message.as_deref(), Some("timed out after 1s"));
/// assert_eq!(search.runs(), 3);
/// # }
/// ```
#[derive(Clone)]
pub struct ScriptedCheck {
    script: Arc<Script>,
}

struct Script {
    steps: Mutex<Steps>,
    runs: AtomicU32,
    /// Its runs, for the thresholds a report sets over it.
    tally: Tally,
}

/// The steps left, and what follows them.
struct Steps {
    left: VecDeque<Step>,
    /// The steps played so far, for a cycle to start over with.
    played: Vec<Step>,
    cycle: bool,
}

/// One run of a [`ScriptedCheck`]: how long it takes, then how it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    delay: Duration,
    end: End,
}

/// How a step's run ends.
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    Answer(crate::Status, Option<Cow<'static, str>>),
    Panic(Cow<'static, str>),
    Hang,
}

impl Step {
    /// The run answers UP.
    pub fn up() -> Step {
        Step { delay: Duration::ZERO, end: End::Answer(crate::Status::Up, None) }
    }

    /// The run answers DEGRADED with `message`.
    pub fn degraded(message: impl Into<Cow<'static, str>>) -> Step {
        Step { delay: Duration::ZERO, end: End::Answer(crate::Status::Degraded, Some(message.into())) }
    }

    /// The run answers DOWN with `message`.
    pub fn down(message: impl Into<Cow<'static, str>>) -> Step {
        Step { delay: Duration::ZERO, end: End::Answer(crate::Status::Down, Some(message.into())) }
    }

    /// The run panics with `message`: the report must answer DOWN and go on.
    pub fn panics(message: impl Into<Cow<'static, str>>) -> Step {
        Step { delay: Duration::ZERO, end: End::Panic(message.into()) }
    }

    /// The run never ends: only its timeout ends it.
    pub fn hangs() -> Step {
        Step { delay: Duration::ZERO, end: End::Hang }
    }

    /// The same step, taking `delay` before it ends: a slow dependency.
    #[must_use]
    pub fn after(self, delay: Duration) -> Step {
        Step { delay, ..self }
    }
}

impl ScriptedCheck {
    /// A check whose runs take `steps` in order; an empty script answers UP.
    pub fn new(steps: impl IntoIterator<Item = Step>) -> Self {
        let steps = Steps { left: steps.into_iter().collect(), played: Vec::new(), cycle: false };
        let script = Script { steps: Mutex::new(steps), runs: AtomicU32::new(0), tally: Tally::new(Thresholds::NONE) };
        ScriptedCheck { script: Arc::new(script) }
    }

    /// Once played out, the script starts over, instead of repeating its
    /// last step.
    #[must_use]
    pub fn cycle(self) -> Self {
        self.steps().cycle = true;
        self
    }

    /// Adds `step` at the end of the script.
    pub fn push(&self, step: Step) {
        self.steps().left.push_back(step);
    }

    /// Replaces the script with `steps`: what the next runs do. A cycling
    /// script cycles through these from now on.
    pub fn then(&self, steps: impl IntoIterator<Item = Step>) {
        let mut script = self.steps();
        script.left = steps.into_iter().collect();
        script.played.clear();
    }

    /// How many runs began.
    pub fn runs(&self) -> u32 {
        self.script.runs.load(Ordering::SeqCst)
    }

    fn steps(&self) -> std::sync::MutexGuard<'_, Steps> {
        // Nothing panics while it is held.
        self.script.steps.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The step of the run beginning now.
    fn next(&self) -> Step {
        self.script.runs.fetch_add(1, Ordering::SeqCst);
        let mut script = self.steps();
        if script.left.is_empty() && script.cycle && !script.played.is_empty() {
            let played = std::mem::take(&mut script.played);
            script.left = played.into();
        }
        match script.left.len() {
            0 => script.played.last().cloned().unwrap_or_else(Step::up),
            1 if !script.cycle => {
                // The last step stays, to repeat.
                let step = script.left[0].clone();
                script.played.push(step.clone());
                script.left.clear();
                step
            }
            _ => {
                let step = script.left.pop_front().unwrap_or_else(Step::up);
                script.played.push(step.clone());
                step
            }
        }
    }
}

impl<S: ?Sized + Sync> Check<S> for ScriptedCheck {
    type Details = ();
    // It keeps a history, as `#[health_check]` types do, so that thresholds
    // set with `#[health(failure_threshold = ..)]` apply to it.
    const __KEEPS_HISTORY: bool = true;

    fn __tally(&self) -> Option<&Tally> {
        Some(&self.script.tally)
    }

    async fn run(&self, _: &S) -> Outcome<()> {
        let Step { delay, end } = self.next();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        match end {
            End::Answer(status, message) => {
                let outcome = Outcome::status_only(status);
                match message {
                    Some(message) => outcome.with_message(message),
                    None => outcome,
                }
            }
            End::Panic(message) => panic!("{message}"),
            End::Hang => std::future::pending().await,
        }
    }
}

impl fmt::Debug for ScriptedCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let steps = self.steps();
        f.debug_struct("ScriptedCheck")
            .field("left", &steps.left)
            .field("cycle", &steps.cycle)
            .field("runs", &self.runs())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends(check: &ScriptedCheck, runs: usize) -> Vec<End> {
        (0..runs).map(|_| check.next().end).collect()
    }

    #[test]
    fn the_last_step_repeats_unless_the_script_cycles() {
        let down = || End::Answer(crate::Status::Down, Some("refused".into()));
        let up = End::Answer(crate::Status::Up, None);
        let check = ScriptedCheck::new([Step::up(), Step::down("refused")]);
        assert_eq!(ends(&check, 4), [up.clone(), down(), down(), down()]);
        check.push(Step::hangs());
        assert_eq!(ends(&check, 2), [End::Hang, End::Hang]);
        let cycling = ScriptedCheck::new([Step::up(), Step::down("refused")]).cycle();
        assert_eq!(ends(&cycling, 5), [up.clone(), down(), up.clone(), down(), up.clone()]);
        assert_eq!(ends(&ScriptedCheck::new([]), 2), [up.clone(), up]);
        assert_eq!(cycling.runs(), 5);
    }
}
