//! # Exercise 3 — a time client (RFC 868) that survives a slow server
//!
//! The Time protocol (RFC 868, port 37; netlab's `time-server` listens on
//! 10037) is *binary*: the server sends exactly 4 bytes, the number of
//! seconds since **1 January 1900**, as a 32-bit unsigned integer in
//! **big-endian** order (most significant byte first, the "network byte
//! order"), then closes the connection. Nothing is sent by the client.
//!
//! Unix time counts from 1 January 1970; between the two epochs there are
//! 70 years including 17 leap days: 2 208 988 800 seconds.
//!
//! TCP is a stream: the 4 bytes may arrive in 4 pieces of one byte. A single
//! `read` may return 1, 2, 3 or 4 bytes; `read_exact` loops until it has
//! them all, or fails with `UnexpectedEof` if the server closed too early.
//!
//! ## What to do
//!
//! 1. [`to_unix`]: convert an RFC 868 value to Unix seconds.
//! 2. [`read_time`]: read the 4 bytes from `stream` (any [`Read`]: a
//!    `TcpStream` or, in the tests, a reader that trickles bytes), decode them
//!    with `u32::from_be_bytes`, and return Unix seconds.
//!
//! Check with `cargo test -p exercises --test ex03_time_client`.
//! Sheet: `docs/exercices/03-time-client.md` (English: `docs/exercises/03-time-client.md`).

use std::io::{self, Read};

/// Converts seconds since 1900-01-01 (RFC 868) to seconds since 1970-01-01
/// (Unix time).
pub fn to_unix(rfc868: u32) -> i64 {
    todo!("exercise 3: convert {rfc868} from the 1900 epoch to the 1970 epoch")
}

/// Reads one RFC 868 answer (4 bytes, big-endian) and returns it as Unix
/// seconds. Fails if the stream ends before 4 bytes arrived.
pub fn read_time(mut stream: impl Read) -> io::Result<i64> {
    todo!("exercise 3: read exactly 4 bytes, decode them big-endian")
}
