//! SQLite, through a `sqlx::SqlitePool` (feature `sqlite` for sqlx 0.9,
//! `sqlite-sqlx-0_8` for sqlx 0.8; see [`SqlxPool`]).
//!
//! Runs `SELECT 1` (or a custom query; the library's version is read once per
//! process with `SELECT sqlite_version()`) and, when asked,
//! `PRAGMA quick_check`, which reads the whole database: DOWN when it finds
//! damage. The pool verdicts are those of the other SQL probes.
//!
//! ```no_run
//! # #[cfg(feature = "sqlite")]
//! # mod demo {
//! use health_core::probe::sqlite::{self, SqliteDetails, SqliteOptions};
//! use health_core::{health_check, Outcome};
//!
//! struct AppState {
//!     pool: sqlx::SqlitePool,
//! }
//!
//! #[health_check(timeout = "2s", critical)]
//! async fn database(state: &AppState) -> Outcome<SqliteDetails> {
//!     sqlite::pool(&state.pool).await
//! }
//! # }
//! ```

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::Serialize;

use super::database::{PoolFigures, QueryOptions};
use super::judge::Verdict;
use super::ready_made::ready_made_check;
use super::sqlx_pool;
use crate::{Outcome, Status};

/// The SQLite library's version: one library per process, so read once.
static SQLITE_VERSION: OnceLock<String> = OnceLock::new();

/// SQLite's queries and version rules, for either `sqlx` major.
#[derive(Debug)]
pub(crate) struct Sqlite;

impl sqlx_pool::Backend for Sqlite {
    const DEFAULT_QUERY: &'static str = "SELECT 1";
    const DEFAULT_QUERY_READS_VERSION: bool = false;
    const VERSION_QUERY: Option<&'static str> = Some("SELECT sqlite_version()");

    fn remember_version(version: &str) {
        let _ = SQLITE_VERSION.set(version.to_owned());
    }
}

/// A `sqlx` SQLite pool the probe takes: `sqlx::SqlitePool` of sqlx 0.9
/// (feature `sqlite`) or of sqlx 0.8 (feature `sqlite-sqlx-0_8`).
///
/// `P::Row`, which validations of [`QueryOptions`] see, is the `SqliteRow` of
/// the pool's sqlx.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sqlx `SqlitePool` the probe takes",
    note = "a `sqlx::SqlitePool` of sqlx 0.9 needs feature `sqlite`, one of sqlx 0.8 feature `sqlite-sqlx-0_8`; pass the pool itself (`&*pool` for an `Arc`)"
)]
pub trait SqlxPool: sqlx_pool::Pool + sealed::File {}

mod sealed {
    use std::future::Future;

    /// What the SQLite probe asks of a pool beyond the others.
    pub trait File {
        /// The database file, as the pool's options name it.
        fn file(&self) -> String;
        /// The first line of `PRAGMA quick_check`, or why it failed.
        fn quick_check(&self) -> impl Future<Output = String> + Send;
    }
}

/// Implements the SQLite pool traits for the `SqlitePool` of one `sqlx` major.
macro_rules! sqlite_pool {
    ($sqlx:ident, $safe:path) => {
        sqlx_pool::sqlx_pool!($sqlx, Sqlite, Sqlite, safe = $safe, known = |_| SQLITE_VERSION.get().cloned());

        impl SqlxPool for $sqlx::SqlitePool {}

        impl sealed::File for $sqlx::SqlitePool {
            fn file(&self) -> String {
                self.connect_options().get_filename().display().to_string()
            }

            async fn quick_check(&self) -> String {
                match $sqlx::query_scalar::<_, String>("PRAGMA quick_check").fetch_one(self).await {
                    Ok(answer) => answer,
                    Err(error) => format!("PRAGMA quick_check: {error}"),
                }
            }
        }
    };
}

#[cfg(feature = "sqlite")]
sqlite_pool!(sqlx, sqlx_pool::sql_0_9);
#[cfg(feature = "sqlite-sqlx-0_8")]
sqlite_pool!(sqlx_0_8, sqlx_pool::sql_0_8);

/// What the SQLite probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct SqliteDetails {
    /// The database file, as the pool's options name it (`sqlx` names an
    /// in-memory database `file:sqlx-in-memory-…`).
    pub file: String,
    /// The SQLite library's version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqlite_version: Option<String>,
    /// How long the validation query took, connection acquisition included
    /// (`quick_check` not included).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The pool's figures: as the probe found them when it could not query; once
    /// it queried, as they are with its own connection back in the pool.
    pub pool: PoolFigures,
    /// The first line of `PRAGMA quick_check` (`ok` when sound), when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quick_check: Option<String>,
}

/// How the SQLite probe validates the database; `Row` is the `SqliteRow`
/// of the pool's `sqlx`.
pub struct SqliteOptions<Row> {
    query: QueryOptions<Row>,
    quick_check: bool,
}

// By hand: rows need be neither `Clone` nor `Debug`.
impl<Row> Clone for SqliteOptions<Row> {
    fn clone(&self) -> Self {
        SqliteOptions { query: self.query.clone(), quick_check: self.quick_check }
    }
}

impl<Row> std::fmt::Debug for SqliteOptions<Row> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteOptions").field("query", &self.query).field("quick_check", &self.quick_check).finish()
    }
}

impl<Row> Default for SqliteOptions<Row> {
    fn default() -> Self {
        SqliteOptions { query: QueryOptions::default(), quick_check: false }
    }
}

impl<Row> SqliteOptions<Row> {
    /// The defaults: `SELECT 1`, no integrity check.
    pub fn new() -> Self {
        Self::default()
    }

    /// The query, latency and pool options shared with the other SQL probes.
    #[must_use]
    pub fn query(mut self, query: QueryOptions<Row>) -> Self {
        self.query = query;
        self
    }

    /// Also runs `PRAGMA quick_check`, DOWN unless it answers `ok`. It reads
    /// every page, so its cost grows with the database: give the check a
    /// timeout and a cache to match.
    #[must_use]
    pub fn quick_check(mut self, enabled: bool) -> Self {
        self.quick_check = enabled;
        self
    }
}

/// Probes a `sqlx` pool with the default options.
pub async fn pool<P: SqlxPool>(pool: &P) -> Outcome<SqliteDetails> {
    pool_with(pool, &SqliteOptions::new()).await
}

/// Probes a `sqlx` pool with the given options.
pub async fn pool_with<P: SqlxPool>(pool: &P, options: &SqliteOptions<P::Row>) -> Outcome<SqliteDetails> {
    let file = pool.file();
    let sqlx_pool::Probed { mut verdict, details } = sqlx_pool::probe(pool, &options.query).await;
    let mut quick_check = None;
    // Only on a connection the probe got: an exhausted pool would make it wait in line.
    if options.quick_check && details.latency_ms.is_some() && verdict.status() != Status::Down {
        let found = pool.quick_check().await;
        if found != "ok" {
            verdict = verdict.or_worse(Verdict::down(found.clone()));
        }
        quick_check = Some(found);
    }
    verdict.with(SqliteDetails {
        file,
        sqlite_version: details.server_version,
        latency_ms: details.latency_ms,
        pool: details.pool.unwrap_or_else(|| pool.figures()),
        quick_check,
    })
}

ready_made_check! {
    /// A [`Check`](crate::Check) probing a `sqlx::SqlitePool`, for a [`Registry`](crate::Registry).
    PoolCheck<P>(P), SqliteOptions<P::Row> => SqliteDetails, pool_with,
    where P: SqlxPool
}
