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
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, ready};
use std::time::SystemTime;

use tokio::sync::Notify;
use tokio::sync::futures::Notified;
use tokio::time::Sleep;

use crate::Component;
use crate::check::run::{Plan, RunIn, waited};
use crate::check::trace::RunSpan;
use crate::report::ComponentInfo;
use crate::report::component::Ending;

/// The runs of one component: whether one is in flight, who waits for it,
/// and the latest result shared with joiners.
///
/// A run nobody joins, the common case, costs two atomic operations: one to
/// lead it, one to land it. Only readers that find a run under way take the
/// lock, and mark the run so that its leader lands it through the lock too.
#[derive(Default)]
pub(crate) struct Flight {
    /// [`IDLE`], [`FLYING`] or [`WATCHED`].
    state: AtomicU8,
    board: Mutex<Board>,
    /// Woken when a watched run lands or is abandoned.
    landed: Notify,
}

/// No run under way.
const IDLE: u8 = 0;
/// A run under way that nobody has joined: its leader lands it alone.
const FLYING: u8 = 1;
/// A run under way that readers know of, numbered on the board: its leader
/// lands it through the board, and tells them.
const WATCHED: u8 = 2;

#[derive(Default)]
struct Board {
    /// The number of the latest run watched.
    runs: u64,
    /// Readers waiting for run `runs`, while it is watched.
    waiting: u32,
    /// The latest result shared with joiners, until each has taken it.
    shared: Option<Shared>,
}

/// A run's result as its joiners take it.
struct Shared {
    run: u64,
    /// A `Component<T>` of the component's details type.
    result: SharedResult,
    /// Joiners that have not taken it yet.
    untaken: u32,
}

/// What a reader does: lead a new run, wait for the one in flight, or take
/// the result of the run it waited for.
enum Role<'f> {
    Lead,
    Wait(u64, Notified<'f>),
    Take(SharedResult),
}

impl Flight {
    fn board(&self) -> MutexGuard<'_, Board> {
        // Nothing panics while it is held: no user code runs under it.
        self.board.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The role of a reader that waited for run `waited` (`None`: a reader
    /// that just arrived).
    #[inline]
    fn role(&self, waited: Option<u64>) -> Role<'_> {
        if waited.is_none() && self.lead_alone() {
            return Role::Lead;
        }
        self.role_on_board(waited)
    }

    /// [`role`](Self::role), when a run is under way or was waited for.
    #[cold]
    fn role_on_board(&self, waited: Option<u64>) -> Role<'_> {
        let mut board = self.board();
        if let (Some(waited), Some(shared)) = (waited, &mut board.shared)
            && shared.run >= waited
        {
            // The run waited for, or a newer one, landed.
            let result = Arc::clone(&shared.result);
            // A newer run's result is taken without counting: this reader is
            // not among its joiners, who still need it.
            if shared.run == waited {
                shared.untaken = shared.untaken.saturating_sub(1);
                if shared.untaken == 0 {
                    board.shared = None;
                }
            }
            return Role::Take(result);
        }
        loop {
            match self.state.load(Ordering::Acquire) {
                IDLE if self.lead_alone() => return Role::Lead,
                // Its leader may land meanwhile, alone: then lead instead.
                FLYING if self.watch_flying() => {
                    board.runs += 1;
                    board.waiting = 1;
                    return Role::Wait(board.runs, self.landed.notified());
                }
                WATCHED => {
                    // Woken before its run landed (by the landing of the run
                    // before), it is already counted.
                    if waited != Some(board.runs) {
                        board.waiting += 1;
                    }
                    // Created under the lock: a landing after it is not missed.
                    return Role::Wait(board.runs, self.landed.notified());
                }
                _ => {}
            }
        }
    }

    /// Marks the run under way as known to readers, if its leader has not
    /// landed it meanwhile.
    fn watch_flying(&self) -> bool {
        self.state.compare_exchange(FLYING, WATCHED, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Whether no run is under way.
    #[cfg(test)]
    pub(crate) fn is_idle(&self) -> bool {
        self.state.load(Ordering::Acquire) == IDLE
    }

    /// Starts a run nobody has joined, if none is under way.
    #[inline]
    fn lead_alone(&self) -> bool {
        self.state.compare_exchange(IDLE, FLYING, Ordering::AcqRel, Ordering::Acquire).is_ok()
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
            _ if self.state.load(Ordering::Acquire) == WATCHED && board.runs == run => {
                board.waiting = board.waiting.saturating_sub(1);
            }
            _ => {}
        }
    }

    /// Ends the run under way; its joiners, if any, are given the result
    /// `copy` makes (`None`: none to give, and they run the check
    /// themselves). `copy` is called only if someone joined.
    #[inline]
    fn land(&self, copy: impl FnOnce() -> Option<SharedResult>) {
        if self.state.compare_exchange(FLYING, IDLE, Ordering::AcqRel, Ordering::Acquire).is_err() {
            self.land_watched(copy);
        }
    }

    /// [`land`](Self::land), when readers know of the run.
    #[cold]
    fn land_watched(&self, copy: impl FnOnce() -> Option<SharedResult>) {
        let board = self.board();
        if board.waiting == 0 {
            self.state.store(IDLE, Ordering::Release);
            return;
        }
        drop(board);
        // The copy is made without the lock: cloning details is user code.
        let copy = catch_unwind(AssertUnwindSafe(copy)).ok().flatten();
        let mut board = self.board();
        let untaken = std::mem::take(&mut board.waiting);
        if let Some(result) = copy {
            board.shared = Some(Shared { run: board.runs, result, untaken });
        }
        self.state.store(IDLE, Ordering::Release);
        drop(board);
        // Without a copy, the joiners find none and run the check themselves.
        self.landed.notify_waiters();
    }

    /// Ends the run under way without a result: its leader was dropped.
    fn abandon(&self) {
        if self.state.compare_exchange(FLYING, IDLE, Ordering::AcqRel, Ordering::Acquire).is_ok() {
            return;
        }
        let board = self.board();
        self.state.store(IDLE, Ordering::Release);
        drop(board);
        self.landed.notify_waiters();
    }
}

/// A run's result as its joiners find it: a `Component<T>` of the
/// component's details type.
pub(crate) type SharedResult = Arc<dyn Any + Send + Sync>;

/// The copy of a run's result that joiners take: with the time its run
/// started, as a cached result has.
pub(crate) fn shareable<T: Send + Sync + 'static>(mut copy: Component<T>) -> SharedResult {
    let started = SystemTime::now().checked_sub(copy.duration).unwrap_or_else(SystemTime::now);
    copy.ran_at.get_or_insert(started);
    Arc::new(copy)
}

/// A joiner's copy of a shared result; `None` if it is not of this
/// component's type, or its details panicked as they were copied.
pub(crate) fn joined<T: Clone + 'static>(shared: &(dyn Any + Send + Sync)) -> Option<Component<T>> {
    let shared = shared.downcast_ref::<Component<T>>()?;
    let mut copy = catch_unwind(AssertUnwindSafe(|| shared.clone())).ok()?;
    copy.ending = Ending::Joined;
    Some(copy)
}

impl fmt::Debug for Flight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state.load(Ordering::Acquire) {
            IDLE => "idle",
            FLYING => "flying",
            _ => "watched",
        };
        let board = self.board();
        f.debug_struct("Flight")
            .field("state", &state)
            .field("runs", &board.runs)
            .field("waiting", &board.waiting)
            .finish_non_exhaustive()
    }
}

/// The flights of a report's components, by position: what a monitor runs
/// its reports with. A report outside a monitor runs with [`Flights::NONE`]:
/// each of its runs is its own.
#[derive(Debug, Clone, Copy)]
pub struct Flights<'f> {
    flights: &'f [Flight],
    /// The components, when each run is traced in a span of its own.
    traced: Option<&'f [ComponentInfo]>,
}

impl Flights<'static> {
    /// No flights: every run is the report's own.
    pub const NONE: Self = Flights { flights: &[], traced: None };
}

impl<'f> Flights<'f> {
    pub(crate) fn new(flights: &'f [Flight]) -> Self {
        Flights { flights, traced: None }
    }

    /// `flights`, with a span for each run of one of `components`.
    pub(crate) fn traced(flights: &'f [Flight], components: &'f [ComponentInfo]) -> Self {
        Flights { flights, traced: Some(components) }
    }

    /// The flight of the component at `index`, if there are flights.
    #[inline]
    pub(crate) fn get(self, index: usize) -> Option<&'f Flight> {
        self.flights.get(index)
    }

    /// The span of a run of the component at `index`, if runs are traced.
    #[inline]
    pub(crate) fn span(self, index: usize) -> RunSpan {
        match self.traced.and_then(|components| components.get(index)) {
            None => RunSpan::OFF,
            Some(component) => RunSpan::open(component),
        }
    }
}

pin_project_lite::pin_project! {
    /// A component's run in its flight: led, joined, or waited for until
    /// the reader's deadline. Without a flight, the run is the reader's own.
    ///
    /// A plain state machine holding the reader's own run, polled only if it
    /// leads, beside a few words; the wait for another read's run, which only
    /// contention needs, lives on the heap. No type parameter but the run's:
    /// what is compiled per check is its poll, around the flight's
    /// protocol, which is not generic.
    pub struct Coalesced<'f, 'p, F> {
        #[pin]
        run: F,
        plan: Plan<'p>,
        // After the run: dropped after it, so that no other run starts while
        // this one still exists.
        seat: Seat<'f>,
        span: RunSpan,
    }
}

/// A reader's place in its flight. Dropped before its read ends (the read
/// was cancelled, or its run's drop panicked), it leaves the flight: a
/// leader abandons its run, so that a joiner starts another; a joiner stops
/// waiting.
pub(crate) struct Seat<'f> {
    flight: Option<&'f Flight>,
    stage: Stage<'f>,
}

impl<'f> Seat<'f> {
    /// A reader about to board `flight`, if any.
    #[inline]
    pub(crate) fn new(flight: Option<&'f Flight>) -> Self {
        Seat { flight, stage: Stage::Boarding { waited: None } }
    }

    /// A reader about to board `flight`.
    #[inline]
    pub(crate) fn on(flight: &'f Flight) -> Self {
        Seat::new(Some(flight))
    }

    /// Boards again, as a reader that just arrived: after a shared result
    /// it could not copy, to run the check itself.
    pub(crate) fn reboard(&mut self) {
        self.stage = Stage::Boarding { waited: None };
    }
}

/// Where a read stands.
enum Stage<'f> {
    /// About to lead, join or take a result: after the run it waited for, if
    /// any.
    Boarding {
        waited: Option<u64>,
    },
    /// Running its own run, for the flight if there is one.
    Leading,
    /// Waiting for run `run_no` of another read.
    Waiting {
        wait: Pin<Box<Wait<'f>>>,
        run_no: u64,
    },
    Done,
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        let Some(flight) = self.flight else { return };
        match self.stage {
            // Dropped before its run landed (the run was dropped just before):
            // its joiners are told, so that one of them starts another.
            Stage::Leading => flight.abandon(),
            Stage::Waiting { run_no, .. } => flight.leave(run_no),
            _ => {}
        }
    }
}

pin_project_lite::pin_project! {
    /// A wait for another read's run: its landing, or the reader's deadline.
    struct Wait<'f> {
        #[pin]
        landed: Notified<'f>,
        #[pin]
        deadline: Sleep,
    }
}

impl<'f, 'p, F> Coalesced<'f, 'p, F> {
    /// The read `run_in` says (without a flight: a run of its own) under
    /// `plan`, whose own run, if it leads, is `run`.
    #[inline]
    pub(crate) fn new(run_in: RunIn<'f>, plan: Plan<'p>, run: F) -> Self {
        Coalesced { run, plan, seat: Seat::new(run_in.flight), span: run_in.span }
    }
}

impl<'f, 'p, F, T> Future for Coalesced<'f, 'p, F>
where
    T: Clone + Send + Sync + 'static,
    F: Future<Output = Component<T>>,
{
    type Output = Component<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Component<T>> {
        let mut this = self.project();
        let span = this.span.take();
        if span.is_off() {
            return poll_read(this.run, this.plan, this.seat, cx);
        }
        let (polled, span) = span.poll(|| poll_read(this.run.as_mut(), this.plan, this.seat, cx));
        *this.span = span;
        polled
    }
}

/// One poll of a read: its turn in the flight, then its own run if it leads.
#[inline]
fn poll_read<F, T>(
    mut run: Pin<&mut F>,
    plan: &Plan<'_>,
    seat: &mut Seat<'_>,
    cx: &mut Context<'_>,
) -> Poll<Component<T>>
where
    T: Clone + Send + Sync + 'static,
    F: Future<Output = Component<T>>,
{
    loop {
        match ready!(seat.poll_turn(plan, cx)) {
            Turn::Lead => {
                let result = ready!(run.as_mut().poll(cx));
                seat.land(&result);
                return Poll::Ready(result);
            }
            Turn::Take(shared) => {
                if let Some(result) = joined::<T>(&*shared) {
                    return Poll::Ready(result);
                }
                // Not a result it can copy: it runs the check instead.
                seat.reboard();
            }
            Turn::Waited => return Poll::Ready(waited(*plan)),
        }
    }
}

/// What a reader does next: run its own run, copy a shared result, or answer
/// that its deadline passed while it waited.
pub(crate) enum Turn {
    Lead,
    Take(SharedResult),
    Waited,
}

impl<'f> Seat<'f> {
    /// The reader's next turn once it has one: everything of a read but its
    /// own run and its result's type, so compiled once for every check.
    pub(crate) fn poll_turn(&mut self, plan: &Plan<'_>, cx: &mut Context<'_>) -> Poll<Turn> {
        loop {
            match &mut self.stage {
                Stage::Leading => return Poll::Ready(Turn::Lead),
                Stage::Boarding { waited: after } => {
                    let after = *after;
                    let Some(flight) = self.flight else {
                        // No flight to share: the run is this read's own.
                        self.stage = Stage::Leading;
                        return Poll::Ready(Turn::Lead);
                    };
                    match flight.role(after) {
                        // A reader whose wait outlasted its deadline (its run
                        // abandoned) starts no run that could only time out.
                        Role::Lead if after.is_some() && tokio::time::Instant::now() >= plan.deadline() => {
                            flight.abandon();
                            self.stage = Stage::Done;
                            return Poll::Ready(Turn::Waited);
                        }
                        Role::Lead => self.stage = Stage::Leading,
                        Role::Take(shared) => {
                            self.stage = Stage::Done;
                            return Poll::Ready(Turn::Take(shared));
                        }
                        Role::Wait(run_no, landed) => {
                            let deadline = tokio::time::sleep_until(plan.deadline());
                            let wait = Box::pin(Wait { landed, deadline });
                            self.stage = Stage::Waiting { wait, run_no };
                        }
                    }
                }
                Stage::Waiting { wait, run_no } => {
                    let run_no = *run_no;
                    let wait = wait.as_mut().project();
                    if wait.landed.poll(cx).is_ready() {
                        // Still counted among the run's takers, if it landed.
                        self.stage = Stage::Boarding { waited: Some(run_no) };
                        continue;
                    }
                    ready!(wait.deadline.poll(cx));
                    if let Some(flight) = self.flight {
                        flight.leave(run_no);
                    }
                    self.stage = Stage::Done;
                    return Poll::Ready(Turn::Waited);
                }
                // Polled after it completed: it stays pending rather than panic.
                Stage::Done => return Poll::Pending,
            }
        }
    }

    /// Ends the reader's own run with `result`, shared with the flight's
    /// joiners, if any.
    #[inline]
    fn land<T: Clone + Send + Sync + 'static>(&mut self, result: &Component<T>) {
        self.land_with(|| Some(shareable(result.clone())));
    }

    /// Ends the reader's own run, its joiners given what `copy` makes.
    #[inline]
    pub(crate) fn land_with(&mut self, copy: impl FnOnce() -> Option<SharedResult>) {
        if let Some(flight) = self.flight {
            flight.land(copy);
        }
        self.stage = Stage::Done;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use super::*;
    use crate::Status;
    use crate::check::run::Policy;

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
        let now = tokio::time::Instant::now();
        let (leader, impatient, patient) = tokio::join!(
            Coalesced::new(RunIn::in_flight(&flight), Plan::new(now, &long), run(())),
            Coalesced::new(RunIn::in_flight(&flight), Plan::new(now, &short), run(())),
            Coalesced::new(RunIn::in_flight(&flight), Plan::new(now, &long), run(())),
        );
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!((leader.status, leader.details, leader.ending), (Status::Up, Some(7), Ending::Completed));
        assert_eq!((impatient.status, impatient.ending), (Status::Down, Ending::Waited));
        assert_eq!(impatient.message.as_deref(), Some("timed out after 100ms"));
        assert_eq!((patient.status, patient.details, patient.ending), (Status::Up, Some(7), Ending::Joined));
        assert!(patient.ran_at.is_some(), "a joined result tells when its run started");
        let board = flight.board();
        assert_eq!(flight.state.load(Ordering::Acquire), IDLE);
        assert!(board.waiting == 0 && board.shared.is_none(), "nothing kept once taken");
    }

    #[tokio::test(start_paused = true)]
    async fn a_run_that_completes_before_anyone_joins_is_not_copied() {
        let flight = Flight::default();
        let policy = Policy::new(Duration::from_secs(1), false);
        let run = |_| async { Component::new(Status::Up) };
        let alone: Component<()> =
            Coalesced::new(RunIn::in_flight(&flight), Plan::new(tokio::time::Instant::now(), &policy), run(())).await;
        assert_eq!(alone.ending, Ending::Completed);
        let board = flight.board();
        assert_eq!(flight.state.load(Ordering::Acquire), IDLE);
        assert_eq!((board.runs, board.shared.is_some()), (0, false), "the board was never needed");
    }

    /// Takes a run out of the count of runs in flight when dropped.
    struct OutOfFlight<'a>(&'a AtomicUsize);

    impl Drop for OutOfFlight<'_> {
        fn drop(&mut self) {
            self.0.fetch_sub(1, Ordering::SeqCst);
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn under_contention_and_cancellation_one_run_is_in_flight_and_every_reader_gets_a_result() {
        let flight = Arc::new(Flight::default());
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let runs = Arc::new(AtomicUsize::new(0));
        let policy: &'static Policy = Box::leak(Box::new(Policy::new(Duration::from_secs(5), false)));
        let readers: Vec<_> = (0..16)
            .map(|reader| {
                let (flight, in_flight, most, runs) =
                    (Arc::clone(&flight), Arc::clone(&in_flight), Arc::clone(&most), Arc::clone(&runs));
                tokio::spawn(async move {
                    let mut answered = 0;
                    for round in 0..1000u64 {
                        let run = |_| async {
                            let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                            // Out of flight when it ends, or is dropped midway.
                            let _ending = OutOfFlight(&in_flight);
                            most.fetch_max(now, Ordering::SeqCst);
                            let run = runs.fetch_add(1, Ordering::SeqCst) as u32;
                            for _ in 0..(round % 3) {
                                tokio::task::yield_now().await;
                            }
                            Component::new(Status::Up).with_details(run)
                        };
                        let read = Coalesced::new(
                            RunIn::in_flight(&flight),
                            Plan::new(tokio::time::Instant::now(), policy),
                            run(()),
                        );
                        // Some readers give up at once: leaders and joiners cancelled midway.
                        if (reader + round as usize).is_multiple_of(7) {
                            let _ = tokio::time::timeout(Duration::ZERO, read).await;
                            continue;
                        }
                        let result = read.await;
                        assert_eq!(result.status, Status::Up);
                        assert!(result.details.is_some());
                        answered += 1;
                    }
                    answered
                })
            })
            .collect();
        let mut answered = 0;
        for reader in readers {
            answered += reader.await.unwrap();
        }
        assert!(answered > 0);
        assert_eq!(most.load(Ordering::SeqCst), 1, "one run in flight at a time");
        assert_eq!(in_flight.load(Ordering::SeqCst), 0);
        assert_eq!(flight.state.load(Ordering::Acquire), IDLE, "nothing left in flight");
        assert!(flight.board().shared.is_none() && flight.board().waiting == 0, "nothing left waiting");
    }

    /// The number of the run a role waits for, if it waits.
    fn waits_for(role: Role<'_>) -> Option<u64> {
        match role {
            Role::Wait(run, _) => Some(run),
            _ => None,
        }
    }

    #[test]
    fn a_joiner_woken_early_is_counted_once_and_a_newer_result_is_left_to_its_joiners() {
        let flight = Flight::default();
        let up = Component::new(Status::Up).with_details(1u32);
        assert!(matches!(flight.role(None), Role::Lead));
        assert_eq!(waits_for(flight.role(None)), Some(1));
        flight.land(|| Some(shareable(up.clone())));
        // Run 2 is led and joined before run 1's joiner takes its result.
        assert!(matches!(flight.role(None), Role::Lead));
        assert_eq!(waits_for(flight.role(None)), Some(2));
        // That joiner of run 2 woken by run 1's landing: still waiting, counted once.
        assert_eq!(waits_for(flight.role(Some(2))), Some(2));
        assert_eq!(flight.board().waiting, 1);
        flight.land(|| Some(shareable(Component::new(Status::Down).with_details(2u32))));
        // Run 1's joiner, late, gets run 2's result without taking it from
        // run 2's joiner.
        let Role::Take(late) = flight.role(Some(1)) else { panic!("run 1's joiner takes a result") };
        assert_eq!(joined::<u32>(&*late).map(|result| result.details), Some(Some(2)));
        let Role::Take(own) = flight.role(Some(2)) else { panic!("run 2's joiner finds its result") };
        assert_eq!(joined::<u32>(&*own).map(|result| (result.status, result.details)), Some((Status::Down, Some(2))));
        assert!(flight.board().shared.is_none(), "nothing kept once its joiners took it");
    }

    #[tokio::test(start_paused = true)]
    async fn a_joiner_past_its_deadline_when_its_leader_is_dropped_starts_no_run() {
        let flight = Flight::default();
        let runs = AtomicUsize::new(0);
        let (long, short) = (Policy::new(Duration::from_secs(5), true), Policy::new(Duration::from_millis(100), true));
        let run = |_| async {
            runs.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(1)).await;
            Component::new(Status::Up)
        };
        let now = tokio::time::Instant::now();
        let mut leader = Box::pin(Coalesced::new(RunIn::in_flight(&flight), Plan::new(now, &long), run(())));
        let joiner = Coalesced::new(RunIn::in_flight(&flight), Plan::new(now, &short), run(()));
        let mut joiner = std::pin::pin!(joiner);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(leader.as_mut().poll(&mut cx).is_pending());
        assert!(joiner.as_mut().poll(&mut cx).is_pending(), "it joins the leader's run");
        tokio::time::advance(Duration::from_millis(200)).await;
        // The leader goes before the joiner sees its deadline pass.
        drop(leader);
        let Poll::Ready(result): Poll<Component<()>> = joiner.as_mut().poll(&mut cx) else {
            panic!("the joiner answers")
        };
        assert_eq!((result.status, result.ending), (Status::Down, Ending::Waited));
        assert_eq!(runs.load(Ordering::SeqCst), 1, "no run started past the deadline");
        assert_eq!(flight.state.load(Ordering::Acquire), IDLE);
    }

    /// Panics when dropped.
    struct PanicOnDrop;

    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("dropped");
        }
    }

    #[tokio::test]
    async fn a_run_that_panics_as_it_is_dropped_leaves_the_flight_idle() {
        let flight = Flight::default();
        let policy = Policy::new(Duration::from_secs(5), true);
        let run = |_| async {
            let _bomb = PanicOnDrop;
            std::future::pending::<Component<()>>().await
        };
        let mut leader = Box::pin(Coalesced::new(
            RunIn::in_flight(&flight),
            Plan::new(tokio::time::Instant::now(), &policy),
            run(()),
        ));
        assert!(leader.as_mut().poll(&mut Context::from_waker(std::task::Waker::noop())).is_pending());
        assert!(catch_unwind(AssertUnwindSafe(move || drop(leader))).is_err(), "its drop panics");
        assert_eq!(flight.state.load(Ordering::Acquire), IDLE, "the next read can lead a run");
    }
}
