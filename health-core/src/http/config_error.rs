//! Why a configuration of the endpoints cannot work.

use std::fmt;

use crate::monitor::Subject;

/// Why the endpoints could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The base path is not `/` followed by path segments, without a trailing `/`.
    BadBasePath(String),
    /// A status code a report cannot be answered with: one without a body (1xx,
    /// 204, 205, 304), or one errors are answered with (400, 404, 405, 406,
    /// 414, and 401 when details need a token).
    BadStatusCode {
        /// The subject it was set for; `None` for every subject.
        subject: Option<Subject>,
        /// The code.
        code: u16,
    },
    /// Status codes for a subject the monitor does not have: an unknown
    /// group, or an unknown or disabled component.
    UnknownSubject(Subject),
    /// A bearer token for `WhenAuthorized` that is empty or not a valid header value.
    BadToken,
    /// The OpenAPI document's path is not a valid path, or lies among the endpoints.
    BadOpenApiPath(String),
    /// A details type has the name of a schema of the OpenAPI document itself.
    SchemaNameTaken(String),
    /// A report title that cannot start the names of the OpenAPI document's
    /// schemas: it must be letters, digits, `.`, `-` and `_`.
    BadTitle(String),
    /// An `operationId` prefix that is not letters, digits, `.`, `-` and `_`,
    /// which keep operationIds safe in URLs.
    BadOperationIdPrefix(String),
    /// The status page's segment is not one path segment of letters, digits,
    /// `-`, `_` and `.`, or is the name of a component or another route.
    BadStatusPagePath(String),
    /// The status page would poll more often than every 500 ms.
    BadPollInterval(std::time::Duration),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::BadBasePath(path) => write!(
                f,
                "the base path `{path}` must start with `/`, not end with one, and hold only letters, digits, `-`, `_`, `.` and `/`"
            ),
            ConfigError::BadStatusCode { subject, code } => {
                let subject = subject.as_ref().map_or_else(|| "every subject".to_owned(), ToString::to_string);
                write!(
                    f,
                    "status code {code} for {subject} cannot answer a report: it carries no body or is the code of an error"
                )
            }
            ConfigError::UnknownSubject(subject) => {
                write!(f, "status codes for {subject}, which the monitor does not have (unknown, or disabled)")
            }
            ConfigError::SchemaNameTaken(name) => write!(
                f,
                "a details type is named `{name}`, like a schema of the OpenAPI document; rename it (#[schemars(rename = \"...\")])"
            ),
            ConfigError::BadOpenApiPath(path) => {
                write!(
                    f,
                    "the OpenAPI document cannot be served at `{path}`: it must be a valid path outside the endpoints"
                )
            }
            ConfigError::BadToken => f.write_str("the bearer token must be non-empty visible ASCII"),
            ConfigError::BadOperationIdPrefix(prefix) => {
                write!(f, "the operationId prefix `{prefix}` must be letters, digits, `.`, `-` and `_`")
            }
            ConfigError::BadStatusPagePath(segment) => write!(
                f,
                "the status page cannot be served at `{segment}`: it must be one path segment of letters, digits, `-`, `_` and `.`, named like no component and no other route (`live`, `ready`, `startup`, `group`)"
            ),
            ConfigError::BadPollInterval(every) => {
                write!(f, "the status page cannot poll every {every:?}: the shortest interval is 500ms")
            }
            ConfigError::BadTitle(title) => write!(
                f,
                "the report title `{title}` must be letters, digits, `.`, `-` and `_`, as OpenAPI schema names are"
            ),
        }
    }
}

impl std::error::Error for ConfigError {}
