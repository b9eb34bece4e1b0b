//! `#[health_check]`: parses the arguments, validates the function, and
//! generates its check type.

mod attr;
mod expand;
mod signature;

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::errors::Errors;

pub(crate) fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = attr::parse(args, &mut errors);
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            errors.spanned(&item, "#[health_check] goes on an `async fn`");
            let errors = errors.into_compile_errors();
            return quote!(#errors #item);
        }
    };
    let mut signature_errors = Errors::default();
    let checked = signature::check(&function.sig, &mut signature_errors);
    if function.sig.receiver().is_some() {
        // A method sits in an `impl` block, where no type can be declared.
        errors.append(signature_errors);
        let errors = errors.into_compile_errors();
        return quote!(#errors #function);
    }
    // With a broken signature the type is still generated, so that uses of it
    // elsewhere do not add errors of their own.
    let shape = if signature_errors.is_empty() { checked } else { None };
    errors.append(signature_errors);
    let generated = expand::generate(&function, &args, shape.as_ref());
    let errors = errors.into_compile_errors();
    quote! {
        #errors
        #function
        #generated
    }
}
