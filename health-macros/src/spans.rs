//! Placing generated tokens where errors about them should point.

use proc_macro2::{Group, Span, TokenStream, TokenTree};

/// `tokens` with every token moved to `span`, so an error about generated code
/// points at the user's token it came from.
pub(crate) fn respan(tokens: &TokenStream, span: Span) -> TokenStream {
    tokens
        .clone()
        .into_iter()
        .map(|mut token| {
            if let TokenTree::Group(group) = &token {
                let mut respanned = Group::new(group.delimiter(), respan(&group.stream(), span));
                respanned.set_span(span);
                token = TokenTree::Group(respanned);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}
