//! # Checking a time server (RFC 868) and a daytime server (RFC 867)
//!
//! Both servers **speak first**: the client connects (TCP) or sends any
//! datagram (UDP), and the server answers at once, then closes (TCP; RFC 868
//! lets the client close first, so a time server that waits for it gets a
//! warning only). What
//! differs is the language:
//!
//! - **time**: exactly 4 bytes, an unsigned 32-bit count of seconds since
//!   1900-01-01T00:00:00Z, most significant byte first. Read in the window
//!   real clients such as rdate use (1970 … 2106), it must name *now*.
//! - **daytime**: one line of printable text. RFC 867 fixes no format, so a
//!   date protocol-check cannot read is a warning, not a failure; a date it
//!   *can* read must be close to now.
//!
//! The two classic mistakes get their own explanation: counting from 1970
//! (Unix time) instead of 1900, and writing the bytes in the wrong order
//! (little-endian).

use codec::time::{daytime, rfc868};
use jiff::{SignedDuration, Timestamp};

use crate::report::{Outcome, Report, Text, Verdict};
use crate::wire::{self, Drained, secs, show};
use crate::{Options, Target, text};

/// Most bytes kept from a time or daytime answer: real answers are 4 bytes
/// or one short line; anything longer is already wrong.
const LIMIT: usize = 4096;

/// Runs the time rules over TCP.
pub async fn check_time_tcp(target: &Target, opts: &Options, report: &mut Report) {
    let answer = answer_tcp(target, opts).await;
    report.record(
        "time.length",
        text!(
            "Dès la connexion, le serveur envoie exactement 4 octets.",
            "As soon as the client connects, the server sends exactly 4 bytes."
        ),
        answer
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|a| time_length(a, opts)),
    );
    report.record(
        "time.close",
        text!(
            "Après sa réponse, le serveur ferme la connexion (conseillé : la RFC 868 laisse le client fermer en premier).",
            "After its answer, the server closes the connection (advised: RFC 868 lets the client close first)."
        ),
        answer
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|a| time_closes(a, opts)),
    );
    report.record(
        "time.value",
        text!(
            "Les 4 octets (secondes depuis 1900, gros-boutiste) donnent l'heure actuelle.",
            "The 4 bytes (seconds since 1900, big-endian) name the current time."
        ),
        answer
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|a| time_value(&a.bytes, opts)),
    );
    report.record(
        "time.again",
        text!(
            "Un 2e client est servi lui aussi (le serveur tourne en permanence).",
            "A second client is served too (the server runs permanently)."
        ),
        match answer_tcp(target, opts).await {
            Ok(a) if a.bytes.is_empty() => Err(nothing_sent(&a, opts)),
            Ok(_) => Ok(Verdict::Pass),
            Err(why) => Err(why),
        },
    );
}

/// Runs the time rules over UDP.
pub async fn check_time_udp(target: &Target, opts: &Options, report: &mut Report) {
    let answer = answer_udp(target, opts).await;
    report.record(
        "time.udp-length",
        text!(
            "Un datagramme (même vide) reçoit un datagramme de 4 octets.",
            "A datagram (even an empty one) gets a 4-byte datagram back."
        ),
        answer
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|a| time_length(a, opts)),
    );
    report.record(
        "time.udp-value",
        text!(
            "Les 4 octets donnent l'heure actuelle.",
            "The 4 bytes name the current time."
        ),
        answer
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|a| time_value(&a.bytes, opts)),
    );
}

/// Runs the daytime rules over TCP.
pub async fn check_daytime_tcp(target: &Target, opts: &Options, report: &mut Report) {
    let answer = answer_tcp(target, opts).await;
    report.record(
        "daytime.line",
        text!(
            "Dès la connexion, le serveur envoie une ligne de texte imprimable (finie par CRLF ou LF : conseillé, la RFC 867 ne l'exige pas).",
            "As soon as the client connects, the server sends one line of printable text (ending in CRLF or LF: advised, RFC 867 does not require it)."
        ),
        answer
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|a| daytime_line(a, opts)),
    );
    report.record(
        "daytime.close",
        text!(
            "Après cette ligne, le serveur ferme la connexion.",
            "After that line, the server closes the connection."
        ),
        answer
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|a| closes(a, opts)),
    );
    report.record(
        "daytime.date",
        text!(
            "La ligne, si son format de date est connu, donne l'heure actuelle.",
            "The line, if its date format is a known one, names the current time."
        ),
        answer
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|a| daytime_date(&a.bytes, opts, "daytime.line")),
    );
}

/// Runs the daytime rules over UDP.
pub async fn check_daytime_udp(target: &Target, opts: &Options, report: &mut Report) {
    let answer = answer_udp(target, opts).await;
    report.record(
        "daytime.udp-line",
        text!(
            "Un datagramme (même vide) reçoit une ligne de texte imprimable.",
            "A datagram (even an empty one) gets one line of printable text back."
        ),
        answer.as_ref().map_err(Clone::clone).and_then(|a| {
            // A datagram is already a whole message: the line ending is optional.
            let mut with_end = a.bytes.clone();
            if !with_end.ends_with(b"\n") {
                with_end.push(b'\n');
            }
            let whole = Drained {
                bytes: with_end,
                closed: true,
                ..Drained::default()
            };
            daytime_line(&whole, opts)
        }),
    );
    report.record(
        "daytime.udp-date",
        text!(
            "La ligne, si son format de date est connu, donne l'heure actuelle.",
            "The line, if its date format is a known one, names the current time."
        ),
        answer
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|a| daytime_date(&a.bytes, opts, "daytime.udp-line")),
    );
}

/// Connects and reads everything the server sends until it closes (or
/// stays silent for the time-out).
async fn answer_tcp(target: &Target, opts: &Options) -> Result<Drained, Text> {
    let mut stream = wire::connect(target, opts).await?;
    let drained = wire::read_until_close(&mut stream, LIMIT, opts.timeout).await;
    match drained.error {
        Some(why) if drained.bytes.is_empty() => Err(why),
        _ => Ok(drained),
    }
}

/// Sends an empty datagram (RFC 868 and 867: the content is ignored) and
/// takes the reply as the whole answer.
async fn answer_udp(target: &Target, opts: &Options) -> Result<Drained, Text> {
    let socket = wire::udp_socket(target).await?;
    let bytes = wire::udp_exchange(&socket, b"", opts, 3).await?;
    if bytes.is_empty() {
        // Our question was empty: this is what an echo server answers. No
        // "closed the connection" here: UDP has none.
        return Err(text!(
            "un datagramme vide est revenu, le nôtre : c'est ce que renvoie un serveur echo (RFC 862) ; un serveur time ou daytime répond à tout datagramme, même vide, par l'heure",
            "an empty datagram came back, as we sent it: that is what an echo server (RFC 862) answers; a time or daytime server answers any datagram, even an empty one, with the time"
        ));
    }
    Ok(Drained {
        bytes,
        closed: true,
        ..Drained::default()
    })
}

fn nothing_sent(a: &Drained, opts: &Options) -> Text {
    let wait = secs(opts.timeout);
    if a.closed {
        text!(
            "le serveur a fermé la connexion sans rien envoyer",
            "the server closed the connection without sending anything"
        )
    } else {
        text!(
            "rien reçu en {wait} : ce serveur doit parler le premier, dès la connexion, sans attendre de requête",
            "nothing received within {wait}: this server must speak first, as soon as the client connects, without waiting for a request"
        )
    }
}

fn time_length(a: &Drained, opts: &Options) -> Outcome {
    let n = a.bytes.len();
    if n == rfc868::ANSWER_LEN {
        return Ok(Verdict::Pass);
    }
    if n == 0 {
        return Err(nothing_sent(a, opts));
    }
    let got = show(&a.bytes);
    let mut why = text!(
        "reçu {n} octets ({got}) au lieu de 4 : RFC 868 envoie un entier de 32 bits non signé, ni plus ni moins",
        "got {n} bytes ({got}) instead of 4: RFC 868 sends one unsigned 32-bit integer, no more, no less"
    );
    let (fr, en) = (why.fr.clone(), why.en.clone());
    let (head, tail) = a.bytes.split_at(n.min(4));
    if n == 8 && head == tail {
        why = text!(
            "{fr} ; ce sont les mêmes 4 octets deux fois : la réponse est envoyée deux fois",
            "{en}; these are the same 4 bytes twice: the answer is sent twice"
        );
    } else if n == 8 && (head == [0; 4] || tail == [0; 4]) {
        // A u64 of a value below 2^32: four of its bytes are zeros.
        why = text!(
            "{fr} ; 8 octets dont 4 nuls ressemblent à un entier de 64 bits (u64, long) : il faut un u32",
            "{en}; 8 bytes, 4 of them zeros, look like a 64-bit integer (u64, long): use a u32"
        );
    } else if let Some(hint) = text_hint(&a.bytes) {
        let (hint_fr, hint_en) = (&hint.fr, &hint.en);
        why = text!("{fr} ; {hint_fr}", "{en}; {hint_en}");
    }
    Err(why)
}

/// When a time answer is text, what that text is: the number written in
/// digits (`str(n)`, `println!("{n}")`), or a daytime line.
fn text_hint(bytes: &[u8]) -> Option<Text> {
    // Text starts with printable ASCII (digits, a day's name). A binary
    // time never does: read as a number, such a start is a date between
    // 1917 and 1967. Without this, a right time followed by "\r\n" would
    // be called text whenever its bytes happen to be valid UTF-8 (about
    // one second in ten in 2026: EE B0 80 41 is U+EC00 then "A").
    if !bytes
        .iter()
        .take(4)
        .all(|&b| b.is_ascii_graphic() || b" \t\r\n".contains(&b))
    {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok().filter(|t| {
        !t.is_empty() && t.chars().all(|c| !c.is_control() || c == '\r' || c == '\n')
    })?;
    let digits = text.trim();
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        // `str(int(time.time()))`: two mistakes at once, both told, so
        // that fixing the first does not just reveal the second.
        let unix_now = Timestamp::now().as_second();
        let unix = digits
            .parse::<i64>()
            .is_ok_and(|n| (n - unix_now).abs() <= 86_400);
        if unix {
            return Some(text!(
                "le nombre est écrit en chiffres, en texte, et compte les secondes depuis 1970 (heure Unix) : RFC 868 compte depuis 1900 (ajoutez 2 208 988 800) et l'envoie en binaire, 4 octets gros-boutistes (struct.pack(\"!I\", n) en Python, n.to_be_bytes() en Rust)",
                "the number is written in digits, as text, and counts seconds since 1970 (Unix time): RFC 868 counts from 1900 (add 2,208,988,800) and sends it in binary, 4 big-endian bytes (struct.pack(\"!I\", n) in Python, n.to_be_bytes() in Rust)"
            ));
        }
        return Some(text!(
            "le nombre est écrit en chiffres, en texte : RFC 868 l'envoie en binaire, 4 octets gros-boutistes (struct.pack(\"!I\", n) en Python, n.to_be_bytes() en Rust)",
            "the number is written in digits, as text: RFC 868 sends it in binary, 4 big-endian bytes (struct.pack(\"!I\", n) in Python, n.to_be_bytes() in Rust)"
        ));
    }
    Some(text!(
        "ces octets sont du texte : c'est la réponse d'un serveur daytime (RFC 867), pas time",
        "these bytes are text: that is a daytime server's answer (RFC 867), not time"
    ))
}

/// RFC 868 over TCP ends with "U: Close the connection. S: Close the
/// connection": the client, which knows the answer is 4 bytes, may close
/// first, and a server that waits for it is within the RFC. Closing right
/// after answering is still advised (a client such as `nc` reads until the
/// end of the stream), so a server that waits gets a warning, not a failure.
fn time_closes(a: &Drained, opts: &Options) -> Outcome {
    if !a.closed && !a.overflow && !a.slow && a.bytes.len() == 4 {
        let wait = secs(opts.timeout);
        return Ok(Verdict::Warn(text!(
            "le serveur a envoyé ses 4 octets mais n'a pas fermé la connexion dans les {wait} suivantes : la RFC 868 le permet (le client ferme en premier), mais un client qui lit jusqu'à la fin (nc) attendra ; mieux vaut fermer après avoir répondu",
            "the server sent its 4 bytes but did not close the connection within the next {wait}: RFC 868 allows it (the client closes first), but a client that reads until the end (nc) will wait; better close after answering"
        )));
    }
    closes(a, opts)
}

/// RFC 867 (daytime) over TCP: "S: Close the connection" comes right after
/// the answer, before the client closes; a line has no length known in
/// advance, so the close is how the client knows the answer is complete.
fn closes(a: &Drained, opts: &Options) -> Outcome {
    if a.closed {
        return Ok(Verdict::Pass);
    }
    if let Some(why) = a.error.as_ref().filter(|_| !a.bytes.is_empty()) {
        // Reset after the answer: closed, but abruptly. The answer arrived
        // this time; with a reset it may not (the system drops what the
        // client has not read yet). Not "did not close".
        let (fr, en) = (&why.fr, &why.en);
        return Ok(Verdict::Warn(text!(
            "la connexion a été coupée brutalement après la réponse au lieu d'être fermée normalement ({fr}) : une coupure (reset, SO_LINGER à 0) peut détruire la réponse avant que le client ne la lise ; fermez simplement le socket",
            "the connection was cut abruptly after the answer instead of being closed normally ({en}): a reset (SO_LINGER 0) can destroy the answer before the client reads it; just close the socket"
        )));
    }
    if a.overflow {
        let n = LIMIT;
        return Err(text!(
            "le serveur a envoyé plus de {n} octets sans fermer : il ne s'arrête pas après sa réponse",
            "the server sent more than {n} bytes without closing: it does not stop after its answer"
        ));
    }
    if a.bytes.is_empty() {
        return Err(nothing_sent(a, opts));
    }
    if a.slow {
        let (n, all) = (a.bytes.len(), secs(wire::whole(opts.timeout)));
        return Err(text!(
            "le serveur envoyait encore des octets après {all} ({n} reçus, un peu à la fois) sans fermer : il doit envoyer sa réponse d'un coup, puis fermer",
            "the server was still sending bytes after {all} ({n} received, a few at a time) without closing: it must send its answer at once, then close"
        ));
    }
    let wait = secs(opts.timeout);
    Err(text!(
        "le serveur a envoyé sa réponse mais n'a pas fermé la connexion dans les {wait} suivantes : il doit fermer après avoir répondu (c'est ainsi que le client sait que la réponse est complète)",
        "the server sent its answer but did not close the connection within the next {wait}: it must close after answering (that is how the client knows the answer is complete)"
    ))
}

/// Reads the first 4 bytes as RFC 868 and compares with this machine's clock.
pub fn time_value(bytes: &[u8], opts: &Options) -> Outcome {
    // Text is not a number in binary: reading its first 4 characters as
    // one would only give a meaningless date.
    if bytes.len() != rfc868::ANSWER_LEN
        && let Some(hint) = text_hint(bytes)
    {
        let (fr, en, got) = (&hint.fr, &hint.en, show(bytes));
        return Err(text!("reçu {got} : {fr}", "got {got}: {en}"));
    }
    let Some(first) = bytes.first_chunk::<4>() else {
        return Err(match bytes.len() {
            0 => text!(
                "aucun octet reçu : il en faut 4 pour lire une heure",
                "no bytes received: 4 are needed to read a time"
            ),
            1 => text!(
                "seulement 1 octet reçu : il en faut 4 pour lire une heure",
                "only 1 byte received: 4 are needed to read a time"
            ),
            n => text!(
                "seulement {n} octets reçus : il en faut 4 pour lire une heure",
                "only {n} bytes received: 4 are needed to read a time"
            ),
        });
    };
    diagnose_time(*first, Timestamp::now(), opts.max_drift)
}

/// The verdict on 4 bytes received at `now`, with the classic mistakes named.
pub fn diagnose_time(bytes: [u8; 4], now: Timestamp, max_drift: std::time::Duration) -> Outcome {
    let near = |t: Timestamp| {
        let d = t.duration_since(now).unsigned_abs();
        d <= max_drift
    };
    let value = u32::from_be_bytes(bytes);
    let instant = rfc868::instant_of(value);
    if near(instant) {
        return Ok(Verdict::Pass);
    }
    let hex = show(&bytes);
    let got = format!("{hex} = {value}");
    let unix = Timestamp::from_second(i64::from(value)).ok();
    if unix.is_some_and(near) {
        return Err(text!(
            "{got} est le nombre de secondes depuis 1970 (heure Unix) : RFC 868 compte depuis 1900, ajoutez 2 208 988 800",
            "{got} is the number of seconds since 1970 (Unix time): RFC 868 counts from 1900, add 2,208,988,800"
        ));
    }
    if near(rfc868::instant_of(u32::from_le_bytes(bytes))) {
        return Err(text!(
            "{hex} : les octets sont dans le mauvais ordre (petit-boutiste) ; RFC 868 envoie l'octet de poids fort en premier (gros-boutiste, « ordre réseau », to_be_bytes)",
            "{hex}: the bytes are in the wrong order (little-endian); RFC 868 sends the most significant byte first (big-endian, \"network byte order\", to_be_bytes)"
        ));
    }
    let off = describe_offset(instant.duration_since(now));
    let (off_fr, off_en) = (&off.fr, &off.en);
    let allowed = secs(max_drift);
    Err(text!(
        "{got} correspond à {instant}, {off_fr} l'horloge de cette machine (écart permis : {allowed})",
        "{got} names {instant}, {off_en} this machine's clock (allowed difference: {allowed})"
    ))
}

/// "3600 s ahead of" / "12 s behind".
fn describe_offset(d: SignedDuration) -> Text {
    let s = d.as_secs().abs();
    if d.is_negative() {
        text!("{s} s en retard sur", "{s} s behind")
    } else {
        text!("{s} s en avance sur", "{s} s ahead of")
    }
}

/// One line of printable text, ending in LF (optionally CR LF), and nothing after.
fn daytime_line(a: &Drained, opts: &Options) -> Outcome {
    let bytes = &a.bytes;
    if bytes.is_empty() {
        return Err(nothing_sent(a, opts));
    }
    let got = show(bytes);
    // 4 bytes and no line ending: an RFC 868 answer (which may even be
    // valid UTF-8 by chance, so this comes before the text test).
    if bytes.len() == 4 && !bytes.contains(&b'\n') {
        return Err(text!(
            "reçu 4 octets sans fin de ligne ({got}) : c'est la réponse d'un serveur time (RFC 868), pas daytime",
            "got 4 bytes without a line ending ({got}): that is a time server's answer (RFC 868), not daytime"
        ));
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        let n = bytes.len();
        return Err(text!(
            "reçu {n} octets qui ne sont pas du texte UTF-8 ({got})",
            "got {n} bytes that are not UTF-8 text ({got})"
        ));
    };
    // RFC 867 sends "a ascii character string" and closes: the close ends
    // the answer, and a line break is only advised (a warning below). A
    // server that neither ends the line nor closes leaves the client no way
    // to know it has the whole answer. A reset ends it too (`closes` warns
    // about the reset itself).
    let (line, rest) = match text.find('\n') {
        Some(end) => (&text[..end], &text[end + 1..]),
        None if a.closed || a.error.is_some() => (text, ""),
        None => {
            return Err(text!(
                "la ligne {got} ne se termine pas par un saut de ligne (LF ou CRLF), et le serveur n'a pas fermé : le client ne peut pas savoir que la réponse est complète",
                "the line {got} does not end with a line break (LF or CRLF), and the server did not close: the client cannot know the answer is complete"
            ));
        }
    };
    let ended = text.contains('\n');
    let line = line.strip_suffix('\r').unwrap_or(line);
    if !rest.trim().is_empty() {
        return Err(text!(
            "reçu plus d'une ligne ({got}) : daytime envoie une seule ligne",
            "got more than one line ({got}): daytime sends a single line"
        ));
    }
    if line.trim().is_empty() {
        return Err(text!(
            "la ligne reçue est vide ({got})",
            "the line received is empty ({got})"
        ));
    }
    if let Some(c) = line.chars().find(|&c| c.is_control() && c != '\t') {
        return Err(text!(
            "la ligne {got} contient le caractère de contrôle {c:?} : RFC 867 demande des caractères imprimables",
            "the line {got} holds the control character {c:?}: RFC 867 asks for printable characters"
        ));
    }
    if !ended {
        return Ok(Verdict::Warn(text!(
            "la ligne {got} ne se termine pas par un saut de ligne : la RFC 867 n'en exige pas (la fermeture marque la fin), mais sans lui nc ou telnet collent la suite à la date ; mieux vaut finir par \\r\\n",
            "the line {got} does not end with a line break: RFC 867 does not require one (the close marks the end), but without it nc or telnet glue what follows to the date; better end it with \\r\\n"
        )));
    }
    Ok(Verdict::Pass)
}

/// The date in the line, if protocol-check knows its format, compared with
/// now. `line_rule` is the rule that judged the line itself (TCP or UDP),
/// named when there is no line to read.
fn daytime_date(bytes: &[u8], opts: &Options, line_rule: &str) -> Outcome {
    // 4 binary bytes can be valid UTF-8 by chance: the codec's test of what
    // counts as text is stricter than "is UTF-8".
    let (Ok(text), Ok(_)) = (std::str::from_utf8(bytes), daytime::text_of(bytes)) else {
        return Err(text!(
            "pas de ligne de texte à lire (voir {line_rule})",
            "no line of text to read (see {line_rule})"
        ));
    };
    let line = text.lines().next().unwrap_or_default().trim();
    if line.is_empty() {
        return Err(text!("pas de ligne à lire", "no line to read"));
    }
    // Quoted and escaped like every other answer, and cut: a server that
    // sends 4 KiB without a line break must not fill the terminal.
    let shown = netkit::trace::show_at_most(line.as_bytes(), 80);
    match daytime::parse(line) {
        Ok(instant) => {
            let drift = instant.duration_since(Timestamp::now());
            if drift.unsigned_abs() <= opts.max_drift {
                Ok(Verdict::Pass)
            } else {
                let off = describe_offset(drift);
                let (off_fr, off_en) = (&off.fr, &off.en);
                let allowed = secs(opts.max_drift);
                Err(text!(
                    "{shown} correspond à {instant}, {off_fr} l'horloge de cette machine (écart permis : {allowed}) ; un fuseau horaire oublié ?",
                    "{shown} names {instant}, {off_en} this machine's clock (allowed difference: {allowed}); a forgotten time zone?"
                ))
            }
        }
        Err(daytime::LineError::NoTimeZone { civil, .. }) => Ok(Verdict::Warn(text!(
            "{shown} donne {civil} sans fuseau horaire : impossible de comparer avec l'horloge (conseil : écrivez l'heure en UTC, avec « UTC » ou « Z »)",
            "{shown} names {civil} without a time zone: it cannot be compared with the clock (hint: write the time in UTC, with \"UTC\" or \"Z\")"
        ))),
        Err(_) => Ok(Verdict::Warn(text!(
            "format de date inconnu ({shown}) : RFC 867 n'impose aucun format, mais l'heure n'a pas pu être vérifiée (formats connus : RFC 3339, « Tuesday, November 24, 2026 03:38:07-UTC », « Tue Nov 24 03:38:07 UTC 2026 »)",
            "unknown date format ({shown}): RFC 867 fixes none, but the time could not be checked (known formats: RFC 3339, \"Tuesday, November 24, 2026 03:38:07-UTC\", \"Tue Nov 24 03:38:07 UTC 2026\")"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn now() -> Timestamp {
        "2026-11-24T04:39:14Z".parse().unwrap()
    }

    const DRIFT: Duration = Duration::from_secs(5);

    #[test]
    fn the_right_value_passes() {
        let bytes = rfc868::encode(now()).unwrap();
        assert_eq!(diagnose_time(bytes, now(), DRIFT), Ok(Verdict::Pass));
    }

    #[test]
    fn unix_time_is_named() {
        let unix = u32::try_from(now().as_second()).unwrap();
        let why = diagnose_time(unix.to_be_bytes(), now(), DRIFT).unwrap_err();
        assert!(why.en.contains("since 1970 (Unix time)"), "{}", why.en);
        assert!(why.fr.contains("depuis 1970"), "{}", why.fr);
    }

    #[test]
    fn little_endian_is_named() {
        let mut bytes = rfc868::encode(now()).unwrap();
        bytes.reverse();
        let why = diagnose_time(bytes, now(), DRIFT).unwrap_err();
        assert!(why.en.contains("wrong order (little-endian)"), "{}", why.en);
    }

    #[test]
    fn an_hour_off_is_measured() {
        let later = now() + SignedDuration::from_hours(1);
        let bytes = rfc868::encode(later).unwrap();
        let why = diagnose_time(bytes, now(), DRIFT).unwrap_err();
        assert!(why.en.contains("3600 s ahead of"), "{}", why.en);
    }

    #[test]
    fn lines_must_be_one_printable_line() {
        let opts = Options::default();
        let line = |b: &[u8]| {
            daytime_line(
                &Drained {
                    bytes: b.to_vec(),
                    closed: true,
                    ..Drained::default()
                },
                &opts,
            )
        };
        assert_eq!(
            line(b"Tuesday, November 24, 2026 03:38:07-UTC\r\n"),
            Ok(Verdict::Pass)
        );
        assert_eq!(line(b"2026-11-24T03:38:07Z\n"), Ok(Verdict::Pass));
        // Closed without a line break: only advice (RFC 867 requires none).
        assert!(matches!(line(b"no end"), Ok(Verdict::Warn(w)) if w.en.contains("line break")));
        let open = Drained {
            bytes: b"no end".to_vec(),
            ..Drained::default()
        };
        assert!(
            daytime_line(&open, &opts)
                .unwrap_err()
                .en
                .contains("line break")
        );
        assert!(
            line(b"a\nb\n")
                .unwrap_err()
                .en
                .contains("more than one line")
        );
        assert!(line(b"a\x1b[2Jb\n").unwrap_err().en.contains("control"));
        assert!(
            line(&[0xee, 0xaf, 0x93, 0x72])
                .unwrap_err()
                .en
                .contains("time server")
        );
    }

    fn drained(bytes: &[u8]) -> Drained {
        Drained {
            bytes: bytes.to_vec(),
            closed: true,
            ..Drained::default()
        }
    }

    /// A right time followed by a line end (`send(pack("!I", n) + b"\r\n")`):
    /// its 4 binary bytes are valid UTF-8 about one second in ten (here
    /// U+EC00 then "A", a time of November 2026). They are a number in
    /// binary, not text: `time.value` reads them, `time.length` alone fails.
    #[test]
    fn a_binary_time_that_happens_to_be_utf8_is_not_called_text() {
        let bytes = [0xEE, 0xB0, 0x80, 0x41, b'\r', b'\n'];
        assert!(std::str::from_utf8(&bytes).is_ok());
        let opts = Options {
            max_drift: std::time::Duration::from_secs(200 * 365 * 86_400),
            ..Options::default()
        };
        assert_eq!(time_value(&bytes, &opts), Ok(Verdict::Pass));
        let why = time_length(&drained(&bytes), &opts).unwrap_err();
        assert!(!why.en.contains("text"), "{}", why.en);
    }

    #[test]
    fn a_wrong_length_is_explained_by_what_the_bytes_are() {
        let opts = Options::default();
        let length = |b: &[u8]| time_length(&drained(b), &opts).unwrap_err();
        let value = |b: &[u8]| time_value(b, &opts).unwrap_err();
        let right = rfc868::encode(Timestamp::now()).unwrap();
        // The same 4 bytes twice: not a 64-bit integer.
        let twice = [right, right].concat();
        let why = length(&twice);
        assert!(why.en.contains("the same 4 bytes twice"), "{}", why.en);
        assert!(
            why.fr.contains("les mêmes 4 octets deux fois"),
            "{}",
            why.fr
        );
        assert!(!why.en.contains("64-bit"), "{}", why.en);
        // A u64, big-endian or little-endian: 4 of the 8 bytes are zeros.
        let n = u64::from(u32::from_be_bytes(right));
        for wide in [n.to_be_bytes(), n.to_le_bytes()] {
            let why = length(&wide);
            assert!(why.en.contains("64-bit integer"), "{}", why.en);
        }
        // The number written in digits: text, but not a daytime line.
        let digits = format!("{}\n", u32::from_be_bytes(right));
        for why in [length(digits.as_bytes()), value(digits.as_bytes())] {
            assert!(why.en.contains("written in digits"), "{}", why.en);
            assert!(!why.en.contains("daytime"), "{}", why.en);
            assert!(!why.en.contains("1970"), "{}", why.en);
        }
        // Unix time in digits (`date +%s`): both mistakes are named.
        let unix = format!("{}\n", Timestamp::now().as_second());
        for why in [length(unix.as_bytes()), value(unix.as_bytes())] {
            assert!(why.en.contains("written in digits"), "{}", why.en);
            assert!(why.en.contains("since 1970 (Unix time)"), "{}", why.en);
            assert!(why.fr.contains("depuis 1970"), "{}", why.fr);
        }
        // A daytime line on the time port: named in both rules, not read
        // as a number.
        let line = daytime::line(Timestamp::now());
        for why in [length(line.as_bytes()), value(line.as_bytes())] {
            assert!(why.en.contains("daytime server's answer"), "{}", why.en);
        }
    }

    #[test]
    fn a_reset_after_the_answer_is_not_called_staying_open() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let a = Drained {
            bytes: b"2026-11-24T03:38:07Z\r\n".to_vec(),
            error: Some(crate::report::explain(&netkit::NetError::io(
                "reading from the server",
                reset,
            ))),
            ..Drained::default()
        };
        let opts = Options::default();
        for verdict in [closes(&a, &opts), time_closes(&a, &opts)] {
            let Ok(Verdict::Warn(why)) = verdict else {
                panic!("{verdict:?}");
            };
            assert!(why.en.contains("cut abruptly"), "{}", why.en);
            assert!(!why.en.contains("did not close"), "{}", why.en);
        }
    }

    /// A line without a line break, then a reset: the connection ended
    /// (`daytime.close` warns about the reset); `daytime.line` must not say
    /// the server "did not close".
    #[test]
    fn a_line_without_break_ended_by_a_reset_is_not_called_left_open() {
        let reset = std::io::Error::from(std::io::ErrorKind::ConnectionReset);
        let a = Drained {
            bytes: b"2026-11-24T03:38:07Z".to_vec(),
            error: Some(crate::report::explain(&netkit::NetError::io(
                "reading from the server",
                reset,
            ))),
            ..Drained::default()
        };
        let verdict = daytime_line(&a, &Options::default());
        let Ok(Verdict::Warn(why)) = &verdict else {
            panic!("{verdict:?}");
        };
        assert!(why.en.contains("line break"), "{}", why.en);
        assert!(!why.en.contains("did not close"), "{}", why.en);
    }

    #[test]
    fn fewer_than_4_bytes_are_counted_in_both_languages() {
        let opts = Options::default();
        let said = |n: usize| time_value(&vec![0; n], &opts).unwrap_err();
        assert!(said(0).fr.starts_with("aucun octet reçu"), "{:?}", said(0));
        assert!(said(0).en.starts_with("no bytes received"), "{:?}", said(0));
        assert!(
            said(1).fr.starts_with("seulement 1 octet reçu :"),
            "{:?}",
            said(1)
        );
        assert!(
            said(1).en.starts_with("only 1 byte received:"),
            "{:?}",
            said(1)
        );
        assert!(
            said(3).fr.starts_with("seulement 3 octets reçus :"),
            "{:?}",
            said(3)
        );
        assert!(
            said(3).en.starts_with("only 3 bytes received:"),
            "{:?}",
            said(3)
        );
    }

    #[test]
    fn unknown_formats_only_warn() {
        let opts = Options::default();
        assert!(matches!(
            daytime_date(b"il est midi\n", &opts, "daytime.line"),
            Ok(Verdict::Warn(_))
        ));
        let now = daytime::line(Timestamp::now());
        assert_eq!(
            daytime_date(now.as_bytes(), &opts, "daytime.line"),
            Ok(Verdict::Pass)
        );
        let old = daytime::line("2001-01-01T00:00:00Z".parse().unwrap());
        assert!(daytime_date(old.as_bytes(), &opts, "daytime.line").is_err());
    }
}
