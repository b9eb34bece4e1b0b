//! Heartbeats of background work: a loop, a consumer or a scheduled job
//! reports through a [`Pulse`], and its [`Heartbeat`] tells whether the job
//! still runs and still succeeds.
//!
//! A beat is a few atomic stores: it takes no lock and allocates nothing, so
//! a hot loop can beat on every turn. Only a failure's message takes a lock,
//! after it is formatted. The check reads the beats; it never waits for the
//! job. Its statuses:
//!
//! - UP while beats arrive within [`late_after`](HeartbeatOptions::late_after)
//!   (default twice the expected interval);
//! - DEGRADED when the last beat is later than that, or when the last run
//!   failed;
//! - DOWN when the last beat is older than
//!   [`stale_after`](HeartbeatOptions::stale_after) (default five intervals),
//!   when the last [`failures_down`](HeartbeatOptions::failures_down) runs
//!   (default 3) all failed, when no run succeeded within
//!   [`success_within`](HeartbeatOptions::success_within) if that is set,
//!   and when every [`Pulse`] was dropped without
//!   [`finished`](Pulse::finished): the task ended, or panicked;
//! - before the first beat, UP during the start-up
//!   [`grace`](HeartbeatOptions::grace) (default the stale limit), DOWN
//!   after it.
//!
//! A job that declared it finished is UP from then on.
//!
//! ```
//! use std::time::Duration;
//! use health_core::probe::heartbeat::{self, Heartbeat, HeartbeatDetails, HeartbeatOptions};
//! use health_core::{health_check, Outcome};
//!
//! struct AppState { sync: Heartbeat }
//!
//! #[health_check]
//! async fn sync_job(state: &AppState) -> Outcome<HeartbeatDetails> {
//!     heartbeat::read(&state.sync).await
//! }
//!
//! async fn sync() -> Result<(), std::io::Error> { Ok(()) }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let state = AppState { sync: Heartbeat::new(HeartbeatOptions::every(Duration::from_secs(30))) };
//! // The job holds a pulse, and reports each run through it.
//! let pulse = state.sync.pulse();
//! tokio::spawn(async move {
//!     let mut every = tokio::time::interval(Duration::from_secs(30));
//!     loop {
//!         every.tick().await;
//!         pulse.report(&sync().await);
//!     }
//! });
//! # }
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU8, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use tokio::time::Instant;

use super::judge::Verdict;
use crate::check::redact::redact;
use crate::report::component::millis;
use crate::{Check, Outcome};

/// How often a job is expected to beat, and when its heartbeat counts as
/// late, stale or failing.
///
/// ```
/// use std::time::Duration;
/// use health_core::probe::heartbeat::HeartbeatOptions;
///
/// let options = HeartbeatOptions::every(Duration::from_secs(60));
/// assert_eq!(options.late_threshold(), Duration::from_secs(120));
/// assert_eq!(options.stale_threshold(), Duration::from_secs(300));
/// assert_eq!(options.grace_period(), Duration::from_secs(300));
/// let hourly = options.success_within(Duration::from_secs(3600)).failures_down(5);
/// # let _ = hourly;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatOptions {
    every: Duration,
    late_after: Duration,
    stale_after: Duration,
    grace: Option<Duration>,
    failures_down: u32,
    success_within: Option<Duration>,
}

impl HeartbeatOptions {
    /// A job that beats every `interval`: late after two intervals, stale
    /// after five, DOWN after 3 failed runs in a row, and a start-up grace
    /// as long as the stale limit.
    pub fn every(interval: Duration) -> Self {
        HeartbeatOptions {
            every: interval,
            late_after: interval.saturating_mul(2),
            stale_after: interval.saturating_mul(5),
            grace: None,
            failures_down: 3,
            success_within: None,
        }
    }

    /// DEGRADED when the last beat is older than this.
    #[must_use]
    pub fn late_after(mut self, age: Duration) -> Self {
        self.late_after = age;
        self
    }

    /// DOWN when the last beat is older than this.
    #[must_use]
    pub fn stale_after(mut self, age: Duration) -> Self {
        self.stale_after = age;
        self
    }

    /// How long the job may take to beat for the first time: UP until then,
    /// DOWN after it without a beat. Defaults to the stale limit.
    #[must_use]
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = Some(grace);
        self
    }

    /// DOWN when this many runs in a row failed (at least 1); a failed run
    /// short of it is DEGRADED.
    #[must_use]
    pub fn failures_down(mut self, runs: u32) -> Self {
        self.failures_down = runs.max(1);
        self
    }

    /// DOWN when no run succeeded within this time (counted from the start
    /// until the first success), whatever the beats say: a loop that is
    /// alive but never gets its work done.
    #[must_use]
    pub fn success_within(mut self, age: Duration) -> Self {
        self.success_within = Some(age);
        self
    }

    /// The interval the job is expected to beat at.
    pub fn interval(&self) -> Duration {
        self.every
    }

    /// The age of the last beat above which the job is late.
    pub fn late_threshold(&self) -> Duration {
        self.late_after
    }

    /// The age of the last beat above which the job is stale.
    pub fn stale_threshold(&self) -> Duration {
        self.stale_after
    }

    /// The start-up grace.
    pub fn grace_period(&self) -> Duration {
        self.grace.unwrap_or(self.stale_after)
    }
}

/// What became of the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JobState {
    /// A pulse is held: the job runs.
    Running,
    /// The job declared that it finished ([`Pulse::finished`]).
    Finished,
    /// Every pulse was dropped without declaring the end: the task ended.
    Stopped,
    /// The last pulse was dropped while its thread panicked.
    Panicked,
}

impl JobState {
    fn from_u8(value: u8) -> Self {
        match value {
            1 => JobState::Finished,
            2 => JobState::Stopped,
            3 => JobState::Panicked,
            _ => JobState::Running,
        }
    }

    fn to_u8(self) -> u8 {
        match self {
            JobState::Running => 0,
            JobState::Finished => 1,
            JobState::Stopped => 2,
            JobState::Panicked => 3,
        }
    }
}

/// What the heartbeat tells of its job.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct HeartbeatDetails {
    /// Whether the job runs, finished or stopped.
    pub state: JobState,
    /// Milliseconds since the last beat, of any kind; absent before the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_beat_age_ms: Option<f64>,
    /// Milliseconds since the last successful run; absent before the first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_success_age_ms: Option<f64>,
    /// Beats so far: signs of life, successes and failures.
    pub beats: u64,
    /// Runs that succeeded.
    pub successes: u64,
    /// Runs that failed.
    pub failures: u64,
    /// Runs that failed since the last success.
    pub consecutive_failures: u64,
    /// The last failure's message, with credentials masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<String>,
    /// The interval the job is expected to beat at, in milliseconds.
    pub expected_interval_ms: f64,
}

/// The beats of one job, and the check that reads them: a [`Check`] for a
/// [`Registry`](crate::Registry) as it is, or read by [`read`] in a
/// `#[health_check]` fn. Clones share the beats.
///
/// ```
/// use std::time::Duration;
/// use health_core::probe::heartbeat::{Heartbeat, HeartbeatOptions};
/// use health_core::Registry;
///
/// let jobs = Heartbeat::new(HeartbeatOptions::every(Duration::from_secs(10)));
/// let pulse = jobs.pulse();
/// let mut registry: Registry = Registry::new();
/// registry.register("jobs", jobs).unwrap();
/// pulse.alive();
/// ```
#[derive(Clone)]
pub struct Heartbeat {
    beats: Arc<Beats>,
    options: HeartbeatOptions,
}

impl fmt::Debug for Heartbeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Heartbeat")
            .field("options", &self.options)
            .field("details", &self.details(self.beats.since_start()))
            .finish()
    }
}

impl Heartbeat {
    /// A heartbeat with these options, its start-up grace starting now.
    pub fn new(options: HeartbeatOptions) -> Self {
        Heartbeat { beats: Arc::new(Beats::new()), options }
    }

    /// A handle for the job to beat through. Clones count as one job: it
    /// stops when the last is dropped. A pulse taken after the job stopped
    /// starts it again (a supervisor restarting it).
    pub fn pulse(&self) -> Pulse {
        // Under the lock the last pulse's drop takes: a job restarted while
        // its last pulse is dropped elsewhere ends up running, not stopped.
        let _transition = self.beats.transitions.lock().unwrap_or_else(PoisonError::into_inner);
        if self.beats.pulses.fetch_add(1, Ordering::AcqRel) == 0 {
            self.beats.state.store(JobState::Running.to_u8(), Ordering::Release);
        }
        Pulse { beats: Arc::clone(&self.beats) }
    }

    /// The options.
    pub fn options(&self) -> &HeartbeatOptions {
        &self.options
    }

    /// The figures as they stand, `now` after the start.
    fn details(&self, now: Duration) -> HeartbeatDetails {
        let beats = &self.beats;
        let last_failure = beats.last_failure.lock().unwrap_or_else(PoisonError::into_inner).clone();
        HeartbeatDetails {
            state: JobState::from_u8(beats.state.load(Ordering::Acquire)),
            last_beat_age_ms: Beats::age(&beats.last_beat, now).map(millis),
            last_success_age_ms: Beats::age(&beats.last_success, now).map(millis),
            beats: beats.beats.load(Ordering::Relaxed),
            successes: beats.successes.load(Ordering::Relaxed),
            failures: beats.failures.load(Ordering::Relaxed),
            consecutive_failures: beats.consecutive_failures.load(Ordering::Relaxed),
            last_failure: last_failure.map(|message| message.to_string()),
            expected_interval_ms: millis(self.options.every),
        }
    }

    /// The status of the job, with the figures.
    fn judge(&self) -> Outcome<HeartbeatDetails> {
        // One reading of the clock for every age.
        let now = self.beats.since_start();
        let details = self.details(now);
        let verdict = match details.state {
            JobState::Finished => Verdict::up(),
            JobState::Stopped => Verdict::down("the job stopped"),
            JobState::Panicked => Verdict::down("the job stopped: it panicked"),
            JobState::Running => {
                self.judge_beats(now).or_worse(self.judge_failures(&details)).or_worse(self.judge_successes(now))
            }
        };
        verdict.with(details)
    }

    fn judge_beats(&self, now: Duration) -> Verdict {
        let options = &self.options;
        match Beats::age(&self.beats.last_beat, now) {
            None if now > options.grace_period() => {
                Verdict::down(format!("no beat within the start-up grace of {}", Seconds(options.grace_period())))
            }
            None => Verdict::up(),
            Some(age) if age > options.stale_after => Verdict::down(format!(
                "stale: last beat {} ago, above the {} limit",
                Seconds(age),
                Seconds(options.stale_after)
            )),
            Some(age) if age > options.late_after => Verdict::degraded(format!(
                "late: last beat {} ago, above the {} threshold",
                Seconds(age),
                Seconds(options.late_after)
            )),
            Some(_) => Verdict::up(),
        }
    }

    fn judge_failures(&self, details: &HeartbeatDetails) -> Verdict {
        let failed = details.consecutive_failures;
        let message = details.last_failure.as_deref().unwrap_or("no message");
        if failed >= u64::from(self.options.failures_down) {
            Verdict::down(format!("the last {failed} runs failed, the last with: {message}"))
        } else if failed > 0 {
            Verdict::degraded(format!("the last run failed: {message}"))
        } else {
            Verdict::up()
        }
    }

    fn judge_successes(&self, now: Duration) -> Verdict {
        let Some(within) = self.options.success_within else { return Verdict::up() };
        match Beats::age(&self.beats.last_success, now) {
            Some(age) if age > within => {
                Verdict::down(format!("no successful run for {}, above the {} limit", Seconds(age), Seconds(within)))
            }
            None if now > within => Verdict::down(format!("no successful run since the start, {} ago", Seconds(now))),
            _ => Verdict::up(),
        }
    }
}

/// The status of the job `heartbeat` watches, with its figures. Instant: it
/// reads what the job reported.
pub async fn read(heartbeat: &Heartbeat) -> Outcome<HeartbeatDetails> {
    heartbeat.judge()
}

// Kept out of the list of checks that errors about other types suggest.
#[diagnostic::do_not_recommend]
impl<S: ?Sized + Sync> Check<S> for Heartbeat {
    type Details = HeartbeatDetails;

    fn run(&self, _: &S) -> impl Future<Output = Outcome<HeartbeatDetails>> + Send {
        std::future::ready(self.judge())
    }
}

/// The job's side of a [`Heartbeat`]: it beats through it. Beating takes no
/// lock and allocates nothing. Dropping the last clone without
/// [`finished`](Self::finished) tells the heartbeat that the job stopped.
pub struct Pulse {
    beats: Arc<Beats>,
}

impl fmt::Debug for Pulse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pulse").field("beats", &self.beats.beats.load(Ordering::Relaxed)).finish_non_exhaustive()
    }
}

impl Pulse {
    /// A sign of life: the job runs, with nothing to tell of a run.
    pub fn alive(&self) {
        self.beats.beat();
    }

    /// A run succeeded.
    pub fn succeeded(&self) {
        let beats = &self.beats;
        let now = beats.now();
        beats.successes.fetch_add(1, Ordering::Relaxed);
        beats.consecutive_failures.store(0, Ordering::Relaxed);
        beats.last_success.store(now, Ordering::Release);
        beats.beat_at(now);
    }

    /// A run failed, for this reason. The message is formatted before the
    /// one lock this takes, and credentials in it are masked.
    pub fn failed(&self, reason: impl fmt::Display) {
        let message: Arc<str> = redact(&reason.to_string()).into();
        let beats = &self.beats;
        *beats.last_failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(message);
        beats.failures.fetch_add(1, Ordering::Relaxed);
        beats.consecutive_failures.fetch_add(1, Ordering::Relaxed);
        beats.beat();
    }

    /// A run's result: [`succeeded`](Self::succeeded) for `Ok`,
    /// [`failed`](Self::failed) with the error for `Err`.
    pub fn report<T, E: fmt::Display>(&self, result: &Result<T, E>) {
        match result {
            Ok(_) => self.succeeded(),
            Err(error) => self.failed(error),
        }
    }

    /// The job finished on purpose: the heartbeat is UP from now on, even
    /// with no pulse left.
    pub fn finished(self) {
        self.beats.state.store(JobState::Finished.to_u8(), Ordering::Release);
    }
}

impl Clone for Pulse {
    fn clone(&self) -> Self {
        self.beats.pulses.fetch_add(1, Ordering::AcqRel);
        Pulse { beats: Arc::clone(&self.beats) }
    }
}

impl Drop for Pulse {
    fn drop(&mut self) {
        let _transition = self.beats.transitions.lock().unwrap_or_else(PoisonError::into_inner);
        if self.beats.pulses.fetch_sub(1, Ordering::AcqRel) == 1 {
            let ended = if std::thread::panicking() { JobState::Panicked } else { JobState::Stopped };
            // A job that declared it finished stays finished.
            let _ = self.beats.state.compare_exchange(
                JobState::Running.to_u8(),
                ended.to_u8(),
                Ordering::AcqRel,
                Ordering::Acquire,
            );
        }
    }
}

/// The beats a job reported, as atomics: times are nanoseconds since the
/// heartbeat was made, plus one, so that zero means never.
struct Beats {
    start: Instant,
    last_beat: AtomicU64,
    last_success: AtomicU64,
    beats: AtomicU64,
    successes: AtomicU64,
    failures: AtomicU64,
    consecutive_failures: AtomicU64,
    /// Live pulses.
    pulses: AtomicUsize,
    /// A [`JobState`].
    state: AtomicU8,
    /// Held while the pulses' count and the state change together: taking a
    /// pulse, and dropping one. Never while beating.
    transitions: Mutex<()>,
    last_failure: Mutex<Option<Arc<str>>>,
}

impl Beats {
    fn new() -> Self {
        Beats {
            start: Instant::now(),
            last_beat: AtomicU64::new(0),
            last_success: AtomicU64::new(0),
            beats: AtomicU64::new(0),
            successes: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            consecutive_failures: AtomicU64::new(0),
            pulses: AtomicUsize::new(0),
            state: AtomicU8::new(JobState::Running.to_u8()),
            transitions: Mutex::new(()),
            last_failure: Mutex::new(None),
        }
    }

    fn since_start(&self) -> Duration {
        self.start.elapsed()
    }

    /// Now, as stored: nanoseconds since the start, plus one.
    fn now(&self) -> u64 {
        u64::try_from(self.since_start().as_nanos()).unwrap_or(u64::MAX - 1) + 1
    }

    fn beat(&self) {
        self.beat_at(self.now());
    }

    fn beat_at(&self, now: u64) {
        self.beats.fetch_add(1, Ordering::Relaxed);
        self.last_beat.store(now, Ordering::Release);
    }

    /// How long before `now` (after the start) `time` was stored, if it was.
    fn age(time: &AtomicU64, now: Duration) -> Option<Duration> {
        let at = time.load(Ordering::Acquire).checked_sub(1)?;
        Some(now.saturating_sub(Duration::from_nanos(at)))
    }
}

/// A duration in messages: seconds with one decimal.
struct Seconds(Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.1} s", self.0.as_secs_f64())
    }
}
