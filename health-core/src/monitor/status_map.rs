//! What each health status is answered with on a transport, for every
//! subject: one type for HTTP status codes and gRPC serving statuses.

#[cfg(any(feature = "http", feature = "grpc"))]
use std::fmt;

#[cfg(any(feature = "http", feature = "grpc"))]
use super::{Catalog, Subject, Target};
use crate::Status;

/// What UP, DEGRADED and DOWN are answered with on one transport: an HTTP
/// status code (`StatusMap<http::StatusCode>`, default 200, 200, 503) or a
/// gRPC serving status (`StatusMap<grpc::ServingStatus>`, default `SERVING`,
/// `SERVING`, `NOT_SERVING`). The HTTP and gRPC services take one for every
/// subject, and one of its own for any subject: the whole, a group, a
/// component.
///
/// ```
/// use health_core::monitor::StatusMap;
/// use health_core::Status;
///
/// let consul = StatusMap::new(200, 429, 503);
/// assert_eq!(consul.of(Status::Degraded), 429);
/// assert_eq!(consul.down(500).of(Status::Down), 500);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusMap<T> {
    up: T,
    degraded: T,
    down: T,
}

impl<T: Copy> StatusMap<T> {
    /// Answers UP with `up`, DEGRADED with `degraded` and DOWN with `down`.
    pub const fn new(up: T, degraded: T, down: T) -> Self {
        StatusMap { up, degraded, down }
    }

    /// Answers UP with `answer`.
    #[must_use]
    pub fn up(mut self, answer: T) -> Self {
        self.up = answer;
        self
    }

    /// Answers DEGRADED with `answer`.
    #[must_use]
    pub fn degraded(mut self, answer: T) -> Self {
        self.degraded = answer;
        self
    }

    /// Answers DOWN with `answer`.
    #[must_use]
    pub fn down(mut self, answer: T) -> Self {
        self.down = answer;
        self
    }

    /// The answer to `status`.
    pub fn of(&self, status: Status) -> T {
        match status {
            Status::Up => self.up,
            Status::Degraded => self.degraded,
            Status::Down => self.down,
        }
    }
}

/// A transport's maps as configured: one for every subject, and those of
/// particular subjects, the latest for a subject winning.
#[cfg(any(feature = "http", feature = "grpc"))]
#[derive(Clone)]
pub(crate) struct StatusMaps<T> {
    every: StatusMap<T>,
    own: Vec<(Subject, StatusMap<T>)>,
}

#[cfg(any(feature = "http", feature = "grpc"))]
impl<T: Copy + fmt::Debug> StatusMaps<T> {
    pub(crate) fn new(every: StatusMap<T>) -> Self {
        StatusMaps { every, own: Vec::new() }
    }

    /// The map of every subject without one of its own.
    pub(crate) fn set_every(&mut self, map: StatusMap<T>) {
        self.every = map;
    }

    /// The map of `subject`.
    pub(crate) fn set(&mut self, subject: Subject, map: StatusMap<T>) {
        self.own.push((subject, map));
    }

    /// Every map configured: HTTP checks each code.
    #[cfg_attr(not(feature = "http"), allow(dead_code, reason = "HTTP refuses some codes"))]
    pub(crate) fn maps(&self) -> impl Iterator<Item = (Option<&Subject>, StatusMap<T>)> {
        std::iter::once((None, self.every)).chain(self.own.iter().map(|(subject, map)| (Some(subject), *map)))
    }

    /// One map per subject of `catalog`, in its positions; or the first
    /// subject the catalog does not have.
    pub(crate) fn resolve(&self, catalog: &Catalog) -> Result<ResolvedMaps<T>, Subject> {
        let mut by_position = vec![self.every; catalog.positions()].into_boxed_slice();
        for (subject, map) in &self.own {
            let target = catalog.resolve(subject).ok_or_else(|| subject.clone())?;
            by_position[catalog.position(target)] = *map;
        }
        Ok(ResolvedMaps { every: self.every, by_position })
    }
}

#[cfg(any(feature = "http", feature = "grpc"))]
impl<T: fmt::Debug> fmt::Debug for StatusMaps<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatusMaps").field("every", &self.every).field("own", &self.own).finish()
    }
}

/// The map of each subject of one monitor, found by position.
#[cfg(any(feature = "http", feature = "grpc"))]
#[derive(Debug, Clone)]
pub(crate) struct ResolvedMaps<T> {
    every: StatusMap<T>,
    by_position: Box<[StatusMap<T>]>,
}

#[cfg(any(feature = "http", feature = "grpc"))]
impl<T: Copy> ResolvedMaps<T> {
    /// The map of `target`, a subject of the catalog these were resolved for.
    pub(crate) fn of(&self, catalog: &Catalog, target: Target) -> &StatusMap<T> {
        let position = catalog.position(target);
        debug_assert!(position < self.by_position.len(), "maps resolved for another catalog");
        self.by_position.get(position).unwrap_or(&self.every)
    }
}
