//! The three-valued health status and how component statuses combine.

/// Whether something can do its job right now.
///
/// Serialized as `"UP"`, `"DEGRADED"` or `"DOWN"`.
///
/// ```
/// use health_core::Status;
///
/// assert_eq!(serde_json::to_string(&Status::Degraded).unwrap(), r#""DEGRADED""#);
/// assert!(Status::Down > Status::Degraded && Status::Degraded > Status::Up);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Fully working.
    Up,
    /// Working, but impaired: slower, fuller or with reduced redundancy.
    Degraded,
    /// Not working.
    Down,
}

impl Status {
    /// All statuses, best first.
    pub const ALL: [Status; 3] = [Status::Up, Status::Degraded, Status::Down];

    /// The status as it appears in JSON.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Up => "UP",
            Status::Degraded => "DEGRADED",
            Status::Down => "DOWN",
        }
    }

    /// Combines component statuses by criticality: DOWN if any critical component is
    /// DOWN; else DEGRADED if any component is DOWN or DEGRADED; else UP. No
    /// components at all is UP.
    ///
    /// ```
    /// use health_core::Status;
    ///
    /// // A non-critical component that is down only degrades the whole.
    /// assert_eq!(Status::aggregate([(Status::Up, true), (Status::Down, false)]), Status::Degraded);
    /// assert_eq!(Status::aggregate([(Status::Down, true), (Status::Up, false)]), Status::Down);
    /// assert_eq!(Status::aggregate([]), Status::Up);
    /// ```
    pub fn aggregate(components: impl IntoIterator<Item = (Status, bool)>) -> Status {
        components.into_iter().fold(Status::Up, |total, (status, critical)| total.combine(status, critical))
    }

    /// The aggregate so far, `self`, with one more component: see [`aggregate`](Self::aggregate).
    pub fn combine(self, status: Status, critical: bool) -> Status {
        match (self, status) {
            (Status::Down, _) => Status::Down,
            (_, Status::Down) if critical => Status::Down,
            (Status::Up, Status::Up) => Status::Up,
            _ => Status::Degraded,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Status {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}
