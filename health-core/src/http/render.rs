//! Rendering a report, or a selection of it, in each format.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::component::millis;
use crate::time_format::Rfc3339;
use crate::{Component, ComponentSet, ComponentVisitor, Selection, Status};

use super::route::Format;

/// What a response shows of a report.
pub(crate) struct View<'a, C> {
    pub components: &'a C,
    pub selection: Selection,
    pub timestamp: SystemTime,
    pub duration: Duration,
    /// Whether messages, details and timings are shown.
    pub details: bool,
    /// A note on the whole report (`shutting down`).
    pub message: Option<&'a str>,
    /// Set instead of the components' aggregate (shutting down: DOWN).
    pub status_override: Option<Status>,
    /// One component's endpoint: its own status, not weighed by criticality.
    pub single: bool,
}

impl<C: ComponentSet> View<'_, C> {
    /// The status of the selected components, by criticality.
    pub fn status(&self) -> Status {
        if let Some(status) = self.status_override {
            return status;
        }
        struct Aggregate(Selection, bool, Status);
        impl ComponentVisitor for Aggregate {
            fn component<T: Serialize>(&mut self, index: usize, _: &'static str, component: &Component<T>) {
                if self.0.contains(index) {
                    let critical = component.critical || self.1;
                    self.2 = self.2.combine(component.status, critical);
                }
            }
        }
        let mut aggregate = Aggregate(self.selection, self.single, Status::Up);
        self.components.visit(&mut aggregate);
        aggregate.2
    }

    /// The body in `format`, or, when a details type fails to serialize, a
    /// body saying so.
    pub fn render(&self, format: Format) -> Result<Vec<u8>, Vec<u8>> {
        match format {
            Format::Json => serde_json::to_vec(&Json(self)).map_err(|error| self.failed(format, &error)),
            Format::HealthJson => serde_json::to_vec(&HealthJson(self)).map_err(|error| self.failed(format, &error)),
            Format::Text => Ok(self.text().into_bytes()),
        }
    }

    /// Kubernetes-style lines: `[+]database ok`, `[-]cache failed: refused`.
    fn text(&self) -> String {
        struct Lines(Selection, bool, String);
        impl ComponentVisitor for Lines {
            fn component<T: Serialize>(&mut self, index: usize, name: &'static str, component: &Component<T>) {
                if !self.0.contains(index) {
                    return;
                }
                let (mark, word) = match component.status {
                    Status::Up => ('+', "ok"),
                    Status::Degraded => ('+', "degraded"),
                    Status::Down => ('-', "failed"),
                };
                let _ = write!(self.2, "[{mark}]{name} {word}");
                match (&component.message, self.1, component.status) {
                    (Some(message), true, _) => {
                        let _ = write!(self.2, ": {}", message.replace('\n', " "));
                    }
                    (_, false, Status::Down | Status::Degraded) => self.2.push_str(": reason withheld"),
                    _ => {}
                }
                self.2.push('\n');
            }
        }
        let mut lines = Lines(self.selection, self.details, String::new());
        self.components.visit(&mut lines);
        let mut text = lines.2;
        if let Some(message) = self.message {
            let _ = writeln!(text, "[-]{message}");
        }
        text.push_str(match self.status() {
            Status::Up => "health check passed\n",
            Status::Degraded => "health check passed with warnings\n",
            Status::Down => "health check failed\n",
        });
        text
    }
}

impl<C> View<'_, C> {
    /// A DOWN body, of the shape `format` declares, saying the report could
    /// not be serialized (a details type's `Serialize` failed). Only reports
    /// with details can fail so, and this body has their fields.
    fn failed(&self, format: Format, error: &serde_json::Error) -> Vec<u8> {
        let message = format!("the report could not be serialized: {error}");
        let body = match format {
            Format::HealthJson => serde_json::json!({ "status": "fail", "output": message, "checks": {} }),
            Format::Json | Format::Text => serde_json::json!({
                "status": "DOWN",
                "message": message,
                "timestamp": Rfc3339(self.timestamp),
                "duration_ms": millis(self.duration),
                "components": {},
            }),
        };
        body.to_string().into_bytes()
    }
}

/// The report's own JSON, for the selected components.
struct Json<'v, 'a, C>(&'v View<'a, C>);

impl<C: ComponentSet> Serialize for Json<'_, '_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("status", &view.status())?;
        if let Some(message) = view.message {
            map.serialize_entry("message", message)?;
        }
        if view.details {
            map.serialize_entry("timestamp", &Rfc3339(view.timestamp))?;
            map.serialize_entry("duration_ms", &millis(view.duration))?;
        }
        map.serialize_entry("components", &SelectedComponents(view))?;
        map.end()
    }
}

struct SelectedComponents<'v, 'a, C>(&'v View<'a, C>);

impl<C: ComponentSet> Serialize for SelectedComponents<'_, '_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Entries<M: SerializeMap>(Selection, bool, M, Option<M::Error>);
        impl<M: SerializeMap> ComponentVisitor for Entries<M> {
            fn component<T: Serialize>(&mut self, index: usize, name: &'static str, component: &Component<T>) {
                if self.3.is_some() || !self.0.contains(index) {
                    return;
                }
                let written = if self.1 {
                    self.2.serialize_entry(name, component)
                } else {
                    self.2.serialize_entry(name, &StatusOnly(component.status))
                };
                if let Err(error) = written {
                    self.3 = Some(error);
                }
            }
        }
        let view = self.0;
        let mut entries = Entries(view.selection, view.details, serializer.serialize_map(None)?, None);
        view.components.visit(&mut entries);
        match entries.3 {
            Some(error) => Err(error),
            None => entries.2.end(),
        }
    }
}

/// A component without messages, details or timings.
struct StatusOnly(Status);

impl Serialize for StatusOnly {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("status", &self.0)?;
        map.end()
    }
}

/// The IETF draft format: `pass`/`warn`/`fail` and `checks` keyed `name:responseTime`.
struct HealthJson<'v, 'a, C>(&'v View<'a, C>);

fn draft_status(status: Status) -> &'static str {
    match status {
        Status::Up => "pass",
        Status::Degraded => "warn",
        Status::Down => "fail",
    }
}

impl<C: ComponentSet> Serialize for HealthJson<'_, '_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let view = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("status", draft_status(view.status()))?;
        if let Some(message) = view.message {
            map.serialize_entry("output", message)?;
        }
        map.serialize_entry("checks", &DraftChecks(view))?;
        map.end()
    }
}

struct DraftChecks<'v, 'a, C>(&'v View<'a, C>);

impl<C: ComponentSet> Serialize for DraftChecks<'_, '_, C> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Entries<M: SerializeMap>(Selection, bool, SystemTime, M, Option<M::Error>);
        impl<M: SerializeMap> ComponentVisitor for Entries<M> {
            fn component<T: Serialize>(&mut self, index: usize, name: &'static str, component: &Component<T>) {
                if self.4.is_some() || !self.0.contains(index) {
                    return;
                }
                let check = DraftCheck { name, component, details: self.1, time: self.2 };
                if let Err(error) = self.3.serialize_entry(&format!("{name}:responseTime"), &[check]) {
                    self.4 = Some(error);
                }
            }
        }
        let view = self.0;
        let map = serializer.serialize_map(None)?;
        let mut entries = Entries(view.selection, view.details, view.timestamp, map, None);
        view.components.visit(&mut entries);
        match entries.4 {
            Some(error) => Err(error),
            None => entries.3.end(),
        }
    }
}

struct DraftCheck<'c, T> {
    name: &'static str,
    component: &'c Component<T>,
    details: bool,
    time: SystemTime,
}

impl<T: Serialize> Serialize for DraftCheck<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("componentId", self.name)?;
        map.serialize_entry("status", draft_status(self.component.status))?;
        if self.details {
            map.serialize_entry("observedValue", &millis(self.component.duration))?;
            map.serialize_entry("observedUnit", "ms")?;
            map.serialize_entry("time", &Rfc3339(self.time))?;
            if let Some(message) = &self.component.message {
                map.serialize_entry("output", message.as_ref() as &str)?;
            }
            if let Some(details) = &self.component.details {
                map.serialize_entry("details", details)?;
            }
        }
        map.end()
    }
}
