//! # netlab
//!
//! Paired client/server programs that make the course *Communication
//! client/serveur* visible: a protocol is a common language, a server listens
//! permanently on a port, the client initiates, one server serves many clients.
//!
//! This root package only owns the workspace-level `examples/` (the
//! step-by-step ladder) and `tests/` (integration tests that run the real
//! binaries). The programs themselves live in `crates/`:
//!
//! | crate          | what it holds                                                   |
//! |----------------|-----------------------------------------------------------------|
//! | `codec`        | the protocols, without sockets: messages, parse/encode, ports    |
//! | `netkit`       | what every program shares: arguments, logs, explained errors, `--trace` |
//! | `echo`         | the echo pair (RFC 862)                                          |
//!
//! Both are re-exported here so that examples can write `netlab::codec::…`.

pub use codec;
pub use netkit;
