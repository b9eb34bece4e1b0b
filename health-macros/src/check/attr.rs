//! Parsing the arguments of `#[health_check(...)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;

use crate::duration::SpannedDuration;
use crate::errors::Errors;
use crate::groups;
use crate::policy::{Policy, PolicyKey, PolicySettings};
use crate::settings::{self, Setting};
use crate::symbol::{CheckKey, Keys};

/// What `#[health_check(...)]` says; keys that were malformed are left unset.
pub(super) struct CheckArgs {
    pub timeout: Option<SpannedDuration>,
    pub critical: Option<bool>,
    pub cache: Option<SpannedDuration>,
    pub groups: Option<Vec<syn::LitStr>>,
    pub policy: Policy,
    pub krate: Option<syn::Path>,
}

pub(super) fn parse(args: TokenStream, errors: &mut Errors) -> CheckArgs {
    let mut timeout = Setting::new(CheckKey::Timeout);
    let mut critical = Setting::new(CheckKey::Critical);
    let mut cache = Setting::new(CheckKey::Cache);
    let mut groups = Setting::new(CheckKey::Groups);
    let mut krate = Setting::new(CheckKey::Crate);
    let mut policy = PolicySettings::new(
        CheckKey::FailureThreshold,
        CheckKey::SuccessThreshold,
        CheckKey::Retries,
        CheckKey::RetryBackoff,
    );
    let parser = syn::meta::parser(|meta: ParseNestedMeta| match CheckKey::find(&meta.path) {
        Some(CheckKey::Timeout) => settings::duration(&meta, errors, &mut timeout),
        Some(CheckKey::Critical) => settings::flag(&meta, errors, &mut critical),
        Some(CheckKey::Cache) => settings::duration(&meta, errors, &mut cache),
        Some(CheckKey::Groups) => groups::parse(&meta, errors, &mut groups),
        Some(CheckKey::FailureThreshold) => policy.parse(PolicyKey::FailureThreshold, &meta, errors),
        Some(CheckKey::SuccessThreshold) => policy.parse(PolicyKey::SuccessThreshold, &meta, errors),
        Some(CheckKey::Retries) => policy.parse(PolicyKey::Retries, &meta, errors),
        Some(CheckKey::RetryBackoff) => policy.parse(PolicyKey::RetryBackoff, &meta, errors),
        Some(CheckKey::Crate) => settings::crate_path(&meta, errors, &mut krate),
        None => settings::unknown::<CheckKey>(&meta, errors),
    });
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
    let args = CheckArgs {
        timeout: timeout.get(),
        critical: critical.get(),
        cache: cache.get(),
        groups: groups.get(),
        policy: policy.get(),
        krate: krate.get(),
    };
    if let (Some(backoff), None) = (&args.policy.retry_backoff, &args.policy.retries) {
        errors.spanned(
            &backoff.literal,
            "`retry_backoff` is the wait before each retry: set `retries` too, such as `retries = 2`",
        );
    }
    settings::validate_timeout(args.timeout.as_ref(), errors);
    args.policy.validate_retries(args.timeout.as_ref(), errors);
    args
}
