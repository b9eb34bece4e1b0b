//! Rendering a report, or a selection of it, in each format.

mod health_json;
mod json;
mod text;

pub(crate) use health_json::draft_status;

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::negotiate::Format;
use super::visibility::Shown;
use crate::report::component::millis;
use crate::report::{ComponentSet, ComponentVisitor, Selection};
use crate::time_format::Rfc3339;
use crate::{Component, Report, Status};

/// The room a body starts with: most reports fit, so writing one rarely
/// grows its buffer, and a growth costs more than the room.
const BODY_CAPACITY: usize = 1024;

/// What a response shows of a report.
pub(crate) struct View<'a, C> {
    pub(crate) components: &'a C,
    pub(crate) selection: Selection,
    /// The status shown: the monitor's reading of the subject.
    pub(crate) status: Status,
    pub(crate) timestamp: SystemTime,
    pub(crate) duration: Duration,
    /// What is shown beyond statuses.
    pub(crate) shown: Shown,
    /// A note on the whole report (`shutting down`).
    pub(crate) message: Option<&'a str>,
}

/// A body, and the status it shows.
#[derive(Debug, Clone)]
pub(crate) struct Rendered {
    pub(crate) status: Status,
    pub(crate) body: Bytes,
}

impl<'a, C> View<'a, C> {
    /// The selected components of `report`, showing `status`.
    pub(crate) fn of(report: &'a Report<C>, selection: Selection, status: Status, shown: Shown) -> Self {
        View {
            components: &report.components,
            selection,
            status,
            timestamp: report.timestamp,
            duration: report.duration,
            shown,
            message: None,
        }
    }
}

/// How a format writes one component into the map of components.
pub(super) trait WriteEntry {
    fn write<M: SerializeMap, T: Serialize>(
        &self,
        map: &mut M,
        name: &str,
        component: &Component<T>,
    ) -> Result<(), M::Error>;
}

/// The selected components of `view` as one map, each entry written by
/// `writer`: the one walk of the components every JSON format shares.
pub(super) fn serialize_components<S, C, W>(view: &View<'_, C>, serializer: S, writer: &W) -> Result<S::Ok, S::Error>
where
    S: Serializer,
    C: ComponentSet,
    W: WriteEntry,
{
    /// Writes each component; the first error stops it.
    struct Entries<'w, M: SerializeMap, W> {
        writer: &'w W,
        map: M,
        error: Option<M::Error>,
    }
    impl<M: SerializeMap, W: WriteEntry> ComponentVisitor for Entries<'_, M, W> {
        fn component<T: Serialize>(&mut self, _: usize, name: &str, component: &Component<T>) {
            if self.error.is_none()
                && let Err(error) = self.writer.write(&mut self.map, name, component)
            {
                self.error = Some(error);
            }
        }
    }
    let mut entries = Entries { writer, map: serializer.serialize_map(None)?, error: None };
    view.components.visit_selected(view.selection, &mut entries);
    match entries.error {
        Some(error) => Err(error),
        None => entries.map.end(),
    }
}

/// No components: the body of answers given without running checks.
pub(crate) struct NoComponents;

impl ComponentSet for NoComponents {
    fn visit<V: crate::report::ComponentVisitor>(&self, _: &mut V) {}
}

impl View<'_, NoComponents> {
    /// A DOWN answer with a note, without running checks.
    pub(crate) fn notice(shown: Shown, message: &str) -> View<'_, NoComponents> {
        View {
            components: &NoComponents,
            selection: Selection::none(),
            status: Status::Down,
            timestamp: SystemTime::now(),
            duration: Duration::ZERO,
            shown,
            message: Some(message),
        }
    }
}

impl<C: ComponentSet> View<'_, C> {
    /// The body in `format`; DOWN, and a body saying so, when a details type
    /// fails to serialize.
    pub(crate) fn render(&self, format: Format) -> Rendered {
        let rendered = match format {
            Format::Json => json::render(self),
            Format::HealthJson => health_json::render(self),
            Format::Text => Ok(text::render(self)),
        };
        match rendered {
            Ok(body) => Rendered { status: self.status, body: Bytes::from(body) },
            Err(error) => Rendered { status: Status::Down, body: Bytes::from(self.failed(format, &error)) },
        }
    }

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
