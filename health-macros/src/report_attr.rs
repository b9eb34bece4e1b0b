//! The `#[health(...)]` attributes of a `#[derive(HealthReport)]` struct and its fields.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Type};

use crate::duration::SpannedDuration;
use crate::errors::Errors;
use crate::groups;
use crate::settings::{self, Setting};

const ATTRIBUTE: &str = "health";
const CONTAINER_KEYS: &[&str] = &["state", "deadline", "crate"];
const FIELD_KEYS: &[&str] = &["rename", "critical", "timeout", "groups"];

/// What `#[health(...)]` on the struct says.
pub struct ReportArgs {
    pub state: Option<Type>,
    pub deadline: Option<SpannedDuration>,
    pub krate: Option<syn::Path>,
}

/// What `#[health(...)]` on a field says.
pub struct FieldArgs {
    pub rename: Option<LitStr>,
    pub critical: Option<bool>,
    pub timeout: Option<SpannedDuration>,
    pub groups: Option<Vec<LitStr>>,
}

pub fn container(attrs: &[Attribute], errors: &mut Errors) -> ReportArgs {
    let mut state = Setting::new(ATTRIBUTE, "state");
    let mut deadline = Setting::new(ATTRIBUTE, "deadline");
    let mut krate = Setting::new(ATTRIBUTE, "crate");
    for_each_meta(attrs, errors, |meta, errors| {
        if meta.path.is_ident("state") {
            state_type(&meta, errors, &mut state)
        } else if meta.path.is_ident("deadline") {
            settings::duration(&meta, errors, &mut deadline)
        } else if meta.path.is_ident("crate") {
            settings::crate_path(&meta, errors, &mut krate)
        } else {
            settings::unknown(&meta, errors, "health struct", CONTAINER_KEYS)
        }
    });
    ReportArgs { state: state.get(), deadline: deadline.get(), krate: krate.get() }
}

pub fn field(attrs: &[Attribute], errors: &mut Errors) -> FieldArgs {
    let mut rename = Setting::new(ATTRIBUTE, "rename");
    let mut critical = Setting::new(ATTRIBUTE, "critical");
    let mut timeout = Setting::new(ATTRIBUTE, "timeout");
    let mut groups = Setting::new(ATTRIBUTE, "groups");
    for_each_meta(attrs, errors, |meta, errors| {
        if meta.path.is_ident("groups") {
            groups::parse(&meta, errors, &mut groups)
        } else if meta.path.is_ident("rename") {
            settings::string(&meta, errors, &mut rename)
        } else if meta.path.is_ident("critical") {
            settings::flag(&meta, errors, &mut critical)
        } else if meta.path.is_ident("timeout") {
            settings::duration(&meta, errors, &mut timeout)
        } else {
            settings::unknown(&meta, errors, "health field", FIELD_KEYS)
        }
    });
    FieldArgs { rename: rename.get(), critical: critical.get(), timeout: timeout.get(), groups: groups.get() }
}

fn for_each_meta(
    attrs: &[Attribute],
    errors: &mut Errors,
    mut logic: impl FnMut(ParseNestedMeta, &mut Errors) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|attr| attr.path().is_ident(ATTRIBUTE)) {
        let mut found = Errors::default();
        if let Err(error) = attr.parse_nested_meta(|meta| logic(meta, &mut found)) {
            found.push(error);
        }
        errors.append(found);
    }
}

/// Parses `state = Type`.
fn state_type(meta: &ParseNestedMeta, errors: &mut Errors, setting: &mut Setting<Type>) -> syn::Result<()> {
    let value = meta.value()?;
    if value.peek(syn::Lit) {
        let literal: syn::Lit = value.parse()?;
        errors.spanned(literal, "expected a type, not a string: `state = AppState`");
        return Ok(());
    }
    let ty: Type = value.parse()?;
    setting.set(errors, &meta.path, ty);
    Ok(())
}
