//! Every name a transport serves is one subject of the monitor: a component
//! named like a group, and a group the application defines for a gRPC
//! service, are served, tracked, counted and kept in history the same over
//! HTTP and gRPC; and one status map, set per subject, decides each
//! transport's answer.

#[path = "support/http.rs"]
mod client;
#[path = "grpc/support.rs"]
#[allow(dead_code)]
mod grpc_client;
#[path = "support/series.rs"]
mod series;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use health_core::grpc::{GrpcHealthService, ServingStatus};
use health_core::http::{HealthService, StatusCode, StatusPageOptions, Visibility};
use health_core::metrics::MetricsOptions;
use health_core::monitor::{Monitor, StatusMap, Subject};
use health_core::{HealthReport, Outcome, Status, health_check};
use metrics_util::debugging::DebuggingRecorder;
use tonic_health::pb::health_check_response::ServingStatus as Wire;

/// The statuses the checks report, set by the test.
#[derive(Default)]
struct App {
    database: AtomicU8,
    payments: AtomicU8,
    ledger: AtomicU8,
}

fn status(cell: &AtomicU8) -> Outcome<()> {
    let status = [Status::Up, Status::Degraded, Status::Down][usize::from(cell.load(Ordering::SeqCst))];
    Outcome::status_only(status)
}

fn set(cell: &AtomicU8, status: Status) {
    cell.store(Status::ALL.iter().position(|each| *each == status).unwrap() as u8, Ordering::SeqCst);
}

#[health_check(timeout = "1s", critical)]
async fn database(app: &App) -> Outcome<()> {
    status(&app.database)
}

/// Named like the group it belongs to.
#[health_check(timeout = "1s", critical, groups(readiness, "payments"))]
async fn payments(app: &App) -> Outcome<()> {
    status(&app.payments)
}

#[health_check(timeout = "1s", groups("payments"))]
async fn ledger(app: &App) -> Outcome<()> {
    status(&app.ledger)
}

#[derive(HealthReport, Default)]
#[health(state = App)]
struct Health {
    database: DatabaseCheck,
    payments: PaymentsCheck,
    ledger: LedgerCheck,
}

/// The group the application defines for its gRPC service.
const ORDERS: &str = "orders.v1.Orders";

/// A subject under test, with its HTTP path and its gRPC name.
struct Named {
    subject: Subject,
    path: &'static str,
    name: &'static str,
}

/// Every subject under test.
fn subjects() -> [Named; 4] {
    [
        Named { subject: Subject::group("payments"), path: "/health/group/payments", name: "payments" },
        Named { subject: Subject::component("payments"), path: "/health/payments", name: "payments-component" },
        Named { subject: Subject::group(ORDERS), path: "/health/group/orders.v1.Orders", name: ORDERS },
        Named { subject: Subject::component("ledger"), path: "/health/ledger", name: "ledger" },
    ]
}

/// What each transport answers for one subject.
#[derive(Debug, PartialEq)]
struct Answers {
    /// The status in the HTTP body, and the monitor's tracked status.
    status: Status,
    http: u16,
    grpc: Wire,
}

struct Served {
    monitor: Monitor<Health>,
    http: SocketAddr,
    grpc: grpc_client::Client,
}

impl Served {
    async fn answers(&mut self, named: &Named) -> Answers {
        let Named { subject, path, name } = named;
        let answer = client::get(self.http, path).await;
        let shown = answer.json()["status"].clone();
        let status = Status::ALL.into_iter().find(|status| shown == status.to_string()).expect("a status");
        let tracked = self.monitor.status(subject).unwrap();
        assert_eq!(tracked, Some(status), "{subject}: the monitor tracks what HTTP answered");
        let grpc = grpc_client::check(&mut self.grpc, name).await.unwrap();
        Answers { status, http: answer.status, grpc }
    }
}

#[tokio::test]
async fn a_component_named_like_a_group_and_a_defined_group_answer_alike_on_every_transport() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let app = Arc::new(App::default());
    let monitor = metrics::with_local_recorder(&recorder, || {
        Monitor::builder(Health::default(), Arc::clone(&app))
            .group(ORDERS, ["database", "ledger"])
            .metrics(MetricsOptions::default())
            .build()
            .unwrap()
    });
    // One subject's own map on each transport: the defined group refuses
    // traffic while DEGRADED, the component answers DOWN with 500.
    let endpoints = HealthService::builder(monitor.clone())
        .visibility(Visibility::Always)
        .status_page(StatusPageOptions::new())
        .status_codes_for(Subject::group(ORDERS), StatusMap::default().degraded(StatusCode::TOO_MANY_REQUESTS))
        .status_codes_for(Subject::component("payments"), StatusMap::default().down(StatusCode::INTERNAL_SERVER_ERROR))
        .build()
        .unwrap();
    let health = GrpcHealthService::builder(monitor.clone())
        .map("payments-component", Subject::component("payments"))
        .serving_statuses_for(Subject::group(ORDERS), StatusMap::default().degraded(ServingStatus::NotServing))
        .serving_statuses_for(Subject::component("payments"), StatusMap::default().down(ServingStatus::Serving))
        .build()
        .unwrap();
    let (grpc, _server) = grpc_client::serve_until(&health, std::future::pending()).await;
    let mut served = Served {
        monitor: monitor.clone(),
        http: client::serve(&endpoints).await,
        grpc: grpc_client::client(grpc).await,
    };
    let [payments_group, payments_component, orders, ledger] = subjects();

    // The group `payments` (payments critical, ledger not) and the component
    // `payments` are two subjects on both transports.
    set(&app.ledger, Status::Down);
    let answers = served.answers(&payments_group).await;
    assert_eq!(answers, Answers { status: Status::Degraded, http: 200, grpc: Wire::Serving });
    let answers = served.answers(&payments_component).await;
    assert_eq!(answers, Answers { status: Status::Up, http: 200, grpc: Wire::Serving });
    // The defined group weighs by criticality: ledger DOWN only degrades it,
    // and its own maps answer DEGRADED with 429 and NOT_SERVING.
    let answers = served.answers(&orders).await;
    assert_eq!(answers, Answers { status: Status::Degraded, http: 429, grpc: Wire::NotServing });
    let answers = served.answers(&ledger).await;
    assert_eq!(answers, Answers { status: Status::Down, http: 503, grpc: Wire::NotServing });

    set(&app.database, Status::Down);
    set(&app.payments, Status::Down);
    let answers = served.answers(&orders).await;
    assert_eq!(answers, Answers { status: Status::Down, http: 503, grpc: Wire::NotServing });
    let answers = served.answers(&payments_group).await;
    assert_eq!(answers, Answers { status: Status::Down, http: 503, grpc: Wire::NotServing });
    // The component's own maps: 500 over HTTP, still SERVING over gRPC.
    let answers = served.answers(&payments_component).await;
    assert_eq!(answers, Answers { status: Status::Down, http: 500, grpc: Wire::Serving });

    // List names both payments subjects, each with its own status.
    let listed = grpc_client::list(grpc).await;
    let listed_status = |name: &str| listed.iter().find(|(own, _)| own == name).map(|(_, status)| *status);
    assert_eq!(listed_status("payments"), Some(Wire::NotServing));
    assert_eq!(listed_status("payments-component"), Some(Wire::Serving));
    assert_eq!(listed_status(ORDERS), Some(Wire::NotServing));

    // The history, the status page and the metrics see the same subjects.
    let seen = |subject: &Subject| -> Vec<Status> {
        monitor.history(subject).unwrap().transitions.iter().map(|transition| transition.to).collect()
    };
    assert_eq!(seen(&orders.subject), [Status::Degraded, Status::Down]);
    assert_eq!(seen(&payments_component.subject), [Status::Up, Status::Down]);
    let page = client::get(served.http, "/health/ui/history").await.json();
    let groups = page["groups"].as_array().unwrap();
    let shown = |name: &str| groups.iter().find(|group| group["name"] == name).unwrap().clone();
    assert_eq!(shown(ORDERS)["status"], "DOWN");
    assert_eq!(shown(ORDERS)["members"], serde_json::json!(["database", "ledger"]));
    assert_eq!(shown(ORDERS)["transitions"].as_array().unwrap().len(), 2);
    assert_eq!(shown("payments")["status"], "DOWN");
    let ledger_entry = page["components"].as_array().unwrap().iter().find(|c| c["name"] == "ledger").unwrap().clone();
    assert_eq!(
        ledger_entry["groups"],
        serde_json::json!(["payments", ORDERS]),
        "a defined group is a group of its members"
    );
    let values = series::values(&snapshotter);
    assert_eq!(series::gauge(&values, &format!("health_status{{group={ORDERS},status=DOWN}}")), 1.0);
    assert_eq!(series::gauge(&values, "health_status{group=payments,status=DOWN}"), 1.0);
    assert_eq!(series::gauge(&values, "health_check_status{component=payments,status=DOWN}"), 1.0);

    // The defined group drains like any group; the component keeps being
    // measured. Everything UP first, so that only the drain can turn it DOWN.
    for cell in [&app.database, &app.payments, &app.ledger] {
        set(cell, Status::Up);
    }
    let answers = served.answers(&orders).await;
    assert_eq!(answers, Answers { status: Status::Up, http: 200, grpc: Wire::Serving });
    monitor.begin_shutdown();
    let drained = client::get(served.http, orders.path).await;
    assert_eq!((drained.status, drained.json()["message"].as_str()), (503, Some("shutting down")));
    assert_eq!(grpc_client::check(&mut served.grpc, ORDERS).await, Ok(Wire::NotServing));
    let answers = served.answers(&payments_component).await;
    assert_eq!(answers, Answers { status: Status::Up, http: 200, grpc: Wire::Serving });
}

#[test]
fn defined_groups_are_refused_with_a_reason_when_they_cannot_work() {
    use health_core::monitor::MonitorError;
    use health_core::report::NameError;
    let build = |name: &str, members: &[&str]| {
        Monitor::builder(Health::default(), App::default())
            .group(name, members.to_vec())
            .build()
            .map(|_| ())
            .unwrap_err()
    };
    let cases = [
        (
            build("a b", &["database"]),
            MonitorError::BadGroupName { name: "a b".into(), error: NameError::Character(' ') },
        ),
        (build("readiness", &["database"]), MonitorError::GroupTaken("readiness".into())),
        (build("payments", &["database"]), MonitorError::GroupTaken("payments".into())),
        (
            build(ORDERS, &["database", "search"]),
            MonitorError::UnknownMember { group: ORDERS.into(), component: "search".into() },
        ),
        (build(ORDERS, &[]), MonitorError::EmptyGroup(ORDERS.into())),
    ];
    for (error, expected) in cases {
        assert_eq!(error, expected);
        assert!(error.to_string().contains("cannot define the group"), "{error}");
    }
    let twice = Monitor::builder(Health::default(), App::default()).group("a", ["database"]).group("a", ["ledger"]);
    assert_eq!(twice.build().map(|_| ()).unwrap_err(), MonitorError::GroupTaken("a".into()));
}

#[test]
fn a_defined_group_named_like_a_component_leaves_the_component_to_be_mapped_over_grpc() {
    use health_core::grpc::ConfigError;
    let monitor = Monitor::builder(Health::default(), App::default()).group("ledger", ["ledger", "database"]).build();
    let monitor = monitor.unwrap();
    let payments_mapped =
        || GrpcHealthService::builder(monitor.clone()).map("payments-component", Subject::component("payments"));
    let unmapped = payments_mapped().build().map(|_| ()).unwrap_err();
    assert_eq!(unmapped, ConfigError::ComponentNamedLikeGroup("ledger".into()));
    let health = payments_mapped().map("ledger-component", Subject::component("ledger")).build();
    let names: Vec<String> = health.unwrap().names().map(str::to_owned).collect();
    assert!(names.contains(&"ledger".to_owned()) && names.contains(&"ledger-component".to_owned()), "{names:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_readers_of_a_defined_group_get_what_one_reader_gets_on_both_transports() {
    let app = Arc::new(App::default());
    set(&app.ledger, Status::Down);
    let monitor = Monitor::builder(Health::default(), Arc::clone(&app)).group(ORDERS, ["database", "ledger"]).build();
    let monitor = monitor.unwrap();
    let group = Subject::group(ORDERS);
    let endpoints = HealthService::builder(monitor.clone())
        .status_codes_for(group.clone(), StatusMap::default().degraded(StatusCode::TOO_MANY_REQUESTS))
        .build()
        .unwrap();
    let health = GrpcHealthService::builder(monitor)
        .map("payments-component", Subject::component("payments"))
        .serving_statuses_for(group, StatusMap::default().degraded(ServingStatus::NotServing))
        .build()
        .unwrap();
    let http = client::serve(&endpoints).await;
    let (grpc, _server) = grpc_client::serve_until(&health, std::future::pending()).await;
    let path = "/health/group/orders.v1.Orders";
    let alone = client::get(http, path).await;
    let mut one = grpc_client::client(grpc).await;
    let grpc_alone = grpc_client::check(&mut one, ORDERS).await;
    assert_eq!((alone.status, grpc_alone), (429, Ok(Wire::NotServing)));
    let readers: Vec<_> = (0..64)
        .map(|_| {
            tokio::spawn(async move {
                let mut grpc_client = grpc_client::client(grpc).await;
                let answer = client::get(http, path).await;
                (answer.status, answer.json()["status"].clone(), grpc_client::check(&mut grpc_client, ORDERS).await)
            })
        })
        .collect();
    for reader in readers {
        let (status, shown, grpc_answer) = reader.await.unwrap();
        assert_eq!((status, shown, grpc_answer), (429, alone.json()["status"].clone(), grpc_alone));
    }
}
