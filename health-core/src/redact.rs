//! Keeps credentials out of the messages a report shows.

use std::borrow::Cow;

const MASK: &str = "***";

/// Words that mark a `key=value` or `key: value` pair as secret when the key contains one.
const SECRET_KEYS: [&str; 13] = [
    "password",
    "passwd",
    "pwd",
    "passphrase",
    "secret",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "private_key",
    "credential",
    "authorization",
    "cookie",
];

/// Authorization schemes: the credential is the word after them.
const SCHEMES: [&str; 5] = ["bearer", "basic", "token", "digest", "negotiate"];

/// Replaces credentials in `text` with `***`.
///
/// Every message of a report passes through it: error messages of database and
/// HTTP clients often quote the connection string they failed with. It masks
///
/// - the password of a URL: `postgres://app:hunter2@db/x` → `postgres://app:***@db/x`;
/// - values of keys that name a secret (`password`, `passwd`, `pwd`,
///   `passphrase`, `secret`, `token`, `apikey`, `api_key`, `api-key`,
///   `private_key`, `credential`, `authorization`, `cookie`, in any case and as
///   part of a longer key such as `DB_PASSWORD` or `access_token`), written
///   `key=value`, `key = 'quoted value'`, `key: value` or `"key": "value"`;
/// - credentials after an authorization scheme: `Authorization: Basic dXNl…` →
///   `Authorization: Basic ***`, and bearer tokens anywhere: `Bearer ***`.
///
/// ```
/// use health_core::redact;
///
/// assert_eq!(
///     redact("cannot reach redis://:s3cret@cache:6379/0"),
///     "cannot reach redis://:***@cache:6379/0"
/// );
/// assert_eq!(redact("host=db password='p w' user=app"), "host=db password='***' user=app");
/// assert_eq!(redact("connection refused"), "connection refused");
/// ```
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = secret_spans(text);
    if secrets.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut redacted = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in secrets {
        redacted.push_str(&text[copied..start]);
        redacted.push_str(MASK);
        copied = end;
    }
    redacted.push_str(&text[copied..]);
    Cow::Owned(redacted)
}

/// Redacts an owned or static message without copying it when it holds no secret.
pub(crate) fn redact_message(message: Cow<'static, str>) -> Cow<'static, str> {
    match redact(&message) {
        Cow::Borrowed(_) => message,
        Cow::Owned(redacted) => Cow::Owned(redacted),
    }
}

/// Byte ranges of the secrets in `text`, in order and not overlapping. Every
/// boundary is next to an ASCII delimiter, so slicing there is valid UTF-8.
fn secret_spans(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i..].starts_with(b"://") {
            i = url_password(bytes, i + 3, &mut spans);
        } else if is_key_byte(bytes[i]) && (i == 0 || !is_key_byte(bytes[i - 1])) {
            i = key_value(text, i, &mut spans);
        } else {
            i += 1;
        }
    }
    spans
}

/// Scans the authority of a URL starting at `start`; records the password of its
/// user info. Returns where scanning resumes.
fn url_password(bytes: &[u8], start: usize, spans: &mut Vec<(usize, usize)>) -> usize {
    let end = start
        + bytes[start..]
            .iter()
            .position(|&b| matches!(b, b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>') || b.is_ascii_whitespace())
            .unwrap_or(bytes.len() - start);
    let authority = &bytes[start..end];
    if let Some(at) = authority.iter().rposition(|&b| b == b'@')
        && let Some(colon) = authority[..at].iter().position(|&b| b == b':')
        && colon + 1 < at
    {
        spans.push((start + colon + 1, start + at));
    }
    end
}

/// Scans a word starting at `start`; records the value after it when the word
/// names a secret, or the token after `Bearer`. Returns where scanning resumes.
fn key_value(text: &str, start: usize, spans: &mut Vec<(usize, usize)>) -> usize {
    let bytes = text.as_bytes();
    let key_end = start + bytes[start..].iter().take_while(|&&b| is_key_byte(b)).count();
    let key = &text[start..key_end];
    if key.eq_ignore_ascii_case("bearer") {
        return credential_after_scheme(bytes, key_end, spans).unwrap_or(key_end);
    }
    if !SECRET_KEYS.iter().any(|word| contains_ignore_case(key, word)) {
        return key_end;
    }
    // The closing quote of a quoted key, as in JSON: `"password": "…"`.
    let mut cursor = key_end + usize::from(matches!(bytes.get(key_end), Some(b'"' | b'\'')));
    cursor = skip_spaces(bytes, cursor);
    match bytes.get(cursor) {
        Some(b'=') => {}
        Some(b':') if !bytes[cursor..].starts_with(b"://") => {}
        _ => return key_end,
    }
    cursor = skip_spaces(bytes, cursor + 1);
    let (value_start, value_stop) = match bytes.get(cursor) {
        Some(&quote @ (b'\'' | b'"')) => {
            let inner = cursor + 1;
            let close = bytes[inner..].iter().position(|&b| b == quote).map_or(bytes.len(), |p| inner + p);
            (inner, close)
        }
        _ => (cursor, value_end(bytes, cursor)),
    };
    let scheme = &text[value_start..value_stop.min(value_start + word_len(bytes, value_start))];
    if SCHEMES.iter().any(|known| scheme.eq_ignore_ascii_case(known))
        && let Some(resume) = credential_after_scheme(bytes, value_start + scheme.len(), spans)
    {
        return resume;
    }
    if value_stop > value_start {
        spans.push((value_start, value_stop));
    }
    value_stop.max(key_end)
}

/// Records the credential after an authorization scheme ending at `scheme_end`;
/// returns where scanning resumes, or `None` when no credential follows.
fn credential_after_scheme(bytes: &[u8], scheme_end: usize, spans: &mut Vec<(usize, usize)>) -> Option<usize> {
    let start = skip_spaces(bytes, scheme_end);
    let end = value_end(bytes, start);
    (start > scheme_end && end > start).then(|| {
        spans.push((start, end));
        end
    })
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

fn word_len(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().take_while(|b| b.is_ascii_alphabetic()).count()
}

fn is_key_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn skip_spaces(bytes: &[u8], from: usize) -> usize {
    from + bytes[from..].iter().take_while(|&&b| b == b' ' || b == b'\t').count()
}

fn value_end(bytes: &[u8], from: usize) -> usize {
    from + bytes[from..]
        .iter()
        .take_while(|&&b| !(b.is_ascii_whitespace() || matches!(b, b'&' | b';' | b',' | b')' | b'"' | b'\'' | b'>')))
        .count()
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn masks_url_passwords() {
        let cases = [
            ("postgres://app:hunter2@db:5432/x", "postgres://app:***@db:5432/x"),
            (
                "error connecting to mysql://root:pa:ss@127.0.0.1/test: refused",
                "error connecting to mysql://root:***@127.0.0.1/test: refused",
            ),
            ("amqp://guest:guest@localhost:5672/%2f", "amqp://guest:***@localhost:5672/%2f"),
            ("redis://:only-password@cache", "redis://:***@cache"),
            ("'https://u:p@example.com?x=1'", "'https://u:***@example.com?x=1'"),
            ("two: a://x:1@h and b://y:2@k", "two: a://x:***@h and b://y:***@k"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn keeps_urls_without_passwords() {
        for input in ["postgres://app@db/x", "http://host:8080/path", "nats://127.0.0.1:4222", "a://user:@h"] {
            assert_eq!(redact(input), input);
        }
    }

    #[test]
    fn masks_secret_keys() {
        let cases = [
            ("host=db password=secret user=app", "host=db password=*** user=app"),
            ("host=db password = 'with space' user=app", "host=db password = '***' user=app"),
            ("?user=a&Password=x1&db=b", "?user=a&Password=***&db=b"),
            ("DB_PASSWORD=abc;next", "DB_PASSWORD=***;next"),
            ("access_token: eyJ.abc.def, retry", "access_token: ***, retry"),
            ("x-api-key: \"k-123\"", "x-api-key: \"***\""),
            ("client_secret=s pwd=p", "client_secret=*** pwd=***"),
            ("Authorization: Bearer eyJhbGciOi.x.y", "Authorization: Bearer ***"),
            ("authorization: Basic dXNlcjpwYXNz", "authorization: Basic ***"),
            ("Authorization: Token  abc123", "Authorization: Token  ***"),
            ("sent bearer\tabc.def", "sent bearer\t***"),
            (r#"{"user":"app","password":"hunter2"}"#, r#"{"user":"app","password":"***"}"#),
            ("{'Passphrase': 'open sesame'}", "{'Passphrase': '***'}"),
            ("Cookie: session=abc; x=1", "Cookie: ***; x=1"),
            ("PRIVATE_KEY=-----BEGIN", "PRIVATE_KEY=***"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn leaves_ordinary_messages_alone() {
        for input in [
            "password authentication failed for user \"postgres\"",
            "connection refused (os error 111)",
            "token expired",
            "Basic checks passed",
            "bearer",
            "timed out after 100ms",
            "",
            "ünïcödé pässword",
        ] {
            assert!(matches!(redact(input), std::borrow::Cow::Borrowed(_)), "{input}");
        }
    }

    #[test]
    fn masks_a_secret_after_arbitrary_text_and_never_panics() {
        const ALPHABET: [&str; 24] = [
            "://",
            "@",
            ":",
            "=",
            " ",
            "\t",
            "'",
            "\"",
            "&",
            ";",
            "password",
            "Bearer",
            "Basic",
            "token",
            "é",
            "€",
            "💥",
            "a",
            "Z",
            "9",
            "/",
            "?",
            "\n",
            "authorization",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..(seed % 12) {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                text.push_str(ALPHABET[(seed >> 33) as usize % ALPHABET.len()]);
            }
            let redacted = redact(&text);
            assert_eq!(redact(&redacted), redacted, "redacting twice changes {text:?}");
            text.push_str(" password=hunter2");
            assert!(!redact(&text).contains("hunter2"), "{text:?}");
        }
    }

    #[test]
    fn handles_unicode_around_secrets() {
        assert_eq!(redact("é password=ü€ é"), "é password=*** é");
        assert_eq!(redact("x://ü:ß@h"), "x://ü:***@h");
    }
}
