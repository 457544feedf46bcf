//! # Talking to the server under test, always with a time-out
//!
//! The server being checked may be wrong in any way: silent, too slow,
//! never closing, sending a flood. So every read and write here is bounded
//! twice: in **time** (no wait longer than the `--timeout` without
//! progress, and no whole answer longer than [`SLOW_FACTOR`] times it) and
//! in **size** (never more than a limit kept in memory). A broken server
//! makes a rule fail with a reason; it never hangs protocol-check.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use netkit::NetError;
use netkit::trace::{Tap, Traced};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::{Instant, timeout};

use crate::report::{Text, count_en, count_fr, explain};
use crate::{Options, Target, text};

/// A connection to the server under test. With `--trace`, every byte that
/// crosses it is logged, so a student sees what protocol-check sent and
/// what the server answered.
pub type Conn = Traced<TcpStream>;

/// Opens a TCP connection to the server under test; a failure becomes
/// the reason of the rule that needed it.
pub async fn connect(target: &Target, opts: &Options) -> Result<Conn, Text> {
    let stream = netkit::net::connect_tcp(&target.host, target.port, opts.timeout)
        .await
        .map_err(|e| explain(&e))?;
    let peer = stream
        .peer_addr()
        .map_err(|e| explain(&NetError::io("reading the server's address", e)))?;
    Ok(Traced::new(stream, Tap::new(peer, opts.trace)))
}

/// Bytes shown the way `--trace` shows them: text in quotes, otherwise hex.
/// Long data is cut, so a reason stays one readable line.
pub fn show(bytes: &[u8]) -> String {
    netkit::trace::show_at_most(bytes, 32)
}

/// When the server's answer starts with `HTTP/`, the port belongs to a web
/// server (an HTTP status line such as `HTTP/1.1 400 Bad Request`), not to
/// the protocol being checked: a hint that says so, in both languages.
/// Pointing protocol-check at the wrong port is a common mistake, and
/// "byte #0 came back as 0x48" alone does not reveal it.
pub fn web_server_hint(got: &[u8]) -> Option<Text> {
    got.starts_with(b"HTTP/").then(|| {
        text!(
            "c'est un serveur web (HTTP) qui a répondu : vérifiez le port (http-server écoute sur 8080)",
            "this is a web server (HTTP) answering: check the port (http-server listens on 8080)"
        )
    })
}

/// `why`, followed by the [`web_server_hint`] when `got` calls for it.
pub fn with_web_server_hint(why: Text, got: &[u8]) -> Text {
    match web_server_hint(got) {
        Some(hint) => {
            let (fr, en, hint_fr, hint_en) = (&why.fr, &why.en, &hint.fr, &hint.en);
            text!("{fr} — {hint_fr}", "{en} — {hint_en}")
        }
        None => why,
    }
}

/// Seconds, for messages: `2 s`, `0.5 s`.
pub fn secs(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

/// A whole answer may take at most this many times the `--timeout`.
///
/// The time-out alone bounds each *wait*: a server that sends one byte
/// every second, forever or for a megabyte, never lets it run out, and
/// would keep protocol-check (and the student) waiting for hours. A
/// correct server answers in a blink; ten time-outs (30 s by default) is
/// plenty even on a slow network.
pub const SLOW_FACTOR: u32 = 10;

/// The longest a whole answer may take, for waits of `idle` each.
pub fn whole(idle: Duration) -> Duration {
    idle.saturating_mul(SLOW_FACTOR)
}

/// What came back when reading until the server closes.
#[derive(Debug, Default)]
pub struct Drained {
    /// Every byte received (at most the limit given).
    pub bytes: Vec<u8>,
    /// The server closed the connection (read returned 0).
    pub closed: bool,
    /// More than the limit arrived: the rest was not read.
    pub overflow: bool,
    /// The connection broke (reset…), with the explanation.
    pub error: Option<Text>,
    /// Bytes were still arriving, a few at a time, when the time for the
    /// whole answer ([`whole`]) ran out: the server trickles, never closing.
    pub slow: bool,
}

/// Reads until the server closes, at most `limit` bytes, waiting at most
/// `idle` for each new piece and [`whole`]`(idle)` in all: a server that
/// never closes, or trickles bytes forever, is not waited for forever.
pub async fn read_until_close<R: AsyncRead + Unpin>(
    reader: &mut R,
    limit: usize,
    idle: Duration,
) -> Drained {
    let mut out = Drained::default();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + whole(idle);
    loop {
        // The next wait ends at the idle time-out or at the deadline of the
        // whole answer, whichever comes first.
        let wait = idle.min(deadline.saturating_duration_since(Instant::now()));
        match timeout(wait, reader.read(&mut buf)).await {
            Err(_) => {
                out.slow = Instant::now() >= deadline;
                return out;
            }
            Ok(Ok(0)) => {
                out.closed = true;
                return out;
            }
            Ok(Ok(n)) => {
                let room = limit - out.bytes.len();
                out.bytes.extend_from_slice(&buf[..n.min(room)]);
                if n > room {
                    out.overflow = true;
                    return out;
                }
            }
            Ok(Err(e)) => {
                out.error = Some(explain(&NetError::io("reading from the server", e)));
                return out;
            }
        }
    }
}

/// Why reading an expected amount of bytes stopped early.
#[derive(Debug)]
pub enum Short {
    /// Nothing more arrived for `idle`.
    Silent,
    /// Bytes kept arriving, but too slowly: the time for the whole answer
    /// ([`whole`]`(idle)`) ran out first.
    Slow,
    /// The server closed the connection.
    Closed,
    /// The connection broke.
    Broken(io::Error),
}

/// Reads exactly `want` bytes, waiting at most `idle` for each new piece
/// and [`whole`]`(idle)` in all. On failure returns what did arrive and why
/// it stopped.
pub async fn read_exactly<R: AsyncRead + Unpin>(
    reader: &mut R,
    want: usize,
    idle: Duration,
) -> Result<Vec<u8>, (Vec<u8>, Short)> {
    let mut got = vec![0u8; want];
    let mut filled = 0;
    let deadline = Instant::now() + whole(idle);
    while filled < want {
        let wait = idle.min(deadline.saturating_duration_since(Instant::now()));
        match timeout(wait, reader.read(&mut got[filled..])).await {
            Err(_) if Instant::now() >= deadline => {
                return Err((got[..filled].to_vec(), Short::Slow));
            }
            Err(_) => return Err((got[..filled].to_vec(), Short::Silent)),
            Ok(Ok(0)) => return Err((got[..filled].to_vec(), Short::Closed)),
            Ok(Ok(n)) => filled += n,
            Ok(Err(e)) => return Err((got[..filled].to_vec(), Short::Broken(e))),
        }
    }
    Ok(got)
}

/// Writes `data` in pieces, waiting at most `idle` for each: a server that
/// stops reading fills the network buffers and, without a time-out, the
/// write would wait forever (TCP backpressure).
pub async fn write_all<W: AsyncWrite + Unpin>(
    writer: &mut W,
    data: &[u8],
    idle: Duration,
) -> Result<(), Text> {
    const PIECE: usize = 16 * 1024;
    let mut sent = 0;
    for piece in data.chunks(PIECE) {
        match timeout(idle, writer.write_all(piece)).await {
            Ok(Ok(())) => sent += piece.len(),
            Ok(Err(e)) => {
                let why = explain(&NetError::io("sending to the server", e));
                let (fr, en) = (&why.fr, &why.en);
                return Err(text!(
                    "envoi interrompu après {sent} octets : {fr}",
                    "sending stopped after {sent} bytes: {en}"
                ));
            }
            Err(_) => {
                let wait = secs(idle);
                return Err(text!(
                    "le serveur a cessé de lire après environ {sent} octets (rien n'a pu être envoyé pendant {wait}) : il doit lire tout ce que le client envoie",
                    "the server stopped reading after about {sent} bytes (nothing could be sent for {wait}): it must read everything the client sends"
                ));
            }
        }
    }
    Ok(())
}

/// Sends one datagram and waits for one answer, trying `tries` times:
/// a datagram can be lost, and UDP itself never resends.
pub async fn udp_exchange(
    socket: &UdpSocket,
    data: &[u8],
    opts: &Options,
    tries: usize,
) -> Result<Vec<u8>, Text> {
    udp_ask(socket, data, opts, tries).await.map(|a| a.bytes)
}

/// What [`udp_ask`] got back.
#[derive(Debug)]
pub struct UdpAnswer {
    /// The answering datagram.
    pub bytes: Vec<u8>,
    /// It answered the first datagram sent, on `socket`: no other question
    /// of ours is still on its way, so any later answer is one too many.
    pub first_try: bool,
}

/// [`udp_exchange`], saying also whether the first try was answered.
pub async fn udp_ask(
    socket: &UdpSocket,
    data: &[u8],
    opts: &Options,
    tries: usize,
) -> Result<UdpAnswer, Text> {
    let mut buf = vec![0u8; 65_536];
    let peer = socket
        .peer_addr()
        .map_err(|e| explain(&NetError::io("reading the server's address", e)))?;
    let tap = Tap::datagrams(peer, opts.trace, None);
    for attempt in 1..=tries {
        if attempt == tries && tries > 1 {
            // The last try goes through a socket that is *not* connected:
            // it also sees an answer sent from another port. A server that
            // replies from a new socket does that, and the connected socket
            // (like any client's) silently drops such a datagram.
            let bytes = udp_last_try(peer, data, opts, &tap, &mut buf, tries).await?;
            return Ok(UdpAnswer {
                bytes,
                first_try: false,
            });
        }
        socket.send(data).await.map_err(|e| {
            explain(&NetError::udp_io(
                format!("sending a datagram to {peer}"),
                e,
            ))
        })?;
        tap.sent(data);
        match timeout(opts.timeout, socket.recv(&mut buf)).await {
            Ok(Ok(n)) => {
                tap.received(&buf[..n]);
                return Ok(UdpAnswer {
                    bytes: buf[..n].to_vec(),
                    first_try: attempt == 1,
                });
            }
            Ok(Err(e)) => {
                return Err(explain(&NetError::udp_io(
                    format!("waiting for a reply from {peer}"),
                    e,
                )));
            }
            Err(_) => continue,
        }
    }
    Err(no_datagram(tries, opts))
}

fn no_datagram(tries: usize, opts: &Options) -> Text {
    let wait = secs(opts.timeout);
    let (tries_fr, tries_en) = (
        count_fr(tries, "essai", "essais"),
        count_en(tries, "try", "tries"),
    );
    text!(
        "aucun datagramme en réponse ({tries_fr}, {wait} chacun) : le serveur écoute-t-il en UDP sur ce port ?",
        "no datagram came back ({tries_en}, {wait} each): does the server listen on UDP on this port?"
    )
}

/// The last try of [`udp_exchange`], from an unconnected socket that sees
/// answers from any address: one from the server's address is the answer,
/// one from another port is named as the mistake it is.
async fn udp_last_try(
    peer: SocketAddr,
    data: &[u8],
    opts: &Options,
    tap: &Tap,
    buf: &mut [u8],
    tries: usize,
) -> Result<Vec<u8>, Text> {
    let local: SocketAddr = if peer.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| explain(&NetError::io("opening a UDP socket", e)))?;
    socket.send_to(data, peer).await.map_err(|e| {
        explain(&NetError::udp_io(
            format!("sending a datagram to {peer}"),
            e,
        ))
    })?;
    tap.sent(data);
    let deadline = Instant::now() + opts.timeout;
    loop {
        let wait = deadline.saturating_duration_since(Instant::now());
        match timeout(wait, socket.recv_from(buf)).await {
            Ok(Ok((n, from))) if from == peer => {
                tap.received(&buf[..n]);
                return Ok(buf[..n].to_vec());
            }
            Ok(Ok((_, from))) if from.ip() == peer.ip() => {
                let port = peer.port();
                return Err(text!(
                    "la réponse est venue de {from}, pas de {peer} : le serveur doit répondre depuis le socket qui a reçu la requête (le port {port}), avec sendto() vers l'adresse du client ; un client ignore un datagramme venu d'un autre port",
                    "the answer came from {from}, not from {peer}: the server must answer from the socket that received the request (port {port}), with sendto() to the client's address; a client ignores a datagram from another port"
                ));
            }
            // A datagram from another machine altogether is not an answer:
            // keep waiting for the server's until the time is up.
            Ok(Ok(_)) => continue,
            Ok(Err(e)) => {
                return Err(explain(&NetError::udp_io(
                    format!("waiting for a reply from {peer}"),
                    e,
                )));
            }
            Err(_) => return Err(no_datagram(tries, opts)),
        }
    }
}

/// A UDP socket aimed at the server under test.
pub async fn udp_socket(target: &Target) -> Result<UdpSocket, Text> {
    netkit::net::udp_socket_for(&target.host, target.port)
        .await
        .map_err(|e| explain(&e))
}

/// The two halves of a connection, to read and write at the same time.
pub fn split(conn: Conn) -> (ReadHalf<Conn>, WriteHalf<Conn>) {
    tokio::io::split(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_silent_peer_is_not_waited_for_forever() {
        let (mut a, _b) = tokio::io::duplex(64);
        let drained = read_until_close(&mut a, 100, Duration::from_millis(50)).await;
        assert!(drained.bytes.is_empty());
        assert!(!drained.closed);
    }

    #[tokio::test]
    async fn reading_stops_at_the_limit() {
        let (mut a, mut b) = tokio::io::duplex(64);
        b.write_all(&[7u8; 50]).await.unwrap();
        let drained = read_until_close(&mut a, 10, Duration::from_millis(50)).await;
        assert_eq!(drained.bytes.len(), 10);
        assert!(drained.overflow);
    }

    #[tokio::test]
    async fn a_short_answer_says_what_arrived() {
        let (mut a, mut b) = tokio::io::duplex(64);
        b.write_all(b"abc").await.unwrap();
        drop(b);
        let err = read_exactly(&mut a, 5, Duration::from_millis(50))
            .await
            .unwrap_err();
        assert_eq!(err.0, b"abc");
        assert!(matches!(err.1, Short::Closed));
    }

    /// A peer that sends one byte every `every`, forever: each wait is
    /// short, but the answer never ends.
    fn trickle(every: Duration) -> tokio::io::DuplexStream {
        let (a, mut b) = tokio::io::duplex(64);
        tokio::spawn(async move {
            while b.write_all(b"z").await.is_ok() {
                tokio::time::sleep(every).await;
            }
        });
        a
    }

    // Paused time (the clock moves only when every task waits): the 10 ms
    // trickle always beats the 50 ms wait, however busy the machine is.
    #[tokio::test(start_paused = true)]
    async fn a_trickling_peer_is_not_read_forever() {
        let mut a = trickle(Duration::from_millis(10));
        let idle = Duration::from_millis(50);
        // Old behaviour: each byte came before `idle` ran out, so reading
        // went on until the limit, here about three hours.
        let drained = timeout(
            Duration::from_secs(5),
            read_until_close(&mut a, 1_000_000, idle),
        )
        .await
        .expect("read_until_close must stop after whole(idle)");
        assert!(drained.slow, "{drained:?}");
        assert!(!drained.closed && !drained.overflow, "{drained:?}");
        assert!(!drained.bytes.is_empty(), "{drained:?}");
    }

    // Paused time (the clock moves only when every task waits): the 10 ms
    // trickle always beats the 50 ms wait, however busy the machine is.
    #[tokio::test(start_paused = true)]
    async fn a_trickling_echo_is_not_awaited_forever() {
        let mut a = trickle(Duration::from_millis(10));
        let idle = Duration::from_millis(50);
        let err = timeout(
            Duration::from_secs(5),
            read_exactly(&mut a, 1_000_000, idle),
        )
        .await
        .expect("read_exactly must stop after whole(idle)")
        .unwrap_err();
        assert!(matches!(err.1, Short::Slow), "{:?}", err.1);
        assert!(!err.0.is_empty());
    }

    #[test]
    fn text_is_cut_between_characters() {
        // 1 + 2 × 20 bytes: byte 32 falls in the middle of an "é".
        let text = format!("a{}", "é".repeat(20));
        let shown = show(text.as_bytes());
        assert!(shown.starts_with("\"aéé"), "{shown}");
        assert!(shown.ends_with("(41 bytes)"), "{shown}");
        assert!(netkit::trace::show_at_most(b"hello", 80) == "\"hello\"");
    }

    #[tokio::test]
    async fn a_udp_answer_from_another_port_is_named() {
        // The classic mistake: answering from a new socket (another port).
        let server = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = server.local_addr().unwrap().port();
        server
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = server.recv_from(&mut buf) {
                let other = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
                let _ = other.send_to(&buf[..n], from);
            }
        });
        let target = Target {
            host: "127.0.0.1".into(),
            port,
        };
        let opts = Options {
            timeout: Duration::from_millis(200),
            ..Options::default()
        };
        let socket = udp_socket(&target).await.unwrap();
        let why = udp_exchange(&socket, b"hi", &opts, 3).await.unwrap_err();
        assert!(
            why.en.contains("the answer came from 127.0.0.1:"),
            "{}",
            why.en
        );
        assert!(why.en.contains(&format!("port {port}")), "{}", why.en);
        assert!(why.fr.contains("la réponse est venue de"), "{}", why.fr);
    }

    #[test]
    fn an_http_answer_is_named() {
        let why = Text::new("raison", "reason");
        let hinted = with_web_server_hint(why.clone(), b"HTTP/1.1 400 Bad Request\r\n");
        assert!(
            hinted
                .en
                .starts_with("reason — this is a web server (HTTP)"),
            "{hinted:?}"
        );
        assert!(hinted.fr.contains("serveur web (HTTP)"), "{hinted:?}");
        assert_eq!(with_web_server_hint(why.clone(), b"hello"), why);
    }

    #[test]
    fn long_data_is_cut_in_messages() {
        assert_eq!(show(b"hi\n"), "\"hi\\n\"");
        assert!(show(&[b'x'; 100]).ends_with("(100 bytes)"));
    }
}
