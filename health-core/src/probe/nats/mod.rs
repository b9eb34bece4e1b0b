//! NATS, through an `async_nats::Client` (feature `nats` for `async-nats`
//! 0.52, `nats-0_50` for 0.50; see [`NatsClient`]): the connection, and a
//! JetStream consumer's pending messages ([`consumer`]).
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
//! # #[cfg(feature = "nats")]
//! # mod demo {
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
//! # }
//! ```

use std::pin::Pin;

use futures_core::Stream;
use schemars::JsonSchema;
use serde::Serialize;

use super::judge::{LatencyOptions, Stopwatch, Verdict, describe, latency_threshold};
use super::ready_made::ready_made_check;
use crate::Outcome;

mod consumer;

pub use consumer::{ConsumerCheck, ConsumerDetails, ConsumerOptions, consumer, consumer_with};

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

/// A NATS client the probe takes: `async_nats::Client` of `async-nats` 0.52
/// (feature `nats`) or of 0.50 (feature `nats-0_50`), so that an application
/// on either keeps its client as it is.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an `async_nats::Client` the probe takes",
    note = "a client of async-nats 0.52 needs feature `nats`, one of 0.50 feature `nats-0_50`; pass the client itself (`&*client` for an `Arc`)"
)]
pub trait NatsClient: sealed::Client {}

mod sealed {
    use std::future::Future;

    /// What the probe asks of a client, whichever its crate's version.
    pub trait Client: Send + Sync {
        /// The connection's state, as the client names it, and whether it is connected.
        fn state(&self) -> (String, bool);
        /// The server's version and name, from its `INFO`.
        fn server(&self) -> (Option<String>, Option<String>);
        /// Sends an empty message to a fresh inbox and waits for it.
        fn round_trip(&self) -> impl Future<Output = Result<(), String>> + Send;
        /// Sends `payload` to `subject` and waits for the answer's payload.
        fn request(
            &self,
            subject: String,
            payload: &'static [u8],
        ) -> impl Future<Output = Result<Vec<u8>, String>> + Send;
    }
}

/// The probe's view of the `Client` of one `async-nats` crate.
macro_rules! nats_client {
    ($nats:ident) => {
        impl NatsClient for $nats::Client {}

        impl sealed::Client for $nats::Client {
            fn state(&self) -> (String, bool) {
                let state = self.connection_state();
                (state.to_string(), state == $nats::connection::State::Connected)
            }

            fn server(&self) -> (Option<String>, Option<String>) {
                let info = self.try_server_info();
                let version = info.as_ref().map(|info| info.version.clone()).filter(|version| !version.is_empty());
                (version, info.map(|info| info.server_name).filter(|name| !name.is_empty()))
            }

            // Dropping the subscription unsubscribes.
            async fn round_trip(&self) -> Result<(), String> {
                let inbox = self.new_inbox();
                let mut subscriber = self
                    .subscribe(inbox.clone())
                    .await
                    .map_err(|error| format!("cannot subscribe: {}", describe(&error)))?;
                self.publish(inbox, Default::default())
                    .await
                    .map_err(|error| format!("cannot publish: {}", describe(&error)))?;
                self.flush().await.map_err(|error| format!("cannot flush: {}", describe(&error)))?;
                match std::future::poll_fn(|cx| Pin::new(&mut subscriber).poll_next(cx)).await {
                    Some(_) => Ok(()),
                    None => Err("the subscription closed before the message came back".to_owned()),
                }
            }

            async fn request(&self, subject: String, payload: &'static [u8]) -> Result<Vec<u8>, String> {
                let answer =
                    $nats::Client::request(self, subject, payload.into()).await.map_err(|error| describe(&error))?;
                Ok(answer.payload.to_vec())
            }
        }
    };
}

#[cfg(feature = "nats")]
nats_client!(async_nats);
#[cfg(feature = "nats-0_50")]
nats_client!(async_nats_0_50);

/// Probes a client with the default options.
pub async fn client<C: NatsClient>(client: &C) -> Outcome<NatsDetails> {
    client_with(client, &NatsOptions::new()).await
}

/// Probes a client with the given options.
pub async fn client_with<C: NatsClient>(client: &C, options: &NatsOptions) -> Outcome<NatsDetails> {
    let (state, connected) = client.state();
    let (server_version, server_name) = client.server();
    let mut details = NatsDetails { state, server_version, server_name, rtt_ms: None };
    if !connected {
        return Verdict::down(format!("the client is {}", details.state)).with(details);
    }
    let stopwatch = Stopwatch::start();
    if let Err(message) = client.round_trip().await {
        return Verdict::down(message).with(details);
    }
    let latency = stopwatch.stop();
    details.rtt_ms = latency.ms();
    options.latency.judge(latency).with(details)
}

ready_made_check! {
    /// A [`Check`](crate::Check) probing a NATS client, for a [`Registry`](crate::Registry).
    ClientCheck<C>(C), NatsOptions => NatsDetails, client_with,
    where C: NatsClient
}
