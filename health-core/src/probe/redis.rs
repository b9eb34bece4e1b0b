//! Redis, through the `redis` crate's `ConnectionManager` or
//! `MultiplexedConnection` (feature `redis`).
//!
//! Each run sends `ROLE`, which costs what `PING` does: the role, and for a
//! replica the state of its link to the primary. The server's version and
//! mode come from `HELLO` (without arguments, it changes nothing), sent in the
//! same round trip: a [`ConnectionCheck`] remembers them, and asks again at
//! most once a minute or after a failed run; [`connection`] and
//! [`connection_with`], which keep nothing, ask each run (still one round
//! trip). A server older than Redis 6, without `HELLO`, is asked
//! `INFO server` instead. A clustered node is also asked `CLUSTER INFO`. An
//! ACL user not allowed `ROLE` (an `@admin` command) gets `PING` instead, and
//! the details say only the latency. The probe reports:
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

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use redis::Value;
use redis::aio::ConnectionLike;
use schemars::JsonSchema;
use serde::Serialize;

use super::judge::{LatencyOptions, Stopwatch, Verdict, describe, latency_threshold};
use super::ready_made::ready_made_check;
use crate::Outcome;

/// What the Redis probe found; the names are those of `INFO`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct RedisDetails {
    /// `redis_version`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `role`: `master` or `slave`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// `master_link_status` of a replica: `up` when its link to the primary
    /// is connected, else `down`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub master_link_status: Option<String>,
    /// `cluster_state` of a clustered node: `ok` or `fail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster_state: Option<String>,
    /// How long the round trip took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// How long the server's version and mode are trusted before `HELLO` is sent again.
const SERVER_FACTS_FOR: Duration = Duration::from_secs(60);

/// How the Redis probe judges what it finds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RedisOptions {
    latency: LatencyOptions,
}

latency_threshold!(RedisOptions, "the round trip");

/// What a [`ConnectionCheck`] last learned of its server.
#[derive(Debug, Default)]
struct ServerMemory(Mutex<Option<ServerFacts>>);

/// What `HELLO` said, and when.
#[derive(Debug, Clone)]
struct ServerFacts {
    version: Option<String>,
    mode: Option<String>,
    learned_at: Instant,
}

impl RedisOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Probes a connection with the default options; `HELLO` goes with `ROLE`
/// each run (a [`ConnectionCheck`] remembers what it says).
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
    probe(connection, options, &ServerMemory::default()).await
}

/// The probe, with what `memory` knows of the server, which it updates.
async fn probe<C>(connection: &C, options: &RedisOptions, memory: &ServerMemory) -> Outcome<RedisDetails>
where
    C: ConnectionLike + Clone + Send + Sync,
{
    let mut connection = connection.clone();
    let stopwatch = Stopwatch::start();
    let known = memory.known_server();
    let answer = match &known {
        Some(_) => redis::cmd("ROLE").query_async::<Value>(&mut connection).await.map(|role| (None, role)),
        None => hello_and_role(&mut connection).await.map(|(hello, role)| (Some(hello), role)),
    };
    let (hello, role) = match answer {
        Ok(answers) => answers,
        // An ACL user without @admin may not ask ROLE: PING still tells
        // whether the server answers.
        Err(error) if error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoPerm) => {
            return match redis::cmd("PING").query_async::<String>(&mut connection).await {
                Ok(_) => {
                    let latency = stopwatch.stop();
                    let details = RedisDetails { latency_ms: latency.ms(), ..RedisDetails::unreached() };
                    options.latency.judge(latency).with(details)
                }
                Err(error) => Verdict::down(describe(&error)).with(RedisDetails::unreached()),
            };
        }
        Err(error) => {
            memory.forget_server();
            return Verdict::down(describe(&error)).with(RedisDetails::unreached());
        }
    };
    let server = match (known, hello) {
        (Some(known), _) => known,
        (None, hello) => memory.learn_server(hello.unwrap_or(Value::Nil)),
    };
    let mut details = RedisDetails {
        version: server.version,
        role: role_name(&role),
        master_link_status: link_status(&role),
        cluster_state: None,
        latency_ms: None,
    };
    let mut verdict = Verdict::up();
    if server.mode.as_deref() == Some("cluster") {
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
    let latency = stopwatch.stop();
    details.latency_ms = latency.ms();
    if details.role.as_deref() == Some("slave") && details.master_link_status.as_deref() != Some("up") {
        verdict = verdict.or_worse(Verdict::degraded(format!(
            "replica has lost its primary: master_link_status:{}",
            details.master_link_status.as_deref().unwrap_or("unknown")
        )));
    }
    verdict.or_worse(options.latency.judge(latency)).with(details)
}

/// `HELLO` and `ROLE` in one round trip; `INFO server` where `HELLO` is unknown.
async fn hello_and_role<C: ConnectionLike>(connection: &mut C) -> redis::RedisResult<(Value, Value)> {
    match redis::pipe().cmd("HELLO").cmd("ROLE").query_async::<(Value, Value)>(connection).await {
        Err(error) if error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::ResponseError) => {
            let (info, role) =
                redis::pipe().cmd("INFO").arg("server").cmd("ROLE").query_async::<(String, Value)>(connection).await?;
            Ok((info_as_hello(&info), role))
        }
        answer => answer,
    }
}

impl ServerMemory {
    /// The server's version and mode, if learned less than a minute ago.
    fn known_server(&self) -> Option<ServerFacts> {
        let server = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        server.as_ref().filter(|facts| facts.learned_at.elapsed() < SERVER_FACTS_FOR).cloned()
    }

    fn learn_server(&self, hello: Value) -> ServerFacts {
        let facts =
            ServerFacts { version: field(&hello, "version"), mode: field(&hello, "mode"), learned_at: Instant::now() };
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(facts.clone());
        facts
    }

    /// After a failure the server may come back another: ask again.
    fn forget_server(&self) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// A text reply as a string.
fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
        Value::SimpleString(text) => Some(text.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        _ => None,
    }
}

/// A field of `HELLO`'s answer: a map in RESP3, flat key-value pairs in RESP2.
fn field(hello: &Value, name: &str) -> Option<String> {
    match hello {
        Value::Map(pairs) => {
            pairs.iter().find(|(key, _)| text(key).as_deref() == Some(name)).and_then(|(_, value)| text(value))
        }
        Value::Array(items) => items
            .chunks(2)
            .find(|pair| text(&pair[0]).as_deref() == Some(name))
            .and_then(|pair| pair.get(1).and_then(text)),
        _ => None,
    }
}

/// `HELLO`'s fields read from `INFO server`, for servers without `HELLO`.
fn info_as_hello(info: &str) -> Value {
    let pair = |key: &str, name: &str| {
        info_field(info, name).map(|value| (Value::SimpleString(key.to_owned()), Value::SimpleString(value.to_owned())))
    };
    Value::Map([pair("version", "redis_version"), pair("mode", "redis_mode")].into_iter().flatten().collect())
}

/// `master` or `slave` (as `INFO` names them), from `ROLE`'s first element.
fn role_name(role: &Value) -> Option<String> {
    match role {
        Value::Array(items) => items.first().and_then(text),
        _ => None,
    }
}

/// A replica's link: `ROLE` says `connected` when it is up.
fn link_status(role: &Value) -> Option<String> {
    let Value::Array(items) = role else { return None };
    if items.first().and_then(text).as_deref() != Some("slave") {
        return None;
    }
    let state = items.get(3).and_then(text)?;
    Some(if state == "connected" { "up" } else { "down" }.to_owned())
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

ready_made_check! {
    /// A [`Check`](crate::Check) probing a Redis connection, for a [`Registry`](crate::Registry).
    ///
    /// ```no_run
    /// # async fn demo(redis: ::redis::aio::ConnectionManager) -> Result<(), health_core::RegistryError> {
    /// use health_core::probe::redis::ConnectionCheck;
    /// use health_core::Registry;
    ///
    /// let mut registry: Registry = Registry::new();
    /// registry.register("cache", ConnectionCheck::new(redis))?;
    /// # Ok(()) }
    /// ```
    ///
    /// It remembers the server's version and mode between runs, so that a run
    /// costs what `ROLE` costs: the application holds only its connection.
    ConnectionCheck<C>(C) keeps ServerMemory, RedisOptions => RedisDetails, probe,
    where C: ConnectionLike + Clone + Send + Sync
}

#[cfg(test)]
mod tests {
    use super::info_field;

    use redis::Value;

    use super::{field, link_status, role_name};

    fn bulk(text: &str) -> Value {
        Value::BulkString(text.as_bytes().to_vec())
    }

    #[test]
    fn reads_hello_in_both_protocols_and_role_of_a_replica() {
        let resp2 = Value::Array(vec![
            bulk("server"),
            bulk("redis"),
            bulk("version"),
            bulk("7.0.15"),
            bulk("proto"),
            Value::Int(2),
        ]);
        assert_eq!(field(&resp2, "version").as_deref(), Some("7.0.15"));
        let resp3 = Value::Map(vec![(bulk("mode"), bulk("cluster"))]);
        assert_eq!(field(&resp3, "mode").as_deref(), Some("cluster"));
        assert_eq!(field(&resp3, "version"), None);

        let replica =
            Value::Array(vec![bulk("slave"), bulk("127.0.0.1"), Value::Int(6380), bulk("connect"), Value::Int(-1)]);
        assert_eq!(role_name(&replica).as_deref(), Some("slave"));
        assert_eq!(link_status(&replica).as_deref(), Some("down"));
        let linked = Value::Array(vec![bulk("slave"), bulk("h"), Value::Int(1), bulk("connected"), Value::Int(5)]);
        assert_eq!(link_status(&linked).as_deref(), Some("up"));
        let primary = Value::Array(vec![bulk("master"), Value::Int(0), Value::Array(vec![])]);
        assert_eq!(link_status(&primary), None);
    }

    #[test]
    fn reads_info_fields_by_exact_name() {
        let info = "# Server\r\nredis_version:7.0.15\r\nredis_version_extra:x\r\n# Replication\r\nrole:slave\r\nmaster_link_status:down\r\n";
        assert_eq!(info_field(info, "redis_version"), Some("7.0.15"));
        assert_eq!(info_field(info, "role"), Some("slave"));
        assert_eq!(info_field(info, "master_link_status"), Some("down"));
        assert_eq!(info_field(info, "cluster_enabled"), None);
    }
}
