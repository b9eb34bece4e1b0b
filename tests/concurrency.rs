//! All checks of a report run concurrently; the report future is `Send`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use health_core::{HealthReport, Status, health_check};
use tokio::sync::Barrier;

/// Each check waits until all four have started: they can only finish if they
/// run at the same time.
struct Rendezvous(Barrier);

#[health_check(timeout = "2s")]
async fn first(state: &Rendezvous) {
    state.0.wait().await;
}

#[health_check(timeout = "2s")]
async fn second(state: &Rendezvous) {
    state.0.wait().await;
}

#[health_check(timeout = "2s")]
async fn third(state: &Rendezvous) {
    state.0.wait().await;
}

#[health_check(timeout = "2s")]
async fn fourth(state: &Rendezvous) {
    state.0.wait().await;
}

#[derive(HealthReport, Default)]
#[health(state = Rendezvous)]
struct Together {
    first: FirstCheck,
    second: SecondCheck,
    third: ThirdCheck,
    fourth: FourthCheck,
}

#[tokio::test]
async fn checks_overlap_in_time() {
    let state = Rendezvous(Barrier::new(4));
    let report = Together::default().report(&state).await;
    assert_eq!(report.status, Status::Up, "{}", serde_json::to_string(&report).unwrap());
}

#[health_check(timeout = "2s")]
async fn sleep_a() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[health_check(timeout = "2s")]
async fn sleep_b() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[health_check(timeout = "2s")]
async fn sleep_c() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[health_check(timeout = "2s")]
async fn sleep_d() {
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[derive(HealthReport, Default)]
struct Sleepers {
    a: SleepACheck,
    b: SleepBCheck,
    c: SleepCCheck,
    d: SleepDCheck,
}

#[tokio::test]
async fn a_report_costs_its_slowest_check_not_the_sum() {
    let started = Instant::now();
    let report = Sleepers::default().report(&()).await;
    let elapsed = started.elapsed();
    assert_eq!(report.status, Status::Up);
    // Sequential runs would take 1200 ms.
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(900), "checks did not overlap: {elapsed:?}");
    assert!(report.duration >= Duration::from_millis(300) && report.duration <= elapsed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_future_is_send_and_runs_in_spawned_tasks() {
    let health = Arc::new(Sleepers::default());
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let health = Arc::clone(&health);
            tokio::spawn(async move { health.report(&()).await.status })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Status::Up);
    }
}
