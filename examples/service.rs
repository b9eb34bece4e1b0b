//! A service with real health endpoints: `cargo run --example service`.
//!
//! It listens on `127.0.0.1:8080` (`PORT` overrides) and works with no other
//! server around: it checks its own scheduling and its data directory
//! (`DATA_DIR`, default a temporary directory). It adds a check for each
//! dependency the environment names:
//!
//! | variable | component | built-in probe | critical |
//! |---|---|---|---|
//! | `DATABASE_URL` (PostgreSQL) | `database` | `probe::postgres::pool` (`sqlx`) | yes |
//! | `MYSQL_URL` (MySQL, MariaDB) | `reporting` | `probe::mysql::pool` (`sqlx`) | no |
//! | `REDIS_URL` | `cache` | `probe::redis::connection` | no |
//! | `RABBITMQ_URL` (`amqp://…`) | `broker` | `probe::rabbitmq::connection` (`lapin`) | no |
//! | `NATS_URL` | `messaging` | `probe::nats::client` (`async-nats`) | no |
//! | `UPSTREAM_URL` (`http://…`) | `upstream` | `probe::http_upstream::request` (`reqwest`), any status below 500 | no |
//!
//! The data directory's free space is checked by `probe::disk`. Clients are
//! made at startup without connecting, so the service starts whether or not
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
//! On SIGTERM or Ctrl-C, readiness, the whole and the groups turn DOWN at once
//! over HTTP and gRPC alike (liveness and each component keep being
//! measured), both servers keep answering for `DRAIN_MS` (default 5000) so
//! load balancers notice, and then stop once in-flight requests have finished.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use health_core::grpc::GrpcHealthService;
use health_core::http::{HealthService, ServeOptions, StatusPageOptions, Visibility, serve, serve_with};
use health_core::metrics::MetricsOptions;
use health_core::monitor::Monitor;
use health_core::monitor::Subject;
use health_core::probe::disk::{self, DiskDetails};
use health_core::probe::http_upstream::{self, UpstreamDetails, UpstreamOptions};
use health_core::probe::nats::{self, NatsDetails};
use health_core::probe::rabbitmq::{self, RabbitMqDetails};
use health_core::probe::redis::{self, RedisDetails};
use health_core::probe::{DatabaseDetails, mysql, postgres};
use health_core::{HealthReport, Outcome, Registry, RegistryError, ReportSource, Status, health_check, redact};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
use serde::Serialize;
use tokio::sync::RwLock;
use tokio_stream::wrappers::TcpListenerStream;

/// What the checks need: the clients the service holds, made at startup.
struct Services {
    data_dir: PathBuf,
    database: Option<sqlx::PgPool>,
    reporting: Option<sqlx::MySqlPool>,
    cache: Option<::redis::aio::ConnectionManager>,
    /// Opened, and reopened when lost, by a task of its own.
    broker: RwLock<Option<Arc<lapin::Connection>>>,
    messaging: Option<async_nats::Client>,
    http: reqwest::Client,
    upstream: Option<UpstreamOptions>,
}

#[derive(Serialize, schemars::JsonSchema, Clone)]
struct Latency {
    /// How long the dependency took to answer.
    latency_ms: f64,
}

impl Latency {
    fn since(started: Instant) -> Self {
        Latency { latency_ms: started.elapsed().as_micros() as f64 / 1000.0 }
    }
}

/// The runtime picks up new work promptly.
#[health_check(timeout = "100ms", groups(liveness, readiness, startup))]
async fn process() -> Outcome<Latency> {
    let started = Instant::now();
    let _ = tokio::spawn(async {}).await;
    let latency = Latency::since(started);
    if latency.latency_ms > 50.0 {
        Outcome::degraded(latency).with_message("the runtime is slow to schedule tasks")
    } else {
        Outcome::up(latency)
    }
}

/// The data directory has free space: DEGRADED below 10 %, DOWN below 5 %.
#[health_check(timeout = "500ms", critical)]
async fn storage(services: &Services) -> Outcome<DiskDetails> {
    disk::space(&services.data_dir).await
}

/// A component whose variable is not set is disabled and never runs; this
/// answers should it run all the same.
fn unconfigured<T>(variable: &str) -> Outcome<T> {
    Outcome::status_only(Status::Down).with_message(format!("{variable} is not set"))
}

/// PostgreSQL answers its validation query.
#[health_check(timeout = "2s", critical, cache = "2s", groups(readiness, startup, "dependencies"))]
async fn database(services: &Services) -> Outcome<DatabaseDetails> {
    let Some(pool) = &services.database else { return unconfigured("DATABASE_URL") };
    postgres::pool(pool).await
}

/// MySQL or MariaDB answers its validation query.
#[health_check(timeout = "2s", cache = "2s", groups(readiness, startup, "dependencies"))]
async fn reporting(services: &Services) -> Outcome<DatabaseDetails> {
    let Some(pool) = &services.reporting else { return unconfigured("MYSQL_URL") };
    mysql::pool(pool).await
}

/// Redis answers, and a replica has its primary.
#[health_check(timeout = "500ms", cache = "2s", groups(readiness, startup, "dependencies"))]
async fn cache(services: &Services) -> Outcome<RedisDetails> {
    let Some(connection) = &services.cache else { return unconfigured("REDIS_URL") };
    redis::connection(connection).await
}

/// The RabbitMQ connection is open and unblocked, and opens a channel.
#[health_check(timeout = "2s", cache = "2s", groups(readiness, startup, "dependencies"))]
async fn broker(services: &Services) -> Outcome<RabbitMqDetails> {
    let connection = services.broker.read().await.clone();
    match connection {
        Some(connection) => rabbitmq::connection(&connection).await,
        None => Outcome::status_only(Status::Down).with_message("not connected to RabbitMQ yet"),
    }
}

/// NATS carries a message to the service and back.
#[health_check(timeout = "1s", cache = "2s", groups(readiness, startup, "dependencies"))]
async fn messaging(services: &Services) -> Outcome<NatsDetails> {
    let Some(client) = &services.messaging else { return unconfigured("NATS_URL") };
    nats::client(client).await
}

/// The upstream HTTP service answers with a status below 500. A blip is not
/// an outage: a failed request is retried once, and the component turns DOWN
/// after 3 failed runs in a row, UP again after 2 good ones.
#[health_check(
    timeout = "1s",
    cache = "5s",
    retries = 1,
    retry_backoff = "100ms",
    failure_threshold = 3,
    success_threshold = 2,
    groups(readiness, startup, "dependencies")
)]
async fn upstream(services: &Services) -> Outcome<UpstreamDetails> {
    let Some(options) = &services.upstream else { return unconfigured("UPSTREAM_URL") };
    http_upstream::request(&services.http, options).await
}

#[derive(HealthReport, Default)]
#[health(state = Services, deadline = "2s")]
struct ServiceHealth {
    process: ProcessCheck,
    storage: StorageCheck,
    database: DatabaseCheck,
    reporting: ReportingCheck,
    cache: CacheCheck,
    broker: BrokerCheck,
    messaging: MessagingCheck,
    upstream: UpstreamCheck,
}

/// The same checks as [`ServiceHealth`], chosen at run time.
fn registry() -> Result<Registry<Services>, RegistryError> {
    let mut registry = Registry::new().with_title("ServiceHealth");
    registry
        .register("process", ProcessCheck::default())?
        .register("storage", StorageCheck::default())?
        .register("database", DatabaseCheck::default())?
        .register("reporting", ReportingCheck::default())?
        .register("cache", CacheCheck::default())?
        .register("broker", BrokerCheck::default())?
        .register("messaging", MessagingCheck::default())?
        .register("upstream", UpstreamCheck::default())?;
    Ok(registry)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).init();
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let urls = [
        ("database", "DATABASE_URL"),
        ("reporting", "MYSQL_URL"),
        ("cache", "REDIS_URL"),
        ("broker", "RABBITMQ_URL"),
        ("messaging", "NATS_URL"),
        ("upstream", "UPSTREAM_URL"),
    ];
    let mut unconfigured = Vec::new();
    for (component, name) in urls {
        match variable(name) {
            Some(url) => tracing::info!(component, url = %redact(&url), "checking"),
            None => unconfigured.push(component),
        }
    }
    // Pools and clients that connect on first use: the service starts
    // whether its dependencies are up or not.
    let acquire = Duration::from_secs(1);
    let services = Services {
        data_dir: variable("DATA_DIR").map_or_else(std::env::temp_dir, PathBuf::from),
        database: variable("DATABASE_URL")
            .map(|url| {
                sqlx::postgres::PgPoolOptions::new().max_connections(4).acquire_timeout(acquire).connect_lazy(&url)
            })
            .transpose()?,
        reporting: variable("MYSQL_URL")
            .map(|url| {
                sqlx::mysql::MySqlPoolOptions::new().max_connections(2).acquire_timeout(acquire).connect_lazy(&url)
            })
            .transpose()?,
        cache: match variable("REDIS_URL") {
            Some(url) => {
                let config = ::redis::aio::ConnectionManagerConfig::new().set_number_of_retries(1);
                Some(::redis::aio::ConnectionManager::new_lazy_with_config(::redis::Client::open(url)?, config)?)
            }
            None => None,
        },
        broker: RwLock::new(None),
        messaging: match variable("NATS_URL") {
            Some(url) => Some(async_nats::ConnectOptions::new().retry_on_initial_connect().connect(url).await?),
            None => None,
        },
        http: reqwest::Client::new(),
        upstream: variable("UPSTREAM_URL")
            .map(|url| UpstreamOptions::get(&url).map(|options| options.expect_status(100..=499)))
            .transpose()?,
    };
    let services = Arc::new(services);
    if let Some(url) = variable("RABBITMQ_URL") {
        tokio::spawn(keep_broker_connected(services.clone(), url));
    }
    if std::env::args().any(|argument| argument == "--registry") {
        run(Monitor::builder(registry()?, services), &unconfigured).await
    } else {
        run(Monitor::builder(ServiceHealth::default(), services), &unconfigured).await
    }
}

/// Opens the RabbitMQ connection, and opens it again whenever it is lost.
async fn keep_broker_connected(services: Arc<Services>, url: String) {
    loop {
        let connected = services.broker.read().await.as_ref().is_some_and(|connection| connection.status().connected());
        if !connected {
            match lapin::Connection::connect(&url, lapin::ConnectionProperties::default()).await {
                Ok(connection) => *services.broker.write().await = Some(Arc::new(connection)),
                Err(error) => tracing::warn!(error = %redact(&error.to_string()), "cannot connect to RabbitMQ"),
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// The run-duration buckets, in seconds: from a cache hit to a timeout.
const DURATION_BUCKETS: [f64; 10] = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

/// Serves the checks of `monitor` over HTTP and gRPC, or prints what
/// `--openapi`, `--openapi-yaml`, `--probes` or `--grpc-probes` ask for.
async fn run<R: ReportSource>(
    mut monitor: health_core::monitor::MonitorBuilder<R>,
    unconfigured: &[&str],
) -> Result<(), Box<dyn std::error::Error>> {
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    for component in unconfigured {
        monitor = monitor.disable(*component);
    }
    // Details help on a developer's machine; where others can reach the
    // endpoints, show them only to requests bearing a token, or to nobody.
    let visibility = match (variable("HEALTH_TOKEN"), variable("HEALTH_DETAILS").as_deref()) {
        (Some(token), _) => Visibility::when_authorized(token),
        (None, Some("never")) => Visibility::Never,
        (None, _) => Visibility::Always,
    };
    if let Some(every) = variable("REFRESH_MS").and_then(|ms| ms.parse().ok()) {
        monitor = monitor.refresh_every(Duration::from_millis(every));
    }
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
        .visibility(visibility)
        .openapi_path("/openapi.json")
        .status_page(StatusPageOptions::new())
        .build()?;
    // gRPC carries statuses only, whatever the visibility.
    let grpc = GrpcHealthService::builder(monitor).map("example.v1.Example", Subject::group("readiness")).build()?;
    let port = variable("PORT").and_then(|port| port.parse::<u16>().ok()).unwrap_or(8080);
    let grpc_port = variable("GRPC_PORT").and_then(|port| port.parse::<u16>().ok()).unwrap_or(50051);
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

    let drain = Duration::from_millis(variable("DRAIN_MS").and_then(|ms| ms.parse().ok()).unwrap_or(5000));
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
