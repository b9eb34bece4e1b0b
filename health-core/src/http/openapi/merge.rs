//! Adding the endpoints' document to another one.

use std::fmt;

use serde_json::{Value, json};

/// Why [`merge_openapi`] left a document unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MergeError {
    /// The document is not a JSON object.
    NotAnObject,
    /// A section of the document (`/paths`, `/components/schemas`, …) is not an object.
    NotAnObjectAt(String),
    /// An operation of the endpoints has the `operationId` of one the
    /// document has: see `HealthServiceBuilder::operation_id_prefix`.
    DuplicateOperationId(String),
    /// The document already has something else at a path or schema the
    /// endpoints define.
    Conflict {
        /// The section: `/paths`, `/components/schemas` or `/components/securitySchemes`.
        section: &'static str,
        /// The path or schema name.
        name: String,
    },
}

impl fmt::Display for MergeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MergeError::NotAnObject => f.write_str("the document is not a JSON object"),
            MergeError::NotAnObjectAt(pointer) => write!(f, "the document's `{pointer}` is not an object"),
            MergeError::DuplicateOperationId(id) => {
                write!(f, "the document already has an operation `{id}`; give the endpoints an operationId prefix")
            }
            MergeError::Conflict { section, name } => {
                write!(f, "the document already has something else at `{name}` in `{section}`")
            }
        }
    }
}

impl std::error::Error for MergeError {}

/// The sections the endpoints' document adds to.
const SECTIONS: [&str; 3] = ["/paths", "/components/schemas", "/components/securitySchemes"];

/// Adds `snippet`'s paths, schemas and security schemes to `document`,
/// leaving what it already has alone. A path or schema both define
/// differently, or a section of `document` that is not an object, is an error
/// naming it, and then `document` is left unchanged.
///
/// ```
/// use health_core::http::{merge_openapi, MergeError};
/// use serde_json::json;
///
/// let mut document = json!({ "openapi": "3.1.0", "paths": { "/orders": {} } });
/// let endpoints = json!({ "paths": { "/health": { "get": {} } } });
/// merge_openapi(&mut document, &endpoints)?;
/// assert!(document["paths"]["/health"].is_object() && document["paths"]["/orders"].is_object());
///
/// let clash = json!({ "paths": { "/orders": { "get": {} } } });
/// assert!(matches!(merge_openapi(&mut document, &clash), Err(MergeError::Conflict { .. })));
/// # Ok::<(), MergeError>(())
/// ```
pub fn merge_openapi(document: &mut Value, snippet: &Value) -> Result<(), MergeError> {
    if !document.is_object() {
        return Err(MergeError::NotAnObject);
    }
    for section in SECTIONS {
        let Some(Value::Object(additions)) = snippet.pointer(section) else { continue };
        let existing = match document.pointer(section) {
            None => continue,
            Some(Value::Object(existing)) => existing,
            Some(_) => return Err(MergeError::NotAnObjectAt(section.to_owned())),
        };
        if let Some((name, _)) = additions.iter().find(|(name, value)| existing.get(*name).is_some_and(|e| e != *value))
        {
            return Err(MergeError::Conflict { section, name: name.clone() });
        }
    }
    if document.get("components").is_some_and(|components| !components.is_object()) {
        return Err(MergeError::NotAnObjectAt("/components".into()));
    }
    // Paths both have alike are not added: their operations are not counted twice.
    let existing = operation_ids(document, None);
    if let Some(id) = operation_ids(snippet, document.get("paths")).into_iter().find(|id| existing.contains(id)) {
        return Err(MergeError::DuplicateOperationId(id.to_owned()));
    }
    for section in SECTIONS {
        let Some(Value::Object(additions)) = snippet.pointer(section) else { continue };
        let mut node = &mut *document;
        for key in section.split('/').skip(1) {
            node = match node {
                Value::Object(map) => map.entry(key).or_insert_with(|| json!({})),
                // Checked above: every section on the way is an object.
                _ => return Err(MergeError::NotAnObjectAt(section.to_owned())),
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

/// The `operationId`s of `document`'s paths, less those of paths `skip` has.
fn operation_ids<'a>(document: &'a Value, skip: Option<&Value>) -> Vec<&'a str> {
    let Some(Value::Object(paths)) = document.get("paths") else { return Vec::new() };
    paths
        .iter()
        .filter(|(path, _)| skip.and_then(|skip| skip.get(path.as_str())).is_none())
        .filter_map(|(_, item)| item.as_object())
        .flat_map(|item| item.values())
        .filter_map(|operation| operation.get("operationId").and_then(Value::as_str))
        .collect()
}
