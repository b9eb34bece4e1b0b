//! Field-level `rename`, `critical` and `timeout`, and what the report knows
//! about its components without running them.

use std::time::Duration;

use health_core::{HealthReport, Status, health_check};

/// Sleeps for half a second.
#[health_check(timeout = "1s", critical)]
async fn sleepy() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

#[health_check(timeout = "2s")]
async fn broken() -> Result<(), String> {
    Err("no route to host".into())
}

#[derive(HealthReport, Default)]
#[health(deadline = "2s")]
struct Overridden {
    /// Sleepy, but given only 100 ms here.
    #[health(timeout = "100ms", critical = false, rename = "short-fuse")]
    sleepy: SleepyCheck,
    #[health(critical)]
    broken: BrokenCheck,
    plain: SleepyCheck,
}

#[tokio::test]
async fn a_field_timeout_replaces_the_checks_own() {
    let report = Overridden::default().report(&()).await;
    assert_eq!(report.components.sleepy.status, Status::Down);
    assert_eq!(report.components.sleepy.message.as_deref(), Some("timed out after 100ms"));
    assert_eq!(report.components.plain.status, Status::Up, "the check's own 1s timeout still applies elsewhere");
}

#[tokio::test]
async fn field_criticality_overrides_the_checks_own_both_ways() {
    let report = Overridden::default().report(&()).await;
    assert!(!report.components.sleepy.critical);
    assert!(report.components.broken.critical);
    assert!(report.components.plain.critical);
    assert_eq!(report.status, Status::Down, "`broken` was made critical");
}

#[tokio::test]
async fn a_renamed_component_appears_under_its_new_name() {
    let json = serde_json::to_value(Overridden::default().report(&()).await).unwrap();
    let names: Vec<&String> = json["components"].as_object().unwrap().keys().collect();
    assert_eq!(names.len(), 3);
    assert!(json["components"].get("short-fuse").is_some());
    assert!(json["components"].get("sleepy").is_none());
}

#[test]
fn components_are_described_without_running_them() {
    let [sleepy, broken, plain] = Overridden::COMPONENTS else { panic!("three components expected") };
    assert_eq!(
        (sleepy.name(), sleepy.is_critical(), sleepy.timeout()),
        ("short-fuse", false, Duration::from_millis(100))
    );
    assert_eq!(sleepy.description(), Some("Sleepy, but given only 100 ms here."), "field docs win");
    assert_eq!((broken.name(), broken.is_critical(), broken.timeout()), ("broken", true, Duration::from_secs(2)));
    assert_eq!(broken.description(), None);
    assert_eq!((plain.name(), plain.is_critical(), plain.timeout()), ("plain", true, Duration::from_secs(1)));
    assert_eq!(plain.description(), Some("Sleeps for half a second."), "the check fn's docs otherwise");
}

#[test]
fn components_serialize_in_declaration_order() {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    let report = runtime.block_on(Overridden::default().report(&()));
    let text = serde_json::to_string(&report).unwrap();
    let positions: Vec<usize> =
        ["\"short-fuse\"", "\"broken\"", "\"plain\""].iter().map(|name| text.find(name).unwrap()).collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
    let top: Vec<usize> = ["\"status\"", "\"timestamp\"", "\"duration_ms\"", "\"components\""]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
    assert!(top.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
}
