//! A TCP fault injector in front of a real server: [`FaultProxy`].

mod connection;
mod listener;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;

use self::listener::Listener;

/// A TCP proxy on an ephemeral loopback port, in front of a real server, that
/// makes the network between a client and the server fail the ways networks
/// do: latency in either direction, a blackhole, connections cut with FIN or
/// RST, new connections refused. Point the client at the proxy
/// ([`url`](Self::url) rewrites a connection URL), then break and mend the
/// path from the test while traffic flows.
///
/// It counts the connections it accepted and those still open, so that a
/// test can find a client that leaks them. Dropping it stops everything: the
/// listener closes and every open connection is closed.
///
/// ```
/// use std::time::Duration;
/// use health_core::testing::{Close, Direction, FaultProxy};
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> std::io::Result<()> {
/// // A server that echoes a line: the dependency.
/// let server = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let upstream = server.local_addr()?;
/// tokio::spawn(async move {
///     while let Ok((mut socket, _)) = server.accept().await {
///         tokio::spawn(async move {
///             let mut buffer = [0; 64];
///             while let Ok(read @ 1..) = socket.read(&mut buffer).await {
///                 let _ = socket.write_all(&buffer[..read]).await;
///             }
///         });
///     }
/// });
///
/// let proxy = FaultProxy::start(upstream).await?;
/// assert_eq!(proxy.url("redis://127.0.0.1:6379/0"), format!("redis://{}/0", proxy.address()));
///
/// let mut client = tokio::net::TcpStream::connect(proxy.address()).await?;
/// client.write_all(b"ping").await?;
/// let mut answer = [0; 4];
/// client.read_exact(&mut answer).await?;
/// assert_eq!(&answer, b"ping");
///
/// // Held: the server does not see it, the client does not hear back.
/// proxy.blackhole();
/// client.write_all(b"lost").await?;
/// let silent = tokio::time::timeout(Duration::from_millis(100), client.read(&mut answer)).await;
/// assert!(silent.is_err());
///
/// // Cut with a reset: the client's next read fails.
/// proxy.cut(Close::Reset);
/// assert!(client.read(&mut answer).await.is_err());
///
/// // New connections are refused, then accepted again once restored.
/// proxy.refuse();
/// assert!(tokio::net::TcpStream::connect(proxy.address()).await.is_err());
/// proxy.restore()?;
/// proxy.latency(Direction::ToClient, Duration::from_millis(20));
/// let mut client = tokio::net::TcpStream::connect(proxy.address()).await?;
/// client.write_all(b"pong").await?;
/// client.read_exact(&mut answer).await?;
/// assert_eq!(&answer, b"pong");
/// assert_eq!(proxy.accepted(), 2);
/// # Ok(()) }
/// ```
pub struct FaultProxy {
    address: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    listener: Listener,
}

/// What the proxy's tasks share with it.
pub(crate) struct Shared {
    faults: watch::Sender<Faults>,
    /// Each cut, numbered, with how it closes.
    cuts: watch::Sender<Cut>,
    accepted: AtomicUsize,
    open: AtomicUsize,
    next_connection: AtomicU64,
    connections: Mutex<JoinSet<()>>,
    tap: Option<Arc<dyn Tap>>,
}

/// The faults applied to the bytes a proxy carries, from the moment they
/// are set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Faults {
    to_upstream: Duration,
    to_client: Duration,
    blackhole: bool,
}

impl Faults {
    fn delay(&self, direction: Direction) -> Duration {
        match direction {
            Direction::ToUpstream => self.to_upstream,
            Direction::ToClient => self.to_client,
            Direction::Both => self.to_upstream.max(self.to_client),
        }
    }
}

/// The latest cut: how many there were, and how the latest closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cut {
    number: u64,
    close: Close,
}

/// A direction of the traffic through a [`FaultProxy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// From the client to the server: requests.
    ToUpstream,
    /// From the server to the client: answers.
    ToClient,
    /// Both ways.
    Both,
}

impl Direction {
    fn includes(self, other: Direction) -> bool {
        self == Direction::Both || self == other
    }
}

/// How [`FaultProxy::cut`] closes the connections it cuts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Close {
    /// An orderly close (FIN): the client reads the end of the stream, as
    /// from a server that shut down.
    Fin,
    /// A reset (RST): the client's next read or write fails with
    /// "connection reset", as when a server crashes or a middlebox drops the
    /// connection.
    Reset,
}

/// Sees every chunk a [`FaultProxy`] forwards, for tests that count what
/// crosses it (requests in flight, bytes). Called on the connection's task,
/// after the faults delayed the chunk and before it is written: keep it
/// short.
pub trait Tap: Send + Sync + 'static {
    /// `bytes` are about to cross connection `connection` (numbered from 0
    /// in the order accepted) in `direction`: [`Direction::ToUpstream`] or
    /// [`Direction::ToClient`], never `Both`.
    fn forwarded(&self, connection: u64, direction: Direction, bytes: &[u8]);

    /// Connection `connection` closed.
    fn closed(&self, connection: u64) {
        let _ = connection;
    }
}

/// Configures a [`FaultProxy`]: from [`FaultProxy::builder`].
pub struct FaultProxyBuilder {
    upstream: SocketAddr,
    tap: Option<Arc<dyn Tap>>,
}

impl FaultProxyBuilder {
    /// Shows every forwarded chunk to `tap`.
    #[must_use]
    pub fn tap(mut self, tap: impl Tap) -> Self {
        self.tap = Some(Arc::new(tap));
        self
    }

    /// Binds an ephemeral port on 127.0.0.1 and starts forwarding to the
    /// upstream. Must be called inside a Tokio runtime.
    pub async fn start(self) -> io::Result<FaultProxy> {
        let (faults, _) = watch::channel(Faults::default());
        let (cuts, _) = watch::channel(Cut { number: 0, close: Close::Fin });
        let shared = Arc::new(Shared {
            faults,
            cuts,
            accepted: AtomicUsize::new(0),
            open: AtomicUsize::new(0),
            next_connection: AtomicU64::new(0),
            connections: Mutex::new(JoinSet::new()),
            tap: self.tap,
        });
        let listener = Listener::bind(SocketAddr::from(([127, 0, 0, 1], 0)), self.upstream, &shared).await?;
        Ok(FaultProxy { address: listener.address(), upstream: self.upstream, shared, listener })
    }
}

impl FaultProxy {
    /// A proxy in front of `upstream`, passing traffic through until told
    /// otherwise.
    pub async fn start(upstream: SocketAddr) -> io::Result<FaultProxy> {
        FaultProxy::builder(upstream).start().await
    }

    /// A proxy in front of the server a connection URL names
    /// (`postgres://user@127.0.0.1:5432/db`): its host, resolved, and its
    /// port, or the scheme's usual one. [`url`](Self::url) gives the URL to
    /// connect through it.
    pub async fn in_front_of(url: &str) -> io::Result<FaultProxy> {
        let invalid = |why: &str| io::Error::new(io::ErrorKind::InvalidInput, format!("{why}: {url}"));
        let authority = Authority::of(url).ok_or_else(|| invalid("not a URL with a host"))?;
        let port = match authority.port {
            Some(port) => port,
            None => {
                default_port(authority.scheme).ok_or_else(|| invalid("no port, and no usual port for the scheme"))?
            }
        };
        let host = authority.host.trim_start_matches('[').trim_end_matches(']');
        let upstream = tokio::net::lookup_host((host, port))
            .await?
            .next()
            .ok_or_else(|| invalid("the host resolves to no address"))?;
        FaultProxy::start(upstream).await
    }

    /// Configures a proxy in front of `upstream`.
    pub fn builder(upstream: SocketAddr) -> FaultProxyBuilder {
        FaultProxyBuilder { upstream, tap: None }
    }

    /// Where clients connect: 127.0.0.1 and the proxy's port.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The server behind the proxy.
    pub fn upstream(&self) -> SocketAddr {
        self.upstream
    }

    /// `url` with its host and port replaced by the proxy's, everything else
    /// (scheme, credentials, path, query) kept: the URL a client connects
    /// through the proxy with. A string that is not a URL with a host is
    /// returned unchanged.
    pub fn url(&self, url: &str) -> String {
        match Authority::of(url) {
            Some(authority) => format!("{}{}{}", &url[..authority.start], self.address, &url[authority.end..]),
            None => url.to_owned(),
        }
    }

    /// Delays every chunk read in `direction` from now on by `delay`, on
    /// open connections and new ones: a delay line, so that a reply in
    /// several chunks arrives `delay` late, not `delay` per chunk.
    /// `Duration::ZERO` removes the delay.
    pub fn latency(&self, direction: Direction, delay: Duration) {
        self.shared.faults.send_modify(|faults| {
            if direction.includes(Direction::ToUpstream) {
                faults.to_upstream = delay;
            }
            if direction.includes(Direction::ToClient) {
                faults.to_client = delay;
            }
        });
    }

    /// Holds every byte from now on, both ways: open connections stop
    /// answering mid-stream, new ones are accepted and never answered. The
    /// client sees a server that hangs, not one that fails: only its own
    /// timeout ends the wait. Held bytes flow once [restored](Self::restore),
    /// as TCP's retransmissions do when a network partition heals.
    pub fn blackhole(&self) {
        self.shared.faults.send_modify(|faults| faults.blackhole = true);
    }

    /// Closes every connection the proxy accepted, both the client's side
    /// and the server's, as `close` says. New connections are accepted as
    /// before; one the kernel has queued and the proxy not yet accepted is
    /// not cut.
    pub fn cut(&self, close: Close) {
        self.shared.cuts.send_modify(|cut| *cut = Cut { number: cut.number + 1, close });
    }

    /// Refuses new connections from now on: the listening socket is shut
    /// down, so that connecting fails at once with "connection refused".
    /// Open connections are left as they are; one the kernel had queued but
    /// the proxy not yet accepted is reset. At once on Linux; elsewhere the
    /// socket may accept until its task is dropped, moments later.
    pub fn refuse(&self) {
        self.listener.close();
    }

    /// Passes traffic through again: no latency, no blackhole, and new
    /// connections accepted on the same port. Fails only if the port was
    /// taken while it was refusing.
    pub fn restore(&self) -> io::Result<()> {
        self.shared.faults.send_replace(Faults::default());
        self.listener.reopen(self.address, self.upstream, &self.shared)
    }

    /// How many connections the proxy accepted.
    pub fn accepted(&self) -> usize {
        self.shared.accepted.load(Ordering::SeqCst)
    }

    /// How many of them are open: the client's side is open, or being
    /// closed. A count that grows run after run is a client that leaks
    /// connections.
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.listener.close();
        self.shared.connections.lock().unwrap_or_else(PoisonError::into_inner).abort_all();
    }
}

impl fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxy")
            .field("address", &self.address)
            .field("upstream", &self.upstream)
            .field("faults", &*self.shared.faults.borrow())
            .field("refusing", &self.listener.is_closed())
            .field("accepted", &self.accepted())
            .field("open_connections", &self.open_connections())
            .finish()
    }
}

impl fmt::Debug for FaultProxyBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaultProxyBuilder")
            .field("upstream", &self.upstream)
            .field("tapped", &self.tap.is_some())
            .finish()
    }
}

/// Where the host and port of a URL are: `scheme://[userinfo@]host[:port]`.
struct Authority<'u> {
    scheme: &'u str,
    host: &'u str,
    port: Option<u16>,
    /// The byte range of `host[:port]` in the URL.
    start: usize,
    end: usize,
}

impl<'u> Authority<'u> {
    fn of(url: &'u str) -> Option<Self> {
        let (scheme, rest) = url.split_once("://")?;
        let after_scheme = scheme.len() + 3;
        let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        let host_start = authority.rfind('@').map_or(0, |at| at + 1);
        let host_port = &authority[host_start..];
        // `[::1]:5432`: the port follows the bracket.
        let port_at = match host_port.rfind(']') {
            Some(bracket) => host_port[bracket..].find(':').map(|colon| bracket + colon),
            None => host_port.rfind(':'),
        };
        let (host, port) = match port_at {
            Some(colon) => (&host_port[..colon], Some(host_port[colon + 1..].parse().ok()?)),
            None => (host_port, None),
        };
        if host.is_empty() {
            return None;
        }
        let start = after_scheme + host_start;
        Some(Authority { scheme, host, port, start, end: after_scheme + authority_len })
    }
}

/// The usual port of a scheme a health check connects with.
fn default_port(scheme: &str) -> Option<u16> {
    Some(match scheme {
        "postgres" | "postgresql" => 5432,
        "mysql" | "mariadb" => 3306,
        "redis" => 6379,
        "rediss" => 6380,
        "amqp" => 5672,
        "amqps" => 5671,
        "nats" => 4222,
        "mqtt" => 1883,
        "http" => 80,
        "https" => 443,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_everything_but_the_host_and_port() {
        let authority = |url| Authority::of(url).map(|a| (a.scheme, a.host, a.port, &url[a.start..a.end]));
        assert_eq!(
            authority("postgres://postgres:secret@127.0.0.1:5432/test?sslmode=disable"),
            Some(("postgres", "127.0.0.1", Some(5432), "127.0.0.1:5432"))
        );
        assert_eq!(authority("redis://localhost"), Some(("redis", "localhost", None, "localhost")));
        assert_eq!(authority("amqp://guest:guest@[::1]:5672/%2f"), Some(("amqp", "[::1]", Some(5672), "[::1]:5672")));
        assert_eq!(authority("nats://h:99999").map(|a| a.2), None, "a port out of range");
        assert_eq!(authority("no scheme").map(|a| a.2), None);
        assert_eq!(authority("mysql://user@/db").map(|a| a.2), None, "no host");
    }
}
