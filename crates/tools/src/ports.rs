//! # What a port number means
//!
//! "1 service = 1 port": a client finds a service by its port number, so the
//! well-known services have agreed numbers (SSH 22, HTTP 80, MySQL 3306).
//! The numbers are split into three ranges (well-known, registered, dynamic).
//!
//! This module only *explains*: the ranges ([`PortRange`]) and the table of
//! services ([`SERVICES`]) come from the `codec` crate, shared with every
//! netlab server, so there is one single list to keep right.

use std::fmt::Write as _;

use codec::ports::{PortRange, SERVICES, Service, service_named, services_on};

/// What the user asked about: a number, or a service name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    /// A port number.
    Port(u16),
    /// A known service, found by name.
    Service(&'static Service),
}

/// Everyday names for services whose official (IANA) name is another one:
/// a student types `dns`, the port list says `domain`.
const ALIASES: &[(&str, &str)] = &[
    ("dns", "domain"),
    ("www", "http"),
    ("web", "http"),
    ("mariadb", "mysql"),
    ("sqlserver", "mssql"),
    ("samba", "smb"),
];

/// Reads `3306` as a port, `ssh` (any case; or an unambiguous start of a
/// name, like `postgres`; or an everyday name, like `dns`) as a service.
pub fn parse_query(text: &str) -> Result<Query, String> {
    let text = text.trim();
    // A number, perhaps with a sign: `-1` is a wrong port, not a service name.
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let out_of_range = || {
            format!(
                "{text} is not a port number: a port is a number from 0 to 65535 \
                 (a 16-bit number, never negative)"
            )
        };
        if text.starts_with('-') {
            return Err(out_of_range());
        }
        return digits
            .parse::<u16>()
            .map(Query::Port)
            .map_err(|_| out_of_range());
    }
    if let Some(service) = service_named(text) {
        return Ok(Query::Service(service));
    }
    let lower = text.to_ascii_lowercase();
    if let Some(service) = ALIASES
        .iter()
        .find(|(alias, _)| *alias == lower)
        .and_then(|(_, name)| service_named(name))
    {
        return Ok(Query::Service(service));
    }
    let mut starting: Vec<&Service> = SERVICES
        .iter()
        .filter(|s| !lower.is_empty() && s.name.starts_with(&lower))
        .collect();
    starting.dedup_by_key(|s| s.port);
    match starting.as_slice() {
        [one] => Ok(Query::Service(one)),
        [] => Err(format!(
            "unknown service {text:?}: give a port number (e.g. 3306) or one of: {}",
            SERVICES
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(", ")
        )),
        several => Err(format!(
            "{text:?} could be {}: be more precise",
            several
                .iter()
                .map(|s| s.name)
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    }
}

/// The ports Linux gives to the client side of connections, by default
/// (`/proc/sys/net/ipv4/ip_local_port_range`): not the dynamic range.
const LINUX_CLIENT_PORTS: std::ops::RangeInclusive<u16> = 32768..=60999;

/// One line about a port: `3306: registered port (1024–49151) — usually MySQL / MariaDB (mysql, tcp)`.
pub fn describe_port(port: u16) -> String {
    let range = PortRange::of(port);
    if port == 0 {
        return format!(
            "0: {range} — reserved: never used on the network; a program that asks to listen on \
             port 0 (netlab's --port 0) gets a free port chosen by the OS"
        );
    }
    let known: Vec<String> = services_on(port)
        .map(|s| format!("{} ({}, {})", s.description, s.name, s.transport))
        .collect();
    let usage = if !known.is_empty() {
        format!("usually {}", known.join(", or "))
    } else {
        match range {
            PortRange::Dynamic => "never assigned: kept for the client side of connections \
                 and other short-lived uses (Windows takes client ports from here; Linux from \
                 32768–60999)"
                .to_string(),
            _ if LINUX_CLIENT_PORTS.contains(&port) => "no service of the course uses it; \
                 on Linux it may be a client's port (Linux takes those from 32768–60999)"
                .to_string(),
            _ => "no service of the course uses it".to_string(),
        }
    };
    format!("{port}: {range} — {usage}")
}

/// One line about a service: `ssh: port 22 (tcp) — well-known port (0–1023) — SSH, secure remote shell`.
pub fn describe_service(service: &Service) -> String {
    format!(
        "{}: port {} ({}) — {} — {}",
        service.name,
        service.port,
        service.transport,
        PortRange::of(service.port),
        service.description
    )
}

/// The answer to one query.
pub fn describe(query: Query) -> String {
    match query {
        Query::Port(port) => describe_port(port),
        Query::Service(service) => describe_service(service),
    }
}

/// What `--check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// A program accepted the connection.
    Listening,
    /// The machine answered "nobody here" (connection refused).
    Closed,
    /// No answer at all within the time-out.
    NoAnswer,
    /// Port 0: no connection to it is possible, so none was tried.
    PortZero,
}

/// Tries one TCP connection to `host:port` and says, in plain words, what it
/// shows. The connection is closed at once: nothing is sent.
pub async fn check(
    host: &str,
    port: u16,
    timeout: std::time::Duration,
) -> Result<(Verdict, String), netkit::NetError> {
    use netkit::NetError;
    let target = netkit::error::join_host_port(host, port);
    if port == 0 {
        // Not "nobody opened it": nobody *can*. Asking the OS to listen on
        // port 0 means "give me any free port", so no server is ever on 0.
        return Ok((
            Verdict::PortZero,
            format!(
                "{target} (TCP): port 0 can never be connected to: it is reserved, and a program \
                 that asks to listen on port 0 (netlab's --port 0) gets a free port chosen by the \
                 OS instead. Check the port that program announced (\"listening on …\")"
            ),
        ));
    }
    let usual = services_on(port)
        .next()
        .map(|s| format!(" (port {port} is usually {})", s.description))
        .unwrap_or_default();
    match netkit::net::connect_tcp(host, port, timeout).await {
        Ok(stream) => {
            let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or(target);
            Ok((
                Verdict::Listening,
                format!(
                    "{peer} (TCP): something listens there: the connection was accepted{usual}"
                ),
            ))
        }
        Err(NetError::ConnectionRefused { .. }) => Ok((
            Verdict::Closed,
            format!(
                "{target} (TCP): nothing listens there: the machine answered, but refused the \
                 connection: no program listens on that address and port. A server listening on \
                 another address of the machine is not reached (127.0.0.1 and ::1 are two \
                 addresses); a firewall may also refuse this way"
            ),
        )),
        Err(NetError::TimedOut { .. }) => Ok((
            Verdict::NoAnswer,
            format!(
                "{target} (TCP): no answer within {:.1} s: the machine may be off or unreachable, \
                 a firewall may silently drop the connection, or the server's queue of \
                 connections waiting to be accepted is full",
                timeout.as_secs_f64()
            ),
        )),
        Err(other) => Err(other),
    }
}

/// Every known service, grouped by range: what `ports` prints without arguments.
pub fn table() -> String {
    let mut out = String::new();
    for range in [
        PortRange::WellKnown,
        PortRange::Registered,
        PortRange::Dynamic,
    ] {
        let _ = writeln!(
            out,
            "{}{}",
            capitalised(&range.to_string()),
            privilege_note(range)
        );
        let mut any = false;
        for s in SERVICES.iter().filter(|s| PortRange::of(s.port) == range) {
            any = true;
            let _ = writeln!(
                out,
                "  {:>5}  {:<15} {:<8} {}",
                s.port, s.name, s.transport, s.description
            );
        }
        if !any {
            let _ = writeln!(out, "  (none: the OS hands these out to client sockets)");
        }
    }
    out
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn privilege_note(range: PortRange) -> &'static str {
    if range.is_privileged() {
        ": listening here needs administrator rights"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_course_examples() {
        assert_eq!(
            describe(parse_query("3306").unwrap()),
            "3306: registered port (1024–49151) — usually MySQL / MariaDB (mysql, tcp)"
        );
        assert_eq!(
            parse_query("ssh").unwrap(),
            Query::Service(service_named("ssh").unwrap())
        );
        assert!(
            describe(parse_query("SSH").unwrap())
                .starts_with("ssh: port 22 (tcp) — well-known port (0–1023)")
        );
        assert!(describe_port(80).contains("HTTP, the web"));
        assert!(describe_port(21).contains("FTP control"));
    }

    #[test]
    fn every_range_is_explained() {
        assert_eq!(
            describe_port(30000),
            "30000: registered port (1024–49151) — no service of the course uses it"
        );
        assert!(describe_port(40000).contains("may be a client's port"));
        assert!(describe_port(65535).contains("Linux from 32768–60999"));
        assert!(
            describe_port(50000).starts_with("50000: dynamic port (49152–65535) — never assigned")
        );
        assert!(describe_port(10007).contains("netlab echo-server"));
        assert!(describe_port(0).contains("chosen by the OS"));
    }

    #[test]
    fn names_may_be_shortened_when_unambiguous() {
        assert_eq!(
            parse_query("postgres").unwrap(),
            Query::Service(service_named("postgresql").unwrap())
        );
        let e = parse_query("netlab").unwrap_err();
        assert!(e.contains("could be"), "{e}");
    }

    #[test]
    fn everyday_names_find_the_official_one() {
        assert_eq!(
            describe(parse_query("DNS").unwrap()),
            "domain: port 53 (udp+tcp) — well-known port (0–1023) — DNS, names to addresses"
        );
        assert_eq!(
            parse_query("mariadb").unwrap(),
            Query::Service(service_named("mysql").unwrap())
        );
        for (alias, name) in ALIASES {
            assert!(service_named(name).is_some(), "{alias} → {name}");
        }
    }

    #[test]
    fn bad_queries_are_explained() {
        assert!(parse_query("70000").unwrap_err().contains("0 to 65535"));
        for number in ["-1", "-0", "+70000", "99999999999999999999"] {
            let e = parse_query(number).unwrap_err();
            assert!(
                e.contains("a port is a number from 0 to 65535") && !e.contains("unknown service"),
                "{number}: {e}"
            );
        }
        assert_eq!(parse_query("+80").unwrap(), Query::Port(80));
        let e = parse_query("nosuch").unwrap_err();
        assert!(e.contains("unknown service") && e.contains("mysql"), "{e}");
    }

    #[tokio::test]
    async fn check_tells_open_from_closed() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (verdict, text) = check("127.0.0.1", port, std::time::Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(verdict, Verdict::Listening, "{text}");
        drop(listener);
        let (verdict, text) = check("127.0.0.1", port, std::time::Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(verdict, Verdict::Closed, "{text}");
        assert!(text.contains("nothing listens"), "{text}");
    }

    #[tokio::test]
    async fn port_zero_is_never_reachable_and_says_why() {
        let (verdict, text) = check("127.0.0.1", 0, std::time::Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(verdict, Verdict::PortZero, "{text}");
        assert!(text.contains("port 0 can never be connected to"), "{text}");
        assert!(!text.contains("no program has opened"), "{text}");
    }

    #[test]
    fn the_table_lists_every_service_under_its_range() {
        let t = table();
        for s in SERVICES {
            assert!(t.contains(s.name), "{}", s.name);
        }
        assert!(t.find("Well-known").unwrap() < t.find("mysql").unwrap());
        assert!(t.find("Registered").unwrap() < t.find("mysql").unwrap());
    }
}
