//! The schemas of the answers: reports as each endpoint shows them, errors,
//! and the IETF draft format.

use serde_json::{Map, Value, json};

use crate::http::Visibility;
use crate::http::render::draft_status;
use crate::report::schema::{duration_schema, status_schema, timestamp_schema};
use crate::{ComponentInfo, Status};

/// The JSON of an endpoint: its components, none required (`exclude` can leave
/// any out), each with details typed as in the report's schema; or statuses
/// only, as visibility decides.
pub(super) fn report(members: &[&ComponentInfo], details: &Value, visibility: &Visibility) -> Value {
    let full = {
        let properties: Map<String, Value> =
            members.iter().map(|c| (c.name().to_owned(), details[c.name()].clone())).collect();
        json!({
            "type": "object",
            "properties": {
                "status": status_schema(),
                "message": { "type": "string" },
                "timestamp": timestamp_schema(),
                "duration_ms": duration_schema(),
                "components": components(properties),
            },
            "required": ["status", "timestamp", "duration_ms", "components"],
            "additionalProperties": false,
        })
    };
    let statuses = {
        let component = json!({ "type": "object", "properties": { "status": status_schema() }, "required": ["status"], "additionalProperties": false });
        let properties: Map<String, Value> = members.iter().map(|c| (c.name().to_owned(), component.clone())).collect();
        json!({
            "type": "object",
            "properties": {
                "status": status_schema(),
                "message": { "type": "string" },
                "components": components(properties),
            },
            "required": ["status", "components"],
            "additionalProperties": false,
        })
    };
    match visibility {
        Visibility::Always => full,
        Visibility::Never => statuses,
        Visibility::WhenAuthorized { .. } => json!({ "anyOf": [full, statuses] }),
    }
}

/// An object of exactly these components; none when the map is empty.
fn components(properties: Map<String, Value>) -> Value {
    let mut schema = json!({ "type": "object", "additionalProperties": false });
    if !properties.is_empty() {
        schema["properties"] = Value::Object(properties);
    }
    schema
}

pub(super) fn error() -> Value {
    json!({
        "type": "object",
        "properties": { "error": { "type": "string" }, "message": { "type": "string" } },
        "required": ["error", "message"],
        "additionalProperties": false,
    })
}

/// The schemas of the IETF "Health Check Response Format for HTTP APIs"
/// draft, as answered. Named schemas rather than nested ones, which some
/// OpenAPI tooling (utoipa) keeps.
pub(super) struct Draft {
    pub(super) response: Value,
    /// The list each `checks` entry holds.
    pub(super) list: Value,
    pub(super) check: Value,
}

pub(super) fn draft() -> Draft {
    let status = json!({ "type": "string", "enum": Status::ALL.map(draft_status) });
    let response = json!({
        "type": "object",
        "properties": {
            "status": status,
            "output": { "type": "string" },
            "checks": { "type": "object", "additionalProperties": { "$ref": "#/components/schemas/HealthCheckList" } },
        },
        "required": ["status", "checks"],
    });
    let list = json!({ "type": "array", "items": { "$ref": "#/components/schemas/HealthCheck" } });
    let check = json!({
        "type": "object",
        "properties": {
            "componentId": { "type": "string" },
            "status": status,
            "observedValue": { "type": "number" },
            "observedUnit": { "type": "string" },
            "time": timestamp_schema(),
            "output": { "type": "string" },
        },
        // `details`, `streak` and `attempts`, when shown, are allowed, not
        // listed: the report's own schema types them.
        "required": ["componentId", "status"],
    });
    Draft { response, list, check }
}
