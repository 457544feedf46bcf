//! # netkit — what every netlab program shares
//!
//! Each server and client in netlab follows the same conventions, and this
//! crate is where they are written, once:
//!
//! - [`admission`]: many clients at once, up to `--max-clients`, and what
//!   the one too many is told.
//! - [`args`]: the common command-line flags (`--host`, `--trace`, `-v`, `-q`).
//! - [`logging`]: logs on stderr, program output on stdout; [`log_thread`]:
//!   a server's log written by a thread of its own, so it never waits for it.
//! - [`net`]: opening a listening socket or connecting to a server, with the
//!   line every server prints first: `listening on 127.0.0.1:10007 (tcp+udp) — registered port (1024–49151) — echo (RFC 862)`.
//! - [`error`]: network errors explained in plain words, with the fix.
//! - [`trace`]: `--trace`, the bytes on the wire, both directions, per peer.
//! - [`shutdown`]: Ctrl-C (and SIGTERM) turned into a signal servers obey.
//! - [`udp`]: a UDP server's answer sent from the address its question went to.
//! - [`stdin`]: reading the keyboard without blocking the network.
//! - [`run`](mod@run): the `main` of every binary: start, report an error, exit code.
//!
//! The networking itself (what to do with a connection) lives in each pair's
//! crate; the protocols live in the `codec` crate.

pub mod admission;
pub mod args;
pub mod error;
pub mod log_thread;
pub mod logging;
pub mod net;
pub mod run;
pub mod shutdown;
pub mod stdin;
#[cfg(test)]
mod test_log;
pub mod trace;
pub mod udp;

pub use error::NetError;
pub use run::{run, run_on, serve};
