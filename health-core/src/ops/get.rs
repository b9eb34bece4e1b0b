//! `GET` over plain HTTP/1.1 on a connection of its own: what the
//! `healthcheck` client and the test kit send.

use std::fmt;

use http_body_util::Empty;
use hyper_util::rt::TokioIo;

/// Why a `GET` got no answer.
#[derive(Debug)]
pub(crate) enum GetError {
    Connect(std::io::Error),
    Handshake(hyper::Error),
    Request(http::Error),
    Send(hyper::Error),
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GetError::Connect(error) => write!(f, "cannot connect: {error}"),
            GetError::Handshake(error) => write!(f, "cannot speak HTTP: {error}"),
            GetError::Request(error) => write!(f, "cannot build the request: {error}"),
            GetError::Send(error) => write!(f, "no answer: {error}"),
        }
    }
}

/// Sends `GET path` to `host:port` with `Host: authority` and `headers`, on a
/// connection closed after the answer, and returns the answer's head with
/// its body still to read.
pub(crate) async fn get(
    host: &str,
    port: u16,
    authority: &str,
    path: &str,
    headers: &[(http::HeaderName, &str)],
) -> Result<http::Response<hyper::body::Incoming>, GetError> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let stream = tokio::net::TcpStream::connect((host, port)).await.map_err(GetError::Connect)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(GetError::Handshake)?;
    // The connection runs beside the request, and ends with the runtime.
    tokio::spawn(connection);
    let mut request = http::Request::get(path).header(http::header::HOST, authority);
    for (name, value) in headers {
        request = request.header(name, *value);
    }
    let request = request
        .header(http::header::CONNECTION, "close")
        .body(Empty::<bytes::Bytes>::new())
        .map_err(GetError::Request)?;
    sender.send_request(request).await.map_err(GetError::Send)
}
