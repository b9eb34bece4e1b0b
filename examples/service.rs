//! A service with real health endpoints: `cargo run --example service`.
//!
//! It listens on `127.0.0.1:8080` (`PORT` overrides) and works with no other
//! server around: it checks its own scheduling and its data directory
//! (`DATA_DIR`, default a temporary directory). It adds a check for each
//! dependency the environment names:
//!
//! | variable | component | critical |
//! |---|---|---|
//! | `DATABASE_URL` (PostgreSQL) | `database`: `SELECT 1` | yes |
//! | `REDIS_URL` | `cache`: `PING` | no |
//! | `UPSTREAM_URL` (`http://…`) | `upstream`: `GET` answers below 500 | no |
//!
//! These three form the custom group `dependencies`, served at
//! `/health/group/dependencies` (with none of them configured, with no
//! components: UP). Responses show every detail, unless
//! `HEALTH_TOKEN` is set: then only requests bearing it see more than statuses.
//!
//! Try `curl -i localhost:8080/health`, `/health/live`, `/health/ready`,
//! `/health/database`, `/health?verbose`, or
//! `curl -H 'Accept: application/health+json' localhost:8080/health`. The
//! OpenAPI document of the endpoints is served at `/openapi.json`;
//! `--openapi` (JSON), `--openapi-yaml` and `--probes` print it, or the
//! Kubernetes probes, and exit. With `--registry`, the same checks are
//! registered at run time in a `Registry` instead of a derived report, and
//! served the same way.
//! On SIGTERM or Ctrl-C, readiness turns DOWN at once, the service keeps
//! answering for `DRAIN_MS` (default 5000) so load balancers notice, and then
//! stops once in-flight requests have finished.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use health_core::http::{HealthEndpoints, Visibility, serve};
use health_core::{HealthReport, Monitor, Outcome, Registry, RegistryError, ReportSource, health_check, redact};
use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// What the checks need: the configuration read at startup.
struct Services {
    data_dir: PathBuf,
    database_url: Option<String>,
    redis_url: Option<String>,
    upstream_url: Option<String>,
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

#[derive(Serialize, schemars::JsonSchema)]
struct Storage {
    path: String,
    free_percent: f64,
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

/// The data directory takes a write and has free space.
#[health_check(timeout = "500ms", critical)]
async fn storage(services: &Services) -> Outcome<Storage> {
    let probe = services.data_dir.join(".health-probe");
    let written = tokio::fs::write(&probe, b"probe").await;
    let _ = tokio::fs::remove_file(&probe).await;
    let free_percent = free_percent(&services.data_dir).unwrap_or(0.0);
    let details = Storage { path: services.data_dir.display().to_string(), free_percent };
    match written {
        Err(error) => Outcome::down(details).with_message(format!("cannot write: {error}")),
        Ok(()) if free_percent < 2.0 => Outcome::down(details).with_message("the disk is full"),
        Ok(()) if free_percent < 10.0 => Outcome::degraded(details).with_message("the disk is almost full"),
        Ok(()) => Outcome::up(details),
    }
}

/// The share of the file system holding `path` that is free, from `statvfs`.
fn free_percent(path: &std::path::Path) -> Option<f64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `path` is a valid C string and `stats` is written by the call before it is read.
    let stats = unsafe {
        if libc::statvfs(path.as_ptr(), stats.as_mut_ptr()) != 0 {
            return None;
        }
        stats.assume_init()
    };
    (stats.f_blocks > 0).then(|| stats.f_bavail as f64 * 100.0 / stats.f_blocks as f64)
}

/// PostgreSQL answers `SELECT 1`.
#[health_check(timeout = "2s", critical, cache = "2s", groups(readiness, startup, "dependencies"))]
async fn database(services: &Services) -> Result<Latency, String> {
    let url = services.database_url.as_deref().unwrap_or_default();
    let started = Instant::now();
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .map_err(|error| format!("cannot connect to {url}: {error}"))?;
    let connection = tokio::spawn(connection);
    let answer = client.query_one("SELECT 1", &[]).await.map_err(|error| format!("SELECT 1 failed: {error}"));
    drop(client);
    let _ = connection.await;
    answer.map(|_| Latency::since(started))
}

/// Redis answers `PING`.
#[health_check(timeout = "250ms", cache = "2s", groups(readiness, startup, "dependencies"))]
async fn cache(services: &Services) -> Result<Latency, String> {
    let url = services.redis_url.as_deref().unwrap_or_default();
    let started = Instant::now();
    let fail = |error: std::io::Error| format!("cannot reach {url}: {error}");
    let (address, password) = address_and_password(url, 6379);
    let mut stream = TcpStream::connect(&address).await.map_err(fail)?;
    if let Some(password) = password {
        let auth = format!("*2\r\n$4\r\nAUTH\r\n${}\r\n{password}\r\n", password.len());
        stream.write_all(auth.as_bytes()).await.map_err(fail)?;
        let mut answer = [0u8; 5];
        stream.read_exact(&mut answer).await.map_err(fail)?;
        if &answer != b"+OK\r\n" {
            return Err(format!("{url} refused the password"));
        }
    }
    stream.write_all(b"PING\r\n").await.map_err(fail)?;
    let mut answer = [0u8; 7];
    stream.read_exact(&mut answer).await.map_err(fail)?;
    if &answer == b"+PONG\r\n" { Ok(Latency::since(started)) } else { Err(format!("{url} did not answer PONG")) }
}

#[derive(Serialize, schemars::JsonSchema, Clone)]
struct Answered {
    status: u16,
    latency_ms: f64,
}

/// The upstream HTTP service answers with a status below 500.
#[health_check(timeout = "1s", cache = "5s", groups(readiness, startup, "dependencies"))]
async fn upstream(services: &Services) -> Result<Answered, String> {
    let url = services.upstream_url.as_deref().unwrap_or_default();
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!("{url}: only http:// upstreams are checked by this example"));
    };
    let (authority, path) = rest.split_once('/').map_or((rest, "/".to_owned()), |(a, p)| (a, format!("/{p}")));
    let (address, _) = address_and_password(&format!("http://{authority}"), 80);
    let started = Instant::now();
    let fail = |error: std::io::Error| format!("cannot reach {url}: {error}");
    let mut stream = TcpStream::connect(&address).await.map_err(fail)?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.map_err(fail)?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await.map_err(fail)?;
    let status = std::str::from_utf8(&head[9..12]).ok().and_then(|code| code.parse::<u16>().ok());
    match status {
        Some(status) if status < 500 => Ok(Answered { status, latency_ms: Latency::since(started).latency_ms }),
        Some(status) => Err(format!("{url} answered {status}")),
        None => Err(format!("{url} did not answer HTTP")),
    }
}

/// `host:port` and the password of `scheme://user:password@host:port/…`.
fn address_and_password(url: &str, default_port: u16) -> (String, Option<String>) {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let (user_info, host) = authority.rsplit_once('@').map_or((None, authority), |(info, host)| (Some(info), host));
    let password = user_info.and_then(|info| info.split_once(':')).map(|(_, password)| password.to_owned());
    let address = if host.contains(':') { host.to_owned() } else { format!("{host}:{default_port}") };
    (address, password.filter(|p| !p.is_empty()))
}

#[derive(HealthReport, Default)]
#[health(state = Services, deadline = "2s")]
struct ServiceHealth {
    process: ProcessCheck,
    storage: StorageCheck,
    database: DatabaseCheck,
    cache: CacheCheck,
    upstream: UpstreamCheck,
}

/// The same checks as [`ServiceHealth`], chosen at run time.
fn registry() -> Result<Registry<Services>, RegistryError> {
    let mut registry = Registry::new().with_title("ServiceHealth");
    registry
        .register("process", ProcessCheck::default())?
        .register("storage", StorageCheck::default())?
        .register("database", DatabaseCheck::default())?
        .register("cache", CacheCheck::default())?
        .register("upstream", UpstreamCheck::default())?;
    Ok(registry)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).init();
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let services = Services {
        data_dir: variable("DATA_DIR").map_or_else(std::env::temp_dir, PathBuf::from),
        database_url: variable("DATABASE_URL"),
        redis_url: variable("REDIS_URL"),
        upstream_url: variable("UPSTREAM_URL"),
    };
    let dependencies =
        [("database", &services.database_url), ("cache", &services.redis_url), ("upstream", &services.upstream_url)];
    let mut unconfigured = Vec::new();
    for (component, url) in dependencies {
        match url {
            Some(url) => tracing::info!(component, url = %redact(url), "checking"),
            None => unconfigured.push(component),
        }
    }
    let services = Arc::new(services);
    if std::env::args().any(|argument| argument == "--registry") {
        run(Monitor::builder(registry()?, services), &unconfigured).await
    } else {
        run(Monitor::builder(ServiceHealth::default(), services), &unconfigured).await
    }
}

/// Serves the checks of `monitor`, or prints what `--openapi`, `--openapi-yaml`
/// or `--probes` ask for.
async fn run<R: ReportSource>(
    mut monitor: health_core::monitor::MonitorBuilder<R>,
    unconfigured: &[&str],
) -> Result<(), Box<dyn std::error::Error>> {
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    for component in unconfigured {
        monitor = monitor.disable(*component);
    }
    // Details help on a developer's machine; where others can reach the
    // endpoints, show them only to requests bearing a token.
    let visibility = variable("HEALTH_TOKEN").map_or(Visibility::Always, Visibility::when_authorized);
    let health = HealthEndpoints::new(monitor.build()?).visibility(visibility).openapi_path("/openapi.json").build()?;
    let port = variable("PORT").and_then(|port| port.parse::<u16>().ok()).unwrap_or(8080);
    let printed = std::env::args().find_map(|argument| match argument.as_str() {
        "--openapi" => Some(format!("{:#}\n", health.openapi())),
        "--openapi-yaml" => Some(health.openapi_yaml()),
        "--probes" => Some(health.probes(port)),
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
        .merge(health.router());

    let drain = Duration::from_millis(variable("DRAIN_MS").and_then(|ms| ms.parse().ok()).unwrap_or(5000));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!(address = %listener.local_addr()?, "serving");
    serve(listener, app, health.shutdown_handle(), drain).await?;
    tracing::info!("stopped");
    Ok(())
}
