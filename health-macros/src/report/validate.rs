//! Validating the fields of a `#[derive(HealthReport)]` struct: the names,
//! the capacity and the timeouts against the deadline.

use std::collections::HashMap;

use syn::{Ident, Type};

use super::attr::{self, FieldArgs};
use crate::duration::{self, SpannedDuration};
use crate::errors::Errors;
use crate::limits::{CAPACITY, RESERVED_NAMES, name_problem};
use crate::naming::doc_text;

/// One field of the struct: a component of the report.
pub(super) struct Member<'a> {
    pub field: &'a Ident,
    pub ty: &'a Type,
    pub name: String,
    pub args: FieldArgs,
    pub docs: Option<String>,
}

pub(super) fn members<'a>(
    fields: &[&'a syn::Field],
    deadline: Option<&SpannedDuration>,
    errors: &mut Errors,
) -> Vec<Member<'a>> {
    let mut seen: HashMap<String, &Ident> = HashMap::new();
    let mut members = Vec::new();
    for field in fields {
        let Some(ident) = &field.ident else { continue };
        let args = attr::field(&field.attrs, errors);
        let name = match &args.rename {
            Some(rename) => rename.value(),
            None => ident.to_string().trim_start_matches("r#").to_owned(),
        };
        let name_span = args.rename.as_ref().map_or(ident.span(), |rename| rename.span());
        if let Some(problem) = name_problem(&name) {
            errors.push(syn::Error::new(name_span, format!("invalid component name: {problem}")));
        } else if RESERVED_NAMES.contains(&name.as_str()) {
            let message = format!(
                "a component cannot be named `{name}`: `/health/{name}` is the route of a probe group; rename it with #[health(rename = \"...\")]"
            );
            errors.push(syn::Error::new(name_span, message));
        }
        if members.len() == CAPACITY {
            errors.spanned(ident, format!("a report has at most {CAPACITY} components"));
        }
        if let Some(first) = seen.get(&name) {
            errors.push(syn::Error::new(
                name_span,
                format!("duplicate component name `{name}`: field `{first}` already uses it"),
            ));
        } else {
            seen.insert(name.clone(), ident);
        }
        if let (Some(timeout), Some(deadline)) = (&args.timeout, deadline)
            && timeout.millis > deadline.millis
        {
            errors.spanned(
                &timeout.literal,
                format!(
                    "component `{name}` has a timeout of {}, which exceeds the report's deadline of {}",
                    duration::display(timeout.millis),
                    duration::display(deadline.millis)
                ),
            );
        }
        members.push(Member { field: ident, ty: &field.ty, name, docs: doc_text(&field.attrs), args });
    }
    members
}
