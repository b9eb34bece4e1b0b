//! One drain rule: once shutdown begins, the monitor decides which subjects
//! drain (the whole and every group but liveness), and every transport
//! answers from it. HTTP and gRPC say the same of every subject they both
//! serve, before and while draining; watches, metrics and the history agree.

#[path = "support/http.rs"]
mod client;
#[path = "grpc/support.rs"]
#[allow(dead_code)]
mod grpc_client;
#[path = "support/series.rs"]
mod series;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use health_core::grpc::GrpcHealthService;
use health_core::http::{HealthService, StatusPageOptions, Visibility};
use health_core::metrics::MetricsOptions;
use health_core::monitor::{Monitor, Subject};
use health_core::{HealthReport, Outcome, Status, group, health_check};
use metrics_util::debugging::DebuggingRecorder;
use tonic_health::pb::health_check_response::ServingStatus;

#[health_check(timeout = "1s", groups(liveness, readiness))]
async fn process() {}

#[health_check(timeout = "1s", critical)]
async fn database() {}

/// Down, but not critical: readiness is DEGRADED.
#[health_check(timeout = "1s", groups(readiness, "caches"))]
async fn cache() -> Outcome<()> {
    Outcome::status_only(Status::Down).with_message("refused")
}

/// In a custom group only.
#[health_check(timeout = "1s", groups("batch"))]
async fn jobs() {}

#[derive(HealthReport, Default)]
struct Health {
    process: ProcessCheck,
    database: DatabaseCheck,
    cache: CacheCheck,
    jobs: JobsCheck,
}

/// Every subject both transports serve: its HTTP path and its gRPC name.
fn subjects(monitor: &Monitor<Health>) -> Vec<(Subject, String, String)> {
    let mut subjects = vec![(Subject::Overall, "/health".to_owned(), String::new())];
    for name in monitor.groups() {
        let path = match name {
            group::LIVENESS => "/health/live".to_owned(),
            group::READINESS => "/health/ready".to_owned(),
            group::STARTUP => "/health/startup".to_owned(),
            custom => format!("/health/group/{custom}"),
        };
        subjects.push((Subject::group(name), path, name.to_owned()));
    }
    for component in monitor.components() {
        let name = component.name();
        subjects.push((Subject::component(name), format!("/health/{name}"), name.to_owned()));
    }
    subjects
}

/// What HTTP and gRPC answer for each subject, as serving or not, with the
/// HTTP answer's message; failing if they disagree.
async fn answers(
    monitor: &Monitor<Health>,
    http: SocketAddr,
    grpc: SocketAddr,
) -> BTreeMap<String, (bool, Option<String>)> {
    let mut client = grpc_client::client(grpc).await;
    let grpc_client = &mut client;
    let mut answers = BTreeMap::new();
    let page = client::get(http, "/health/ui/history").await.json();
    for (subject, path, name) in subjects(monitor) {
        let answer = client::get(http, &path).await;
        let served = match answer.status {
            200 => true,
            503 => false,
            other => panic!("{path}: {other}"),
        };
        let grpc_served = match grpc_client::check(grpc_client, &name).await {
            Ok(ServingStatus::Serving) => true,
            Ok(ServingStatus::NotServing) => false,
            other => panic!("{name:?}: {other:?}"),
        };
        assert_eq!(served, grpc_served, "{subject}: HTTP {path} and gRPC {name:?} disagree");
        // The status page shows every subject, with the same status.
        let on_page = match &subject {
            Subject::Overall => &page["overall"],
            Subject::Group(group) => {
                page["groups"].as_array().unwrap().iter().find(|shown| shown["name"] == **group).unwrap()
            }
            Subject::Component(component) => {
                page["components"].as_array().unwrap().iter().find(|shown| shown["name"] == **component).unwrap()
            }
            _ => unreachable!(),
        };
        assert_eq!(on_page["status"] != "DOWN", served, "{subject} on the status page: {on_page}");
        let watched = monitor.watch(&subject).unwrap().get();
        assert_eq!(watched.map(|status| status != Status::Down), Some(served), "{subject}: the watch agrees");
        let message = answer.json()["message"].as_str().map(str::to_owned);
        answers.insert(subject.to_string(), (served, message));
    }
    // List agrees with Check.
    for (name, status) in grpc_client::list(grpc).await {
        let checked = grpc_client::check(grpc_client, &name).await.unwrap();
        assert_eq!(status, checked, "List and Check of {name:?}");
    }
    answers
}

#[tokio::test]
async fn http_grpc_watches_metrics_and_history_answer_every_subject_the_same_while_draining() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let monitor = metrics::with_local_recorder(&recorder, || {
        // A group the application defines drains as the others do.
        Monitor::builder(Health::default(), ())
            .group("orders.v1.Orders", ["database", "jobs"])
            .metrics(MetricsOptions::default())
            .build()
            .unwrap()
    });
    let endpoints = HealthService::builder(monitor.clone())
        .visibility(Visibility::Always)
        .status_page(StatusPageOptions::new())
        .build()
        .unwrap();
    let http = client::serve(&endpoints).await;
    let health = GrpcHealthService::builder(monitor.clone()).build().unwrap();
    // A drain longer than the test: the server keeps answering while it drains.
    let (grpc, _server) = grpc_client::serve_until(&health, std::future::pending()).await;

    let before = answers(&monitor, http, grpc).await;
    for (subject, (served, _)) in &before {
        // The cache is down, but only critical components take their groups down.
        assert_eq!(*served, subject != "component `cache`", "{subject}");
    }

    monitor.begin_shutdown();
    let during = answers(&monitor, http, grpc).await;
    // Read once: the recorder hands each value out once.
    let values = series::values(&snapshotter);
    for (subject, path, _) in subjects(&monitor) {
        let key = subject.to_string();
        let drains = !matches!(&subject, Subject::Component(_)) && subject != Subject::group(group::LIVENESS);
        if drains {
            assert_eq!(during[&key], (false, Some("shutting down".to_owned())), "{key} drains ({path})");
        } else {
            assert_eq!(during[&key].0, before[&key].0, "{key} keeps being measured ({path})");
            assert_ne!(during[&key].1.as_deref(), Some("shutting down"), "{key}");
        }
        // The metrics' state sets and the history say so too.
        let history = monitor.history(&subject).unwrap();
        let last = history.transitions.last().expect("a status seen");
        assert_eq!(last.message.as_deref() == Some("shutting down"), drains, "{key}: {last:?}");
        let series = match &subject {
            Subject::Overall => "health_status{group=all,status=DOWN}".to_owned(),
            Subject::Group(name) => format!("health_status{{group={name},status=DOWN}}"),
            Subject::Component(name) => format!("health_check_status{{component={name},status=DOWN}}"),
            _ => unreachable!(),
        };
        let down = series::gauge(&values, &series) == 1.0;
        assert_eq!(down, monitor.status(&subject).unwrap() == Some(Status::Down), "{series}");
        if drains {
            assert!(down, "{series}");
        }
    }
}
