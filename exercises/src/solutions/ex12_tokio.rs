//! # Exercise 12 (bonus) — tokio tasks (reference solution)
//!
//! The statement is in `exercises/src/ex12_tokio.rs`.

use std::io;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Accepts clients forever, each served by its own task.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, peer) = listener.accept().await?;
        // A task is cheap: thousands can wait on the network at once.
        tokio::spawn(async move {
            if let Err(e) = client(stream).await {
                eprintln!("{peer}: {e}");
            }
        });
    }
}

/// The protocol of exercise 6, with `.await` at every wait.
async fn client(stream: TcpStream) -> io::Result<()> {
    let (read_half, mut write_half) = stream.into_split();
    let mut reader = BufReader::new(read_half);
    let mut line = String::new();
    loop {
        line.clear();
        // No limit: a client that never sends `\n` grows `line` without bound;
        // a real server caps lines (LinesCodec::new_with_max_length).
        if reader.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let text = line.strip_suffix('\n').unwrap_or(&line);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text == "QUIT" {
            write_half.write_all(b"BYE\n").await?;
            return Ok(());
        }
        // No BufWriter, so nothing to flush: each answer leaves at once.
        write_half
            .write_all(format!("{}\n", text.to_uppercase()).as_bytes())
            .await?;
    }
}
