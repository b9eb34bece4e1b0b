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

/// Properties of `Status::aggregate` over any list of components, which every
/// report (derived or registered) and every group computes with.
mod properties {
    use health_core::Status;
    use proptest::prelude::*;

    fn status() -> impl Strategy<Value = Status> {
        prop_oneof![Just(Status::Up), Just(Status::Degraded), Just(Status::Down)]
    }

    fn components() -> impl Strategy<Value = Vec<(Status, bool)>> {
        proptest::collection::vec((status(), any::<bool>()), 0..24)
    }

    /// How bad a status is: UP, then DEGRADED, then DOWN.
    fn severity(status: Status) -> u8 {
        match status {
            Status::Up => 0,
            Status::Degraded => 1,
            _ => 2,
        }
    }

    proptest! {
        #[test]
        fn the_order_of_components_does_not_matter(
            (components, shuffled) in components().prop_flat_map(|c| (Just(c.clone()), Just(c).prop_shuffle()))
        ) {
            prop_assert_eq!(Status::aggregate(components), Status::aggregate(shuffled));
        }

        #[test]
        fn a_worse_component_never_improves_the_total(
            components in components().prop_filter("one component at least", |c| !c.is_empty()),
            index in any::<prop::sample::Index>(),
            worse in status(),
        ) {
            let i = index.index(components.len());
            prop_assume!(severity(worse) >= severity(components[i].0));
            let mut worsened = components.clone();
            worsened[i].0 = worse;
            prop_assert!(severity(Status::aggregate(worsened)) >= severity(Status::aggregate(components)));
        }

        #[test]
        fn making_a_component_critical_never_improves_the_total(
            components in components().prop_filter("one component at least", |c| !c.is_empty()),
            index in any::<prop::sample::Index>(),
        ) {
            let i = index.index(components.len());
            let mut critical = components.clone();
            critical[i].1 = true;
            prop_assert!(severity(Status::aggregate(critical)) >= severity(Status::aggregate(components)));
        }

        #[test]
        fn down_only_through_a_critical_component_and_up_only_when_all_are(components in components()) {
            let expected = if components.iter().any(|&(status, critical)| critical && status == Status::Down) {
                Status::Down
            } else if components.iter().any(|&(status, _)| status != Status::Up) {
                Status::Degraded
            } else {
                Status::Up
            };
            prop_assert_eq!(Status::aggregate(components), expected);
        }
    }
}
