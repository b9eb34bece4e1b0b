//! The `grpc.health.v1.Health` service: Check, List and Watch over a monitor.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tonic::{Request, Response};

use super::GrpcHealthServiceBuilder;
use super::deadline;
use super::names::{Names, Served};
use super::pb::health_check_response::ServingStatus as Wire;
use super::pb::health_server::{Health, HealthServer};
use super::pb::{HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse};
use super::watch::WatchStream;
use crate::monitor::Monitor;
use crate::monitor::Target;
use crate::report::Selection;
use crate::{ReportSource, Status};

/// The `grpc.health.v1.Health` service of a monitor; build it with
/// [`GrpcHealthServiceBuilder`](super::GrpcHealthServiceBuilder), and add [`server`](Self::server) to a
/// tonic server. Cloning is cheap: clones share the monitor and the watches.
pub struct GrpcHealthService<R: ReportSource> {
    inner: Arc<Inner<R>>,
}

struct Inner<R: ReportSource> {
    monitor: Monitor<R>,
    names: Names,
    /// True once the watches are stopped.
    stopped: watch::Sender<bool>,
}

impl<R: ReportSource> GrpcHealthService<R> {
    /// The `grpc.health.v1.Health` service of `monitor`, to configure, then
    /// [`build`](GrpcHealthServiceBuilder::build). Defaults: UP and DEGRADED
    /// → `SERVING`, DOWN → `NOT_SERVING`, for every name.
    pub fn builder(monitor: Monitor<R>) -> GrpcHealthServiceBuilder<R> {
        GrpcHealthServiceBuilder::new(monitor)
    }

    pub(super) fn new(monitor: Monitor<R>, names: Names) -> Self {
        GrpcHealthService { inner: Arc::new(Inner { monitor, names, stopped: watch::Sender::new(false) }) }
    }

    /// The tonic service to add to a server:
    /// `Server::builder().add_service(health.server())`.
    pub fn server(&self) -> HealthServer<Self> {
        HealthServer::new(self.clone())
    }

    /// The monitor served.
    pub fn monitor(&self) -> &Monitor<R> {
        &self.inner.monitor
    }

    /// Every served name, in the order `List` gives them: `""`, the groups,
    /// the components, then the mapped names.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.inner.names.iter().map(|served| &*served.name)
    }

    /// Kubernetes `startupProbe`, `readinessProbe` and `livenessProbe` calling
    /// `Check` on `port` for the `startup`, `readiness` and `liveness` names,
    /// as YAML for a container's spec. Kubernetes wants the port as a number.
    /// Each probe's `timeoutSeconds` is its group's longest check timeout
    /// rounded up, plus a second for the answer to travel, as for HTTP.
    ///
    /// ```
    /// use health_core::grpc::GrpcHealthService;
    /// use health_core::{health_check, HealthReport};
    /// use health_core::monitor::Monitor;
    ///
    /// #[health_check(timeout = "2s", critical)]
    /// async fn database() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { database: DatabaseCheck }
    ///
    /// let health = GrpcHealthService::builder(Monitor::new(Health::default(), ())).build().unwrap();
    /// let probes = health.probes(50051);
    /// assert!(probes.contains("readinessProbe:\n  failureThreshold: 3\n  grpc:\n    port: 50051\n    service: readiness\n"));
    /// assert!(probes.contains("timeoutSeconds: 3"));
    /// ```
    pub fn probes(&self, port: u16) -> String {
        crate::ops::kubernetes::manifests(
            &self.inner.monitor,
            |group| serde_json::json!({ "grpc": { "port": port, "service": group } }),
        )
    }

    /// Completes `drain` after shutdown has begun (see
    /// [`Monitor::begin_shutdown`]), having ended every open `Watch` so that
    /// a tonic server's graceful shutdown can finish: give it to
    /// `serve_with_shutdown`. Meanwhile the names the monitor drains (all
    /// but `liveness` and the components) answer `NOT_SERVING`, and open
    /// watches have been told so.
    pub fn drained(&self, drain: Duration) -> impl Future<Output = ()> + Send + 'static {
        let service = self.clone();
        async move {
            service.inner.monitor.shutdown_handle().shutdown_begun().await;
            tokio::time::sleep(drain).await;
            service.stop_watches();
        }
    }

    /// Ends every open `Watch` now, each after its latest status, and
    /// refuses new ones with `UNAVAILABLE`: streams that never end would hold
    /// a graceful shutdown forever. Clients retry a watch that ends.
    pub fn stop_watches(&self) {
        self.inner.stopped.send_replace(true);
    }

    /// The serving status of a served name now: from the monitor's read (a
    /// fresh background snapshot, or a run), or DOWN's while it drains.
    async fn serving(&self, served: &Served) -> Wire {
        let monitor = &self.inner.monitor;
        let drained = || served.drains && monitor.is_shutting_down();
        if drained() {
            return served.statuses.of(Status::Down).into();
        }
        let status = monitor.measure(served.target, Selection::none()).await.status();
        // Shutdown may have begun while the checks ran.
        let status = if drained() { Status::Down } else { status };
        served.statuses.of(status).into()
    }

    /// Every served name's serving status, from one measure of the whole:
    /// the names that drain are DOWN while the process drains, the others
    /// keep being measured.
    async fn statuses(&self) -> HealthListResponse {
        let monitor = &self.inner.monitor;
        let reading = monitor.measure(Target::Overall, Selection::none()).await;
        let draining = monitor.is_shutting_down();
        let catalog = monitor.catalog();
        let statuses = self
            .inner
            .names
            .iter()
            .map(|served| {
                let status = match reading.snapshot() {
                    _ if draining && served.drains => Status::Down,
                    Some(snapshot) => {
                        let single = matches!(served.target, Target::Component(_));
                        snapshot.status(catalog.selection(served.target), single)
                    }
                    // A measure always has a snapshot.
                    None => Status::Down,
                };
                let wire: Wire = served.statuses.of(status).into();
                (served.name.to_string(), HealthCheckResponse { status: wire.into() })
            })
            .collect();
        HealthListResponse { statuses }
    }

    /// Completes when the watches are stopped, or the service is gone.
    fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stopped = self.inner.stopped.subscribe();
        async move {
            let _ = stopped.wait_for(|stopped| *stopped).await;
        }
    }
}

/// Runs `answer` within the caller's deadline, if it gave one: past it, the
/// work is dropped (and with it any check still running) and the call is
/// answered `DEADLINE_EXCEEDED`.
async fn within<T>(
    metadata: &tonic::metadata::MetadataMap,
    answer: impl Future<Output = T>,
) -> Result<T, tonic::Status> {
    match deadline::budget(metadata)? {
        None => Ok(answer.await),
        Some(budget) => tokio::time::timeout(budget, answer)
            .await
            .map_err(|_| tonic::Status::deadline_exceeded("the health checks did not finish within the deadline")),
    }
}

#[tonic::async_trait]
impl<R: ReportSource> Health for GrpcHealthService<R> {
    async fn check(
        &self,
        request: Request<HealthCheckRequest>,
    ) -> Result<Response<HealthCheckResponse>, tonic::Status> {
        let name = &request.get_ref().service;
        let Some(served) = self.inner.names.get(name) else {
            return Err(tonic::Status::not_found(format!(
                "no service named `{name}` is served; List gives every name"
            )));
        };
        let wire = within(request.metadata(), self.serving(served)).await?;
        Ok(Response::new(HealthCheckResponse { status: wire.into() }))
    }

    async fn list(&self, request: Request<HealthListRequest>) -> Result<Response<HealthListResponse>, tonic::Status> {
        Ok(Response::new(within(request.metadata(), self.statuses()).await?))
    }

    type WatchStream = WatchStream;

    async fn watch(&self, request: Request<HealthCheckRequest>) -> Result<Response<WatchStream>, tonic::Status> {
        if *self.inner.stopped.borrow() {
            return Err(tonic::Status::unavailable("the server is shutting down"));
        }
        let name = &request.get_ref().service;
        let Some(served) = self.inner.names.get(name) else {
            return Ok(Response::new(WatchStream::unknown(Box::pin(self.stopped()))));
        };
        let monitor = &self.inner.monitor;
        // On request, nothing runs unless something reads: one read gives the
        // first answer at once. In the background, the refresh gives it.
        if monitor.refresh_interval().is_none() && monitor.status_of(served.target).is_none() {
            within(request.metadata(), self.serving(served)).await?;
        }
        let stream = WatchStream::new(
            monitor.watch_target(served.target),
            served.statuses,
            served.drains,
            monitor.shutdown_handle(),
            Box::pin(self.stopped()),
        );
        Ok(Response::new(stream))
    }
}

impl<R: ReportSource> Clone for GrpcHealthService<R> {
    fn clone(&self) -> Self {
        GrpcHealthService { inner: Arc::clone(&self.inner) }
    }
}

impl<R: ReportSource> fmt::Debug for GrpcHealthService<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrpcHealthService")
            .field("monitor", &self.inner.monitor)
            .field("names", &self.names().collect::<Vec<_>>())
            .field("stopped", &*self.inner.stopped.borrow())
            .finish()
    }
}
