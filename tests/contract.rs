//! The contract of the first report in `docs/checks.md`: the user code compiles and behaves so.

use health_core::{HealthReport, Outcome, Status, health_check};
use serde_json::json;

#[derive(serde::Serialize, schemars::JsonSchema, Clone, Debug, PartialEq)]
struct PoolStats {
    idle: u32,
    in_use: u32,
}

#[derive(serde::Serialize, schemars::JsonSchema, Clone, Debug, PartialEq)]
struct DiskUsage {
    used_percent: u8,
}

struct AppState {
    database_up: bool,
    cache_error: Option<&'static str>,
}

#[derive(Debug)]
struct ConnectError(&'static str);

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// Primary Postgres answers `SELECT 1`.
#[health_check(timeout = "2s", critical)]
async fn database(state: &AppState) -> Result<PoolStats, ConnectError> {
    if state.database_up { Ok(PoolStats { idle: 7, in_use: 1 }) } else { Err(ConnectError("connection refused")) }
}

#[health_check(timeout = "250ms", cache = "5s")]
async fn cache(state: &AppState) -> Result<(), ConnectError> {
    match state.cache_error {
        Some(error) => Err(ConnectError(error)),
        None => Ok(()),
    }
}

#[health_check(timeout = "100ms")]
async fn disk() -> Outcome<DiskUsage> {
    Outcome::degraded(DiskUsage { used_percent: 91 }).with_message("91% full")
}

#[health_check]
async fn ping() {}

#[derive(HealthReport, Default)]
#[health(state = AppState, deadline = "3s")]
struct AppHealth {
    database: DatabaseCheck,
    cache: CacheCheck,
    #[health(rename = "local-disk", critical)]
    disk: DiskCheck,
    ping: PingCheck,
}

#[tokio::test]
async fn contract_report_is_typed_and_serializes_as_documented() {
    let state = AppState { database_up: true, cache_error: Some("connection refused") };
    let report = AppHealth::default().report(&state).await;

    assert_eq!(report.status, Status::Degraded);
    assert_eq!(report.components.database.details, Some(PoolStats { idle: 7, in_use: 1 }));
    assert!(report.components.database.critical);
    assert_eq!(report.components.cache.status, Status::Down);
    assert_eq!(report.components.disk.status, Status::Degraded);
    assert!(report.components.disk.critical, "field-level `critical` overrides the check's");

    let json = serde_json::to_value(&report).unwrap();
    println!("{}", serde_json::to_string_pretty(&json).unwrap());
    assert_eq!(json["status"], "DEGRADED");
    assert_eq!(json["components"]["database"]["details"], json!({"idle": 7, "in_use": 1}));
    assert_eq!(json["components"]["cache"]["message"], "connection refused");
    assert!(json["components"]["cache"].get("details").is_none());
    assert_eq!(json["components"]["local-disk"]["message"], "91% full");
    assert!(json["components"]["ping"].get("message").is_none());
    assert!(json["components"]["ping"].get("details").is_none());

    let schema = AppHealth::json_schema();
    println!("{}", serde_json::to_string_pretty(&schema).unwrap());
}
