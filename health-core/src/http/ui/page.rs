//! The page itself: one HTML document with its style and script inline,
//! assembled at compile time, and the headers that lock it down.

use bytes::Bytes;

use crate::http::HealthResponse;

/// The inline style (the whole `<style>` element's text).
#[cfg(test)]
const STYLE: &str = include_str!("assets/page.css");
/// The inline script (the whole `<script>` element's text).
#[cfg(test)]
const SCRIPT: &str = include_str!("assets/page.js");

/// The page, served as it is: no templating, so nothing a request or a check
/// says ever reaches its markup.
pub(crate) const PAGE: &str = concat!(
    include_str!("assets/head.html"),
    include_str!("assets/page.css"),
    include_str!("assets/body.html"),
    include_str!("assets/page.js"),
    include_str!("assets/tail.html"),
);

/// Defines the hashes of the inline style and script once, for the policy
/// and for the test that recomputes them: after editing `assets/page.css`
/// or `assets/page.js`, `cargo test -p health-core --features ui --lib page`
/// prints the new hash, and the example's pinned OpenAPI document
/// (`tests/snapshots/`), which declares the policy, needs updating too.
macro_rules! policy {
    (style: $style:literal, script: $script:literal) => {
        /// The SHA-256 of [`STYLE`], base64.
        #[cfg(test)]
        const STYLE_HASH: &str = $style;
        /// The SHA-256 of [`SCRIPT`], base64.
        #[cfg(test)]
        const SCRIPT_HASH: &str = $script;
        /// Nothing but the page's own style and script (by their hashes),
        /// requests to its own origin, and inline images (the empty icon,
        /// which spares the browser a request for `/favicon.ico`); no
        /// framing, no form posted anywhere, no DOM sink taking strings.
        const POLICY: &str = concat!(
            "default-src 'none'; script-src '",
            $script,
            "'; style-src '",
            $style,
            "'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; ",
            "frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'",
        );
    };
}

policy! {
    style: "sha256-jtS8Bv55xQZlX+g7am6RW42ZWC9vvOLwBItTXTsbh7Q=",
    script: "sha256-ZEe2L4eSuMazkcNzSrs3JTNNFUZQh2l3T4xqarrqWZo="
}

/// The headers of the page, beyond its type.
pub(crate) const SECURITY_HEADERS: &[(&str, &str)] = &[
    ("content-security-policy", POLICY),
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
];

/// The page, with its headers. HEAD answers carry the same, less the body.
pub(crate) fn response() -> HealthResponse {
    HealthResponse::document("text/html; charset=utf-8", SECURITY_HEADERS, Bytes::from_static(PAGE.as_bytes()))
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use sha2::{Digest, Sha256};

    use super::*;

    fn hash(text: &str) -> String {
        format!("sha256-{}", base64::engine::general_purpose::STANDARD.encode(Sha256::digest(text.as_bytes())))
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_style_and_script() {
        assert_eq!(STYLE_HASH, hash(STYLE), "update the style's hash in `policy!`");
        assert_eq!(SCRIPT_HASH, hash(SCRIPT), "update the script's hash in `policy!`");
        // The elements hold exactly the hashed text.
        assert!(PAGE.contains(&format!("<style>{STYLE}</style>")));
        assert!(PAGE.contains(&format!("<script>{SCRIPT}</script>")));
        assert_eq!(PAGE.matches("<script").count(), 1);
        assert_eq!(PAGE.matches("<style").count(), 1);
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        // The one URL with a scheme is SVG's namespace, which is a name, not a request.
        let page = PAGE.replace("\"http://www.w3.org/2000/svg\"", "").replace("href=\"data:,\"", "");
        for outside in ["://", "\"//", "'//", "url(h", "url(/", "@import", "src=", "href=", "fetch(\"", "import("] {
            assert!(!page.contains(outside), "the page refers to `{outside}`");
        }
        assert!(PAGE.len() < 20 * 1024, "the page is {} bytes", PAGE.len());
    }
}
