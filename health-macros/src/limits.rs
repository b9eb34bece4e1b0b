//! Facts the macros share with health-core's runtime. They cannot import one
//! another, so the workspace's `tests/agreement.rs` compiles this file next to
//! health-core and checks that both agree.

/// The most components a report can have (`Selection::CAPACITY`).
pub(crate) const CAPACITY: usize = 128;

/// Names no component can have: the routes of the probe groups under the
/// base path (`health_core::report::RESERVED_NAMES`).
pub(crate) const RESERVED_NAMES: [&str; 3] = ["live", "ready", "startup"];

/// The probe groups that may be written as bare identifiers
/// (`health_core::group::BUILT_IN`).
pub(crate) const BUILT_IN_GROUPS: [&str; 3] = ["liveness", "readiness", "startup"];

/// The longest timeout a check may have, in milliseconds
/// (`health_core::MAX_TIMEOUT`).
pub(crate) const MAX_TIMEOUT_MILLIS: u64 = 3_600_000;

/// What names consist of, for error messages.
pub(crate) const NAME_RULE: &str = "letters, digits, `-`, `_` and `.`";

/// Why `name` cannot be a component or group name, if it cannot: names must
/// stay usable as URL path segments (`/health/{component}`).
pub(crate) fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a name must not be empty".into());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !name.chars().all(allowed) || name == "." || name == ".." {
        return Some(format!("`{name}` must consist of {NAME_RULE}"));
    }
    None
}
