//! The result of one component in a report, and its JSON form.

use std::borrow::Cow;
use std::time::Duration;

use serde::ser::{Serialize, SerializeStruct, Serializer};

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
        let mut component = serializer.serialize_struct("Component", len)?;
        component.serialize_field("status", &self.status)?;
        component.serialize_field("critical", &self.critical)?;
        component.serialize_field("duration_ms", &millis(self.duration))?;
        match &self.message {
            Some(message) => component.serialize_field("message", message)?,
            None => component.skip_field("message")?,
        }
        match &self.details {
            Some(details) => component.serialize_field("details", details)?,
            None => component.skip_field("details")?,
        }
        component.end()
    }
}
