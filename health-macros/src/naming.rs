//! Names derived from the user's items.

use proc_macro2::{Ident, Span};
use syn::Attribute;

/// `database` -> `DatabaseCheck`; `db_check` -> `DbCheck`, not `DbCheckCheck`.
pub fn check_type_name(function: &Ident) -> Ident {
    let name = function.to_string();
    let name = name.strip_prefix("r#").unwrap_or(&name);
    let stem = name.strip_suffix("_check").filter(|stem| !stem.is_empty()).unwrap_or(name);
    let mut camel: String = stem
        .split('_')
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map(|first| first.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
        })
        .collect();
    // `_2fa` has no letter to start an identifier with; `__` has no word at all.
    if !camel.starts_with(|c: char| c.is_alphabetic()) {
        camel.insert(0, '_');
    }
    camel.push_str("Check");
    Ident::new(&camel, function.span())
}

/// An identifier for a local variable of generated code: mixed-site hygiene keeps
/// it apart from the user's own locals, and the `__health` prefix from their items.
pub fn local(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The text of the doc comments among `attrs`, or `None` when there are none.
pub fn doc_text(attrs: &[Attribute]) -> Option<String> {
    let lines: Vec<String> = attrs
        .iter()
        .filter(|attr| attr.path().is_ident("doc"))
        .filter_map(|attr| match &attr.meta {
            syn::Meta::NameValue(syn::MetaNameValue {
                value: syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(text), .. }),
                ..
            }) => Some(text.value()),
            _ => None,
        })
        .flat_map(|text| {
            text.lines().map(|line| line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned()).collect::<Vec<_>>()
        })
        .collect();
    let text = lines.join("\n").trim().to_owned();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(function: &str) -> String {
        check_type_name(&Ident::new(function, Span::call_site())).to_string()
    }

    #[test]
    fn names_check_types() {
        assert_eq!(name("database"), "DatabaseCheck");
        assert_eq!(name("db_check"), "DbCheck");
        assert_eq!(name("local_disk_space"), "LocalDiskSpaceCheck");
        assert_eq!(name("check"), "CheckCheck");
        assert_eq!(name("_private_check"), "PrivateCheck");
        assert_eq!(name("http2_upstream"), "Http2UpstreamCheck");
        assert_eq!(name("_2fa"), "_2faCheck");
        assert_eq!(name("__"), "_Check");
    }

    #[test]
    fn joins_doc_lines() {
        let attrs: Vec<Attribute> = vec![
            syn::parse_quote!(#[doc = " Primary Postgres"]),
            syn::parse_quote!(#[doc = " answers."]),
            syn::parse_quote!(#[inline]),
        ];
        assert_eq!(doc_text(&attrs).as_deref(), Some("Primary Postgres\nanswers."));
        assert_eq!(doc_text(&[]), None);
    }
}
