//! One report as a monitor keeps it: immutable, with when it was taken.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::report::{ComponentSet, Selection};
use crate::{Report, Status};

/// A report kept by a [`Monitor`](super::Monitor): which components ran, when
/// it was taken, and its generation, a number that grows with every run the
/// monitor starts (so a later generation is a newer report).
pub struct Snapshot<C> {
    report: Report<C>,
    selection: Selection,
    taken: Instant,
    generation: u64,
    /// What transports derive from the snapshot (rendered bodies, say), kept
    /// with it: one value of each type, however many transports read it.
    extensions: [OnceLock<Box<dyn Any + Send + Sync>>; EXTENSIONS],
}

/// How many types of extension a snapshot keeps.
const EXTENSIONS: usize = 4;

impl<C> Snapshot<C> {
    pub(crate) fn new(report: Report<C>, selection: Selection, generation: u64) -> Self {
        let extensions = std::array::from_fn(|_| OnceLock::new());
        Snapshot { report, selection, taken: Instant::now(), generation, extensions }
    }

    /// This snapshot, made anew of `report`.
    fn renew(&mut self, report: Report<C>, selection: Selection, generation: u64) {
        self.report = report;
        self.selection = selection;
        self.taken = Instant::now();
        self.generation = generation;
        for extension in &mut self.extensions {
            extension.take();
        }
    }

    /// The value of type `T` kept with this snapshot, made by `make` the first
    /// time it is asked for. A snapshot does not change, so what is derived
    /// from it once (a rendered body, an encoded message) serves every reader
    /// of it, without any lock. `None` if the snapshot already keeps values of
    /// four other types.
    ///
    /// ```
    /// # use health_core::monitor::{Monitor, Subject};
    /// # use health_core::report::Selection;
    /// # use health_core::{health_check, HealthReport};
    /// # #[health_check] async fn ping() {}
    /// # #[derive(HealthReport, Default)] struct Health { ping: PingCheck }
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// # let monitor = Monitor::new(Health::default(), ());
    /// # let reading = monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
    /// let snapshot = reading.snapshot().unwrap();
    /// struct Rendered(String);
    /// let body = snapshot.extension(|| Rendered(format!("{:?}", snapshot.report().status)));
    /// assert_eq!(body.map(|body| body.0.as_str()), Some("Up"));
    /// # }
    /// ```
    pub fn extension<T: Any + Send + Sync>(&self, make: impl FnOnce() -> T) -> Option<&T> {
        let mut make = Some(make);
        for slot in &self.extensions {
            // Another type may take an empty slot first: then `make` is not
            // called, stays here, and the next slots are looked at.
            let value = slot.get_or_init(|| match make.take() {
                Some(make) => Box::new(make()),
                // Called only if `make` was, and then this returned already.
                None => Box::new(()),
            });
            if let Some(value) = value.downcast_ref::<T>() {
                return Some(value);
            }
        }
        None
    }

    /// The report. Only the components of [`selection`](Self::selection) ran;
    /// the others hold placeholders.
    pub fn report(&self) -> &Report<C> {
        &self.report
    }

    /// The components that ran.
    pub fn selection(&self) -> Selection {
        self.selection
    }

    /// How long ago the report completed.
    pub fn age(&self) -> Duration {
        self.taken.elapsed()
    }

    /// The run's place in the monitor's order of runs.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

impl<C: ComponentSet> Snapshot<C> {
    /// The status of `selection`'s components in this report: by criticality,
    /// or, for a single component (`single`), its own status.
    pub(crate) fn status(&self, selection: Selection, single: bool) -> Status {
        status_of(&self.report.components, selection, single)
    }
}

impl<C> fmt::Debug for Snapshot<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("status", &self.report.status)
            .field("selection", &self.selection)
            .field("age", &self.age())
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

/// The status of `selection`'s components, by criticality; a single component
/// counts as critical, so that it is DOWN when it is.
pub(crate) fn status_of<C: ComponentSet>(components: &C, selection: Selection, single: bool) -> Status {
    struct Aggregate {
        single: bool,
        status: Status,
    }
    impl crate::report::ComponentVisitor for Aggregate {
        fn component<T: serde::Serialize>(&mut self, _: usize, _: &str, component: &crate::Component<T>) {
            self.status = self.status.combine(component.status, component.critical || self.single);
        }
    }
    let mut aggregate = Aggregate { single, status: Status::Up };
    components.visit_selected(selection, &mut aggregate);
    aggregate.status
}

/// The latest snapshot of one subject.
pub(crate) struct Slot<C> {
    latest: Mutex<Option<Arc<Snapshot<C>>>>,
}

impl<C> Default for Slot<C> {
    fn default() -> Self {
        Slot { latest: Mutex::new(None) }
    }
}

impl<C> Slot<C> {
    /// Keeps the snapshot of `report` unless a newer one is kept, and returns
    /// it shared. The allocation of the one it replaces is reused when nobody
    /// holds it any more, the report written into it directly, so that steady
    /// on-request traffic allocates nothing here and moves the report once.
    pub(crate) fn store(&self, report: Report<C>, selection: Selection, generation: u64) -> Arc<Snapshot<C>> {
        let mut latest = self.latest.lock().unwrap_or_else(PoisonError::into_inner);
        match latest.as_mut() {
            Some(kept) if kept.generation > generation => Arc::new(Snapshot::new(report, selection, generation)),
            Some(kept) => {
                match Arc::get_mut(kept) {
                    Some(reusable) => reusable.renew(report, selection, generation),
                    None => *kept = Arc::new(Snapshot::new(report, selection, generation)),
                }
                Arc::clone(kept)
            }
            None => Arc::clone(latest.insert(Arc::new(Snapshot::new(report, selection, generation)))),
        }
    }

    pub(crate) fn get(&self) -> Option<Arc<Snapshot<C>>> {
        self.latest.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Selection;

    fn snapshot() -> Snapshot<()> {
        Snapshot::new(Report::new(Status::Up, std::time::SystemTime::now(), Duration::ZERO, ()), Selection::none(), 1)
    }

    #[test]
    fn extensions_keep_one_value_of_each_type() {
        let snapshot = snapshot();
        assert_eq!(snapshot.extension(|| 7u8), Some(&7));
        assert_eq!(snapshot.extension(|| 9u8), Some(&7), "made once");
        assert_eq!(snapshot.extension(|| "text"), Some(&"text"));
        assert_eq!(snapshot.extension(|| 3u16), Some(&3));
        assert_eq!(snapshot.extension(|| 4u32), Some(&4));
        assert_eq!(snapshot.extension(|| 5u64), None, "a fifth type finds no room");
        assert_eq!(snapshot.extension(|| 0u8), Some(&7));
    }
}
