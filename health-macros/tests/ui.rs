//! Compile-time diagnostics: every malformed use is a precise, spanned error.
//! Regenerate the expected output with `TRYBUILD=overwrite cargo test --test ui`
//! and review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/check/*.rs");
    cases.compile_fail("tests/ui/report/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
