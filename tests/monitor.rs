//! The monitor on its own, without a transport: status changes and their
//! subscribers, the latest results, background refresh and shutdown.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use health_core::monitor::{Monitor, MonitorError, StatusChange, StatusChanges, Subject, UnknownSubject};
use health_core::report::Selection;
use health_core::{HealthReport, Outcome, Status, group, health_check};

#[derive(Default)]
struct App {
    /// 0: up, 1: degraded, 2: down.
    database: AtomicU8,
    /// 0: up, 1: degraded, 2: down.
    queue: AtomicU8,
    runs: AtomicUsize,
}

fn outcome(state: &AtomicU8) -> Outcome<()> {
    match state.load(Ordering::SeqCst) {
        0 => Outcome::status_only(Status::Up),
        1 => Outcome::status_only(Status::Degraded),
        _ => Outcome::status_only(Status::Down).with_message("refused"),
    }
}

#[health_check(timeout = "100ms", groups(liveness, readiness))]
async fn process(app: &App) {
    app.runs.fetch_add(1, Ordering::SeqCst);
}

#[health_check(timeout = "100ms", critical)]
async fn database(app: &App) -> Outcome<()> {
    outcome(&app.database)
}

#[health_check(timeout = "100ms", groups(readiness, "batch"))]
async fn queue(app: &App) -> Outcome<()> {
    outcome(&app.queue)
}

#[derive(HealthReport, Default)]
#[health(state = App)]
struct Health {
    process: ProcessCheck,
    database: DatabaseCheck,
    queue: QueueCheck,
}

/// The changes delivered so far, without waiting for more.
async fn delivered(changes: &mut StatusChanges) -> Vec<StatusChange> {
    let mut delivered = Vec::new();
    while let Ok(Some(change)) = tokio::time::timeout(Duration::ZERO, changes.next()).await {
        delivered.push(change);
    }
    delivered
}

type Seen = (Subject, Option<Status>, Status);

fn seen(changes: &[StatusChange]) -> Vec<Seen> {
    changes.iter().map(|change| (change.subject.clone(), change.from, change.to)).collect()
}

async fn read(monitor: &Monitor<Health>, subject: &Subject) -> Status {
    monitor.read(subject, Selection::none()).await.unwrap().status()
}

#[tokio::test]
async fn subscribers_see_every_change_in_order_exactly_once() {
    let app = Arc::new(App::default());
    let monitor = Monitor::new(Health::default(), Arc::clone(&app));
    let (mut first, mut second) = (monitor.subscribe(), monitor.subscribe());
    let (component, group) = (Subject::component, Subject::group);
    let overall = Subject::Overall;
    let first_time = |subject: Subject| (subject, None, Status::Up);

    read(&monitor, &overall).await;
    let expected_first = vec![
        first_time(component("process")),
        first_time(component("database")),
        first_time(component("queue")),
        first_time(group("liveness")),
        first_time(group("readiness")),
        first_time(group("startup")),
        first_time(group("batch")),
        first_time(overall.clone()),
    ];
    // The queue degrades: its group, readiness and the whole follow; startup does not hold it.
    app.queue.store(1, Ordering::SeqCst);
    read(&monitor, &overall).await;
    // A readiness probe alone sees the database fail; it ran every component
    // of startup and of the whole too, so they follow.
    app.database.store(2, Ordering::SeqCst);
    assert_eq!(read(&monitor, &group("readiness")).await, Status::Down);
    // No change, no event.
    read(&monitor, &group("readiness")).await;
    // Everything recovers.
    app.queue.store(0, Ordering::SeqCst);
    app.database.store(0, Ordering::SeqCst);
    read(&monitor, &overall).await;

    let degraded = Some(Status::Degraded);
    let expected: Vec<Seen> = expected_first
        .into_iter()
        .chain([
            (component("queue"), Some(Status::Up), Status::Degraded),
            (group("readiness"), Some(Status::Up), Status::Degraded),
            (group("batch"), Some(Status::Up), Status::Degraded),
            (overall.clone(), Some(Status::Up), Status::Degraded),
            (component("database"), Some(Status::Up), Status::Down),
            (group("readiness"), degraded, Status::Down),
            (group("startup"), Some(Status::Up), Status::Down),
            (overall.clone(), degraded, Status::Down),
            (component("database"), Some(Status::Down), Status::Up),
            (component("queue"), degraded, Status::Up),
            (group("readiness"), Some(Status::Down), Status::Up),
            (group("startup"), Some(Status::Down), Status::Up),
            (group("batch"), degraded, Status::Up),
            (overall.clone(), Some(Status::Down), Status::Up),
        ])
        .collect();
    for subscriber in [&mut first, &mut second] {
        let changes = delivered(subscriber).await;
        assert_eq!(seen(&changes), expected);
        let sequences: Vec<u64> = changes.iter().map(|change| change.sequence).collect();
        assert_eq!(sequences, (1..=expected.len() as u64).collect::<Vec<_>>(), "numbered in order, none twice");
    }
    // A subscriber starts from the moment it subscribes. Groups and the whole
    // follow the latest status of every component, whichever run found it:
    // a run of the batch group alone tells readiness and the whole too.
    let mut late = monitor.subscribe();
    app.queue.store(2, Ordering::SeqCst);
    read(&monitor, &group("batch")).await;
    let changes = seen(&delivered(&mut late).await);
    assert_eq!(
        changes,
        [
            (component("queue"), Some(Status::Up), Status::Down),
            (group("readiness"), Some(Status::Up), Status::Degraded),
            (group("batch"), Some(Status::Up), Status::Degraded),
            (overall.clone(), Some(Status::Up), Status::Degraded),
        ]
    );
}

#[tokio::test]
async fn a_lagging_subscriber_gets_the_latest_state_and_loses_only_intermediate_ones() {
    let app = Arc::new(App::default());
    let monitor = Monitor::new(Health::default(), Arc::clone(&app));
    read(&monitor, &Subject::Overall).await;
    let mut slow = monitor.subscribe();
    let subscribed: Vec<(Subject, Option<Status>)> =
        monitor.subjects().map(|subject| (subject.clone(), monitor.status(subject).unwrap())).collect();
    // The database changes once, then the queue flaps far more often than a
    // subscriber may fall behind: the database's change leaves the backlog.
    app.database.store(2, Ordering::SeqCst);
    read(&monitor, &Subject::Overall).await;
    for flap in 0..300 {
        app.queue.store(if flap % 2 == 0 { 1 } else { 0 }, Ordering::SeqCst);
        read(&monitor, &Subject::component("queue")).await;
    }
    app.queue.store(2, Ordering::SeqCst);
    read(&monitor, &Subject::component("queue")).await;

    let changes = delivered(&mut slow).await;
    assert!(changes.len() < 100, "the backlog was summed up: {} changes", changes.len());
    // What the subscriber last heard of each subject is its latest status.
    for (subject, when_subscribed) in subscribed {
        let last = changes.iter().rev().find(|change| change.subject == subject).map(|change| change.to);
        assert_eq!(last.or(when_subscribed), monitor.status(&subject).unwrap(), "{subject}");
    }
    let database = changes.iter().find(|change| change.subject == Subject::component("database"));
    assert_eq!(database.map(|change| (change.from, change.to)), Some((Some(Status::Up), Status::Down)));
    assert!(changes.windows(2).all(|pair| pair[0].sequence <= pair[1].sequence), "still in order");
    // Caught up, it hears of each change again; a run of the queue alone
    // covers its group too.
    app.queue.store(0, Ordering::SeqCst);
    read(&monitor, &Subject::component("queue")).await;
    let next = seen(&delivered(&mut slow).await);
    assert_eq!(
        next,
        [
            (Subject::component("queue"), Some(Status::Down), Status::Up),
            (Subject::group("batch"), Some(Status::Degraded), Status::Up)
        ]
    );
}

#[tokio::test]
async fn a_watch_receiver_holds_the_latest_status_of_its_subject() {
    let app = Arc::new(App::default());
    let monitor = Monitor::new(Health::default(), Arc::clone(&app));
    let mut batch = monitor.watch(&Subject::group("batch")).unwrap();
    assert_eq!(batch.get(), None, "before any run covered it");
    read(&monitor, &Subject::Overall).await;
    assert_eq!(batch.get_and_update(), Some(Status::Up));
    for state in [1, 2, 0, 2] {
        app.queue.store(state, Ordering::SeqCst);
        read(&monitor, &Subject::group("batch")).await;
    }
    // Read late: the intermediate states are gone, the latest is there: the
    // queue is DOWN, and not being critical, makes its group DEGRADED.
    assert!(batch.has_changed());
    assert_eq!(batch.get_and_update(), Some(Status::Degraded));
    assert_eq!(monitor.status(&Subject::component("queue")), Ok(Some(Status::Down)));
}

#[tokio::test]
async fn unknown_and_disabled_subjects_are_refused() {
    let monitor = Monitor::builder(Health::default(), App::default()).disable("queue").build().unwrap();
    for subject in [Subject::component("nope"), Subject::component("queue"), Subject::group("nope")] {
        assert_eq!(monitor.watch(&subject).err().as_ref().map(UnknownSubject::subject), Some(&subject));
        let error = monitor.status(&subject).unwrap_err();
        assert_eq!((error.subject(), error.to_string()), (&subject, format!("the monitor has no {subject}")));
        assert!(monitor.read(&subject, Selection::none()).await.is_err());
    }
    assert_eq!(monitor.selection(&Subject::group("batch")), Ok(Selection::none()), "its only member is disabled");
    let names: Vec<String> = monitor.subjects().map(ToString::to_string).collect();
    assert_eq!(
        names,
        [
            "component `process`",
            "component `database`",
            "group `liveness`",
            "group `readiness`",
            "group `startup`",
            "group `batch`",
            "overall"
        ]
    );
}

#[tokio::test]
async fn the_latest_result_of_every_subject_is_kept_with_its_age() {
    let app = Arc::new(App::default());
    let monitor = Monitor::new(Health::default(), Arc::clone(&app));
    assert!(monitor.latest(&Subject::group("batch")).unwrap().is_none());
    read(&monitor, &Subject::group("batch")).await;
    let batch = monitor.latest(&Subject::group("batch")).unwrap().expect("the batch run");
    assert_eq!(batch.selection(), Selection::none().with(2));
    assert!(monitor.latest(&Subject::component("database")).unwrap().is_none(), "the batch run did not cover it");
    read(&monitor, &Subject::Overall).await;
    let database = monitor.latest(&Subject::component("database")).unwrap().expect("the whole run covers it");
    assert!(database.generation() > batch.generation());
    assert_eq!(database.report().components.database.status, Status::Up);
    // A run with components excluded is nobody's latest result.
    monitor.read(&Subject::Overall, Selection::none().with(0)).await.unwrap();
    let overall = monitor.latest(&Subject::Overall).unwrap().unwrap();
    assert_eq!(overall.generation(), database.generation());
    assert!(overall.age() < Duration::from_secs(5));
}

#[tokio::test]
async fn hooks_may_use_the_monitor_and_begin_shutdown() {
    let slot: Arc<OnceLock<Monitor<Health>>> = Arc::default();
    let seen: Arc<Mutex<Vec<Option<Status>>>> = Arc::default();
    let (hook_slot, hook_seen) = (Arc::clone(&slot), Arc::clone(&seen));
    let monitor = Monitor::builder(Health::default(), App::default())
        .on_status_change(move |change| {
            let monitor = hook_slot.get().expect("set before any report");
            hook_seen.lock().unwrap().push(monitor.status(&change.subject).unwrap());
            if change.subject == Subject::Overall {
                monitor.begin_shutdown();
            }
        })
        .build()
        .unwrap();
    assert!(slot.set(monitor.clone()).is_ok());
    read(&monitor, &Subject::Overall).await;
    assert!(monitor.is_shutting_down(), "a hook began shutdown");
    let seen = seen.lock().unwrap();
    // Eight first statuses, then readiness, startup, batch and the whole
    // turning DOWN from within a hook.
    assert_eq!(seen.len(), 12, "{seen:?}");
    assert_eq!(seen.last(), Some(&Some(Status::Down)));
}

#[tokio::test]
async fn whoever_hears_of_a_change_finds_the_report_behind_it() {
    for every in [None, Some(Duration::from_millis(100))] {
        let slot: Arc<OnceLock<Monitor<Health>>> = Arc::default();
        let found: Arc<Mutex<Vec<Status>>> = Arc::default();
        let (hook_slot, hook_found) = (Arc::clone(&slot), Arc::clone(&found));
        let app = Arc::new(App::default());
        let mut builder = Monitor::builder(Health::default(), Arc::clone(&app)).on_status_change(move |change| {
            if change.subject == Subject::component("database") {
                let monitor = hook_slot.get().expect("set before any report");
                let latest = monitor.latest(&change.subject).unwrap().expect("a report behind the change");
                hook_found.lock().unwrap().push(latest.report().components.database.status);
            }
        });
        if let Some(every) = every {
            builder = builder.refresh_every(every);
        }
        let monitor = builder.build().unwrap();
        assert!(slot.set(monitor.clone()).is_ok());
        app.database.store(2, Ordering::SeqCst);
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while found.lock().unwrap().is_empty() {
            if every.is_none() {
                read(&monitor, &Subject::Overall).await;
            }
            assert!(std::time::Instant::now() < deadline, "no change heard");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(found.lock().unwrap()[0], Status::Down, "{every:?}: the report behind the change says DOWN too");
        monitor.begin_shutdown();
    }
}

#[tokio::test(start_paused = true)]
async fn shutdown_stops_the_background_refresh_and_reads_run_the_checks_again() {
    let app = Arc::new(App::default());
    let every = Duration::from_millis(100);
    let monitor = Monitor::builder(Health::default(), Arc::clone(&app)).refresh_every(every).build().unwrap();
    assert_eq!(monitor.refresh_interval(), Some(every));
    // On a paused clock: the runs take no time, and time moves only when
    // every task waits for it.
    tokio::time::sleep(Duration::from_millis(350)).await;
    let before = app.runs.load(Ordering::SeqCst);
    assert_eq!(before, 4, "the refresh ran at 0, 100, 200 and 300 ms");
    let reading = monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
    assert!(reading.age().is_some(), "a fresh background report answers reads");
    monitor.begin_shutdown();
    assert!(matches!(
        monitor.read(&Subject::group(group::READINESS), Selection::none()).await,
        Ok(reading) if reading.is_shutting_down() && reading.status() == Status::Down
    ));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.runs.load(Ordering::SeqCst), before, "no refresh after shutdown began");
    // Two intervals and the slowest timeout later the snapshot is stale:
    // reads of what keeps being measured run the checks.
    let reading = monitor.read(&Subject::group(group::LIVENESS), Selection::none()).await.unwrap();
    assert!(reading.age().is_none() && reading.snapshot().is_some(), "a stale snapshot does not answer");
    assert_eq!(app.runs.load(Ordering::SeqCst), before + 1);
}

#[tokio::test(start_paused = true)]
async fn a_monitor_dropped_stops_its_refresh() {
    let app = Arc::new(App::default());
    let monitor = Monitor::builder(Health::default(), Arc::clone(&app))
        .refresh_every(Duration::from_millis(100))
        .build()
        .unwrap();
    // On a paused clock: runs at 0 and 100 ms, then the refresh waits.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(app.runs.load(Ordering::SeqCst), 2);
    drop(monitor);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.runs.load(Ordering::SeqCst), 2, "no run after the monitor was dropped");
    assert_eq!(Arc::strong_count(&app), 1, "the refresh task let go of the state");
}

#[test]
fn configurations_that_cannot_work_are_refused() {
    let builder = || Monitor::builder(Health::default(), App::default());
    assert_eq!(
        builder().refresh_every(Duration::from_millis(10)).build().err(),
        Some(MonitorError::RefreshTooFrequent(Duration::from_millis(10)))
    );
    assert_eq!(
        builder().refresh_every(Duration::from_secs(1)).build().err(),
        Some(MonitorError::NoRuntime),
        "outside a runtime no refresh task can start"
    );
    assert_eq!(builder().disable("nope").build().err(), Some(MonitorError::UnknownComponent("nope".into())));
}

#[tokio::test]
async fn a_monitor_built_after_shutdown_began_starts_drained() {
    let handle = health_core::monitor::ShutdownHandle::new();
    handle.begin_shutdown();
    let monitor = Monitor::builder(Health::default(), App::default()).share_shutdown(handle).build().unwrap();
    assert_eq!(monitor.status(&Subject::group(group::READINESS)), Ok(Some(Status::Down)));
    let closed = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&closed);
    tokio::spawn(async move {
        let mut changes = monitor.subscribe();
        drop(monitor);
        // The monitor is gone: the subscription ends.
        if changes.next().await.is_none() {
            flag.store(true, Ordering::SeqCst);
        }
    })
    .await
    .unwrap();
    assert!(closed.load(Ordering::SeqCst));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reads_tell_every_change_once_in_one_order_to_hooks_and_subscribers() {
    let app = Arc::new(App::default());
    let heard: Arc<Mutex<Vec<StatusChange>>> = Arc::default();
    let hook = Arc::clone(&heard);
    let monitor = Monitor::builder(Health::default(), Arc::clone(&app))
        .on_status_change(move |change| hook.lock().unwrap().push(change.clone()))
        .build()
        .unwrap();
    let mut changes = monitor.subscribe();
    let subscriber = tokio::spawn(async move {
        let mut received = Vec::new();
        while let Some(change) = changes.next().await {
            received.push(change);
        }
        received
    });
    // The queue flaps while readers of every kind run concurrently, each flap
    // held until a few reads saw it. At most 4 changes per flap and 8 first
    // ones: fewer than the 64 a subscriber may fall behind, so nothing is
    // summed up and every change must arrive.
    let reads = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let subjects =
        [Subject::Overall, Subject::group("readiness"), Subject::group("batch"), Subject::component("queue")];
    let readers: Vec<_> = (0..8)
        .map(|reader| {
            let (monitor, subject) = (monitor.clone(), subjects[reader % subjects.len()].clone());
            let (reads, done) = (Arc::clone(&reads), Arc::clone(&done));
            tokio::spawn(async move {
                while !done.load(Ordering::SeqCst) {
                    monitor.read(&subject, Selection::none()).await.unwrap();
                    reads.fetch_add(1, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    for flap in 0..12 {
        app.queue.store(flap % 2, Ordering::SeqCst);
        let seen_from = reads.load(Ordering::SeqCst);
        while reads.load(Ordering::SeqCst) < seen_from + 16 {
            tokio::task::yield_now().await;
        }
    }
    done.store(true, Ordering::SeqCst);
    for reader in readers {
        reader.await.unwrap();
    }
    let finals: Vec<(Subject, Option<Status>)> =
        monitor.subjects().map(|subject| (subject.clone(), monitor.status(subject).unwrap())).collect();
    drop(monitor);
    let received = subscriber.await.unwrap();
    let heard = heard.lock().unwrap().clone();

    assert!(received.len() >= 8 + 4 * 11, "every flap is seen: {} changes", received.len());
    let sequences: Vec<u64> = received.iter().map(|change| change.sequence).collect();
    assert_eq!(sequences, (1..=received.len() as u64).collect::<Vec<_>>(), "each once, in order, none missing");
    assert_eq!(heard, received, "the hooks heard the same changes in the same order");
    for (subject, last) in finals {
        let mut previous = None;
        for change in received.iter().filter(|change| change.subject == subject) {
            assert_eq!(change.from, previous, "{subject}: each change starts where the last one ended");
            assert_ne!(Some(change.to), previous, "{subject}: a change changes something");
            previous = Some(change.to);
        }
        assert_eq!(previous, last, "{subject}: the last change told is the status now");
    }
}

#[health_check(timeout = "100ms")]
async fn lonely() {}

/// No check names liveness, nor the group `batch`.
#[derive(HealthReport, Default)]
struct WithoutLiveness {
    lonely: LonelyCheck,
}

#[tokio::test]
async fn a_group_without_components_is_up_from_the_start_and_others_wait_for_a_run() {
    let monitor = Monitor::new(WithoutLiveness::default(), ());
    assert_eq!(monitor.status(&Subject::group(group::LIVENESS)).unwrap(), Some(Status::Up));
    assert_eq!(monitor.watch(&Subject::group(group::LIVENESS)).unwrap().get(), Some(Status::Up));
    assert_eq!(monitor.status(&Subject::group(group::READINESS)).unwrap(), None);
    assert_eq!(monitor.status(&Subject::Overall).unwrap(), None);
    // Every component disabled: the whole is empty, and UP.
    let monitor = Monitor::builder(WithoutLiveness::default(), ()).disable("lonely").build().unwrap();
    assert_eq!(monitor.status(&Subject::Overall).unwrap(), Some(Status::Up));
    assert_eq!(monitor.status(&Subject::group(group::READINESS)).unwrap(), Some(Status::Up));
}

#[tokio::test(start_paused = true)]
async fn on_request_watched_subjects_are_refreshed_while_watched_and_only_they() {
    let app = Arc::new(App::default());
    let every = Duration::from_secs(2);
    let monitor = Monitor::builder(Health::default(), Arc::clone(&app)).refresh_watched_every(every).build().unwrap();
    let database = Subject::component("database");
    let mut watch = monitor.watch(&database).unwrap();
    // Nobody reads: the refresh gives the first status, then each change.
    let started = tokio::time::Instant::now();
    assert_eq!(watch.wait_for(|status| status.is_some()).await, Ok(Some(Status::Up)));
    assert_eq!(started.elapsed(), every, "after one interval");
    app.database.store(2, Ordering::SeqCst);
    watch.changed().await.unwrap();
    assert_eq!(watch.get_and_update(), Some(Status::Down));
    assert_eq!(started.elapsed(), every * 2);
    // Only the watched subject's checks ran: not the process check.
    assert_eq!(app.runs.load(Ordering::SeqCst), 0);
    assert_eq!(monitor.status(&Subject::group(group::LIVENESS)), Ok(None));

    // The last watch gone, the refresh stops.
    drop(watch);
    tokio::time::sleep(every * 5).await;
    app.database.store(0, Ordering::SeqCst);
    tokio::time::sleep(every * 5).await;
    assert_eq!(monitor.status(&database), Ok(Some(Status::Down)), "nothing ran since");

    // A new watch starts it again, for its own subject.
    let mut liveness = monitor.watch(&Subject::group(group::LIVENESS)).unwrap();
    assert_eq!(liveness.wait_for(|status| status.is_some()).await, Ok(Some(Status::Up)));
    assert_eq!(app.runs.load(Ordering::SeqCst), 1);
    assert_eq!(monitor.status(&database), Ok(Some(Status::Down)), "the database is not watched");
}

#[test]
fn a_watch_refresh_more_frequent_than_the_shortest_interval_is_refused() {
    let too_often = Duration::from_millis(10);
    let built = Monitor::builder(Health::default(), App::default()).refresh_watched_every(too_often).build();
    assert_eq!(built.err(), Some(MonitorError::RefreshTooFrequent(too_often)));
}
