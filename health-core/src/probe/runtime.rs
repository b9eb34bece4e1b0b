//! The Tokio runtime itself, for liveness: how late it schedules work, and
//! whether it still schedules any.
//!
//! A check that runs on a stalled runtime cannot report the stall: it never
//! runs. So the [`Watchdog`] splits the two. A tiny ticker task on the
//! watched runtime wakes every [`tick`](RuntimeOptions::tick) (default
//! 100 ms) and records when it woke and how late; the check only reads what
//! the ticker recorded, so it can be served from another runtime, such as a
//! lane of its own for probes. When the watched runtime is blocked (a
//! `std::thread::sleep` or a long computation in a handler), the ticks stop,
//! and the check sees the pending tick grow late.
//!
//! Lateness is the worst of the last 8 ticks, or of the tick still pending.
//! The check is DEGRADED above [`degraded_after`](RuntimeOptions::degraded_after)
//! (default 100 ms) and DOWN above [`down_after`](RuntimeOptions::down_after)
//! (default 1 s, Kubernetes' default probe timeout). Its details carry the
//! runtime's stable metrics: workers, alive tasks, the global queue's depth
//! and, where the target has 64-bit atomics, how busy the workers were over
//! the last tick.
//!
//! On a multi-threaded runtime, a worker that is blocked delays the tasks
//! queued on it, and others steal what they can: the ticker tells the
//! lateness of the worker it runs on. A runtime whose every worker is
//! blocked is DOWN.
//!
//! The ticker stops when the last clone of its watchdog is dropped, with the
//! monitor or registry that holds it.
//!
//! ```
//! use health_core::probe::runtime::{RuntimeOptions, Watchdog};
//! use health_core::{CheckOptions, Registry};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // On the runtime to watch:
//! let watchdog = Watchdog::start(&tokio::runtime::Handle::current(), RuntimeOptions::new());
//! let mut registry: Registry = Registry::new();
//! registry.register_with("runtime", watchdog, CheckOptions::new().critical(true).groups(["liveness"]))?;
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Serialize;
use tokio::runtime::Handle;
use tokio::task::AbortHandle;

use super::judge::Verdict;
use crate::report::component::millis;
use crate::{Check, Outcome};

/// How many ticks the worst lateness is taken over.
const RECENT: usize = 8;

/// The watchdog's tick and thresholds.
///
/// ```
/// use std::time::Duration;
/// use health_core::probe::runtime::RuntimeOptions;
///
/// let options = RuntimeOptions::new().tick(Duration::from_millis(50)).down_after(Duration::from_millis(500));
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeOptions {
    tick: Duration,
    degraded_after: Duration,
    down_after: Duration,
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            tick: Duration::from_millis(100),
            degraded_after: Duration::from_millis(100),
            down_after: Duration::from_secs(1),
        }
    }
}

impl RuntimeOptions {
    /// The defaults: a tick every 100 ms, DEGRADED when 100 ms late, DOWN when 1 s late.
    pub fn new() -> Self {
        Self::default()
    }

    /// How often the ticker wakes (from 1 ms to an hour).
    #[must_use]
    pub fn tick(mut self, every: Duration) -> Self {
        self.tick = every.clamp(Duration::from_millis(1), Duration::from_secs(3600));
        self
    }

    /// DEGRADED when the runtime is this late.
    #[must_use]
    pub fn degraded_after(mut self, lateness: Duration) -> Self {
        self.degraded_after = lateness;
        self
    }

    /// DOWN when the runtime is this late: stalled.
    #[must_use]
    pub fn down_after(mut self, lateness: Duration) -> Self {
        self.down_after = lateness;
        self
    }
}

/// What the watchdog saw of its runtime.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct RuntimeDetails {
    /// How late the runtime ran the ticker, in milliseconds: the worst of
    /// the last ticks, or of the tick still pending.
    pub lateness_ms: f64,
    /// Milliseconds since the ticker last ran; absent before its first tick.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_tick_age_ms: Option<f64>,
    /// The ticker's interval, in milliseconds.
    pub tick_ms: f64,
    /// The runtime's worker threads.
    pub workers: usize,
    /// Tasks alive on the runtime.
    pub alive_tasks: usize,
    /// Tasks waiting in the runtime's global queue.
    pub global_queue_depth: usize,
    /// How busy the workers were over the last tick, in percent of their time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub busy_percent: Option<f64>,
}

/// A ticker on the watched runtime and the check that reads it, for a
/// [`Registry`](crate::Registry) as it is or read by [`read`] in a
/// `#[health_check]` fn. Clones share the ticker.
#[derive(Clone)]
pub struct Watchdog {
    ticks: Arc<Ticks>,
    /// Stops the ticker when the last clone is dropped.
    _ticker: Arc<Ticker>,
    handle: Handle,
    options: RuntimeOptions,
}

impl fmt::Debug for Watchdog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watchdog").field("options", &self.options).field("details", &self.details().0).finish()
    }
}

impl Watchdog {
    /// Starts the ticker on the runtime of `handle`, the runtime to watch,
    /// which needs its time driver (`enable_time` or `enable_all`, as
    /// `#[tokio::main]` has). The check may then run on any runtime.
    pub fn start(handle: &Handle, options: RuntimeOptions) -> Watchdog {
        let ticks = Arc::new(Ticks::new());
        let task = handle.spawn(tick(Arc::downgrade(&ticks), options.tick));
        Watchdog { ticks, _ticker: Arc::new(Ticker(task.abort_handle())), handle: handle.clone(), options }
    }

    /// The options.
    pub fn options(&self) -> &RuntimeOptions {
        &self.options
    }

    /// The lateness the ticker recorded, or the pending tick's if worse.
    fn lateness(&self) -> (Duration, Option<Duration>) {
        let ticks = &self.ticks;
        let recorded = ticks.recent.iter().map(|late| late.load(Ordering::Relaxed)).max().unwrap_or(0);
        let since_tick = ticks.age();
        // The pending tick is due one tick after the last (or after the start).
        let pending = since_tick.unwrap_or_else(|| ticks.start.elapsed()).saturating_sub(self.options.tick);
        (Duration::from_nanos(recorded).max(pending), since_tick)
    }

    /// The details, and the lateness they show.
    fn details(&self) -> (RuntimeDetails, Duration) {
        let (lateness, since_tick) = self.lateness();
        let metrics = self.handle.metrics();
        let busy = self.ticks.busy_permille.load(Ordering::Relaxed);
        let details = RuntimeDetails {
            lateness_ms: millis(lateness),
            last_tick_age_ms: since_tick.map(millis),
            tick_ms: millis(self.options.tick),
            workers: metrics.num_workers(),
            alive_tasks: metrics.num_alive_tasks(),
            global_queue_depth: metrics.global_queue_depth(),
            busy_percent: (busy != NOT_MEASURED).then(|| busy as f64 / 10.0),
        };
        (details, lateness)
    }

    fn judge(&self) -> Outcome<RuntimeDetails> {
        let (details, lateness) = self.details();
        let shown = |threshold: Duration| {
            format!("the runtime runs work {:.0} ms late, above {:.0} ms", details.lateness_ms, millis(threshold))
        };
        let verdict = if lateness > self.options.down_after {
            Verdict::down(shown(self.options.down_after))
        } else if lateness > self.options.degraded_after {
            Verdict::degraded(shown(self.options.degraded_after))
        } else {
            Verdict::up()
        };
        verdict.with(details)
    }
}

/// What the watchdog's ticker saw of its runtime. Instant: it reads what the
/// ticker recorded, so it answers even when the watched runtime is stalled,
/// as long as it runs elsewhere.
pub async fn read(watchdog: &Watchdog) -> Outcome<RuntimeDetails> {
    watchdog.judge()
}

// Kept out of the list of checks that errors about other types suggest.
#[diagnostic::do_not_recommend]
impl<S: ?Sized + Sync> Check<S> for Watchdog {
    type Details = RuntimeDetails;

    fn run(&self, _: &S) -> impl Future<Output = Outcome<RuntimeDetails>> + Send {
        std::future::ready(self.judge())
    }
}

/// Aborts the ticker when dropped.
#[derive(Debug)]
struct Ticker(AbortHandle);

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// `busy_permille` before a second tick has measured anything.
const NOT_MEASURED: u64 = u64::MAX;

/// What the ticker recorded: times in nanoseconds since the start (plus one:
/// zero is never), on the standard clock, which every runtime shares.
struct Ticks {
    start: Instant,
    last_tick: AtomicU64,
    /// The lateness of the last ticks, in nanoseconds, round robin.
    recent: [AtomicU64; RECENT],
    next: AtomicUsize,
    busy_permille: AtomicU64,
}

impl Ticks {
    fn new() -> Self {
        Ticks {
            start: Instant::now(),
            last_tick: AtomicU64::new(0),
            recent: std::array::from_fn(|_| AtomicU64::new(0)),
            next: AtomicUsize::new(0),
            busy_permille: AtomicU64::new(NOT_MEASURED),
        }
    }

    fn record(&self, late: Duration, busy_permille: Option<u64>) {
        let slot = self.next.fetch_add(1, Ordering::Relaxed) % RECENT;
        self.recent[slot].store(u64::try_from(late.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
        if let Some(busy) = busy_permille {
            self.busy_permille.store(busy, Ordering::Relaxed);
        }
        let now = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX - 1) + 1;
        self.last_tick.store(now, Ordering::Release);
    }

    /// Time since the last tick, if there was one.
    fn age(&self) -> Option<Duration> {
        let at = self.last_tick.load(Ordering::Acquire).checked_sub(1)?;
        Some(self.start.elapsed().saturating_sub(Duration::from_nanos(at)))
    }
}

/// The ticker: wakes every `every` on the watched runtime, and records how
/// late. Ends when the watchdog is gone.
async fn tick(ticks: std::sync::Weak<Ticks>, every: Duration) {
    let mut due = Instant::now() + every;
    let mut busy = Busy::now();
    loop {
        tokio::time::sleep_until(due.into()).await;
        let woke = Instant::now();
        let Some(ticks) = ticks.upgrade() else { return };
        let measured = Busy::now();
        ticks.record(woke.saturating_duration_since(due), measured.permille_since(&busy));
        busy = measured;
        due = woke + every;
    }
}

/// The workers' total busy time at an instant, where tokio measures it.
struct Busy {
    at: Instant,
    #[cfg(target_has_atomic = "64")]
    total: Duration,
    #[cfg(target_has_atomic = "64")]
    workers: usize,
}

impl Busy {
    fn now() -> Self {
        #[cfg(target_has_atomic = "64")]
        {
            let metrics = Handle::current().metrics();
            let workers = metrics.num_workers();
            let total = (0..workers).map(|worker| metrics.worker_total_busy_duration(worker)).sum();
            Busy { at: Instant::now(), total, workers }
        }
        #[cfg(not(target_has_atomic = "64"))]
        Busy { at: Instant::now() }
    }

    /// Busy time since `before`, in permille of the workers' time.
    fn permille_since(&self, before: &Busy) -> Option<u64> {
        #[cfg(target_has_atomic = "64")]
        {
            let elapsed = self.at.saturating_duration_since(before.at).as_secs_f64() * self.workers as f64;
            let busy = self.total.saturating_sub(before.total).as_secs_f64();
            (elapsed > 0.0).then(|| ((busy / elapsed).min(1.0) * 1000.0).round() as u64)
        }
        #[cfg(not(target_has_atomic = "64"))]
        {
            let _ = before;
            None
        }
    }
}
