//! # `--trace`: the bytes on the wire
//!
//! A protocol is only bytes going back and forth. With `--trace`, every chunk
//! of bytes a program sends or receives is logged with its direction and the
//! peer's address and port:
//!
//! ```text
//! recv 7 bytes from 127.0.0.1:53422: "hello\r\n"
//! sent 4 bytes to   127.0.0.1:53422: [e9 5a 1c 80]
//! ```
//!
//! Text is shown between quotes with invisible characters escaped (`\r`, `\n`),
//! so a student sees exactly where a line ends; anything that is not printable
//! text (like RFC 868's 4-byte time) is shown in hexadecimal between brackets.
//! A chunk longer than [`LINE_BYTES`] (a 64 KiB write) is shown over several
//! lines, each saying which of its bytes it shows (`(bytes 1 to 1024)`).
//!
//! [`Tap`] keeps the peer address and counts bytes in and out (every
//! connection's log line ends with those counts, traced or not). [`Traced`]
//! wraps any async stream — or one half of it — and reports to its `Tap`.

use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tracing::info;

/// One peer's wire view: its address, whether to log bytes, and byte counts.
#[derive(Debug)]
pub struct Tap {
    peer: SocketAddr,
    enabled: bool,
    /// Always show hex: the protocol is binary (RFC 868), even when its bytes
    /// happen to look like text.
    binary: bool,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    /// The peer's end-of-stream was already logged (a reader may be polled
    /// again after it).
    eof_seen: AtomicBool,
}

impl Tap {
    /// A tap for the conversation with `peer`; `enabled` is the `--trace` flag.
    pub fn new(peer: SocketAddr, enabled: bool) -> Arc<Tap> {
        Arc::new(Tap {
            peer,
            enabled,
            binary: false,
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            eof_seen: AtomicBool::new(false),
        })
    }

    /// A tap for a binary protocol: bytes are always shown in hex.
    pub fn binary(peer: SocketAddr, enabled: bool) -> Arc<Tap> {
        Arc::new(Tap {
            peer,
            enabled,
            binary: true,
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            eof_seen: AtomicBool::new(false),
        })
    }

    fn show(&self, bytes: &[u8]) -> String {
        if self.binary {
            hex(bytes)
        } else {
            show_bytes(bytes)
        }
    }

    /// The peer's address and port.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Records bytes received from the peer.
    pub fn received(&self, bytes: &[u8]) {
        self.bytes_in
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if self.enabled && !bytes.is_empty() {
            self.log("recv", "from", bytes);
        }
    }

    /// Records bytes sent to the peer.
    pub fn sent(&self, bytes: &[u8]) {
        self.bytes_out
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        if self.enabled && !bytes.is_empty() {
            self.log("sent", "to  ", bytes);
        }
    }

    /// One line per chunk, or, for a chunk longer than [`LINE_BYTES`] (a
    /// 64 KiB write), one line per piece of it, each saying which bytes it
    /// shows: every byte is still there, and no line is too long to read.
    fn log(&self, verb: &str, direction: &str, bytes: &[u8]) {
        let (n, peer) = (plural_bytes(bytes.len()), self.peer);
        if bytes.len() <= LINE_BYTES {
            info!("{verb} {n} {direction} {peer}: {}", self.show(bytes));
            return;
        }
        let text = !self.binary && codec::text::is_readable_text(bytes);
        for piece in pieces(bytes, text) {
            let (first, last) = (piece.start + 1, piece.end);
            info!(
                "{verb} {n} {direction} {peer} (bytes {first} to {last}): {}",
                self.show(&bytes[piece])
            );
        }
    }

    /// Records that we closed our sending side (TCP half-close, a FIN).
    pub fn shutdown(&self) {
        if self.enabled {
            info!("sent end-of-stream to {} (our side is closed)", self.peer);
        }
    }

    /// Records that the peer closed its sending side: a read gave 0 bytes
    /// (TCP's FIN arrived). Logged once, so `--trace` shows both ends of a
    /// half-close, not only ours.
    pub fn end_of_stream(&self) {
        if self.enabled && !self.eof_seen.swap(true, Ordering::Relaxed) {
            info!(
                "recv end-of-stream from {} (it has nothing more to send)",
                self.peer
            );
        }
    }

    /// Bytes received so far.
    pub fn bytes_in(&self) -> u64 {
        self.bytes_in.load(Ordering::Relaxed)
    }

    /// Bytes sent so far.
    pub fn bytes_out(&self) -> u64 {
        self.bytes_out.load(Ordering::Relaxed)
    }
}

/// The most bytes `--trace` shows on one line.
pub const LINE_BYTES: usize = 1024;

/// Cuts `bytes` into pieces of at most [`LINE_BYTES`]; text (valid UTF-8)
/// is cut between characters, never inside one, so each piece still reads
/// as text.
fn pieces(bytes: &[u8], text: bool) -> Vec<std::ops::Range<usize>> {
    let as_text = if text {
        std::str::from_utf8(bytes).ok()
    } else {
        None
    };
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + LINE_BYTES).min(bytes.len());
        if let Some(text) = as_text {
            // A character is at most 4 bytes: this steps back 3 at most.
            while !text.is_char_boundary(end) {
                end -= 1;
            }
        }
        out.push(start..end);
        start = end;
    }
    out
}

fn plural_bytes(n: usize) -> String {
    if n == 1 {
        "1 byte".to_string()
    } else {
        format!("{n} bytes")
    }
}

/// Shows bytes as escaped text when they are printable text, as hex otherwise.
///
/// ```
/// use netkit::trace::show_bytes;
/// assert_eq!(show_bytes(b"hello\r\n"), r#""hello\r\n""#);
/// assert_eq!(show_bytes(&[0xe9, 0x5a, 0x1c, 0x80]), "[e9 5a 1c 80]");
/// ```
pub fn show_bytes(bytes: &[u8]) -> String {
    if codec::text::is_readable_text(bytes) {
        // Text that was checked to be UTF-8 just above.
        format!("\"{}\"", String::from_utf8_lossy(bytes).escape_debug())
    } else {
        hex(bytes)
    }
}

/// Bytes in hexadecimal between brackets: `[83 aa 7e 80]`.
pub fn hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(bytes.len() * 3 + 2);
    hex.push('[');
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            hex.push(' ');
        }
        let _ = write!(hex, "{byte:02x}");
    }
    hex.push(']');
    hex
}

/// An async stream (or half of one) whose traffic is reported to a [`Tap`].
#[derive(Debug)]
pub struct Traced<S> {
    inner: S,
    tap: Arc<Tap>,
}

impl<S> Traced<S> {
    /// Wraps `inner`, reporting to `tap`.
    pub fn new(inner: S, tap: Arc<Tap>) -> Traced<S> {
        Traced { inner, tap }
    }

    /// The tap this stream reports to.
    pub fn tap(&self) -> &Arc<Tap> {
        &self.tap
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// Unwraps the stream.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Traced<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let room = buf.remaining();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = result {
            let got = &buf.filled()[before..];
            self.tap.received(got);
            // Nothing read although there was room: that is end-of-stream.
            if got.is_empty() && room > 0 {
                self.tap.end_of_stream();
            }
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Traced<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = result {
            self.tap.sent(&buf[..n]);
        }
        result
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let result = Pin::new(&mut self.inner).poll_shutdown(cx);
        if let Poll::Ready(Ok(())) = result {
            self.tap.shutdown();
        }
        result
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_long_chunk_is_cut_into_lines_that_keep_every_byte() {
        // Binary: plain cuts of LINE_BYTES.
        let binary = vec![0xffu8; 2 * LINE_BYTES + 5];
        let cuts = pieces(&binary, false);
        assert_eq!(
            cuts,
            vec![
                0..LINE_BYTES,
                LINE_BYTES..2 * LINE_BYTES,
                2 * LINE_BYTES..2 * LINE_BYTES + 5
            ]
        );
        // Text: never inside a character ("é" is 2 bytes; one straddles the
        // first cut), and the pieces still cover every byte, in order.
        let text = format!("{}é{}", "a".repeat(LINE_BYTES - 1), "b".repeat(LINE_BYTES));
        let cuts = pieces(text.as_bytes(), true);
        assert_eq!(cuts[0], 0..LINE_BYTES - 1);
        assert_eq!(cuts.last().unwrap().end, text.len());
        for pair in cuts.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        for cut in &cuts {
            assert!(cut.len() <= LINE_BYTES);
            assert!(std::str::from_utf8(&text.as_bytes()[cut.clone()]).is_ok());
        }
    }

    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn text_is_quoted_and_escaped() {
        assert_eq!(show_bytes(b"NICK alice\n"), r#""NICK alice\n""#);
        assert_eq!(show_bytes("café\r\n".as_bytes()), r#""café\r\n""#);
        assert_eq!(show_bytes(b"say \"hi\""), r#""say \"hi\"""#);
    }

    #[test]
    fn binary_is_hex() {
        assert_eq!(show_bytes(&[0x83, 0xaa, 0x7e, 0x80]), "[83 aa 7e 80]");
        assert_eq!(show_bytes(b"\x1b[31mred"), "[1b 5b 33 31 6d 72 65 64]");
        assert_eq!(show_bytes(&[0xff, b'a']), "[ff 61]");
        assert_eq!(show_bytes(b""), "[]");
        // Valid UTF-8 by chance (U+EBD6, private use), but a binary number.
        assert_eq!(show_bytes(&[0xee, 0xaf, 0x96, 0x45]), "[ee af 96 45]");
    }

    #[test]
    fn a_binary_tap_always_shows_hex() {
        let tap = Tap::binary("127.0.0.1:1".parse().unwrap(), true);
        assert_eq!(tap.show(b"ABCD"), "[41 42 43 44]");
        let tap = Tap::new("127.0.0.1:1".parse().unwrap(), true);
        assert_eq!(tap.show(b"ABCD"), "\"ABCD\"");
    }

    #[tokio::test]
    async fn traced_streams_count_both_directions() {
        let (a, mut b) = tokio::io::duplex(64);
        let tap = Tap::new("127.0.0.1:1".parse().unwrap(), false);
        let mut traced = Traced::new(a, tap.clone());
        traced.write_all(b"hello").await.unwrap();
        let mut buf = [0u8; 5];
        b.read_exact(&mut buf).await.unwrap();
        b.write_all(b"abc").await.unwrap();
        let mut got = [0u8; 3];
        traced.read_exact(&mut got).await.unwrap();
        assert_eq!((tap.bytes_out(), tap.bytes_in()), (5, 3));
    }

    #[tokio::test]
    async fn the_peers_end_of_stream_is_noticed_once() {
        let (a, b) = tokio::io::duplex(64);
        let tap = Tap::new("127.0.0.1:1".parse().unwrap(), true);
        let mut traced = Traced::new(a, tap.clone());
        // A read into no room at all gives 0 bytes too: that is not an end.
        assert_eq!(traced.read(&mut []).await.unwrap(), 0);
        assert!(!tap.eof_seen.load(Ordering::Relaxed));
        drop(b);
        let mut buf = [0u8; 8];
        assert_eq!(traced.read(&mut buf).await.unwrap(), 0);
        assert!(tap.eof_seen.load(Ordering::Relaxed));
    }
}
