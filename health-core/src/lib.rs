//! Typed, concurrent, time-bounded health checks for Rust services.
//!
//! Annotate plain async functions that probe your dependencies with
//! [`#[health_check]`](macro@health_check), compose them with
//! [`#[derive(HealthReport)]`](macro@HealthReport), and get a report that runs
//! every check concurrently under its own timeout, isolates panics, weighs
//! results by criticality into UP / DEGRADED / DOWN, serializes to typed JSON
//! and comes with a JSON Schema generated from the same types.
//!
//! ```
//! use health_core::{health_check, HealthReport, Outcome, Status};
//!
//! struct AppState {
//!     free_disk_percent: u8,
//! }
//!
//! /// The service answers at all.
//! #[health_check(timeout = "100ms", critical)]
//! async fn ping() {}
//!
//! /// Enough free disk for the write-ahead log.
//! #[health_check(timeout = "250ms")]
//! async fn disk(state: &AppState) -> Outcome<u8> {
//!     match state.free_disk_percent {
//!         0..=9 => Outcome::degraded(state.free_disk_percent).with_message("disk almost full"),
//!         free => Outcome::up(free),
//!     }
//! }
//!
//! #[derive(HealthReport, Default)]
//! #[health(state = AppState, deadline = "1s")]
//! struct AppHealth {
//!     ping: PingCheck,
//!     disk: DiskCheck,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let health = AppHealth::default();
//! let report = health.report(&AppState { free_disk_percent: 4 }).await;
//! assert_eq!(report.status, Status::Degraded);
//! assert_eq!(report.components.disk.details, Some(4));
//!
//! let json = serde_json::to_value(&report).unwrap();
//! assert_eq!(json["components"]["disk"]["message"], "disk almost full");
//! assert_eq!(AppHealth::json_schema()["properties"]["components"]["required"][1], "disk");
//! # }
//! ```
//!
//! See the repository's README for the attribute reference, the JSON format and
//! the failure semantics.

mod bounded;
mod cache;
mod check;
mod component;
pub(crate) mod join;
mod outcome;
mod redact;
mod registry;
mod report;
mod run;
mod schema;
mod status;
mod time_format;

#[doc(hidden)]
pub mod __private;

pub use check::{Check, ComponentInfo, DEFAULT_TIMEOUT};
pub use component::Component;
pub use outcome::{IntoOutcome, Outcome};
pub use redact::redact;
pub use registry::{CheckOptions, DynamicComponents, FnCheck, Registry, RegistryError, check_fn};
pub use report::{HealthReport, Report};
pub use schema::SchemaBuilder;
pub use status::Status;

pub use health_macros::{HealthReport, health_check};

/// The JSON Schema library whose [`JsonSchema`](schemars::JsonSchema) trait
/// details types implement, re-exported so versions always match.
pub use schemars;
