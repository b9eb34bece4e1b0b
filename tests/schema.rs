//! `json_schema()` describes exactly the report's JSON: real reports validate
//! with a real JSON Schema validator, and malformed ones do not.

mod support;

use std::time::Duration;

use health_core::{HealthReport, Outcome, Status, health_check};
use serde_json::{Value, json};
use support::{assert_invalid, assert_valid, validator};

#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
struct PoolStats {
    idle: u32,
    in_use: u32,
}

#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
#[serde(rename_all = "camelCase")]
struct Replication {
    lag_seconds: f64,
    replica_names: Vec<String>,
}

struct Mode(Status);

/// Primary database answers.
#[health_check(timeout = "100ms", critical)]
async fn database(mode: &Mode) -> Result<PoolStats, String> {
    match mode.0 {
        Status::Down => Err("connection refused".into()),
        _ => Ok(PoolStats { idle: 3, in_use: 1 }),
    }
}

#[health_check(timeout = "100ms")]
async fn replication(mode: &Mode) -> Outcome<Replication> {
    let details = Replication { lag_seconds: 0.25, replica_names: vec!["r1".into()] };
    Outcome::with_details(mode.0, details).with_message("replicas checked")
}

#[health_check(timeout = "50ms")]
async fn hangs(mode: &Mode) {
    if mode.0 == Status::Down {
        tokio::time::sleep(Duration::from_secs(5)).await;
    }
}

#[derive(HealthReport, Default)]
#[health(state = Mode)]
struct Health {
    database: DatabaseCheck,
    #[health(rename = "replica-lag")]
    replication: ReplicationCheck,
    hangs: HangsCheck,
}

async fn report_json(status: Status) -> Value {
    serde_json::to_value(Health::default().report(&Mode(status)).await).unwrap()
}

#[tokio::test]
async fn real_reports_of_every_status_validate() {
    let validator = validator(&Health::json_schema());
    for status in Status::ALL {
        assert_valid(&validator, &report_json(status).await);
    }
}

#[test]
fn the_schema_is_draft_2020_12_with_every_component_required() {
    let schema = Health::json_schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["title"], "Health");
    assert_eq!(schema["properties"]["components"]["required"], json!(["database", "replica-lag", "hangs"]));
    assert_eq!(schema["properties"]["status"]["enum"], json!(["UP", "DEGRADED", "DOWN"]));
    let database = &schema["properties"]["components"]["properties"]["database"];
    assert_eq!(database["description"], "Primary database answers.");
    assert_eq!(database["properties"]["details"]["$ref"], "#/$defs/PoolStats");
    assert!(schema["$defs"]["Replication"]["properties"].get("lagSeconds").is_some(), "serde renames are honoured");
    let hangs = &schema["properties"]["components"]["properties"]["hangs"];
    assert!(hangs["properties"].get("details").is_none(), "a check without details allows none");
}

#[tokio::test]
async fn malformed_reports_do_not_validate() {
    let validator = validator(&Health::json_schema());
    let good = report_json(Status::Up).await;

    type Mutation = (&'static str, fn(&mut Value));
    let mutations: [Mutation; 11] = [
        ("a wrongly typed detail", |r| r["components"]["database"]["details"]["idle"] = json!("seven")),
        ("a missing detail field", |r| {
            r["components"]["database"]["details"].as_object_mut().unwrap().remove("in_use");
        }),
        ("a missing component", |r| {
            r["components"].as_object_mut().unwrap().remove("hangs");
        }),
        ("an unknown component", |r| r["components"]["extra"] = r["components"]["hangs"].clone()),
        ("an unknown overall status", |r| r["status"] = json!("WARN")),
        ("an unknown component status", |r| r["components"]["database"]["status"] = json!("up")),
        ("a wrong criticality", |r| r["components"]["database"]["critical"] = json!(false)),
        ("details on a check that has none", |r| r["components"]["hangs"]["details"] = json!({})),
        ("a timestamp that is not a date-time", |r| r["timestamp"] = json!("yesterday")),
        ("a negative duration", |r| r["duration_ms"] = json!(-1.0)),
        ("a non-string message", |r| r["components"]["database"]["message"] = json!(42)),
    ];
    for (why, mutate) in mutations {
        let mut report = good.clone();
        mutate(&mut report);
        assert_invalid(&validator, &report, why);
    }
}

#[tokio::test]
async fn a_down_component_without_details_validates() {
    let report = report_json(Status::Down).await;
    assert!(report["components"]["database"].get("details").is_none());
    assert_eq!(report["components"]["hangs"]["message"], "timed out after 50ms");
    assert_valid(&validator(&Health::json_schema()), &report);
}
