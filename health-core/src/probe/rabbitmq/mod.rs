//! RabbitMQ, through a `lapin::Connection` (feature `rabbitmq`): the
//! connection, and a queue's depth and consumers ([`queue`]).
//!
//! Reads the connection's state and opens and closes a channel: a round trip
//! that declares nothing and publishes nothing. The probe reports:
//!
//! - DOWN when the connection is not open or the channel cannot be opened,
//!   with the client's message;
//! - DEGRADED when the broker has blocked the connection because of a
//!   resource alarm (memory or disk), or the round trip is slower than the
//!   threshold.
//!
//! ```no_run
//! use health_core::probe::rabbitmq::{self, RabbitMqDetails};
//! use health_core::{health_check, Outcome};
//!
//! struct AppState {
//!     amqp: lapin::Connection,
//! }
//!
//! #[health_check(timeout = "2s")]
//! async fn broker(state: &AppState) -> Outcome<RabbitMqDetails> {
//!     rabbitmq::connection(&state.amqp).await
//! }
//! ```

use schemars::JsonSchema;
use serde::Serialize;

mod queue;

pub use queue::{QueueCheck, QueueDetails, QueueOptions, queue, queue_with};

use super::judge::{LatencyOptions, Stopwatch, Verdict, describe, latency_threshold};
use super::ready_made::ready_made_check;
use crate::Outcome;

/// What the RabbitMQ probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct RabbitMqDetails {
    /// The connection's state: `connected`, `connecting`, `reconnecting`,
    /// `closing`, `closed` or `error`.
    pub state: String,
    /// Whether the broker has blocked the connection because of a resource alarm.
    pub blocked: bool,
    /// The virtual host.
    pub vhost: String,
    /// The most channels the connection may open, as negotiated.
    pub channel_max: u16,
    /// The largest frame, in bytes, as negotiated.
    pub frame_max: u32,
    /// The heartbeat interval in seconds, as negotiated.
    pub heartbeat: u16,
    /// How long opening and closing a channel took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// How the RabbitMQ probe judges what it finds.
#[derive(Debug, Clone, Default)]
pub struct RabbitMqOptions {
    latency: LatencyOptions,
    blocked_is_down: bool,
}

latency_threshold!(RabbitMqOptions, "the round trip");

impl RabbitMqOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a blocked connection is DOWN rather than DEGRADED (the
    /// default): a service that only publishes may prefer DOWN.
    #[must_use]
    pub fn blocked_is_down(mut self, down: bool) -> Self {
        self.blocked_is_down = down;
        self
    }
}

/// Probes a connection with the default options.
pub async fn connection(connection: &lapin::Connection) -> Outcome<RabbitMqDetails> {
    connection_with(connection, &RabbitMqOptions::new()).await
}

/// Probes a connection with the given options.
pub async fn connection_with(connection: &lapin::Connection, options: &RabbitMqOptions) -> Outcome<RabbitMqDetails> {
    let status = connection.status();
    let configuration = connection.configuration();
    let mut details = RabbitMqDetails {
        state: state_name(status).to_owned(),
        blocked: status.blocked(),
        vhost: status.vhost().to_string(),
        channel_max: configuration.channel_max(),
        frame_max: configuration.frame_max(),
        heartbeat: configuration.heartbeat(),
        latency_ms: None,
    };
    if !status.connected() {
        return Verdict::down(format!("the connection is {}", details.state)).with(details);
    }
    // A blocked connection is not read by the broker: a round trip would
    // only wait for the timeout.
    if details.blocked {
        let message = "the broker blocked the connection: a resource alarm is raised";
        let verdict = if options.blocked_is_down { Verdict::down(message) } else { Verdict::degraded(message) };
        return verdict.with(details);
    }
    let stopwatch = Stopwatch::start();
    let channel = match connection.create_channel().await {
        Ok(channel) => channel,
        Err(error) => return Verdict::down(format!("cannot open a channel: {}", describe(&error))).with(details),
    };
    if let Err(error) = channel.close(200, "health check".into()).await {
        return Verdict::down(format!("cannot close a channel: {}", describe(&error))).with(details);
    }
    let latency = stopwatch.stop();
    details.latency_ms = latency.ms();
    options.latency.judge(latency).with(details)
}

fn state_name(status: &lapin::ConnectionStatus) -> &'static str {
    if status.connected() {
        "connected"
    } else if status.reconnecting() {
        "reconnecting"
    } else if status.connecting() {
        "connecting"
    } else if status.closing() {
        "closing"
    } else if status.errored() {
        "error"
    } else {
        "closed"
    }
}

ready_made_check! {
    /// A [`Check`](crate::Check) probing a `lapin::Connection`, for a [`Registry`](crate::Registry).
    ConnectionCheck(std::sync::Arc<lapin::Connection>), RabbitMqOptions => RabbitMqDetails, connection_with
}
