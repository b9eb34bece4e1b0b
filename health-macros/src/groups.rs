//! `groups(...)`: the probe groups a component belongs to.

use syn::meta::ParseNestedMeta;
use syn::{LitStr, Token};

use crate::errors::Errors;
use crate::settings::{self, Setting};

/// Names that must stay usable as URL path segments: `/health/{component}`.
pub const NAME_RULE: &str = "letters, digits, `-`, `_` and `.`";

const EXPECTED: &str = "expected a group name: `groups(liveness, readiness, \"batch-jobs\")`";

/// Parses `groups(a, b, "c")` into `setting`, recording every bad entry.
pub fn parse(meta: &ParseNestedMeta, errors: &mut Errors, setting: &mut Setting<Vec<LitStr>>) -> syn::Result<()> {
    if !meta.input.peek(syn::token::Paren) {
        errors.spanned(&meta.path, "expected a list: `groups(liveness, readiness, startup, \"custom\")`");
        return settings::skip_value(meta);
    }
    let content;
    syn::parenthesized!(content in meta.input);
    let mut names: Vec<LitStr> = Vec::new();
    while !content.is_empty() {
        let name = if content.peek(LitStr) {
            Some(content.parse::<LitStr>()?)
        } else if content.peek(syn::Ident) {
            let ident: syn::Ident = content.parse()?;
            Some(LitStr::new(&ident.to_string(), ident.span()))
        } else {
            let unexpected: proc_macro2::TokenTree = content.parse()?;
            errors.spanned(unexpected, EXPECTED);
            None
        };
        if let Some(name) = name {
            if let Some(problem) = name_problem(&name.value()) {
                errors.spanned(&name, format!("invalid group name: {problem}"));
            } else if names.iter().any(|seen| seen.value() == name.value()) {
                errors.spanned(&name, format!("group `{}` is listed twice", name.value()));
            } else {
                names.push(name);
            }
        }
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    setting.set(errors, &meta.path, names);
    Ok(())
}

/// Why `name` cannot be a component or group name, if it cannot.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a name must not be empty".into());
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !name.chars().all(allowed) || name == "." || name == ".." {
        return Some(format!("`{name}` must consist of {NAME_RULE}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::name_problem;

    #[test]
    fn names_are_url_path_segments() {
        for good in ["liveness", "batch-jobs", "db_1", "v2.cache"] {
            assert_eq!(name_problem(good), None, "{good}");
        }
        for bad in ["", "a b", "a/b", "é", "..", "a?b"] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }
}
