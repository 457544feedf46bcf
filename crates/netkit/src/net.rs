//! # Listening and connecting, with explained errors
//!
//! The two gestures of client/server communication:
//!
//! - a **server** opens a port and waits there permanently ([`bind_tcp`],
//!   [`bind_udp`], [`bind_tcp_and_udp`]), then says where it listens
//!   ([`announce`]); it makes sure the OS lets it hold as many connections
//!   as it promises to serve ([`make_room_for`]);
//! - a **client** initiates: it connects to the server's address and port
//!   ([`connect_tcp`], [`udp_socket_for`], [`UdpServer`] when a name has
//!   several addresses).
//!
//! Every failure comes back as a [`NetError`] that explains itself. A
//! server's bind errors name the flag that chose the port: `--port` for
//! [`bind_tcp`] and its siblings, any other with [`bind_tcp_set_by`],
//! [`bind_udp_set_by`] and [`bind_tcp_and_udp_set_by`].

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use codec::ports::PortRange;
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::error::{CONNECTING, NetError, Transport, USE_INSTEAD, describe_io, join_host_port};

/// How many not-yet-accepted connections the OS keeps waiting for us.
/// The usual default (128) is too small when a whole class connects at once.
pub const LISTEN_BACKLOG: u32 = 1024;

/// How long a client that has its whole answer (the 4 bytes of RFC 868,
/// every byte of an echo) waits for the server's close, or for bytes that
/// would show the answer is longer than it should be, before it closes
/// first. A server that closes as soon as it has answered is not waited for
/// at all; one that waits for the client to close (RFC 868 and RFC 862 both
/// allow it) costs this much, not a whole time-out.
pub const AFTER_THE_ANSWER: Duration = Duration::from_millis(200);

/// Turns a host name or address into socket addresses (a DNS lookup when needed).
pub async fn resolve(host: &str, port: u16) -> Result<Vec<SocketAddr>, NetError> {
    if let Some((name, port)) = port_in_host(host) {
        // A URL habit (`127.0.0.1:8080`): the lookup would only say "unknown host".
        // Not "--port N": each program takes the port its own way (a flag,
        // or a second argument as in `raw-client HOST PORT`).
        return Err(NetError::usage(format!(
            "{host:?} is a host and a port written together: give the host alone ({name}) \
             and the port {port} on its own"
        )));
    }
    if host.trim().is_empty() {
        return Err(NetError::usage(
            "the host is empty: give a name or an address, such as 127.0.0.1 (this machine)",
        ));
    }
    if looks_like_a_mistyped_ipv4(host) {
        // Not a name to look up: a mistyped address ("is the network up?"
        // would send the student the wrong way).
        return Err(NetError::usage(format!(
            "{host} is not an IPv4 address: it is four numbers from 0 to 255 \
             separated by dots, such as 192.168.1.25"
        )));
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match tokio::net::lookup_host((bare, port)).await {
        Ok(addrs) => {
            let addrs: Vec<SocketAddr> = addrs.collect();
            if addrs.is_empty() {
                Err(NetError::UnknownHost {
                    host: host.to_string(),
                })
            } else {
                Ok(addrs)
            }
        }
        Err(_) => Err(NetError::UnknownHost {
            host: host.to_string(),
        }),
    }
}

/// Digits and dots only, as an IPv4 address is written, yet no address: a
/// number above 255, an empty part (`1..2`), more than four parts. The
/// short forms the system accepts (`127.1` for 127.0.0.1) are left to it.
fn looks_like_a_mistyped_ipv4(host: &str) -> bool {
    if !host.contains('.') || !host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return false;
    }
    let parts: Vec<&str> = host.split('.').collect();
    parts.len() > 4
        || parts.iter().any(|part| {
            part.is_empty() || part.len() > 3 || part.parse::<u16>().map_or(true, |n| n > 255)
        })
}

/// The host and the port of `127.0.0.1:80`, `localhost:8080` or `[::1]:80`;
/// `None` for a host alone (`::1`, with its colons, is one).
fn port_in_host(host: &str) -> Option<(&str, &str)> {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (name, after) = rest.split_once(']')?;
            (name, after.strip_prefix(':')?)
        }
        None => host
            .rsplit_once(':')
            .filter(|(name, _)| !name.contains(':'))?,
    };
    let digits = !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit());
    (digits && !name.is_empty()).then_some((name, port))
}

/// Resolves the address a server was asked to listen on, refusing the
/// addresses that can be bound but never reached, or that the OS would
/// refuse with a bare "Invalid argument".
async fn listen_addr(host: &str, port: u16) -> Result<SocketAddr, NetError> {
    let addr = resolve(host, port).await?[0];
    let ip = addr.ip();
    let why = if ip.is_multicast() {
        format!(
            "{ip} is a multicast address: it names a group of machines, not this one, \
             and no TCP client can connect to it. {USE_INSTEAD}"
        )
    } else if matches!(addr, SocketAddr::V4(v4) if v4.ip().is_broadcast()) {
        format!(
            "{ip} is the broadcast address: it means every machine of the local network, \
             not this one, and no TCP client can connect to it. {USE_INSTEAD}"
        )
    } else if matches!(addr, SocketAddr::V6(v6) if v6.ip().is_unicast_link_local() && v6.scope_id() == 0)
    {
        // Every network card has its own fe80:: network: the OS must be
        // told which one, or it answers "Invalid argument".
        format!(
            "{ip} is a link-local address (fe80::…), which exists once per network card: \
             name the card after a %, e.g. {ip}%eth0 (see `ip addr` / `ipconfig` for the \
             names and addresses). Or use ::1 (this machine only), :: (every network card), \
             or 127.0.0.1."
        )
    } else {
        return Ok(addr);
    };
    Err(NetError::CannotListen {
        addr: join_host_port(host, port),
        why,
    })
}

/// Opens a TCP port (chosen with `--port`) and starts listening on it.
pub async fn bind_tcp(host: &str, port: u16) -> Result<TcpListener, NetError> {
    bind_tcp_set_by(host, port, "--port").await
}

/// Opens a TCP port and starts listening on it; errors name `flag`, the
/// command-line flag that chose the port (e.g. `--daytime-port`).
pub async fn bind_tcp_set_by(host: &str, port: u16, flag: &str) -> Result<TcpListener, NetError> {
    let addr = listen_addr(host, port).await?;
    let explain = |e| NetError::from_bind_set_by(e, host, port, Transport::Tcp, flag);
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()
    } else {
        TcpSocket::new_v6()
    }
    .map_err(explain)?;
    // Lets a restarted server take its port back at once, instead of failing
    // for a minute while the old connections sit in TIME_WAIT. It does *not*
    // let two servers listen on the same port.
    #[cfg(unix)]
    socket.set_reuseaddr(true).map_err(explain)?;
    socket.bind(addr).map_err(explain)?;
    socket.listen(LISTEN_BACKLOG).map_err(explain)
}

/// Open files a server keeps for what is not a client: its listening
/// sockets, the log, the runtime's own.
const SPARE_FILES: u64 = 64;

/// Makes sure this process may hold `clients` connections at once (the
/// server's `flag`, named in the warning).
///
/// Every connection is an open file (a socket descriptor), and many systems
/// allow a process only 1024: a server told `--max-clients 5000` would
/// otherwise stop accepting at about 1,000, with "too many open files". The
/// limit a process may raise by itself (the *soft* one) is raised as far as
/// the *hard* one allows; when even that is too low, a warning says so, with
/// the fix. Returns the limit in force afterwards.
pub fn make_room_for(clients: usize, flag: &str) -> u64 {
    // Saturating: a library caller may pass any usize, and u64::MAX simply
    // means "as many as the system allows".
    let wanted = u64::try_from(clients)
        .unwrap_or(u64::MAX)
        .saturating_add(SPARE_FILES);
    match rlimit::increase_nofile_limit(wanted) {
        Ok(limit) if limit >= wanted => limit,
        Ok(limit) => {
            warn!(
                "{flag} is {clients}, but the system lets this process open only {limit} \
                 files, and each client is one: beyond about {} clients, new ones will wait. \
                 Raise the limit before starting the server (ulimit -n {wanted}; if that is \
                 refused, the hard limit too, as root: ulimit -Hn, or LimitNOFILE= for a \
                 service) or lower {flag}.",
                limit.saturating_sub(SPARE_FILES)
            );
            limit
        }
        Err(e) => {
            warn!(
                "could not read the limit on open files ({}); each client is one",
                describe_io(&e)
            );
            0
        }
    }
}

/// Opens a UDP port (chosen with `--port`).
pub async fn bind_udp(host: &str, port: u16) -> Result<UdpSocket, NetError> {
    bind_udp_set_by(host, port, "--port").await
}

/// Opens a UDP port; errors name `flag`, the flag that chose the port.
pub async fn bind_udp_set_by(host: &str, port: u16, flag: &str) -> Result<UdpSocket, NetError> {
    let addr = listen_addr(host, port).await?;
    UdpSocket::bind(addr)
        .await
        .map_err(|e| NetError::from_bind_set_by(e, host, port, Transport::Udp, flag))
}

/// Opens the same port number on TCP *and* UDP.
///
/// A port number belongs to a transport: TCP port 10007 and UDP port 10007 are
/// two different doors, which is why a server can hold both. With port 0 the
/// OS picks a free TCP port; we then ask for the same number on UDP, and try
/// again with a new number in the rare case it is taken there.
pub async fn bind_tcp_and_udp(host: &str, port: u16) -> Result<(TcpListener, UdpSocket), NetError> {
    bind_tcp_and_udp_set_by(host, port, "--port").await
}

/// [`bind_tcp_and_udp`] for a port chosen with `flag` (e.g.
/// `--daytime-port`): its errors name that flag.
pub async fn bind_tcp_and_udp_set_by(
    host: &str,
    port: u16,
    flag: &str,
) -> Result<(TcpListener, UdpSocket), NetError> {
    const ATTEMPTS: usize = 20;
    let mut attempt = 0;
    loop {
        attempt += 1;
        let tcp = bind_tcp_set_by(host, port, flag).await?;
        let chosen = local_addr(&tcp)?.port();
        match bind_udp_set_by(host, chosen, flag).await {
            Ok(udp) => return Ok((tcp, udp)),
            Err(NetError::AddrInUse { .. }) if port == 0 && attempt < ATTEMPTS => continue,
            Err(e) => return Err(e),
        }
    }
}

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

/// Probes sent, `KEEPALIVE_INTERVAL` apart, before a silent peer is given up.
const KEEPALIVE_PROBES: u32 = 3;
/// Time between two keepalive probes.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);

/// Makes the OS notice a peer whose machine has gone from the network
/// (cable pulled, Wi-Fi lost, laptop closed), which says nothing: on a quiet
/// connection, it would otherwise look open for ever. After `idle` without
/// traffic, the OS sends *keepalive* probes (empty segments that a live
/// peer acknowledges, even one that is not reading): after 3 unanswered,
/// 10 s apart, the connection fails and the next read says so.
///
/// (A busy connection to a vanished peer is another matter: what is sent
/// stays unacknowledged, and the server's own write time-out ends it once
/// the socket's buffer is full. `TCP_USER_TIMEOUT` would end it sooner,
/// but Linux also applies it to a live peer that only paused reading, which
/// chat/1 promises not to cut off. A client can use it: see
/// [`watch_server`].)
///
/// `idle` is whole seconds from 1 to 32,767 (what the systems accept); a
/// system that refuses the option gets a warning, and its own default.
pub fn watch_peer(stream: &TcpStream, idle: Duration) {
    let socket = socket2::SockRef::from(stream);
    let keepalive = socket2::TcpKeepalive::new()
        .with_time(idle)
        .with_interval(KEEPALIVE_INTERVAL);
    // The number of probes too, on every system: left to itself, Windows
    // sends 10, and gives up after 100 s instead of 30. A system that
    // refuses only that number (a Windows 10 older than version 1703) keeps
    // its own, rather than losing keepalive altogether.
    let set = socket
        .set_tcp_keepalive(&keepalive.clone().with_retries(KEEPALIVE_PROBES))
        .or_else(|_| socket.set_tcp_keepalive(&keepalive));
    if let Err(e) = set {
        warn!(
            "TCP keepalive not set ({}): if the other machine leaves the network, \
             this connection may stay open",
            describe_io(&e)
        );
    }
}

/// How long after the last sign of life [`watch_peer`]'s keepalive gives up
/// on a silent peer: `idle`, then the probes, 10 s apart. (With an `idle`
/// below 10 s, up to 10 s more: once a first probe has gone, Linux probes
/// even a live connection only once an interval, 10 s.)
pub fn keepalive_gives_up_after(idle: Duration) -> Duration {
    // `watch_peer` sets the number of probes on Linux, macOS and Windows
    // alike; the figure is used on Linux (see `watch_server`).
    idle + KEEPALIVE_PROBES * KEEPALIVE_INTERVAL
}

/// [`watch_peer`] for a **client**, and a bound on a busy connection too.
///
/// Keepalive only probes a quiet connection. When the user has just sent
/// something and the server's machine has gone, the data stays
/// unacknowledged, and the OS resends it for about 15 minutes (Linux's
/// `tcp_retries2`) before it gives up: all that time the program looks
/// alive. On Linux, `TCP_USER_TIMEOUT` bounds it: the connection fails once
/// data has waited that long for its acknowledgement. It is set to
/// [`keepalive_gives_up_after`]`(idle)`, so that an idle and a busy
/// connection to a vanished server fail after the same time (Linux also
/// lets it decide when keepalive gives up: set to that same time, it
/// changes nothing there).
///
/// Only for a peer that never stops reading for that long while it is alive.
/// Linux applies the limit to a peer whose receive window stays closed
/// (zero-window probing), even though that peer acknowledges every probe.
/// A server that stops reading a client for a while (it does not read
/// further until the client reads its answers: backpressure) would cut the
/// client; that is why servers do not use this, only [`watch_peer`].
///
/// Elsewhere (macOS, Windows) only keepalive is set; the system's own
/// retransmission limit ends a busy connection.
pub fn watch_server(stream: &TcpStream, idle: Duration) {
    watch_peer(stream, idle);
    #[cfg(any(target_os = "android", target_os = "fuchsia", target_os = "linux"))]
    if let Err(e) =
        socket2::SockRef::from(stream).set_tcp_user_timeout(Some(keepalive_gives_up_after(idle)))
    {
        warn!(
            "TCP_USER_TIMEOUT not set ({}): if the server's machine leaves the network \
             while data is on its way, this may take about 15 minutes to notice",
            describe_io(&e)
        );
    }
}

/// A `--keepalive` value: whole seconds from 1 to 32,767, the range every
/// system accepts for the keepalive time.
pub fn parse_keepalive(text: &str) -> Result<Duration, String> {
    crate::args::number_in::<u64>(text, 1, 32_767).map(Duration::from_secs)
}

/// `addr` with an IPv4-mapped IPv6 address (`[::ffff:10.0.0.2]:5000`, how a
/// dual-stack socket sees an IPv4 peer) written as the IPv4 address it is.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

/// The address a listener really got (the real port when `--port 0` was asked).
pub fn local_addr(listener: &TcpListener) -> Result<SocketAddr, NetError> {
    listener
        .local_addr()
        .map_err(|e| NetError::io("reading the listening address", e))
}

/// Logs the line every server prints first, which tests and students read:
///
/// `listening on 127.0.0.1:10007 (tcp+udp) — registered port (1024–49151) — echo (RFC 862)`
///
/// When the server listens on every network card (0.0.0.0 or ::), a second
/// line says that other machines can now connect.
pub fn announce(addr: SocketAddr, transports: &str, service: &str) {
    // Its own target, logged even with -q (see `logging::directives`): with
    // `--port 0` this line is the only place the port can be read.
    info!(
        target: crate::logging::LISTENING,
        "listening on {addr} ({transports}) — {} — {service}",
        PortRange::of(addr.port())
    );
    if addr.ip().is_unspecified() {
        // "tcp+udp" → "TCP and UDP": a firewall rule is per transport.
        let transports = transports.to_uppercase().replace('+', " and ");
        info!(
            "{} means every network card: other machines can connect to this server \
             using this machine's IP address (see `ip addr` or `ipconfig`); \
             the firewall must allow {transports} port {}",
            addr.ip(),
            addr.port()
        );
    }
}

/// Connects to a TCP server, trying each address the host name resolves to,
/// and gives up after `timeout`.
pub async fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, NetError> {
    let target = join_host_port(host.trim_start_matches('[').trim_end_matches(']'), port);
    let deadline = Instant::now() + timeout;
    match tokio::time::timeout_at(deadline, resolve(host, port)).await {
        Ok(addrs) => connect_any(&addrs?, &target, deadline, timeout).await,
        Err(_) => Err(timed_out(&target, timeout)),
    }
}

/// Connects to the first of `addrs` that accepts, before `deadline` (at
/// `timeout` after the start, for the message).
async fn connect_any(
    addrs: &[SocketAddr],
    target: &str,
    deadline: Instant,
    timeout: Duration,
) -> Result<TcpStream, NetError> {
    let mut last_error = None;
    for (i, addr) in addrs.iter().enumerate() {
        // Each address left gets an equal share of the time left: a first
        // address that never answers (IPv6 broken somewhere on the way, say)
        // must not use up the time of the others.
        let left = deadline.saturating_duration_since(Instant::now());
        let share = left / u32::try_from(addrs.len() - i).unwrap_or(u32::MAX);
        match tokio::time::timeout(share, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                // Our protocols exchange small messages: send each at
                // once instead of waiting to fill a packet (Nagle).
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) => last_error = Some(NetError::from_connect(e, target)),
            Err(_) => last_error = Some(timed_out(target, timeout)),
        }
    }
    Err(last_error.unwrap_or_else(|| timed_out(target, timeout)))
}

fn timed_out(target: &str, after: Duration) -> NetError {
    NetError::TimedOut {
        what: format!("{CONNECTING}{target}"),
        after,
    }
}

/// A UDP socket on an OS-chosen port, "connected" to `host:port` so that it
/// only receives datagrams from that server. UDP has no real connection: this
/// only records the default destination and filters what is received.
///
/// It is aimed at the first address `host` resolves to; [`UdpServer`] can
/// move on to the others.
pub async fn udp_socket_for(host: &str, port: u16) -> Result<UdpSocket, NetError> {
    Ok(UdpServer::open(host, port).await?.socket)
}

/// A server reached over UDP, and the other addresses its name gave.
///
/// A name may resolve to several addresses: `localhost` is often `::1` and
/// `127.0.0.1`, IPv6 first, while a server listens on one of them only
/// (netlab's on 127.0.0.1 by default). Over TCP, [`connect_tcp`] tries each
/// in turn. UDP has no connection to try: only a datagram tells, when the
/// machine at that address answers it with an ICMP "port unreachable"
/// (nothing listens there), which the next receive reports as "connection
/// refused". A client that gets that before any answer calls
/// [`next_address`](UdpServer::next_address) and sends again.
#[derive(Debug)]
pub struct UdpServer {
    socket: UdpSocket,
    addr: SocketAddr,
    /// The addresses not tried yet, the next one last.
    untried: Vec<SocketAddr>,
}

impl UdpServer {
    /// Resolves `host` and aims a new socket at its first address.
    pub async fn open(host: &str, port: u16) -> Result<UdpServer, NetError> {
        UdpServer::aimed_at(resolve(host, port).await?).await
    }

    /// Aims a new socket at the first of `addrs` that this machine can send
    /// to, keeping the others for [`next_address`](UdpServer::next_address).
    /// An address that cannot even be aimed at (IPv6 switched off, while the
    /// name also has an IPv6 address) is skipped, as [`connect_tcp`] skips
    /// one that does not connect; the error of the last one tried is
    /// returned when none can be used.
    pub async fn aimed_at(mut addrs: Vec<SocketAddr>) -> Result<UdpServer, NetError> {
        addrs.reverse();
        let mut last_error = NetError::usage("no address to send datagrams to");
        while let Some(addr) = addrs.pop() {
            match udp_socket_to(addr).await {
                Ok(socket) => {
                    return Ok(UdpServer {
                        socket,
                        addr,
                        untried: addrs,
                    });
                }
                Err(e) => {
                    debug!("cannot send datagrams to {addr}: {e}");
                    last_error = e;
                }
            }
        }
        Err(last_error)
    }

    /// The socket, aimed at [`addr`](UdpServer::addr).
    pub fn socket(&self) -> &UdpSocket {
        &self.socket
    }

    /// The address datagrams go to now.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The addresses of the same name not tried yet, in the order they
    /// would be.
    pub fn untried(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.untried.iter().rev().copied()
    }

    /// After `failure` at [`addr`](UdpServer::addr), before any answer
    /// came: a refusal ([`is_udp_refusal`]: nothing listens there), or a
    /// datagram that could not even be sent. Aims a new socket at the next
    /// usable address, and returns it; `None` when every address has been
    /// tried.
    pub async fn next_address(
        &mut self,
        failure: &std::io::Error,
    ) -> Result<Option<SocketAddr>, NetError> {
        let why = if is_udp_refusal(failure) {
            "nothing listens there over UDP".to_string()
        } else {
            format!("cannot send to it ({})", describe_io(failure))
        };
        // A new socket: the next address may be of the other family.
        while let Some(next) = self.untried.pop() {
            match udp_socket_to(next).await {
                Ok(socket) => {
                    info!(
                        "{}: {why}; trying {next}, the next address of the same name",
                        self.addr
                    );
                    self.socket = socket;
                    self.addr = next;
                    return Ok(Some(next));
                }
                Err(e) => debug!("cannot send datagrams to {next}: {e}"),
            }
        }
        Ok(None)
    }
}

/// Whether a receive failed because the server's machine said nothing
/// listens on that UDP port (an ICMP "port unreachable" for a datagram we
/// sent). Linux and macOS call it "connection refused", Windows
/// "connection reset".
pub fn is_udp_refusal(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::ConnectionRefused
        || (cfg!(windows) && e.kind() == std::io::ErrorKind::ConnectionReset)
}

/// A UDP socket on an OS-chosen port, of `server`'s family, "connected" to it.
async fn udp_socket_to(server: SocketAddr) -> Result<UdpSocket, NetError> {
    let local: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    }
    .parse()
    .expect("valid literal address");
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| NetError::io("opening a UDP socket", e))?;
    socket
        .connect(server)
        .await
        .map_err(|e| NetError::from_connect(e, &server.to_string()))?;
    Ok(socket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn port_zero_gets_a_real_port_on_both_transports() {
        let (tcp, udp) = bind_tcp_and_udp("127.0.0.1", 0).await.unwrap();
        let port = tcp.local_addr().unwrap().port();
        assert_ne!(port, 0);
        assert_eq!(udp.local_addr().unwrap().port(), port);
    }

    /// A name with two addresses, nothing listening at the first (as
    /// `localhost` = ::1 then 127.0.0.1, with a server on 127.0.0.1): the
    /// first datagram is refused, the next address answers.
    #[tokio::test]
    async fn a_refused_address_gives_way_to_the_next() {
        let nobody = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let refusing = nobody.local_addr().unwrap();
        drop(nobody);
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let listening = server.local_addr().unwrap();
        let mut target = UdpServer::aimed_at(vec![refusing, listening])
            .await
            .unwrap();
        assert_eq!(target.addr(), refusing);
        target.socket().send(b"hi").await.unwrap();
        let mut buf = [0u8; 16];
        let refused = tokio::time::timeout(Duration::from_secs(5), target.socket().recv(&mut buf))
            .await
            .expect("the refusal comes at once on loopback")
            .unwrap_err();
        assert!(is_udp_refusal(&refused), "{refused:?}");
        assert_eq!(
            target.next_address(&refused).await.unwrap(),
            Some(listening)
        );
        target.socket().send(b"hi").await.unwrap();
        let (n, from) = server.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"hi");
        server.send_to(b"yes", from).await.unwrap();
        let n = target.socket().recv(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"yes");
        assert_eq!(
            target.next_address(&refused).await.unwrap(),
            None,
            "no third address"
        );
    }

    /// An address this machine cannot send to (a link-local IPv6 address
    /// with no network card named; with IPv6 switched off, any IPv6
    /// address) is skipped for the next one, as TCP skips one that does not
    /// connect.
    #[tokio::test]
    async fn an_address_that_cannot_be_aimed_at_is_skipped() {
        let server = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let listening = server.local_addr().unwrap();
        let unusable: SocketAddr = format!("[fe80::1]:{}", listening.port()).parse().unwrap();
        let target = UdpServer::aimed_at(vec![unusable, listening])
            .await
            .unwrap();
        assert_eq!(target.addr(), listening);
        let only_unusable = UdpServer::aimed_at(vec![unusable]).await;
        assert!(only_unusable.is_err(), "{only_unusable:?}");
    }

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

    /// The options `watch_peer` asks for are the ones the socket then has.
    #[tokio::test]
    async fn a_watched_peer_has_keepalive() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (server, _) = listener.accept().await.unwrap();
        watch_peer(&server, Duration::from_secs(42));
        let socket = socket2::SockRef::from(&server);
        assert!(socket.keepalive().unwrap());
        #[cfg(target_os = "linux")]
        {
            assert_eq!(
                socket.tcp_keepalive_time().unwrap(),
                Duration::from_secs(42)
            );
            assert_eq!(socket.tcp_keepalive_interval().unwrap(), KEEPALIVE_INTERVAL);
            // No limit on unacknowledged data: a paused reader stays.
            assert_eq!(socket.tcp_user_timeout().unwrap(), None);
        }
        // The same number of probes everywhere, Windows included (its own
        // would be 10: a vanished peer noticed 70 s later than documented).
        #[cfg(any(target_os = "linux", target_os = "macos", windows))]
        assert_eq!(socket.tcp_keepalive_retries().unwrap(), KEEPALIVE_PROBES);
        for bad in ["0", "0.5", "32768", "-1"] {
            assert!(parse_keepalive(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_keepalive("30"), Ok(Duration::from_secs(30)));
        drop(client);
    }

    /// A client's socket gets keepalive, and on Linux a limit on
    /// unacknowledged data that ends a busy connection when keepalive would
    /// end an idle one.
    #[tokio::test]
    async fn a_watched_server_has_keepalive_and_a_user_timeout() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        watch_server(&client, Duration::from_secs(7));
        let socket = socket2::SockRef::from(&client);
        assert!(socket.keepalive().unwrap());
        assert_eq!(
            keepalive_gives_up_after(Duration::from_secs(7)),
            Duration::from_secs(37)
        );
        #[cfg(target_os = "linux")]
        {
            assert_eq!(socket.tcp_keepalive_time().unwrap(), Duration::from_secs(7));
            assert_eq!(
                socket.tcp_user_timeout().unwrap(),
                Some(Duration::from_secs(37))
            );
        }
        #[cfg(any(target_os = "linux", target_os = "macos", windows))]
        assert_eq!(socket.tcp_keepalive_retries().unwrap(), KEEPALIVE_PROBES);
        drop(listener);
    }

    #[test]
    fn an_ipv4_client_of_a_dual_stack_server_is_shown_as_ipv4() {
        let mapped: SocketAddr = "[::ffff:10.0.0.2]:5000".parse().unwrap();
        assert_eq!(canonical(mapped), "10.0.0.2:5000".parse().unwrap());
        let v6: SocketAddr = "[fd00::2]:5000".parse().unwrap();
        assert_eq!(canonical(v6), v6);
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

    #[tokio::test]
    async fn a_taken_port_is_explained() {
        let first = bind_tcp("127.0.0.1", 0).await.unwrap();
        let port = first.local_addr().unwrap().port();
        let err = bind_tcp("127.0.0.1", port).await.unwrap_err();
        assert!(matches!(err, NetError::AddrInUse { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn connecting_to_a_closed_port_is_refused() {
        // Take a free port, then close it: nobody listens there any more.
        let port = bind_tcp("127.0.0.1", 0)
            .await
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let err = connect_tcp("127.0.0.1", port, Duration::from_secs(2))
            .await
            .unwrap_err();
        assert!(matches!(err, NetError::ConnectionRefused { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn an_empty_host_or_a_mistyped_address_is_a_usage_mistake() {
        for host in [
            "",
            " ",
            "192.168.1.256",
            "1..2.3",
            "1.2.3.4.5",
            "10.0.0.1000",
        ] {
            let err = resolve(host, 80).await.unwrap_err();
            assert!(matches!(err, NetError::Usage { .. }), "{host:?}: {err:?}");
        }
        let text = resolve("192.168.1.256", 80).await.unwrap_err().to_string();
        assert!(text.contains("from 0 to 255"), "{text}");
        assert!(resolve("127.0.0.1", 80).await.is_ok());
        // A short form the system knows (127.0.0.1), not a mistake.
        assert!(resolve("127.1", 80).await.is_ok());
    }

    #[tokio::test]
    async fn an_unknown_host_is_explained() {
        let err = resolve("no-such-host.invalid", 80).await.unwrap_err();
        assert!(matches!(err, NetError::UnknownHost { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn an_address_of_another_machine_cannot_be_bound() {
        // 192.0.2.1 is reserved for documentation: never a local address.
        let err = bind_tcp("192.0.2.1", 0).await.unwrap_err();
        assert!(matches!(err, NetError::AddrNotAvailable { .. }), "{err:?}");
    }

    #[test]
    fn a_huge_number_of_clients_does_not_overflow() {
        // Raises this test process's soft limit as far as the hard one allows.
        assert!(make_room_for(usize::MAX, "--max-clients") > 0);
    }

    #[tokio::test]
    async fn multicast_and_broadcast_addresses_are_refused_for_listening() {
        for host in ["224.0.0.1", "239.1.2.3", "255.255.255.255", "ff02::1"] {
            let err = bind_tcp(host, 0).await.unwrap_err();
            let text = err.to_string();
            assert!(
                matches!(err, NetError::CannotListen { .. }),
                "{host}: {err:?}"
            );
            assert!(text.contains("no TCP client can connect"), "{text}");
            assert!(text.contains("127.0.0.1"), "{text}");
            let err = bind_udp(host, 0).await.unwrap_err();
            assert!(
                matches!(err, NetError::CannotListen { .. }),
                "{host}: {err:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_link_local_address_needs_its_network_card() {
        let err = bind_tcp("fe80::1", 0).await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains("fe80::1%eth0"), "{text}");
        assert!(!text.contains("os error"), "{text}");
        let err = bind_udp("fe80::1", 0).await.unwrap_err();
        assert!(err.to_string().contains("link-local"), "{err}");
    }

    #[tokio::test]
    async fn bind_errors_name_the_flag_given() {
        let first = bind_tcp("127.0.0.1", 0).await.unwrap();
        let port = first.local_addr().unwrap().port();
        let err = bind_tcp_and_udp_set_by("127.0.0.1", port, "--daytime-port")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("with --daytime-port."), "{err}");
    }

    /// A name that resolves to an address that never answers, then to one
    /// that does (broken IPv6 before working IPv4): the second still gets
    /// its turn before the time-out.
    #[tokio::test]
    async fn an_address_that_never_answers_leaves_time_for_the_next() {
        // A listener that never accepts, its one-place queue filled: Linux
        // then drops further SYNs, so connecting to it hangs, as to a
        // machine that is not there.
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let silent = socket.listen(1).unwrap();
        let silent_port = silent.local_addr().unwrap().port();
        let mut queued = Vec::new();
        for _ in 0..8 {
            let attempt = TcpStream::connect(("127.0.0.1", silent_port));
            match tokio::time::timeout(Duration::from_millis(300), attempt).await {
                Ok(Ok(stream)) => queued.push(stream),
                _ => break,
            }
        }
        let hangs = tokio::time::timeout(
            Duration::from_millis(300),
            TcpStream::connect(("127.0.0.1", silent_port)),
        )
        .await
        .is_err();
        if !hangs {
            eprintln!("this system does not drop SYNs to a full queue: nothing to test");
            return;
        }
        let working = bind_tcp("::1", 0).await.unwrap();
        let port = working.local_addr().unwrap().port();
        // The silent IPv4 listener stands for the broken first address; the
        // host name "localhost" is not used, its order varies between systems.
        let addrs = [
            SocketAddr::from(([127, 0, 0, 1], silent_port)),
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, port)),
        ];
        let started = tokio::time::Instant::now();
        let limit = Duration::from_secs(4);
        let stream = connect_any(&addrs, "test", Instant::now() + limit, limit).await;
        assert!(stream.is_ok(), "{:?}", stream.err());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        drop(queued);
    }

    #[tokio::test]
    async fn a_port_written_into_the_host_is_explained() {
        for (host, name) in [
            ("127.0.0.1:80", "127.0.0.1"),
            ("localhost:8080", "localhost"),
            ("[::1]:80", "::1"),
        ] {
            let err = connect_tcp(host, 10007, Duration::from_secs(2))
                .await
                .unwrap_err();
            assert!(matches!(err, NetError::Usage { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains(&format!("host alone ({name})")), "{text}");
            assert!(bind_tcp(host, 0).await.is_err());
        }
        for host in ["::1", "[::1]", "fe80::1", "127.0.0.1", "a:b"] {
            assert_eq!(port_in_host(host), None, "{host}");
        }
    }

    #[tokio::test]
    async fn ipv6_loopback_works_with_and_without_brackets() {
        let listener = bind_tcp("::1", 0).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        connect_tcp("[::1]", port, Duration::from_secs(2))
            .await
            .unwrap();
    }
}
