//! # Exercise 4 — an iterative time server
//!
//! A server *listens permanently* on its port: it accepts a connection,
//! answers, and goes back to waiting for the next client, forever. This one
//! is *iterative*: it serves one client after the other (fine here, since
//! each answer takes microseconds; exercise 7 shows when it is not).
//!
//! The answer is the RFC 868 one (see exercise 3): 4 bytes, seconds since
//! 1900-01-01, big-endian, then the server closes the connection.
//!
//! ## What to do
//!
//! 1. [`time_bytes`]: encode a moment as the 4 RFC 868 bytes
//!    (`duration_since(UNIX_EPOCH)`, add the 1900→1970 offset, `as u32`
//!    — it wraps around in 2036, as the RFC says — then `to_be_bytes`).
//! 2. [`serve`]: loop over `listener.accept()` (it gives the stream *and*
//!    the client's address, already known: asking the stream for it later
//!    fails if the client has gone); for each client, write the
//!    bytes of *now* and drop the stream (dropping closes the connection).
//!    A client that hung up before its answer is not a reason to stop: skip
//!    it (print the error on stderr) and serve the next one. `serve` only
//!    returns if the listener itself fails.
//!
//! Try it: `cargo run -p exercises --bin play -- 4` runs your server on port
//! 18004; `nc -d 127.0.0.1 18004 | xxd` shows the 4 bytes, and
//! `cargo run --example 05_time_by_hand -- client 18004` decodes them.
//!
//! Check with `cargo test -p exercises --test ex04_time_server`.
//! Sheet: `docs/exercices/04-time-server.md` (English: `docs/exercises/04-time-server.md`).

use std::io::{self, Write};
use std::net::TcpListener;
use std::time::{SystemTime, UNIX_EPOCH};

/// The 4 bytes RFC 868 sends for the moment `now`.
pub fn time_bytes(now: SystemTime) -> [u8; 4] {
    todo!("exercise 4: encode {now:?} as 4 big-endian bytes since 1900")
}

/// Answers every client that connects to `listener` with the current time,
/// one client after the other, forever.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    todo!("exercise 4: accept, answer, close, repeat")
}
