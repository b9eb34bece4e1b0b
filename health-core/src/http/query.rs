//! The query string: `verbose` and repeatable `exclude=<component>`.

use super::RequestError;
use super::error::MAX_QUERY;
use crate::monitor::{Catalog, Target};
use crate::report::Selection;

/// The options of the query string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Query {
    /// `?verbose`: answer in text lines.
    pub(crate) verbose: bool,
    /// `?exclude=name`, repeatable: enabled components to leave out.
    pub(crate) exclude: Selection,
}

impl Default for Query {
    fn default() -> Self {
        Query { verbose: false, exclude: Selection::none() }
    }
}

/// Parses the query string: `verbose` and repeatable `exclude=<component>`,
/// where the component is one of the enabled ones in `catalog`.
pub(crate) fn parse(catalog: &Catalog, query: Option<&str>) -> Result<Query, RequestError> {
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
                let Some(Target::Component(index)) = catalog.component(name) else {
                    return Err(RequestError::UnknownComponent(name.to_owned()));
                };
                if parsed.exclude.contains(index) {
                    return Err(RequestError::RepeatedExclude(name.to_owned()));
                }
                parsed.exclude = parsed.exclude.with(index);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ComponentInfo;

    fn catalog() -> Catalog {
        let components = [ComponentInfo::new("database"), ComponentInfo::new("local-disk"), ComponentInfo::new("off")];
        Catalog::new(&components, Selection::first(2))
    }

    #[test]
    fn parses_queries() {
        let catalog = catalog();
        let query = |text| parse(&catalog, text);
        assert_eq!(query(None), Ok(Query::default()));
        let parsed = query(Some("verbose&exclude=local-disk&exclude=database")).unwrap();
        assert!(parsed.verbose);
        assert_eq!(parsed.exclude, Selection::none().with(0).with(1));
        assert_eq!(query(Some("exclude=local%2Ddisk")).unwrap().exclude, Selection::none().with(1));
        assert!(query(Some("verbos%65")).unwrap().verbose, "keys are decoded too");
        assert_eq!(query(Some("exclude=off")), Err(RequestError::UnknownComponent("off".into())), "disabled");
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
            assert_eq!(query(Some(text)), Err(error), "{text}");
        }
        assert_eq!(query(Some(&"verbose&".repeat(200))), Err(RequestError::QueryTooLong));
    }
}
