//! MySQL and MariaDB through `sqlx`.

use std::time::{Duration, Instant};

use health_core::Status;
use health_core::probe::mysql::PoolCheck;
use health_core::probe::{QueryOptions, Verdict};

use health_core::testing::{FaultProxy, SilentServer};

use crate::support::{assert_secret_absent, closed_port, details, report_of, url, verdict};

/// The tests, against the pools of the crate `$sqlx`: the current major of
/// sqlx (0.9) and the previous one (0.8).
macro_rules! tests_for {
    ($major:ident, $sqlx:ident) => {
        mod $major {
            use super::*;

            async fn pool(url: &str, max: u32) -> $sqlx::mysql::MySqlPool {
                $sqlx::mysql::MySqlPoolOptions::new().max_connections(max).connect(url).await.unwrap()
            }

            #[tokio::test]
            async fn a_running_server_is_up_with_its_version_and_reuses_its_connections_over_1000_reports() {
                let Some(url) = url("MYSQL_URL") else { return };
                let pool = pool(&url, 3).await;
                let report = report_of(PoolCheck::new(pool.clone()), Duration::from_secs(2)).await;
                assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
                let details = details(&report);
                let version: String = $sqlx::query_scalar("SELECT VERSION()").fetch_one(&pool).await.unwrap();
                assert_eq!(details["server_version"], version);
                assert_eq!(details["pool"]["max"], 3);

                // Through a relay that counts the connections opened.
                let upstream = url.rsplit('@').next().and_then(|rest| rest.split('/').next()).unwrap().parse().unwrap();
                let relay = FaultProxy::start(upstream).await.unwrap();
                let relayed = self::pool(&relay.url(&url), 3).await;
                let registry = crate::support::registry_of(PoolCheck::new(relayed), health_core::DEFAULT_TIMEOUT);
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
            async fn a_closed_port_and_a_silent_server_are_down_within_the_timeout() {
                let blackhole = SilentServer::start().await.unwrap();
                let timeout = Duration::from_millis(500);
                for address in [format!("127.0.0.1:{}", closed_port()), blackhole.address().to_string()] {
                    let pool = $sqlx::mysql::MySqlPoolOptions::new()
                        .acquire_timeout(timeout / 2)
                        .connect_lazy(&format!("mysql://root@{address}/test"))
                        .unwrap();
                    let started = Instant::now();
                    let report = report_of(PoolCheck::new(pool), timeout).await;
                    let (status, message) = verdict(&report);
                    assert_eq!(status, Status::Down, "{address}");
                    assert!(started.elapsed() < timeout * 3);
                    assert!(message.contains("pool timed out"), "{address}: {message}");
                }
            }

            #[tokio::test]
            async fn wrong_credentials_are_down_and_the_password_is_nowhere() {
                let Some(url) = url("MYSQL_URL") else { return };
                let address = url.rsplit('@').next().and_then(|rest| rest.split('/').next()).unwrap().to_owned();
                let secret = "hunter2-mysql-secret";
                let pool = $sqlx::mysql::MySqlPoolOptions::new()
                    .connect_lazy(&format!("mysql://no_such_user:{secret}@{address}/test"))
                    .unwrap();
                let report = report_of(PoolCheck::new(pool), Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Down);
                assert!(message.contains("Access denied"), "{message}");
                assert_secret_absent(&report, secret);
            }

            #[tokio::test]
            async fn an_exhausted_pool_and_a_slow_answer_are_degraded() {
                let Some(url) = url("MYSQL_URL") else { return };
                let pool = pool(&url, 1).await;
                let held = pool.acquire().await.unwrap();
                let report = report_of(PoolCheck::new(pool.clone()), Duration::from_secs(2)).await;
                assert_eq!(verdict(&report).0, Status::Degraded);
                assert!(verdict(&report).1.contains("pool exhausted"));
                drop(held);

                let slow = QueryOptions::new()
                    .query("SELECT SLEEP(0.2)", |_: &[$sqlx::mysql::MySqlRow]| Verdict::up())
                    .slow_after(Duration::from_millis(100));
                let report = report_of(PoolCheck::new(pool).with_options(slow), Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Degraded);
                assert!(message.contains("above the 100 ms threshold"), "{message}");
                // A custom query reads the version with a query of its own.
                assert!(details(&report)["server_version"].as_str().is_some_and(|v| !v.is_empty()), "{report:?}");
            }
        }
    };
}

tests_for!(current, sqlx);
tests_for!(previous, sqlx_0_8);
