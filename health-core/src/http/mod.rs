//! Serving a [`Monitor`](crate::monitor::Monitor) over HTTP: a tower `Service` for any
//! tower-based server, and an axum `Router` (feature `axum`).
//!
//! | route | answers |
//! |---|---|
//! | `GET`/`HEAD` `/health` | every component |
//! | `/health/live`, `/health/ready`, `/health/startup` | the liveness, readiness and startup groups |
//! | `/health/group/{name}` | a custom group |
//! | `/health/{component}` | one component (404 for an unknown name) |
//! | `/health/ui`, `/health/ui/history` | the status page and its JSON (feature `ui`, when turned on) |
//!
//! Other methods get 405 with `Allow: GET, HEAD`. Query parameters:
//! `?verbose` answers in Kubernetes-style text lines; `?exclude=<component>`
//! (repeatable) leaves components out. `Accept: application/health+json`
//! answers in the IETF health check draft format. Bad requests get a 4xx with
//! a JSON body `{"error", "message"}`.
//!
//! This module is an adapter: the monitor runs the checks, keeps the latest
//! results, tracks statuses and drains on shutdown; the endpoints add routes,
//! formats, status codes and visibility, and keep no health state.
//!
//! Its core is framework-neutral: [`HealthService::respond`] answers a
//! [`HealthRequest`] (method, path, query, `Accept`, `Authorization`) with a
//! [`HealthResponse`] (status, headers, body). The tower `Service`, the
//! [`HealthLayer`] and the axum `Router` translate to and from it; another
//! framework's adapter does the same.

#[cfg(feature = "actix")]
mod actix;
mod answer;
mod bodies;
mod builder;
mod config_error;
mod dispatch;
mod endpoint;
mod endpoints;
mod error;
mod future;
mod layer;
mod negotiate;
mod openapi;
mod query;
mod render;
mod request;
mod respond;
mod response;
mod route;
mod service;
mod visibility;

#[cfg(feature = "axum")]
mod connections;
#[cfg(feature = "axum")]
mod limits;
#[cfg(feature = "axum")]
mod router;
#[cfg(feature = "axum")]
mod serve;
#[cfg(feature = "ui")]
mod ui;
#[cfg(feature = "utoipa")]
mod utoipa;

/// The status codes a [`StatusMap`](crate::monitor::StatusMap) maps to: the `http` crate's, so that no
/// other dependency is needed to name one.
pub use ::http::StatusCode;
#[cfg(feature = "actix")]
pub use actix::{ActixHealth, serve_actix};
pub use answer::Answer;
pub use builder::HealthServiceBuilder;
pub use config_error::ConfigError;
pub(crate) use endpoint::Endpoint;
pub use endpoints::HealthService;
pub use error::MAX_QUERY;
pub use error::RequestError;
pub use future::ResponseFuture;
pub use layer::{HealthLayer, Routed, WithHealth};
pub use openapi::{MergeError, merge_openapi};
pub use request::HealthRequest;
pub use response::HealthResponse;
pub use visibility::Visibility;

#[cfg(feature = "utoipa")]
pub use self::utoipa::{HealthApi, ReportSchema};
#[cfg(feature = "axum")]
pub use limits::{GRACE, ServeOptions};
#[cfg(feature = "axum")]
pub use serve::{serve, serve_with};
#[cfg(feature = "ui")]
pub use ui::{MIN_POLL, StatusPageOptions};
