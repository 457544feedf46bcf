//! # UDP answers that come from the address the question went to
//!
//! A UDP server usually binds `0.0.0.0` (or `::`): one socket that receives
//! the datagrams sent to *any* address of the machine. A machine often has
//! several: `127.0.0.1` and the rest of `127.0.0.0/8`, one address per
//! network card, and with IPv6 several per card (a stable one, temporary
//! ones, a link-local one).
//!
//! ## What goes wrong with a plain `send_to`
//! A socket bound to `0.0.0.0` has no address of its own to send from. When
//! the server answers with `send_to(answer, peer)`, the kernel picks the
//! source address itself, from the route towards `peer`: the *first* address
//! of the card that route uses, whatever address the question was sent to.
//! A question sent to `127.0.0.2` is then answered from `127.0.0.1`.
//!
//! A client that only sends and receives (`send_to`, `recv_from`) takes that
//! answer. But a UDP client may also `connect()` its socket, as netlab's
//! clients and `nc -u` do: nothing is sent, the kernel only notes the
//! server's address, and from then on it *drops every datagram that comes
//! from another address*, so that a stranger cannot slip in an answer. For
//! that client the answer from `127.0.0.1` never arrives: it waits, times
//! out, and says "Is the server started?" although the server answered.
//!
//! ## The fix: ask the kernel where each datagram was going
//! With the socket option `IP_PKTINFO` (IPv4) or `IPV6_RECVPKTINFO` (IPv6),
//! the kernel attaches to every datagram it delivers a small *control
//! message* saying which local address it was sent to. That needs
//! `recvmsg` instead of `recv_from` (only `recvmsg` returns control
//! messages). The answer then goes out with `sendmsg`, carrying a control
//! message of the same kind (`IP_PKTINFO`, `IPV6_PKTINFO`) that sets its
//! source address: the answer comes from the very address the question went
//! to, and a connected client accepts it.
//!
//! [`UdpServerSocket`] does this on Linux, Android and Apple systems, through
//! the `nix` crate (safe wrappers of `recvmsg`, `sendmsg` and the control
//! messages). Elsewhere (Windows has the same problem but another API), and
//! whenever the socket is bound to one specific address (the kernel then
//! sends from that address anyway), it falls back to plain
//! `recv_from`/`send_to`.

use std::fmt::Display;
use std::io;
use std::net::{IpAddr, SocketAddr};

use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info};

use crate::error::describe_io;

/// The local address a datagram was sent to, learnt from the kernel: the
/// address its answer must come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Destination {
    /// The server's address the datagram was sent to (`127.0.0.2`, say).
    pub ip: IpAddr,
    /// The network card it arrived on (its index, as `ip link` numbers
    /// them). An IPv6 link-local address (`fe80::…`) exists on every card,
    /// so the answer must leave by the same one.
    pub interface: u32,
}

/// A server's UDP socket whose answers come from the address each question
/// went to (see the [module documentation](self)).
#[derive(Debug)]
pub struct UdpServerSocket {
    socket: UdpSocket,
    /// True when the kernel tells us each datagram's destination: bound to
    /// an unspecified address, on a system where we know how to ask.
    with_destinations: bool,
}

impl UdpServerSocket {
    /// Wraps a bound socket. Bound to `0.0.0.0` or `::`, it asks the kernel
    /// for each datagram's destination address; if the system cannot say,
    /// the answers go out as before, from the address the kernel picks.
    pub fn new(socket: UdpSocket) -> UdpServerSocket {
        let unspecified = socket.local_addr().is_ok_and(|a| a.ip().is_unspecified());
        let with_destinations = unspecified && pktinfo::enable(&socket).is_ok();
        UdpServerSocket {
            socket,
            with_destinations,
        }
    }

    /// True when answers are sent from each question's destination address.
    pub fn answers_from_destination(&self) -> bool {
        self.with_destinations
    }

    /// The address and port the socket is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Receives one datagram: its length, its sender, and (when known) the
    /// local address it was sent to. A datagram longer than `buf` is
    /// truncated, as with `recv_from`.
    pub async fn recv_from(
        &self,
        buf: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<Destination>)> {
        if self.with_destinations {
            pktinfo::recv(&self.socket, buf).await
        } else {
            let (n, peer) = self.socket.recv_from(buf).await?;
            Ok((n, peer, None))
        }
    }

    /// Waits for the next datagram, or for `shutdown`: the heart of every
    /// UDP server's loop, as [`accept`](crate::net::accept) is of a TCP
    /// server's. Returns `None` once `shutdown` is cancelled.
    ///
    /// A receive that fails is logged and skipped: on some systems the ICMP
    /// "port unreachable" that an earlier answer drew (its client had
    /// already gone) surfaces here. It concerns that one client, not the
    /// server, which goes on answering the others.
    pub async fn next_datagram(
        &self,
        buf: &mut [u8],
        shutdown: &CancellationToken,
    ) -> Option<(usize, SocketAddr, Option<Destination>)> {
        loop {
            let received = tokio::select! {
                _ = shutdown.cancelled() => return None,
                received = self.recv_from(buf) => received,
            };
            match received {
                Ok(datagram) => return Some(datagram),
                Err(e) => debug!("{}", receive_error(&e)),
            }
        }
    }

    /// Sends `bytes` to `peer`, from `local` when given (the [`Destination`]
    /// of the question being answered), else from the address the kernel
    /// picks.
    pub async fn send_to_from(
        &self,
        bytes: &[u8],
        peer: SocketAddr,
        local: Option<Destination>,
    ) -> io::Result<usize> {
        match local {
            Some(local) if self.with_destinations => {
                match pktinfo::send(&self.socket, bytes, peer, local).await {
                    Ok(n) => Ok(n),
                    // The kernel refused that source (the address was
                    // removed since the question came: a DHCP renewal, an
                    // IPv6 temporary address that expired): an answer from
                    // another address beats no answer. An error that has
                    // nothing to do with the source comes back again.
                    Err(_) => self.socket.send_to(bytes, peer).await,
                }
            }
            _ => self.socket.send_to(bytes, peer).await,
        }
    }
}

/// Logs why the datagram from `shown` gets no answer (see
/// [`codec::ports::AnswerBudget::judge`]). A flood of forged datagrams must
/// not become a flood of log lines: the reason is shown with `--trace`
/// (`trace`), or at the debug level (`-v`), not otherwise.
pub fn log_not_answered(shown: SocketAddr, why: impl Display, trace: bool) {
    if trace {
        info!("{shown} (udp): not answered: {why}");
    } else {
        debug!("{shown} (udp): not answered: {why}");
    }
}

/// `IP_PKTINFO` / `IPV6_PKTINFO` through `nix`: only where `nix` offers
/// both the socket options and the control messages.
#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
mod pktinfo {
    use std::io::{self, IoSlice, IoSliceMut};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
    use std::os::fd::AsRawFd;

    use nix::cmsg_space;
    use nix::libc;
    use nix::sys::socket::{
        ControlMessage, ControlMessageOwned, MsgFlags, SockaddrStorage, recvmsg, sendmsg,
        setsockopt, sockopt,
    };
    use tokio::io::Interest;
    use tokio::net::UdpSocket;

    use super::Destination;

    /// Asks the kernel to attach each datagram's destination address.
    pub(super) fn enable(socket: &UdpSocket) -> io::Result<()> {
        match socket.local_addr()? {
            SocketAddr::V4(_) => setsockopt(socket, sockopt::Ipv4PacketInfo, &true)?,
            // On a dual-stack `::` socket this covers the IPv4 datagrams
            // too: they arrive with an IPv4-mapped address (`::ffff:a.b.c.d`).
            SocketAddr::V6(_) => setsockopt(socket, sockopt::Ipv6RecvPacketInfo, &true)?,
        }
        Ok(())
    }

    pub(super) async fn recv(
        socket: &UdpSocket,
        buf: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<Destination>)> {
        // `async_io` waits until tokio says the socket is readable, then
        // runs the system call; a "would block" makes it wait again.
        socket
            .async_io(Interest::READABLE, || recv_now(socket, buf))
            .await
    }

    fn recv_now(
        socket: &UdpSocket,
        buf: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<Destination>)> {
        let mut iov = [IoSliceMut::new(buf)];
        // Room for one control message of either family.
        let mut control = cmsg_space!(libc::in6_pktinfo);
        let msg = recvmsg::<SockaddrStorage>(
            socket.as_raw_fd(),
            &mut iov,
            Some(&mut control),
            MsgFlags::empty(),
        )?;
        let peer = msg
            .address
            .as_ref()
            .and_then(socket_addr)
            .ok_or_else(|| io::Error::other("a datagram without a sender address"))?;
        let mut destination = None;
        for message in msg.cmsgs()? {
            match message {
                ControlMessageOwned::Ipv4PacketInfo(info) => {
                    // `ipi_spec_dst` is the local address the kernel itself
                    // would answer from: the destination written in the
                    // datagram (`ipi_addr`) when that is one of ours, the
                    // card's own address for a broadcast (a broadcast
                    // address cannot be a source). A system that leaves it
                    // empty gets `ipi_addr`.
                    let spec = u32::from_be(info.ipi_spec_dst.s_addr);
                    let ip = if spec != 0 {
                        Ipv4Addr::from(spec)
                    } else {
                        Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr))
                    };
                    destination = answerable(IpAddr::V4(ip), 0);
                }
                ControlMessageOwned::Ipv6PacketInfo(info) => {
                    let ip = Ipv6Addr::from(info.ipi6_addr.s6_addr);
                    destination = answerable(IpAddr::V6(ip), info.ipi6_ifindex);
                }
                _ => {}
            }
        }
        Ok((msg.bytes, peer, destination))
    }

    /// A destination an answer can be sent from: not a multicast or
    /// broadcast address (for those, the kernel's choice is the right one).
    fn answerable(ip: IpAddr, interface: u32) -> Option<Destination> {
        let usable = match ip {
            IpAddr::V4(v4) => !(v4.is_multicast() || v4.is_broadcast() || v4.is_unspecified()),
            IpAddr::V6(v6) => !(v6.is_multicast() || v6.is_unspecified()),
        };
        usable.then_some(Destination { ip, interface })
    }

    fn socket_addr(storage: &SockaddrStorage) -> Option<SocketAddr> {
        if let Some(v4) = storage.as_sockaddr_in() {
            return Some(SocketAddr::V4(SocketAddrV4::from(*v4)));
        }
        storage
            .as_sockaddr_in6()
            .map(|v6| SocketAddr::V6(SocketAddrV6::from(*v6)))
    }

    pub(super) async fn send(
        socket: &UdpSocket,
        bytes: &[u8],
        peer: SocketAddr,
        local: Destination,
    ) -> io::Result<usize> {
        socket
            .async_io(Interest::WRITABLE, || send_now(socket, bytes, peer, local))
            .await
    }

    fn send_now(
        socket: &UdpSocket,
        bytes: &[u8],
        peer: SocketAddr,
        local: Destination,
    ) -> io::Result<usize> {
        let iov = [IoSlice::new(bytes)];
        let to = match peer {
            SocketAddr::V4(v4) => SockaddrStorage::from(v4),
            SocketAddr::V6(v6) => SockaddrStorage::from(v6),
        };
        let sent = match local.ip {
            IpAddr::V4(ip) => {
                // `ipi_spec_dst` is the source address to send from; no
                // interface (0): the route towards the peer chooses it.
                let info = libc::in_pktinfo {
                    ipi_ifindex: 0,
                    ipi_spec_dst: libc::in_addr {
                        s_addr: u32::from(ip).to_be(),
                    },
                    ipi_addr: libc::in_addr { s_addr: 0 },
                };
                let control = [ControlMessage::Ipv4PacketInfo(&info)];
                sendmsg(
                    socket.as_raw_fd(),
                    &iov,
                    &control,
                    MsgFlags::empty(),
                    Some(&to),
                )
            }
            IpAddr::V6(ip) => {
                // Only a link-local source ties the answer to the card the
                // question came in on; otherwise the route chooses.
                let link_local = ip.is_unicast_link_local();
                let info = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr {
                        s6_addr: ip.octets(),
                    },
                    ipi6_ifindex: if link_local { local.interface } else { 0 },
                };
                let control = [ControlMessage::Ipv6PacketInfo(&info)];
                sendmsg(
                    socket.as_raw_fd(),
                    &iov,
                    &control,
                    MsgFlags::empty(),
                    Some(&to),
                )
            }
        };
        Ok(sent?)
    }
}

/// Elsewhere: no destination is ever known, and every answer is a plain
/// `send_to` (the behaviour of a server without this module).
#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
mod pktinfo {
    use std::io;
    use std::net::SocketAddr;

    use tokio::net::UdpSocket;

    use super::Destination;

    pub(super) fn enable(_socket: &UdpSocket) -> io::Result<()> {
        Err(io::ErrorKind::Unsupported.into())
    }

    pub(super) async fn recv(
        socket: &UdpSocket,
        buf: &mut [u8],
    ) -> io::Result<(usize, SocketAddr, Option<Destination>)> {
        let (n, peer) = socket.recv_from(buf).await?;
        Ok((n, peer, None))
    }

    pub(super) async fn send(
        socket: &UdpSocket,
        bytes: &[u8],
        peer: SocketAddr,
        _local: Destination,
    ) -> io::Result<usize> {
        socket.send_to(bytes, peer).await
    }
}

/// A UDP server's failed receive, for its log. The system reports the ICMP
/// "port unreachable" an earlier answer drew with TCP's words ("connection
/// refused"; Windows: "connection reset"), which would be wrong here: UDP
/// has no connection, only a client that was gone.
fn receive_error(e: &io::Error) -> String {
    if crate::net::is_udp_refusal(e) {
        "an earlier answer drew an ICMP \"port unreachable\": its client had \
         already gone (nothing listens on its port any more)"
            .to_string()
    } else {
        format!("UDP receive error: {}", describe_io(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The "port unreachable" an answer drew is logged as what it is, never
    /// as a connection refused or reset (UDP has none).
    #[test]
    fn a_refused_answer_is_logged_without_tcp_words() {
        let said = receive_error(&io::Error::from(io::ErrorKind::ConnectionRefused));
        assert!(said.contains("\"port unreachable\""), "{said}");
        assert!(!said.contains("connection"), "{said}");
        let other = receive_error(&io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(other.starts_with("UDP receive error: "), "{other}");
    }

    const WAIT: Duration = Duration::from_secs(5);

    /// A client whose socket is connected to `server`: it accepts only
    /// datagrams from that exact address, like `nc -u` and netlab's clients.
    fn connected_client(server: SocketAddr) -> std::net::UdpSocket {
        let client = std::net::UdpSocket::bind((server.ip(), 0)).unwrap();
        client.connect(server).unwrap();
        client.set_read_timeout(Some(WAIT)).unwrap();
        client
    }

    async fn answer_one(server: &UdpServerSocket) -> Option<Destination> {
        let mut buf = [0u8; 64];
        let (n, peer, local) = tokio::time::timeout(WAIT, server.recv_from(&mut buf))
            .await
            .expect("a datagram within the wait")
            .unwrap();
        server
            .send_to_from(&buf[..n], peer, local)
            .await
            .expect("the answer is sent");
        local
    }

    #[tokio::test]
    async fn next_datagram_gives_datagrams_until_shutdown() {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = UdpServerSocket::new(socket);
        let client = connected_client(server.local_addr().unwrap());
        client.send(b"").unwrap();
        let shutdown = CancellationToken::new();
        let mut buf = [0u8; 64];
        let waiting = server.next_datagram(&mut buf, &shutdown);
        let (n, peer, _) = tokio::time::timeout(WAIT, waiting)
            .await
            .expect("a datagram within the wait")
            .expect("no shutdown yet");
        assert_eq!((n, peer), (0, client.local_addr().unwrap()));
        shutdown.cancel();
        assert!(server.next_datagram(&mut buf, &shutdown).await.is_none());
    }

    #[tokio::test]
    async fn bound_to_one_address_the_kernel_already_answers_from_it() {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = UdpServerSocket::new(socket);
        assert!(!server.answers_from_destination());
        let client = connected_client(server.local_addr().unwrap());
        client.send(b"ping").unwrap();
        assert_eq!(answer_one(&server).await, None);
        let mut buf = [0u8; 64];
        let n = client.recv(&mut buf).expect("the answer");
        assert_eq!(&buf[..n], b"ping");
    }

    /// `127.0.0.2` is a loopback address of its own on Linux (all of
    /// `127.0.0.0/8` is), so one machine shows a second address.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test]
    async fn bound_to_any_address_the_answer_comes_from_the_one_asked() {
        let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        let server = UdpServerSocket::new(socket);
        assert!(server.answers_from_destination());
        let port = server.local_addr().unwrap().port();
        let asked: SocketAddr = ([127, 0, 0, 2], port).into();
        let client = connected_client(asked);
        client.send(b"ping").unwrap();
        let local = answer_one(&server).await.expect("a destination address");
        assert_eq!(local.ip, IpAddr::from([127, 0, 0, 2]));
        let mut buf = [0u8; 64];
        // The connected client drops an answer from any other address: it
        // arrives only if its source is 127.0.0.2.
        let n = client.recv(&mut buf).expect("the answer, from 127.0.0.2");
        assert_eq!(&buf[..n], b"ping");
    }

    /// A question sent to a broadcast address (here loopback's,
    /// 127.255.255.255) is answered from this machine's own address: a
    /// broadcast address cannot be the source of a datagram.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test]
    async fn a_broadcast_question_is_answered_from_an_address_of_ours() {
        let socket = UdpSocket::bind("0.0.0.0:0").await.unwrap();
        let server = UdpServerSocket::new(socket);
        let port = server.local_addr().unwrap().port();
        let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        client.set_broadcast(true).unwrap();
        client.set_read_timeout(Some(WAIT)).unwrap();
        client
            .send_to(b"anyone?", ("127.255.255.255", port))
            .unwrap();
        let local = answer_one(&server).await;
        assert_ne!(
            local.map(|d| d.ip),
            Some(IpAddr::from([127, 255, 255, 255])),
            "never answered from the broadcast address"
        );
        let mut buf = [0u8; 64];
        let (n, from) = client.recv_from(&mut buf).expect("an answer");
        assert_eq!(&buf[..n], b"anyone?");
        assert_eq!(from.port(), port);
    }

    /// A dual-stack `::` socket receives IPv4 too, as `::ffff:127.0.0.2`.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test]
    async fn a_dual_stack_socket_answers_ipv4_from_the_address_asked() {
        let Ok(socket) = UdpSocket::bind("[::]:0").await else {
            return; // No IPv6 on this machine: nothing to test.
        };
        let server = UdpServerSocket::new(socket);
        assert!(server.answers_from_destination());
        let port = server.local_addr().unwrap().port();
        let client = connected_client(([127, 0, 0, 2], port).into());
        client.send(b"ping").unwrap();
        let local = answer_one(&server).await.expect("a destination address");
        assert_eq!(local.ip, "::ffff:127.0.0.2".parse::<IpAddr>().unwrap());
        let mut buf = [0u8; 64];
        let n = client.recv(&mut buf).expect("the answer, from 127.0.0.2");
        assert_eq!(&buf[..n], b"ping");
    }
}
