//! Each database probe and the Redis probe, in a report, against the same
//! query issued directly on the same pool or connection: what the probe adds
//! to the round trip. Run with `cargo bench --bench probes`, with
//! `DATABASE_URL`, `MYSQL_URL` and `REDIS_URL` set; a dependency whose URL is
//! missing is skipped, and says so.

use std::hint::black_box;

use std::time::Instant;

use health_core::probe::redis::{ConnectionCheck, RedisDetails};
use health_core::probe::sqlite::SqliteDetails;
use health_core::probe::{self, DatabaseDetails};
use health_core::{HealthReport, Outcome, Status, health_check};
use tokio::runtime::Runtime;

struct Clients {
    postgres: Option<sqlx::PgPool>,
    tokio_postgres: Option<tokio_postgres::Client>,
    deadpool: Option<deadpool_postgres::Pool>,
    mysql: Option<sqlx::MySqlPool>,
    sqlite: sqlx::SqlitePool,
    redis: Option<redis::aio::ConnectionManager>,
    /// Kept from run to run, as the probe's documentation asks.
    /// The ready-made check, which remembers the server's version between runs.
    redis_check: Option<ConnectionCheck<redis::aio::ConnectionManager>>,
}

#[health_check(timeout = "2s")]
async fn postgres(clients: &Clients) -> Outcome<DatabaseDetails> {
    probe::postgres::pool(clients.postgres.as_ref().unwrap()).await
}

#[health_check(timeout = "2s")]
async fn tokio_postgres(clients: &Clients) -> Outcome<DatabaseDetails> {
    probe::postgres::client(clients.tokio_postgres.as_ref().unwrap()).await
}

#[health_check(timeout = "2s")]
async fn deadpool(clients: &Clients) -> Outcome<DatabaseDetails> {
    probe::postgres::deadpool(clients.deadpool.as_ref().unwrap()).await
}

#[health_check(timeout = "2s")]
async fn mysql(clients: &Clients) -> Outcome<DatabaseDetails> {
    probe::mysql::pool(clients.mysql.as_ref().unwrap()).await
}

#[health_check(timeout = "2s")]
async fn sqlite(clients: &Clients) -> Outcome<SqliteDetails> {
    probe::sqlite::pool(&clients.sqlite).await
}

#[health_check(timeout = "2s")]
async fn cache(clients: &Clients) -> Outcome<RedisDetails> {
    health_core::Check::run(clients.redis_check.as_ref().unwrap(), &()).await
}

macro_rules! one_check_reports {
    ($($report:ident: $check:ident),*) => {$(
        #[derive(HealthReport, Default)]
        #[health(state = Clients)]
        struct $report {
            probe: $check,
        }
    )*};
}

one_check_reports!(
    PostgresReport: PostgresCheck,
    TokioPostgresReport: TokioPostgresCheck,
    DeadpoolReport: DeadpoolCheck,
    MysqlReport: MysqlCheck,
    SqliteReport: SqliteCheck,
    RedisReport: CacheCheck
);

fn url(variable: &str) -> Option<String> {
    let url = std::env::var(variable).ok().filter(|url| !url.is_empty());
    if url.is_none() {
        eprintln!("SKIPPED: {variable} is not set; its probe is not measured");
    }
    url
}

fn connect(runtime: &Runtime) -> Clients {
    runtime.block_on(async {
        let postgres_url = url("DATABASE_URL");
        let postgres = match &postgres_url {
            Some(url) => Some(sqlx::postgres::PgPoolOptions::new().max_connections(2).connect(url).await.unwrap()),
            None => None,
        };
        let tokio_postgres = match &postgres_url {
            Some(url) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
                tokio::spawn(connection);
                Some(client)
            }
            None => None,
        };
        let deadpool = postgres_url.as_ref().map(|url| {
            let manager = deadpool_postgres::Manager::new(url.parse().unwrap(), tokio_postgres::NoTls);
            deadpool_postgres::Pool::builder(manager).max_size(2).build().unwrap()
        });
        let mysql = match url("MYSQL_URL") {
            Some(url) => Some(sqlx::mysql::MySqlPoolOptions::new().max_connections(2).connect(&url).await.unwrap()),
            None => None,
        };
        let sqlite =
            sqlx::sqlite::SqlitePoolOptions::new().max_connections(2).connect("sqlite::memory:").await.unwrap();
        let redis = match url("REDIS_URL") {
            Some(url) => Some(redis::aio::ConnectionManager::new(redis::Client::open(url).unwrap()).await.unwrap()),
            None => None,
        };
        let redis_check = redis.clone().map(ConnectionCheck::new);
        Clients { postgres, tokio_postgres, deadpool, mysql, sqlite, redis, redis_check }
    })
}

/// Rounds of interleaved batches (`PROBE_BENCH_ROUNDS` overrides): each round
/// times a batch of direct queries and a batch of probe reports back to back,
/// in alternating order, so both see the same machine.
const ROUNDS: usize = 101;
const BATCH: usize = 60;

fn rounds() -> usize {
    std::env::var("PROBE_BENCH_ROUNDS").ok().and_then(|rounds| rounds.parse().ok()).unwrap_or(ROUNDS)
}

/// The median of `values`.
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Times `direct` and `probe` in interleaved batches; prints the median time
/// of each per operation and the median of the per-round ratios.
fn compare<D, P>(runtime: &Runtime, name: &str, mut direct: D, mut probe: P)
where
    D: AsyncFnMut(),
    P: AsyncFnMut(),
{
    let (mut direct_times, mut probe_times, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    runtime.block_on(async {
        for _ in 0..BATCH {
            direct().await;
            probe().await;
        }
        for round in 0..rounds() {
            // Which batch goes first alternates, so that neither gains from its place.
            let (mut direct_time, mut probe_time) = (0.0, 0.0);
            for turn in 0..2 {
                let started = Instant::now();
                if (round + turn) % 2 == 0 {
                    for _ in 0..BATCH {
                        direct().await;
                    }
                    direct_time = started.elapsed().as_secs_f64() / BATCH as f64;
                } else {
                    for _ in 0..BATCH {
                        probe().await;
                    }
                    probe_time = started.elapsed().as_secs_f64() / BATCH as f64;
                }
            }
            direct_times.push(direct_time * 1e6);
            probe_times.push(probe_time * 1e6);
            ratios.push(probe_time / direct_time);
        }
    });
    println!(
        "{name:<26} direct {:>8.1} µs   probe report {:>8.1} µs   ratio {:.3}",
        median(direct_times),
        median(probe_times),
        median(ratios)
    );
}

fn main() {
    // `cargo test --benches` runs benchmarks once as tests: nothing to measure then.
    if std::env::args().any(|argument| argument == "--test") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let clients = connect(&runtime);
    let clients = &clients;
    println!("{} rounds of {BATCH} direct queries and {BATCH} probe reports, interleaved; medians", rounds());

    macro_rules! pair {
        ($name:literal, $client:expr, $report:ident, |$direct:ident| $query:expr) => {
            if let Some($direct) = $client {
                let report = $report::default();
                assert_eq!(runtime.block_on(report.report(clients)).status, Status::Up);
                compare(
                    &runtime,
                    $name,
                    async || {
                        black_box($query);
                    },
                    async || {
                        assert_eq!(black_box(report.report(clients).await).status, Status::Up);
                    },
                );
            }
        };
    }

    pair!("postgres (sqlx)", clients.postgres.as_ref(), PostgresReport, |pool| {
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(pool).await.unwrap()
    });
    pair!("postgres (tokio-postgres)", clients.tokio_postgres.as_ref(), TokioPostgresReport, |client| {
        client.simple_query("SELECT 1").await.unwrap()
    });
    pair!("postgres (deadpool)", clients.deadpool.as_ref(), DeadpoolReport, |pool| {
        pool.get().await.unwrap().simple_query("SELECT 1").await.unwrap()
    });
    pair!("mysql (sqlx)", clients.mysql.as_ref(), MysqlReport, |pool| {
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(pool).await.unwrap()
    });
    pair!("sqlite (sqlx)", Some(&clients.sqlite), SqliteReport, |pool| {
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(pool).await.unwrap()
    });
    pair!("redis", clients.redis.as_ref(), RedisReport, |manager| {
        let mut connection = manager.clone();
        redis::cmd("PING").query_async::<String>(&mut connection).await.unwrap()
    });
}
