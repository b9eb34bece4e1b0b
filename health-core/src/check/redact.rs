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

/// Prefixes that tokens carry to identify themselves, and how many token
/// characters must follow for a word to be one. What follows is masked,
/// wherever the word stands; the prefix stays, to tell which kind leaked.
const TOKEN_PREFIXES: [(&str, usize); 15] = [
    // GitHub: personal, OAuth, user-to-server, server-to-server, refresh, fine-grained.
    ("ghp_", 20),
    ("gho_", 20),
    ("ghu_", 20),
    ("ghs_", 20),
    ("ghr_", 20),
    ("github_pat_", 20),
    // Slack: bot, user, app, refresh, legacy workspace tokens (`xox?-`).
    ("xoxb-", 8),
    ("xoxp-", 8),
    ("xoxa-", 8),
    ("xoxr-", 8),
    ("xoxs-", 8),
    // Stripe secret and restricted keys.
    ("sk_live_", 8),
    ("rk_live_", 8),
    ("sk_test_", 8),
    // AWS access key IDs: `AKIA` and 16 upper-case letters or digits.
    ("AKIA", 16),
];

/// A user-only URL user info (`https://<this>@host`) this long, of letters and
/// digits both, is a token rather than a user name.
const USERINFO_TOKEN_LEN: usize = 20;

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
///   `Authorization: Basic ***`, and bearer tokens anywhere: `Bearer ***`;
/// - tokens that identify themselves, anywhere: GitHub (`ghp_***`, `gho_`,
///   `ghu_`, `ghs_`, `ghr_`, `github_pat_***`), Slack (`xoxb-***` and the other
///   `xox?-`), Stripe (`sk_live_***`, `rk_live_***`, `sk_test_***`), AWS access
///   key IDs (`AKIA***`) and JSON Web Tokens (`eyJ…` in three dotted parts,
///   masked whole);
/// - a token used as the user of a URL, without a password
///   (`https://ghp_…@github.com/…` → `https://***@github.com/…`): a user info
///   with a token prefix, or of 20 or more letters and digits, both present.
///   User names stay, with a password or without one.
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
/// assert_eq!(
///     redact("clone of https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/org/repo.git failed"),
///     "clone of https://***@github.com/org/repo.git failed"
/// );
/// ```
pub fn redact(text: &str) -> Cow<'_, str> {
    let Some(mut redacted) = mask_once(text) else { return Cow::Borrowed(text) };
    // Masked text can read differently (a quote left open, a key that now
    // starts a word), so masking goes on until nothing changes: redacting
    // twice then changes nothing. A pass that changes the text masks at
    // least one character that was not a mask; a handful of passes do.
    for _ in 0..MAX_PASSES {
        match mask_once(&redacted) {
            Some(again) if again != redacted => redacted = again,
            _ => break,
        }
    }
    Cow::Owned(redacted)
}

/// The most passes after the first, a bound whatever the input.
const MAX_PASSES: usize = 32;

/// `text` with each secret replaced by the mask; `None` when it holds none.
fn mask_once(text: &str) -> Option<String> {
    let secrets = secret_spans(text);
    if secrets.is_empty() {
        return None;
    }
    let mut redacted = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, end) in secrets {
        redacted.push_str(&text[copied..start]);
        redacted.push_str(MASK);
        copied = end;
    }
    redacted.push_str(&text[copied..]);
    Some(redacted)
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
        } else if is_key_byte(bytes[i]) && (i == 0 || !is_key_byte(bytes[i - 1]) || ends_a_span(&spans, i)) {
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
    if let Some(at) = authority.iter().rposition(|&b| b == b'@') {
        let userinfo = &authority[..at];
        match userinfo.iter().position(|&b| b == b':') {
            Some(colon) if colon + 1 < at => spans.push((start + colon + 1, start + at)),
            None if is_token(userinfo) => spans.push((start, start + at)),
            _ => {}
        }
    }
    end
}

/// Whether a user info without a password is a token rather than a user name.
fn is_token(userinfo: &[u8]) -> bool {
    let prefixed = TOKEN_PREFIXES.iter().any(|(prefix, _)| userinfo.starts_with(prefix.as_bytes()));
    let long = userinfo.len() >= USERINFO_TOKEN_LEN
        && userinfo.iter().all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'))
        && userinfo.iter().any(u8::is_ascii_digit)
        && userinfo.iter().any(u8::is_ascii_alphabetic);
    prefixed || long
}

/// The span to mask in `word` (at `start` in the text) when it is a token that
/// identifies itself: what follows a known prefix, or a whole JSON Web Token.
fn self_identifying(word: &[u8], start: usize) -> Option<(usize, usize)> {
    let token_byte = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-');
    for (prefix, min) in TOKEN_PREFIXES {
        if let Some(rest) = word.strip_prefix(prefix.as_bytes()) {
            let len = rest.iter().take_while(|b| token_byte(b)).count();
            if len >= min {
                return Some((start + prefix.len(), start + prefix.len() + len));
            }
        }
    }
    // A JWT: header, payload and signature, base64url, dotted; the header
    // always starts `{"` and so `eyJ`.
    if word.starts_with(b"eyJ") {
        let mut len = word.iter().take_while(|b| token_byte(b) || **b == b'.').count();
        // A full stop after the token ends the sentence, not the token.
        while word[..len].ends_with(b".") {
            len -= 1;
        }
        let parts: Vec<&[u8]> = word[..len].split(|&b| b == b'.').collect();
        if parts.len() == 3 && parts.iter().all(|part| part.len() >= 2) {
            return Some((start, start + len));
        }
    }
    None
}

/// Scans a word starting at `start`; records the value after it when the word
/// names a secret, or the token after `Bearer`. Returns where scanning resumes.
fn key_value(text: &str, start: usize, spans: &mut Vec<(usize, usize)>) -> usize {
    let bytes = text.as_bytes();
    let key_end = start + bytes[start..].iter().take_while(|&&b| is_key_byte(b)).count();
    if let Some(token) = self_identifying(&bytes[start..key_end], start) {
        spans.push(token);
        return token.1;
    }
    let key = &text[start..key_end];
    if key.eq_ignore_ascii_case("bearer") {
        return credential_after_scheme(text, key_end, spans).unwrap_or(key_end);
    }
    if !SECRET_KEYS.iter().any(|word| contains_ignore_case(key, word)) {
        return key_end;
    }
    value_after(text, key_end, None, spans)
}

/// Records the value after the secret's key ending at `key_end`, if a
/// separator follows it; the mask starts at `mask_from` when that is set (a
/// word read as a key, masked with its value). Returns where scanning resumes.
fn value_after(text: &str, mut key_end: usize, mut mask_from: Option<usize>, spans: &mut Vec<(usize, usize)>) -> usize {
    let bytes = text.as_bytes();
    loop {
        let Some(separator_end) = after_separator(bytes, key_end) else {
            if let Some(from) = mask_from {
                spans.push((from, key_end));
            }
            return key_end;
        };
        let cursor = skip_spaces(bytes, separator_end);
        // What reads as the next secret's key, as in `password= "api_key": "…"`
        // or `"password": "pwd1" : …`, may be the value or a key: it is masked
        // with what follows it, as one. Only after a space or as a quoted
        // word, so that an unquoted `password=x:y` stays one value.
        let quote = bytes.get(cursor).copied().filter(|b| matches!(b, b'"' | b'\''));
        let value_at = cursor + usize::from(quote.is_some());
        if (quote.is_some() || cursor > separator_end)
            && let Some(nested_end) = secret_key_end(text, value_at, quote)
        {
            mask_from.get_or_insert(value_at);
            key_end = nested_end;
            continue;
        }
        let (value_start, value_stop) = match quote {
            Some(quote) => (value_at, closing_quote(bytes, value_at, quote)),
            None => (cursor, value_end(bytes, cursor)),
        };
        // An unquoted value may be a scheme and its credential (`Basic dXNl…`);
        // a quoted one is masked whole, whatever its first word.
        if quote.is_none() {
            let scheme_end = value_stop.min(value_start + word_len(bytes, value_start));
            let before = spans.len();
            if SCHEMES.iter().any(|known| text[value_start..scheme_end].eq_ignore_ascii_case(known))
                && let Some(resume) = credential_after_scheme(text, scheme_end, spans)
            {
                // A word read as a key, then the scheme: masked together, before the credential.
                if let Some(from) = mask_from {
                    spans.insert(before, (from, scheme_end));
                }
                return resume;
            }
        }
        let from = mask_from.unwrap_or(value_start);
        if value_stop > from {
            spans.push((from, value_stop));
        }
        return value_stop.max(key_end);
    }
}

/// Where the quoted text starting at `from` closes: the next `quote` not
/// escaped by a backslash, or the end.
fn closing_quote(bytes: &[u8], from: usize, quote: u8) -> usize {
    let mut at = from;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b if b == quote => return at,
            _ => at += 1,
        }
    }
    bytes.len()
}

/// Where the value starts after a key ending at `key_end`: past the key's
/// closing quote, as in JSON (`"password": "…"`), spaces and a `=` or `:`
/// that does not start a URL's `://`. `None` when no separator follows.
fn after_separator(bytes: &[u8], key_end: usize) -> Option<usize> {
    let cursor = skip_spaces(bytes, key_end + usize::from(matches!(bytes.get(key_end), Some(b'"' | b'\''))));
    match bytes.get(cursor) {
        Some(b'=') => Some(cursor + 1),
        Some(b':') if !bytes[cursor..].starts_with(b"://") => Some(cursor + 1),
        _ => None,
    }
}

/// Where the word at `at` ends when it is a key naming a secret, closed by
/// `quote` when it opened with one, and followed by its separator.
fn secret_key_end(text: &str, at: usize, quote: Option<u8>) -> Option<usize> {
    let bytes = text.as_bytes();
    let end = at + bytes.get(at..).map_or(0, |rest| rest.iter().take_while(|&&b| is_key_byte(b)).count());
    (end > at
        && quote.is_none_or(|quote| bytes.get(end) == Some(&quote))
        // A token that identifies itself is one, whatever its letters spell.
        && self_identifying(&bytes[at..end], at).is_none()
        && SECRET_KEYS.iter().any(|word| contains_ignore_case(&text[at..end], word))
        && after_separator(bytes, end).is_some())
    .then_some(end)
}

/// Records the credential after an authorization scheme ending at `scheme_end`;
/// returns where scanning resumes, or `None` when no credential follows.
fn credential_after_scheme(text: &str, scheme_end: usize, spans: &mut Vec<(usize, usize)>) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut start = skip_spaces(bytes, scheme_end);
    // A scheme said twice, `Bearer Bearer <token>`: the credential is after both.
    let mut repeated = false;
    loop {
        let word_end = start + word_len(bytes, start);
        let next = skip_spaces(bytes, word_end);
        if next == word_end || !SCHEMES.iter().any(|scheme| text[start..word_end].eq_ignore_ascii_case(scheme)) {
            break;
        }
        start = next;
        repeated = true;
    }
    if start == scheme_end {
        return None;
    }
    let quote = bytes.get(start).copied().filter(|b| matches!(b, b'"' | b'\''));
    let word_at = start + usize::from(quote.is_some());
    // `Bearer access_token=…`: the credential, or a key and its value; masked as both.
    if let Some(key_end) = secret_key_end(text, word_at, quote) {
        return Some(value_after(text, key_end, Some(word_at), spans));
    }
    // A quoted credential, `Bearer "abc…"`.
    if let Some(quote) = quote {
        let close = closing_quote(bytes, word_at, quote);
        if close > word_at {
            spans.push((word_at, close));
        }
        return Some(close);
    }
    let end = value_end(bytes, start);
    if end > start {
        spans.push((start, end));
        Some(end)
    } else {
        // Past the schemes, so that each is not scanned again: a long run of
        // them would take quadratic time.
        repeated.then_some(start)
    }
}

fn contains_ignore_case(haystack: &str, needle: &str) -> bool {
    haystack.as_bytes().windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

fn word_len(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().take_while(|b| b.is_ascii_alphabetic()).count()
}

/// Whether a mask ends at `i`: a word starts after it, as it will when the
/// masked text is redacted again, so that redacting twice changes nothing.
fn ends_a_span(spans: &[(usize, usize)], i: usize) -> bool {
    spans.last().is_some_and(|&(_, end)| end == i)
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
        const ALPHABET: [&str; 28] = [
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
            "ghp_",
            "eyJ",
            ".",
            "AKIA",
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
            for token in [
                " ghp_hunter2hunter2hunter2hunter2",
                " eyJhunter2.eyJhunter2.hunter2",
                " https://ghp_hunter2hunter2hunter2@h/",
            ] {
                let with_token = format!("{text}{token}");
                assert!(!redact(&with_token).contains("hunter2"), "{with_token:?}");
            }
        }
    }

    #[test]
    fn a_word_read_as_a_value_or_a_key_is_masked_with_what_follows() {
        let cases = [
            (r#"password= "api_key": "s3cret""#, r#"password= "***""#),
            ("password= DB_PASSWORD: s3cret", "password= ***"),
            (r#""password": "pwd1" : s3cret"#, r#""password": "***"#),
            ("Bearer password:", "Bearer ***"),
            ("password= api_key=s3cret", "password= ***"),
            ("Token: Authorization: Basic s3cret", "Token: *** ***"),
            (r#"Bearer "api_key": "s3cret""#, r#"Bearer "***""#),
            // One value, however it reads.
            ("password=token:s3cret", "password=***"),
            ("password='token: s3cret'", "password='***'"),
            ("Bearer access_token='s3cret'", "Bearer ***'"),
            ("passphrase='basic horse battery staple'", "passphrase='***'"),
            (r#"password="Digest of my life""#, r#"password="***""#),
            (r#"Authorization: Bearer "abc123""#, r#"Authorization: Bearer "***""#),
            (r#"{"password":"ab\"cd"}"#, r#"{"password":"***"}"#),
            ("Authorization: Bearer Bearer s3cret", "Authorization: Bearer Bearer ***"),
        ];
        for (text, expected) in cases {
            assert_eq!(redact(text), expected, "{text}");
            assert_eq!(redact(expected), expected, "redacting {expected} again");
        }
    }

    #[test]
    fn a_long_run_of_schemes_takes_linear_time() {
        let text = "Bearer ".repeat(200_000) + ",";
        let started = std::time::Instant::now();
        assert_eq!(redact(&text), text);
        // Quadratic scanning takes minutes here; linear, milliseconds.
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
    }

    #[test]
    fn masks_tokens_that_identify_themselves_anywhere() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
        let cases = [
            ("push failed: ghp_16C7e42F292c6912E7710c838347Ae178B4a (bad)", "push failed: ghp_*** (bad)"),
            ("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz rejected", "github_pat_*** rejected"),
            ("slack said invalid_auth for xoxb-1234-5678-abcdefghij", "slack said invalid_auth for xoxb-***"),
            ("stripe: sk_live_51H8abcdEFGH and rk_live_abcdefgh12", "stripe: sk_live_*** and rk_live_***"),
            ("AWS AKIAIOSFODNN7EXAMPLE denied", "AWS AKIA*** denied"),
            (&format!("rejected {jwt}."), "rejected ***."),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
    }

    #[test]
    fn masks_a_token_used_as_the_user_of_a_url_and_keeps_user_names() {
        let cases = [
            (
                "https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/org/repo.git",
                "https://***@github.com/org/repo.git",
            ),
            ("https://glpat1234567890abcdefghij@gitlab.com/x", "https://***@gitlab.com/x"),
            ("https://deploy:ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com", "https://deploy:***@github.com"),
        ];
        for (input, expected) in cases {
            assert_eq!(redact(input), expected, "{input}");
        }
        for kept in [
            "postgres://app@db/x",
            "ssh://git@github.com/org/repo",
            "https://a-very-long-user-name@example.com",
            "mysql://root@127.0.0.1:3306/test",
        ] {
            assert_eq!(redact(kept), kept);
        }
    }

    #[test]
    fn leaves_words_that_only_look_like_prefixes_alone() {
        for input in ["ghp_short", "AKIA", "eyJ alone", "sk_live_", "xoxb-1", "eyJa.b"] {
            assert_eq!(redact(input), input);
        }
    }

    #[test]
    fn handles_unicode_around_secrets() {
        assert_eq!(redact("é password=ü€ é"), "é password=*** é");
        assert_eq!(redact("x://ü:ß@h"), "x://ü:***@h");
    }
}
