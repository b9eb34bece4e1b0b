//! The runtime watchdog, on real runtimes and real time: a healthy runtime is
//! UP, one blocked by `std::thread::sleep` is seen late and then stalled from
//! another runtime, over HTTP on a lane of its own while the blocked port
//! cannot answer, and the ticker stops with the monitor that holds it.

use std::time::{Duration, Instant};

use health_core::http::HealthService;
use health_core::monitor::{Monitor, Subject};
use health_core::probe::runtime::{self, RuntimeOptions, Watchdog};
use health_core::report::Selection;
use health_core::{CheckOptions, Registry, Status};

use crate::support::{read_concurrently, registry_of};

#[path = "../../benches/support/lane.rs"]
mod lane;

use lane::{Lane, get, serve};

/// A fast tick, so that the tests take little time.
fn options() -> RuntimeOptions {
    RuntimeOptions::new()
        .tick(Duration::from_millis(20))
        .degraded_after(Duration::from_millis(100))
        .down_after(Duration::from_millis(400))
}

/// A runtime of one worker on a thread of its own, as a service's main runtime.
fn watched_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

/// Blocks the only worker of `runtime` for `duration`, as a bad handler would.
fn block(runtime: &tokio::runtime::Runtime, duration: Duration) -> tokio::task::JoinHandle<()> {
    runtime.spawn(async move { std::thread::sleep(duration) })
}

async fn status(watchdog: &Watchdog) -> (Status, String) {
    let outcome = runtime::read(watchdog).await;
    (outcome.status(), outcome.message().unwrap_or_default().to_owned())
}

/// Polls until the watchdog reports `wanted`, for at most `within`.
async fn until(watchdog: &Watchdog, wanted: Status, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < within {
        if status(watchdog).await.0 == wanted {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_healthy_runtime_is_up_with_its_metrics() {
    let watchdog = Watchdog::start(&tokio::runtime::Handle::current(), options());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let outcome = runtime::read(&watchdog).await;
    assert_eq!(outcome.status(), Status::Up, "{:?}", outcome.message());
    let details = outcome.details().unwrap();
    assert_eq!(details.workers, 2);
    assert!(details.alive_tasks >= 1, "the ticker at least: {details:?}");
    assert!(details.lateness_ms < 100.0, "{details:?}");
    assert!(details.last_tick_age_ms.is_some_and(|age| age < 400.0), "{details:?}");
    assert!(details.busy_percent.is_some_and(|busy| (0.0..=100.0).contains(&busy)), "{details:?}");
    let json = serde_json::to_value(details).unwrap();
    for field in ["lateness_ms", "tick_ms", "workers", "alive_tasks", "global_queue_depth"] {
        assert!(json.get(field).is_some(), "{field} in {json}");
    }
}

#[tokio::test]
async fn a_blocked_runtime_is_late_then_stalled_seen_from_another_and_recovers() {
    let watched = watched_runtime();
    let watchdog = Watchdog::start(watched.handle(), options());
    assert!(until(&watchdog, Status::Up, Duration::from_secs(2)).await.is_some());

    let blocked = block(&watched, Duration::from_millis(1500));
    let degraded = until(&watchdog, Status::Degraded, Duration::from_secs(2)).await;
    assert!(degraded.is_some(), "never DEGRADED while blocked");
    let down = until(&watchdog, Status::Down, Duration::from_secs(2)).await.expect("never DOWN while blocked");
    // DOWN at 400 ms late: about 420 ms after the block began; generously bounded.
    assert!(down < Duration::from_millis(1200), "DOWN after {down:?}");
    let (_, message) = status(&watchdog).await;
    assert!(message.starts_with("the runtime runs work ") && message.ends_with("ms late, above 400 ms"), "{message}");
    blocked.await.unwrap();
    // The late tick counts for the last 8 ticks, then the runtime is UP again.
    assert!(until(&watchdog, Status::Up, Duration::from_secs(3)).await.is_some(), "never UP again");
    drop(watchdog);
    // Dropped from async code: without waiting for its threads.
    watched.shutdown_background();
}

#[tokio::test]
async fn a_short_block_is_degraded_not_down() {
    let watched = watched_runtime();
    // A wide margin to DOWN and a window of 8 ticks of 50 ms, so that a busy
    // machine neither stretches the block past DOWN nor lets its tick age out.
    let options = options().tick(Duration::from_millis(50)).down_after(Duration::from_secs(2));
    let watchdog = Watchdog::start(watched.handle(), options);
    assert!(until(&watchdog, Status::Up, Duration::from_secs(2)).await.is_some());
    block(&watched, Duration::from_millis(250)).await.unwrap();
    // The block's lateness stays among the last ticks for a while.
    let (status_now, message) = status(&watchdog).await;
    assert_eq!(status_now, Status::Degraded, "{message}");
    drop(watchdog);
    // Dropped from async code: without waiting for its threads.
    watched.shutdown_background();
}

#[tokio::test]
async fn the_ticker_stops_when_the_monitor_is_dropped() {
    let watched = watched_runtime();
    let alive = || watched.handle().metrics().num_alive_tasks();
    let before = alive();
    let watchdog = Watchdog::start(watched.handle(), options());
    let mut registry: Registry = Registry::new();
    registry.register("runtime", watchdog.clone()).unwrap();
    drop(watchdog);
    let monitor = Monitor::new(registry, ());
    assert_eq!(alive(), before + 1, "the ticker runs");
    let reading = monitor.read(&Subject::component("runtime"), Selection::none()).await.unwrap();
    assert_ne!(reading.status(), Status::Down);
    drop(reading);
    drop(monitor);
    let start = Instant::now();
    while alive() != before && start.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(alive(), before, "the ticker outlived its monitor");
    // Dropped from async code: without waiting for its threads.
    watched.shutdown_background();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_reads_answer_as_one() {
    // What is measured here is agreement, not lateness: thresholds that a
    // busy test machine's scheduling cannot cross.
    let options = RuntimeOptions::new().degraded_after(Duration::from_secs(2)).down_after(Duration::from_secs(5));
    let watchdog = Watchdog::start(&tokio::runtime::Handle::current(), options);
    tokio::time::sleep(Duration::from_millis(250)).await;
    let monitor = Monitor::new(registry_of(watchdog, Duration::from_secs(1)), ());
    for answer in read_concurrently(&monitor).await {
        assert_eq!(answer, (Status::Up, String::new()));
    }
}

#[test]
fn a_probe_lane_reports_a_stalled_main_runtime_down_while_its_port_cannot_answer() {
    // The service's main runtime, with a handler that blocks its only worker.
    let main = watched_runtime();
    let watchdog = Watchdog::start(main.handle(), options());
    let mut registry: Registry = Registry::new();
    let liveness = CheckOptions::new().critical(true).groups(["liveness"]);
    registry.register_with("runtime", watchdog, liveness).unwrap();
    let health = HealthService::builder(Monitor::new(registry, ())).build().unwrap();
    let blocking = axum::Router::new()
        .route("/block", axum::routing::get(|| async { std::thread::sleep(Duration::from_millis(2500)) }));
    let main_port = serve(&main, health.router().merge(blocking));

    // The probe lane: a runtime of its own on its own thread, as the example serves it.
    let lane = Lane::serve(health.router());
    let lane_port = lane.address;

    let wait = Duration::from_millis(500);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(get(lane_port, "/health/live", wait), Some(200));
    assert_eq!(get(main_port, "/health/live", wait), Some(200));

    let blocker = std::thread::spawn(move || get(main_port, "/block", Duration::from_secs(5)));
    let blocked_at = Instant::now();
    std::thread::sleep(Duration::from_millis(50));
    let mut down_after = None;
    while blocked_at.elapsed() < Duration::from_secs(2) {
        if get(lane_port, "/health/live", wait) == Some(503) {
            down_after = Some(blocked_at.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let down_after = down_after.expect("the lane never answered 503 while the main runtime was blocked");
    assert!(down_after < Duration::from_millis(1500), "DOWN after {down_after:?}");
    // Meanwhile the main port cannot answer at all.
    assert_eq!(get(main_port, "/health/live", Duration::from_millis(300)), None);
    assert_eq!(blocker.join().unwrap(), Some(200));
    // Unblocked, the main runtime ticks again and the lane says so.
    let recovered = Instant::now();
    while get(lane_port, "/health/live", wait) != Some(200) {
        assert!(recovered.elapsed() < Duration::from_secs(2), "never live again");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(lane);
    main.shutdown_timeout(Duration::from_secs(1));
}
