//! Whether a response is one an OpenAPI document declares: its status, its
//! declared headers, its media type and a body valid against the schema there.
//!
//! Shared by the socket tests (`support/http.rs`) and the HTTP fuzz target
//! (`fuzz/src/http.rs`), so both hold the service to the same contract.
// Each includer uses a different part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

/// The value of a header, by lower-case name.
pub type Header<'a> = Box<dyn Fn(&str) -> Option<String> + 'a>;

/// A response, as much of it as the contract speaks of.
pub struct Answered<'a> {
    pub status: u16,
    pub header: Header<'a>,
    pub body: &'a str,
}

/// An OpenAPI document, with its response schemas compiled once each.
pub struct Contract {
    document: Value,
    validators: Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>,
}

impl Contract {
    pub fn new(document: Value) -> Self {
        Contract { document, validators: Mutex::new(HashMap::new()) }
    }

    pub fn document(&self) -> &Value {
        &self.document
    }

    /// The document's path for a request path: itself, or the template whose
    /// segments match it, `{parameter}` matching any one segment, the one with
    /// the most literal segments first; `None` for paths it does not describe.
    pub fn template(&self, path: &str) -> Option<String> {
        let paths = self.document["paths"].as_object()?;
        let segments: Vec<&str> = path.split('/').collect();
        let literal = |template: &str| template.split('/').filter(|segment| !segment.starts_with('{')).count();
        paths
            .keys()
            .filter(|template| {
                let parts: Vec<&str> = template.split('/').collect();
                parts.len() == segments.len()
                    && parts.iter().zip(&segments).all(|(part, segment)| part.starts_with('{') || part == segment)
            })
            .max_by_key(|template| literal(template))
            .cloned()
    }

    /// Whether `method` is an operation of the path `template`.
    pub fn declares(&self, template: &str, method: &str) -> bool {
        self.document["paths"][template][method].is_object()
    }

    /// `Ok` when `answer` is declared for `template` and `method`, its status
    /// and media type, carries the declared headers, and has a body valid
    /// against the schema there; otherwise what differs.
    pub fn check(&self, template: &str, method: &str, answer: &Answered<'_>) -> Result<(), String> {
        let status = answer.status.to_string();
        let responses = &self.document["paths"][template][method]["responses"];
        if !responses[&status].is_object() {
            return Err(format!("{method} {template} answered {status}, which the document does not declare"));
        }
        for (name, _) in responses[&status]["headers"].as_object().into_iter().flatten() {
            // `Age` is declared for cached answers only.
            if name != "Age" && (answer.header)(&name.to_ascii_lowercase()).is_none() {
                return Err(format!("{method} {template} {status}: the declared header {name} is missing"));
            }
        }
        // A HEAD answer declares no content: its headers are those of GET.
        if method == "head" {
            return Ok(());
        }
        let content_type = (answer.header)("content-type").unwrap_or_default();
        let media = content_type.split(';').next().unwrap_or_default().trim().to_owned();
        if !responses[&status]["content"][&media].is_object() {
            return Err(format!("{method} {template} {status}: undeclared media type {media:?}"));
        }
        // Text (the Kubernetes lines, the status page) has no schema beyond its type.
        if media.starts_with("text/") {
            return Ok(());
        }
        let body: Value = serde_json::from_str(answer.body)
            .map_err(|error| format!("{method} {template} {status}: not JSON ({error}): {}", answer.body))?;
        let validator = self.validator(template, method, &status, &media);
        let errors: Vec<String> =
            validator.iter_errors(&body).map(|error| format!("{error} at {}", error.instance_path())).collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(format!("{method} {template} {status} {media}: {body:#}\n{errors:#?}"))
        }
    }

    /// The schema of one response, with the document as its root so that
    /// `components/schemas` references resolve.
    fn validator(
        &self,
        template: &str,
        method: &str,
        status: &str,
        media: &str,
    ) -> std::sync::Arc<jsonschema::Validator> {
        let escape =
            |segment: &str| segment.replace('~', "~0").replace('/', "~1").replace('{', "%7B").replace('}', "%7D");
        let pointer =
            format!("#/paths/{}/{method}/responses/{status}/content/{}/schema", escape(template), escape(media));
        let mut validators = self.validators.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let validator = validators.entry(pointer.clone()).or_insert_with(|| {
            let mut root = self.document.clone();
            root["$schema"] = serde_json::json!("https://json-schema.org/draft/2020-12/schema");
            root["$ref"] = serde_json::json!(pointer);
            std::sync::Arc::new(
                jsonschema::options().should_validate_formats(true).build(&root).expect("a valid schema"),
            )
        });
        std::sync::Arc::clone(validator)
    }
}
