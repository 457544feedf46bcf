//! # echo-server: one server, many clients, two transports
//!
//! **Course idea:** a server runs permanently, listening on a port, and
//! serves many clients at the same time. Here every accepted TCP connection
//! gets its own lightweight task, so a slow client never makes another wait.
//! The same port number is also open on UDP, where there are no connections
//! at all: each datagram is answered on its own.
//!
//! ## Bounded by design
//! - **Backpressure.** A connection's loop is *read, then write everything
//!   back, then read again*. If a client sends but never reads, our writes
//!   stop (its receive window is full), so we stop reading it too: the data
//!   waits in the kernel's buffers and in the client, never piles up here.
//! - **Memory.** A read buffer ([`READ_CHUNK`]) exists only while data is
//!   arriving: a busy connection reuses it, an idle one holds no buffer at
//!   all. A client that sends and stops reading keeps its buffer (its echo
//!   waits in it) until it reads again or `idle_timeout` closes it.
//! - **Limits.** At most `max_clients` connections at once (the next one is
//!   closed at once, with a log line: see [`netkit::admission`]); a
//!   connection that neither sends nor accepts data for `idle_timeout` is
//!   closed. A client that reads its echo slowly is not idle: every byte it
//!   accepts restarts the clock.
//! - **No UDP loops.** A datagram whose source port belongs to a server
//!   (port 0, our own port, a well-known port, another netlab server) gets no
//!   answer: a forged one would otherwise set two servers echoing each other
//!   forever.
//! - **Shutdown.** When the shutdown token is cancelled (Ctrl-C), the server
//!   stops accepting, lets live connections finish for `grace`, then closes them.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codec::echo::UDP_RECV_BUFFER;
use codec::ports::AnswerBudget;
use netkit::NetError;
use netkit::admission::Admission;
use netkit::error::describe_io;
use netkit::logging::clients;
use netkit::net::accept;
use netkit::shutdown::drain;
use netkit::trace::{DatagramTrace, Tap, Traced};
use netkit::udp::{UdpServerSocket, log_not_answered};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

/// Bytes read (and echoed) at most per read. Measured on loopback, 256 KiB
/// moves bulk data about 25% faster than 64 KiB (fewer system calls and
/// wake-ups per byte). Only a connection that is sending, or whose echo
/// waits for it to read, holds one, so the worst case is `max_clients` ×
/// 256 KiB, all of them busy at once.
pub const READ_CHUNK: usize = 256 * 1024;

/// How the server behaves; every limit has a command-line flag.
#[derive(Debug, Clone)]
pub struct Config {
    /// Log every byte (`--trace`).
    pub trace: bool,
    /// Connections served at once; one more is closed at once (`--max-clients`).
    pub max_clients: usize,
    /// A connection with no traffic either way for this long is closed (`--idle-timeout`).
    pub idle_timeout: Duration,
    /// After Ctrl-C, how long live connections may finish (`--grace`).
    pub grace: Duration,
    /// UDP datagrams answered per second to one source, address and port
    /// (`--udp-rate`); see [`AnswerBudget`].
    pub udp_rate: u32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            trace: false,
            max_clients: 1000,
            idle_timeout: Duration::from_secs(300),
            grace: Duration::from_secs(2),
            udp_rate: AnswerBudget::DEFAULT_PER_SECOND,
        }
    }
}

/// Serves echo on whichever sockets are given, until `shutdown` is cancelled.
pub async fn serve(
    tcp: Option<TcpListener>,
    udp: Option<UdpSocket>,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), NetError> {
    let tcp_task = async {
        match tcp {
            Some(listener) => serve_tcp(listener, config.clone(), shutdown.clone()).await,
            None => Ok(()),
        }
    };
    let udp_task = async {
        match udp {
            Some(socket) => serve_udp(socket, config.clone(), shutdown.clone()).await,
            None => Ok(()),
        }
    };
    let (tcp_result, udp_result) = tokio::join!(tcp_task, udp_task);
    tcp_result.and(udp_result)
}

/// The TCP side: accept clients until shutdown, one task per client.
pub async fn serve_tcp(
    listener: TcpListener,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), NetError> {
    netkit::net::make_room_for(config.max_clients, "--max-clients");
    let config = Arc::new(config);
    let tracker = TaskTracker::new();
    let force_close = CancellationToken::new();
    let mut door = Admission::new(config.max_clients);
    while let Some((stream, peer)) = accept(&listener, &shutdown).await {
        // Full: refused (and logged); dropping `stream` closes the connection.
        let Some(ticket) = door.admit(peer) else {
            continue;
        };
        let config = config.clone();
        let force_close = force_close.clone();
        tracker.spawn(async move {
            info!(
                "{peer} connected ({} connected)",
                clients(ticket.connected())
            );
            serve_connection(stream, peer, &config, &force_close).await;
            drop(ticket);
        });
    }
    door.finish();
    // Closed now, not when this function returns: during the grace period a
    // newcomer gets "connection refused", not a connection nobody serves.
    drop(listener);
    info!("no longer accepting TCP connections");
    drain(&tracker, config.grace, &force_close).await;
    Ok(())
}

/// One client, from connection to goodbye.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    config: &Config,
    force_close: &CancellationToken,
) {
    let _ = stream.set_nodelay(true); // echo back at once, do not wait to fill a packet
    let tap = Tap::new(peer, config.trace);
    let mut stream = Traced::new(stream, tap.clone());
    let outcome = tokio::select! {
        result = echo_until_closed(&mut stream, config.idle_timeout) => result,
        _ = force_close.cancelled() => Err(io::Error::other("closed by the server's shutdown")),
    };
    let counts = tap.counts();
    match outcome {
        Ok(()) => info!("{peer} disconnected ({counts})"),
        Err(e) => warn!("{peer} disconnected: {} ({counts})", describe_io(&e)),
    }
}

/// The echo protocol itself: read some bytes, write them all back, repeat.
///
/// Writing *everything* before reading again is the backpressure: a client
/// that does not read its echo stops being read. When the client closes its
/// sending side (read returns 0), everything it sent has already been echoed,
/// so we close ours too: that is how a half-close is honoured.
async fn echo_until_closed(
    stream: &mut Traced<TcpStream>,
    idle_timeout: Duration,
) -> io::Result<()> {
    let tap = stream.tap().clone();
    loop {
        // Wait for data without holding a buffer: idle connections cost little.
        within(idle_timeout, "no data", stream.get_ref().readable()).await?;
        // A buffer exists from here until the client stops sending for a
        // moment: a busy connection reuses it for every chunk, an idle one
        // holds none.
        let mut buf = Vec::with_capacity(READ_CHUNK);
        loop {
            buf.clear();
            // Read without waiting: "would block" (nothing more for now, or
            // a false alarm: tokio reports a new socket as ready before
            // anything arrived) drops the buffer and goes back to waiting.
            let n = match stream.get_ref().try_read_buf(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            };
            // try_read_buf bypasses the Traced wrapper: report to its tap ourselves.
            if n == 0 {
                tap.end_of_stream();
                stream.shutdown().await?;
                return Ok(());
            }
            tap.received(&buf);
            write_all_unless_stalled(stream, &buf, idle_timeout).await?;
        }
    }
}

/// Writes all of `bytes`, failing only if the client accepts none of them
/// for `idle_timeout`.
///
/// A whole chunk can take longer than `idle_timeout` to go out to a client
/// that reads slowly but steadily. Such a client is not idle, so the clock
/// restarts each time a write moves some bytes: only a client that stops
/// reading altogether runs out of time.
async fn write_all_unless_stalled(
    stream: &mut Traced<TcpStream>,
    bytes: &[u8],
    idle_timeout: Duration,
) -> io::Result<()> {
    let mut rest = bytes;
    while !rest.is_empty() {
        let written = within(
            idle_timeout,
            "the client does not read its echo",
            stream.write(rest),
        )
        .await?;
        if written == 0 {
            return Err(io::ErrorKind::WriteZero.into());
        }
        rest = &rest[written..];
    }
    Ok(())
}

/// Runs `step`, or fails with a time-out explaining `what` did not happen.
async fn within<T>(
    limit: Duration,
    what: &str,
    step: impl Future<Output = io::Result<T>>,
) -> io::Result<T> {
    match tokio::time::timeout(limit, step).await {
        Ok(result) => result,
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "idle for {:.0} s ({what}; see --idle-timeout)",
                limit.as_secs_f64()
            ),
        )),
    }
}

/// The UDP side: every datagram goes back to the address and port it came from.
///
/// There is no connection and so nothing to limit per client: one buffer,
/// one datagram at a time, reused for the life of the server. The buffer
/// holds the largest datagram of IPv4 or IPv6, so none is ever truncated.
///
/// A datagram whose source port belongs to a server is not answered (see
/// [`may_answer_udp`](codec::ports::may_answer_udp)): answering a forged one would start an endless
/// ping-pong between two servers. Nor is one source answered more than
/// `--udp-rate` times a second ([`AnswerBudget`]): a loop with a server on a
/// port nobody could predict ends when that server runs out of answers.
///
/// Each echo comes from the address the datagram was sent to, even on a
/// socket bound to `0.0.0.0` or `::` (see [`netkit::udp`]).
pub async fn serve_udp(
    socket: UdpSocket,
    config: Config,
    shutdown: CancellationToken,
) -> Result<(), NetError> {
    let own_port = socket
        .local_addr()
        .map_err(|e| NetError::io("reading the UDP address", e))?
        .port();
    // Bound to 0.0.0.0 or ::, each echo must leave from the address its
    // datagram went to, or a client that connected its socket drops it.
    let socket = UdpServerSocket::new(socket);
    let mut buf = vec![0u8; UDP_RECV_BUFFER];
    let mut budget = AnswerBudget::new(config.udp_rate);
    let trace = DatagramTrace::new(config.trace, None);
    while let Some((n, peer, local)) = socket.next_datagram(&mut buf, &shutdown).await {
        // Shown as IPv4 when it is (`::ffff:10.0.0.2` on a server on `::`);
        // the answer goes to `peer` as the socket knows it.
        let shown = netkit::net::canonical(peer);
        let datagram = &buf[..n];
        // An empty datagram too: the trace says "recv an empty datagram".
        trace.received(shown, datagram);
        if let Err(why) = budget.judge(peer, &[own_port], Instant::now()) {
            log_not_answered(shown, why, config.trace);
            continue;
        }
        match socket.send_to_from(datagram, peer, local).await {
            Ok(_) => {
                trace.sent(shown, datagram);
                debug!(
                    "{shown} (udp): echoed a datagram of {}",
                    netkit::trace::plural_bytes(n)
                );
            }
            Err(e) => debug!(
                "{shown} (udp): could not send the echo: {}",
                describe_io(&e)
            ),
        }
    }
    info!("no longer answering UDP datagrams");
    Ok(())
}
