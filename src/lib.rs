//! Workspace-level tests, examples and benchmarks of health-core.

/// The framework guide's snippets, compiled as doc tests: they use the
/// frameworks this package has as dev-dependencies.
#[cfg(doctest)]
#[doc = include_str!("../docs/frameworks.md")]
mod frameworks {}

/// The testing guide's snippets, compiled as doc tests: they use the clients
/// and servers this package has as dev-dependencies.
#[cfg(doctest)]
#[doc = include_str!("../docs/testing.md")]
mod testing {}
