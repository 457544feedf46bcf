//! # Robustness: bad input never breaks a parser ("poor man's fuzzing")
//!
//! netlab promises that its servers and clients are unbreakable by bad
//! input: whatever bytes a peer sends, a parser never panics, and a decoder
//! never stores more than its documented limit. The hand-written tests
//! beside each module check the cases someone thought of; these tests throw
//! tens of thousands of cases nobody thought of at every sans-I/O parser of
//! this crate, and check the promises on each:
//!
//! - no panic (a panic in a server task is a dropped client; in a client, a crash);
//! - after every `decode` call, the decoder holds at most its limit of bytes;
//! - the result does not depend on how TCP cut the bytes into reads;
//! - what parses, re-encodes and parses again to the same value (round trip).
//!
//! Two kinds of input are needed. Pure random bytes test the front door: a
//! verb that is not one, a line that never ends. But they almost never get
//! *past* it: the chance that random bytes spell `PRIV bob hi` or a valid
//! date is nil. So most cases start from a *valid* message and damage it a
//! little (flip a bit, insert a CR, delete a byte, cut it short, splice in a
//! piece of itself): such inputs are accepted by the first checks and fail
//! deep inside, where the bugs hide, exactly like a real, slightly wrong,
//! client.
//!
//! Everything is deterministic: a fixed seed, a fixed number of cases, a tiny
//! xorshift generator (no `rand` crate), so a failure is the same on every
//! run and every machine, and the message shows the input that caused it.
//! Each test stays well under a second (the crate is optimized even in debug
//! builds, see the root Cargo.toml).

use bytes::BytesMut;
use codec::chat::telnet::{IAC, strip_commands};
use codec::chat::{
    BadLine, ClientCodec, Command, LineDecoder, MAX_LINE, MAX_NICK, Reply, ServerCodec,
};
use codec::ports;
use codec::time::{Timestamp, daytime, rfc868};
use tokio_util::codec::Decoder;

#[path = "../../../tests/support/damage.rs"]
#[allow(dead_code)]
mod damage;

use damage::{Rng, mutate, reads};

/// Bytes that mean something to a line decoder or to Telnet.
const LINE_BYTES: &[u8] = b"\n\r \r\n\xff\xff\xfa\xf0\xfb\xfd\xfe\xf4\x06\x00\x1b\xc3\xa9\x80";

/// Valid chat/1 client lines, the starting points of mutated sessions.
const SESSION: &[u8] =
    b"NICK alice\r\nMSG hello  world\nPRIV bob see you at 5\r\nLIST\nPING 42\r\n\
HELP\nnick Bob_2\nMSG caf\xc3\xa9 \xe2\x98\x95\r\n\xff\xf4\xff\xfd\x06MSG after ctrl-c\r\n\
\xff\xfa\x18\x00xterm\xff\xf0QUIT bye all\r\n";

/// An input for the line decoders: random bytes, or a mutated session,
/// sometimes with a line far over the limit.
fn line_input(rng: &mut Rng, max: usize) -> Vec<u8> {
    let mut input = if rng.one_in(3) {
        let len = rng.below(3 * max + 64);
        rng.bytes(len, LINE_BYTES)
    } else {
        mutate(rng, SESSION, LINE_BYTES)
    };
    if rng.one_in(8) {
        let at = rng.below(input.len() + 1);
        let long = vec![b'x'; max + rng.below(max + 3)];
        input.splice(at..at, long);
    }
    input
}

// ---- chat/1: cutting the stream into lines ---------------------------------

/// Everything a decoder says about `pieces`: the lines, each with the
/// Telnet refusals taken right after it, checking the memory bound after
/// every single call. (The server also takes refusals between lines, as
/// soon as a read brings a request: here those wait for the next line, so
/// that how the reads were cut cannot change what each line is paired with.)
fn decode_lines(
    mut decoder: LineDecoder,
    pieces: &[&[u8]],
) -> Vec<(Result<String, BadLine>, Vec<u8>)> {
    let max = decoder.max();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut take = |line: Result<String, BadLine>, decoder: &mut LineDecoder| {
        if let Ok(text) = &line {
            assert!(
                text.len() <= max,
                "a line over the limit came out: {text:?}"
            );
        }
        let refusals = decoder.take_telnet_refusals().unwrap_or_default();
        // One 3-byte refusal per 3-byte request: never more than the line.
        assert!(
            refusals.len() <= max + 1,
            "{} bytes of refusals",
            refusals.len()
        );
        out.push((line, refusals));
    };
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(line) = decoder.decode(&mut buf) {
            take(line, &mut decoder);
        }
        // The promise: whatever arrived, at most a line and its CR wait.
        assert!(
            buf.len() <= max + 1,
            "{} bytes buffered (max {max})",
            buf.len()
        );
    }
    while let Some(line) = decoder.decode_eof(&mut buf) {
        take(line, &mut decoder);
    }
    assert!(buf.is_empty(), "bytes left after the end of stream");
    out
}

#[test]
fn line_decoders_stay_bounded_and_ignore_how_bytes_are_cut() {
    let mut rng = Rng::new(0x5eed_0001);
    for case in 0..40_000 {
        let max = *rng.pick(&[0, 1, 2, 5, 16, 64, MAX_LINE]);
        let telnet = rng.one_in(2);
        let decoder = || {
            let d = LineDecoder::new(max);
            if telnet { d.strip_telnet() } else { d }
        };
        let input = line_input(&mut rng, max);
        // Bytes shown as text with escapes (`\r`, `\xff`) in failure messages.
        let shown = input.escape_ascii();
        let whole = decode_lines(decoder(), &[&input]);
        let pieces = reads(&mut rng, &input);
        let cut = decode_lines(decoder(), &pieces);
        // The same bytes give the same lines, however TCP cut them.
        assert_eq!(
            whole, cut,
            "case {case}: max {max}, telnet {telnet}, input \"{shown}\", reads {pieces:?}"
        );
    }
}

/// The lines, and every refusal owed, taken as the server takes them:
/// after every read, whether it ended a line or not.
fn lines_and_refusals_per_read(
    mut decoder: LineDecoder,
    pieces: &[&[u8]],
) -> (Vec<Result<String, BadLine>>, Vec<u8>) {
    let mut buf = BytesMut::new();
    let (mut lines, mut refusals) = (Vec::new(), Vec::new());
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(line) = decoder.decode(&mut buf) {
            lines.push(line);
        }
        refusals.extend(decoder.take_telnet_refusals().unwrap_or_default());
    }
    while let Some(line) = decoder.decode_eof(&mut buf) {
        lines.push(line);
    }
    refusals.extend(decoder.take_telnet_refusals().unwrap_or_default());
    (lines, refusals)
}

#[test]
fn telnet_requests_are_answered_once_however_the_reads_are_cut() {
    let mut rng = Rng::new(0x5eed_0007);
    for case in 0..20_000 {
        let max = *rng.pick(&[3, 5, 8, 12, 64, MAX_LINE]);
        let input = line_input(&mut rng, max);
        let shown = input.escape_ascii();
        let decoder = || LineDecoder::new(max).strip_telnet();
        let whole = lines_and_refusals_per_read(decoder(), &[&input]);
        // Byte by byte: every request is cut at every place it can be.
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        let pieces = reads(&mut rng, &input);
        for cut in [&bytes, &pieces] {
            assert_eq!(
                whole,
                lines_and_refusals_per_read(decoder(), cut),
                "case {case}: max {max}, input \"{shown}\", reads {cut:?}"
            );
        }
    }
}

#[test]
fn telnet_stripping_removes_every_command_and_only_refuses_requests() {
    let mut rng = Rng::new(0x5eed_0002);
    for _ in 0..100_000 {
        let input = if rng.one_in(2) {
            let len = rng.below(40);
            rng.bytes(len, b"\xff\xff\xff\xfa\xf0\xfb\xfc\xfd\xfe\xf4\x01a ")
        } else {
            mutate(
                &mut rng,
                b"\xff\xf4\xff\xfd\x06MSG \xff\xfa\x18\x00x\xff\xff\xf0hi\xff\xfb\x1f",
                b"\xff\xfa\xf0\xfd",
            )
        };
        let shown = input.escape_ascii();
        let mut line = input.clone();
        let mut refusals = Vec::new();
        strip_commands(&mut line, &mut refusals);
        // 0xFF never survives: every IAC starts a command, which goes whole.
        assert!(!line.contains(&IAC), "\"{shown}\" gave {line:?}");
        // What is kept is a subsequence of the input: nothing made up.
        let mut rest = input.iter();
        assert!(
            line.iter().all(|b| rest.any(|c| c == b)),
            "\"{shown}\" gave {line:?}"
        );
        // Refusals: whole `IAC WONT x` / `IAC DONT x` triples, one per request.
        assert_eq!(refusals.len() % 3, 0, "{refusals:?}");
        assert!(
            refusals.len() <= input.len(),
            "\"{shown}\" gave {refusals:?}"
        );
        for triple in refusals.chunks(3) {
            assert!(
                triple[0] == IAC && (triple[1] == 0xfc || triple[1] == 0xfe),
                "{refusals:?}"
            );
        }
        // Once stripped, nothing is left to strip.
        let mut again = line.clone();
        let mut none = Vec::new();
        strip_commands(&mut again, &mut none);
        assert_eq!((again, none), (line, vec![]));
    }
}

// ---- chat/1: the codecs of both sides --------------------------------------

#[test]
fn server_codec_yields_commands_that_round_trip() {
    let mut rng = Rng::new(0x5eed_0003);
    let mut accepted = 0;
    for case in 0..20_000 {
        let input = line_input(&mut rng, MAX_LINE);
        let shown = input.escape_ascii();
        let pieces = reads(&mut rng, &input);
        let mut codec = ServerCodec::new();
        let mut buf = BytesMut::new();
        let mut items = Vec::new();
        for piece in &pieces {
            buf.extend_from_slice(piece);
            while let Some(item) = codec
                .decode(&mut buf)
                .expect("bad input is an item, never an error")
            {
                items.push(item);
            }
            assert!(
                buf.len() <= MAX_LINE + 1,
                "case {case}: {} bytes buffered",
                buf.len()
            );
            let _ = codec.take_telnet_refusals();
        }
        while let Some(item) = codec.decode_eof(&mut buf).expect("never an error") {
            items.push(item);
        }
        for item in items {
            match item {
                Ok(command) => {
                    accepted += 1;
                    let line = command.to_line();
                    assert!(line.len() <= MAX_LINE, "{line:?}");
                    assert_eq!(
                        Command::parse(&line),
                        Ok(command),
                        "case {case}: \"{shown}\""
                    );
                }
                // The reason is what the server writes after ERR: one line.
                Err(bad) => assert!(!bad.to_string().contains('\n'), "{bad:?}"),
            }
        }
    }
    assert!(
        accepted > 10_000,
        "mutated sessions reach the parser: {accepted}"
    );
}

/// Random text, mostly from the characters chat/1 gives a meaning to.
fn chat_text(rng: &mut Rng, len: usize) -> String {
    const CHARS: &[char] = &[
        ' ', ' ', ' ', 'a', 'Z', '9', '_', '-', '!', 'é', '☕', '\t', '\r', '\u{1b}', '\u{7f}',
        '\u{85}', '\u{0}', 'N', 'I', 'C', 'K', 'M', 'S', 'G', 'P', 'R', 'V', 'O', 'L',
    ];
    (0..len).map(|_| *rng.pick(CHARS)).collect()
}

const VERBS: &[&str] = &[
    "NICK", "MSG", "PRIV", "LIST", "PING", "HELP", "QUIT", "nick", "HELLO", "OK", "ERR", "JOIN",
    "LEAVE", "USERS", "PONG", "BYE", "", " ",
];

#[test]
fn command_parse_accepts_only_what_it_can_write_back() {
    let mut rng = Rng::new(0x5eed_0004);
    for _ in 0..100_000 {
        let len = rng.below(40);
        let text = chat_text(&mut rng, len);
        let line = if rng.one_in(4) {
            text
        } else {
            format!("{} {text}", rng.pick(VERBS))
        };
        match Command::parse(&line) {
            Ok(command) => {
                assert_eq!(
                    Command::parse(&command.to_line()),
                    Ok(command.clone()),
                    "{line:?}"
                );
                assert!(command.to_line().len() <= line.len(), "{line:?} grew");
                if let Command::Nick(nick) | Command::Priv { to: nick, .. } = &command {
                    assert!(!nick.is_empty() && nick.len() <= MAX_NICK, "{line:?}");
                }
            }
            Err(bad) => assert!(!bad.to_string().contains(['\n', '\r', '\u{1b}']), "{bad:?}"),
        }
    }
}

#[test]
fn client_codec_and_reply_parse_round_trip() {
    let mut rng = Rng::new(0x5eed_0005);
    let replies = b"HELLO netlab chat/1\nOK NICK alice\nERR nickname bob is taken\n\
MSG alice hi  all\r\nPRIV bob psst\nJOIN carol\nLEAVE carol see you\nLEAVE carol\n\
NICK bob robert\nUSERS alice bob\nUSERS\nPONG 42\nPONG\nBYE server shutting down\nBYE\n";
    let mut parsed = 0;
    for case in 0..20_000 {
        let input = if rng.one_in(4) {
            let len = rng.below(300);
            rng.bytes(len, b"\n\r   HELOKMSGUR")
        } else {
            mutate(&mut rng, replies, b"\n\r  \xc3")
        };
        let shown = input.escape_ascii();
        let mut codec = ClientCodec::new();
        let mut buf = BytesMut::new();
        let mut lines = Vec::new();
        for piece in reads(&mut rng, &input) {
            buf.extend_from_slice(piece);
            while let Some(line) = codec.decode(&mut buf).expect("never an error") {
                lines.push(line);
            }
        }
        while let Some(line) = codec.decode_eof(&mut buf).expect("never an error") {
            lines.push(line);
        }
        for line in lines.into_iter().flatten() {
            if let Some(reply) = Reply::parse(&line) {
                parsed += 1;
                assert_eq!(
                    Reply::parse(&reply.to_line()),
                    Some(reply),
                    "case {case}: {line:?} in \"{shown}\""
                );
            }
        }
    }
    // Any text at all, too: Reply::parse reads whatever a server sends.
    for _ in 0..50_000 {
        let len = rng.below(30);
        let line = format!("{} {}", rng.pick(VERBS), chat_text(&mut rng, len));
        if let Some(reply) = Reply::parse(&line) {
            assert_eq!(Reply::parse(&reply.to_line()), Some(reply), "{line:?}");
        }
    }
    assert!(
        parsed > 100_000,
        "mutated replies reach the parser: {parsed}"
    );
}

// ---- time: RFC 867 and RFC 868 answers -------------------------------------

#[test]
fn daytime_replies_never_panic_and_what_parses_is_an_instant() {
    let mut rng = Rng::new(0x5eed_0006);
    // Valid answers in every format daytime::parse knows, at random instants.
    let formats = [
        daytime::FORMAT,
        "%d %b %Y %H:%M:%S UTC",
        "%a %b %e %H:%M:%S UTC %Y",
        "%a %b %e %H:%M:%S %Y",
        "%d %b %Y %H:%M:%S CET",
        "%Y-%m-%dT%H:%M:%SZ",
        "%Y-%m-%dT%H:%M:%S%:z",
    ];
    let favourites = b" :,-+TZ0123456789\r\n\xc3";
    let mut understood = 0;
    for case in 0..20_000 {
        let valid_instant = rng.below(1 << 32) as i64;
        let valid = Timestamp::from_second(valid_instant).unwrap();
        let line = format!("{}\r\n", valid.strftime(rng.pick(&formats)));
        let reply = match rng.below(5) {
            0 => {
                let len = rng.below(60);
                rng.bytes(len, favourites)
            }
            // Subtle damage that keeps the shape of a date: a digit changed
            // (day 39, hour 27, the wrong weekday), a letter's case changed.
            // It gets past the format and into the calendar checks.
            1 | 2 => {
                let mut bytes = line.into_bytes();
                for _ in 0..1 + rng.below(2) {
                    let at = rng.below(bytes.len());
                    if bytes[at].is_ascii_digit() {
                        bytes[at] = b'0' + rng.below(10) as u8;
                    } else if bytes[at].is_ascii_alphabetic() {
                        bytes[at] ^= 0x20;
                    }
                }
                bytes
            }
            _ => mutate(&mut rng, line.as_bytes(), favourites),
        };
        let Ok(text) = daytime::text_of(&reply) else {
            continue;
        };
        assert!(!text.contains('\n') && text.trim() == text, "{text:?}");
        match daytime::parse(text) {
            Ok(instant) => {
                understood += 1;
                // What a client understood, netlab's server would send as a
                // line the client reads back as the same second.
                if (0..253_402_300_800).contains(&instant.as_second()) {
                    let second = Timestamp::from_second(instant.as_second()).unwrap();
                    let again = daytime::line(instant);
                    assert_eq!(daytime::parse(&again), Ok(second), "case {case}: {text:?}");
                }
            }
            Err(error) => {
                if matches!(error, daytime::LineError::NoTimeZone { .. }) {
                    understood += 1; // a date was read, but no usable zone
                }
                let _ = error.to_string();
            }
        }
    }
    assert!(
        understood > 5_000,
        "mutated lines reach the formats: {understood}"
    );
    // The longest a client reads: a long line, with many candidate zones.
    let mut long = String::new();
    while long.len() < daytime::MAX_LINE {
        long.push_str("Tue Nov 24 ab ");
    }
    assert!(daytime::parse(&long).is_err());
}

#[test]
fn rfc868_answers_of_any_length_never_panic_and_round_trip() {
    let mut rng = Rng::new(0x5eed_0007);
    for _ in 0..100_000 {
        let len = if rng.one_in(2) { 4 } else { rng.below(9) };
        let reply = rng.bytes(len, b"\x00\xff\x83\xaa\x7e\x80\r\n");
        match rfc868::parse_answer(&reply) {
            // The window is a bijection: every 4 bytes name one second,
            // which encodes back to the very same 4 bytes.
            Ok(instant) => assert_eq!(rfc868::encode(instant).map(Vec::from), Ok(reply)),
            Err(error) => {
                assert_ne!(reply.len(), 4);
                let _ = error.to_string();
            }
        }
    }
}

// ---- ports: looking services up --------------------------------------------

#[test]
fn service_queries_never_panic_and_answer_exactly() {
    let mut rng = Rng::new(0x5eed_0008);
    for _ in 0..50_000 {
        let known = rng.pick(ports::SERVICES).name.as_bytes();
        let query = mutate(&mut rng, known, b"-_ Ee\xc3\xa9");
        let query = String::from_utf8_lossy(&query);
        if let Some(service) = ports::service_named(&query) {
            assert!(service.name.eq_ignore_ascii_case(&query), "{query:?}");
        }
        let port = rng.next() as u16;
        assert!(ports::services_on(port).all(|s| s.port == port));
        let own = [rng.next() as u16, rng.next() as u16];
        match ports::may_answer_udp(port, &own) {
            Ok(()) => assert!(port >= 1024 && !own.contains(&port)),
            Err(why) => assert!(!why.to_string().is_empty()),
        }
        let range = ports::PortRange::of(port);
        let (low, high) = range.bounds();
        assert!((low..=high).contains(&port), "{port} {range}");
    }
}
