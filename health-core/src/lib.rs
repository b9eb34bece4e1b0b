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

#![warn(missing_docs)]

mod bounded;
mod cache;
mod check;
mod component;
#[cfg(feature = "http")]
pub mod http;
// pin-project-lite admits no doc comments on the fields of `MaybeDone`.
#[allow(missing_docs)]
mod join;
mod outcome;
mod redact;
mod registry;
mod report;
mod run;
mod schema;
mod selection;
mod status;
mod time_format;
mod visit;

#[doc(hidden)]
#[allow(missing_docs)]
pub mod __private;

pub use check::{Check, ComponentInfo, DEFAULT_TIMEOUT};
pub use component::Component;
pub use outcome::{IntoOutcome, Outcome};
pub use redact::redact;
pub use registry::{CheckOptions, DynamicComponents, FnCheck, Registry, RegistryError, check_fn};
pub use report::{HealthReport, Report};
pub use schema::SchemaBuilder;
pub use selection::{DEFAULT_GROUPS, Selection, group};
pub use status::Status;
pub use visit::{ComponentSet, ComponentVisitor};

/// Turns an `async fn` into a health check.
///
/// The function stays callable as written. Next to it, a type named after it in
/// UpperCamelCase plus `Check` (`database` → `DatabaseCheck`, `db_check` →
/// `DbCheck`) is generated with the function's visibility; it implements
/// `Default` and [`Check`], and is what a [`HealthReport`] struct's fields are.
///
/// # The function
///
/// An `async fn` with no parameter, or exactly one `&State` parameter; no
/// generics, no `self`. It returns `()` (finishing is UP), `Result<T, E>`
/// (`Ok` is UP with details `T`, `Err(e)` is DOWN with `e`'s `Display` as the
/// message) or [`Outcome<T>`] (any status). Details types implement
/// `Serialize` and [`schemars::JsonSchema`]. Its doc comment becomes the
/// component's `description` in the JSON Schema.
///
/// # Keys
///
/// | key | meaning | default |
/// |---|---|---|
/// | `timeout = "2s"` | longest a run may take; then it is DOWN, `timed out after 2s` | [`DEFAULT_TIMEOUT`] (1 s) |
/// | `critical` or `critical = bool` | DOWN makes the whole report DOWN | not critical |
/// | `cache = "5s"` | reuse a result for this long after its run completes; concurrent reports share one run | no cache |
/// | `groups(liveness, readiness, "custom")` | the probe groups of the component (see [`group`]) | [`DEFAULT_GROUPS`] |
/// | `crate = "path"` | where `health_core` is, for crates that re-export it | `::health_core` |
///
/// Durations are strings of whole numbers with units `ms`, `s` or `m`, such as
/// `"250ms"`, `"2s"` or `"1m30s"`, and must be greater than zero. A cached
/// check's details type must implement `Clone`.
///
/// ```
/// use health_core::{health_check, Check, Outcome};
///
/// struct Pool { idle: u32 }
///
/// /// The connection pool has an idle connection.
/// #[health_check(timeout = "250ms", critical, cache = "2s")]
/// async fn pool(pool: &Pool) -> Outcome<u32> {
///     match pool.idle {
///         0 => Outcome::degraded(0).with_message("no idle connection"),
///         idle => Outcome::up(idle),
///     }
/// }
///
/// assert_eq!(<PoolCheck as Check<Pool>>::TIMEOUT, std::time::Duration::from_millis(250));
/// assert!(<PoolCheck as Check<Pool>>::CRITICAL);
/// assert_eq!(<PoolCheck as Check<Pool>>::DESCRIPTION, Some("The connection pool has an idle connection."));
/// ```
pub use health_macros::health_check;

/// Composes health checks into a report: implements [`trait@HealthReport`].
///
/// Goes on a struct with named fields (none is a valid, always UP report); each
/// field is a check for the report's state, and its name is the component's
/// name. The derive also generates `<Struct>Components`, the typed results,
/// with one [`Component`] field per check.
///
/// # Struct keys: `#[health(...)]`
///
/// | key | meaning | default |
/// |---|---|---|
/// | `state = Type` | what every check receives; checks without a parameter fit any state | `()` |
/// | `deadline = "3s"` | budget: a component whose timeout exceeds it is a compile error | none |
/// | `crate = "path"` | where `health_core` is, for crates that re-export it | `::health_core` |
///
/// # Field keys: `#[health(...)]`
///
/// | key | meaning |
/// |---|---|
/// | `rename = "name"` | the component's name in the report |
/// | `critical` or `critical = bool` | overrides the check's criticality |
/// | `timeout = "1s"` | overrides the check's timeout |
/// | `groups(...)` | overrides the check's probe groups |
///
/// A field's doc comment overrides the check's description in the schema.
/// Component names must be unique after renaming.
///
/// ```
/// use health_core::{health_check, HealthReport, Status};
///
/// #[health_check(timeout = "100ms")]
/// async fn ping() {}
///
/// #[health_check(timeout = "2s")]
/// async fn upstream() -> Result<(), String> {
///     Err("connection refused".to_owned())
/// }
///
/// #[derive(HealthReport, Default)]
/// #[health(deadline = "1s")]
/// struct Health {
///     ping: PingCheck,
///     /// The payments API, given a tighter budget here.
///     #[health(rename = "payments-api", timeout = "500ms", critical)]
///     upstream: UpstreamCheck,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let report = Health::default().report(&()).await;
/// assert_eq!(report.status, Status::Down);
/// assert_eq!(report.components.upstream.message.as_deref(), Some("connection refused"));
/// let json = serde_json::to_value(&report).unwrap();
/// assert_eq!(json["components"]["payments-api"]["critical"], true);
/// # }
/// ```
pub use health_macros::HealthReport;

/// The JSON Schema library whose [`JsonSchema`](schemars::JsonSchema) trait
/// details types implement, re-exported so versions always match.
pub use schemars;
