//! MySQL and MariaDB, through a `sqlx::MySqlPool` (feature `mysql`).
//!
//! The default query, `SELECT VERSION()`, is as cheap as `SELECT 1` and
//! tells the server version in the same round trip. The verdicts are those of
//! the [`postgres`](super::postgres) probes: DOWN when no connection can be had
//! or the query fails; DEGRADED when the pool is exhausted, the answer slow or
//! a custom query's mapper says so.
//!
//! ```no_run
//! use health_core::probe::{mysql, DatabaseDetails};
//! use health_core::{health_check, Outcome};
//!
//! struct AppState {
//!     pool: sqlx::MySqlPool,
//! }
//!
//! #[health_check(timeout = "2s", critical)]
//! async fn database(state: &AppState) -> Outcome<DatabaseDetails> {
//!     mysql::pool(&state.pool).await
//! }
//! ```

use super::database::{DatabaseDetails, QueryOptions};
use super::ready_made::ready_made_check;
use super::sqlx_pool::{self, SqlxBackend};
use crate::Outcome;

impl SqlxBackend for sqlx::MySql {
    const DEFAULT_QUERY: &'static str = "SELECT VERSION()";
    const DEFAULT_QUERY_READS_VERSION: bool = true;
    const VERSION_QUERY: Option<&'static str> = Some("SELECT VERSION()");
}

/// Probes a `sqlx` pool with the default options.
pub async fn pool(pool: &sqlx::MySqlPool) -> Outcome<DatabaseDetails> {
    pool_with(pool, &QueryOptions::new()).await
}

/// Probes a `sqlx` pool with the given options.
pub async fn pool_with(
    pool: &sqlx::MySqlPool,
    options: &QueryOptions<sqlx::mysql::MySqlRow>,
) -> Outcome<DatabaseDetails> {
    sqlx_pool::probe(pool, options).await.into_outcome()
}

ready_made_check! {
    /// A [`Check`](crate::Check) probing a `sqlx::MySqlPool`, for a [`Registry`](crate::Registry).
    PoolCheck(sqlx::MySqlPool), QueryOptions<sqlx::mysql::MySqlRow> => DatabaseDetails, pool_with
}
