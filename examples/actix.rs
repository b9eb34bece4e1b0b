//! The example service over actix-web: `cargo run --example actix`.
//!
//! The same checks, environment variables and routes as `cargo run --example
//! service` (see its documentation): it listens on `127.0.0.1:8080` (`PORT`
//! overrides), adds a check for each dependency the environment names
//! (`DATABASE_URL`, `MYSQL_URL`, `REDIS_URL`, `RABBITMQ_URL`, `NATS_URL`,
//! `UPSTREAM_URL`), and serves `/health`, `/health/live`, `/health/ready`,
//! `/health/startup`, `/health/group/dependencies`, each component, the
//! status page at `/health/ui` and the OpenAPI document at `/openapi.json`,
//! beside the application's own `/` and `/slow`. `HEALTH_TOKEN`,
//! `HEALTH_DETAILS=never` and `REFRESH_MS` work as there; `--registry`
//! registers the checks at run time; `--openapi` and `--openapi-yaml` print
//! the document.
//!
//! actix-web runs one app per worker thread; every worker serves the one
//! health service built in `main`, so there is one monitor per process.
//!
//! On SIGTERM or Ctrl-C, readiness, the whole and the groups turn DOWN at
//! once, the server keeps answering for `DRAIN_MS` (default 5000) so load
//! balancers notice, then stops once in-flight requests have finished (within
//! 10 s).

#[path = "shared/checks.rs"]
mod checks;

use std::time::Duration;

use actix_web::{App, HttpServer, web};
use checks::{ServiceHealth, registry};
use health_core::ReportSource;
use health_core::http::{HealthService, StatusPageOptions, serve_actix};
use health_core::monitor::{Monitor, MonitorBuilder};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).init();
    // What `#[actix_web::main]` does: the actix runtime, on this thread.
    actix_web::rt::System::new().block_on(async {
        let (services, unconfigured) = checks::services().await?;
        if std::env::args().any(|argument| argument == "--registry") {
            run(Monitor::builder(registry()?, services), &unconfigured).await
        } else {
            run(Monitor::builder(ServiceHealth::default(), services), &unconfigured).await
        }
    })
}

/// Serves the checks of `monitor` from an actix-web server until SIGTERM, or
/// prints the OpenAPI document for `--openapi` or `--openapi-yaml`.
async fn run<R: ReportSource>(
    monitor: MonitorBuilder<R>,
    unconfigured: &[&str],
) -> Result<(), Box<dyn std::error::Error>> {
    let monitor = checks::configure(monitor, unconfigured);
    let monitor = monitor.build()?;
    let shutdown = monitor.shutdown_handle();
    let health = HealthService::builder(monitor)
        .visibility(checks::visibility())
        .openapi_path("/openapi.json")
        .status_page(StatusPageOptions::new())
        .build()?;
    let printed = std::env::args().find_map(|argument| match argument.as_str() {
        "--openapi" => Some(format!("{:#}\n", health.openapi())),
        "--openapi-yaml" => Some(health.openapi_yaml()),
        _ => None,
    });
    if let Some(text) = printed {
        print!("{text}");
        return Ok(());
    }
    let server = HttpServer::new(move || {
        App::new()
            .route("/", web::get().to(|| async { "hello\n" }))
            .route(
                "/slow",
                web::get().to(|| async {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    "slow\n"
                }),
            )
            .service(health.actix())
    })
    .shutdown_timeout(10)
    .bind(("127.0.0.1", checks::port()))?;
    tracing::info!(http = ?server.addrs(), "serving");
    serve_actix(server, shutdown, checks::drain()).await?;
    tracing::info!("stopped");
    Ok(())
}
