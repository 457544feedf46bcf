//! # Step 2 — one thread per client
//!
//! **Course idea:** *one server serves many clients at once.* The only change
//! from step 1: each accepted connection is handed to a new thread, so the
//! loop goes straight back to `accept` and the next client is served at once.
//!
//! ## Try it
//!
//! ```text
//! cargo run --example 02_thread_per_client         # listens on 127.0.0.1:12007
//! nc 127.0.0.1 12007        in two (or ten) terminals: all get their echo
//! ss -tnp | grep 12007      one ESTAB line per client, each with its own port
//! ps -T -p $(pgrep -f 02_thread_per_client)   one thread per client (Linux)
//! ```
//!
//! The client ports you see (e.g. `127.0.0.1:45822`) were chosen by each
//! client's system: 32768–60999 on Linux, 49152–65535 on Windows.
//!
//! The price: a thread per client costs memory; ten thousand clients would be
//! ten thousand threads. Next step: `03_tokio_tasks`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(12007);
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!(
        "listening on {}, one thread per client",
        listener.local_addr()?
    );

    for stream in listener.incoming() {
        let stream = stream?;
        let peer = stream.peer_addr()?;
        println!("{peer} connected");
        // The one change from step 1: `thread::spawn` instead of a direct
        // call. The thread owns the stream (`move`); the loop continues.
        thread::spawn(move || match echo(stream) {
            Ok(n) => println!("{peer} left after {n} bytes"),
            Err(e) => println!("{peer} failed: {e}"),
        });
    }
    Ok(())
}

/// Sends back everything received, until the client closes its side.
fn echo(mut stream: TcpStream) -> std::io::Result<u64> {
    let mut buf = [0; 4096];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n])?;
        total += n as u64;
    }
}
