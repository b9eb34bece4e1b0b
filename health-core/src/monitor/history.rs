//! A bounded history of every subject: its status transitions and its run
//! durations, for pages and anything else that shows how health evolved.
//!
//! Memory is bounded whatever the traffic: each subject keeps at most
//! [`HistoryDepth::transitions`] transitions, with messages cut to
//! [`MESSAGE_LIMIT`] bytes, and [`HistoryDepth::runs`] runs. The runs' rings
//! are allocated once, when the monitor is built, so that recording a run
//! allocates nothing; transitions allocate their message, as changes do.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::Status;

/// The longest message a transition keeps, in bytes; longer ones are cut at
/// a character boundary and end with `…`.
pub const MESSAGE_LIMIT: usize = 256;

/// The deepest history a subject may keep, of transitions and of runs alike.
pub const MAX_DEPTH: usize = 10_000;

/// How much history a monitor keeps per subject (each component, each group,
/// the whole): by default the last 100 transitions and the last 300 runs.
///
/// ```
/// use health_core::monitor::HistoryDepth;
///
/// let depth = HistoryDepth::default();
/// assert_eq!((depth.transitions, depth.runs), (100, 300));
/// assert_eq!(HistoryDepth::new(10, 60).runs, 60);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryDepth {
    /// How many status transitions each subject keeps.
    pub transitions: usize,
    /// How many runs (durations and statuses) each subject keeps.
    pub runs: usize,
}

impl HistoryDepth {
    /// Keeps `transitions` transitions and `runs` runs per subject; zero
    /// keeps none, more than [`MAX_DEPTH`] is refused when the monitor is built.
    pub const fn new(transitions: usize, runs: usize) -> Self {
        HistoryDepth { transitions, runs }
    }

    /// Whether neither depth exceeds [`MAX_DEPTH`].
    pub(crate) fn is_bounded(self) -> bool {
        self.transitions <= MAX_DEPTH && self.runs <= MAX_DEPTH
    }
}

impl Default for HistoryDepth {
    fn default() -> Self {
        HistoryDepth::new(100, 300)
    }
}

/// A change of a subject's status, as its history keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Transition {
    /// When the monitor recorded it.
    pub at: SystemTime,
    /// The status before; `None` for the first status seen.
    pub from: Option<Status>,
    /// The status from then on.
    pub to: Status,
    /// Why: a component's message (secrets redacted, cut to
    /// [`MESSAGE_LIMIT`] bytes), or for a group and the whole, which of
    /// their components are not UP.
    pub message: Option<Arc<str>>,
    /// Its place in the monitor's order of changes (as
    /// [`StatusChange::sequence`](super::StatusChange::sequence)).
    pub sequence: u64,
}

/// One run of a subject, as its history keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RunSample {
    /// When the report it belongs to started, to the millisecond.
    pub at: SystemTime,
    /// How long it took, to the microsecond: for a group or the whole, its
    /// slowest component (components run concurrently).
    pub duration: Duration,
    /// What the run found, before thresholds: for a group or the whole, its
    /// components' findings weighed by criticality.
    pub status: Status,
}

/// A subject's history, in the order it was recorded (runs of concurrent
/// reads in the order they finished): from
/// [`Monitor::history`](super::Monitor::history).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct History {
    /// Its latest status transitions.
    pub transitions: Vec<Transition>,
    /// Its latest runs. Results reused from a cache are not runs.
    pub runs: Vec<RunSample>,
}

/// A run as kept: 16 bytes.
#[derive(Debug, Clone, Copy)]
struct Sample {
    at_millis: u64,
    micros: u32,
    status: Status,
}

/// A duration as runs keep it: microseconds, saturating at 71 minutes.
pub(crate) fn micros(duration: Duration) -> u32 {
    u32::try_from(duration.as_micros()).unwrap_or(u32::MAX)
}

impl Sample {
    fn duration(self) -> Duration {
        Duration::from_micros(self.micros.into())
    }

    fn run(self) -> RunSample {
        RunSample {
            at: UNIX_EPOCH + Duration::from_millis(self.at_millis),
            duration: self.duration(),
            status: self.status,
        }
    }
}

/// One subject's rings.
#[derive(Debug)]
struct Track {
    transitions: VecDeque<Transition>,
    runs: Ring,
}

/// The latest runs of one subject: a ring of fixed size, allocated once, so
/// that keeping a run is a write and an increment.
#[derive(Debug)]
struct Ring {
    samples: Box<[Sample]>,
    /// Where the next run goes.
    next: usize,
    /// How many are kept, up to the ring's size.
    len: usize,
}

impl Ring {
    fn new(depth: usize) -> Self {
        let empty = Sample { at_millis: 0, micros: 0, status: Status::Up };
        Ring { samples: vec![empty; depth].into_boxed_slice(), next: 0, len: 0 }
    }

    #[inline]
    fn push(&mut self, sample: Sample) {
        let Some(slot) = self.samples.get_mut(self.next) else { return };
        *slot = sample;
        self.next = if self.next + 1 == self.samples.len() { 0 } else { self.next + 1 };
        self.len = (self.len + 1).min(self.samples.len());
    }

    /// The runs kept, oldest first.
    fn iter(&self) -> impl Iterator<Item = &Sample> {
        let start = if self.len < self.samples.len() { 0 } else { self.next };
        self.samples[start..].iter().chain(&self.samples[..start]).take(self.len)
    }
}

/// Every subject's history, by position.
#[derive(Debug)]
pub(crate) struct Histories {
    depth: HistoryDepth,
    tracks: Mutex<Vec<Track>>,
}

impl Histories {
    pub(crate) fn new(positions: usize, depth: HistoryDepth) -> Self {
        let tracks =
            (0..positions).map(|_| Track { transitions: VecDeque::new(), runs: Ring::new(depth.runs) }).collect();
        Histories { depth, tracks: Mutex::new(tracks) }
    }

    fn tracks(&self) -> MutexGuard<'_, Vec<Track>> {
        self.tracks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `transition` as the latest of the subject at `position`; its
    /// message made by [`message`].
    pub(crate) fn transition(&self, position: usize, transition: Transition) {
        if self.depth.transitions == 0 {
            return;
        }
        if let Some(track) = self.tracks().get_mut(position) {
            push(&mut track.transitions, self.depth.transitions, transition);
        }
    }

    /// The runs of one report started `at`, to be kept as they are visited:
    /// `None` when no run is kept. Holds the history's lock until dropped.
    pub(crate) fn recording(&self, at: SystemTime) -> Option<Recording<'_>> {
        (self.depth.runs > 0).then(|| Recording {
            tracks: self.tracks(),
            at_millis: at.duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis() as u64),
        })
    }

    /// A copy of the transitions at `position`.
    pub(crate) fn transitions(&self, position: usize) -> Vec<Transition> {
        let tracks = self.tracks();
        tracks.get(position).map_or_else(Vec::new, |track| track.transitions.iter().cloned().collect())
    }

    /// A copy of the history at `position`.
    pub(crate) fn get(&self, position: usize) -> History {
        let tracks = self.tracks();
        let Some(track) = tracks.get(position) else { return History::default() };
        History {
            transitions: track.transitions.iter().cloned().collect(),
            runs: track.runs.iter().map(|sample| sample.run()).collect(),
        }
    }
}

/// The runs of one report being kept: no allocation, the rings being
/// full-sized from the start.
pub(crate) struct Recording<'a> {
    tracks: MutexGuard<'a, Vec<Track>>,
    at_millis: u64,
}

impl Recording<'_> {
    /// Keeps a run of `micros` (see [`micros`]) that found `status` as the
    /// latest of the subject at `position`.
    pub(crate) fn push(&mut self, position: usize, micros: u32, status: Status) {
        if let Some(track) = self.tracks.get_mut(position) {
            track.runs.push(Sample { at_millis: self.at_millis, micros, status });
        }
    }
}

/// Pushes `item`, dropping the oldest once `depth` are kept.
fn push<T>(ring: &mut VecDeque<T>, depth: usize, item: T) {
    if ring.len() >= depth {
        ring.pop_front();
    }
    ring.push_back(item);
}

/// A transition's message: `text`, cut to [`MESSAGE_LIMIT`] bytes (`…`
/// included) when longer; one allocation.
pub(crate) fn message(text: &str) -> Arc<str> {
    if text.len() <= MESSAGE_LIMIT {
        return Arc::from(text);
    }
    let mut end = MESSAGE_LIMIT - '…'.len_utf8();
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Arc::from(format!("{}…", &text[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transition(sequence: u64, message: Option<&str>) -> Transition {
        Transition { at: SystemTime::now(), from: None, to: Status::Up, message: message.map(super::message), sequence }
    }

    #[test]
    fn rings_keep_the_latest_up_to_their_depth() {
        let histories = Histories::new(2, HistoryDepth::new(3, 4));
        for sequence in 1..=5 {
            histories.transition(1, transition(sequence, None));
        }
        for millis in 0..10u64 {
            let mut recording = histories.recording(UNIX_EPOCH + Duration::from_millis(millis)).unwrap();
            recording.push(1, millis as u32, Status::Down);
        }
        let history = histories.get(1);
        assert_eq!(history.transitions.iter().map(|t| t.sequence).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(history.runs.iter().map(|run| run.duration.as_micros()).collect::<Vec<_>>(), [6, 7, 8, 9]);
        assert_eq!(history.runs[0].at, UNIX_EPOCH + Duration::from_millis(6));
        assert_eq!(histories.get(0), History::default(), "other subjects keep their own");
        assert_eq!(histories.get(7), History::default(), "no such position");
    }

    #[test]
    fn zero_depth_keeps_nothing() {
        let histories = Histories::new(1, HistoryDepth::new(0, 0));
        histories.transition(0, transition(1, Some("gone")));
        assert!(histories.recording(SystemTime::now()).is_none());
        assert_eq!(histories.get(0), History::default());
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let histories = Histories::new(1, HistoryDepth::default());
        let long = "é".repeat(MESSAGE_LIMIT);
        histories.transition(0, transition(1, Some(&long)));
        let kept = histories.get(0).transitions[0].message.clone().unwrap();
        assert!(kept.len() <= MESSAGE_LIMIT, "{} bytes", kept.len());
        assert!(kept.ends_with('…') && kept.starts_with("éé"));
        histories.transition(0, transition(2, Some("short")));
        assert_eq!(histories.get(0).transitions[1].message.as_deref(), Some("short"));
    }

    #[test]
    fn durations_saturate_instead_of_wrapping() {
        assert_eq!(micros(Duration::from_secs(7_200)), u32::MAX);
        assert_eq!(micros(Duration::from_micros(1_500)), 1_500);
    }
}
