//! # Step 7 — a minimal broadcast chat
//!
//! **Course idea:** the server *relays* between clients: what one says,
//! everyone hears. Each client gets a task (step 3), lines are framed with
//! `LinesCodec` (step 6), and a `broadcast` channel carries every message to
//! every task. A task waits on *two* things at once with `select!`: a line
//! from its client, or a message from the others.
//!
//! ## Try it
//!
//! ```text
//! cargo run --example 07_broadcast_chat      # listens on 127.0.0.1:17194
//! nc 127.0.0.1 17194        in two or three terminals (telnet works too)
//! ss -tnp | grep 17194      one connection per participant
//! ```
//!
//! In telnet, Ctrl-C does not quit: it sends Telnet commands, bytes such as
//! 0xff that are not UTF-8 text. `LinesCodec` refuses them, so this small
//! server cuts that client off and says why (`failed: Unable to decode
//! input as UTF8`). chat-server ignores Telnet commands.
//!
//! The finished version is `cargo run --bin chat-server` (port 10194): nicknames,
//! private messages, `LIST`, limits on everything, and `--trace`.

#[path = "common/explain.rs"]
mod explain; // turns an error into one plain line with its usual fix
#[path = "common/port.rs"]
mod port; // reads the port argument: a typo stops it with a plain message

use futures::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_util::codec::{Framed, LinesCodec};

#[tokio::main]
async fn main() -> ExitCode {
    let port = port::server(std::env::args().nth(1).as_deref(), 17194);
    explain::report(serve(port).await, port, "07_broadcast_chat")
}

async fn serve(port: u16) -> std::io::Result<()> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    println!("chat on {}", listener.local_addr()?);
    // Every message goes in; every receiver gets a copy. 64 messages of
    // backlog: a client too slow to keep up skips ahead instead of
    // making the server's memory grow.
    let (room, _) = broadcast::channel::<(SocketAddr, String)>(64);
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
        let room = room.clone();
        tokio::spawn(async move {
            println!("{peer} joined");
            // Say why a client was cut off (a line over 512 bytes, bytes
            // that are not UTF-8, a reset…).
            match client(stream, peer, room).await {
                Ok(()) => println!("{peer} left"),
                Err(e) => println!("{peer} failed: {e}"),
            }
        });
    }
}

async fn client(
    stream: TcpStream,
    me: SocketAddr,
    room: broadcast::Sender<(SocketAddr, String)>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut lines = Framed::new(stream, LinesCodec::new_with_max_length(512));
    let mut inbox = room.subscribe();
    lines.send(format!("welcome {me}")).await?;
    loop {
        tokio::select! {
            // A line from this client: hand it to everyone.
            line = lines.next() => match line {
                Some(line) => { let _ = room.send((me, line?)); }
                None => return Ok(()), // the client closed
            },
            // A message from the room: pass it on, unless it is our own.
            message = inbox.recv() => match message {
                Ok((from, text)) if from != me => lines.send(format!("{from}: {text}")).await?,
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    lines.send(format!("({n} messages lost: too slow)")).await?;
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            },
        }
    }
}
