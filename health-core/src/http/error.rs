//! Requests the health endpoints refuse, and the JSON bodies that say why.

use std::fmt;

/// The longest query string accepted, in bytes.
pub const MAX_QUERY: usize = 1024;

use http::StatusCode;

/// Why a request to a health endpoint was refused. Each is a 4xx response with
/// a JSON body `{"error": code, "message": text}`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// The method is not `GET` or `HEAD` (405).
    MethodNotAllowed,
    /// A path outside the health endpoints, given to the service directly (404).
    NotFound(String),
    /// No component of that name (404).
    UnknownComponent(String),
    /// No custom group of that name (404).
    UnknownGroup(String),
    /// A query parameter other than `verbose` and `exclude` (400).
    UnknownParameter(String),
    /// A malformed query parameter (400).
    BadParameter(String),
    /// `exclude` without a component name (400).
    EmptyExclude,
    /// The same component excluded twice (400).
    RepeatedExclude(String),
    /// A query string longer than [`MAX_QUERY`] bytes (414).
    QueryTooLong,
    /// A malformed `Accept` header (400).
    BadAccept,
    /// No format the `Accept` header admits (406).
    NotAcceptable {
        /// The media types offered.
        offered: Vec<&'static str>,
    },
    /// A bearer token was sent and is wrong (401).
    Unauthorized,
}

impl RequestError {
    /// The response status.
    pub fn status(&self) -> StatusCode {
        match self {
            RequestError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            RequestError::UnknownComponent(_) | RequestError::UnknownGroup(_) | RequestError::NotFound(_) => {
                StatusCode::NOT_FOUND
            }
            RequestError::QueryTooLong => StatusCode::URI_TOO_LONG,
            RequestError::NotAcceptable { .. } => StatusCode::NOT_ACCEPTABLE,
            RequestError::Unauthorized => StatusCode::UNAUTHORIZED,
            RequestError::UnknownParameter(_)
            | RequestError::BadParameter(_)
            | RequestError::EmptyExclude
            | RequestError::RepeatedExclude(_)
            | RequestError::BadAccept => StatusCode::BAD_REQUEST,
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::MethodNotAllowed => "method_not_allowed",
            RequestError::NotFound(_) => "not_found",
            RequestError::UnknownComponent(_) => "unknown_component",
            RequestError::UnknownGroup(_) => "unknown_group",
            RequestError::UnknownParameter(_) => "unknown_parameter",
            RequestError::BadParameter(_) => "bad_parameter",
            RequestError::EmptyExclude => "empty_exclude",
            RequestError::RepeatedExclude(_) => "repeated_exclude",
            RequestError::QueryTooLong => "query_too_long",
            RequestError::BadAccept => "bad_accept",
            RequestError::NotAcceptable { .. } => "not_acceptable",
            RequestError::Unauthorized => "unauthorized",
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "error": self.code(), "message": self.to_string() }))
            .unwrap_or_default()
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::MethodNotAllowed => f.write_str("health endpoints answer GET and HEAD only"),
            RequestError::NotFound(path) => write!(f, "there is no health endpoint at `{}`", echo(path)),
            RequestError::UnknownComponent(name) => write!(f, "there is no component named `{}`", echo(name)),
            RequestError::UnknownGroup(name) => write!(f, "there is no custom group named `{}`", echo(name)),
            RequestError::UnknownParameter(name) => write!(
                f,
                "unknown query parameter `{}`; the parameters are `verbose` and `exclude=<component>`",
                echo(name)
            ),
            RequestError::BadParameter(text) => write!(f, "malformed query parameter `{}`", echo(text)),
            RequestError::EmptyExclude => f.write_str("`exclude` needs a component name: `?exclude=<component>`"),
            RequestError::RepeatedExclude(name) => write!(f, "component `{}` is excluded twice", echo(name)),
            RequestError::QueryTooLong => write!(f, "the query string is longer than {} bytes", MAX_QUERY),
            RequestError::BadAccept => f.write_str("the Accept header is malformed"),
            RequestError::NotAcceptable { offered } => {
                write!(f, "the Accept header admits none of the media types offered: {}", offered.join(", "))
            }
            RequestError::Unauthorized => f.write_str("the bearer token is not valid"),
        }
    }
}

impl std::error::Error for RequestError {}

/// Request text repeated in an error message: redacted, and cut short.
fn echo(text: &str) -> String {
    const LONGEST: usize = 64;
    let redacted = crate::redact(text);
    match redacted.char_indices().nth(LONGEST) {
        Some((end, _)) => format!("{}…", &redacted[..end]),
        None => redacted.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::RequestError;

    #[test]
    fn echoed_input_is_redacted_and_short() {
        let message = RequestError::UnknownComponent("postgres://u:hunter2@h".into()).to_string();
        assert!(message.contains("u:***@h") && !message.contains("hunter2"), "{message}");
        let long = RequestError::UnknownParameter("x".repeat(500)).to_string();
        assert!(long.len() < 200, "{long}");
    }
}
