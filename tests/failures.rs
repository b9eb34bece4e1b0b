//! Errors, timeouts and panics are reported DOWN without disturbing anything else.

use std::time::{Duration, Instant};

use health_core::{HealthReport, Status, health_check};

#[health_check(timeout = "100ms")]
async fn hangs() {
    std::future::pending::<()>().await;
}

#[health_check(timeout = "100ms", critical)]
async fn slow_critical() {
    tokio::time::sleep(Duration::from_secs(30)).await;
}

#[health_check]
async fn panics() {
    let values: Vec<u32> = Vec::new();
    let _ = values[3];
}

#[health_check]
async fn panics_with_secret() {
    panic!("cannot connect to postgres://app:hunter2@db:5432/app");
}

#[health_check]
async fn fails() -> Result<u32, std::io::Error> {
    Err(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused"))
}

#[health_check]
async fn healthy() -> Result<u32, std::io::Error> {
    Ok(7)
}

#[derive(HealthReport, Default)]
struct Failing {
    hangs: HangsCheck,
    panics: PanicsCheck,
    fails: FailsCheck,
    healthy: HealthyCheck,
}

#[tokio::test]
async fn a_hung_check_is_down_after_its_timeout_and_the_report_does_not_wait_for_it() {
    let started = Instant::now();
    let report = Failing::default().report(&()).await;
    let elapsed = started.elapsed();

    assert!(elapsed >= Duration::from_millis(100), "returned before the timeout: {elapsed:?}");
    // The hung check never ends; the bound leaves room for the panicking
    // check's backtrace, captured when RUST_BACKTRACE is set, which took
    // 500 ms of a loaded 2-core machine once.
    assert!(elapsed < Duration::from_secs(2), "waited for the hung check: {elapsed:?}");
    let hangs = &report.components.hangs;
    assert_eq!(hangs.status, Status::Down);
    assert_eq!(hangs.message.as_deref(), Some("timed out after 100ms"));
    assert!(hangs.duration >= Duration::from_millis(100));
    assert_eq!(hangs.details, None);
}

#[tokio::test]
async fn an_error_is_down_with_its_display_as_message() {
    let report = Failing::default().report(&()).await;
    assert_eq!(report.components.fails.status, Status::Down);
    assert_eq!(report.components.fails.message.as_deref(), Some("connection refused"));
    assert_eq!(report.components.fails.details, None);
    assert_eq!(report.components.healthy.details, Some(7));
}

#[tokio::test]
async fn a_panic_is_down_and_leaves_the_other_components_and_the_caller_alone() {
    let report = Failing::default().report(&()).await;
    let panics = &report.components.panics;
    assert_eq!(panics.status, Status::Down);
    let message = panics.message.as_deref().unwrap();
    assert!(message.starts_with("check panicked: index out of bounds"), "{message}");
    assert_eq!(report.components.healthy.status, Status::Up);
    // None of these components is critical: the report is degraded, not down.
    assert_eq!(report.status, Status::Degraded);
}

#[derive(HealthReport, Default)]
struct CriticalTimeout {
    slow_critical: SlowCriticalCheck,
    healthy: HealthyCheck,
}

#[tokio::test]
async fn a_critical_check_timing_out_takes_the_report_down() {
    let report = CriticalTimeout::default().report(&()).await;
    assert_eq!(report.components.slow_critical.status, Status::Down);
    assert_eq!(report.status, Status::Down);
}

#[derive(HealthReport, Default)]
struct LeakyPanic {
    panics_with_secret: PanicsWithSecretCheck,
}

#[tokio::test]
async fn a_panic_message_is_redacted() {
    let report = LeakyPanic::default().report(&()).await;
    let message = report.components.panics_with_secret.message.as_deref().unwrap();
    assert_eq!(message, "check panicked: cannot connect to postgres://app:***@db:5432/app");
    let json = serde_json::to_string(&report).unwrap();
    assert!(!json.contains("hunter2"), "{json}");
}

#[tokio::test]
async fn a_report_survives_being_run_again_after_a_panic() {
    let health = Failing::default();
    for _ in 0..3 {
        let report = health.report(&()).await;
        assert_eq!(report.components.panics.status, Status::Down);
        assert_eq!(report.components.healthy.status, Status::Up);
    }
}

#[tokio::test(start_paused = true)]
async fn timeouts_follow_tokios_clock_even_when_it_is_paused_and_advanced() {
    // Move the paused clock far from the wall clock first.
    tokio::time::sleep(Duration::from_secs(3600)).await;
    let report = CriticalTimeout::default().report(&()).await;
    let slow = &report.components.slow_critical;
    assert_eq!(slow.message.as_deref(), Some("timed out after 100ms"));
    assert_eq!(slow.duration, Duration::from_millis(100), "measured on the same clock as the timeout");
    assert_eq!(report.components.healthy.status, Status::Up);
}
