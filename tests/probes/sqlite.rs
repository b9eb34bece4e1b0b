//! SQLite through `sqlx`.

use std::time::Duration;

use health_core::Status;
use health_core::probe::sqlite::{PoolCheck, SqliteOptions};

use crate::support::{TempDir, details, report_of, verdict};

/// The tests, against the pools of the crate `$sqlx`: the current major of
/// sqlx (0.9) and the previous one (0.8).
macro_rules! tests_for {
    ($major:ident, $sqlx:ident) => {
        mod $major {
            use super::*;

            async fn pool(path: &std::path::Path, max: u32) -> $sqlx::SqlitePool {
                let options = $sqlx::sqlite::SqliteConnectOptions::new().filename(path).create_if_missing(true);
                $sqlx::sqlite::SqlitePoolOptions::new().max_connections(max).connect_with(options).await.unwrap()
            }

            #[tokio::test]
            async fn a_database_file_is_up_with_its_file_version_and_a_clean_quick_check() {
                let directory = TempDir::new("sqlite");
                let path = directory.0.join("app.db");
                let pool = pool(&path, 2).await;
                $sqlx::query("CREATE TABLE t (x INTEGER)").execute(&pool).await.unwrap();
                let check = PoolCheck::new(pool.clone()).with_options(SqliteOptions::new().quick_check(true));
                let report = report_of(check, Duration::from_secs(2)).await;
                assert_eq!(verdict(&report).0, Status::Up, "{:?}", verdict(&report));
                let details = details(&report);
                assert_eq!(details["file"], path.display().to_string());
                let version: String = $sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&pool).await.unwrap();
                assert_eq!(details["sqlite_version"], version);
                assert_eq!(details["quick_check"], "ok");
                assert_eq!(details["pool"]["max"], 2);
            }

            #[tokio::test]
            async fn a_damaged_file_fails_the_quick_check() {
                let directory = TempDir::new("sqlite-damaged");
                let path = directory.0.join("app.db");
                let setup = pool(&path, 1).await;
                $sqlx::query("CREATE TABLE t (x TEXT)").execute(&setup).await.unwrap();
                $sqlx::query("CREATE INDEX t_x ON t (x)").execute(&setup).await.unwrap();
                for i in 0..2000 {
                    $sqlx::query("INSERT INTO t VALUES (?)")
                        .bind(format!("row {i} {}", "x".repeat(50)))
                        .execute(&setup)
                        .await
                        .unwrap();
                }
                setup.close().await;
                // Overwrite pages in the middle of the file, past the header.
                let mut bytes = std::fs::read(&path).unwrap();
                let middle = bytes.len() / 2;
                bytes[middle..middle + 8192].fill(0xA5);
                std::fs::write(&path, bytes).unwrap();

                let pool = pool(&path, 1).await;
                let check = PoolCheck::new(pool).with_options(SqliteOptions::new().quick_check(true));
                let report = report_of(check, Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Down, "{message}");
                assert!(!message.is_empty() && message != "ok");
            }

            #[tokio::test]
            async fn an_exhausted_pool_is_degraded_and_an_unopenable_file_is_down() {
                let directory = TempDir::new("sqlite-pool");
                let pool = pool(&directory.0.join("app.db"), 1).await;
                let held = pool.acquire().await.unwrap();
                let report = report_of(PoolCheck::new(pool.clone()), Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Degraded);
                assert!(message.contains("pool exhausted"), "{message}");
                drop(held);

                let missing =
                    $sqlx::sqlite::SqliteConnectOptions::new().filename(directory.0.join("no/such/dir/app.db"));
                let pool = $sqlx::sqlite::SqlitePoolOptions::new().connect_lazy_with(missing);
                let report = report_of(PoolCheck::new(pool), Duration::from_secs(2)).await;
                let (status, message) = verdict(&report);
                assert_eq!(status, Status::Down);
                assert!(message.contains("unable to open"), "{message}");
            }
        }
    };
}

tests_for!(current, sqlx);
tests_for!(previous, sqlx_0_8);
