//! # Robustness: bad input never breaks the HTTP parsers ("poor man's fuzzing")
//!
//! netlab promises that its servers and clients are unbreakable by bad
//! input: whatever a peer sends, a parser never panics, and what waits in
//! memory stays within the limits. The tests beside each module check the
//! cases someone thought of; these throw tens of thousands of cases nobody
//! thought of at the sans-I/O parts of the crate (request heads, chunked
//! bodies, response heads, URLs) and check, on each:
//!
//! - no panic (in the server, a panic is a dropped connection; in the
//!   client, a crash);
//! - the limits hold: a head is refused before it grows past
//!   `--max-header-bytes`, a chunked body before its data or framing grows
//!   past `--max-body`, and what waits between two reads stays small;
//! - the answer does not depend on how TCP cut the bytes into reads: a head
//!   that is accepted whole is never refused when it arrives in pieces;
//! - what is accepted, written again and parsed again gives the same value.
//!
//! Two kinds of input are needed. Random bytes test the front door, but
//! they never get past it: the chance that they spell a request line with a
//! `Host` header and a chunked body is nil. So most cases start from a
//! *valid* message and damage it a little (flip a bit, insert a CR or a
//! colon, delete a byte, cut it short, repeat a piece of it): such inputs
//! pass the first checks and fail deep inside, like a real, slightly wrong,
//! client, and that is where bugs hide.
//!
//! Everything is deterministic: fixed seeds, fixed case counts, a tiny
//! xorshift generator (no `rand` crate), so a failure is the same on every
//! run and its message shows the input. Each test takes well under a second
//! or two in a debug build.

use http::chunked::ChunkedDecoder;
use http::request::{self, BodyFraming, ChunkedBody, Limits, Parsed, Request, Version};
use http::response::{self, ResponseHead};
use http::url;

#[path = "../../../tests/support/damage.rs"]
#[allow(dead_code)]
mod damage;

use damage::{Rng, mutate, reads};

/// Bytes that mean something in HTTP/1.1 framing.
const HTTP_BYTES: &[u8] = b"\r\n\r\n :;,/?%\t0123456789abcdefABCDEF\x00\x7f\xff\x16";

// ---- Request heads -----------------------------------------------------------

/// Valid requests, the starting points of the mutated ones.
const REQUESTS: &[&[u8]] = &[
    b"GET /a/b?x=1 HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: test/1\r\nAccept: */*\r\n\r\n",
    b"POST /form HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
5;ext=1\r\nhello\r\n0\r\nX-Trailer: t\r\n\r\n",
    b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
    b"HEAD http://example.com:8080/x?y HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"\r\nGET / HTTP/1.1\r\nhost: a\r\nX-Obs: caf\xc3\xa9 \xff\r\nCookie: a=b; c=d\r\n\r\n",
];

/// The limits the server is tried with: tiny ones (reached often) and the
/// defaults.
fn limits(rng: &mut Rng) -> Limits {
    if rng.one_in(2) {
        Limits::default()
    } else {
        Limits {
            max_head_bytes: 16 + rng.below(200),
            max_headers: 1 + rng.below(5),
            max_body: rng.below(20) as u64,
        }
    }
}

fn request_input(rng: &mut Rng) -> Vec<u8> {
    if rng.one_in(4) {
        let len = rng.below(300);
        rng.bytes(len, HTTP_BYTES)
    } else {
        let valid = *rng.pick(REQUESTS);
        mutate(rng, valid, HTTP_BYTES)
    }
}

/// The head a client would write for `req`: request line, headers, empty line.
fn write_head(req: &Request) -> Vec<u8> {
    let mut head = format!("{} {} {}\r\n", req.method, req.target, req.version).into_bytes();
    for (name, value) in &req.headers {
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"\r\n");
    head
}

#[test]
fn request_heads_never_panic_and_respect_the_limits() {
    let mut rng = Rng::new(0x5eed_1001);
    let mut complete = 0;
    for case in 0..30_000 {
        let limits = limits(&mut rng);
        let input = request_input(&mut rng);
        // Bytes shown as text with escapes (`\r`, `\xff`) in failure messages.
        let shown = input.escape_ascii();
        match request::parse(&input, &limits) {
            Ok(Parsed::Partial) => {
                // The server may keep waiting only while under the limit.
                assert!(
                    input.len() < limits.max_head_bytes,
                    "case {case}: \"{shown}\""
                );
            }
            Ok(Parsed::Complete(req)) => {
                complete += 1;
                assert!(req.raw_head.len() <= limits.max_head_bytes, "case {case}");
                assert!(input.starts_with(&req.raw_head), "case {case}");
                assert!(req.headers.len() <= limits.max_headers, "case {case}");
                if let BodyFraming::Length(n) = req.body {
                    assert!(n <= limits.max_body, "case {case}: \"{shown}\"");
                }
                assert!(req.version == Version::Http10 || req.header("host").is_some());
                // Everything the server asks of a request, on any request.
                let _ = (req.path(), req.origin_form(), req.keep_alive());
                let _ = req.header_text("user-agent");
                // Written again, it is read again the same.
                let again = write_head(&req);
                let roomy = Limits {
                    max_head_bytes: again.len().max(limits.max_head_bytes),
                    ..limits
                };
                match request::parse(&again, &roomy) {
                    Ok(Parsed::Complete(back)) => assert_eq!(
                        (
                            back.method,
                            back.target,
                            back.version,
                            back.headers,
                            back.body
                        ),
                        (req.method, req.target, req.version, req.headers, req.body),
                        "case {case}: \"{shown}\""
                    ),
                    other => panic!("case {case}: \"{shown}\" rewritten gives {other:?}"),
                }
            }
            Err(rejection) => {
                let code = rejection.status.code();
                assert!((400..600).contains(&code), "{rejection:?}");
                assert!(!rejection.reason.is_empty());
                assert!(!rejection.reason.contains(['\r', '\n']), "{rejection:?}");
            }
        }
    }
    assert!(
        complete > 3_000,
        "mutated requests reach the checks: {complete}"
    );
}

#[test]
fn a_head_accepted_whole_is_never_refused_in_pieces() {
    // The server calls parse() after every read. If a prefix of a good
    // head were refused, a request would fail or not depending on how the
    // network cut it: a bug nobody could reproduce.
    let mut rng = Rng::new(0x5eed_1002);
    let mut checked = 0;
    for case in 0..30_000 {
        let limits = limits(&mut rng);
        let input = request_input(&mut rng);
        let shown = input.escape_ascii();
        let Ok(Parsed::Complete(req)) = request::parse(&input, &limits) else {
            continue;
        };
        checked += 1;
        let head_len = req.raw_head.len();
        for _ in 0..4 {
            let end = rng.below(head_len);
            assert_eq!(
                request::parse(&input[..end], &limits),
                Ok(Parsed::Partial),
                "case {case}: the first {end} bytes of \"{shown}\""
            );
        }
    }
    assert!(checked > 3_000, "{checked}");
}

// ---- Chunked bodies ----------------------------------------------------------

/// The longest a chunk-size line or the trailers may be (chunked.rs): what
/// may wait between two reads.
const MAX_WAITING: usize = 8 * 1024;

const CHUNKED: &[u8] = b"5\r\nhello\r\n7;ext=1;q=\"a b\"\r\n, world\r\n\
10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n";

fn chunked_input(rng: &mut Rng) -> Vec<u8> {
    match rng.below(5) {
        0 => {
            let len = rng.below(200);
            rng.bytes(len, b"0123456789abcdefABCDEF;=\r\n\r\n \t\"")
        }
        1 => {
            // A valid body with chunks of random sizes, maybe damaged.
            let len = rng.below(100);
            let data = rng.bytes(len, b"\r\n0");
            let body = encode_chunked(rng, &data);
            if rng.one_in(2) {
                body
            } else {
                mutate(rng, &body, b"0123456789abcdef;\r\n")
            }
        }
        _ => mutate(rng, CHUNKED, b"0123456789abcdef;=\r\n\r\n \t\""),
    }
}

/// `data` as a chunked body, in chunks of random sizes (hex, either case).
fn encode_chunked(rng: &mut Rng, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let size = (1 + rng.below(40)).min(rest.len());
        let line = if rng.one_in(2) {
            format!("{size:x}\r\n")
        } else {
            format!("{size:X};n=v\r\n")
        };
        body.extend_from_slice(line.as_bytes());
        body.extend_from_slice(&rest[..size]);
        body.extend_from_slice(b"\r\n");
        rest = &rest[size..];
    }
    body.extend_from_slice(b"0\r\n\r\n");
    body
}

/// What a decoder makes of `pieces`, given one after the other as the client
/// does: the data, and the bytes used, once done; `Err` if refused.
/// Checks after every call that what waits for more bytes stays small.
fn decode_chunked(pieces: &[&[u8]]) -> Result<(Vec<u8>, usize), String> {
    let mut decoder = ChunkedDecoder::new();
    let mut out = Vec::new();
    let mut pending = Vec::new();
    let mut used_total = 0;
    for piece in pieces {
        pending.extend_from_slice(piece);
        let used = decoder.decode(&pending, &mut out)?;
        assert!(used <= pending.len());
        pending.drain(..used);
        used_total += used;
        if decoder.is_done() {
            return Ok((out, used_total));
        }
        assert!(
            pending.len() <= MAX_WAITING,
            "{} bytes waiting",
            pending.len()
        );
    }
    Err("unfinished".into())
}

#[test]
fn chunked_bodies_never_panic_and_ignore_how_bytes_are_cut() {
    let mut rng = Rng::new(0x5eed_1003);
    let mut done = 0;
    for case in 0..30_000 {
        let input = chunked_input(&mut rng);
        let shown = input.escape_ascii();
        let whole = decode_chunked(&[&input]);
        let pieces = reads(&mut rng, &input);
        let cut = decode_chunked(&pieces);
        // Same outcome either way: the same data and end, or a refusal
        // (whose reason may differ: "too long" is seen before "invalid"
        // when a long line arrives in pieces). An unfinished body stays so.
        match (&whole, &cut) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "case {case}: \"{shown}\""),
            (Err(a), Err(b)) => assert_eq!(
                a == "unfinished",
                b == "unfinished",
                "case {case}: \"{shown}\""
            ),
            _ => panic!("case {case}: \"{shown}\" whole {whole:?}, in {pieces:?}: {cut:?}"),
        }
        if let Ok((data, _)) = whole {
            done += 1;
            // The data, chunked again differently, decodes to itself.
            let again = encode_chunked(&mut rng, &data);
            assert_eq!(decode_chunked(&[&again]), Ok((data, again.len())));
        }
    }
    assert!(done > 3_000, "mutated bodies are read to their end: {done}");
}

#[test]
fn the_servers_chunked_reader_holds_its_limits() {
    let mut rng = Rng::new(0x5eed_1004);
    for case in 0..30_000 {
        let limits = Limits {
            max_body: rng.below(64) as u64,
            ..Limits::default()
        };
        let input = chunked_input(&mut rng);
        let shown = input.escape_ascii();
        let mut reader = ChunkedBody::new(&limits);
        let mut whole = ChunkedDecoder::new();
        let mut data = Vec::new();
        let mut pending = Vec::new();
        let mut used_total = 0u64;
        for piece in reads(&mut rng, &input) {
            pending.extend_from_slice(piece);
            match reader.read(&pending) {
                Ok(used) => {
                    pending.drain(..used);
                    used_total += used as u64;
                }
                Err(rejection) => {
                    let code = rejection.status.code();
                    assert!(code == 400 || code == 413, "{rejection:?}");
                    break;
                }
            }
            // Accepted so far: within both bounds.
            assert!(used_total <= limits.max_chunked_bytes(), "case {case}");
            assert!(pending.len() <= MAX_WAITING, "case {case}");
            if reader.is_done() {
                // The data counted is the data the body carries.
                let _ = whole.decode(&input, &mut data);
                assert!(
                    data.len() as u64 <= limits.max_body,
                    "case {case}: \"{shown}\""
                );
                break;
            }
        }
    }
}

// ---- Response heads (the client) --------------------------------------------

const RESPONSES: &[&[u8]] = &[
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 12\r\n\r\nhello world!",
    b"HTTP/1.1 301 Moved Permanently\r\nLocation: /docs/\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    b"HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n",
    b"HTTP/1.1 204 \r\nX-A: b\r\n\r\n",
];

/// The head a server would write for `head`.
fn write_response(head: &ResponseHead) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.{} {:03} {}\r\n",
        head.minor_version, head.code, head.reason
    )
    .into_bytes();
    for (name, value) in &head.headers {
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(value);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    bytes
}

#[test]
fn response_heads_never_panic_and_round_trip() {
    let mut rng = Rng::new(0x5eed_1005);
    let mut complete = 0;
    for case in 0..20_000 {
        let max_headers = *rng.pick(&[0, 1, 2, 100]);
        let input = if rng.one_in(4) {
            let len = rng.below(200);
            rng.bytes(len, HTTP_BYTES)
        } else {
            let valid = *rng.pick(RESPONSES);
            mutate(&mut rng, valid, HTTP_BYTES)
        };
        let shown = input.escape_ascii();
        match response::parse_head(&input, max_headers) {
            Ok(None) => {}
            Ok(Some(head)) => {
                complete += 1;
                assert!(head.head_len <= input.len());
                assert!(head.headers.len() <= max_headers);
                for method in ["GET", "HEAD"] {
                    let _ = head.framing(method);
                }
                // Every prefix of the head asks for more.
                let end = rng.below(head.head_len);
                assert_eq!(response::parse_head(&input[..end], max_headers), Ok(None));
                // Written again, read again the same.
                let again = write_response(&head);
                let back = response::parse_head(&again, max_headers)
                    .unwrap_or_else(|e| panic!("case {case}: \"{shown}\": {e}"))
                    .expect("complete");
                assert_eq!(
                    ResponseHead {
                        head_len: head.head_len,
                        ..back
                    },
                    head,
                    "case {case}: \"{shown}\""
                );
            }
            Err(message) => assert!(!message.contains(['\r', '\n']), "{message}"),
        }
    }
    assert!(complete > 1_500, "mutated heads reach the end: {complete}");
}

// ---- URLs (the client's command line) ----------------------------------------

#[test]
fn urls_never_panic_and_what_parses_round_trips() {
    let mut rng = Rng::new(0x5eed_1006);
    let valid: &[&str] = &[
        "http://127.0.0.1:8080/docs/index.html?lang=fr#top",
        "HTTP://[::1]:8080/?q",
        "localhost:8080/x",
        "http://example.com",
        "https://example.com/",
        "http://h?x",
    ];
    let mut parsed = 0;
    for case in 0..50_000 {
        let bytes = if rng.one_in(4) {
            let len = rng.below(40);
            rng.bytes(len, b"http:/[]@#?:0189 .%\xc3\xa9\x7f")
        } else {
            let url = *rng.pick(valid);
            mutate(&mut rng, url.as_bytes(), b":/[]@#?0 \xc3\xa9")
        };
        let text = String::from_utf8_lossy(&bytes);
        let Ok(url) = url::parse(&text) else {
            continue;
        };
        parsed += 1;
        assert!(
            !url.host.is_empty() && url.port != 0,
            "case {case}: {text:?}"
        );
        assert!(url.target.starts_with('/'), "case {case}: {text:?}");
        assert!(
            !url.target.bytes().any(|b| b <= b' ' || b == 0x7f),
            "{text:?}"
        );
        let again = format!("http://{}:{}{}", url.host, url.port, url.target);
        assert_eq!(url::parse(&again), Ok(url.clone()), "case {case}: {text:?}");
        let _ = url.host_header();
    }
    assert!(parsed > 10_000, "mutated URLs reach the end: {parsed}");
}
