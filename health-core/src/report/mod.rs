//! The parts reports are made of, for formats, transports and hand-written
//! reports: what each component is, which ones run, how to walk the typed
//! results and how to describe them. Most users never name these.
//!
//! The report itself ([`HealthReport`](crate::HealthReport),
//! [`Registry`](crate::Registry), [`Component`](crate::Component),
//! [`Status`](crate::Status)) is used from the crate's root.

pub(crate) mod component;
pub(crate) mod health_report;
pub(crate) mod info;
// pin-project-lite admits no doc comments on the fields of `MaybeDone`.
#[allow(missing_docs)]
pub(crate) mod join;
pub(crate) mod members;
pub(crate) mod names;
pub(crate) mod registry;
pub(crate) mod schema;
pub(crate) mod selection;
pub(crate) mod source;
pub(crate) mod status;
pub(crate) mod visit;

pub use info::ComponentInfo;
pub use names::{NameError, RESERVED_NAMES, validate_component_name, validate_group_name};
pub use schema::SchemaBuilder;
pub use selection::Selection;
pub use visit::{ComponentSet, ComponentVisitor};
