//! Thresholds and retries: the keys `#[health_check]` and a report field's
//! `#[health(...)]` share, parsed, validated and turned into runtime values.

use proc_macro2::TokenStream;
use quote::quote;
use syn::meta::ParseNestedMeta;
use syn::{Lit, LitInt};

use crate::duration::{self, SpannedDuration};
use crate::errors::Errors;
use crate::settings::{self, Setting};
use crate::symbol::Keys;

/// A whole number from an attribute, with its literal for error spans.
#[derive(Clone)]
pub(crate) struct SpannedCount {
    pub value: u32,
    pub literal: LitInt,
}

/// What an attribute says about thresholds and retries.
#[derive(Default)]
pub(crate) struct Policy {
    pub failure_threshold: Option<SpannedCount>,
    pub success_threshold: Option<SpannedCount>,
    pub retries: Option<SpannedCount>,
    pub retry_backoff: Option<SpannedDuration>,
}

/// The settings of one attribute being parsed.
pub(crate) struct PolicySettings {
    failure_threshold: Setting<SpannedCount>,
    success_threshold: Setting<SpannedCount>,
    retries: Setting<SpannedCount>,
    retry_backoff: Setting<SpannedDuration>,
}

/// Which of the shared keys a position's key is.
#[derive(Clone, Copy)]
pub(crate) enum PolicyKey {
    FailureThreshold,
    SuccessThreshold,
    Retries,
    RetryBackoff,
}

impl PolicySettings {
    pub(crate) fn new<K: Keys>(failure: K, success: K, retries: K, backoff: K) -> Self {
        PolicySettings {
            failure_threshold: Setting::new(failure),
            success_threshold: Setting::new(success),
            retries: Setting::new(retries),
            retry_backoff: Setting::new(backoff),
        }
    }

    pub(crate) fn parse(&mut self, key: PolicyKey, meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<()> {
        match key {
            PolicyKey::FailureThreshold => count(meta, errors, &mut self.failure_threshold, 1),
            PolicyKey::SuccessThreshold => count(meta, errors, &mut self.success_threshold, 1),
            PolicyKey::Retries => count(meta, errors, &mut self.retries, 0),
            PolicyKey::RetryBackoff => settings::duration(meta, errors, &mut self.retry_backoff),
        }
    }

    pub(crate) fn get(self) -> Policy {
        Policy {
            failure_threshold: self.failure_threshold.get(),
            success_threshold: self.success_threshold.get(),
            retries: self.retries.get(),
            retry_backoff: self.retry_backoff.get(),
        }
    }
}

/// Parses `key = <whole number>` of at least `min` into `setting`.
fn count(
    meta: &ParseNestedMeta,
    errors: &mut Errors,
    setting: &mut Setting<SpannedCount>,
    min: u32,
) -> syn::Result<()> {
    let key = setting.key();
    let expected = match min {
        0 => format!("expected a whole number for `{key}`, such as `{key} = 2`"),
        _ => format!("`{key}` counts consecutive runs: expected a whole number of {min} or more, such as `{key} = 3`"),
    };
    if !meta.input.peek(syn::Token![=]) {
        errors.spanned(&meta.path, expected);
        return Ok(());
    }
    match meta.value()?.parse::<syn::Expr>()? {
        syn::Expr::Lit(syn::ExprLit { lit: Lit::Int(literal), .. }) => match literal.base10_parse::<u32>() {
            Ok(value) if value >= min && literal.suffix().is_empty() => {
                setting.set(errors, &meta.path, SpannedCount { value, literal })
            }
            _ => errors.spanned(literal, expected),
        },
        other => errors.spanned(other, expected),
    }
    Ok(())
}

impl Policy {
    /// Whether thresholds are set.
    pub(crate) fn has_thresholds(&self) -> bool {
        self.failure_threshold.is_some() || self.success_threshold.is_some()
    }

    /// Whether retries or their backoff are set.
    pub(crate) fn has_retry(&self) -> bool {
        self.retries.is_some() || self.retry_backoff.is_some()
    }

    /// Refuses retries whose waits alone fill `timeout`, when both are written
    /// here; `None` when the timeout is not, and the rule is left to a
    /// compile-time assertion.
    pub(crate) fn validate_retries(&self, timeout: Option<&SpannedDuration>, errors: &mut Errors) {
        let (Some(retries), Some(backoff), Some(timeout)) = (&self.retries, &self.retry_backoff, timeout) else {
            return;
        };
        let waits = backoff.millis.saturating_mul(u64::from(retries.value));
        if retries.value > 0 && waits >= timeout.millis {
            let within = format!("the timeout of {}", duration::display(timeout.millis));
            errors.spanned(&retries.literal, retries_message(retries.value, backoff.millis, &within));
        }
    }

    /// The `ThresholdOverride` this sets.
    pub(crate) fn threshold_override(&self, private: &TokenStream) -> TokenStream {
        if !self.has_thresholds() {
            return quote!(#private::ThresholdOverride::NONE);
        }
        let failures = optional(self.failure_threshold.as_ref());
        let successes = optional(self.success_threshold.as_ref());
        quote!(#private::ThresholdOverride::new(#failures, #successes))
    }

    /// The `Retry` this sets over `inherited`, the check's own.
    pub(crate) fn retry(&self, private: &TokenStream, inherited: &TokenStream) -> TokenStream {
        if !self.has_retry() {
            return inherited.clone();
        }
        let retries = match &self.retries {
            Some(retries) => {
                let value = retries.value;
                quote!(#value)
            }
            None => quote!(#inherited.retries()),
        };
        let backoff = match &self.retry_backoff {
            Some(backoff) => {
                let millis = backoff.millis;
                quote!(#private::millis(#millis))
            }
            None => quote!(#inherited.backoff()),
        };
        quote!(#private::Retry::new(#retries, #backoff))
    }
}

fn optional(count: Option<&SpannedCount>) -> TokenStream {
    match count {
        Some(count) => {
            let value = count.value;
            quote!(::core::option::Option::Some(#value))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// Why retries do not fit `timeout`, the timeout as the message names it.
pub(crate) fn retries_message(retries: u32, backoff_millis: u64, timeout: &str) -> String {
    let waits = backoff_millis.saturating_mul(u64::from(retries));
    format!(
        "{retries} retries waiting {} each, {} in all, leave no time within {timeout}; the retries and their waits run inside the timeout: use fewer retries, a shorter `retry_backoff` or a longer `timeout`",
        duration::display(backoff_millis),
        duration::display(waits),
    )
}
