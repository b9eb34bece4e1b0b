//! The report's own JSON, for the selected components.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{View, WriteEntry, serialize_components};
use crate::Component;
use crate::http::visibility::Shown;
use crate::report::ComponentSet;
use crate::report::component::millis;
use crate::time_format::Rfc3339;

pub(super) fn render<C: ComponentSet>(view: &View<'_, C>) -> Result<Vec<u8>, serde_json::Error> {
    let mut body = Vec::with_capacity(super::BODY_CAPACITY);
    serde_json::to_writer(&mut body, &Json(view))?;
    Ok(body)
}

struct Json<'v, 'a, C>(&'v View<'a, C>);

impl<C: ComponentSet> Serialize for Json<'_, '_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("status", &view.status)?;
        if let Some(message) = view.message {
            map.serialize_entry("message", message)?;
        }
        if let Some((timestamp, duration)) = view.shown.timing((view.timestamp, view.duration)) {
            map.serialize_entry("timestamp", &Rfc3339(timestamp))?;
            map.serialize_entry("duration_ms", &millis(duration))?;
        }
        map.serialize_entry("components", &Components(view))?;
        map.end()
    }
}

struct Components<'v, 'a, C>(&'v View<'a, C>);

impl<C: ComponentSet> Serialize for Components<'_, '_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_components(self.0, serializer, &Entry { shown: self.0.shown })
    }
}

/// A component whole, or its status alone.
struct Entry {
    shown: Shown,
}

impl WriteEntry for Entry {
    fn write<M: SerializeMap, T: Serialize>(
        &self,
        map: &mut M,
        name: &str,
        component: &Component<T>,
    ) -> Result<(), M::Error> {
        if self.shown.everything() {
            map.serialize_entry(name, component)
        } else {
            map.serialize_entry(name, &StatusOnly(component.status))
        }
    }
}

/// A component without messages, details or timings.
struct StatusOnly(crate::Status);

impl Serialize for StatusOnly {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("status", &self.0)?;
        map.end()
    }
}
