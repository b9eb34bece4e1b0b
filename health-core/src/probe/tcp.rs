//! TCP reachability of a host and port (feature `tcp`), with no client crate.
//!
//! Resolves the name and connects to every address it resolves to, at once,
//! then closes the connections. The probe reports:
//!
//! - DOWN when the name does not resolve or no address accepts;
//! - DEGRADED when some addresses accept and others do not, or the slowest
//!   connection took longer than the threshold.
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

use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::Serialize;
use tokio::task::JoinSet;

use super::judge::{LatencyOptions, Verdict, millis};
use super::ready_made::ready_made_check;
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

/// How the TCP probe judges what it finds: the latency threshold.
pub type TcpOptions = LatencyOptions;

/// Connects to every address of `target` (`host:port`) with the default options.
pub async fn connect(target: &str) -> Outcome<TcpDetails> {
    connect_with(target, &TcpOptions::new()).await
}

/// Connects to every address of `target` (`host:port`) with the given options.
pub async fn connect_with(target: &str, options: &TcpOptions) -> Outcome<TcpDetails> {
    let mut details = TcpDetails { target: target.to_owned(), addresses: Vec::new() };
    let resolved = match tokio::net::lookup_host(target).await {
        Ok(addresses) => addresses.collect::<Vec<_>>(),
        Err(error) => return Verdict::down(format!("cannot resolve {target}: {error}")).with(details),
    };
    if resolved.is_empty() {
        return Verdict::down(format!("{target} resolves to no address")).with(details);
    }
    // Dropping the set (when the check times out) aborts the attempts.
    let mut attempts = JoinSet::new();
    for (index, address) in resolved.iter().copied().enumerate() {
        attempts.spawn(async move {
            let started = Instant::now();
            let result = tokio::net::TcpStream::connect(address).await;
            (index, started.elapsed(), result.map(drop))
        });
    }
    details.addresses = resolved
        .iter()
        .map(|address| AddressDetails { address: address.to_string(), connected: false, latency_ms: None, error: None })
        .collect();
    let mut slowest = Duration::ZERO;
    while let Some(joined) = attempts.join_next().await {
        let Ok((index, latency, result)) = joined else { continue };
        let entry = &mut details.addresses[index];
        match result {
            Ok(()) => {
                entry.connected = true;
                entry.latency_ms = Some(millis(latency));
                slowest = slowest.max(latency);
            }
            Err(error) => entry.error = Some(error.to_string()),
        }
    }
    let failed: Vec<&AddressDetails> = details.addresses.iter().filter(|entry| !entry.connected).collect();
    let verdict = match failed.first() {
        None => options.judge(slowest),
        Some(first) => {
            let reason = format!("{}: {}", first.address, first.error.as_deref().unwrap_or("no answer"));
            if failed.len() == details.addresses.len() {
                Verdict::down(format!("no address of {target} accepts: {reason}"))
            } else {
                Verdict::degraded(format!(
                    "{} of {} addresses of {target} refuse: {reason}",
                    failed.len(),
                    details.addresses.len()
                ))
            }
        }
    };
    verdict.with(details)
}

ready_made_check! {
    /// A [`Check`](crate::Check) connecting to a `host:port`, for a [`Registry`](crate::Registry).
    ///
    /// ```
    /// use health_core::probe::tcp::TcpCheck;
    /// use health_core::Registry;
    ///
    /// let mut registry: Registry = Registry::new();
    /// registry.register("ledger", TcpCheck::new("ledger.internal:7000")).unwrap();
    /// # let _ = registry;
    /// ```
    TcpCheck(String), TcpOptions => TcpDetails, connect_with
}
