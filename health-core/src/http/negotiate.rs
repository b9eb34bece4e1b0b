//! Choosing the response format from `?verbose` and the `Accept` header.

use super::RequestError;

/// The response formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Format {
    /// The report's JSON (`application/json`).
    Json,
    /// The IETF draft "Health Check Response Format for HTTP APIs" (`application/health+json`).
    HealthJson,
    /// Kubernetes-style lines, `[+]name ok` (`text/plain`), asked for with `?verbose`.
    Text,
}

impl Format {
    /// Every format.
    pub(crate) const ALL: [Format; 3] = [Format::Json, Format::HealthJson, Format::Text];

    /// The `Content-Type` of the format.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::HealthJson => "application/health+json",
            Format::Text => "text/plain; charset=utf-8",
        }
    }
}

/// The formats of reports: JSON and the IETF draft, or text with `?verbose`.
const REPORT: [(Format, &str); 2] =
    [(Format::Json, "application/json"), (Format::HealthJson, "application/health+json")];
const VERBOSE: [(Format, &str); 1] = [(Format::Text, "text/plain")];
/// The OpenAPI document, which exists in JSON only.
const JSON: [(Format, &str); 1] = [(Format::Json, "application/json")];

/// Chooses the format of a report from `?verbose` and the `Accept` header
/// (every line, joined with commas); see [`choose`].
pub(crate) fn format(verbose: bool, accept: Option<&[u8]>) -> Result<Format, RequestError> {
    choose(accept, if verbose { &VERBOSE } else { &REPORT })
}

/// JSON, if the `Accept` header admits it: for what exists in JSON only.
pub(crate) fn json_only(accept: Option<&[u8]>) -> Result<Format, RequestError> {
    choose(accept, &JSON)
}

/// Whether the `Accept` header admits `media`: for what exists in one format only.
#[cfg(feature = "ui")]
pub(crate) fn admits(accept: Option<&[u8]>, media: &'static str) -> Result<(), RequestError> {
    choose(accept, &[((), media)])
}

/// The offered format the `Accept` header prefers: each gets the quality of
/// the most specific media range that matches it; the highest quality wins,
/// then the most specific match, then the first offered. Ranges that cannot be
/// parsed are ignored, as clients send odd ones (`*; q=.2`). No header means
/// the first offered.
fn choose<T: Copy>(accept: Option<&[u8]>, offered: &[(T, &'static str)]) -> Result<T, RequestError> {
    let not_acceptable = || RequestError::NotAcceptable { offered: offered.iter().map(|(_, media)| *media).collect() };
    let Some(accept) = accept.filter(|accept| !accept.trim_ascii().is_empty()) else {
        return offered.first().map(|(format, _)| *format).ok_or_else(not_acceptable);
    };
    let accept = std::str::from_utf8(accept).map_err(|_| RequestError::BadAccept)?;
    // (quality, specificity) of the best range matching each offered format.
    // At most two are offered: no allocation per request.
    let mut best: [Option<(u16, u8)>; 2] = [None; 2];
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or_default().trim();
        let mut quality = Some(1000);
        for parameter in parts {
            if let Some((name, value)) = parameter.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                quality = parse_quality(value.trim());
            }
        }
        let Some(quality) = quality else { continue };
        for ((_, media_type), best) in offered.iter().zip(&mut best) {
            let Some(specificity) = matches(media, media_type) else { continue };
            if best.is_none_or(|(_, known)| specificity > known) {
                *best = Some((quality, specificity));
            }
        }
    }
    let chosen = offered
        .iter()
        .zip(&best)
        .enumerate()
        .filter_map(|(rank, ((format, _), best))| {
            best.filter(|(quality, _)| *quality > 0)
                .map(|(quality, specificity)| (*format, (quality, specificity, rank)))
        })
        .max_by_key(|(_, (quality, specificity, rank))| (*quality, *specificity, std::cmp::Reverse(*rank)));
    chosen.map(|(format, _)| format).ok_or_else(not_acceptable)
}

/// How specifically `range` matches `media_type`: 2 exactly, 1 as `type/*`,
/// 0 as `*/*`; `None` when it does not.
fn matches(range: &str, media_type: &str) -> Option<u8> {
    let (range_type, range_subtype) = range.split_once('/')?;
    let (media_main, _) = media_type.split_once('/')?;
    if range.eq_ignore_ascii_case(media_type) {
        Some(2)
    } else if range_subtype == "*" && range_type.eq_ignore_ascii_case(media_main) {
        Some(1)
    } else if range == "*/*" {
        Some(0)
    } else {
        None
    }
}

/// A quality value `0` to `1` with up to three decimals, in thousandths.
fn parse_quality(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" | "" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn not_acceptable(offered: &[(Format, &'static str)]) -> RequestError {
        RequestError::NotAcceptable { offered: offered.iter().map(|(_, media)| *media).collect() }
    }

    #[test]
    fn negotiates_formats() {
        assert_eq!(format(false, None), Ok(Format::Json));
        assert_eq!(format(true, None), Ok(Format::Text));
        assert_eq!(format(false, Some(b"application/health+json")), Ok(Format::HealthJson));
        assert_eq!(
            format(false, Some(b"application/json;q=0.5, application/health+json;q=0.9")),
            Ok(Format::HealthJson)
        );
        assert_eq!(format(false, Some(b"application/health+json;q=0, */*")), Ok(Format::Json));
        assert_eq!(format(false, Some(b"text/html, */*;q=0.1")), Ok(Format::Json));
        assert_eq!(format(true, Some(b"*/*")), Ok(Format::Text));
        assert_eq!(format(false, Some(b"image/png")), Err(not_acceptable(&REPORT)));
        assert_eq!(format(true, Some(b"application/json")), Err(not_acceptable(&VERBOSE)));
        assert_eq!(format(false, Some(b"*/*;q=2")), Err(not_acceptable(&REPORT)));
        assert_eq!(format(false, Some(b"\xff")), Err(RequestError::BadAccept));
        // The most specific range decides a format's quality.
        assert_eq!(format(false, Some(b"*/*;q=0.1, application/json;q=0")), Ok(Format::HealthJson));
        assert_eq!(format(true, Some(b"text/plain;q=0, */*")), Err(not_acceptable(&VERBOSE)));
        // On equal quality the explicitly named format wins.
        assert_eq!(format(false, Some(b"*/*, application/health+json")), Ok(Format::HealthJson));
        assert_eq!(format(false, Some(b"Application/Health+JSON; Q = 0.5")), Ok(Format::HealthJson));
        // What Java clients send by default; an empty header is no header.
        assert_eq!(format(false, Some(b"text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2")), Ok(Format::Json));
        assert_eq!(format(false, Some(b"")), Ok(Format::Json));
        // What exists in JSON only.
        assert_eq!(json_only(None), Ok(Format::Json));
        assert_eq!(json_only(Some(b"application/json;q=0.1, application/health+json")), Ok(Format::Json));
        assert_eq!(json_only(Some(b"application/health+json")), Err(not_acceptable(&JSON)));
    }
}
