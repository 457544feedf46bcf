//! # Exercise 4 — an iterative time server (reference solution)
//!
//! The statement is in `exercises/src/ex04_time_server.rs`.

use std::io::{self, Write};
use std::net::TcpListener;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds from 1900-01-01 to 1970-01-01.
const SECONDS_1900_TO_1970: u64 = 2_208_988_800;

/// The 4 bytes RFC 868 sends for the moment `now`.
pub fn time_bytes(now: SystemTime) -> [u8; 4] {
    // A clock set before 1970 is counted as 1970 rather than failing.
    let unix = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    // The 32-bit counter wraps in February 2036: RFC 868 says so; `as u32`
    // keeps the low 32 bits, which is exactly that wrap.
    let rfc868 = (unix + SECONDS_1900_TO_1970) as u32;
    rfc868.to_be_bytes()
}

/// Answers every client that connects to `listener` with the current time,
/// one client after the other, forever.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        // The sheet keeps it simple: an error from accept() itself ends
        // serve(). The examples (01_blocking_echo…) go further and never
        // stop there: such an error may concern one client (gone before it
        // was accepted) or pass ("too many open files", until clients
        // leave), so they print it, pause and accept again. An error while
        // answering is always about one client: print it, go on.
        let (mut stream, peer) = listener.accept()?;
        if let Err(e) = stream.write_all(&time_bytes(SystemTime::now())) {
            eprintln!("{peer}: {e}");
        }
        // `stream` is dropped here: the connection is closed, which tells the
        // client the answer is complete.
    }
}
