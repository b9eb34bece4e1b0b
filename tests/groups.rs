//! Probe groups, selective reports and visiting typed components.

use std::sync::atomic::{AtomicUsize, Ordering};

use health_core::report::{ComponentSet, ComponentVisitor, Selection};
use health_core::{Component, HealthReport, Status, group, health_check};

#[derive(Default)]
struct Runs {
    process: AtomicUsize,
    database: AtomicUsize,
}

#[health_check(groups(liveness, readiness))]
async fn process(runs: &Runs) -> Result<u8, String> {
    runs.process.fetch_add(1, Ordering::SeqCst);
    Ok(1)
}

#[health_check(critical)]
async fn database(runs: &Runs) -> Result<(), String> {
    runs.database.fetch_add(1, Ordering::SeqCst);
    Err("connection refused".into())
}

#[derive(HealthReport, Default)]
#[health(state = Runs)]
struct Health {
    process: ProcessCheck,
    database: DatabaseCheck,
    #[health(groups("batch-jobs"))]
    batch: DatabaseCheck,
}

#[test]
fn components_know_their_groups() {
    let [process, database, batch] = Health::COMPONENTS else { panic!("three components") };
    assert_eq!(process.groups().collect::<Vec<_>>(), [group::LIVENESS, group::READINESS]);
    assert_eq!(database.groups().collect::<Vec<_>>(), group::DEFAULT, "readiness and startup unless said otherwise");
    assert_eq!(batch.groups().collect::<Vec<_>>(), ["batch-jobs"], "a field overrides the check's groups");
    assert_eq!(group::DEFAULT, [group::READINESS, group::STARTUP]);

    let live = Selection::group(Health::COMPONENTS, group::LIVENESS);
    assert!(live.contains(0) && !live.contains(1) && !live.contains(2));
    let ready = Selection::group(Health::COMPONENTS, group::READINESS);
    assert!(ready.contains(0) && ready.contains(1) && !ready.contains(2));
    assert_eq!(Selection::component(Health::COMPONENTS, "batch"), Some(Selection::none().with(2)));
    assert_eq!(Selection::component(Health::COMPONENTS, "nope"), None);
}

#[tokio::test]
async fn a_selective_report_runs_only_the_selection() {
    let health = Health::default();
    let runs = Runs::default();
    let live = health.report_selected(&runs, Selection::group(Health::COMPONENTS, group::LIVENESS)).await;
    assert_eq!(runs.process.load(Ordering::SeqCst), 1);
    assert_eq!(runs.database.load(Ordering::SeqCst), 0, "the database is not part of liveness");
    assert_eq!(live.status, Status::Up, "a critical check left out does not take liveness down");
    assert_eq!(live.components.process.details, Some(1));

    let all = health.report(&runs).await;
    assert_eq!(runs.database.load(Ordering::SeqCst), 2, "`report` runs everything");
    assert_eq!(all.status, Status::Down);
}

/// What a visitor saw of one component.
struct Seen {
    index: usize,
    name: String,
    json: serde_json::Value,
}

/// Collects what a visitor sees.
struct Collect(Vec<Seen>);

impl ComponentVisitor for Collect {
    fn component<T: serde::Serialize>(&mut self, index: usize, name: &str, component: &Component<T>) {
        self.0.push(Seen { index, name: name.to_owned(), json: serde_json::to_value(component).unwrap() });
    }
}

#[tokio::test]
async fn a_visitor_sees_every_typed_component_in_order() {
    let report = Health::default().report(&Runs::default()).await;
    let mut seen = Collect(Vec::new());
    report.components.visit(&mut seen);
    let names: Vec<_> = seen.0.iter().map(|seen| (seen.index, seen.name.as_str())).collect();
    assert_eq!(names, [(0, "process"), (1, "database"), (2, "batch")]);
    assert_eq!(seen.0[0].json["details"], 1);
    assert_eq!(seen.0[1].json["message"], "connection refused");

    let mut selected = Collect(Vec::new());
    report.components.visit_selected(Selection::none().with(2), &mut selected);
    assert_eq!(selected.0.iter().map(|seen| seen.name.as_str()).collect::<Vec<_>>(), ["batch"]);
}

#[test]
fn selections_are_bounded_sets() {
    let selection = Selection::none().with(3).with(127).with(128);
    assert!(selection.contains(3) && selection.contains(127));
    assert!(!selection.contains(128), "past the capacity nothing is stored");
    assert!(!selection.without(3).contains(3));
    assert!(Selection::all().contains(0) && Selection::all().contains(127));
}
