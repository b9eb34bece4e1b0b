//! Redis, through the `redis` crate's `ConnectionManager` or
//! `MultiplexedConnection` (feature `redis`).
//!
//! One pipelined round trip sends `PING` and `INFO server replication
//! cluster`; a clustered node is also asked `CLUSTER INFO`. The probe reports:
//!
//! - DOWN when Redis does not answer, with the client's message, or when a
//!   clustered node says `cluster_state:fail`;
//! - DEGRADED when a replica has lost its primary (`master_link_status:down`)
//!   or the answer is slower than the threshold.
//!
//! ```no_run
//! use health_core::probe::redis::{self, RedisDetails};
//! use health_core::{health_check, Outcome};
//!
//! struct AppState {
//!     redis: ::redis::aio::ConnectionManager,
//! }
//!
//! #[health_check(timeout = "1s", critical)]
//! async fn cache(state: &AppState) -> Outcome<RedisDetails> {
//!     redis::connection(&state.redis).await
//! }
//! ```

use std::time::{Duration, Instant};

use redis::aio::ConnectionLike;
use schemars::JsonSchema;
use serde::Serialize;

use super::judge::{DEFAULT_SLOW_AFTER, Verdict, describe, millis};
use crate::{Check, Outcome};

/// What the Redis probe found, from `INFO`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct RedisDetails {
    /// `redis_version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `role`: `master` or `slave`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `master_link_status` of a replica: `up` or `down`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_link_status: Option<String>,
    /// `cluster_state` of a clustered node: `ok` or `fail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_state: Option<String>,
    /// How long the round trip took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// How the Redis probe judges what it finds.
#[derive(Debug, Clone)]
pub struct RedisOptions {
    slow_after: Duration,
}

impl Default for RedisOptions {
    fn default() -> Self {
        RedisOptions { slow_after: DEFAULT_SLOW_AFTER }
    }
}

impl RedisOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reports DEGRADED when the round trip takes longer than this (default
    /// [`DEFAULT_SLOW_AFTER`]).
    #[must_use]
    pub fn slow_after(mut self, threshold: Duration) -> Self {
        self.slow_after = threshold;
        self
    }
}

/// Probes a connection with the default options.
pub async fn connection<C>(connection: &C) -> Outcome<RedisDetails>
where
    C: ConnectionLike + Clone + Send + Sync,
{
    connection_with(connection, &RedisOptions::new()).await
}

/// Probes a connection with the given options. Both connection types share
/// one socket between clones, so cloning opens nothing.
pub async fn connection_with<C>(connection: &C, options: &RedisOptions) -> Outcome<RedisDetails>
where
    C: ConnectionLike + Clone + Send + Sync,
{
    let mut connection = connection.clone();
    let started = Instant::now();
    let answer = redis::pipe()
        .cmd("PING")
        .cmd("INFO")
        .arg("server")
        .arg("replication")
        .arg("cluster")
        .query_async::<(String, String)>(&mut connection)
        .await;
    let info = match answer {
        Ok((_pong, info)) => info,
        Err(error) => return Verdict::down(describe(&error)).with(RedisDetails::unreached()),
    };
    let field = |name: &str| info_field(&info, name).map(str::to_owned);
    let mut details = RedisDetails {
        version: field("redis_version"),
        role: field("role"),
        master_link_status: field("master_link_status"),
        cluster_state: None,
        latency_ms: None,
    };
    let mut verdict = Verdict::up();
    if info_field(&info, "cluster_enabled") == Some("1") {
        match redis::cmd("CLUSTER").arg("INFO").query_async::<String>(&mut connection).await {
            Ok(cluster) => {
                details.cluster_state = info_field(&cluster, "cluster_state").map(str::to_owned);
                if details.cluster_state.as_deref() != Some("ok") {
                    verdict = Verdict::down(format!(
                        "cluster_state:{}",
                        details.cluster_state.as_deref().unwrap_or("unknown")
                    ));
                }
            }
            Err(error) => verdict = Verdict::down(format!("CLUSTER INFO: {}", describe(&error))),
        }
    }
    let latency = started.elapsed();
    details.latency_ms = Some(millis(latency));
    if details.role.as_deref() == Some("slave") && details.master_link_status.as_deref() != Some("up") {
        verdict = verdict.or_worse(Verdict::degraded(format!(
            "replica has lost its primary: master_link_status:{}",
            details.master_link_status.as_deref().unwrap_or("unknown")
        )));
    }
    verdict.or_worse(Verdict::of_latency(latency, options.slow_after)).with(details)
}

impl RedisDetails {
    fn unreached() -> Self {
        RedisDetails { version: None, role: None, master_link_status: None, cluster_state: None, latency_ms: None }
    }
}

/// The value of `name` in an `INFO`-style answer of `name:value` lines.
fn info_field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(':')).map(str::trim_end)
}

/// A [`Check`] probing a Redis connection, for a [`Registry`](crate::Registry).
///
/// ```no_run
/// # async fn demo(redis: ::redis::aio::ConnectionManager) -> Result<(), health_core::RegistryError> {
/// use health_core::probe::redis::RedisCheck;
/// use health_core::Registry;
///
/// let mut registry: Registry = Registry::new();
/// registry.register("cache", RedisCheck::new(redis))?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisCheck<C> {
    connection: C,
    options: RedisOptions,
}

impl<C> RedisCheck<C> {
    /// A check with the default options.
    pub fn new(connection: C) -> Self {
        RedisCheck { connection, options: RedisOptions::new() }
    }

    /// Replaces the options.
    #[must_use]
    pub fn with_options(mut self, options: RedisOptions) -> Self {
        self.options = options;
        self
    }
}

impl<C, S> Check<S> for RedisCheck<C>
where
    C: ConnectionLike + Clone + Send + Sync,
    S: ?Sized + Sync,
{
    type Details = RedisDetails;

    fn run(&self, _: &S) -> impl Future<Output = Outcome<RedisDetails>> + Send {
        connection_with(&self.connection, &self.options)
    }
}

#[cfg(test)]
mod tests {
    use super::info_field;

    #[test]
    fn reads_info_fields_by_exact_name() {
        let info = "# Server\r\nredis_version:7.0.15\r\nredis_version_extra:x\r\n# Replication\r\nrole:slave\r\nmaster_link_status:down\r\n";
        assert_eq!(info_field(info, "redis_version"), Some("7.0.15"));
        assert_eq!(info_field(info, "role"), Some("slave"));
        assert_eq!(info_field(info, "master_link_status"), Some("down"));
        assert_eq!(info_field(info, "cluster_enabled"), None);
    }
}
