//! `GET url` over plain HTTP/1.1: healthy from 200 to 399.

use http_body_util::Empty;
use hyper_util::rt::TokioIo;

use super::Verdict;

/// Sends `GET url` on a connection of its own and reads the status.
pub(super) async fn probe(url: &str) -> Result<Verdict, Verdict> {
    let failed = |why: String| Verdict(format!("GET {url}: {why}"));
    let uri: http::Uri = url.parse().map_err(|error| failed(format!("not a URL: {error}")))?;
    let host = uri.host().ok_or_else(|| failed("no host".to_owned()))?;
    let port = uri.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((host.trim_start_matches('[').trim_end_matches(']'), port))
        .await
        .map_err(|error| failed(format!("cannot connect: {error}")))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|error| failed(format!("cannot speak HTTP: {error}")))?;
    // The connection runs beside the request, and ends with the runtime.
    tokio::spawn(connection);
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    // The host and port alone: credentials in the URL are never sent.
    let authority = match uri.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let request = http::Request::get(path)
        .header(http::header::HOST, authority)
        .header(http::header::USER_AGENT, "health-core healthcheck")
        .header(http::header::CONNECTION, "close")
        .body(Empty::<bytes::Bytes>::new())
        .map_err(|error| failed(format!("cannot build the request: {error}")))?;
    let response = sender.send_request(request).await.map_err(|error| failed(format!("no answer: {error}")))?;
    let status = response.status();
    let said = format!("GET {url}: {status}");
    if (200..400).contains(&status.as_u16()) { Ok(Verdict(said)) } else { Err(Verdict(said)) }
}
