//! `#[derive(HealthReport)]`: parses the attributes, validates the struct and
//! its fields, and generates the report; or, for an item of the wrong shape,
//! a fallback that keeps its uses free of errors of their own.

mod attr;
mod expand;
mod fallback;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

use crate::errors::Errors;
use crate::naming::private_path;

const SHAPE: &str = "#[derive(HealthReport)] goes on a struct with named fields, one health check per field";

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let args = attr::container(&input.attrs, &mut errors);
    let private = private_path(args.krate.as_ref());
    let state = args.state.unwrap_or_else(|| syn::parse_quote!(()));
    let fields: Vec<&syn::Field> = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => named.named.iter().collect(),
            Fields::Unit => Vec::new(),
            Fields::Unnamed(unnamed) => {
                errors.spanned(unnamed, format!("{SHAPE}; tuple structs have no names to give the components"));
                return fallback::generate(&input, &state, &private, errors);
            }
        },
        Data::Enum(data) => {
            errors.spanned(data.enum_token, format!("{SHAPE}, not an enum"));
            return fallback::generate(&input, &state, &private, errors);
        }
        Data::Union(data) => {
            errors.spanned(data.union_token, format!("{SHAPE}, not a union"));
            return fallback::generate(&input, &state, &private, errors);
        }
    };
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.spanned(&input.generics, "#[derive(HealthReport)] does not support generic parameters");
        return fallback::generate(&input, &state, &private, errors);
    }

    let members = validate::members(&fields, args.deadline.as_ref(), &mut errors);
    let generated = expand::generate(&input, &members, &state, args.deadline.as_ref(), &private);
    let errors = errors.into_compile_errors();
    quote!(#errors #generated)
}
