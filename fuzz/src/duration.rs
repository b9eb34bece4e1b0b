//! The macros' duration parser (`timeout = "1m30s"`), compiled here from its
//! own source as a normal library over proc-macro2.
//!
//! Invariants: no panic on any text, and `parse(format(d)) == d` both for
//! every duration and for every duration the parser accepts.

#[allow(dead_code)] // The macros use more of it than the invariants do.
#[path = "../../health-macros/src/duration.rs"]
mod parser;

pub fn check(data: &[u8]) {
    // The first eight bytes as a duration in milliseconds, to format and read back.
    if let Some(bytes) = data.first_chunk::<8>() {
        let millis = u64::from_le_bytes(*bytes);
        let text = parser::display(millis);
        assert_eq!(parser::parse_millis(&text), Ok(millis), "{millis} ms formats as {text:?}");
    }
    // All of it as the text of an attribute.
    let text = String::from_utf8_lossy(data);
    let literal = syn::LitStr::new(&text, proc_macro2::Span::call_site());
    match parser::parse("timeout", &literal) {
        Ok(parsed) => {
            assert!(parsed.millis > 0, "{text:?} parsed as zero");
            let formatted = parser::display(parsed.millis);
            assert_eq!(parser::parse_millis(&formatted), Ok(parsed.millis), "{text:?} formats as {formatted:?}");
        }
        Err(error) => {
            let message = error.to_string();
            assert!(message.contains("`timeout`"), "the error names the key: {message}");
        }
    }
}
