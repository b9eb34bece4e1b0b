//! Background runs traced on request (`MonitorBuilder::trace_refreshes`): a
//! `health.refresh` span per refresh, a `health.check` span per check run
//! inside it with the run's status and duration, and a check's own spans
//! inside that; none of it when off, and never for reads made on request.
//! Recorded by a tracing layer of the test's own, on Tokio's paused clock.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use health_core::monitor::{Monitor, Subject};
use health_core::report::Selection;
use health_core::{HealthReport, Status, health_check};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

#[health_check(critical)]
async fn database() {
    // A client's own span: it nests in the check's.
    let _query = tracing::info_span!("db.query").entered();
}

#[health_check]
async fn cache() -> Result<(), String> {
    Err("connection refused".to_owned())
}

#[health_check(timeout = "1s")]
async fn search() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

/// Cached: run through the cache's own runner, not the plain one.
#[health_check(cache = "100ms")]
async fn flags() {
    let _fetch = tracing::info_span!("flags.fetch").entered();
}

#[derive(HealthReport, Default)]
struct Health {
    database: DatabaseCheck,
    cache: CacheCheck,
    search: SearchCheck,
    flags: FlagsCheck,
}

/// A span as the layer saw it: its name, its parent's id, and every field
/// given or recorded, as text.
#[derive(Debug, Clone)]
struct Recorded {
    id: u64,
    name: &'static str,
    parent: Option<u64>,
    fields: BTreeMap<&'static str, String>,
}

impl Recorded {
    fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", String::as_str)
    }

    fn millis(&self) -> f64 {
        self.field("duration_ms").parse().unwrap_or_else(|_| panic!("no duration on {self:?}"))
    }
}

/// Every span opened while it is installed.
#[derive(Clone, Default)]
struct Spans(Arc<Mutex<Vec<Recorded>>>);

/// Fields as text: strings without quotes, the rest as `Debug` prints them.
struct Fields<'a>(&'a mut BTreeMap<&'static str, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.insert(field.name(), format!("{value:?}"));
    }
}

impl<S: tracing::Subscriber + for<'a> LookupSpan<'a>> tracing_subscriber::Layer<S> for Spans {
    fn on_new_span(&self, attributes: &Attributes<'_>, id: &Id, context: Context<'_, S>) {
        let parent = context.span(id).and_then(|span| span.parent()).map(|parent| parent.id().into_u64());
        let mut fields = BTreeMap::new();
        attributes.record(&mut Fields(&mut fields));
        let name = attributes.metadata().name();
        self.0.lock().unwrap().push(Recorded { id: id.into_u64(), name, parent, fields });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _: Context<'_, S>) {
        let mut spans = self.0.lock().unwrap();
        let span = spans.iter_mut().find(|span| span.id == id.into_u64()).expect("a span opened before");
        values.record(&mut Fields(&mut span.fields));
    }
}

impl Spans {
    fn named(&self, name: &str) -> Vec<Recorded> {
        self.0.lock().unwrap().iter().filter(|span| span.name == name).cloned().collect()
    }

    fn by_id(&self, id: u64) -> Recorded {
        self.0.lock().unwrap().iter().find(|span| span.id == id).cloned().expect("a recorded span")
    }

    fn ours(&self) -> usize {
        self.0.lock().unwrap().iter().filter(|span| span.name.starts_with("health.")).count()
    }
}

/// Runs `work` on a current-thread runtime with a paused clock and `spans`
/// as the tracing subscriber: the refresh task runs on this thread, so it
/// reports to it as well.
fn recorded<F: Future>(spans: &Spans, work: impl FnOnce() -> F) -> F::Output {
    let subscriber = tracing_subscriber::registry().with(spans.clone());
    tracing::subscriber::with_default(subscriber, || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().unwrap();
        runtime.block_on(work())
    })
}

/// The generation of the first background report newer than `after`, once
/// it lands, within a minute of Tokio's paused clock.
async fn generation_after<R: health_core::ReportSource>(monitor: &Monitor<R>, after: u64) -> u64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        assert!(tokio::time::Instant::now() < deadline, "no report after generation {after}");
        if let Some(latest) = monitor.latest(&Subject::Overall).unwrap()
            && latest.generation() > after
        {
            return latest.generation();
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The overall status as 64 concurrent reads see it.
async fn read_64<R: health_core::ReportSource<State = ()>>(monitor: &Monitor<R>) -> Vec<Status> {
    let mut reads = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let monitor = monitor.clone();
        reads.spawn(async move { monitor.read(&Subject::Overall, Selection::none()).await.unwrap().status() });
    }
    reads.join_all().await
}

#[test]
fn each_background_refresh_is_a_span_with_a_child_span_per_check_run() {
    let spans = Spans::default();
    recorded(&spans, || async {
        let monitor = Monitor::builder(Health::default(), ())
            .refresh_every(Duration::from_secs(1))
            .trace_refreshes(true)
            .build()
            .unwrap();
        let first = generation_after(&monitor, 0).await;
        let refreshes = spans.named("health.refresh");
        assert_eq!(refreshes.len(), 1, "{refreshes:?}");
        let refresh = &refreshes[0];
        assert_eq!(refresh.parent, None);
        assert_eq!(refresh.field("refresh"), "background");
        assert_eq!(refresh.field("components"), "4");
        assert_eq!(refresh.field("generation"), first.to_string());
        assert_eq!(refresh.field("status"), "DEGRADED");
        assert!(refresh.millis() >= 50.0, "the refresh waited for the slowest check: {refresh:?}");

        let checks = spans.named("health.check");
        let by_component: BTreeMap<&str, &Recorded> =
            checks.iter().map(|span| (span.field("component"), span)).collect();
        assert_eq!(checks.len(), 4, "{checks:?}");
        for (component, status, critical) in [
            ("database", "UP", "true"),
            ("cache", "DOWN", "false"),
            ("search", "UP", "false"),
            ("flags", "UP", "false"),
        ] {
            let span = by_component[component];
            assert_eq!(span.parent, Some(refresh.id), "{component} runs inside the refresh");
            assert_eq!((span.field("status"), span.field("critical")), (status, critical), "{span:?}");
            assert_eq!(span.field("attempts"), "1");
        }
        assert!(by_component["search"].millis() >= 50.0, "{:?}", by_component["search"]);
        assert!(by_component["database"].millis() < 50.0, "{:?}", by_component["database"]);

        let query = &spans.named("db.query")[0];
        let parent = spans.by_id(query.parent.expect("the client's span has a parent"));
        assert_eq!((parent.name, parent.field("component")), ("health.check", "database"));
        let fetch = &spans.named("flags.fetch")[0];
        let parent = spans.by_id(fetch.parent.expect("the cached check's span has a parent"));
        assert_eq!((parent.name, parent.field("component")), ("health.check", "flags"));

        // 64 concurrent reads answer from the refresh's report.
        assert_eq!(read_64(&monitor).await, [Status::Degraded; 64]);

        // The next refresh is a span of its own.
        let second = generation_after(&monitor, first).await;
        let refreshes = spans.named("health.refresh");
        assert_eq!(refreshes.len(), 2);
        assert_eq!(refreshes[1].field("generation"), second.to_string());
        assert_eq!(spans.named("health.check").iter().filter(|span| span.parent == Some(refreshes[1].id)).count(), 4);
    });
}

#[test]
fn refreshes_make_no_span_unless_asked() {
    let spans = Spans::default();
    recorded(&spans, || async {
        let monitor = Monitor::builder(Health::default(), ()).refresh_every(Duration::from_secs(1)).build().unwrap();
        let first = generation_after(&monitor, 0).await;
        generation_after(&monitor, first).await;
        assert_eq!(spans.ours(), 0, "{:?}", spans.0.lock().unwrap());
        let queries = spans.named("db.query");
        assert_eq!(queries.len(), 2, "the checks ran twice");
        assert!(queries.iter().all(|query| query.parent.is_none()), "{queries:?}");
    });
}

/// A check that takes 200 ms, and a report of it alone.
#[health_check(critical, timeout = "1s")]
async fn ledger() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[derive(HealthReport, Default)]
struct Ledger {
    ledger: LedgerCheck,
}

#[test]
fn on_request_only_the_refresh_of_watched_subjects_is_traced_even_when_it_joins_a_read() {
    let spans = Spans::default();
    recorded(&spans, || async {
        let monitor = Monitor::builder(Ledger::default(), ())
            .refresh_watched_every(Duration::from_millis(100))
            .trace_refreshes(true)
            .build()
            .unwrap();
        // Reads on request: never traced.
        assert_eq!(read_64(&monitor).await, [Status::Up; 64]);
        assert_eq!(spans.ours(), 0, "reads made spans");

        // A read starts a run at 50 ms; the watched refresh at 100 ms joins it.
        let watch = monitor.watch(&Subject::Overall).unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        let read = monitor.read(&Subject::Overall, Selection::none());
        assert_eq!(read.await.unwrap().status(), Status::Up);
        // The refresh lands at the same instant as the read: let it finish.
        tokio::time::sleep(Duration::from_millis(10)).await;
        let refreshes = spans.named("health.refresh");
        assert_eq!(refreshes.len(), 1, "{refreshes:?}");
        assert_eq!(refreshes[0].field("refresh"), "watched");
        assert_eq!(refreshes[0].field("status"), "UP");
        let checks = spans.named("health.check");
        assert_eq!(checks.len(), 1, "{checks:?}");
        assert_eq!((checks[0].parent, checks[0].field("status")), (Some(refreshes[0].id), "UP"));
        // The check span records the run it joined, 200 ms; the refresh
        // waited for it from 100 ms to 250 ms.
        assert_eq!(checks[0].millis(), 200.0, "{checks:?}");
        assert_eq!(refreshes[0].millis(), 150.0, "{refreshes:?}");
        drop(watch);
    });
}
