//! Migrations applied, against the real PostgreSQL and MySQL (each test in a
//! database of its own, created and dropped here) and a SQLite file: all
//! applied, one pending, a checksum changed, a failed one, one the
//! application does not know, and a database never migrated, which the probe
//! leaves without a migrations table.

use std::path::Path;
use std::time::Duration;

use health_core::Status;
use health_core::monitor::Monitor;
use health_core::probe::migrations::{self, MigrationOptions, MigrationsCheck};
use sqlx::migrate::Migrator;

use crate::support::{TempDir, free_port, read_concurrently, registry_of, url};

/// Writes migration files to `directory`, and the migrator of them.
async fn migrator(directory: &Path, files: &[(&str, &str)]) -> Migrator {
    let _ = std::fs::remove_dir_all(directory);
    std::fs::create_dir_all(directory).unwrap();
    for (name, sql) in files {
        std::fs::write(directory.join(name), sql).unwrap();
    }
    Migrator::new(directory.to_path_buf()).await.unwrap()
}

const FIRST: (&str, &str) = ("1_create_orders.sql", "CREATE TABLE orders (id INTEGER PRIMARY KEY);");
const SECOND: (&str, &str) = ("2_add_total.sql", "ALTER TABLE orders ADD COLUMN total INTEGER;");
const THIRD: (&str, &str) = ("3_create_refunds.sql", "CREATE TABLE refunds (id INTEGER PRIMARY KEY);");

/// A URL like `url` for the database `name` on the same server.
fn with_database(url: &str, name: &str) -> String {
    let (server, query) = url.split_once('?').map_or((url, None), |(server, query)| (server, Some(query)));
    let base = server.rsplit_once('/').map_or(server, |(base, _)| base);
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Every scenario, on pools of one database kind, made by `$fresh`.
macro_rules! scenarios {
    ($kind:ident, $pool:ty, $fresh:expr) => {
        mod $kind {
            use super::*;

            async fn status(pool: &$pool, migrator: &Migrator) -> (Status, String, serde_json::Value) {
                let outcome = migrations::applied(pool, migrator).await;
                let details = serde_json::to_value(outcome.details()).unwrap();
                (outcome.status(), outcome.message().unwrap_or_default().to_owned(), details)
            }

            #[tokio::test]
            async fn each_way_a_schema_can_differ_from_the_build() {
                let Some((pool, _database)) = $fresh.await else { return };
                let files = TempDir::new(concat!("migrations-", stringify!($kind)));
                let directory = files.0.join("migrations");

                // Never migrated: DOWN, and the probe created no table.
                let two = migrator(&directory, &[FIRST, SECOND]).await;
                let (never, message, _) = status(&pool, &two).await;
                assert_eq!(never, Status::Down);
                assert!(message.starts_with("cannot read the applied migrations from _sqlx_migrations"), "{message}");
                let (again, _, _) = status(&pool, &two).await;
                assert_eq!(again, Status::Down, "the probe must not create the table");

                // All applied: UP with the latest version.
                two.run(&pool).await.unwrap();
                let (up, message, details) = status(&pool, &two).await;
                assert_eq!(up, Status::Up, "{message}");
                assert_eq!(details["latest_applied"], 2);
                assert_eq!(details["latest_known"], 2);
                assert_eq!(details["applied"], 2);

                // A newer build with a migration not yet applied: DOWN naming it.
                let three = migrator(&directory, &[FIRST, SECOND, THIRD]).await;
                let (pending, message, details) = status(&pool, &three).await;
                assert_eq!(pending, Status::Down);
                assert_eq!(message, "1 pending: 3 create refunds");
                assert_eq!(details["pending"], serde_json::json!([{ "version": 3, "description": "create refunds" }]));

                // An older build against the newer schema: DEGRADED, UP if it ignores missing ones.
                three.run(&pool).await.unwrap();
                let mut older = migrator(&directory, &[FIRST, SECOND]).await;
                let (ahead, message, details) = status(&pool, &older).await;
                assert_eq!(ahead, Status::Degraded);
                assert_eq!(message, "the database applied migrations this build does not know: 3");
                assert_eq!(details["unknown"], serde_json::json!([3]));
                older.set_ignore_missing(true);
                assert_eq!(status(&pool, &older).await.0, Status::Up);

                // A migration file changed after it ran: DOWN.
                let edited = migrator(
                    &directory,
                    &[FIRST, ("2_add_total.sql", "ALTER TABLE orders ADD COLUMN total BIGINT;"), THIRD],
                )
                .await;
                let (changed, message, _) = status(&pool, &edited).await;
                assert_eq!(changed, Status::Down);
                assert_eq!(message, "applied migrations changed since they ran: 2 add total");

                // A migration that failed part-way: DOWN.
                sqlx::query("UPDATE _sqlx_migrations SET success = false WHERE version = 3")
                    .execute(&pool)
                    .await
                    .unwrap();
                let (dirty, message, details) = status(&pool, &three).await;
                assert_eq!(dirty, Status::Down);
                assert_eq!(message, "migration 3 failed part-way: the schema is dirty");
                assert_eq!(details["dirty"], 3);

                // A migrator with a table of its own: the probe reads that one.
                let ledger = ("1_create_ledger.sql", "CREATE TABLE ledger (id INTEGER PRIMARY KEY);");
                let mut own = migrator(&files.0.join("own"), &[ledger]).await;
                own.dangerous_set_table_name("health_probe_own_migrations");
                assert_eq!(status(&pool, &own).await.0, Status::Down, "not applied to its own table yet");
                own.run(&pool).await.unwrap();
                let (up, message, _) = status(&pool, &own).await;
                assert_eq!(up, Status::Up, "{message}");

                // Another table name: read where the options say.
                let other = migrations::applied_with(&pool, &three, &MigrationOptions::new().table("no_such_table")).await;
                assert_eq!(other.status(), Status::Down);
                assert!(other.message().unwrap().contains("no_such_table"), "{:?}", other.message());
            }

            #[tokio::test]
            async fn sixty_four_concurrent_reads_answer_as_one() {
                let Some((pool, _database)) = $fresh.await else { return };
                let files = TempDir::new(concat!("migrations-concurrent-", stringify!($kind)));
                let directory = files.0.join("migrations");
                migrator(&directory, &[FIRST]).await.run(&pool).await.unwrap();
                // A pending migration, for a static migrator, as `sqlx::migrate!()` gives.
                let migrator: &'static Migrator = Box::leak(Box::new(migrator(&directory, &[FIRST, SECOND]).await));
                let check = MigrationsCheck::new(pool.clone(), migrator);
                let monitor = Monitor::new(registry_of(check, Duration::from_secs(5)), ());
                for answer in read_concurrently(&monitor).await {
                    assert_eq!(answer, (Status::Down, "1 pending: 2 add total".to_owned()));
                }
            }
        }
    };
}

/// A database created for one test on the server `variable` names, dropped
/// when the test ends.
struct Scratch {
    url: String,
    name: String,
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let (url, name) = (self.url.clone(), self.name.clone());
        // Dropped in a test's runtime: drop the database from a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                if url.starts_with("mysql") {
                    if let Ok(pool) = sqlx::MySqlPool::connect(&url).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                            .execute(&pool)
                            .await;
                    }
                } else if let Ok(pool) = sqlx::PgPool::connect(&url).await {
                    let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                        .execute(&pool)
                        .await;
                }
            })
        })
        .join();
    }
}

fn scratch_name() -> String {
    format!("health_migrations_{}_{}", std::process::id(), free_port())
}

async fn fresh_postgres() -> Option<(sqlx::PgPool, Scratch)> {
    let url = url("DATABASE_URL")?;
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let name = scratch_name();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.unwrap();
    let pool = sqlx::PgPool::connect(&with_database(&url, &name)).await.unwrap();
    Some((pool, Scratch { url, name }))
}

async fn fresh_mysql() -> Option<(sqlx::MySqlPool, Scratch)> {
    let url = url("MYSQL_URL")?;
    let admin = sqlx::MySqlPool::connect(&url).await.unwrap();
    let name = scratch_name();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&admin).await.unwrap();
    let pool = sqlx::MySqlPool::connect(&with_database(&url, &name)).await.unwrap();
    Some((pool, Scratch { url, name }))
}

async fn fresh_sqlite() -> Option<(sqlx::SqlitePool, TempDir)> {
    let directory = TempDir::new("migrations-sqlite-db");
    let options =
        sqlx::sqlite::SqliteConnectOptions::new().filename(directory.0.join("app.db")).create_if_missing(true);
    Some((sqlx::SqlitePool::connect_with(options).await.unwrap(), directory))
}

scenarios!(postgres, sqlx::PgPool, fresh_postgres());
scenarios!(mysql, sqlx::MySqlPool, fresh_mysql());
scenarios!(sqlite, sqlx::SqlitePool, fresh_sqlite());
