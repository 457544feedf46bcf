//! # Exercise 1 — ports: "1 service = 1 port"
//!
//! A machine has one IP address but runs many services; the *port number*
//! (16 bits, 0–65535) tells the system which program a connection is for.
//! The IANA splits the numbers into three ranges:
//!
//! | range       | name        | used for                                           |
//! |-------------|-------------|----------------------------------------------------|
//! | 0–1023      | well-known  | standard services; listening needs admin rights    |
//! | 1024–49151  | registered  | applications that registered a number (MySQL 3306) |
//! | 49152–65535 | dynamic     | temporary ports given to *client* sockets          |
//!
//! ## What to do
//!
//! 1. [`classify`]: return the [`PortRange`] a port belongs to.
//! 2. [`service_name`]: return the usual name of the service on a common
//!    port, for exactly these ports (anything else is `None`; 3306 and 3389
//!    are registered ports, not well-known ones, yet just as common):
//!
//! | port | name    | port | name   | port | name  |
//! |------|---------|------|--------|------|-------|
//! | 7    | echo    | 25   | smtp   | 143  | imap  |
//! | 13   | daytime | 37   | time   | 443  | https |
//! | 21   | ftp     | 53   | dns    | 3306 | mysql |
//! | 22   | ssh     | 80   | http   | 3389 | rdp   |
//! | 23   | telnet  | 110  | pop3   |      |       |
//!
//! Check with `cargo test -p exercises --test ex01_ports`.
//! Sheet: `docs/exercices/01-ports.md` (English: `docs/exercises/01-ports.md`).

/// The three IANA port ranges (RFC 6335).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortRange {
    /// 0–1023.
    WellKnown,
    /// 1024–49151.
    Registered,
    /// 49152–65535.
    Dynamic,
}

/// The range `port` belongs to.
///
/// Hint: a `match` on ranges (`0..=1023 => …`) covers every `u16` and the
/// compiler checks that none is forgotten.
pub fn classify(port: u16) -> PortRange {
    todo!("exercise 1: classify port {port}")
}

/// The usual name of the service on `port` (table in the module docs),
/// or `None` for a port not in the table.
pub fn service_name(port: u16) -> Option<&'static str> {
    todo!("exercise 1: name the service on port {port}")
}
