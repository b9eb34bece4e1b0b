//! The HTTP request handling, through the tower `Service` and the actix-web
//! adapter, on arbitrary request parts: method, path, query (`exclude`,
//! `verbose`) and headers (`Accept`, `Authorization` and any other), the
//! status page and its history included.
//!
//! The input is two bytes, the checks' states and the visibility, then a
//! request head as text: `METHOD target`, then `Name: value` lines.
//! Invariants: no panic; no 5xx but the DOWN code (503); every answer to a
//! documented operation is the one the service's own OpenAPI document
//! declares for its path, status and media type, with a body valid against
//! the schema; an undocumented method on a documented path is 405; and
//! actix-web answers what tower answers, for the paths the service serves:
//! the same status and content type, and the same body for every refusal
//! (4xx).

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use health_core::http::{HealthService, StatusPageOptions, Visibility};
use health_core::monitor::Monitor;
use health_core::{HealthReport, Outcome, health_check};
use http::{HeaderName, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Empty};
use tower_service::Service;

#[path = "../../tests/support/conformance.rs"]
mod conformance;

use conformance::{Answered, Contract};

/// What the checks report, set by each input.
#[derive(Default)]
struct App {
    database: AtomicU8,
    cache: AtomicU8,
}

#[health_check(groups(liveness, readiness, startup))]
async fn process() {}

#[health_check(timeout = "1s", critical)]
async fn database(app: &App) -> Result<(), String> {
    match app.database.load(Ordering::Relaxed) % 2 {
        0 => Ok(()),
        _ => Err("connection refused by postgres://app:hunter2@db/app".into()),
    }
}

#[health_check(timeout = "1s", groups(readiness, "caches"))]
async fn cache(app: &App) -> Outcome<()> {
    match app.cache.load(Ordering::Relaxed) % 3 {
        0 => Outcome::up(()),
        1 => Outcome::degraded(()).with_message("97% of memory used"),
        _ => Outcome::down(()).with_message("\"evicted\"\n\\u12"),
    }
}

#[derive(HealthReport, Default)]
#[health(state = App)]
struct Health {
    process: ProcessCheck,
    database: DatabaseCheck,
    cache: CacheCheck,
}

/// A service under each visibility, with its document.
struct Served {
    app: Arc<App>,
    service: HealthService<Health>,
    contract: Contract,
}

thread_local! {
    static SERVED: Vec<Served> = [Visibility::Never, Visibility::Always, Visibility::when_authorized("fuzz-token")]
        .into_iter()
        .map(|visibility| {
            let app = Arc::new(App::default());
            let monitor = Monitor::new(Health::default(), Arc::clone(&app));
            let service = HealthService::builder(monitor)
                .visibility(visibility)
                .status_page(StatusPageOptions::new())
                .build()
                .expect("a valid configuration");
            let contract = Contract::new(service.openapi());
            Served { app, service, contract }
        })
        .collect();
}

/// The code a DOWN report answers with, the only 5xx allowed.
const DOWN: u16 = 503;

pub fn check(data: &[u8]) {
    let [states, visibility, head @ ..] = data else { return };
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n").flat_map(|line| line.split('\n'));
    let Some((method, target)) = lines.next().and_then(|line| line.split_once(' ')) else { return };
    let Ok(method) = Method::from_bytes(method.as_bytes()) else { return };
    let mut request = Request::builder().method(method.clone()).uri(target);
    for line in lines {
        let Some((name, value)) = line.split_once(':') else { continue };
        if let (Ok(name), Ok(value)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value.trim())) {
            request = request.header(name, value);
        }
    }
    let Ok(request) = request.body(Empty::<bytes::Bytes>::new()) else { return };
    let path = request.uri().path().to_owned();

    SERVED.with(|served| {
        let served = &served[usize::from(*visibility) % served.len()];
        served.app.database.store(states & 0x0f, Ordering::Relaxed);
        served.app.cache.store(states >> 4, Ordering::Relaxed);
        let response =
            crate::runtime::block_on(served.service.clone().call(request)).unwrap_or_else(|never| match never {});
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = crate::runtime::block_on(response.into_body().collect()).unwrap_or_else(|never| match never {});
        let body = String::from_utf8_lossy(&body.to_bytes()).into_owned();
        assert!(status < 500 || status == DOWN, "{method} {target} answered {status}: {body}");

        // The document's operations are GET and HEAD; methods are case-sensitive.
        let operation = match method {
            Method::GET => Some("get"),
            Method::HEAD => Some("head"),
            _ => None,
        };
        match (served.contract.template(&path), operation) {
            (Some(template), Some(operation)) if served.contract.declares(&template, operation) => {
                let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::to_owned);
                let answered = Answered { status, header: Box::new(header), body: &body };
                if let Err(violation) = served.contract.check(&template, operation, &answered) {
                    panic!("{method} {target}: {violation}");
                }
            }
            // Methods other than GET and HEAD, and any the document does not declare here.
            (Some(_), _) => {
                assert_eq!(status, 405, "{method} {target} is not an operation: {body}");
                assert_eq!(
                    headers.get("allow").map(HeaderValue::as_bytes),
                    Some(&b"GET, HEAD"[..]),
                    "{method} {target}"
                );
            }
            // Other paths are not the document's.
            (None, _) => {}
        }

        // Paths beside the service's are the application's, in an actix-web app.
        let actix =
            served.service.serves(&path).then(|| over_actix(&served.service, &method, target, &head_lines(&head)));
        if let Some(over_actix) = actix.flatten() {
            let content_type = headers.get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
            assert_eq!(
                (over_actix.status, &over_actix.content_type),
                (status, &content_type),
                "{method} {target}: actix-web against tower"
            );
            if (400..500).contains(&status) {
                assert_eq!(over_actix.body, body, "{method} {target}: actix-web's refusal against tower's");
            }
        }
    });
}

/// The header lines of a request head, after its first line.
fn head_lines(head: &str) -> Vec<(&str, &str)> {
    head.split("\r\n")
        .flat_map(|line| line.split('\n'))
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name, value.trim()))
        .collect()
}

/// What actix-web answered.
struct ActixAnswer {
    status: u16,
    content_type: Option<String>,
    body: String,
}

/// `method target` with `headers`, through the actix-web adapter mounted in
/// an app, as actix-web's test utilities call it; `None` for a request
/// actix-web's own types cannot hold.
fn over_actix(
    service: &HealthService<Health>,
    method: &Method,
    target: &str,
    headers: &[(&str, &str)],
) -> Option<ActixAnswer> {
    use actix_web::http::{Method as ActixMethod, Uri};
    use actix_web::test;
    let method = ActixMethod::from_bytes(method.as_str().as_bytes()).ok()?;
    target.parse::<Uri>().ok()?;
    let mut request = test::TestRequest::default().method(method).uri(target);
    for (name, value) in headers {
        let name = actix_web::http::header::HeaderName::from_bytes(name.as_bytes()).ok()?;
        let value = actix_web::http::header::HeaderValue::from_str(value).ok()?;
        request = request.append_header((name, value));
    }
    let request = request.to_request();
    crate::runtime::block_on(async {
        let app = test::init_service(actix_web::App::new().service(service.actix())).await;
        let response = test::call_service(&app, request).await;
        let status = response.status().as_u16();
        let content_type =
            response.headers().get("content-type").and_then(|value| value.to_str().ok()).map(str::to_owned);
        let body = String::from_utf8_lossy(&test::read_body(response).await).into_owned();
        Some(ActixAnswer { status, content_type, body })
    })
}
