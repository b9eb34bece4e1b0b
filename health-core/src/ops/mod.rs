//! What the transports share for operations: Kubernetes probe manifests,
//! their YAML, and the termination signal.

#[cfg(any(feature = "http", feature = "grpc"))]
pub(crate) mod kubernetes;
#[cfg(any(feature = "axum", feature = "actix", feature = "grpc"))]
pub(crate) mod signal;
#[cfg(any(feature = "http", feature = "grpc"))]
pub(crate) mod yaml;
