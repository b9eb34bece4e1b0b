//! The JSON Schema (2020-12) of a report's JSON, built from the checks' types.

use std::borrow::Cow;

use schemars::generate::{SchemaGenerator, SchemaSettings};
use schemars::{JsonSchema, Schema};
use serde_json::{Map, Value, json};

use crate::check::run::is_unit;
use crate::{Status, Streak};

/// Collects a report's components into its JSON Schema.
///
/// The derive drives it; [`Registry::json_schema`](crate::Registry::json_schema)
/// too. Details types are described by their [`JsonSchema`] implementations and
/// shared through `$defs`.
///
/// ```
/// use health_core::report::SchemaBuilder;
///
/// let mut builder = SchemaBuilder::default();
/// builder.component::<u32>("queue", false, Some("Messages waiting."));
/// let schema = builder.finish("Health");
/// assert_eq!(schema["title"], "Health");
/// assert_eq!(schema["properties"]["components"]["properties"]["queue"]["properties"]["details"]["type"], "integer");
/// ```
#[derive(Debug)]
pub struct SchemaBuilder {
    generator: SchemaGenerator,
    components: Map<String, Value>,
    required: Vec<Value>,
}

impl Default for SchemaBuilder {
    fn default() -> Self {
        SchemaBuilder {
            generator: SchemaGenerator::new(SchemaSettings::draft2020_12().for_serialize()),
            components: Map::new(),
            required: Vec::new(),
        }
    }
}

impl SchemaBuilder {
    /// Adds a component named `name` whose details are of type `T`; a second
    /// component of the same name replaces the first.
    pub fn component<T: JsonSchema + 'static>(&mut self, name: &str, critical: bool, description: Option<&str>) {
        let mut properties = Map::new();
        properties.insert("status".into(), status_schema());
        // A one-value `enum` rather than `const`: the same constraint, and one
        // OpenAPI tooling such as utoipa keeps.
        properties.insert("critical".into(), json!({ "type": "boolean", "enum": [critical] }));
        properties.insert("duration_ms".into(), duration_schema());
        properties.insert("message".into(), json!({ "type": "string" }));
        if !is_unit::<T>() {
            properties.insert("details".into(), self.generator.subschema_for::<T>().to_value());
        }
        properties.insert("streak".into(), self.generator.subschema_for::<Streak>().to_value());
        properties.insert("attempts".into(), attempts_schema());
        let mut schema = Map::new();
        if let Some(description) = description {
            schema.insert("description".into(), description.into());
        }
        schema.insert("type".into(), "object".into());
        schema.insert("properties".into(), properties.into());
        schema.insert("required".into(), json!(["status", "critical", "duration_ms"]));
        schema.insert("additionalProperties".into(), false.into());
        if self.components.insert(name.to_owned(), schema.into()).is_none() {
            self.required.push(name.into());
        }
    }

    /// The schema of the whole report, titled `title`.
    pub fn finish(mut self, title: &str) -> Value {
        let mut schema = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": title,
            "type": "object",
            "properties": {
                "status": status_schema(),
                "timestamp": timestamp_schema(),
                "duration_ms": duration_schema(),
                "components": {
                    "type": "object",
                    "properties": self.components,
                    "required": self.required,
                    "additionalProperties": false,
                },
            },
            "required": ["status", "timestamp", "duration_ms", "components"],
            "additionalProperties": false,
        });
        let definitions = self.generator.take_definitions(true);
        if !definitions.is_empty() {
            schema["$defs"] = definitions.into();
        }
        schema
    }
}

/// The schema of a status: one source for the report schema and the OpenAPI document.
pub(crate) fn status_schema() -> Value {
    json!({ "type": "string", "enum": Status::ALL.map(Status::as_str) })
}

/// Shared by every component through `$defs`, as `HealthStreak`.
impl JsonSchema for Streak {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("HealthStreak")
    }

    fn schema_id() -> Cow<'static, str> {
        Cow::Borrowed("health_core::Streak")
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        match streak_schema() {
            Value::Object(schema) => Schema::from(schema),
            _ => Schema::from(true),
        }
    }
}

/// The schema of a component's [`Streak`], for checks with thresholds.
fn streak_schema() -> Value {
    let count = json!({ "type": "integer", "minimum": 0 });
    let threshold = json!({ "type": "integer", "minimum": 1 });
    json!({
        "type": "object",
        "description": "This run's own status, and the consecutive runs that decided the status shown.",
        "properties": {
            "raw_status": status_schema(),
            "failures": count,
            "successes": count,
            "failure_threshold": threshold,
            "success_threshold": threshold,
        },
        "required": ["raw_status", "failures", "successes", "failure_threshold", "success_threshold"],
        "additionalProperties": false,
    })
}

/// The schema of a run's attempts, shown when a failed attempt was retried.
pub(crate) fn attempts_schema() -> Value {
    json!({ "type": "integer", "minimum": 2, "description": "Attempts the run took, when it retried." })
}

/// The schema of a duration in milliseconds.
pub(crate) fn duration_schema() -> Value {
    json!({ "type": "number", "minimum": 0 })
}

/// The schema of a timestamp.
pub(crate) fn timestamp_schema() -> Value {
    json!({ "type": "string", "format": "date-time" })
}
