//! # Exercise 6 — a line protocol, fed in awkward pieces
//!
//! TCP carries a *stream* of bytes: what the client wrote in one go may
//! arrive split in several pieces, and two writes may arrive glued together.
//! A protocol therefore needs *framing*: a rule saying where a message ends.
//! Text protocols (SMTP, HTTP, chat/1) use lines: a message ends at `\n`.
//!
//! The protocol here: the client sends lines, the server answers each one
//! with the same line in upper case. A line ends with `\n`; a `\r` just
//! before it (telnet and Windows send `\r\n`) is not part of the line, but
//! spaces are (`"  a b  "` is answered `"  A B  "`). The line `QUIT` makes
//! the server answer `BYE` and stop. At end of file the server stops too; a
//! last line without `\n` is still answered.
//!
//! ```text
//! client: hello\n       server: HELLO\n
//! client: Ça va ?\r\n   server: ÇA VA ?\n
//! client: QUIT\n        server: BYE\n        (and closes)
//! ```
//!
//! ## What to do
//!
//! Write [`uppercase_lines`]: wrap `input` in a `BufReader` and use
//! `read_line` (or `lines()`): it gathers the pieces until a whole line is
//! there. Write each answer **with its `\n`**, and make sure it leaves at
//! once: if you wrap `output` in a `BufWriter`, `flush` after each answer, or
//! the client waits forever. Return the number of lines answered (`QUIT`
//! not counted).
//!
//! [`handle`] is given: it plugs a `TcpStream` in, read side and write side.
//!
//! Check with `cargo test -p exercises --test ex06_uppercase`.
//! Sheet: `docs/exercices/06-uppercase.md` (English: `docs/exercises/06-uppercase.md`).

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;

/// Answers each line read from `input` with the line in upper case on
/// `output`, until end of file or `QUIT`. Returns the number of lines
/// answered.
pub fn uppercase_lines(input: impl Read, mut output: impl Write) -> io::Result<u64> {
    todo!("exercise 6: read whole lines, answer each in upper case")
}

/// Runs the protocol on a connected socket. Given, not to change.
pub fn handle(stream: TcpStream) -> io::Result<u64> {
    // try_clone gives a second handle on the same socket: one to read, one
    // to write.
    uppercase_lines(stream.try_clone()?, stream)
}
