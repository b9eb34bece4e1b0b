//! The endpoints served natively from an actix-web 4 app: a request's parts
//! handed to the framework-neutral core, its answer copied back. No routing,
//! format or rule of its own.

use std::borrow::Cow;
use std::fmt;

use bytes::Bytes;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

mod serve;

pub use serve::serve_actix;

use super::request::joined_lines;
use super::respond::respond;
use super::{HealthRequest, HealthResponse, HealthService};
use crate::ReportSource;

impl<R: ReportSource> HealthService<R> {
    /// The endpoints as an actix-web service: mount it with `App::service`,
    /// or in a `web::scope` to serve them under a prefix. Every path below
    /// the base path is answered by this service, and the OpenAPI document
    /// at its path, if it has one.
    ///
    /// actix-web builds the app once per worker thread; each clone of the
    /// service shares one monitor (one background refresh, one tracker, one
    /// history), so build the service once, before `HttpServer::new`, and
    /// clone it into the app factory.
    ///
    /// ```
    /// use health_core::http::HealthService;
    /// use health_core::{health_check, HealthReport};
    /// use health_core::monitor::Monitor;
    ///
    /// #[health_check]
    /// async fn ping() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { ping: PingCheck }
    ///
    /// # fn main() -> Result<(), health_core::http::ConfigError> {
    /// let health = HealthService::builder(Monitor::new(Health::default(), ())).build()?;
    /// let server = actix_web::HttpServer::new(move || actix_web::App::new().service(health.actix()));
    /// # let _ = server; Ok(()) }
    /// ```
    pub fn actix(&self) -> ActixHealth<R> {
        ActixHealth { service: self.clone() }
    }

    /// The endpoints for `App::configure` (or `Scope::configure`): the same
    /// as [`actix`](Self::actix), as a function of the app's configuration.
    ///
    /// ```
    /// use health_core::http::HealthService;
    /// use health_core::{health_check, HealthReport};
    /// use health_core::monitor::Monitor;
    ///
    /// #[health_check]
    /// async fn ping() {}
    ///
    /// #[derive(HealthReport, Default)]
    /// struct Health { ping: PingCheck }
    ///
    /// # fn main() -> Result<(), health_core::http::ConfigError> {
    /// let health = HealthService::builder(Monitor::new(Health::default(), ())).build()?;
    /// let app = actix_web::App::new().configure(health.actix_config());
    /// # let _ = app; Ok(()) }
    /// ```
    pub fn actix_config(&self) -> impl FnOnce(&mut web::ServiceConfig) + Clone + 'static {
        let health = self.actix();
        move |config| {
            config.service(health);
        }
    }
}

/// The endpoints of a [`HealthService`] as an actix-web service, made by
/// [`HealthService::actix`].
pub struct ActixHealth<R: ReportSource> {
    service: HealthService<R>,
}

impl<R: ReportSource> Clone for ActixHealth<R> {
    fn clone(&self) -> Self {
        ActixHealth { service: self.service.clone() }
    }
}

impl<R: ReportSource> fmt::Debug for ActixHealth<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActixHealth").field("service", &self.service).finish()
    }
}

impl<R: ReportSource> HttpServiceFactory for ActixHealth<R> {
    fn register(self, config: &mut AppService) {
        let base = self.service.base_path().to_owned();
        // A scope matches its prefix on whole segments (`/health`,
        // `/health/…`, not `/healthz`), and leaves what follows it as the
        // request's unprocessed path, whatever prefix an outer scope had.
        let endpoints = self.service.clone();
        web::scope(&base)
            .default_service(web::to(move |request: HttpRequest| {
                let relative = relative_path(&request, endpoints.base_path());
                answer(&endpoints, &request, &relative)
            }))
            .register(config);
        if let Some(path) = self.service.inner.openapi.path.clone() {
            let document = self.service;
            web::resource(path.as_str())
                .default_service(web::to(move |request: HttpRequest| answer(&document, &request, &path)))
                .register(config);
        }
    }
}

/// The request's path as the core knows it: the base path and what follows
/// it, as sent (percent-encoding kept, as the core reads every path), without
/// the prefix of any scope the service is mounted in.
fn relative_path<'r>(request: &'r HttpRequest, base: &str) -> Cow<'r, str> {
    // actix-web matches on a decoded path: the scopes' prefix is what
    // precedes the base path and the unprocessed rest there.
    let matched = request.match_info();
    let (decoded, rest) = (matched.as_str(), matched.unprocessed());
    let raw = request.uri().path();
    let prefix = decoded.len().checked_sub(rest.len() + base.len());
    match prefix.filter(|&end| decoded.get(..end) == raw.get(..end)).and_then(|end| raw.get(end..)) {
        Some(relative) if relative.starts_with(base) => Cow::Borrowed(relative),
        // A prefix that was itself percent-encoded: the decoded rest.
        _ => Cow::Owned(format!("{base}{rest}")),
    }
}

/// Answers `request` at `path` through the core. The answer borrows
/// neither: what runs after the handler returns owns what it needs.
fn answer<R: ReportSource>(
    service: &HealthService<R>,
    request: &HttpRequest,
    path: &str,
) -> impl Future<Output = HttpResponse<Bytes>> + use<R> {
    let headers = request.headers();
    let asked = HealthRequest::new(request.method().as_str(), path)
        .query(request.uri().query())
        .accept(accept(headers))
        .authorization(headers.get(header::AUTHORIZATION).map(HeaderValue::as_bytes));
    let answer = respond(&service.inner, &asked);
    async move { to_actix(answer.await) }
}

/// The `Accept` header, its lines joined.
fn accept(headers: &HeaderMap) -> Option<Cow<'_, [u8]>> {
    joined_lines(headers.get_all(header::ACCEPT).map(HeaderValue::as_bytes))
}

/// `answer` as an actix-web response: the headers are static strings, and
/// the age a number, so nothing is parsed and, for ages under 100 seconds,
/// nothing allocated but the header map. actix-web leaves the body out of an
/// answer to `HEAD` and keeps its length.
fn to_actix(answer: HealthResponse) -> HttpResponse<Bytes> {
    let status = StatusCode::from_u16(answer.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::new(status);
    let headers = response.headers_mut();
    for (name, value) in answer.headers() {
        headers.insert(header_name(name), HeaderValue::from_static(value));
    }
    if let Some(age) = answer.age() {
        let value = answer.static_age().map_or_else(|| HeaderValue::from(age), HeaderValue::from_static);
        headers.insert(header::AGE, value);
    }
    response.set_body(answer.into_body())
}

/// actix-web's constant for the names answers use, without parsing.
fn header_name(name: &'static str) -> HeaderName {
    match name {
        "content-type" => header::CONTENT_TYPE,
        "cache-control" => header::CACHE_CONTROL,
        "allow" => header::ALLOW,
        "www-authenticate" => header::WWW_AUTHENTICATE,
        "x-content-type-options" => header::X_CONTENT_TYPE_OPTIONS,
        other => HeaderName::from_static(other),
    }
}
