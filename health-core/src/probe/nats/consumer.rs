//! A JetStream consumer's backlog, through the application's NATS client:
//! messages pending delivery and delivered but not acknowledged.
//!
//! Asks JetStream's API for the consumer's info (`$JS.API.CONSUMER.INFO`), a
//! read that creates and changes nothing, over the core client: no JetStream
//! feature of the client crate is needed. The probe reports:
//!
//! - DOWN when the stream or consumer does not exist, JetStream does not
//!   answer, or more messages are pending than
//!   [`pending_down_above`](ConsumerOptions::pending_down_above) or awaiting
//!   acknowledgement than [`ack_pending_down_above`](ConsumerOptions::ack_pending_down_above);
//! - DEGRADED above the `degraded` thresholds of either;
//! - UP otherwise. No threshold is set by default: a backlog's normal size
//!   is the application's to say.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::NatsClient;
use crate::probe::judge::{Stopwatch, Verdict};
use crate::{Check, Outcome};

/// What the consumer probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct ConsumerDetails {
    /// The stream.
    pub stream: String,
    /// The consumer.
    pub consumer: String,
    /// Messages of the stream the consumer has yet to be delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
    /// Messages delivered and not yet acknowledged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ack_pending: Option<u64>,
    /// Messages delivered more than once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redelivered: Option<u64>,
    /// Pull requests waiting for messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting: Option<u64>,
    /// How long JetStream took to answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// The consumer probe's thresholds, and JetStream's API prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerOptions {
    pending_degraded_above: Option<u64>,
    pending_down_above: Option<u64>,
    ack_pending_degraded_above: Option<u64>,
    ack_pending_down_above: Option<u64>,
    api_prefix: String,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        ConsumerOptions {
            pending_degraded_above: None,
            pending_down_above: None,
            ack_pending_degraded_above: None,
            ack_pending_down_above: None,
            api_prefix: "$JS.API".to_owned(),
        }
    }
}

impl ConsumerOptions {
    /// No thresholds, JetStream's default API prefix `$JS.API`.
    pub fn new() -> Self {
        Self::default()
    }

    /// DEGRADED when more messages than this are pending.
    #[must_use]
    pub fn pending_degraded_above(mut self, messages: u64) -> Self {
        self.pending_degraded_above = Some(messages);
        self
    }

    /// DOWN when more messages than this are pending.
    #[must_use]
    pub fn pending_down_above(mut self, messages: u64) -> Self {
        self.pending_down_above = Some(messages);
        self
    }

    /// DEGRADED when more messages than this await acknowledgement.
    #[must_use]
    pub fn ack_pending_degraded_above(mut self, messages: u64) -> Self {
        self.ack_pending_degraded_above = Some(messages);
        self
    }

    /// DOWN when more messages than this await acknowledgement.
    #[must_use]
    pub fn ack_pending_down_above(mut self, messages: u64) -> Self {
        self.ack_pending_down_above = Some(messages);
        self
    }

    /// JetStream's API prefix, for a domain (`$JS.<domain>.API`).
    #[must_use]
    pub fn api_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.api_prefix = prefix.into();
        self
    }
}

/// JetStream's answer to a consumer info request: the figures, or an error.
#[derive(Deserialize)]
struct Info {
    num_pending: Option<u64>,
    num_ack_pending: Option<u64>,
    num_redelivered: Option<u64>,
    num_waiting: Option<u64>,
    error: Option<ApiError>,
}

#[derive(Deserialize)]
struct ApiError {
    code: Option<u16>,
    description: Option<String>,
}

/// Reads the backlog of `consumer` on `stream`, with the default options.
///
/// ```no_run
/// # #[cfg(feature = "nats")]
/// # mod demo {
/// use health_core::probe::nats::{self, ConsumerDetails};
/// use health_core::{health_check, Outcome};
///
/// struct AppState { nats: async_nats::Client }
///
/// #[health_check(timeout = "1s")]
/// async fn order_backlog(state: &AppState) -> Outcome<ConsumerDetails> {
///     nats::consumer(&state.nats, "ORDERS", "fulfilment").await
/// }
/// # }
/// ```
pub async fn consumer<C: NatsClient>(client: &C, stream: &str, consumer: &str) -> Outcome<ConsumerDetails> {
    consumer_with(client, stream, consumer, &ConsumerOptions::new()).await
}

/// Reads the backlog of `consumer` on `stream`, with the given options.
pub async fn consumer_with<C: NatsClient>(
    client: &C,
    stream: &str,
    consumer: &str,
    options: &ConsumerOptions,
) -> Outcome<ConsumerDetails> {
    let mut details = ConsumerDetails {
        stream: stream.to_owned(),
        consumer: consumer.to_owned(),
        pending: None,
        ack_pending: None,
        redelivered: None,
        waiting: None,
        latency_ms: None,
    };
    let named = format!("consumer {consumer} of stream {stream}");
    // A name with a dot, a space or a wildcard would address another subject.
    if [stream, consumer].iter().any(|name| name.is_empty() || name.contains(['.', ' ', '*', '>'])) {
        return Verdict::down(format!("{named}: not a valid stream or consumer name")).with(details);
    }
    let subject = format!("{}.CONSUMER.INFO.{stream}.{consumer}", options.api_prefix);
    let stopwatch = Stopwatch::start();
    let answer = match client.request(subject, b"").await {
        Ok(answer) => answer,
        Err(error) => return Verdict::down(format!("{named}: JetStream did not answer: {error}")).with(details),
    };
    details.latency_ms = stopwatch.stop().ms();
    let info: Info = match serde_json::from_slice(&answer) {
        Ok(info) => info,
        Err(error) => {
            return Verdict::down(format!("{named}: JetStream's answer is not consumer info: {error}")).with(details);
        }
    };
    if let Some(error) = info.error {
        let code = error.code.map_or_else(String::new, |code| format!(" ({code})"));
        let description = error.description.unwrap_or_else(|| "an error".to_owned());
        return Verdict::down(format!("{named}: {description}{code}")).with(details);
    }
    details.pending = info.num_pending;
    details.ack_pending = info.num_ack_pending;
    details.redelivered = info.num_redelivered;
    details.waiting = info.num_waiting;
    let judge = |what: &str, value: Option<u64>, degraded: Option<u64>, down: Option<u64>| {
        let value = value.unwrap_or(0);
        match (down, degraded) {
            (Some(limit), _) if value > limit => Verdict::down(format!("{value} messages {what}, above {limit}")),
            (_, Some(limit)) if value > limit => Verdict::degraded(format!("{value} messages {what}, above {limit}")),
            _ => Verdict::up(),
        }
    };
    let pending = judge("pending", details.pending, options.pending_degraded_above, options.pending_down_above);
    let acks = judge(
        "awaiting acknowledgement",
        details.ack_pending,
        options.ack_pending_degraded_above,
        options.ack_pending_down_above,
    );
    pending.or_worse(acks).with(details)
}

/// A [`Check`] of a JetStream consumer's backlog, for a [`Registry`](crate::Registry).
#[derive(Debug)]
pub struct ConsumerCheck<C> {
    client: C,
    stream: String,
    consumer: String,
    options: ConsumerOptions,
}

impl<C: NatsClient> ConsumerCheck<C> {
    /// A check of `consumer` on `stream`, with the default options.
    pub fn new(client: C, stream: impl Into<String>, consumer: impl Into<String>) -> Self {
        ConsumerCheck { client, stream: stream.into(), consumer: consumer.into(), options: ConsumerOptions::new() }
    }

    /// Replaces the options.
    #[must_use]
    pub fn with_options(mut self, options: ConsumerOptions) -> Self {
        self.options = options;
        self
    }
}

// Kept out of the list of checks that errors about other types suggest.
#[diagnostic::do_not_recommend]
impl<C: NatsClient, S: ?Sized + Sync> Check<S> for ConsumerCheck<C> {
    type Details = ConsumerDetails;

    fn run(&self, _: &S) -> impl Future<Output = Outcome<ConsumerDetails>> + Send {
        consumer_with(&self.client, &self.stream, &self.consumer, &self.options)
    }
}
