//! The HTTP request handling, through the tower `Service`, on arbitrary
//! request parts: method, path, query (`exclude`, `verbose`) and headers
//! (`Accept`, `Authorization` and any other), the status page and its
//! history included.
//!
//! The input is two bytes, the checks' states and the visibility, then a
//! request head as text: `METHOD target`, then `Name: value` lines.
//! Invariants: no panic; no 5xx but the DOWN code (503); every answer to a
//! documented operation is the one the service's own OpenAPI document
//! declares for its path, status and media type, with a body valid against
//! the schema; an undocumented method on a documented path is 405.

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
    });
}
