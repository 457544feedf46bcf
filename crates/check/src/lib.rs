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
//! words, then a summary, and exits 0 only when no rule fails (a warning,
//! for advice the RFC does not require, does not fail).
//!
//! - [`report`]: rules, verdicts, the printed report, French and English.
//! - [`wire`]: reading and writing with a time-out and a size limit, so a
//!   broken server can never hang the checker.
//! - [`echo`], [`time`], [`chat`], [`http`]: one module per protocol, one
//!   function per rule, each opening with the clause of the protocol it
//!   checks.

pub mod chat;
pub mod echo;
pub mod http;
pub mod report;
pub mod time;
pub mod wire;

use std::io::Write;
use std::net::Ipv6Addr;
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
    /// HTTP/1.1 (RFC 9110, RFC 9112): a web server (TCP only).
    Http,
}

impl Protocol {
    /// The protocol's name and reference, for the report's title.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Echo => "echo (RFC 862)",
            Protocol::Time => "time (RFC 868)",
            Protocol::Daytime => "daytime (RFC 867)",
            Protocol::Chat => "chat/1",
            Protocol::Http => "HTTP/1.1 (RFC 9112)",
        }
    }

    /// netlab's default port for it (well-known port + 10000).
    pub fn default_port(self) -> u16 {
        match self {
            Protocol::Echo => codec::echo::DEFAULT_PORT,
            Protocol::Time => codec::time::DEFAULT_TIME_PORT,
            Protocol::Daytime => codec::time::DEFAULT_DAYTIME_PORT,
            Protocol::Chat => codec::chat::DEFAULT_PORT,
            // http-server's port (HTTP's 80 is privileged; 8080 is the
            // usual alternative, and 10080 would be unlike any web server).
            Protocol::Http => 8080,
        }
    }

    /// Whether the protocol is also defined over UDP.
    pub fn has_udp(self) -> bool {
        !matches!(self, Protocol::Chat | Protocol::Http)
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
    ///
    /// `protocol` only shapes the advice: a wrong address is answered with
    /// an example that uses the port of the service being checked, so it can
    /// be copied as it is.
    pub fn parse(text: &str, protocol: Protocol) -> Result<(String, Option<u16>), String> {
        let default = protocol.default_port();
        let text = text.trim();
        if text.is_empty() {
            return Err(format!(
                "empty address: give HOST:PORT, e.g. 127.0.0.1:{default}"
            ));
        }
        // Before counting colons: "http://host:port/" has two, and the
        // advice it needs is about the URL, not about IPv6.
        if let Some(scheme_end) = text.find("://") {
            // For a web server, a URL is the natural way to name it: its
            // host and port are taken (80 when it gives none, as a browser
            // does); the path is not, every rule asks for its own pages.
            if protocol == Protocol::Http && text[..scheme_end].eq_ignore_ascii_case("http") {
                let rest = &text[scheme_end + 3..];
                let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                // (A number alone, `http://8080/`, is no host: the advice
                // below says what to write.)
                let number = authority.bytes().all(|b| b.is_ascii_digit());
                if !authority.is_empty() && !number && !authority.contains('@') {
                    return match Target::parse(authority, protocol)? {
                        (host, None) => Ok((host, Some(80))),
                        found => Ok(found),
                    };
                }
            }
            return Err(url_advice(text, scheme_end, protocol));
        }
        // A path without a scheme ("127.0.0.1:10007/", a URL half copied):
        // no address or port has a '/', so the part before it is the advice.
        if let Some((before, _)) = text.split_once('/') {
            let example = match Target::parse(before, protocol) {
                Ok(_) => before.to_string(),
                Err(_) => format!("127.0.0.1:{default}"),
            };
            return Err(format!(
                "{text:?}: an address has no '/' (a server is HOST:PORT, not a page), e.g. {example}"
            ));
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
                    return Err(format!(
                        "{text:?}: the host is missing before ':', e.g. 127.0.0.1:{default}"
                    ));
                }
                Ok((host.into(), Some(port_of(p)?)))
            }
            _ => Err(colons_advice(text, default)),
        }
    }

    /// The single argument to suggest when the host and the port came as
    /// two (`127.0.0.1 10007`, the way raw-client takes them): `None` when
    /// `port` is not a port number or `host` already names one.
    pub fn joined(host: &str, port: &str, protocol: Protocol) -> Option<String> {
        let port = port.trim().parse::<u16>().ok().filter(|&p| p != 0)?;
        let host = host.trim();
        // A bare IPv6 address is refused by `parse` (is its end a port?),
        // but next to a separate port it can only be the host.
        if host.parse::<Ipv6Addr>().is_ok() {
            return Some(format!("[{host}]:{port}"));
        }
        match Target::parse(host, protocol) {
            // A number alone is read as a port on this machine: then the
            // second number is one argument too many, not its port.
            Ok((host, None)) => Some(netkit::error::join_host_port(&host, port)),
            _ => None,
        }
    }

    /// `host:port`, IPv6 in brackets.
    pub fn display(&self) -> String {
        netkit::error::join_host_port(&self.host, self.port)
    }
}

/// The advice for a URL (`http://127.0.0.1:10007/`): protocol-check talks
/// to a server's port directly, with no scheme or path; a browser's address
/// bar habit. When what is left is a valid address, it is the suggestion.
fn url_advice(text: &str, scheme_end: usize, protocol: Protocol) -> String {
    let scheme = &text[..scheme_end + 3];
    let rest = &text[scheme_end + 3..];
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let example = match Target::parse(authority, protocol) {
        Ok(_) if !authority.is_empty() => authority.to_string(),
        _ => format!("127.0.0.1:{}", protocol.default_port()),
    };
    format!(
        "{text:?} is a URL: give the server as HOST:PORT, without {scheme:?} or a path, e.g. {example}"
    )
}

/// The advice for an address with several colons and no brackets: an IPv6
/// address (its colons cannot be told from the port's), or a typo such as
/// `host:1:2`.
fn colons_advice(text: &str, default: u16) -> String {
    // "::1:10007" is most likely an IPv6 address followed by its port; but
    // "::1:80" is also a valid IPv6 address on its own (its last group, 80,
    // is hexadecimal): then both readings are offered.
    let with_port = text.rsplit_once(':').filter(|(host, port)| {
        host.parse::<Ipv6Addr>().is_ok()
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != 0)
    });
    let whole = text.parse::<Ipv6Addr>().is_ok();
    let brackets = "write an IPv6 address in brackets, then its port";
    match with_port {
        Some((host, port)) if whole => format!(
            "{text:?}: {brackets}: [{host}]:{port} if {port} is the port, \
             or [{text}]:{default} if all of it is the address"
        ),
        Some((host, port)) => format!("{text:?}: {brackets}: [{host}]:{port}"),
        None if whole => format!(
            "{text:?}: {brackets}: [{text}]:{default} (or [{text}] alone for netlab's port {default})"
        ),
        None => {
            let host = text
                .split(':')
                .next()
                .filter(|h| !h.is_empty())
                .unwrap_or("127.0.0.1");
            format!(
                "{text:?} has more than one ':': write HOST:PORT with a single ':', \
                 e.g. {host}:{default} (an IPv6 address goes in brackets: [::1]:{default})"
            )
        }
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
        // as an ICMP "port unreachable" (which the system reports as a
        // "connection refused", explained as what it is) or as silence.
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
            Protocol::Chat | Protocol::Http => {
                let label = protocol.label();
                report.stop(text!(
                    "{label} n'existe qu'en TCP : retirez --udp.",
                    "{label} only exists over TCP: remove --udp."
                ))
            }
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
        Protocol::Http => http::check(target, opts, &mut report).await,
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_read_like_students_write_them() {
        let ok = |t: &str| Target::parse(t, Protocol::Chat).unwrap();
        assert_eq!(ok("127.0.0.1:10194"), ("127.0.0.1".into(), Some(10194)));
        assert_eq!(ok("localhost:7"), ("localhost".into(), Some(7)));
        assert_eq!(ok("10007"), ("127.0.0.1".into(), Some(10007)));
        assert_eq!(ok("[::1]:10013"), ("::1".into(), Some(10013)));
        assert_eq!(ok("[::1]"), ("::1".into(), None));
        assert_eq!(ok("192.168.1.20"), ("192.168.1.20".into(), None));
        for bad in ["", "host:", "host:99999", "host:0", "::1:80", ":80", "[::1"] {
            assert!(Target::parse(bad, Protocol::Chat).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_advice_fits_the_mistake_and_the_service() {
        let why = |t: &str| Target::parse(t, Protocol::Echo).unwrap_err();
        // A URL: drop the scheme and the path; what is left is the example.
        let url = why("http://127.0.0.1:62599/");
        assert!(url.contains("is a URL"), "{url}");
        assert!(url.contains("without \"http://\""), "{url}");
        assert!(url.ends_with("e.g. 127.0.0.1:62599"), "{url}");
        assert!(!url.contains("IPv6"), "{url}");
        let url = why("https://example.org");
        assert!(url.ends_with("e.g. example.org"), "{url}");
        // Half a URL, with a path but no scheme: the same advice.
        let path = why("127.0.0.1:62599/");
        assert!(path.contains("no '/'"), "{path}");
        assert!(path.ends_with("e.g. 127.0.0.1:62599"), "{path}");
        assert!(why("/index.html").ends_with("e.g. 127.0.0.1:10007"));
        // A URL with nothing usable: echo's own port in the example.
        assert!(why("http://").ends_with("e.g. 127.0.0.1:10007"));
        // Several colons that are no IPv6 address: one ':' please.
        let typo = why("host:1:2");
        assert!(typo.contains("more than one ':'"), "{typo}");
        assert!(typo.contains("e.g. host:10007"), "{typo}");
        // IPv6 without brackets: the brackets, around this very address.
        let v6 = why("::1:10194");
        assert!(v6.ends_with("[::1]:10194"), "{v6}");
        let v6 = why("fe80::1");
        assert!(v6.contains("[fe80::1]:10007"), "{v6}");
        // Both readings of an address that may end with a port.
        let v6 = why("::1:80");
        assert!(v6.contains("[::1]:80 if 80 is the port"), "{v6}");
        assert!(v6.contains("[::1:80]:10007"), "{v6}");
        // Never chat's port in advice about echo.
        for bad in ["", ":80", "http://", "host:1:2", "fe80::1"] {
            assert!(!why(bad).contains("10194"), "{bad:?}: {}", why(bad));
        }
    }

    #[test]
    fn a_web_server_may_be_named_by_its_url() {
        let http = |t: &str| Target::parse(t, Protocol::Http);
        assert_eq!(
            http("http://127.0.0.1:8080/index.html").unwrap(),
            ("127.0.0.1".into(), Some(8080))
        );
        assert_eq!(
            http("HTTP://localhost/").unwrap(),
            ("localhost".into(), Some(80))
        );
        assert_eq!(
            http("http://[::1]:8080").unwrap(),
            ("::1".into(), Some(8080))
        );
        // TLS is not spoken, and other protocols still get the advice.
        assert!(
            http("https://example.org/")
                .unwrap_err()
                .contains("is a URL")
        );
        assert!(http("http://").unwrap_err().contains("is a URL"));
        assert!(http("http://8080/").unwrap_err().contains("is a URL"));
        let echo = Target::parse("http://127.0.0.1:10007/", Protocol::Echo).unwrap_err();
        assert!(echo.contains("is a URL"), "{echo}");
    }

    #[test]
    fn a_host_and_a_port_given_apart_are_joined_in_the_hint() {
        let joined = |h: &str, p: &str| Target::joined(h, p, Protocol::Echo);
        assert_eq!(
            joined("127.0.0.1", "62510").as_deref(),
            Some("127.0.0.1:62510")
        );
        assert_eq!(joined("localhost", "7").as_deref(), Some("localhost:7"));
        assert_eq!(joined("::1", "62510").as_deref(), Some("[::1]:62510"));
        assert_eq!(joined("[::1]", "62510").as_deref(), Some("[::1]:62510"));
        // Not a host then a port: no such hint.
        assert_eq!(joined("127.0.0.1:7", "62510"), None);
        assert_eq!(joined("62510", "62511"), None);
        assert_eq!(joined("127.0.0.1", "--udp"), None);
        assert_eq!(joined("127.0.0.1", "0"), None);
    }

    #[test]
    fn default_ports_are_netlabs() {
        assert_eq!(Protocol::Chat.default_port(), 10194);
        assert_eq!(Protocol::Echo.default_port(), 10007);
        assert_eq!(Protocol::Time.default_port(), 10037);
        assert_eq!(Protocol::Daytime.default_port(), 10013);
        assert_eq!(Protocol::Http.default_port(), 8080);
    }
}
