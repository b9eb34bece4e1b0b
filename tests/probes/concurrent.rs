//! Every built-in probe under 64 concurrent reads of a healthy dependency,
//! through a monitor as a service serves them: UP every time, and one query
//! in flight at a time on the dependency. Counted on the server where it can
//! tell (PostgreSQL's `pg_stat_activity`, MySQL's process list), else by a
//! relay in front of it that delays each chunk 2 ms, so that overlapping
//! queries would show.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use health_core::monitor::{Monitor, Subject};
use health_core::probe::{QueryOptions, Verdict};
use health_core::report::Selection;
use health_core::{Check, Registry, Status};

use health_core::testing::{Direction, FaultProxy};

use crate::support::{Requests, TempDir, Traffic, counting_proxy, registry_of, url};

const READERS: usize = 64;
const ROUNDS: usize = 5;
const TIMEOUT: Duration = Duration::from_secs(2);
/// A delay on every chunk through a relay: long enough that queries run
/// at once would overlap on the server.
const DELAY: Duration = Duration::from_millis(2);

/// What the concurrent reads answered, and how many runs the check made.
struct Flood {
    answers: Vec<(Status, String)>,
    runs: usize,
}

impl Flood {
    fn assert_all(&self, expected: Status, probe: &str) {
        assert_eq!(self.answers.len(), READERS * ROUNDS);
        for (status, message) in &self.answers {
            assert_eq!(*status, expected, "{probe}: {message}");
        }
        assert!(self.runs >= ROUNDS, "{probe}: {} runs", self.runs);
        assert!(
            self.runs < READERS * ROUNDS,
            "{probe}: {} runs for {} reads: no run was shared",
            self.runs,
            READERS * ROUNDS
        );
    }
}

/// A monitor of `check` alone, named `probe`.
fn monitor_of(check: impl Check<()> + 'static) -> Monitor<Registry> {
    Monitor::new(registry_of(check, TIMEOUT), ())
}

/// `READERS` tasks, each reading the check `ROUNDS` times, one after
/// another, from one monitor.
async fn flood(check: impl Check<()> + 'static) -> Flood {
    flood_monitor(&monitor_of(check)).await
}

async fn flood_monitor(monitor: &Monitor<Registry>) -> Flood {
    let probe = Subject::component("probe");
    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (monitor, probe) = (monitor.clone(), probe.clone());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for _ in 0..ROUNDS {
                    let reading = monitor.read(&probe, Selection::none()).await.unwrap();
                    let component = reading.snapshot().unwrap().report().components.get("probe").unwrap().clone();
                    answers.push((component.status, component.message.as_deref().unwrap_or_default().to_owned()));
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::new();
    for reader in readers {
        answers.extend(reader.await.unwrap());
    }
    let runs = monitor.history(&probe).unwrap().runs.len();
    Flood { answers, runs }
}

/// One read of the check, alone.
async fn read_alone(monitor: &Monitor<Registry>) -> Status {
    monitor.read(&Subject::component("probe"), Selection::none()).await.unwrap().status()
}

/// A proxy in front of `url`'s server, delaying each chunk, with what it
/// counts, and `url` through it.
struct Relayed {
    // Kept for as long as the test runs: dropping it cuts every connection.
    _proxy: FaultProxy,
    traffic: Arc<Traffic>,
    through: String,
}

async fn relayed(url: &str) -> Relayed {
    relayed_counting(url, Requests::Writes).await
}

/// [`relayed`], counting requests as `requests` says.
async fn relayed_counting(url: &str, requests: Requests) -> Relayed {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = after_scheme.rsplit('@').next().unwrap().split('/').next().unwrap();
    let (proxy, traffic) = counting_proxy(authority.parse().unwrap(), requests).await;
    proxy.latency(Direction::Both, DELAY);
    let through = proxy.url(url);
    Relayed { _proxy: proxy, traffic, through }
}

/// Reads `check` through `relay` alone, then floods it: the server never has
/// more requests unanswered at once than one run may give it, `per_run`
/// (one query; `HELLO` and `ROLE`, which the Redis probe pipelines).
async fn assert_one_in_flight(probe: &str, relay: &Traffic, per_run: usize, check: impl Check<()> + 'static) {
    let monitor = monitor_of(check);
    // The first read may open the client's connection: measured after it.
    assert_eq!(read_alone(&monitor).await, Status::Up, "{probe}");
    relay.take_most_in_flight();
    assert_eq!(read_alone(&monitor).await, Status::Up, "{probe}");
    let (alone, sent_alone) = relay.take_most_in_flight();
    assert!(sent_alone > 0 && alone >= 1, "{probe}: the probe's queries go through the relay");
    assert!(alone <= per_run, "{probe}: {alone} requests unanswered at once for one read");
    let flood = flood_monitor(&monitor).await;
    let (most, sent) = relay.take_most_in_flight();
    flood.assert_all(Status::Up, probe);
    assert!(
        most <= per_run,
        "{probe}: one run in flight on the server at a time: {most} requests unanswered at once, {alone} for a read alone ({sent} sent for {} runs)",
        flood.runs
    );
}

/// The most rows `count` found at once, sampled every millisecond while
/// `work` runs.
async fn sampled_while<F: std::future::Future>(
    count: impl Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = i64> + Send>> + Send + 'static,
    work: F,
) -> (i64, F::Output) {
    let done = Arc::new(AtomicBool::new(false));
    let sampler = tokio::spawn({
        let done = Arc::clone(&done);
        async move {
            let mut most = 0;
            while !done.load(Ordering::SeqCst) {
                most = most.max(count().await);
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            most
        }
    });
    let output = work.await;
    done.store(true, Ordering::SeqCst);
    (sampler.await.unwrap(), output)
}

/// A validation query that takes a few milliseconds and names itself, so
/// that the server's own lists show it while it runs.
fn marked<Row: 'static>(sql: &'static str) -> QueryOptions<Row> {
    QueryOptions::new().query(sql, |_: &[Row]| Verdict::up())
}

/// The sqlx pools' tests, against the crate `$sqlx`: the current major of
/// sqlx (0.9) and the previous one (0.8).
macro_rules! sqlx_tests_for {
    ($major:ident, $sqlx:ident) => {
        mod $major {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_sqlx_postgres_pool_is_up_with_one_query_at_a_time_on_the_server() {
                let Some(url) = url("DATABASE_URL") else { return };
                let pool = $sqlx::postgres::PgPoolOptions::new().max_connections(4).connect(&url).await.unwrap();
                let watcher = $sqlx::postgres::PgPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
                let options = marked("SELECT pg_sleep(0.005), 'health-probe-pg'");
                let check = health_core::probe::postgres::PoolCheck::new(pool).with_options(options);
                let count = move || {
                    let watcher = watcher.clone();
                    Box::pin(async move {
                        // Built so that this query's own text does not match.
                        $sqlx::query_scalar::<_, i64>(
                            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' \
                             AND query LIKE '%' || 'health-probe-pg' || '%' AND pid <> pg_backend_pid()",
                        )
                        .fetch_one(&watcher)
                        .await
                        .unwrap()
                    }) as std::pin::Pin<Box<dyn std::future::Future<Output = i64> + Send>>
                };
                let (most, flood) = sampled_while(count, flood(check)).await;
                flood.assert_all(Status::Up, "postgres");
                assert_eq!(most, 1, "pg_stat_activity saw at most one probe query running ({} runs)", flood.runs);
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_sqlx_mysql_pool_is_up_with_one_query_at_a_time_on_the_server() {
                let Some(url) = url("MYSQL_URL") else { return };
                let pool = $sqlx::mysql::MySqlPoolOptions::new().max_connections(4).connect(&url).await.unwrap();
                let watcher = $sqlx::mysql::MySqlPoolOptions::new().max_connections(1).connect(&url).await.unwrap();
                let options = marked("SELECT SLEEP(0.005), 'health-probe-my'");
                let check = health_core::probe::mysql::PoolCheck::new(pool).with_options(options);
                let count = move || {
                    let watcher = watcher.clone();
                    Box::pin(async move {
                        $sqlx::query_scalar::<_, i64>(
                            "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Sleep' \
                             AND INFO LIKE CONCAT('%', 'health-probe-my', '%') AND ID <> CONNECTION_ID()",
                        )
                        .fetch_one(&watcher)
                        .await
                        .unwrap()
                    }) as std::pin::Pin<Box<dyn std::future::Future<Output = i64> + Send>>
                };
                let (most, flood) = sampled_while(count, flood(check)).await;
                flood.assert_all(Status::Up, "mysql");
                assert_eq!(most, 1, "the process list saw at most one probe query running ({} runs)", flood.runs);
            }
        }
    };
}

sqlx_tests_for!(sqlx_current, sqlx);
sqlx_tests_for!(sqlx_previous, sqlx_0_8);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tokio_postgres_client_and_a_deadpool_pool_are_up_with_one_query_at_a_time() {
    let Some(url) = url("DATABASE_URL") else { return };
    let Relayed { traffic: relay, through, _proxy } = relayed(&url).await;
    let (client, connection) = tokio_postgres::connect(&through, tokio_postgres::NoTls).await.unwrap();
    let connection = tokio::spawn(connection);
    let check = health_core::probe::postgres::ClientCheck::new(Arc::new(client));
    assert_one_in_flight("tokio-postgres", &relay, 1, check).await;
    connection.abort();

    let config: tokio_postgres::Config = through.parse().unwrap();
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(4)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .build()
        .unwrap();
    assert_one_in_flight("deadpool", &relay, 1, health_core::probe::postgres::DeadpoolCheck::new(pool)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_connection_is_up_with_one_command_at_a_time() {
    let Some(url) = url("REDIS_URL") else { return };
    let Relayed { traffic: relay, through, _proxy } = relayed_counting(&format!("{url}/"), Requests::Resp).await;
    let manager = redis::aio::ConnectionManager::new(redis::Client::open(through.as_str()).unwrap()).await.unwrap();
    assert_one_in_flight("redis", &relay, 2, health_core::probe::redis::ConnectionCheck::new(manager)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_client_is_up_with_one_round_trip_at_a_time() {
    let Some(url) = url("NATS_URL") else { return };
    let Relayed { traffic: relay, through, _proxy } = relayed_counting(&format!("{url}/"), Requests::NatsPublish).await;
    let client = async_nats::connect(through.trim_end_matches('/')).await.unwrap();
    client.flush().await.unwrap();
    assert_one_in_flight("nats", &relay, 1, health_core::probe::nats::ClientCheck::new(client)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nats_client_of_the_previous_major_is_up_with_one_round_trip_at_a_time() {
    let Some(url) = url("NATS_URL") else { return };
    let Relayed { traffic: relay, through, _proxy } = relayed_counting(&format!("{url}/"), Requests::NatsPublish).await;
    let client = async_nats_0_50::connect(through.trim_end_matches('/')).await.unwrap();
    client.flush().await.unwrap();
    assert_one_in_flight("nats 0.50", &relay, 1, health_core::probe::nats::ClientCheck::new(client)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rabbitmq_connection_is_up_with_one_exchange_at_a_time() {
    let Some(url) = url("RABBITMQ_URL") else { return };
    let _broker = crate::rabbitmq::BROKER.lock().await;
    let Relayed { traffic: relay, through, _proxy } = relayed(&url).await;
    let connection = lapin::Connection::connect(&through, lapin::ConnectionProperties::default()).await.unwrap();
    let check = health_core::probe::rabbitmq::ConnectionCheck::new(Arc::new(connection));
    assert_one_in_flight("rabbitmq", &relay, 1, check).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http_upstream_is_up_with_one_request_at_a_time() {
    let app = axum::Router::new().route("/health", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let Relayed { traffic: relay, through, _proxy } = relayed(&format!("http://{address}/health")).await;
    let options = health_core::probe::http_upstream::UpstreamOptions::get(&through).unwrap();
    let check = health_core::probe::http_upstream::RequestCheck::new(reqwest::Client::new(), options);
    assert_one_in_flight("http upstream", &relay, 1, check).await;
    server.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tcp_port_is_up_with_one_connection_per_run_and_a_name_looked_up_once_at_a_time() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let accepting = tokio::spawn(async move { while listener.accept().await.is_ok() {} });
    let relay = FaultProxy::start(address).await.unwrap();
    let by_address = flood(health_core::probe::tcp::ConnectCheck::new(relay.address().to_string())).await;
    by_address.assert_all(Status::Up, "tcp");
    // Each run opens and closes one connection; shared runs open none. The
    // kernel accepts for the relay before the relay counts: let it catch up.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    while relay.accepted() < by_address.runs && tokio::time::Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
    assert_eq!(relay.accepted(), by_address.runs, "one connection per run");
    accepting.abort();

    // A name: each concurrent read answers as one read alone does.
    let listener =
        tokio::net::TcpListener::bind("[::]:0").await.or(tokio::net::TcpListener::bind("0.0.0.0:0").await).unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepting = tokio::spawn(async move { while listener.accept().await.is_ok() {} });
    let named = || health_core::probe::tcp::ConnectCheck::new(format!("localhost:{port}"));
    let alone = crate::support::verdict(&crate::support::report_of(named(), TIMEOUT).await).0;
    flood(named()).await.assert_all(alone, "tcp, by name");
    accepting.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_disk_and_a_sqlite_file_answer_alike_to_concurrent_reads() {
    let directory = TempDir::new("concurrent");
    // The disk's status is what one read says (a nearly full build disk is
    // DEGRADED): 64 concurrent reads must each say the same.
    let alone = crate::support::verdict(
        &crate::support::report_of(health_core::probe::disk::SpaceCheck::new(directory.0.clone()), TIMEOUT).await,
    )
    .0;
    let disk = flood(health_core::probe::disk::SpaceCheck::new(directory.0.clone())).await;
    disk.assert_all(alone, "disk");

    let options =
        sqlx::sqlite::SqliteConnectOptions::new().filename(directory.0.join("app.db")).create_if_missing(true);
    let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(2).connect_with(options).await.unwrap();
    flood(health_core::probe::sqlite::PoolCheck::new(pool)).await.assert_all(Status::Up, "sqlite");
    // The previous major of sqlx, on a file of its own.
    let options =
        sqlx_0_8::sqlite::SqliteConnectOptions::new().filename(directory.0.join("old.db")).create_if_missing(true);
    let pool = sqlx_0_8::sqlite::SqlitePoolOptions::new().max_connections(2).connect_with(options).await.unwrap();
    flood(health_core::probe::sqlite::PoolCheck::new(pool)).await.assert_all(Status::Up, "sqlite (sqlx 0.8)");
}
