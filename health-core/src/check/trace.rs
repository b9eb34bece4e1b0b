//! Spans of background runs, when a monitor is asked for them
//! ([`MonitorBuilder::trace_refreshes`](crate::monitor::MonitorBuilder::trace_refreshes)):
//! a `health.check` span around each check's run, a child of the refresh's
//! `health.refresh` span, with the run's status and duration recorded as it
//! ends.
//!
//! Off, the default, a run carries an empty slot: no span is made, nothing
//! is allocated, and a poll costs one branch.

use std::task::Poll;

use tracing::Span;
use tracing::field::Empty;

use crate::Component;
use crate::report::ComponentInfo;

/// The target of every span of a traced refresh, for filters:
/// `health_core::refresh=info`.
pub(crate) const TARGET: &str = "health_core::refresh";

/// The span of one check's run, if its report is traced. Boxed: a run that
/// is not traced, the common case, keeps one word for it.
#[derive(Debug, Default)]
pub(crate) struct RunSpan(Option<Box<Span>>);

impl RunSpan {
    /// No span: the run is not traced.
    pub(crate) const OFF: Self = RunSpan(None);

    /// The span of a run of `component`, a child of the current span: the
    /// refresh's, as its report's runs start inside it.
    #[cold]
    pub(crate) fn open(component: &ComponentInfo) -> Self {
        let span = tracing::info_span!(
            target: TARGET,
            "health.check",
            component = component.name(),
            critical = component.is_critical(),
            status = Empty,
            duration_ms = Empty,
            attempts = Empty,
        );
        RunSpan(Some(Box::new(span)))
    }

    /// The span, leaving none in its place.
    #[inline]
    pub(crate) fn take(&mut self) -> RunSpan {
        RunSpan(self.0.take())
    }

    /// Whether there is no span.
    #[inline]
    pub(crate) fn is_off(&self) -> bool {
        self.0.is_none()
    }

    /// `poll` inside the span, its result recorded on the span once ready.
    /// Returns the poll, and the span unless the run ended.
    pub(crate) fn poll<T>(self, poll: impl FnOnce() -> Poll<Component<T>>) -> (Poll<Component<T>>, RunSpan) {
        let Some(span) = self.0 else { return (poll(), RunSpan::OFF) };
        let polled = span.in_scope(poll);
        match &polled {
            Poll::Ready(component) => {
                record(&span, component);
                (polled, RunSpan::OFF)
            }
            Poll::Pending => (polled, RunSpan(Some(span))),
        }
    }
}

/// Records how `component`'s run ended on `span`.
fn record<T>(span: &Span, component: &Component<T>) {
    span.record("status", component.status.as_str());
    span.record("duration_ms", milliseconds(component.duration));
    span.record("attempts", component.attempts);
}

/// `duration` in milliseconds, with its fraction: what trace viewers chart.
pub(crate) fn milliseconds(duration: std::time::Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
