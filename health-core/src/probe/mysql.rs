//! MySQL and MariaDB, through a `sqlx::MySqlPool` (feature `mysql` for sqlx
//! 0.9, `mysql-sqlx-0_8` for sqlx 0.8; see [`SqlxPool`]).
//!
//! The default query, `SELECT VERSION()`, is as cheap as `SELECT 1` and
//! tells the server version in the same round trip. The verdicts are those of
//! the [`postgres`](super::postgres) probes: DOWN when no connection can be had
//! or the query fails; DEGRADED when the pool is exhausted, the answer slow or
//! a custom query's mapper says so.
//!
//! ```no_run
//! # #[cfg(feature = "mysql")]
//! # mod demo {
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
//! # }
//! ```

use super::database::{DatabaseDetails, QueryOptions};
use super::ready_made::ready_made_check;
use super::sqlx_pool;
use crate::Outcome;

/// MySQL's queries and version rules, for either `sqlx` major.
#[derive(Debug)]
pub(crate) struct MySql;

impl sqlx_pool::Backend for MySql {
    const DEFAULT_QUERY: &'static str = "SELECT VERSION()";
    const DEFAULT_QUERY_READS_VERSION: bool = true;
    const VERSION_QUERY: Option<&'static str> = Some("SELECT VERSION()");
}

#[cfg(feature = "mysql")]
sqlx_pool::sqlx_pool!(sqlx, MySql, MySql, safe = sqlx_pool::sql_0_9, known = |_| None);
#[cfg(feature = "mysql-sqlx-0_8")]
sqlx_pool::sqlx_pool!(sqlx_0_8, MySql, MySql, safe = sqlx_pool::sql_0_8, known = |_| None);

/// A `sqlx` MySQL pool the probe takes: `sqlx::MySqlPool` of sqlx 0.9
/// (feature `mysql`) or of sqlx 0.8 (feature `mysql-sqlx-0_8`).
///
/// `P::Row`, which validations of [`QueryOptions`] see, is the `MySqlRow` of
/// the pool's sqlx.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sqlx `MySqlPool` the probe takes",
    note = "a `sqlx::MySqlPool` of sqlx 0.9 needs feature `mysql`, one of sqlx 0.8 feature `mysql-sqlx-0_8`; pass the pool itself (`&*pool` for an `Arc`)"
)]
pub trait SqlxPool: sqlx_pool::Pool {}

#[cfg(feature = "mysql")]
impl SqlxPool for sqlx::MySqlPool {}
#[cfg(feature = "mysql-sqlx-0_8")]
impl SqlxPool for sqlx_0_8::MySqlPool {}

/// Probes a `sqlx` pool with the default options.
pub async fn pool<P: SqlxPool>(pool: &P) -> Outcome<DatabaseDetails> {
    pool_with(pool, &QueryOptions::new()).await
}

/// Probes a `sqlx` pool with the given options.
pub async fn pool_with<P: SqlxPool>(pool: &P, options: &QueryOptions<P::Row>) -> Outcome<DatabaseDetails> {
    sqlx_pool::probe(pool, options).await.into_outcome()
}

ready_made_check! {
    /// A [`Check`](crate::Check) probing a `sqlx::MySqlPool`, for a [`Registry`](crate::Registry).
    PoolCheck<P>(P), QueryOptions<P::Row> => DatabaseDetails, pool_with,
    where P: SqlxPool
}
