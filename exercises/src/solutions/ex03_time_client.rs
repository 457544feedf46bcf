//! # Exercise 3 — a time client (reference solution)
//!
//! The statement is in `exercises/src/ex03_time_client.rs`.

use std::io::{self, Read};

/// Seconds from 1900-01-01 to 1970-01-01: 70 years, 17 of them leap years.
const SECONDS_1900_TO_1970: i64 = (70 * 365 + 17) * 24 * 60 * 60;

/// Converts seconds since 1900-01-01 (RFC 868) to seconds since 1970-01-01
/// (Unix time).
pub fn to_unix(rfc868: u32) -> i64 {
    i64::from(rfc868) - SECONDS_1900_TO_1970
}

/// Reads one RFC 868 answer (4 bytes, big-endian) and returns it as Unix
/// seconds. Fails if the stream ends before 4 bytes arrived.
pub fn read_time(mut stream: impl Read) -> io::Result<i64> {
    let mut bytes = [0; 4];
    // One read() may return fewer than 4 bytes; read_exact loops.
    stream.read_exact(&mut bytes)?;
    Ok(to_unix(u32::from_be_bytes(bytes)))
}
