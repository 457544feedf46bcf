//! # Exercise 10 — a broadcast chat server that survives a client dropping
//!
//! Until now each client talked to the server alone. In a chat, the server
//! *relays*: what one client says goes to every other client. So every
//! client thread needs the list of all connected clients, shared and locked
//! (`Arc<Mutex<…>>`), and a way to write to each of them (a clone of its
//! stream: `TcpStream::try_clone`).
//!
//! Clients come and go, and some go badly (network cable pulled, program
//! killed). Writing to such a client fails: that must remove it from the list,
//! never stop the server or stop the others from receiving.
//!
//! ## The protocol
//!
//! A client is known by its address and port, e.g. `127.0.0.1:50312`.
//!
//! 1. When a client connects, it is added to the list and *then* receives
//!    `WELCOME 127.0.0.1:50312\n` (its own address as the server sees it).
//! 2. Each line the client sends (ending with `\n`; a `\r` before it is
//!    dropped) is sent to every **other** client as
//!    `127.0.0.1:50312: the line\n`. The sender does not get it back.
//! 3. When the client closes (or its connection fails) it is removed.
//!
//! ```text
//! alice$ nc 127.0.0.1 PORT              bob$ nc 127.0.0.1 PORT
//! WELCOME 127.0.0.1:50312               WELCOME 127.0.0.1:50318
//! hello bob
//!                                       127.0.0.1:50312: hello bob
//! ```
//!
//! ## What to do
//!
//! Write [`serve`]: a thread per client (exercise 7), a shared
//! `Arc<Mutex<HashMap<SocketAddr, TcpStream>>>` of clients, a `BufReader`
//! and `read_line` for the lines (exercise 6). To relay, lock the map and
//! `write_all` to every entry but the sender; remember the ones that failed
//! and remove them.
//!
//! Check with `cargo test -p exercises --test ex10_chat_server`.
//! Sheet: `docs/exercices/10-chat-server.md` (English: `docs/exercises/10-chat-server.md`).

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

/// Accepts clients forever and relays every line to every other client.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    todo!("exercise 10: a shared list of clients, relay each line to the others")
}
