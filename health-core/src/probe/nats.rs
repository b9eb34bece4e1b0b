//! NATS, through an `async_nats::Client` (feature `nats`).
//!
//! Reads the connection's state, then subscribes to a fresh inbox of its own,
//! publishes one empty message to it and waits for it to come back: a round
//! trip through the server (the client's `flush` only empties its own
//! buffer). Nothing persists: the message goes to no stream and no other
//! subscriber, and the subscription ends with the run. The client's
//! credentials must allow it to publish and subscribe to `_INBOX.>`; where
//! they do not, the server refuses without an answer the probe can wait for,
//! and the run times out. The probe reports:
//!
//! - DOWN when the client is not connected or the message does not come back;
//! - DEGRADED when the round trip is slower than the threshold.
//!
//! ```no_run
//! use health_core::probe::nats::{self, NatsDetails};
//! use health_core::{health_check, Outcome};
//!
//! struct AppState {
//!     nats: async_nats::Client,
//! }
//!
//! #[health_check(timeout = "1s")]
//! async fn messaging(state: &AppState) -> Outcome<NatsDetails> {
//!     nats::client(&state.nats).await
//! }
//! ```

use std::pin::Pin;

use futures_core::Stream;
use schemars::JsonSchema;
use serde::Serialize;

use super::judge::{LatencyOptions, Stopwatch, Verdict, describe, latency_threshold};
use super::ready_made::ready_made_check;
use crate::Outcome;

/// What the NATS probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct NatsDetails {
    /// The client's state: `connected`, `disconnected` or `pending`.
    pub state: String,
    /// The server's version, from its `INFO`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_version: Option<String>,
    /// The server's name, from its `INFO`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_name: Option<String>,
    /// How long the round trip through the server took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtt_ms: Option<f64>,
}

/// How the NATS probe judges what it finds.
#[derive(Debug, Clone, Default)]
pub struct NatsOptions {
    latency: LatencyOptions,
}

latency_threshold!(NatsOptions, "the round trip");

impl NatsOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }
}

/// Probes a client with the default options.
pub async fn client(client: &async_nats::Client) -> Outcome<NatsDetails> {
    client_with(client, &NatsOptions::new()).await
}

/// Probes a client with the given options.
pub async fn client_with(client: &async_nats::Client, options: &NatsOptions) -> Outcome<NatsDetails> {
    let state = client.connection_state();
    let info = client.try_server_info();
    let mut details = NatsDetails {
        state: state.to_string(),
        server_version: info.as_ref().map(|info| info.version.clone()).filter(|version| !version.is_empty()),
        server_name: info.map(|info| info.server_name).filter(|name| !name.is_empty()),
        rtt_ms: None,
    };
    if state != async_nats::connection::State::Connected {
        return Verdict::down(format!("the client is {}", details.state)).with(details);
    }
    let stopwatch = Stopwatch::start();
    if let Err(message) = round_trip(client).await {
        return Verdict::down(message).with(details);
    }
    let latency = stopwatch.stop();
    details.rtt_ms = latency.ms();
    options.latency.judge(latency).with(details)
}

/// Sends an empty message to a fresh inbox and waits for it; dropping the
/// subscription unsubscribes.
async fn round_trip(client: &async_nats::Client) -> Result<(), String> {
    let inbox = client.new_inbox();
    let mut subscriber =
        client.subscribe(inbox.clone()).await.map_err(|error| format!("cannot subscribe: {}", describe(&error)))?;
    client.publish(inbox, Default::default()).await.map_err(|error| format!("cannot publish: {}", describe(&error)))?;
    client.flush().await.map_err(|error| format!("cannot flush: {}", describe(&error)))?;
    match std::future::poll_fn(|cx| Pin::new(&mut subscriber).poll_next(cx)).await {
        Some(_) => Ok(()),
        None => Err("the subscription closed before the message came back".to_owned()),
    }
}

ready_made_check! {
    /// A [`Check`](crate::Check) probing an `async_nats::Client`, for a [`Registry`](crate::Registry).
    ClientCheck(async_nats::Client), NatsOptions => NatsDetails, client_with
}
