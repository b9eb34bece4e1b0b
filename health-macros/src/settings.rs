//! Attribute keys that may be set once each, with serde-style diagnostics.

use syn::meta::ParseNestedMeta;
use syn::{Lit, LitBool, LitStr, Token};

use crate::duration::{self, SpannedDuration};
use crate::errors::Errors;
use crate::limits::MAX_TIMEOUT_MILLIS;
use crate::symbol::{Keys, Symbol};

/// A key's value, remembering that it was set so a second setting is an error.
pub(crate) struct Setting<T> {
    attribute: &'static str,
    key: Symbol,
    value: Option<T>,
}

impl<T> Setting<T> {
    pub(crate) fn new<K: Keys>(key: K) -> Self {
        Setting { attribute: K::ATTRIBUTE, key: key.symbol(), value: None }
    }

    pub(crate) fn set(&mut self, errors: &mut Errors, span: impl quote::ToTokens, value: T) {
        if self.value.is_some() {
            errors.spanned(span, format!("duplicate {} attribute `{}`", self.attribute, self.key));
        } else {
            self.value = Some(value);
        }
    }

    /// The key it holds the value of.
    pub(crate) fn key(&self) -> Symbol {
        self.key
    }

    pub(crate) fn get(self) -> Option<T> {
        self.value
    }
}

/// The literal after `key =`. A missing value, or one that is not a literal
/// (`rename = other`), is recorded with `expected` and gives `None`, so the
/// rest of the attribute is still read.
fn literal(meta: &ParseNestedMeta, errors: &mut Errors, expected: &str) -> syn::Result<Option<Lit>> {
    if !meta.input.peek(Token![=]) {
        errors.spanned(&meta.path, expected);
        return Ok(None);
    }
    match meta.value()?.parse::<syn::Expr>()? {
        syn::Expr::Lit(syn::ExprLit { lit, .. }) => Ok(Some(lit)),
        other => {
            errors.spanned(other, expected);
            Ok(None)
        }
    }
}

/// Records an error on a `timeout` longer than a check may have.
pub(crate) fn validate_timeout(timeout: Option<&SpannedDuration>, errors: &mut Errors) {
    if let Some(timeout) = timeout.filter(|timeout| timeout.millis > MAX_TIMEOUT_MILLIS) {
        errors.spanned(
            &timeout.literal,
            format!(
                "`timeout` must be at most {} (`health_core::MAX_TIMEOUT`): a health check that needs longer tells nobody anything in time",
                duration::display(MAX_TIMEOUT_MILLIS)
            ),
        );
    }
}

/// Parses `key = "<duration>"` into `setting`, recording any error.
pub(crate) fn duration(
    meta: &ParseNestedMeta,
    errors: &mut Errors,
    setting: &mut Setting<SpannedDuration>,
) -> syn::Result<()> {
    let key = setting.key;
    let expected = format!("expected a string for `{key}`: write `{key} = \"2s\"`, a duration {}", duration::ACCEPTED);
    match literal(meta, errors, &expected)? {
        Some(Lit::Str(text)) => match duration::parse(key.as_str(), &text) {
            Ok(parsed) => setting.set(errors, &meta.path, parsed),
            Err(error) => errors.push(error),
        },
        Some(other) => errors.spanned(other, expected),
        None => {}
    }
    Ok(())
}

/// Parses a bare flag (`critical`) or `critical = true|false` into `setting`.
pub(crate) fn flag(meta: &ParseNestedMeta, errors: &mut Errors, setting: &mut Setting<bool>) -> syn::Result<()> {
    if !meta.input.peek(Token![=]) {
        setting.set(errors, &meta.path, true);
        return Ok(());
    }
    let key = setting.key;
    let expected = format!("expected `{key}`, `{key} = true` or `{key} = false`");
    match literal(meta, errors, &expected)? {
        Some(Lit::Bool(LitBool { value, .. })) => setting.set(errors, &meta.path, value),
        Some(other) => errors.spanned(other, expected),
        None => {}
    }
    Ok(())
}

/// Parses `key = "text"` into `setting`, recording any error.
pub(crate) fn string(meta: &ParseNestedMeta, errors: &mut Errors, setting: &mut Setting<LitStr>) -> syn::Result<()> {
    let expected = format!("expected a string: `{} = \"...\"`", setting.key);
    match literal(meta, errors, &expected)? {
        Some(Lit::Str(text)) => setting.set(errors, &meta.path, text),
        Some(other) => errors.spanned(other, expected),
        None => {}
    }
    Ok(())
}

/// Parses `crate = "path::to::health_core"` into `setting`.
pub(crate) fn crate_path(
    meta: &ParseNestedMeta,
    errors: &mut Errors,
    setting: &mut Setting<syn::Path>,
) -> syn::Result<()> {
    let expected = "expected a path in a string: `crate = \"path::to::health_core\"`";
    match literal(meta, errors, expected)? {
        Some(Lit::Str(text)) => match text.parse::<syn::Path>() {
            Ok(path) => setting.set(errors, &meta.path, path),
            Err(_) => errors.spanned(text, expected),
        },
        Some(other) => errors.spanned(other, expected),
        None => {}
    }
    Ok(())
}

/// Records a key the position `K` does not accept, suggesting the nearest
/// accepted one, and skips its value.
pub(crate) fn unknown<K: Keys>(meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<()> {
    let path = &meta.path;
    let key = path.get_ident().map_or_else(|| quote::quote!(#path).to_string().replace(' ', ""), ToString::to_string);
    let accepted = K::names();
    let attribute = K::ATTRIBUTE;
    let list = accepted.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
    let message = match nearest(&key, &accepted) {
        Some(suggestion) => {
            format!("unknown {attribute} attribute `{key}`; did you mean `{suggestion}`? expected one of {list}")
        }
        None => format!("unknown {attribute} attribute `{key}`; expected one of {list}"),
    };
    errors.spanned(&meta.path, message);
    skip_value(meta)
}

/// Consumes `= <expr>` or `(...)` after a key so parsing can go on.
pub(crate) fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        meta.value()?.parse::<syn::Expr>()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|nested| skip_value(&nested))?;
    }
    Ok(())
}

/// The accepted key closest to `key`, if it is close enough to be a typo.
pub(crate) fn nearest<'a>(key: &str, accepted: &[&'a str]) -> Option<&'a str> {
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
