//! The arguments of `#[health_check(...)]`.

use proc_macro2::TokenStream;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;

use crate::duration::SpannedDuration;
use crate::errors::Errors;
use crate::groups;
use crate::settings::{self, Setting};

const ATTRIBUTE: &str = "health_check";
const KEYS: &[&str] = &["timeout", "critical", "cache", "groups", "crate"];

/// What `#[health_check(...)]` says; keys that were malformed are left unset.
pub struct CheckArgs {
    pub timeout: Option<SpannedDuration>,
    pub critical: Option<bool>,
    pub cache: Option<SpannedDuration>,
    pub groups: Option<Vec<syn::LitStr>>,
    pub krate: Option<syn::Path>,
}

pub fn parse(args: TokenStream, errors: &mut Errors) -> CheckArgs {
    let mut timeout = Setting::new(ATTRIBUTE, "timeout");
    let mut critical = Setting::new(ATTRIBUTE, "critical");
    let mut cache = Setting::new(ATTRIBUTE, "cache");
    let mut groups = Setting::new(ATTRIBUTE, "groups");
    let mut krate = Setting::new(ATTRIBUTE, "crate");
    let parser = syn::meta::parser(|meta: ParseNestedMeta| {
        if meta.path.is_ident("timeout") {
            settings::duration(&meta, errors, &mut timeout)
        } else if meta.path.is_ident("critical") {
            settings::flag(&meta, errors, &mut critical)
        } else if meta.path.is_ident("cache") {
            settings::duration(&meta, errors, &mut cache)
        } else if meta.path.is_ident("groups") {
            groups::parse(&meta, errors, &mut groups)
        } else if meta.path.is_ident("crate") {
            settings::crate_path(&meta, errors, &mut krate)
        } else {
            settings::unknown(&meta, errors, ATTRIBUTE, KEYS)
        }
    });
    if let Err(error) = parser.parse2(args) {
        errors.push(error);
    }
    CheckArgs {
        timeout: timeout.get(),
        critical: critical.get(),
        cache: cache.get(),
        groups: groups.get(),
        krate: krate.get(),
    }
}
