//! # Exercise 11 — a chat client (reference solution)
//!
//! The statement is in `exercises/src/ex11_chat_client.rs`.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;

/// Relays `keyboard` to the server and the server to `screen`, until the
/// server closes the connection.
pub fn run(
    stream: TcpStream,
    keyboard: impl BufRead + Send + 'static,
    mut screen: impl Write,
) -> io::Result<()> {
    let mut to_server = stream.try_clone()?;
    // Keyboard → socket, on its own thread, so that a user who types nothing
    // does not stop the server's lines from showing.
    thread::spawn(move || {
        for line in keyboard.lines() {
            let Ok(line) = line else { break };
            if writeln!(to_server, "{line}").is_err() {
                return; // the connection is gone; the other side will see it
            }
        }
        // End of keyboard: tell the server we are done talking, while still
        // listening to what it has to say.
        let _ = to_server.shutdown(Shutdown::Write);
    });
    // Socket → screen, until the server closes.
    let mut from_server = BufReader::new(stream);
    let mut line = String::new();
    while from_server.read_line(&mut line)? > 0 {
        screen.write_all(line.as_bytes())?;
        screen.flush()?;
        line.clear();
    }
    Ok(())
}
