//! What the OpenAPI document says beyond the endpoints themselves.

/// What the document says beyond the endpoints themselves.
#[derive(Debug, Clone)]
pub(crate) struct OpenApiOptions {
    /// Where the router serves the document, if anywhere.
    pub(crate) path: Option<String>,
    /// Put before every `operationId`.
    pub(crate) operation_prefix: String,
    /// The document's server.
    pub(crate) server: String,
}

impl Default for OpenApiOptions {
    fn default() -> Self {
        OpenApiOptions { path: None, operation_prefix: String::new(), server: "/".into() }
    }
}
