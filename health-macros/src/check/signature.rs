//! Validating the function `#[health_check]` goes on.

use quote::quote;
use syn::{FnArg, ReturnType, Signature, Type};

use crate::errors::Errors;

const SIGNATURE: &str = "a health check is an `async fn` with no parameter or exactly one `&State` parameter";

/// What a valid signature tells the generated code.
pub(super) struct Shape {
    /// `Some(State)` for `fn(&State)`, `None` for `fn()`.
    pub state: Option<Type>,
    /// The return type, `()` when none is written.
    pub output: Type,
    /// The details type, when the return type spells it: `T` of a
    /// `Result<T, ..>` or an `Outcome<T>`, `()` of `()`.
    pub details: Option<Type>,
}

/// The details type `output` spells, if it is `()`, `..Result<T, ..>` or
/// `..Outcome<T>`. The compiler still checks it against what
/// `CheckReturn` says (the check's `run` returns `Outcome<Details>`); naming
/// it saves every use of the check's `Details` a trait resolution, which
/// dominated the type checking of a report of many checks.
fn spelled_details(output: &Type) -> Option<Type> {
    let path = match output {
        Type::Tuple(unit) if unit.elems.is_empty() => return Some(output.clone()),
        Type::Path(path) if path.qself.is_none() => &path.path,
        _ => return None,
    };
    let last = path.segments.last()?;
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else { return None };
    let first = match args.args.first()? {
        syn::GenericArgument::Type(first) => first,
        _ => return None,
    };
    match (last.ident.to_string().as_str(), args.args.len()) {
        ("Result", 1 | 2) | ("Outcome", 1) => Some(first.clone()),
        _ => None,
    }
}

pub(super) fn check(sig: &Signature, errors: &mut Errors) -> Option<Shape> {
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
    let details = spelled_details(&output);
    Some(Shape { state: state?, output, details })
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
