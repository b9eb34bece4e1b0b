//! The endpoints and report schemas in documents generated with utoipa.

use std::borrow::Cow;
use std::marker::PhantomData;

use serde_json::Value;
use utoipa::openapi::{OpenApi, RefOr, Schema};

use crate::{HealthReport, ReportSource};

use super::HealthService;
use super::openapi::rewrite_refs;

/// The endpoints of a [`HealthService`] as a utoipa [`Modify`](utoipa::Modify):
/// adds their paths, schemas and security scheme to a utoipa document.
///
/// ```
/// use health_core::http::HealthService;
/// use health_core::{health_check, HealthReport};
/// use health_core::monitor::Monitor;
/// use utoipa::Modify;
///
/// #[health_check]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck }
///
/// let health = HealthService::builder(Monitor::new(Health::default(), ())).build().unwrap();
/// let mut api = utoipa::openapi::OpenApiBuilder::new().build();   // or ApiDoc::openapi()
/// health.utoipa().modify(&mut api);
/// assert!(api.paths.paths.contains_key("/health/ready"));
/// ```
#[derive(Debug, Clone)]
pub struct HealthApi {
    document: Value,
}

impl<R: ReportSource> HealthService<R> {
    /// The endpoints as a utoipa `Modify`.
    pub fn utoipa(&self) -> HealthApi {
        HealthApi { document: self.openapi() }
    }
}

impl HealthApi {
    /// The endpoints' document as utoipa's model.
    pub fn to_openapi(&self) -> Result<OpenApi, serde_json::Error> {
        serde_json::from_value(self.document.clone())
    }
}

impl utoipa::Modify for HealthApi {
    /// Merges the endpoints into `openapi`; paths and schemas it already has win.
    fn modify(&self, openapi: &mut OpenApi) {
        match self.to_openapi() {
            Ok(endpoints) => openapi.merge(endpoints),
            Err(error) => tracing::warn!(%error, "the health endpoints could not be added to the OpenAPI document"),
        }
    }
}

/// The JSON Schema of `H`'s report for utoipa: `ReportSchema<AppHealth>` is a
/// [`ToSchema`](utoipa::ToSchema) named after the report, whose details types
/// are added to the document's schemas.
pub struct ReportSchema<H>(PhantomData<H>);

impl<H> std::fmt::Debug for ReportSchema<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReportSchema")
    }
}

impl<H: HealthReport> utoipa::PartialSchema for ReportSchema<H> {
    fn schema() -> RefOr<Schema> {
        let mut schema = H::json_schema();
        if let Some(object) = schema.as_object_mut() {
            object.remove("$defs");
            object.remove("$schema");
        }
        serde_json::from_value(rewrite_refs(schema)).unwrap_or_else(|_| RefOr::T(Schema::default()))
    }
}

impl<H: HealthReport> utoipa::ToSchema for ReportSchema<H> {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed(H::TITLE)
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        if let Some(Value::Object(definitions)) = H::json_schema().get("$defs") {
            for (name, schema) in definitions {
                if let Ok(schema) = serde_json::from_value(rewrite_refs(schema.clone())) {
                    schemas.push((name.clone(), schema));
                }
            }
        }
    }
}
