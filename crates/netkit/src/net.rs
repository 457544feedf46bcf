//! # Listening and connecting, with explained errors
//!
//! The two gestures of client/server communication:
//!
//! - a **server** opens a port and waits there permanently ([`bind_tcp`],
//!   [`bind_udp`], [`bind_tcp_and_udp`]), then says where it listens
//!   ([`announce`]); it makes sure the OS lets it hold as many connections
//!   as it promises to serve ([`make_room_for`]), and takes its clients one
//!   after the other ([`accept`]);
//! - a **client** initiates: it connects to the server's address and port
//!   ([`connect_tcp`], [`udp_socket_for`], [`UdpServer`] when a name has
//!   several addresses).
//!
//! Every failure comes back as a [`NetError`](crate::NetError) that
//! explains itself. A server's bind errors name the flag that chose the
//! port: `--port` for [`bind_tcp`] and its siblings, any other with
//! [`bind_tcp_set_by`], [`bind_udp_set_by`] and [`bind_tcp_and_udp_set_by`].
//!
//! One file per step, in `net/`: `resolve.rs` (a name to addresses),
//! `listen.rs` (a server opens its port), `accept.rs` (it takes its
//! clients), `connect.rs` (a client initiates), `udp_client.rs` (a client
//! aimed at a UDP server) and `keepalive.rs` (noticing a peer whose machine
//! has gone).

mod accept;
mod connect;
mod keepalive;
mod listen;
mod resolve;
mod udp_client;

pub use accept::accept;
pub use connect::{AFTER_THE_ANSWER, connect_tcp};
pub use keepalive::{keepalive_gives_up_after, parse_keepalive, watch_peer, watch_server};
pub use listen::{
    LISTEN_BACKLOG, announce, bind_tcp, bind_tcp_and_udp, bind_tcp_and_udp_set_by, bind_tcp_set_by,
    bind_udp, bind_udp_set_by, local_addr, make_room_for,
};
pub use resolve::resolve;
pub use udp_client::{UdpServer, is_udp_refusal, udp_socket_for};

use std::net::SocketAddr;

/// `addr` with an IPv4-mapped IPv6 address (`[::ffff:10.0.0.2]:5000`, how a
/// dual-stack socket sees an IPv4 peer) written as the IPv4 address it is.
pub fn canonical(addr: SocketAddr) -> SocketAddr {
    SocketAddr::new(addr.ip().to_canonical(), addr.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv4_client_of_a_dual_stack_server_is_shown_as_ipv4() {
        let mapped: SocketAddr = "[::ffff:10.0.0.2]:5000".parse().unwrap();
        assert_eq!(canonical(mapped), "10.0.0.2:5000".parse().unwrap());
        let v6: SocketAddr = "[fd00::2]:5000".parse().unwrap();
        assert_eq!(canonical(v6), v6);
    }
}
