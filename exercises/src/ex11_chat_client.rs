//! # Exercise 11 — a chat client relaying keyboard and socket
//!
//! A chat client listens to **two** sources at once: the keyboard (what you
//! type goes to the server) and the socket (what others say must appear even
//! while you are not typing). Reading one blocks: a program that waits on
//! the keyboard cannot notice a message from the server. The classic answer
//! is a second thread: one copies keyboard → socket, the other copies
//! socket → screen.
//!
//! ## What to do
//!
//! Write [`run`]. The stream is connected to a line-based server (for
//! example `chat-server`, or exercise 10). `keyboard` and `screen` are
//! passed in so that the tests can play the user; `cargo run -p exercises
//! --bin play -- 11` gives `BufReader::new(std::io::stdin())` and
//! `std::io::stdout()`, to chat with `chat-server` for real.
//!
//! 1. Start a thread that reads `keyboard` line by line and writes each line
//!    to a clone of the stream (`try_clone`), **with its `\n`**. When the
//!    keyboard reaches end of file (Ctrl-D), close the writing side of the
//!    socket: `stream.shutdown(Shutdown::Write)`. The server then sees end of
//!    file and can say goodbye.
//! 2. Meanwhile, in the calling thread, read the socket line by line and
//!    write each line to `screen`, `flush`ing after each one (a `Stdout` is
//!    line-buffered, but `screen` may not be).
//! 3. When the server closes the connection (`Ok(0)`), return `Ok(())`,
//!    even if the keyboard thread is still waiting for a key (do not `join`
//!    it; the program ends anyway).
//!
//! Check with `cargo test -p exercises --test ex11_chat_client`.
//! Sheet: `docs/exercices/11-chat-client.md` (English: `docs/exercises/11-chat-client.md`).

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::thread;

/// Relays `keyboard` to the server and the server to `screen`, until the
/// server closes the connection.
pub fn run(
    stream: TcpStream,
    keyboard: impl BufRead + Send + 'static,
    screen: impl Write,
) -> io::Result<()> {
    todo!("exercise 11: one thread for the keyboard, this one for the socket")
}
