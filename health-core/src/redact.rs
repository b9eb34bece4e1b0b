//! Keeps credentials out of the messages a report shows.

use std::borrow::Cow;

const MASK: &str = "***";

/// Words that mark a `key=value` or `key: value` pair as secret when the key contains one.
const SECRET_KEYS: [&str; 8] = ["password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key"];

/// Replaces credentials in `text` with `***`.
///
/// Every message of a report passes through it: error messages of database and
/// HTTP clients often quote the connection string they failed with. It masks
///
/// - the password of a URL: `postgres://app:hunter2@db/x` → `postgres://app:***@db/x`;
/// - values of keys that name a secret (`password`, `passwd`, `pwd`, `secret`,
///   `token`, `apikey`, `api_key`, `api-key`, in any case and as part of a longer
///   key such as `DB_PASSWORD` or `access_token`), written `key=value`,
///   `key = 'quoted value'` or `key: value`;
/// - bearer tokens: `Bearer eyJhbGci…` → `Bearer ***`.
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
    let key = text[start..key_end].to_ascii_lowercase();
    if key == "bearer" && bytes.get(key_end) == Some(&b' ') {
        let token_start = key_end + 1;
        let token_end = value_end(bytes, token_start);
        if token_end > token_start {
            spans.push((token_start, token_end));
        }
        return token_end.max(key_end);
    }
    if !SECRET_KEYS.iter().any(|word| key.contains(word)) {
        return key_end;
    }
    let mut cursor = skip_spaces(bytes, key_end);
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
    if value_stop > value_start {
        spans.push((value_start, value_stop));
    }
    value_stop.max(key_end)
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
            "timed out after 100ms",
            "",
            "ünïcödé pässword",
        ] {
            assert!(matches!(redact(input), std::borrow::Cow::Borrowed(_)), "{input}");
        }
    }

    #[test]
    fn handles_unicode_around_secrets() {
        assert_eq!(redact("é password=ü€ é"), "é password=*** é");
        assert_eq!(redact("x://ü:ß@h"), "x://ü:***@h");
    }
}
