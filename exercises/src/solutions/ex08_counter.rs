//! # Exercise 8 — a shared client counter (reference solution)
//!
//! The statement is in `exercises/src/ex08_counter.rs`.

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
        // fetch_add reads and adds in one step: no other thread's change
        // can come in between. Its result is this client's own, unlike a
        // load() afterwards, which may already see the next client's.
        let number = self.total.fetch_add(1, Ordering::SeqCst) + 1;
        let connected = self.connected.fetch_add(1, Ordering::SeqCst) + 1;
        (number, connected)
    }

    /// Counts a client that leaves: subtracts 1 from `connected`.
    pub fn leave(&self) {
        self.connected.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Accepts clients forever; each is welcomed with its number and counted
/// while it stays connected.
pub fn serve(listener: TcpListener, stats: Arc<Stats>) -> io::Result<()> {
    loop {
        let (stream, peer) = listener.accept()?;
        // Each thread gets its own Arc: a second pointer to the same Stats.
        let stats = Arc::clone(&stats);
        thread::spawn(move || {
            let (number, connected) = stats.arrive();
            if let Err(e) = client(stream, number, connected) {
                eprintln!("{peer}: {e}");
            }
            // Reached however client() ended, error or not.
            stats.leave();
        });
    }
}

/// Greets one client, then waits until it leaves.
fn client(mut stream: TcpStream, number: usize, connected: usize) -> io::Result<()> {
    writeln!(
        stream,
        "welcome, you are client #{number} ({connected} connected)"
    )?;
    let mut buf = [0; 1024];
    while stream.read(&mut buf)? > 0 {}
    Ok(())
}
