//! # Checking an echo server (RFC 862)
//!
//! RFC 862 in one sentence: *whatever the client sends, the server sends
//! back, unchanged.* Each rule below tests one consequence of that sentence
//! that a hand-written server often gets wrong:
//!
//! | rule               | what it catches                                          |
//! |--------------------|----------------------------------------------------------|
//! | `echo.line`        | a server that changes the text (upper case, trimming), sends it twice, or stops after one answer |
//! | `echo.binary`      | a server that only handles text (bytes 0–255 must pass), or adds a line end |
//! | `echo.large`       | lost bytes; a server that reads all before writing back  |
//! | `echo.half-close`  | a server that never notices the client finished (EOF; a warning only when the echo is whole, RFC 862 not requiring the close) |
//! | `echo.concurrent`  | a server that serves one client at a time                |
//! | `echo.udp-*`       | over UDP: one datagram in, the same datagram back, once  |

use tokio::io::AsyncWriteExt;

use crate::report::{Outcome, Report, Text, Verdict};
use crate::wire::{self, Short, secs, show};
use crate::{Options, Target, text};

/// Size of the large transfer: 1 MiB, far more than any socket buffer, so
/// the server must send back while the client is still sending.
pub const LARGE: usize = 1024 * 1024;

/// Runs the TCP rules.
pub async fn check_tcp(target: &Target, opts: &Options, report: &mut Report) {
    report.record(
        "echo.line",
        text!(
            "Une ligne de texte revient inchangée, une seule fois ; la suivante aussi (l'écho continue tant que le client ne ferme pas).",
            "A line of text comes back unchanged, once; so does the next one (the echo goes on until the client closes)."
        ),
        round_trip(target, opts, b"Bonjour netlab! echo 42\n").await,
    );
    let all_bytes: Vec<u8> = (0..=255).collect();
    report.record(
        "echo.binary",
        text!(
            "Les 256 valeurs d'octet 0 à 255 reviennent inchangées, une seule fois (l'écho n'est pas que du texte).",
            "The 256 byte values 0 to 255 come back unchanged, once (echo is not only for text)."
        ),
        round_trip(target, opts, &all_bytes).await,
    );
    report.record(
        "echo.large",
        text!(
            "1 Mio envoyé pendant qu'on lit revient octet pour octet.",
            "1 MiB sent while reading comes back byte for byte."
        ),
        large(target, opts).await,
    );
    report.record(
        "echo.half-close",
        text!(
            "Quand le client ferme son sens d'envoi, le serveur renvoie ce qui reste puis ferme (fermer est conseillé, pas exigé par la RFC 862).",
            "When the client closes its sending side, the server sends back what is left, then closes (closing is advised, not required by RFC 862)."
        ),
        half_close(target, opts).await,
    );
    report.record(
        "echo.concurrent",
        text!(
            "Plusieurs clients connectés en même temps sont servis chacun de son côté.",
            "Several clients connected at the same time are each served independently."
        ),
        concurrent(target, opts).await,
    );
}

/// Runs the UDP rules.
pub async fn check_udp(target: &Target, opts: &Options, report: &mut Report) {
    report.record(
        "echo.udp-datagram",
        text!(
            "Un datagramme de texte revient inchangé, une seule fois.",
            "A text datagram comes back unchanged, once."
        ),
        udp_round_trip(target, opts, b"Bonjour netlab! echo UDP").await,
    );
    let all_bytes: Vec<u8> = (0..=255).collect();
    report.record(
        "echo.udp-binary",
        text!(
            "Un datagramme des octets 0 à 255 revient inchangé.",
            "A datagram of the bytes 0 to 255 comes back unchanged."
        ),
        udp_round_trip(target, opts, &all_bytes).await,
    );
    let big: Vec<u8> = pattern(8192);
    report.record(
        "echo.udp-large",
        text!(
            "Un datagramme de 8 192 octets revient entier (tampon de réception assez grand).",
            "An 8,192-byte datagram comes back whole (receive buffer large enough)."
        ),
        udp_round_trip(target, opts, &big).await,
    );
}

/// Compares what came back with what was sent, and names the difference
/// (and the kind of server, when a web server answered instead).
pub fn same(sent: &[u8], got: &[u8]) -> Result<(), Text> {
    difference(sent, got).map_err(|why| wire::with_web_server_hint(why, got))
}

fn difference(sent: &[u8], got: &[u8]) -> Result<(), Text> {
    if sent == got {
        return Ok(());
    }
    if got.len() == sent.len() && got == sent.to_ascii_uppercase() {
        let got = show(got);
        return Err(text!(
            "le serveur a changé les lettres a–z en MAJUSCULES A–Z (reçu {got}) : un serveur echo renvoie les octets tels quels",
            "the server turned the letters a–z into UPPER CASE A–Z (got {got}): an echo server sends the bytes back as they are"
        ));
    }
    let at = sent.iter().zip(got).position(|(a, b)| a != b);
    match at {
        Some(i) => {
            let (want, was) = (sent[i], got[i]);
            let (s, g) = (show(sent), show(got));
            Err(text!(
                "l'octet n°{i} est revenu 0x{was:02x} au lieu de 0x{want:02x} (envoyé {s}, reçu {g})",
                "byte #{i} came back as 0x{was:02x} instead of 0x{want:02x} (sent {s}, got {g})"
            ))
        }
        // Everything came back, then part or all of it again: the classic
        // write inside a loop that was meant to run once.
        // (A byte or two that happen to match the start prove nothing.)
        None if got.len() > sent.len()
            && sent.starts_with(&got[sent.len()..])
            && (got.len() == 2 * sent.len() || got.len() - sent.len() >= 8) =>
        {
            let (n, m) = (sent.len(), got.len());
            Err(text!(
                "{n} octets envoyés, {m} reçus : tout est revenu, puis une seconde fois ; un serveur echo renvoie chaque octet une seule fois",
                "{n} bytes sent, {m} received: everything came back, then came back a second time; an echo server sends each byte back once"
            ))
        }
        None => {
            let (n, m) = (sent.len(), got.len());
            Err(text!(
                "{n} octets envoyés, {m} reçus : le début est juste mais la longueur diffère",
                "{n} bytes sent, {m} received: the start is right but the length differs"
            ))
        }
    }
}

/// Why fewer bytes than sent came back.
fn short_reason(sent: usize, got: &[u8], why: Short, opts: &Options) -> Text {
    let n = got.len();
    let wait = secs(opts.timeout);
    match why {
        // The echo stops right after a line break: the server reads line
        // by line (readline, a Scanner, BufRead::lines) and waits for the
        // end of a line that bytes need not have.
        Short::Silent if got.ends_with(b"\n") => text!(
            "{sent} octets envoyés, seulement {n} revenus, jusqu'au premier saut de ligne (octet 0x0a) ; plus rien pendant {wait} : le serveur lit-il ligne par ligne (readline) ? Un serveur echo renvoie les octets dès qu'il les lit, qu'ils forment une ligne ou non",
            "{sent} bytes sent, only {n} came back, up to the first line break (byte 0x0a); nothing more for {wait}: does the server read line by line (readline)? An echo server sends bytes back as soon as it reads them, whether they make a line or not"
        ),
        Short::Silent => text!(
            "{sent} octets envoyés, seulement {n} revenus ; plus rien pendant {wait}",
            "{sent} bytes sent, only {n} came back; nothing more for {wait}"
        ),
        Short::Slow => {
            let all = secs(wire::whole(opts.timeout));
            text!(
                "{sent} octets envoyés, seulement {n} revenus en {all} : le serveur renvoie beaucoup trop lentement (octet par octet, avec une pause ?) ; un serveur echo renvoie chaque morceau dès qu'il l'a lu",
                "{sent} bytes sent, only {n} came back in {all}: the server sends back far too slowly (byte by byte, with a pause?); an echo server sends each piece back as soon as it has read it"
            )
        }
        Short::Closed => text!(
            "{sent} octets envoyés, le serveur a fermé la connexion après en avoir renvoyé {n}",
            "{sent} bytes sent, the server closed the connection after sending back {n}"
        ),
        Short::Broken(e) => {
            let why = crate::report::explain(&netkit::NetError::io("reading the echo", e));
            let (fr, en) = (&why.fr, &why.en);
            text!(
                "{sent} octets envoyés, {n} revenus, puis : {fr}",
                "{sent} bytes sent, {n} came back, then: {en}"
            )
        }
    }
}

/// Sends `data` on a fresh connection and expects exactly it back; then
/// [`NEXT`] on the same connection, which must come back too, and alone.
async fn round_trip(target: &Target, opts: &Options, data: &[u8]) -> Outcome {
    let mut stream = wire::connect(target, opts).await?;
    wire::write_all(&mut stream, data, opts.timeout).await?;
    match wire::read_exactly(&mut stream, data.len(), opts.timeout).await {
        Ok(got) => same(data, &got)?,
        Err((got, why)) if got.is_empty() || data.starts_with(&got) => {
            return Err(short_reason(data.len(), &got, why, opts));
        }
        Err((got, _)) => return same(data, &got).map(|()| Verdict::Pass),
    }
    next_piece(&mut stream, data, opts).await
}

/// The second piece of [`round_trip`]: a short line of its own.
const NEXT: &[u8] = b"encore / again\n";

/// Sends [`NEXT`] after the echo of `first` came back whole, and expects
/// exactly [`NEXT`] back.
///
/// The echo of `first` alone cannot show two classic mistakes: bytes sent
/// back *twice* (or with something added), which arrive after the exact
/// copy; and a server that answers once and stops (no loop around read and
/// write), while RFC 862 echoes "until the calling user terminates the
/// connection". The next piece shows both, without waiting for anything
/// that may never come: TCP keeps the order, so whatever the server sent
/// after the echo of `first` arrives before the echo of [`NEXT`].
async fn next_piece(stream: &mut wire::Conn, first: &[u8], opts: &Options) -> Outcome {
    let n = first.len();
    let next = show(NEXT);
    let stopped = |how: &Text| {
        let (fr, en) = (&how.fr, &how.en);
        text!(
            "les {n} octets envoyés sont revenus, mais le serveur {fr} quand le client a envoyé la suite ({next}) : un serveur echo lit et renvoie en boucle, jusqu'à ce que le client ferme (RFC 862)",
            "the {n} bytes sent came back, but the server {en} when the client sent more ({next}): an echo server reads and sends back in a loop, until the client closes (RFC 862)"
        )
    };
    let closed = text!("a fermé la connexion", "closed the connection");
    // A reset (SO_LINGER 0, or a close with bytes left unread) may be seen
    // when the next piece is sent, or when its echo is read: the same cut.
    let cut = text!("a coupé la connexion (reset)", "cut the connection (reset)");
    if wire::write_all(stream, NEXT, opts.timeout).await.is_err() {
        return Err(stopped(&cut));
    }
    let got = match wire::read_exactly(stream, NEXT.len(), opts.timeout).await {
        Ok(got) if got == NEXT => return Ok(Verdict::Pass),
        Ok(got) => got,
        Err((got, why)) if NEXT.starts_with(&got) => {
            return Err(match why {
                Short::Closed => stopped(&closed),
                Short::Broken(_) => stopped(&cut),
                Short::Silent if got.is_empty() => {
                    let wait = secs(opts.timeout);
                    stopped(&text!(
                        "n'a renvoyé aucun écho en {wait}",
                        "sent no echo back within {wait}"
                    ))
                }
                why => short_reason(NEXT.len(), &got, why, opts),
            });
        }
        Err((got, _)) => got,
    };
    // Bytes that are not the echo of NEXT came first: the server sent back
    // more than it received.
    let shown = show(&got);
    if first.starts_with(&got) || got.starts_with(first) {
        Err(text!(
            "les {n} octets envoyés sont revenus, puis une seconde fois ({shown} au lieu de l'écho de la suite, {next}) : un serveur echo renvoie chaque octet une seule fois",
            "the {n} bytes sent came back, then came back a second time ({shown} instead of the echo of the next piece, {next}): an echo server sends each byte back once"
        ))
    } else {
        Err(text!(
            "les {n} octets envoyés sont revenus, puis d'autres octets ({shown}) avant l'écho de la suite ({next}) : le serveur a renvoyé plus qu'il n'a reçu (un saut de ligne ajouté ?) ; un serveur echo renvoie exactement les octets reçus",
            "the {n} bytes sent came back, then other bytes ({shown}) before the echo of the next piece ({next}): the server sent back more than it received (an added line break?); an echo server sends back exactly the bytes it received"
        ))
    }
}

/// Bytes that are not all alike, so a lost or repeated piece shows.
fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            // xorshift: cheap, reproducible, and never a long run of one value.
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_be_bytes()[0]
        })
        .collect()
}

/// 1 MiB, written and read at the same time. A server that reads the whole
/// message before answering, or a client that writes everything before
/// reading, would deadlock once the socket buffers are full: TCP's flow
/// control stops the sender until the other side reads.
async fn large(target: &Target, opts: &Options) -> Outcome {
    let stream = wire::connect(target, opts).await?;
    let data = pattern(LARGE);
    let (mut reader, mut writer) = wire::split(stream);
    let send = async {
        wire::write_all(&mut writer, &data, opts.timeout).await?;
        Ok::<_, Text>(writer)
    };
    let receive = wire::read_exactly(&mut reader, LARGE, opts.timeout);
    let (sent, received) = tokio::join!(send, receive);
    match received {
        Ok(got) => same(&data, &got).map(|()| Verdict::Pass),
        Err((got, why)) => {
            // Say first that bytes were changed, if they were; then that they are missing.
            same(&data[..got.len()], &got)?;
            sent?;
            Err(short_reason(LARGE, &got, why, opts))
        }
    }
}

/// Half-close: the client says "I have finished sending" (TCP FIN, what
/// `shutdown(Write)` does) but still reads. The server must send back what
/// it has, see the end of its input (read returns 0), and close.
async fn half_close(target: &Target, opts: &Options) -> Outcome {
    let mut stream = wire::connect(target, opts).await?;
    let data = b"derniers mots / last words\n";
    wire::write_all(&mut stream, data, opts.timeout).await?;
    stream.shutdown().await.map_err(|e| {
        crate::report::explain(&netkit::NetError::io("closing our sending side", e))
    })?;
    let drained = wire::read_until_close(&mut stream, 4096, opts.timeout).await;
    // Wrong bytes first: a server that sends something else and then
    // resets the connection is wrong about the bytes, not only the ending.
    if !data.starts_with(&drained.bytes) || drained.bytes.len() > data.len() {
        same(data, &drained.bytes)?;
    }
    if let Some(why) = drained.error {
        return Err(why);
    }
    if drained.bytes.len() < data.len() {
        let (n, m) = (data.len(), drained.bytes.len());
        return Err(text!(
            "après la demi-fermeture, seulement {m} des {n} octets envoyés sont revenus : le serveur doit renvoyer tout ce qu'il a reçu avant de fermer",
            "after the half-close, only {m} of the {n} bytes sent came back: the server must send back everything it received before closing"
        ));
    }
    if drained.slow {
        let all = secs(wire::whole(opts.timeout));
        return Err(text!(
            "l'écho est revenu mais le serveur envoyait encore des octets {all} après notre demi-fermeture, sans fermer : quand read() renvoie 0 (fin des données), le serveur doit fermer",
            "the echo came back but the server was still sending bytes {all} after our half-close, without closing: when read() returns 0 (end of data), the server must close"
        ));
    }
    if !drained.closed {
        // RFC 862 only says the echo goes on "until the calling user
        // terminates the connection": a server that waits for the client's
        // full close is within it. But a hand-written one that stays open
        // usually never looked at read() == 0, and may spin on it: told,
        // as a warning.
        let wait = secs(opts.timeout);
        return Ok(Verdict::Warn(text!(
            "l'écho est revenu mais le serveur n'a pas fermé la connexion dans les {wait} après notre demi-fermeture : la RFC 862 le permet (le client ferme en premier), mais vérifiez que le serveur traite read() == 0 (fin des données) : le mieux est de fermer à ce moment-là",
            "the echo came back but the server did not close the connection within {wait} after our half-close: RFC 862 allows it (the client closes first), but check that the server handles read() == 0 (end of data): closing then is best"
        )));
    }
    Ok(Verdict::Pass)
}

/// One server, many clients at once: while a first client stays connected
/// and silent, a second one must be answered. A server that handles clients
/// one after the other (no thread or task per client) makes the second
/// wait until the first leaves.
async fn concurrent(target: &Target, opts: &Options) -> Outcome {
    const CLIENTS: usize = 5;
    let first = wire::connect(target, opts).await?;
    let mut second = wire::connect(target, opts).await?;
    let hello = b"second client\n";
    wire::write_all(&mut second, hello, opts.timeout).await?;
    if let Err((got, why)) = wire::read_exactly(&mut second, hello.len(), opts.timeout).await {
        if got.is_empty() && matches!(why, Short::Silent) {
            let wait = secs(opts.timeout);
            return Err(text!(
                "un 2e client n'a reçu aucun écho en {wait} pendant qu'un 1er client restait connecté : le serveur sert-il un seul client à la fois ? Il faut un thread ou une tâche par client",
                "a second client got no echo within {wait} while a first client stayed connected: does the server serve one client at a time? It needs a thread or a task per client"
            ));
        }
        return Err(short_reason(hello.len(), &got, why, opts));
    }
    // Then several clients talking at once, each with its own words:
    // nobody may receive someone else's bytes.
    let mut clients = vec![first, second];
    for _ in clients.len()..CLIENTS {
        clients.push(wire::connect(target, opts).await?);
    }
    let mut tasks = Vec::new();
    for (i, mut stream) in clients.into_iter().enumerate() {
        let opts = opts.clone();
        tasks.push(tokio::spawn(async move {
            let words = format!("client {i} says {}\n", "bla ".repeat(i + 1)).into_bytes();
            wire::write_all(&mut stream, &words, opts.timeout).await?;
            match wire::read_exactly(&mut stream, words.len(), opts.timeout).await {
                Ok(got) => same(&words, &got).map_err(|why| {
                    let (fr, en) = (&why.fr, &why.en);
                    text!("client n°{i} : {fr}", "client #{i}: {en}")
                }),
                Err((got, why)) => {
                    let why = short_reason(words.len(), &got, why, &opts);
                    let (fr, en) = (&why.fr, &why.en);
                    Err(text!("client n°{i} : {fr}", "client #{i}: {en}"))
                }
            }
        }));
    }
    for task in tasks {
        match task.await {
            Ok(result) => result?,
            Err(_) => {
                return Err(text!(
                    "erreur interne de protocol-check",
                    "protocol-check internal error"
                ));
            }
        }
    }
    Ok(Verdict::Pass)
}

/// One datagram out, the same datagram back.
async fn udp_round_trip(target: &Target, opts: &Options, data: &[u8]) -> Outcome {
    let socket = wire::udp_socket(target).await?;
    let answer = wire::udp_ask(&socket, data, opts, 3).await?;
    let got = answer.bytes;
    if got.len() < data.len() && data.starts_with(&got) {
        let (n, m) = (data.len(), got.len());
        return Err(text!(
            "datagramme de {n} octets envoyé, {m} revenus : le serveur lit-il avec un tampon trop petit ? (un datagramme UDP peut faire jusqu'à 65 507 octets)",
            "a datagram of {n} bytes was sent, {m} bytes came back: does the server read into a buffer that is too small? (a UDP datagram can hold up to 65,507 bytes)"
        ));
    }
    same(data, &got)?;
    if answer.first_try {
        answered_once(&socket, data, opts).await?;
    }
    Ok(Verdict::Pass)
}

/// RFC 862 answers each datagram with *one* datagram. Only called when our
/// first datagram was answered: then no resent question of ours can explain
/// a second copy. A new datagram, [`NEXT`] without its line end, follows
/// the first; a copy of the first that comes before its echo is one answer
/// too many (a send left inside a loop). Losing the new datagram or its
/// echo is UDP's right, not a fault: only the copy fails the rule.
async fn answered_once(socket: &tokio::net::UdpSocket, first: &[u8], opts: &Options) -> Outcome {
    let next = NEXT.trim_ascii_end();
    let mut buf = vec![0u8; 65_536];
    let peer = socket.peer_addr().map_err(|e| {
        crate::report::explain(&netkit::NetError::io("reading the server's address", e))
    })?;
    let tap = netkit::trace::Tap::datagrams(peer, opts.trace, None);
    if socket.send(next).await.is_err() {
        return Ok(Verdict::Pass);
    }
    tap.sent(next);
    let deadline = tokio::time::Instant::now() + opts.timeout;
    // A few datagrams at most: a server that floods is not read forever.
    for _ in 0..4 {
        let Ok(Ok(n)) = tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await else {
            break;
        };
        tap.received(&buf[..n]);
        if &buf[..n] == next {
            break;
        }
        if &buf[..n] == first {
            let n = first.len();
            return Err(text!(
                "le datagramme de {n} octets est revenu deux fois : un serveur echo UDP envoie un seul datagramme en réponse à chacun (un sendto() de trop, dans une boucle ?)",
                "the {n}-byte datagram came back twice: a UDP echo server sends one answering datagram for each one it receives (one sendto() too many, in a loop?)"
            ));
        }
    }
    Ok(Verdict::Pass)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_case_is_named() {
        let why = same(b"hello\n", b"HELLO\n").unwrap_err();
        assert!(why.en.contains("into UPPER CASE"), "{}", why.en);
    }

    #[test]
    fn the_first_changed_byte_is_named() {
        let why = same(&[1, 2, 3], &[1, 9, 3]).unwrap_err();
        assert!(
            why.en.contains("byte #1 came back as 0x09 instead of 0x02"),
            "{}",
            why.en
        );
    }

    #[test]
    fn an_echo_sent_twice_is_named() {
        let why = same(b"abc\n", b"abc\nabc\n").unwrap_err();
        assert!(why.en.contains("came back a second time"), "{}", why.en);
        assert!(why.fr.contains("une seconde fois"), "{}", why.fr);
        let why = same(b"abc\n", b"abc\n\n").unwrap_err();
        assert!(why.en.contains("the length differs"), "{}", why.en);
        let why = same(b"aab", b"aaba").unwrap_err();
        assert!(why.en.contains("the length differs"), "{}", why.en);
    }

    #[test]
    fn a_missing_end_is_a_length_difference() {
        let why = same(b"abcdef", b"abc").unwrap_err();
        assert!(why.en.contains("6 bytes sent, 3 received"), "{}", why.en);
    }

    /// A server that answers once, then resets the connection (SO_LINGER
    /// 0): our next piece may find the connection gone when it is sent, or
    /// when its echo is read. Either way the reason says the server cut the
    /// connection, in a sentence that reads.
    #[tokio::test]
    async fn an_echo_that_answers_once_then_resets_is_told_in_a_sentence() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let data = b"Bonjour netlab! echo 42\n";
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 24];
            stream.read_exact(&mut buf).await.unwrap();
            stream.write_all(&buf).await.unwrap();
            stream.set_zero_linger().unwrap();
        });
        let target = Target {
            host: "127.0.0.1".into(),
            port,
        };
        let opts = Options {
            timeout: std::time::Duration::from_secs(2),
            ..Options::default()
        };
        let why = round_trip(&target, &opts, data).await.unwrap_err();
        for (text, want, never) in [
            (
                &why.en,
                "but the server cut the connection",
                "server sending",
            ),
            (
                &why.fr,
                "mais le serveur a coupé la connexion",
                "serveur envoi",
            ),
        ] {
            assert!(text.contains(want), "{text}");
            assert!(!text.contains(never), "{text}");
        }
    }

    #[test]
    fn the_pattern_is_not_repetitive() {
        let p = pattern(4096);
        assert!(p.windows(2).filter(|w| w[0] == w[1]).count() < 64);
        assert_eq!(p, pattern(4096));
    }
}
