//! `GET url` over plain HTTP/1.1: healthy from 200 to 399.

use super::Verdict;
use crate::ops::get::get;

/// Sends `GET url` on a connection of its own and reads the status.
pub(super) async fn probe(url: &str) -> Result<Verdict, Verdict> {
    let failed = |why: String| Verdict(format!("GET {url}: {why}"));
    let uri: http::Uri = url.parse().map_err(|error| failed(format!("not a URL: {error}")))?;
    let host = uri.host().ok_or_else(|| failed("no host".to_owned()))?;
    let port = uri.port_u16().unwrap_or(80);
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    // The host and port alone: credentials in the URL are never sent.
    let authority = match uri.port_u16() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    };
    let response = get(host, port, &authority, path, &[(http::header::USER_AGENT, "health-core healthcheck")])
        .await
        .map_err(|error| failed(error.to_string()))?;
    let status = response.status();
    let said = format!("GET {url}: {status}");
    if (200..400).contains(&status.as_u16()) { Ok(Verdict(said)) } else { Err(Verdict(said)) }
}
