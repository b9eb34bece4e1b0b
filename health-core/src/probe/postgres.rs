//! PostgreSQL, through a `sqlx::PgPool` (feature `postgres` for sqlx 0.9,
//! `postgres-sqlx-0_8` for sqlx 0.8; see `SqlxPool`), a
//! `tokio_postgres::Client` (feature `tokio-postgres`) or a
//! `deadpool_postgres::Pool` (feature `deadpool-postgres`).
//!
//! Each runs the validation query of its [`QueryOptions`] (by default a
//! trivial one) and reports the server version, the latency and, for pools,
//! the pool's figures:
//!
//! - DOWN when no connection can be had or the query fails, with the client's
//!   message;
//! - DEGRADED when the pool is exhausted (no idle connection, all in use, and
//!   for deadpool tasks waiting), when the answer is slower than the
//!   threshold, or when a custom query's mapper says so.
//!
//! ```no_run
//! # #[cfg(feature = "postgres")]
//! # mod demo {
//! use health_core::probe::{postgres, DatabaseDetails};
//! use health_core::{health_check, Outcome};
//!
//! struct AppState {
//!     pool: sqlx::PgPool,
//! }
//!
//! #[health_check(timeout = "2s", critical)]
//! async fn database(state: &AppState) -> Outcome<DatabaseDetails> {
//!     postgres::pool(&state.pool).await
//! }
//! # }
//! ```

#[cfg(feature = "deadpool-postgres")]
use super::database::PoolFigures;
use super::database::{DatabaseDetails, QueryOptions};
#[cfg(feature = "tokio-postgres")]
use super::database::{reached, unreached};
#[cfg(feature = "tokio-postgres")]
use super::judge::{Stopwatch, Verdict, describe};
use super::ready_made::ready_made_check;
#[cfg(feature = "__sqlx-postgres")]
use super::sqlx_pool;
use crate::Outcome;

/// PostgreSQL's queries and version rules, for either `sqlx` major.
#[cfg(feature = "__sqlx-postgres")]
#[derive(Debug)]
pub(crate) struct Postgres;

#[cfg(feature = "__sqlx-postgres")]
impl sqlx_pool::Backend for Postgres {
    // The connection knows the version from the start-up parameters.
    const DEFAULT_QUERY: &'static str = "SELECT 1";
    const DEFAULT_QUERY_READS_VERSION: bool = false;
    const VERSION_QUERY: Option<&'static str> = None;
}

#[cfg(feature = "postgres")]
sqlx_pool::sqlx_pool!(
    sqlx,
    Postgres,
    Postgres,
    safe = sqlx_pool::sql_0_9,
    known = |connection| { connection.server_version_num().map(super::database::postgres_release) }
);
#[cfg(feature = "postgres-sqlx-0_8")]
sqlx_pool::sqlx_pool!(
    sqlx_0_8,
    Postgres,
    Postgres,
    safe = sqlx_pool::sql_0_8,
    known = |connection| { connection.server_version_num().map(super::database::postgres_release) }
);

/// A `sqlx` PostgreSQL pool the probe takes: `sqlx::PgPool` of sqlx 0.9
/// (feature `postgres`) or of sqlx 0.8 (feature `postgres-sqlx-0_8`), so that
/// an application on either keeps its pool as it is.
#[cfg(feature = "__sqlx-postgres")]
///
/// `P::Row`, which validations of [`QueryOptions`] see, is the `PgRow` of
/// the pool's sqlx.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sqlx `PgPool` the probe takes",
    note = "a `sqlx::PgPool` of sqlx 0.9 needs feature `postgres`, one of sqlx 0.8 feature `postgres-sqlx-0_8`; pass the pool itself (`&*pool` for an `Arc`)"
)]
pub trait SqlxPool: sqlx_pool::Pool {}

#[cfg(feature = "postgres")]
impl SqlxPool for sqlx::PgPool {}
#[cfg(feature = "postgres-sqlx-0_8")]
impl SqlxPool for sqlx_0_8::PgPool {}

/// Probes a `sqlx` pool with the default options.
#[cfg(feature = "__sqlx-postgres")]
pub async fn pool<P: SqlxPool>(pool: &P) -> Outcome<DatabaseDetails> {
    pool_with(pool, &QueryOptions::new()).await
}

/// Probes a `sqlx` pool with the given options.
#[cfg(feature = "__sqlx-postgres")]
pub async fn pool_with<P: SqlxPool>(pool: &P, options: &QueryOptions<P::Row>) -> Outcome<DatabaseDetails> {
    sqlx_pool::probe(pool, options).await.into_outcome()
}

#[cfg(feature = "__sqlx-postgres")]
ready_made_check! {
    /// A [`Check`](crate::Check) probing a `sqlx::PgPool`, for a [`Registry`](crate::Registry).
    ///
    /// ```no_run
    /// # #[cfg(feature = "postgres")]
    /// # async fn demo(pool: sqlx::PgPool) -> Result<(), health_core::RegistryError> {
    /// use health_core::probe::postgres::PoolCheck;
    /// use health_core::Registry;
    ///
    /// let mut registry: Registry = Registry::new();
    /// registry.register("database", PoolCheck::new(pool))?;
    /// # Ok(()) }
    /// ```
    PoolCheck<P>(P), QueryOptions<P::Row> => DatabaseDetails, pool_with,
    where P: SqlxPool
}

/// The default query on a `tokio_postgres` client: the version, in one
/// round trip (a simple query, so no statement is prepared). `SHOW` skips the
/// planner, so it costs the server less than `SELECT 1`.
#[cfg(feature = "tokio-postgres")]
const VERSION_QUERY: &str = "SHOW server_version_num";

/// Probes a `tokio_postgres` client with the default options.
#[cfg(feature = "tokio-postgres")]
pub async fn client(client: &tokio_postgres::Client) -> Outcome<DatabaseDetails> {
    client_with(client, &QueryOptions::new()).await
}

/// Probes a `tokio_postgres` client with the given options.
#[cfg(feature = "tokio-postgres")]
pub async fn client_with(
    client: &tokio_postgres::Client,
    options: &QueryOptions<tokio_postgres::Row>,
) -> Outcome<DatabaseDetails> {
    on_client(client, options, None, Stopwatch::start()).await
}

#[cfg(feature = "tokio-postgres")]
async fn on_client(
    client: &tokio_postgres::Client,
    options: &QueryOptions<tokio_postgres::Row>,
    pool: Option<super::PoolFigures>,
    stopwatch: Stopwatch,
) -> Outcome<DatabaseDetails> {
    let (rows, version) = match options.custom_query() {
        None => match client.simple_query(VERSION_QUERY).await {
            Ok(messages) => (Vec::new(), version_of(&messages)),
            Err(error) => return Verdict::down(describe(&error)).with(unreached(pool)),
        },
        // An unnamed statement: nothing is left prepared on the connection
        // if the run is dropped midway.
        Some(sql) => match client.query_typed(sql, &[]).await {
            Ok(rows) => {
                let version = client.simple_query(VERSION_QUERY).await.ok();
                (rows, version.as_deref().and_then(version_of))
            }
            Err(error) => return Verdict::down(format!("{sql}: {}", describe(&error))).with(unreached(pool)),
        },
    };
    let latency = stopwatch.stop();
    options.judge(&rows, latency).with(reached(version, latency, pool))
}

#[cfg(feature = "tokio-postgres")]
fn version_of(messages: &[tokio_postgres::SimpleQueryMessage]) -> Option<String> {
    messages.iter().find_map(|message| match message {
        tokio_postgres::SimpleQueryMessage::Row(row) => {
            row.get(0)?.parse::<u32>().ok().map(super::database::postgres_release)
        }
        _ => None,
    })
}

#[cfg(feature = "tokio-postgres")]
ready_made_check! {
    /// A [`Check`](crate::Check) probing a `tokio_postgres::Client`, for a [`Registry`](crate::Registry).
    ClientCheck(std::sync::Arc<tokio_postgres::Client>), QueryOptions<tokio_postgres::Row> => DatabaseDetails, client_with
}

/// Probes a `deadpool_postgres` pool with the default options.
#[cfg(feature = "deadpool-postgres")]
pub async fn deadpool(pool: &deadpool_postgres::Pool) -> Outcome<DatabaseDetails> {
    deadpool_with(pool, &QueryOptions::new()).await
}

/// Probes a `deadpool_postgres` pool with the given options.
#[cfg(feature = "deadpool-postgres")]
pub async fn deadpool_with(
    pool: &deadpool_postgres::Pool,
    options: &QueryOptions<tokio_postgres::Row>,
) -> Outcome<DatabaseDetails> {
    let figures = deadpool_figures(pool);
    if let Some(exhausted) = options.gives_up_on(&figures) {
        // An exhausted pool is impaired only while its server takes a new
        // connection: a pool whose server is gone looks exhausted too. One
        // connection, made by the pool's own manager, tells which.
        use deadpool::managed::Manager;
        let verdict = match pool.manager().create().await {
            Ok(mut client) => {
                // Not the pool's: the manager forgets it, or keeps its statement cache.
                pool.manager().detach(&mut client);
                exhausted
            }
            Err(error) => {
                Verdict::down(format!("connection pool exhausted, and a new connection fails: {}", describe(&error)))
            }
        };
        return verdict.with(unreached(Some(figures)));
    }
    let stopwatch = Stopwatch::start();
    match pool.get().await {
        Ok(client) => {
            let shown = deadpool_figures(pool).with_own_returned();
            on_client(&client, options, Some(shown), stopwatch).await
        }
        Err(error) => Verdict::down(describe(&error)).with(unreached(Some(figures))),
    }
}

/// A deadpool pool's figures now.
#[cfg(feature = "deadpool-postgres")]
fn deadpool_figures(pool: &deadpool_postgres::Pool) -> PoolFigures {
    let status = pool.status();
    PoolFigures {
        size: u32::try_from(status.size).unwrap_or(u32::MAX),
        idle: u32::try_from(status.available).unwrap_or(u32::MAX),
        max: u32::try_from(status.max_size).unwrap_or(u32::MAX),
        waiting: Some(u32::try_from(status.waiting).unwrap_or(u32::MAX)),
    }
}

#[cfg(feature = "deadpool-postgres")]
ready_made_check! {
    /// A [`Check`](crate::Check) probing a `deadpool_postgres::Pool`, for a [`Registry`](crate::Registry).
    DeadpoolCheck(deadpool_postgres::Pool), QueryOptions<tokio_postgres::Row> => DatabaseDetails, deadpool_with
}
