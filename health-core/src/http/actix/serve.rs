//! Running an actix-web server until the process is told to stop, draining
//! first: the same rule as `serve` for axum.

use std::io;
use std::pin::pin;
use std::time::Duration;

use actix_http::Request;
use actix_service::{IntoServiceFactory, Service, ServiceFactory};
use actix_web::HttpServer;
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, Response};
use tokio::sync::oneshot;

use crate::monitor::ShutdownHandle;
use crate::ops::signal::{Aborting, watch_signals};
use crate::race::{First, race};

/// Runs `server` until SIGTERM, Ctrl-C or
/// [`ShutdownHandle::begin_shutdown`]; then drains at once (readiness, the
/// whole and the groups but liveness turn DOWN: see
/// [`Monitor::begin_shutdown`](crate::monitor::Monitor::begin_shutdown)),
/// keeps serving for `drain` so load balancers notice, and stops the server
/// gracefully (`ServerHandle::stop(true)`): in-flight requests get the
/// server's `shutdown_timeout` (30 s unless set) to finish. A second signal
/// stops at once.
///
/// actix-web's own signal handling is turned off, so that no signal stops
/// the server before the drain. Give it the shutdown handle of the monitor
/// its health service serves. Each step is logged through `tracing`.
///
/// ```no_run
/// use std::time::Duration;
/// use actix_web::{App, HttpServer};
/// use health_core::http::{HealthService, serve_actix};
/// use health_core::monitor::Monitor;
/// use health_core::{health_check, HealthReport};
///
/// #[health_check]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck }
///
/// // What `#[actix_web::main]` does, with actix-web's `macros` feature.
/// fn main() -> std::io::Result<()> {
///     actix_web::rt::System::new().block_on(async {
///         let monitor = Monitor::new(Health::default(), ());
///         let shutdown = monitor.shutdown_handle();
///         let health = HealthService::builder(monitor).build().expect("a valid configuration");
///         let server = HttpServer::new(move || App::new().service(health.actix()))
///             .shutdown_timeout(10)
///             .bind(("0.0.0.0", 8080))?;
///         serve_actix(server, shutdown, Duration::from_secs(5)).await
///     })
/// }
/// ```
///
/// # Errors
///
/// The error the server ends with.
pub async fn serve_actix<F, I, S, B>(
    server: HttpServer<F, I, S, B>,
    shutdown: ShutdownHandle,
    drain: Duration,
) -> io::Result<()>
where
    F: Fn() -> I + Send + Clone + 'static,
    I: IntoServiceFactory<S, Request>,
    S: ServiceFactory<Request, Config = AppConfig> + 'static,
    S::Error: Into<actix_web::Error> + 'static,
    S::InitError: std::fmt::Debug,
    S::Response: Into<Response<B>> + 'static,
    <S::Service as Service<Request>>::Future: 'static,
    S::Service: 'static,
    B: MessageBody + 'static,
{
    let server = server.disable_signals().run();
    let handle = server.handle();
    let (insist, insisted) = oneshot::channel::<()>();
    let _watcher = Aborting(tokio::spawn(watch_signals(shutdown.clone(), insist)));
    let (mut server, mut insisted) = (pin!(server), pin!(insisted));
    if let First::Left(ended) = race(server.as_mut(), shutdown.shutdown_begun()).await {
        return ended;
    }
    tracing::info!(drain_ms = drain.as_millis() as u64, "shutting down: draining");
    match race(server.as_mut(), race(tokio::time::sleep(drain), insisted.as_mut())).await {
        First::Left(ended) => return ended,
        First::Right(First::Left(())) => {
            tracing::info!("shutting down: stopping gracefully");
            // The command is sent at once; the server's future tells when it is done.
            drop(handle.stop(true));
        }
        First::Right(First::Right(_)) => return stop_now(&handle, server).await,
    }
    match race(server.as_mut(), insisted).await {
        First::Left(ended) => ended,
        First::Right(_) => stop_now(&handle, server).await,
    }
}

/// Stops without waiting for the requests under way.
async fn stop_now(
    handle: &actix_web::dev::ServerHandle,
    server: std::pin::Pin<&mut actix_web::dev::Server>,
) -> io::Result<()> {
    tracing::warn!("stopping without waiting for in-flight requests");
    drop(handle.stop(false));
    server.await
}
