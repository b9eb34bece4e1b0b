//! A test kit for health checks: faults on the wire, scripted checks, a
//! paused clock, and assertions on what is served (feature `testing`, meant
//! for `[dev-dependencies]`).
//!
//! - **Faults on the wire.** [`FaultProxy`] sits in front of a real server
//!   (the PostgreSQL or Redis a test already has) and adds latency, swallows
//!   traffic, cuts connections with FIN or RST, or refuses new ones, then
//!   restores, while counting the connections it accepted and those open.
//!   [`SilentServer`] accepts and never answers; [`GarbageServer`] answers
//!   bytes of no protocol.
//! - **Scripted checks.** [`ScriptedCheck`] answers as its script says (UP,
//!   then DOWN with a message, then hang for 3 s…), for unit tests of
//!   aggregation, groups, thresholds, retries and status codes without any
//!   server.
//! - **A paused clock.** [`Runs`] steps a monitor one run at a time and
//!   asserts the status after each; under `#[tokio::test(start_paused =
//!   true)]` timeouts and intervals take no real time.
//! - **Assertions on what is served.** [`HealthClient`] reads a monitor, a
//!   router or a served address, asserts status codes and body statuses of
//!   routes, groups and components, and waits, bounded in time or in
//!   reports, until they answer as expected. A failed assertion prints the
//!   whole report.
//!
//! The guide page "Testing your health checks" (`docs/testing.md`) shows the
//! kit for unit, integration, load and negative tests.
//!
//! ```toml
//! [dev-dependencies]
//! health-core = { version = "0.1", features = ["testing"] }
//! ```

mod client;
mod fault;
mod reports;
mod runs;
mod scripted;
mod servers;
mod wait;

pub use client::{ClientError, DEFAULT_REQUEST_TIMEOUT, HealthClient, Reply, Route};
pub use fault::{Close, Direction, FaultProxy, FaultProxyBuilder, Tap};
pub use runs::Runs;
pub use scripted::{ScriptedCheck, Step};
pub use servers::{GARBAGE, GarbageServer, SilentServer};
pub use wait::Within;
