//! The details types' schemas, from the report's `$defs` to `components/schemas`.

use serde_json::{Map, Value};

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

/// The report's definitions that `schemas` refer to, directly or through one
/// another, with their references rewritten: a details type only disabled
/// components use is left out.
pub(super) fn used(report: &Value, schemas: &Value) -> Map<String, Value> {
    let Some(Value::Object(definitions)) = report.get("$defs") else { return Map::new() };
    let mut used = Map::new();
    let mut pending = Vec::new();
    references(schemas, &mut pending);
    while let Some(name) = pending.pop() {
        if used.contains_key(&name) {
            continue;
        }
        if let Some(schema) = definitions.get(&name) {
            let schema = rewrite_refs(schema.clone());
            references(&schema, &mut pending);
            used.insert(name, schema);
        }
    }
    used
}

/// Adds the names of the schemas `value` refers to.
fn references(value: &Value, names: &mut Vec<String>) {
    match value {
        Value::Array(items) => items.iter().for_each(|item| references(item, names)),
        Value::Object(map) => {
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("$ref", Value::String(text)) => {
                        if let Some(name) = text.strip_prefix("#/components/schemas/") {
                            names.push(name.to_owned());
                        }
                    }
                    _ => references(value, names),
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_only_the_definitions_in_use() {
        let report = json!({ "$defs": {
            "Pool": { "type": "object", "properties": { "stats": { "$ref": "#/$defs/Stats" } } },
            "Stats": { "type": "integer" },
            "Unused": { "type": "string" },
        }});
        let schemas = json!({ "HealthReport": { "properties": { "db": { "$ref": "#/components/schemas/Pool" } } } });
        let used = used(&report, &schemas);
        assert_eq!(used.keys().collect::<Vec<_>>(), ["Pool", "Stats"]);
        assert_eq!(used["Pool"]["properties"]["stats"]["$ref"], "#/components/schemas/Stats");
    }
}
