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
//! Write [`serve`]: for each client, in its own thread:
//!
//! 1. add 1 to `stats.total` and to `stats.connected` (`fetch_add` returns
//!    the value *before* the addition);
//! 2. send `welcome, you are client #N (M connected)\n`, where N is the new
//!    total and M the new number connected;
//! 3. read (and ignore) what the client sends until it closes (`Ok(0)`) or
//!    the connection fails;
//! 4. subtract 1 from `stats.connected`, whatever happened.
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

/// Accepts clients forever; each is welcomed with its number and counted
/// while it stays connected.
pub fn serve(listener: TcpListener, stats: Arc<Stats>) -> io::Result<()> {
    todo!("exercise 8: count clients in shared atomics, one thread each")
}
