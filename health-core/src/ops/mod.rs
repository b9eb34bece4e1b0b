//! Operations: the `healthcheck` client built into a service's binary, and
//! what the transports share (Kubernetes probe manifests, their YAML, the
//! termination signal).

#[cfg(any(feature = "healthcheck", feature = "testing"))]
pub(crate) mod get;
#[cfg(feature = "healthcheck")]
pub mod healthcheck;

#[cfg(any(feature = "http", feature = "grpc"))]
pub(crate) mod kubernetes;
#[cfg(any(feature = "axum", feature = "actix", feature = "grpc"))]
pub(crate) mod signal;
#[cfg(any(feature = "http", feature = "grpc"))]
pub(crate) mod yaml;
