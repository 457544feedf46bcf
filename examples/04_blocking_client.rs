//! # Step 4 — the other side: a blocking client
//!
//! **Course idea:** *the client initiates.* It needs the server's address and
//! port; its own port is picked by its operating system (an *ephemeral*
//! port: 32768–60999 on Linux, 49152–65535 on Windows). This client sends
//! each line you type and prints the echo.
//!
//! ## Try it
//!
//! ```text
//! cargo run --example 03_tokio_tasks               # a server, in one terminal
//! cargo run --example 04_blocking_client           # connects to 127.0.0.1:13007
//! cargo run --example 04_blocking_client -- 10007  # or to the real echo-server
//! ss -tnp | grep 13007      two lines: client→server and server→client
//! ```
//!
//! Without a server: `connection refused` (nobody listens on that port).
//!
//! **Its limit:** a blocking client does one thing at a time: send the whole
//! line, *then* read the echo. Paste one huge line (megabytes) and it freezes:
//! while it is still sending, the echo comes back and nobody reads it; once
//! the buffers on the way back are full, the server waits to send and stops
//! reading, the buffers on the way there fill up too, and each side waits
//! for the other forever. The fix is a second thread, reading while the
//! first one writes: exercise 11 does exactly that.
//!
//! Next step: `05_time_by_hand`, a protocol made of bytes, not text.

#[path = "common/explain.rs"]
mod explain; // turns an error into one plain line with its usual fix
#[path = "common/port.rs"]
mod port; // reads the port argument: a typo stops it with a plain message

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::ExitCode;

fn main() -> ExitCode {
    let port = port::client(std::env::args().nth(1).as_deref(), 13007);
    explain::report(talk(port), port, "03_tokio_tasks")
}

fn talk(port: u16) -> std::io::Result<()> {
    // connect() does the TCP handshake (SYN, SYN-ACK, ACK) with the server.
    let stream = TcpStream::connect(("127.0.0.1", port))?;
    println!(
        "connected: me {} → server {}",
        stream.local_addr()?,
        stream.peer_addr()?
    );
    println!("type lines; Ctrl-D (Ctrl-Z on Windows) to quit");

    let mut to_server = stream.try_clone()?;
    let mut from_server = BufReader::new(stream);
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        // The `\n` matters: it is how the other side knows the line ended.
        to_server.write_all(format!("{line}\n").as_bytes())?;
        let mut echo = String::new();
        // Blocking: this program waits here until the echo arrives. While it
        // waits it cannot read the keyboard (the chat client must do both:
        // see step 7 and exercise 11).
        if from_server.read_line(&mut echo)? == 0 {
            println!("the server closed the connection");
            break;
        }
        print!("echo: {echo}");
    }
    Ok(())
}
