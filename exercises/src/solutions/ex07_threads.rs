//! # Exercise 7 — one thread per client (reference solution)
//!
//! The statement is in `exercises/src/ex07_threads.rs`.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::thread;

/// What to do with one client (for example the echo handler of exercise 5).
pub type Handler = fn(TcpStream) -> io::Result<()>;

/// Accepts clients forever and runs `handler` for each in its own thread.
pub fn serve(listener: TcpListener, handler: Handler) -> io::Result<()> {
    loop {
        let (stream, peer) = listener.accept()?;
        // The thread owns the stream; the loop goes straight back to accept.
        thread::spawn(move || {
            if let Err(e) = handler(stream) {
                eprintln!("{peer}: {e}");
            }
        });
    }
}
