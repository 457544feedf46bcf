//! # The chat pair (chat/1)
//!
//! The course's central point, made visible: **one server, many clients at
//! the same time**, all speaking the same protocol.
//!
//! - [`server`]: `chat-server` listens on port 10194 and keeps one room; each
//!   connection has its own task, and the tasks share a small table of who
//!   is there.
//! - [`client`]: `chat-client` connects, reads the keyboard and the network
//!   at the same time, and turns what people type into protocol lines —
//!   the user interface ([`ui`]) is *not* the protocol; [`keyboard`] makes
//!   Ctrl-C leave politely.
//!
//! The protocol itself (messages, parsing, limits) is in [`codec::chat`];
//! `docs/protocols/chat.md` describes it with sequence diagrams.

pub mod client;
pub mod keyboard;
pub mod server;
pub mod ui;

pub use codec::chat::DEFAULT_PORT;
