//! Servers that misbehave from the first byte: one that accepts and never
//! answers, one that answers garbage.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// A server on an ephemeral loopback port that accepts every connection and
/// never answers: what a client meets behind a hung process or a dropped
/// route. Connections stay open, unread, until it is dropped. A check
/// against it must end by its own timeout, never hang.
///
/// ```
/// use std::time::Duration;
/// use health_core::testing::SilentServer;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// let server = SilentServer::start().await?;
/// let mut client = tokio::net::TcpStream::connect(server.address()).await?;
/// client.write_all(b"PING\r\n").await?;
/// let mut answer = [0; 8];
/// let waited = tokio::time::timeout(Duration::from_millis(100), client.read(&mut answer)).await;
/// assert!(waited.is_err(), "no answer, and no close either");
/// assert_eq!(server.accepted(), 1);
/// # Ok(()) }
/// ```
pub struct SilentServer(Serving);

impl SilentServer {
    /// Listens on 127.0.0.1; must be called inside a Tokio runtime.
    pub async fn start() -> io::Result<SilentServer> {
        let mut held = Vec::new();
        Serving::start(move |stream| held.push(stream)).await.map(SilentServer)
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.0.address
    }

    /// How many connections it accepted.
    pub fn accepted(&self) -> usize {
        self.0.accepted()
    }
}

impl fmt::Debug for SilentServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug("SilentServer", f)
    }
}

/// Bytes of no protocol, with a little of several: a RESP array of a bad
/// length, a PostgreSQL message type, NUL and invalid UTF-8, an HTTP status
/// line no server sends.
pub const GARBAGE: &[u8] = b"*9\r\n$-7\r\nR\x00\x00\x00\x02\xff\xfe HTTP/9.9 999\r\n\r\n\x00garbage";

/// A server on an ephemeral loopback port that answers every connection
/// with bytes of no protocol ([`GARBAGE`], or bytes of your own), then
/// closes it: a client must report a failure, never panic or hang.
///
/// ```
/// use health_core::testing::GarbageServer;
/// use tokio::io::AsyncReadExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// let server = GarbageServer::with(&b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n{\"status\":"[..]).await?;
/// let mut client = tokio::net::TcpStream::connect(server.address()).await?;
/// let mut answer = Vec::new();
/// client.read_to_end(&mut answer).await?;
/// assert!(answer.ends_with(b"{\"status\":"), "a body cut short, then the end of the stream");
/// # Ok(()) }
/// ```
pub struct GarbageServer(Serving);

impl GarbageServer {
    /// A server that answers [`GARBAGE`].
    pub async fn start() -> io::Result<GarbageServer> {
        GarbageServer::with(Bytes::from_static(GARBAGE)).await
    }

    /// A server that answers `bytes`: a truncated frame, a wrong protocol's
    /// greeting, a body that is not what its headers say.
    pub async fn with(bytes: impl Into<Bytes>) -> io::Result<GarbageServer> {
        let bytes = bytes.into();
        let mut answering = JoinSet::new();
        Serving::start(move |mut stream| {
            // Answers done are reaped as new connections come.
            while answering.try_join_next().is_some() {}
            let bytes = bytes.clone();
            answering.spawn(async move {
                let _ = stream.write_all(&bytes).await;
                // Long enough for the client to read it before the close.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let _ = stream.shutdown().await;
            });
        })
        .await
        .map(GarbageServer)
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.0.address
    }

    /// How many connections it answered.
    pub fn accepted(&self) -> usize {
        self.0.accepted()
    }
}

impl fmt::Debug for GarbageServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.debug("GarbageServer", f)
    }
}

/// A listener on an ephemeral loopback port, handing each connection it
/// accepts to its server, and counting them; stopped when dropped, with
/// whatever the server holds.
struct Serving {
    address: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Serving {
    async fn start(mut serve: impl FnMut(TcpStream) + Send + 'static) -> io::Result<Serving> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&accepted);
        let task = tokio::spawn(async move {
            loop {
                match listener.accept().await {
                    Ok((stream, _)) => {
                        counted.fetch_add(1, Ordering::SeqCst);
                        serve(stream);
                    }
                    // Out of descriptors, or a connection reset while queued:
                    // waited out, as a server does.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        });
        Ok(Serving { address, accepted, task })
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }

    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(name).field("address", &self.address).field("accepted", &self.accepted()).finish()
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.task.abort();
    }
}
