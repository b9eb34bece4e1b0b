//! Reading metrics back from metrics-util's debugging recorder.
// Each test binary that includes this uses a different part of it.
#![allow(dead_code)]

use std::collections::HashMap;

use metrics_util::debugging::{DebugValue, Snapshotter};

/// Every series, by name and sorted labels.
pub fn values(snapshotter: &Snapshotter) -> HashMap<String, DebugValue> {
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<String> =
                key.labels().map(|label| format!("{}={}", label.key(), label.value())).collect();
            labels.sort();
            (format!("{}{{{}}}", key.name(), labels.join(",")), value)
        })
        .collect()
}

pub fn counter(values: &HashMap<String, DebugValue>, key: &str) -> u64 {
    match values.get(key) {
        Some(DebugValue::Counter(count)) => *count,
        other => panic!("{key}: {other:?} in {:?}", values.keys().collect::<Vec<_>>()),
    }
}

pub fn gauge(values: &HashMap<String, DebugValue>, key: &str) -> f64 {
    match values.get(key) {
        Some(DebugValue::Gauge(value)) => value.into_inner(),
        other => panic!("{key}: {other:?} in {:?}", values.keys().collect::<Vec<_>>()),
    }
}
