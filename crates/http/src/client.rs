//! # The HTTP client: one request, the whole conversation shown
//!
//! What a browser does first when you type an address, without the rendering:
//!
//! 1. connect to the host's port (80 unless the URL says otherwise);
//! 2. send a request head — `GET /path HTTP/1.1`, a `Host` header, an empty line;
//! 3. read the response head — status line and headers;
//! 4. read the body, whose end is found in one of three ways ([`Framing`]):
//!    `Content-Length`, `chunked`, or the server closing the connection.
//!
//! [`fetch`] writes the request and the response head (lines prefixed with
//! `> ` for what was sent and `< ` for what was received, as `curl -v` does),
//! then the body exactly as received (chunk framing removed), to `out`.

use std::time::Duration;

use netkit::NetError;
use netkit::trace::{Tap, Traced};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use crate::chunked::ChunkedDecoder;
use crate::response::{Framing, ResponseHead, parse_head, unfold};
use crate::url::Url;

/// The `User-Agent` this client sends.
pub const USER_AGENT: &str = concat!("netlab-http-client/", env!("CARGO_PKG_VERSION"));

/// Largest response head read by default (`--max-header-bytes`).
pub const DEFAULT_MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most header lines read by default (`--max-headers`).
pub const DEFAULT_MAX_HEADERS: usize = 100;
/// Most interim answers (`100 Continue`, `103 Early Hints`) before the real one.
const MAX_INTERIM: usize = 10;

/// How to fetch.
#[derive(Debug, Clone)]
pub struct Options {
    /// `GET`, or `HEAD` (headers only).
    pub method: &'static str,
    /// Limit for connecting and for each wait for data.
    pub timeout: Duration,
    /// `--trace`: log every byte in both directions.
    pub trace: bool,
    /// Write the request and response heads before the body.
    pub show_heads: bool,
    /// The largest response head read, in bytes: the head is held in memory
    /// whole, so a server cannot make us hold more.
    pub max_head_bytes: usize,
    /// The most header lines read in a response head.
    pub max_headers: usize,
    /// `out` is a terminal: a body that does not end with a newline
    /// (`printf hi` on the server's side) gets one after it, so that what
    /// comes next — the last log line, the shell's prompt — starts on a
    /// line of its own instead of sticking to the body. False for a pipe
    /// or a file, whose bytes must stay exactly the body's.
    pub terminal: bool,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The status code.
    pub code: u16,
    /// Body bytes received (after removing chunk framing).
    pub body_len: u64,
}

/// The request head this client sends for `url`.
pub fn request_head(method: &str, url: &Url) -> String {
    format!(
        "{method} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {USER_AGENT}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.target,
        url.host_header()
    )
}

/// Fetches `url`, writing the conversation to `out`.
pub async fn fetch<W: AsyncWrite + Unpin>(
    url: &Url,
    options: &Options,
    out: &mut W,
) -> Result<Summary, NetError> {
    let stream = netkit::net::connect_tcp(&url.host, url.port, options.timeout).await?;
    let peer = stream
        .peer_addr()
        .map_err(|e| NetError::io("reading the server's address", e))?;
    let tap = Tap::new(peer, options.trace);
    tracing::info!(
        "connected to {peer} from {}",
        stream
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    );
    let mut stream = Traced::new(stream, tap.clone());
    let from = format!("reading from {peer}");
    let output = NetError::output;

    let request = request_head(options.method, url);
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| NetError::io(format!("sending to {peer}"), e))?;
    if options.show_heads {
        out.write_all(prefixed("> ", request.as_bytes()).as_bytes())
            .await
            .map_err(output)?;
    }

    let mut buf = Vec::new();
    let mut interim = 0;
    let head = loop {
        let head = read_head(&mut stream, &mut buf, options, &from).await?;
        if options.show_heads {
            // Shown as it is read: a header folded over several lines (an
            // obsolete form) on one line; --trace shows the bytes as they came.
            let shown = unfold(&buf[..head.head_len]);
            out.write_all(prefixed("< ", &shown).as_bytes())
                .await
                .map_err(output)?;
        }
        buf.drain(..head.head_len);
        // "100 Continue" and friends are interim answers: the real one follows.
        if (100..200).contains(&head.code) && head.code != 101 {
            // Bounded: a server that only ever says "wait" is not waited for forever.
            interim += 1;
            if interim > MAX_INTERIM {
                return Err(NetError::protocol(format!(
                    "the server sent more than {MAX_INTERIM} interim (1xx) answers and no real one"
                )));
            }
            continue;
        }
        break head;
    };
    // 101: the connection now speaks another protocol. A server may only
    // switch to one the client asked for (RFC 9110 §15.2.2, the `Upgrade`
    // header); this client asks for none, so what follows is unreadable here.
    if head.code == 101 {
        let to = head
            .header("upgrade")
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_else(|| "not named".into());
        let _ = out.flush().await; // the head first, then the error about it
        return Err(NetError::protocol(format!(
            "the server answered 101 Switching Protocols, a switch to another protocol ({to}) \
             this client did not ask for (it sends no Upgrade header): what follows is not HTTP"
        )));
    }
    let framing = match head.framing(options.method) {
        Ok(framing) => framing,
        Err(why) => {
            // The head is shown before the error that is about it.
            let _ = out.flush().await;
            return Err(NetError::protocol(why));
        }
    };
    let body = read_body(&mut stream, buf, framing, options.timeout, &from, out).await;
    match &body {
        // The error line must not stick to the end of a body cut short
        // (`partialerror: …`). Not with --body-only into a pipe or a file:
        // there its bytes stay exact.
        Err(_) if options.show_heads || options.terminal => {
            let _ = out.write_all(b"\n").await;
        }
        // Nor the last log line to a body without a final newline, on a
        // terminal only: there the bytes are read by a person.
        Ok(end) if options.terminal && end.needs_newline() => {
            let _ = out.write_all(b"\n").await;
        }
        _ => {}
    }
    // Flushed even when the body failed: the part that came is shown before
    // the error that says what went wrong with the rest, not after it.
    let flushed = out.flush().await;
    let body_len = body?.len;
    flushed.map_err(output)?;
    // The reason phrase may be empty (RFC 9112 §4: `HTTP/1.1 200 `): said
    // so, rather than leaving "200 :" for a student to puzzle over.
    let reason = if head.reason.is_empty() {
        "(no reason phrase)"
    } else {
        head.reason.as_str()
    };
    tracing::info!(
        "{} {reason}: {body_len} body bytes; {} bytes sent, {} bytes received in all",
        head.code,
        tap.bytes_out(),
        tap.bytes_in()
    );
    Ok(Summary {
        code: head.code,
        body_len,
    })
}

/// Each line of a head, prefixed and without its CR, for display.
fn prefixed(prefix: &str, head: &[u8]) -> String {
    String::from_utf8_lossy(head)
        .split_inclusive('\n')
        .map(|line| match line.trim_end_matches(['\r', '\n']) {
            "" => format!("{}\n", prefix.trim_end()),
            line => format!("{prefix}{line}\n"),
        })
        .collect()
}

async fn read_some<R: AsyncRead + Unpin>(
    stream: &mut R,
    buf: &mut Vec<u8>,
    wait: Duration,
    what: &str,
) -> Result<usize, NetError> {
    let mut chunk = [0u8; 16 * 1024];
    match timeout(wait, stream.read(&mut chunk)).await {
        Ok(Ok(n)) => {
            buf.extend_from_slice(&chunk[..n]);
            Ok(n)
        }
        Ok(Err(e)) => Err(NetError::io(what, e)),
        Err(_) => Err(NetError::TimedOut {
            what: what.to_string(),
            after: wait,
        }),
    }
}

async fn read_head<R: AsyncRead + Unpin>(
    stream: &mut R,
    buf: &mut Vec<u8>,
    options: &Options,
    what: &str,
) -> Result<ResponseHead, NetError> {
    let too_large = || {
        NetError::protocol(format!(
            "the server's response head is larger than {} bytes, the most this client \
             reads: raise --max-header-bytes to read it",
            options.max_head_bytes
        ))
    };
    loop {
        if let Some(head) = parse_head(buf, options.max_headers).map_err(NetError::protocol)? {
            // A whole head can arrive in one read, larger than the limit.
            if head.head_len > options.max_head_bytes {
                return Err(too_large());
            }
            return Ok(head);
        }
        if buf.len() > options.max_head_bytes {
            return Err(too_large());
        }
        if read_some(stream, buf, options.timeout, what).await? == 0 {
            return Err(NetError::protocol(if buf.is_empty() {
                "the server closed the connection without answering".to_string()
            } else {
                "the server closed the connection in the middle of its response head".to_string()
            }));
        }
    }
}

/// How much body came, and how it ended.
#[derive(Debug, Clone, Copy)]
struct BodyEnd {
    /// Body bytes written (chunk framing removed).
    len: u64,
    /// Its last byte, if any.
    last: Option<u8>,
}

impl BodyEnd {
    /// Whether the body is not empty and does not end with a newline.
    fn needs_newline(self) -> bool {
        self.last.is_some_and(|b| b != b'\n')
    }
}

/// Copies the body to `out`, starting with the bytes already in `buf`.
async fn read_body<R: AsyncRead + Unpin, W: AsyncWrite + Unpin>(
    stream: &mut R,
    mut buf: Vec<u8>,
    framing: Framing,
    wait: Duration,
    what: &str,
    out: &mut W,
) -> Result<BodyEnd, NetError> {
    let output = NetError::output;
    let mut total = 0u64;
    let mut last = None;
    match framing {
        Framing::Empty => {}
        Framing::Length(len) => loop {
            let take = buf
                .len()
                .min(usize::try_from(len - total).unwrap_or(usize::MAX));
            out.write_all(&buf[..take]).await.map_err(output)?;
            last = buf[..take].last().copied().or(last);
            total += take as u64;
            buf.clear();
            if total == len {
                break;
            }
            let came = format!("{total} of {len} bytes");
            if read_some(stream, &mut buf, wait, what)
                .await
                .map_err(|e| stalled(e, &came))?
                == 0
            {
                return Err(NetError::protocol(format!(
                    "the server closed the connection before the whole body arrived ({came})"
                )));
            }
        },
        Framing::Chunked => {
            let mut decoder = ChunkedDecoder::new();
            let mut body = Vec::new();
            loop {
                let decoded = decoder.decode(&buf, &mut body);
                // The data decoded before a framing error is written
                // first: the part that came is shown, then the error.
                out.write_all(&body).await.map_err(output)?;
                last = body.last().copied().or(last);
                total += body.len() as u64;
                body.clear();
                buf.drain(..decoded.map_err(NetError::protocol)?);
                if decoder.is_done() {
                    break;
                }
                let came = format!("{total} bytes");
                if read_some(stream, &mut buf, wait, what)
                    .await
                    .map_err(|e| stalled(e, &came))?
                    == 0
                {
                    return Err(NetError::protocol(
                        "the server closed the connection before the last chunk (size 0) of the body",
                    ));
                }
            }
        }
        Framing::UntilClose => loop {
            out.write_all(&buf).await.map_err(output)?;
            last = buf.last().copied().or(last);
            total += buf.len() as u64;
            buf.clear();
            let came = format!("{total} bytes");
            if read_some(stream, &mut buf, wait, what)
                .await
                .map_err(|e| stalled(e, &came))?
                == 0
            {
                break;
            }
        },
    }
    Ok(BodyEnd { len: total, last })
}

/// A time-out in the middle of the body, said as such: the server did
/// answer, so "is the server started?" would be the wrong question.
fn stalled(error: NetError, came: &str) -> NetError {
    match error {
        NetError::TimedOut { what, after } => NetError::protocol(format!(
            "time-out while {what}: the server stopped sending in the middle of the body \
             ({came} came, then nothing for {:.1} s). Was it stopped, or is it very slow? \
             Try again, or give it more time with --timeout.",
            after.as_secs_f64()
        )),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    #[test]
    fn the_request_names_the_host_and_asks_to_close() {
        let url = crate::url::parse("http://127.0.0.1:8080/a?b").unwrap();
        let head = request_head("GET", &url);
        assert!(
            head.starts_with("GET /a?b HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"),
            "{head}"
        );
        assert!(head.ends_with("Connection: close\r\n\r\n"));
    }

    /// A one-shot server that answers `answer`, written `piece` bytes at a time.
    async fn canned(answer: &'static [u8], piece: usize) -> Url {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut req = [0u8; 1024];
            let _ = s.read(&mut req).await;
            for piece in answer.chunks(piece) {
                let _ = s.write_all(piece).await;
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        });
        crate::url::parse(&format!("http://127.0.0.1:{port}/")).unwrap()
    }

    async fn get(answer: &'static [u8]) -> (Result<Summary, NetError>, String) {
        get_with(answer, DEFAULT_MAX_HEAD_BYTES, DEFAULT_MAX_HEADERS).await
    }

    /// `answer` in small pieces (7 bytes), read with these limits.
    async fn get_with(
        answer: &'static [u8],
        max_head_bytes: usize,
        max_headers: usize,
    ) -> (Result<Summary, NetError>, String) {
        get_in_pieces(answer, 7, max_head_bytes, max_headers).await
    }

    async fn get_in_pieces(
        answer: &'static [u8],
        piece: usize,
        max_head_bytes: usize,
        max_headers: usize,
    ) -> (Result<Summary, NetError>, String) {
        let url = canned(answer, piece).await;
        let options = Options {
            method: "GET",
            timeout: Duration::from_secs(5),
            trace: false,
            show_heads: true,
            max_head_bytes,
            max_headers,
            terminal: false,
        };
        let mut out = Vec::new();
        let result = fetch(&url, &options, &mut out).await;
        (result, String::from_utf8_lossy(&out).into_owned())
    }

    #[tokio::test]
    async fn content_length_bodies() {
        let (r, out) = get(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloIGNORED").await;
        assert_eq!(
            r.unwrap(),
            Summary {
                code: 200,
                body_len: 5
            }
        );
        assert!(
            out.starts_with("> GET / HTTP/1.1\n> Host: 127.0.0.1:"),
            "{out}"
        );
        assert!(
            out.ends_with("< HTTP/1.1 200 OK\n< Content-Length: 5\n<\nhello"),
            "{out}"
        );
    }

    #[tokio::test]
    async fn chunked_bodies_are_decoded() {
        let (r, out) = get(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").await;
        assert_eq!(
            r.unwrap(),
            Summary {
                code: 200,
                body_len: 11
            }
        );
        assert!(out.ends_with("<\nhello world"), "{out}");
    }

    /// Every line of chunked framing ends with CR LF, the lines after the
    /// last chunk as the size lines: LF alone is refused in both places,
    /// the data that came before it shown.
    #[tokio::test]
    async fn chunked_lines_all_need_cr_lf_trailers_included() {
        for answer in [
            &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\n"[..],
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: 1\n\r\n",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\n\r\n",
        ] {
            let (r, out) = get(answer).await;
            let e = r.unwrap_err().to_string();
            assert!(e.contains("LF alone") || e.contains("bare LF"), "{e}");
            assert!(out.ends_with("<\nhi\n"), "{out:?}");
        }
        let (r, out) = get(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: 1\r\n\r\n",
        )
        .await;
        assert_eq!(r.unwrap().body_len, 2);
        assert!(out.ends_with("<\nhi"), "{out:?}");
    }

    /// A GET as the command line makes it, written to a terminal or not,
    /// with or without the heads.
    fn shown_options(terminal: bool, show_heads: bool) -> Options {
        Options {
            method: "GET",
            timeout: Duration::from_secs(5),
            trace: false,
            show_heads,
            max_head_bytes: DEFAULT_MAX_HEAD_BYTES,
            max_headers: DEFAULT_MAX_HEADERS,
            terminal,
        }
    }

    /// On a terminal, a body without a final newline gets one, so the
    /// last log line does not stick to it; a body that has one, an empty
    /// body, and any body sent to a pipe or a file are left exactly as
    /// they came.
    #[tokio::test]
    async fn only_a_terminal_gets_a_newline_after_a_body_without_one() {
        async fn shown(answer: &'static [u8], terminal: bool, show_heads: bool) -> Vec<u8> {
            let options = shown_options(terminal, show_heads);
            let mut out = Vec::new();
            fetch(&canned(answer, 7).await, &options, &mut out)
                .await
                .unwrap();
            out
        }
        let no_newline: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        let chunked: &[u8] =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
        let until_close: &[u8] = b"HTTP/1.0 200 OK\r\n\r\nhi";
        for answer in [no_newline, chunked, until_close] {
            assert!(shown(answer, true, true).await.ends_with(b"<\nhi\n"));
            assert_eq!(shown(answer, true, false).await, b"hi\n");
            assert!(shown(answer, false, true).await.ends_with(b"<\nhi"));
            assert_eq!(shown(answer, false, false).await, b"hi");
        }
        let newline: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nhi\n";
        assert_eq!(shown(newline, true, false).await, b"hi\n");
        let empty: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        assert!(
            shown(empty, true, true)
                .await
                .ends_with(b"OK\n< Content-Length: 0\n<\n")
        );
    }

    /// A body cut short is followed by the error line: on a terminal it
    /// starts on a line of its own with `--body-only` too (it used to read
    /// `hierror: …`); piped, the bytes that came stay exact.
    #[tokio::test]
    async fn on_a_terminal_the_error_after_a_cut_body_starts_a_new_line() {
        async fn shown(terminal: bool, show_heads: bool) -> Vec<u8> {
            let options = shown_options(terminal, show_heads);
            let cut: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhi";
            let mut out = Vec::new();
            let result = fetch(&canned(cut, 7).await, &options, &mut out).await;
            assert!(result.is_err(), "2 bytes of 10: {result:?}");
            out
        }
        assert_eq!(shown(true, false).await, b"hi\n");
        assert_eq!(shown(false, false).await, b"hi");
        assert!(shown(true, true).await.ends_with(b"<\nhi\n"));
        assert!(shown(false, true).await.ends_with(b"<\nhi\n"));
    }

    #[tokio::test]
    async fn read_to_close_bodies() {
        let (r, out) = get(b"HTTP/1.0 200 OK\r\n\r\nuntil the end").await;
        assert_eq!(r.unwrap().body_len, 13);
        assert!(out.ends_with("until the end"));
    }

    #[tokio::test]
    async fn a_truncated_body_is_an_error() {
        let (r, _) = get(b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort").await;
        let e = r.unwrap_err().to_string();
        assert!(e.contains("5 of 50 bytes"), "{e}");
        let (r, _) = get(b"not http at all\r\n\r\n").await;
        assert!(r.unwrap_err().to_string().contains("not valid HTTP"));
    }

    #[tokio::test]
    async fn a_head_that_arrives_in_one_read_is_held_to_the_limit_too() {
        let head: &'static [u8] = format!(
            "HTTP/1.1 200 OK\r\nX-Big: {}\r\nContent-Length: 2\r\n\r\nok",
            "a".repeat(3000)
        )
        .into_bytes()
        .leak();
        let one_write = head.len();
        let (r, _) = get_in_pieces(head, one_write, 64, DEFAULT_MAX_HEADERS).await;
        let e = r.unwrap_err().to_string();
        assert!(e.contains("--max-header-bytes"), "{e}");
    }

    #[tokio::test]
    async fn head_limits_are_flags_and_their_errors_name_them() {
        let big: &'static [u8] = format!(
            "HTTP/1.1 200 OK\r\nX-Big: {}\r\nContent-Length: 2\r\n\r\nok",
            "a".repeat(300)
        )
        .into_bytes()
        .leak();
        let (r, _) = get_with(big, 128, DEFAULT_MAX_HEADERS).await;
        let e = r.unwrap_err().to_string();
        assert!(
            e.contains("larger than 128 bytes") && e.contains("--max-header-bytes"),
            "{e}"
        );
        assert_eq!(
            get_with(big, 1024, DEFAULT_MAX_HEADERS)
                .await
                .0
                .unwrap()
                .code,
            200
        );

        let many: &'static [u8] =
            b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 2\r\n\r\nok";
        let (r, _) = get_with(many, DEFAULT_MAX_HEAD_BYTES, 2).await;
        let e = r.unwrap_err().to_string();
        assert!(e.contains("--max-headers"), "{e}");
        assert_eq!(
            get_with(many, DEFAULT_MAX_HEAD_BYTES, 4)
                .await
                .0
                .unwrap()
                .code,
            200
        );
    }

    #[tokio::test]
    async fn interim_answers_are_skipped_but_bounded() {
        let (r, out) =
            get(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .await;
        assert_eq!(r.unwrap().code, 200);
        assert!(out.ends_with("ok"), "{out}");
        let endless: &'static [u8] = b"HTTP/1.1 100 Continue\r\n\r\n"
            .repeat(MAX_INTERIM + 1)
            .leak();
        let (r, _) = get(endless).await;
        let e = r.unwrap_err().to_string();
        assert!(e.contains("interim (1xx) answers"), "{e}");
    }
}
