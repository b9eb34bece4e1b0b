//! Reading what is served, and asserting it: [`HealthClient`].

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};

use crate::group;
use crate::http::{ConfigError, HealthService, Visibility};
use crate::monitor::{Monitor, Subject};
use crate::testing::reports::{Reports, counter};
use crate::{ReportSource, Status};

/// The errors of bodies, as http-body-util's limit boxes them.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The largest body a [`HealthClient`] reads: far more than any report.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// Reads health endpoints the way a probe does, from a test, and asserts
/// what they answer: the status code and the body's status, of the whole
/// report, a group or a component. A failed assertion prints the route,
/// both answers and the whole report, as served (redacted as the service
/// redacts it).
///
/// It reads a [`Monitor`] through a default [`HealthService`] with every
/// detail shown, any tower service (a `HealthService`, an axum `Router`, an
/// application with a `HealthLayer`), or a served address over HTTP/1.1.
/// Its waits ([`wait_for`](Self::wait_for)) are bounded in time or in
/// reports.
///
/// ```
/// use health_core::monitor::{Monitor, Subject};
/// use health_core::testing::{HealthClient, ScriptedCheck, Step};
/// use health_core::{HealthReport, Status};
///
/// #[derive(HealthReport)]
/// struct Health {
///     #[health(critical)]
///     database: ScriptedCheck,
///     #[health(groups(liveness))]
///     heart: ScriptedCheck,
/// }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), health_core::http::ConfigError> {
/// let database = ScriptedCheck::new([Step::down("connection refused")]);
/// let monitor = Monitor::new(Health { database, heart: ScriptedCheck::new([]) }, ());
/// let client = HealthClient::monitor(&monitor)?;
/// client.expect("/health/ready", 503, Status::Down).await;
/// client.expect(Subject::group("liveness"), 200, Status::Up).await;
/// let database = client.expect(Subject::component("database"), 503, Status::Down).await;
/// assert_eq!(database.json().unwrap()["components"]["database"]["message"], "connection refused");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HealthClient {
    transport: Transport,
    base_path: String,
    timeout: Duration,
    pub(super) reports: Option<Arc<dyn Reports>>,
}

/// How long one request may take unless [`HealthClient::timeout`] says
/// otherwise.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How requests reach the endpoints.
#[derive(Clone)]
enum Transport {
    /// In process, through a tower service.
    Service(Arc<dyn Call>),
    /// Over HTTP/1.1, to a served address.
    Address(SocketAddr),
}

/// A tower service, cloned for each request, with its body read.
trait Call: Send + Sync {
    fn call(&self, path: String) -> Pin<Box<dyn Future<Output = Result<Reply, ClientError>> + Send>>;
}

/// What a route answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    path: String,
    code: u16,
    body: String,
}

/// Why a [`HealthClient`] got no answer.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The service failed, or the connection did: no answer.
    Transport {
        /// The path asked for.
        path: String,
        /// What failed.
        error: String,
    },
    /// The body could not be read, or was larger than 4 MiB.
    Body {
        /// The path asked for.
        path: String,
        /// What failed.
        error: String,
    },
    /// No answer within the client's timeout.
    Timeout {
        /// The path asked for.
        path: String,
        /// How long it waited.
        after: Duration,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Transport { path, error } => write!(f, "GET {path}: no answer: {error}"),
            ClientError::Body { path, error } => write!(f, "GET {path}: the body could not be read: {error}"),
            ClientError::Timeout { path, after } => write!(f, "GET {path}: no answer within {after:?}"),
        }
    }
}

impl std::error::Error for ClientError {}

/// A route of the health endpoints: a path, or the route serving a subject.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Route {
    /// A path as given, from the root: `/health/ready?verbose`.
    Path(String),
    /// The route of a subject under the base path: the whole report, a
    /// group (the built-in ones at `live`, `ready` and `startup`, the others
    /// at `group/{name}`) or a component (`{name}`).
    Subject(Subject),
}

impl From<&str> for Route {
    fn from(path: &str) -> Self {
        Route::Path(path.to_owned())
    }
}

impl From<String> for Route {
    fn from(path: String) -> Self {
        Route::Path(path)
    }
}

impl From<Subject> for Route {
    fn from(subject: Subject) -> Self {
        Route::Subject(subject)
    }
}

impl From<&Subject> for Route {
    fn from(subject: &Subject) -> Self {
        Route::Subject(subject.clone())
    }
}

impl HealthClient {
    /// A client of `monitor`, served by a [`HealthService`] of its own with
    /// the defaults but one: every detail shown. Its waits can count the
    /// monitor's reports.
    pub fn monitor<R: ReportSource>(monitor: &Monitor<R>) -> Result<HealthClient, ConfigError> {
        let service = HealthService::builder(monitor.clone()).visibility(Visibility::Always).build()?;
        Ok(HealthClient::service(service).counting(monitor))
    }

    /// A client of `service`: a [`HealthService`], an axum `Router`, or any
    /// application with the endpoints, called in process. Its base path is
    /// `/health` unless [`base_path`](Self::base_path) says otherwise.
    pub fn service<S, B>(service: S) -> HealthClient
    where
        S: tower_service::Service<http::Request<Empty<Bytes>>, Response = http::Response<B>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send,
        S::Error: fmt::Display,
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        HealthClient::with(Transport::Service(Arc::new(InProcess(service))))
    }

    /// A client of the endpoints served at `address`, over HTTP/1.1, one
    /// connection per request.
    pub fn address(address: SocketAddr) -> HealthClient {
        HealthClient::with(Transport::Address(address))
    }

    fn with(transport: Transport) -> HealthClient {
        HealthClient { transport, base_path: "/health".to_owned(), timeout: DEFAULT_REQUEST_TIMEOUT, reports: None }
    }

    /// How long one request may take, on Tokio's clock:
    /// [`DEFAULT_REQUEST_TIMEOUT`] unless set.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Where the endpoints of subjects are: `/health` by default.
    #[must_use]
    pub fn base_path(mut self, base_path: impl Into<String>) -> Self {
        self.base_path = base_path.into();
        self
    }

    /// Counts `monitor`'s reports, for waits bounded in reports
    /// ([`Within::Reports`](super::Within::Reports)): the monitor this
    /// client's service or address serves.
    #[must_use]
    pub fn counting<R: ReportSource>(mut self, monitor: &Monitor<R>) -> Self {
        self.reports = Some(counter(monitor));
        self
    }

    /// The path of `route`.
    pub fn path(&self, route: &Route) -> String {
        let base = self.base_path.trim_end_matches('/');
        match route {
            Route::Path(path) => path.clone(),
            Route::Subject(Subject::Overall) => if base.is_empty() { "/" } else { base }.to_owned(),
            Route::Subject(Subject::Group(name)) => match &**name {
                group::LIVENESS => format!("{base}/live"),
                group::READINESS => format!("{base}/ready"),
                group::STARTUP => format!("{base}/startup"),
                custom => format!("{base}/group/{custom}"),
            },
            Route::Subject(Subject::Component(name)) => format!("{base}/{name}"),
        }
    }

    /// `GET` `route`, asking for JSON, within the client's timeout.
    pub async fn get(&self, route: impl Into<Route>) -> Result<Reply, ClientError> {
        let path = self.path(&route.into());
        let answer = match &self.transport {
            Transport::Service(service) => service.call(path.clone()),
            Transport::Address(address) => Box::pin(over_http(*address, path.clone())),
        };
        match tokio::time::timeout(self.timeout, answer).await {
            Ok(answer) => answer,
            Err(_) => Err(ClientError::Timeout { path, after: self.timeout }),
        }
    }

    /// `GET` `route`, and asserts its status code and the status in its body.
    ///
    /// # Panics
    ///
    /// If it answers otherwise, or not at all; the message shows the answer
    /// and the whole report.
    pub async fn expect(&self, route: impl Into<Route>, code: u16, status: Status) -> Reply {
        let reply = self.answer(route.into()).await;
        if !reply.is(code, status) {
            panic!("{}", self.mismatch(&reply, code, status, "").await);
        }
        reply
    }

    /// `GET` `route`, panicking with the error if there is no answer.
    pub(super) async fn answer(&self, route: Route) -> Reply {
        match self.get(route).await {
            Ok(reply) => reply,
            Err(error) => panic!("{error}"),
        }
    }

    /// What a failed assertion says: the route, what was expected and
    /// answered, `context`, and the whole report unless the answer was it.
    pub(super) async fn mismatch(&self, reply: &Reply, code: u16, status: Status, context: &str) -> String {
        let mut said = format!(
            "GET {path} answered {answered}, expected {code} {status}{context}\nits body:\n{body}",
            path = reply.path,
            answered = reply.summary(),
            body = reply.pretty(),
        );
        let overall = self.path(&Route::Subject(Subject::Overall));
        if reply.path != overall {
            match self.get(overall.as_str()).await {
                Ok(whole) => said.push_str(&format!(
                    "\nthe whole report (GET {overall}, {}):\n{}",
                    whole.summary(),
                    whole.pretty()
                )),
                Err(error) => said.push_str(&format!("\nthe whole report could not be read: {error}")),
            }
        }
        said
    }
}

impl Reply {
    /// The path asked for.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The status code.
    pub fn code(&self) -> u16 {
        self.code
    }

    /// The body.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The status the body states, if it states one.
    pub fn status(&self) -> Option<Status> {
        let json = self.json()?;
        match json.get("status")?.as_str()? {
            "UP" => Some(Status::Up),
            "DEGRADED" => Some(Status::Degraded),
            "DOWN" => Some(Status::Down),
            _ => None,
        }
    }

    /// The status of the component `name` in the body, if it lists it.
    pub fn component(&self, name: &str) -> Option<Status> {
        let json = self.json()?;
        let status = json.get("components")?.get(name)?.get("status")?.as_str()?;
        [Status::Up, Status::Degraded, Status::Down].into_iter().find(|known| known.as_str() == status)
    }

    /// Whether it answered `code` with `status` in its body.
    pub fn is(&self, code: u16, status: Status) -> bool {
        self.code == code && self.status() == Some(status)
    }

    /// The code and the body's status in a line: `503 DOWN`, or
    /// `503 (no status in the body)`.
    pub fn summary(&self) -> String {
        match self.status() {
            Some(status) => format!("{} {status}", self.code),
            None => format!("{} (no status in the body)", self.code),
        }
    }

    fn pretty(&self) -> String {
        self.json().map_or_else(|| self.body.clone(), |json| super::runs::pretty(&json))
    }
}

/// A tower service, as a [`Call`].
struct InProcess<S>(S);

impl<S, B> Call for InProcess<S>
where
    S: tower_service::Service<http::Request<Empty<Bytes>>, Response = http::Response<B>>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
    S::Error: fmt::Display,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    fn call(&self, path: String) -> Pin<Box<dyn Future<Output = Result<Reply, ClientError>> + Send>> {
        let mut service = self.0.clone();
        Box::pin(async move {
            let failed =
                |error: &dyn fmt::Display| ClientError::Transport { path: path.clone(), error: error.to_string() };
            let request = http::Request::get(path.as_str())
                .header(http::header::ACCEPT, "application/json")
                .body(Empty::new())
                .map_err(|error| failed(&error))?;
            std::future::poll_fn(|cx| service.poll_ready(cx)).await.map_err(|error| failed(&error))?;
            let response = service.call(request).await.map_err(|error| failed(&error))?;
            read(path.clone(), response).await
        })
    }
}

/// `GET path` from `address`, over HTTP/1.1.
async fn over_http(address: SocketAddr, path: String) -> Result<Reply, ClientError> {
    let authority = address.to_string();
    let response = crate::ops::get::get(
        &address.ip().to_string(),
        address.port(),
        &authority,
        &path,
        &[(http::header::ACCEPT, "application/json"), (http::header::USER_AGENT, "health-core testing")],
    )
    .await
    .map_err(|error| ClientError::Transport { path: path.clone(), error: error.to_string() })?;
    read(path, response).await
}

/// The reply of `response`, its body read.
async fn read<B>(path: String, response: http::Response<B>) -> Result<Reply, ClientError>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    let code = response.status().as_u16();
    let collected = Limited::new(response.into_body(), MAX_BODY).collect().await;
    let bytes = collected.map_err(|error| ClientError::Body { path: path.clone(), error: error.to_string() })?;
    let body = String::from_utf8_lossy(&bytes.to_bytes()).into_owned();
    Ok(Reply { path, code, body })
}

impl fmt::Debug for HealthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let transport = match &self.transport {
            Transport::Service(_) => "in process".to_owned(),
            Transport::Address(address) => address.to_string(),
        };
        f.debug_struct("HealthClient")
            .field("transport", &transport)
            .field("base_path", &self.base_path)
            .field("timeout", &self.timeout)
            .field("counts_reports", &self.reports.is_some())
            .finish()
    }
}
