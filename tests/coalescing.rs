//! Coalescing: reads of a monitor that need the same check while it runs
//! share that run, whatever kind of check it is and whether or not it is
//! cached; each joiner gets its result, a panic is one result for all, and a
//! joined run is one sample in thresholds, history and metrics.

#[path = "support/series.rs"]
mod series;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use health_core::metrics::MetricsOptions;
use health_core::monitor::{Monitor, Subject};
use health_core::report::Selection;
use health_core::{
    Cached, Check, CheckOptions, Damped, HealthReport, Outcome, Registry, ReportSource, Status, Thresholds,
    health_check,
};
use metrics_util::debugging::DebuggingRecorder;
use tokio::sync::Notify;

/// What the checks count, and the gate that holds their runs until a test
/// has sent every read.
#[derive(Default)]
struct Dependency {
    runs: AtomicUsize,
    /// Set: runs fail.
    failing: AtomicBool,
    /// Set: runs panic.
    panicking: AtomicBool,
    /// Set: runs wait for `release`.
    gated: AtomicBool,
    release: Notify,
    /// Runs whose future was dropped before it completed.
    cancelled: AtomicUsize,
}

impl Dependency {
    fn gated() -> Arc<Self> {
        let dependency = Arc::new(Dependency::default());
        dependency.gated.store(true, Ordering::SeqCst);
        dependency
    }

    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }

    /// One run: counted, held at the gate, then as the flags say.
    async fn query(&self) -> Outcome<usize> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        let guard = Cancelled(&self.cancelled);
        if self.gated.load(Ordering::SeqCst) {
            self.release.notified().await;
        }
        std::mem::forget(guard);
        assert!(!self.panicking.load(Ordering::SeqCst), "the driver crashed");
        if self.failing.load(Ordering::SeqCst) {
            Outcome::down(run).with_message("connection refused")
        } else {
            Outcome::up(run)
        }
    }

    /// Lets the held runs go once `readers` reads have been polled, and so
    /// have started or joined their runs.
    async fn release_when(&self, polled: &AtomicUsize, readers: usize) {
        until(|| polled.load(Ordering::SeqCst) >= readers).await;
        self.release();
    }

    fn release(&self) {
        self.gated.store(false, Ordering::SeqCst);
        self.release.notify_waiters();
    }
}

/// Yields until `condition` holds: a rendezvous, not a timer.
async fn until(condition: impl Fn() -> bool) {
    while !condition() {
        tokio::task::yield_now().await;
    }
}

/// `future`, counting in `polled` once it has been polled once: a read's
/// first poll starts or joins the runs it needs.
async fn polled_once<F: Future>(polled: &AtomicUsize, future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut first = true;
    std::future::poll_fn(|cx| {
        let poll = future.as_mut().poll(cx);
        if std::mem::take(&mut first) {
            polled.fetch_add(1, Ordering::SeqCst);
        }
        poll
    })
    .await
}

/// Counts a run's future dropped before it completed.
struct Cancelled<'a>(&'a AtomicUsize);

impl Drop for Cancelled<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[health_check(timeout = "5s", critical)]
async fn generated(dependency: &Dependency) -> Outcome<usize> {
    dependency.query().await
}

#[health_check(timeout = "5s", cache = "10m")]
async fn generated_cached(dependency: &Dependency) -> Outcome<usize> {
    dependency.query().await
}

#[health_check(timeout = "5s", failure_threshold = 3)]
async fn damped_by_attribute(dependency: &Dependency) -> Outcome<usize> {
    dependency.query().await
}

/// A check written by hand.
struct ByHand;

impl Check<Dependency> for ByHand {
    type Details = usize;
    const TIMEOUT: Duration = Duration::from_secs(5);

    async fn run(&self, dependency: &Dependency) -> Outcome<usize> {
        dependency.query().await
    }
}

#[derive(HealthReport)]
#[health(state = Dependency)]
struct Kinds {
    generated: GeneratedCheck,
    cached: GeneratedCachedCheck,
    by_hand: ByHand,
    by_hand_cached: Cached<ByHand, Dependency>,
    by_hand_damped: Damped<ByHand>,
    thresholds: DampedByAttributeCheck,
}

impl Kinds {
    fn new() -> Self {
        Kinds {
            generated: GeneratedCheck::default(),
            cached: GeneratedCachedCheck::default(),
            by_hand: ByHand,
            by_hand_cached: Cached::new(ByHand, Duration::from_secs(600)),
            by_hand_damped: Damped::new(ByHand, Thresholds::new(3, 1).unwrap()),
            thresholds: DampedByAttributeCheck::default(),
        }
    }
}

/// The same checks, registered at run time: each entry in a flight of its own.
fn registry() -> Registry<Dependency> {
    let mut registry = Registry::new();
    registry
        .register("generated", GeneratedCheck::default())
        .unwrap()
        .register_with("cached", ByHand, CheckOptions::new().cache(Duration::from_secs(600)))
        .unwrap()
        .register("by_hand", ByHand)
        .unwrap()
        .register_with("damped", ByHand, CheckOptions::new().failure_threshold(3))
        .unwrap();
    registry
}

/// `readers` concurrent reads of `subject` on the runtime's threads, sent
/// while the dependency holds its runs; the statuses they answered.
async fn concurrent_reads<R>(
    monitor: &Monitor<R>,
    dependency: &Dependency,
    subject: Subject,
    readers: usize,
) -> Vec<health_core::monitor::Reading<R::Components>>
where
    R: ReportSource,
{
    let polled = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..readers)
        .map(|_| {
            let (monitor, subject, polled) = (monitor.clone(), subject.clone(), Arc::clone(&polled));
            tokio::spawn(async move {
                let read = monitor.read(&subject, Selection::none());
                polled_once(&polled, read).await.expect("a subject of the monitor")
            })
        })
        .collect();
    dependency.release_when(&polled, readers).await;
    let mut readings = Vec::new();
    for task in tasks {
        readings.push(task.await.expect("no read panics"));
    }
    readings
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_reads_of_a_derived_report_run_each_check_once() {
    let dependency = Dependency::gated();
    let monitor = Monitor::new(Kinds::new(), Arc::clone(&dependency));
    let readings = concurrent_reads(&monitor, &dependency, Subject::Overall, 64).await;
    // Six components, each run once however many reads needed it.
    assert_eq!(dependency.runs(), 6, "one run per check, not per read");
    for reading in &readings {
        assert_eq!(reading.status(), Status::Up);
        let components = &reading.snapshot().unwrap().report().components;
        for (name, details) in [
            ("generated", components.generated.details),
            ("cached", components.cached.details),
            ("by_hand", components.by_hand.details),
            ("by_hand_cached", components.by_hand_cached.details),
            ("by_hand_damped", components.by_hand_damped.details),
            ("thresholds", components.thresholds.details),
        ] {
            assert!(details.is_some_and(|run| run <= 6), "{name}: the result of the one run, {details:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_reads_of_a_registry_run_each_entry_once() {
    let dependency = Dependency::gated();
    let monitor = Monitor::new(registry(), Arc::clone(&dependency));
    let readings = concurrent_reads(&monitor, &dependency, Subject::group("readiness"), 64).await;
    assert_eq!(dependency.runs(), 4);
    for reading in readings {
        assert_eq!(reading.status(), Status::Up);
        let components = &reading.snapshot().unwrap().report().components;
        assert_eq!(components.iter().filter(|(_, component)| component.status == Status::Up).count(), 4);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_of_different_subjects_share_the_runs_of_the_checks_they_have_in_common() {
    let dependency = Dependency::gated();
    let monitor = Monitor::new(Kinds::new(), Arc::clone(&dependency));
    let polled = Arc::new(AtomicUsize::new(0));
    let subjects = [Subject::Overall, Subject::group("readiness"), Subject::component("generated")];
    let tasks: Vec<_> = (0..48)
        .map(|index| {
            let (monitor, subject, polled) =
                (monitor.clone(), subjects[index % subjects.len()].clone(), Arc::clone(&polled));
            tokio::spawn(async move {
                let read = monitor.read(&subject, Selection::none());
                polled_once(&polled, read).await.unwrap().status()
            })
        })
        .collect();
    dependency.release_when(&polled, 48).await;
    for task in tasks {
        assert_eq!(task.await.unwrap(), Status::Up);
    }
    assert_eq!(dependency.runs(), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_before_the_first_background_report_join_its_runs() {
    let dependency = Dependency::gated();
    let monitor =
        Monitor::builder(Kinds::new(), Arc::clone(&dependency)).refresh_every(Duration::from_secs(60)).build().unwrap();
    // The refresh has started its runs, held at the gate; reads find no
    // report yet and run the checks themselves, joining the refresh's runs.
    until(|| dependency.runs() == 6).await;
    let readings = concurrent_reads(&monitor, &dependency, Subject::Overall, 16).await;
    assert!(readings.iter().all(|reading| reading.status() == Status::Up));
    assert_eq!(dependency.runs(), 6, "the refresh's runs, and no other");
    monitor.begin_shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_in_a_shared_run_is_one_result_for_every_reader_and_poisons_nothing() {
    let dependency = Dependency::gated();
    dependency.panicking.store(true, Ordering::SeqCst);
    let monitor = Monitor::new(Kinds::new(), Arc::clone(&dependency));
    let readings = concurrent_reads(&monitor, &dependency, Subject::component("generated"), 16).await;
    assert_eq!(dependency.runs(), 1);
    for reading in &readings {
        let generated = &reading.snapshot().unwrap().report().components.generated;
        assert_eq!(generated.status, Status::Down);
        assert_eq!(generated.message.as_deref(), Some("check panicked: the driver crashed"));
    }
    // The next read runs the check again, and it answers.
    dependency.panicking.store(false, Ordering::SeqCst);
    let reading = monitor.read(&Subject::component("generated"), Selection::none()).await.unwrap();
    assert_eq!(reading.status(), Status::Up);
    assert_eq!(dependency.runs(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_joined_run_is_one_sample_in_thresholds_history_and_metrics() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let dependency = Arc::new(Dependency::default());
    let monitor = metrics::with_local_recorder(&recorder, || {
        Monitor::builder(Kinds::new(), Arc::clone(&dependency)).metrics(MetricsOptions::default()).build().unwrap()
    });
    let thresholds = Subject::component("thresholds");
    // Up first: a component that never succeeded is not held.
    monitor.read(&thresholds, Selection::none()).await.unwrap();
    dependency.failing.store(true, Ordering::SeqCst);
    dependency.gated.store(true, Ordering::SeqCst);
    let readings = concurrent_reads(&monitor, &dependency, thresholds.clone(), 32).await;
    assert_eq!(dependency.runs(), 2);
    for reading in &readings {
        let component = &reading.snapshot().unwrap().report().components.thresholds;
        // One failure of the three the threshold needs: 32 readers are one run.
        assert_eq!(component.status, Status::Up, "held by its threshold");
        assert_eq!(component.streak.map(|streak| streak.failures), Some(1));
    }
    assert_eq!(monitor.history(&thresholds).unwrap().runs.len(), 2, "one run in the history for the 32 reads");
    let values = series::values(&snapshotter);
    let runs = series::counter(&values, "health_check_runs_total{component=thresholds,result=down}");
    assert_eq!(runs, 1, "one run in the metrics");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_dropped_mid_run_hands_the_run_over_and_dropping_every_reader_cancels_it() {
    let dependency = Dependency::gated();
    let monitor = Monitor::new(Kinds::new(), Arc::clone(&dependency));
    let generated = Subject::component("generated");
    let polled = Arc::new(AtomicUsize::new(0));
    let read = |monitor: &Monitor<Kinds>| {
        let (monitor, generated, polled) = (monitor.clone(), generated.clone(), Arc::clone(&polled));
        tokio::spawn(async move {
            polled_once(&polled, monitor.read(&generated, Selection::none())).await.unwrap().status()
        })
    };
    let leader = read(&monitor);
    until(|| polled.load(Ordering::SeqCst) == 1).await;
    let joiner = read(&monitor);
    until(|| polled.load(Ordering::SeqCst) == 2).await;
    assert_eq!(dependency.runs(), 1, "the second read joined the first one's run");
    // The leader's request is cancelled: its run goes with it, and the
    // joiner runs the check itself.
    leader.abort();
    assert!(leader.await.unwrap_err().is_cancelled());
    until(|| dependency.runs() == 2).await;
    assert_eq!(dependency.cancelled.load(Ordering::SeqCst), 1, "the leader's run was dropped");
    dependency.release();
    assert_eq!(joiner.await.unwrap(), Status::Up, "the joiner got a result");

    // Every reader dropped: the run is dropped with them.
    dependency.gated.store(true, Ordering::SeqCst);
    let readers: Vec<_> = (0..3).map(|_| read(&monitor)).collect();
    until(|| polled.load(Ordering::SeqCst) == 5).await;
    for reader in &readers {
        reader.abort();
    }
    for reader in readers {
        assert!(reader.await.unwrap_err().is_cancelled());
    }
    // Readers cancelled one after the other may hand the run over before
    // their turn comes; whatever runs began for them were dropped with them.
    assert!(dependency.runs() >= 3);
    assert_eq!(dependency.cancelled.load(Ordering::SeqCst), dependency.runs() - 1, "every run but the joiner's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_after_a_run_completes_run_the_check_again_unless_it_is_cached() {
    let dependency = Arc::new(Dependency::default());
    let monitor = Monitor::new(Kinds::new(), Arc::clone(&dependency));
    for _ in 0..3 {
        monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
    }
    // Coalescing joins runs in flight only: four uncached checks ran three
    // times each, the two cached ones once.
    assert_eq!(dependency.runs(), 4 * 3 + 2);
}
