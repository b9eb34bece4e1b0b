//! The JSON the page updates itself from: every subject's status and
//! history, with the latest report's messages, details and timings where
//! visibility allows.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::Serialize;
use serde_json::Value;

use crate::http::Visibility;
use crate::http::visibility::Shown;
use crate::monitor::{History, Monitor, Reading, Target, Transition};
use crate::report::component::millis;
use crate::report::{ComponentSet, ComponentVisitor};
use crate::time_format::Rfc3339;
use crate::{Component, ReportSource, Status};

#[derive(Serialize)]
struct Body<'a> {
    title: &'a str,
    status: Status,
    /// The server's time, which the page measures ages against: the
    /// viewer's clock may be off.
    now: Rfc3339,
    /// When the report shown started; a timing, shown with details only.
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<Rfc3339>,
    /// Whether checks run in the background, rather than on each read.
    background: bool,
    /// How often the page asks again.
    poll_ms: u128,
    visibility: &'static str,
    details_shown: bool,
    shutting_down: bool,
    overall: Aggregate<'a>,
    groups: Vec<Aggregate<'a>>,
    components: Vec<Entry<'a>>,
}

/// A group, or the whole.
#[derive(Serialize)]
struct Aggregate<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    members: Option<Vec<&'a str>>,
    transitions: Vec<Change>,
}

#[derive(Serialize)]
struct Entry<'a> {
    name: &'a str,
    status: Status,
    groups: Vec<&'a str>,
    transitions: Vec<Change>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    revealed: Option<Revealed<'a>>,
}

/// What only requests allowed details see of a component, as the other
/// endpoints show them.
#[derive(Serialize)]
struct Revealed<'a> {
    critical: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    timeout_ms: f64,
    duration_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<Value>,
    runs: Runs,
}

/// A component's latest runs, oldest first, as two lists of one length.
#[derive(Serialize)]
struct Runs {
    duration_ms: Vec<f64>,
    status: Vec<Status>,
}

#[derive(Serialize)]
struct Change {
    at: Rfc3339,
    from: Option<Status>,
    to: Status,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "shared_text")]
    message: Option<Arc<str>>,
}

/// A message shared with the history, as a string.
fn shared_text<S: serde::Serializer>(message: &Option<Arc<str>>, serializer: S) -> Result<S::Ok, S::Error> {
    match message {
        Some(message) => serializer.serialize_str(message),
        None => serializer.serialize_none(),
    }
}

impl Change {
    fn of(transition: Transition, shown: Shown) -> Self {
        Change {
            at: Rfc3339(transition.at),
            from: transition.from,
            to: transition.to,
            message: transition.message.filter(|_| shown.everything()),
        }
    }
}

fn changes(history: History, shown: Shown) -> Vec<Change> {
    history.transitions.into_iter().map(|transition| Change::of(transition, shown)).collect()
}

/// One component of the report read, as the page shows it.
struct Latest {
    status: Status,
    duration: Duration,
    message: Option<String>,
    details: Option<Value>,
}

/// The latest of each component read, by index.
struct Collect {
    latest: Vec<Option<Latest>>,
    shown: Shown,
}

impl ComponentVisitor for Collect {
    fn component<T: Serialize>(&mut self, index: usize, _: &str, component: &Component<T>) {
        let message = self.shown.message(component).map(str::to_owned);
        let details = self.shown.details(component).and_then(|details| serde_json::to_value(details).ok());
        if let Some(slot) = self.latest.get_mut(index) {
            *slot = Some(Latest { status: component.status, duration: component.duration, message, details });
        }
    }
}

/// The body for a request, showing what `shown` allows.
pub(super) fn render<R: ReportSource>(
    monitor: &Monitor<R>,
    reading: &Reading<R::Components>,
    visibility: &Visibility,
    shown: Shown,
    poll_every: Duration,
) -> Vec<u8> {
    let components = monitor.components();
    let mut collect = Collect { latest: components.iter().map(|_| None).collect(), shown };
    let timestamp = match reading.snapshot() {
        Some(snapshot) => {
            snapshot.report().components.visit_selected(reading.selection(), &mut collect);
            snapshot.report().timestamp
        }
        None => SystemTime::now(),
    };
    let catalog = monitor.catalog();
    let entries = components
        .iter()
        .zip(collect.latest)
        .enumerate()
        .filter_map(|(index, (info, latest))| {
            let latest = latest?;
            // Run durations are timings: shown with details only.
            let mut history = monitor.history_of(Target::Component(index), shown.everything());
            let runs = std::mem::take(&mut history.runs);
            let revealed = shown.everything().then(|| Revealed {
                critical: info.is_critical(),
                description: info.description(),
                timeout_ms: millis(info.timeout()),
                duration_ms: millis(latest.duration),
                message: latest.message,
                details: latest.details,
                runs: Runs {
                    duration_ms: runs.iter().map(|run| millis(run.duration)).collect(),
                    status: runs.iter().map(|run| run.status).collect(),
                },
            });
            Some(Entry {
                name: info.name(),
                status: latest.status,
                groups: catalog.groups_of(index).collect(),
                transitions: changes(history, shown),
                revealed,
            })
        })
        .collect();
    let groups = catalog
        .group_names()
        .filter_map(|name| {
            let target = catalog.group(name)?;
            let members = catalog.selection(target);
            Some(Aggregate {
                name: Some(name),
                // A group without components is UP from the start.
                status: monitor.status_of(target).unwrap_or(Status::Up),
                members: Some(members.indices().filter_map(|index| components.get(index)).map(|c| c.name()).collect()),
                transitions: changes(monitor.history_of(target, false), shown),
            })
        })
        .collect();
    // The components as measured; the whole as it is served (DOWN once it drains).
    let status = if monitor.is_drained(Target::Overall) { Status::Down } else { reading.status() };
    let body = Body {
        title: monitor.source().title(),
        status,
        now: Rfc3339(SystemTime::now()),
        timestamp: shown.timing(Rfc3339(timestamp)),
        background: monitor.refresh_interval().is_some(),
        poll_ms: poll_every.as_millis(),
        visibility: match visibility {
            Visibility::Always => "always",
            Visibility::Never => "never",
            Visibility::WhenAuthorized { .. } => "when_authorized",
        },
        details_shown: shown.everything(),
        shutting_down: monitor.is_shutting_down(),
        overall: Aggregate {
            name: None,
            status,
            members: None,
            transitions: changes(monitor.history_of(Target::Overall, false), shown),
        },
        groups,
        components: entries,
    };
    // Every part serializes: statuses, numbers, strings, and details that
    // were JSON values already. A timestamp outside RFC 3339's years cannot
    // come from a clock; should one, the page is told so.
    serde_json::to_vec(&body).unwrap_or_else(|error| {
        serde_json::to_vec(&serde_json::json!({ "error": "unrenderable", "message": error.to_string() }))
            .unwrap_or_default()
    })
}
