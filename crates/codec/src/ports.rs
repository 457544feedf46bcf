//! # Ports: "1 service = 1 port"
//!
//! A machine has one IP address but runs many services. The *port number*
//! (16 bits, 0–65535) tells the operating system which program an incoming
//! packet is for. Well-known services have agreed port numbers, so a client
//! knows where to knock: a web browser goes to 80, an SSH client to 22.
//!
//! The IANA splits the numbers into three ranges ([`PortRange`]):
//!
//! | range        | name        | used for                                         |
//! |--------------|-------------|--------------------------------------------------|
//! | 0–1023       | well-known  | standard services; opening them needs admin rights |
//! | 1024–49151   | registered  | applications that registered a number (MySQL 3306) |
//! | 49152–65535  | dynamic     | temporary ports the OS gives to *client* sockets   |
//!
//! netlab's servers implement well-known services (echo is port 7, time 37…)
//! but must run without administrator rights, so each listens by default on its
//! well-known port **+ 10000**: echo on 10007, time on 10037, and so on. See
//! [`netlab_default`].

use std::fmt;

/// Echo, RFC 862.
pub const ECHO: u16 = 7;
/// Daytime, RFC 867: the time as one line of text.
pub const DAYTIME: u16 = 13;
/// Time, RFC 868: the time as a 4-byte binary number.
pub const TIME: u16 = 37;
/// Port 194 is IRC's well-known port, the ancestor of every chat protocol;
/// netlab's own chat protocol borrows it.
pub const CHAT: u16 = 194;

/// What netlab adds to a well-known port to get its default port.
pub const NETLAB_OFFSET: u16 = 10_000;

/// The default port of a netlab server: its well-known port + 10000.
///
/// Ports below 1024 are *privileged*: on Linux and macOS only the
/// administrator may listen on them. Adding 10000 keeps the last digits
/// recognisable (10007 is echo, 10037 is time) while moving into the
/// registered range, where any user may listen.
pub const fn netlab_default(well_known: u16) -> u16 {
    well_known + NETLAB_OFFSET
}

/// The three port ranges defined by the IANA (RFC 6335).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortRange {
    /// 0–1023: standard services. Listening here needs administrator rights
    /// on Linux and macOS.
    WellKnown,
    /// 1024–49151: applications that registered their number with the IANA.
    Registered,
    /// 49152–65535: never assigned; the OS picks client-side ports from here
    /// (Linux actually uses 32768–60999 by default).
    Dynamic,
}

impl PortRange {
    /// The range a port number belongs to.
    pub const fn of(port: u16) -> PortRange {
        match port {
            0..=1023 => PortRange::WellKnown,
            1024..=49151 => PortRange::Registered,
            49152..=u16::MAX => PortRange::Dynamic,
        }
    }

    /// The first and last port of the range.
    pub const fn bounds(self) -> (u16, u16) {
        match self {
            PortRange::WellKnown => (0, 1023),
            PortRange::Registered => (1024, 49151),
            PortRange::Dynamic => (49152, u16::MAX),
        }
    }

    /// The short English name used in logs: "well-known", "registered", "dynamic".
    pub const fn name(self) -> &'static str {
        match self {
            PortRange::WellKnown => "well-known",
            PortRange::Registered => "registered",
            PortRange::Dynamic => "dynamic",
        }
    }

    /// True when listening on this range needs administrator rights (Unix).
    pub const fn is_privileged(self) -> bool {
        matches!(self, PortRange::WellKnown)
    }
}

/// Prints e.g. `registered port (1024–49151)`.
impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (low, high) = self.bounds();
        write!(f, "{} port ({low}–{high})", self.name())
    }
}

/// A service known by its port: the course's examples and netlab's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// Usual short name, as in `/etc/services` (lower case).
    pub name: &'static str,
    /// Its port number.
    pub port: u16,
    /// The transport(s) it is normally used over.
    pub transport: &'static str,
    /// What it is, in a few words.
    pub description: &'static str,
}

/// Services the course mentions, plus netlab's own default ports.
/// Sorted by port number, except netlab's own at the end.
#[rustfmt::skip] // one service per line reads like a table
pub const SERVICES: &[Service] = &[
    Service { name: "echo", port: ECHO, transport: "tcp+udp", description: "Echo (RFC 862)" },
    Service { name: "daytime", port: DAYTIME, transport: "tcp+udp", description: "Daytime, time as text (RFC 867)" },
    Service { name: "ftp-data", port: 20, transport: "tcp", description: "FTP data transfer" },
    Service { name: "ftp", port: 21, transport: "tcp", description: "FTP control (File Transfer Protocol)" },
    Service { name: "ssh", port: 22, transport: "tcp", description: "SSH, secure remote shell" },
    Service { name: "telnet", port: 23, transport: "tcp", description: "Telnet, remote terminal in clear text" },
    Service { name: "smtp", port: 25, transport: "tcp", description: "SMTP, sending e-mail" },
    Service { name: "time", port: TIME, transport: "tcp+udp", description: "Time, 4-byte binary time (RFC 868)" },
    Service { name: "domain", port: 53, transport: "udp+tcp", description: "DNS, names to addresses" },
    Service { name: "dhcp", port: 67, transport: "udp", description: "DHCP server, gives addresses to machines" },
    Service { name: "http", port: 80, transport: "tcp", description: "HTTP, the web" },
    Service { name: "pop3", port: 110, transport: "tcp", description: "POP3, fetching e-mail" },
    Service { name: "ntp", port: 123, transport: "udp", description: "NTP, clock synchronisation" },
    Service { name: "imap", port: 143, transport: "tcp", description: "IMAP, reading e-mail on the server" },
    Service { name: "snmp", port: 161, transport: "udp", description: "SNMP, network device monitoring" },
    Service { name: "irc", port: CHAT, transport: "tcp", description: "IRC, Internet Relay Chat" },
    Service { name: "ldap", port: 389, transport: "tcp", description: "LDAP, directory (Active Directory)" },
    Service { name: "https", port: 443, transport: "tcp", description: "HTTPS, the web over TLS" },
    Service { name: "smb", port: 445, transport: "tcp", description: "SMB, Windows file sharing" },
    Service { name: "imaps", port: 993, transport: "tcp", description: "IMAP over TLS" },
    Service { name: "pop3s", port: 995, transport: "tcp", description: "POP3 over TLS" },
    Service { name: "mssql", port: 1433, transport: "tcp", description: "Microsoft SQL Server" },
    Service { name: "mysql", port: 3306, transport: "tcp", description: "MySQL / MariaDB" },
    Service { name: "rdp", port: 3389, transport: "tcp", description: "RDP, Windows remote desktop" },
    Service { name: "postgresql", port: 5432, transport: "tcp", description: "PostgreSQL" },
    Service { name: "http-alt", port: 8080, transport: "tcp", description: "HTTP, alternative port (netlab http-server)" },
    Service { name: "netlab-echo", port: netlab_default(ECHO), transport: "tcp+udp", description: "netlab echo-server" },
    Service { name: "netlab-daytime", port: netlab_default(DAYTIME), transport: "tcp+udp", description: "netlab time-server, daytime service" },
    Service { name: "netlab-time", port: netlab_default(TIME), transport: "tcp+udp", description: "netlab time-server, time service" },
    Service { name: "netlab-chat", port: netlab_default(CHAT), transport: "tcp", description: "netlab chat-server (chat/1)" },
];

/// Every known service on this port.
pub fn services_on(port: u16) -> impl Iterator<Item = &'static Service> {
    SERVICES.iter().filter(move |s| s.port == port)
}

/// The service with this name, compared case-insensitively.
pub fn service_named(name: &str) -> Option<&'static Service> {
    SERVICES.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_edges() {
        assert_eq!(PortRange::of(0), PortRange::WellKnown);
        assert_eq!(PortRange::of(1023), PortRange::WellKnown);
        assert_eq!(PortRange::of(1024), PortRange::Registered);
        assert_eq!(PortRange::of(49151), PortRange::Registered);
        assert_eq!(PortRange::of(49152), PortRange::Dynamic);
        assert_eq!(PortRange::of(65535), PortRange::Dynamic);
    }

    #[test]
    fn ranges_cover_every_port_once() {
        let mut expected_next = 0u32;
        for range in [
            PortRange::WellKnown,
            PortRange::Registered,
            PortRange::Dynamic,
        ] {
            let (low, high) = range.bounds();
            assert_eq!(
                u32::from(low),
                expected_next,
                "{range:?} must start where the previous ended"
            );
            assert_eq!(PortRange::of(low), range);
            assert_eq!(PortRange::of(high), range);
            expected_next = u32::from(high) + 1;
        }
        assert_eq!(expected_next, 65536);
    }

    #[test]
    fn display_names_the_range_and_its_bounds() {
        assert_eq!(
            PortRange::of(10007).to_string(),
            "registered port (1024–49151)"
        );
        assert_eq!(PortRange::of(80).to_string(), "well-known port (0–1023)");
        assert_eq!(
            PortRange::of(50000).to_string(),
            "dynamic port (49152–65535)"
        );
    }

    #[test]
    fn only_well_known_ports_are_privileged() {
        assert!(PortRange::of(80).is_privileged());
        assert!(!PortRange::of(1024).is_privileged());
    }

    #[test]
    fn netlab_defaults_keep_the_last_digits() {
        assert_eq!(netlab_default(ECHO), 10007);
        assert_eq!(netlab_default(DAYTIME), 10013);
        assert_eq!(netlab_default(TIME), 10037);
        assert_eq!(netlab_default(CHAT), 10194);
        assert_eq!(PortRange::of(netlab_default(CHAT)), PortRange::Registered);
    }

    #[test]
    fn services_are_found_by_port_and_by_name() {
        assert_eq!(service_named("SSH").map(|s| s.port), Some(22));
        assert_eq!(service_named("mysql").map(|s| s.port), Some(3306));
        assert!(services_on(3306).any(|s| s.name == "mysql"));
        assert_eq!(services_on(21).count(), 1);
        assert!(service_named("no-such-service").is_none());
    }

    #[test]
    fn service_names_are_unique_and_lower_case() {
        for (i, a) in SERVICES.iter().enumerate() {
            assert_eq!(a.name, a.name.to_ascii_lowercase());
            for b in &SERVICES[i + 1..] {
                assert_ne!(a.name, b.name, "duplicate service name");
            }
        }
    }
}
