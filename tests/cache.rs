//! `cache = ".."`: results are reused for the TTL and concurrent reports share one run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use health_core::report::Selection;
use health_core::{HealthReport, Report, ReportSource, Status, health_check};

/// `count` reports of `health` (a derived report or a registry) at once, on
/// the runtime's threads.
async fn concurrently<R>(count: usize, health: &Arc<R>, probe: &Arc<Probe>) -> Vec<Report<R::Components>>
where
    R: ReportSource<State = Probe>,
{
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let (health, probe) = (Arc::clone(health), Arc::clone(probe));
            tokio::spawn(async move { health.run(&probe, Selection::all()).await })
        })
        .collect();
    let mut reports = Vec::with_capacity(count);
    for task in tasks {
        reports.push(task.await.unwrap());
    }
    reports
}

#[derive(Default)]
struct Probe {
    runs: AtomicUsize,
}

impl Probe {
    fn runs(&self) -> usize {
        self.runs.load(Ordering::SeqCst)
    }
}

#[health_check(timeout = "1s", cache = "5s")]
async fn slow_query(probe: &Probe) -> Result<usize, String> {
    let run = probe.runs.fetch_add(1, Ordering::SeqCst) + 1;
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(run)
}

#[derive(HealthReport, Default)]
#[health(state = Probe)]
struct Cached {
    query: SlowQueryCheck,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_reports_run_the_check_once() {
    let health = Arc::new(Cached::default());
    let probe = Arc::new(Probe::default());
    for report in concurrently(100, &health, &probe).await {
        assert_eq!(report.components.query.status, Status::Up);
        assert_eq!(report.components.query.details, Some(1));
    }
    assert_eq!(probe.runs(), 1);
}

#[tokio::test(start_paused = true)]
async fn later_reports_reuse_the_result_until_it_expires() {
    let health = Cached::default();
    let probe = Probe::default();
    let first = health.report(&probe).await;
    // The run took 100 ms; its result stays fresh for 5 s after it completed.
    tokio::time::advance(Duration::from_millis(4_999)).await;
    let second = health.report(&probe).await;
    assert_eq!(probe.runs(), 1);
    assert_eq!(first.components.query, second.components.query, "the cached component is reported as it was");
    assert_ne!(first.timestamp, second.timestamp, "the report itself is new");
    tokio::time::advance(Duration::from_millis(2)).await;
    let third = health.report(&probe).await;
    assert_eq!(probe.runs(), 2, "expired: run again");
    assert_eq!(third.components.query.details, Some(2));
    assert_ne!(third.components.query.ran_at, first.components.query.ran_at, "a new run");
}

#[health_check(timeout = "1s", cache = "150ms")]
async fn short_lived(probe: &Probe) -> Result<usize, String> {
    Ok(probe.runs.fetch_add(1, Ordering::SeqCst) + 1)
}

#[health_check(timeout = "1s", cache = "5s")]
async fn failing(probe: &Probe) -> Result<(), String> {
    probe.runs.fetch_add(1, Ordering::SeqCst);
    Err("connection refused".into())
}

#[derive(HealthReport, Default)]
#[health(state = Probe)]
struct ShortLived {
    short_lived: ShortLivedCheck,
}

#[derive(HealthReport, Default)]
#[health(state = Probe)]
struct Failing {
    failing: FailingCheck,
}

#[tokio::test]
async fn failures_are_cached_too_so_a_down_dependency_is_not_hammered() {
    let health = Failing::default();
    let probe = Probe::default();
    for _ in 0..5 {
        let report = health.report(&probe).await;
        assert_eq!(report.components.failing.message.as_deref(), Some("connection refused"));
    }
    assert_eq!(probe.runs(), 1);
}

#[tokio::test]
async fn each_check_instance_has_its_own_cache() {
    let probe = Probe::default();
    Cached::default().report(&probe).await;
    Cached::default().report(&probe).await;
    assert_eq!(probe.runs(), 2);
}

#[tokio::test]
async fn a_report_dropped_mid_run_lets_the_next_report_run_the_check() {
    let health = Cached::default();
    let probe = Probe::default();
    let abandoned = tokio::time::timeout(Duration::from_millis(30), health.report(&probe)).await;
    assert!(abandoned.is_err(), "the first report should have been cut short");
    let report = health.report(&probe).await;
    assert_eq!(report.components.query.status, Status::Up);
    assert_eq!(report.components.query.details, Some(2));
}

#[health_check(timeout = "100ms", cache = "5s")]
async fn hangs_cached(probe: &Probe) {
    probe.runs.fetch_add(1, Ordering::SeqCst);
    std::future::pending::<()>().await;
}

#[derive(HealthReport, Default)]
#[health(state = Probe)]
struct HangsCached {
    hangs: HangsCachedCheck,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_for_a_shared_run_is_bounded_by_the_timeout() {
    let health = Arc::new(HangsCached::default());
    let probe = Arc::new(Probe::default());
    let started = std::time::Instant::now();
    for report in concurrently(10, &health, &probe).await {
        assert_eq!(report.components.hangs.status, Status::Down);
        assert_eq!(report.components.hangs.message.as_deref(), Some("timed out after 100ms"));
    }
    assert!(started.elapsed() < Duration::from_millis(600), "{:?}", started.elapsed());
    assert_eq!(probe.runs(), 1, "the timed-out result is cached like any other");
}

#[health_check(timeout = "200ms", cache = "5s")]
async fn slow_cached(probe: &Probe) {
    probe.runs.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(180)).await;
}

#[derive(HealthReport, Default)]
#[health(state = Probe)]
struct SlowCached {
    slow: SlowCachedCheck,
}

#[tokio::test(start_paused = true)]
async fn waiting_for_a_shared_run_and_running_share_one_timeout() {
    let health = Arc::new(SlowCached::default());
    let probe = Arc::new(Probe::default());
    let report = |health: Arc<SlowCached>, probe: Arc<Probe>| async move { health.report(&probe).await };

    let first = tokio::spawn(report(Arc::clone(&health), Arc::clone(&probe)));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let second = tokio::spawn(report(Arc::clone(&health), Arc::clone(&probe)));
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The first report goes away mid-run; the second takes over the run at 100 ms,
    // which would end at 280 ms, past its own deadline of 50 + 200 ms.
    first.abort();
    let second = second.await.unwrap();
    let slow = &second.components.slow;
    assert_eq!(slow.message.as_deref(), Some("timed out after 200ms"));
    assert_eq!(slow.duration, Duration::from_millis(200));
    assert_eq!(probe.runs(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_expired_result_is_refreshed_on_tokios_clock() {
    let health = ShortLived::default();
    let probe = Probe::default();
    assert_eq!(health.report(&probe).await.components.short_lived.details, Some(1));
    tokio::time::advance(Duration::from_millis(149)).await;
    assert_eq!(health.report(&probe).await.components.short_lived.details, Some(1));
    assert_eq!(probe.runs(), 1);
    tokio::time::advance(Duration::from_millis(2)).await;
    assert_eq!(health.report(&probe).await.components.short_lived.details, Some(2));
    assert_eq!(probe.runs(), 2);
}

/// A check written by hand: it carries its own configuration, and a panic
/// before its future exists is its own business.
struct Broker {
    queue: &'static str,
}

impl health_core::Check<Probe> for Broker {
    type Details = String;
    const TIMEOUT: Duration = Duration::from_secs(1);

    async fn run(&self, probe: &Probe) -> health_core::Outcome<String> {
        let run = probe.runs.fetch_add(1, Ordering::SeqCst) + 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
        health_core::Outcome::up(format!("{} asked {run} time(s)", self.queue))
    }
}

#[derive(HealthReport)]
#[health(state = Probe)]
struct HandWritten {
    broker: health_core::Cached<Broker, Probe>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_hand_written_check_runs_once_for_200_concurrent_reports() {
    let ttl = Duration::from_secs(60);
    let health = Arc::new(HandWritten { broker: health_core::Cached::new(Broker { queue: "orders" }, ttl) });
    let probe = Arc::new(Probe::default());
    for report in concurrently(200, &health, &probe).await {
        assert_eq!(report.components.broker.details.as_deref(), Some("orders asked 1 time(s)"));
        assert!(report.components.broker.ran_at.is_some(), "a cached result says when its run happened");
    }
    assert_eq!(probe.runs(), 1);
    assert_eq!(health.broker.get_ref().queue, "orders");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_entries_are_cached_with_single_flight_too() {
    use health_core::{CheckOptions, Registry};
    let mut registry = Registry::<Probe>::new();
    // A hand-written check wrapped in `Cached`, and one cached by its options.
    registry.register("wrapped", health_core::Cached::new(Broker { queue: "a" }, Duration::from_secs(60))).unwrap();
    let options = CheckOptions::new().cache(Duration::from_secs(60));
    registry.register_with("options", Broker { queue: "b" }, options).unwrap();
    let registry = Arc::new(registry);
    let probe = Arc::new(Probe::default());
    for report in concurrently(200, &registry, &probe).await {
        assert_eq!(report.status, Status::Up);
    }
    assert_eq!(probe.runs(), 2, "one run of each check");
}

#[tokio::test(start_paused = true)]
async fn a_cached_result_keeps_the_time_of_its_run() {
    let health = HandWritten { broker: health_core::Cached::new(Broker { queue: "orders" }, Duration::from_secs(60)) };
    let probe = Probe::default();
    let first = health.report(&probe).await;
    let ran_at = first.components.broker.ran_at.expect("cached results carry their time");
    tokio::time::advance(Duration::from_secs(5)).await;
    let second = health.report(&probe).await;
    assert_eq!(second.components.broker.ran_at, Some(ran_at), "reused, with the time of the run that produced it");
}
