//! The path items: operations, parameters and every answer they can give.

use serde_json::{Map, Value, json};

use super::{ERRORS, Facts};
use crate::http::Endpoint;
use crate::http::route::GROUP_SEGMENT;
use crate::{ComponentInfo, Status};

/// The path and item of `endpoint`, whose report schema is named `schema`;
/// `None` for an endpoint with nothing to serve (no custom group, no component).
pub(super) fn path_item(
    facts: &Facts,
    endpoint: Endpoint,
    schema: &str,
    members: &[&ComponentInfo],
) -> Option<(String, Value)> {
    let base = facts.base_path;
    let (path, parameter) = match endpoint {
        Endpoint::All => (base.to_owned(), None),
        Endpoint::Live | Endpoint::Ready | Endpoint::Startup => {
            (format!("{base}/{}", endpoint.segment().unwrap_or_default()), None)
        }
        Endpoint::Group => {
            let names: Vec<&str> = facts.custom_groups().collect();
            if names.is_empty() {
                return None;
            }
            (format!("{base}/{GROUP_SEGMENT}/{{group}}"), Some(path_parameter("group", &names)))
        }
        Endpoint::Component => {
            let names: Vec<&str> = members.iter().map(|c| c.name()).collect();
            if names.is_empty() {
                return None;
            }
            (format!("{base}/{{component}}"), Some(path_parameter("component", &names)))
        }
    };
    let get = operation(facts, endpoint, schema);
    let mut item = get_and_head(facts, get, endpoint_name(endpoint), summary(endpoint));
    // The path's own parameter is declared on the path item, for every method.
    if let Some(parameter) = parameter {
        item["parameters"] = json!([parameter]);
    }
    // Other methods are not operations: they get 405 with `Allow: GET, HEAD`,
    // which is what an undeclared method means to OpenAPI tools (schemathesis
    // checks exactly that); declaring them would announce them as supported.
    Some((path, item))
}

/// A path item of the GET operation `get`, named `name`, and its HEAD
/// twin: the same answers without their bodies.
pub(super) fn get_and_head(facts: &Facts, get: Value, name: &str, summary: &str) -> Value {
    let mut head = get.clone();
    head["operationId"] = json!(operation_id(facts, "head", name));
    head["summary"] = json!(format!("{summary} (headers only)"));
    if let Some(Value::Object(responses)) = head.get_mut("responses") {
        for response in responses.values_mut() {
            if let Some(response) = response.as_object_mut() {
                response.remove("content");
            }
        }
    }
    json!({ "get": get, "head": head })
}

/// The item of the document's own path.
pub(super) fn document_item(facts: &Facts) -> Value {
    let document = json!({ "description": "This document", "content": { "application/json": { "schema": { "type": "object" } } } });
    json!({ "get": {
        "operationId": operation_id(facts, "get", "OpenApiDocument"),
        "summary": "The OpenAPI document of the health endpoints",
        "security": [],
        "responses": { "200": document, "406": error("The Accept header does not admit application/json") },
    }})
}

fn path_parameter(name: &str, values: &[&str]) -> Value {
    json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "enum": values } })
}

/// `getHealthReady`, or with a prefix `ordersGetHealthReady`.
pub(super) fn operation_id(facts: &Facts, method: &str, name: &str) -> String {
    let prefix = &facts.options.operation_prefix;
    if prefix.is_empty() {
        return format!("{method}{name}");
    }
    let mut method = method.to_owned();
    method[..1].make_ascii_uppercase();
    format!("{prefix}{method}{name}")
}

fn endpoint_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::All => "Health",
        Endpoint::Live => "HealthLive",
        Endpoint::Ready => "HealthReady",
        Endpoint::Startup => "HealthStartup",
        Endpoint::Group => "HealthGroup",
        Endpoint::Component => "HealthComponent",
    }
}

fn summary(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::All => "Every component",
        Endpoint::Live => "Liveness: whether the process should be restarted",
        Endpoint::Ready => "Readiness: whether the instance should receive traffic",
        Endpoint::Startup => "Startup: whether the instance has finished starting",
        Endpoint::Group => "A custom group of components",
        Endpoint::Component => "One component",
    }
}

pub(super) fn error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/HealthError" } } } })
}

fn operation(facts: &Facts, endpoint: Endpoint, schema: &str) -> Value {
    let mut parameters = vec![json!({
        "name": "verbose",
        "in": "query",
        "required": false,
        "description": "Answer in text lines, as Kubernetes' `/readyz?verbose` does.",
        "schema": { "type": "string", "enum": ["", "true", "1"] },
    })];
    // Any enabled component may be excluded on any endpoint.
    let enabled: Vec<&str> = facts.members(facts.enabled).iter().map(|c| c.name()).collect();
    if !enabled.is_empty() {
        parameters.push(json!({
            "name": "exclude",
            "in": "query",
            "required": false,
            "description": "Components to leave out; repeatable.",
            "style": "form",
            "explode": true,
            "schema": { "type": "array", "items": { "type": "string", "enum": enabled }, "uniqueItems": true },
        }));
    }
    let reference = format!("#/components/schemas/{schema}");
    let report = json!({
        "application/json": { "schema": { "$ref": reference } },
        "application/health+json": { "schema": { "$ref": "#/components/schemas/HealthCheckResponse" } },
        "text/plain": { "schema": { "type": "string" } },
    });
    let mut headers = json!({
        "Cache-Control": { "schema": { "type": "string", "enum": ["no-store"] } },
    });
    if facts.background {
        headers["Age"] = json!({ "description": "Seconds since the report answered was taken", "schema": { "type": "integer", "minimum": 0 } });
    }
    let mut responses = Map::new();
    // A templated path serves several subjects, each with its own codes.
    let mut answers: Vec<(u16, Vec<Status>)> = Vec::new();
    for (codes, status) in facts.endpoint_codes(endpoint).flat_map(|codes| Status::ALL.map(|status| (codes, status))) {
        let code = codes.of(status).as_u16();
        match answers.iter_mut().find(|(own, _)| *own == code) {
            Some((_, statuses)) if statuses.contains(&status) => {}
            Some((_, statuses)) => statuses.push(status),
            None => answers.push((code, vec![status])),
        }
    }
    for (code, statuses) in answers {
        let statuses: Vec<String> = statuses.iter().map(ToString::to_string).collect();
        let description = format!("The report is {}", statuses.join(" or "));
        responses
            .insert(code.to_string(), json!({ "description": description, "headers": headers, "content": report }));
    }
    // 405 is answered to methods that are not operations; see `path_item`.
    for (code, description) in ERRORS.into_iter().filter(|(code, _)| *code != 405) {
        responses.insert(code.to_string(), error(description));
    }
    let security = if facts.visibility.needs_token() {
        responses.insert("401".into(), error("A wrong bearer token"));
        // Anonymous requests are answered too, with statuses only.
        json!([{}, { "healthToken": [] }])
    } else {
        json!([])
    };
    json!({
        "operationId": operation_id(facts, "get", endpoint_name(endpoint)),
        "summary": summary(endpoint),
        "parameters": parameters,
        "responses": responses,
        "security": security,
    })
}
