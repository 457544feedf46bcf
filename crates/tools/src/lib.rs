//! # tools — two small programs for exploring any service by hand
//!
//! - `raw-client HOST PORT` ([`raw`]): what you type goes to the server, what
//!   the server sends appears on screen — like `nc` or `telnet`, which many
//!   classroom machines do not have. It is the way to speak *any* text
//!   protocol by hand: chat/1 to `chat-server`, HTTP to `http-server`
//!   (`--crlf`), or echo over UDP (`--udp`).
//! - `ports` ([`ports`]): what a port number means — its range and the
//!   service usually found there ("1 service = 1 port") — and, with
//!   `--check HOST PORT`, whether something listens there.

pub mod ports;
pub mod raw;
