//! The status page's two paths: the HTML page and the JSON history it reads.

use serde_json::{Map, Value, json};

use super::Facts;
use super::paths::{error, get_and_head, operation_id};
use crate::http::Visibility;
use crate::http::ui::{HISTORY_SEGMENT, MIN_POLL, SECURITY_HEADERS};
use crate::report::schema::{duration_schema, status_schema, timestamp_schema};

/// The name of the history's schema.
pub(super) const HISTORY_SCHEMA: &str = "HealthHistory";

/// The page's path item and the history's, for a page at `path`.
pub(super) fn items(facts: &Facts, path: &str) -> [(String, Value); 2] {
    let mut page_headers = Map::new();
    for (name, value) in SECURITY_HEADERS {
        page_headers.insert((*name).to_owned(), json!({ "schema": { "type": "string", "enum": [value] } }));
    }
    let page = json!({
        "operationId": operation_id(facts, "get", "HealthStatusPage"),
        "summary": "The status page: statuses, history and timings, in one HTML page",
        "security": [],
        "responses": {
            "200": { "description": "The page", "headers": page_headers, "content": { "text/html": { "schema": { "type": "string" } } } },
            "400": error("A query parameter: the page takes none"),
            "406": error("The Accept header does not admit text/html"),
        },
    });
    let mut responses = json!({
        "200": {
            "description": "Every status and its history",
            "headers": {
                "Cache-Control": { "schema": { "type": "string", "enum": ["no-store"] } },
                "X-Content-Type-Options": { "schema": { "type": "string", "enum": ["nosniff"] } },
            },
            "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{HISTORY_SCHEMA}") } } },
        },
        "400": error("A query parameter: the history takes none"),
        "406": error("The Accept header does not admit application/json"),
    });
    let security = if facts.visibility.needs_token() {
        responses["401"] = error("A wrong bearer token");
        json!([{}, { "healthToken": [] }])
    } else {
        json!([])
    };
    let history = json!({
        "operationId": operation_id(facts, "get", "HealthHistory"),
        "summary": "What the status page shows: every status, its transitions and run durations",
        "security": security,
        "responses": responses,
    });
    [
        (path.to_owned(), get_and_head(facts, page, "HealthStatusPage", "The status page")),
        (
            format!("{path}/{HISTORY_SEGMENT}"),
            get_and_head(facts, history, "HealthHistory", "What the status page shows"),
        ),
    ]
}

/// The history as a request sees it: with details, without, or either
/// when a token decides.
pub(super) fn schema(visibility: &Visibility) -> Value {
    match visibility {
        Visibility::Always => history(true),
        Visibility::Never => history(false),
        Visibility::WhenAuthorized { .. } => json!({ "anyOf": [history(true), history(false)] }),
    }
}

fn history(details: bool) -> Value {
    let strings = json!({ "type": "array", "items": { "type": "string" } });
    let mut transition = object(
        &[
            ("at", timestamp_schema()),
            ("from", json!({ "anyOf": [status_schema(), { "type": "null" }] })),
            ("to", status_schema()),
        ],
        &[],
    );
    if details {
        transition["properties"]["message"] = json!({ "type": "string" });
    }
    let transitions = json!({ "type": "array", "items": transition });
    let overall = object(&[("status", status_schema()), ("transitions", transitions.clone())], &[]);
    let group = object(
        &[
            ("name", json!({ "type": "string" })),
            ("status", status_schema()),
            ("members", strings.clone()),
            ("transitions", transitions.clone()),
        ],
        &[],
    );
    let shown: &[(&str, Value)] = &[
        ("critical", json!({ "type": "boolean" })),
        ("timeout_ms", duration_schema()),
        ("duration_ms", duration_schema()),
        (
            "runs",
            object(
                &[
                    ("duration_ms", json!({ "type": "array", "items": duration_schema() })),
                    ("status", json!({ "type": "array", "items": status_schema() })),
                ],
                &[],
            ),
        ),
    ];
    let optional = [
        ("description", json!({ "type": "string" })),
        ("message", json!({ "type": "string" })),
        ("details", json!({})),
    ];
    let mut component = vec![
        ("name", json!({ "type": "string" })),
        ("status", status_schema()),
        ("groups", strings),
        ("transitions", transitions),
    ];
    if details {
        component.extend(shown.iter().cloned());
    }
    let component = object(&component, if details { &optional } else { &[] });
    let mut body = vec![
        ("title", json!({ "type": "string" })),
        ("status", status_schema()),
        ("now", timestamp_schema()),
        ("background", json!({ "type": "boolean" })),
        ("poll_ms", json!({ "type": "integer", "minimum": MIN_POLL.as_millis() })),
        ("visibility", json!({ "type": "string", "enum": ["always", "never", "when_authorized"] })),
        ("details_shown", json!({ "const": details })),
        ("shutting_down", json!({ "type": "boolean" })),
        ("overall", overall),
        ("groups", json!({ "type": "array", "items": group })),
        ("components", json!({ "type": "array", "items": component })),
    ];
    if details {
        // When the report shown started: a timing.
        body.push(("timestamp", timestamp_schema()));
    }
    object(&body, &[])
}

/// An object with exactly these properties: `required` ones and `optional` ones.
fn object(required: &[(&str, Value)], optional: &[(&str, Value)]) -> Value {
    let properties: Map<String, Value> =
        required.iter().chain(optional).map(|(name, schema)| ((*name).to_owned(), schema.clone())).collect();
    let names: Vec<&str> = required.iter().map(|(name, _)| *name).collect();
    json!({ "type": "object", "properties": properties, "required": names, "additionalProperties": false })
}
