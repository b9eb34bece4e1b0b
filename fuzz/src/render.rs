//! The report renderers on arbitrary messages: control characters, quotes,
//! invalid escapes, very long text.
//!
//! The input is up to four components separated by NUL bytes, each a status
//! byte and a message. Invariants: `application/json` and
//! `application/health+json` are well-formed JSON with one entry per
//! component, the JSON carries each message exactly as redacted, and the
//! Kubernetes text has exactly one line per component, whatever line breaks
//! a message holds, then the verdict.

use health_core::http::{HealthService, Visibility};
use health_core::monitor::Monitor;
use health_core::{CheckOptions, Outcome, Registry, Status, check_fn, redact};
use http::Request;
use http_body_util::{BodyExt, Empty};
use serde_json::Value;
use tower_service::Service;

/// What each component reports.
struct Messages(Vec<(Status, String)>);

const MAX_COMPONENTS: usize = 4;

/// Everything a text reader may take for the end of a line.
const LINE_BREAKS: [char; 7] = ['\n', '\r', '\u{0b}', '\u{0c}', '\u{85}', '\u{2028}', '\u{2029}'];

pub fn check(data: &[u8]) {
    let components: Vec<(Status, String)> = data
        .split(|&b| b == 0)
        .take(MAX_COMPONENTS)
        .map(|part| match part.split_first() {
            Some((status, message)) => (status_of(*status), String::from_utf8_lossy(message).into_owned()),
            None => (Status::Up, String::new()),
        })
        .collect();
    let count = components.len();
    let mut registry = Registry::new();
    for index in 0..count {
        let check = check_fn(move |messages: &Messages| {
            let (status, message) = messages.0[index].clone();
            async move { Outcome::<()>::status_only(status).with_message(message) }
        });
        registry.register_with(format!("c{index}"), check, CheckOptions::new()).expect("distinct names");
    }
    let monitor = Monitor::new(registry, Messages(components.clone()));
    let mut service =
        HealthService::builder(monitor).visibility(Visibility::Always).build().expect("a valid configuration");
    let mut get = |uri: &str, accept: &str| -> (String, String) {
        let request = Request::get(uri).header("accept", accept).body(Empty::<bytes::Bytes>::new()).unwrap();
        let response = crate::runtime::block_on(service.call(request)).unwrap_or_else(|never| match never {});
        let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
        let body = crate::runtime::block_on(response.into_body().collect()).unwrap_or_else(|never| match never {});
        (content_type, String::from_utf8(body.to_bytes().to_vec()).expect("UTF-8 bodies"))
    };

    let (content_type, json) = get("/health", "application/json");
    assert_eq!(content_type, "application/json");
    let json: Value = serde_json::from_str(&json).unwrap_or_else(|error| panic!("not JSON ({error}): {json:?}"));
    let shown = json["components"].as_object().expect("components");
    assert_eq!(shown.len(), count, "{json}");
    for (index, (_, message)) in components.iter().enumerate() {
        let shown = &json["components"][format!("c{index}")]["message"];
        // Left out only when there is nothing to show.
        if !shown.is_null() || !message.is_empty() {
            assert_eq!(shown, &Value::from(redact(message).into_owned()), "message {index} of {json}");
        }
    }

    let (content_type, draft) = get("/health", "application/health+json");
    assert_eq!(content_type, "application/health+json");
    let draft: Value = serde_json::from_str(&draft).unwrap_or_else(|error| panic!("not JSON ({error}): {draft:?}"));
    assert_eq!(draft["checks"].as_object().map(|checks| checks.len()), Some(count), "{draft}");

    let (content_type, text) = get("/health?verbose", "text/plain");
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let body = text.strip_suffix('\n').unwrap_or_else(|| panic!("no final line break: {text:?}"));
    let lines: Vec<&str> = body.split(LINE_BREAKS).collect();
    assert_eq!(lines.len(), count + 1, "one line per component, then the verdict: {text:?}");
    for (index, line) in lines[..count].iter().enumerate() {
        let name = format!("c{index} ");
        assert!(
            line.strip_prefix("[+]").or_else(|| line.strip_prefix("[-]")).is_some_and(|rest| rest.starts_with(&name)),
            "line {index} of {text:?}"
        );
    }
}

fn status_of(byte: u8) -> Status {
    match byte % 3 {
        0 => Status::Up,
        1 => Status::Degraded,
        _ => Status::Down,
    }
}
