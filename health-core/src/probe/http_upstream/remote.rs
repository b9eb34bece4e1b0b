//! Another service's health, read as health: the status its report says and
//! its components, not only the HTTP status of its answer.
//!
//! Three report formats are understood:
//!
//! - this crate's JSON (`UP`, `DEGRADED`, `DOWN`, with `components`);
//! - `application/health+json` (`pass`, `warn`, `fail`, with `checks`);
//! - Spring Boot Actuator's (`UP`, `DOWN`, `OUT_OF_SERVICE`, `UNKNOWN`,
//!   with `components`).
//!
//! The remote's status becomes the probe's: a DEGRADED remote is DEGRADED,
//! not UP because it answered 200 (`warn` and Spring's `UNKNOWN` are
//! DEGRADED; `fail` and `OUT_OF_SERVICE` are DOWN). A remote that answers 503
//! with a report is judged by that report, with its components (a DOWN one
//! says DOWN). A 4xx answer is DOWN whatever its body: the URL or the
//! credentials are wrong, and no report is read. Its components are
//! kept in the details with their statuses and messages, the messages
//! redacted. An answer that is not a report is DOWN, saying so, and a slow
//! remote is bounded by the check's timeout.
//!
//! ```no_run
//! use health_core::probe::http_upstream::{self, RemoteHealthDetails, UpstreamOptions};
//! use health_core::{health_check, Outcome};
//!
//! struct AppState { http: reqwest::Client, orders: UpstreamOptions }
//!
//! #[health_check(timeout = "2s")]
//! async fn orders_service(state: &AppState) -> Outcome<RemoteHealthDetails> {
//!     http_upstream::health(&state.http, &state.orders).await
//! }
//! ```

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{UpstreamOptions, read_body};
use crate::probe::judge::{Stopwatch, Verdict, describe};
use crate::{Check, Outcome, Status};

/// The format a remote report was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RemoteFormat {
    /// This crate's JSON.
    HealthCore,
    /// `application/health+json`.
    HealthJson,
    /// Spring Boot Actuator's JSON.
    SpringBoot,
}

/// A component of the remote report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct RemoteComponent {
    /// Its status, in this crate's terms: `UP`, `DEGRADED` or `DOWN`.
    #[schemars(with = "RemoteStatus")]
    pub status: Status,
    /// Its message, redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A status as the schema shows it.
#[derive(JsonSchema)]
#[allow(dead_code)]
enum RemoteStatus {
    #[serde(rename = "UP")]
    Up,
    #[serde(rename = "DEGRADED")]
    Degraded,
    #[serde(rename = "DOWN")]
    Down,
}

/// What the remote health probe read.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[non_exhaustive]
pub struct RemoteHealthDetails {
    /// The URL requested, its password and query secrets masked.
    pub url: String,
    /// The HTTP status answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// The format of the report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<RemoteFormat>,
    /// The status the report says, as it says it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_status: Option<String>,
    /// The report's components, by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub components: BTreeMap<String, RemoteComponent>,
    /// How long the answer took, body included.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
}

/// Reads the health report at `options`' URL with `client`, and judges the
/// remote by what it says.
pub async fn health(client: &reqwest::Client, options: &UpstreamOptions) -> Outcome<RemoteHealthDetails> {
    let mut details = RemoteHealthDetails {
        url: options.shown_url(),
        http_status: None,
        format: None,
        remote_status: None,
        components: BTreeMap::new(),
        latency_ms: None,
    };
    let stopwatch = Stopwatch::start();
    let request = client
        .request(options.method.clone(), options.url.clone())
        .header(reqwest::header::ACCEPT, "application/json, application/health+json;q=0.9");
    let mut response = match request.send().await {
        Ok(response) => response,
        Err(error) => return Verdict::down(describe(&error)).with(details),
    };
    let http_status = response.status().as_u16();
    details.http_status = Some(http_status);
    let health_json = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/health+json"));
    let body = match read_body(&mut response).await {
        Ok(body) => body,
        Err(error) => return Verdict::down(error).with(details),
    };
    let latency = stopwatch.stop();
    details.latency_ms = latency.ms();
    if (400..500).contains(&http_status) {
        return Verdict::down(format!("answered {http_status}: not a health report")).with(details);
    }
    let report = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(report)) => report,
        Ok(_) => return Verdict::down(format!("answered {http_status}, not a health report")).with(details),
        Err(_) if body.len() >= super::BODY_LIMIT => {
            let limit = super::BODY_LIMIT / 1024;
            return Verdict::down(format!("answered {http_status}, a report larger than {limit} KiB")).with(details);
        }
        Err(error) => {
            return Verdict::down(format!("answered {http_status}, not a health report: {error}")).with(details);
        }
    };
    let Some(read) = read_report(&report, health_json) else {
        return Verdict::down(format!("answered {http_status}, a JSON object without a health status")).with(details);
    };
    details.format = Some(read.format);
    details.remote_status = Some(read.said);
    details.components = read.components;
    let named = |wanted: Status| {
        let names: Vec<&str> =
            details.components.iter().filter(|(_, c)| c.status == wanted).map(|(name, _)| name.as_str()).collect();
        if names.is_empty() { String::new() } else { format!(": {}", names.join(", ")) }
    };
    let verdict = match read.status {
        Status::Up => Verdict::up(),
        Status::Degraded => Verdict::degraded(format!("the remote is DEGRADED{}", named(Status::Degraded))),
        _ => Verdict::down(format!("the remote is DOWN{}", named(Status::Down))),
    };
    verdict.or_worse(options.latency.judge(latency)).with(details)
}

/// A report as read: its format, its status as said and as ours, its components.
struct Read {
    format: RemoteFormat,
    said: String,
    status: Status,
    components: BTreeMap<String, RemoteComponent>,
}

/// The status of a report in any of the three formats, and its components.
fn read_report(report: &serde_json::Map<String, Value>, health_json: bool) -> Option<Read> {
    let said = report.get("status")?.as_str()?.to_owned();
    let health_json = health_json || report.get("checks").is_some_and(Value::is_object);
    if health_json {
        let status = health_json_status(&said)?;
        let checks = report.get("checks").and_then(Value::as_object);
        let components = checks
            .into_iter()
            .flatten()
            .filter_map(|(name, entries)| {
                // A check is a list of measurements: the worst one is its status.
                let entries: Vec<&Value> = match entries {
                    Value::Array(list) => list.iter().collect(),
                    single => vec![single],
                };
                let status =
                    entries.iter().filter_map(|entry| health_json_status(entry.get("status")?.as_str()?)).max()?;
                let message = entries.iter().find_map(|entry| entry.get("output")?.as_str()).map(redacted);
                Some((name.clone(), RemoteComponent { status, message }))
            })
            .collect();
        return Some(Read { format: RemoteFormat::HealthJson, said, status, components });
    }
    let status = match said.as_str() {
        "UP" => Status::Up,
        "DEGRADED" | "UNKNOWN" => Status::Degraded,
        "DOWN" | "OUT_OF_SERVICE" => Status::Down,
        _ => return None,
    };
    let components_of = report.get("components").and_then(Value::as_object);
    let ours = report.contains_key("duration_ms")
        || report.contains_key("timestamp")
        || said == "DEGRADED"
        || components_of.into_iter().flatten().any(|(_, c)| c.get("critical").is_some());
    let components = components_of
        .into_iter()
        .flatten()
        .filter_map(|(name, component)| {
            let status = match component.get("status")?.as_str()? {
                "UP" => Status::Up,
                "DEGRADED" | "UNKNOWN" => Status::Degraded,
                _ => Status::Down,
            };
            // Ours say why in `message`; Spring in `details.error`.
            let message = component
                .get("message")
                .or_else(|| component.get("details")?.get("error"))
                .and_then(Value::as_str)
                .map(redacted);
            Some((name.clone(), RemoteComponent { status, message }))
        })
        .collect();
    let format = if ours { RemoteFormat::HealthCore } else { RemoteFormat::SpringBoot };
    Some(Read { format, said, status, components })
}

/// `pass`, `warn` and `fail`, and the synonyms the draft allows.
fn health_json_status(said: &str) -> Option<Status> {
    match said {
        "pass" | "ok" | "up" => Some(Status::Up),
        "warn" => Some(Status::Degraded),
        "fail" | "error" | "down" => Some(Status::Down),
        _ => None,
    }
}

fn redacted(message: &str) -> String {
    crate::redact(message).into_owned()
}

/// A [`Check`] reading another service's health report, for a
/// [`Registry`](crate::Registry).
///
/// ```
/// # fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use health_core::probe::http_upstream::{RemoteHealthCheck, UpstreamOptions};
/// use health_core::Registry;
///
/// let orders = UpstreamOptions::get("http://orders.internal:8080/health")?;
/// let mut registry: Registry = Registry::new();
/// registry.register("orders", RemoteHealthCheck::new(reqwest::Client::new(), orders))?;
/// # Ok(()) }
/// # demo().unwrap();
/// ```
#[derive(Debug)]
pub struct RemoteHealthCheck {
    client: reqwest::Client,
    options: UpstreamOptions,
}

impl RemoteHealthCheck {
    /// A check reading the report at `options`' URL with `client`.
    pub fn new(client: reqwest::Client, options: UpstreamOptions) -> Self {
        RemoteHealthCheck { client, options }
    }
}

// Kept out of the list of checks that errors about other types suggest.
#[diagnostic::do_not_recommend]
impl<S: ?Sized + Sync> Check<S> for RemoteHealthCheck {
    type Details = RemoteHealthDetails;

    fn run(&self, _: &S) -> impl Future<Output = Outcome<RemoteHealthDetails>> + Send {
        health(&self.client, &self.options)
    }
}
