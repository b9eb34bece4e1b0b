//! Which endpoint a path asks for, and the monitor's subject behind it.

use super::{Endpoint, RequestError};
use crate::group;
use crate::monitor::{Catalog, Target};

/// The path segment under the base path where custom groups are served.
pub(crate) const GROUP_SEGMENT: &str = "group";

/// A request's endpoint and the subject it reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Route {
    pub(crate) endpoint: Endpoint,
    pub(crate) target: Target,
}

/// Resolves `rest`, the path after the base path (`""`, `"/live"`,
/// `"/group/batch"`, `"/db"`).
pub(crate) fn resolve(catalog: &Catalog, rest: &str) -> Result<Route, RequestError> {
    let path = rest.strip_prefix('/').unwrap_or(rest);
    if path.is_empty() {
        return Ok(Route { endpoint: Endpoint::All, target: Target::Overall });
    }
    if let Some(endpoint) = Endpoint::BUILT_IN_GROUPS.into_iter().find(|endpoint| endpoint.segment() == Some(path)) {
        let group = endpoint.group().and_then(|name| catalog.group(name));
        return group
            .map(|target| Route { endpoint, target })
            .ok_or_else(|| RequestError::UnknownGroup(path.to_owned()));
    }
    if let Some(name) = path.strip_prefix(GROUP_SEGMENT).and_then(|rest| rest.strip_prefix('/')) {
        // The built-in groups have endpoints of their own.
        let custom = catalog.group(name).filter(|_| !group::BUILT_IN.contains(&name));
        return custom
            .map(|target| Route { endpoint: Endpoint::Group, target })
            .ok_or_else(|| RequestError::UnknownGroup(name.to_owned()));
    }
    catalog
        .component(path)
        .map(|target| Route { endpoint: Endpoint::Component, target })
        .ok_or_else(|| RequestError::UnknownComponent(path.to_owned()))
}

/// Whether `path` can be the base path or the document's: `/health`, `/api/v1/health`.
pub(super) fn valid_path(path: &str) -> bool {
    path.strip_prefix('/').is_some_and(|rest| rest.split('/').all(valid_segment))
}

/// Whether `segment` can be one segment of a path: letters, digits, `-`, `_`, `.`.
pub(super) fn valid_segment(segment: &str) -> bool {
    !matches!(segment, "" | "." | "..")
        && segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ComponentInfo;
    use crate::report::Selection;

    #[test]
    fn resolves_endpoints() {
        let components = [
            ComponentInfo::new("database").with_groups(["readiness", "batch"]),
            ComponentInfo::new("local-disk").with_groups(["liveness"]),
            ComponentInfo::new("group"),
            ComponentInfo::new("off"),
        ];
        let catalog = Catalog::new(&components, Selection::first(3));
        let route = |rest| resolve(&catalog, rest).map(|route| (route.endpoint, route.target));
        assert_eq!(route(""), Ok((Endpoint::All, Target::Overall)));
        assert_eq!(route("/"), Ok((Endpoint::All, Target::Overall)));
        assert_eq!(route("/live"), Ok((Endpoint::Live, catalog.group("liveness").unwrap())));
        assert_eq!(route("/ready"), Ok((Endpoint::Ready, catalog.group("readiness").unwrap())));
        assert_eq!(route("/local-disk"), Ok((Endpoint::Component, Target::Component(1))));
        assert_eq!(route("/group"), Ok((Endpoint::Component, Target::Component(2))), "a component named `group`");
        assert_eq!(route("/group/batch"), Ok((Endpoint::Group, catalog.group("batch").unwrap())));
        assert_eq!(route("/group/readiness"), Err(RequestError::UnknownGroup("readiness".into())));
        assert_eq!(route("/group/nope"), Err(RequestError::UnknownGroup("nope".into())));
        assert_eq!(route("/nope"), Err(RequestError::UnknownComponent("nope".into())));
        assert_eq!(route("/off"), Err(RequestError::UnknownComponent("off".into())), "disabled");
        assert!(route("/database/extra").is_err());
    }

    #[test]
    fn base_paths() {
        for good in ["/health", "/api/v1/health", "/_status"] {
            assert!(valid_path(good), "{good}");
        }
        for bad in ["", "/", "health", "/health/", "//health", "/he alth", "/health?x", "/a/../health", "/."] {
            assert!(!valid_path(bad), "{bad}");
        }
    }
}
