//! The result of one component in a report, and its JSON form.

use std::borrow::Cow;
use std::time::Duration;

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::Status;

/// One component's result within a [`Report`](crate::Report).
///
/// Serialized as `{"status", "critical", "duration_ms", "message"?, "details"?}`;
/// `message` and `details` are left out when absent.
#[derive(Debug, Clone, PartialEq)]
pub struct Component<T> {
    /// The component's status.
    pub status: Status,
    /// Whether it being DOWN makes the report DOWN.
    pub critical: bool,
    /// How long its run took (for a cached result, the run that produced it).
    pub duration: Duration,
    /// What went wrong, or any other note, with secrets redacted.
    pub message: Option<Cow<'static, str>>,
    /// Typed details, when the check reported some.
    pub details: Option<T>,
}

/// Milliseconds with microsecond precision, as reports show durations.
pub(crate) fn millis(duration: Duration) -> f64 {
    (duration.as_micros() as f64) / 1000.0
}

impl<T: Serialize> Serialize for Component<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = 3 + usize::from(self.message.is_some()) + usize::from(self.details.is_some());
        let mut map = serializer.serialize_map(Some(len))?;
        map.serialize_entry("status", &self.status)?;
        map.serialize_entry("critical", &self.critical)?;
        map.serialize_entry("duration_ms", &millis(self.duration))?;
        if let Some(message) = &self.message {
            map.serialize_entry("message", message)?;
        }
        if let Some(details) = &self.details {
            map.serialize_entry("details", details)?;
        }
        map.end()
    }
}
