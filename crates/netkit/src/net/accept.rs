//! # One server, many clients: taking them one after the other
//!
//! **Course idea:** a server serves many clients. Each one knocks, waits in
//! the system's queue, and is taken by [`accept`], the heart of every TCP
//! server's loop; the server hands it to a task of its own and comes back
//! for the next. What may go wrong there, and what it means for the server
//! (nothing, or a pause), is decided here.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use super::canonical;
use crate::error::describe_io;

/// Waits for the next client, or for `shutdown`: the heart of every server's
/// accept loop. Returns `None` once `shutdown` is cancelled.
///
/// `accept` can fail without the server being broken, in two ways:
///
/// - the *machine* is short of something, typically "too many open files"
///   when every file descriptor is in use: the error is logged and, after a
///   short pause (instead of retrying in a tight loop that would burn a CPU
///   core), the server goes on waiting: connections that end will free
///   descriptors;
/// - *one client* went wrong between its handshake and our `accept` (it
///   gave up and reset, or its network vanished): the system reports that
///   client's error here (see `only_that_client`). Nothing is wrong with
///   the server, so it takes the next client at once (but not for ever in
///   a row: see `pauses`).
pub async fn accept(
    listener: &TcpListener,
    shutdown: &CancellationToken,
) -> Option<(TcpStream, SocketAddr)> {
    let mut skipped_in_a_row = 0;
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => return None,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            // An IPv4 client of a server on `::` arrives as ::ffff:10.0.0.2:
            // it is shown as the 10.0.0.2 it is.
            Ok((stream, peer)) => return Some((stream, canonical(peer))),
            Err(e) if !pauses(&e, skipped_in_a_row) => {
                skipped_in_a_row += 1;
                debug!("a client left before it was accepted: {}", describe_io(&e));
            }
            Err(e) => {
                skipped_in_a_row = 0;
                warn!("could not accept a connection: {}", describe_io(&e));
                tokio::select! {
                    _ = shutdown.cancelled() => return None,
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            }
        }
    }
}

/// Clients' own `accept` errors skipped at once, in a row, before the
/// server pauses all the same (see [`pauses`]).
const SKIPPED_AT_ONCE: usize = 64;

/// Whether `accept` should pause after `err`, when `skipped_in_a_row`
/// errors just before it were skipped at once. A client's own error costs
/// the server nothing, but only as long as each one is a different client
/// taken from the queue: an error that comes back at every call is the
/// machine's, whatever its kind says (Windows, for one, answers
/// WSAENETDOWN, "the network subsystem has failed", which Rust calls
/// `NetworkDown` like Linux's error of one connection), and retrying it
/// at once would spin a CPU core for as long as it lasts.
fn pauses(err: &io::Error, skipped_in_a_row: usize) -> bool {
    !only_that_client(err) || skipped_in_a_row >= SKIPPED_AT_ONCE
}

/// An `accept` error that belongs to the one client being accepted, not to
/// the server: it aborted or reset the connection while it waited in the
/// queue (macOS and the BSDs say so), or its network is gone (Linux
/// passes such errors of the new connection on to `accept`, see its
/// manual page).
fn only_that_client(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable
            | io::ErrorKind::NetworkDown
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{bind_tcp, local_addr};

    /// A client that went wrong in the queue does not pause the server; a
    /// machine short of file descriptors or memory does.
    #[test]
    fn only_a_clients_own_accept_error_is_retried_at_once() {
        use io::ErrorKind::*;
        for kind in [
            ConnectionAborted,
            ConnectionReset,
            HostUnreachable,
            NetworkUnreachable,
            NetworkDown,
        ] {
            assert!(only_that_client(&io::Error::from(kind)), "{kind:?}");
        }
        #[cfg(target_os = "linux")]
        {
            // ECONNABORTED and EMFILE, as the system gives them.
            assert!(only_that_client(&io::Error::from_raw_os_error(103)));
            assert!(!only_that_client(&io::Error::from_raw_os_error(24)));
        }
        assert!(!only_that_client(&io::Error::from(OutOfMemory)));
    }

    /// A client's own error is skipped at once, but not for ever in a row:
    /// one that comes back at every call is the machine's (Windows' "the
    /// network subsystem has failed" is `NetworkDown` too), and skipping
    /// it at once would spin a CPU core.
    #[test]
    fn a_clients_error_that_keeps_coming_back_pauses_all_the_same() {
        let down = io::Error::from(io::ErrorKind::NetworkDown);
        assert!(!pauses(&down, 0));
        assert!(!pauses(&down, SKIPPED_AT_ONCE - 1));
        assert!(pauses(&down, SKIPPED_AT_ONCE));
        assert!(pauses(&io::Error::from_raw_os_error(24), 0));
    }

    #[tokio::test]
    async fn accept_returns_clients_then_none_on_shutdown() {
        let listener = bind_tcp("127.0.0.1", 0).await.unwrap();
        let addr = local_addr(&listener).unwrap();
        let shutdown = CancellationToken::new();
        let client = TcpStream::connect(addr).await.unwrap();
        let (_, peer) = accept(&listener, &shutdown).await.expect("a client");
        assert_eq!(peer, client.local_addr().unwrap());
        shutdown.cancel();
        assert!(accept(&listener, &shutdown).await.is_none());
    }
}
