//! # time-server: a server that speaks first, on two ports
//!
//! **Course ideas.**
//! - *1 service = 1 port*: one process offers two services, time (RFC 868)
//!   and daytime (RFC 867), each on its own port; the port a client chooses
//!   decides the language of the answer.
//! - *The server answers the request*: here the request is just "I am
//!   here" — a TCP connection, or any UDP datagram — and the answer is the
//!   current time. The server does not wait for the client to say anything.
//! - *Many clients at once*: each TCP connection gets its own task; over UDP
//!   each datagram is answered on its own, with no connection at all.
//!
//! ## One exchange
//! - **TCP**: accept, send the answer, close our side (FIN), then wait for
//!   the client to close too. That last wait matters: closing a socket while
//!   the client's bytes sit unread (`echo hi | nc host 10037`) makes the OS
//!   send a *reset*, which can destroy our answer before the client reads it.
//! - **UDP**: receive a datagram (its content is ignored: RFC 868 sends an
//!   empty one), send one datagram back to the address and port it came from
//!   — unless that port is a server's (port 0, one of ours, a well-known
//!   port, another netlab server): answering a forged datagram "from" echo
//!   would set the two servers answering each other forever.
//!
//! ## Bounded by design
//! - At most `max_clients` TCP connections at once, over both services; one
//!   more is closed at once, with a log line (`--max-clients`; see
//!   [`netkit::admission`]).
//! - The whole TCP exchange — sending the answer, then waiting for the
//!   client to close — is limited by `write_timeout` (`--write-timeout`), so
//!   a client that never reads, or never closes, cannot keep a task forever.
//!   (An answer of 4 to 44 bytes always fits in the kernel's send buffer, so
//!   in practice it is the "never closes" half that the limit catches.)
//! - Bytes a TCP client sends are read into one small buffer and dropped.
//! - On shutdown (Ctrl-C) the server stops accepting, lets live connections
//!   finish for `grace`, then closes them.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codec::ports::AnswerBudget;
use codec::time::Protocol;
use netkit::NetError;
use netkit::admission::Admission;
use netkit::error::{Transport, describe_io};
use netkit::logging::clients;
use netkit::net::{accept, announce, bind_tcp_and_udp_set_by, local_addr};
use netkit::shutdown::drain;
use netkit::trace::{DatagramTrace, Traced, Way};
use netkit::udp::{UdpServerSocket, log_not_answered};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tracing::{debug, info, warn};

use crate::clock::Clock;
use crate::{in_hex, tap_for};

/// How the server behaves; every limit has a command-line flag.
#[derive(Debug, Clone)]
pub struct Config {
    /// Log every byte (`--trace`).
    pub trace: bool,
    /// TCP connections served at once, both services together (`--max-clients`).
    pub max_clients: usize,
    /// Time a TCP client has to receive the answer and close (`--write-timeout`).
    pub write_timeout: Duration,
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
            write_timeout: Duration::from_secs(10),
            grace: Duration::from_secs(2),
            udp_rate: AnswerBudget::DEFAULT_PER_SECOND,
        }
    }
}

/// One service: a protocol and the sockets it is offered on.
#[derive(Debug)]
pub struct Service {
    /// Which protocol these sockets speak.
    pub protocol: Protocol,
    /// The TCP listening socket, if the service is offered over TCP.
    pub tcp: Option<TcpListener>,
    /// The UDP socket, if the service is offered over UDP.
    pub udp: Option<UdpSocket>,
}

impl Service {
    /// Opens `port` (0 = chosen by the OS) on TCP and UDP for `protocol`.
    /// Errors name time-server's flag for that service's port: `--port`
    /// for time, `--daytime-port` for daytime.
    pub async fn bind(protocol: Protocol, host: &str, port: u16) -> Result<Service, NetError> {
        let flag = match protocol {
            Protocol::Time => "--port",
            Protocol::Daytime => "--daytime-port",
        };
        Service::bind_set_by(protocol, host, port, flag).await
    }

    /// [`Service::bind`] for a port chosen with the command-line flag
    /// `flag`: a port in use, or privileged, is explained with that flag.
    pub async fn bind_set_by(
        protocol: Protocol,
        host: &str,
        port: u16,
        flag: &str,
    ) -> Result<Service, NetError> {
        let (tcp, udp) = bind_tcp_and_udp_set_by(host, port, flag).await?;
        Ok(Service {
            protocol,
            tcp: Some(tcp),
            udp: Some(udp),
        })
    }

    /// The address the service really listens on (the port chosen for `--port 0`).
    pub fn local_addr(&self) -> Result<SocketAddr, NetError> {
        match (&self.tcp, &self.udp) {
            (Some(tcp), _) => local_addr(tcp),
            (None, Some(udp)) => udp
                .local_addr()
                .map_err(|e| NetError::io("reading the UDP address", e)),
            (None, None) => Err(NetError::protocol(format!(
                "the {} service has no socket",
                self.protocol.label()
            ))),
        }
    }

    /// Logs the `listening on …` line for this service.
    pub fn announce(&self) -> Result<SocketAddr, NetError> {
        let addr = self.local_addr()?;
        let transports = match (&self.tcp, &self.udp) {
            (Some(_), Some(_)) => "tcp+udp",
            (Some(_), None) => "tcp",
            _ => "udp",
        };
        announce(addr, transports, self.protocol.label());
        Ok(addr)
    }
}

/// What every connection task shares.
struct Shared {
    config: Config,
    clock: Arc<dyn Clock>,
    tracker: TaskTracker,
    force_close: CancellationToken,
}

/// Serves every given service until `shutdown` is cancelled.
pub async fn serve(
    services: Vec<Service>,
    config: Config,
    clock: Arc<dyn Clock>,
    shutdown: CancellationToken,
) -> Result<(), NetError> {
    netkit::net::make_room_for(config.max_clients, "--max-clients");
    let shared = Arc::new(Shared {
        config,
        clock,
        tracker: TaskTracker::new(),
        force_close: CancellationToken::new(),
    });
    // Every UDP port of this server: none of them may get an answer, or the
    // time and daytime services could be set answering each other.
    let own_udp_ports: Arc<[u16]> = services
        .iter()
        .filter_map(|service| service.udp.as_ref()?.local_addr().ok())
        .map(|addr| addr.port())
        .collect();
    // One limit for both services: `--max-clients` counts every TCP
    // connection, whichever port it came to; each port is a door onto it.
    let admission = Admission::new(shared.config.max_clients);
    let mut loops = Vec::new();
    for service in services {
        if let Some(listener) = service.tcp {
            loops.push(tokio::spawn(serve_tcp(
                listener,
                service.protocol,
                admission.another_door(),
                shared.clone(),
                shutdown.clone(),
            )));
        }
        if let Some(socket) = service.udp {
            loops.push(tokio::spawn(serve_udp(
                socket,
                service.protocol,
                own_udp_ports.clone(),
                shared.clone(),
                shutdown.clone(),
            )));
        }
    }
    for task in loops {
        // A loop only ends on shutdown; a panic in one would be a bug.
        if let Err(e) = task.await {
            warn!("a service stopped unexpectedly: {e}");
        }
    }
    info!("no longer accepting connections or datagrams");
    drain(&shared.tracker, shared.config.grace, &shared.force_close).await;
    Ok(())
}

/// The TCP side of one service: accept clients until shutdown, one task each.
async fn serve_tcp(
    listener: TcpListener,
    protocol: Protocol,
    mut door: Admission,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    while let Some((stream, peer)) = accept(&listener, &shutdown).await {
        // Full: refused (and logged); dropping `stream` closes the connection.
        let Some(ticket) = door.admit(peer) else {
            continue;
        };
        let task_shared = shared.clone();
        shared.tracker.spawn(async move {
            info!(
                "{peer} connected to {} ({} connected)",
                protocol.label(),
                clients(ticket.connected())
            );
            serve_connection(stream, peer, protocol, &task_shared).await;
            drop(ticket);
        });
    }
    door.finish();
}

/// One TCP client: the answer, then goodbye.
async fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    protocol: Protocol,
    shared: &Shared,
) {
    // No TCP_NODELAY (one system call saved per client): the answer is a
    // single write followed by FIN, and Nagle's algorithm only holds back
    // data sent while earlier data is still unacknowledged.
    let tap = tap_for(
        protocol,
        peer,
        shared.config.trace,
        Transport::Tcp,
        Way::Out,
    );
    let mut stream = Traced::new(stream, tap.clone());
    let answer = match protocol.answer(shared.clock.now()) {
        Ok(answer) => answer,
        Err(e) => {
            warn!("{peer}: no answer sent: {e}");
            return;
        }
    };
    let limit = shared.config.write_timeout;
    let outcome = tokio::select! {
        result = tokio::time::timeout(limit, answer_and_close(&mut stream, &answer)) => result,
        _ = shared.force_close.cancelled() => {
            Ok(Err(io::Error::other("closed by the server's shutdown")))
        }
    };
    let counts = tap.counts();
    match outcome {
        Ok(Ok(())) => info!("{peer} disconnected ({counts})"),
        Ok(Err(e)) => warn!("{peer} disconnected: {} ({counts})", describe_io(&e)),
        Err(_) if tap.bytes_out() < answer.len() as u64 => warn!(
            "{peer} closed: the client did not read the answer within {:.1} s \
             (see --write-timeout) ({counts})",
            limit.as_secs_f64()
        ),
        Err(_) => info!(
            "{peer} closed: the answer was sent, but the client did not close within {:.1} s \
             (see --write-timeout) ({counts})",
            limit.as_secs_f64()
        ),
    }
}

/// The TCP exchange on any stream: send `answer`, close our sending side,
/// then read and drop whatever the client sends until it closes too.
///
/// It has no time limit of its own: the caller bounds it (the server with
/// `--write-timeout`), so that tests can run it on an in-memory stream.
pub async fn answer_and_close<S>(stream: &mut S, answer: &[u8]) -> io::Result<()>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    stream.write_all(answer).await?;
    // FIN: "that was everything". The client's read now returns end-of-stream.
    stream.shutdown().await?;
    // Nothing the client sends means anything to us, but it must be read
    // before we close (see the module docs); one small reused buffer.
    let mut ignored = [0u8; 512];
    while stream.read(&mut ignored).await? > 0 {}
    Ok(())
}

/// The UDP side of one service: one answer per datagram received.
///
/// There is no connection and so nothing to limit per client: one buffer,
/// one datagram at a time. The answer is small (4 to 44 bytes), so a forged
/// sender address cannot make us send much to someone else. A datagram whose
/// source port belongs to a server — `own_ports`, the other netlab servers,
/// the well-known ports — is not answered at all (see [`may_answer_udp`](codec::ports::may_answer_udp)):
/// answering a forged one would start an endless ping-pong between servers.
/// Nor is one source answered more than `--udp-rate` times a second
/// ([`AnswerBudget`]): a loop with a server on a port nobody could predict
/// ends when that server runs out of answers.
///
/// Each answer comes from the address its question was sent to, even on a
/// socket bound to `0.0.0.0` or `::` (see [`netkit::udp`]).
async fn serve_udp(
    socket: UdpSocket,
    protocol: Protocol,
    own_ports: Arc<[u16]>,
    shared: Arc<Shared>,
    shutdown: CancellationToken,
) {
    // Bound to 0.0.0.0 or ::, each answer must leave from the address its
    // question went to, or a client that connected its socket drops it.
    let socket = UdpServerSocket::new(socket);
    // The request's content does not matter; a larger datagram is truncated.
    let mut buf = [0u8; 512];
    let mut budget = AnswerBudget::new(shared.config.udp_rate);
    let trace = DatagramTrace::new(shared.config.trace, in_hex(protocol, Way::Out));
    while let Some((n, peer, local)) = socket.next_datagram(&mut buf, &shutdown).await {
        // Shown as IPv4 when it is (`::ffff:10.0.0.2` on a server on `::`);
        // the answer goes to `peer` as the socket knows it.
        let shown = netkit::net::canonical(peer);
        // The usual question is an empty datagram: the trace shows it too.
        trace.received(shown, &buf[..n]);
        if n == buf.len() && shared.config.trace {
            // The trace shows what was read; the datagram may have been longer.
            info!(
                "{shown} (udp): only the first {n} bytes of this datagram were read, \
                 the rest (if any) was dropped: a question's content does not matter"
            );
        }
        if let Err(why) = budget.judge(peer, &own_ports, Instant::now()) {
            log_not_answered(shown, why, shared.config.trace);
            continue;
        }
        let answer = match protocol.answer(shared.clock.now()) {
            Ok(answer) => answer,
            Err(e) => {
                warn!("{shown} (udp): no answer sent: {e}");
                continue;
            }
        };
        match socket.send_to_from(&answer, peer, local).await {
            Ok(_) => {
                trace.sent(shown, &answer);
                info!(
                    "{shown} (udp) asked {}: answered {} bytes",
                    protocol.label(),
                    answer.len()
                );
            }
            Err(e) => debug!("{shown} (udp): could not answer: {}", describe_io(&e)),
        }
    }
}
