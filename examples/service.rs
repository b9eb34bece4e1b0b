//! A service with real health endpoints: `cargo run --example service`.
//!
//! It listens on `127.0.0.1:8080` (`PORT` overrides) and works with no other
//! server around. It checks itself with no environment needed:
//!
//! | component | built-in probe | critical |
//! |---|---|---|
//! | `runtime` (liveness too) | `probe::runtime`: a watchdog's ticker on the service's runtime | yes |
//! | `jobs` | `probe::heartbeat`: the beats of a background job that writes a checkpoint to `DATA_DIR` every 5 s | yes |
//! | `memory` | `probe::process::memory`: the process against its cgroup's limit, or the machine's memory | no |
//! | `storage` | `probe::disk`: free space of `DATA_DIR` (default a temporary directory) | yes |
//!
//! It adds a check for each dependency the environment names:
//!
//! | variable | component | built-in probe | critical |
//! |---|---|---|---|
//! | `DATABASE_URL` (PostgreSQL) | `database` | `probe::postgres::pool` (`sqlx`) | yes |
//! | `DATABASE_URL` | `migrations`: the example's own migrations (`examples/migrations`), applied at start-up to a table of its own | `probe::migrations::applied` | yes |
//! | `MYSQL_URL` (MySQL, MariaDB) | `reporting` | `probe::mysql::pool` (`sqlx`) | no |
//! | `REDIS_URL` | `cache` | `probe::redis::connection` | no |
//! | `RABBITMQ_URL` (`amqp://…`) | `broker` | `probe::rabbitmq::connection` (`lapin`) | no |
//! | `RABBITMQ_URL` | `queue`: `health-example-jobs`, which the example declares | `probe::rabbitmq::queue` | no |
//! | `NATS_URL` | `messaging` | `probe::nats::client` (`async-nats`) | no |
//! | `UPSTREAM_URL` (`http://…`) | `upstream` | `probe::http_upstream::request` (`reqwest`), any status below 500 | no |
//! | `UPSTREAM_HEALTH_URLS` (`http://…/health,http://…/health`) | `fleet`: other services' reports, read as health, the worst of them, each with its components on the status page | `probe::http_upstream::health` | no |
//!
//! Clients are made at startup without connecting, so the service starts whether or not
//! its dependencies are up; a RabbitMQ connection is opened, and reopened, in
//! the background.
//!
//! The dependencies form the custom group `dependencies`, served at
//! `/health/group/dependencies` (with none of them configured, with no
//! components: UP). Responses show every detail, unless `HEALTH_TOKEN` is
//! set: then only requests bearing it see more than statuses; with
//! `HEALTH_DETAILS=never`, nobody does.
//!
//! The status page is at `/health/ui`: a tile per component with its status,
//! history and run durations, updated from `/health/ui/history`.
//!
//! Try `curl -i localhost:8080/health`, `/health/live`, `/health/ready`,
//! `/health/database`, `/health?verbose`, or
//! `curl -H 'Accept: application/health+json' localhost:8080/health`. The
//! OpenAPI document of the endpoints is served at `/openapi.json`;
//! `--openapi` (JSON), `--openapi-yaml` and `--probes` print it, or the
//! Kubernetes probes, and exit. With `--registry`, the same checks are
//! registered at run time in a `Registry` instead of a derived report, and
//! served the same way.
//!
//! The same monitor is served over gRPC as `grpc.health.v1.Health` on
//! `127.0.0.1:50051` (`GRPC_PORT` overrides): `""`, `liveness`, `readiness`,
//! `startup`, `dependencies`, each component, and `example.v1.Example`, mapped
//! to readiness. Try `grpcurl -plaintext -d '{"service":"readiness"}'
//! localhost:50051 grpc.health.v1.Health/Check`; `--grpc-probes` prints the
//! Kubernetes gRPC probes.
//!
//! Checks run on each request (concurrent requests share the runs under way,
//! and gRPC watchers see changes within 5 s with nobody asking), or every
//! `REFRESH_MS` in the background when it is set.
//!
//! `/metrics` serves health as Prometheus metrics (`health_check_status`,
//! `health_status`, `health_check_runs_total`, `health_check_duration_seconds`),
//! recorded by the monitor on every run and exported by
//! `metrics-exporter-prometheus`.
//!
//! With `PROBE_PORT` set, the health routes are also served on that port, by
//! a thread and a runtime of their own with a cap of 64 connections: a lane
//! for the kubelet that floods of the main port cannot reach (see
//! `docs/operations.md`, "Slow and abusive clients").
//!
//! `service healthcheck` is a probe client for images without `curl` (a
//! distroless image's `HEALTHCHECK`, a Kubernetes `exec` probe): it probes
//! this service's own `/health/ready` on `PORT` and exits 0 when healthy, 1
//! otherwise, starting nothing else. `service healthcheck URL` probes that
//! URL, `--timeout 2s` bounds it, and `--grpc [ADDRESS] --service NAME` calls
//! `grpc.health.v1` `Check` instead (default this service's `GRPC_PORT` and
//! `readiness`).
//!
//! On SIGTERM or Ctrl-C, readiness, the whole and the groups turn DOWN at once
//! over HTTP and gRPC alike (liveness and each component keep being
//! measured), both servers keep answering for `DRAIN_MS` (default 5000) so
//! load balancers notice, and then stop once in-flight requests have finished.

#[path = "shared/checks.rs"]
mod checks;

use std::time::Duration;

use checks::{ServiceHealth, registry, variable};
use health_core::ReportSource;
use health_core::grpc::GrpcHealthService;
use health_core::http::{HealthService, ServeOptions, StatusPageOptions, serve, serve_with};
use health_core::metrics::MetricsOptions;
use health_core::monitor::Monitor;
use health_core::monitor::Subject;
use health_core::ops::healthcheck::{self, HealthcheckDefaults};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use tokio_stream::wrappers::TcpListenerStream;

/// `service healthcheck …` probes and exits, starting nothing else; any
/// other command line starts the service.
fn main() -> std::process::ExitCode {
    let defaults = HealthcheckDefaults::local(checks::port()).grpc_port(grpc_port());
    if let Some(code) = healthcheck::run_if_requested(&defaults) {
        return code;
    }
    match serve_service() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Where gRPC health is served: `GRPC_PORT`, default 50051.
fn grpc_port() -> u16 {
    variable("GRPC_PORT").and_then(|port| port.parse::<u16>().ok()).unwrap_or(50051)
}

#[tokio::main]
async fn serve_service() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).init();
    let (services, unconfigured) = checks::services().await?;
    if std::env::args().any(|argument| argument == "--registry") {
        run(Monitor::builder(registry()?, services), &unconfigured).await
    } else {
        run(Monitor::builder(ServiceHealth::default(), services), &unconfigured).await
    }
}

/// The run-duration buckets, in seconds: from a cache hit to a timeout.
const DURATION_BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// Serves the checks of `monitor` over HTTP and gRPC, or prints what
/// `--openapi`, `--openapi-yaml`, `--probes` or `--grpc-probes` ask for.
async fn run<R: ReportSource>(
    monitor: health_core::monitor::MonitorBuilder<R>,
    unconfigured: &[&str],
) -> Result<(), Box<dyn std::error::Error>> {
    let monitor = checks::configure(monitor, unconfigured);
    // Health as Prometheus metrics at `/metrics`: the recorder is installed
    // before the monitor records anything.
    let prometheus = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), &DURATION_BUCKETS)?
        .install_recorder()?;
    let upkeep = prometheus.clone();
    tokio::spawn(async move {
        // Rendering folds samples into buckets; upkeep does it when nothing
        // scrapes, so that samples do not pile up.
        loop {
            tokio::time::sleep(Duration::from_secs(5)).await;
            upkeep.run_upkeep();
        }
    });
    let monitor = monitor.metrics(MetricsOptions::default()).build()?;
    let health = HealthService::builder(monitor.clone())
        .visibility(checks::visibility())
        .openapi_path("/openapi.json")
        .status_page(StatusPageOptions::new())
        .build()?;
    // gRPC carries statuses only, whatever the visibility.
    let grpc = GrpcHealthService::builder(monitor).map("example.v1.Example", Subject::group("readiness")).build()?;
    let port = checks::port();
    let grpc_port = grpc_port();
    let printed = std::env::args().find_map(|argument| match argument.as_str() {
        "--openapi" => Some(format!("{:#}\n", health.openapi())),
        "--openapi-yaml" => Some(health.openapi_yaml()),
        "--probes" => Some(health.probes(port)),
        "--grpc-probes" => Some(grpc.probes(grpc_port)),
        _ => None,
    });
    if let Some(text) = printed {
        print!("{text}");
        return Ok(());
    }
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "hello\n" }))
        .route(
            "/slow",
            axum::routing::get(|| async {
                tokio::time::sleep(Duration::from_millis(500)).await;
                "slow\n"
            }),
        )
        .route(
            "/metrics",
            axum::routing::get(move || {
                let prometheus = prometheus.clone();
                async move { ([(axum::http::header::CONTENT_TYPE, "text/plain; version=0.0.4")], prometheus.render()) }
            }),
        )
        .merge(health.router());

    let drain = checks::drain();
    if let Some(probe_port) = variable("PROBE_PORT").and_then(|port| port.parse::<u16>().ok()) {
        probe_lane(probe_port, health.router(), health.monitor().shutdown_handle(), drain)?;
    }
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let grpc_listener = tokio::net::TcpListener::bind(("127.0.0.1", grpc_port)).await?;
    tracing::info!(http = %listener.local_addr()?, grpc = %grpc_listener.local_addr()?, "serving");
    // `serve` turns SIGTERM into the monitor's shutdown, which both servers drain on.
    let grpc_server = tonic::transport::Server::builder()
        .add_service(grpc.server())
        .serve_with_incoming_shutdown(TcpListenerStream::new(grpc_listener), grpc.drained(drain));
    let http_server = serve(listener, app, health.monitor().shutdown_handle(), drain);
    // A server that fails stops the other too, drained.
    let shutdown = health.monitor().shutdown_handle();
    let stop_on_error = |result: Result<(), _>| {
        if result.is_err() {
            shutdown.begin_shutdown();
        }
        result
    };
    let (http, grpc) =
        tokio::join!(async { stop_on_error(http_server.await.map_err(Box::<dyn std::error::Error>::from)) }, async {
            stop_on_error(grpc_server.await.map_err(Box::<dyn std::error::Error>::from))
        });
    http?;
    grpc?;
    tracing::info!("stopped");
    Ok(())
}

/// Serves `probes` on `port` from a thread and a current-thread runtime of
/// their own: whatever load the main port's runtime carries, the kubelet's
/// requests wait only for the operating system to schedule this thread.
fn probe_lane(
    port: u16,
    probes: axum::Router,
    shutdown: health_core::monitor::ShutdownHandle,
    drain: Duration,
) -> std::io::Result<()> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    std::thread::Builder::new().name("probes".into()).spawn(move || {
        let served = runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener)?;
            tracing::info!(probes = %listener.local_addr()?, "serving the probe lane");
            serve_with(listener, probes, shutdown, drain, ServeOptions::default().max_connections(64)).await
        });
        if let Err(error) = served {
            tracing::error!(%error, "the probe lane stopped");
        }
    })?;
    Ok(())
}
