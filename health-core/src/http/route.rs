//! What a request asks for: which endpoint, which options, which format.

use crate::{ComponentInfo, group};

use super::error::RequestError;

/// The endpoints served under the base path (`/health` by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/health`: every component.
    All,
    /// `/health/live`: the liveness group.
    Live,
    /// `/health/ready`: the readiness group.
    Ready,
    /// `/health/startup`: the startup group.
    Startup,
    /// `/health/{component}`: one component.
    Component,
}

impl Endpoint {
    /// Every endpoint, in the order of the list above.
    pub const ALL: [Endpoint; 5] =
        [Endpoint::All, Endpoint::Live, Endpoint::Ready, Endpoint::Startup, Endpoint::Component];

    /// The probe group behind a group endpoint.
    pub fn group(self) -> Option<&'static str> {
        match self {
            Endpoint::Live => Some(group::LIVENESS),
            Endpoint::Ready => Some(group::READINESS),
            Endpoint::Startup => Some(group::STARTUP),
            Endpoint::All | Endpoint::Component => None,
        }
    }

    /// The path segment after the base path, for group endpoints.
    pub fn segment(self) -> Option<&'static str> {
        match self {
            Endpoint::Live => Some("live"),
            Endpoint::Ready => Some("ready"),
            Endpoint::Startup => Some("startup"),
            Endpoint::All | Endpoint::Component => None,
        }
    }
}

/// The response formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The report's JSON (`application/json`).
    Json,
    /// The IETF draft "Health Check Response Format for HTTP APIs" (`application/health+json`).
    HealthJson,
    /// Kubernetes-style lines, `[+]name ok` (`text/plain`), asked for with `?verbose`.
    Text,
}

impl Format {
    /// The `Content-Type` of the format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::HealthJson => "application/health+json",
            Format::Text => "text/plain; charset=utf-8",
        }
    }
}

/// The longest query string accepted, in bytes.
pub const MAX_QUERY: usize = 1024;

/// Resolves `rest`, the path after the base path (`""`, `"/live"`, `"/db"`).
pub fn endpoint(components: &[ComponentInfo], rest: &str) -> Result<(Endpoint, Option<usize>), RequestError> {
    let segment = match rest {
        "" | "/" => return Ok((Endpoint::All, None)),
        _ => rest.strip_prefix('/').unwrap_or(rest),
    };
    let group = [Endpoint::Live, Endpoint::Ready, Endpoint::Startup].into_iter().find(|e| e.segment() == Some(segment));
    if let Some(endpoint) = group {
        return Ok((endpoint, None));
    }
    match components.iter().position(|component| component.name == segment) {
        Some(index) => Ok((Endpoint::Component, Some(index))),
        None => Err(RequestError::UnknownComponent(segment.to_owned())),
    }
}

/// The options of the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// `?verbose`: answer in text lines.
    pub verbose: bool,
    /// `?exclude=name`, repeatable: components to leave out.
    pub exclude: Vec<usize>,
}

/// Parses the query string: `verbose` and repeatable `exclude=<component>`.
pub fn query(components: &[ComponentInfo], query: Option<&str>) -> Result<Query, RequestError> {
    let mut parsed = Query::default();
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return Ok(parsed);
    };
    if query.len() > MAX_QUERY {
        return Err(RequestError::QueryTooLong);
    }
    for pair in query.split('&') {
        if pair.is_empty() {
            return Err(RequestError::BadParameter(format!("an empty parameter in `{query}`")));
        }
        let (key, value) = match pair.split_once('=') {
            Some((key, value)) => (decode(key)?, Some(decode(value)?)),
            None => (decode(pair)?, None),
        };
        match (key.as_str(), value.as_deref()) {
            ("verbose", None | Some("" | "true" | "1")) => parsed.verbose = true,
            ("verbose", Some(other)) => return Err(RequestError::BadParameter(format!("verbose={other}"))),
            ("exclude", None | Some("")) => return Err(RequestError::EmptyExclude),
            ("exclude", Some(name)) => {
                let index = components
                    .iter()
                    .position(|component| component.name == name)
                    .ok_or_else(|| RequestError::UnknownComponent(name.to_owned()))?;
                if parsed.exclude.contains(&index) {
                    return Err(RequestError::RepeatedExclude(name.to_owned()));
                }
                parsed.exclude.push(index);
            }
            ("", _) => return Err(RequestError::BadParameter(pair.to_owned())),
            (other, _) => return Err(RequestError::UnknownParameter(other.to_owned())),
        }
    }
    Ok(parsed)
}

/// Percent-decodes a query value; component names are plain ASCII.
fn decode(text: &str) -> Result<String, RequestError> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3).filter(|h| h.iter().all(u8::is_ascii_hexdigit));
                let byte = hex.and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                decoded.push(byte.ok_or_else(|| RequestError::BadParameter(text.to_owned()))?);
                i += 3;
            }
            b'+' => {
                decoded.push(b' ');
                i += 1;
            }
            other => {
                decoded.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded).map_err(|_| RequestError::BadParameter(text.to_owned()))
}

/// Chooses the format from `?verbose` and the `Accept` header (every line,
/// joined with commas): each format gets the quality of the most specific media
/// range that matches it; the highest quality wins, then the most specific
/// match, then JSON. Ranges that cannot be parsed are ignored, as clients send
/// odd ones (`*; q=.2`).
pub fn format(verbose: bool, accept: Option<&[u8]>) -> Result<Format, RequestError> {
    let Some(accept) = accept.filter(|accept| !accept.trim_ascii().is_empty()) else {
        return Ok(if verbose { Format::Text } else { Format::Json });
    };
    let accept = std::str::from_utf8(accept).map_err(|_| RequestError::BadAccept)?;
    let offered: &[(Format, &str)] = if verbose {
        &[(Format::Text, "text/plain")]
    } else {
        &[(Format::Json, "application/json"), (Format::HealthJson, "application/health+json")]
    };
    // (quality, specificity) of the best range matching each offered format.
    // At most two formats are offered: no allocation per request.
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
        .filter_map(|((format, _), best)| best.filter(|(quality, _)| *quality > 0).map(|best| (*format, best)))
        .max_by_key(|(format, (quality, specificity))| (*quality, *specificity, *format == Format::Json));
    chosen.map(|(format, _)| format).ok_or(RequestError::NotAcceptable { verbose })
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
    use std::time::Duration;

    const COMPONENTS: &[ComponentInfo] = &[
        ComponentInfo::new("database", true, Duration::from_secs(1), None, &["readiness"]),
        ComponentInfo::new("local-disk", false, Duration::from_secs(1), None, &["liveness"]),
    ];

    #[test]
    fn resolves_endpoints() {
        assert_eq!(endpoint(COMPONENTS, ""), Ok((Endpoint::All, None)));
        assert_eq!(endpoint(COMPONENTS, "/"), Ok((Endpoint::All, None)));
        assert_eq!(endpoint(COMPONENTS, "/live"), Ok((Endpoint::Live, None)));
        assert_eq!(endpoint(COMPONENTS, "/local-disk"), Ok((Endpoint::Component, Some(1))));
        assert_eq!(endpoint(COMPONENTS, "/nope"), Err(RequestError::UnknownComponent("nope".into())));
        assert!(endpoint(COMPONENTS, "/database/extra").is_err());
    }

    #[test]
    fn parses_queries() {
        assert_eq!(query(COMPONENTS, None), Ok(Query::default()));
        let parsed = query(COMPONENTS, Some("verbose&exclude=local-disk&exclude=database")).unwrap();
        assert!(parsed.verbose);
        assert_eq!(parsed.exclude, [1, 0]);
        assert_eq!(query(COMPONENTS, Some("exclude=local%2Ddisk")).unwrap().exclude, [1]);
        assert!(query(COMPONENTS, Some("verbos%65")).unwrap().verbose, "keys are decoded too");
        let errors = [
            ("exclude=", RequestError::EmptyExclude),
            ("exclude", RequestError::EmptyExclude),
            ("exclude=x", RequestError::UnknownComponent("x".into())),
            ("exclude=database&exclude=database", RequestError::RepeatedExclude("database".into())),
            ("pretty", RequestError::UnknownParameter("pretty".into())),
            ("verbose=maybe", RequestError::BadParameter("verbose=maybe".into())),
            ("exclude=%zz", RequestError::BadParameter("%zz".into())),
            ("exclude=%ff", RequestError::BadParameter("%ff".into())),
            ("&", RequestError::BadParameter("an empty parameter in `&`".into())),
            ("verbose&", RequestError::BadParameter("an empty parameter in `verbose&`".into())),
            ("exclude=%+f", RequestError::BadParameter("%+f".into())),
        ];
        for (text, error) in errors {
            assert_eq!(query(COMPONENTS, Some(text)), Err(error), "{text}");
        }
        assert_eq!(query(COMPONENTS, Some(&"verbose&".repeat(200))), Err(RequestError::QueryTooLong));
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
        assert_eq!(format(false, Some(b"image/png")), Err(RequestError::NotAcceptable { verbose: false }));
        assert_eq!(format(true, Some(b"application/json")), Err(RequestError::NotAcceptable { verbose: true }));
        assert_eq!(format(false, Some(b"*/*;q=2")), Err(RequestError::NotAcceptable { verbose: false }));
        assert_eq!(format(false, Some(b"\xff")), Err(RequestError::BadAccept));
        // The most specific range decides a format's quality.
        assert_eq!(format(false, Some(b"*/*;q=0.1, application/json;q=0")), Ok(Format::HealthJson));
        assert_eq!(format(true, Some(b"text/plain;q=0, */*")), Err(RequestError::NotAcceptable { verbose: true }));
        // On equal quality the explicitly named format wins.
        assert_eq!(format(false, Some(b"*/*, application/health+json")), Ok(Format::HealthJson));
        assert_eq!(format(false, Some(b"Application/Health+JSON; Q = 0.5")), Ok(Format::HealthJson));
        // What Java clients send by default; an empty header is no header.
        assert_eq!(format(false, Some(b"text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2")), Ok(Format::Json));
        assert_eq!(format(false, Some(b"")), Ok(Format::Json));
    }
}
