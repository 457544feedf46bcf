//! # Step 5 — a binary protocol by hand: Time (RFC 868)
//!
//! **Course idea:** *a protocol is a common language.* Time's is tiny: the
//! client connects and says nothing; the server sends the number of seconds
//! since 1 January 1900 as **4 bytes, big-endian** ("network byte order"),
//! then closes. Both sides must agree on every bit: the epoch, the size, the
//! byte order. `to_be_bytes` / `from_be_bytes` do the conversion.
//!
//! ## Try it
//!
//! ```text
//! cargo run --example 05_time_by_hand                  # server on 127.0.0.1:15037
//! cargo run --example 05_time_by_hand -- client 15037  # the client, in another terminal
//! cargo run --example 05_time_by_hand -- client 10037  # against the real time-server
//! nc -d 127.0.0.1 15037 | xxd     the 4 raw bytes in hex (not text: nc alone shows garbage)
//! rdate -p -o 15037 127.0.0.1     a third-party RFC 868 client agrees
//! ```
//!
//! Next step: `06_framing`, for protocols whose messages have no fixed size.

#[path = "common/explain.rs"]
mod explain; // turns an error into one plain line with its usual fix
#[path = "common/port.rs"]
mod port; // reads the port argument: a typo stops it with a plain message

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::ExitCode;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds from 1900-01-01 to 1970-01-01 (the Unix epoch): 70 years, 17 leap days.
const SECONDS_1900_TO_1970: u64 = 2_208_988_800;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str);
    if arg(0) == Some("client") {
        let port = port::client(arg(1), 15037);
        explain::report(client(port), port, "05_time_by_hand")
    } else {
        let port = port::server(arg(0), 15037);
        explain::report(server(port), port, "05_time_by_hand")
    }
}

fn server(port: u16) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port))?;
    println!("time (RFC 868) on {}", listener.local_addr()?);
    loop {
        let (mut stream, peer) = match listener.accept() {
            Ok(client) => client,
            // One client's failure never stops the server (as in step 1).
            Err(e) => {
                println!("accept failed: {e}");
                // "Too many open files" fails again at once: pause, not spin at 100% CPU.
                thread::sleep(Duration::from_millis(100));
                continue;
            }
        };
        let unix = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        // `as u32` keeps the low 32 bits: the counter wraps in 2036, as the RFC says.
        let bytes = ((unix + SECONDS_1900_TO_1970) as u32).to_be_bytes();
        println!("{peer} ← {bytes:02x?}");
        // An iterative server is fine here: the answer takes microseconds.
        if let Err(e) = stream.write_all(&bytes) {
            println!("{peer} failed: {e}"); // it left already: on to the next
        }
        // `stream` is dropped: closing the connection ends the answer.
    }
}

fn client(port: u16) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    let mut bytes = [0; 4];
    // Not `read`: it could return fewer than 4 bytes. read_exact loops.
    stream.read_exact(&mut bytes)?;
    let since_1900 = u64::from(u32::from_be_bytes(bytes));
    let unix = since_1900.saturating_sub(SECONDS_1900_TO_1970);
    println!("received {bytes:02x?} = {since_1900} s since 1900 = {unix} s since 1970");
    println!(
        "(check: date -d @{unix}   or PowerShell: [DateTimeOffset]::FromUnixTimeSeconds({unix}))"
    );
    Ok(())
}
