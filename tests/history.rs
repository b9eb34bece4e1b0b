//! The monitor's history: transitions and runs of every subject, bounded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, SystemTime};

use health_core::monitor::{HistoryDepth, Monitor, MonitorError, StatusChange, Subject};
use health_core::report::Selection;
use health_core::{HealthReport, Outcome, Status, health_check};

#[derive(Default)]
struct App {
    /// 0: up, 1: degraded, 2: down.
    database: AtomicU8,
    /// 0: up, 1: degraded, 2: down.
    queue: AtomicU8,
}

fn outcome(state: &AtomicU8, message: &str) -> Outcome<()> {
    match state.load(Ordering::SeqCst) {
        0 => Outcome::status_only(Status::Up),
        1 => Outcome::status_only(Status::Degraded).with_message(format!("{message} slowly")),
        _ => Outcome::status_only(Status::Down).with_message(message.to_owned()),
    }
}

#[health_check(timeout = "1s", groups(liveness, readiness))]
async fn process() {
    tokio::time::sleep(Duration::from_millis(30)).await;
}

#[health_check(timeout = "1s", critical)]
async fn database(app: &App) -> Outcome<()> {
    outcome(&app.database, "refused")
}

#[health_check(timeout = "1s", groups(readiness, "batch"))]
async fn queue(app: &App) -> Outcome<()> {
    outcome(&app.queue, "queue full")
}

#[health_check(timeout = "1s", cache = "60m")]
async fn licence() {}

#[derive(HealthReport, Default)]
#[health(state = App)]
struct Health {
    process: ProcessCheck,
    database: DatabaseCheck,
    queue: QueueCheck,
    licence: LicenceCheck,
}

async fn read(monitor: &Monitor<Health>) {
    monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
}

fn set(app: &App, database: u8, queue: u8) {
    app.database.store(database, Ordering::SeqCst);
    app.queue.store(queue, Ordering::SeqCst);
}

/// A monitor keeping `depth`, and the state its checks read.
fn monitor(depth: HistoryDepth) -> (Monitor<Health>, Arc<App>) {
    let app = Arc::new(App::default());
    (Monitor::builder(Health::default(), Arc::clone(&app)).history_depth(depth).build().unwrap(), app)
}

/// `(from, to, message)` of each transition of `subject`.
fn transitions(monitor: &Monitor<Health>, subject: &Subject) -> Vec<(Option<Status>, Status, Option<String>)> {
    let history = monitor.history(subject).unwrap();
    history.transitions.iter().map(|t| (t.from, t.to, t.message.as_deref().map(str::to_owned))).collect()
}

#[tokio::test(flavor = "current_thread")]
async fn every_subject_keeps_its_transitions_with_their_time_and_message() {
    let (monitor, app) = monitor(HistoryDepth::default());
    let mut changes = monitor.subscribe();
    let before = SystemTime::now();
    set(&app, 0, 0);
    read(&monitor).await;
    set(&app, 2, 1);
    read(&monitor).await;
    set(&app, 0, 0);
    read(&monitor).await;
    let after = SystemTime::now();

    use Status::{Degraded, Down, Up};
    let database = Subject::component("database");
    assert_eq!(
        transitions(&monitor, &database),
        [(None, Up, None), (Some(Up), Down, Some("refused".into())), (Some(Down), Up, None)]
    );
    assert_eq!(
        transitions(&monitor, &Subject::component("queue")),
        [(None, Up, None), (Some(Up), Degraded, Some("queue full slowly".into())), (Some(Degraded), Up, None)]
    );
    // Groups and the whole say which components are not UP.
    assert_eq!(
        transitions(&monitor, &Subject::Overall),
        [(None, Up, None), (Some(Up), Down, Some("DOWN: database; DEGRADED: queue".into())), (Some(Down), Up, None)]
    );
    assert_eq!(
        transitions(&monitor, &Subject::group("batch")),
        [(None, Up, None), (Some(Up), Degraded, Some("DEGRADED: queue".into())), (Some(Degraded), Up, None)]
    );
    assert_eq!(transitions(&monitor, &Subject::group("liveness")), [(None, Up, None)], "process never changed");

    // Each transition is the change subscribers were told, at the time it was recorded.
    let mut told: Vec<StatusChange> = Vec::new();
    while let Ok(Some(change)) = tokio::time::timeout(Duration::ZERO, changes.next()).await {
        told.push(change);
    }
    for subject in monitor.subjects() {
        for transition in monitor.history(subject).unwrap().transitions {
            let change = told.iter().find(|change| change.sequence == transition.sequence).expect("told");
            assert_eq!((&change.subject, change.from, change.to), (subject, transition.from, transition.to));
            assert!(before <= transition.at && transition.at <= after);
        }
    }
}

#[tokio::test(flavor = "current_thread")]
async fn runs_are_kept_with_their_duration_and_findings_and_cached_results_are_not_runs() {
    let (monitor, app) = monitor(HistoryDepth::default());
    set(&app, 0, 2);
    read(&monitor).await;
    read(&monitor).await;
    let process = monitor.history(&Subject::component("process")).unwrap().runs;
    assert_eq!(process.len(), 2);
    assert!(process.iter().all(|run| run.duration >= Duration::from_millis(30) && run.status == Status::Up));
    let queue = monitor.history(&Subject::component("queue")).unwrap().runs;
    assert!(queue.iter().all(|run| run.status == Status::Down));
    // The cached check ran once; its result was reused the second time.
    assert_eq!(monitor.history(&Subject::component("licence")).unwrap().runs.len(), 1);

    // A group's run lasts as long as its slowest component, and finds what
    // its components found, by criticality (the queue is not critical).
    let readiness = monitor.history(&Subject::group("readiness")).unwrap().runs;
    assert_eq!(readiness.len(), 2);
    for (group, process) in readiness.iter().zip(&process) {
        assert_eq!(group.duration, process.duration);
        assert_eq!(group.status, Status::Degraded);
        assert_eq!(group.at, process.at, "the report's start");
    }

    // A read of part of a group is a run of that part only, not of the group.
    monitor.read(&Subject::component("queue"), Selection::none()).await.unwrap();
    monitor.read(&Subject::group("readiness"), Selection::none().with(0)).await.unwrap();
    assert_eq!(monitor.history(&Subject::component("queue")).unwrap().runs.len(), 4);
    assert_eq!(monitor.history(&Subject::group("readiness")).unwrap().runs.len(), 2);
    assert_eq!(monitor.history(&Subject::Overall).unwrap().runs.len(), 2);
    monitor.read(&Subject::group("batch"), Selection::none()).await.unwrap();
    // Every read of the queue covered all of `batch`.
    assert_eq!(monitor.history(&Subject::group("batch")).unwrap().runs.len(), 5);
}

#[tokio::test(flavor = "current_thread")]
async fn histories_are_bounded_by_their_depth_and_keep_the_latest() {
    let (monitor, app) = monitor(HistoryDepth::new(4, 6));
    for round in 0..20u8 {
        set(&app, 2 * (round % 2), 0);
        read(&monitor).await;
    }
    let history = monitor.history(&Subject::component("database")).unwrap();
    assert_eq!(history.runs.len(), 6);
    assert_eq!(history.transitions.len(), 4);
    // Round 19 set it DOWN, round 18 UP.
    let last = history.transitions.last().unwrap();
    assert_eq!((last.from, last.to), (Some(Status::Up), Status::Down));
    assert!(history.transitions.windows(2).all(|pair| pair[0].sequence < pair[1].sequence));
    assert!(history.runs.windows(2).all(|pair| pair[0].at <= pair[1].at));

    let (none, _) = self::monitor(HistoryDepth::new(0, 0));
    read(&none).await;
    assert_eq!(none.history(&Subject::Overall).unwrap(), Default::default());

    let deep = HistoryDepth::new(usize::MAX, 1);
    let refused = Monitor::builder(Health::default(), Arc::new(App::default())).history_depth(deep).build();
    assert_eq!(refused.err(), Some(MonitorError::HistoryTooDeep(deep)));
}

#[tokio::test(flavor = "current_thread")]
async fn shutting_down_is_a_transition_of_readiness() {
    let (monitor, app) = monitor(HistoryDepth::default());
    set(&app, 0, 0);
    read(&monitor).await;
    monitor.begin_shutdown();
    let readiness = transitions(&monitor, &Subject::group("readiness"));
    assert_eq!(readiness.last(), Some(&(Some(Status::Up), Status::Down, Some("shutting down".into()))));
    assert!(monitor.history(&Subject::component("nope")).is_err(), "unknown subjects are refused");
}
