//! PostgreSQL through `sqlx`, `tokio-postgres` and `deadpool-postgres`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use health_core::Status;
use health_core::probe::postgres::{ClientCheck, DeadpoolCheck, PoolCheck};
use health_core::probe::{QueryOptions, Verdict};

use health_core::testing::{FaultProxy, SilentServer};

use crate::support::{
    Server, TempDir, assert_secret_absent, binary, closed_port, details, free_port, report_of, url, verdict, wait_for,
};

const TIMEOUT: Duration = Duration::from_millis(500);

/// The tests, against the pools of the crate `$sqlx`: the current major of
/// sqlx (0.9) and the previous one (0.8).
macro_rules! tests_for {
    ($major:ident, $sqlx:ident) => {
        mod $major {
            use super::*;

            async fn pool(url: &str, max: u32) -> $sqlx::postgres::PgPool {
                $sqlx::postgres::PgPoolOptions::new().max_connections(max).connect(url).await.unwrap()
            }

            #[tokio::test]
            async fn a_running_server_is_up_with_the_version_it_reports_and_pool_figures() {
                let Some(url) = url("DATABASE_URL") else { return };
                let pool = pool(&url, 3).await;
                let report = report_of(PoolCheck::new(pool.clone()), Duration::from_secs(2)).await;
                assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
                let details = details(&report);
                let version: String = $sqlx::query_scalar("SELECT version()").fetch_one(&pool).await.unwrap();
                let reported = details["server_version"].as_str().unwrap();
                assert!(
                    version.starts_with(&format!("PostgreSQL {reported} ")),
                    "{reported} is not the version of {version}"
                );
                assert_eq!(details["pool"]["max"], 3);
                assert!(details["pool"]["size"].as_u64().unwrap() >= 1);
                assert!(details["latency_ms"].as_f64().unwrap() > 0.0);
            }

            #[tokio::test]
            async fn a_lazy_pool_shows_the_connection_its_first_query_opened_and_a_refused_one_no_empty_details() {
                let Some(url) = url("DATABASE_URL") else { return };
                let lazy = $sqlx::postgres::PgPoolOptions::new().max_connections(2).connect_lazy(&url).unwrap();
                assert_eq!(lazy.size(), 0, "nothing opened before the probe");
                let report = report_of(PoolCheck::new(lazy), Duration::from_secs(2)).await;
                assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
                let figures = &details(&report)["pool"];
                assert_eq!((figures["size"].as_u64(), figures["idle"].as_u64()), (Some(1), Some(1)), "{figures}");
                // Whole microseconds: no float noise in the JSON.
                let latency = details(&report)["latency_ms"].as_f64().unwrap();
                assert_eq!((latency * 1000.0).round() / 1000.0, latency);

                let refused = $sqlx::postgres::PgPoolOptions::new()
                    .acquire_timeout(Duration::from_millis(500))
                    .connect_lazy(&format!("postgres://postgres@127.0.0.1:{}/test", closed_port()))
                    .unwrap();
                let report = report_of(PoolCheck::new(refused), Duration::from_secs(2)).await;
                assert_eq!(verdict(&report).0, Status::Down);
                let json = serde_json::to_value(&report).unwrap();
                let component = json["components"].as_object().unwrap().values().next().unwrap();
                assert!(
                    component.get("details").is_none_or(|details| details != &serde_json::json!({})),
                    "{component}"
                );
            }

            #[tokio::test]
            async fn a_closed_port_and_a_silent_server_are_down_within_the_timeout() {
                let blackhole = SilentServer::start().await.unwrap();
                for address in [format!("127.0.0.1:{}", closed_port()), blackhole.address().to_string()] {
                    // sqlx retries a refused connection until the pool's acquire timeout:
                    // below the check's, the pool says why.
                    let pool = $sqlx::postgres::PgPoolOptions::new()
                        .acquire_timeout(TIMEOUT / 2)
                        .connect_lazy(&format!("postgres://postgres@{address}/test"))
                        .unwrap();
                    let started = Instant::now();
                    let report = report_of(PoolCheck::new(pool), TIMEOUT).await;
                    let (status, message) = verdict(&report);
                    assert_eq!(status, Status::Down, "{address}");
                    assert!(started.elapsed() < TIMEOUT * 3, "{address}: {:?}", started.elapsed());
                    assert!(message.contains("pool timed out"), "{address}: {message}");
                }
            }

            #[tokio::test]
            async fn the_pool_reuses_its_connections_over_1000_reports() {
                let Some(url) = url("DATABASE_URL") else { return };
                let upstream = url.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap().parse().unwrap();
                let relay = FaultProxy::start(upstream).await.unwrap();
                let pool = pool(&relay.url(&url), 3).await;
                let registry = crate::support::registry_of(PoolCheck::new(pool), health_core::DEFAULT_TIMEOUT);
                for _ in 0..1000 {
                    assert_eq!(registry.report(&()).await.status, Status::Up);
                }
                assert!(
                    relay.accepted() <= 3,
                    "{} connections opened for 1000 reports on a pool of 3",
                    relay.accepted()
                );
            }

            #[tokio::test]
            async fn wrong_credentials_are_down_and_the_password_is_nowhere() {
                let Some(url) = url("DATABASE_URL") else { return };
                let address = url.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap().to_owned();
                let secret = "hunter2-pg-secret";
                let wrong = format!("postgres://no_such_role:{secret}@{address}/test");
                let pool = $sqlx::postgres::PgPoolOptions::new().connect_lazy(&wrong).unwrap();
                let report = report_of(PoolCheck::new(pool), Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Down);
                assert!(message.contains("no_such_role"), "{message}");
                assert_secret_absent(&report, secret);
            }

            #[tokio::test]
            async fn an_exhausted_pool_is_degraded_without_waiting_in_line() {
                let Some(url) = url("DATABASE_URL") else { return };
                let pool = pool(&url, 1).await;
                let held = pool.acquire().await.unwrap();
                let report = report_of(PoolCheck::new(pool.clone()), Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Degraded);
                assert!(message.contains("pool exhausted"), "{message}");
                assert_eq!(details(&report)["pool"]["idle"], 0);
                drop(held);
                assert_eq!(verdict(&report_of(PoolCheck::new(pool), Duration::from_secs(2)).await).0, Status::Up);
            }

            #[tokio::test]
            async fn a_slow_answer_is_degraded_and_a_custom_query_is_judged_by_its_mapper() {
                let Some(url) = url("DATABASE_URL") else { return };
                let pool = pool(&url, 2).await;
                let slow = QueryOptions::new()
                    .query("SELECT pg_sleep(0.2)", |_: &[$sqlx::postgres::PgRow]| Verdict::up())
                    .slow_after(Duration::from_millis(100));
                let report = report_of(PoolCheck::new(pool.clone()).with_options(slow), Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Degraded);
                assert!(message.contains("above the 100 ms threshold"), "{message}");
                // A custom query still reports the version.
                assert!(details(&report)["server_version"].is_string());

                let mapped = QueryOptions::new().query(
                    "SELECT count(*) FROM pg_stat_activity",
                    |rows: &[$sqlx::postgres::PgRow]| {
                        use $sqlx::Row;
                        let connections: i64 = rows[0].get(0);
                        if connections > 0 {
                            Verdict::degraded(format!("{connections} backends"))
                        } else {
                            Verdict::up()
                        }
                    },
                );
                let report = report_of(PoolCheck::new(pool.clone()).with_options(mapped), Duration::from_secs(2)).await;
                assert_eq!(verdict(&report).0, Status::Degraded);
                assert!(verdict(&report).1.ends_with(" backends"));

                let failing = QueryOptions::new()
                    .query("SELECT * FROM no_such_table", |_: &[$sqlx::postgres::PgRow]| Verdict::up());
                let report = report_of(PoolCheck::new(pool).with_options(failing), Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Down);
                assert!(message.starts_with("SELECT * FROM no_such_table: "), "the query, then why: {message}");
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn the_same_pool_survives_a_restart_and_leaks_no_connection_over_1000_reports() {
                let Some(mut cluster) = Cluster::create() else { return };
                let address: std::net::SocketAddr = format!("127.0.0.1:{}", cluster.port).parse().unwrap();
                wait_for(address).await;
                let pool =
                    $sqlx::postgres::PgPoolOptions::new().max_connections(4).connect_lazy(&cluster.url()).unwrap();
                let check = || PoolCheck::new(pool.clone());
                assert_eq!(verdict(&report_of(check(), Duration::from_secs(2)).await).0, Status::Up);

                cluster.kill();
                let started = Instant::now();
                let report = report_of(check(), Duration::from_secs(1)).await;
                assert_eq!(verdict(&report).0, Status::Down, "{:?}", verdict(&report));
                assert!(started.elapsed() < Duration::from_secs(3));

                cluster.start();
                wait_for(address).await;
                let first = verdict(&report_of(check(), Duration::from_secs(2)).await).0;
                let second = verdict(&report_of(check(), Duration::from_secs(2)).await).0;
                assert!(
                    first == Status::Up || second == Status::Up,
                    "not UP again within two reports: {first:?}, {second:?}"
                );

                // The pool may open connections up to its maximum; past that, any growth is a leak.
                let before = backends(&cluster.url()).await;
                let room = i64::from(4 - pool.size());
                let registry = crate::support::registry_of(check(), health_core::DEFAULT_TIMEOUT);
                for _ in 0..1000 {
                    assert_eq!(registry.report(&()).await.status, Status::Up);
                }
                let after = backends(&cluster.url()).await;
                assert!(
                    after <= before + room,
                    "server-side connections grew from {before} to {after}, past the pool's maximum"
                );
                assert!(pool.size() <= 4);
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_pool_that_loses_its_server_under_load_on_request_is_down_not_exhausted() {
                let Some(mut cluster) = Cluster::create() else { return };
                let address: std::net::SocketAddr = format!("127.0.0.1:{}", cluster.port).parse().unwrap();
                wait_for(address).await;
                let timeout = Duration::from_secs(1);
                // Past the check's timeout, with slack for timers on a loaded machine.
                let settled = timeout + Duration::from_millis(500);
                let pool = $sqlx::postgres::PgPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_lazy(&cluster.url())
                    .unwrap();
                // The application's own load keeps every connection of the pool busy.
                let load = Arc::new(std::sync::atomic::AtomicBool::new(true));
                let workers: Vec<_> = (0..4)
                    .map(|_| {
                        let (pool, load) = (pool.clone(), Arc::clone(&load));
                        tokio::spawn(async move {
                            while load.load(std::sync::atomic::Ordering::SeqCst) {
                                let _ = $sqlx::query("SELECT pg_sleep(0.05)").execute(&pool).await;
                            }
                        })
                    })
                    .collect();
                let monitor = health_core::monitor::Monitor::new(
                    crate::support::registry_of(PoolCheck::new(pool.clone()), timeout),
                    (),
                );

                // Healthy, and busy: UP, or DEGRADED while the load holds every connection.
                for (_, status, message) in read_for(&monitor, 64, Duration::from_secs(1)).await {
                    assert_ne!(status, Status::Down, "a busy, healthy pool: {message}");
                }

                // The server hangs (SIGSTOP): its connections stay stuck, the pool looks
                // exhausted, and a new connection gets no answer.
                tokio::task::block_in_place(|| crate::under_load::signal_tree("-STOP", cluster.pid()));
                let hung = read_for(&monitor, 64, settled + Duration::from_secs(1)).await;
                tokio::task::block_in_place(|| crate::under_load::signal_tree("-CONT", cluster.pid()));
                let after: Vec<_> = hung.iter().filter(|(sent, _, _)| *sent > settled).collect();
                assert!(!after.is_empty());
                for (sent, status, message) in after {
                    assert_eq!(*status, Status::Down, "hung server, read sent {sent:?} after: {message}");
                }

                // The server is killed: refused, it is DOWN too, whatever the pool looks like.
                let recovered = Instant::now() + Duration::from_secs(10);
                let probe = health_core::monitor::Subject::component("probe");
                while monitor.read(&probe, health_core::report::Selection::none()).await.unwrap().status()
                    == Status::Down
                {
                    assert!(Instant::now() < recovered, "UP again once resumed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                cluster.kill();
                let killed = read_for(&monitor, 64, settled + Duration::from_secs(1)).await;
                let after: Vec<_> = killed.iter().filter(|(sent, _, _)| *sent > settled).collect();
                assert!(!after.is_empty());
                for (sent, status, message) in after {
                    assert_eq!(*status, Status::Down, "killed server, read sent {sent:?} after: {message}");
                    assert!(!message.contains("exhausted") || message.contains("a new connection fails"), "{message}");
                }
                load.store(false, std::sync::atomic::Ordering::SeqCst);
                for worker in workers {
                    worker.abort();
                }
            }
        }
    };
}

tests_for!(current, sqlx);
tests_for!(previous, sqlx_0_8);

#[tokio::test]
async fn a_tokio_postgres_client_is_up_and_down_once_its_connection_ends() {
    let Some(url) = url("DATABASE_URL") else { return };
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    let connection = tokio::spawn(connection);
    let client = Arc::new(client);
    let report = report_of(ClientCheck::new(client.clone()), Duration::from_secs(2)).await;
    assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
    let version: String = client.query_one("SELECT version()", &[]).await.unwrap().get(0);
    let reported = details(&report)["server_version"].as_str().unwrap().to_owned();
    assert!(version.starts_with(&format!("PostgreSQL {reported} ")), "{reported} vs {version}");

    connection.abort();
    let _ = connection.await;
    let report = report_of(ClientCheck::new(client), Duration::from_secs(2)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Down);
    assert!(message.contains("closed"), "{message}");
}

fn deadpool(url: &str, max: usize) -> deadpool_postgres::Pool {
    let config: tokio_postgres::Config = url.parse().unwrap();
    let manager = deadpool_postgres::Manager::new(config, tokio_postgres::NoTls);
    deadpool_postgres::Pool::builder(manager).max_size(max).runtime(deadpool_postgres::Runtime::Tokio1).build().unwrap()
}

#[tokio::test]
async fn a_deadpool_pool_is_up_degraded_with_waiters_and_down_on_a_closed_port() {
    let Some(url) = url("DATABASE_URL") else { return };
    let pool = deadpool(&url, 1);
    let report = report_of(DeadpoolCheck::new(pool.clone()), Duration::from_secs(2)).await;
    assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
    assert!(details(&report)["server_version"].is_string());

    let held = pool.get().await.unwrap();
    let waiter = tokio::spawn({
        let pool = pool.clone();
        async move { pool.get().await.map(drop) }
    });
    while pool.status().waiting == 0 {
        tokio::task::yield_now().await;
    }
    let report = report_of(DeadpoolCheck::new(pool.clone()), Duration::from_secs(2)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Degraded);
    assert!(message.contains("1 waiting"), "{message}");
    assert_eq!(details(&report)["pool"]["waiting"], 1);
    // Each exhausted verdict tries a new connection, which the pool's
    // manager must forget again: the pool's one connection stays the only
    // statement cache it keeps.
    for _ in 0..5 {
        report_of(DeadpoolCheck::new(pool.clone()), Duration::from_secs(2)).await;
    }
    let caches = format!("{:?}", pool.manager().statement_caches);
    assert_eq!(caches.matches("(Weak)").count(), 1, "{caches}");
    drop(held);
    waiter.await.unwrap().unwrap();

    let closed = deadpool(&format!("postgres://postgres@127.0.0.1:{}/test", closed_port()), 1);
    let report = report_of(DeadpoolCheck::new(closed), TIMEOUT).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Down);
    assert!(message.to_lowercase().contains("refused"), "{message}");

    let blackhole = SilentServer::start().await.unwrap();
    let silent = deadpool(&format!("postgres://postgres@{}/test", blackhole.address()), 1);
    let started = Instant::now();
    assert_eq!(verdict(&report_of(DeadpoolCheck::new(silent), TIMEOUT).await).0, Status::Down);
    assert!(started.elapsed() < TIMEOUT * 3);

    let address = url.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap();
    let secret = "hunter2-deadpool-secret";
    let wrong = deadpool(&format!("postgres://no_such_role:{secret}@{address}/test"), 1);
    let report = report_of(DeadpoolCheck::new(wrong), Duration::from_secs(2)).await;
    let (status, message) = verdict(&report);
    assert_eq!(status, Status::Down);
    assert!(message.contains("no_such_role"), "{message}");
    assert_secret_absent(&report, secret);
}

/// A PostgreSQL cluster of the test's own, in a temporary directory.
pub(crate) struct Cluster {
    server: Option<Server>,
    directory: TempDir,
    port: u16,
}

impl Cluster {
    /// `None` (after saying why) where `initdb` or `pg_ctl` are missing.
    pub(crate) fn create() -> Option<Cluster> {
        binary("initdb")?;
        binary("pg_ctl")?;
        let directory = TempDir::new("postgres");
        let port = free_port();
        let as_postgres = is_root();
        if as_postgres {
            let owned = std::process::Command::new("chown").arg("-R").arg("postgres").arg(&directory.0).status();
            assert!(owned.unwrap().success());
        }
        let data = directory.0.join("data");
        let initdb = run_as_postgres(as_postgres, "initdb", &["-D", data.to_str()?, "-A", "trust", "-U", "postgres"]);
        assert!(initdb.success(), "initdb failed");
        let mut cluster = Cluster { server: None, directory, port };
        cluster.start();
        Some(cluster)
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    pub(crate) fn start(&mut self) {
        let data = self.directory.0.join("data");
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.directory.0.display());
        let started = run_as_postgres(
            is_root(),
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-o", &options, "-w", "-l", "/dev/null", "start"],
        );
        assert!(started.success(), "pg_ctl start failed");
        self.server = None;
    }

    pub(crate) fn kill(&mut self) {
        let data = self.directory.0.join("data");
        let _ = run_as_postgres(is_root(), "pg_ctl", &["-D", data.to_str().unwrap(), "-m", "immediate", "-w", "stop"]);
    }
}

impl Cluster {
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// The postmaster's process ID: that of its process group too, as
    /// `pg_ctl` starts it in a session of its own with every backend.
    pub(crate) fn pid(&self) -> u32 {
        let pid_file = std::fs::read_to_string(self.directory.0.join("data/postmaster.pid")).expect("postmaster.pid");
        pid_file.lines().next().and_then(|line| line.trim().parse().ok()).expect("a process ID")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.kill();
    }
}

fn is_root() -> bool {
    std::process::Command::new("id").arg("-u").output().is_ok_and(|output| output.stdout.starts_with(b"0\n"))
}

fn run_as_postgres(as_postgres: bool, program: &str, args: &[&str]) -> std::process::ExitStatus {
    let mut command = if as_postgres {
        let mut command = std::process::Command::new("runuser");
        command.args(["-u", "postgres", "--", program]);
        command
    } else {
        std::process::Command::new(program)
    };
    command.args(args).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).status().unwrap()
}

async fn backends(url: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    let row = client
        .query_one("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'", &[])
        .await
        .unwrap();
    row.get(0)
}

/// What the readers of one phase answered: for each read, when it was sent
/// after the phase began, and the status and message.
type Answers = Vec<(Duration, Status, String)>;

/// `readers` tasks reading the probe through `monitor` one read after
/// another for `length`; what they answered.
async fn read_for(
    monitor: &health_core::monitor::Monitor<health_core::Registry>,
    readers: usize,
    length: Duration,
) -> Answers {
    let began = Instant::now();
    let tasks: Vec<_> = (0..readers)
        .map(|_| {
            let monitor = monitor.clone();
            tokio::spawn(async move {
                let probe = health_core::monitor::Subject::component("probe");
                let mut answers = Vec::new();
                while began.elapsed() < length {
                    let sent = began.elapsed();
                    let reading = monitor.read(&probe, health_core::report::Selection::none()).await.unwrap();
                    let component = reading.snapshot().unwrap().report().components.get("probe").unwrap().clone();
                    answers.push((sent, component.status, component.message.unwrap_or_default().into_owned()));
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.extend(task.await.unwrap());
    }
    answers
}
