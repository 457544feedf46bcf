//! # Exercise 10 — a broadcast chat server (reference solution)
//!
//! The statement is in `exercises/src/ex10_chat_server.rs`.
//!
//! Known limit, kept for simplicity: a client that stops reading makes
//! `write_all` wait once its socket buffer is full, while the lock is held,
//! which stalls everyone. The real `chat-server` gives each client a bounded
//! queue and cuts off the one that falls behind.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// Every connected client, by address, with a handle to write to it.
type Clients = Arc<Mutex<HashMap<SocketAddr, TcpStream>>>;

/// Accepts clients forever and relays every line to every other client.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    let clients: Clients = Arc::default();
    loop {
        let (stream, peer) = listener.accept()?;
        let clients = Arc::clone(&clients);
        thread::spawn(move || {
            if let Err(e) = client(stream, peer, &clients) {
                eprintln!("{peer}: {e}");
            }
            // However the client left, it is no longer a recipient.
            clients.lock().unwrap().remove(&peer);
        });
    }
}

/// Registers one client, then relays its lines until it leaves.
fn client(mut stream: TcpStream, peer: SocketAddr, clients: &Clients) -> io::Result<()> {
    // Registered first, welcomed second: once a client has read WELCOME it
    // is sure to receive what others say. Both under one lock, so that no
    // line relayed in between can reach the client before its WELCOME.
    {
        let mut clients = clients.lock().unwrap();
        clients.insert(peer, stream.try_clone()?);
        writeln!(stream, "WELCOME {peer}")?;
    }
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    // No limit: a client that never sends `\n` grows `line` without bound; a
    // real server caps lines (tokio-util's LinesCodec::new_with_max_length;
    // chat-server has its own LineDecoder).
    while reader.read_line(&mut line)? > 0 {
        let text = line.strip_suffix('\n').unwrap_or(&line);
        let text = text.strip_suffix('\r').unwrap_or(text);
        broadcast(clients, peer, &format!("{peer}: {text}\n"));
        line.clear();
    }
    Ok(())
}

/// Sends `message` to every client but `from`; drops those that fail.
fn broadcast(clients: &Clients, from: SocketAddr, message: &str) {
    let mut clients = clients.lock().unwrap();
    let mut gone = Vec::new();
    for (addr, stream) in clients.iter_mut() {
        // write_all blocks while the lock is held: one client that never
        // reads fills its buffer and freezes the whole room (sheet 10).
        if *addr != from && stream.write_all(message.as_bytes()).is_err() {
            gone.push(*addr);
        }
    }
    for addr in gone {
        clients.remove(&addr);
    }
}
