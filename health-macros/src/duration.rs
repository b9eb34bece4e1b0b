//! Durations written in attributes: `"250ms"`, `"2s"`, `"1m"`, `"1m30s"`.

use syn::LitStr;

pub(crate) const ACCEPTED: &str = "such as \"250ms\", \"2s\", \"1m\" or \"1m30s\" (units: `ms`, `s`, `m`)";

/// A duration from an attribute, with its literal for error spans.
#[derive(Clone)]
pub(crate) struct SpannedDuration {
    pub millis: u64,
    pub literal: LitStr,
}

/// Parses `key = "<duration>"`'s string; it must be greater than zero.
pub(crate) fn parse(key: &str, literal: &LitStr) -> syn::Result<SpannedDuration> {
    let millis = parse_millis(&literal.value()).map_err(|reason| {
        syn::Error::new_spanned(
            literal,
            format!("invalid duration for `{key}`: {reason}; expected a duration {ACCEPTED}"),
        )
    })?;
    if millis == 0 {
        return Err(syn::Error::new_spanned(literal, format!("`{key}` must be greater than zero")));
    }
    Ok(SpannedDuration { millis, literal: literal.clone() })
}

/// Milliseconds of a sequence of `<digits><unit>` parts.
pub(crate) fn parse_millis(text: &str) -> Result<u64, String> {
    if text.is_empty() {
        return Err("the string is empty".into());
    }
    let mut rest = text;
    let mut total: u64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("`{text}` must start each part with a whole number"));
        }
        let (number, after) = rest.split_at(digits);
        let unit_len = after.bytes().take_while(u8::is_ascii_alphabetic).count();
        let (unit, after) = after.split_at(unit_len);
        let scale = match unit {
            "ms" => 1,
            "s" => 1000,
            "m" => 60_000,
            "" => return Err(format!("`{text}` lacks a unit after `{number}`")),
            other => return Err(format!("`{other}` is not a unit")),
        };
        let part = number.parse::<u64>().ok().and_then(|n| n.checked_mul(scale));
        total = part.and_then(|p| total.checked_add(p)).ok_or_else(|| format!("`{text}` is too large"))?;
        rest = after;
    }
    Ok(total)
}

/// The duration as it reads best in messages.
pub(crate) fn display(millis: u64) -> String {
    match millis {
        m if m % 60_000 == 0 => format!("{}m", m / 60_000),
        m if m % 1000 == 0 => format!("{}s", m / 1000),
        m => format!("{m}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_sequences() {
        assert_eq!(parse_millis("250ms"), Ok(250));
        assert_eq!(parse_millis("2s"), Ok(2000));
        assert_eq!(parse_millis("1m"), Ok(60_000));
        assert_eq!(parse_millis("1m30s"), Ok(90_000));
        assert_eq!(parse_millis("0s"), Ok(0));
    }

    #[test]
    fn rejects_malformed_text() {
        for text in ["", "2", "s", "2 s", "2h", "1.5s", "-1s", "2secs", "99999999999999999999ms"] {
            assert!(parse_millis(text).is_err(), "{text}");
        }
    }

    #[test]
    fn displays_in_the_largest_whole_unit() {
        assert_eq!(display(100), "100ms");
        assert_eq!(display(3000), "3s");
        assert_eq!(display(120_000), "2m");
    }
}
