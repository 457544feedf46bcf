//! # Exercise 5 — an echo handler (reference solution)
//!
//! The statement is in `exercises/src/ex05_echo_handler.rs`.

use std::io::{self, Read, Write};
use std::net::TcpStream;

/// Echoes everything the client sends until it closes its side; returns the
/// number of bytes echoed.
pub fn handle(mut stream: TcpStream) -> io::Result<u64> {
    let mut buf = [0; 4096];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            // End of file: the client has closed its side.
            return Ok(total);
        }
        // Only the n bytes just received, all of them.
        stream.write_all(&buf[..n])?;
        total += n as u64;
    }
}
