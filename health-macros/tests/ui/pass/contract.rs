// The contract of `docs/checks.md`'s first report, compiled as a user crate would.
use health_core::{health_check, HealthReport, Outcome};

#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
struct PoolStats {
    idle: u32,
    in_use: u32,
}

#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
struct DiskUsage {
    used_percent: u8,
}

struct AppState {
    url: String,
}

/// Primary Postgres answers `SELECT 1`.
#[health_check(timeout = "2s", critical)]
async fn database(state: &AppState) -> Result<PoolStats, std::io::Error> {
    let _ = &state.url;
    Ok(PoolStats { idle: 7, in_use: 1 })
}

#[health_check(timeout = "250ms", cache = "5s")]
async fn cache(_state: &AppState) -> Result<(), std::fmt::Error> {
    Ok(())
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

fn assert_send<T: Send>(_: &T) {}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), serde_json::Error> {
    let state = AppState { url: "postgres://localhost/app".into() };
    let health = AppHealth::default();
    let future = health.report(&state);
    assert_send(&future);
    let report = future.await;
    let json = serde_json::to_string(&report)?;
    let schema: serde_json::Value = AppHealth::json_schema();
    assert!(json.contains("local-disk") && schema.is_object());
    // The fns stay callable as written.
    assert!(database(&state).await.is_ok());
    ping().await;
    Ok(())
}
