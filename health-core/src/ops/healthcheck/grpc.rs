//! `grpc.health.v1.Health/Check` over HTTP/2, one unary call framed by hand:
//! no gRPC client crate beyond the messages the `grpc` feature has.

use bytes::{BufMut, Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::{TokioExecutor, TokioIo};
use prost::Message;

use super::Verdict;
use crate::grpc::pb::{HealthCheckRequest, HealthCheckResponse, health_check_response::ServingStatus};

/// Calls `Check` for `service` at `address` (`host:port`).
pub(super) async fn probe(address: &str, service: &str) -> Result<Verdict, Verdict> {
    // Every line it says names the call.
    let said = |what: String| Verdict(format!("gRPC Check {service:?} at {address}: {what}"));
    let failed = said;
    let stream =
        tokio::net::TcpStream::connect(address).await.map_err(|error| failed(format!("cannot connect: {error}")))?;
    let (mut sender, connection) = hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
        .await
        .map_err(|error| failed(format!("cannot speak HTTP/2: {error}")))?;
    tokio::spawn(connection);
    // A gRPC message: no compression, its length, then the message.
    let message = HealthCheckRequest { service: service.to_owned() }.encode_to_vec();
    let mut body = BytesMut::with_capacity(5 + message.len());
    body.put_u8(0);
    body.put_u32(u32::try_from(message.len()).map_err(|_| failed("a name too long".to_owned()))?);
    body.put_slice(&message);
    let request = http::Request::post(format!("http://{address}/grpc.health.v1.Health/Check"))
        .header(http::header::CONTENT_TYPE, "application/grpc")
        .header(http::header::TE, "trailers")
        .header(http::header::USER_AGENT, "health-core healthcheck")
        .body(Full::new(body.freeze()))
        .map_err(|error| failed(format!("cannot build the request: {error}")))?;
    let response = sender.send_request(request).await.map_err(|error| failed(format!("no answer: {error}")))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP {}", response.status())));
    }
    let headers = response.headers().clone();
    let collected = response.into_body().collect().await.map_err(|error| failed(format!("cut short: {error}")))?;
    // The status is in the trailers, or in the headers of an answer without a body.
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let code = trailers.get("grpc-status").or_else(|| headers.get("grpc-status")).and_then(|code| code.to_str().ok());
    match code {
        Some("0") => {}
        Some(code) => {
            let text = trailers.get("grpc-message").or_else(|| headers.get("grpc-message"));
            let text = text.and_then(|text| text.to_str().ok()).unwrap_or_default();
            let name = if code == "5" { "NOT_FOUND" } else { "error" };
            return Err(failed(format!("{name} (grpc-status {code}) {text}").trim_end().to_owned()));
        }
        None => return Err(failed("no grpc-status".to_owned())),
    }
    let bytes: Bytes = collected.to_bytes();
    let payload = bytes.get(5..).ok_or_else(|| failed("an empty answer".to_owned()))?;
    let answer =
        HealthCheckResponse::decode(payload).map_err(|error| failed(format!("not a HealthCheckResponse: {error}")))?;
    let status = ServingStatus::try_from(answer.status).unwrap_or(ServingStatus::Unknown);
    let line = said(status.as_str_name().to_owned());
    if status == ServingStatus::Serving { Ok(line) } else { Err(line) }
}
