//! The OpenAPI 3.1 description of the endpoints, generated from the report
//! and the configuration, in JSON or YAML; merging it into another document;
//! and Kubernetes probe manifests.

mod definitions;
mod merge;
pub(crate) mod options;
#[cfg(feature = "ui")]
mod page;
mod paths;
mod schemas;

use serde_json::{Map, Value, json};

use self::options::OpenApiOptions;
use super::{Endpoint, HealthService, StatusCode, Visibility};
use crate::monitor::{StatusMap, Target};
use crate::report::Selection;
use crate::{ComponentInfo, ReportSource};

use crate::ops::yaml::to_yaml;
#[cfg(feature = "utoipa")]
pub(crate) use definitions::rewrite_refs;
pub use merge::{MergeError, merge_openapi};

/// The errors the endpoints answer with, whatever the configuration.
const ERRORS: [(u16, &str); 5] = [
    (400, "A malformed query string or Accept header"),
    (404, "An unknown component or group"),
    (405, "Only GET and HEAD are answered"),
    (406, "No format the Accept header admits"),
    (414, "A query string longer than 1024 bytes"),
];

/// Codes the endpoints answer errors with, whatever the configuration.
pub(crate) const ERROR_CODES: [u16; 5] = [ERRORS[0].0, ERRORS[1].0, ERRORS[2].0, ERRORS[3].0, ERRORS[4].0];

/// The names of the schemas the document adds beside the details types'.
const OWN_SCHEMAS: [&str; 5] =
    ["HealthError", "HealthCheckResponse", "HealthCheckList", "HealthCheck", "HealthHistory"];

/// Every schema name the document gives itself, for a report titled `title`.
pub(crate) fn schema_names(title: &str) -> Vec<String> {
    let reports = Endpoint::ALL.map(|endpoint| report_schema_name(title, endpoint));
    OWN_SCHEMAS.iter().map(|name| (*name).to_owned()).chain(reports).collect()
}

/// The name of an endpoint's report schema: `HealthReadiness`.
fn report_schema_name(title: &str, endpoint: Endpoint) -> String {
    let suffix = match endpoint {
        Endpoint::All => "Report",
        Endpoint::Live => "Liveness",
        Endpoint::Ready => "Readiness",
        Endpoint::Startup => "Startup",
        Endpoint::Group => "Group",
        Endpoint::Component => "Component",
    };
    format!("{title}{suffix}")
}

/// Everything the document is made from, gathered once so that the code
/// writing it is not generic over the report.
struct Facts<'a> {
    title: &'a str,
    report: Value,
    components: &'a [ComponentInfo],
    enabled: Selection,
    /// Every group with an endpoint, built-in and custom, with its enabled members.
    groups: Vec<GroupFacts<'a>>,
    base_path: &'a str,
    /// The status codes of the subjects behind each endpoint.
    codes: Vec<(Endpoint, StatusMap<StatusCode>)>,
    visibility: &'a Visibility,
    /// Whether answers come from background snapshots, with an `Age` header.
    background: bool,
    options: &'a OpenApiOptions,
    /// Where the status page is served, when it is.
    #[cfg(feature = "ui")]
    page: Option<String>,
}

struct GroupFacts<'a> {
    name: &'a str,
    endpoint: Endpoint,
    members: Selection,
}

impl Facts<'_> {
    /// The enabled components in `selection`.
    fn members(&self, selection: Selection) -> Vec<&ComponentInfo> {
        selection.intersect(self.enabled).indices().filter_map(|index| self.components.get(index)).collect()
    }

    /// The members of an endpoint: of its group, of every custom group, or all.
    fn endpoint_members(&self, endpoint: Endpoint) -> Vec<&ComponentInfo> {
        let selection = match endpoint {
            Endpoint::All | Endpoint::Component => self.enabled,
            _ => self
                .groups
                .iter()
                .filter(|group| group.endpoint == endpoint)
                .fold(Selection::none(), |all, group| all.union(group.members)),
        };
        self.members(selection)
    }

    /// The status codes `endpoint` may answer reports with: those of every
    /// subject it serves.
    fn endpoint_codes(&self, endpoint: Endpoint) -> impl Iterator<Item = &StatusMap<StatusCode>> {
        self.codes.iter().filter(move |(own, _)| *own == endpoint).map(|(_, codes)| codes)
    }

    fn custom_groups(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().filter(|group| group.endpoint == Endpoint::Group).map(|group| group.name)
    }
}

impl<R: ReportSource> HealthService<R> {
    fn facts(&self) -> Facts<'_> {
        let inner = &*self.inner;
        let monitor = &inner.monitor;
        let catalog = monitor.catalog();
        let groups = catalog
            .group_names()
            .map(|name| GroupFacts {
                name,
                endpoint: Endpoint::of_group(name).unwrap_or(Endpoint::Group),
                members: catalog.group(name).map_or(Selection::none(), |group| catalog.selection(group)),
            })
            .collect();
        Facts {
            title: monitor.source().title(),
            report: monitor.source().json_schema(),
            components: monitor.components(),
            enabled: monitor.enabled(),
            groups,
            base_path: &inner.base_path,
            codes: catalog
                .targets()
                .map(|target| {
                    let endpoint = match target {
                        Target::Overall => Endpoint::All,
                        Target::Group(_) => {
                            catalog.subject(target).name().and_then(Endpoint::of_group).unwrap_or(Endpoint::Group)
                        }
                        Target::Component(_) => Endpoint::Component,
                    };
                    (endpoint, *inner.codes.of(catalog, target))
                })
                .collect(),
            visibility: inner.access.visibility(),
            background: monitor.refresh_interval().is_some(),
            options: &inner.openapi,
            #[cfg(feature = "ui")]
            page: self.status_page_path(),
        }
    }

    /// An OpenAPI 3.1 document of the endpoints as configured: paths, every
    /// status code and media type they can answer with, the query parameters,
    /// the report schemas under `components/schemas`, and the bearer scheme
    /// when details need a token.
    ///
    /// ```
    /// use health_core::http::HealthService;
    /// use health_core::{health_check, HealthReport};
    /// use health_core::monitor::Monitor;
    ///
    /// #[health_check]
    /// async fn ping() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { ping: PingCheck }
    ///
    /// let service = HealthService::builder(Monitor::new(Health::default(), ())).build().unwrap();
    /// let document = service.openapi();
    /// assert_eq!(document["openapi"], "3.1.0");
    /// assert_eq!(document["paths"]["/health/ready"]["get"]["operationId"], "getHealthReady");
    /// assert!(document["paths"]["/health/ready"]["get"]["responses"]["503"].is_object());
    /// ```
    pub fn openapi(&self) -> Value {
        document(&self.facts())
    }

    /// [`openapi`](Self::openapi) as YAML.
    pub fn openapi_yaml(&self) -> String {
        to_yaml(&self.openapi())
    }

    /// Kubernetes `startupProbe`, `readinessProbe` and `livenessProbe` for a
    /// container listening on `port`, as YAML for its spec. Each probe's
    /// `timeoutSeconds` is its group's longest check timeout rounded up, plus a
    /// second for the answer to travel, so a probe never gives up before the
    /// checks may finish.
    pub fn probes(&self, port: u16) -> String {
        let inner = &*self.inner;
        crate::ops::kubernetes::manifests(&inner.monitor, |group| {
            let segment = Endpoint::of_group(group).and_then(Endpoint::segment).unwrap_or_default();
            json!({ "httpGet": { "path": format!("{}/{segment}", inner.base_path), "port": port } })
        })
    }
}

fn document(facts: &Facts) -> Value {
    let details = definitions::rewrite_refs(facts.report["properties"]["components"]["properties"].clone());
    let mut schemas = Map::new();
    let mut paths = Map::new();
    let endpoints =
        [Endpoint::All, Endpoint::Live, Endpoint::Ready, Endpoint::Startup, Endpoint::Group, Endpoint::Component];
    for endpoint in endpoints {
        let members = facts.endpoint_members(endpoint);
        let name = report_schema_name(facts.title, endpoint);
        let Some((path, item)) = paths::path_item(facts, endpoint, &name, &members) else { continue };
        schemas.insert(name, schemas::report(&members, &details, facts.visibility));
        paths.insert(path, item);
    }
    if let Some(path) = &facts.options.path {
        paths.insert(path.clone(), paths::document_item(facts));
    }
    #[cfg(feature = "ui")]
    if let Some(path) = &facts.page {
        paths.extend(page::items(facts, path));
        schemas.insert(page::HISTORY_SCHEMA.into(), page::schema(facts.visibility));
    }
    // Only the details types the enabled components use.
    let used = definitions::used(&facts.report, &Value::Object(schemas.clone()));
    for (name, schema) in used {
        schemas.insert(name, schema);
    }
    // `build` refused details types named like these.
    schemas.insert("HealthError".into(), schemas::error());
    let draft = schemas::draft();
    schemas.insert("HealthCheckResponse".into(), draft.response);
    schemas.insert("HealthCheckList".into(), draft.list);
    schemas.insert("HealthCheck".into(), draft.check);

    let mut components = json!({ "schemas": schemas });
    if facts.visibility.needs_token() {
        components["securitySchemes"] = json!({ "healthToken": { "type": "http", "scheme": "bearer" } });
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": format!("{} health endpoints", facts.title),
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Whether the service can do its job right now: liveness, readiness, startup, custom groups and each component.",
        },
        "servers": [{ "url": facts.options.server }],
        "paths": paths,
        "components": components,
    })
}
