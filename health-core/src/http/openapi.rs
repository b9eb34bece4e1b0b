//! The OpenAPI 3.1 description of the endpoints, and Kubernetes probe
//! manifests, generated from the report and the service's configuration.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::{ComponentInfo, HealthReport, Selection, Status};

use super::route::Endpoint;
use super::{HealthService, StatusCodes, Visibility};

/// The errors the endpoints answer with, whatever the configuration.
const ERRORS: [(u16, &str); 5] = [
    (400, "A malformed query string or Accept header"),
    (404, "An unknown component"),
    (405, "Only GET and HEAD are answered"),
    (406, "No format the Accept header admits"),
    (414, "A query string longer than 1024 bytes"),
];

/// Codes the endpoints answer errors with, whatever the configuration.
pub(crate) const ERROR_CODES: [u16; 5] = [ERRORS[0].0, ERRORS[1].0, ERRORS[2].0, ERRORS[3].0, ERRORS[4].0];

/// The names of the schemas the document adds beside the report's own definitions.
pub(crate) const OWN_SCHEMAS: [&str; 4] = ["HealthError", "HealthCheckResponse", "HealthCheckList", "HealthCheck"];

impl<H: HealthReport> HealthService<H>
where
    H::State: Sized,
{
    /// The enabled components of `endpoint`.
    fn members(&self, endpoint: Endpoint) -> Vec<&'static ComponentInfo> {
        let selection = match endpoint.group() {
            Some(group) => Selection::group(H::COMPONENTS, group),
            None => Selection::all(),
        };
        let selection = selection.intersect(self.inner.enabled);
        H::COMPONENTS.iter().enumerate().filter(|(i, _)| selection.contains(*i)).map(|(_, c)| c).collect()
    }

    /// An OpenAPI 3.1 document of the endpoints as configured: paths, every
    /// status code and media type they can answer with, the query parameters,
    /// the report schemas under `components/schemas`, and the bearer scheme
    /// when details need a token.
    ///
    /// ```
    /// use health_core::http::HealthEndpoints;
    /// use health_core::{health_check, HealthReport};
    ///
    /// #[health_check]
    /// async fn ping() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { ping: PingCheck }
    ///
    /// let service = HealthEndpoints::new(Health::default(), ()).build().unwrap();
    /// let document = service.openapi();
    /// assert_eq!(document["openapi"], "3.1.0");
    /// assert!(document["paths"]["/health/ready"]["get"]["responses"]["503"].is_object());
    /// ```
    pub fn openapi(&self) -> Value {
        let inner = &self.inner;
        let report = H::json_schema();
        let title = report["title"].as_str().unwrap_or("Health").to_owned();
        let mut schemas = Map::new();
        if let Some(Value::Object(definitions)) = report.get("$defs") {
            for (name, schema) in definitions {
                schemas.insert(name.clone(), rewrite_refs(schema.clone()));
            }
        }
        let details = rewrite_refs(report["properties"]["components"]["properties"].clone());
        // `build` refused details types named like these.
        schemas.insert("HealthError".into(), error_schema());
        let (response, list, check) = draft_schemas();
        schemas.insert("HealthCheckResponse".into(), response);
        schemas.insert("HealthCheckList".into(), list);
        schemas.insert("HealthCheck".into(), check);

        let mut paths = Map::new();
        let base = &inner.base_path;
        let enabled: Vec<&str> = self.members(Endpoint::All).iter().map(|c| c.name).collect();
        let served =
            Served { visibility: &inner.visibility, enabled: &enabled, background: inner.stale_after.is_some() };
        for endpoint in [Endpoint::All, Endpoint::Live, Endpoint::Ready, Endpoint::Startup] {
            let members = self.members(endpoint);
            let name = format!("{title}{}", suffix(endpoint));
            schemas.insert(name.clone(), report_schema(&members, &details, &inner.visibility));
            let path = endpoint.segment().map_or_else(|| base.clone(), |segment| format!("{base}/{segment}"));
            paths.insert(path, path_item(endpoint, &name, &members, &inner.codes[endpoint as usize], &served));
        }
        let all = self.members(Endpoint::All);
        if !all.is_empty() {
            let name = format!("{title}{}", suffix(Endpoint::Component));
            schemas.insert(name.clone(), report_schema(&all, &details, &inner.visibility));
            let codes = &inner.codes[Endpoint::Component as usize];
            paths.insert(format!("{base}/{{component}}"), path_item(Endpoint::Component, &name, &all, codes, &served));
        }

        if let Some(path) = &inner.openapi_path {
            let document = json!({ "description": "This document", "content": { "application/json": { "schema": { "type": "object" } } } });
            let summary = "The OpenAPI document of the health endpoints";
            paths.insert(path.clone(), json!({ "get": { "summary": summary, "responses": { "200": document } } }));
        }
        let mut components = json!({ "schemas": schemas });
        if matches!(inner.visibility, Visibility::WhenAuthorized { .. }) {
            components["securitySchemes"] = json!({ "healthToken": { "type": "http", "scheme": "bearer" } });
        }
        json!({
            "openapi": "3.1.0",
            "info": { "title": format!("{title} health endpoints"), "version": env!("CARGO_PKG_VERSION") },
            "paths": paths,
            "components": components,
        })
    }

    /// [`openapi`](Self::openapi) as YAML.
    pub fn openapi_yaml(&self) -> String {
        to_yaml(&self.openapi())
    }

    /// Kubernetes `startupProbe`, `readinessProbe` and `livenessProbe` for a
    /// container listening on `port`, as YAML for its spec. Each probe's
    /// `timeoutSeconds` is its group's longest check timeout rounded up, plus a
    /// second for the answer to travel, so a probe never gives up before the
    /// checks may finish.
    pub fn probes(&self, port: u16) -> String {
        let probe = |endpoint: Endpoint, period: u64, failures: u64| {
            let longest = self.members(endpoint).iter().map(|c| c.timeout).max().unwrap_or_default();
            // Kubernetes reads these fields as 32-bit integers.
            let seconds = longest.as_nanos().div_ceil(1_000_000_000) + 1;
            let timeout = u64::try_from(seconds).unwrap_or(u64::MAX).min(i32::MAX as u64);
            json!({
                "httpGet": { "path": format!("{}/{}", self.inner.base_path, endpoint.segment().unwrap_or_default()), "port": port },
                "timeoutSeconds": timeout,
                "periodSeconds": period.max(timeout).min(i32::MAX as u64),
                "failureThreshold": failures,
            })
        };
        to_yaml(&json!({
            "startupProbe": probe(Endpoint::Startup, 5, 30),
            "readinessProbe": probe(Endpoint::Ready, 5, 3),
            "livenessProbe": probe(Endpoint::Live, 10, 3),
        }))
    }
}

/// Adds `snippet`'s paths, schemas and security schemes to `document`,
/// leaving what it already has alone. A path or schema both define
/// differently, or a section of `document` that is not an object, is an error
/// naming it, and then `document` is left unchanged.
pub fn merge_openapi(document: &mut Value, snippet: &Value) -> Result<(), String> {
    const SECTIONS: [(&str, &str); 3] =
        [("paths", "/paths"), ("schemas", "/components/schemas"), ("security schemes", "/components/securitySchemes")];
    if !document.is_object() {
        return Err("the document is not a JSON object".into());
    }
    for (section, pointer) in SECTIONS {
        let Some(Value::Object(additions)) = snippet.pointer(pointer) else { continue };
        let existing = match document.pointer(pointer) {
            None => continue,
            Some(Value::Object(existing)) => existing,
            Some(_) => return Err(format!("the document's {section} are not an object")),
        };
        if let Some((name, _)) = additions.iter().find(|(name, value)| existing.get(*name).is_some_and(|e| e != *value))
        {
            return Err(format!("the document already has other {section} at `{name}`"));
        }
    }
    if document.get("components").is_some_and(|components| !components.is_object()) {
        return Err("the document's components are not an object".into());
    }
    for (_, pointer) in SECTIONS {
        let Some(Value::Object(additions)) = snippet.pointer(pointer) else { continue };
        let mut node = &mut *document;
        for key in pointer.split('/').skip(1) {
            node = match node {
                Value::Object(map) => map.entry(key).or_insert_with(|| json!({})),
                _ => return Err(format!("`{pointer}` is not an object")),
            };
        }
        if let Value::Object(target) = node {
            for (name, value) in additions {
                target.entry(name.clone()).or_insert_with(|| value.clone());
            }
        }
    }
    Ok(())
}

fn suffix(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::All => "Report",
        Endpoint::Live => "Liveness",
        Endpoint::Ready => "Readiness",
        Endpoint::Startup => "Startup",
        Endpoint::Component => "Component",
    }
}

fn status_schema() -> Value {
    json!({ "type": "string", "enum": Status::ALL.map(Status::as_str) })
}

/// The JSON of an endpoint: its components, none required (`exclude` can leave
/// any out), each with details typed as in the report's schema; or statuses
/// only, as visibility decides.
fn report_schema(members: &[&ComponentInfo], details: &Value, visibility: &Visibility) -> Value {
    let full = {
        let properties: Map<String, Value> =
            members.iter().map(|c| (c.name.to_owned(), details[c.name].clone())).collect();
        json!({
            "type": "object",
            "properties": {
                "status": status_schema(),
                "message": { "type": "string" },
                "timestamp": { "type": "string", "format": "date-time" },
                "duration_ms": { "type": "number", "minimum": 0 },
                "components": components_schema(properties),
            },
            "required": ["status", "timestamp", "duration_ms", "components"],
            "additionalProperties": false,
        })
    };
    let statuses = {
        let component = json!({ "type": "object", "properties": { "status": status_schema() }, "required": ["status"], "additionalProperties": false });
        let properties: Map<String, Value> = members.iter().map(|c| (c.name.to_owned(), component.clone())).collect();
        json!({
            "type": "object",
            "properties": {
                "status": status_schema(),
                "message": { "type": "string" },
                "components": components_schema(properties),
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
fn components_schema(properties: Map<String, Value>) -> Value {
    let mut schema = json!({ "type": "object", "additionalProperties": false });
    if !properties.is_empty() {
        schema["properties"] = Value::Object(properties);
    }
    schema
}

fn error_schema() -> Value {
    json!({
        "type": "object",
        "properties": { "error": { "type": "string" }, "message": { "type": "string" } },
        "required": ["error", "message"],
        "additionalProperties": false,
    })
}

/// The IETF "Health Check Response Format for HTTP APIs" draft, as answered:
/// the response, the list each `checks` entry holds, and one check. Named
/// schemas rather than nested ones, which some OpenAPI tooling (utoipa) keeps.
fn draft_schemas() -> (Value, Value, Value) {
    let status = json!({ "type": "string", "enum": ["pass", "warn", "fail"] });
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
            "time": { "type": "string", "format": "date-time" },
            "output": { "type": "string" },
        },
        // `details`, when shown, may be any JSON: it is allowed, not listed.
        "required": ["componentId", "status"],
    });
    (response, list, check)
}

/// What a path item needs of the service's configuration.
struct Served<'a> {
    visibility: &'a Visibility,
    /// Every enabled component: any of them may be excluded on any endpoint.
    enabled: &'a [&'a str],
    /// Whether answers come from background snapshots, with an `Age` header.
    background: bool,
}

fn path_item(
    endpoint: Endpoint,
    schema: &str,
    members: &[&ComponentInfo],
    codes: &StatusCodes,
    served: &Served,
) -> Value {
    let visibility = served.visibility;
    let enabled = served.enabled;
    let mut parameters = Vec::new();
    // The path's own parameter is declared on the path item, for every method.
    let path_parameters = (endpoint == Endpoint::Component).then(|| {
        let names: Vec<&str> = members.iter().map(|c| c.name).collect();
        json!([{ "name": "component", "in": "path", "required": true, "schema": { "type": "string", "enum": names } }])
    });
    parameters.push(json!({
        "name": "verbose",
        "in": "query",
        "required": false,
        "description": "Answer in text lines, as Kubernetes' `/readyz?verbose` does.",
        "schema": { "type": "string", "enum": ["", "true", "1"] },
    }));
    // Any enabled component may be excluded on any endpoint.
    let names = enabled;
    if !names.is_empty() {
        parameters.push(json!({
            "name": "exclude",
            "in": "query",
            "required": false,
            "description": "Components to leave out; repeatable.",
            "style": "form",
            "explode": true,
            "schema": { "type": "array", "items": { "type": "string", "enum": names }, "uniqueItems": true },
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
    if served.background {
        headers["Age"] = json!({ "description": "Seconds since the report answered was taken", "schema": { "type": "integer", "minimum": 0 } });
    }
    let mut responses = Map::new();
    for status in Status::ALL {
        let code = codes.code(status).as_u16().to_string();
        let description = match responses.get(&code).and_then(|r: &Value| r["description"].as_str()) {
            Some(earlier) => format!("{earlier} or {status}"),
            None => format!("The report is {status}"),
        };
        responses.insert(code, json!({ "description": description, "headers": headers, "content": report }));
    }
    let error = |description: &str| json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/HealthError" } } } });
    responses.insert("400".into(), error("A malformed query string or Accept header"));
    responses.insert("404".into(), error("An unknown component"));
    responses.insert("406".into(), error("No format the Accept header admits"));
    responses.insert("414".into(), error("A query string longer than 1024 bytes"));
    if matches!(visibility, Visibility::WhenAuthorized { .. }) {
        responses.insert("401".into(), error("A wrong bearer token"));
    }
    let summary = match endpoint {
        Endpoint::All => "Every component",
        Endpoint::Live => "Liveness: whether the process should be restarted",
        Endpoint::Ready => "Readiness: whether the instance should receive traffic",
        Endpoint::Startup => "Startup: whether the instance has finished starting",
        Endpoint::Component => "One component",
    };
    let mut operation = json!({ "summary": summary, "parameters": parameters, "responses": responses });
    if matches!(visibility, Visibility::WhenAuthorized { .. }) {
        // Anonymous requests are answered too, with statuses only.
        operation["security"] = json!([{}, { "healthToken": [] }]);
    }
    let mut head = operation.clone();
    head["summary"] = json!(format!("{summary} (headers only)"));
    if let Some(Value::Object(responses)) = head.get_mut("responses") {
        for response in responses.values_mut() {
            if let Some(response) = response.as_object_mut() {
                response.remove("content");
            }
        }
    }
    let mut item = json!({ "get": operation, "head": head });
    if let Some(path_parameters) = path_parameters {
        item["parameters"] = path_parameters;
    }
    // Other methods are not operations: they get 405 with `Allow: GET, HEAD`,
    // which is what an undeclared method means to OpenAPI tools (schemathesis
    // checks exactly that); declaring them would announce them as supported.
    item
}

/// Points `$ref`s at `components/schemas` instead of `$defs`.
pub(crate) fn rewrite_refs(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(rewrite_refs).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| match (key.as_str(), value) {
                    ("$ref", Value::String(text)) => {
                        let rewritten = match text.strip_prefix("#/$defs/") {
                            Some(name) => format!("#/components/schemas/{name}"),
                            None => text,
                        };
                        (key, Value::String(rewritten))
                    }
                    (_, value) => (key, rewrite_refs(value)),
                })
                .collect(),
        ),
        other => other,
    }
}

/// YAML of a JSON value: block style, every key and string double-quoted (so
/// that `"200"` stays a string), numbers, booleans and null plain.
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    write_yaml(&mut out, value, 0);
    out
}

fn write_yaml(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, value) in map {
                let _ = write!(out, "{pad}{}:", Value::String(key.clone()));
                write_nested(out, value, indent);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for item in items {
                let _ = write!(out, "{pad}-");
                write_nested(out, item, indent);
            }
        }
        scalar => {
            let _ = writeln!(out, "{pad}{scalar}");
        }
    }
}

fn write_nested(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_yaml(out, value, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_yaml(out, value, indent + 2);
        }
        // Scalars and empty collections are valid YAML flow values as JSON writes them.
        scalar => {
            let _ = writeln!(out, " {scalar}");
        }
    }
}
