//! Procedural macros of [`health-core`](https://docs.rs/health-core).
//!
//! Depend on `health-core`, which re-exports them; their documentation lives there.

#![warn(missing_debug_implementations, unreachable_pub)]

mod check;
mod duration;
mod errors;
mod groups;
mod limits;
mod naming;
mod policy;
mod report;
mod settings;
mod spans;
mod symbol;

use proc_macro::TokenStream;

/// Turns an `async fn` into a health check. See `health_core::health_check`.
#[proc_macro_attribute]
pub fn health_check(args: TokenStream, item: TokenStream) -> TokenStream {
    check::expand(args.into(), item.into()).into()
}

/// Composes health checks into a report. See `health_core::HealthReport`.
#[proc_macro_derive(HealthReport, attributes(health))]
pub fn derive_health_report(input: TokenStream) -> TokenStream {
    report::expand(input.into()).into()
}
