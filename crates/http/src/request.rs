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
//! keep one client from eating the server's memory, and the checks RFC 9112
//! asks of a server (a `Host` header in HTTP/1.1, a valid `Content-Length`).

use std::fmt;

use crate::response::Status;

/// The limits a request head must respect. Every one is a server flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest request head (request line + headers + empty line), in bytes.
    pub max_head_bytes: usize,
    /// Most header lines in one request.
    pub max_headers: usize,
    /// Largest request body the server accepts (and throws away: GET and
    /// HEAD have no use for one), in bytes.
    pub max_body: u64,
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
    /// The protocol version the client speaks.
    pub version: Version,
    /// Every header, in order, as sent (names keep their case; values are
    /// bytes because HTTP does not promise UTF-8).
    pub headers: Vec<(String, Vec<u8>)>,
    /// The exact bytes of the head, for the page that shows them.
    pub raw_head: Vec<u8>,
    /// The length of the body that follows the head (0 when there is none).
    pub body_len: u64,
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
        match self.version {
            Version::Http11 => !tokens("close"),
            Version::Http10 => tokens("keep-alive"),
        }
    }

    /// The path part of the target: before any `?query` or `#fragment`.
    /// A target in "absolute form" (`http://host/path`, what clients send to
    /// a proxy, and which servers must accept too) gives its path.
    pub fn path(&self) -> &str {
        let target = match self.target.get(..7) {
            Some(scheme) if scheme.eq_ignore_ascii_case("http://") => {
                let rest = &self.target[7..];
                &rest[rest.find('/').unwrap_or(rest.len())..]
            }
            _ => self.target.as_str(),
        };
        let end = target.find(['?', '#']).unwrap_or(target.len());
        if end == 0 { "/" } else { &target[..end] }
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
    let mut headers = vec![httparse::EMPTY_HEADER; limits.max_headers];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(buf) {
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
            format!(
                "the request has more than {} header lines (see --max-headers)",
                limits.max_headers
            ),
        )),
        Err(httparse::Error::Version) => Err(bad_version(buf)),
        Err(e) => Err(Rejection::new(
            Status::BadRequest,
            format!("this is not a valid HTTP request: {e}"),
        )),
    }
}

/// A head over the limit: 414 when even the request line does not fit
/// (a huge URL), 431 when the headers are what is too big.
fn too_large(buf: &[u8], limits: &Limits) -> Rejection {
    let first_line_fits = buf[..buf.len().min(limits.max_head_bytes)].contains(&b'\n');
    if first_line_fits {
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

/// httparse only knows HTTP/1.0 and 1.1. A well-formed other version
/// (`HTTP/2.0`, `HTTP/1.2`) gets 505; anything else is simply malformed.
fn bad_version(buf: &[u8]) -> Rejection {
    let line_end = buf.iter().position(|&b| b == b'\n').unwrap_or(buf.len());
    let line = String::from_utf8_lossy(&buf[..line_end]);
    let version = line
        .trim_end()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_string();
    let looks_like_http = version
        .strip_prefix("HTTP/")
        .is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'));
    if looks_like_http {
        Rejection::new(
            Status::VersionNotSupported,
            format!("{version} is not supported: this server speaks HTTP/1.0 and HTTP/1.1"),
        )
    } else {
        Rejection::new(
            Status::BadRequest,
            "the request line must end with the version, e.g. HTTP/1.1",
        )
    }
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

    // RFC 9112 §3.2: a 1.1 request without exactly one Host is a 400.
    let hosts = named("host").count();
    if version == Version::Http11 && hosts != 1 {
        let why = if hosts == 0 {
            "has no Host header"
        } else {
            "has several Host headers"
        };
        return Err(Rejection::new(
            Status::BadRequest,
            format!(
                "an HTTP/1.1 request must name the site it wants in one Host header; this one {why}"
            ),
        ));
    }
    if named("transfer-encoding").next().is_some() {
        return Err(Rejection::new(
            Status::NotImplemented,
            "this small server does not accept request bodies sent with Transfer-Encoding",
        ));
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
    Ok(Request {
        method: req.method.unwrap_or_default().to_string(),
        target: req.path.unwrap_or_default().to_string(),
        version,
        headers,
        raw_head: raw_head.to_vec(),
        body_len,
    })
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
        assert_eq!(req.body_len, 0);
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
    }

    #[test]
    fn garbage_is_a_bad_request() {
        assert_eq!(refused(b"hello\r\n\r\n", &limits()), Status::BadRequest);
        assert_eq!(refused(b"GET / FOO\r\n\r\n", &limits()), Status::BadRequest);
        assert_eq!(
            refused(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", &limits()),
            Status::BadRequest
        );
    }

    #[test]
    fn other_versions_get_505() {
        assert_eq!(
            refused(b"GET / HTTP/2.0\r\n\r\n", &limits()),
            Status::VersionNotSupported
        );
        assert_eq!(
            refused(b"GET / HTTP/1.2\r\nHost: x\r\n\r\n", &limits()),
            Status::VersionNotSupported
        );
        assert_eq!(
            refused(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", &limits()),
            Status::VersionNotSupported
        );
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
        assert_eq!(req.body_len, 5);
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
        assert_eq!(
            refused(
                b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
                &limits()
            ),
            Status::NotImplemented
        );
    }
}
