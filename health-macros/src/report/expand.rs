//! Generating the report of a `#[derive(HealthReport)]` struct.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{DeriveInput, Ident, Type};

use super::validate::Member;
use crate::duration::{self, SpannedDuration};
use crate::naming::local;
use crate::spans::respan;

pub(super) fn generate(
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
    // The timeouts runs are given: a check's own, which a hand-written check
    // declares freely, must be at most `MAX_TIMEOUT`, checked where the run's
    // policy is made, under the impl's bounds (a field that is no check then
    // stays one error). Timeouts written here were checked by the macro.
    let run_timeouts: Vec<TokenStream> = members
        .iter()
        .zip(&timeouts)
        .map(|(m, timeout)| match &m.args.timeout {
            Some(_) => timeout.clone(),
            None => {
                let message = format!(
                    "component `{}`: the check's timeout is longer than `health_core::MAX_TIMEOUT` ({}); shorten it, or override it with #[health(timeout = \"..\")] on this field",
                    m.name,
                    duration::display(crate::limits::MAX_TIMEOUT_MILLIS)
                );
                let (span, at_ty) = (m.ty.span(), respan(private, m.ty.span()));
                quote_spanned!(span=> #at_ty::at_most_max_timeout(#timeout, #message))
            }
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
    let retries: Vec<TokenStream> =
        members.iter().zip(&checks).map(|(m, check)| m.args.policy.retry(private, &quote!(#check::RETRY))).collect();
    let thresholds: Vec<TokenStream> = members.iter().map(|m| m.args.policy.threshold_override(private)).collect();
    let indices: Vec<usize> = (0..members.len()).collect();
    let visitor = local("__health_visitor");
    let formatter = local("__health_f");
    let field_docs = names.iter().map(|name| format!(" The result of component `{name}`."));
    let len = members.len();
    let (state_var, serializer, map, builder, selection, flights) = (
        local("__health_state"),
        local("__serializer"),
        local("__map"),
        local("__builder"),
        local("__health_selection"),
        local("__health_flights"),
    );

    let deadline_checks = deadline.map(|deadline| deadline_checks(members, &checks, deadline));
    let runs = Runs { timeouts: &timeouts, criticals: &criticals, retries: &retries, thresholds: &thresholds };
    let policy_checks = policy_checks(members, &runs, state, private);
    let run_all = run_all(
        members,
        Runs { timeouts: &run_timeouts, ..runs },
        &components,
        Inputs { state: &state_var, state_type: state, selection: &selection, flights: &flights },
        private,
    );

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
            #policy_checks

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
            impl ::core::fmt::Debug for #components #all_checks {
                fn fmt(&self, #formatter: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    #private::debug_components(::core::stringify!(#components), self, #formatter)
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
                    #( #private::component_info(#names, #criticals, #timeouts, #descriptions, #groups), )*
                ];

                const TITLE: &'static ::core::primitive::str = ::core::stringify!(#report);

                fn report_selected(
                    &self,
                    #state_var: &#state,
                    #selection: #private::Selection,
                ) -> impl #private::Future<Output = #private::Report<#components>> + ::core::marker::Send {
                    <Self as #private::HealthReport>::__report_in(self, #state_var, #selection, #private::Flights::NONE)
                }

                fn __report_in(
                    &self,
                    #state_var: &#state,
                    #selection: #private::Selection,
                    #flights: #private::Flights<'_>,
                ) -> impl #private::Future<Output = #private::Report<#components>> + ::core::marker::Send {
                    #run_all
                }

                fn json_schema() -> #private::Value {
                    let mut #builder = <#private::SchemaBuilder as ::core::default::Default>::default();
                    #( #builder.component::<#details>(#names, #criticals, #descriptions); )*
                    #builder.finish(<Self as #private::HealthReport>::TITLE)
                }
            }
        };
    }
}

/// How the report runs each component: its timeout, criticality, retries and
/// thresholds, as expressions.
struct Runs<'a> {
    timeouts: &'a [TokenStream],
    criticals: &'a [TokenStream],
    retries: &'a [TokenStream],
    thresholds: &'a [TokenStream],
}

/// The locals of `__report_in` the run refers to, and the state's type.
struct Inputs<'a> {
    state: &'a Ident,
    state_type: &'a Type,
    selection: &'a Ident,
    flights: &'a Ident,
}

/// The body of `__report_in`: the fields, as nested tuples of references,
/// handed to `run_report`, which starts, joins and aggregates them (written
/// once in the runtime), with their policies and how to name their results.
fn run_all(members: &[Member], runs: Runs, components: &Ident, inputs: Inputs, private: &TokenStream) -> TokenStream {
    let Runs { timeouts, criticals, retries, thresholds } = runs;
    let Inputs { state, state_type, selection, flights } = inputs;
    let fields: Vec<&Ident> = members.iter().map(|m| m.field).collect();
    let references = nest(fields.iter().map(|field| quote!(&self.#field)).collect());
    let pattern = nest(fields.iter().map(|field| quote!(#field)).collect());
    quote! {
        #private::run_report::<#state_type, _, _, _>(
            #references,
            #state,
            #selection,
            #flights,
            // The policies are one inline constant, borrowed for `'static`
            // instead of copied into the report's future, and checked under
            // the impl's bounds.
            &const { [#( #private::policy(#timeouts, #criticals, #retries, #thresholds), )*] },
            |#pattern| #components { #( #fields, )* },
        )
    }
}

/// `items` as a tuple, or as a tuple of tuples when there are more than one
/// tuple holds (`TUPLE_MAX`, twelve), so that any number of members is one
/// value whose shape `run_report` knows.
fn nest(items: Vec<TokenStream>) -> TokenStream {
    // As many as the runtime implements `Members` for (`TUPLE_MAX` there).
    const TUPLE_MAX: usize = 12;
    if items.len() <= TUPLE_MAX {
        return quote!((#( #items, )*));
    }
    let chunks = items.chunks(TUPLE_MAX).map(|chunk| nest(chunk.to_vec())).collect();
    nest(chunks)
}

/// Compile-time assertions that each check's own timeout fits the deadline;
/// fields that override the timeout were already compared by the macro.
fn deadline_checks(members: &[Member], checks: &[TokenStream], deadline: &SpannedDuration) -> TokenStream {
    let deadline_nanos = Literal::u128_suffixed(u128::from(deadline.millis) * 1_000_000);
    let asserts = members.iter().zip(checks).filter(|(m, _)| m.args.timeout.is_none()).map(|(m, check)| {
        // A component name may hold braces; the message is a format string.
        let message = escape(format!(
            "component `{}`: the check's timeout exceeds the report's deadline of {}; shorten the check's `timeout` or override it with #[health(timeout = \"..\")] on this field",
            m.name,
            duration::display(deadline.millis)
        ));
        let ty = m.ty;
        quote_spanned! {ty.span()=>
            const _: () = if #check::TIMEOUT.as_nanos() > #deadline_nanos {
                ::core::panic!(#message)
            };
        }
    });
    quote!(#(#asserts)*)
}

/// Compile-time assertions: a field that sets thresholds has a check that
/// keeps the history they need, and a field that sets retries or a timeout
/// leaves its retries time within its timeout.
fn policy_checks(members: &[Member], runs: &Runs, state: &Type, private: &TokenStream) -> TokenStream {
    let asserts = members.iter().enumerate().map(|(index, m)| {
        let policy = &m.args.policy;
        let history = policy.has_thresholds().then(|| {
            let span = policy.failure_threshold.as_ref().or(policy.success_threshold.as_ref()).map_or(m.ty.span(), |count| count.literal.span());
            let ty = m.ty;
            let message = escape(format!(
                "component `{}`: thresholds need a check that keeps a history of its runs, and `{}` keeps none; declare them on a #[health_check] fn, or wrap a hand-written check in `health_core::Damped`",
                m.name,
                quote!(#ty).to_string().replace(' ', "")
            ));
            quote_spanned! {span=>
                const _: () = if !<#ty as #private::Check<#state>>::__KEEPS_HISTORY {
                    ::core::panic!(#message)
                };
            }
        });
        // A field that sets retries or a timeout: a timeout shortened here may
        // leave the check's own retries no time. Values all written on the
        // field were compared by the macro. (Fields setting nothing are left
        // alone, so a field that is no check stays one error.)
        let all_written = policy.retries.is_some() && policy.retry_backoff.is_some() && m.args.timeout.is_some();
        let fits = ((policy.has_retry() || m.args.timeout.is_some()) && !all_written).then(|| {
            let span = policy
                .retries
                .as_ref()
                .map(|count| count.literal.span())
                .or(policy.retry_backoff.as_ref().map(|backoff| backoff.literal.span()))
                .or(m.args.timeout.as_ref().map(|timeout| timeout.literal.span()))
                .unwrap_or(m.ty.span());
            let (retry, timeout) = (&runs.retries[index], &runs.timeouts[index]);
            let message = escape(format!(
                "component `{}`: the retries' waits alone fill its timeout, leaving the last retry no time; the retries and their waits run inside the timeout: use fewer retries, a shorter `retry_backoff` or a longer `timeout`",
                m.name
            ));
            quote_spanned! {span=>
                const _: () = if !#retry.fits(#timeout) {
                    ::core::panic!(#message)
                };
            }
        });
        quote!(#history #fits)
    });
    quote!(#(#asserts)*)
}

/// `text` as a format string that prints it.
fn escape(text: String) -> String {
    text.replace('{', "{{").replace('}', "}}")
}
