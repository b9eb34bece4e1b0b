//! A request to the endpoints as any HTTP framework hands it over: borrowed
//! parts, no framework's types.

use std::borrow::Cow;

/// A request to the health endpoints: its method, path, query, and the two
/// headers the endpoints read (`Accept` and `Authorization`), borrowed from
/// whatever request type a framework has. [`HealthService::respond`] answers
/// it; the tower `Service` and the axum `Router` build one per request.
///
/// [`HealthService::respond`]: super::HealthService::respond
///
/// ```
/// use health_core::http::HealthRequest;
///
/// let request = HealthRequest::new("GET", "/health/ready")
///     .query(Some("exclude=cache"))
///     .accept(Some(b"application/json".as_slice()))
///     .authorization(None);
/// assert_eq!(request.path(), "/health/ready");
/// ```
#[derive(Debug, Clone)]
pub struct HealthRequest<'a> {
    method: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    accept: Option<Cow<'a, [u8]>>,
    authorization: Option<&'a [u8]>,
}

impl<'a> HealthRequest<'a> {
    /// A request of `method` (such as `"GET"`) for `path`, without a query or
    /// headers.
    pub fn new(method: &'a str, path: &'a str) -> Self {
        HealthRequest { method, path, query: None, accept: None, authorization: None }
    }

    /// The query, without its `?`.
    #[must_use]
    pub fn query(mut self, query: Option<&'a str>) -> Self {
        self.query = query;
        self
    }

    /// The `Accept` header; several header lines joined with commas.
    #[must_use]
    pub fn accept(mut self, accept: Option<impl Into<Cow<'a, [u8]>>>) -> Self {
        self.accept = accept.map(Into::into);
        self
    }

    /// The `Authorization` header.
    #[must_use]
    pub fn authorization(mut self, authorization: Option<&'a [u8]>) -> Self {
        self.authorization = authorization;
        self
    }

    /// The method, as the request line has it.
    pub fn method(&self) -> &str {
        self.method
    }

    /// The path.
    pub fn path(&self) -> &str {
        self.path
    }

    /// Whether the method is one the endpoints answer: `GET` or `HEAD`.
    pub(crate) fn is_read(&self) -> bool {
        self.method == "GET" || self.method == "HEAD"
    }

    pub(crate) fn query_text(&self) -> Option<&'a str> {
        self.query
    }

    pub(crate) fn accept_header(&self) -> Option<&[u8]> {
        self.accept.as_deref()
    }

    pub(crate) fn authorization_header(&self) -> Option<&'a [u8]> {
        self.authorization
    }
}

/// A header's lines as one: the line itself when there is one (borrowed),
/// every line joined with commas when there are more, as HTTP reads a list
/// header sent on several lines.
pub(super) fn joined_lines<'a>(mut lines: impl Iterator<Item = &'a [u8]>) -> Option<Cow<'a, [u8]>> {
    let first = lines.next()?;
    let Some(second) = lines.next() else { return Some(Cow::Borrowed(first)) };
    let mut list = first.to_vec();
    for line in std::iter::once(second).chain(lines) {
        list.push(b',');
        list.extend_from_slice(line);
    }
    Some(Cow::Owned(list))
}
