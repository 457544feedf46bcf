//! # Step 6 — why framing matters: bytes arrive split and glued
//!
//! **Course idea:** TCP carries a *stream of bytes*, not messages. One
//! `write` of the sender may come out as several `read`s (split), and two
//! writes may come out as one `read` (glued). A protocol must say where a
//! message ends: a fixed size (step 5: 4 bytes), or a delimiter, here `\n`.
//! A *codec* turns the stream back into messages: `LinesCodec` keeps the
//! bytes until a `\n` arrives, and refuses lines longer than a limit so a
//! client without `\n` cannot fill the memory.
//!
//! This server prints every raw `read` next to the lines decoded from it.
//!
//! ## Try it
//!
//! ```text
//! cargo run --example 06_framing -- demo     # server + a client sending awkward pieces
//! cargo run --example 06_framing             # server only, on 127.0.0.1:16007
//! cargo run --example 06_framing -- 16008    # or on the port you give
//! nc 127.0.0.1 16007                         type "hel", Ctrl-D (sends without \n), "lo" Enter
//! printf 'a\nb\nc\n' | nc -q1 127.0.0.1 16007    three lines glued in one read
//! ```
//!
//! Next step: `07_broadcast_chat`, lines relayed from one client to all.

#[path = "common/explain.rs"]
mod explain; // turns an error into one plain line with its usual fix
#[path = "common/port.rs"]
mod port; // reads the port argument: a typo stops it with a plain message

use bytes::BytesMut;
use std::process::ExitCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, LinesCodec};

#[tokio::main]
async fn main() -> ExitCode {
    let arg = std::env::args().nth(1);
    let demo = arg.as_deref() == Some("demo");
    // The demo lets the OS pick a free port (0); otherwise, as in steps 1
    // to 5, a port from the command line or 16007.
    let port = if demo {
        0
    } else {
        port::server(arg.as_deref(), 16007)
    };
    explain::report(run(port, demo).await, port, "06_framing")
}

async fn run(port: u16, demo: bool) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    println!("listening on {addr}");
    if demo {
        tokio::spawn(awkward_client(addr.port()));
    }
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(client) => client,
            // One client's failure never stops the server (as in step 1).
            Err(e) => {
                println!("accept failed: {e}");
                // "Too many open files" fails again at once: pause, not spin at 100% CPU.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        tokio::spawn(async move {
            if let Err(e) = serve(stream).await {
                println!("{peer}: {e}");
            }
        });
    }
}

/// Prints each raw read and the lines the codec finds in it; echoes lines.
async fn serve(mut stream: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    let mut codec = LinesCodec::new_with_max_length(1024);
    let mut buffer = BytesMut::new();
    loop {
        let n = stream.read_buf(&mut buffer).await?;
        if n == 0 {
            return Ok(()); // end of file (a last line without \n is dropped)
        }
        let raw = &buffer[buffer.len() - n..];
        println!(
            "read() gave {n} byte(s): {:?}",
            String::from_utf8_lossy(raw)
        );
        // decode() takes a complete line out of the buffer, or says "not yet".
        while let Some(line) = codec.decode(&mut buffer)? {
            println!("    → a complete line: {line:?}");
            stream
                .write_all(format!("line: {line}\n").as_bytes())
                .await?;
        }
    }
}

/// A client that sends one line in three pieces, then three lines at once.
async fn awkward_client(port: u16) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    // Nagle's algorithm would merge our small writes; turn it off to see them.
    stream.set_nodelay(true)?;
    for piece in ["hel", "lo wor", "ld\n"] {
        stream.write_all(piece.as_bytes()).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stream.write_all(b"glued\ntogether\nin one write\n").await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut replies = String::new();
    stream.shutdown().await?;
    stream.read_to_string(&mut replies).await?;
    print!("the client received:\n{replies}");
    std::process::exit(0);
}
