//! # Exercise 7 — one server, many clients at once
//!
//! An iterative server (exercise 4) handles one client, then the next. That
//! is fine when each answer is instant, but an echo or chat client stays
//! connected: while the server is busy with it, `accept` is not called and
//! the second client waits (its connection sits in the kernel's queue; it
//! looks connected but nobody answers). Try it: `cargo run --example
//! 01_blocking_echo`, then two `nc 127.0.0.1 11007` side by side.
//!
//! The cure: the loop only accepts, and each client is handled by its own
//! thread, so the loop goes straight back to `accept`.
//!
//! ## What to do
//!
//! Write [`serve`]: for each connection from `listener.incoming()`, start a
//! thread (`std::thread::spawn`) that runs `handler(stream)`. An error from
//! one client's handler is printed (stderr) and only ends that client; the
//! server keeps serving the others. Do not `join` the threads inside the
//! loop: that would make the server iterative again.
//!
//! Check with `cargo test -p exercises --test ex07_threads`.
//! Sheet: `docs/exercices/07-threads.md` (English: `docs/exercises/07-threads.md`).

use std::io;
use std::net::{TcpListener, TcpStream};
use std::thread;

/// What to do with one client (for example the echo handler of exercise 5).
pub type Handler = fn(TcpStream) -> io::Result<()>;

/// Accepts clients forever and runs `handler` for each in its own thread.
pub fn serve(listener: TcpListener, handler: Handler) -> io::Result<()> {
    todo!("exercise 7: accept in a loop, one thread per client")
}
