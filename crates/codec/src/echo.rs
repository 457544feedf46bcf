//! # Echo (RFC 862)
//!
//! The whole protocol fits in one sentence: *whatever the client sends, the
//! server sends back, unchanged.* There are no messages to parse, no framing,
//! no "end of request": bytes are bytes, text or binary alike.
//!
//! - **TCP**: the server sends back every byte it receives, until the client
//!   closes its side of the connection.
//! - **UDP**: each datagram received is sent back, as one datagram, to the
//!   address and port it came from — unless that port belongs to a server
//!   (see [`ports::may_answer_udp`]): two echo-like servers answering each
//!   other would never stop.
//!
//! The RFC reserves port 7 for both transports; netlab uses 7 + 10000 = 10007
//! by default (see [`crate::ports`]). Because there is nothing to decode, this
//! module only holds the constants both sides need.

use crate::ports;

/// The port RFC 862 assigns to echo, on TCP and on UDP.
pub const WELL_KNOWN_PORT: u16 = ports::ECHO;

/// The port netlab's echo-server listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = ports::netlab_default(WELL_KNOWN_PORT);

/// The largest payload one UDP datagram can carry over IPv4
/// (65,535 − 8 bytes of UDP header − 20 bytes of IP header).
/// A client that must send over IPv4 cannot send more in one datagram.
pub const MAX_UDP_PAYLOAD: usize = 65_507;

/// The largest payload one UDP datagram can carry over IPv6: 20 bytes more
/// than IPv4, because IPv6's length field does not count the IP header
/// (65,535 − 8 bytes of UDP header). UDP's own 16-bit length field allows no more.
pub const MAX_UDP_PAYLOAD_V6: usize = 65_535 - 8;

/// The receive buffer for UDP: large enough for any datagram, over IPv4 or
/// IPv6. A smaller buffer silently truncates long datagrams: the OS drops
/// what does not fit, and the program never learns the datagram was longer.
pub const UDP_RECV_BUFFER: usize = 65_535;
