//! What component and group names may be: path segments of the HTTP routes.

use std::fmt;

/// Names a component cannot have: the route segments of the built-in groups
/// under the base path (`/health/live`, `/health/ready`, `/health/startup`).
pub const RESERVED_NAMES: [&str; 3] = ["live", "ready", "startup"];

/// Why a name cannot be a component's or a group's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// A character other than ASCII letters, digits, `-`, `_` and `.`.
    Character(char),
    /// `.` or `..`, which URLs resolve away.
    DotSegment,
    /// A component named like a group route (see [`RESERVED_NAMES`]).
    Reserved,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Empty => f.write_str("a name must not be empty"),
            NameError::Character(c) => {
                write!(f, "{c:?} is not allowed: names consist of letters, digits, `-`, `_` and `.`")
            }
            NameError::DotSegment => f.write_str("`.` and `..` are not names"),
            NameError::Reserved => f.write_str("`live`, `ready` and `startup` are the routes of the probe groups"),
        }
    }
}

impl std::error::Error for NameError {}

/// Checks a group name: a URL path segment of letters, digits, `-`, `_` and `.`.
///
/// ```
/// use health_core::report::{validate_group_name, validate_component_name, NameError};
///
/// assert_eq!(validate_group_name("batch-jobs"), Ok(()));
/// assert_eq!(validate_group_name("a b"), Err(NameError::Character(' ')));
/// assert_eq!(validate_component_name("ready"), Err(NameError::Reserved));
/// ```
pub fn validate_group_name(name: &str) -> Result<(), NameError> {
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))) {
        return Err(NameError::Character(c));
    }
    if name == "." || name == ".." {
        return Err(NameError::DotSegment);
    }
    Ok(())
}

/// Checks a component name: a group name that is not one of [`RESERVED_NAMES`].
pub fn validate_component_name(name: &str) -> Result<(), NameError> {
    validate_group_name(name)?;
    if RESERVED_NAMES.contains(&name) {
        return Err(NameError::Reserved);
    }
    Ok(())
}
