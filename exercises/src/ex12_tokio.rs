//! # Exercise 12 (bonus) — thousands of clients with tokio tasks
//!
//! A thread per client (exercise 7) costs memory (a stack each) and the
//! system limits their number. Real servers handle thousands of clients with
//! *asynchronous* I/O: a few threads run many light *tasks*; a task that
//! waits for the network gives the thread to another task at each `.await`.
//! netlab's own servers are written this way, with tokio.
//!
//! ## What to do
//!
//! The same protocol as exercise 6 (lines answered in upper case; `\r\n`
//! accepted; `QUIT` answered `BYE` then the connection closes), but for many
//! clients at once. Write [`serve`]:
//!
//! 1. loop on `listener.accept().await`;
//! 2. for each client, `tokio::spawn` a task (an `async move` block) that
//!    splits the stream (`into_split`), reads lines with
//!    `tokio::io::BufReader` + `AsyncBufReadExt::read_line`, and answers with
//!    `AsyncWriteExt::write_all`;
//! 3. an error in one client's task only ends that client (print it).
//!
//! Never call a blocking function (`std::io::Read`, `std::thread::sleep`)
//! inside a task: it would freeze the thread and every task on it.
//!
//! Check with `cargo test -p exercises --test ex12_tokio`.
//! Sheet: `docs/exercices/12-tokio.md` (English: `docs/exercises/12-tokio.md`).

use std::io;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// Accepts clients forever, each served by its own task.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    todo!("exercise 12: accept, spawn a task per client")
}
