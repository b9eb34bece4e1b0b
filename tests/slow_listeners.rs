//! Listeners cannot hold reports up: the monitor decides changes under its
//! lock and tells them after letting it go. A hook that blocks, a `tracing`
//! writer that blocks, or a watcher that sits on its watch across a slow
//! `.await` stalls no report of any other task; changes still arrive in
//! order, each once. A writer that panics stops no later change.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use health_core::monitor::{Monitor, StatusChanges, Subject};
use health_core::report::Selection;
use health_core::{HealthReport, Outcome, Status, health_check};

/// The status the check reports: 0 up, 1 degraded, 2 down.
#[derive(Default)]
struct Dependency(AtomicU8);

impl Dependency {
    fn set(&self, status: Status) {
        self.0.store(Status::ALL.iter().position(|each| *each == status).unwrap() as u8, Ordering::SeqCst);
    }
}

#[health_check(timeout = "1s", critical)]
async fn database(dependency: &Dependency) -> Outcome<()> {
    Outcome::status_only(Status::ALL[usize::from(dependency.0.load(Ordering::SeqCst))])
}

#[derive(HealthReport, Default)]
#[health(state = Dependency)]
struct Health {
    database: DatabaseCheck,
}

/// A gate a listener blocks on, on its own thread, until it is opened.
#[derive(Default)]
struct Gate {
    closed: Mutex<bool>,
    opened: Condvar,
    /// Set once a listener is blocked at it.
    blocked: AtomicBool,
}

impl Gate {
    fn close(&self) {
        *self.closed.lock().unwrap() = true;
    }

    fn open(&self) {
        *self.closed.lock().unwrap() = false;
        self.opened.notify_all();
    }

    /// Blocks the calling thread while the gate is closed.
    fn pass(&self) {
        let mut closed = self.closed.lock().unwrap();
        while *closed {
            self.blocked.store(true, Ordering::SeqCst);
            closed = self.opened.wait(closed).unwrap();
        }
    }
}

/// Reads the whole once, as a request on a task of its own would.
fn read(monitor: &Monitor<Health>) -> tokio::task::JoinHandle<Status> {
    let monitor = monitor.clone();
    tokio::spawn(async move { monitor.read(&Subject::Overall, Selection::none()).await.unwrap().status() })
}

/// Flips the dependency through `statuses`, one read each, each on a task of
/// its own; every read must complete within a second.
async fn flip(monitor: &Monitor<Health>, dependency: &Dependency, statuses: &[Status]) {
    for status in statuses {
        dependency.set(*status);
        let answered = tokio::time::timeout(Duration::from_secs(1), read(monitor)).await;
        assert_eq!(answered.expect("a read completes while a listener blocks").unwrap(), *status);
    }
}

/// The next `count` changes of `subject`: their numbers and statuses.
async fn changes_of(changes: &mut StatusChanges, subject: &Subject, count: usize) -> Vec<(u64, Status)> {
    let mut seen = Vec::new();
    while seen.len() < count {
        let change = tokio::time::timeout(Duration::from_secs(5), changes.next()).await.unwrap().unwrap();
        if &change.subject == subject {
            seen.push((change.sequence, change.to));
        }
    }
    seen
}

const FLIPS: [Status; 5] = [Status::Down, Status::Up, Status::Degraded, Status::Down, Status::Up];

/// The database's statuses: its first, then each flip.
const TOLD: [Status; 6] = [Status::Up, Status::Down, Status::Up, Status::Degraded, Status::Down, Status::Up];

/// One test at a time: the tracing test closes a gate every test's
/// `tracing` events pass.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hook_that_blocks_holds_up_no_other_read_and_hears_every_change_in_order() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let gate = Arc::new(Gate::default());
    let heard: Arc<Mutex<Vec<(u64, Status)>>> = Arc::default();
    let (hook_gate, hook_heard) = (Arc::clone(&gate), Arc::clone(&heard));
    let dependency = Arc::new(Dependency::default());
    let monitor = Monitor::builder(Health::default(), Arc::clone(&dependency))
        .on_status_change(move |change| {
            if change.subject == Subject::component("database") {
                hook_heard.lock().unwrap().push((change.sequence, change.to));
            }
            hook_gate.pass();
        })
        .build()
        .unwrap();
    let mut changes = monitor.subscribe();
    let mut watch = monitor.watch(&Subject::component("database")).unwrap();
    gate.close();
    // The first change's hook blocks the thread of the read that made it.
    let first = read(&monitor);
    while !gate.blocked.load(Ordering::SeqCst) {
        tokio::task::yield_now().await;
    }
    // Other reads complete, and watchers and subscribers are told at once.
    flip(&monitor, &dependency, &FLIPS).await;
    assert_eq!(watch.get_and_update(), Some(Status::Up));
    let told = changes_of(&mut changes, &Subject::component("database"), TOLD.len()).await;
    assert_eq!(told.iter().map(|(_, to)| *to).collect::<Vec<_>>(), TOLD);
    assert!(told.windows(2).all(|pair| pair[0].0 < pair[1].0), "in order: {told:?}");
    gate.open();
    assert_eq!(first.await.unwrap(), Status::Up);
    // Then the hook hears every change, in order, each once.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while heard.lock().unwrap().len() < told.len() {
        assert!(tokio::time::Instant::now() < deadline, "the hook hears the rest");
        tokio::task::yield_now().await;
    }
    assert_eq!(*heard.lock().unwrap(), told);
}

/// The gate the tracing writer blocks at; open unless a test closes it.
static WRITER_GATE: std::sync::LazyLock<Gate> = std::sync::LazyLock::new(Gate::default);

/// A `tracing` writer that blocks at [`WRITER_GATE`].
struct SlowWriter;

impl Write for SlowWriter {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        WRITER_GATE.pass();
        Ok(buffer.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tracing_writer_that_blocks_holds_up_no_other_read_and_changes_are_told_in_order_once() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let subscriber = tracing_subscriber::fmt().with_writer(|| SlowWriter).finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this test binary");
    let dependency = Arc::new(Dependency::default());
    let monitor = Monitor::new(Health::default(), Arc::clone(&dependency));
    let mut changes = monitor.subscribe();
    WRITER_GATE.close();
    let first = read(&monitor);
    while !WRITER_GATE.blocked.load(Ordering::SeqCst) {
        tokio::task::yield_now().await;
    }
    // The thread telling the first change is stuck in the writer: other
    // reads still complete, leaving their changes to it.
    flip(&monitor, &dependency, &FLIPS).await;
    WRITER_GATE.open();
    assert_eq!(first.await.unwrap(), Status::Up);
    // The first Up, then each flip, in order, each once.
    let told = changes_of(&mut changes, &Subject::component("database"), TOLD.len()).await;
    assert_eq!(told.iter().map(|(_, to)| *to).collect::<Vec<_>>(), TOLD);
    assert!(told.windows(2).all(|pair| pair[0].0 < pair[1].0), "in order: {told:?}");
    let more = tokio::time::timeout(Duration::from_millis(100), changes.next()).await;
    assert!(more.is_err() || more.unwrap().is_some_and(|change| change.subject != Subject::component("database")));
    assert_eq!(monitor.status(&Subject::component("database")), Ok(Some(Status::Up)));
}

#[tokio::test(flavor = "current_thread")]
async fn a_watcher_that_sits_on_its_watch_across_a_slow_await_holds_up_no_report() {
    let _alone = ONE_AT_A_TIME.lock().await;
    let dependency = Arc::new(Dependency::default());
    let monitor = Monitor::new(Health::default(), Arc::clone(&dependency));
    let mut watch = monitor.watch(&Subject::component("database")).unwrap();
    // On one thread, a watcher that kept a borrow of the value across this
    // sleep would stall every report that changes it, forever: a watch
    // hands out copies, so there is none to keep.
    let watcher = tokio::spawn(async move {
        let first = watch.get();
        tokio::time::sleep(Duration::from_millis(300)).await;
        (first, watch.get_and_update())
    });
    tokio::task::yield_now().await;
    flip(&monitor, &dependency, &FLIPS).await;
    assert_eq!(watcher.await.unwrap(), (None, Some(Status::Up)));
}

/// Set until a [`PanickyWriter`] has panicked once.
static PANIC_ONCE: AtomicBool = AtomicBool::new(true);

/// A `tracing` writer that panics at its first write.
struct PanickyWriter;

impl Write for PanickyWriter {
    fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
        if PANIC_ONCE.swap(false, Ordering::SeqCst) {
            panic!("the writer fails");
        }
        Ok(buffer.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_tracing_writer_that_panics_stops_no_later_change_from_being_told() {
    let _alone = ONE_AT_A_TIME.lock().await;
    // This thread's only: every task of this runtime runs on it.
    let _subscriber =
        tracing::subscriber::set_default(tracing_subscriber::fmt().with_writer(|| PanickyWriter).finish());
    let dependency = Arc::new(Dependency::default());
    let monitor = Monitor::new(Health::default(), Arc::clone(&dependency));
    let mut watch = monitor.watch(&Subject::component("database")).unwrap();
    // The event of the first change panics in the read that tells it.
    assert!(read(&monitor).await.unwrap_err().is_panic());
    assert!(!PANIC_ONCE.load(Ordering::SeqCst), "the writer panicked");
    assert_eq!(watch.get_and_update(), Some(Status::Up), "told before the writer was called");
    dependency.set(Status::Down);
    assert_eq!(read(&monitor).await.unwrap(), Status::Down);
    assert_eq!(watch.get_and_update(), Some(Status::Down), "later changes are still told");
    assert_eq!(monitor.history(&Subject::component("database")).unwrap().transitions.len(), 2);
}
