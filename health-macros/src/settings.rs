//! Attribute keys that may be set once each, with serde-style diagnostics.

use syn::meta::ParseNestedMeta;
use syn::{Lit, LitBool, LitStr, Token};

use crate::duration::{self, SpannedDuration};
use crate::errors::Errors;

/// A key's value, remembering that it was set so a second setting is an error.
pub struct Setting<T> {
    attribute: &'static str,
    key: &'static str,
    value: Option<T>,
}

impl<T> Setting<T> {
    pub fn new(attribute: &'static str, key: &'static str) -> Self {
        Setting { attribute, key, value: None }
    }

    pub fn set(&mut self, errors: &mut Errors, span: impl quote::ToTokens, value: T) {
        if self.value.is_some() {
            errors.spanned(span, format!("duplicate {} attribute `{}`", self.attribute, self.key));
        } else {
            self.value = Some(value);
        }
    }

    pub fn get(self) -> Option<T> {
        self.value
    }
}

/// The value after `key =`, which must be a literal. An expression that is not
/// one is handed back as written (`rename = other`), so parsing can go on.
fn literal(meta: &ParseNestedMeta) -> syn::Result<Result<Lit, syn::Expr>> {
    match meta.value()?.parse::<syn::Expr>()? {
        syn::Expr::Lit(syn::ExprLit { lit, .. }) => Ok(Ok(lit)),
        other => Ok(Err(other)),
    }
}

/// Parses `key = "<duration>"` into `setting`, recording any error.
pub fn duration(
    meta: &ParseNestedMeta,
    errors: &mut Errors,
    setting: &mut Setting<SpannedDuration>,
) -> syn::Result<()> {
    let value = match literal(meta)? {
        Ok(value) => value,
        Err(other) => {
            let key = setting.key;
            let message =
                format!("expected a string for `{key}`: write `{key} = \"2s\"`, a duration {}", duration::ACCEPTED);
            errors.spanned(other, message);
            return Ok(());
        }
    };
    match duration::parse(setting.key, &value) {
        Ok(parsed) => setting.set(errors, &meta.path, parsed),
        Err(error) => errors.push(error),
    }
    Ok(())
}

/// Parses a bare flag (`critical`) or `critical = true|false` into `setting`.
pub fn flag(meta: &ParseNestedMeta, errors: &mut Errors, setting: &mut Setting<bool>) -> syn::Result<()> {
    let value = if meta.input.peek(Token![=]) {
        match literal(meta)? {
            Ok(Lit::Bool(LitBool { value, .. })) => value,
            other => {
                let other = other.map_or_else(|expr| quote::quote!(#expr), |lit| quote::quote!(#lit));
                let key = setting.key;
                errors.spanned(other, format!("expected `{key}`, `{key} = true` or `{key} = false`"));
                return Ok(());
            }
        }
    } else {
        true
    };
    setting.set(errors, &meta.path, value);
    Ok(())
}

/// Parses `key = "text"` into `setting`, recording any error.
pub fn string(meta: &ParseNestedMeta, errors: &mut Errors, setting: &mut Setting<LitStr>) -> syn::Result<()> {
    match literal(meta)? {
        Ok(Lit::Str(text)) => setting.set(errors, &meta.path, text),
        other => {
            let other = other.map_or_else(|expr| quote::quote!(#expr), |lit| quote::quote!(#lit));
            errors.spanned(other, format!("expected a string: `{} = \"...\"`", setting.key));
        }
    }
    Ok(())
}

/// Parses `crate = "path::to::health_core"` into `setting`.
pub fn crate_path(meta: &ParseNestedMeta, errors: &mut Errors, setting: &mut Setting<syn::Path>) -> syn::Result<()> {
    let value = literal(meta)?;
    let path = match &value {
        Ok(Lit::Str(text)) => text.parse::<syn::Path>().ok(),
        _ => None,
    };
    match path {
        Some(path) => setting.set(errors, &meta.path, path),
        None => {
            let value = value.map_or_else(|expr| quote::quote!(#expr), |lit| quote::quote!(#lit));
            errors.spanned(value, "expected a path in a string: `crate = \"path::to::health_core\"`");
        }
    }
    Ok(())
}

/// Records an unknown key, suggesting the nearest accepted one, and skips its value.
pub fn unknown(meta: &ParseNestedMeta, errors: &mut Errors, attribute: &str, accepted: &[&str]) -> syn::Result<()> {
    let path = &meta.path;
    let key = path.get_ident().map_or_else(|| quote::quote!(#path).to_string().replace(' ', ""), ToString::to_string);
    let list = accepted.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
    let message = match nearest(&key, accepted) {
        Some(suggestion) => {
            format!("unknown {attribute} attribute `{key}`; did you mean `{suggestion}`? expected one of {list}")
        }
        None => format!("unknown {attribute} attribute `{key}`; expected one of {list}"),
    };
    errors.spanned(&meta.path, message);
    skip_value(meta)
}

/// Consumes `= <expr>` or `(...)` after a key so parsing can go on.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|nested| skip_value(&nested))?;
    }
    Ok(())
}

/// The accepted key closest to `key`, if it is close enough to be a typo.
fn nearest<'a>(key: &str, accepted: &[&'a str]) -> Option<&'a str> {
    accepted
        .iter()
        .map(|candidate| (edit_distance(key, candidate), *candidate))
        .filter(|(distance, candidate)| *distance <= 2.max(candidate.len() / 3))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_keys_only() {
        let keys = ["timeout", "critical", "cache", "crate"];
        assert_eq!(nearest("timout", &keys), Some("timeout"));
        assert_eq!(nearest("critcal", &keys), Some("critical"));
        assert_eq!(nearest("cahce", &keys), Some("cache"));
        assert_eq!(nearest("groups", &keys), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
