//! # Exercise 6 — a line protocol (reference solution)
//!
//! The statement is in `exercises/src/ex06_uppercase.rs`.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::TcpStream;

/// Answers each line read from `input` with the line in upper case on
/// `output`, until end of file or `QUIT`. Returns the number of lines
/// answered.
pub fn uppercase_lines(input: impl Read, output: impl Write) -> io::Result<u64> {
    let mut input = BufReader::new(input);
    let mut output = BufWriter::new(output);
    let mut line = String::new();
    let mut answered = 0;
    loop {
        line.clear();
        // read_line gathers pieces until `\n` (or end of file): the framing.
        // Without a limit: a client that never sends `\n` grows `line` without
        // bound; a real server caps lines (LinesCodec::new_with_max_length).
        if input.read_line(&mut line)? == 0 {
            return Ok(answered);
        }
        let text = line.strip_suffix('\n').unwrap_or(&line);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text == "QUIT" {
            output.write_all(b"BYE\n")?;
            output.flush()?;
            return Ok(answered);
        }
        output.write_all(text.to_uppercase().as_bytes())?;
        output.write_all(b"\n")?;
        // Without this the answer waits in the BufWriter, and so does the
        // client.
        output.flush()?;
        answered += 1;
    }
}

/// Runs the protocol on a connected socket. Given, not to change.
pub fn handle(stream: TcpStream) -> io::Result<u64> {
    uppercase_lines(stream.try_clone()?, stream)
}
