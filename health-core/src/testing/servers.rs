//! Servers that misbehave from the first byte: one that accepts and never
//! answers, one that answers garbage.

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

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
pub struct SilentServer {
    address: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl SilentServer {
    /// Listens on 127.0.0.1; must be called inside a Tokio runtime.
    pub async fn start() -> io::Result<SilentServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn({
            let accepted = Arc::clone(&accepted);
            async move {
                let mut held = Vec::new();
                while let Ok((stream, _)) = listener.accept().await {
                    accepted.fetch_add(1, Ordering::SeqCst);
                    held.push(stream);
                }
            }
        });
        Ok(SilentServer { address, accepted, task })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many connections it accepted.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for SilentServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for SilentServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SilentServer").field("address", &self.address).field("accepted", &self.accepted()).finish()
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
/// let server = GarbageServer::with(b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n{\"status\":").await?;
/// let mut client = tokio::net::TcpStream::connect(server.address()).await?;
/// let mut answer = Vec::new();
/// client.read_to_end(&mut answer).await?;
/// assert!(answer.ends_with(b"{\"status\":"), "a body cut short, then the end of the stream");
/// # Ok(()) }
/// ```
pub struct GarbageServer {
    address: SocketAddr,
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl GarbageServer {
    /// A server that answers [`GARBAGE`].
    pub async fn start() -> io::Result<GarbageServer> {
        GarbageServer::with(GARBAGE).await
    }

    /// A server that answers `bytes`: a truncated frame, a wrong protocol's
    /// greeting, a body that is not what its headers say.
    pub async fn with(bytes: &'static [u8]) -> io::Result<GarbageServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let accepted = Arc::new(AtomicUsize::new(0));
        let task = tokio::spawn({
            let accepted = Arc::clone(&accepted);
            async move {
                let mut answering = tokio::task::JoinSet::new();
                while let Ok((mut stream, _)) = listener.accept().await {
                    accepted.fetch_add(1, Ordering::SeqCst);
                    while answering.try_join_next().is_some() {}
                    answering.spawn(async move {
                        let _ = stream.write_all(bytes).await;
                        // Long enough for the client to read it before the close.
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        let _ = stream.shutdown().await;
                    });
                }
            }
        });
        Ok(GarbageServer { address, accepted, task })
    }

    /// Where it listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// How many connections it answered.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for GarbageServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for GarbageServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GarbageServer").field("address", &self.address).field("accepted", &self.accepted()).finish()
    }
}
