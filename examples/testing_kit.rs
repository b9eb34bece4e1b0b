//! Testing a service's health checks against its real dependencies with the
//! test kit (`health_core::testing`, feature `testing`): a test to copy.
//!
//! The service's checks probe PostgreSQL and Redis. The test puts a
//! `FaultProxy` in front of each, serves the endpoints on a real port, and
//! breaks and mends the network while 64 concurrent readers probe
//! `/health/ready`:
//!
//! - database up: ready 200;
//! - database blackholed: ready 503 within the check's timeout plus one
//!   report (the interval before it begins, and its own run), liveness
//!   still 200;
//! - database back: 200;
//! - Redis 300 ms slower: DEGRADED by the cache's 200 ms latency threshold;
//! - the 64 readers see only those answers.
//!
//! It needs `DATABASE_URL` and `REDIS_URL` and skips, saying so, without
//! them:
//!
//! ```text
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379 \
//!     cargo test --example testing_kit
//! ```

use std::time::Duration;

use health_core::probe::DatabaseDetails;
use health_core::probe::postgres;
use health_core::probe::redis::{self, RedisDetails, RedisOptions};
use health_core::{HealthReport, Outcome, health_check};

/// What the checks use: the service's clients.
pub struct Clients {
    pub database: sqlx::PgPool,
    pub cache: ::redis::aio::ConnectionManager,
}

/// How long a database check may take.
pub const DATABASE_TIMEOUT: Duration = Duration::from_secs(1);

/// PostgreSQL answers a query.
#[health_check(timeout = "1s", critical)]
async fn database(clients: &Clients) -> Outcome<DatabaseDetails> {
    postgres::pool(&clients.database).await
}

/// Redis answers, within 200 ms: slower, it is DEGRADED.
#[health_check(timeout = "1s")]
async fn cache(clients: &Clients) -> Outcome<RedisDetails> {
    redis::connection_with(&clients.cache, &RedisOptions::new().slow_after(Duration::from_millis(200))).await
}

/// The process itself: the only liveness check, so that a lost database
/// never gets the service restarted.
#[health_check(groups(liveness))]
async fn process() {}

#[derive(HealthReport, Default)]
#[health(state = Clients)]
pub struct Health {
    database: DatabaseCheck,
    cache: CacheCheck,
    process: ProcessCheck,
}

fn main() {
    eprintln!("this example is a test: cargo test --example testing_kit");
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use health_core::Status;
    use health_core::http::{HealthService, Visibility};
    use health_core::monitor::Monitor;
    use health_core::testing::{Direction, FaultProxy, HealthClient, Within};

    use super::{Clients, DATABASE_TIMEOUT, Health};

    /// How often the monitor runs every check.
    const REFRESH: Duration = Duration::from_millis(250);

    /// The endpoints, served on an ephemeral port as the service serves them.
    async fn serve(monitor: Monitor<Health>) -> SocketAddr {
        let service = HealthService::builder(monitor).visibility(Visibility::Always).build().unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, service.router()).await });
        address
    }

    /// 64 readers of `/health/ready` until `running` falls; what they saw,
    /// as "code status".
    fn readers(client: &HealthClient, running: &Arc<AtomicBool>) -> Vec<tokio::task::JoinHandle<BTreeSet<String>>> {
        (0..64)
            .map(|_| {
                let (client, running) = (client.clone(), Arc::clone(running));
                tokio::spawn(async move {
                    let mut seen = BTreeSet::new();
                    while running.load(Ordering::Relaxed) {
                        let answer = match client.get("/health/ready").await {
                            Ok(reply) => reply.summary(),
                            Err(error) => format!("no answer: {error}"),
                        };
                        seen.insert(answer);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    seen
                })
            })
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn readiness_follows_the_database_and_latency_degrades_the_cache() {
        let (Ok(database_url), Ok(redis_url)) = (std::env::var("DATABASE_URL"), std::env::var("REDIS_URL")) else {
            // Past the test harness's capture, so that the skip shows in every run.
            let notice =
                "SKIPPED: set DATABASE_URL and REDIS_URL to run this test against a real PostgreSQL and Redis\n";
            let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
            return;
        };
        // Each dependency behind a proxy the test controls.
        let database_proxy = FaultProxy::in_front_of(&database_url).await.unwrap();
        let cache_proxy = FaultProxy::in_front_of(&redis_url).await.unwrap();
        let database = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(DATABASE_TIMEOUT)
            .connect(&database_proxy.url(&database_url))
            .await
            .unwrap();
        let cache = ::redis::aio::ConnectionManager::new(::redis::Client::open(cache_proxy.url(&redis_url)).unwrap())
            .await
            .unwrap();
        let monitor =
            Monitor::builder(Health::default(), Clients { database, cache }).refresh_every(REFRESH).build().unwrap();
        let client = HealthClient::address(serve(monitor.clone()).await).counting(&monitor);
        let running = Arc::new(AtomicBool::new(true));
        let readers = readers(&client, &running);

        // Database up: ready.
        client.wait_for("/health/ready", 200, Status::Up, Within::Reports(2)).await;

        // Database blackholed: not ready within its check's timeout plus one
        // report; alive all along, so that the orchestrator does not restart it.
        database_proxy.blackhole();
        // The check's timeout, plus one report: the interval before it
        // begins, and the report's own run.
        let within = DATABASE_TIMEOUT + REFRESH * 2;
        let down = client.wait_for("/health/ready", 503, Status::Down, Within::Time(within)).await;
        assert_eq!(down.component("database"), Some(Status::Down));
        client.expect("/health/live", 200, Status::Up).await;

        // Database back: ready again.
        database_proxy.restore().unwrap();
        client.wait_for("/health/ready", 200, Status::Up, Within::Time(DATABASE_TIMEOUT * 2 + REFRESH * 2)).await;

        // Redis 300 ms slower: DEGRADED, still ready (the cache is not critical).
        cache_proxy.latency(Direction::ToClient, Duration::from_millis(300));
        let degraded = client.wait_for("/health", 200, Status::Degraded, Within::Time(Duration::from_secs(3))).await;
        assert_eq!(degraded.component("cache"), Some(Status::Degraded));
        let message = degraded.json().unwrap()["components"]["cache"]["message"].clone();
        assert!(message.as_str().unwrap().contains("above the 200 ms threshold"), "{message}");
        client.expect("/health/ready", 200, Status::Degraded).await;
        cache_proxy.restore().unwrap();
        client.wait_for("/health", 200, Status::Up, Within::Time(Duration::from_secs(3))).await;

        // The readers saw only those answers: no error, no other code.
        running.store(false, Ordering::Relaxed);
        let mut seen = BTreeSet::new();
        for reader in readers {
            seen.extend(reader.await.unwrap());
        }
        let allowed: BTreeSet<String> = ["200 UP", "200 DEGRADED", "503 DOWN"].map(String::from).into();
        assert!(seen.is_subset(&allowed), "the readers saw {seen:?}");
        assert!(seen.contains("200 UP") && seen.contains("503 DOWN"), "the readers saw both states: {seen:?}");
        // The clients kept their connections: no leak through the proxies.
        assert!(
            database_proxy.open_connections() <= 2,
            "{} database connections open",
            database_proxy.open_connections()
        );
        assert_eq!(cache_proxy.open_connections(), 1, "one multiplexed Redis connection");
    }
}
