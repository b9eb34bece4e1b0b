//! Helpers shared by the integration tests.

use serde_json::Value;

/// A JSON Schema validator that also checks `format`s such as `date-time`.
pub fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::options()
        .should_validate_formats(true)
        .build(schema)
        .expect("the generated schema is a valid JSON Schema")
}

/// Asserts `instance` is valid, listing every violation otherwise.
pub fn assert_valid(validator: &jsonschema::Validator, instance: &Value) {
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{instance:#}\nviolates the schema: {errors:#?}");
}

/// Asserts `instance` is invalid.
pub fn assert_invalid(validator: &jsonschema::Validator, instance: &Value, why: &str) {
    assert!(!validator.is_valid(instance), "accepted {why}: {instance:#}");
}
