//! # time-client: ask for the time, and understand the answer
//!
//! **Course ideas.**
//! - *The client initiates*: it connects (TCP) or sends an empty datagram
//!   (UDP); the server answers with no further question.
//! - *Client and server must speak the same protocol*: the client expects
//!   4 binary bytes (time) or a line of text (daytime). Point it at the wrong
//!   port and it explains, in plain words, what it got instead and why that
//!   cannot be a valid answer.
//! - *UDP may lose datagrams*: so over UDP the client waits with a time-out
//!   and asks again a bounded number of times.
//!
//! What it prints (stdout): the bytes received, what they mean, the server's
//! time in UTC and in this machine's time zone, and how far the server's
//! clock is from this machine's.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use codec::time::{Protocol, daytime, rfc868};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use netkit::NetError;
use netkit::error::{Transport, is_closed_by_peer, join_host_port};
use netkit::logging::count;
use netkit::net::{AFTER_THE_ANSWER, UdpServer, connect_tcp, is_udp_refusal};
use netkit::trace::{Traced, Way, hex, plural_bytes, show_bytes};
use tokio::io::AsyncReadExt;
use tracing::{info, warn};

use crate::tap_for;

/// The most a client reads: a time answer is 4 bytes, a daytime line a few
/// dozen; anything longer is another protocol and need not be read whole.
pub const MAX_REPLY: usize = daytime::MAX_LINE;

/// What the client was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server's host name or address.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// Which protocol to expect.
    pub protocol: Protocol,
    /// Use a UDP datagram instead of a TCP connection.
    pub udp: bool,
    /// Log every byte (`--trace`).
    pub trace: bool,
    /// How long to wait to connect, or for the answer.
    pub timeout: Duration,
    /// UDP only: how many times to ask again when no answer comes.
    pub retries: u32,
}

/// The raw answer, as it arrived.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Who answered.
    pub server: SocketAddr,
    /// "TCP" or "UDP".
    pub transport: &'static str,
    /// Every byte received (at most [`MAX_REPLY`]).
    pub bytes: Vec<u8>,
    /// The server sent more than [`MAX_REPLY`] bytes: `bytes` holds only the
    /// first of them, so their count is not the answer's length.
    pub cut: bool,
    /// This machine's clock when the answer arrived.
    pub received_at: Timestamp,
}

/// Asks the server, prints what it answered and what that means.
pub async fn run(options: Options) -> Result<(), NetError> {
    let reply = if options.udp {
        ask_udp(&options).await?
    } else {
        ask_tcp(&options).await?
    };
    report(
        options.protocol,
        &reply,
        &TimeZone::system(),
        &mut std::io::stdout().lock(),
    )
}

/// Writes to `out` what arrived and, when it is a valid answer in
/// `protocol`, what it means; returns why it is not one, if it is not.
///
/// What arrived is printed even when it makes no sense: seeing the wrong
/// bytes is how one understands the mismatch. An output nobody reads any
/// more (`time-client | true`) is no failure: the answer's verdict stands.
/// An output that cannot be written (a full disk) is one: the time the
/// person asked for is lost, and the exit status must say so.
pub fn report(
    protocol: Protocol,
    reply: &Reply,
    local: &TimeZone,
    out: &mut impl std::io::Write,
) -> Result<(), NetError> {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "server:      {} ({}), {}",
        reply.server,
        reply.transport,
        protocol.label()
    );
    // Longer than any answer: only its start was read, and counting those
    // bytes as its length would be false ("got 512" when 65000 came).
    let cut = if reply.cut {
        format!(
            " (only the first {MAX_REPLY} bytes were read: the server sent more, \
             longer than any time or daytime answer)"
        )
    } else {
        String::new()
    };
    let _ = writeln!(
        text,
        "received:    {} {}{cut}",
        plural_bytes(reply.bytes.len()),
        show_reply(protocol, &reply.bytes)
    );
    let outcome = interpret_reply(protocol, reply);
    if let Ok(instant) = &outcome {
        text.push_str(&describe(protocol, reply, *instant, local));
    }
    // Not print!, which panics when nobody reads our output any more.
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match written.map_err(NetError::output) {
        Err(e) if !e.is_closed_output() => Err(e),
        _ => outcome.map(|_| ()),
    }
}

/// Connects, then reads the answer: until the server closes (daytime, and
/// any server that hangs up after answering), or, for RFC 868, until its 4
/// bytes have come and nothing follows for [`AFTER_THE_ANSWER`].
pub async fn ask_tcp(options: &Options) -> Result<Reply, NetError> {
    let stream = connect_tcp(&options.host, options.port, options.timeout).await?;
    let server = stream
        .peer_addr()
        .map_err(|e| NetError::io("reading the server's address", e))?;
    if let Ok(local) = stream.local_addr() {
        info!(
            "connected to {server} from {local} (our port {} was chosen by the OS); \
             we send nothing: the server speaks first",
            local.port()
        );
    }
    let tap = tap_for(
        options.protocol,
        server,
        options.trace,
        Transport::Tcp,
        Way::In,
    );
    let mut stream = Traced::new(stream, tap);
    let mut bytes = Vec::with_capacity(64);
    // When the last byte came: the moment the server's clock is compared
    // with ours. Not when reading ends, which may be a whole time-out later
    // if the server does not close.
    let mut received_at = Timestamp::now();
    // RFC 868: "U: Receive the time. U: Close the connection. S: Close the
    // connection". Once 4 bytes have come, a moment's silence means that was
    // all, and the client may close first; more bytes in that moment mean a
    // longer answer (a daytime line?), to be judged whole.
    let after_the_answer = AFTER_THE_ANSWER.min(options.timeout);
    // One byte more than is kept: it tells an answer of exactly MAX_REPLY
    // bytes from a longer one, which is cut (see `Reply::cut`).
    let reading = async {
        let mut chunk = [0u8; MAX_REPLY + 1];
        while bytes.len() <= MAX_REPLY {
            let room = MAX_REPLY + 1 - bytes.len();
            let read = stream.read(&mut chunk[..room]);
            let n = if options.protocol == Protocol::Time && bytes.len() == rfc868::ANSWER_LEN {
                match tokio::time::timeout(after_the_answer, read).await {
                    Ok(n) => n?,
                    Err(_) => break, // 4 bytes and silence: the whole answer
                }
            } else {
                read.await?
            };
            if n == 0 {
                break; // the server closed: the answer is complete
            }
            received_at = Timestamp::now();
            bytes.extend_from_slice(&chunk[..n]);
        }
        Ok::<(), std::io::Error>(())
    };
    match tokio::time::timeout(options.timeout, reading).await {
        Ok(Ok(())) => {}
        // Reset before a single byte: explained below, like a plain close.
        Ok(Err(e)) if is_closed_by_peer(&e) && bytes.is_empty() => {}
        Ok(Err(e)) => return Err(NetError::io(format!("reading from {server}"), e)),
        // RFC 868's 4 bytes, then the time ran out during the moment of
        // silence after them: the answer is whole, and RFC 868 lets the
        // client close first.
        Err(_) if options.protocol == Protocol::Time && bytes.len() == rfc868::ANSWER_LEN => {}
        // Some bytes then silence: judge what arrived. A daytime server
        // closes once it has answered (the close ends its line); this one
        // did not, which the log says.
        Err(_) if !bytes.is_empty() => {
            warn!(
                "{server} sent {} and then kept the connection open for {:.1} s: a {} \
                 server closes it once it has answered; judging what arrived",
                plural_bytes(bytes.len()),
                options.timeout.as_secs_f64(),
                options.protocol.label()
            );
        }
        Err(_) => return Err(silent_server(options, server)),
    }
    // Closed without a word. A time server that accepted us always answers,
    // so the likely reason is that it is full and closed us at once (or
    // refused us); another protocol on this port is the other possibility.
    if bytes.is_empty() {
        return Err(NetError::ClosedWithoutAnswer {
            addr: server.to_string(),
            service: options.protocol.label().to_string(),
        });
    }
    let cut = bytes.len() > MAX_REPLY;
    bytes.truncate(MAX_REPLY);
    Ok(Reply {
        server,
        transport: "TCP",
        bytes,
        cut,
        received_at,
    })
}

/// A TCP server that accepted the connection but never said anything.
fn silent_server(options: &Options, server: SocketAddr) -> NetError {
    NetError::protocol(format!(
        "no answer from {server} within {:.1} s. A {} server speaks first, as soon as the \
         connection opens; this one accepted the connection and waits for us to talk, so it \
         speaks another protocol — the port may belong to another service (an echo server?)",
        options.timeout.as_secs_f64(),
        options.protocol.label()
    ))
}

/// Sends an empty datagram and waits for the answer; asks again on time-out.
pub async fn ask_udp(options: &Options) -> Result<Reply, NetError> {
    ask_udp_at(UdpServer::open(&options.host, options.port).await?, options).await
}

/// [`ask_udp`], to a server already resolved: when its address answers
/// "port unreachable" (nothing listens there), the next address of the
/// same name is asked.
pub async fn ask_udp_at(mut target: UdpServer, options: &Options) -> Result<Reply, NetError> {
    let trace = |server| {
        tap_for(
            options.protocol,
            server,
            options.trace,
            Transport::Udp,
            Way::In,
        )
    };
    let mut server = target.addr();
    let mut tap = trace(server);
    // Saturating: `--retries` is bounded, but a library caller may pass any u32.
    let attempts = options.retries.saturating_add(1);
    let mut attempt = 1;
    // One byte more than is kept: a datagram that fills it was longer than
    // MAX_REPLY, and the kernel dropped the rest (see `Reply::cut`).
    let mut buf = [0u8; MAX_REPLY + 1];
    while attempt <= attempts {
        // RFC 868 and 867 over UDP: any datagram is the question, even an empty one.
        if let Err(e) = target.socket().send(&[]).await {
            // This address cannot be sent to (IPv6 switched off?): the
            // name's next one, if it has one.
            match target.next_address(&e).await? {
                Some(next) => {
                    server = next;
                    tap = trace(server);
                    continue;
                }
                None => return Err(NetError::udp_io(format!("sending to {server}"), e)),
            }
        }
        info!("sent an empty datagram to {server} (attempt {attempt} of {attempts})");
        match tokio::time::timeout(options.timeout, target.socket().recv(&mut buf)).await {
            Ok(Ok(n)) => {
                let kept = n.min(MAX_REPLY);
                tap.received(&buf[..kept]);
                return Ok(Reply {
                    server,
                    transport: "UDP",
                    bytes: buf[..kept].to_vec(),
                    cut: n > MAX_REPLY,
                    received_at: Timestamp::now(),
                });
            }
            // An ICMP "port unreachable": nobody listens there. The name
            // may have another address (localhost: ::1, then 127.0.0.1),
            // which is asked at once; that answer is not a lost datagram, so
            // that question is not counted as an attempt.
            Ok(Err(e)) if is_udp_refusal(&e) => match target.next_address(&e).await? {
                Some(next) => {
                    server = next;
                    tap = trace(server);
                    continue;
                }
                None => return Err(NetError::udp_io(format!("receiving from {server}"), e)),
            },
            Ok(Err(e)) => return Err(NetError::udp_io(format!("receiving from {server}"), e)),
            Err(_) if attempt < attempts => {
                info!(
                    "no answer after {:.1} s: the datagram or its answer may be lost; asking again",
                    options.timeout.as_secs_f64()
                );
            }
            Err(_) => {}
        }
        attempt += 1;
    }
    Err(NetError::TimedOut {
        what: format!(
            "waiting for an answer from {} over UDP ({} sent)",
            join_host_port(&options.host, options.port),
            count(u64::from(attempts), "datagram", "datagrams")
        ),
        after: options.timeout,
    })
}

/// [`interpret`] for a whole [`Reply`]: an answer cut at [`MAX_REPLY`]
/// bytes is never valid, and the reason says it was longer.
pub fn interpret_reply(protocol: Protocol, reply: &Reply) -> Result<Timestamp, NetError> {
    if reply.cut {
        return Err(NetError::protocol(format!(
            "expected {}, got more than {MAX_REPLY} bytes — is this really a {} server? \
             The port may belong to another service",
            match protocol {
                Protocol::Time => "4 bytes (RFC 868)",
                Protocol::Daytime => "a line of text (RFC 867)",
            },
            protocol.label()
        )));
    }
    interpret(protocol, &reply.bytes)
}

/// The instant an answer names, or a plain-words reason why it is not a
/// valid answer in `protocol`.
pub fn interpret(protocol: Protocol, bytes: &[u8]) -> Result<Timestamp, NetError> {
    // The codec says when the bytes look like the other protocol's answer;
    // the flag that asks for it is this program's to name.
    let wrong = |error: &dyn std::fmt::Display, looks_like_other: bool, other: &str| {
        NetError::protocol(if looks_like_other {
            format!("{error}: try --protocol {other}")
        } else {
            error.to_string()
        })
    };
    match protocol {
        Protocol::Time => {
            rfc868::parse_answer(bytes).map_err(|e| wrong(&e, e.looks_like_daytime(), "daytime"))
        }
        Protocol::Daytime => daytime::text_of(bytes)
            .and_then(daytime::parse)
            .map_err(|e| wrong(&e, e.looks_like_time(), "time")),
    }
}

/// The lines that explain a valid answer: its meaning, the time in UTC and
/// in `local`, and the difference with this machine's clock.
pub fn describe(protocol: Protocol, reply: &Reply, instant: Timestamp, local: &TimeZone) -> String {
    let mut out = String::new();
    if protocol == Protocol::Time {
        if let Ok(bytes) = <[u8; rfc868::ANSWER_LEN]>::try_from(reply.bytes.as_slice()) {
            let value = u32::from_be_bytes(bytes);
            let _ = writeln!(
                out,
                "meaning:     {value:#010x} = {value} seconds since 1900-01-01T00:00:00Z"
            );
        }
    }
    let _ = writeln!(
        out,
        "UTC:         {}",
        instant.strftime("%Y-%m-%d %H:%M:%S UTC")
    );
    let zoned = instant.to_zoned_datetime(local.clone());
    let _ = writeln!(
        out,
        "local time:  {}",
        zoned.strftime("%Y-%m-%d %H:%M:%S %Z (UTC%:z)")
    );
    let difference = instant.duration_since(reply.received_at);
    let _ = writeln!(out, "difference:  {}", explain_difference(difference));
    out
}

/// "the server is 0.4 s behind this machine", with the protocols' precision in mind.
pub fn explain_difference(server_minus_local: SignedDuration) -> String {
    let seconds = server_minus_local.as_secs_f64();
    let side = if seconds < 0.0 { "behind" } else { "ahead of" };
    let mut text = format!(
        "the server's clock is {:.1} s {side} this machine's",
        seconds.abs()
    );
    if seconds.abs() < 1.5 {
        text.push_str(" (the answer counts whole seconds: up to 1 s is expected)");
    }
    text
}

/// The bytes as received: hexadecimal for a 4-byte time answer, escaped
/// text for anything readable (a daytime line, or the wrong protocol's text).
///
/// A time answer is always shown in hex: by chance its 4 bytes are sometimes
/// valid UTF-8 (`EE AF 96 45` decodes as two characters), and showing them as
/// text would hide that they are a number.
pub fn show_reply(protocol: Protocol, bytes: &[u8]) -> String {
    if bytes.is_empty() {
        "(nothing)".to_string()
    } else if protocol == Protocol::Time && bytes.len() == rfc868::ANSWER_LEN {
        hex(bytes)
    } else {
        show_bytes(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(bytes: &[u8], received_at: &str) -> Reply {
        Reply {
            server: "127.0.0.1:10037".parse().unwrap(),
            transport: "TCP",
            bytes: bytes.to_vec(),
            cut: false,
            received_at: received_at.parse().unwrap(),
        }
    }

    #[test]
    fn a_time_answer_is_explained_in_utc_and_local_time() {
        let r = reply(&[0xEE, 0xAF, 0x93, 0x72], "2026-11-24T04:39:14.400Z");
        let instant = interpret(Protocol::Time, &r.bytes).unwrap();
        // A fixed offset, so the test does not depend on the tz database.
        let one_hour_east = TimeZone::fixed(jiff::tz::offset(1));
        let text = describe(Protocol::Time, &r, instant, &one_hour_east);
        assert!(
            text.contains("0xeeaf9372 = 4004483954 seconds since 1900"),
            "{text}"
        );
        assert!(
            text.contains("UTC:         2026-11-24 04:39:14 UTC"),
            "{text}"
        );
        assert!(text.contains("local time:  2026-11-24 05:39:14 "), "{text}");
        assert!(text.contains("(UTC+01:00)"), "{text}");
        assert!(text.contains("0.4 s behind"), "{text}");
    }

    #[test]
    fn a_daytime_line_is_explained_too() {
        let r = reply(
            b"Tuesday, November 24, 2026 04:39:20-UTC\r\n",
            "2026-11-24T04:39:14Z",
        );
        let instant = interpret(Protocol::Daytime, &r.bytes).unwrap();
        let text = describe(Protocol::Daytime, &r, instant, &TimeZone::UTC);
        assert!(!text.contains("meaning"), "{text}");
        assert!(text.contains("6.0 s ahead of"), "{text}");
        assert!(!text.contains("whole seconds"), "{text}");
    }

    #[test]
    fn time_answers_are_always_shown_in_hex() {
        // EE AF 96 45 happens to be valid UTF-8: "\u{ebd6}E".
        let bytes = [0xEE, 0xAF, 0x96, 0x45];
        assert_eq!(show_reply(Protocol::Time, &bytes), "[ee af 96 45]");
        assert_eq!(show_reply(Protocol::Time, b"hello\r\n"), r#""hello\r\n""#);
        assert_eq!(show_reply(Protocol::Daytime, b"hi\r\n"), r#""hi\r\n""#);
        assert_eq!(show_reply(Protocol::Time, b""), "(nothing)");
    }

    /// A writer that fails as a full disk, or a pipe whose reader has gone.
    struct Failing(std::io::ErrorKind);

    impl std::io::Write for Failing {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(self.0.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Err(self.0.into())
        }
    }

    #[test]
    fn an_output_that_cannot_be_written_is_an_error_one_nobody_reads_is_not() {
        let time = reply(&[0xEE, 0xAF, 0x93, 0x72], "2026-11-24T04:39:14Z");
        let mut screen = Vec::new();
        report(Protocol::Time, &time, &TimeZone::UTC, &mut screen).unwrap();
        assert!(
            String::from_utf8(screen)
                .unwrap()
                .contains("UTC:         2026-11-24 04:39:14")
        );
        // `time-client > /dev/full`: the time asked for is lost.
        let full = report(
            Protocol::Time,
            &time,
            &TimeZone::UTC,
            &mut Failing(std::io::ErrorKind::StorageFull),
        );
        let err = full.expect_err("a full disk is a failure");
        assert!(err.to_string().contains("writing standard output"), "{err}");
        // `time-client | true`: nobody wants the output; the answer decides.
        let gone = &mut Failing(std::io::ErrorKind::BrokenPipe);
        assert!(report(Protocol::Time, &time, &TimeZone::UTC, gone).is_ok());
        let wrong = reply(b"hello\r\n", "2026-11-24T04:39:14Z");
        let err = report(Protocol::Time, &wrong, &TimeZone::UTC, gone).unwrap_err();
        assert!(err.to_string().contains("expected 4 bytes"), "{err}");
    }

    #[test]
    fn wrong_protocols_are_explained() {
        let text = interpret(Protocol::Time, b"hello world")
            .unwrap_err()
            .to_string();
        assert!(
            text.starts_with(
                "expected 4 bytes (RFC 868), got 11 — is this really a time server? \
                 The port may belong to another service"
            ),
            "{text}"
        );
        let text = interpret(Protocol::Daytime, &[0xEE, 0xAF, 0x93, 0x72])
            .unwrap_err()
            .to_string();
        assert!(text.contains("--protocol time"), "{text}");
    }
}
