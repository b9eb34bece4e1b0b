//! Parsing the `#[health(...)]` attributes of a `#[derive(HealthReport)]`
//! struct and its fields.

use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr, Type};

use crate::duration::SpannedDuration;
use crate::errors::Errors;
use crate::groups;
use crate::policy::{Policy, PolicyKey, PolicySettings};
use crate::settings::{self, Setting};
use crate::symbol::{ContainerKey, FieldKey, HEALTH, Keys};

/// What `#[health(...)]` on the struct says.
pub(super) struct ReportArgs {
    pub state: Option<Type>,
    pub deadline: Option<SpannedDuration>,
    pub krate: Option<syn::Path>,
}

/// What `#[health(...)]` on a field says.
pub(super) struct FieldArgs {
    pub rename: Option<LitStr>,
    pub critical: Option<bool>,
    pub timeout: Option<SpannedDuration>,
    pub groups: Option<Vec<LitStr>>,
    pub policy: Policy,
}

pub(super) fn container(attrs: &[Attribute], errors: &mut Errors) -> ReportArgs {
    let mut state = Setting::new(ContainerKey::State);
    let mut deadline = Setting::new(ContainerKey::Deadline);
    let mut krate = Setting::new(ContainerKey::Crate);
    for_each_meta(attrs, errors, |meta, errors| match ContainerKey::find(&meta.path) {
        Some(ContainerKey::State) => state_type(&meta, errors, &mut state),
        Some(ContainerKey::Deadline) => settings::duration(&meta, errors, &mut deadline),
        Some(ContainerKey::Crate) => settings::crate_path(&meta, errors, &mut krate),
        None => settings::unknown::<ContainerKey>(&meta, errors),
    });
    ReportArgs { state: state.get(), deadline: deadline.get(), krate: krate.get() }
}

pub(super) fn field(attrs: &[Attribute], errors: &mut Errors) -> FieldArgs {
    let mut rename = Setting::new(FieldKey::Rename);
    let mut critical = Setting::new(FieldKey::Critical);
    let mut timeout = Setting::new(FieldKey::Timeout);
    let mut groups = Setting::new(FieldKey::Groups);
    let mut policy = PolicySettings::new(
        FieldKey::FailureThreshold,
        FieldKey::SuccessThreshold,
        FieldKey::Retries,
        FieldKey::RetryBackoff,
    );
    for_each_meta(attrs, errors, |meta, errors| match FieldKey::find(&meta.path) {
        Some(FieldKey::Groups) => groups::parse(&meta, errors, &mut groups),
        Some(FieldKey::Rename) => settings::string(&meta, errors, &mut rename),
        Some(FieldKey::Critical) => settings::flag(&meta, errors, &mut critical),
        Some(FieldKey::Timeout) => settings::duration(&meta, errors, &mut timeout),
        Some(FieldKey::FailureThreshold) => policy.parse(PolicyKey::FailureThreshold, &meta, errors),
        Some(FieldKey::SuccessThreshold) => policy.parse(PolicyKey::SuccessThreshold, &meta, errors),
        Some(FieldKey::Retries) => policy.parse(PolicyKey::Retries, &meta, errors),
        Some(FieldKey::RetryBackoff) => policy.parse(PolicyKey::RetryBackoff, &meta, errors),
        None => settings::unknown::<FieldKey>(&meta, errors),
    });
    let args = FieldArgs {
        rename: rename.get(),
        critical: critical.get(),
        timeout: timeout.get(),
        groups: groups.get(),
        policy: policy.get(),
    };
    settings::validate_timeout(args.timeout.as_ref(), errors);
    args.policy.validate_retries(args.timeout.as_ref(), errors);
    args
}

fn for_each_meta(
    attrs: &[Attribute],
    errors: &mut Errors,
    mut logic: impl FnMut(ParseNestedMeta, &mut Errors) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|attr| *attr.path() == HEALTH) {
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
