//! # Network errors, explained
//!
//! The operating system reports network problems with terse codes:
//! `Address already in use (os error 98)`, `Connection refused (os error 111)`.
//! Each of them means something precise about client/server communication,
//! and a student should read *that* instead of the code. [`NetError`] turns the
//! common cases into a sentence that says what happened and how to fix it.
//!
//! The same code can mean two things: on a TCP socket, `Connection refused`
//! is a refused connection; on a UDP socket, which has none, it is the ICMP
//! "port unreachable" a datagram drew ([`NetError::udp_io`] says so).
//!
//! Servers and clients return `NetError` from their fallible set-up steps
//! (bind, connect); [`crate::run()`] prints it as `error: …` and exits with
//! code 1 (2 for a usage mistake; 130, with no line, for Ctrl-C).

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use codec::echo::MAX_UDP_PAYLOAD;

/// A transport protocol: a port number belongs to one of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TCP: a connection, a reliable stream of bytes.
    Tcp,
    /// UDP: independent datagrams, no connection, no guarantee of delivery.
    Udp,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "TCP",
            Transport::Udp => "UDP",
        })
    }
}

/// A network error with its explanation.
///
/// `Display` prints a plain-words sentence with the likely fix; the original
/// OS error, when there is one, is kept as the [`std::error::Error::source`].
#[derive(Debug)]
pub enum NetError {
    /// Binding failed: another socket already has this address and port.
    AddrInUse {
        /// `host:port` we tried to listen on.
        addr: String,
        /// The transport of the socket.
        transport: Transport,
        /// The command-line flag that chose this port (`--port`,
        /// `--daytime-port`…): the fix names it.
        flag: String,
    },
    /// Binding failed: ports below 1024 need administrator rights.
    PrivilegedPort {
        /// The port we tried to listen on.
        port: u16,
        /// The transport of the socket.
        transport: Transport,
        /// The command-line flag that chose this port: the fix names it.
        flag: String,
    },
    /// This address cannot be listened on, for a reason given in plain words
    /// (a multicast or broadcast address, an IPv6 link-local address without
    /// its network card…). Refused before binding, or after the OS refused.
    CannotListen {
        /// The `host:port` or host we were asked to listen on.
        addr: String,
        /// Why, and what to use instead.
        why: String,
    },
    /// Binding failed: the address is not one of this machine's.
    AddrNotAvailable {
        /// The host we tried to listen on.
        host: String,
    },
    /// A host name could not be turned into an IP address.
    UnknownHost {
        /// The name that did not resolve.
        host: String,
    },
    /// Nobody listens on that port of that machine.
    ConnectionRefused {
        /// `host:port` we tried to reach.
        addr: String,
    },
    /// A UDP datagram was answered with an ICMP "port unreachable": the
    /// machine is there, but no program listens on that UDP port. Not a
    /// refused connection: UDP has no connection to refuse, and this answer
    /// is the only sign of a missing server a UDP client can get (a firewall
    /// or a lost datagram gives none: then only the time-out tells).
    NothingListensUdp {
        /// `host:port` the datagram was sent to.
        addr: String,
    },
    /// No route to the machine (network down, wrong address, firewall).
    Unreachable {
        /// `host:port` we tried to reach.
        addr: String,
    },
    /// An established connection the system gave up: the other machine
    /// stopped acknowledging what was sent to it, or its checks that the
    /// machine is still there (TCP keepalive). Its machine left the network,
    /// was switched off, or a firewall started dropping the packets: nothing
    /// says so, only the silence.
    NoLongerAnswers {
        /// `host:port` of the other side.
        addr: String,
    },
    /// Something took longer than the time-out allows.
    TimedOut {
        /// What we were waiting for, e.g. "connecting to 127.0.0.1:10007".
        what: String,
        /// How long we waited.
        after: Duration,
    },
    /// The server accepted the connection, then closed it (or reset it)
    /// without sending a single byte: what a full server does to one client
    /// too many.
    ClosedWithoutAnswer {
        /// `host:port` of the server.
        addr: String,
        /// The protocol we expected it to speak, e.g. "echo (RFC 862)".
        service: String,
    },
    /// The command line asks for something that cannot be done, found after
    /// the flags were parsed (clap catches the simple mistakes itself). Like
    /// clap's own errors, it ends the program with exit code 2.
    Usage {
        /// What is wrong, and how to write it instead.
        message: String,
    },
    /// The peer answered, but not in the protocol we expected.
    Protocol {
        /// What was wrong, in plain words.
        message: String,
    },
    /// The user pressed Ctrl-C while there was nothing to finish politely
    /// (a client still waiting for the server's first words, say). Ends the
    /// program with exit code 130, what the shell shows for a program that
    /// Ctrl-C stopped (128 + SIGINT's number, 2), and no error line: the
    /// user knows why it stopped.
    Interrupted,
    /// Any other I/O error, with what we were doing when it happened.
    Io {
        /// What we were doing, e.g. "reading from 127.0.0.1:10007".
        context: String,
        /// The original error.
        source: io::Error,
    },
}

impl NetError {
    /// Explains an error from `bind()` on `host:port`, a port chosen with
    /// `--port`.
    pub fn from_bind(err: io::Error, host: &str, port: u16, transport: Transport) -> NetError {
        NetError::from_bind_set_by(err, host, port, transport, "--port")
    }

    /// Explains an error from `bind()` on `host:port`, a port chosen with
    /// the command-line flag `flag` (e.g. `--daytime-port`): the suggested
    /// fix names that flag.
    pub fn from_bind_set_by(
        err: io::Error,
        host: &str,
        port: u16,
        transport: Transport,
        flag: &str,
    ) -> NetError {
        let addr = join_host_port(host, port);
        let flag = flag.to_string();
        match err.kind() {
            io::ErrorKind::AddrInUse => NetError::AddrInUse {
                addr,
                transport,
                flag,
            },
            // Only ports below 1024 are privileged; elsewhere a refusal
            // comes from a security policy, and "use a port above 1023"
            // would be wrong advice.
            io::ErrorKind::PermissionDenied if (1..1024).contains(&port) => {
                NetError::PrivilegedPort {
                    port,
                    transport,
                    flag,
                }
            }
            io::ErrorKind::PermissionDenied => NetError::CannotListen {
                addr,
                why: format!(
                    "the system does not allow this program to open {transport} port {port} \
                     (a firewall or a security policy forbids it). Choose another port with {flag}."
                ),
            },
            io::ErrorKind::AddrNotAvailable => NetError::AddrNotAvailable {
                host: host.to_string(),
            },
            io::ErrorKind::InvalidInput => NetError::CannotListen {
                addr,
                why: format!("the system refuses this address for listening. {USE_INSTEAD}"),
            },
            _ => NetError::Io {
                context: format!("opening {transport} port {addr}"),
                source: err,
            },
        }
    }

    /// Explains an error from `connect()` to `addr` (`host:port`).
    pub fn from_connect(err: io::Error, addr: &str) -> NetError {
        let addr = addr.to_string();
        match err.kind() {
            io::ErrorKind::ConnectionRefused => NetError::ConnectionRefused { addr },
            io::ErrorKind::TimedOut => NetError::TimedOut {
                what: format!("{CONNECTING}{addr}"),
                after: Duration::ZERO,
            },
            io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                NetError::Unreachable { addr }
            }
            // Every network card has its own fe80:: network: without the
            // card's name the system can only answer "Invalid argument".
            io::ErrorKind::InvalidInput
                if matches!(addr.parse(), Ok(SocketAddr::V6(v6))
                    if v6.ip().is_unicast_link_local() && v6.scope_id() == 0) =>
            {
                NetError::usage(format!(
                    "{addr} is a link-local address (fe80::…), which exists once per network \
                     card: name the card after a %, e.g. fe80::1%eth0 (see `ip addr` / \
                     `ipconfig`), or use the machine's other address"
                ))
            }
            // A broadcast address is the user's choice: a usage mistake.
            io::ErrorKind::PermissionDenied if matches!(addr.parse(), Ok(SocketAddr::V4(v4)) if v4.ip().is_broadcast()) => {
                NetError::usage(format!(
                    "{addr} is the broadcast address: it means every machine of the network, \
                     and sending there needs a permission this program does not ask for. \
                     Use the address of one machine"
                ))
            }
            io::ErrorKind::PermissionDenied => NetError::Io {
                context: format!(
                    "connecting to {addr} (a firewall or a security policy forbids it)"
                ),
                source: err,
            },
            _ => NetError::Io {
                context: format!("connecting to {addr}"),
                source: err,
            },
        }
    }

    /// Wraps an I/O error that happened while doing `context` (which ends
    /// with the other side's `host:port`, e.g. "reading from 10.0.0.1:10194").
    pub fn io(context: impl Into<String>, source: io::Error) -> NetError {
        // A firewall that rejects a UDP exchange ("host prohibited") shows
        // up on the *next* receive, not on connect (a "port unreachable" is
        // `udp_io`'s). On an established TCP connection, the system reports
        // a peer that went silent (ETIMEDOUT) or out of reach (EHOSTUNREACH)
        // the same way: on the next read or write. Only the system's own ETIMEDOUT
        // (it has an OS code) means that: a time-out a program raises
        // itself (a tokio `timeout` turned into an `io::Error` has neither
        // code nor message) says nothing about the other machine.
        let kind = source.kind();
        if matches!(
            kind,
            io::ErrorKind::ConnectionRefused
                | io::ErrorKind::HostUnreachable
                | io::ErrorKind::NetworkUnreachable
        ) || (kind == io::ErrorKind::TimedOut && source.raw_os_error().is_some())
        {
            let addr = peer_in(&context.into());
            return match kind {
                io::ErrorKind::ConnectionRefused => NetError::ConnectionRefused { addr },
                io::ErrorKind::TimedOut => NetError::NoLongerAnswers { addr },
                _ => NetError::Unreachable { addr },
            };
        }
        NetError::Io {
            context: context.into(),
            source,
        }
    }

    /// [`NetError::io`] for a UDP socket: a datagram answered with an ICMP
    /// "port unreachable" comes back as a failed receive (or send), which
    /// the system calls "connection refused" (Windows: "connection reset").
    /// UDP has no connection: this is [`NetError::NothingListensUdp`].
    /// `context` ends with the server's `host:port`, as for [`NetError::io`].
    pub fn udp_io(context: impl Into<String>, source: io::Error) -> NetError {
        let context = context.into();
        if crate::net::is_udp_refusal(&source) {
            return NetError::NothingListensUdp {
                addr: peer_in(&context),
            };
        }
        NetError::io(context, source)
    }

    /// Writing our standard output (the screen, or a pipe) failed.
    pub fn output(source: io::Error) -> NetError {
        NetError::Io {
            context: WRITING_OUTPUT.into(),
            source,
        }
    }

    /// The program reading our output has stopped (`client | head -1`): it
    /// has all it wanted. Not a failure: [`crate::run()`] ends quietly, as
    /// `yes | head -1` does.
    pub fn is_closed_output(&self) -> bool {
        matches!(self, NetError::Io { context, source }
            if context == WRITING_OUTPUT && source.kind() == io::ErrorKind::BrokenPipe)
    }

    /// A command line that cannot be carried out (exit code 2).
    pub fn usage(message: impl Into<String>) -> NetError {
        NetError::Usage {
            message: message.into(),
        }
    }

    /// A peer that does not speak the expected protocol.
    pub fn protocol(message: impl Into<String>) -> NetError {
        NetError::Protocol {
            message: message.into(),
        }
    }
}

/// Who the other side is, from what we were doing: `10.0.0.1:10194` in
/// "reading from 10.0.0.1:10194", `the server` in "sending to the server";
/// `the other side` when the context does not say.
fn peer_in(context: &str) -> String {
    [" from ", " to "]
        .iter()
        .filter_map(|word| context.rfind(word).map(|at| &context[at + word.len()..]))
        .min_by_key(|peer| peer.len())
        .unwrap_or("the other side")
        .to_string()
}

/// The context of [`NetError::output`]'s errors.
pub const WRITING_OUTPUT: &str = "writing standard output";

/// The addresses a server can listen on, for explanations that must
/// suggest another one.
pub const USE_INSTEAD: &str = "Use 127.0.0.1 (this machine only), 0.0.0.0 (every network card), \
     or one of the addresses shown by `ip addr` / `ipconfig`.";

/// `10.0.0.1:7` → (`10.0.0.1`, `7`), `[::1]:7` → (`::1`, `7`): the two
/// halves of an address as messages show it. Without a port, the whole
/// text is the host and the port is `?`.
pub fn split_host_port(addr: &str) -> (&str, &str) {
    match addr.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
            (host.trim_start_matches('[').trim_end_matches(']'), port)
        }
        _ => (addr, "?"),
    }
}

/// `host:port`, with IPv6 addresses in brackets: `[::1]:10007`.
pub fn join_host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::AddrInUse {
                addr,
                transport,
                flag,
            } => write!(
                f,
                "cannot listen on {addr} ({transport}): another program already listens on that port. \
                 One port, one service: stop the other program (an older copy of this server?) \
                 or choose another port with {flag}."
            ),
            NetError::PrivilegedPort {
                port,
                transport,
                flag,
            } => {
                write!(
                    f,
                    "cannot listen on {transport} port {port}: ports below 1024 are well-known ports, \
                     reserved to the administrator. Run as administrator (sudo) or, better, \
                     use a port above 1023"
                )?;
                // netlab's habit: the well-known port + 10000 (7 → 10007);
                // 8080 for the web.
                if *port < 1024 {
                    let instead = codec::ports::unprivileged_alternative(*port);
                    write!(f, ", e.g. {flag} {instead}.")
                } else {
                    write!(f, " with {flag}.")
                }
            }
            NetError::CannotListen { addr, why } => write!(f, "cannot listen on {addr}: {why}"),
            NetError::AddrNotAvailable { host } => write!(
                f,
                "cannot listen on {host}: this address does not belong to this machine. {USE_INSTEAD}"
            ),
            NetError::UnknownHost { host } => write!(
                f,
                "unknown host {host:?}: the name could not be turned into an IP address. \
                 Check the spelling; if the name is right, the name server (DNS) may be out \
                 of reach: is the network up? Or give an IP address such as 127.0.0.1."
            ),
            NetError::ConnectionRefused { addr } => {
                write!(
                    f,
                    "connection refused by {addr}: no server listens on that port. \
                     Is the server started? Are the host and the port right?"
                )?;
                hint_host_from_afar(f, addr)
            }
            NetError::NothingListensUdp { addr } => {
                let (host, port) = split_host_port(addr);
                write!(
                    f,
                    "nothing listens on UDP port {port} at {host}: that machine answered our \
                     datagram with \"port unreachable\" (an ICMP message). UDP has no \
                     connection to refuse: this answer is the only sign a UDP client gets, and \
                     only from a machine that is on and lets it through (a firewall or a lost \
                     datagram gives no answer at all: then the time-out applies). Start the \
                     server and check that it serves UDP on this host and port (not \
                     `--transport tcp`), or leave out --udp for a service that only speaks TCP."
                )?;
                hint_host_from_afar(f, addr)
            }
            NetError::Unreachable { addr } => write!(
                f,
                "cannot reach {addr}: there is no route to that machine (it may have left \
                 the network, or be switched off), or a firewall on the way refuses it. \
                 Check the address, the network cable or Wi-Fi, and the firewall."
            ),
            NetError::NoLongerAnswers { addr } => write!(
                f,
                "{addr} no longer answers: for a long while it acknowledged nothing sent \
                 to it (neither what was written to it nor, on a quiet connection with \
                 TCP keepalive, the system's checks that its machine is still there), so \
                 the system gave up the connection. Its machine has probably left the \
                 network (Wi-Fi lost, cable pulled, laptop closed) or been switched off, \
                 or a firewall now drops the packets. Check that it is on and connected \
                 (and that this machine is too), then connect again."
            ),
            NetError::TimedOut { what, after } if after.is_zero() => write!(
                f,
                "time-out while {what}: the other side did not answer. \
                 Is the machine on? Is a firewall dropping the packets?"
            ),
            // Connecting: a machine that is on answers at once, with a
            // refusal when no server listens, so silence is never "not started".
            NetError::TimedOut { what, after } if what.starts_with(CONNECTING) => write!(
                f,
                "time-out while {what}: no answer after {:.1} s, not even a refusal. \
                 A stopped server is refused at once; silence means the machine is off \
                 or unreachable, the address is wrong, or a firewall drops the packets \
                 (on the server's machine, it must allow this TCP port).",
                after.as_secs_f64()
            ),
            NetError::TimedOut { what, after } => {
                write!(
                    f,
                    "time-out while {what}: no answer after {:.1} s. \
                     Is the server started, on this port, and speaking this protocol?",
                    after.as_secs_f64()
                )?;
                // Every UDP wait says "UDP" in `what`; over TCP a lost
                // packet is sent again by the OS, so the hint would mislead.
                if what.contains("UDP") {
                    // Silence is not "nothing listens": that has its own
                    // answer (NothingListensUdp), when the machine sends it.
                    write!(
                        f,
                        " (Over UDP a lost datagram looks exactly like this, and so does a \
                         firewall that drops it; a machine with no server on that port \
                         answers \"port unreachable\" at once, unless a firewall keeps it quiet.)"
                    )?;
                }
                Ok(())
            }
            NetError::ClosedWithoutAnswer { addr, service } => write!(
                f,
                "{addr} accepted the connection, then closed it without sending anything back. \
                 The server may be full: it serves a limited number of clients at once \
                 (its --max-clients) and closes the connection of any client beyond that; \
                 or it refused this connection. Try again in a moment. If it keeps happening, \
                 check the port: the program listening there may not speak {service}."
            ),
            NetError::Usage { message } | NetError::Protocol { message } => f.write_str(message),
            NetError::Interrupted => f.write_str("stopped by Ctrl-C"),
            NetError::Io { context, source } => {
                write!(f, "{context} failed: {}", describe_io(source))
            }
        }
    }
}

impl std::error::Error for NetError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NetError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// How the `what` of a connect time-out begins (see [`NetError::TimedOut`]).
pub const CONNECTING: &str = "connecting to ";

/// From another machine, the classic cause of "nothing listens" (TCP or
/// UDP): a server started with the default --host, which only its own
/// machine can reach.
fn hint_host_from_afar(f: &mut fmt::Formatter<'_>, addr: &str) -> fmt::Result {
    if is_on_this_machine(addr) {
        return Ok(());
    }
    write!(
        f,
        " A server started without --host listens on 127.0.0.1, which only \
         its own machine can reach: start it with --host 0.0.0.0."
    )
}

/// Whether `addr` (`host:port`, as messages show it) is this machine:
/// a loopback address, or the name `localhost`.
fn is_on_this_machine(addr: &str) -> bool {
    if let Ok(socket) = addr.parse::<std::net::SocketAddr>() {
        return socket.ip().is_loopback();
    }
    let host = addr.rsplit_once(':').map_or(addr, |(host, _)| host);
    host.eq_ignore_ascii_case("localhost")
}

/// A short plain-words description of an I/O error kind, for the cases that
/// are about the network; anything else falls back to the OS's own text.
pub fn describe_io(err: &io::Error) -> String {
    // An error we made ourselves already carries a sentence of its own.
    if err.raw_os_error().is_none() && err.get_ref().is_some() {
        return err.to_string();
    }
    if is_message_too_long(err) {
        return format!(
            "the message is too large for one UDP datagram (at most {} bytes over IPv4, \
             less on some systems); send it over TCP instead, or in smaller pieces",
            group_thousands(MAX_UDP_PAYLOAD)
        );
    }
    if is_too_many_open_files(err) {
        return "too many open files: this process has reached its limit, and each connection \
                is one; raise it (ulimit -n) or let fewer clients in at once \
                (--max-clients; --max-connections for http-server)"
            .into();
    }
    match err.kind() {
        io::ErrorKind::ConnectionReset => {
            "the connection was reset: the other side closed it abruptly".into()
        }
        io::ErrorKind::ConnectionAborted => "the connection was aborted".into(),
        io::ErrorKind::BrokenPipe => {
            "the other side has closed the connection; nothing more can be sent".into()
        }
        io::ErrorKind::UnexpectedEof => {
            "the other side closed the connection before the whole message arrived".into()
        }
        // From the system, on a connection: the other side acknowledged
        // nothing for minutes (or for TCP_USER_TIMEOUT, or keepalive's probes).
        io::ErrorKind::TimedOut if err.raw_os_error().is_some() => {
            "the other machine stopped answering: it left the network or was switched off, \
             or a firewall drops the packets"
                .into()
        }
        // A program's own time-out (a tokio `timeout` turned into an
        // `io::Error`): the other machine may be fine, only slow or quiet.
        io::ErrorKind::TimedOut => "the time allowed for it ran out".into(),
        io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
            "the other machine cannot be reached: no route to it (it left the network?), \
             or a firewall on the way refuses it"
                .into()
        }
        _ => err.to_string(),
    }
}

/// The peer closed or reset the connection: what reading or writing a
/// connection the server has dropped reports (a full server does that at once).
pub fn is_closed_by_peer(err: &io::Error) -> bool {
    matches!(
        err.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::NotConnected
            | io::ErrorKind::UnexpectedEof
    )
}

/// `65507` → `65,507`: large numbers, readable.
pub fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// EMSGSIZE: a datagram larger than the system sends. The standard library
/// has no `ErrorKind` for it yet.
fn is_message_too_long(err: &io::Error) -> bool {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const CODES: [i32; 1] = [90];
    #[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
    const CODES: [i32; 1] = [40]; // macOS and the BSDs
    #[cfg(windows)]
    const CODES: [i32; 1] = [10040]; // WSAEMSGSIZE
    #[cfg(not(any(unix, windows)))]
    const CODES: [i32; 0] = [];
    err.raw_os_error().is_some_and(|code| CODES.contains(&code))
}

/// EMFILE (this process's limit) or ENFILE (the whole system's): the
/// standard library has no `ErrorKind` for them yet.
fn is_too_many_open_files(err: &io::Error) -> bool {
    #[cfg(unix)]
    const CODES: [i32; 2] = [24, 23]; // EMFILE, ENFILE (the same on Linux, macOS and the BSDs)
    #[cfg(windows)]
    const CODES: [i32; 1] = [10024]; // WSAEMFILE
    #[cfg(not(any(unix, windows)))]
    const CODES: [i32; 0] = [];
    err.raw_os_error().is_some_and(|code| CODES.contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(kind: io::ErrorKind) -> io::Error {
        io::Error::from(kind)
    }

    /// Seen from another machine of the classroom, each silence or refusal
    /// gets the cause that fits it.
    #[test]
    fn connecting_from_another_machine_is_explained() {
        // A firewall that drops: silence, never "is the server started?".
        let silent = NetError::TimedOut {
            what: format!("{CONNECTING}10.0.0.1:10007"),
            after: Duration::from_secs(5),
        }
        .to_string();
        assert!(silent.contains("not even a refusal"), "{silent}");
        assert!(silent.contains("firewall drops the packets"), "{silent}");
        assert!(!silent.contains("Is the server started"), "{silent}");
        // A refusal from another machine: maybe a server on 127.0.0.1 only.
        let far = NetError::ConnectionRefused {
            addr: "10.0.0.1:10007".into(),
        }
        .to_string();
        assert!(far.contains("start it with --host 0.0.0.0"), "{far}");
        for here in ["127.0.0.1:10007", "[::1]:10007", "localhost:10007"] {
            let near = NetError::ConnectionRefused { addr: here.into() }.to_string();
            assert!(!near.contains("--host"), "{here}: {near}");
        }
        // A firewall that rejects a datagram ("host prohibited"): in words.
        for kind in [
            io::ErrorKind::HostUnreachable,
            io::ErrorKind::NetworkUnreachable,
        ] {
            let e = NetError::io("receiving from 10.0.0.1:10037", os(kind));
            assert!(
                matches!(&e, NetError::Unreachable { addr } if addr == "10.0.0.1:10037"),
                "{e:?}"
            );
            assert!(!e.to_string().contains("os error"), "{e}");
        }
        // And in a server's log line about a client that left: Linux's
        // EHOSTUNREACH (113) and ENETUNREACH (101), as the OS gives them.
        #[cfg(target_os = "linux")]
        for code in [113, 101] {
            let said = describe_io(&io::Error::from_raw_os_error(code));
            assert!(said.contains("cannot be reached"), "{said}");
            assert!(!said.contains("os error"), "{said}");
        }
    }

    /// A server whose machine vanished, seen by its client: the system's
    /// ETIMEDOUT (110 on Linux) or EHOSTUNREACH (113) on the next read or
    /// write becomes what probably happened and what to do, never a bare
    /// "timed out (os error 110)".
    #[test]
    fn a_connection_whose_peer_vanished_is_explained() {
        {
            let source = io::Error::from_raw_os_error(ETIMEDOUT);
            assert_eq!(source.kind(), io::ErrorKind::TimedOut);
            let e = NetError::io("reading from 10.0.0.1:10194", source);
            assert!(
                matches!(&e, NetError::NoLongerAnswers { addr } if addr == "10.0.0.1:10194"),
                "{e:?}"
            );
            let text = e.to_string();
            for words in ["no longer answers", "left the", "switched off", "firewall"] {
                assert!(text.contains(words), "{words}: {text}");
            }
            assert!(text.contains("connect again"), "{text}");
            assert!(!text.contains("os error"), "{text}");
            // Keepalive only probes a quiet connection, and only when the
            // program asked for it: a line left unacknowledged, or a client
            // without keepalive (echo, time), met the same silence.
            assert!(!text.contains("not even"), "{text}");
        }
        #[allow(unused_mut)]
        let mut gone = vec![os(io::ErrorKind::HostUnreachable)];
        #[cfg(target_os = "linux")]
        gone.push(io::Error::from_raw_os_error(113));
        for source in gone {
            let e = NetError::io("sending to 10.0.0.1:10194", source);
            let text = e.to_string();
            assert!(text.contains("cannot reach 10.0.0.1:10194"), "{text}");
            assert!(text.contains("left the network"), "{text}");
            assert!(!text.contains("os error"), "{text}");
        }
        // In a log line too (chat-server's, about a client that vanished).
        let said = describe_io(&io::Error::from_raw_os_error(ETIMEDOUT));
        assert!(said.contains("stopped answering"), "{said}");
        // A time-out of our own keeps its own sentence.
        let ours = io::Error::new(io::ErrorKind::TimedOut, "idle for 30 s");
        let text = NetError::io("reading from 10.0.0.1:7", ours).to_string();
        assert!(text.contains("idle for 30 s"), "{text}");
        // The other side is named as the context names it.
        assert_eq!(peer_in("sending to the server"), "the server");
        assert_eq!(peer_in("reading the echo"), "the other side");
        assert_eq!(peer_in("waiting for a reply from [::1]:7"), "[::1]:7");
    }

    /// The system's "connection timed out" code.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    const ETIMEDOUT: i32 = 110;
    #[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
    const ETIMEDOUT: i32 = 60; // macOS and the BSDs
    #[cfg(windows)]
    const ETIMEDOUT: i32 = 10060; // WSAETIMEDOUT

    /// A time-out a program raises itself, here a tokio `timeout` turned
    /// into an `io::Error` (no OS code, no message), is not the system
    /// giving up a connection: the other machine may be there, only slow.
    #[tokio::test]
    async fn a_time_out_of_our_own_is_not_a_vanished_peer() {
        async fn ours() -> io::Error {
            let read = std::future::pending::<io::Result<usize>>();
            match tokio::time::timeout(Duration::ZERO, read).await {
                Ok(_) => unreachable!("a pending read never ends"),
                Err(elapsed) => io::Error::from(elapsed),
            }
        }
        assert_eq!(ours().await.kind(), io::ErrorKind::TimedOut);
        let said = describe_io(&ours().await);
        assert!(!said.contains("stopped answering"), "{said}");
        let e = NetError::io("reading from 10.0.0.1:10194", ours().await);
        assert!(matches!(e, NetError::Io { .. }), "{e:?}");
        let text = e.to_string();
        assert!(!text.contains("no longer answers"), "{text}");
        assert!(!text.contains("left the network"), "{text}");
    }

    #[cfg(unix)]
    #[test]
    fn too_many_open_files_is_explained_with_the_fix() {
        for code in [24, 23] {
            let text = describe_io(&io::Error::from_raw_os_error(code));
            assert!(text.contains("too many open files"), "{text}");
            assert!(text.contains("ulimit -n"), "{text}");
            assert!(!text.contains("os error"), "{text}");
        }
    }

    #[test]
    fn addr_in_use_names_the_port_and_the_fix() {
        let e = NetError::from_bind(
            os(io::ErrorKind::AddrInUse),
            "127.0.0.1",
            10007,
            Transport::Tcp,
        );
        let text = e.to_string();
        assert!(text.contains("127.0.0.1:10007"), "{text}");
        assert!(text.contains("another program already listens"), "{text}");
        assert!(text.contains("--port"), "{text}");
        assert!(!text.contains("os error"), "{text}");
    }

    #[test]
    fn permission_denied_on_bind_is_about_privileged_ports() {
        let e = NetError::from_bind(
            os(io::ErrorKind::PermissionDenied),
            "0.0.0.0",
            7,
            Transport::Udp,
        );
        let text = e.to_string();
        assert!(text.contains("below 1024"), "{text}");
        assert!(text.contains("--port 10007"), "{text}");
    }

    #[test]
    fn bind_errors_name_the_flag_that_chose_the_port() {
        let e = NetError::from_bind_set_by(
            os(io::ErrorKind::PermissionDenied),
            "0.0.0.0",
            13,
            Transport::Tcp,
            "--daytime-port",
        );
        let text = e.to_string();
        assert!(text.contains("--daytime-port 10013"), "{text}");
        assert!(!text.contains(" --port"), "{text}");

        let e = NetError::from_bind_set_by(
            os(io::ErrorKind::AddrInUse),
            "127.0.0.1",
            10013,
            Transport::Udp,
            "--daytime-port",
        );
        let text = e.to_string();
        assert!(text.contains("with --daytime-port."), "{text}");
        assert!(!text.contains(" --port"), "{text}");
    }

    #[test]
    fn port_80_refused_suggests_8080_not_a_port_browsers_refuse() {
        let e = NetError::from_bind(
            os(io::ErrorKind::PermissionDenied),
            "127.0.0.1",
            80,
            Transport::Tcp,
        );
        let text = e.to_string();
        assert!(text.contains("e.g. --port 8080."), "{text}");
    }

    #[test]
    fn permission_denied_above_1023_is_not_called_privileged() {
        // 60000 + 10000 does not fit in a port number: no suggestion, no panic.
        let e = NetError::from_bind(
            os(io::ErrorKind::PermissionDenied),
            "0.0.0.0",
            60000,
            Transport::Tcp,
        );
        let text = e.to_string();
        assert!(!text.contains("below 1024"), "{text}");
        assert!(text.contains("another port with --port"), "{text}");
    }

    #[test]
    fn an_invalid_address_for_bind_is_explained() {
        let e = NetError::from_bind(
            io::Error::from_raw_os_error(22), // EINVAL
            "fe80::2",
            10007,
            Transport::Tcp,
        );
        let text = e.to_string();
        assert!(text.contains("[fe80::2]:10007"), "{text}");
        assert!(text.contains("127.0.0.1"), "{text}");
        assert!(!text.contains("os error"), "{text}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_datagram_too_long_is_explained() {
        let text = describe_io(&io::Error::from_raw_os_error(90)); // EMSGSIZE
        assert!(text.contains("65,507 bytes"), "{text}");
        assert!(text.contains("TCP"), "{text}");
        assert!(!text.contains("os error"), "{text}");
    }

    #[test]
    fn an_unknown_host_is_not_always_a_typo() {
        let text = NetError::UnknownHost {
            host: "server.lan".into(),
        }
        .to_string();
        assert!(text.contains("spelling"), "{text}");
        assert!(
            text.contains("network"),
            "no network gives the same failure: {text}"
        );
    }

    #[test]
    fn only_a_udp_time_out_mentions_lost_datagrams() {
        let after = Duration::from_secs(2);
        let tcp = NetError::TimedOut {
            what: "waiting for the echo from 127.0.0.1:10007".into(),
            after,
        };
        assert!(!tcp.to_string().contains("datagram"), "{tcp}");
        let udp = NetError::TimedOut {
            what: "waiting for a UDP reply from 127.0.0.1:10007 (3 tries)".into(),
            after,
        };
        assert!(udp.to_string().contains("lost datagram"), "{udp}");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(group_thousands(7), "7");
        assert_eq!(group_thousands(65_507), "65,507");
        assert_eq!(group_thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn a_silent_close_says_full_first_then_wrong_port() {
        let text = NetError::ClosedWithoutAnswer {
            addr: "127.0.0.1:10007".into(),
            service: "echo (RFC 862)".into(),
        }
        .to_string();
        let full = text.find("may be full").expect(&text);
        let port = text.find("check the port").expect(&text);
        assert!(full < port, "{text}");
        assert!(text.contains("--max-clients"), "{text}");
    }

    #[test]
    fn refused_connect_asks_whether_the_server_runs() {
        let e = NetError::from_connect(os(io::ErrorKind::ConnectionRefused), "127.0.0.1:1");
        let text = e.to_string();
        assert!(text.contains("no server listens"), "{text}");
        assert!(text.contains("127.0.0.1:1"), "{text}");
    }

    #[test]
    fn connect_errors_the_os_only_numbers_are_explained() {
        let e = NetError::from_connect(os(io::ErrorKind::InvalidInput), "[fe80::1]:80");
        let text = e.to_string();
        assert!(matches!(e, NetError::Usage { .. }), "{text}");
        assert!(
            text.contains("link-local") && text.contains("%eth0"),
            "{text}"
        );
        let e = NetError::from_connect(os(io::ErrorKind::PermissionDenied), "255.255.255.255:7");
        let text = e.to_string();
        assert!(text.contains("broadcast"), "{text}");
        assert!(!text.contains("os error"), "{text}");
    }

    #[test]
    fn a_refused_read_on_a_connection_is_connection_refused() {
        let e = NetError::io(
            "reading from 127.0.0.1:9",
            os(io::ErrorKind::ConnectionRefused),
        );
        assert!(matches!(e, NetError::ConnectionRefused { ref addr } if addr == "127.0.0.1:9"));
    }

    /// A datagram answered with an ICMP "port unreachable" comes back as
    /// "connection refused" from the system: UDP has no connection, so the
    /// message says what happened instead, and how to fix it.
    #[test]
    fn a_udp_refusal_is_no_refused_connection() {
        #[allow(unused_mut)]
        let mut refusals = vec![os(io::ErrorKind::ConnectionRefused)];
        #[cfg(windows)]
        refusals.push(os(io::ErrorKind::ConnectionReset));
        for source in refusals {
            let e = NetError::udp_io("waiting for a reply from 127.0.0.1:9", source);
            assert!(
                matches!(&e, NetError::NothingListensUdp { addr } if addr == "127.0.0.1:9"),
                "{e:?}"
            );
            let text = e.to_string();
            assert!(
                text.starts_with("nothing listens on UDP port 9 at 127.0.0.1:"),
                "{text}"
            );
            for words in ["\"port unreachable\"", "ICMP", "no connection", "firewall"] {
                assert!(text.contains(words), "{words}: {text}");
            }
            assert!(text.contains("Start the server"), "{text}");
            assert!(
                !text.to_lowercase().contains("connection refused"),
                "{text}"
            );
            assert!(!text.contains("--host"), "on this machine: {text}");
        }
        // From another machine, the server may listen on 127.0.0.1 only.
        let far = NetError::udp_io(
            "receiving from [fe80::1%2]:10037",
            os(io::ErrorKind::ConnectionRefused),
        )
        .to_string();
        assert!(
            far.starts_with("nothing listens on UDP port 10037 at fe80::1%2:"),
            "{far}"
        );
        assert!(far.contains("--host 0.0.0.0"), "{far}");
        // Any other failure is explained as `io` explains it.
        let e = NetError::udp_io(
            "receiving from 10.0.0.1:7",
            os(io::ErrorKind::HostUnreachable),
        );
        assert!(matches!(e, NetError::Unreachable { .. }), "{e:?}");
    }

    /// Silence over UDP (no ICMP came back) is a time-out: its message must
    /// not call it a refusal, nor claim that nothing listens.
    #[test]
    fn a_udp_time_out_claims_no_refusal() {
        let text = NetError::TimedOut {
            what: "waiting for a UDP reply from 127.0.0.1:10007 (3 tries)".into(),
            after: Duration::from_secs(2),
        }
        .to_string();
        assert!(!text.contains("refused"), "{text}");
        assert!(!text.contains("nothing listens"), "{text}");
        assert!(text.contains("firewall"), "{text}");
    }

    #[test]
    fn ipv6_addresses_get_brackets() {
        assert_eq!(join_host_port("::1", 7), "[::1]:7");
        assert_eq!(join_host_port("[::1]", 7), "[::1]:7");
        assert_eq!(join_host_port("localhost", 7), "localhost:7");
    }

    #[test]
    fn other_errors_keep_their_context_and_source() {
        let e = NetError::io(
            "reading from 127.0.0.1:10007",
            os(io::ErrorKind::ConnectionReset),
        );
        assert!(e.to_string().contains("reading from 127.0.0.1:10007"));
        assert!(e.to_string().contains("reset"));
        assert!(std::error::Error::source(&e).is_some());
    }
}
