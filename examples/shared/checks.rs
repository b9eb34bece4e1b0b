//! What the example services share: their checks, the clients the checks
//! use, made from the environment, and the settings both read from it. Each
//! example serves them through one framework: `service.rs` through axum (and
//! gRPC), `actix.rs` through actix-web.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use health_core::http::Visibility;
use health_core::probe::disk::{self, DiskDetails};
use health_core::probe::heartbeat::{self, Heartbeat, HeartbeatDetails, HeartbeatOptions, Pulse};
use health_core::probe::http_upstream::{self, RemoteComponent, UpstreamDetails, UpstreamOptions};
use health_core::probe::migrations::{self, MigrationDetails};
use health_core::probe::nats::{self, NatsDetails};
use health_core::probe::process::{self, MemoryDetails};
use health_core::probe::rabbitmq::{self, QueueDetails, QueueOptions, RabbitMqDetails};
use health_core::probe::redis::{self, RedisDetails};
use health_core::probe::runtime::{RuntimeDetails, RuntimeOptions, Watchdog};
use health_core::probe::{DatabaseDetails, mysql, postgres};
use health_core::{HealthReport, Outcome, Registry, RegistryError, Status, health_check, redact};
use tokio::sync::RwLock;

/// What the checks need: the clients the service holds, made at startup.
pub struct Services {
    data_dir: PathBuf,
    /// The beats of the checkpoint job.
    jobs: Heartbeat,
    /// A ticker on the service's runtime.
    runtime: Watchdog,
    database: Option<sqlx::PgPool>,
    /// The example's own migrations, applied at start-up to PostgreSQL.
    migrator: Arc<sqlx::migrate::Migrator>,
    reporting: Option<sqlx::MySqlPool>,
    cache: Option<::redis::aio::ConnectionManager>,
    /// Opened, and reopened when lost, by a task of its own.
    broker: RwLock<Option<Arc<lapin::Connection>>>,
    messaging: Option<async_nats::Client>,
    http: reqwest::Client,
    upstream: Option<UpstreamOptions>,
    /// Other services whose health this one reads (`UPSTREAM_HEALTH_URLS`).
    fleet: Vec<UpstreamOptions>,
}

/// The service's runtime runs work on time. Read from the probe lane
/// (`PROBE_PORT`), which runs on a runtime of its own, it reports the main
/// runtime DOWN when a handler blocks it.
#[health_check(timeout = "100ms", critical, groups(liveness, readiness, startup))]
async fn runtime(services: &Services) -> Outcome<RuntimeDetails> {
    health_core::probe::runtime::read(&services.runtime).await
}

/// The checkpoint job, which writes the time to `DATA_DIR` every few
/// seconds, still runs and succeeds.
#[health_check(timeout = "100ms", critical)]
async fn jobs(services: &Services) -> Outcome<HeartbeatDetails> {
    heartbeat::read(&services.jobs).await
}

/// The process's memory against its cgroup's limit, or the machine's.
#[health_check(timeout = "100ms")]
async fn memory() -> Outcome<MemoryDetails> {
    process::memory().await
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

/// The example's migrations (`examples/migrations`), which it applies to
/// PostgreSQL at start-up, in a migrations table of its own, are all applied
/// as built.
#[health_check(timeout = "2s", critical, cache = "2s", groups(readiness, startup, "dependencies"))]
async fn migrations(services: &Services) -> Outcome<MigrationDetails> {
    let Some(pool) = &services.database else { return unconfigured("DATABASE_URL") };
    // The migrator names its table: the probe reads that one.
    migrations::applied(pool, &services.migrator).await
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

/// The queue the example declares on RabbitMQ exists and is not backed up.
#[health_check(timeout = "2s", cache = "2s", groups(readiness, startup, "dependencies"))]
async fn queue(services: &Services) -> Outcome<QueueDetails> {
    let connection = services.broker.read().await.clone();
    // The example publishes to it and does not consume it.
    let options = QueueOptions::new().min_consumers(0).degraded_above(1_000).down_above(10_000);
    match connection {
        Some(connection) => rabbitmq::queue_with(&connection, QUEUE, &options).await,
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

/// What the other services said, by URL.
#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
pub struct FleetDetails {
    /// Each service, by the URL read.
    services: std::collections::BTreeMap<String, FleetMember>,
}

/// One service of the fleet: its status, why, and its own components.
#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
struct FleetMember {
    /// `UP`, `DEGRADED` or `DOWN`.
    status: String,
    /// Why, when not UP.
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// Its components, as it reports them.
    components: std::collections::BTreeMap<String, RemoteComponent>,
}

/// The services `UPSTREAM_HEALTH_URLS` names, read as health, each at once:
/// the worst of them, each with its components.
#[health_check(timeout = "2s", cache = "2s", groups(readiness, startup, "dependencies"))]
async fn fleet(services: &Services) -> Outcome<FleetDetails> {
    if services.fleet.is_empty() {
        return unconfigured("UPSTREAM_HEALTH_URLS");
    }
    let mut reads = tokio::task::JoinSet::new();
    for options in &services.fleet {
        let (client, options) = (services.http.clone(), options.clone());
        reads.spawn(async move { http_upstream::health(&client, &options).await });
    }
    let mut details = FleetDetails { services: Default::default() };
    let mut worst = Status::Up;
    while let Some(read) = reads.join_next().await {
        let Ok(read) = read else { continue };
        let (status, remote, message) = read.into_parts();
        let Some(remote) = remote else { continue };
        worst = worst.max(status);
        let member = FleetMember {
            status: status.as_str().to_owned(),
            message: message.map(|message| message.into_owned()),
            components: remote.components,
        };
        details.services.insert(remote.url, member);
    }
    let down: Vec<&str> =
        details.services.iter().filter(|(_, member)| member.status != "UP").map(|(url, _)| url.as_str()).collect();
    let outcome = Outcome::with_details(worst, details.clone());
    if down.is_empty() { outcome } else { outcome.with_message(format!("not UP: {}", down.join(", "))) }
}

#[derive(HealthReport, Default)]
#[health(state = Services, deadline = "2s")]
pub struct ServiceHealth {
    runtime: RuntimeCheck,
    jobs: JobsCheck,
    memory: MemoryCheck,
    storage: StorageCheck,
    database: DatabaseCheck,
    migrations: MigrationsCheck,
    reporting: ReportingCheck,
    cache: CacheCheck,
    broker: BrokerCheck,
    queue: QueueCheck,
    messaging: MessagingCheck,
    upstream: UpstreamCheck,
    fleet: FleetCheck,
}

/// The same checks as [`ServiceHealth`], chosen at run time.
pub fn registry() -> Result<Registry<Services>, RegistryError> {
    let mut registry = Registry::new().with_title("ServiceHealth");
    registry
        .register("runtime", RuntimeCheck::default())?
        .register("jobs", JobsCheck::default())?
        .register("memory", MemoryCheck::default())?
        .register("storage", StorageCheck::default())?
        .register("database", DatabaseCheck::default())?
        .register("migrations", MigrationsCheck::default())?
        .register("reporting", ReportingCheck::default())?
        .register("cache", CacheCheck::default())?
        .register("broker", BrokerCheck::default())?
        .register("queue", QueueCheck::default())?
        .register("messaging", MessagingCheck::default())?
        .register("upstream", UpstreamCheck::default())?
        .register("fleet", FleetCheck::default())?;
    Ok(registry)
}

/// A variable of the environment, unless unset or empty.
pub fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The clients the checks use, made from the environment, and the
/// components whose variable is not set (to be disabled). Pools and clients
/// connect on first use: the service starts whether its dependencies are up
/// or not. A RabbitMQ connection is opened, and reopened, by a task of its
/// own.
pub async fn services() -> Result<(Arc<Services>, Vec<&'static str>), Box<dyn std::error::Error>> {
    let urls = [
        ("database", "DATABASE_URL"),
        ("migrations", "DATABASE_URL"),
        ("reporting", "MYSQL_URL"),
        ("cache", "REDIS_URL"),
        ("broker", "RABBITMQ_URL"),
        ("queue", "RABBITMQ_URL"),
        ("messaging", "NATS_URL"),
        ("upstream", "UPSTREAM_URL"),
        ("fleet", "UPSTREAM_HEALTH_URLS"),
    ];
    let mut unconfigured = Vec::new();
    for (component, name) in urls {
        match variable(name) {
            Some(url) => tracing::info!(component, url = %redact(&url), "checking"),
            None => unconfigured.push(component),
        }
    }
    let acquire = Duration::from_secs(1);
    let jobs = Heartbeat::new(HeartbeatOptions::every(CHECKPOINT_EVERY));
    let mut migrator = sqlx::migrate::Migrator::with_migrations(vec![sqlx::migrate::Migration::new(
        1,
        "create checkpoints".into(),
        sqlx::migrate::MigrationType::Simple,
        sqlx::SqlSafeStr::into_sql_str(include_str!("../migrations/1_create_checkpoints.sql")),
        false,
    )]);
    migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
    let migrator = Arc::new(migrator);
    let services = Services {
        data_dir: variable("DATA_DIR").map_or_else(std::env::temp_dir, PathBuf::from),
        runtime: Watchdog::start(&tokio::runtime::Handle::current(), RuntimeOptions::new()),
        migrator: migrator.clone(),
        jobs: jobs.clone(),
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
        fleet: variable("UPSTREAM_HEALTH_URLS")
            .iter()
            .flat_map(|urls| urls.split(','))
            .map(|url| UpstreamOptions::get(url.trim()))
            .collect::<Result<_, _>>()?,
    };
    tokio::spawn(checkpoint(services.data_dir.join("checkpoint"), jobs.pulse()));
    if let Some(pool) = services.database.clone() {
        // In the background: the service starts whether PostgreSQL is up or not.
        tokio::spawn(async move {
            match migrator.run(&pool).await {
                Ok(()) => tracing::info!(table = MIGRATIONS_TABLE, "migrations applied"),
                Err(error) => tracing::warn!(error = %redact(&error.to_string()), "cannot apply the migrations"),
            }
        });
    }
    let services = Arc::new(services);
    if let Some(url) = variable("RABBITMQ_URL") {
        tokio::spawn(keep_broker_connected(services.clone(), url));
    }
    Ok((services, unconfigured))
}

/// Where the example keeps the record of its migrations: a table of its own.
const MIGRATIONS_TABLE: &str = "health_example_migrations";

/// The queue the example declares on RabbitMQ.
const QUEUE: &str = "health-example-jobs";

/// How often the checkpoint job runs.
const CHECKPOINT_EVERY: Duration = Duration::from_secs(5);

/// The example's background job: writes the time to `file` every few
/// seconds, and reports each run through its pulse.
async fn checkpoint(file: PathBuf, pulse: Pulse) {
    let mut every = tokio::time::interval(CHECKPOINT_EVERY);
    loop {
        every.tick().await;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        pulse.report(&tokio::fs::write(&file, now.as_secs().to_string()).await);
    }
}

/// Opens the RabbitMQ connection, and opens it again whenever it is lost.
async fn keep_broker_connected(services: Arc<Services>, url: String) {
    loop {
        let connected = services.broker.read().await.as_ref().is_some_and(|connection| connection.status().connected());
        if !connected {
            match lapin::Connection::connect(&url, lapin::ConnectionProperties::default()).await {
                Ok(connection) => {
                    if let Err(error) = declare_queue(&connection).await {
                        tracing::warn!(error = %redact(&error.to_string()), queue = QUEUE, "cannot declare the queue");
                    }
                    *services.broker.write().await = Some(Arc::new(connection));
                }
                Err(error) => tracing::warn!(error = %redact(&error.to_string()), "cannot connect to RabbitMQ"),
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Declares the example's queue, as an application declares what it uses.
async fn declare_queue(connection: &lapin::Connection) -> Result<(), lapin::Error> {
    let channel = connection.create_channel().await?;
    channel.queue_declare(QUEUE.into(), Default::default(), Default::default()).await?;
    channel.close(200, "declared".into()).await
}

/// Who sees details: everybody on a developer's machine; where others can
/// reach the endpoints, requests bearing `HEALTH_TOKEN`, or nobody with
/// `HEALTH_DETAILS=never`.
pub fn visibility() -> Visibility {
    match (variable("HEALTH_TOKEN"), variable("HEALTH_DETAILS").as_deref()) {
        (Some(token), _) => Visibility::when_authorized(token),
        (None, Some("never")) => Visibility::Never,
        (None, _) => Visibility::Always,
    }
}

/// `monitor` as the environment configures it: the components whose
/// variable is not set disabled, and the checks run every `REFRESH_MS` in
/// the background when it is set.
pub fn configure<R: health_core::ReportSource>(
    mut monitor: health_core::monitor::MonitorBuilder<R>,
    unconfigured: &[&str],
) -> health_core::monitor::MonitorBuilder<R> {
    for component in unconfigured {
        monitor = monitor.disable(*component);
    }
    match variable("REFRESH_MS").and_then(|ms| ms.parse().ok()) {
        Some(every) => monitor.refresh_every(Duration::from_millis(every)),
        None => monitor,
    }
}

/// How long the service keeps answering after SIGTERM (`DRAIN_MS`, default 5 s).
pub fn drain() -> Duration {
    Duration::from_millis(variable("DRAIN_MS").and_then(|ms| ms.parse().ok()).unwrap_or(5000))
}

/// The HTTP port (`PORT`, default 8080).
pub fn port() -> u16 {
    variable("PORT").and_then(|port| port.parse().ok()).unwrap_or(8080)
}
