//! Workspace-level tests, examples and benchmarks of health-core.
