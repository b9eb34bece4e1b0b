//! One relayed connection: the bytes pumped both ways through the faults,
//! until either side closes or the proxy cuts it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::watch;

use super::{Close, Cut, Direction, Faults, Shared};

/// Relays `client` to `upstream` until one of them closes or a cut.
pub(super) async fn relay(mut client: TcpStream, upstream: SocketAddr, shared: Arc<Shared>, id: u64) {
    let _open = Opened { shared: &shared, id };
    let mut cuts = shared.cuts.subscribe();
    cuts.borrow_and_update();
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        // No server: the client sees its connection closed.
        return;
    };
    let cut = {
        let (client_read, client_write) = client.split();
        let (server_read, server_write) = server.split();
        let pumps = async {
            tokio::join!(
                pump(client_read, server_write, Direction::ToUpstream, &shared, id),
                pump(server_read, client_write, Direction::ToClient, &shared, id),
            )
        };
        tokio::select! {
            _ = pumps => None,
            cut = next_cut(&mut cuts) => cut,
        }
    };
    if let Some(Close::Reset) = cut {
        for stream in [&client, &server] {
            let _ = socket2::SockRef::from(stream).set_linger(Some(Duration::ZERO));
        }
    } else if cut.is_some() {
        let _ = tokio::join!(client.shutdown(), server.shutdown());
    }
}

/// How the next cut closes, once there is one; `None` if the proxy is gone.
async fn next_cut(cuts: &mut watch::Receiver<Cut>) -> Option<Close> {
    match cuts.changed().await {
        Ok(()) => Some(cuts.borrow().close),
        Err(_) => std::future::pending().await,
    }
}

/// Copies `from` to `to` through the faults, chunk by chunk, until `from`
/// ends; then ends `to` too, so that a half-close crosses the proxy.
///
/// While the proxy is a blackhole nothing is read or written: bytes wait in
/// the kernel's buffers, as in a network that drops every packet, and flow
/// once it is restored, as TCP's retransmissions do when a partition heals.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    direction: Direction,
    shared: &Shared,
    id: u64,
) {
    let mut faults = shared.faults.subscribe();
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if !passes(&mut faults).await {
            break;
        }
        let read = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(read) => read,
        };
        let delay = faults.borrow().delay(direction);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        // Read or held just as the blackhole began: it waits as well.
        if !passes(&mut faults).await {
            break;
        }
        if let Some(tap) = &shared.tap {
            tap.forwarded(id, direction, &buffer[..read]);
        }
        if to.write_all(&buffer[..read]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}

/// Waits while the proxy is a blackhole; `false` if it is gone meanwhile.
async fn passes(faults: &mut watch::Receiver<Faults>) -> bool {
    faults.wait_for(|faults| !faults.blackhole).await.is_ok()
}

/// Counts a connection open until its relay ends, however it ends.
struct Opened<'s> {
    shared: &'s Shared,
    id: u64,
}

impl Drop for Opened<'_> {
    fn drop(&mut self) {
        self.shared.open.fetch_sub(1, Ordering::SeqCst);
        if let Some(tap) = &self.shared.tap {
            tap.closed(self.id);
        }
    }
}
