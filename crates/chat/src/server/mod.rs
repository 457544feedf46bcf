//! # chat-server: one room, many clients at once
//!
//! The server listens on TCP port 10194 and runs **permanently**: it accepts
//! connections one after the other, and gives each its own task
//! ([`connection`]), so a hundred people can chat at once while each task
//! only thinks about one of them. The tasks share one thing, the [`room`]:
//! who is connected, under which name, and a bounded queue of lines waiting
//! to be written to each of them.
//!
//! Every limit is explicit (see [`Config`]): how many clients at once, how
//! many lines may wait for a client that does not read, how long a
//! connection may stay without a nickname, how long a write may take. None
//! of them lets one client stall the others or make memory grow without end.
//!
//! [`serve`] takes an already bound listener and a shutdown token, so tests
//! run the real server in-process, and stop it exactly as Ctrl-C does: every
//! client gets `BYE server shutting down`, then `serve` returns.

pub mod connection;
pub mod room;

use netkit::logging::clients;
use std::sync::Arc;
use std::time::Duration;

use codec::chat::{Reply, SERVER_FULL};
use netkit::NetError;
use netkit::net::{accept, announce, local_addr, make_room_for};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{info, warn};

use self::connection::Signals;
use self::room::Room;

/// The server's limits and switches.
#[derive(Debug, Clone)]
pub struct Config {
    /// Most clients connected at once; one more gets `ERR server full`.
    pub max_clients: usize,
    /// Most lines waiting for one client (`MSG` lines one sender sent
    /// together count as one). A client that stops reading is disconnected
    /// when its queue is full.
    pub max_queue: usize,
    /// How long a connection may stay without sending `NICK`.
    pub nick_timeout: Duration,
    /// How long a client may take no byte of what waits to be written to
    /// it before it is disconnected (it has stopped reading). Every byte
    /// it takes restarts the clock: a slow reader is not cut off for the
    /// size of what waits.
    pub write_timeout: Duration,
    /// Silence after which the OS checks that a client's machine is still
    /// there (TCP keepalive; see [`netkit::net::watch_peer`]).
    pub keepalive: Duration,
    /// How long clients may take to receive `BYE` after Ctrl-C.
    pub grace: Duration,
    /// `--trace`: log every byte, both directions.
    pub trace: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_clients: 1000,
            max_queue: 1024,
            nick_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(30),
            keepalive: Duration::from_secs(30),
            grace: Duration::from_secs(2),
            trace: false,
        }
    }
}

/// Runs the chat server on `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), NetError> {
    announce(local_addr(&listener)?, "tcp", "chat/1");
    make_room_for(config.max_clients, "--max-clients");
    let config = Arc::new(config);
    let room = Arc::new(Room::new(config.max_clients, config.max_queue));
    let tracker = TaskTracker::new();
    let force = CancellationToken::new();

    let mut refusals = netkit::logging::OncePerSecond::new();
    let refusing = Arc::new(tokio::sync::Semaphore::new(REFUSING_AT_ONCE));
    while let Some((stream, peer)) = accept(&listener, &shutdown).await {
        // Chat lines are small and should leave at once (no Nagle delay).
        let _ = stream.set_nodelay(true);
        // A chat client may stay quiet for hours: only the OS can tell that
        // its machine has left the network, and so free its nickname.
        netkit::net::watch_peer(&stream, config.keepalive);
        // The same idea as echo's and time's `--max-clients`, but not their
        // `netkit::admission`, on purpose: here the limit is the room's own
        // table of clients (one count, under the room's lock, the one every
        // "N connected" line reads; a semaphore beside it would be a second
        // count of the same thing, free a moment apart), and the newcomer is
        // *told*, in chat/1 (`ERR server full`), which takes a task and a
        // bounded wait, where an echo or time client can only be closed.
        match room.enter(peer) {
            Ok(seat) => {
                let signals = Signals {
                    shutdown: shutdown.clone(),
                    force: force.clone(),
                };
                tracker.spawn(connection::run(
                    stream,
                    peer,
                    seat,
                    room.clone(),
                    config.clone(),
                    signals,
                ));
            }
            Err(room::Full) => {
                if let Some(more) = refusals.due(std::time::Instant::now()) {
                    warn!(
                        "{peer} refused: server full ({} connected){more}",
                        clients(config.max_clients)
                    );
                }
                match refusing.clone().try_acquire_owned() {
                    Ok(permit) => {
                        tracker.spawn(async move {
                            refuse(stream).await;
                            drop(permit);
                        });
                    }
                    // A flood: the line if the socket takes it now, then
                    // the connection is closed (dropped) at once.
                    Err(_) => {
                        let _ = stream.try_write(&Reply::Err(SERVER_FULL.to_string()).to_bytes());
                    }
                }
            }
        }
    }

    if let Some(untold) = refusals.untold() {
        warn!("refused, server full: {untold}");
    }
    drop(listener); // new clients now get "connection refused"
    // Every connection saw the same signal and may already have said BYE
    // and left: the count is of those still connected at this moment.
    info!(
        "no longer accepting; saying BYE to every client ({} still connected)",
        room.connected()
    );
    netkit::shutdown::drain(&tracker, config.grace, &force).await;
    info!("chat server stopped");
    Ok(())
}

/// Refusals that wait (a second at most) for their client to read
/// `ERR server full` and close: at most this many at once, within the files
/// [`make_room_for`] keeps spare beyond `--max-clients`. Beyond, a newcomer
/// gets the line only if its socket takes it at once, and is closed at
/// once: a flood of newcomers to a full room cannot use up the descriptors
/// its clients need (and then hold `accept` back for everyone).
const REFUSING_AT_ONCE: usize = 32;

/// Tells one client too many that the room is full, and closes.
async fn refuse(mut stream: TcpStream) {
    let goodbye = async {
        stream
            .write_all(&Reply::Err(SERVER_FULL.to_string()).to_bytes())
            .await?;
        stream.shutdown().await?;
        // Let the client read the line before the socket goes away.
        let mut sink = [0u8; 1024];
        while tokio::io::AsyncReadExt::read(&mut stream, &mut sink).await? > 0 {}
        Ok::<(), std::io::Error>(())
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), goodbye).await;
}
