//! The IETF draft "Health Check Response Format for HTTP APIs":
//! `pass`/`warn`/`fail` and `checks` keyed `name:responseTime`.

use std::time::SystemTime;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::{View, WriteEntry, serialize_components};
use crate::http::visibility::Shown;
use crate::report::ComponentSet;
use crate::report::component::millis;
use crate::time_format::Rfc3339;
use crate::{Component, Status};

pub(super) fn render<C: ComponentSet>(view: &View<'_, C>) -> Result<Vec<u8>, serde_json::Error> {
    let mut body = Vec::with_capacity(super::BODY_CAPACITY);
    serde_json::to_writer(&mut body, &HealthJson(view))?;
    Ok(body)
}

/// The draft's word for a status.
pub(crate) fn draft_status(status: Status) -> &'static str {
    match status {
        Status::Up => "pass",
        Status::Degraded => "warn",
        Status::Down => "fail",
    }
}

struct HealthJson<'v, 'a, C>(&'v View<'a, C>);

impl<C: ComponentSet> Serialize for HealthJson<'_, '_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("status", draft_status(view.status))?;
        if let Some(message) = view.message {
            map.serialize_entry("output", message)?;
        }
        map.serialize_entry("checks", &Checks(view))?;
        map.end()
    }
}

struct Checks<'v, 'a, C>(&'v View<'a, C>);

impl<C: ComponentSet> Serialize for Checks<'_, '_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        serialize_components(view, serializer, &Entry { shown: view.shown, report_time: view.timestamp })
    }
}

/// A component as a one-check list under `name:responseTime`.
struct Entry {
    shown: Shown,
    /// When the report started: the time of results its own runs produced.
    report_time: SystemTime,
}

impl WriteEntry for Entry {
    fn write<M: SerializeMap, T: Serialize>(
        &self,
        map: &mut M,
        name: &str,
        component: &Component<T>,
    ) -> Result<(), M::Error> {
        // A cached result's time is when its run happened.
        let time = component.ran_at.unwrap_or(self.report_time);
        let check = Check { name, component, shown: self.shown, time };
        map.serialize_entry(&format!("{name}:responseTime"), &[check])
    }
}

struct Check<'c, T> {
    name: &'c str,
    component: &'c Component<T>,
    shown: Shown,
    time: SystemTime,
}

impl<T: Serialize> Serialize for Check<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("componentId", self.name)?;
        map.serialize_entry("status", draft_status(self.component.status))?;
        if let Some((duration, time)) = self.shown.timing((self.component.duration, self.time)) {
            map.serialize_entry("observedValue", &millis(duration))?;
            map.serialize_entry("observedUnit", "ms")?;
            map.serialize_entry("time", &Rfc3339(time))?;
        }
        if self.shown.everything() {
            if let Some(message) = self.shown.message(self.component) {
                map.serialize_entry("output", message)?;
            }
            if let Some(details) = self.shown.details(self.component) {
                map.serialize_entry("details", details)?;
            }
            if let Some(streak) = &self.component.streak {
                map.serialize_entry("streak", streak)?;
            }
            if self.component.attempts > 1 {
                map.serialize_entry("attempts", &self.component.attempts)?;
            }
        }
        map.end()
    }
}
