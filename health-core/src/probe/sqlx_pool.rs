//! The probe of any `sqlx` pool, of either supported major of `sqlx`:
//! PostgreSQL, MySQL and SQLite differ only in their default query and where
//! the server version comes from, and the two majors only in how a query is
//! written. The probe is written once against [`Pool`]; [`sqlx_pool!`]
//! implements it for each database of each major.

use std::borrow::Cow;
use std::future::Future;

use super::database::{DatabaseDetails, PoolFigures, QueryOptions, reached, unreached};
use super::judge::{Stopwatch, Verdict};
use crate::Outcome;

/// What a probe of a pool saw, before it becomes an outcome.
#[derive(Debug)]
pub(crate) struct Probed {
    pub(crate) verdict: Verdict,
    pub(crate) details: DatabaseDetails,
}

impl Probed {
    pub(crate) fn into_outcome(self) -> Outcome<DatabaseDetails> {
        self.verdict.with(self.details)
    }
}

/// What differs between the databases `sqlx` talks to, whichever the major.
pub(crate) trait Backend {
    /// The query run when the options name none: trivial, and where that
    /// costs nothing more, the one asking for the server version.
    const DEFAULT_QUERY: &'static str;

    /// Whether the default query's first column is the server version.
    const DEFAULT_QUERY_READS_VERSION: bool;

    /// The query that reads the version where the connection does not know
    /// it and the query run did not read it.
    const VERSION_QUERY: Option<&'static str>;

    /// Keeps a version read by [`VERSION_QUERY`](Self::VERSION_QUERY), where
    /// it cannot change.
    fn remember_version(_version: &str) {}
}

/// A `sqlx` pool as the probe uses it: public, so that each database's
/// public pool trait can require it, in a private module, so that only the
/// pools implemented here have it.
pub trait Pool: Send + Sync {
    /// A row of the database's answers, as validations see them.
    type Row: Send;
    /// A connection taken from the pool.
    #[doc(hidden)]
    type Connection: Send;

    /// [`Backend::DEFAULT_QUERY`] of the pool's database.
    #[doc(hidden)]
    const DEFAULT_QUERY: &'static str;
    /// [`Backend::DEFAULT_QUERY_READS_VERSION`] of the pool's database.
    #[doc(hidden)]
    const DEFAULT_QUERY_READS_VERSION: bool;
    /// [`Backend::VERSION_QUERY`] of the pool's database.
    #[doc(hidden)]
    const VERSION_QUERY: Option<&'static str>;

    /// [`Backend::remember_version`] of the pool's database.
    #[doc(hidden)]
    fn remember_version(version: &str);

    /// The pool's figures now.
    #[doc(hidden)]
    fn figures(&self) -> PoolFigures;

    /// Takes a connection from the pool.
    #[doc(hidden)]
    fn acquire(&self) -> impl Future<Output = Result<Self::Connection, String>> + Send;

    /// Opens one connection beside the pool, with its options, and closes it.
    #[doc(hidden)]
    fn connect_aside(&self) -> impl Future<Output = Result<(), String>> + Send;

    /// Runs `sql` on `connection`.
    #[doc(hidden)]
    fn fetch_all(
        connection: &mut Self::Connection,
        sql: Cow<'static, str>,
    ) -> impl Future<Output = Result<Vec<Self::Row>, String>> + Send;

    /// The first column of the first row, as text.
    #[doc(hidden)]
    fn first_text(rows: &[Self::Row]) -> Option<String>;

    /// The one text `sql` answers on `connection`.
    #[doc(hidden)]
    fn fetch_text(connection: &mut Self::Connection, sql: &'static str) -> impl Future<Output = Option<String>> + Send;

    /// The server version, where it is known without a query.
    #[doc(hidden)]
    fn known_version(connection: &Self::Connection) -> Option<String>;
}

/// Implements [`Pool`] for `$sqlx::Pool<$sqlx::$database>`: `$sqlx` is the
/// crate of one major, `$safe` turns a query's text into what its `query`
/// takes, `$known` reads the server version off a connection where it can.
macro_rules! sqlx_pool {
    ($sqlx:ident, $database:ident, $backend:ty, safe = $safe:path, known = $known:expr) => {
        impl $crate::probe::sqlx_pool::Pool for $sqlx::Pool<$sqlx::$database> {
            type Row = <$sqlx::$database as $sqlx::Database>::Row;
            type Connection = $sqlx::pool::PoolConnection<$sqlx::$database>;

            const DEFAULT_QUERY: &'static str = <$backend as $crate::probe::sqlx_pool::Backend>::DEFAULT_QUERY;
            const DEFAULT_QUERY_READS_VERSION: bool =
                <$backend as $crate::probe::sqlx_pool::Backend>::DEFAULT_QUERY_READS_VERSION;
            const VERSION_QUERY: Option<&'static str> = <$backend as $crate::probe::sqlx_pool::Backend>::VERSION_QUERY;

            fn remember_version(version: &str) {
                <$backend as $crate::probe::sqlx_pool::Backend>::remember_version(version)
            }

            fn figures(&self) -> $crate::probe::PoolFigures {
                $crate::probe::PoolFigures {
                    size: self.size(),
                    idle: u32::try_from(self.num_idle()).unwrap_or(u32::MAX),
                    max: self.options().get_max_connections(),
                    waiting: None,
                }
            }

            async fn acquire(&self) -> Result<Self::Connection, String> {
                $sqlx::Pool::acquire(self).await.map_err(|error| $crate::probe::judge::describe(&error))
            }

            async fn connect_aside(&self) -> Result<(), String> {
                use $sqlx::{ConnectOptions as _, Connection as _};
                let connection =
                    self.connect_options().connect().await.map_err(|error| $crate::probe::judge::describe(&error))?;
                // Closing politely is best effort: the verdict is known.
                let _ = connection.close().await;
                Ok(())
            }

            async fn fetch_all(
                connection: &mut Self::Connection,
                sql: ::std::borrow::Cow<'static, str>,
            ) -> Result<Vec<Self::Row>, String> {
                $sqlx::query($safe(&sql))
                    .fetch_all(&mut **connection)
                    .await
                    .map_err(|error| format!("{sql}: {}", $crate::probe::judge::describe(&error)))
            }

            fn first_text(rows: &[Self::Row]) -> Option<String> {
                use $sqlx::Row as _;
                rows.first().and_then(|row| row.try_get::<String, _>(0).ok())
            }

            async fn fetch_text(connection: &mut Self::Connection, sql: &'static str) -> Option<String> {
                $sqlx::query_scalar::<_, String>(sql).fetch_one(&mut **connection).await.ok()
            }

            fn known_version(connection: &Self::Connection) -> Option<String> {
                let known: fn(&<$sqlx::$database as $sqlx::Database>::Connection) -> Option<String> = $known;
                known(connection)
            }
        }
    };
}

pub(crate) use sqlx_pool;

/// A query's text as sqlx 0.9 takes it: the application wrote it, as it
/// wrote its own queries. A `'static` text (the default query, most custom
/// ones) is passed on without a copy: each run would otherwise allocate one.
#[cfg(any(feature = "postgres", feature = "mysql", feature = "sqlite"))]
#[allow(clippy::ptr_arg, reason = "a borrowed `'static` Cow clones without copying its text; a `&str` could not")]
pub(crate) fn sql_0_9(sql: &Cow<'static, str>) -> sqlx::AssertSqlSafe<Cow<'static, str>> {
    sqlx::AssertSqlSafe(sql.clone())
}

/// A query's text as sqlx 0.8 takes it.
#[cfg(any(feature = "postgres-sqlx-0_8", feature = "mysql-sqlx-0_8", feature = "sqlite-sqlx-0_8"))]
#[allow(clippy::ptr_arg, reason = "the same argument as `sql_0_9`, which the query macro passes to either")]
pub(crate) fn sql_0_8<'a>(sql: &'a Cow<'static, str>) -> &'a str {
    sql
}

/// The verdict on a pool that looks exhausted: `exhausted` (DEGRADED) while
/// its server takes a new connection, DOWN when it does not. A pool whose
/// server is gone looks exhausted too, its connections stuck in queries or
/// on their way to being closed; `sqlx` does not tell how its own attempts
/// to connect fare, so one connection is opened beside the pool, with its
/// options, and closed at once. The check's timeout bounds it.
async fn exhausted_unless_unreachable<P: Pool>(pool: &P, exhausted: Verdict) -> Verdict {
    match pool.connect_aside().await {
        Ok(()) => exhausted,
        Err(error) => Verdict::down(format!("connection pool exhausted, and a new connection fails: {error}")),
    }
}

/// Takes a connection from `pool`, runs the validation query on it and
/// returns the connection to the pool.
pub(crate) async fn probe<P: Pool>(pool: &P, options: &QueryOptions<P::Row>) -> Probed {
    let figures = pool.figures();
    let stopwatch = Stopwatch::start();
    let acquired = match options.gives_up_on(&figures) {
        // Connections go back to the pool on a task of their own, after a
        // ping: one may be on its way back. Only none within the grace
        // confirms the figures.
        Some(exhausted) => match tokio::time::timeout(options.exhausted_grace_period(), pool.acquire()).await {
            Ok(acquired) => acquired,
            Err(_) => {
                let verdict = exhausted_unless_unreachable(pool, exhausted).await;
                return Probed { verdict, details: unreached(Some(figures)) };
            }
        },
        None => pool.acquire().await,
    };
    let mut connection = match acquired {
        Ok(connection) => connection,
        Err(error) => return Probed { verdict: Verdict::down(error), details: unreached(Some(figures)) },
    };
    let sql = options.query_text().cloned().unwrap_or(Cow::Borrowed(P::DEFAULT_QUERY));
    let rows = match P::fetch_all(&mut connection, sql).await {
        Ok(rows) => rows,
        Err(error) => return Probed { verdict: Verdict::down(error), details: unreached(Some(figures)) },
    };
    let latency = stopwatch.stop();
    let version = match (P::known_version(&connection), P::VERSION_QUERY) {
        (Some(version), _) => Some(version),
        (None, _) if P::DEFAULT_QUERY_READS_VERSION && options.custom_query().is_none() => P::first_text(&rows),
        (None, Some(query)) => {
            let version = P::fetch_text(&mut connection, query).await;
            if let Some(version) = &version {
                P::remember_version(version);
            }
            version
        }
        (None, None) => None,
    };
    // Counted while the connection is still out: it goes back on its own.
    let shown = pool.figures().with_own_returned();
    Probed { verdict: options.judge(&rows, latency), details: reached(version, latency, Some(shown)) }
}
