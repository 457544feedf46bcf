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

#[path = "common/explain.rs"]
mod explain; // turns an error into one plain line with its usual fix
#[path = "common/port.rs"]
mod port; // reads the port argument: a typo stops it with a plain message

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::Duration;

fn main() -> ExitCode {
    let port = port::server(std::env::args().nth(1).as_deref(), 12007);
    explain::report(serve(port), port, "02_thread_per_client")
}

fn serve(port: u16) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!(
        "listening on {}, one thread per client",
        listener.local_addr()?
    );

    loop {
        let (stream, peer) = match listener.accept() {
            Ok(client) => client,
            // One client's failure never stops the server (as in step 1).
            Err(e) => {
                println!("accept failed: {e}");
                // "Too many open files" fails again at once: pause, not spin at 100% CPU.
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        println!("{peer} connected");
        // The one change from step 1: `thread::spawn` instead of a direct
        // call. The thread owns the stream (`move`); the loop continues.
        thread::spawn(move || match echo(stream) {
            Ok(n) => println!("{peer} left after {n} bytes"),
            Err(e) => println!("{peer} failed: {e}"),
        });
    }
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
