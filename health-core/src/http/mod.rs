//! Serving reports over HTTP: a tower `Service` for any tower-based server,
//! and an axum `Router` (feature `axum`).
//!
//! | route | answers |
//! |---|---|
//! | `GET`/`HEAD` `/health` | every component |
//! | `/health/live`, `/health/ready`, `/health/startup` | the liveness, readiness and startup groups |
//! | `/health/{component}` | one component (404 for an unknown name) |
//!
//! Other methods get 405 with `Allow: GET, HEAD`. Query parameters:
//! `?verbose` answers in Kubernetes-style text lines; `?exclude=<component>`
//! (repeatable) leaves components out. `Accept: application/health+json`
//! answers in the IETF health check draft format. Bad requests get a 4xx with
//! a JSON body `{"error", "message"}`.

mod config;
mod error;
mod layer;
mod openapi;
mod race;
mod render;
mod route;
mod service;
mod shutdown;

#[cfg(feature = "axum")]
mod axum;
#[cfg(feature = "utoipa")]
mod utoipa;

pub(crate) use config::Mode;
pub use config::{ConfigError, StatusChange, StatusCodes, Visibility};
pub use error::RequestError;
pub use layer::{HealthLayer, Routed, WithHealth};
pub use openapi::merge_openapi;
pub use route::{Endpoint, MAX_QUERY};
pub use service::{HealthEndpoints, HealthService};
pub use shutdown::ShutdownHandle;

#[cfg(feature = "axum")]
pub use self::axum::{GRACE, serve, termination_signal};
#[cfg(feature = "utoipa")]
pub use self::utoipa::{HealthApi, ReportSchema};
