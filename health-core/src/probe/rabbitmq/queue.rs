//! A RabbitMQ queue's depth and consumers, through the application's
//! `lapin::Connection`.
//!
//! Reads them with a passive declare on a channel of its own, closed after:
//! the declare never creates or changes a queue, and a queue that does not
//! exist is DOWN (the broker closes that channel). The probe reports:
//!
//! - DOWN when the queue does not exist or cannot be read, or when more
//!   messages are ready than [`down_above`](QueueOptions::down_above);
//! - DEGRADED when more messages are ready than
//!   [`degraded_above`](QueueOptions::degraded_above), or fewer consumers
//!   listen than [`min_consumers`](QueueOptions::min_consumers) (default 1:
//!   nobody consumes).

use std::sync::Arc;

use lapin::options::QueueDeclareOptions;
use lapin::types::FieldTable;
use schemars::JsonSchema;
use serde::Serialize;

use crate::probe::judge::{Stopwatch, Verdict, describe};
use crate::{Check, Outcome};

/// What the queue probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct QueueDetails {
    /// The queue's name.
    pub queue: String,
    /// Messages ready to be delivered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_ready: Option<u32>,
    /// Consumers listening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumers: Option<u32>,
    /// How long the declare took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// The queue probe's thresholds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueOptions {
    degraded_above: Option<u32>,
    down_above: Option<u32>,
    min_consumers: u32,
}

impl Default for QueueOptions {
    fn default() -> Self {
        QueueOptions { degraded_above: None, down_above: None, min_consumers: 1 }
    }
}

impl QueueOptions {
    /// The defaults: no depth thresholds, DEGRADED without a consumer.
    pub fn new() -> Self {
        Self::default()
    }

    /// DEGRADED when more messages than this are ready.
    #[must_use]
    pub fn degraded_above(mut self, messages: u32) -> Self {
        self.degraded_above = Some(messages);
        self
    }

    /// DOWN when more messages than this are ready.
    #[must_use]
    pub fn down_above(mut self, messages: u32) -> Self {
        self.down_above = Some(messages);
        self
    }

    /// DEGRADED with fewer consumers than this; 0 for a queue this
    /// application only publishes to.
    #[must_use]
    pub fn min_consumers(mut self, consumers: u32) -> Self {
        self.min_consumers = consumers;
        self
    }
}

/// Reads the depth and consumers of the queue `name`, with the default options.
///
/// ```no_run
/// use health_core::probe::rabbitmq::{self, QueueDetails};
/// use health_core::{health_check, Outcome};
///
/// struct AppState { amqp: lapin::Connection }
///
/// #[health_check(timeout = "2s")]
/// async fn orders_queue(state: &AppState) -> Outcome<QueueDetails> {
///     rabbitmq::queue(&state.amqp, "orders").await
/// }
/// ```
pub async fn queue(connection: &lapin::Connection, name: &str) -> Outcome<QueueDetails> {
    queue_with(connection, name, &QueueOptions::new()).await
}

/// Reads the depth and consumers of the queue `name`, with the given options.
pub async fn queue_with(connection: &lapin::Connection, name: &str, options: &QueueOptions) -> Outcome<QueueDetails> {
    let mut details = QueueDetails { queue: name.to_owned(), messages_ready: None, consumers: None, latency_ms: None };
    let stopwatch = Stopwatch::start();
    let channel = match connection.create_channel().await {
        Ok(channel) => channel,
        Err(error) => return Verdict::down(format!("cannot open a channel: {}", describe(&error))).with(details),
    };
    let passive = QueueDeclareOptions { passive: true, ..QueueDeclareOptions::default() };
    let declared = channel.queue_declare(name.into(), passive, FieldTable::default()).await;
    let queue = match declared {
        Ok(queue) => queue,
        // The broker closed the channel: nothing is left to close.
        Err(error) => return Verdict::down(format!("cannot read queue {name}: {}", describe(&error))).with(details),
    };
    // The figures are read: a close that fails does not undo them, and
    // lapin closes the channel when it is dropped anyway.
    let _ = channel.close(200, "health check".into()).await;
    details.latency_ms = stopwatch.stop().ms();
    let (ready, consumers) = (queue.message_count(), queue.consumer_count());
    details.messages_ready = Some(ready);
    details.consumers = Some(consumers);
    let verdict = match (options.down_above, options.degraded_above) {
        (Some(limit), _) if ready > limit => Verdict::down(format!("{ready} messages ready, above {limit}")),
        (_, Some(limit)) if ready > limit => Verdict::degraded(format!("{ready} messages ready, above {limit}")),
        _ if consumers < options.min_consumers => {
            Verdict::degraded(format!("{consumers} consumers, fewer than {}", options.min_consumers))
        }
        _ => Verdict::up(),
    };
    verdict.with(details)
}

/// A [`Check`] of a queue on a `lapin::Connection`, for a [`Registry`](crate::Registry).
///
/// ```no_run
/// use std::sync::Arc;
/// use health_core::probe::rabbitmq::{QueueCheck, QueueOptions};
/// use health_core::Registry;
///
/// # async fn run(connection: Arc<lapin::Connection>) -> Result<(), Box<dyn std::error::Error>> {
/// let mut registry: Registry = Registry::new();
/// let options = QueueOptions::new().degraded_above(1_000).down_above(10_000);
/// registry.register("orders", QueueCheck::new(connection, "orders").with_options(options))?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct QueueCheck {
    connection: Arc<lapin::Connection>,
    name: String,
    options: QueueOptions,
}

impl QueueCheck {
    /// A check of the queue `name`, with the default options.
    pub fn new(connection: Arc<lapin::Connection>, name: impl Into<String>) -> Self {
        QueueCheck { connection, name: name.into(), options: QueueOptions::new() }
    }

    /// Replaces the options.
    #[must_use]
    pub fn with_options(mut self, options: QueueOptions) -> Self {
        self.options = options;
        self
    }
}

// Kept out of the list of checks that errors about other types suggest.
#[diagnostic::do_not_recommend]
impl<S: ?Sized + Sync> Check<S> for QueueCheck {
    type Details = QueueDetails;

    fn run(&self, _: &S) -> impl Future<Output = Outcome<QueueDetails>> + Send {
        queue_with(&self.connection, &self.name, &self.options)
    }
}
