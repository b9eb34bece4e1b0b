//! `groups(...)`: the probe groups a component belongs to.

use syn::meta::ParseNestedMeta;
use syn::{LitStr, Token};

use crate::errors::Errors;
use crate::limits::{BUILT_IN_GROUPS as BUILT_IN, name_problem};
use crate::settings::{self, Setting};

const EXPECTED: &str = "expected a group name: `groups(liveness, readiness, \"batch-jobs\")`";

/// Parses `groups(a, b, "c")` into `setting`, recording every bad entry.
pub(crate) fn parse(
    meta: &ParseNestedMeta,
    errors: &mut Errors,
    setting: &mut Setting<Vec<LitStr>>,
) -> syn::Result<()> {
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
            let name = ident.to_string();
            if BUILT_IN.contains(&name.as_str()) {
                Some(LitStr::new(&name, ident.span()))
            } else {
                let message = match settings::nearest(&name, &BUILT_IN) {
                    Some(suggestion) => format!("unknown probe group `{name}`; did you mean `{suggestion}`?"),
                    None => format!(
                        "unknown probe group `{name}`: the built-in groups are `liveness`, `readiness` and `startup`; write a custom group as a string: `\"{name}\"`"
                    ),
                };
                errors.spanned(&ident, message);
                None
            }
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
        if !content.is_empty() && !content.peek(Token![,]) {
            let unexpected: proc_macro2::TokenStream = content.parse()?;
            errors.spanned(
                unexpected,
                "expected `,` between group names; write a name with `-` as a string: `\"batch-jobs\"`",
            );
            break;
        }
        if !content.is_empty() {
            content.parse::<Token![,]>()?;
        }
    }
    setting.set(errors, &meta.path, names);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::limits::name_problem;

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
