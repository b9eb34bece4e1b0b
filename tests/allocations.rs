//! A derived report allocates nothing per check: check futures live pinned in
//! the report's own future, never boxed, and instant checks without messages or
//! details produce no heap data; the HTTP core answers from a background
//! snapshot without allocating. Counted with a global allocator wrapper.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use health_core::http::{HealthRequest, HealthService};
use health_core::monitor::{HistoryDepth, Monitor, Subject};
use health_core::report::Selection;
use health_core::{HealthReport, Outcome, Report, Status, health_check};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts calls on this thread.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during<T>(work: impl FnOnce() -> T) -> (usize, T) {
    let before = ALLOCATIONS.with(Cell::get);
    let output = work();
    (ALLOCATIONS.with(Cell::get) - before, output)
}

macro_rules! instant_checks {
    ($($name:ident),*) => {$(
        #[health_check(timeout = "1s")]
        async fn $name() -> Outcome<u32> {
            Outcome::up(1)
        }
    )*};
}

instant_checks!(c1, c2, c3, c4, c5, c6, c7, c8);

#[derive(HealthReport, Default)]
struct Eight {
    c1: C1Check,
    c2: C2Check,
    c3: C3Check,
    c4: C4Check,
    c5: C5Check,
    c6: C6Check,
    c7: C7Check,
    c8: C8Check,
}

/// The allocations of one report of `health`, and the report, after a first
/// report warmed up the runtime's lazily built parts.
fn allocations_of_report<H: HealthReport<State = ()>>(health: &H) -> (usize, Report<H::Components>) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    runtime.block_on(health.report(&()));
    // Counted inside the runtime, around the report alone: Tokio's `block_on` and
    // `spawn` box a future above a size threshold, once, whatever it is.
    runtime.block_on(async {
        let before = ALLOCATIONS.with(Cell::get);
        let report = health.report(&()).await;
        (ALLOCATIONS.with(Cell::get) - before, report)
    })
}

#[test]
fn a_report_of_eight_instant_checks_allocates_nothing() {
    let health = Eight::default();
    let (allocations, report) = allocations_of_report(&health);
    println!("report future of 8 checks: {} bytes", std::mem::size_of_val(&health.report(&())));
    assert_eq!(report.status, Status::Up);
    assert_eq!(report.components.c8.details, Some(1));
    assert_eq!(allocations, 0, "a report of 8 instant checks allocated {allocations} times");

    // The counter does see allocations: serializing the report needs a buffer.
    let (allocations, _) = allocations_during(|| serde_json::to_vec(&report).unwrap());
    assert!(allocations > 0);
}

/// Answers after a wait on a timer of its own: pending first, as a check
/// waiting on I/O is, so that its run's deadline is armed.
#[health_check(timeout = "1s")]
async fn waiting() -> Outcome<u32> {
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    Outcome::up(1)
}

#[derive(HealthReport, Default)]
struct Waiting {
    waiting: WaitingCheck,
    c1: C1Check,
}

#[test]
fn a_check_that_waits_allocates_nothing_for_its_deadline() {
    let (allocations, report) = allocations_of_report(&Waiting::default());
    assert_eq!((report.components.waiting.status, report.components.waiting.details), (Status::Up, Some(1)));
    assert_eq!(allocations, 0, "a report whose check waited allocated {allocations} times");
}

#[health_check(timeout = "1s", failure_threshold = 3, success_threshold = 2)]
async fn damped() -> Outcome<u32> {
    Outcome::up(1)
}

#[derive(HealthReport, Default)]
struct Damping {
    damped: DampedCheck,
    c1: C1Check,
    /// A field's own thresholds over a check that declared none.
    #[health(failure_threshold = 2)]
    c2: C2Check,
}

#[test]
fn thresholds_allocate_nothing_while_runs_succeed() {
    let (allocations, report) = allocations_of_report(&Damping::default());
    // The history was kept: each run was counted.
    assert_eq!(report.components.damped.streak.map(|streak| streak.successes), Some(2));
    assert_eq!(report.components.c2.streak.map(|streak| streak.successes), Some(2));
    assert_eq!(allocations, 0, "a report with thresholds allocated {allocations} times");
}

#[test]
fn status_tracking_is_free_while_nothing_changes() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let monitor = Monitor::new(Eight::default(), ());
    let read = || async {
        let before = ALLOCATIONS.with(Cell::get);
        let reading = monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
        let allocations = ALLOCATIONS.with(Cell::get) - before;
        (allocations, reading.status())
    };
    // The first reads record the first statuses and keep the first snapshot.
    runtime.block_on(read());
    runtime.block_on(read());
    let (allocations, status) = runtime.block_on(read());
    assert_eq!(status, Status::Up);
    assert_eq!(allocations, 0, "a read through the monitor, nobody listening, allocated {allocations} times");
    // That read was kept in every subject's history of runs, allocation-free.
    assert_eq!(monitor.history(&Subject::component("c8")).unwrap().runs.len(), 3);
    assert_eq!(monitor.history(&Subject::Overall).unwrap().runs.len(), 3);

    // Subscribers cost nothing either while nothing changes.
    let _changes = monitor.subscribe();
    let _watch = monitor.watch(&Subject::group("readiness")).unwrap();
    let (allocations, _) = runtime.block_on(read());
    assert_eq!(allocations, 0, "a read with subscribers and no change allocated {allocations} times");

    // Once the rings are full, the oldest run gives way to the newest: still none.
    let monitor = Monitor::builder(Eight::default(), ()).history_depth(HistoryDepth::new(100, 2)).build().unwrap();
    let read = || async {
        let before = ALLOCATIONS.with(Cell::get);
        monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
        ALLOCATIONS.with(Cell::get) - before
    };
    for _ in 0..3 {
        runtime.block_on(read());
    }
    assert_eq!(runtime.block_on(read()), 0, "a read past the history's depth allocated");
    assert_eq!(monitor.history(&Subject::component("c1")).unwrap().runs.len(), 2);
}

/// A recorder whose every series is an atomic: what it costs to record is
/// what the monitor's own recording costs.
struct Atomics;

/// A histogram that keeps the sum of its samples' bits: enough to see them.
struct Samples(std::sync::atomic::AtomicU64);

impl metrics::HistogramFn for Samples {
    fn record(&self, value: f64) {
        self.0.fetch_add(value.to_bits() & 1, std::sync::atomic::Ordering::Relaxed);
    }
}

impl metrics::Recorder for Atomics {
    fn describe_counter(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}
    fn describe_gauge(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}
    fn describe_histogram(&self, _: metrics::KeyName, _: Option<metrics::Unit>, _: metrics::SharedString) {}

    fn register_counter(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Counter {
        metrics::Counter::from_arc(std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)))
    }

    fn register_gauge(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Gauge {
        metrics::Gauge::from_arc(std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0)))
    }

    fn register_histogram(&self, _: &metrics::Key, _: &metrics::Metadata<'_>) -> metrics::Histogram {
        metrics::Histogram::from_arc(std::sync::Arc::new(Samples(std::sync::atomic::AtomicU64::new(0))))
    }
}

#[test]
fn recording_metrics_allocates_nothing_per_run_once_the_series_exist() {
    let recorder = Atomics;
    metrics::with_local_recorder(&recorder, || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let monitor = Monitor::builder(Eight::default(), ())
            .metrics(health_core::metrics::MetricsOptions::default())
            .build()
            .unwrap();
        let read = || async {
            let before = ALLOCATIONS.with(Cell::get);
            let reading = monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
            (ALLOCATIONS.with(Cell::get) - before, reading.status())
        };
        // The first read records the first statuses: changes, told to subscribers.
        let (first, _) = runtime.block_on(read());
        assert!(first > 0, "the first statuses allocate, once");
        runtime.block_on(read());
        let (allocations, status) = runtime.block_on(read());
        assert_eq!(status, Status::Up);
        assert_eq!(allocations, 0, "a read recording 8 runs as metrics allocated {allocations} times");
    });
}

#[test]
fn the_http_core_answers_from_a_background_snapshot_without_allocating() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    runtime.block_on(async {
        let monitor =
            Monitor::builder(Eight::default(), ()).refresh_every(std::time::Duration::from_secs(60)).build().unwrap();
        let health = HealthService::builder(monitor).build().unwrap();
        while health.monitor().latest(&Subject::Overall).unwrap().is_none() {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let request = HealthRequest::new("GET", "/health/ready").accept(Some(b"application/json".as_slice()));
        // The first answer renders the body the others share.
        let first = health.respond(&request).into_ready().expect("answered from the snapshot");
        let (allocations, answer) = allocations_during(|| health.respond(&request).into_ready());
        let answer = answer.expect("answered from the snapshot");
        assert_eq!(allocations, 0, "an answer from the background snapshot allocated {allocations} times");
        assert_eq!((answer.status(), answer.body()), (200, first.body()));
        assert!(answer.age().is_some());
    });
}

#[test]
fn a_heartbeat_beats_without_allocating() {
    use health_core::probe::heartbeat::{Heartbeat, HeartbeatOptions};
    let jobs = Heartbeat::new(HeartbeatOptions::every(std::time::Duration::from_secs(1)));
    let pulse = jobs.pulse();
    let (allocations, ()) = allocations_during(|| {
        for _ in 0..1_000 {
            pulse.alive();
            pulse.succeeded();
            pulse.report(&Ok::<(), &str>(()));
        }
    });
    assert_eq!(allocations, 0);
    // A failure's message is the one thing a pulse keeps on the heap.
    let (allocations, ()) = allocations_during(|| pulse.failed("refused"));
    assert!(allocations > 0);
}
