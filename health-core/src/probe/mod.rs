//! Built-in probes for the dependencies services have.
//!
//! Each probe is an `async fn` that takes the pool or client the application
//! already holds and returns an [`Outcome`](crate::Outcome) with typed details,
//! so a check is two lines:
//!
//! ```no_run
//! # #[cfg(feature = "postgres")]
//! # mod demo {
//! # use health_core::{health_check, Outcome};
//! # use health_core::probe::DatabaseDetails;
//! # struct AppState { pool: sqlx::PgPool }
//! #[health_check(timeout = "2s", critical)]
//! async fn database(state: &AppState) -> Outcome<DatabaseDetails> {
//!     health_core::probe::postgres::pool(&state.pool).await
//! }
//! # }
//! ```
//!
//! Each probe module also has a ready-made [`Check`](crate::Check) type that
//! holds the client and its options, for a [`Registry`](crate::Registry).
//!
//! Every probe:
//! - uses the application's own pool or client, so it neither churns nor
//!   leaks connections (the TCP probe, which has no client to borrow from,
//!   opens and closes one per address);
//! - has no side effects: it writes nothing that persists and creates no queue
//!   or topic (the NATS probe's round trip is one empty message to an inbox of
//!   its own);
//! - is bounded by the check's timeout: it is plain async code, dropped when
//!   the time is up. What could block a thread (`statvfs`, a name lookup)
//!   runs on Tokio's blocking pool, one call at a time per path or name:
//!   concurrent runs share the call under way and its answer, so a hung
//!   mount or resolver holds one thread, not one per run, and never fails a
//!   run for being concurrent;
//! - reports the client's own error message, with its sources, which the
//!   report redacts;
//! - reports DEGRADED, with a message, where the dependency is impaired rather
//!   than gone (a slow answer, an exhausted pool, a disk almost full, a blocked
//!   broker connection, a replica without its primary), at thresholds set
//!   through its options.
//!
//! | module | feature | client |
//! |---|---|---|
//! | `postgres` | `postgres` (sqlx 0.9) or `postgres-sqlx-0_8`, `tokio-postgres`, `deadpool-postgres` | `sqlx::PgPool`, `tokio_postgres::Client`, `deadpool_postgres::Pool` |
//! | `mysql` | `mysql` (sqlx 0.9) or `mysql-sqlx-0_8` | `sqlx::MySqlPool` |
//! | `sqlite` | `sqlite` (sqlx 0.9) or `sqlite-sqlx-0_8` | `sqlx::SqlitePool` |
//! | `redis` | `redis` | `redis::aio::ConnectionManager`, `MultiplexedConnection` |
//! | `rabbitmq` | `rabbitmq` | `lapin::Connection` |
//! | `nats` | `nats` (async-nats 0.52) or `nats-0_50` | `async_nats::Client` |
//! | `http_upstream` | `http-upstream` | `reqwest::Client` |
//! | `tcp` | `tcp` | none |
//! | `disk` | `disk` | none |
//! | `heartbeat` | `heartbeat` | a `Pulse` the job holds |
//! | `process` | `process` | none: the process's own memory and descriptors |
//! | `runtime` | `runtime` | the `Handle` of the Tokio runtime to watch |
//! | `migrations` | `migrations` | `sqlx::Pool` and its `Migrator` (sqlx 0.9) |

// Each probe uses part of the shared helpers: with some probe features off,
// the rest goes unused. With all of them on, as CI builds, nothing may.
#![cfg_attr(
    not(all(
        feature = "postgres",
        feature = "tokio-postgres",
        feature = "deadpool-postgres",
        feature = "mysql",
        feature = "sqlite",
        feature = "postgres-sqlx-0_8",
        feature = "mysql-sqlx-0_8",
        feature = "sqlite-sqlx-0_8",
        feature = "redis",
        feature = "rabbitmq",
        feature = "nats",
        feature = "nats-0_50",
        feature = "http-upstream",
        feature = "tcp",
        feature = "disk",
        feature = "migrations",
        feature = "heartbeat",
        feature = "process",
        feature = "runtime"
    )),
    allow(dead_code, unused_macros, unused_imports)
)]

mod judge;
mod ready_made;
#[cfg(any(feature = "disk", feature = "tcp"))]
mod shared_call;

pub use judge::{DEFAULT_SLOW_AFTER, LatencyOptions, Verdict};

#[cfg(any(feature = "__sqlx", feature = "tokio-postgres"))]
mod database;
#[cfg(any(feature = "__sqlx", feature = "tokio-postgres"))]
pub use database::{DatabaseDetails, PoolFigures, QueryOptions};
#[cfg(feature = "__sqlx")]
mod sqlx_pool;

#[cfg(feature = "disk")]
pub mod disk;
#[cfg(feature = "heartbeat")]
pub mod heartbeat;
#[cfg(feature = "http-upstream")]
pub mod http_upstream;
#[cfg(feature = "migrations")]
pub mod migrations;
#[cfg(feature = "__sqlx-mysql")]
pub mod mysql;
#[cfg(any(feature = "nats", feature = "nats-0_50"))]
pub mod nats;
#[cfg(any(feature = "__sqlx-postgres", feature = "tokio-postgres"))]
pub mod postgres;
#[cfg(feature = "process")]
pub mod process;
#[cfg(feature = "rabbitmq")]
pub mod rabbitmq;
#[cfg(feature = "redis")]
pub mod redis;
#[cfg(feature = "runtime")]
pub mod runtime;
#[cfg(feature = "__sqlx-sqlite")]
pub mod sqlite;
#[cfg(feature = "tcp")]
pub mod tcp;
