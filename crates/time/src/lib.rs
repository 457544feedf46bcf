//! # The time pair: RFC 868 (time) and RFC 867 (daytime)
//!
//! Echo sends your bytes back; a time server **speaks first**: as soon as a
//! client connects (TCP) or sends any datagram (UDP), it answers with the
//! time and is done. Two services, two languages, one process:
//!
//! - **time** (RFC 868, netlab port 10037): 4 binary bytes, the seconds
//!   since 1900 — a *binary* protocol, made for programs (rdate reads it);
//! - **daytime** (RFC 867, netlab port 10013): one line of text,
//!   `Tuesday, November 24, 2026 03:38:07-UTC` — a *text* protocol, made
//!   for people (nc shows it).
//!
//! One process holding two ports makes "1 service = 1 port" visible: the
//! port a client knocks on decides which language it gets back.
//!
//! - [`server`]: `serve`, the two services over TCP and UDP, with limits.
//! - [`client`]: ask a server, and explain its answer (or why it makes no sense).
//! - [`clock`]: where "now" comes from — injected, so tests can fix it.
//!
//! The protocols themselves (bytes ↔ instants) are in [`codec::time`].

pub mod client;
pub mod clock;
pub mod server;

pub use codec::time::{DEFAULT_DAYTIME_PORT, DEFAULT_TIME_PORT, Protocol};

use std::net::SocketAddr;
use std::sync::Arc;

use netkit::error::Transport;
use netkit::trace::{Tap, Way};

/// The `--trace` view for `protocol`, on both sides: RFC 868's answer is a
/// binary number, shown in hex in the direction it travels (`answer`: `Out`
/// on the server, `In` on the client); a daytime line is text, shown as text,
/// and so is anything a person types at a time server.
pub(crate) fn tap_for(
    protocol: Protocol,
    peer: SocketAddr,
    trace: bool,
    transport: Transport,
    answer: Way,
) -> Arc<Tap> {
    let binary = in_hex(protocol, answer);
    match (transport, binary) {
        (Transport::Udp, _) => Tap::datagrams(peer, trace, binary),
        (Transport::Tcp, Some(way)) => Tap::binary(peer, trace, way),
        (Transport::Tcp, None) => Tap::new(peer, trace),
    }
}

/// The way (`answer`) whose bytes `--trace` always shows in hex, if any:
/// RFC 868's 4-byte answer is a binary number; daytime has none.
pub(crate) fn in_hex(protocol: Protocol, answer: Way) -> Option<Way> {
    (protocol == Protocol::Time).then_some(answer)
}
