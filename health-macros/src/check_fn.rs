//! `#[health_check]`: validates the function and generates its check type.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType, Signature, Type};

use crate::check_attr::{self, CheckArgs};
use crate::errors::Errors;
use crate::naming::{check_type_name, doc_text, local};
use crate::spans::respan;

const SIGNATURE: &str = "a health check is an `async fn` with no parameter or exactly one `&State` parameter";

pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let args = check_attr::parse(args, &mut errors);
    let function: ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(_) => {
            errors.spanned(&item, "#[health_check] goes on an `async fn`");
            let errors = errors.into_compile_errors();
            return quote!(#errors #item);
        }
    };
    let mut signature_errors = Errors::default();
    let checked = check_signature(&function.sig, &mut signature_errors);
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
    let generated = generate(&function, &args, shape.as_ref());
    let errors = errors.into_compile_errors();
    quote! {
        #errors
        #function
        #generated
    }
}

/// What a valid signature tells the generated code.
struct Shape {
    /// `Some(State)` for `fn(&State)`, `None` for `fn()`.
    state: Option<Type>,
    /// The return type, `()` when none is written.
    output: Type,
}

fn check_signature(sig: &Signature, errors: &mut Errors) -> Option<Shape> {
    if sig.asyncness.is_none() {
        errors.spanned(sig.fn_token, format!("#[health_check] needs an `async fn`: {SIGNATURE}"));
    }
    if let Some(constness) = &sig.constness {
        errors.spanned(constness, "#[health_check] fns must not be `const`");
    }
    if let syn::Safety::Unsafe(unsafety) = &sig.safety {
        errors.spanned(unsafety, "#[health_check] fns must not be `unsafe`");
    }
    if let Some(abi) = &sig.abi {
        errors.spanned(abi, "#[health_check] fns must not declare an ABI");
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.spanned(&sig.generics, "#[health_check] fns take no generic parameters, lifetimes or where clauses");
    }
    if let Some(variadic) = &sig.variadic {
        errors.spanned(variadic, SIGNATURE);
    }
    let state = state_parameter(sig, errors);
    let output = match &sig.output {
        ReturnType::Default => syn::parse_quote!(()),
        ReturnType::Type(_, ty) => {
            if let Type::ImplTrait(_) = **ty {
                errors.spanned(ty, "#[health_check] fns return a named type: `()`, `Result<T, E>` or `health_core::Outcome<T>`, not `impl Trait`");
            }
            (**ty).clone()
        }
    };
    Some(Shape { state: state?, output })
}

/// `Some(None)` for no parameter, `Some(Some(State))` for `&State`, `None` after an error.
fn state_parameter(sig: &Signature, errors: &mut Errors) -> Option<Option<Type>> {
    if sig.inputs.len() > 1 {
        let extra: Vec<_> = sig.inputs.iter().skip(1).collect();
        errors.spanned(quote!(#(#extra),*), format!("too many parameters: {SIGNATURE}"));
    }
    match sig.inputs.first() {
        None => Some(None),
        Some(FnArg::Receiver(receiver)) => {
            errors.spanned(
                receiver,
                format!("`self` is not accepted: #[health_check] goes on a free function; {SIGNATURE}"),
            );
            None
        }
        Some(FnArg::Typed(typed)) => match &*typed.ty {
            Type::Reference(reference) if matches!(*reference.elem, Type::ImplTrait(_)) => {
                errors.spanned(&reference.elem, "the state must be a named type: write `&State`, not `&impl Trait`");
                None
            }
            Type::Reference(reference) if reference.mutability.is_none() && reference.lifetime.is_none() => {
                Some(Some((*reference.elem).clone()))
            }
            Type::Reference(reference) if reference.mutability.is_some() => {
                errors.spanned(&typed.ty, format!("the state is shared by concurrent checks, so it is taken as `&State`, not `&mut State`; {SIGNATURE}"));
                None
            }
            Type::Reference(reference) => {
                errors.spanned(&reference.lifetime, "write the state parameter as `&State`, without a lifetime");
                None
            }
            other => {
                errors.spanned(
                    other,
                    format!("the state parameter must be a shared reference: write `&{}`; {SIGNATURE}", quote!(#other)),
                );
                None
            }
        },
    }
}

fn generate(function: &ItemFn, args: &CheckArgs, shape: Option<&Shape>) -> TokenStream {
    let krate = args.krate.clone().unwrap_or_else(|| syn::parse_quote!(::health_core));
    let private = quote!(#krate::__private);
    let vis = &function.vis;
    let function_name = &function.sig.ident;
    let type_name = check_type_name(function_name);
    let summary = format!(" The health check that runs [`{function_name}`]; generated by `#[health_check]`.");
    let docs = function.attrs.iter().filter(|attr| attr.path().is_ident("doc"));
    let unit: Type = syn::parse_quote!(());
    let output = shape.map_or(&unit, |shape| &shape.output);
    // Every item that needs the return type to be supported says so in a `where`
    // clause spanned on it: an unsupported type is then one error, there.
    let at_output = respan(&private, output.span());
    let details = quote_spanned!(output.span()=> <#output as #at_output::CheckReturn>::Details);
    let supported = quote_spanned!(output.span()=> where #output: #at_output::CheckReturn);

    let timeout = args.timeout.as_ref().map(|timeout| {
        let millis = timeout.millis;
        quote!(const TIMEOUT: #private::Duration = #private::millis(#millis);)
    });
    let critical = args.critical.map(|critical| quote!(const CRITICAL: ::core::primitive::bool = #critical;));
    let groups = args
        .groups
        .as_ref()
        .map(|groups| quote!(const GROUPS: &'static [&'static ::core::primitive::str] = &[#(#groups),*];));
    let description = doc_text(&function.attrs).map(
        |text| quote!(const DESCRIPTION: ::core::option::Option<&'static ::core::primitive::str> = ::core::option::Option::Some(#text);),
    );
    let state_param = format_ident!("__HealthState");
    let (state_var, timeout_var, critical_var, formatter) =
        (local("__health_state"), local("__health_timeout"), local("__health_critical"), local("__health_f"));
    let (impl_generics, state_type, run_body) = match shape {
        Some(Shape { state: Some(state), .. }) => (
            quote!(),
            quote!(#state),
            quote_spanned!(function_name.span()=> #private::OutcomeOf::new(#function_name(#state_var))),
        ),
        Some(Shape { state: None, .. }) => (
            quote!(<#state_param: ?::core::marker::Sized>),
            quote!(#state_param),
            quote_spanned!(function_name.span()=> #private::OutcomeOf::new(#function_name())),
        ),
        // The signature was rejected with an error; this body is never compiled into a program.
        None => (
            quote!(<#state_param: ?::core::marker::Sized>),
            quote!(#state_param),
            quote!(async { ::core::unreachable!("rejected #[health_check] signature") }),
        ),
    };

    let (cache_field, cache_init, runner) = match &args.cache {
        Some(cache) => {
            let millis = cache.millis;
            let at_cache = respan(&private, cache.literal.span());
            (
                quote!(__health_cache: #private::ResultCache<#details>,),
                quote_spanned!(cache.literal.span()=> __health_cache: #at_cache::new_cache(#at_cache::millis(#millis)),),
                quote!(self.__health_cache.run(self, #state_var, #timeout_var, #critical_var)),
            )
        }
        None => (
            quote!(),
            quote!(),
            quote!(#private::run_bounded::<_, _, false>(self, #state_var, #timeout_var, #critical_var)),
        ),
    };
    // The runner of a report: cached, or without the guard that only `run`s which
    // work before returning their future need (see `run_bounded`).
    let run_for_report = quote! {
        fn __run_for_report(
            &self,
            #state_var: &#state_type,
            #timeout_var: #private::Duration,
            #critical_var: ::core::primitive::bool,
        ) -> impl #private::Future<Output = #private::Component<Self::Details>> + ::core::marker::Send
        where
            #state_type: ::core::marker::Sync,
        {
            #runner
        }
    };

    quote! {
        #[doc = #summary]
        #[doc = ""]
        #(#docs)*
        #vis struct #type_name #supported {
            #cache_field
        }

        const _: () = {
            #[automatically_derived]
            impl ::core::default::Default for #type_name #supported {
                fn default() -> Self {
                    Self { #cache_init }
                }
            }

            #[automatically_derived]
            impl ::core::fmt::Debug for #type_name #supported {
                fn fmt(&self, #formatter: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    #formatter.write_str(::core::stringify!(#type_name))
                }
            }

            #[automatically_derived]
            impl #impl_generics #private::Check<#state_type> for #type_name #supported {
                type Details = #details;
                #timeout
                #critical
                #description
                #groups

                #[allow(unused_variables)]
                fn run(
                    &self,
                    #state_var: &#state_type,
                ) -> impl #private::Future<Output = #private::Outcome<Self::Details>> + ::core::marker::Send {
                    #run_body
                }

                #run_for_report
            }
        };
    }
}
