//! TCP reachability of a host and port (feature `tcp`), with no client crate.
//!
//! Resolves the name (one lookup per name at a time, shared by the runs that
//! need it meanwhile, and bounded by the check's timeout: a resolver that
//! does not answer holds one thread, not one per run) and connects to every
//! address it resolves to, at once,
//! each within a connect timeout (default 500 ms, below the check's own so
//! that one silent address cannot hide the others), then closes the
//! connections. It opens connections of its own by design: it has no client to
//! borrow one from. The probe reports:
//!
//! - DOWN when the name does not resolve or no address accepts;
//! - DEGRADED when some addresses accept and others refuse or stay silent, or
//!   the slowest connection took longer than the threshold.
//!
//! ```
//! use health_core::probe::tcp::{self, TcpDetails};
//! use health_core::{health_check, Outcome};
//!
//! #[health_check(timeout = "1s")]
//! async fn ledger() -> Outcome<TcpDetails> {
//!     tcp::connect("ledger.internal:7000").await
//! }
//! ```

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use schemars::JsonSchema;
use serde::Serialize;
use tokio::task::JoinSet;

use super::judge::{Latency, LatencyOptions, Stopwatch, Verdict, latency_threshold};
use super::ready_made::ready_made_check;
use super::shared_call::SharedCalls;
use crate::Outcome;

/// What the TCP probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct TcpDetails {
    /// The `host:port` probed.
    pub target: String,
    /// Each address the name resolved to, in the resolver's order.
    pub addresses: Vec<AddressDetails>,
}

/// One address the TCP probe connected to.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct AddressDetails {
    /// The address, `ip:port`.
    pub address: String,
    /// Whether it accepted the connection.
    pub connected: bool,
    /// How long it took to accept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    /// Why it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// How long each address may take to accept, unless the options say otherwise.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);

/// How the TCP probe connects and judges what it finds.
#[derive(Debug, Clone)]
pub struct TcpOptions {
    latency: LatencyOptions,
    connect_timeout: Duration,
}

latency_threshold!(TcpOptions, "a connection");

impl Default for TcpOptions {
    fn default() -> Self {
        TcpOptions { latency: LatencyOptions::new(), connect_timeout: CONNECT_TIMEOUT }
    }
}

impl TcpOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long each address may take to accept (default 500 ms). Keep it
    /// below the check's timeout.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }
}

/// Connects to every address of `target` (`host:port`) with the default options.
pub async fn connect(target: &str) -> Outcome<TcpDetails> {
    connect_with(target, &TcpOptions::new()).await
}

/// Connects to every address of `target` (`host:port`) with the given options.
pub async fn connect_with(target: &str, options: &TcpOptions) -> Outcome<TcpDetails> {
    let mut details = TcpDetails { target: target.to_owned(), addresses: Vec::new() };
    let resolved = match resolve(target).await {
        Ok(addresses) => addresses,
        Err(error) => return Verdict::down(format!("cannot resolve {target}: {error}")).with(details),
    };
    if resolved.is_empty() {
        return Verdict::down(format!("{target} resolves to no address")).with(details);
    }
    // Dropping the set (when the check times out) aborts the attempts.
    let mut attempts = JoinSet::new();
    let connect_timeout = options.connect_timeout;
    for (index, address) in resolved.iter().copied().enumerate() {
        attempts.spawn(async move {
            let stopwatch = Stopwatch::start();
            let result = match tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(address)).await {
                Ok(connected) => connected.map(drop).map_err(|error| error.to_string()),
                Err(_) => Err(format!("no answer within {} ms", connect_timeout.as_millis())),
            };
            (index, stopwatch.stop(), result)
        });
    }
    details.addresses = resolved
        .iter()
        .map(|address| AddressDetails { address: address.to_string(), connected: false, latency_ms: None, error: None })
        .collect();
    let mut slowest = Latency::default();
    while let Some(joined) = attempts.join_next().await {
        let Ok((index, latency, result)) = joined else { continue };
        let entry = &mut details.addresses[index];
        match result {
            Ok(()) => {
                entry.connected = true;
                entry.latency_ms = latency.ms();
                if latency > slowest {
                    slowest = latency;
                }
            }
            Err(error) => entry.error = Some(error),
        }
    }
    judge(&details, slowest, options).with(details)
}

/// The name lookups under way, by `host:port`.
static LOOKUPS: SharedCalls<String, Vec<SocketAddr>> = SharedCalls::new();

/// The addresses of `target`: itself if it is one, else from the system's
/// resolver, on the blocking pool, sharing the lookup under way.
async fn resolve(target: &str) -> Result<Vec<SocketAddr>, String> {
    if let Ok(address) = target.parse::<SocketAddr>() {
        return Ok(vec![address]);
    }
    let owned = target.to_owned();
    let lookup = move || owned.to_socket_addrs().map(Iterator::collect).map_err(|error| error.to_string());
    LOOKUPS.call(target.to_owned(), lookup).await
}

/// The verdict on the attempts: DOWN when none connected, DEGRADED when some
/// did not or the slowest was slow.
fn judge(details: &TcpDetails, slowest: Latency, options: &TcpOptions) -> Verdict {
    let failed: Vec<&AddressDetails> = details.addresses.iter().filter(|entry| !entry.connected).collect();
    let target = &details.target;
    match failed.first() {
        None => options.latency.judge(slowest),
        Some(first) => {
            let reason = format!("{}: {}", first.address, first.error.as_deref().unwrap_or("no answer"));
            if failed.len() == details.addresses.len() {
                Verdict::down(format!("no address of {target} accepts: {reason}"))
            } else {
                Verdict::degraded(format!(
                    "{} of {} addresses of {target} do not accept: {reason}",
                    failed.len(),
                    details.addresses.len()
                ))
            }
        }
    }
}

ready_made_check! {
    /// A [`Check`](crate::Check) connecting to a `host:port`, for a [`Registry`](crate::Registry).
    ///
    /// ```
    /// use health_core::probe::tcp::ConnectCheck;
    /// use health_core::Registry;
    ///
    /// let mut registry: Registry = Registry::new();
    /// registry.register("ledger", ConnectCheck::new("ledger.internal:7000")).unwrap();
    /// # let _ = registry;
    /// ```
    ConnectCheck(String), TcpOptions => TcpDetails, connect_with
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{AddressDetails, TcpDetails, TcpOptions, judge};
    use crate::Status;

    fn address(address: &str, connected: bool) -> AddressDetails {
        let error = (!connected).then(|| "Connection refused (os error 111)".to_owned());
        AddressDetails { address: address.to_owned(), connected, latency_ms: connected.then_some(0.2), error }
    }

    #[test]
    fn some_addresses_failing_is_degraded_all_down_none_up() {
        let options = TcpOptions::new();
        let mixed = TcpDetails {
            target: "db.internal:5432".to_owned(),
            addresses: vec![address("10.0.0.1:5432", true), address("10.0.0.2:5432", false)],
        };
        let verdict = judge(&mixed, Duration::from_millis(1).into(), &options);
        assert_eq!(verdict.status(), Status::Degraded);
        assert_eq!(
            verdict.message(),
            Some(
                "1 of 2 addresses of db.internal:5432 do not accept: 10.0.0.2:5432: Connection refused (os error 111)"
            )
        );

        let none = TcpDetails { addresses: vec![address("10.0.0.2:5432", false)], ..mixed.clone() };
        assert_eq!(judge(&none, Duration::ZERO.into(), &options).status(), Status::Down);
        let all = TcpDetails { addresses: vec![address("10.0.0.1:5432", true)], ..mixed };
        assert_eq!(judge(&all, Duration::from_millis(1).into(), &options).status(), Status::Up);
        assert_eq!(judge(&all, Duration::from_secs(2).into(), &options).status(), Status::Degraded);
    }
}
