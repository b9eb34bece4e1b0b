//! Coalescing: one run of a component in flight, shared by every read that
//! needs it meanwhile.
//!
//! A monitor keeps one [`Flight`] per component. A read that finds no run of
//! the component under way starts one and *leads* it; a read that arrives
//! while it runs *joins* it and is given a copy of its result. Each joiner
//! waits no longer than its own deadline. If the leader is dropped before its
//! run completes (its request was cancelled), the run is cancelled with it and
//! one of the joiners starts a new run, which the others join: no reader is
//! left without a result, and dropping every reader cancels the run. A panic
//! in the run is the run's result, DOWN, for every reader.
//!
//! Only runs in flight are shared: a result is never kept for readers that
//! arrive after it (that is what a cache does), so an answer comes from a run
//! that started at most one timeout before the read.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use tokio::time::Instant;

use crate::Component;
use crate::component::Ending;
use crate::run::{Plan, waited};

/// The runs of one component: whether one is in flight, who waits for it,
/// and the latest result shared with joiners.
#[derive(Default)]
pub struct Flight {
    board: Mutex<Board>,
    /// Woken when a run lands or is abandoned.
    landed: Notify,
}

#[derive(Default)]
struct Board {
    /// The number of the latest run started.
    runs: u64,
    /// Whether run `runs` is under way.
    flying: bool,
    /// Readers waiting for run `runs`.
    waiting: u32,
    /// The latest result shared with joiners, until each has taken it.
    shared: Option<Shared>,
}

/// A run's result as its joiners take it.
struct Shared {
    run: u64,
    /// A `Component<T>` of the component's details type.
    result: Arc<dyn Any + Send + Sync>,
    /// Joiners that have not taken it yet.
    untaken: u32,
}

/// What a reader does: lead a new run, wait for the one in flight, or take
/// the result of the run it waited for.
enum Role<'f> {
    Lead(u64),
    Wait(u64, Notified<'f>),
    Take(Arc<dyn Any + Send + Sync>),
}

impl Flight {
    fn board(&self) -> MutexGuard<'_, Board> {
        // Nothing panics while it is held: no user code runs under it.
        self.board.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The role of a reader that waited for run `waited` (`None`: a reader
    /// that just arrived).
    fn role(&self, waited: Option<u64>) -> Role<'_> {
        let mut board = self.board();
        if let (Some(waited), Some(shared)) = (waited, &mut board.shared)
            && shared.run >= waited
        {
            // The run waited for, or a newer one, landed.
            let result = Arc::clone(&shared.result);
            shared.untaken = shared.untaken.saturating_sub(1);
            if shared.untaken == 0 {
                board.shared = None;
            }
            return Role::Take(result);
        }
        if board.flying {
            board.waiting += 1;
            // Created under the lock: a landing after it is not missed.
            return Role::Wait(board.runs, self.landed.notified());
        }
        board.flying = true;
        board.runs += 1;
        Role::Lead(board.runs)
    }

    /// Gives up waiting for run `run`.
    fn leave(&self, run: u64) {
        let board = &mut *self.board();
        match &mut board.shared {
            Some(shared) if shared.run == run => {
                shared.untaken = shared.untaken.saturating_sub(1);
                if shared.untaken == 0 {
                    board.shared = None;
                }
            }
            _ if board.flying && board.runs == run => board.waiting = board.waiting.saturating_sub(1),
            _ => {}
        }
    }

    /// Ends run `run` with `result`: shared with its joiners, if any.
    fn land<T: Clone + Send + Sync + 'static>(&self, run: u64, result: &Component<T>) {
        let mut board = self.board();
        if board.waiting == 0 {
            board.flying = false;
            return;
        }
        drop(board);
        // The copy is made without the lock: cloning details is user code.
        let copy = catch_unwind(AssertUnwindSafe(|| shareable(result))).ok();
        let mut board = self.board();
        let untaken = std::mem::take(&mut board.waiting);
        board.flying = false;
        if let Some(copy) = copy {
            board.shared = Some(Shared { run, result: Arc::new(copy), untaken });
        }
        drop(board);
        // Without a copy, the joiners find none and run the check themselves.
        self.landed.notify_waiters();
    }

    /// Ends run `run` without a result: its leader was dropped.
    fn abandon(&self) {
        self.board().flying = false;
        self.landed.notify_waiters();
    }

    /// Runs the component as `start(plan)` does, unless a run of it is in
    /// flight: then waits for that run, until `plan`'s deadline at most.
    pub(crate) async fn run<'p, T, F>(&self, plan: Plan<'p>, start: impl Fn(Plan<'p>) -> F) -> Component<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = Component<T>>,
    {
        let mut waited_for = None;
        loop {
            match self.role(waited_for) {
                Role::Lead(run) => {
                    let leading = Leading { flight: self, run: Some(run) };
                    let result = start(plan).await;
                    leading.land(&result);
                    return result;
                }
                Role::Take(shared) => match shared.downcast_ref::<Component<T>>().map(joined) {
                    Some(Ok(result)) => return result,
                    // Not this component's type, or its details would not
                    // copy: run it instead.
                    _ => waited_for = None,
                },
                Role::Wait(run, notified) => {
                    let waiting = Waiting { flight: self, run: Some(run) };
                    if !waiting.until(notified, plan.deadline()).await {
                        return waited(plan);
                    }
                    waited_for = Some(run);
                }
            }
        }
    }
}

/// The copy of a run's result that joiners take: with the time its run
/// started, as a cached result has.
fn shareable<T: Clone>(result: &Component<T>) -> Component<T> {
    let mut copy = result.clone();
    let started = SystemTime::now().checked_sub(result.duration).unwrap_or_else(SystemTime::now);
    copy.ran_at.get_or_insert(started);
    copy
}

/// A joiner's copy of a shared result; `Err` if its details panicked as they
/// were copied.
fn joined<T: Clone>(shared: &Component<T>) -> Result<Component<T>, ()> {
    let mut copy = catch_unwind(AssertUnwindSafe(|| shared.clone())).map_err(drop)?;
    copy.ending = Ending::Joined;
    Ok(copy)
}

/// The leader of a run: abandons it if dropped before it lands.
struct Leading<'f> {
    flight: &'f Flight,
    run: Option<u64>,
}

impl Leading<'_> {
    fn land<T: Clone + Send + Sync + 'static>(mut self, result: &Component<T>) {
        if let Some(run) = self.run.take() {
            self.flight.land(run, result);
        }
    }
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        if self.run.is_some() {
            self.flight.abandon();
        }
    }
}

/// A joiner waiting for a run: leaves it if dropped before it lands.
struct Waiting<'f> {
    flight: &'f Flight,
    run: Option<u64>,
}

impl Waiting<'_> {
    /// Waits for the run to land or be abandoned; `false` if `deadline`
    /// passed first.
    async fn until(mut self, notified: Notified<'_>, deadline: Instant) -> bool {
        let woken = tokio::time::timeout_at(deadline, notified).await.is_ok();
        if woken {
            // Still counted among the run's takers, if it landed.
            self.run = None;
        }
        woken
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        if let Some(run) = self.run {
            self.flight.leave(run);
        }
    }
}

impl fmt::Debug for Flight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let board = self.board();
        f.debug_struct("Flight")
            .field("runs", &board.runs)
            .field("flying", &board.flying)
            .field("waiting", &board.waiting)
            .finish_non_exhaustive()
    }
}

/// The flights of a report's components, by position; none for a report run
/// outside a monitor, whose reads are not coalesced.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flights<'a>(Option<&'a [Flight]>);

impl<'a> Flights<'a> {
    /// No coalescing.
    pub const NONE: Flights<'static> = Flights(None);

    pub(crate) fn new(flights: &'a [Flight]) -> Self {
        Flights(Some(flights))
    }

    /// The flight of the component at `index`.
    #[inline]
    pub fn get(self, index: usize) -> Option<&'a Flight> {
        self.0.and_then(|flights| flights.get(index))
    }
}

pin_project_lite::pin_project! {
    /// A component's run: its own, for a report outside a monitor, or
    /// coalesced in its flight. Not an `async fn`: a report outside a
    /// monitor then polls its checks with no state machine between.
    #[project = RunInProj]
    pub enum RunIn<F, C> {
        /// The component's own run.
        Alone { #[pin] run: F },
        /// A run joined or led in the component's flight.
        Coalesced { #[pin] run: C },
    }
}

impl<T, F: Future<Output = Component<T>>, C: Future<Output = Component<T>>> Future for RunIn<F, C> {
    type Output = Component<T>;

    #[inline]
    fn poll(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Component<T>> {
        match self.project() {
            RunInProj::Alone { run } => run.poll(cx),
            RunInProj::Coalesced { run } => run.poll(cx),
        }
    }
}

/// Runs a component as `start(plan)` does, joining the run in `flight`, if any.
#[inline]
pub(crate) fn run_in<'p, 'f, T, F, S>(
    flight: Option<&'f Flight>,
    plan: Plan<'p>,
    start: S,
) -> RunIn<F, impl Future<Output = Component<T>> + use<'p, 'f, T, F, S>>
where
    T: Clone + Send + Sync + 'static,
    F: Future<Output = Component<T>>,
    S: Fn(Plan<'p>) -> F,
{
    match flight {
        Some(flight) => RunIn::Coalesced { run: flight.run(plan, start) },
        None => RunIn::Alone { run: start(plan) },
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;
    use crate::Status;
    use crate::run::Policy;

    #[tokio::test(start_paused = true)]
    async fn a_joiner_whose_deadline_passes_first_times_out_alone_and_the_run_goes_on() {
        let flight = Flight::default();
        let runs = AtomicUsize::new(0);
        let (long, short) = (Policy::new(Duration::from_secs(5), true), Policy::new(Duration::from_millis(100), true));
        let run = |_| async {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(1)).await;
            Component::new(Status::Up).with_details(7u32)
        };
        let now = Instant::now();
        let (leader, impatient, patient) = tokio::join!(
            flight.run(Plan::new(now, &long), run),
            flight.run(Plan::new(now, &short), run),
            flight.run(Plan::new(now, &long), run),
        );
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!((leader.status, leader.details, leader.ending), (Status::Up, Some(7), Ending::Completed));
        assert_eq!((impatient.status, impatient.ending), (Status::Down, Ending::Waited));
        assert_eq!(impatient.message.as_deref(), Some("timed out after 100ms"));
        assert_eq!((patient.status, patient.details, patient.ending), (Status::Up, Some(7), Ending::Joined));
        assert!(patient.ran_at.is_some(), "a joined result tells when its run started");
        let board = flight.board();
        assert!(!board.flying && board.waiting == 0 && board.shared.is_none(), "nothing kept once taken");
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_that_completes_before_anyone_joins_is_not_copied() {
        let flight = Flight::default();
        let policy = Policy::new(Duration::from_secs(1), false);
        let alone: Component<()> =
            flight.run(Plan::new(Instant::now(), &policy), |_| async { Component::new(Status::Up) }).await;
        assert_eq!(alone.ending, Ending::Completed);
        let board = flight.board();
        assert_eq!((board.runs, board.flying, board.shared.is_some()), (1, false, false));
    }
}
