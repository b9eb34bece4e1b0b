//! What the SQL probes share: their details, pool figures and options.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;

use super::judge::{Latency, LatencyOptions, Verdict, latency_threshold};

/// What a SQL probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct DatabaseDetails {
    /// The server's version, as it reports it (`SELECT version()` and the like).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// How long the validation query took, connection acquisition included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// The pool's figures, where the client is a pool.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool: Option<PoolFigures>,
}

/// A connection pool's figures: as the probe found them when it could not
/// query; once it queried, as they are with its own connection back in the
/// pool (a pool that opens connections lazily shows the one just opened).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct PoolFigures {
    /// Connections open, idle or in use.
    pub size: u32,
    /// Open connections nobody holds.
    pub idle: u32,
    /// The most connections the pool opens.
    pub max: u32,
    /// Tasks waiting for a connection, where the pool tells.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<u32>,
}

impl PoolFigures {
    /// These figures, taken while the probe holds a connection, with that
    /// connection back among the idle ones.
    pub(crate) fn with_own_returned(self) -> Self {
        PoolFigures { idle: self.idle.saturating_add(1).min(self.size), ..self }
    }

    /// Every connection is open and in use, and, where the pool tells, tasks
    /// are queued for one.
    pub(crate) fn exhausted(&self) -> bool {
        self.idle == 0 && self.size >= self.max && self.waiting.is_none_or(|waiting| waiting > 0)
    }

    /// The verdict on an exhausted pool, when the options ask for one.
    pub(crate) fn verdict(&self) -> Verdict {
        let waiting = match self.waiting {
            Some(waiting) => format!(", {waiting} waiting"),
            None => String::new(),
        };
        Verdict::degraded(format!("connection pool exhausted: all {} connections in use, none idle{waiting}", self.max))
    }
}

/// Decides the status from the rows of a custom validation query.
type RowMapper<Row> = Arc<dyn Fn(&[Row]) -> Verdict + Send + Sync>;

/// How a SQL probe validates the database, with the row type of its client.
///
/// By default it runs a trivial query (`SELECT 1` on PostgreSQL through
/// `sqlx`, whose connection knows the server version, and on SQLite, whose
/// library version is read once; `SHOW server_version_num` through
/// `tokio-postgres`; `SELECT VERSION()` on MySQL), reports
/// DEGRADED when the answer takes more than [`DEFAULT_SLOW_AFTER`](super::DEFAULT_SLOW_AFTER) or the pool
/// is exhausted, and DOWN when the query fails.
///
/// ```
/// # #[cfg(feature = "postgres")] {
/// use health_core::probe::{QueryOptions, Verdict};
/// use sqlx::Row;
///
/// let options = QueryOptions::new()
///     .query("SELECT count(*) FROM pg_stat_replication", |rows: &[sqlx::postgres::PgRow]| {
///         match rows.first().map(|row| row.get::<i64, _>(0)) {
///             Some(0) => Verdict::degraded("no replica is streaming"),
///             Some(_) => Verdict::up(),
///             None => Verdict::down("no answer"),
///         }
///     })
///     .slow_after(std::time::Duration::from_millis(200));
/// assert_eq!(options.custom_query(), Some("SELECT count(*) FROM pg_stat_replication"));
/// # }
/// ```
pub struct QueryOptions<Row> {
    query: Option<CustomQuery<Row>>,
    latency: LatencyOptions,
    degrade_when_exhausted: bool,
    exhausted_grace: Duration,
}

latency_threshold!(QueryOptions<R>, "the query");

/// How long a probe waits for a connection from a pool that looks exhausted.
const EXHAUSTED_GRACE: Duration = Duration::from_millis(20);

struct CustomQuery<Row> {
    sql: Cow<'static, str>,
    mapper: RowMapper<Row>,
}

impl<Row> QueryOptions<Row> {
    /// The defaults.
    pub fn new() -> Self {
        QueryOptions {
            query: None,
            latency: LatencyOptions::new(),
            degrade_when_exhausted: true,
            exhausted_grace: EXHAUSTED_GRACE,
        }
    }

    /// Runs `sql` instead of the default query, and lets `mapper` judge its
    /// rows. A failing query is DOWN whatever the mapper says. The query must
    /// have no side effects: the probe runs it on every check.
    #[must_use]
    pub fn query(
        mut self,
        sql: impl Into<Cow<'static, str>>,
        mapper: impl Fn(&[Row]) -> Verdict + Send + Sync + 'static,
    ) -> Self {
        self.query = Some(CustomQuery { sql: sql.into(), mapper: Arc::new(mapper) });
        self
    }

    /// Whether an exhausted pool is DEGRADED without waiting in line for a
    /// connection (default `true`). With `false`, the probe waits in line.
    ///
    /// A deadpool pool is exhausted when no connection is idle, all are open
    /// and tasks wait for one. A `sqlx` pool does not tell its waiters: it is
    /// exhausted when no connection is idle, all are open and none comes free
    /// within the [grace](Self::exhausted_grace).
    ///
    /// A pool whose server is gone looks exhausted too: its connections are
    /// stuck in queries, or on their way to being closed. So an exhausted
    /// pool is DEGRADED only while its server takes a new connection: the
    /// probe then opens one beside the pool, with the pool's own options,
    /// and closes it at once; if it fails, the pool is DOWN.
    #[must_use]
    pub fn degrade_when_exhausted(mut self, degrade: bool) -> Self {
        self.degrade_when_exhausted = degrade;
        self
    }

    /// How long a probe waits for a connection from a `sqlx` pool that looks
    /// exhausted before it reports DEGRADED (default 20 ms): a connection an
    /// application just dropped goes back to the pool only after a ping.
    #[must_use]
    pub fn exhausted_grace(mut self, grace: Duration) -> Self {
        self.exhausted_grace = grace;
        self
    }

    /// The wait for a connection from a pool that looks exhausted.
    pub fn exhausted_grace_period(&self) -> Duration {
        self.exhausted_grace
    }

    /// The custom query, if any.
    pub fn custom_query(&self) -> Option<&str> {
        self.query.as_ref().map(|query| &*query.sql)
    }

    /// The custom query as given: a `'static` text is passed on without a copy.
    #[cfg(feature = "__sqlx")]
    pub(crate) fn query_text(&self) -> Option<&Cow<'static, str>> {
        self.query.as_ref().map(|query| &query.sql)
    }

    /// Whether the options ask to skip the query because the pool is exhausted.
    pub(crate) fn gives_up_on(&self, figures: &PoolFigures) -> Option<Verdict> {
        (self.degrade_when_exhausted && figures.exhausted()).then(|| figures.verdict())
    }

    /// The verdict on everything the probe saw.
    pub(crate) fn judge(&self, rows: &[Row], latency: Latency) -> Verdict {
        let rows = self.query.as_ref().map_or_else(Verdict::up, |query| (query.mapper)(rows));
        rows.or_worse(self.latency.judge(latency))
    }
}

impl<Row> Default for QueryOptions<Row> {
    fn default() -> Self {
        Self::new()
    }
}

impl<Row> Clone for QueryOptions<Row> {
    fn clone(&self) -> Self {
        QueryOptions {
            query: self
                .query
                .as_ref()
                .map(|query| CustomQuery { sql: query.sql.clone(), mapper: query.mapper.clone() }),
            latency: self.latency,
            degrade_when_exhausted: self.degrade_when_exhausted,
            exhausted_grace: self.exhausted_grace,
        }
    }
}

impl<Row> fmt::Debug for QueryOptions<Row> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueryOptions")
            .field("query", &self.custom_query())
            .field("slow_after", &self.latency.slow_threshold())
            .field("degrade_when_exhausted", &self.degrade_when_exhausted)
            .field("exhausted_grace", &self.exhausted_grace)
            .finish()
    }
}

/// Details of a probe that reached the server.
pub(crate) fn reached(server_version: Option<String>, latency: Latency, pool: Option<PoolFigures>) -> DatabaseDetails {
    DatabaseDetails { server_version, latency_ms: latency.ms(), pool }
}

/// Details of a probe that did not get an answer.
pub(crate) fn unreached(pool: Option<PoolFigures>) -> DatabaseDetails {
    DatabaseDetails { server_version: None, latency_ms: None, pool }
}

/// PostgreSQL's `server_version_num` (`150019`) as its release (`15.19`).
#[cfg(any(feature = "__sqlx-postgres", feature = "tokio-postgres"))]
pub(crate) fn postgres_release(version_num: u32) -> String {
    // Since 10 the number is major * 10000 + minor; before, three parts.
    if version_num >= 100_000 {
        format!("{}.{}", version_num / 10_000, version_num % 10_000)
    } else {
        format!("{}.{}.{}", version_num / 10_000, version_num / 100 % 100, version_num % 100)
    }
}

#[cfg(all(test, any(feature = "__sqlx-postgres", feature = "tokio-postgres")))]
mod tests {
    use super::postgres_release;

    #[test]
    fn server_version_num_reads_as_the_release() {
        assert_eq!(postgres_release(150_019), "15.19");
        assert_eq!(postgres_release(170_000), "17.0");
        assert_eq!(postgres_release(90_624), "9.6.24");
    }
}
