//! An answer of the endpoints as any HTTP framework sends it: a status, its
//! headers and a body, no framework's types.

use std::time::Duration;

use bytes::Bytes;

use super::RequestError;
use super::negotiate::Format;

/// What every answer says of caching: health is never stale in a cache.
const NO_STORE: (&str, &str) = ("cache-control", "no-store");

/// An answer of the health endpoints: a status code, headers and a body. A
/// framework's adapter copies them into its own response type; the body of
/// an answer to `HEAD` is left out by the server, and `Content-Length` is the
/// body's length.
///
/// ```
/// use health_core::http::{HealthService, HealthRequest};
/// use health_core::{health_check, HealthReport};
/// use health_core::monitor::Monitor;
///
/// #[health_check]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), health_core::http::ConfigError> {
/// let health = HealthService::builder(Monitor::new(Health::default(), ())).build()?;
/// let answer = health.respond(&HealthRequest::new("GET", "/health/live")).await;
/// assert_eq!(answer.status(), 200);
/// assert!(answer.headers().any(|header| header == ("content-type", "application/json")));
/// assert_eq!(&answer.body()[..], br#"{"status":"UP","components":{}}"#);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HealthResponse {
    status: u16,
    content_type: &'static str,
    /// Headers every answer of its kind has.
    fixed: &'static [(&'static str, &'static str)],
    /// One more, for some errors: `Allow`, `WWW-Authenticate`.
    extra: Option<(&'static str, &'static str)>,
    /// The `Age` of a background snapshot, in seconds.
    age: Option<u64>,
    body: Bytes,
}

impl HealthResponse {
    /// The status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Every header but `Age` (see [`age`](Self::age)), names in lower case.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        std::iter::once(("content-type", self.content_type)).chain(self.fixed.iter().copied()).chain(self.extra)
    }

    /// The `Age` header, in seconds: how old the report is, when it comes
    /// from the background refresh.
    pub fn age(&self) -> Option<u64> {
        self.age
    }

    /// The `Age` header's value as a static string when it is under 100
    /// seconds, as a background snapshot's usually is: an adapter then makes
    /// the header without formatting or allocating.
    pub(crate) fn static_age(&self) -> Option<&'static str> {
        const DECIMALS: &str = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";
        let age = usize::try_from(self.age?).ok()?;
        let text = DECIMALS.get(2 * age..2 * age + 2)?;
        // One digit below 10, without the leading zero.
        if age < 10 { text.get(1..) } else { Some(text) }
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The body, taken.
    pub fn into_body(self) -> Bytes {
        self.body
    }

    /// A report's body in `format` with `status`, and its age when it is a
    /// snapshot's.
    pub(crate) fn report(status: u16, format: Format, body: Bytes, age: Option<Duration>) -> Self {
        HealthResponse {
            status,
            content_type: format.content_type(),
            fixed: &[NO_STORE],
            extra: None,
            age: age.map(|age| age.as_secs()),
            body,
        }
    }

    /// The JSON answer to a refused request, with the header its code calls for.
    pub(crate) fn error(error: &RequestError) -> Self {
        let extra = match error {
            RequestError::MethodNotAllowed => Some(("allow", "GET, HEAD")),
            RequestError::Unauthorized => Some(("www-authenticate", "Bearer")),
            _ => None,
        };
        HealthResponse {
            status: error.status().as_u16(),
            content_type: "application/json",
            fixed: &[NO_STORE],
            extra,
            age: None,
            body: Bytes::from(error.body()),
        }
    }

    /// A document or page of `content_type` with `fixed` headers: 200.
    pub(crate) fn document(
        content_type: &'static str,
        fixed: &'static [(&'static str, &'static str)],
        body: Bytes,
    ) -> Self {
        HealthResponse { status: 200, content_type, fixed, extra: None, age: None, body }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_static_age_is_the_number_in_decimal() {
        for age in 0..150 {
            let answer =
                HealthResponse { age: Some(age), ..HealthResponse::report(200, Format::Json, Bytes::new(), None) };
            let expected = (age < 100).then(|| age.to_string());
            assert_eq!(answer.static_age().map(str::to_owned), expected, "age {age}");
        }
        let answer = HealthResponse::report(200, Format::Json, Bytes::new(), None);
        assert_eq!(answer.static_age(), None);
    }
}
