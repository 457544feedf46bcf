//! # A client aimed at a UDP server
//!
//! UDP has no connection. A client's socket can still be "connected": the
//! system then records the server's address as the default destination and
//! drops datagrams from anyone else. [`UdpServer`] also keeps the other
//! addresses of the server's name, since only a datagram can tell which of
//! them has a server behind it.

use std::net::SocketAddr;

use tokio::net::UdpSocket;
use tracing::{debug, info};

use super::resolve;
use crate::error::{NetError, describe_io};

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
/// (netlab's on 127.0.0.1 by default). Over TCP, [`connect_tcp`](super::connect_tcp) tries each
/// in turn. UDP has no connection to try: only a datagram tells, when the
/// machine at that address answers it with an ICMP "port unreachable"
/// (nothing listens there; [`is_udp_refusal`] recognises it on the next
/// receive). A client that gets that before any answer calls
/// [`next_address`](UdpServer::next_address) and sends again; after the
/// last address, [`NetError::udp_io`] explains it.
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
    /// name also has an IPv6 address) is skipped, as [`connect_tcp`](super::connect_tcp) skips
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

/// Whether a receive (or a send) failed because the server's machine said
/// nothing listens on that UDP port (an ICMP "port unreachable" for a
/// datagram we sent). The system reports it with a TCP word: Linux and
/// macOS call it "connection refused", Windows "connection reset", though
/// UDP has no connection; [`NetError::udp_io`] says what it means instead.
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
    use std::time::Duration;

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
}
