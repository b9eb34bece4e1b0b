//! What the derive emits for an item of the wrong shape, next to the error
//! saying so: a `HealthReport` impl and a `<Name>Components` type, so that the
//! item's uses (`.report(..)`, `json_schema()`) add no errors of their own
//! (thiserror's `fallback.rs`). No program containing it ever compiles, so
//! its bodies only need to type-check.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{DeriveInput, Type};

use crate::errors::Errors;
use crate::naming::local;

pub(super) fn generate(input: &DeriveInput, state: &Type, private: &TokenStream, errors: Errors) -> TokenStream {
    let report = &input.ident;
    let vis = &input.vis;
    let components = format_ident!("{}Components", report);
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // A generic item is `Send + Sync` only for some parameters; the impl then
    // holds for those, and `HealthReport`'s supertraits are met.
    let sendable =
        (!input.generics.params.is_empty()).then(|| quote!(Self: ::core::marker::Send + ::core::marker::Sync,));
    let predicates = where_clause.map(|clause| &clause.predicates);
    let (serializer, formatter) = (local("__serializer"), local("__health_f"));
    let errors = errors.into_compile_errors();
    quote! {
        #errors

        #vis struct #components;

        const _: () = {
            #[automatically_derived]
            impl #private::serde::Serialize for #components {
                fn serialize<__S: #private::serde::Serializer>(
                    &self,
                    #serializer: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error> {
                    #private::serde::Serializer::serialize_unit_struct(#serializer, ::core::stringify!(#components))
                }
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #components {
                fn fmt(&self, #formatter: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    #formatter.write_str(::core::stringify!(#components))
                }
            }

            #[automatically_derived]
            impl #private::ComponentSet for #components {
                fn visit<__V: #private::ComponentVisitor>(&self, _: &mut __V) {}
            }

            #[automatically_derived]
            impl #impl_generics #private::HealthReport for #report #ty_generics
            where
                #sendable
                #predicates
            {
                type State = #state;
                type Components = #components;
                const COMPONENTS: &'static [#private::ComponentInfo] = &[];
                const TITLE: &'static ::core::primitive::str = ::core::stringify!(#report);

                fn report_selected(
                    &self,
                    _: &#state,
                    _: #private::Selection,
                ) -> impl #private::Future<Output = #private::Report<#components>> + ::core::marker::Send {
                    ::core::future::pending()
                }

                fn json_schema() -> #private::Value {
                    #private::Value::Null
                }
            }
        };
    }
}
