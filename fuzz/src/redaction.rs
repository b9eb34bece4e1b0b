//! `health_core::redact` on arbitrary text.
//!
//! Invariants: no panic; redacting twice changes nothing; the output is never
//! longer than the input plus the growth of its masks (each replaces one or
//! more bytes with `***`); and a secret placed after any documented marker,
//! after arbitrary text (without quotes) and before more, never survives.

use health_core::redact;

/// How a secret `S` stands after each documented marker.
const PLACEMENTS: [(&str, &str); 20] = [
    ("password=", ""),
    ("DB_PASSWORD: ", ""),
    ("\"api_key\": \"", "\""),
    ("access_token='", "'"),
    ("Authorization: Basic ", ""),
    ("authorization: Bearer ", ""),
    ("Bearer ", ""),
    ("postgres://app:", "@db:5432/app"),
    ("https://", "@github.com/org/repo.git"),
    ("ghp_", ""),
    ("github_pat_", ""),
    ("xoxb-", ""),
    ("sk_live_", ""),
    ("rk_live_", ""),
    ("AKIA", ""),
    ("eyJ", ".eyJS.S"),
    ("passphrase='basic horse ", " staple'"),
    ("Authorization: Bearer \"", "\""),
    ("{\"password\":\"ab\\\"", "\"}"),
    ("Bearer Bearer ", ""),
];

/// Characters of generated secrets: letters and digits, which every marker's
/// token accepts (upper case only, as AWS key IDs are).
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The bytes a secret is made of, after the placement's byte.
const SECRET_BYTES: usize = 24;

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    holds_for(&text);

    let Some((&choice, rest)) = data.split_first() else { return };
    let (secret_bytes, rest) = rest.split_at(rest.len().min(SECRET_BYTES));
    // A digit and a letter first, then the fuzzer's choice: a token shape
    // whatever the bytes are, 24 characters or more.
    let mut secret = String::from("Q9");
    secret.extend(secret_bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])));
    while secret.len() < SECRET_BYTES {
        secret.push('X');
    }
    // Without quotes: an unclosed one before the marker would make the marker
    // part of a quoted value that closes on the placement's own quote, and a
    // value read that way is masked up to there, as it should be.
    let around: String = String::from_utf8_lossy(rest).chars().filter(|c| !matches!(c, '\'' | '"')).collect();
    // Nor copies of the secret, which may stand where nothing marks them;
    // removing one may join the text around it into another.
    let mut around = around;
    while around.contains(secret.as_str()) {
        around = around.replace(secret.as_str(), "");
    }
    let middle = around.char_indices().nth(around.chars().count() / 2).map_or(around.len(), |(index, _)| index);
    let (before, after) = around.split_at(middle);
    let (marker, closing) = PLACEMENTS[usize::from(choice) % PLACEMENTS.len()];
    let placed = format!("{marker}{secret}{}", closing.replace('S', &secret));
    let message = format!("{before} {placed} {after}");
    holds_for(&message);
    let redacted = redact(&message);
    assert!(!redacted.contains(secret.as_str()), "the secret after {marker:?} survives: {message:?} → {redacted:?}");
}

fn holds_for(text: &str) {
    let once = redact(text);
    let twice = redact(&once);
    assert_eq!(twice, once, "redacting {text:?} twice changes it: {once:?}");
    let masks = once.matches("***").count();
    assert!(once.len() <= text.len() + 2 * masks, "{text:?} grows to {once:?}");
}
