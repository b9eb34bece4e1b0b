//! The proxy's listening socket and its accept loop: closed to refuse new
//! connections, opened again on the same port to restore them.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::Shared;
use super::connection::relay;

/// The listening socket while the proxy accepts connections.
pub(super) struct Listener {
    address: SocketAddr,
    open: Mutex<Option<Open>>,
}

/// A listening socket and the task accepting on it.
struct Open {
    socket: Arc<TcpListener>,
    accepting: JoinHandle<()>,
}

impl Listener {
    /// Listens on `address` and forwards what it accepts to `upstream`.
    pub(super) async fn bind(address: SocketAddr, upstream: SocketAddr, shared: &Arc<Shared>) -> io::Result<Listener> {
        let socket = TcpListener::bind(address).await?;
        let address = socket.local_addr()?;
        let open = Open::start(socket, upstream, shared);
        Ok(Listener { address, open: Mutex::new(Some(open)) })
    }

    pub(super) fn address(&self) -> SocketAddr {
        self.address
    }

    fn open(&self) -> MutexGuard<'_, Option<Open>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn is_closed(&self) -> bool {
        self.open().is_none()
    }

    /// Stops listening at once: a connection attempt made after this returns
    /// is refused, even before the accept task ends.
    pub(super) fn close(&self) {
        if let Some(open) = self.open().take() {
            // Shut down, a listening socket stops listening there and then;
            // dropping it would wait for the accept task to be dropped too.
            let _ = socket2::SockRef::from(&*open.socket).shutdown(std::net::Shutdown::Both);
            open.accepting.abort();
        }
    }

    /// Listens on `address` again, unless it listens already.
    pub(super) fn reopen(&self, address: SocketAddr, upstream: SocketAddr, shared: &Arc<Shared>) -> io::Result<()> {
        let mut open = self.open();
        if open.is_none() {
            // The standard library sets SO_REUSEADDR: connections of the old
            // socket waiting out TIME_WAIT do not hold the port.
            let socket = std::net::TcpListener::bind(address)?;
            socket.set_nonblocking(true)?;
            tokio::runtime::Handle::try_current().map_err(io::Error::other)?;
            *open = Some(Open::start(TcpListener::from_std(socket)?, upstream, shared));
        }
        Ok(())
    }
}

impl Open {
    fn start(socket: TcpListener, upstream: SocketAddr, shared: &Arc<Shared>) -> Open {
        let socket = Arc::new(socket);
        let accepting = tokio::spawn(accept(Arc::clone(&socket), upstream, Arc::clone(shared)));
        Open { socket, accepting }
    }
}

/// Accepts connections until the task is aborted, relaying each on a task
/// of the proxy's. A failed accept (out of descriptors, a connection reset
/// while queued, the socket shut down) is waited out.
async fn accept(socket: Arc<TcpListener>, upstream: SocketAddr, shared: Arc<Shared>) {
    loop {
        let client = match socket.accept().await {
            Ok((client, _)) => client,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Subscribed now: a cut from here on closes it, even before its
        // relay first runs.
        let mut cuts = shared.cuts.subscribe();
        cuts.borrow_and_update();
        shared.accepted.fetch_add(1, Ordering::SeqCst);
        shared.open.fetch_add(1, Ordering::SeqCst);
        let id = shared.next_connection.fetch_add(1, Ordering::SeqCst);
        let mut connections = shared.connections.lock().unwrap_or_else(PoisonError::into_inner);
        // Finished relays are reaped here, so that a long test does not
        // keep one entry per connection it ever made.
        while connections.try_join_next().is_some() {}
        connections.spawn(relay(client, upstream, Arc::clone(&shared), id, cuts));
    }
}
