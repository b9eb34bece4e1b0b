//! A minimal HTTP/1.1 client for tests against a real socket.
// Each test binary that includes this uses a different part of it.
#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A response as received.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

#[path = "conformance.rs"]
mod conformance;

use conformance::{Answered, Contract};

/// OpenAPI documents of the servers under test, by address: every response
/// from one of them is checked against its document.
static DOCUMENTS: std::sync::Mutex<Vec<(SocketAddr, std::sync::Arc<Contract>)>> = std::sync::Mutex::new(Vec::new());

/// Checks every later response from `address` against `document`.
pub fn register(address: SocketAddr, document: serde_json::Value) {
    let contract = std::sync::Arc::new(Contract::new(document));
    DOCUMENTS.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((address, contract));
}

/// The web framework a test serves the endpoints with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Server {
    /// The axum `Router` over the tower `Service`.
    Axum,
    /// actix-web, natively.
    Actix,
    /// poem, through its tower bridge (`TowerCompatExt::compat`).
    Poem,
    /// salvo, through its tower bridge (`TowerServiceCompat::compat`).
    Salvo,
}

tokio::task_local! {
    /// The framework `serve` uses in this test (axum when unset).
    static SERVER: Server;
}

/// Runs `test` with `serve` serving through `server`.
pub async fn on<F: std::future::Future>(server: Server, test: F) -> F::Output {
    SERVER.scope(server, test).await
}

/// Serves `service` on a free port of 127.0.0.1, through the framework the
/// test runs `on` (axum by default), and registers its document: every
/// answer the tests get from it is checked against it.
pub async fn serve<R: health_core::ReportSource>(service: &health_core::http::HealthService<R>) -> SocketAddr {
    match current() {
        Server::Axum => serve_axum(service).await,
        Server::Actix => serve_actix(service),
        Server::Poem => serve_poem(service).await,
        Server::Salvo => serve_salvo(service).await,
    }
}

/// The framework of the test under way.
fn current() -> Server {
    SERVER.try_with(|server| *server).unwrap_or(Server::Axum)
}

/// Whether the server under test announces, in its answer to `HEAD`, the
/// `Content-Length` a `GET` gets. poem's and salvo's tower bridges turn the
/// body into a stream and send none (`docs/http.md` says so).
pub fn head_announces_length() -> bool {
    !matches!(current(), Server::Poem | Server::Salvo)
}

/// A free port of 127.0.0.1, listened on, and the service's document registered for it.
async fn listen<R: health_core::ReportSource>(
    service: &health_core::http::HealthService<R>,
) -> (tokio::net::TcpListener, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    register(address, service.openapi());
    (listener, address)
}

/// The tower service mounted in a poem app at its base path, through poem's
/// bridge, as docs/frameworks.md shows.
async fn serve_poem<R: health_core::ReportSource>(service: &health_core::http::HealthService<R>) -> SocketAddr {
    use poem::endpoint::TowerCompatExt;
    let (listener, address) = listen(service).await;
    let acceptor = poem::listener::TcpAcceptor::from_tokio(listener).expect("a poem acceptor");
    let app = poem::Route::new()
        .at("/", poem::get(poem::endpoint::make_sync(|_| "hello")))
        .nest_no_strip(service.base_path(), service.clone().compat());
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    address
}

/// The tower service mounted in a salvo router at its base path, through
/// salvo's bridge, as docs/frameworks.md shows.
async fn serve_salvo<R: health_core::ReportSource>(service: &health_core::http::HealthService<R>) -> SocketAddr {
    use salvo::prelude::TowerServiceCompat;
    let (listener, address) = listen(service).await;
    let acceptor = salvo::conn::tcp::TcpAcceptor::try_from(listener).expect("a salvo acceptor");
    // The bridge converts salvo's request body into the one the service
    // takes, which for this service is any: name salvo's own.
    let endpoints = || TowerServiceCompat::<salvo::http::ReqBody, _, _, _>::compat(service.clone());
    let base = service.base_path().trim_start_matches('/');
    let router = salvo::Router::new()
        .push(salvo::Router::with_path(base).goal(endpoints()))
        .push(salvo::Router::with_path(format!("{base}/{{**rest}}")).goal(endpoints()));
    tokio::spawn(salvo::Server::new(acceptor).serve(router));
    address
}

async fn serve_axum<R: health_core::ReportSource>(service: &health_core::http::HealthService<R>) -> SocketAddr {
    let (listener, address) = listen(service).await;
    let app = service.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// An actix-web server of two workers on a thread of its own, as an
/// application runs it: one service, cloned into each worker's app. It runs
/// until the test's process ends.
fn serve_actix<R: health_core::ReportSource>(service: &health_core::http::HealthService<R>) -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    register(address, service.openapi());
    let service = service.clone();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            actix_web::HttpServer::new(move || actix_web::App::new().service(service.actix()))
                .workers(2)
                .disable_signals()
                .listen(listener)
                .expect("an actix-web server on the listener")
                .run()
                .await
        })
    });
    address
}

/// Sends `method path` with `headers` and reads the whole response; a `GET`
/// to a server with a registered document is checked against it.
pub async fn request(address: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let answer = send(address, method, path, headers).await;
    let contract = DOCUMENTS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .iter()
        .find(|(registered, _)| *registered == address)
        .map(|(_, contract)| std::sync::Arc::clone(contract));
    if let Some(contract) = contract.filter(|_| method != "HEAD") {
        let bare = path.split('?').next().unwrap_or(path);
        let method = method.to_ascii_lowercase();
        match contract.template(bare) {
            // A declared operation answers as the document says.
            Some(template) if contract.declares(&template, &method) => {
                if let Err(violation) = contract.check(&template, &method, &answered(&answer)) {
                    panic!("{violation}");
                }
            }
            // An undeclared method on a documented path is refused, naming the declared ones.
            Some(_) => {
                assert_eq!(answer.status, 405, "{method} {path} is not an operation");
                assert_eq!(answer.header("allow"), Some("GET, HEAD"), "{method} {path}");
            }
            None => {}
        }
    }
    answer
}

/// Asserts that `answer` is declared for `path`, its status and content type,
/// and that its body validates against the schema there.
pub fn assert_conforms(document: &serde_json::Value, path: &str, answer: &Answer) {
    if let Err(violation) = Contract::new(document.clone()).check(path, "get", &answered(answer)) {
        panic!("{violation}");
    }
}

fn answered(answer: &Answer) -> Answered<'_> {
    Answered {
        status: answer.status,
        header: Box::new(|name| answer.header(name).map(str::to_owned)),
        body: &answer.body,
    }
}

async fn send(address: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)]) -> Answer {
    let mut stream = TcpStream::connect(address).await.expect("connect");
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).await.expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("receive");
    parse(&raw)
}

pub async fn get(address: SocketAddr, path: &str) -> Answer {
    request(address, "GET", path, &[]).await
}

fn parse(raw: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a complete response");
    let mut lines = head.lines();
    let status =
        lines.next().and_then(|line| line.split(' ').nth(1)).and_then(|code| code.parse().ok()).expect("status");
    let headers: HashMap<String, String> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_owned()))
        .collect();
    let body = if headers.get("transfer-encoding").is_some_and(|te| te == "chunked") {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Answer { status, headers, body }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}
