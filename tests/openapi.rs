//! The generated OpenAPI document: what it declares, that real responses
//! validate against it, its YAML form, merging, and the probe manifests.

#[path = "support/http.rs"]
mod client;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use client::{assert_conforms, get, request};
use health_core::http::{ConfigError, HealthService, HealthServiceBuilder, MergeError, Visibility, merge_openapi};
use health_core::monitor::Monitor;
use health_core::monitor::{StatusMap, Subject};
use health_core::{HealthReport, health_check};
use http::StatusCode;
use serde_json::{Value, json};

#[derive(Default)]
struct App {
    database_down: AtomicBool,
}

#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
struct Pool {
    idle: u32,
}

/// The process answers.
#[health_check(timeout = "100ms", groups(liveness, readiness, startup))]
async fn process() {}

/// The primary database.
#[health_check(timeout = "2500ms", critical)]
async fn database(app: &App) -> Result<Pool, String> {
    if app.database_down.load(Ordering::SeqCst) { Err("connection refused".into()) } else { Ok(Pool { idle: 2 }) }
}

#[derive(HealthReport, Default)]
#[health(state = App)]
struct Health {
    process: ProcessCheck,
    #[health(rename = "primary-db")]
    database: DatabaseCheck,
}

fn endpoints(app: Arc<App>) -> HealthServiceBuilder<Health> {
    HealthService::builder(Monitor::new(Health::default(), app))
        .visibility(Visibility::Always)
        .openapi_path("/openapi.json")
}

async fn start(service: &HealthService<Health>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let app = service.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

#[tokio::test]
async fn every_response_validates_against_the_document() {
    let app = Arc::new(App::default());
    let service = endpoints(Arc::clone(&app)).build().unwrap();
    let document = service.openapi();
    let address = start(&service).await;
    let cases = [
        ("/health", "/health", vec![]),
        ("/health/live", "/health/live", vec![]),
        ("/health/ready", "/health/ready", vec![]),
        ("/health/startup", "/health/startup", vec![]),
        ("/health/primary-db", "/health/{component}", vec![]),
        ("/health?exclude=process", "/health", vec![]),
        ("/health?verbose", "/health", vec![]),
        ("/health", "/health", vec![("Accept", "application/health+json")]),
        ("/health/nope", "/health/{component}", vec![]),
        ("/health?exclude=nope", "/health", vec![]),
        ("/health?bogus", "/health", vec![]),
        ("/health", "/health", vec![("Accept", "image/png")]),
    ];
    for down in [false, true] {
        app.database_down.store(down, Ordering::SeqCst);
        for (target, path, headers) in &cases {
            let answer = request(address, "GET", target, headers).await;
            assert_conforms(&document, path, &answer);
        }
    }
    service.monitor().shutdown_handle().begin_shutdown();
    assert_conforms(&document, "/health/ready", &get(address, "/health/ready").await);

    // The check can fail: a body the document does not describe is caught.
    let mut forged = get(address, "/health").await;
    forged.body =
        r#"{"status":"UP","timestamp":"2026-01-01T00:00:00.000Z","duration_ms":1,"components":{"nope":{}}}"#.into();
    let caught = std::panic::catch_unwind(|| assert_conforms(&document, "/health", &forged));
    assert!(caught.is_err(), "an unknown component passed validation");
}

#[tokio::test]
async fn statuses_only_and_token_protected_bodies_validate_too() {
    for visibility in [Visibility::Never, Visibility::when_authorized("t0k3n")] {
        let service = HealthService::builder(Monitor::new(Health::default(), App::default()))
            .visibility(visibility)
            .build()
            .unwrap();
        let document = service.openapi();
        let address = start(&service).await;
        assert_conforms(&document, "/health", &get(address, "/health").await);
        let authorized = request(address, "GET", "/health", &[("Authorization", "Bearer t0k3n")]).await;
        assert_conforms(&document, "/health", &authorized);
        let wrong = request(address, "GET", "/health", &[("Authorization", "Bearer nope")]).await;
        assert_conforms(&document, "/health", &wrong);
    }
}

#[test]
fn the_document_declares_what_the_configuration_answers() {
    let consul = StatusMap::default().degraded(StatusCode::TOO_MANY_REQUESTS);
    let token = Visibility::when_authorized("t");
    let service = HealthService::builder(Monitor::new(Health::default(), App::default()))
        .visibility(token)
        .status_codes_for(Subject::group("readiness"), consul)
        .status_codes_for(Subject::component("process"), StatusMap::default().down(StatusCode::INTERNAL_SERVER_ERROR))
        .build()
        .unwrap();
    let document = service.openapi();
    let responses = |path: &str| {
        let mut codes: Vec<String> =
            document["paths"][path]["get"]["responses"].as_object().unwrap().keys().cloned().collect();
        codes.sort();
        codes
    };
    assert_eq!(responses("/health"), ["200", "400", "401", "404", "406", "414", "503"]);
    assert_eq!(responses("/health/ready"), ["200", "400", "401", "404", "406", "414", "429", "503"]);
    // The template serves every component: one's own codes join the others'.
    assert_eq!(responses("/health/{component}"), ["200", "400", "401", "404", "406", "414", "500", "503"]);
    let component_answers = &document["paths"]["/health/{component}"]["get"]["responses"];
    assert_eq!(component_answers["200"]["description"], "The report is UP or DEGRADED");
    assert_eq!(component_answers["500"]["description"], "The report is DOWN");
    assert_eq!(component_answers["503"]["description"], "The report is DOWN");
    assert!(document["paths"]["/health"]["head"]["responses"]["200"].get("content").is_none(), "HEAD has no body");
    let component = &document["paths"]["/health/{component}"]["parameters"][0];
    assert_eq!(component["schema"]["enum"], json!(["process", "primary-db"]));
    let live =
        &document["components"]["schemas"]["HealthLiveness"]["anyOf"][0]["properties"]["components"]["properties"];
    assert_eq!(live.as_object().unwrap().keys().collect::<Vec<_>>(), ["process"], "liveness lists its own components");
    let details = &document["components"]["schemas"]["HealthReport"]["anyOf"][0]["properties"]["components"]["properties"]
        ["primary-db"]["properties"]["details"];
    assert_eq!(details["$ref"], "#/components/schemas/Pool", "details types are shared, not inlined");
    assert!(document["components"]["schemas"]["Pool"].is_object());
    let media: Vec<&String> =
        document["paths"]["/health"]["get"]["responses"]["200"]["content"].as_object().unwrap().keys().collect();
    assert_eq!(media, ["application/health+json", "application/json", "text/plain"]);
}

#[test]
fn the_yaml_form_is_the_same_document() {
    let service = endpoints(Arc::default()).build().unwrap();
    let yaml = service.openapi_yaml();
    let parsed = yaml_rust2::YamlLoader::load_from_str(&yaml).expect("valid YAML");
    assert_eq!(to_json(&parsed[0]), service.openapi());
}

fn to_json(yaml: &yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match yaml {
        Yaml::Hash(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.as_str().unwrap().to_owned(), to_json(v))).collect())
        }
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::String(text) => json!(text),
        Yaml::Integer(number) => json!(number),
        Yaml::Real(text) => json!(text.parse::<f64>().unwrap()),
        Yaml::Boolean(flag) => json!(flag),
        _ => Value::Null,
    }
}

#[test]
fn merging_adds_to_a_document_without_clobbering_it() {
    let service = endpoints(Arc::default()).build().unwrap();
    let mut document = json!({
        "openapi": "3.1.0",
        "info": { "title": "Orders", "version": "2.0.0" },
        "paths": { "/orders": { "get": { "responses": { "200": { "description": "orders" } } } } },
        "components": { "schemas": { "Order": { "type": "object" } } },
    });
    merge_openapi(&mut document, &service.openapi()).unwrap();
    assert_eq!(document["info"]["title"], "Orders");
    assert!(document["paths"]["/orders"].is_object() && document["paths"]["/health/ready"].is_object());
    assert!(
        document["components"]["schemas"]["Order"].is_object() && document["components"]["schemas"]["Pool"].is_object()
    );
    let mut clash = json!({ "paths": { "/orders": {}, "/health": { "get": {} } } });
    let before = clash.clone();
    let error = merge_openapi(&mut clash, &service.openapi()).unwrap_err();
    assert_eq!(error, MergeError::Conflict { section: "/paths", name: "/health".into() });
    assert!(error.to_string().contains("/health"), "{error}");
    assert_eq!(clash, before, "a refused merge changes nothing");
    let mut odd = json!({ "paths": [] });
    assert_eq!(merge_openapi(&mut odd, &service.openapi()), Err(MergeError::NotAnObjectAt("/paths".into())));
    assert_eq!(merge_openapi(&mut json!([]), &service.openapi()), Err(MergeError::NotAnObject));

    // Merging the same document again adds nothing and is no conflict.
    let before = document.clone();
    merge_openapi(&mut document, &service.openapi()).unwrap();
    assert_eq!(document, before);
    // Another mount of the endpoints clashes by operationId, unless prefixed.
    let other = || endpoints(Arc::default()).base_path("/other/health").openapi_path("/other.json");
    let error = merge_openapi(&mut document, &other().build().unwrap().openapi()).unwrap_err();
    assert!(matches!(error, MergeError::DuplicateOperationId(_)), "{error}");
    assert_eq!(document, before, "a refused merge changes nothing");
    merge_openapi(&mut document, &other().operation_id_prefix("other").build().unwrap().openapi()).unwrap();
    assert_eq!(document["paths"]["/other/health/ready"]["get"]["operationId"], "otherGetHealthReady");
    assert_eq!(
        other().operation_id_prefix("other api").build().err(),
        Some(ConfigError::BadOperationIdPrefix("other api".into()))
    );
}

#[test]
fn probe_manifests_never_give_up_before_the_checks() {
    let service = endpoints(Arc::default()).base_path("/internal/health").build().unwrap();
    let yaml = yaml_rust2::YamlLoader::load_from_str(&service.probes(9000)).expect("valid YAML");
    let probes = to_json(&yaml[0]);
    assert_eq!(probes["livenessProbe"]["httpGet"], json!({ "path": "/internal/health/live", "port": 9000 }));
    // The longest check timeout rounded up, plus a second for the answer to travel.
    assert_eq!(probes["livenessProbe"]["timeoutSeconds"], 2, "liveness holds the 100 ms check only");
    assert_eq!(probes["readinessProbe"]["timeoutSeconds"], 4, "2.5 s rounded up, plus one");
    assert_eq!(probes["startupProbe"]["timeoutSeconds"], 4);
    assert_eq!(probes["startupProbe"]["httpGet"]["path"], "/internal/health/startup");
}

#[tokio::test]
async fn the_router_serves_the_document() {
    let service = endpoints(Arc::default()).build().unwrap();
    let address = start(&service).await;
    let served = get(address, "/openapi.json").await;
    assert_eq!(served.header("content-type"), Some("application/json"));
    assert_eq!(served.json(), service.openapi());
}

#[test]
fn configurations_the_document_could_not_describe_are_rejected() {
    let down_as_404 = StatusMap::default().down(StatusCode::NOT_FOUND);
    assert_eq!(
        endpoints(Arc::default()).status_codes(down_as_404).build().err(),
        Some(ConfigError::BadStatusCode { subject: None, code: 404 })
    );
    let down_as_401 = StatusMap::default().down(StatusCode::UNAUTHORIZED);
    let token = Visibility::when_authorized("t");
    let readiness = Subject::group("readiness");
    assert_eq!(
        endpoints(Arc::default()).visibility(token).status_codes_for(readiness.clone(), down_as_401).build().err(),
        Some(ConfigError::BadStatusCode { subject: Some(readiness), code: 401 })
    );
    assert_eq!(
        endpoints(Arc::default()).status_codes_for(Subject::group("nightly"), StatusMap::default()).build().err(),
        Some(ConfigError::UnknownSubject(Subject::group("nightly")))
    );
    for path in ["/health/openapi.json", "/health", "openapi.json"] {
        assert_eq!(
            endpoints(Arc::default()).openapi_path(path).build().err(),
            Some(ConfigError::BadOpenApiPath(path.into())),
            "{path}"
        );
    }
}

#[derive(serde::Serialize, schemars::JsonSchema, Clone)]
struct HealthError {
    code: u8,
}

#[health_check]
async fn clashing() -> Result<HealthError, String> {
    Ok(HealthError { code: 1 })
}

#[derive(HealthReport, Default)]
struct Clashing {
    clashing: ClashingCheck,
}

#[test]
fn a_details_type_named_like_a_document_schema_is_refused() {
    assert_eq!(
        HealthService::builder(Monitor::new(Clashing::default(), ())).build().err(),
        Some(ConfigError::SchemaNameTaken("HealthError".into()))
    );
}

#[test]
fn a_title_that_cannot_name_schemas_is_refused() {
    for title in ["Orders API", "", "Orders/v2"] {
        let registry = health_core::Registry::<()>::new().with_title(title);
        assert_eq!(
            HealthService::builder(Monitor::new(registry, ())).build().err(),
            Some(ConfigError::BadTitle(title.into())),
            "{title:?}"
        );
    }
    let registry = health_core::Registry::<()>::new().with_title("orders.v2-api_x");
    assert!(HealthService::builder(Monitor::new(registry, ())).build().is_ok());
}

#[test]
fn operation_ids_are_unique_readable_and_prefixed_on_request() {
    let ids = |service: &HealthService<Health>| {
        let document = service.openapi();
        let mut ids: Vec<String> = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|operation| operation["operationId"].as_str().map(str::to_owned))
            .collect();
        ids.sort();
        ids
    };
    let plain = ids(&endpoints(Arc::default()).build().unwrap());
    let expected = [
        "getHealth",
        "getHealthComponent",
        "getHealthLive",
        "getHealthReady",
        "getHealthStartup",
        "getOpenApiDocument",
        "headHealth",
        "headHealthComponent",
        "headHealthLive",
        "headHealthReady",
        "headHealthStartup",
    ];
    assert_eq!(plain, expected);
    let prefixed = ids(&endpoints(Arc::default()).operation_id_prefix("orders").build().unwrap());
    assert!(prefixed.iter().all(|id| id.starts_with("orders")), "{prefixed:?}");
    assert!(prefixed.contains(&"ordersGetHealthReady".to_owned()), "{prefixed:?}");
    let document = endpoints(Arc::default()).server_url("https://orders.example.com").build().unwrap().openapi();
    assert_eq!(document["servers"], json!([{ "url": "https://orders.example.com" }]));
    for operation in ["get", "head"] {
        assert_eq!(document["paths"]["/health"][operation]["security"], json!([]), "public, and saying so");
    }
}

#[tokio::test]
async fn the_served_document_is_json_and_refuses_other_media_types() {
    let service = endpoints(Arc::default()).build().unwrap();
    let document = service.openapi();
    let address = start(&service).await;
    let answer = request(address, "GET", "/openapi.json", &[("Accept", "application/json")]).await;
    assert_eq!((answer.status, answer.json()), (200, document.clone()));
    let refused = request(address, "GET", "/openapi.json", &[("Accept", "application/yaml")]).await;
    assert_eq!(refused.status, 406);
    assert_eq!(refused.json()["error"], "not_acceptable");
    assert_conforms(&document, "/openapi.json", &refused);
}

#[tokio::test]
async fn methods_that_are_not_operations_get_405_with_allow() {
    let service = endpoints(Arc::default()).build().unwrap();
    let address = start(&service).await;
    client::register(address, service.openapi());
    for method in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] {
        // The client checks 405 and `Allow: GET, HEAD` for undeclared methods.
        let answer = request(address, method, "/health/ready", &[]).await;
        assert_eq!(answer.status, 405);
    }
}
