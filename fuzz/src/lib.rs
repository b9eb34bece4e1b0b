//! The invariants of the fuzz targets, one module per target. Each `check`
//! takes the fuzzer's bytes and panics when an invariant breaks, so the same
//! function serves `cargo fuzz run <target>` and the corpus replay in
//! `tests/fuzz_corpora.rs`.

pub mod duration;
pub mod http;
pub mod redaction;
pub mod render;

mod runtime;
