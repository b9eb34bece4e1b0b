//! What a monitor refuses.

use std::fmt;
use std::time::Duration;

use super::Subject;
use crate::report::NameError;

/// Why a monitor could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MonitorError {
    /// A refresh interval under [`MIN_REFRESH`](super::MIN_REFRESH), which
    /// would keep the checks running all the time.
    RefreshTooFrequent(Duration),
    /// Background mode needs a Tokio runtime to run in.
    NoRuntime,
    /// [`disable`](super::MonitorBuilder::disable) names no component of the report.
    UnknownComponent(String),
    /// A metrics prefix that is not a Prometheus metric name's start: ASCII
    /// letters, digits, `_` and `:`, not starting with a digit.
    BadMetricsPrefix(String),
    /// A group named `all`, which the metrics give the whole report.
    MetricsGroupAll,
    /// A history deeper than [`MAX_DEPTH`](super::MAX_DEPTH).
    HistoryTooDeep(super::HistoryDepth),
    /// A group [`defined`](super::MonitorBuilder::group) with a name that is
    /// not a group name.
    BadGroupName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        error: NameError,
    },
    /// A group [`defined`](super::MonitorBuilder::group) with the name of a
    /// built-in group, of a group a check names, or of another defined group.
    GroupTaken(String),
    /// A group [`defined`](super::MonitorBuilder::group) without components:
    /// it would always be UP.
    EmptyGroup(String),
    /// A group [`defined`](super::MonitorBuilder::group) with a component
    /// the report does not have.
    UnknownMember {
        /// The group's name.
        group: String,
        /// The component it names.
        component: String,
    },
}

impl fmt::Display for MonitorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MonitorError::RefreshTooFrequent(every) => {
                write!(f, "a refresh interval of {every:?} is too short; the shortest is {:?}", super::MIN_REFRESH)
            }
            MonitorError::NoRuntime => f.write_str("background refresh needs to be started inside a Tokio runtime"),
            MonitorError::UnknownComponent(name) => write!(f, "the report has no component named `{name}` to disable"),
            MonitorError::BadMetricsPrefix(prefix) => write!(
                f,
                "the metrics prefix `{prefix}` must be ASCII letters, digits, `_` and `:`, not starting with a digit"
            ),
            MonitorError::HistoryTooDeep(depth) => write!(
                f,
                "a history of {} transitions and {} runs per subject is too deep; the deepest is {}",
                depth.transitions,
                depth.runs,
                super::MAX_DEPTH
            ),
            MonitorError::BadGroupName { name, error } => write!(f, "cannot define the group `{name}`: {error}"),
            MonitorError::GroupTaken(name) => write!(
                f,
                "cannot define the group `{name}`: a built-in group, a check or another definition already names it"
            ),
            MonitorError::EmptyGroup(name) => {
                write!(f, "cannot define the group `{name}` without components: it would always be UP")
            }
            MonitorError::UnknownMember { group, component } => {
                write!(f, "cannot define the group `{group}`: the report has no component named `{component}`")
            }
            MonitorError::MetricsGroupAll => {
                f.write_str("a group is named `all`, the metrics' name for the whole report: rename the group")
            }
        }
    }
}

impl std::error::Error for MonitorError {}

/// A subject the monitor does not have: an unknown group, or an unknown or
/// disabled component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSubject(Subject);

impl UnknownSubject {
    pub(crate) fn new(subject: Subject) -> Self {
        UnknownSubject(subject)
    }

    /// The subject asked for.
    pub fn subject(&self) -> &Subject {
        &self.0
    }
}

impl fmt::Display for UnknownSubject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the monitor has no {}", self.0)
    }
}

impl std::error::Error for UnknownSubject {}
