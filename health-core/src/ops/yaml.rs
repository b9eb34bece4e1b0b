//! YAML of a JSON value, written by yaml-rust2: keys plain, strings quoted
//! only where YAML needs it (`"200"` stays a string, `description` does not).

use serde_json::Value;
use yaml_rust2::{Yaml, YamlEmitter, yaml::Hash};

/// `value` as a YAML document, without the `---` that starts one, so that it
/// can be pasted into another.
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    let mut emitter = YamlEmitter::new(&mut out);
    // Writing into a `String` cannot fail.
    let _ = emitter.dump(&yaml(value));
    let mut text = out.strip_prefix("---\n").map(str::to_owned).unwrap_or(out);
    text.push('\n');
    text
}

fn yaml(value: &Value) -> Yaml {
    match value {
        Value::Null => Yaml::Null,
        Value::Bool(flag) => Yaml::Boolean(*flag),
        Value::Number(number) => match number.as_i64() {
            Some(integer) => Yaml::Integer(integer),
            None => Yaml::Real(number.to_string()),
        },
        Value::String(text) => Yaml::String(text.clone()),
        Value::Array(items) => Yaml::Array(items.iter().map(yaml).collect()),
        Value::Object(map) => {
            Yaml::Hash(map.iter().map(|(key, value)| (Yaml::String(key.clone()), yaml(value))).collect::<Hash>())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::to_yaml;
    use serde_json::json;

    #[test]
    fn quotes_only_what_yaml_needs() {
        let yaml = to_yaml(
            &json!({ "200": { "description": "The report is UP", "flag": "true", "empty": "" }, "count": 3, "n": "no" }),
        );
        assert!(yaml.contains("\"200\":"), "{yaml}");
        assert!(yaml.contains("description: The report is UP"), "{yaml}");
        assert!(yaml.contains("flag: \"true\""), "{yaml}");
        assert!(yaml.contains("count: 3"), "{yaml}");
        assert!(yaml.contains("\"n\": \"no\""), "YAML 1.1 reads n and no as booleans: {yaml}");
        assert!(!yaml.starts_with("---"), "{yaml}");
    }
}
