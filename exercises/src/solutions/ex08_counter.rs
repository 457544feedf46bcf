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

/// Accepts clients forever; each is welcomed with its number and counted
/// while it stays connected.
pub fn serve(listener: TcpListener, stats: Arc<Stats>) -> io::Result<()> {
    loop {
        let (stream, peer) = listener.accept()?;
        // Each thread gets its own Arc: a second pointer to the same Stats.
        let stats = Arc::clone(&stats);
        thread::spawn(move || {
            let number = stats.total.fetch_add(1, Ordering::SeqCst) + 1;
            let connected = stats.connected.fetch_add(1, Ordering::SeqCst) + 1;
            if let Err(e) = client(stream, number, connected) {
                eprintln!("{peer}: {e}");
            }
            // Reached however client() ended, error or not.
            stats.connected.fetch_sub(1, Ordering::SeqCst);
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
