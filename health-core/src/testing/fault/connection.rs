//! One relayed connection: the bytes pumped both ways through the faults,
//! until either side closes or the proxy cuts it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::{Close, Cut, Direction, Faults, Shared};

/// Chunks read and not yet written, per direction: what a slow direction
/// holds before it stops reading.
const IN_FLIGHT: usize = 64;

/// Relays `client` to `upstream` until one of them closes or a cut after
/// `cuts` was subscribed, when the proxy accepted it.
pub(super) async fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    id: u64,
    mut cuts: watch::Receiver<Cut>,
) {
    let _open = Opened { shared: &shared, id };
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

/// Copies `from` to `to` through the faults until `from` ends; then ends
/// `to` too, so that a half-close crosses the proxy.
///
/// Latency is a delay line: each chunk is due its delay after it was read,
/// however many follow it. While the proxy is a blackhole nothing is read or
/// written: bytes wait in the kernel's buffers, as in a network that drops
/// every packet, and flow once it is restored, as TCP's retransmissions do
/// when a partition heals.
async fn pump(
    mut from: impl AsyncRead + Unpin,
    mut to: impl AsyncWrite + Unpin,
    direction: Direction,
    shared: &Shared,
    id: u64,
) {
    let (queue, mut queued) = mpsc::channel::<(Instant, Vec<u8>)>(IN_FLIGHT);
    let read = async move {
        let mut faults = shared.faults.subscribe();
        let mut buffer = vec![0u8; 16 * 1024];
        while passes(&mut faults).await {
            let read = match from.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(read) => read,
            };
            let due = Instant::now() + faults.borrow().delay(direction);
            // The writer gone (its side failed): nothing more to carry.
            if queue.send((due, buffer[..read].to_vec())).await.is_err() {
                break;
            }
        }
    };
    let write = async move {
        let mut faults = shared.faults.subscribe();
        while let Some((due, bytes)) = queued.recv().await {
            tokio::time::sleep_until(due).await;
            // Held if the blackhole began while it was on its way.
            if !passes(&mut faults).await {
                break;
            }
            if let Some(tap) = &shared.tap {
                tap.forwarded(id, direction, &bytes);
            }
            if to.write_all(&bytes).await.is_err() {
                break;
            }
        }
        let _ = to.shutdown().await;
    };
    tokio::join!(read, write);
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
