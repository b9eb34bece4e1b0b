//! Collects every error found in one macro input, so they are reported together.

use proc_macro2::TokenStream;
use std::fmt::Display;

/// Errors found so far; all of them are emitted next to the item.
#[derive(Default)]
pub struct Errors(Option<syn::Error>);

impl Errors {
    /// Records an error spanned on `tokens`.
    pub fn spanned(&mut self, tokens: impl quote::ToTokens, message: impl Display) {
        self.push(syn::Error::new_spanned(tokens, message));
    }

    /// Records an error.
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.0 {
            Some(errors) => errors.combine(error),
            None => self.0 = Some(error),
        }
    }

    /// Takes over the errors of `other`.
    pub fn append(&mut self, other: Errors) {
        if let Some(error) = other.0 {
            self.push(error);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The errors as `compile_error!` invocations, or nothing.
    pub fn into_compile_errors(self) -> TokenStream {
        self.0.map(|errors| errors.to_compile_error()).unwrap_or_default()
    }
}
