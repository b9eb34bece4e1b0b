//! SQLite, through a `sqlx::SqlitePool` (feature `sqlite`).
//!
//! Runs `SELECT 1` (or a custom query; the library's version is read once per
//! process with `SELECT sqlite_version()`) and, when asked,
//! `PRAGMA quick_check`, which reads the whole database: DOWN when it finds
//! damage. The pool verdicts are those of the other SQL probes.
//!
//! ```no_run
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
//! ```

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::Serialize;
use sqlx::sqlite::SqliteRow;

use super::database::{PoolFigures, QueryOptions};
use super::judge::Verdict;
use super::ready_made::ready_made_check;
use super::sqlx_pool::{self, SqlxBackend};
use crate::{Outcome, Status};

/// The SQLite library's version: one library per process, so read once.
static SQLITE_VERSION: OnceLock<String> = OnceLock::new();

impl SqlxBackend for sqlx::Sqlite {
    const DEFAULT_QUERY: &'static str = "SELECT 1";
    const DEFAULT_QUERY_READS_VERSION: bool = false;
    const VERSION_QUERY: Option<&'static str> = Some("SELECT sqlite_version()");

    fn known_version(_connection: &sqlx::SqliteConnection) -> Option<String> {
        SQLITE_VERSION.get().cloned()
    }

    fn remember_version(version: &str) {
        let _ = SQLITE_VERSION.set(version.to_owned());
    }
}

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

/// How the SQLite probe validates the database.
#[derive(Debug, Clone, Default)]
pub struct SqliteOptions {
    query: QueryOptions<SqliteRow>,
    quick_check: bool,
}

impl SqliteOptions {
    /// The defaults: `SELECT 1`, no integrity check.
    pub fn new() -> Self {
        Self::default()
    }

    /// The query, latency and pool options shared with the other SQL probes.
    #[must_use]
    pub fn query(mut self, query: QueryOptions<SqliteRow>) -> Self {
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
pub async fn pool(pool: &sqlx::SqlitePool) -> Outcome<SqliteDetails> {
    pool_with(pool, &SqliteOptions::new()).await
}

/// Probes a `sqlx` pool with the given options.
pub async fn pool_with(pool: &sqlx::SqlitePool, options: &SqliteOptions) -> Outcome<SqliteDetails> {
    let file = pool.connect_options().get_filename().display().to_string();
    let sqlx_pool::Probed { mut verdict, details } = sqlx_pool::probe(pool, &options.query).await;
    let mut quick_check = None;
    // Only on a connection the probe got: an exhausted pool would make it wait in line.
    if options.quick_check && details.latency_ms.is_some() && verdict.status() != Status::Down {
        let found = match sqlx::query_scalar::<_, String>("PRAGMA quick_check").fetch_one(pool).await {
            Ok(answer) => answer,
            Err(error) => format!("PRAGMA quick_check: {error}"),
        };
        if found != "ok" {
            verdict = verdict.or_worse(Verdict::down(found.clone()));
        }
        quick_check = Some(found);
    }
    verdict.with(SqliteDetails {
        file,
        sqlite_version: details.server_version,
        latency_ms: details.latency_ms,
        pool: details.pool.unwrap_or_else(|| sqlx_pool::figures(pool)),
        quick_check,
    })
}

ready_made_check! {
    /// A [`Check`](crate::Check) probing a `sqlx::SqlitePool`, for a [`Registry`](crate::Registry).
    PoolCheck(sqlx::SqlitePool), SqliteOptions => SqliteDetails, pool_with
}
