//! Every attribute key, spelled once: the parsers and their "expected one of"
//! messages both come from here (serde's `internals/symbol.rs`).

use std::fmt;

use syn::Path;

/// The name of an attribute or key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Symbol(&'static str);

pub(crate) const HEALTH: Symbol = Symbol("health");

pub(crate) const CACHE: Symbol = Symbol("cache");
pub(crate) const CRATE: Symbol = Symbol("crate");
pub(crate) const CRITICAL: Symbol = Symbol("critical");
pub(crate) const DEADLINE: Symbol = Symbol("deadline");
pub(crate) const FAILURE_THRESHOLD: Symbol = Symbol("failure_threshold");
pub(crate) const GROUPS: Symbol = Symbol("groups");
pub(crate) const RENAME: Symbol = Symbol("rename");
pub(crate) const RETRIES: Symbol = Symbol("retries");
pub(crate) const RETRY_BACKOFF: Symbol = Symbol("retry_backoff");
pub(crate) const STATE: Symbol = Symbol("state");
pub(crate) const SUCCESS_THRESHOLD: Symbol = Symbol("success_threshold");
pub(crate) const TIMEOUT: Symbol = Symbol("timeout");

impl Symbol {
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl PartialEq<Symbol> for Path {
    fn eq(&self, symbol: &Symbol) -> bool {
        self.is_ident(symbol.0)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The keys one attribute position accepts. Its parser matches on the enum,
/// so every key it lists is handled; a key left out of `ALL` is a variant
/// never constructed, which the compiler reports.
pub(crate) trait Keys: Copy + 'static {
    /// The attribute, as its errors name it (`health_check`, `health struct`).
    const ATTRIBUTE: &'static str;
    const ALL: &'static [Self];

    fn symbol(self) -> Symbol;

    /// The key `path` names, if this position accepts it.
    fn find(path: &Path) -> Option<Self> {
        Self::ALL.iter().copied().find(|key| *path == key.symbol())
    }

    fn names() -> Vec<&'static str> {
        Self::ALL.iter().map(|key| key.symbol().as_str()).collect()
    }
}

/// The keys of `#[health_check(...)]`.
#[derive(Clone, Copy)]
pub(crate) enum CheckKey {
    Timeout,
    Critical,
    Cache,
    Groups,
    FailureThreshold,
    SuccessThreshold,
    Retries,
    RetryBackoff,
    Crate,
}

impl Keys for CheckKey {
    const ATTRIBUTE: &'static str = "health_check";
    const ALL: &'static [Self] = &[
        CheckKey::Timeout,
        CheckKey::Critical,
        CheckKey::Cache,
        CheckKey::Groups,
        CheckKey::FailureThreshold,
        CheckKey::SuccessThreshold,
        CheckKey::Retries,
        CheckKey::RetryBackoff,
        CheckKey::Crate,
    ];

    fn symbol(self) -> Symbol {
        match self {
            CheckKey::Timeout => TIMEOUT,
            CheckKey::Critical => CRITICAL,
            CheckKey::Cache => CACHE,
            CheckKey::Groups => GROUPS,
            CheckKey::FailureThreshold => FAILURE_THRESHOLD,
            CheckKey::SuccessThreshold => SUCCESS_THRESHOLD,
            CheckKey::Retries => RETRIES,
            CheckKey::RetryBackoff => RETRY_BACKOFF,
            CheckKey::Crate => CRATE,
        }
    }
}

/// The keys of `#[health(...)]` on a `#[derive(HealthReport)]` struct.
#[derive(Clone, Copy)]
pub(crate) enum ContainerKey {
    State,
    Deadline,
    Crate,
}

impl Keys for ContainerKey {
    const ATTRIBUTE: &'static str = "health struct";
    const ALL: &'static [Self] = &[ContainerKey::State, ContainerKey::Deadline, ContainerKey::Crate];

    fn symbol(self) -> Symbol {
        match self {
            ContainerKey::State => STATE,
            ContainerKey::Deadline => DEADLINE,
            ContainerKey::Crate => CRATE,
        }
    }
}

/// The keys of `#[health(...)]` on a field of a `#[derive(HealthReport)]` struct.
#[derive(Clone, Copy)]
pub(crate) enum FieldKey {
    Rename,
    Critical,
    Timeout,
    Groups,
    FailureThreshold,
    SuccessThreshold,
    Retries,
    RetryBackoff,
}

impl Keys for FieldKey {
    const ATTRIBUTE: &'static str = "health field";
    const ALL: &'static [Self] = &[
        FieldKey::Rename,
        FieldKey::Critical,
        FieldKey::Timeout,
        FieldKey::Groups,
        FieldKey::FailureThreshold,
        FieldKey::SuccessThreshold,
        FieldKey::Retries,
        FieldKey::RetryBackoff,
    ];

    fn symbol(self) -> Symbol {
        match self {
            FieldKey::Rename => RENAME,
            FieldKey::Critical => CRITICAL,
            FieldKey::Timeout => TIMEOUT,
            FieldKey::Groups => GROUPS,
            FieldKey::FailureThreshold => FAILURE_THRESHOLD,
            FieldKey::SuccessThreshold => SUCCESS_THRESHOLD,
            FieldKey::Retries => RETRIES,
            FieldKey::RetryBackoff => RETRY_BACKOFF,
        }
    }
}
