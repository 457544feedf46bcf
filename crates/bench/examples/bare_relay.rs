//! # A bare chat relay: the floor the scaling target is judged against
//!
//! The smallest tokio broadcast relay that `netlab-bench chat-fanout --mode
//! raw` can measure: one task per client, one `tokio::sync::broadcast`
//! channel, each line relayed to the others as `<userN> text` (the format of
//! `ncat --chat`). It has none of chat-server's protocol, limits, time-outs,
//! trace or logging, so its cost per delivered line is what the machine and
//! tokio charge for the fan-out itself. docs/benchmarks.md compares its
//! growth from 10 to 1,000 clients with chat-server's: what a bare relay
//! cannot do on a machine, no chat server can.
//!
//! Not a server to teach from (nothing here is bounded but the channel: a
//! client that never ends its line grows its buffer without limit).
//!
//! ```sh
//! cargo run --release -p bench --example bare_relay -- 61400 &
//! netlab-bench --threads 1 chat-fanout --mode raw --port 61400 \
//!     --clients 1000 --senders 5 --messages 40 --rate 20 --pid $!
//! ```

mod bare;

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

/// Lines sent together by one client, and who sent them.
type Said = (u64, Arc<[u8]>);

fn main() {
    bare::main("bare_relay", serve);
}

async fn serve(listener: TcpListener) -> std::io::Result<()> {
    let (room, _) = broadcast::channel::<Said>(1024);
    let mut next_id = 0;
    loop {
        let (socket, _) = listener.accept().await?;
        next_id += 1;
        tokio::spawn(client(socket, next_id, room.clone()));
    }
}

async fn client(socket: TcpStream, id: u64, room: broadcast::Sender<Said>) {
    let _ = socket.set_nodelay(true);
    let mut heard = room.subscribe();
    let (mut read, mut write) = socket.into_split();
    // The load tool waits for a first line, as ncat greets each client.
    if write.write_all(b"welcome\n").await.is_err() {
        return;
    }
    let prefix = format!("<user{id}> ");
    let mut input = Vec::with_capacity(4096);
    let mut output = Vec::with_capacity(4096);
    loop {
        tokio::select! {
            read = read.read_buf(&mut input) => {
                if !matches!(read, Ok(1..)) {
                    return;
                }
                // Complete lines go to the room in one buffer, prefixed.
                if let Some(end) = input.iter().rposition(|&b| b == b'\n') {
                    let mut lines = Vec::with_capacity(end + 1 + 16 * prefix.len());
                    for line in input[..=end].split_inclusive(|&b| b == b'\n') {
                        lines.extend_from_slice(prefix.as_bytes());
                        lines.extend_from_slice(line);
                    }
                    input.drain(..=end);
                    let _ = room.send((id, lines.into()));
                }
                input.reserve(1024);
            }
            said = heard.recv() => {
                // Behind by a whole channel: dropped, as a slow ncat client is.
                let Ok(first) = said else { return };
                let mut next = Ok(first);
                // Everything already waiting goes out in one write.
                while let Ok((from, lines)) = next {
                    if from != id {
                        output.extend_from_slice(&lines);
                    }
                    next = heard.try_recv();
                }
                if !output.is_empty() {
                    if write.write_all(&output).await.is_err() {
                        return;
                    }
                    output.clear();
                }
            }
        }
    }
}
