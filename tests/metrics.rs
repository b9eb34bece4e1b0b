//! Health as metrics: every real run and status recorded through the
//! `metrics` facade, read back with metrics-util's debugging recorder.

#[path = "support/series.rs"]
mod series;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use health_core::metrics::MetricsOptions;
use health_core::monitor::{Monitor, Subject};
use health_core::report::Selection;
use health_core::{HealthReport, Outcome, Status, health_check};
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use series::{counter, gauge, values};

#[health_check(timeout = "1s", critical)]
async fn database() {}

#[health_check(timeout = "1s")]
async fn search() -> Outcome<()> {
    Outcome::status_only(Status::Degraded)
}

#[health_check(timeout = "1s")]
async fn mail() -> Result<(), String> {
    Err("refused".into())
}

#[health_check(timeout = "20ms")]
async fn slow() {
    tokio::time::sleep(Duration::from_secs(5)).await;
}

#[health_check(timeout = "1s")]
async fn broken() {
    panic!("bug");
}

#[health_check(timeout = "1s", cache = "10m")]
async fn cached() {}

#[derive(HealthReport, Default)]
struct Health {
    database: DatabaseCheck,
    search: SearchCheck,
    mail: MailCheck,
    slow: SlowCheck,
    broken: BrokenCheck,
    cached: CachedCheck,
}

fn samples(values: &HashMap<String, DebugValue>, key: &str) -> usize {
    match values.get(key) {
        Some(DebugValue::Histogram(samples)) => samples.len(),
        other => panic!("{key}: {other:?}"),
    }
}

/// Runs `work` on a current-thread runtime with a recorder of its own.
fn recorded<F: std::future::Future<Output = ()>>(work: impl FnOnce() -> F) -> HashMap<String, DebugValue> {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        runtime.block_on(work());
    });
    values(&snapshotter)
}

#[test]
fn every_real_run_is_counted_by_result_and_timed_and_cached_reuses_are_not_runs() {
    let values = recorded(|| async {
        let monitor = Monitor::builder(Health::default(), ()).metrics(MetricsOptions::default()).build().unwrap();
        for _ in 0..3 {
            monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
        }
    });
    for (component, result) in
        [("database", "up"), ("search", "degraded"), ("mail", "down"), ("slow", "timeout"), ("broken", "panic")]
    {
        let key = format!("health_check_runs_total{{component={component},result={result}}}");
        assert_eq!(counter(&values, &key), 3, "{key}");
        assert_eq!(samples(&values, &format!("health_check_duration_seconds{{component={component}}}")), 3);
    }
    // Three reports, one run: the others reused its result.
    assert_eq!(counter(&values, "health_check_runs_total{component=cached,result=up}"), 1);
    assert_eq!(samples(&values, "health_check_duration_seconds{component=cached}"), 1);
    assert_eq!(counter(&values, "health_check_runs_total{component=database,result=down}"), 0);
}

#[test]
fn statuses_are_state_sets_per_component_and_per_group() {
    let values = recorded(|| async {
        let monitor = Monitor::builder(Health::default(), ()).metrics(MetricsOptions::default()).build().unwrap();
        monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
    });
    for (component, current) in [("database", "UP"), ("search", "DEGRADED"), ("slow", "DOWN"), ("broken", "DOWN")] {
        for status in ["UP", "DEGRADED", "DOWN"] {
            let key = format!("health_check_status{{component={component},status={status}}}");
            assert_eq!(gauge(&values, &key), if status == current { 1.0 } else { 0.0 }, "{key}");
        }
    }
    // Non-critical components down: the whole and readiness are degraded;
    // liveness has no component and is UP.
    for (group, current) in
        [("all", "DEGRADED"), ("readiness", "DEGRADED"), ("startup", "DEGRADED"), ("liveness", "UP")]
    {
        for status in ["UP", "DEGRADED", "DOWN"] {
            let key = format!("health_status{{group={group},status={status}}}");
            assert_eq!(gauge(&values, &key), if status == current { 1.0 } else { 0.0 }, "{key}");
        }
    }
}

#[test]
fn the_prefix_names_every_metric_and_shutdown_turns_readiness_down() {
    let values = recorded(|| async {
        let monitor = Monitor::builder(Health::default(), ())
            .metrics(MetricsOptions::default().prefix("app_health_"))
            .build()
            .unwrap();
        monitor.read(&Subject::group("readiness"), Selection::none()).await.unwrap();
        monitor.begin_shutdown();
    });
    assert_eq!(gauge(&values, "app_health_status{group=readiness,status=DOWN}"), 1.0);
    assert_eq!(gauge(&values, "app_health_status{group=readiness,status=DEGRADED}"), 0.0);
    assert_eq!(counter(&values, "app_health_check_runs_total{component=database,result=up}"), 1);
    assert!(values.keys().all(|key| key.starts_with("app_health_")), "{:?}", values.keys());
}

#[test]
fn background_refreshes_are_recorded_too() {
    let values = recorded(|| async {
        let monitor = Monitor::builder(Health::default(), ())
            .refresh_every(Duration::from_millis(100))
            .metrics(MetricsOptions::default())
            .build()
            .unwrap();
        let mut whole = monitor.watch(&Subject::Overall).unwrap();
        whole.wait_for(|status| status.is_some()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(250)).await;
        drop(Arc::new(monitor));
    });
    let runs = counter(&values, "health_check_runs_total{component=database,result=up}");
    assert!((2..=5).contains(&runs), "{runs} background runs in 250 ms at 100 ms");
}

#[derive(Default)]
struct Switch {
    down: std::sync::atomic::AtomicBool,
}

#[health_check(timeout = "1s", critical, groups(liveness, readiness))]
async fn process(switch: &Switch) -> Outcome<()> {
    match switch.down.load(std::sync::atomic::Ordering::SeqCst) {
        true => Outcome::status_only(Status::Down),
        false => Outcome::status_only(Status::Up),
    }
}

#[health_check(timeout = "1s")]
async fn queue() {}

/// Every group has a component: nothing is recorded before the first run.
#[derive(HealthReport, Default)]
#[health(state = Switch)]
struct Busy {
    process: ProcessCheck,
    queue: QueueCheck,
}

#[test]
fn every_series_exists_from_the_build_and_follows_a_change_back_up() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let switch = Arc::new(Switch::default());
    let monitor = metrics::with_local_recorder(&recorder, || {
        Monitor::builder(Busy::default(), Arc::clone(&switch)).metrics(MetricsOptions::default()).build().unwrap()
    });
    // Registered at build, on the recorder installed then: all at 0.
    let before = values(&snapshotter);
    for status in ["UP", "DEGRADED", "DOWN"] {
        assert_eq!(gauge(&before, &format!("health_check_status{{component=process,status={status}}}")), 0.0);
        assert_eq!(gauge(&before, &format!("health_status{{group=liveness,status={status}}}")), 0.0);
    }
    assert_eq!(counter(&before, "health_check_runs_total{component=process,result=up}"), 0);
    // Recorded outside the scope where it was built: the series are the monitor's.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    switch.down.store(true, std::sync::atomic::Ordering::SeqCst);
    runtime.block_on(monitor.read(&Subject::Overall, Selection::none())).unwrap();
    let down = values(&snapshotter);
    assert_eq!(gauge(&down, "health_check_status{component=process,status=DOWN}"), 1.0);
    assert_eq!(gauge(&down, "health_status{group=liveness,status=DOWN}"), 1.0);
    switch.down.store(false, std::sync::atomic::Ordering::SeqCst);
    // A read that leaves the queue out records only what it ran.
    let queue = monitor.selection(&Subject::component("queue")).unwrap();
    runtime.block_on(monitor.read(&Subject::Overall, queue)).unwrap();
    let up = values(&snapshotter);
    assert_eq!(gauge(&up, "health_check_status{component=process,status=UP}"), 1.0);
    assert_eq!(gauge(&up, "health_check_status{component=process,status=DOWN}"), 0.0);
    assert_eq!(gauge(&up, "health_status{group=liveness,status=UP}"), 1.0);
    // Counters read since the last snapshot: the second read ran the process only.
    assert_eq!(counter(&up, "health_check_runs_total{component=process,result=up}"), 1);
    assert_eq!(counter(&up, "health_check_runs_total{component=process,result=down}"), 0);
    assert_eq!(counter(&up, "health_check_runs_total{component=queue,result=up}"), 0);
    assert_eq!(counter(&down, "health_check_runs_total{component=process,result=down}"), 1);
    assert_eq!(counter(&down, "health_check_runs_total{component=queue,result=up}"), 1);
}

#[test]
fn disabled_components_have_no_series_and_background_snapshots_read_are_no_runs() {
    let values = recorded(|| async {
        let monitor = Monitor::builder(Busy::default(), Switch::default())
            .disable("queue")
            .refresh_every(Duration::from_secs(60))
            .metrics(MetricsOptions::default())
            .build()
            .unwrap();
        let mut whole = monitor.watch(&Subject::Overall).unwrap();
        whole.wait_for(|status| status.is_some()).await.unwrap();
        // Answered from the one background snapshot.
        for _ in 0..5 {
            monitor.read(&Subject::Overall, Selection::none()).await.unwrap();
        }
    });
    assert_eq!(counter(&values, "health_check_runs_total{component=process,result=up}"), 1);
    assert!(values.keys().all(|key| !key.contains("component=queue")), "{:?}", values.keys());
}

#[health_check(timeout = "1s", groups(readiness, "all"))]
async fn everything() {}

/// A custom group named like the whole's label.
#[derive(HealthReport, Default)]
struct GroupAll {
    everything: EverythingCheck,
}

#[test]
fn a_prefix_prometheus_cannot_take_and_a_group_named_all_are_refused() {
    use health_core::monitor::MonitorError;
    for bad in ["app-health_", "9health_", "health ", "hëalth_"] {
        let built = Monitor::builder(Health::default(), ()).metrics(MetricsOptions::default().prefix(bad)).build();
        assert_eq!(built.map(|_| ()), Err(MonitorError::BadMetricsPrefix(bad.to_owned())));
    }
    for good in ["", "app_health_", "ns:health_", "_x"] {
        let built = Monitor::builder(Health::default(), ()).metrics(MetricsOptions::default().prefix(good)).build();
        assert!(built.is_ok(), "{good:?}");
    }
    let built = Monitor::builder(GroupAll::default(), ()).metrics(MetricsOptions::default()).build();
    let error = built.map(|_| ()).unwrap_err();
    assert_eq!(error, MonitorError::MetricsGroupAll);
    assert!(error.to_string().contains("`all`"));
    // Without metrics, the group is served as any other.
    assert!(Monitor::builder(GroupAll::default(), ()).build().is_ok());
    // A group the application defines is a group too.
    let defined = Monitor::builder(Health::default(), ()).group("all", ["database"]).metrics(MetricsOptions::default());
    assert_eq!(defined.build().map(|_| ()).unwrap_err(), MonitorError::MetricsGroupAll);
}
