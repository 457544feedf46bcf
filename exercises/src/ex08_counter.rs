//! # Exercise 8 — a client counter shared between threads
//!
//! With one thread per client (exercise 7), every client runs at the same
//! time. Some facts belong to the whole server, not to one client: how many
//! clients came, how many are connected now. Every thread must see and change
//! the *same* counters, so they are shared (`Arc`, a pointer several threads
//! may own) and changed atomically (`AtomicUsize::fetch_add`), so that two
//! clients arriving together never get the same number.
//!
//! ## What to do
//!
//! First the two changes to the counters, as methods of [`Stats`]:
//!
//! - [`Stats::arrive`]: add 1 to `total` and to `connected` (`fetch_add`
//!   returns the value *before* the addition) and return both new values;
//! - [`Stats::leave`]: subtract 1 from `connected`.
//!
//! Then [`serve`]: for each client, in its own thread:
//!
//! 1. `stats.arrive()`;
//! 2. send `welcome, you are client #N (M connected)\n`, where N is the new
//!    total and M the new number connected;
//! 3. read (and ignore) what the client sends until it closes (`Ok(0)`) or
//!    the connection fails;
//! 4. `stats.leave()`, whatever happened.
//!
//! The tests call `arrive` and `leave` from several threads at once, hundreds
//! of thousands of times: a change lost between a `load` and a `store` shows.
//!
//! ```text
//! $ nc 127.0.0.1 PORT
//! welcome, you are client #3 (2 connected)
//! ```
//!
//! Check with `cargo test -p exercises --test ex08_counter`.
//! Sheet: `docs/exercices/08-counter.md` (English: `docs/exercises/08-counter.md`).

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

/// Counters shared by every client thread.
#[derive(Debug, Default)]
pub struct Stats {
    /// Clients that ever connected.
    pub total: AtomicUsize,
    /// Clients connected right now.
    pub connected: AtomicUsize,
}

impl Stats {
    /// Counts a client that arrives: adds 1 to `total` and to `connected`,
    /// and returns `(N, M)`: the client's number (the new total) and how
    /// many clients are connected now, this one included.
    pub fn arrive(&self) -> (usize, usize) {
        todo!("exercise 8: fetch_add on both counters")
    }

    /// Counts a client that leaves: subtracts 1 from `connected`.
    pub fn leave(&self) {
        todo!("exercise 8: fetch_sub")
    }
}

/// Accepts clients forever; each is welcomed with its number and counted
/// while it stays connected.
pub fn serve(listener: TcpListener, stats: Arc<Stats>) -> io::Result<()> {
    todo!("exercise 8: count clients in shared atomics, one thread each")
}
