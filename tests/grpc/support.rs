//! A tonic server on a free loopback port, and clients to call it.

use std::net::SocketAddr;
use std::time::Duration;

use health_core::ReportSource;
use health_core::grpc::GrpcHealthService;
use health_core::grpc::pb::HealthListRequest;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::{Channel, Server};
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

/// tonic-health's client: one nobody here wrote.
pub type Client = HealthClient<Channel>;

/// Serves `health` on a free loopback port until it has drained, with no
/// drain delay; its address.
pub async fn serve<R: ReportSource>(health: &GrpcHealthService<R>) -> SocketAddr {
    serve_until(health, health.drained(Duration::ZERO)).await.0
}

/// Serves `health` on a free loopback port until `stop` completes and the
/// server has shut down gracefully: its address, and the server's task.
pub async fn serve_until<R: ReportSource>(
    health: &GrpcHealthService<R>,
    stop: impl std::future::Future<Output = ()> + Send + 'static,
) -> (SocketAddr, JoinHandle<Result<(), tonic::transport::Error>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
    let address = listener.local_addr().expect("bound");
    let router = Server::builder().add_service(health.server());
    (address, tokio::spawn(router.serve_with_incoming_shutdown(TcpListenerStream::new(listener), stop)))
}

pub async fn channel(address: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{address}")).expect("a URI").connect().await.expect("connected")
}

pub async fn client(address: SocketAddr) -> Client {
    HealthClient::new(channel(address).await)
}

/// `Check` of `service`: its serving status, or the call's error code.
pub async fn check(client: &mut Client, service: &str) -> Result<ServingStatus, tonic::Code> {
    let request = HealthCheckRequest { service: service.into() };
    match client.check(request).await {
        Ok(response) => Ok(serving(response.get_ref())),
        Err(status) => Err(status.code()),
    }
}

pub fn serving(response: &HealthCheckResponse) -> ServingStatus {
    ServingStatus::try_from(response.status).expect("a known serving status")
}

/// `Watch` of `service`.
pub async fn watch(client: &mut Client, service: &str) -> tonic::Streaming<HealthCheckResponse> {
    client.watch(HealthCheckRequest { service: service.into() }).await.expect("a watch").into_inner()
}

/// A watch of each of `services`, each past its first status, which must be `SERVING`.
pub async fn watch_serving(client: &mut Client, services: &[&str]) -> Vec<tonic::Streaming<HealthCheckResponse>> {
    let mut watches = Vec::new();
    for service in services {
        let mut stream = watch(client, service).await;
        let first = next(&mut stream, Duration::from_secs(5)).await;
        assert_eq!(first, Some(ServingStatus::Serving), "{service:?}");
        watches.push(stream);
    }
    watches
}

/// The next status a watch sends, within `wait`; `None` if it sends none.
pub async fn next(stream: &mut tonic::Streaming<HealthCheckResponse>, wait: Duration) -> Option<ServingStatus> {
    match tokio::time::timeout(wait, stream.message()).await {
        Ok(Ok(Some(response))) => Some(serving(&response)),
        Ok(Ok(None)) => panic!("the watch ended"),
        Ok(Err(status)) => panic!("the watch failed: {status}"),
        Err(_) => None,
    }
}

/// `List`, through this crate's client (tonic-health's has no `List`): each
/// name with its serving status, sorted.
pub async fn list(address: SocketAddr) -> Vec<(String, ServingStatus)> {
    let mut client = health_core::grpc::pb::health_client::HealthClient::new(channel(address).await);
    let response = client.list(HealthListRequest {}).await.expect("a list").into_inner();
    let mut statuses: Vec<_> = response
        .statuses
        .into_iter()
        .map(|(name, response)| (name, ServingStatus::try_from(response.status).expect("a known status")))
        .collect();
    statuses.sort();
    statuses
}
