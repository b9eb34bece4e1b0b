//! The check trait can be implemented by hand and mixed with generated checks.

use std::time::Duration;

use health_core::{Check, HealthReport, Outcome, Status, health_check};

/// A check that carries its own configuration.
struct Threshold {
    limit: u64,
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold { limit: 10 }
    }
}

impl Check<u64> for Threshold {
    type Details = u64;
    const TIMEOUT: Duration = Duration::from_millis(300);
    const CRITICAL: bool = true;
    const DESCRIPTION: Option<&'static str> = Some("Backlog under the limit.");

    async fn run(&self, backlog: &u64) -> Outcome<u64> {
        if *backlog > self.limit { Outcome::down(*backlog) } else { Outcome::up(*backlog) }
    }
}

#[health_check]
async fn ping() {}

#[derive(HealthReport, Default)]
#[health(state = u64)]
struct Mixed {
    backlog: Threshold,
    ping: PingCheck,
}

#[tokio::test]
async fn a_hand_written_check_joins_a_derived_report() {
    let report = Mixed::default().report(&3).await;
    assert_eq!(report.status, Status::Up);
    assert_eq!(report.components.backlog.details, Some(3));

    let report = Mixed::default().report(&42).await;
    assert_eq!(report.status, Status::Down);
    assert_eq!(report.components.backlog.details, Some(42), "DOWN outcomes keep their details");
    assert_eq!(Mixed::COMPONENTS[0].timeout(), Duration::from_millis(300));
    assert_eq!(
        Mixed::json_schema()["properties"]["components"]["properties"]["backlog"]["description"],
        "Backlog under the limit."
    );
}
