//! # Reading an HTTP request, without sockets
//!
//! An HTTP/1.1 request is text: a *request line*, header lines, and an empty
//! line, each ended by CRLF (`\r\n`):
//!
//! ```text
//! GET /index.html HTTP/1.1\r\n          ← method, target, version
//! Host: 127.0.0.1:8080\r\n              ← headers: "Name: value"
//! User-Agent: Mozilla/5.0 (X11; …)\r\n
//! \r\n                                   ← empty line: the head is complete
//! ```
//!
//! This module turns such bytes into a [`Request`], or into a [`Rejection`]
//! that says which status code the server must answer (400, 413, 414, 431,
//! 501, 505) and why, in plain words. It never touches a socket: the server
//! feeds it whatever bytes it has read so far, and [`parse`] answers
//! "complete", "need more bytes", or "refused" — so every rule here is tested
//! with plain byte strings.
//!
//! The parsing itself is done by the `httparse` crate (also used by hyper, the
//! library behind most Rust web servers); this module adds the *limits* that
//! keep one client from eating the server's memory, the checks RFC 9112
//! asks of a server (a `Host` header in HTTP/1.1, a valid `Content-Length`,
//! a body framed one way only), and explanations in plain words: httparse
//! only says "invalid token", a student needs to know *which* part of the
//! request line is wrong.

use std::borrow::Cow;
use std::fmt;
use std::mem::MaybeUninit;

use crate::chunked::ChunkedDecoder;
use crate::response::Status;

/// The limits a request head must respect. Every one is a server flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request head (request line + headers + empty line), in bytes.
    pub max_head_bytes: usize,
    /// Most header lines in one request; [`MAX_HEADERS_LIMIT`] at most
    /// (a larger value counts as [`MAX_HEADERS_LIMIT`]).
    pub max_headers: usize,
    /// Largest request body the server accepts (and throws away: GET and
    /// HEAD have no use for one), in bytes. For a chunked body, the size
    /// once the chunk framing is removed; its framing is bounded too (see
    /// [`Limits::max_chunked_bytes`]).
    pub max_body: u64,
}

impl Limits {
    /// The most bytes a chunked body may take *with* its framing (chunk-size
    /// lines, extensions such as `5;name=value`, CRLFs, trailers).
    ///
    /// Counting only the data would let a client send a few bytes wrapped in
    /// endless framing: thousands of 1-byte chunks with 1000-byte extensions.
    // Twice --max-body plus 1 KiB: honest framing adds a few bytes per chunk, padding cannot go on.
    pub fn max_chunked_bytes(&self) -> u64 {
        self.max_body.saturating_mul(2).saturating_add(1024)
    }
}

/// The largest `--max-headers` accepted: 1024 header lines.
///
/// A browser sends 10 to 20 headers. The parser writes each header it finds
/// into a slot of 32 bytes; the slots are a fixed array on the stack of the
/// function that parses (see [`parse`]), so its size must be a constant,
/// small whatever the flag says: 1024 slots, 32 KiB.
pub const MAX_HEADERS_LIMIT: usize = 1024;

/// Parses `--max-headers`: a whole number from 1 to [`MAX_HEADERS_LIMIT`].
pub fn parse_max_headers(text: &str) -> Result<usize, String> {
    let too_many = || {
        format!(
            "{text} is too many: give at most {MAX_HEADERS_LIMIT} header lines \
             (a browser sends 10 to 20)"
        )
    };
    match text.trim().parse::<usize>() {
        Ok(0) => Err("0 header lines would refuse every HTTP/1.1 request (Host is required): give at least 1".into()),
        Ok(n) if n > MAX_HEADERS_LIMIT => Err(too_many()),
        Ok(n) => Ok(n),
        Err(_) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => Err(too_many()),
        Err(_) => Err(format!("{text:?} is not a whole number")),
    }
}

impl Default for Limits {
    /// 8 KiB of head and 64 headers, like many real servers; 64 KiB of body.
    fn default() -> Limits {
        Limits {
            max_head_bytes: 8 * 1024,
            max_headers: 64,
            max_body: 64 * 1024,
        }
    }
}

/// HTTP/1.0 or HTTP/1.1, the two versions spoken as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// HTTP/1.0 (1996): one request per connection unless the client asks
    /// for `Connection: keep-alive`.
    Http10,
    /// HTTP/1.1 (1997, today RFC 9112): connections stay open by default.
    Http11,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        })
    }
}

/// A complete, checked request head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `HEAD`, `POST`… (case-sensitive, as the RFC says).
    pub method: String,
    /// The request target, e.g. `/index.html?lang=fr`, exactly as sent.
    pub target: String,
    /// The protocol version the client speaks (a later 1.x, such as
    /// `HTTP/1.2`, is served as 1.1: RFC 9110 §2.5).
    pub version: Version,
    /// Every header, in order, as sent (names keep their case; values are
    /// bytes because HTTP does not promise UTF-8).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The exact bytes of the head, for the page that shows them.
    pub raw_head: Vec<u8>,
    /// How the body that follows the head ends.
    pub body: BodyFraming,
}

/// How a request body ends (RFC 9112 §6.3): the server must know, to find
/// where the next request on the connection starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFraming {
    /// `Content-Length: n` (n bytes follow), or no body at all (0).
    Length(u64),
    /// `Transfer-Encoding: chunked`: pieces, each announcing its size, until
    /// a piece of size 0 (see [`crate::chunked`]).
    Chunked,
}

impl Request {
    /// The first header with this name (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        find_header(&self.headers, name)
    }

    /// A header value as text (invalid UTF-8 replaced), for logs and pages.
    pub fn header_text(&self, name: &str) -> Option<String> {
        self.header(name)
            .map(|v| String::from_utf8_lossy(v).into_owned())
    }

    /// Whether the connection stays open after the answer (keep-alive).
    ///
    /// HTTP/1.1 keeps it open unless the client says `Connection: close`;
    /// HTTP/1.0 closes it unless the client says `Connection: keep-alive`.
    pub fn keep_alive(&self) -> bool {
        let tokens = |wanted: &str| {
            self.headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
                .flat_map(|(_, v)| v.split(|&b| b == b','))
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(wanted.as_bytes()))
        };
        // `close` wins, whatever else is listed (RFC 9112 §9.3).
        match self.version {
            Version::Http11 => !tokens("close"),
            Version::Http10 => tokens("keep-alive") && !tokens("close"),
        }
    }

    /// Whether a body follows the head.
    pub fn has_body(&self) -> bool {
        self.body != BodyFraming::Length(0)
    }

    /// The GET request a HEAD request stands for: the same request, with
    /// GET as its method, in `method` and in `raw_head`; `None` for any
    /// other request (it stands for itself: no copy is made).
    ///
    /// HEAD asks "what would GET send?": the answer's headers, among them
    /// `Content-Length`, must be GET's (RFC 9110 §9.3.2). A page made from
    /// the request itself is therefore made from this one.
    pub fn as_get(&self) -> Option<Request> {
        if self.method != "HEAD" {
            return None;
        }
        let mut get = self.clone();
        get.method = "GET".into();
        let start = request_line_start(&self.raw_head);
        get.raw_head.splice(start..start + "HEAD".len(), *b"GET");
        Some(get)
    }

    /// The path part of the target: before any `?query` (a target has no
    /// `#fragment`: [`parse`] refuses one; it is cut off here all the same).
    /// A target in "absolute form" (`http://host/path` or
    /// `https://host/path`, what clients send to a proxy, and which servers
    /// must accept too: RFC 9112 §3.2.2) gives its path.
    pub fn path(&self) -> &str {
        let target = self.origin_form();
        let end = target.find(['?', '#']).unwrap_or(target.len());
        if end == 0 { "/" } else { &target[..end] }
    }

    /// The target without `scheme://host` when it is in absolute form:
    /// `http://h/a?b` gives `/a?b`, `https://h` gives an empty string.
    pub fn origin_form(&self) -> &str {
        for scheme in ["http://", "https://"] {
            let has_scheme = self
                .target
                .get(..scheme.len())
                .is_some_and(|s| s.eq_ignore_ascii_case(scheme));
            if has_scheme {
                let rest = &self.target[scheme.len()..];
                // The host ends at the path, or at the query when there is no path.
                return &rest[rest.find(['/', '?']).unwrap_or(rest.len())..];
            }
        }
        &self.target
    }
}

/// The value of the first header called `name` in `headers`, ignoring case
/// (`Content-Length` and `content-length` are the same header). Requests and
/// responses both use it.
pub fn find_header<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
}

/// Why a request is refused: the status to answer and a plain-words reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The status code the server answers with.
    pub status: Status,
    /// What was wrong, for the log and the error page.
    pub reason: String,
}

impl Rejection {
    fn new(status: Status, reason: impl Into<String>) -> Rejection {
        Rejection {
            status,
            reason: reason.into(),
        }
    }
}

/// The outcome of [`parse`] on the bytes received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// A whole head was found; it used the first `head_len` bytes.
    Complete(Request),
    /// The head is not complete yet: read more bytes and call again.
    Partial,
}

/// Parses the request head at the start of `buf`.
///
/// `buf` holds what was received so far. A head longer than
/// `limits.max_head_bytes` is refused even if incomplete, so the caller never
/// needs to buffer more than that.
pub fn parse(buf: &[u8], limits: &Limits) -> Result<Parsed, Rejection> {
    // A TLS connection (a browser told https://) starts with a "handshake"
    // record: byte 0x16. No HTTP method can start with it, so this is not a
    // guess — and it deserves a better explanation than "bad request".
    if buf.first() == Some(&0x16) {
        return Err(Rejection::new(
            Status::BadRequest,
            "this looks like TLS (https://): this server speaks plain HTTP, use http://",
        ));
    }
    // A later HTTP/1.x (`HTTP/1.2`) must be served as the highest 1.x the
    // server knows, 1.1 (RFC 9110 §2.5: the same major version means the
    // message is read the same way). httparse knows only 1.0 and 1.1 and
    // refuses any other digit, so such a head is parsed from a copy whose
    // minor digit says 1. The copy has the same length, so `head_len` is
    // right for `buf`, whose bytes, as they came, are kept in `raw_head`.
    let input = read_as_http11(buf, later_minor_digit(buf));
    // The server calls parse() after every read while a head is incomplete,
    // so the header slots must cost nothing to prepare: they live on the
    // stack, uninitialised (httparse fills the ones it uses), never on the
    // heap. Their number is bounded by MAX_HEADERS_LIMIT whatever the limits say.
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS_LIMIT];
    let max_headers = limits.max_headers.clamp(1, MAX_HEADERS_LIMIT);
    let mut req = httparse::Request::new(&mut []);
    match req.parse_with_uninit_headers(&input, &mut slots[..max_headers]) {
        Ok(httparse::Status::Complete(head_len)) => {
            if head_len > limits.max_head_bytes {
                return Err(too_large(buf, limits));
            }
            check(&req, &buf[..head_len], limits).map(Parsed::Complete)
        }
        Ok(httparse::Status::Partial) if buf.len() >= limits.max_head_bytes => {
            Err(too_large(buf, limits))
        }
        Ok(httparse::Status::Partial) => Ok(Parsed::Partial),
        Err(httparse::Error::TooManyHeaders) => Err(Rejection::new(
            Status::HeadersTooLarge,
            format!("the request has more than {max_headers} header lines (see --max-headers)"),
        )),
        // httparse says only "invalid token": find which part is wrong.
        Err(httparse::Error::Token | httparse::Error::Version | httparse::Error::NewLine) => {
            Err(match bad_request_line(buf) {
                Some(rejection) => rejection,
                None if !request_line_ended(buf) => Rejection::new(
                    Status::BadRequest,
                    "the request line is not METHOD TARGET VERSION, e.g. GET / HTTP/1.1",
                ),
                // The request line is fine: the error is in a header line.
                None => Rejection::new(Status::BadRequest, bad_header_line(buf)),
            })
        }
        Err(_) => Err(Rejection::new(Status::BadRequest, bad_header_line(buf))),
    }
}

/// Whether the request line's end (LF) has arrived.
fn request_line_ended(buf: &[u8]) -> bool {
    buf.trim_ascii_start().contains(&b'\n')
}

/// Where the request line starts: after the empty lines a server must skip
/// before it (RFC 9112 §2.2).
fn request_line_start(buf: &[u8]) -> usize {
    buf.iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len())
}

/// The request line (without its line ending), after the empty lines a
/// server must skip before it (RFC 9112 §2.2).
fn request_line(buf: &[u8]) -> &[u8] {
    let line = &buf[request_line_start(buf)..];
    let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
    line[..end].strip_suffix(b"\r").unwrap_or(&line[..end])
}

/// Whether `version` is `HTTP/1.` and one digit: HTTP/1.0, HTTP/1.1, or a
/// later 1.x, which is served as 1.1 (see [`parse`]).
fn is_http1(version: &[u8]) -> bool {
    version
        .strip_prefix(b"HTTP/1.")
        .is_some_and(|minor| matches!(minor, [digit] if digit.is_ascii_digit()))
}

/// `buf` as httparse, which knows only HTTP/1.0 and 1.1, can read it: with
/// the minor digit of a later HTTP/1.x at `minor_at` (see
/// `later_minor_digit` here and in `response`) replaced by 1. Same length,
/// so what httparse says of the copy's lengths holds for `buf`. Also used
/// by [`crate::response`], for status lines.
pub(crate) fn read_as_http11(buf: &[u8], minor_at: Option<usize>) -> Cow<'_, [u8]> {
    match minor_at {
        Some(at) => Cow::Owned([&buf[..at], b"1", &buf[at + 1..]].concat()),
        None => Cow::Borrowed(buf),
    }
}

/// Where in `buf` the minor digit of a later HTTP/1.x version sits
/// (the `2` of `GET / HTTP/1.2`), if the request line has one. Only what
/// has arrived is looked at: the line may still be unfinished.
fn later_minor_digit(buf: &[u8]) -> Option<usize> {
    let mut parts = request_line(buf).splitn(3, |&b| b == b' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    let minor = version.strip_prefix(b"HTTP/1.")?.first()?;
    let at = request_line_start(buf) + method.len() + 1 + target.len() + 1 + b"HTTP/1.".len();
    (b'2'..=b'9').contains(minor).then_some(at)
}

/// Bytes for a message: text in quotes, cut when long.
fn shown(bytes: &[u8]) -> String {
    const MAX: usize = 40;
    if bytes.len() > MAX {
        format!("{}…", netkit::trace::show_bytes(&bytes[..MAX]))
    } else {
        netkit::trace::show_bytes(bytes)
    }
}

/// Says what is wrong with the request line, which must be
/// `METHOD SP TARGET SP VERSION` (RFC 9112 §3), or `None` when nothing is
/// (the error is then further on). Only what has arrived is judged: an
/// unfinished line is not wrong for lacking its version yet.
fn bad_request_line(buf: &[u8]) -> Option<Rejection> {
    let bad = |why: String| Some(Rejection::new(Status::BadRequest, why));
    let line = request_line(buf);
    let complete = request_line_ended(buf);
    let example = "e.g. GET / HTTP/1.1";
    if line.first() == Some(&b' ') || line.first() == Some(&b'\t') {
        return bad(format!(
            "the request line starts with a space: it must start with the method, {example}"
        ));
    }
    if line.windows(2).any(|w| w == b"  ") {
        return bad(format!(
            "the request line has two spaces in a row: its three parts (method, target, version) are separated by exactly one space, {example}"
        ));
    }
    if line.contains(&b'\t') {
        return bad(format!(
            "the request line contains a tab: its three parts (method, target, version) are separated by one space, {example}"
        ));
    }
    if let Some(at) = line.iter().position(|&b| b == b'\r') {
        if at + 1 < line.len() || complete {
            return bad(
                "the request line contains a lone CR (\\r): each line must end with CR LF (\\r\\n)"
                    .into(),
            );
        }
    }
    if complete && line.ends_with(b" ") {
        return bad(format!(
            "the request line ends with a space: it must end right after the version, {example}"
        ));
    }
    let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    let method = parts[0];
    if let Some(&b) = method.iter().find(|&&b| !is_token_char(b)) {
        return bad(format!(
            "the method {} contains {}, which is not allowed in a method: a method is a word such as GET or HEAD, {example}",
            shown(method),
            describe_byte(b)
        ));
    }
    if let Some(target) = parts.get(1) {
        if let Some(&b) = target.iter().find(|&&b| b < 0x21 || b == 0x7f) {
            return bad(format!(
                "the target {} contains {}: such characters must be %-escaped (a space is %20)",
                shown(target),
                describe_byte(b)
            ));
        }
    }
    if parts.len() > 3 {
        return bad(format!(
            "the request line has {} parts instead of 3 (method, target, version): a space inside the target must be written %20",
            parts.len()
        ));
    }
    if !complete {
        return None;
    }
    if parts.len() < 3 {
        return bad(format!(
            "the request line {} has {} instead of 3: method, target and version, {example}",
            shown(line),
            netkit::logging::count(parts.len() as u64, "part", "parts")
        ));
    }
    if is_http1(parts[2]) {
        return None;
    }
    // Another major version, well-formed (`HTTP/2.0`, `HTTP/3`, `HTTP/0.9`),
    // gets 505: its messages may not be read like 1.x ones (HTTP/2 is
    // binary). Anything else is simply malformed: a version is one digit,
    // a dot and one digit (RFC 9112 §2.3: `HTTP/1.10` is no version), or,
    // as HTTP/2 and HTTP/3 are named, a digit alone.
    let version = String::from_utf8_lossy(parts[2]);
    let looks_like_http = version.strip_prefix("HTTP/").is_some_and(
        |v| matches!(v.as_bytes(), [major] | [major, b'.', b'0'..=b'9'] if major.is_ascii_digit()),
    );
    if looks_like_http {
        Some(Rejection::new(
            Status::VersionNotSupported,
            format!("{version} is not supported: this server speaks HTTP/1.0 and HTTP/1.1"),
        ))
    } else {
        bad(format!(
            "the request line must end with the version, {example}; it ends with {}",
            shown(parts[2])
        ))
    }
}

/// Says which header line is wrong, and why (RFC 9112 §5: `Name: value`).
fn bad_header_line(buf: &[u8]) -> String {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(buf.len());
    let mut lines = buf[start..].split(|&b| b == b'\n').skip(1);
    let found = lines.find_map(|raw| {
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.is_empty() {
            return None;
        }
        if line[0] == b' ' || line[0] == b'\t' {
            return Some(format!(
                "the header line {} starts with a space: a header line must start with its name (continuing a header on the next line is not allowed, RFC 9112 §5.2)",
                shown(line)
            ));
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            return Some(format!(
                "the header line {} has no colon: a header is written Name: value",
                shown(line)
            ));
        };
        let name = &line[..colon];
        if name.is_empty() {
            return Some(format!("the header line {} has no name before its colon", shown(line)));
        }
        if let Some(&b) = name.iter().find(|&&b| !is_token_char(b)) {
            return Some(format!(
                "the header name {} contains {}, which is not allowed in a name (nothing, not even a space, may come between the name and its colon)",
                shown(name),
                describe_byte(b)
            ));
        }
        let value = &line[colon + 1..];
        if let Some(&b) = value.iter().find(|&&b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Some(format!(
                "the value of the header {} contains {}: a header value may not hold control characters",
                String::from_utf8_lossy(name),
                describe_byte(b)
            ));
        }
        None
    });
    found.unwrap_or_else(|| {
        "a header line is malformed: each one must be Name: value, ending with CR LF (\\r\\n)"
            .into()
    })
}

/// A byte, named for a message: `a space`, `the control character 0x01`, `'('`.
fn describe_byte(b: u8) -> String {
    match b {
        b' ' => "a space".into(),
        b'\t' => "a tab".into(),
        b'\r' => "a CR (\\r)".into(),
        0..=0x1f | 0x7f => format!("the control character 0x{b:02x}"),
        0x80.. => format!("the byte 0x{b:02x} (not ASCII)"),
        _ => format!("{:?}", b as char),
    }
}

/// The characters allowed in a method or a header name: RFC 9110 §5.6.2's `tchar`.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A head over the limit: 414 when even the request line does not fit
/// (a huge URL), 431 when the headers are what is too big.
fn too_large(buf: &[u8], limits: &Limits) -> Rejection {
    let seen = &buf[..buf.len().min(limits.max_head_bytes)];
    let first_line_fits = seen.contains(&b'\n');
    if seen.iter().all(|&b| b == b'\r' || b == b'\n') {
        // A server skips an empty line or two before a request (RFC 9112
        // §2.2); this many are not a request at all.
        Rejection::new(
            Status::BadRequest,
            format!(
                "{} bytes of empty lines and no request line",
                limits.max_head_bytes
            ),
        )
    } else if first_line_fits {
        Rejection::new(
            Status::HeadersTooLarge,
            format!(
                "the request headers are larger than {} bytes (see --max-header-bytes)",
                limits.max_head_bytes
            ),
        )
    } else {
        Rejection::new(
            Status::UriTooLong,
            format!(
                "the request line is longer than {} bytes (see --max-header-bytes)",
                limits.max_head_bytes
            ),
        )
    }
}

/// A `Host` value: `host[:port]`, where host is a name, an IPv4 address or
/// a bracketed IPv6 address (RFC 3986's uri-host; empty is allowed).
fn valid_host(value: &[u8]) -> bool {
    let (host, port) = match value.strip_prefix(b"[") {
        Some(rest) => match rest.iter().position(|&b| b == b']') {
            Some(end) => {
                let inside = &rest[..end];
                let ipv6 = !inside.is_empty()
                    && inside
                        .iter()
                        .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'));
                if !ipv6 {
                    return false;
                }
                (&b""[..], &rest[end + 1..])
            }
            None => return false,
        },
        None => match value.iter().rposition(|&b| b == b':') {
            Some(colon) => (&value[..colon], &value[colon..]),
            None => (value, &b""[..]),
        },
    };
    // A name: letters, digits, and RFC 3986's unreserved, sub-delims and %.
    let name_ok = host
        .iter()
        .all(|&b| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(&b));
    let port_ok = match port.strip_prefix(b":") {
        Some(digits) => digits.iter().all(u8::is_ascii_digit),
        None => port.is_empty(),
    };
    name_ok && port_ok
}

/// The checks RFC 9112 asks of a server once the head is parsed.
fn check(
    req: &httparse::Request<'_, '_>,
    raw_head: &[u8],
    limits: &Limits,
) -> Result<Request, Rejection> {
    let version = if req.version == Some(0) {
        Version::Http10
    } else {
        Version::Http11
    };
    let headers: Vec<(String, Vec<u8>)> = req
        .headers
        .iter()
        .map(|h| (h.name.to_string(), h.value.to_vec()))
        .collect();
    let named = |name: &'static str| {
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
    };

    // RFC 9112 §3.2: origin-form = absolute-path [ "?" query ], and the
    // other forms have no fragment either. httparse takes any visible
    // byte in a target; a `#` is refused here, as Apache does: a server
    // that receives an invalid request-line SHOULD answer 400 (§3).
    let target = req.path.unwrap_or_default();
    if target.contains('#') {
        return Err(Rejection::new(
            Status::BadRequest,
            format!(
                "the target {} contains #: what follows # in an address (a fragment, such as \
                 #section) is for the browser alone, which scrolls to that part of the page, and \
                 is never sent to the server (RFC 9112 §3.2); a # that is part of a name is \
                 written %23",
                shown(target.as_bytes())
            ),
        ));
    }
    // RFC 9112 §3.2: a 1.1 request without a Host, and any request with
    // several, or with one that is not a host[:port], is a 400.
    let hosts = named("host").count();
    if hosts > 1 || (version == Version::Http11 && hosts == 0) {
        let why = if hosts == 0 {
            "has no Host header"
        } else {
            "has several Host headers"
        };
        return Err(Rejection::new(
            Status::BadRequest,
            format!(
                "a request must name the site it wants in one Host header (HTTP/1.1: always); \
                 this one {why}"
            ),
        ));
    }
    if let Some((_, host)) = named("host").find(|(_, value)| !valid_host(value)) {
        return Err(Rejection::new(
            Status::BadRequest,
            format!(
                "the Host header must be a host name or address, and maybe :port; {:?} is not",
                String::from_utf8_lossy(host)
            ),
        ));
    }
    let has_length = named("content-length").next().is_some();
    let chunked = named("transfer-encoding").next().is_some();
    if chunked {
        check_transfer_encoding(version, has_length, named("transfer-encoding"))?;
    }
    // Several Content-Length headers are only allowed when they agree.
    let mut body_len = None;
    for (_, value) in named("content-length") {
        match (crate::response::content_length(value), body_len) {
            (None, _) => {
                return Err(Rejection::new(
                    Status::BadRequest,
                    "the Content-Length header is not a number",
                ));
            }
            (Some(n), Some(m)) if n != m => {
                return Err(Rejection::new(
                    Status::BadRequest,
                    "two Content-Length headers disagree",
                ));
            }
            (Some(n), _) => body_len = Some(n),
        }
    }
    let body_len = body_len.unwrap_or(0);
    if body_len > limits.max_body {
        return Err(Rejection::new(
            Status::ContentTooLarge,
            format!(
                "the request body ({body_len} bytes) is larger than {} bytes (see --max-body)",
                limits.max_body
            ),
        ));
    }
    let body = if chunked {
        BodyFraming::Chunked
    } else {
        BodyFraming::Length(body_len)
    };
    Ok(Request {
        method: req.method.unwrap_or_default().to_string(),
        target: req.path.unwrap_or_default().to_string(),
        version,
        headers,
        raw_head: raw_head.to_vec(),
        body,
    })
}

/// A body sent with `Transfer-Encoding` is accepted when its framing is
/// certain: HTTP/1.1, no `Content-Length` beside it, and `chunked` as the
/// only coding (RFC 9112 §6.1 and §6.3). Two ways of saying where a body
/// ends, which two servers could read differently, is how "request
/// smuggling" attacks work: such a request is refused.
fn check_transfer_encoding<'a>(
    version: Version,
    has_length: bool,
    values: impl Iterator<Item = &'a (String, Vec<u8>)>,
) -> Result<(), Rejection> {
    let bad = |why: &str| Err(Rejection::new(Status::BadRequest, why));
    if version == Version::Http10 {
        return bad(
            "Transfer-Encoding does not exist in HTTP/1.0: send Content-Length, or speak HTTP/1.1",
        );
    }
    if has_length {
        return bad(
            "the request has both Content-Length and Transfer-Encoding: the end of its body would be ambiguous, so it is refused (send only one of them)",
        );
    }
    let codings: Vec<Vec<u8>> = values
        .flat_map(|(_, v)| v.split(|&b| b == b','))
        .map(|c| c.trim_ascii().to_ascii_lowercase())
        .filter(|c| !c.is_empty())
        .collect();
    match codings.as_slice() {
        [only] if only == b"chunked" => Ok(()),
        [.., last]
            if last == b"chunked" && codings.iter().filter(|c| *c == b"chunked").count() == 1 =>
        {
            Err(Rejection::new(
                Status::NotImplemented,
                "this server only understands Transfer-Encoding: chunked, without any other coding (such as gzip)",
            ))
        }
        _ => bad(
            "Transfer-Encoding must end with chunked, once: otherwise the end of the body cannot be found",
        ),
    }
}

/// A chunked request body being read and thrown away, within the limits:
/// at most `--max-body` bytes of data, and at most
/// [`Limits::max_chunked_bytes`] bytes in all, framing included. Like
/// [`parse`], it never touches a socket: the server gives it the bytes that
/// came, and it answers how many it used, or a [`Rejection`].
#[derive(Debug, Clone)]
pub struct ChunkedBody {
    decoder: ChunkedDecoder,
    /// Bytes of data so far (framing removed), and at most.
    data: u64,
    max_data: u64,
    /// Bytes so far with the framing (everything used), and at most.
    all: u64,
    max_all: u64,
    /// Where the decoder puts the data: emptied at once, nothing uses it.
    scratch: Vec<u8>,
}

impl ChunkedBody {
    /// A body about to start, under `limits`.
    pub fn new(limits: &Limits) -> ChunkedBody {
        ChunkedBody {
            decoder: ChunkedDecoder::new(),
            data: 0,
            max_data: limits.max_body,
            all: 0,
            max_all: limits.max_chunked_bytes(),
            scratch: Vec::new(),
        }
    }

    /// Uses what it can of `input` (the bytes received and not used yet)
    /// and says how many bytes it used: drop them, add newly received bytes
    /// after the rest, and call again until [`ChunkedBody::is_done`]. What
    /// it leaves (part of a size line or trailer) is bounded by the
    /// decoder's own limits, so the caller's buffer stays small.
    pub fn read(&mut self, input: &[u8]) -> Result<usize, Rejection> {
        let used = self
            .decoder
            .decode(input, &mut self.scratch)
            .map_err(|why| {
                Rejection::new(
                    Status::BadRequest,
                    format!("the chunked request body is malformed: {why}"),
                )
            })?;
        self.data += self.scratch.len() as u64;
        self.scratch.clear();
        self.all += used as u64;
        if self.data > self.max_data {
            return Err(Rejection::new(
                Status::ContentTooLarge,
                format!(
                    "the chunked request body is larger than {} bytes (see --max-body)",
                    self.max_data
                ),
            ));
        }
        if self.all > self.max_all {
            return Err(Rejection::new(
                Status::ContentTooLarge,
                format!(
                    "the chunked request body takes more than {} bytes with its framing \
                     (chunk-size lines, extensions, trailers): at most twice --max-body \
                     plus 1024 bytes (see --max-body)",
                    self.max_all
                ),
            ));
        }
        Ok(used)
    }

    /// True once the last chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.decoder.is_done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }

    fn complete(bytes: &[u8]) -> Request {
        match parse(bytes, &limits()) {
            Ok(Parsed::Complete(r)) => r,
            other => panic!("expected a complete request, got {other:?}"),
        }
    }

    fn refused(bytes: &[u8], limits: &Limits) -> Status {
        match parse(bytes, limits) {
            Err(r) => r.status,
            other => panic!("expected a rejection, got {other:?}"),
        }
    }

    #[test]
    fn a_browser_request_is_understood() {
        let req = complete(
            b"GET /a/b?x=1 HTTP/1.1\r\nHost: localhost:8080\r\nUser-Agent: test/1\r\n\r\nextra",
        );
        assert_eq!(req.method, "GET");
        assert_eq!(req.target, "/a/b?x=1");
        assert_eq!(req.path(), "/a/b");
        let absolute =
            complete(b"GET http://example.com:8080/x?y HTTP/1.1\r\nHost: example.com\r\n\r\n");
        assert_eq!(absolute.path(), "/x");
        assert_eq!(
            complete(b"GET HTTP://h HTTP/1.1\r\nHost: h\r\n\r\n").path(),
            "/"
        );
        assert_eq!(req.version, Version::Http11);
        assert_eq!(req.header("user-agent"), Some(&b"test/1"[..]));
        assert_eq!(req.raw_head.len(), 67, "the head stops at the empty line");
        assert!(req.keep_alive());
        assert_eq!(req.body, BodyFraming::Length(0));
        assert!(!req.has_body());
    }

    #[test]
    fn an_unfinished_head_asks_for_more() {
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: x\r\n", &limits()),
            Ok(Parsed::Partial)
        );
        assert_eq!(parse(b"", &limits()), Ok(Parsed::Partial));
    }

    #[test]
    fn keep_alive_follows_the_version_and_connection_header() {
        assert!(!complete(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").keep_alive());
        assert!(!complete(b"GET / HTTP/1.0\r\n\r\n").keep_alive());
        assert!(complete(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").keep_alive());
        assert!(!complete(b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n").keep_alive());
        assert!(
            !complete(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade, close\r\n\r\n")
                .keep_alive()
        );
    }

    #[test]
    fn http11_needs_exactly_one_host() {
        assert_eq!(
            refused(b"GET / HTTP/1.1\r\n\r\n", &limits()),
            Status::BadRequest
        );
        assert_eq!(
            refused(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", &limits()),
            Status::BadRequest
        );
        complete(b"GET / HTTP/1.0\r\n\r\n");
        // HTTP/1.0 may omit Host, but not send two.
        assert_eq!(
            refused(b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", &limits()),
            Status::BadRequest
        );
    }

    #[test]
    fn a_flood_of_empty_lines_is_not_called_large_headers() {
        let limits = limits();
        let flood = b"\r\n".repeat(limits.max_head_bytes);
        assert_eq!(refused(&flood, &limits), Status::BadRequest);
        // One or two before a request are skipped.
        complete(b"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
    }

    #[test]
    fn a_host_header_is_a_host_and_maybe_a_port() {
        for good in [
            "a",
            "example.com:8080",
            "127.0.0.1",
            "[::1]:8080",
            "[::1]",
            "x_y",
            "",
        ] {
            let request = format!("GET / HTTP/1.1\r\nHost: {good}\r\n\r\n");
            complete(request.as_bytes());
        }
        for bad in ["a b/c@d", "a/b", "h:80x", "[::1", "[zz]", "h@evil", "a:b:c"] {
            let request = format!("GET / HTTP/1.1\r\nHost: {bad}\r\n\r\n");
            assert_eq!(
                refused(request.as_bytes(), &limits()),
                Status::BadRequest,
                "{bad}"
            );
        }
    }

    #[test]
    fn a_head_request_stands_for_a_get() {
        let head = complete(b"\r\nHEAD /x?y HTTP/1.1\r\nHost: a\r\n\r\n");
        let get = head.as_get().expect("HEAD stands for a GET");
        assert_eq!(get.method, "GET");
        assert_eq!(get.raw_head, b"\r\nGET /x?y HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!((&get.target, &get.headers), (&head.target, &head.headers));
        let post = complete(b"POST / HTTP/1.1\r\nHost: a\r\n\r\n");
        assert_eq!(post.as_get(), None, "only HEAD stands for another request");
    }

    #[test]
    fn garbage_is_a_bad_request() {
        assert_eq!(refused(b"hello\r\n\r\n", &limits()), Status::BadRequest);
        assert_eq!(refused(b"GET / FOO\r\n\r\n", &limits()), Status::BadRequest);
        // Not a version at all (RFC 9112 §2.3: one digit, a dot, one digit).
        for bad in [
            &b"GET / HTTP/1.10\r\n\r\n"[..],
            b"GET / HTTP/12\r\n\r\n",
            b"GET / HTTP/.\r\n\r\n",
        ] {
            assert_eq!(refused(bad, &limits()), Status::BadRequest, "{bad:?}");
        }
        assert_eq!(
            refused(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", &limits()),
            Status::BadRequest
        );
    }

    #[test]
    fn other_versions_get_505() {
        // Another major version is refused…
        for bytes in [
            &b"GET / HTTP/2.0\r\n\r\n"[..],
            b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
            b"GET / HTTP/3\r\nHost: x\r\n\r\n",
            b"GET / HTTP/0.9\r\nHost: x\r\n\r\n",
        ] {
            let r = parse(bytes, &limits()).unwrap_err();
            assert_eq!(
                r.status,
                Status::VersionNotSupported,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
        // …but a later minor version of HTTP/1 is served as HTTP/1.1
        // (RFC 9110 §2.5), its bytes kept as they came.
        for minor in 2..=9 {
            let head = format!("GET /x HTTP/1.{minor}\r\nHost: x\r\n\r\n");
            let req = complete(head.as_bytes());
            assert_eq!(req.version, Version::Http11, "{head}");
            assert_eq!(req.target, "/x");
            assert_eq!(req.raw_head, head.as_bytes());
        }
        // Read as 1.1 all the way: Host is required, keep-alive is the default.
        let no_host = parse(b"GET / HTTP/1.2\r\n\r\n", &limits()).unwrap_err();
        assert_eq!(no_host.status, Status::BadRequest);
        assert!(
            no_host.reason.contains("no Host header"),
            "{}",
            no_host.reason
        );
        assert!(complete(b"\r\nGET / HTTP/1.2\r\nHost: x\r\n\r\n").keep_alive());
        // Every prefix of such a request asks for more, as for 1.1.
        let full: &[u8] = b"GET /a HTTP/1.2\r\nHost: x\r\n\r\n";
        for end in 0..full.len() {
            assert_eq!(
                parse(&full[..end], &limits()),
                Ok(Parsed::Partial),
                "prefix of {end} bytes"
            );
        }
        // The version is still one digit after the dot; a later error is named as usual.
        assert_eq!(
            refused(b"GET / HTTP/1.2x\r\nHost: x\r\n\r\n", &limits()),
            Status::BadRequest
        );
        assert!(reason(b"GET / HTTP/1.2\r\nHost a\r\n\r\n").contains("has no colon"));
    }

    #[test]
    fn too_many_headers_get_431() {
        let small = Limits {
            max_headers: 2,
            ..limits()
        };
        assert_eq!(
            refused(b"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", &small),
            Status::HeadersTooLarge
        );
        // Exactly at the limit is fine.
        assert!(matches!(
            parse(b"GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\n\r\n", &small),
            Ok(Parsed::Complete(_))
        ));
    }

    #[test]
    fn a_head_over_the_size_limit_is_refused_even_unfinished() {
        let small = Limits {
            max_head_bytes: 64,
            ..limits()
        };
        let mut big = b"GET / HTTP/1.1\r\nHost: x\r\nCookie: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', 100));
        assert_eq!(refused(&big, &small), Status::HeadersTooLarge);
        let mut long_url = b"GET /".to_vec();
        long_url.extend(std::iter::repeat_n(b'a', 100));
        assert_eq!(refused(&long_url, &small), Status::UriTooLong);
        // Complete but too long is refused too.
        big.extend(b"\r\n\r\n");
        assert_eq!(refused(&big, &small), Status::HeadersTooLarge);
    }

    #[test]
    fn every_prefix_of_a_valid_request_asks_for_more() {
        let full: &[u8] = b"GET /path?q=1 HTTP/1.1\r\nHost: example\r\nAccept: */*\r\n\r\n";
        for end in 0..full.len() {
            assert_eq!(
                parse(&full[..end], &limits()),
                Ok(Parsed::Partial),
                "prefix of {end} bytes"
            );
        }
        assert!(matches!(parse(full, &limits()), Ok(Parsed::Complete(_))));
    }

    #[test]
    fn random_bytes_never_panic_and_never_exceed_the_limit() {
        let small = Limits {
            max_head_bytes: 256,
            max_headers: 4,
            max_body: 10,
        };
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // Bytes drawn mostly from the characters HTTP uses, to get deep into the parser.
        let alphabet = b"GET HEAD/ HTTP/1.1\r\n:Host Content-Length 0123456789\x00\xff%.";
        for _ in 0..20_000 {
            let len = (next() % 400) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            match parse(&bytes, &small) {
                Ok(Parsed::Partial) => assert!(bytes.len() < small.max_head_bytes),
                Ok(Parsed::Complete(r)) => assert!(r.raw_head.len() <= small.max_head_bytes),
                Err(r) => assert!(r.status.code() >= 400, "{r:?}"),
            }
        }
    }

    #[test]
    fn bodies_are_measured_and_limited() {
        let req = complete(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
        assert_eq!(req.body, BodyFraming::Length(5));
        let small = Limits {
            max_body: 4,
            ..limits()
        };
        assert_eq!(
            refused(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n",
                &small
            ),
            Status::ContentTooLarge
        );
        assert_eq!(
            refused(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                &limits()
            ),
            Status::BadRequest
        );
        assert_eq!(
            refused(
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                &limits()
            ),
            Status::BadRequest
        );
    }

    #[test]
    fn chunked_bodies_are_accepted_when_their_framing_is_certain() {
        let req = complete(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(req.body, BodyFraming::Chunked);
        assert!(req.has_body());
        let req = complete(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked \r\n\r\n");
        assert_eq!(
            req.body,
            BodyFraming::Chunked,
            "codings ignore case and spaces"
        );
        let cases: [(&[u8], Status); 5] = [
            // Two framings at once: the request-smuggling pattern.
            (
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
                Status::BadRequest,
            ),
            (
                b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
                Status::BadRequest,
            ),
            (
                b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
                Status::BadRequest,
            ),
            (
                b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
                Status::BadRequest,
            ),
            (
                b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                Status::NotImplemented,
            ),
        ];
        for (bytes, status) in cases {
            assert_eq!(
                refused(bytes, &limits()),
                status,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    /// RFC 9112 §3.2: a request target has no fragment, in any form; a
    /// `#` is a 400 that says why, and `%23` (a `#` in a name) is fine.
    #[test]
    fn a_fragment_in_the_target_is_a_bad_request() {
        for bytes in [
            &b"GET /page#top HTTP/1.1\r\nHost: a\r\n\r\n"[..],
            b"GET /#x HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET /?q=1#x HTTP/1.1\r\nHost: a\r\n\r\n",
            b"GET http://a/b#c HTTP/1.1\r\nHost: a\r\n\r\n",
            b"HEAD /# HTTP/1.0\r\n\r\n",
        ] {
            let why = parse(bytes, &limits()).unwrap_err();
            assert_eq!(why.status, Status::BadRequest, "{bytes:?}");
            assert!(
                why.reason.contains("contains #") && why.reason.contains("%23"),
                "{}",
                why.reason
            );
        }
        assert_eq!(
            complete(b"GET /a%23b?c%23 HTTP/1.1\r\nHost: a\r\n\r\n").path(),
            "/a%23b"
        );
    }

    #[test]
    fn https_absolute_form_targets_give_their_path_like_http() {
        for (target, path) in [
            ("https://example.com/x?y", "/x"),
            ("HTTPS://example.com", "/"),
            ("https://example.com?q", "/"),
            ("http://a//docs", "//docs"),
            ("/plain", "/plain"),
        ] {
            let head = format!("GET {target} HTTP/1.1\r\nHost: a\r\n\r\n");
            assert_eq!(complete(head.as_bytes()).path(), path, "{target}");
        }
    }

    #[test]
    fn header_slots_do_not_grow_with_the_limit() {
        // The old parser allocated max_headers slots on every call: with a
        // huge limit that was a crash (capacity overflow) on the first byte.
        let huge = Limits {
            max_headers: usize::MAX,
            ..limits()
        };
        assert_eq!(parse(b"GET / HTTP/1.1\r\n", &huge), Ok(Parsed::Partial));
        let mut many = b"GET / HTTP/1.1\r\nHost: x\r\n".to_vec();
        for i in 0..MAX_HEADERS_LIMIT {
            many.extend(format!("X-{i}: {i}\r\n").as_bytes());
        }
        many.extend(b"\r\n");
        let roomy = Limits {
            max_head_bytes: 1 << 20,
            ..huge
        };
        let r = parse(&many, &roomy).unwrap_err();
        assert_eq!(r.status, Status::HeadersTooLarge);
        assert!(
            r.reason.contains("more than 1024 header lines"),
            "{}",
            r.reason
        );
    }

    #[test]
    fn max_headers_flag_is_bounded_and_explained() {
        assert_eq!(parse_max_headers("64"), Ok(64));
        assert_eq!(parse_max_headers("1024"), Ok(1024));
        for bad in ["1025", "4000000000", "99999999999999999999999"] {
            let e = parse_max_headers(bad).unwrap_err();
            assert!(e.contains("at most 1024"), "{bad}: {e}");
        }
        assert!(parse_max_headers("0").unwrap_err().contains("at least 1"));
        assert!(parse_max_headers("many").is_err());
    }

    // ---- Chunked bodies: data and framing both bounded ----------------------

    /// Gives `body` to a [`ChunkedBody`] in pieces of `piece` bytes, as the
    /// server does; returns the outcome and how many bytes were given.
    fn read_chunked(
        body: &[u8],
        limits: &Limits,
        piece: usize,
    ) -> (Result<usize, Rejection>, usize) {
        let mut reader = ChunkedBody::new(limits);
        let mut pending = Vec::new();
        let mut given = 0;
        let mut used_total = 0;
        for bytes in body.chunks(piece) {
            pending.extend_from_slice(bytes);
            given += bytes.len();
            match reader.read(&pending) {
                Ok(used) => {
                    pending.drain(..used);
                    used_total += used;
                }
                Err(rejection) => return (Err(rejection), given),
            }
            if reader.is_done() {
                return (Ok(used_total), given);
            }
        }
        panic!("the body never ended ({given} bytes given)");
    }

    /// A chunked body carrying `hello`, padded to exactly `len` bytes with a
    /// chunk extension and a trailer line.
    fn padded_body(len: usize) -> Vec<u8> {
        let mut body = b"5;pad=".to_vec();
        body.extend(std::iter::repeat_n(b'x', 500));
        body.extend(b"\r\nhello\r\n0\r\nX-Pad: ");
        let end = b"\r\n\r\n";
        body.extend(std::iter::repeat_n(b'y', len - body.len() - end.len()));
        body.extend(end);
        assert_eq!(body.len(), len);
        body
    }

    #[test]
    fn a_normal_chunked_body_is_read_to_its_end_in_any_pieces() {
        let body: &[u8] =
            b"5\r\nhello\r\n6;note=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\nGET / HTTP/1.1\r\n";
        let len = body.len() - b"GET / HTTP/1.1\r\n".len();
        for piece in [1, 3, 4096] {
            let (outcome, _) = read_chunked(body, &limits(), piece);
            assert_eq!(
                outcome,
                Ok(len),
                "pieces of {piece}: the next request is left alone"
            );
        }
    }

    #[test]
    fn chunked_data_is_bounded_by_max_body_exactly() {
        let ten = Limits {
            max_body: 10,
            ..limits()
        };
        let at = b"5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";
        assert!(read_chunked(at, &ten, 4096).0.is_ok());
        let over = b"5\r\nhello\r\n6\r\nworld!\r\n0\r\n\r\n";
        let r = read_chunked(over, &ten, 4096).0.unwrap_err();
        assert_eq!(r.status, Status::ContentTooLarge);
        assert!(
            r.reason.contains("larger than 10 bytes (see --max-body)"),
            "{}",
            r.reason
        );
    }

    #[test]
    fn chunked_framing_counts_too_exactly_at_the_bound() {
        let ten = Limits {
            max_body: 10,
            ..limits()
        };
        // 5 bytes of data, well under --max-body 10; the rest is framing.
        assert_eq!(ten.max_chunked_bytes(), 2 * 10 + 1024);
        assert_eq!(read_chunked(&padded_body(1044), &ten, 4096).0, Ok(1044));
        assert_eq!(read_chunked(&padded_body(1044), &ten, 7).0, Ok(1044));
        let r = read_chunked(&padded_body(1045), &ten, 4096).0.unwrap_err();
        assert_eq!(r.status, Status::ContentTooLarge);
        assert!(
            r.reason.contains("more than 1044 bytes with its framing"),
            "{}",
            r.reason
        );
        assert!(r.reason.contains("--max-body"), "{}", r.reason);
    }

    #[test]
    fn tiny_chunks_with_huge_extensions_are_refused_early() {
        // 1-byte chunks with 1000-byte extensions: 200 bytes of data (far
        // under 64 KiB), 200 KB on the wire, refused soon after the bound.
        let mut chunk = b"1;".to_vec();
        chunk.extend(std::iter::repeat_n(b'e', 1000));
        chunk.extend(b"\r\nx\r\n");
        let mut body = chunk.repeat(200);
        body.extend(b"0\r\n\r\n");
        let (outcome, given) = read_chunked(&body, &limits(), 4096);
        let r = outcome.unwrap_err();
        assert_eq!(r.status, Status::ContentTooLarge);
        assert!(r.reason.contains("framing"), "{}", r.reason);
        let bound = limits().max_chunked_bytes() as usize;
        assert!(given <= bound + 4096, "refused only after {given} bytes");
    }

    #[test]
    fn padded_or_too_long_size_lines_are_bad_requests() {
        // Leading zeros: httparse takes 16 hex digits at most.
        let mut zeros = vec![b'0'; 2000];
        zeros.extend(b"1\r\nx\r\n0\r\n\r\n");
        // One extension longer than a size line may be (1 KiB), arriving
        // whole in one piece, or in small pieces.
        let mut long = b"1;".to_vec();
        long.extend(std::iter::repeat_n(b'e', 2000));
        long.extend(b"\r\nx\r\n0\r\n\r\n");
        for (body, why) in [
            (&zeros, "at most 16 hexadecimal digits"),
            (&long, "chunk-size line is too long"),
        ] {
            for piece in [4096, 100] {
                let r = read_chunked(body, &limits(), piece).0.unwrap_err();
                assert_eq!(r.status, Status::BadRequest);
                assert!(
                    r.reason.contains("chunked request body is malformed"),
                    "{}",
                    r.reason
                );
                assert!(r.reason.contains(why), "{}", r.reason);
            }
        }
    }

    /// The reason for refusing `bytes`.
    fn reason(bytes: &[u8]) -> String {
        parse(bytes, &limits()).unwrap_err().reason
    }

    #[test]
    fn parse_errors_are_explained_in_plain_words() {
        let cases: [(&[u8], &str); 14] = [
            (b"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "two spaces in a row"),
            (b"GET  /", "two spaces in a row"),
            (
                b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
                "a space inside the target must be written %20",
            ),
            (b"G(T / HTTP/1.1\r\n\r\n", "the method \"G(T\" contains '('"),
            (
                b"GET /\x01 HTTP/1.1\r\n\r\n",
                "the control character 0x01: such characters must be %-escaped",
            ),
            (b" GET / HTTP/1.1\r\n\r\n", "starts with a space"),
            (b"GET\t/ HTTP/1.1\r\n\r\n", "contains a tab"),
            (b"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", "ends with a space"),
            (b"GET / HTTP/1.1\rHost: a\r\n\r\n", "lone CR"),
            (b"hello server\r\n\r\n", "has 2 parts instead of 3"),
            (
                b"GET / HTTP/1.1\r\nHo st: a\r\n\r\n",
                "the header name \"Ho st\" contains a space",
            ),
            (
                b"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n",
                "starts with a space",
            ),
            (b"GET / HTTP/1.1\r\nHost a\r\n\r\n", "has no colon"),
            (
                b"GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n",
                "the value of the header Host contains the control character 0x01",
            ),
        ];
        for (bytes, why) in cases {
            let got = reason(bytes);
            assert!(
                got.contains(why),
                "{:?}: {got}",
                String::from_utf8_lossy(bytes)
            );
            assert!(
                !got.contains("invalid token") && !got.contains("invalid header"),
                "{got}"
            );
        }
        // A space in the target used to be taken for an unsupported version (505).
        assert_eq!(
            refused(b"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", &limits()),
            Status::BadRequest
        );
    }

    #[test]
    fn a_tls_hello_is_recognised_from_its_first_byte() {
        // The start of a TLS 1.2/1.3 ClientHello, as sent by a browser told https://.
        let r = parse(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", &limits()).unwrap_err();
        assert_eq!(r.status, Status::BadRequest);
        assert!(
            r.reason.contains("this looks like TLS (https://)"),
            "{}",
            r.reason
        );
        assert!(r.reason.contains("use http://"), "{}", r.reason);
        assert!(
            parse(b"\x16", &limits()).is_err(),
            "one byte is enough to tell"
        );
    }
}
