//! The probe groups Kubernetes asks about. A check belongs to
//! [`DEFAULT`] unless it says otherwise with `groups(...)`.

/// Whether the process should be restarted: keep only checks of the process itself here.
pub const LIVENESS: &str = "liveness";
/// Whether the instance should receive traffic.
pub const READINESS: &str = "readiness";
/// Whether the instance has finished starting.
pub const STARTUP: &str = "startup";

/// The three built-in groups.
pub const BUILT_IN: [&str; 3] = [LIVENESS, READINESS, STARTUP];

/// The groups of a check that names none: readiness and startup, not liveness.
/// A dependency that is down should take an instance out of the load balancer,
/// not get it restarted; liveness with no checks means "the process answers".
pub const DEFAULT: &[&str] = &[READINESS, STARTUP];
