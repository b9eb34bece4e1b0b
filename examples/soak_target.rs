//! The server `bench/soak.sh` runs for a million requests: the same checks as
//! a derived report (`/derived/health…`) and as a registry
//! (`/registry/health…`), each with an instant check, a cached one and one
//! that takes a few milliseconds (so that clients disconnecting mid-response
//! drop report futures while they run), served by `serve` on request or, with
//! `SOAK_MODE=background`, from background runs.
//!
//! `/runtime` answers the Tokio runtime's figures that stable Rust offers:
//! `{"alive_tasks": n, "workers": n, "global_queue_depth": n}`.
//!
//! `SOAK_PORT` (default 18095) sets the port on 127.0.0.1.

use std::time::Duration;

use health_core::http::{HealthService, Visibility, serve};
use health_core::monitor::Monitor;
use health_core::{HealthReport, Registry, health_check};

#[health_check(timeout = "1s")]
async fn instant() -> Result<u32, String> {
    Ok(4)
}

#[health_check(timeout = "1s", cache = "200ms")]
async fn cached() -> Result<u32, String> {
    tokio::time::sleep(Duration::from_millis(2)).await;
    Ok(2)
}

#[health_check(timeout = "1s")]
async fn slow() -> Result<u32, String> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    Ok(5)
}

#[derive(HealthReport, Default)]
struct Derived {
    instant: InstantCheck,
    cached: CachedCheck,
    slow: SlowCheck,
}

fn registry() -> Result<Registry, health_core::RegistryError> {
    let mut registry = Registry::new();
    registry
        .register("instant", InstantCheck::default())?
        .register("cached", CachedCheck::default())?
        .register("slow", SlowCheck::default())?;
    Ok(registry)
}

fn monitor<R: health_core::ReportSource<State = ()>>(
    source: R,
    background: bool,
) -> Result<Monitor<R>, health_core::monitor::MonitorError> {
    let builder = Monitor::builder(source, ());
    if background { builder.refresh_every(Duration::from_millis(100)) } else { builder }.build()
}

async fn runtime() -> String {
    let metrics = tokio::runtime::Handle::current().metrics();
    format!(
        "{{\"alive_tasks\":{},\"workers\":{},\"global_queue_depth\":{}}}",
        metrics.num_alive_tasks(),
        metrics.num_workers(),
        metrics.global_queue_depth()
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let background = std::env::var("SOAK_MODE").is_ok_and(|mode| mode == "background");
    let derived = monitor(Derived::default(), background)?;
    let shutdown = derived.shutdown_handle();
    let derived =
        HealthService::builder(derived).base_path("/derived/health").visibility(Visibility::Always).build()?;
    let registered = HealthService::builder(monitor(registry()?, background)?).base_path("/registry/health").build()?;
    let app = axum::Router::new()
        .route("/runtime", axum::routing::get(runtime))
        .merge(derived.router())
        .merge(registered.router());
    let port = std::env::var("SOAK_PORT").ok().and_then(|port| port.parse::<u16>().ok()).unwrap_or(18095);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    serve(listener, app, shutdown, Duration::ZERO).await?;
    Ok(())
}
