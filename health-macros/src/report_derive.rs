//! `#[derive(HealthReport)]`: checks the struct and generates the report.

use std::collections::HashMap;

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Type};

use crate::duration::{self, SpannedDuration};
use crate::errors::Errors;
use crate::groups;
use crate::naming::{doc_text, local};
use crate::report_attr::{self, FieldArgs};
use crate::spans::respan;

/// The path segments of the probe group routes under `/health`.
const ROUTES: [&str; 3] = ["live", "ready", "startup"];
/// The most components a report can have (`Selection::CAPACITY`).
const CAPACITY: usize = 128;

const SHAPE: &str = "#[derive(HealthReport)] goes on a struct with named fields, one health check per field";

/// One field of the struct: a component of the report.
struct Member<'a> {
    field: &'a Ident,
    ty: &'a Type,
    name: String,
    args: FieldArgs,
    docs: Option<String>,
}

pub fn expand(input: TokenStream) -> TokenStream {
    let input: DeriveInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    let mut errors = Errors::default();
    let args = report_attr::container(&input.attrs, &mut errors);
    let fields: Vec<&syn::Field> = match &input.data {
        Data::Struct(data) => match &data.fields {
            Fields::Named(named) => named.named.iter().collect(),
            Fields::Unit => Vec::new(),
            Fields::Unnamed(unnamed) => {
                errors.spanned(unnamed, format!("{SHAPE}; tuple structs have no names to give the components"));
                return errors.into_compile_errors();
            }
        },
        Data::Enum(data) => {
            errors.spanned(data.enum_token, format!("{SHAPE}, not an enum"));
            return errors.into_compile_errors();
        }
        Data::Union(data) => {
            errors.spanned(data.union_token, format!("{SHAPE}, not a union"));
            return errors.into_compile_errors();
        }
    };
    if !input.generics.params.is_empty() || input.generics.where_clause.is_some() {
        errors.spanned(&input.generics, "#[derive(HealthReport)] does not support generic parameters");
        return errors.into_compile_errors();
    }

    let members = members(&fields, args.deadline.as_ref(), &mut errors);
    let krate = args.krate.unwrap_or_else(|| syn::parse_quote!(::health_core));
    let state = args.state.unwrap_or_else(|| syn::parse_quote!(()));
    let generated = generate(&input, &members, &state, args.deadline.as_ref(), &quote!(#krate::__private));
    let errors = errors.into_compile_errors();
    quote!(#errors #generated)
}

fn members<'a>(fields: &[&'a syn::Field], deadline: Option<&SpannedDuration>, errors: &mut Errors) -> Vec<Member<'a>> {
    let mut seen: HashMap<String, &Ident> = HashMap::new();
    let mut members = Vec::new();
    for field in fields {
        let Some(ident) = &field.ident else { continue };
        let args = report_attr::field(&field.attrs, errors);
        let name = match &args.rename {
            Some(rename) => rename.value(),
            None => ident.to_string().trim_start_matches("r#").to_owned(),
        };
        let name_span = args.rename.as_ref().map_or(ident.span(), |rename| rename.span());
        if let Some(problem) = groups::name_problem(&name) {
            errors.push(syn::Error::new(name_span, format!("invalid component name: {problem}")));
        } else if ROUTES.contains(&name.as_str()) {
            let message = format!(
                "a component cannot be named `{name}`: `/health/{name}` is the route of a probe group; rename it with #[health(rename = \"...\")]"
            );
            errors.push(syn::Error::new(name_span, message));
        }
        if members.len() == CAPACITY {
            errors.spanned(ident, format!("a report has at most {CAPACITY} components"));
        }
        if let Some(first) = seen.get(&name) {
            errors.push(syn::Error::new(
                name_span,
                format!("duplicate component name `{name}`: field `{first}` already uses it"),
            ));
        } else {
            seen.insert(name.clone(), ident);
        }
        if let (Some(timeout), Some(deadline)) = (&args.timeout, deadline)
            && timeout.millis > deadline.millis
        {
            errors.spanned(
                &timeout.literal,
                format!(
                    "component `{name}` has a timeout of {}, which exceeds the report's deadline of {}",
                    duration::display(timeout.millis),
                    duration::display(deadline.millis)
                ),
            );
        }
        members.push(Member { field: ident, ty: &field.ty, name, docs: doc_text(&field.attrs), args });
    }
    members
}

fn generate(
    input: &DeriveInput,
    members: &[Member],
    state: &Type,
    deadline: Option<&SpannedDuration>,
    private: &TokenStream,
) -> TokenStream {
    let report = &input.ident;
    let vis = &input.vis;
    let components = format_ident!("{}Components", report);
    let components_doc = format!(" Typed results of the components of [`{report}`], as its report holds them.");

    // `<FieldType as Check<State>>`, spanned on the field type. Each generated item
    // also states `FieldType: Check<State>` in a `where` clause spanned there: a
    // field that is not a check for this state is then one error, on that field,
    // and the bodies that rely on the bound add none.
    let checks: Vec<TokenStream> = members
        .iter()
        .map(|m| {
            let (ty, at_ty) = (m.ty, respan(private, m.ty.span()));
            quote_spanned!(ty.span()=> <#ty as #at_ty::Check<#state>>)
        })
        .collect();
    let bounds = members.iter().map(|m| {
        let (ty, at_ty) = (m.ty, respan(private, m.ty.span()));
        quote_spanned!(ty.span()=> #ty: #at_ty::Check<#state>)
    });
    let all_checks = quote!(where #(#bounds,)*);
    let fields: Vec<&Ident> = members.iter().map(|m| m.field).collect();
    let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    let details: Vec<TokenStream> = checks.iter().map(|check| quote!(#check::Details)).collect();
    let timeouts: Vec<TokenStream> = members
        .iter()
        .zip(&checks)
        .map(|(m, check)| match &m.args.timeout {
            Some(timeout) => {
                let millis = timeout.millis;
                quote!(#private::millis(#millis))
            }
            None => quote!(#check::TIMEOUT),
        })
        .collect();
    let criticals: Vec<TokenStream> = members
        .iter()
        .zip(&checks)
        .map(|(m, check)| match m.args.critical {
            Some(critical) => quote!(#critical),
            None => quote!(#check::CRITICAL),
        })
        .collect();
    let descriptions: Vec<TokenStream> = members
        .iter()
        .zip(&checks)
        .map(|(m, check)| match &m.docs {
            Some(docs) => quote!(::core::option::Option::Some(#docs)),
            None => quote!(#check::DESCRIPTION),
        })
        .collect();
    let groups: Vec<TokenStream> = members
        .iter()
        .zip(&checks)
        .map(|(m, check)| match &m.args.groups {
            Some(groups) => quote!(&[#(#groups),*]),
            None => quote!(#check::GROUPS),
        })
        .collect();
    let indices: Vec<usize> = (0..members.len()).collect();
    let visitor = local("__health_visitor");
    let field_docs = names.iter().map(|name| format!(" The result of component `{name}`."));
    let len = members.len();
    let (state_var, serializer, map, builder, selection) = (
        local("__health_state"),
        local("__serializer"),
        local("__map"),
        local("__builder"),
        local("__health_selection"),
    );

    let deadline_checks = deadline.map(|deadline| deadline_checks(members, &checks, deadline));
    let run_all = run_all(members, &checks, &timeouts, &criticals, &components, (&state_var, &selection), private);

    quote! {
        #[doc = #components_doc]
        #vis struct #components #all_checks {
            #(
                #[doc = #field_docs]
                pub #fields: #private::Component<#details>,
            )*
        }

        const _: () = {
            #deadline_checks

            #[automatically_derived]
            impl #private::serde::Serialize for #components #all_checks {
                fn serialize<__S: #private::serde::Serializer>(
                    &self,
                    #serializer: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error> {
                    let mut #map = #private::serde::Serializer::serialize_struct(
                        #serializer,
                        ::core::stringify!(#components),
                        #len,
                    )?;
                    #( #private::serde::ser::SerializeStruct::serialize_field(&mut #map, #names, &self.#fields)?; )*
                    #private::serde::ser::SerializeStruct::end(#map)
                }
            }

            #[automatically_derived]
            impl #private::ComponentSet for #components #all_checks {
                fn visit<__V: #private::ComponentVisitor>(&self, #visitor: &mut __V) {
                    #( #private::ComponentVisitor::component(#visitor, #indices, #names, &self.#fields); )*
                }
            }

            #[automatically_derived]
            impl #private::HealthReport for #report #all_checks {
                type State = #state;
                type Components = #components;

                const COMPONENTS: &'static [#private::ComponentInfo] = &[
                    #( #private::ComponentInfo::new(#names, #criticals, #timeouts, #descriptions, #groups), )*
                ];

                fn report_selected(
                    &self,
                    #state_var: &#state,
                    #selection: #private::Selection,
                ) -> impl #private::Future<Output = #private::Report<#components>> + ::core::marker::Send {
                    async move { #run_all }
                }

                fn json_schema() -> #private::Value {
                    let mut #builder = <#private::SchemaBuilder as ::core::default::Default>::default();
                    #( #builder.component::<#details>(#names, #criticals, #descriptions); )*
                    #builder.finish(::core::stringify!(#report))
                }
            }
        };
    }
}

/// The body of `report`: every check polled on this task until all are done.
/// Nothing is boxed; each check's future lives pinned on the report's own stack.
fn run_all(
    members: &[Member],
    checks: &[TokenStream],
    timeouts: &[TokenStream],
    criticals: &[TokenStream],
    components: &Ident,
    (state_var, selection): (&Ident, &Ident),
    private: &TokenStream,
) -> TokenStream {
    let indices = 0..members.len();
    let fields: Vec<&Ident> = members.iter().map(|m| m.field).collect();
    let futures: Vec<Ident> = (0..members.len()).map(|i| local(&format!("__health_future{i}"))).collect();
    let (cx, pending, timestamp, started, results) = (
        local("__health_cx"),
        local("__health_pending"),
        local("__health_timestamp"),
        local("__health_started"),
        local("__health_results"),
    );
    let join = (!members.is_empty()).then(|| {
        quote! {
            #private::poll_fn(|#cx| {
                let mut #pending = false;
                #( #pending |= #futures.as_mut().poll_pending(#cx); )*
                if #pending { #private::Poll::Pending } else { #private::Poll::Ready(()) }
            })
            .await;
        }
    });
    quote! {
        let #timestamp = #private::SystemTime::now();
        let #started = #private::Instant::now();
        #(
            let mut #futures = #private::pin!(if #selection.contains(#indices) {
                #private::MaybeDone::new(#checks::__run_for_report(&self.#fields, #state_var, #timeouts, #criticals))
            } else {
                #private::MaybeDone::done(#private::skipped(#criticals))
            });
        )*
        #join
        let #results = #components { #( #fields: #futures.as_mut().take_output(), )* };
        #private::Report {
            status: #private::Status::aggregate([
                #( (#results.#fields.status, #results.#fields.critical), )*
            ]),
            timestamp: #timestamp,
            duration: #started.elapsed(),
            components: #results,
        }
    }
}

/// Compile-time assertions that each check's own timeout fits the deadline;
/// fields that override the timeout were already compared by the macro.
fn deadline_checks(members: &[Member], checks: &[TokenStream], deadline: &SpannedDuration) -> TokenStream {
    let deadline_nanos = Literal::u128_suffixed(u128::from(deadline.millis) * 1_000_000);
    let asserts = members.iter().zip(checks).filter(|(m, _)| m.args.timeout.is_none()).map(|(m, check)| {
        let message = format!(
            "component `{}`: the check's timeout exceeds the report's deadline of {}; shorten the check's `timeout` or override it with #[health(timeout = \"..\")] on this field",
            m.name,
            duration::display(deadline.millis)
        )
        // A component name may hold braces; the message is a format string.
        .replace('{', "{{")
        .replace('}', "}}");
        let ty = m.ty;
        quote_spanned! {ty.span()=>
            const _: () = if #check::TIMEOUT.as_nanos() > #deadline_nanos {
                ::core::panic!(#message)
            };
        }
    });
    quote!(#(#asserts)*)
}
