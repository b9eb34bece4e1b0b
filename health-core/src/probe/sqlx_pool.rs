//! The probe of any `sqlx` pool: PostgreSQL, MySQL and SQLite differ only in
//! their default query and where the server version comes from.

use sqlx::{ColumnIndex, Database, Decode, Executor, IntoArguments, Pool, Row, Type};

use super::database::{DatabaseDetails, PoolFigures, QueryOptions, reached, unreached};
use super::judge::{Stopwatch, Verdict, describe};
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

/// What differs between the databases `sqlx` talks to.
pub(crate) trait SqlxBackend: Database {
    /// The query run when the options name none: trivial, and where that
    /// costs nothing more, the one asking for the server version.
    const DEFAULT_QUERY: &'static str;

    /// Whether the default query's first column is the server version.
    const DEFAULT_QUERY_READS_VERSION: bool;

    /// The query that reads the version where the connection does not know
    /// it and the query run did not read it.
    const VERSION_QUERY: Option<&'static str>;

    /// The server version, where it is known without a query.
    fn known_version(_connection: &Self::Connection) -> Option<String> {
        None
    }

    /// Keeps a version read by [`VERSION_QUERY`](Self::VERSION_QUERY), where
    /// it cannot change.
    fn remember_version(_version: &str) {}
}

/// The pool's figures now.
pub(crate) fn figures<DB: Database>(pool: &Pool<DB>) -> PoolFigures {
    PoolFigures {
        size: pool.size(),
        idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
        max: pool.options().get_max_connections(),
        waiting: None,
    }
}

/// The verdict on a pool that looks exhausted: `exhausted` (DEGRADED) while
/// its server takes a new connection, DOWN when it does not. A pool whose
/// server is gone looks exhausted too, its connections stuck in queries or
/// on their way to being closed; `sqlx` does not tell how its own attempts
/// to connect fare, so one connection is opened beside the pool, with its
/// options, and closed at once. The check's timeout bounds it.
async fn exhausted_unless_unreachable<DB: Database>(pool: &Pool<DB>, exhausted: Verdict) -> Verdict {
    use sqlx::{ConnectOptions, Connection};
    match pool.connect_options().connect().await {
        Ok(connection) => {
            // Closing politely is best effort: the verdict is known.
            let _ = connection.close().await;
            exhausted
        }
        Err(error) => {
            Verdict::down(format!("connection pool exhausted, and a new connection fails: {}", describe(&error)))
        }
    }
}

/// Takes a connection from `pool`, runs the validation query on it and
/// returns the connection to the pool.
pub(crate) async fn probe<DB>(pool: &Pool<DB>, options: &QueryOptions<DB::Row>) -> Probed
where
    DB: SqlxBackend,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'r> String: Type<DB> + Decode<'r, DB>,
    usize: ColumnIndex<DB::Row>,
{
    let figures = figures(pool);
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
        Err(error) => return Probed { verdict: Verdict::down(describe(&error)), details: unreached(Some(figures)) },
    };
    let sql = options.custom_query().unwrap_or(DB::DEFAULT_QUERY);
    let rows = match sqlx::query(sql).fetch_all(&mut *connection).await {
        Ok(rows) => rows,
        Err(error) => {
            return Probed {
                verdict: Verdict::down(format!("{sql}: {}", describe(&error))),
                details: unreached(Some(figures)),
            };
        }
    };
    let latency = stopwatch.stop();
    let version = match (DB::known_version(&connection), DB::VERSION_QUERY) {
        (Some(version), _) => Some(version),
        (None, _) if DB::DEFAULT_QUERY_READS_VERSION && options.custom_query().is_none() => {
            rows.first().and_then(|row| row.try_get::<String, _>(0).ok())
        }
        (None, Some(query)) => {
            let version = sqlx::query_scalar::<DB, String>(query).fetch_one(&mut *connection).await.ok();
            if let Some(version) = &version {
                DB::remember_version(version);
            }
            version
        }
        (None, None) => None,
    };
    let shown = self::figures(pool).with_own_returned();
    Probed { verdict: options.judge(&rows, latency), details: reached(version, latency, Some(shown)) }
}
