//! The utoipa integration: the endpoints join a document generated with utoipa
//! in one call, and report schemas are utoipa schemas.

use health_core::http::{HealthService, ReportSchema, Visibility};
use health_core::monitor::Monitor;
use health_core::{HealthReport, health_check};
use serde_json::{Value, json};
use utoipa::openapi::{OpenApiBuilder, PathsBuilder};
use utoipa::{Modify, PartialSchema, ToSchema};

#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
struct Pool {
    idle: u32,
}

#[health_check(timeout = "500ms", critical)]
async fn database() -> Result<Pool, String> {
    Ok(Pool { idle: 1 })
}

#[derive(HealthReport, Default)]
struct Health {
    database: DatabaseCheck,
}

fn service() -> health_core::http::HealthService<Health> {
    let token = Visibility::when_authorized("t");
    HealthService::builder(Monitor::new(Health::default(), ())).visibility(token).build().unwrap()
}

#[test]
fn the_document_survives_utoipas_model_unchanged() {
    let service = service();
    let ours = service.openapi();
    let through_utoipa: Value = serde_json::to_value(service.utoipa().to_openapi().expect("utoipa reads it")).unwrap();
    assert_eq!(through_utoipa, ours, "utoipa's model keeps every part of the document");
}

#[test]
fn one_call_adds_the_endpoints_to_an_existing_utoipa_document() {
    let mut api = OpenApiBuilder::new()
        .info(utoipa::openapi::InfoBuilder::new().title("Orders").version("2.0.0").build())
        .paths(PathsBuilder::new().path(
            "/orders",
            utoipa::openapi::PathItem::new(utoipa::openapi::HttpMethod::Get, utoipa::openapi::path::Operation::new()),
        ))
        .build();
    service().utoipa().modify(&mut api);
    assert_eq!(api.info.title, "Orders", "the document keeps its own info");
    assert!(api.paths.paths.contains_key("/orders"));
    for path in ["/health", "/health/live", "/health/ready", "/health/startup", "/health/{component}"] {
        assert!(api.paths.paths.contains_key(path), "{path}");
    }
    let components = api.components.expect("components");
    assert!(components.schemas.contains_key("Pool") && components.schemas.contains_key("HealthError"));
    assert!(components.security_schemes.contains_key("healthToken"));
}

#[test]
fn report_schemas_are_utoipa_schemas() {
    assert_eq!(ReportSchema::<Health>::name(), "Health");
    let schema = serde_json::to_value(ReportSchema::<Health>::schema()).unwrap();
    assert_eq!(schema["properties"]["components"]["required"], json!(["database"]));
    assert_eq!(
        schema["properties"]["components"]["properties"]["database"]["properties"]["details"]["$ref"],
        "#/components/schemas/Pool"
    );
    let mut definitions = Vec::new();
    ReportSchema::<Health>::schemas(&mut definitions);
    // Details types, and the streak every component may carry.
    assert_eq!(definitions.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>(), ["HealthStreak", "Pool"]);
}
