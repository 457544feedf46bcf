//! # protocol-check — does this server speak the protocol?
//!
//! A protocol is a **common language**: a client written by one person and
//! a server written by another can only work together if both follow the
//! same rules, byte for byte. protocol-check plays the client's part and
//! checks a server — ours, or one a student wrote in Python, Java, C… —
//! against each rule of one of netlab's protocols:
//!
//! ```text
//! protocol-check chat 127.0.0.1:10194
//! protocol-check echo 127.0.0.1:10007 --udp --lang en
//! ```
//!
//! It prints each rule as RÉUSSI/ÉCHEC (PASS/FAIL) with the reason in plain
//! words, then a summary, and exits 0 only when every rule passes.
//!
//! - [`report`]: rules, verdicts, the printed report, French and English.
//! - [`wire`]: reading and writing with a time-out and a size limit, so a
//!   broken server can never hang the checker.
//! - [`echo`], [`time`], [`chat`]: one module per protocol, one function per
//!   rule, each opening with the clause of the protocol it checks.

pub mod chat;
pub mod echo;
pub mod report;
pub mod time;
pub mod wire;

use std::io::Write;
use std::time::Duration;

pub use report::{Lang, Report, Text, Verdict};

/// The protocols protocol-check knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    /// Echo (RFC 862): every byte comes back (TCP and UDP).
    Echo,
    /// Time (RFC 868): 4 binary bytes, seconds since 1900 (TCP and UDP).
    Time,
    /// Daytime (RFC 867): one line of text (TCP and UDP).
    Daytime,
    /// chat/1, netlab's chat protocol (TCP only).
    Chat,
}

impl Protocol {
    /// The protocol's name and reference, for the report's title.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Echo => "echo (RFC 862)",
            Protocol::Time => "time (RFC 868)",
            Protocol::Daytime => "daytime (RFC 867)",
            Protocol::Chat => "chat/1",
        }
    }

    /// netlab's default port for it (well-known port + 10000).
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Echo => codec::echo::DEFAULT_PORT,
            Protocol::Time => codec::time::DEFAULT_TIME_PORT,
            Protocol::Daytime => codec::time::DEFAULT_DAYTIME_PORT,
            Protocol::Chat => codec::chat::DEFAULT_PORT,
        }
    }

    /// Whether the protocol is also defined over UDP.
    pub fn has_udp(self) -> bool {
        !matches!(self, Protocol::Chat)
    }
}

/// The server under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address (IPv6 without brackets).
    pub host: String,
    /// Port.
    pub port: u16,
}

impl Target {
    /// Reads `HOST:PORT`, `[IPv6]:PORT`, `PORT` alone (this machine) or
    /// `HOST` alone (the protocol's netlab port, filled in by the caller:
    /// `port` is then `None`).
    pub fn parse(text: &str) -> Result<(String, Option<u16>), String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("empty address: give HOST:PORT, e.g. 127.0.0.1:10194".into());
        }
        let bad_port = |p: &str| format!("{p:?} is not a port number (1 to 65535)");
        let port_of = |p: &str| match p.parse::<u16>() {
            Ok(0) | Err(_) => Err(bad_port(p)),
            Ok(n) => Ok(n),
        };
        if text.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(("127.0.0.1".into(), Some(port_of(text)?)));
        }
        if let Some(rest) = text.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| format!("{text:?}: missing ']' after the IPv6 address"))?;
            return match after.strip_prefix(':') {
                Some(p) => Ok((host.into(), Some(port_of(p)?))),
                None if after.is_empty() => Ok((host.into(), None)),
                None => Err(format!("{text:?}: expected [IPv6]:PORT")),
            };
        }
        match text.matches(':').count() {
            0 => Ok((text.into(), None)),
            1 => {
                let (host, p) = text.split_once(':').expect("one colon");
                if host.is_empty() {
                    return Err(format!("{text:?}: the host is missing before ':'"));
                }
                Ok((host.into(), Some(port_of(p)?)))
            }
            _ => Err(format!(
                "{text:?}: write an IPv6 address in brackets with its port, e.g. [::1]:10194"
            )),
        }
    }

    /// `host:port`, IPv6 in brackets.
    pub fn display(&self) -> String {
        netkit::error::join_host_port(&self.host, self.port)
    }
}

/// How to check.
#[derive(Debug, Clone)]
pub struct Options {
    /// Check the UDP service instead of the TCP one.
    pub udp: bool,
    /// Longest wait for any expected answer.
    pub timeout: Duration,
    /// Largest difference allowed between the server's clock and ours
    /// (time and daytime).
    pub max_drift: Duration,
    /// Log every byte sent and received (`--trace`).
    pub trace: bool,
    /// Print each rule as soon as it is checked, in this language (the
    /// binary does; tests and library users read the returned report).
    pub live: Option<Lang>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            udp: false,
            timeout: Duration::from_secs(3),
            max_drift: Duration::from_secs(5),
            trace: false,
            live: None,
        }
    }
}

/// Runs every rule of `protocol` against `target` and returns the report.
pub async fn check(protocol: Protocol, target: &Target, opts: &Options) -> Report {
    let transport = if opts.udp { "UDP" } else { "TCP" };
    let mut report = Report::new(format!(
        "{} — {} ({transport})",
        protocol.label(),
        target.display()
    ));
    if let Some(lang) = opts.live {
        let mut out = std::io::stdout().lock();
        let _ = report
            .print_title(lang, &mut out)
            .and_then(|()| out.flush());
        report.live = Some(lang);
    }
    if opts.udp {
        // UDP has no connection to try first: one datagram that any of
        // these servers answers plays that part. Nobody listening shows up
        // as "connection refused" (an ICMP message) or as silence.
        let probe = async {
            let socket = wire::udp_socket(target).await?;
            wire::udp_exchange(&socket, b"protocol-check\n", opts, 3).await
        };
        if let Err(why) = probe.await {
            report.stop(why);
            return report;
        }
        match protocol {
            Protocol::Echo => echo::check_udp(target, opts, &mut report).await,
            Protocol::Time => time::check_time_udp(target, opts, &mut report).await,
            Protocol::Daytime => time::check_daytime_udp(target, opts, &mut report).await,
            Protocol::Chat => report.stop(text!(
                "chat/1 n'existe qu'en TCP : retirez --udp.",
                "chat/1 only exists over TCP: remove --udp."
            )),
        }
        return report;
    }
    // Before any rule: can we reach the server at all? If nobody listens,
    // one clear explanation beats fifteen failures saying the same thing.
    match netkit::net::connect_tcp(&target.host, target.port, opts.timeout).await {
        Ok(probe) => drop(probe),
        Err(e) => {
            report.stop(report::explain(&e));
            return report;
        }
    }
    match protocol {
        Protocol::Echo => echo::check_tcp(target, opts, &mut report).await,
        Protocol::Time => time::check_time_tcp(target, opts, &mut report).await,
        Protocol::Daytime => time::check_daytime_tcp(target, opts, &mut report).await,
        Protocol::Chat => chat::check(target, opts, &mut report).await,
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_like_students_write_them() {
        let ok = |t: &str| Target::parse(t).unwrap();
        assert_eq!(ok("127.0.0.1:10194"), ("127.0.0.1".into(), Some(10194)));
        assert_eq!(ok("localhost:7"), ("localhost".into(), Some(7)));
        assert_eq!(ok("10007"), ("127.0.0.1".into(), Some(10007)));
        assert_eq!(ok("[::1]:10013"), ("::1".into(), Some(10013)));
        assert_eq!(ok("[::1]"), ("::1".into(), None));
        assert_eq!(ok("192.168.1.20"), ("192.168.1.20".into(), None));
        for bad in ["", "host:", "host:99999", "host:0", "::1:80", ":80", "[::1"] {
            assert!(Target::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn default_ports_are_netlabs() {
        assert_eq!(Protocol::Chat.default_port(), 10194);
        assert_eq!(Protocol::Echo.default_port(), 10007);
        assert_eq!(Protocol::Time.default_port(), 10037);
        assert_eq!(Protocol::Daytime.default_port(), 10013);
    }
}
