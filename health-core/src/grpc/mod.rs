//! Serving a [`Monitor`](crate::monitor::Monitor) as the gRPC health service
//! `grpc.health.v1.Health` (feature `grpc`), for a tonic server, orchestrators
//! (Kubernetes gRPC probes), service meshes and load balancers.
//!
//! | name | status |
//! |---|---|
//! | `""` | every enabled component, by criticality |
//! | `liveness`, `readiness`, `startup`, custom groups, [defined groups](crate::monitor::MonitorBuilder::group) | the group |
//! | each enabled component's name (one named like a group must be mapped) | the component |
//! | names you map ([`GrpcHealthServiceBuilder::map`]) | their subject |
//!
//! - **`Check`** reads the monitor, as the HTTP endpoints do: a fresh
//!   background snapshot, or a run of the name's checks. An unknown name is
//!   `NOT_FOUND`. A `grpc-timeout` shorter than the checks is answered
//!   `DEADLINE_EXCEEDED`, and the checks still running are dropped.
//! - **`Watch`** sends the status at once, then each change, from the
//!   monitor's status tracking: any number of watchers of a name cost no
//!   extra run. On request, the monitor refreshes the watched names' checks
//!   in the background while a watch is open
//!   ([`MonitorBuilder::refresh_watched_every`](crate::monitor::MonitorBuilder::refresh_watched_every),
//!   5 s by default), so that a dependency that fails is seen without any
//!   other traffic. An unknown name gets `SERVICE_UNKNOWN` and the stream
//!   stays open.
//! - **`List`** (gRFC A90) gives every served name and its status.
//! - **Shutdown:** once [`Monitor::begin_shutdown`](crate::monitor::Monitor::begin_shutdown)
//!   is called, the names the monitor drains are `NOT_SERVING`, open watches
//!   included: `""` and every group but `liveness`, defined groups and the
//!   names mapped to them included, as HTTP answers the same subjects; `liveness` and each
//!   component keep being measured. [`GrpcHealthService::drained`] then ends
//!   the watches so that the server can stop.
//!
//! Statuses only: messages and details never leave over gRPC.
//!
//! This module is an adapter: the monitor runs the checks, keeps the latest
//! results, tracks statuses and drains; the service adds names, the status
//! mapping and the protocol, and keeps no health state.
//!
//! ```no_run
//! use std::time::Duration;
//! use health_core::grpc::GrpcHealthService;
//! use health_core::{health_check, HealthReport};
//! use health_core::monitor::Monitor;
//!
//! #[health_check(critical)]
//! async fn database() {}
//!
//! #[derive(HealthReport, Default)]
//! struct Health { database: DatabaseCheck }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let monitor = Monitor::builder(Health::default(), ()).refresh_every(Duration::from_secs(5)).build()?;
//! // SIGTERM begins shutdown: "", readiness and every group but liveness turn NOT_SERVING.
//! let shutdown = monitor.shutdown_handle();
//! tokio::spawn(async move {
//!     health_core::monitor::termination_signal().await;
//!     shutdown.begin_shutdown();
//! });
//! let health = GrpcHealthService::builder(monitor).build()?;
//! tonic::transport::Server::builder()
//!     .add_service(health.server())
//!     .serve_with_shutdown("127.0.0.1:50051".parse()?, health.drained(Duration::from_secs(5)))
//!     .await?;
//! # Ok(()) }
//! ```

mod builder;
mod deadline;
mod names;
pub mod pb;
mod service;
mod serving;
mod watch;

pub use builder::{ConfigError, GrpcHealthServiceBuilder};
pub use service::GrpcHealthService;
pub use serving::ServingStatus;
pub use watch::WatchStream;
