//! # Exercise 2 — an echo client (reference solution)
//!
//! The statement is in `exercises/src/ex02_echo_client.rs`.

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
    // The OS picked this port when the stream connected.
    let local_port = stream.local_addr()?.port();
    stream.write_all(message.as_bytes())?;
    // TCP delivers a stream of bytes, not messages: the echo may come back
    // in pieces, so read until we have as many bytes as we sent.
    let mut buf = vec![0; message.len()];
    stream.read_exact(&mut buf)?;
    let reply =
        String::from_utf8(buf).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(EchoReply { local_port, reply })
}
