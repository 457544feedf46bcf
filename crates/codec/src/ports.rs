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
//!
//! The port a datagram comes *from* matters too: [`may_answer_udp`] tells a
//! UDP server which senders it must never answer, because answering them
//! could start an endless loop between two servers.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Echo, RFC 862.
pub const ECHO: u16 = 7;
/// Discard, RFC 863: reads everything, answers nothing.
pub const DISCARD: u16 = 9;
/// Daytime, RFC 867: the time as one line of text.
pub const DAYTIME: u16 = 13;
/// Chargen, RFC 864: answers every datagram with a line of characters.
pub const CHARGEN: u16 = 19;
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

/// The port to suggest to someone refused a well-known port: netlab's
/// habit ([`netlab_default`]), except for the web, whose habit is 8080 and
/// 8443. Browsers refuse some ports outright, 10080 among them (an old
/// backup service's), so the habit would send a student to a page that
/// never loads.
pub const fn unprivileged_alternative(well_known: u16) -> u16 {
    match well_known {
        80 => 8080,
        443 => 8443,
        port => netlab_default(port),
    }
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

/// The UDP ports of netlab's own servers (echo, daytime, time), which answer
/// any datagram just as the well-known small services do.
pub const NETLAB_UDP_SERVICES: [u16; 3] = [
    netlab_default(ECHO),
    netlab_default(DAYTIME),
    netlab_default(TIME),
];

/// Why a UDP server keeps quiet: the sender's port says it may be a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    /// Port 0 means "no port": nothing can be sent back to it. Only a forged
    /// datagram carries it.
    PortZero,
    /// The port of one of our own sockets: we would be answering ourselves
    /// (or the same service on another machine).
    OwnPort,
    /// A well-known port (0–1023): that is where servers live, not clients.
    WellKnown,
    /// The port of one of netlab's UDP servers.
    NetlabService,
    /// More datagrams from this source (address and port) than its
    /// [`AnswerBudget`] allows a second: another server answering ours?
    TooFast {
        /// The budget: answers a second to one source.
        per_second: u32,
    },
    /// More sources at once than [`AnswerBudget`] remembers, and the answers
    /// those beyond share are used up: a flood from many addresses?
    Crowded {
        /// The budget those sources share, answers a second.
        per_second: u32,
    },
}

/// Says why, in a log line: `not answered: the source port is …`.
impl fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NoAnswer::PortZero => "the source port is 0, which no real sender uses",
            NoAnswer::OwnPort => "the source port is this server's own port",
            NoAnswer::WellKnown => "the source port is a well-known port, where servers live",
            NoAnswer::NetlabService => "the source port is one of netlab's UDP servers",
            NoAnswer::TooFast { per_second } => {
                return write!(
                    f,
                    "more than {per_second} datagrams a second from this source, as when \
                     another server answers our answers"
                );
            }
            NoAnswer::Crowded { per_second } => {
                return write!(
                    f,
                    "more than {} sources at once: those beyond share {per_second} answers \
                     a second, and they are used up (a flood from many addresses?)",
                    AnswerBudget::MAX_SOURCES
                );
            }
        })
    }
}

/// May a UDP server answer a datagram that came from `source_port`?
/// `own_ports` are the ports of the server's own UDP sockets.
///
/// **Why a server must not answer another server.** UDP has no connection:
/// the sender's address is whatever the datagram says, and anyone can forge
/// it. Send echo (port 7) a datagram that claims to come from chargen
/// (port 19) of another machine: echo sends it back to chargen, chargen
/// answers with a line, echo echoes the line, chargen answers again… Two
/// servers now play ping-pong at full speed, forever, from one forged packet
/// (the "UDP packet storm", CVE-1999-0103). A datagram "from" the server's own
/// address starts the same loop with itself.
///
/// Real clients send from a port the OS picks among the ephemeral ones
/// (32768–60999 on Linux), so a server loses nothing by staying silent when
/// the source port is 0, one of its own ports, a well-known port (echo 7,
/// discard 9, daytime 13, chargen 19, time 37, but also DNS, NTP… anything
/// there may answer unexpected bytes), or one of netlab's servers (10007,
/// 10013, 10037). This is the check BSD `inetd` makes for its built-in
/// services (`check_loop` in FreeBSD, `dg_badinput` in OpenBSD).
///
/// It is not a complete defence on its own: two servers on ports nobody can
/// guess in advance (two echo-servers on `--port 20007` and `--port 30007`)
/// can still be set against each other. [`AnswerBudget`] ends that loop.
pub fn may_answer_udp(source_port: u16, own_ports: &[u16]) -> Result<(), NoAnswer> {
    if source_port == 0 {
        Err(NoAnswer::PortZero)
    } else if own_ports.contains(&source_port) {
        Err(NoAnswer::OwnPort)
    } else if PortRange::of(source_port) == PortRange::WellKnown {
        Err(NoAnswer::WellKnown)
    } else if NETLAB_UDP_SERVICES.contains(&source_port) {
        Err(NoAnswer::NetlabService)
    } else {
        Ok(())
    }
}

/// How many answers a UDP server gives one source (an address *and* a
/// port) per second, so that a loop between two servers is bounded, and
/// ends when it is fast.
///
/// A loop started by one forged datagram is one datagram bouncing between
/// two servers as fast as they can answer: on one machine or a wired
/// network, thousands a second, forever. A person, or a program asking a
/// question and waiting for the answer, asks far less often. So each source
/// gets a *bucket* of answers: full at first (`per_second` answers), refilled
/// at `per_second` answers a second. A loop faster than that empties it in a
/// fraction of a second; the next datagram from it goes unanswered, and since
/// the loop *was* that one datagram, it stops. A slower loop (two machines
/// far apart) is not stopped, only held to `per_second` datagrams a second.
///
/// Memory is bounded: at most [`AnswerBudget::MAX_SOURCES`] sources are
/// remembered. When that many are, the ones whose bucket has filled up
/// again are forgotten (at most once a second). New sources that still find
/// no room share one more bucket, of the same size: they are answered while
/// it lasts. Every answer is counted somewhere, so keeping the table full
/// (thousands of source ports a second, at a low `per_second`) does not let
/// a loop escape its budget. The price: while such a flood lasts, a new
/// client shares that one budget with it and may go unanswered
/// ([`NoAnswer::Crowded`]); sources already remembered keep their own.
#[derive(Debug)]
pub struct AnswerBudget {
    /// Answers a second to one source, and so the size of a full bucket.
    per_second: u32,
    sources: HashMap<SocketAddr, Bucket>,
    /// Shared by every source the table has no room for.
    overflow: Bucket,
    last_sweep: Option<Instant>,
}

/// One source's answers left, as of `at`.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    left: f64,
    at: Instant,
}

impl Bucket {
    fn full(size: f64, now: Instant) -> Bucket {
        Bucket {
            left: size,
            at: now,
        }
    }

    /// Refills it for the time since `at` (`size` a second, up to `size`),
    /// then takes one answer if there is one.
    fn take(&mut self, size: f64, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * size;
        self.left = (self.left + refill).min(size);
        self.at = now;
        if self.left >= 1.0 {
            self.left -= 1.0;
            true
        } else {
            false
        }
    }
}

impl AnswerBudget {
    /// The most sources remembered at once (about 450 KiB).
    pub const MAX_SOURCES: usize = 4096;

    /// The default budget, answers a second to one source.
    pub const DEFAULT_PER_SECOND: u32 = 1000;

    /// A budget of `per_second` answers a second per source (at least 1).
    pub fn new(per_second: u32) -> AnswerBudget {
        let per_second = per_second.max(1);
        AnswerBudget {
            per_second,
            sources: HashMap::new(),
            overflow: Bucket::full(f64::from(per_second), Instant::now()),
            last_sweep: None,
        }
    }

    /// May a UDP server whose sockets are on `own_ports` answer a datagram
    /// from `from`, at `now`? [`may_answer_udp`]'s rule first, then this
    /// source's budget (counting the answer when there is one).
    pub fn judge(
        &mut self,
        from: SocketAddr,
        own_ports: &[u16],
        now: Instant,
    ) -> Result<(), NoAnswer> {
        may_answer_udp(from.port(), own_ports)?;
        self.answer(from, now)
    }

    /// May `from` be answered at `now`? Counts the answer when it may.
    #[cfg(test)]
    fn allow(&mut self, from: SocketAddr, now: Instant) -> bool {
        self.answer(from, now).is_ok()
    }

    /// The budget's half of [`AnswerBudget::judge`]: takes one answer from
    /// `from`'s bucket, or says why there is none.
    fn answer(&mut self, from: SocketAddr, now: Instant) -> Result<(), NoAnswer> {
        let (full, per_second) = (self.bucket_size(), self.per_second);
        if !self.sources.contains_key(&from) && self.sources.len() >= Self::MAX_SOURCES {
            self.sweep(now);
            if self.sources.len() >= Self::MAX_SOURCES {
                return match self.overflow.take(full, now) {
                    true => Ok(()),
                    false => Err(NoAnswer::Crowded { per_second }),
                };
            }
        }
        match self
            .sources
            .entry(from)
            .or_insert(Bucket::full(full, now))
            .take(full, now)
        {
            true => Ok(()),
            false => Err(NoAnswer::TooFast { per_second }),
        }
    }

    /// A full bucket: a second's worth of answers.
    fn bucket_size(&self) -> f64 {
        f64::from(self.per_second)
    }

    /// Forgets the sources whose bucket would be full again by `now` (they
    /// have been quiet for a second or more); at most once a second, so
    /// that a stream of new sources costs no more than a sweep a second.
    fn sweep(&mut self, now: Instant) {
        if self
            .last_sweep
            .is_some_and(|last| now.saturating_duration_since(last) < Duration::from_secs(1))
        {
            return;
        }
        self.last_sweep = Some(now);
        let full = self.bucket_size();
        self.sources.retain(|_, bucket| {
            bucket.left + now.saturating_duration_since(bucket.at).as_secs_f64() * full < full
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn a_looping_peer_runs_out_of_answers_and_the_loop_ends() {
        let mut budget = AnswerBudget::new(100);
        let start = Instant::now();
        // A loop: one datagram every 100 µs, answered each time.
        let mut answered = 0;
        for i in 0..10_000u32 {
            let now = start + Duration::from_micros(100 * u64::from(i));
            if !budget.allow(source(40_000), now) {
                break; // the bouncing datagram is dropped: the loop is over
            }
            answered += 1;
        }
        // The bucket (100) plus what refilled meanwhile (100/s for ~11 ms).
        assert!((100..=102).contains(&answered), "{answered}");
    }

    #[test]
    fn judging_applies_the_port_rule_then_the_budget() {
        let mut budget = AnswerBudget::new(2);
        let now = Instant::now();
        assert_eq!(budget.judge(source(7), &[], now), Err(NoAnswer::WellKnown));
        assert_eq!(budget.judge(source(40_000), &[], now), Ok(()));
        assert_eq!(budget.judge(source(40_000), &[], now), Ok(()));
        let too_fast = budget.judge(source(40_000), &[], now);
        assert_eq!(too_fast, Err(NoAnswer::TooFast { per_second: 2 }));
        assert!(
            too_fast
                .unwrap_err()
                .to_string()
                .contains("more than 2 datagrams")
        );
    }

    #[test]
    fn a_client_within_its_rate_is_always_answered() {
        let mut budget = AnswerBudget::new(100);
        let start = Instant::now();
        // 90 questions a second for 10 s, and another source's flood beside.
        for i in 0..900u32 {
            let now = start + Duration::from_millis(11 * u64::from(i) + 1);
            assert!(budget.allow(source(40_000), now), "question {i}");
            for _ in 0..5 {
                budget.allow(source(40_001), now);
            }
        }
        // The flooding source is held to about 100 a second.
        let later = start + Duration::from_secs(20);
        let burst = (0..1000)
            .filter(|_| budget.allow(source(40_001), later))
            .count();
        assert_eq!(burst, 100, "a full bucket, and no more");
    }

    #[test]
    fn memory_is_bounded_and_new_sources_still_get_answers() {
        let mut budget = AnswerBudget::new(10);
        let now = Instant::now();
        let from = |i: usize| SocketAddr::from(([10, 0, (i >> 8) as u8, i as u8], 40_000));
        for i in 0..AnswerBudget::MAX_SOURCES {
            assert!(budget.allow(from(i), now), "source {i}");
        }
        // No room: the next sources share one more bucket of 10 answers.
        let extra = AnswerBudget::MAX_SOURCES..2 * AnswerBudget::MAX_SOURCES;
        let answered = extra.filter(|&i| budget.allow(from(i), now)).count();
        assert_eq!(answered, 10);
        assert!(budget.sources.len() <= AnswerBudget::MAX_SOURCES);
        // A second later the quiet ones are forgotten and counting resumes.
        let later = now + Duration::from_secs(2);
        for _ in 0..10 {
            assert!(budget.allow(source(40_000), later));
        }
        assert!(!budget.allow(source(40_000), later), "counted again");
    }

    #[test]
    fn a_full_table_does_not_let_a_loop_escape_its_budget() {
        // Thousands of source ports a second keep the table full (at 1
        // answer a second, none is forgotten for a second); a loop through
        // a source it has no room for used to be answered uncounted.
        let mut budget = AnswerBudget::new(1);
        let now = Instant::now();
        for port in 0..AnswerBudget::MAX_SOURCES {
            budget.allow(SocketAddr::from(([10, 0, 0, 1], port as u16)), now);
        }
        let looping = source(40_000);
        let answered = (0..100)
            .filter(|&i| budget.allow(looping, now + Duration::from_millis(i)))
            .count();
        assert_eq!(answered, 1, "a fast loop must run out of answers");
        // And the log says why: not "too fast from this source".
        let why = budget.judge(source(40_001), &[], now).unwrap_err();
        assert!(matches!(why, NoAnswer::Crowded { .. }), "{why:?}");
        assert!(why.to_string().contains("4096 sources"), "{why}");
    }

    #[test]
    fn the_web_gets_its_own_habit_not_a_port_browsers_refuse() {
        assert_eq!(unprivileged_alternative(80), 8080);
        assert_eq!(unprivileged_alternative(443), 8443);
        assert_eq!(unprivileged_alternative(7), 10007);
    }

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

    #[test]
    fn clients_ephemeral_ports_get_an_answer() {
        for port in [1024, 32768, 40000, 49152, 60999, 65535] {
            assert_eq!(may_answer_udp(port, &[10007]), Ok(()), "port {port}");
        }
        // Just around netlab's ports: only the exact ports are servers.
        for port in [10006, 10008, 10012, 10014, 10036, 10038] {
            assert_eq!(may_answer_udp(port, &[]), Ok(()), "port {port}");
        }
    }

    #[test]
    fn port_zero_is_never_answered() {
        assert_eq!(may_answer_udp(0, &[]), Err(NoAnswer::PortZero));
        assert_eq!(may_answer_udp(0, &[0]), Err(NoAnswer::PortZero));
    }

    #[test]
    fn the_small_services_are_never_answered() {
        for port in [ECHO, DISCARD, DAYTIME, CHARGEN, TIME] {
            assert_eq!(may_answer_udp(port, &[]), Err(NoAnswer::WellKnown));
        }
        // DNS, NTP, and the edges of the well-known range.
        for port in [1, 53, 123, 1023] {
            assert_eq!(may_answer_udp(port, &[]), Err(NoAnswer::WellKnown));
        }
    }

    #[test]
    fn netlab_servers_are_never_answered() {
        assert_eq!(NETLAB_UDP_SERVICES, [10007, 10013, 10037]);
        for port in NETLAB_UDP_SERVICES {
            assert_eq!(may_answer_udp(port, &[40000]), Err(NoAnswer::NetlabService));
        }
    }

    #[test]
    fn a_server_never_answers_its_own_ports() {
        // An echo-server on a port chosen by the OS, and a time-server with
        // both services on custom ports: each must not answer the other.
        assert_eq!(may_answer_udp(41234, &[41234]), Err(NoAnswer::OwnPort));
        assert_eq!(
            may_answer_udp(20013, &[20037, 20013]),
            Err(NoAnswer::OwnPort)
        );
        assert_eq!(may_answer_udp(20014, &[20037, 20013]), Ok(()));
        // Own port 7 (run as administrator): "own" is the more precise reason.
        assert_eq!(may_answer_udp(ECHO, &[ECHO]), Err(NoAnswer::OwnPort));
    }

    #[test]
    fn every_port_is_decided_as_the_rules_say() {
        for port in 0..=u16::MAX {
            let refused = port < 1024 || [10007, 10013, 10037, 50000].contains(&port);
            assert_eq!(
                may_answer_udp(port, &[50000]).is_err(),
                refused,
                "port {port}"
            );
        }
    }

    #[test]
    fn refusals_explain_themselves() {
        assert_eq!(
            NoAnswer::OwnPort.to_string(),
            "the source port is this server's own port"
        );
    }
}
