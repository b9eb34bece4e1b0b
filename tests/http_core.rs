//! The framework-neutral HTTP core: what `HealthService::respond` answers to a
//! `HealthRequest` is, byte for byte, what the tower `Service` answers to the
//! same HTTP request, for every kind of route and refusal. An adapter for
//! another framework only copies the parts.

use std::time::Duration;

use bytes::Bytes;
use health_core::http::{HealthRequest, HealthService, StatusPageOptions, Visibility};
use health_core::monitor::{Monitor, Subject};
use health_core::{HealthReport, Outcome, health_check};
use http_body_util::BodyExt;
use tower_service::Service;

#[health_check(timeout = "1s", critical)]
async fn database() -> Outcome<u32> {
    Outcome::up(7)
}

#[health_check(timeout = "1s", groups(liveness, readiness))]
async fn process() {}

#[derive(HealthReport, Default)]
struct Health {
    database: DatabaseCheck,
    process: ProcessCheck,
}

/// One request: method, path with its query, `Accept`, `Authorization`.
type Asked = (&'static str, &'static str, Option<&'static str>, Option<&'static str>);

const REQUESTS: &[Asked] = &[
    ("GET", "/health", None, None),
    ("HEAD", "/health/ready", None, None),
    ("GET", "/health/live", Some("application/health+json"), None),
    ("GET", "/health/database?verbose", None, None),
    ("GET", "/health?exclude=process", None, Some("Bearer s3cret")),
    ("GET", "/health", None, Some("Bearer wrong")),
    ("POST", "/health", None, None),
    ("GET", "/health/nope", None, None),
    ("GET", "/health?nope=1", None, None),
    ("GET", "/health", Some("text/html"), None),
    ("GET", "/health/group/nope", None, None),
    ("GET", "/health/ui", Some("text/html"), None),
    ("GET", "/health/ui/history", None, Some("Bearer s3cret")),
    ("GET", "/health/ui?x=1", None, None),
    ("GET", "/openapi.json", None, None),
    ("GET", "/openapi.json", Some("text/html"), None),
    ("DELETE", "/openapi.json", None, None),
];

/// Status, headers (sorted, `Age` left out: it may tick between the two) and
/// body (the status page history's `now`, the server's clock, masked likewise).
type Answered = (u16, Vec<(String, String)>, Bytes);

/// `body` with the value of a `"now"` field, the time it was answered, masked.
fn without_now(body: Bytes) -> Bytes {
    let text = String::from_utf8_lossy(&body);
    let Some(start) = text.find(r#""now":""#).map(|at| at + r#""now":""#.len()) else { return body };
    let end = start + text[start..].find('"').unwrap();
    Bytes::from(format!("{}…{}", &text[..start], &text[end..]))
}

async fn through_the_core(health: &HealthService<Health>, (method, target, accept, authorization): Asked) -> Answered {
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    let request = HealthRequest::new(method, path)
        .query(query)
        .accept(accept.map(str::as_bytes))
        .authorization(authorization.map(str::as_bytes));
    let answer = health.respond(&request).await;
    let mut headers: Vec<_> = answer.headers().map(|(name, value)| (name.to_owned(), value.to_owned())).collect();
    headers.sort();
    (answer.status(), headers, without_now(answer.into_body()))
}

async fn through_tower(health: &HealthService<Health>, (method, target, accept, authorization): Asked) -> Answered {
    let mut request = http::Request::builder().method(method).uri(target);
    if let Some(accept) = accept {
        request = request.header("accept", accept);
    }
    if let Some(authorization) = authorization {
        request = request.header("authorization", authorization);
    }
    let response = health.clone().call(request.body(()).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let mut headers: Vec<_> = response
        .headers()
        .iter()
        .filter(|(name, _)| *name != http::header::AGE)
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
        .collect();
    headers.sort();
    (status, headers, without_now(response.into_body().collect().await.unwrap().to_bytes()))
}

#[tokio::test]
async fn the_core_and_the_tower_service_give_the_same_answer_to_every_request() {
    // Background mode: both read the same snapshot, so even timings agree.
    let monitor = Monitor::builder(Health::default(), ()).refresh_every(Duration::from_secs(60)).build().unwrap();
    while monitor.latest(&Subject::Overall).unwrap().is_none() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let health = HealthService::builder(monitor)
        .visibility(Visibility::when_authorized("s3cret"))
        .status_page(StatusPageOptions::new())
        .openapi_path("/openapi.json")
        .build()
        .unwrap();
    let mut statuses = Vec::new();
    for asked in REQUESTS {
        let core = through_the_core(&health, *asked).await;
        let tower = through_tower(&health, *asked).await;
        assert_eq!(core, tower, "{asked:?}");
        statuses.push(core.0);
    }
    // The cases cover answers and refusals of every kind.
    assert_eq!(statuses, [200, 200, 200, 200, 200, 401, 405, 404, 400, 406, 404, 200, 200, 400, 200, 406, 405]);
    assert!(health.serves("/openapi.json") && health.serves("/health/ui") && !health.serves("/other"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_requests_of_every_kind_answer_as_one_does() {
    // On request: concurrent reads share runs; the OpenAPI document is made
    // by whichever request comes first.
    let health = HealthService::builder(Monitor::new(Health::default(), ()))
        .visibility(Visibility::when_authorized("s3cret"))
        .status_page(StatusPageOptions::new())
        .openapi_path("/openapi.json")
        .build()
        .unwrap();
    let mut alone = Vec::new();
    for asked in REQUESTS {
        let (status, headers, _) = through_the_core(&health, *asked).await;
        alone.push((status, headers));
    }
    let readers: Vec<_> = (0..64)
        .map(|reader| {
            let health = health.clone();
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for asked in REQUESTS {
                    let (status, headers, body) = if reader % 2 == 0 {
                        through_the_core(&health, *asked).await
                    } else {
                        through_tower(&health, *asked).await
                    };
                    answers.push((status, headers, body));
                }
                answers
            })
        })
        .collect();
    let document = through_the_core(&health, REQUESTS[14]).await.2;
    for reader in readers {
        let answers = reader.await.unwrap();
        for ((asked, (status, headers, body)), (alone_status, alone_headers)) in
            REQUESTS.iter().zip(answers).zip(&alone)
        {
            assert_eq!((&status, &headers), (alone_status, alone_headers), "{asked:?}");
            if asked.1 == "/openapi.json" && status == 200 {
                assert_eq!(body, document, "one document, whoever made it");
            }
        }
    }
}
