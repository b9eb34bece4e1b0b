//! The tower `Service` answering the health endpoints.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Request, Response};
use http_body_util::Full;
use std::time::SystemTime;
use subtle::ConstantTimeEq;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::{Component, ComponentSet, ComponentVisitor, HealthReport, Report, Selection, Status};

use super::config::{Hook, valid_base_path, valid_code};
use super::openapi::{ERROR_CODES, OWN_SCHEMAS};
use super::race::{First, race};
use super::render::View;
use super::route::{self, Endpoint};
use super::{ConfigError, Mode, RequestError, ShutdownHandle, StatusChange, StatusCodes, Visibility};

/// Builds the health endpoints of a report: `GET`/`HEAD` on `/health`,
/// `/health/live`, `/health/ready`, `/health/startup` and `/health/{component}`.
///
/// ```
/// use std::time::Duration;
/// use health_core::http::{Endpoint, HealthEndpoints, StatusCodes, Visibility};
/// use health_core::{health_check, HealthReport};
///
/// #[health_check(timeout = "100ms")]
/// async fn ping() {}
///
/// #[derive(HealthReport, Default)]
/// struct Health { ping: PingCheck }
///
/// # fn main() -> Result<(), health_core::http::ConfigError> {
/// let service = HealthEndpoints::new(Health::default(), ())
///     .base_path("/internal/health")
///     .visibility(Visibility::Always)
///     .status_codes(Endpoint::Ready, StatusCodes::default().degraded(http::StatusCode::TOO_MANY_REQUESTS))
///     .build()?;
/// # let _ = service; Ok(()) }
/// ```
pub struct HealthEndpoints<H: HealthReport>
where
    H::State: Sized,
{
    report: H,
    state: Arc<H::State>,
    base_path: String,
    codes: [StatusCodes; 5],
    visibility: Visibility,
    mode: Mode,
    hooks: Vec<Hook>,
    shutdown: ShutdownHandle,
    disabled: Vec<String>,
    openapi_path: Option<String>,
}

impl<H> HealthEndpoints<H>
where
    H: HealthReport + 'static,
    H::State: Sized + Send + Sync + 'static,
    H::Components: 'static,
{
    /// Endpoints for `report`, whose checks receive `state`. Defaults: base
    /// path `/health`, UP and DEGRADED → 200 and DOWN → 503 everywhere,
    /// [`Visibility::Never`], checks run on each request.
    pub fn new(report: H, state: impl Into<Arc<H::State>>) -> Self {
        HealthEndpoints {
            report,
            state: state.into(),
            base_path: "/health".into(),
            codes: [StatusCodes::default(); 5],
            visibility: Visibility::default(),
            mode: Mode::OnRequest,
            hooks: Vec::new(),
            shutdown: ShutdownHandle::new(),
            disabled: Vec::new(),
            openapi_path: None,
        }
    }

    /// Also serves the OpenAPI document of the endpoints (see
    /// [`HealthService::openapi`]) at `path`, such as `/openapi.json`, from
    /// the axum router.
    #[must_use]
    pub fn openapi_path(mut self, path: impl Into<String>) -> Self {
        self.openapi_path = Some(path.into());
        self
    }

    /// Leaves the component `name` out of every endpoint: it is never run, and
    /// its own route answers 404. For dependencies that only some deployments
    /// have, decided by configuration at startup.
    #[must_use]
    pub fn disable(mut self, name: impl Into<String>) -> Self {
        self.disabled.push(name.into());
        self
    }

    /// Where the endpoints live, such as `/internal/health`.
    #[must_use]
    pub fn base_path(mut self, path: impl Into<String>) -> Self {
        self.base_path = path.into();
        self
    }

    /// The status codes of one endpoint.
    #[must_use]
    pub fn status_codes(mut self, endpoint: Endpoint, codes: StatusCodes) -> Self {
        self.codes[endpoint as usize] = codes;
        self
    }

    /// What responses show beyond statuses.
    #[must_use]
    pub fn visibility(mut self, visibility: Visibility) -> Self {
        self.visibility = visibility;
        self
    }

    /// Runs the whole report every `every` in the background and answers
    /// requests from the latest one.
    #[must_use]
    pub fn refresh_every(mut self, every: Duration) -> Self {
        self.mode = Mode::Background { every };
        self
    }

    /// Calls `hook` when a component's status or the overall status changes;
    /// a `tracing` event is emitted as well. Not called on every probe.
    #[must_use]
    pub fn on_status_change(mut self, hook: impl Fn(&StatusChange) + Send + Sync + 'static) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// Uses `handle` to learn about shutdown (a new one by default).
    #[must_use]
    pub fn shutdown_handle(mut self, handle: ShutdownHandle) -> Self {
        self.shutdown = handle;
        self
    }

    /// Checks the configuration and builds the service. In background mode it
    /// must be called inside a Tokio runtime, where the refresh task starts.
    pub fn build(self) -> Result<HealthService<H>, ConfigError> {
        if !valid_base_path(&self.base_path) {
            return Err(ConfigError::BadBasePath(self.base_path));
        }
        // Codes for reports must carry a body and differ from the codes of
        // errors, or the OpenAPI document could not tell the answers apart.
        let authorized = matches!(self.visibility, Visibility::WhenAuthorized { .. });
        let taken = |code: u16| ERROR_CODES.contains(&code) || (authorized && code == 401);
        for (endpoint, codes) in Endpoint::ALL.into_iter().zip(&self.codes) {
            let codes = Status::ALL.map(|status| codes.code(status));
            if let Some(code) = codes.into_iter().find(|code| !valid_code(*code) || taken(code.as_u16())) {
                return Err(ConfigError::BadStatusCode { endpoint, code: code.as_u16() });
            }
        }
        // The OpenAPI document names its own schemas beside the details types'.
        let report = H::json_schema();
        let title = report["title"].as_str().unwrap_or_default();
        let own: Vec<String> = OWN_SCHEMAS
            .iter()
            .map(|name| (*name).to_owned())
            .chain(["Report", "Liveness", "Readiness", "Startup", "Component"].map(|suffix| format!("{title}{suffix}")))
            .collect();
        if let Some(taken) = report["$defs"].as_object().and_then(|defs| defs.keys().find(|name| own.contains(name))) {
            return Err(ConfigError::SchemaNameTaken(taken.clone()));
        }
        if let Some(path) = &self.openapi_path
            && (!valid_base_path(path) || path == &self.base_path || path.starts_with(&format!("{}/", self.base_path)))
        {
            return Err(ConfigError::BadOpenApiPath(path.clone()));
        }
        if let Visibility::WhenAuthorized { token } = &self.visibility
            && (token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()))
        {
            return Err(ConfigError::BadToken);
        }
        let background = match self.mode {
            Mode::OnRequest => None,
            Mode::Background { every } if every < MIN_REFRESH => return Err(ConfigError::RefreshTooFrequent(every)),
            Mode::Background { every } => {
                Some((every, tokio::runtime::Handle::try_current().map_err(|_| ConfigError::NoRuntime)?))
            }
        };
        let mut enabled = Selection::all();
        for name in &self.disabled {
            let index = H::COMPONENTS
                .iter()
                .position(|c| c.name == name)
                .ok_or_else(|| ConfigError::UnknownComponent(name.clone()))?;
            enabled = enabled.without(index);
        }
        let (sender, receiver) = watch::channel(None);
        let inner = Arc::new(Inner {
            seen: Mutex::new(Seen { overall: None, components: vec![None; H::COMPONENTS.len()] }),
            report: self.report,
            state: self.state,
            base_path: self.base_path,
            codes: self.codes,
            visibility: self.visibility,
            hooks: self.hooks,
            shutdown: self.shutdown,
            // A snapshot older than two intervals and the slowest check's timeout
            // means the refresh has stopped; requests then run the checks.
            stale_after: background
                .as_ref()
                .map(|(every, _)| *every * 2 + H::COMPONENTS.iter().map(|c| c.timeout).max().unwrap_or_default()),
            snapshots: background.is_some().then_some(receiver),
            enabled,
            token_hasher: std::hash::RandomState::new(),
            openapi_path: self.openapi_path,
        });
        if let Some((every, runtime)) = background {
            runtime.spawn(refresh(Arc::downgrade(&inner), sender, every));
        }
        Ok(HealthService { inner })
    }
}

/// Runs the report every `every` until the service is dropped: the service
/// holds the only receiver, so the channel closes with it.
async fn refresh<H>(inner: std::sync::Weak<Inner<H>>, sender: watch::Sender<Latest<H::Components>>, every: Duration)
where
    H: HealthReport,
    H::State: Sized,
{
    loop {
        let Some(inner) = inner.upgrade() else { return };
        let report = inner.report.report_selected(&inner.state, inner.enabled).await;
        inner.track(&report.components, inner.enabled, report.timestamp, Some(report.status));
        sender.send_replace(Some(Arc::new(Snapshot::new(report))));
        drop(inner);
        if let First::Right(()) = race(tokio::time::sleep(every), sender.closed()).await {
            return;
        }
    }
}

/// The health endpoints as a tower `Service`; build it with [`HealthEndpoints`].
/// Cloning is cheap: clones share checks, caches and snapshots.
pub struct HealthService<H: HealthReport>
where
    H::State: Sized,
{
    pub(super) inner: Arc<Inner<H>>,
}

impl<H: HealthReport> Clone for HealthService<H>
where
    H::State: Sized,
{
    fn clone(&self) -> Self {
        HealthService { inner: Arc::clone(&self.inner) }
    }
}

impl<H: HealthReport> HealthService<H>
where
    H::State: Sized,
{
    /// The handle that drains readiness on shutdown.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.inner.shutdown.clone()
    }

    /// The base path, such as `/health`.
    pub fn base_path(&self) -> &str {
        &self.inner.base_path
    }

    /// Whether `path` is one of this service's: the base path or below it.
    pub fn serves(&self, path: &str) -> bool {
        path.strip_prefix(self.inner.base_path.as_str()).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    }
}

pub(super) struct Inner<H: HealthReport>
where
    H::State: Sized,
{
    report: H,
    state: Arc<H::State>,
    pub(super) base_path: String,
    pub(super) codes: [StatusCodes; 5],
    pub(super) visibility: Visibility,
    hooks: Vec<Hook>,
    shutdown: ShutdownHandle,
    /// The latest background report, in background mode.
    snapshots: Option<watch::Receiver<Latest<H::Components>>>,
    seen: Mutex<Seen>,
    /// The components not disabled.
    pub(super) enabled: Selection,
    /// When a background snapshot is too old to serve.
    pub(super) stale_after: Option<Duration>,
    /// Keyed hashing for comparing bearer tokens in time independent of their length.
    token_hasher: std::hash::RandomState,
    /// Where the router serves the OpenAPI document, if anywhere.
    pub(super) openapi_path: Option<String>,
}

/// The shortest background refresh interval accepted.
pub(crate) const MIN_REFRESH: Duration = Duration::from_millis(100);

struct Snapshot<C> {
    report: Report<C>,
    taken: Instant,
    /// Bodies rendered from this report, for requests without `exclude`:
    /// a snapshot does not change, so each is rendered once.
    rendered: [OnceLock<(Status, Bytes)>; RENDERED],
}

/// Group endpoints (4) × formats (3) × with or without details (2).
const RENDERED: usize = 4 * 3 * 2;

impl<C> Snapshot<C> {
    fn new(report: Report<C>) -> Self {
        Snapshot { report, taken: Instant::now(), rendered: std::array::from_fn(|_| OnceLock::new()) }
    }

    /// Where the body for these options is kept, if it is kept.
    fn slot(
        &self,
        endpoint: Endpoint,
        format: route::Format,
        details: bool,
        excluded: bool,
    ) -> Option<&OnceLock<(Status, Bytes)>> {
        let endpoint = match endpoint {
            Endpoint::Component => return None,
            _ if excluded => return None,
            other => other as usize,
        };
        let format = match format {
            route::Format::Json => 0,
            route::Format::HealthJson => 1,
            route::Format::Text => 2,
        };
        self.rendered.get((endpoint * 3 + format) * 2 + usize::from(details))
    }
}

/// The latest background report; `None` until the first run completes.
type Latest<C> = Option<Arc<Snapshot<C>>>;

/// The statuses last seen, with when their report started, to report changes
/// only, and in the order the reports started.
struct Seen {
    overall: Option<(Status, SystemTime)>,
    components: Vec<Option<(Status, SystemTime)>>,
}

/// What the service needs of a request; the body is not read.
struct Asked {
    method: Method,
    path: String,
    query: Option<String>,
    /// Every `Accept` line, joined with commas.
    accept: Option<Vec<u8>>,
    authorization: Option<HeaderValue>,
}

/// The values of a repeatable header as one comma-separated list.
fn joined(values: http::header::GetAll<'_, HeaderValue>) -> Option<Vec<u8>> {
    let mut list: Option<Vec<u8>> = None;
    for value in values {
        let list = list.get_or_insert_with(Vec::new);
        if !list.is_empty() {
            list.push(b',');
        }
        list.extend_from_slice(value.as_bytes());
    }
    list
}

impl<H, B> tower_service::Service<Request<B>> for HealthService<H>
where
    H: HealthReport + 'static,
    H::State: Sized + Send + Sync + 'static,
    H::Components: 'static,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let inner = Arc::clone(&self.inner);
        let asked = Asked {
            method: request.method().clone(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().map(str::to_owned),
            accept: joined(request.headers().get_all(header::ACCEPT)),
            authorization: request.headers().get(header::AUTHORIZATION).cloned(),
        };
        // HEAD answers are rendered like GET ones, so that `Content-Length`
        // matches; the server leaves the body out.
        Box::pin(async move {
            Ok(match inner.answer(&asked).await {
                Ok(response) => response,
                Err(error) => error_response(&error),
            })
        })
    }
}

impl<H: HealthReport> Inner<H>
where
    H::State: Sized,
{
    async fn answer(&self, asked: &Asked) -> Result<Response<Full<Bytes>>, RequestError> {
        if asked.method != Method::GET && asked.method != Method::HEAD {
            return Err(RequestError::MethodNotAllowed);
        }
        let rest = asked
            .path
            .strip_prefix(self.base_path.as_str())
            .filter(|rest| rest.is_empty() || rest.starts_with('/'))
            .ok_or_else(|| RequestError::NotFound(asked.path.clone()))?;
        let components = H::COMPONENTS;
        let (endpoint, component) = route::endpoint(components, rest)?;
        if let Some(index) = component
            && !self.enabled.contains(index)
        {
            return Err(RequestError::UnknownComponent(components[index].name.to_owned()));
        }
        let query = route::query(components, asked.query.as_deref())?;
        let format = route::format(query.verbose, asked.accept.as_deref())?;
        let details = self.details_shown(asked.authorization.as_ref())?;
        let mut selection = match (endpoint, component) {
            (Endpoint::Component, Some(index)) => Selection::none().with(index),
            _ => endpoint.group().map_or(Selection::all(), |group| Selection::group(components, group)),
        };
        for index in &query.exclude {
            if !self.enabled.contains(*index) {
                return Err(RequestError::UnknownComponent(components[*index].name.to_owned()));
            }
            selection = selection.without(*index);
        }
        selection = selection.intersect(self.enabled);
        let codes = &self.codes[endpoint as usize];

        if endpoint == Endpoint::Ready && self.shutdown.is_shutting_down() {
            return Ok(respond(&notice(details, "shutting down"), format, codes, None));
        }
        let single = endpoint == Endpoint::Component;
        let latest = self.snapshots.as_ref().and_then(|snapshots| snapshots.borrow().clone());
        let fresh = latest.filter(|snapshot| self.stale_after.is_none_or(|limit| snapshot.taken.elapsed() <= limit));
        if let Some(snapshot) = fresh {
            let age = Some(snapshot.taken.elapsed());
            let view = view(&snapshot.report, selection, details, single);
            return Ok(match snapshot.slot(endpoint, format, details, !query.exclude.is_empty()) {
                Some(slot) => {
                    let (status, body) = slot.get_or_init(|| rendered(&view, format));
                    response(codes.code(*status), format, body.clone(), age)
                }
                None => respond(&view, format, codes, age),
            });
        }
        // On request; in background mode too until the first report, or when
        // the refresh has stopped, so that probes are never answered from nothing.
        let report = self.report.report_selected(&self.state, selection).await;
        let overall = (endpoint == Endpoint::All && query.exclude.is_empty()).then_some(report.status);
        self.track(&report.components, selection, report.timestamp, overall);
        Ok(respond(&view(&report, selection, details, single), format, codes, None))
    }

    /// Whether the request may see messages and details; a wrong token is refused.
    fn details_shown(&self, authorization: Option<&HeaderValue>) -> Result<bool, RequestError> {
        match &self.visibility {
            Visibility::Always => Ok(true),
            Visibility::Never => Ok(false),
            Visibility::WhenAuthorized { token } => {
                let Some(authorization) = authorization else { return Ok(false) };
                let value = authorization.as_bytes();
                let scheme_ok = value.len() > 7 && value[..7].eq_ignore_ascii_case(b"bearer ");
                let presented =
                    if scheme_ok { value[7..].trim_ascii() } else { return Err(RequestError::Unauthorized) };
                // Keyed hashes have one length whatever the tokens', so the
                // comparison time reveals neither content nor length.
                let digest = |bytes: &[u8]| std::hash::BuildHasher::hash_one(&self.token_hasher, bytes).to_le_bytes();
                if bool::from(digest(presented).ct_eq(&digest(token.as_bytes()))) {
                    Ok(true)
                } else {
                    Err(RequestError::Unauthorized)
                }
            }
        }
    }

    /// Records the statuses of the selected components, and the overall one
    /// when given, from a report that started at `started`; reports changes to
    /// the hooks and as `tracing` events. A report that started before the one
    /// already recorded changes nothing: concurrent reports may finish out of order.
    fn track(&self, components: &H::Components, selection: Selection, started: SystemTime, overall: Option<Status>) {
        struct Diff<'s>(Selection, SystemTime, &'s mut [Option<(Status, SystemTime)>], Vec<StatusChange>);
        impl ComponentVisitor for Diff<'_> {
            fn component<T: serde::Serialize>(&mut self, index: usize, name: &'static str, component: &Component<T>) {
                if !self.0.contains(index) {
                    return;
                }
                if let Some(seen) = self.2.get_mut(index) {
                    self.3.extend(advance(seen, component.status, self.1, Some(name)));
                }
            }
        }
        let changes = {
            let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
            let Seen { overall: seen_overall, components: seen_components } = &mut *seen;
            let mut diff = Diff(selection, started, seen_components, Vec::new());
            components.visit(&mut diff);
            let mut changes = diff.3;
            if let Some(status) = overall {
                changes.extend(advance(seen_overall, status, started, None));
            }
            changes
        };
        for change in &changes {
            let from = change.from.map_or("none", Status::as_str);
            match change.component {
                Some(name) => tracing::info!(component = name, from, to = change.to.as_str(), "health status changed"),
                None => tracing::info!(from, to = change.to.as_str(), "overall health status changed"),
            }
            for hook in &self.hooks {
                // A hook that panics must not take the answer or the refresh task with it.
                if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(change))).is_err() {
                    tracing::warn!("a status change hook panicked");
                }
            }
        }
    }
}

/// Moves `seen` to `status` if the report at `started` is not older; the change, if any.
fn advance(
    seen: &mut Option<(Status, SystemTime)>,
    status: Status,
    started: SystemTime,
    component: Option<&'static str>,
) -> Option<StatusChange> {
    let previous = *seen;
    if previous.is_some_and(|(_, at)| at > started) {
        return None;
    }
    *seen = Some((status, started));
    let from = previous.map(|(status, _)| status);
    (from != Some(status)).then_some(StatusChange { component, from, to: status })
}

fn view<C>(report: &Report<C>, selection: Selection, details: bool, single: bool) -> View<'_, C> {
    View {
        components: &report.components,
        selection,
        timestamp: report.timestamp,
        duration: report.duration,
        details,
        message: None,
        status_override: None,
        single,
    }
}

/// A DOWN answer with a note, without running checks.
fn notice(details: bool, message: &str) -> View<'_, NoComponents> {
    View {
        components: &NoComponents,
        selection: Selection::none(),
        timestamp: std::time::SystemTime::now(),
        duration: Duration::ZERO,
        details,
        message: Some(message),
        status_override: Some(Status::Down),
        single: false,
    }
}

/// No components: the body of answers given without running checks.
struct NoComponents;

impl ComponentSet for NoComponents {
    fn visit<V: ComponentVisitor>(&self, _: &mut V) {}
}

fn respond<C: ComponentSet>(
    view: &View<'_, C>,
    format: route::Format,
    codes: &StatusCodes,
    age: Option<Duration>,
) -> Response<Full<Bytes>> {
    let (status, body) = rendered(view, format);
    response(codes.code(status), format, body, age)
}

/// The body, and the status it shows: DOWN when the report cannot be serialized.
fn rendered<C: ComponentSet>(view: &View<'_, C>, format: route::Format) -> (Status, Bytes) {
    match view.render(format) {
        Ok(body) => (view.status(), Bytes::from(body)),
        Err(body) => (Status::Down, Bytes::from(body)),
    }
}

fn response(
    status: http::StatusCode,
    format: route::Format,
    body: Bytes,
    age: Option<Duration>,
) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(age) = age {
        headers.insert(header::AGE, HeaderValue::from(age.as_secs()));
    }
    response
}

fn error_response(error: &RequestError) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(error.body())));
    *response.status_mut() = error.status();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    match error {
        RequestError::MethodNotAllowed => {
            headers.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        RequestError::Unauthorized => {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        _ => {}
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn a_report_older_than_the_one_recorded_changes_nothing() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        let mut seen = None;
        let first = advance(&mut seen, Status::Up, at(10), Some("db"));
        assert_eq!(first, Some(StatusChange { component: Some("db"), from: None, to: Status::Up }));
        assert_eq!(advance(&mut seen, Status::Down, at(12), Some("db")).map(|c| c.to), Some(Status::Down));
        assert_eq!(advance(&mut seen, Status::Up, at(11), Some("db")), None, "finished late, started earlier");
        assert_eq!(seen.map(|(status, _)| status), Some(Status::Down));
        assert_eq!(advance(&mut seen, Status::Down, at(13), Some("db")), None, "no change, no event");
    }
}
