//! Kubernetes probe manifests, for every transport: one rule for the budgets.

use serde_json::{Value, json};

use crate::monitor::Monitor;
use crate::monitor::Subject;
use crate::ops::yaml::to_yaml;
use crate::report::Selection;
use crate::{ReportSource, group};

/// A probe of one built-in group, as Kubernetes names it.
struct Probe {
    field: &'static str,
    group: &'static str,
    period_seconds: u64,
    failure_threshold: u64,
}

/// The probes, each from its group; YAML lists them by name.
const PROBES: [Probe; 3] = [
    Probe { field: "startupProbe", group: group::STARTUP, period_seconds: 5, failure_threshold: 30 },
    Probe { field: "readinessProbe", group: group::READINESS, period_seconds: 5, failure_threshold: 3 },
    Probe { field: "livenessProbe", group: group::LIVENESS, period_seconds: 10, failure_threshold: 3 },
];

/// The startup, readiness and liveness probes of `monitor`, as YAML for a
/// container's spec; `action` gives each group's handler (`httpGet`, `grpc`).
///
/// Each probe's `timeoutSeconds` is its group's longest check timeout rounded
/// up, plus a second for the answer to travel, so a probe never gives up
/// before the checks may finish; the period is never shorter.
pub(crate) fn manifests<R: ReportSource>(monitor: &Monitor<R>, action: impl Fn(&str) -> Value) -> String {
    let mut probes = serde_json::Map::new();
    for probe in PROBES {
        let members = monitor.selection(&Subject::group(probe.group)).unwrap_or(Selection::none());
        let components = monitor.components();
        let longest = members.indices().filter_map(|index| components.get(index)).map(|c| c.timeout()).max();
        // Kubernetes reads these fields as 32-bit integers.
        let seconds = longest.unwrap_or_default().as_nanos().div_ceil(1_000_000_000) + 1;
        let timeout = u64::try_from(seconds).unwrap_or(u64::MAX).min(i32::MAX as u64);
        let mut manifest = action(probe.group);
        manifest["timeoutSeconds"] = json!(timeout);
        manifest["periodSeconds"] = json!(probe.period_seconds.max(timeout));
        manifest["failureThreshold"] = json!(probe.failure_threshold);
        probes.insert(probe.field.into(), manifest);
    }
    to_yaml(&Value::Object(probes))
}
