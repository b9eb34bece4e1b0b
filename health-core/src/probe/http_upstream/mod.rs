//! An HTTP upstream, through a `reqwest::Client` (feature `http-upstream`):
//! its answer's status ([`request`]), or its health report read as health
//! ([`health`]).
//!
//! Sends one request (by default `GET`) and checks the answer's status
//! against an expected range (by default 200–299) and, optionally, its body
//! against a predicate. It reads the body, so that the connection goes back
//! to the client's pool, up to 64 KiB: past that it stops reading, and the
//! connection is closed rather than reused. The probe reports:
//!
//! - DOWN when the request fails, the status is out of range or the body
//!   predicate says so;
//! - DEGRADED when the answer is slower than the threshold, or the body
//!   predicate says so.
//!
//! ```no_run
//! use health_core::probe::http_upstream::{self, UpstreamDetails, UpstreamOptions};
//! use health_core::{health_check, Outcome};
//!
//! struct AppState {
//!     http: reqwest::Client,
//!     payments: UpstreamOptions,
//! }
//!
//! # fn build() -> Result<AppState, health_core::probe::http_upstream::UpstreamError> {
//! let state = AppState {
//!     http: reqwest::Client::new(),
//!     payments: UpstreamOptions::get("http://payments.internal/health")?,
//! };
//! # Ok(state) }
//!
//! #[health_check(timeout = "2s")]
//! async fn payments(state: &AppState) -> Outcome<UpstreamDetails> {
//!     http_upstream::request(&state.http, &state.payments).await
//! }
//! ```

use std::fmt;
use std::ops::RangeInclusive;
use std::sync::Arc;

use reqwest::{Method, Url};
use schemars::JsonSchema;
use serde::Serialize;

use super::judge::{LatencyOptions, Stopwatch, Verdict, describe, latency_threshold};
use crate::{Check, Outcome};

mod remote;

pub use remote::{RemoteComponent, RemoteFormat, RemoteHealthCheck, RemoteHealthDetails, health};

/// The most body bytes the probe reads.
const BODY_LIMIT: usize = 64 * 1024;

/// What the HTTP probe found.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct UpstreamDetails {
    /// The method sent.
    pub method: String,
    /// The URL requested, its password and query secrets masked.
    pub url: String,
    /// The status answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// How long the answer took, body included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// A URL the HTTP probe cannot request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpstreamError {
    /// Why.
    pub reason: String,
}

impl fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid upstream URL: {}", self.reason)
    }
}

impl std::error::Error for UpstreamError {}

type BodyPredicate = Arc<dyn Fn(&[u8]) -> Verdict + Send + Sync>;

/// The request the HTTP probe sends and how it judges the answer.
#[derive(Clone)]
pub struct UpstreamOptions {
    method: Method,
    url: Url,
    expect: RangeInclusive<u16>,
    body: Option<BodyPredicate>,
    latency: LatencyOptions,
}

latency_threshold!(UpstreamOptions, "the answer");

impl UpstreamOptions {
    /// `GET url`, expecting 200–299.
    ///
    /// ```
    /// use health_core::probe::http_upstream::UpstreamOptions;
    ///
    /// assert!(UpstreamOptions::get("http://127.0.0.1:8080/health").is_ok());
    /// assert!(UpstreamOptions::get("not a url").is_err());
    /// assert!(UpstreamOptions::get("ftp://files.internal/").is_err());
    /// ```
    pub fn get(url: &str) -> Result<Self, UpstreamError> {
        Self::new(Method::GET, url)
    }

    /// `method url`, expecting 200–299. Only `http` and `https` URLs are accepted.
    pub fn new(method: Method, url: &str) -> Result<Self, UpstreamError> {
        let url = Url::parse(url).map_err(|error| UpstreamError { reason: error.to_string() })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(UpstreamError {
                reason: format!("scheme {:?}: only http and https are requested", url.scheme()),
            });
        }
        Ok(UpstreamOptions { method, url, expect: 200..=299, body: None, latency: LatencyOptions::new() })
    }

    /// The statuses that count as UP (default 200–299); others are DOWN.
    #[must_use]
    pub fn expect_status(mut self, statuses: RangeInclusive<u16>) -> Self {
        self.expect = statuses;
        self
    }

    /// Judges the body (at most its first 64 KiB) too.
    #[must_use]
    pub fn body(mut self, predicate: impl Fn(&[u8]) -> Verdict + Send + Sync + 'static) -> Self {
        self.body = Some(Arc::new(predicate));
        self
    }

    /// The URL as reported: its password masked, and secrets in its query
    /// (`?api_key=…`, `?token=…`) redacted like messages.
    fn shown_url(&self) -> String {
        let mut url = self.url.clone();
        if url.password().is_some() {
            let _ = url.set_password(Some("***"));
        }
        crate::redact(url.as_str()).into_owned()
    }
}

impl fmt::Debug for UpstreamOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UpstreamOptions")
            .field("method", &self.method)
            .field("url", &self.shown_url())
            .field("expect", &self.expect)
            .field("body", &self.body.as_ref().map(|_| "predicate"))
            .field("slow_after", &self.latency.slow_threshold())
            .finish()
    }
}

/// Sends the request of `options` with `client` and judges the answer.
pub async fn request(client: &reqwest::Client, options: &UpstreamOptions) -> Outcome<UpstreamDetails> {
    let mut details = UpstreamDetails {
        method: options.method.to_string(),
        url: options.shown_url(),
        status: None,
        latency_ms: None,
    };
    let stopwatch = Stopwatch::start();
    let mut response = match client.request(options.method.clone(), options.url.clone()).send().await {
        Ok(response) => response,
        Err(error) => return Verdict::down(describe(&error)).with(details),
    };
    let status = response.status().as_u16();
    details.status = Some(status);
    let body = match read_body(&mut response).await {
        Ok(body) => body,
        Err(error) => return Verdict::down(error).with(details),
    };
    let latency = stopwatch.stop();
    details.latency_ms = latency.ms();
    if !options.expect.contains(&status) {
        return Verdict::down(format!(
            "answered {status}, expected {}-{}",
            options.expect.start(),
            options.expect.end()
        ))
        .with(details);
    }
    let verdict = options.body.as_ref().map_or_else(Verdict::up, |predicate| predicate(&body));
    verdict.or_worse(options.latency.judge(latency)).with(details)
}

/// The body, at most its first 64 KiB. Reading it lets the connection be
/// reused; past the limit the connection is dropped.
async fn read_body(response: &mut reqwest::Response) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) if body.len() < BODY_LIMIT => {
                let room = BODY_LIMIT - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(Some(_)) | Ok(None) => return Ok(body),
            Err(error) => return Err(format!("reading the body: {}", describe(&error))),
        }
    }
}

/// A [`Check`] requesting an HTTP upstream, for a [`Registry`](crate::Registry).
///
/// ```
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use health_core::probe::http_upstream::{RequestCheck, UpstreamOptions};
/// use health_core::Registry;
///
/// let check = RequestCheck::new(reqwest::Client::new(), UpstreamOptions::get("http://127.0.0.1:9/health")?);
/// let mut registry: Registry = Registry::new();
/// registry.register("payments", check)?;
/// # let _ = registry; Ok(()) }
/// # demo().unwrap();
/// ```
#[derive(Debug)]
pub struct RequestCheck {
    client: reqwest::Client,
    options: UpstreamOptions,
}

impl RequestCheck {
    /// A check sending the request of `options` with `client`.
    pub fn new(client: reqwest::Client, options: UpstreamOptions) -> Self {
        RequestCheck { client, options }
    }

    /// The options the check runs with.
    pub fn options(&self) -> &UpstreamOptions {
        &self.options
    }
}

// Kept out of the list of checks that errors about other types suggest.
#[diagnostic::do_not_recommend]
impl<S: ?Sized + Sync> Check<S> for RequestCheck {
    type Details = UpstreamDetails;

    fn run(&self, _: &S) -> impl Future<Output = Outcome<UpstreamDetails>> + Send {
        request(&self.client, &self.options)
    }
}
