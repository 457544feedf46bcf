//! # Exercise 2 — an echo client that learns its own port
//!
//! The *client initiates*: it connects to the server's address and port.
//! Its own port is not chosen by the programmer but by the operating system,
//! a temporary ("ephemeral") port, different for each connection. On Linux
//! it comes from 32768–60999 (`cat /proc/sys/net/ipv4/ip_local_port_range`),
//! on Windows from 49152–65535, the IANA's dynamic range.
//!
//! An echo server (RFC 862) sends back every byte it receives.
//!
//! ## What to do
//!
//! Write [`echo_once`]: the stream is already connected to an echo server.
//!
//! 1. Find the local port of the stream (`TcpStream::local_addr`).
//! 2. Send `message` (all of it: `write_all`).
//! 3. Read back exactly as many bytes as you sent. The server may send them
//!    in several pieces, even one byte at a time: one `read` is not enough,
//!    `read_exact` loops for you.
//! 4. Return both in an [`EchoReply`].
//!
//! If the server closes the connection before everything came back, return
//! the error (`read_exact` gives `UnexpectedEof`): never invent a reply.
//!
//! Check with `cargo test -p exercises --test ex02_echo_client`.
//! Sheet: `docs/exercices/02-echo-client.md` (English: `docs/exercises/02-echo-client.md`).

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// What one round trip to an echo server gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EchoReply {
    /// The client's own port, chosen by the operating system.
    pub local_port: u16,
    /// What the server sent back (the same text, if all is well).
    pub reply: String,
}

/// Sends `message` on `stream`, reads the echo back, and reports it with the
/// client's own port.
pub fn echo_once(mut stream: TcpStream, message: &str) -> io::Result<EchoReply> {
    todo!("exercise 2: send {message:?}, read it back, and report the local port")
}
