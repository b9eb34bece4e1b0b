//! The overall status: DOWN if a critical component is DOWN, else DEGRADED if any
//! component is DOWN or DEGRADED, else UP.

use health_core::{HealthReport, Outcome, Status, health_check};

/// The statuses the two checks report.
struct Statuses {
    critical: Status,
    optional: Status,
}

#[health_check(critical)]
async fn critical(state: &Statuses) -> Outcome {
    Outcome::status_only(state.critical)
}

#[health_check]
async fn optional(state: &Statuses) -> Outcome {
    Outcome::status_only(state.optional)
}

#[derive(HealthReport, Default)]
#[health(state = Statuses)]
struct Mixed {
    critical: CriticalCheck,
    optional: OptionalCheck,
}

#[tokio::test]
async fn every_combination_aggregates_by_criticality() {
    use Status::{Degraded, Down, Up};
    let table = [
        (Up, Up, Up),
        (Up, Degraded, Degraded),
        (Up, Down, Degraded),
        (Degraded, Up, Degraded),
        (Degraded, Degraded, Degraded),
        (Degraded, Down, Degraded),
        (Down, Up, Down),
        (Down, Degraded, Down),
        (Down, Down, Down),
    ];
    let health = Mixed::default();
    for (critical, optional, expected) in table {
        let report = health.report(&Statuses { critical, optional }).await;
        assert_eq!(report.status, expected, "critical {critical}, optional {optional}");
        assert_eq!(report.components.critical.status, critical);
        assert_eq!(report.components.optional.status, optional);
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["status"], expected.as_str());
    }
}

#[derive(HealthReport, Default)]
struct Empty {}

#[derive(HealthReport, Default)]
struct Unit;

#[tokio::test]
async fn an_empty_report_is_up() {
    let report = Empty::default().report(&()).await;
    assert_eq!(report.status, Status::Up);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["components"], serde_json::json!({}));
    assert_eq!(Unit.report(&()).await.status, Status::Up);
    assert!(Empty::COMPONENTS.is_empty());
}
