//! # A server opens its port: bind, listen, announce
//!
//! **Course ideas:** a server listens on a port, permanently; *1 service =
//! 1 port*; a port number belongs to a transport, so TCP 10007 and UDP 10007
//! are two doors one server can hold at once ([`bind_tcp_and_udp`]). The
//! first line every server logs ([`announce`]) says where it listens and
//! which range its port is in. A server that promises many clients also
//! makes sure the system lets it hold that many connections
//! ([`make_room_for`]).

use std::net::SocketAddr;

use codec::ports::PortRange;
use tokio::net::{TcpListener, TcpSocket, UdpSocket};
use tracing::{info, warn};

use super::resolve;
use crate::error::{NetError, Transport, USE_INSTEAD, describe_io, join_host_port};

/// How many not-yet-accepted connections the OS keeps waiting for us.
/// The usual default (128) is too small when a whole class connects at once.
pub const LISTEN_BACKLOG: u32 = 1024;

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
/// the fix. Returns the limit in force afterwards (0 when the system would
/// not tell it: a warning says so).
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
                 files, and each client is one: {}, new ones will wait. \
                 Raise the limit before starting the server (ulimit -n {wanted}; if that is \
                 refused, the hard limit too, as root: ulimit -Hn, or LimitNOFILE= for a \
                 service) or lower {flag}.",
                room_left(limit)
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

/// Where a limit of `limit` open files stops the clients, in words.
/// `SPARE_FILES` is what a server may need besides its clients, not what it
/// uses at start (about a dozen): under it, "beyond about 0 clients" would
/// be untrue (`ulimit -n 40` still lets some 25 in).
fn room_left(limit: u64) -> String {
    if limit > 2 * SPARE_FILES {
        format!("beyond about {} clients", limit - SPARE_FILES)
    } else {
        format!("beyond a few of them (fewer than {limit})")
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

    #[tokio::test]
    async fn a_taken_port_is_explained() {
        let first = bind_tcp("127.0.0.1", 0).await.unwrap();
        let port = first.local_addr().unwrap().port();
        let err = bind_tcp("127.0.0.1", port).await.unwrap_err();
        assert!(matches!(err, NetError::AddrInUse { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn an_address_of_another_machine_cannot_be_bound() {
        // 192.0.2.1 is reserved for documentation: never a local address.
        let err = bind_tcp("192.0.2.1", 0).await.unwrap_err();
        assert!(matches!(err, NetError::AddrNotAvailable { .. }), "{err:?}");
    }

    #[test]
    fn a_low_file_limit_is_not_said_to_leave_room_for_0_clients() {
        assert_eq!(room_left(40), "beyond a few of them (fewer than 40)");
        assert_eq!(room_left(1024), "beyond about 960 clients");
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
}
