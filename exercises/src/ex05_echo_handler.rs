//! # Exercise 5 — an echo handler that stops at end of file
//!
//! The server side of echo (RFC 862): send back every byte received, until
//! the client closes its side of the connection. How does the server know?
//! `read` returns `Ok(0)`: **zero bytes means end of file**, never "nothing
//! yet" (when nothing has arrived yet, `read` waits).
//!
//! ## What to do
//!
//! Write [`handle`]: in a loop, `read` into a buffer (say 4096 bytes); on
//! `Ok(0)` stop; otherwise `write_all` exactly the bytes you read
//! (`&buf[..n]`, not the whole buffer). Return how many bytes were echoed.
//!
//! Common mistakes: looping forever on `Ok(0)` (100 % CPU), sending the whole
//! buffer instead of the `n` bytes received, `write` instead of `write_all`.
//!
//! Check with `cargo test -p exercises --test ex05_echo_handler`.
//! Sheet: `docs/exercices/05-echo-handler.md` (English: `docs/exercises/05-echo-handler.md`).

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// Echoes everything the client sends until it closes its side; returns the
/// number of bytes echoed.
pub fn handle(mut stream: TcpStream) -> io::Result<u64> {
    todo!("exercise 5: read, write back, stop on Ok(0)")
}
