//! # Exercise 1 — ports (reference solution)
//!
//! The statement is in `exercises/src/ex01_ports.rs`.

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
pub fn classify(port: u16) -> PortRange {
    // Ranges in a `match` must cover every u16: the compiler checks it.
    match port {
        0..=1023 => PortRange::WellKnown,
        1024..=49151 => PortRange::Registered,
        49152..=u16::MAX => PortRange::Dynamic,
    }
}

/// The usual name of the service on `port`, or `None`.
pub fn service_name(port: u16) -> Option<&'static str> {
    let name = match port {
        7 => "echo",
        13 => "daytime",
        21 => "ftp",
        22 => "ssh",
        23 => "telnet",
        25 => "smtp",
        37 => "time",
        53 => "dns",
        80 => "http",
        110 => "pop3",
        143 => "imap",
        443 => "https",
        3306 => "mysql",
        3389 => "rdp",
        _ => return None,
    };
    Some(name)
}
