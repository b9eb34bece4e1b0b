//! Kubernetes probe manifests for the endpoints of the built-in groups.

use serde_json::json;

use super::{Facts, to_yaml};
use crate::http::Endpoint;

/// Startup, readiness and liveness probes for a container listening on `port`.
pub(super) fn manifests(facts: &Facts, port: u16) -> String {
    let probe = |endpoint: Endpoint, period: u64, failures: u64| {
        let longest = facts.endpoint_members(endpoint).iter().map(|c| c.timeout()).max().unwrap_or_default();
        // Kubernetes reads these fields as 32-bit integers.
        let seconds = longest.as_nanos().div_ceil(1_000_000_000) + 1;
        let timeout = u64::try_from(seconds).unwrap_or(u64::MAX).min(i32::MAX as u64);
        let path = format!("{}/{}", facts.base_path, endpoint.segment().unwrap_or_default());
        json!({
            "httpGet": { "path": path, "port": port },
            "timeoutSeconds": timeout,
            "periodSeconds": period.max(timeout).min(i32::MAX as u64),
            "failureThreshold": failures,
        })
    };
    to_yaml(&json!({
        "startupProbe": probe(Endpoint::Startup, 5, 30),
        "readinessProbe": probe(Endpoint::Ready, 5, 3),
        "livenessProbe": probe(Endpoint::Live, 10, 3),
    }))
}
