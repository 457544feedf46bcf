//! # Step 1 — a blocking echo server, one client at a time
//!
//! **Course idea:** a server is a process that *listens permanently* on a
//! port and *answers*; the client *initiates*. This is the smallest server
//! there is: `bind`, then `accept` in a loop, then echo back what arrives.
//!
//! **Its flaw, on purpose:** it serves one client at a time. While it is busy
//! with the first, a second client can connect (the kernel completes the
//! connection and queues it) but nobody reads what it sends: it waits.
//!
//! ## Try it
//!
//! ```text
//! cargo run --example 01_blocking_echo            # listens on 127.0.0.1:11007
//! nc 127.0.0.1 11007        (or: telnet 127.0.0.1 11007)   type a line: it comes back
//! nc 127.0.0.1 11007        in a second terminal: type, nothing comes back…
//!                           …until you quit the first client (Ctrl-C; Ctrl-D only
//!                           with `nc -N`, which closes the connection at end of input)
//! ss -tlnp | grep 11007     Linux: the LISTEN socket and its process
//! netstat -ano | findstr 11007      Windows: the same, with the PID
//! ss -tnp | grep 11007      the ESTAB connections: the second one is there too
//! ```
//!
//! Next step: `02_thread_per_client` changes one thing to fix the flaw.

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
    // A port from the command line, or 11007 (echo is 7; examples add 11000).
    let port = port::server(std::env::args().nth(1).as_deref(), 11007);
    explain::report(serve(port), port, "01_blocking_echo")
}

fn serve(port: u16) -> std::io::Result<()> {
    // 127.0.0.1: only this machine can connect. 0.0.0.0 would open it to the
    // network (and the firewall would have its say).
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!(
        "listening on {}, one client at a time",
        listener.local_addr()?
    );

    // accept() waits for the next client and gives its socket and its
    // address; the loop calls it again and again: the server never stops.
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(client) => client,
            // An error here concerns one client (it may have hung up
            // already): say so and wait for the next one, never stop.
            Err(e) => {
                println!("accept failed: {e}");
                // "Too many open files" fails again at once: pause, not spin at 100% CPU.
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        println!("{peer} connected");
        // While this runs, no other client is accepted: that is the flaw.
        match echo(stream) {
            Ok(n) => println!("{peer} left after {n} bytes"),
            Err(e) => println!("{peer} failed: {e}"),
        }
    }
}

/// Sends back everything received, until the client closes its side.
fn echo(mut stream: TcpStream) -> std::io::Result<u64> {
    let mut buf = [0; 4096];
    let mut total = 0;
    loop {
        // read() waits for data; Ok(0) means the client closed: end of file.
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n])?;
        total += n as u64;
    }
}
