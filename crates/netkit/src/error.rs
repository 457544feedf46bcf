//! # Network errors, explained
//!
//! The operating system reports network problems with terse codes:
//! `Address already in use (os error 98)`, `Connection refused (os error 111)`.
//! Each of them means something precise about client/server communication,
//! and a student should read *that* instead of the code. [`NetError`] turns the
//! common cases into a sentence that says what happened and how to fix it.
//!
//! Servers and clients return `NetError` from their fallible set-up steps
//! (bind, connect); [`crate::run()`] prints it as `error: …` and exits with code 1.

use std::fmt;
use std::io;
use std::time::Duration;

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
    },
    /// Binding failed: ports below 1024 need administrator rights.
    PrivilegedPort {
        /// The port we tried to listen on.
        port: u16,
        /// The transport of the socket.
        transport: Transport,
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
    /// No route to the machine (network down, wrong address, firewall).
    Unreachable {
        /// `host:port` we tried to reach.
        addr: String,
    },
    /// Something took longer than the time-out allows.
    TimedOut {
        /// What we were waiting for, e.g. "connecting to 127.0.0.1:10007".
        what: String,
        /// How long we waited.
        after: Duration,
    },
    /// The peer answered, but not in the protocol we expected.
    Protocol {
        /// What was wrong, in plain words.
        message: String,
    },
    /// Any other I/O error, with what we were doing when it happened.
    Io {
        /// What we were doing, e.g. "reading from 127.0.0.1:10007".
        context: String,
        /// The original error.
        source: io::Error,
    },
}

impl NetError {
    /// Explains an error from `bind()` on `host:port`.
    pub fn from_bind(err: io::Error, host: &str, port: u16, transport: Transport) -> NetError {
        let addr = join_host_port(host, port);
        match err.kind() {
            io::ErrorKind::AddrInUse => NetError::AddrInUse { addr, transport },
            io::ErrorKind::PermissionDenied => NetError::PrivilegedPort { port, transport },
            io::ErrorKind::AddrNotAvailable => NetError::AddrNotAvailable {
                host: host.to_string(),
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
                what: format!("connecting to {addr}"),
                after: Duration::ZERO,
            },
            io::ErrorKind::HostUnreachable | io::ErrorKind::NetworkUnreachable => {
                NetError::Unreachable { addr }
            }
            _ => NetError::Io {
                context: format!("connecting to {addr}"),
                source: err,
            },
        }
    }

    /// Wraps an I/O error that happened while doing `context`.
    pub fn io(context: impl Into<String>, source: io::Error) -> NetError {
        // A refused UDP exchange shows up on the *next* receive, not on connect.
        if source.kind() == io::ErrorKind::ConnectionRefused {
            let context = context.into();
            let addr = context.rsplit(' ').next().unwrap_or_default().to_string();
            return NetError::ConnectionRefused { addr };
        }
        NetError::Io {
            context: context.into(),
            source,
        }
    }

    /// A peer that does not speak the expected protocol.
    pub fn protocol(message: impl Into<String>) -> NetError {
        NetError::Protocol {
            message: message.into(),
        }
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
            NetError::AddrInUse { addr, transport } => write!(
                f,
                "cannot listen on {addr} ({transport}): another program already listens on that port. \
                 One port, one service: stop the other program (an older copy of this server?) \
                 or choose another port with --port."
            ),
            NetError::PrivilegedPort { port, transport } => write!(
                f,
                "cannot listen on {transport} port {port}: ports below 1024 are well-known ports, \
                 reserved to the administrator. Run as administrator (sudo) or, better, \
                 use a port above 1023, e.g. --port {}.",
                codec::ports::netlab_default(*port)
            ),
            NetError::AddrNotAvailable { host } => write!(
                f,
                "cannot listen on {host}: this address does not belong to this machine. \
                 Use 127.0.0.1 (this machine only), 0.0.0.0 (every network card), \
                 or one of the addresses shown by `ip addr` / `ipconfig`."
            ),
            NetError::UnknownHost { host } => write!(
                f,
                "unknown host {host:?}: the name could not be turned into an IP address. \
                 Check the spelling, or give an IP address such as 127.0.0.1."
            ),
            NetError::ConnectionRefused { addr } => write!(
                f,
                "connection refused by {addr}: no server listens on that port. \
                 Is the server started? Are the host and the port right?"
            ),
            NetError::Unreachable { addr } => write!(
                f,
                "cannot reach {addr}: there is no route to that machine. \
                 Check the address, the network cable or Wi-Fi, and the firewall."
            ),
            NetError::TimedOut { what, after } if after.is_zero() => write!(
                f,
                "time-out while {what}: the other side did not answer. \
                 Is the machine on? Is a firewall dropping the packets?"
            ),
            NetError::TimedOut { what, after } => write!(
                f,
                "time-out while {what}: no answer after {:.1} s. \
                 Is the server started, on this port, and speaking this protocol? \
                 (Over UDP a lost datagram looks exactly like this.)",
                after.as_secs_f64()
            ),
            NetError::Protocol { message } => f.write_str(message),
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

/// A short plain-words description of an I/O error kind, for the cases that
/// are about the network; anything else falls back to the OS's own text.
pub fn describe_io(err: &io::Error) -> String {
    // An error we made ourselves already carries a sentence of its own.
    if err.raw_os_error().is_none() && err.get_ref().is_some() {
        return err.to_string();
    }
    if is_too_many_open_files(err) {
        return "too many open files: this process has reached its limit, and each connection \
                is one; raise it (ulimit -n) or lower --max-clients"
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
        io::ErrorKind::TimedOut => "the operation timed out".into(),
        _ => err.to_string(),
    }
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
    fn refused_connect_asks_whether_the_server_runs() {
        let e = NetError::from_connect(os(io::ErrorKind::ConnectionRefused), "127.0.0.1:1");
        let text = e.to_string();
        assert!(text.contains("no server listens"), "{text}");
        assert!(text.contains("127.0.0.1:1"), "{text}");
    }

    #[test]
    fn refused_udp_receive_becomes_connection_refused() {
        let e = NetError::io(
            "waiting for a reply from 127.0.0.1:9",
            os(io::ErrorKind::ConnectionRefused),
        );
        assert!(matches!(e, NetError::ConnectionRefused { ref addr } if addr == "127.0.0.1:9"));
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
