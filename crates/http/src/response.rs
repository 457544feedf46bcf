//! # Writing and reading an HTTP response head, without sockets
//!
//! The server's answer has the same shape as the request: a *status line*,
//! headers, an empty line, then the body:
//!
//! ```text
//! HTTP/1.1 200 OK\r\n                    ← version, status code, reason
//! Content-Type: text/html; charset=utf-8\r\n
//! Content-Length: 1234\r\n               ← where the body ends
//! \r\n
//! <!doctype html>…                       ← exactly 1234 bytes of body
//! ```
//!
//! Because a connection carries several requests (keep-alive), the receiver
//! must know where each body ends. HTTP/1.1 has three ways, see [`Framing`]:
//! a `Content-Length`, a *chunked* body that announces each piece's size, or
//! — the 1.0 way — closing the connection at the end.
//!
//! [`Head`] builds the server's heads; [`parse_head`] reads them on the client.

use std::fmt;
use std::fmt::Write as _;

/// The status codes this server answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// 200: here is what you asked for.
    Ok,
    /// 301: a folder was asked for without its final `/`; go to the address with it.
    MovedPermanently,
    /// 304: the file has not changed since the date the client gave: its copy is good.
    NotModified,
    /// 400: the request is not valid HTTP.
    BadRequest,
    /// 403: the path leads outside the served folder.
    Forbidden,
    /// 404: nothing at this path.
    NotFound,
    /// 405: a method this server knows but does not answer (it answers GET and HEAD).
    MethodNotAllowed,
    /// 412: the client asked for the file "only if unchanged", and it changed.
    PreconditionFailed,
    /// 408: the request did not arrive in time.
    RequestTimeout,
    /// 413: the request body is too large.
    ContentTooLarge,
    /// 414: the request line (the URL) is too long.
    UriTooLong,
    /// 431: the request headers are too large or too many.
    HeadersTooLarge,
    /// 500: the server failed (e.g. a file could not be read).
    InternalError,
    /// 501: a method this server does not know, or a feature it does not implement.
    NotImplemented,
    /// 505: another major HTTP version than 1 (`HTTP/2.0`); a later 1.x is served as 1.1.
    VersionNotSupported,
}

impl Status {
    /// The three-digit code.
    pub const fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::MovedPermanently => 301,
            Status::NotModified => 304,
            Status::BadRequest => 400,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::PreconditionFailed => 412,
            Status::RequestTimeout => 408,
            Status::ContentTooLarge => 413,
            Status::UriTooLong => 414,
            Status::HeadersTooLarge => 431,
            Status::InternalError => 500,
            Status::NotImplemented => 501,
            Status::VersionNotSupported => 505,
        }
    }

    /// The reason phrase from RFC 9110 (431 is from RFC 6585).
    pub const fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::MovedPermanently => "Moved Permanently",
            Status::NotModified => "Not Modified",
            Status::BadRequest => "Bad Request",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::PreconditionFailed => "Precondition Failed",
            Status::RequestTimeout => "Request Timeout",
            Status::ContentTooLarge => "Content Too Large",
            Status::UriTooLong => "URI Too Long",
            Status::HeadersTooLarge => "Request Header Fields Too Large",
            Status::InternalError => "Internal Server Error",
            Status::NotImplemented => "Not Implemented",
            Status::VersionNotSupported => "HTTP Version Not Supported",
        }
    }
}

/// Prints `404 Not Found`.
impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.code(), self.reason())
    }
}

/// The value of the `Server` header: who answered.
pub const SERVER_NAME: &str = concat!("netlab-http/", env!("CARGO_PKG_VERSION"));

/// A response head being built by the server.
#[derive(Debug, Clone)]
pub struct Head {
    status: Status,
    headers: Vec<(&'static str, String)>,
}

impl Head {
    /// A head with the status line and the headers every answer carries:
    /// `Date` (RFC 9110 asks servers with a clock to send it), read from the
    /// clock now, and `Server`.
    pub fn new(status: Status) -> Head {
        Head::at(status, jiff::Timestamp::now())
    }

    /// A head like [`Head::new`]'s, with `Date` given: `now`, the one clock
    /// reading an answer uses. An answer with other dates (`Last-Modified`)
    /// must compare them to *its* `Date`, not to a second reading of the
    /// clock, which may be a second later (or earlier, if the clock was set
    /// back in between).
    pub fn at(status: Status, now: jiff::Timestamp) -> Head {
        Head {
            status,
            headers: vec![("Date", http_date(now)), ("Server", SERVER_NAME.into())],
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Head {
        self.headers.push((name, value.into()));
        self
    }

    /// The status of this head.
    pub fn status(&self) -> Status {
        self.status
    }

    /// The bytes to send: status line, headers, empty line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = format!("HTTP/1.1 {}\r\n", self.status);
        for (name, value) in &self.headers {
            let _ = write!(text, "{name}: {value}\r\n");
        }
        text.push_str("\r\n");
        text.into_bytes()
    }
}

/// A time in the one format HTTP uses (RFC 9110 §5.6.7, "IMF-fixdate"):
/// `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn http_date(when: jiff::Timestamp) -> String {
    when.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// How the receiver finds the end of a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body at all (answer to HEAD, or a 204 / 304 / 1xx status).
    Empty,
    /// Exactly this many bytes (`Content-Length`).
    Length(u64),
    /// `Transfer-Encoding: chunked`: pieces, each preceded by its size in hex.
    Chunked,
    /// Everything until the server closes the connection (HTTP/1.0 style).
    UntilClose,
}

/// A response head as read by the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    /// The status code, e.g. 200.
    pub code: u16,
    /// The reason phrase, e.g. `OK`.
    pub reason: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1, and for a later 1.x, read as 1.1.
    pub minor_version: u8,
    /// Every header, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// How many bytes of the buffer the head used.
    pub head_len: usize,
}

impl ResponseHead {
    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        crate::request::find_header(&self.headers, name)
    }

    /// How the body is delimited (RFC 9112 §6.3), for an answer to `method`.
    pub fn framing(&self, method: &str) -> Result<Framing, String> {
        if method == "HEAD"
            || (100..200).contains(&self.code)
            || self.code == 204
            || self.code == 304
        {
            return Ok(Framing::Empty);
        }
        if let Some(te) = self.header("transfer-encoding") {
            // RFC 9112 §6.1: such a message MUST be taken as badly framed
            // (whatever Content-Length says): a 1.0 server cannot have
            // meant it, so no reading of its body can be trusted.
            if self.minor_version == 0 {
                return Err("the server sent Transfer-Encoding in an HTTP/1.0 answer, \
                     but HTTP/1.0 has no transfer codings (RFC 9112 §6.1): \
                     where its body ends cannot be trusted"
                    .to_string());
            }
            let last = te
                .rsplit(|&b| b == b',')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            return Ok(if last.eq_ignore_ascii_case(b"chunked") {
                Framing::Chunked
            } else {
                Framing::UntilClose
            });
        }
        // Every Content-Length must give the same valid number: with two
        // that differ, where the body ends is anybody's guess (RFC 9112 §6.3).
        let mut lengths = self
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .flat_map(|(_, v)| v.split(|&b| b == b','))
            .map(content_length);
        let Some(first) = lengths.next() else {
            return Ok(Framing::UntilClose);
        };
        let others: Vec<Option<u64>> = lengths.collect();
        match first {
            Some(len) if others.iter().all(|&other| other == Some(len)) => Ok(Framing::Length(len)),
            Some(_) if others.iter().all(Option::is_some) => {
                Err("the server sent Content-Length values that disagree: \
                     where the body ends cannot be known"
                    .to_string())
            }
            _ => Err("the server sent an invalid Content-Length".to_string()),
        }
    }
}

/// The number in a `Content-Length` value, used by the server for requests
/// and by the client for responses. It must be `1*DIGIT` (RFC 9110 §8.6):
/// Rust's `parse` alone would also accept `+5`.
pub fn content_length(value: &[u8]) -> Option<u64> {
    let digits = value.trim_ascii();
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Parses a response head at the start of `buf`: `Ok(None)` means "read more".
///
/// A header value folded over several lines (see [`unfold`]) is accepted,
/// and given with each fold replaced by a space.
pub fn parse_head(buf: &[u8], max_headers: usize) -> Result<Option<ResponseHead>, String> {
    // Bounded whatever the caller asks: one slot per header, allocated per call.
    let mut headers =
        vec![httparse::EMPTY_HEADER; max_headers.min(crate::request::MAX_HEADERS_LIMIT)];
    let mut resp = httparse::Response::new(&mut headers);
    // A later HTTP/1.x (`HTTP/1.2 200 OK`) is read as 1.1, the highest 1.x
    // this client knows (RFC 9110 §2.5: the same major version means the
    // message is read the same way). httparse knows only 1.0 and 1.1, so it
    // reads a copy whose minor digit says 1: same length, same `head_len`.
    let input = crate::request::read_as_http11(buf, later_minor_digit(buf));
    // Folded headers are obsolete, but old servers still send them, and a
    // client MUST read them (RFC 9112 §5.2); httparse refuses them unless
    // told otherwise. (A server may refuse them: http-server does, with 400.)
    let parsed = httparse::ParserConfig::default()
        .allow_obsolete_multiline_headers_in_responses(true)
        .parse_response(&mut resp, &input);
    match parsed {
        Ok(httparse::Status::Complete(head_len)) => Ok(Some(ResponseHead {
            code: resp.code.unwrap_or_default(),
            reason: resp.reason.unwrap_or_default().to_string(),
            minor_version: resp.version.unwrap_or(1),
            headers: resp
                .headers
                .iter()
                // httparse gives a folded value with its line breaks in it.
                .map(|h| (h.name.to_string(), unfold(h.value)))
                .collect(),
            head_len,
        })),
        Ok(httparse::Status::Partial) => Ok(None),
        // A real HTTP answer, only with more header lines than we read.
        Err(httparse::Error::TooManyHeaders) if buf.starts_with(b"HTTP/") => Err(format!(
            "the server's answer has more than {} header lines, the most this client reads: \
             raise --max-headers to read it",
            max_headers.min(crate::request::MAX_HEADERS_LIMIT)
        )),
        // Well-formed HTTP, but another major version: say so, not "is this
        // a web server?". (`HTTP/2` and `HTTP/3` are binary, and chosen
        // while opening a TLS connection: a server answering text `HTTP/2.0`
        // to a 1.1 request is broken, or a test.)
        Err(httparse::Error::Version) if other_major_version(buf).is_some() => Err(format!(
            "the server answered in HTTP/{}, a version this client does not speak: \
             it reads HTTP/1.x only (1.0, 1.1, and a later 1.x as 1.1)",
            other_major_version(buf).unwrap_or_default()
        )),
        Err(e) => {
            // Show what came instead: a daytime line, or our own request sent
            // back by an echo server, tells the student which service answered.
            let start = &buf[..buf.len().min(PREVIEW)];
            Err(format!(
                "the server's answer is not valid HTTP ({e}): it starts with {}{} — \
                 an HTTP answer starts with a status line such as \"HTTP/1.1 200 OK\". \
                 Is this really a web server? The port may belong to another service",
                netkit::trace::show_bytes(start),
                if buf.len() > PREVIEW { "…" } else { "" }
            ))
        }
    }
}

/// Where the status line starts: after empty lines, which httparse skips.
fn status_line_start(buf: &[u8]) -> usize {
    buf.iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len())
}

/// Where in `buf` the minor digit of a later HTTP/1.x sits (the `2` of
/// `HTTP/1.2 200 OK`), if the status line starts with one. `HTTP/1.20` is
/// no version (RFC 9112 §2.3: one digit): its copy, `HTTP/1.10`, is refused
/// just the same.
fn later_minor_digit(buf: &[u8]) -> Option<usize> {
    let at = status_line_start(buf) + b"HTTP/1.".len();
    let version = buf.get(status_line_start(buf)..)?;
    let minor = version.strip_prefix(b"HTTP/1.")?.first()?;
    (b'2'..=b'9').contains(minor).then_some(at)
}

/// The major version digit of a status line starting `HTTP/` and another
/// digit than 1 (`HTTP/2.0`, `HTTP/0.9`), if it does.
fn other_major_version(buf: &[u8]) -> Option<char> {
    let major = *buf[status_line_start(buf)..]
        .strip_prefix(b"HTTP/")?
        .first()?;
    (major.is_ascii_digit() && major != b'1').then_some(char::from(major))
}

/// How many bytes of a non-HTTP answer an error message shows.
const PREVIEW: usize = 60;

/// `bytes` with each *obs-fold* replaced by one space.
///
/// HTTP/1.0 let a header value go on over several lines: a line starting
/// with a space or a tab continued the one before (`X-A: a\r\n b` is
/// `X-A: a b`). RFC 9112 §5.2 made this "obsolete line folding", and asks a
/// client to replace each fold with spaces before using the value. Here the
/// line break goes with the spaces and tabs on both sides of it, and one
/// space replaces them all. Works on one value, or on a whole head (to show
/// it as it is read).
pub fn unfold(bytes: &[u8]) -> Vec<u8> {
    let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&first, after)) = rest.split_first() {
        let line_break = match rest {
            [b'\r', b'\n', ..] => 2,
            [b'\n', ..] => 1,
            _ => 0,
        };
        // A line break followed by a space or a tab is a fold: the line goes on.
        if line_break > 0 && rest.get(line_break).is_some_and(is_blank) {
            while out.last().is_some_and(is_blank) {
                out.pop();
            }
            out.push(b' ');
            let next_line = &rest[line_break..];
            let blanks = next_line.iter().take_while(|b| is_blank(b)).count();
            rest = &next_line[blanks..];
        } else {
            out.push(first);
            rest = after;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_header_limit_is_bounded() {
        // usize::MAX header slots would abort the program allocating them.
        let head = parse_head(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n", usize::MAX)
            .unwrap()
            .expect("a complete head");
        assert_eq!(head.header("a"), Some(&b"b"[..]));
    }

    #[test]
    fn another_protocol_s_answer_is_shown_in_the_error() {
        let daytime = parse_head(b"Tuesday, November 24, 2026 03:38:07-UTC\r\n", 10).unwrap_err();
        assert!(
            daytime.contains(r#"starts with "Tuesday, November 24, 2026 03:38:07-UTC\r\n""#),
            "{daytime}"
        );
        assert!(daytime.contains("another service"), "{daytime}");
        let long = parse_head(&[b'x'; 200], 10).unwrap_err();
        assert!(long.contains(&format!("\"{}\"…", "x".repeat(60))), "{long}");
    }

    #[test]
    fn a_head_is_a_status_line_headers_and_an_empty_line() {
        let bytes = Head::new(Status::NotFound)
            .header("Content-Length", "0")
            .to_bytes();
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with("HTTP/1.1 404 Not Found\r\nDate: "),
            "{text}"
        );
        assert!(text.contains("\r\nServer: netlab-http/"), "{text}");
        assert!(text.ends_with("\r\nContent-Length: 0\r\n\r\n"), "{text}");
    }

    #[test]
    fn dates_use_the_imf_fixdate_format() {
        let t: jiff::Timestamp = "1994-11-06T08:49:37Z".parse().unwrap();
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn lengths_that_disagree_and_too_many_headers_are_named() {
        let head = |text: &str| parse_head(text.as_bytes(), 16).unwrap().unwrap();
        let two = head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n");
        assert!(two.framing("GET").unwrap_err().contains("disagree"));
        let same = head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5, 5\r\n\r\n");
        assert_eq!(same.framing("GET"), Ok(Framing::Length(5)));
        let bad = head("HTTP/1.1 200 OK\r\nContent-Length: 5, abc\r\n\r\n");
        assert!(bad.framing("GET").unwrap_err().contains("invalid"));
        let many: String = (0..20).map(|i| format!("X-{i}: y\r\n")).collect();
        let e = parse_head(format!("HTTP/1.1 200 OK\r\n{many}\r\n").as_bytes(), 16).unwrap_err();
        assert!(e.contains("more than 16 header lines"), "{e}");
        assert!(!e.contains("another service"), "{e}");
    }

    #[test]
    fn folded_header_values_are_read_with_a_space_for_each_fold() {
        let head = parse_head(
            b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nX-B: one \r\n\t \r\n  two\r\nContent-Length:\r\n 12\r\n\r\n",
            16,
        )
        .expect("a folded header is valid in a response (RFC 9112 §5.2)")
        .expect("a complete head");
        assert_eq!(head.header("x-a"), Some(&b"a b"[..]));
        assert_eq!(head.header("x-b"), Some(&b"one two"[..]));
        assert_eq!(head.framing("GET"), Ok(Framing::Length(12)));
        // Unfolding leaves everything else alone: one line per header.
        assert_eq!(unfold(b"a\r\n b"), b"a b");
        assert_eq!(unfold(b"a\n\tb"), b"a b");
        assert_eq!(
            unfold(b"HTTP/1.1 200 OK\r\nX-A: a  \r\n   b\r\nX-C: c\r\n\r\n"),
            b"HTTP/1.1 200 OK\r\nX-A: a b\r\nX-C: c\r\n\r\n"
        );
        assert_eq!(unfold(b"no fold\r\n"), b"no fold\r\n");
    }

    #[test]
    fn a_later_http1_is_read_as_http11_and_another_major_version_is_named() {
        let head = parse_head(b"HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nhi", 16)
            .unwrap()
            .expect("a complete head");
        assert_eq!((head.minor_version, head.code, head.head_len), (1, 200, 38));
        assert_eq!(head.framing("GET"), Ok(Framing::Length(2)));
        // After empty lines, as httparse allows; and while still arriving.
        assert!(
            parse_head(b"\r\nHTTP/1.9 204 \r\n\r\n", 16)
                .unwrap()
                .is_some()
        );
        assert_eq!(parse_head(b"HTTP/1.2", 16), Ok(None));
        assert_eq!(parse_head(b"HTTP/1.", 16), Ok(None));
        for garbage in [&b"HTTP/1.20 200 OK\r\n\r\n"[..], b"HTTP/1.x 200 OK\r\n\r\n"] {
            let e = parse_head(garbage, 16).unwrap_err();
            assert!(e.contains("not valid HTTP"), "{e}");
        }
        for (other, major) in [
            (&b"HTTP/2.0 200 OK\r\n\r\n"[..], '2'),
            (b"HTTP/0.9 200", '0'),
        ] {
            let e = parse_head(other, 16).unwrap_err();
            assert!(e.contains(&format!("answered in HTTP/{major},")), "{e}");
        }
    }

    #[test]
    fn the_client_finds_how_the_body_ends() {
        let head = |text: &str| parse_head(text.as_bytes(), 16).unwrap().unwrap();
        let r = head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
        assert_eq!((r.code, r.reason.as_str(), r.head_len), (200, "OK", 39));
        assert_eq!(r.framing("GET"), Ok(Framing::Length(12)));
        assert_eq!(r.framing("HEAD"), Ok(Framing::Empty));
        let r = head(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n",
        );
        assert_eq!(
            r.framing("GET"),
            Ok(Framing::Chunked),
            "chunked wins over Content-Length"
        );
        assert_eq!(
            head("HTTP/1.0 200 OK\r\n\r\n").framing("GET"),
            Ok(Framing::UntilClose)
        );
        let te_in_1_0 = head("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert!(te_in_1_0.framing("GET").unwrap_err().contains("HTTP/1.0"));
        assert_eq!(
            te_in_1_0.framing("HEAD"),
            Ok(Framing::Empty),
            "no body anyway"
        );
        assert_eq!(
            head("HTTP/1.1 204 No Content\r\n\r\n").framing("GET"),
            Ok(Framing::Empty)
        );
        // A 304 may repeat the Content-Length of the 200 it stands for
        // (RFC 9110 §8.6): that body is not sent, the client has it already.
        assert_eq!(
            head("HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\n\r\n").framing("GET"),
            Ok(Framing::Empty)
        );
        assert!(
            head("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n")
                .framing("GET")
                .is_err()
        );
        assert!(
            head("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n")
                .framing("GET")
                .is_err()
        );
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\n", 16), Ok(None));
        assert!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n", 16).is_err());
    }
}
