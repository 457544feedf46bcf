//! # codec — the protocols, and nothing else
//!
//! A protocol is a *common language*: a client and a server can only talk if
//! they agree on it byte for byte. This crate is that agreement, written once
//! and used by both sides. Every server and every client in netlab imports its
//! protocol from here, so a client and its server cannot drift apart.
//!
//! The crate is *sans-I/O*: it never opens a socket. It turns bytes into
//! messages and messages into bytes, and it knows the port numbers. That keeps
//! each protocol testable with plain byte slices, and keeps the networking
//! (in the `netkit`, `echo`, … crates) separate from the language spoken over it.
//!
//! - [`ports`]: well-known ports, netlab's default ports, and the three port ranges.
//! - [`echo`]: RFC 862, the simplest protocol there is.
//! - [`time`]: RFC 868 (time as 4 binary bytes) and RFC 867 (daytime, one text line).
//! - [`chat`]: chat/1, netlab's own line-based chat protocol.
//! - [`text`]: telling text from binary, for showing bytes to people.

pub mod chat;
pub mod echo;
pub mod ports;
pub mod text;
pub mod time;
