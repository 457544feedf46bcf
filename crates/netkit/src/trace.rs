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
//! A chunk longer than [`LINE_BYTES`] (1,024 bytes; a 64 KiB write, say) is shown over several
//! lines, each saying which of its bytes it shows (`(bytes 1 to 1024)`).
//!
//! TCP carries a stream of bytes, not of characters: one read may end in the
//! middle of a character that takes several bytes in UTF-8 ("é" is `c3 a9`,
//! an emoji 4 bytes). The start of such a character is *held* and shown again,
//! whole, with the read that brings its end, and each line says so:
//!
//! ```text
//! recv 4 bytes from 127.0.0.1:53422: "caf" + [c3] held (a character cut by the read: shown whole once the rest comes)
//! recv 3 bytes from 127.0.0.1:53422: "é\r\n" (its first byte, [c3], came in an earlier read)
//! ```
//!
//! Over UDP each line is one datagram, and says so: a server that speaks
//! TCP and UDP on the same port (echo-server, time-server) logs both in one
//! trace, and only the word *datagram* tells a UDP line from a TCP one:
//!
//! ```text
//! recv 3 bytes from 127.0.0.1:54964: "hi\n"
//! recv a datagram of 3 bytes from 127.0.0.1:49936: "hi\n"
//! sent a datagram of 3 bytes to   127.0.0.1:49936: "hi\n"
//! ```
//!
//! An empty datagram is a message too (a time client's question is one): it
//! is shown as `sent an empty datagram to …` or `recv an empty datagram from
//! …`. An empty write on a TCP stream sends nothing and is not shown.
//!
//! [`Tap`] keeps the peer address and counts bytes in and out (every
//! connection's log line ends with those counts, traced or not). [`Traced`]
//! wraps any async stream — or one half of it — and reports to its `Tap`.
//! A UDP server has no connections to tap: [`DatagramTrace`] shows its
//! datagrams, whoever sent them.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::ops::Range;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tracing::info;

use crate::logging::count;

/// One peer's wire view: its address, whether to log bytes, and byte counts.
#[derive(Debug)]
pub struct Tap {
    peer: SocketAddr,
    enabled: bool,
    /// The direction whose bytes are always shown in hex, if any: the one
    /// that carries a binary message (RFC 868's 4-byte time), even when its
    /// bytes happen to look like text. The other direction is judged chunk by
    /// chunk: a student who types a line at a time server sees it as text.
    binary: Option<Way>,
    /// Each chunk is a UDP datagram, a message of its own: a character cut at
    /// its end is not continued by the next one, so nothing is held.
    datagrams: bool,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    /// The peer's end-of-stream was already logged (a reader may be polled
    /// again after it).
    eof_seen: AtomicBool,
    /// The unfinished character at the end of the last chunk received, and
    /// of the last one sent. One per direction: the read half and the write
    /// half of a connection may be used by two tasks at once, and a character
    /// cut in what we send is never finished by what we receive. A `Mutex`
    /// (only taken with `--trace`) keeps each direction's chunks and lines in
    /// the same order.
    held_in: Mutex<Held>,
    held_out: Mutex<Held>,
}

/// Which way bytes go: from the peer (`In`) or to it (`Out`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// Bytes received from the peer.
    In,
    /// Bytes sent to the peer.
    Out,
}

impl Way {
    fn verb(self) -> &'static str {
        match self {
            Way::In => "recv",
            Way::Out => "sent",
        }
    }

    /// Padded so that `from` and `to` lines line up.
    fn preposition(self) -> &'static str {
        match self {
            Way::In => "from",
            Way::Out => "to  ",
        }
    }
}

/// The first bytes of a character that a chunk ended before finishing: at
/// most 3, since a UTF-8 character is at most 4 bytes.
#[derive(Debug, Default, Clone, Copy)]
struct Held {
    bytes: [u8; 3],
    len: usize,
}

impl Held {
    fn as_slice(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Hands over the held bytes, holding none any more.
    fn take(&mut self) -> Held {
        std::mem::take(self)
    }

    /// Holds `bytes` (at most 3), replacing what was held.
    fn hold(&mut self, bytes: &[u8]) {
        self.len = bytes.len();
        self.bytes[..bytes.len()].copy_from_slice(bytes);
    }
}

impl Tap {
    /// A tap for the conversation with `peer`; `enabled` is the `--trace` flag.
    pub fn new(peer: SocketAddr, enabled: bool) -> Arc<Tap> {
        Arc::new(Tap::with(peer, enabled, None, false))
    }

    /// A tap for a protocol whose messages in one direction are binary:
    /// those bytes are always shown in hex, the other direction's as text
    /// when they are text.
    pub fn binary(peer: SocketAddr, enabled: bool, binary: Way) -> Arc<Tap> {
        Arc::new(Tap::with(peer, enabled, Some(binary), false))
    }

    /// A tap for UDP: each chunk is one datagram, shown whole on its own
    /// (never held back waiting for the next), as text or, in the `binary`
    /// direction, in hex.
    pub fn datagrams(peer: SocketAddr, enabled: bool, binary: Option<Way>) -> Arc<Tap> {
        Arc::new(Tap::with(peer, enabled, binary, true))
    }

    fn with(peer: SocketAddr, enabled: bool, binary: Option<Way>, datagrams: bool) -> Tap {
        Tap {
            peer,
            enabled,
            binary,
            datagrams,
            bytes_in: AtomicU64::new(0),
            bytes_out: AtomicU64::new(0),
            eof_seen: AtomicBool::new(false),
            held_in: Mutex::new(Held::default()),
            held_out: Mutex::new(Held::default()),
        }
    }

    fn show(&self, way: Way, bytes: &[u8]) -> String {
        if self.binary == Some(way) {
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
        self.note(Way::In, bytes);
    }

    /// Records bytes sent to the peer.
    pub fn sent(&self, bytes: &[u8]) {
        self.bytes_out
            .fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.note(Way::Out, bytes);
    }

    /// Logs one chunk with `--trace`, empty ones included when they mean
    /// something.
    ///
    /// An empty *write* on a stream puts nothing on the wire (TCP has no
    /// message to carry), and an empty *read* is end-of-stream, which
    /// [`Tap::end_of_stream`] reports: both stay out. An empty *datagram*
    /// is a whole message that crosses the network (a time client's usual
    /// question is one): hiding it would make one side's trace show an
    /// exchange the other side's trace leaves out.
    fn note(&self, way: Way, bytes: &[u8]) {
        if !self.enabled {
            return;
        }
        if !bytes.is_empty() {
            self.log(way, bytes);
        } else if self.datagrams {
            info!(
                "{} an empty datagram {} {}",
                way.verb(),
                way.preposition(),
                self.peer
            );
        }
    }

    fn held(&self, way: Way) -> &Mutex<Held> {
        match way {
            Way::In => &self.held_in,
            Way::Out => &self.held_out,
        }
    }

    /// Logs one chunk, judged together with the bytes held before it.
    ///
    /// The design, so that the lines never lie about which bytes came in
    /// which read: each line still counts only this chunk's bytes. A chunk
    /// that ends inside a character shows that character's first bytes in
    /// hex marked `held`; the next chunk is judged with them in front, so
    /// the whole character reads as text again, and its line names the
    /// bytes that came earlier. The held bytes thus appear twice (as they
    /// arrived, then within their character), each time labelled.
    fn log(&self, way: Way, chunk: &[u8]) {
        if self.binary == Some(way) || self.datagrams {
            // A binary protocol has no characters to keep whole; a datagram
            // is judged alone.
            self.write_lines(way, chunk, &[], chunk, chunk.len());
            return;
        }
        // Locked until the line is logged: another task using the same
        // direction waits, so chunks are judged, and shown, in order.
        let mut held = self
            .held(way)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let before = held.take();
        let joined: Cow<[u8]> = if before.len == 0 {
            Cow::Borrowed(chunk)
        } else {
            Cow::Owned([before.as_slice(), chunk].concat())
        };
        let cut = unfinished_tail(&joined);
        held.hold(&joined[cut..]);
        self.write_lines(way, chunk, before.as_slice(), &joined, cut);
    }

    /// One line per chunk, or, for a chunk longer than [`LINE_BYTES`] (1,024
    /// bytes; a 64 KiB write, say), one line per piece of it, each saying which bytes it
    /// shows: every byte is still there, and no line is too long to read.
    ///
    /// `joined` is `before` (bytes held from earlier chunks) then `chunk`;
    /// its bytes from `cut` on are held for the next chunk.
    fn write_lines(&self, way: Way, chunk: &[u8], before: &[u8], joined: &[u8], cut: usize) {
        let (verb, direction, peer) = (way.verb(), way.preposition(), self.peer);
        // A datagram says so: TCP and UDP lines of one server's trace (the
        // same port on both) must not look alike. TCP's stay as short as
        // they were.
        let n = if self.datagrams {
            format!("a datagram of {}", plural_bytes(chunk.len()))
        } else {
            plural_bytes(chunk.len())
        };
        // The bytes shown as text (or hex) now, and this chunk's bytes held
        // back (the held ones from before are in `shown` or still held).
        let shown = &joined[..cut];
        let new_held = &joined[cut.max(before.len())..];
        let earlier_note = if before.is_empty() {
            None
        } else if cut == 0 {
            Some(format!("after {}, held from an earlier read", hex(before)))
        } else {
            Some(format!(
                "its first {}, {}, came in an earlier read",
                if before.len() == 1 {
                    "byte".to_string()
                } else {
                    format!("{} bytes", before.len())
                },
                hex(before)
            ))
        };
        let held_note = (!new_held.is_empty())
            .then(|| "a character cut by the read: shown whole once the rest comes".to_string());
        if chunk.len() <= LINE_BYTES {
            let text = self.describe(way, shown, new_held, [earlier_note, held_note]);
            info!("{verb} {n} {direction} {peer}: {text}");
            return;
        }
        // A long chunk: held bytes are at most 3, so `shown` is not empty.
        let all = pieces(shown, self.binary != Some(way));
        let last_piece = all.len() - 1;
        for (i, piece) in all.into_iter().enumerate() {
            let is_last = i == last_piece;
            // Numbered in this chunk's bytes: the held bytes in front are
            // not this chunk's, the held bytes at the end are.
            let first = piece.start.saturating_sub(before.len()) + 1;
            let last = if is_last {
                chunk.len()
            } else {
                piece.end - before.len()
            };
            let text = self.describe(
                way,
                &shown[piece],
                if is_last { new_held } else { &[] },
                [
                    if i == 0 { earlier_note.clone() } else { None },
                    if is_last { held_note.clone() } else { None },
                ],
            );
            info!("{verb} {n} {direction} {peer} (bytes {first} to {last}): {text}");
        }
    }

    /// `"text" + [c3] held (note; note)`: what a line shows after its peer.
    fn describe(&self, way: Way, shown: &[u8], held: &[u8], notes: [Option<String>; 2]) -> String {
        let mut text = String::new();
        if !shown.is_empty() {
            text.push_str(&self.show(way, shown));
        }
        if !held.is_empty() {
            if !text.is_empty() {
                text.push_str(" + ");
            }
            let _ = write!(text, "{} held", hex(held));
        }
        let notes: Vec<String> = notes.into_iter().flatten().collect();
        if !notes.is_empty() {
            let _ = write!(text, " ({})", notes.join("; "));
        }
        text
    }

    /// Shows the bytes still held in one direction, if any, when no more
    /// will come: they were shown as they arrived, this line says they
    /// never became a character.
    fn release(&self, way: Way, held: Held, why: &str) {
        if held.len > 0 {
            info!(
                "{} {} {}: held {} was an unfinished character ({why})",
                way.verb(),
                way.preposition(),
                self.peer,
                hex(held.as_slice())
            );
        }
    }

    fn take_held(&self, way: Way) -> Held {
        self.held(way)
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Records that we closed our sending side (TCP half-close, a FIN).
    pub fn shutdown(&self) {
        if self.enabled {
            let held = self.take_held(Way::Out);
            self.release(Way::Out, held, "we closed our side before the rest");
            info!("sent end-of-stream to {} (our side is closed)", self.peer);
        }
    }

    /// Records that the peer closed its sending side: a read gave 0 bytes
    /// (TCP's FIN arrived). Logged once, so `--trace` shows both ends of a
    /// half-close, not only ours.
    pub fn end_of_stream(&self) {
        if self.enabled {
            let held = self.take_held(Way::In);
            self.release(Way::In, held, "end-of-stream came before the rest");
            if !self.eof_seen.swap(true, Ordering::Relaxed) {
                info!(
                    "recv end-of-stream from {} (it has nothing more to send)",
                    self.peer
                );
            }
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

    /// "5 bytes in, 1 byte out": both counts so far, as a server's
    /// "disconnected" line says them.
    pub fn counts(&self) -> String {
        format!(
            "{} in, {} out",
            count(self.bytes_in(), "byte", "bytes"),
            count(self.bytes_out(), "byte", "bytes")
        )
    }
}

/// `--trace` for a UDP server: one for its socket, whoever the datagrams
/// come from or go to.
///
/// UDP has no conversations, only datagrams, each a message of its own:
/// nothing to count per peer, no character cut between two. So a server
/// keeps no [`Tap`] per peer, and, without `--trace`, makes none per
/// datagram either (a `Tap` is shared, so it lives on the heap): answering
/// one costs no allocation.
#[derive(Debug, Clone, Copy)]
pub struct DatagramTrace {
    enabled: bool,
    binary: Option<Way>,
}

impl DatagramTrace {
    /// `enabled` is the `--trace` flag; the datagrams going the `binary`
    /// way, if any, are always shown in hex (as [`Tap::datagrams`] does).
    pub fn new(enabled: bool, binary: Option<Way>) -> DatagramTrace {
        DatagramTrace { enabled, binary }
    }

    /// Shows a datagram received from `peer`.
    pub fn received(&self, peer: SocketAddr, datagram: &[u8]) {
        self.show(peer, Way::In, datagram);
    }

    /// Shows a datagram sent to `peer`.
    pub fn sent(&self, peer: SocketAddr, datagram: &[u8]) {
        self.show(peer, Way::Out, datagram);
    }

    fn show(&self, peer: SocketAddr, way: Way, datagram: &[u8]) {
        if self.enabled {
            // For this datagram only, on the stack: nothing carries over to
            // the next one.
            Tap::with(peer, true, self.binary, true).note(way, datagram);
        }
    }
}

impl Drop for Tap {
    /// The last user of the tap is gone (the connection ended without an
    /// end-of-stream, on an error, or a UDP exchange is over): bytes still
    /// held are shown now, or `--trace` would have hidden them.
    fn drop(&mut self) {
        if self.enabled {
            for way in [Way::In, Way::Out] {
                let held = match way {
                    Way::In => &mut self.held_in,
                    Way::Out => &mut self.held_out,
                };
                let held = held
                    .get_mut()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                self.release(way, held, "the conversation ended before the rest");
            }
        }
    }
}

/// Where the unfinished character at the end of `bytes` starts: `bytes.len()`
/// when there is none.
///
/// Only an end that is valid so far counts (`c3` may become "é"; `ff` never
/// becomes anything), and only after bytes that are all valid UTF-8: a
/// chunk with a broken character anywhere is shown in hex anyway, and
/// holding its end would only make the next chunk look broken too.
fn unfinished_tail(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        // `error_len() == None`: the bytes stop in the middle of a character
        // that was correct up to there (at most 3 bytes from the end).
        Err(e) if e.error_len().is_none() => e.valid_up_to(),
        _ => bytes.len(),
    }
}

/// The most bytes `--trace` shows on one line.
pub const LINE_BYTES: usize = 1024;

/// Cuts `bytes` into pieces of at most [`LINE_BYTES`]. With `text`, a cut
/// never falls inside a UTF-8 character: each piece is then judged text or
/// hex on its own, and half a character would turn a piece of text into hex.
fn pieces(bytes: &[u8], text: bool) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        let mut end = (start + LINE_BYTES).min(bytes.len());
        if text {
            // A byte 10xxxxxx continues a character: cut before the character
            // instead. A character is at most 4 bytes: 3 steps back at most
            // (more would only be broken bytes, shown in hex either way).
            let mut back = 0;
            while back < 3 && end < bytes.len() && bytes[end] & 0xc0 == 0x80 {
                end -= 1;
                back += 1;
            }
        }
        out.push(start..end);
        start = end;
    }
    out
}

/// "1 byte", "7 bytes": a count of bytes as a line says it.
pub fn plural_bytes(n: usize) -> String {
    count(n as u64, "byte", "bytes")
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
        // Text that was checked to be UTF-8 just above, escaped as Rust
        // writes a string: `\r`, `\n`, `\"` and `\\` between double quotes.
        // `escape_debug` also escapes `'` (it serves characters too, written
        // between single quotes); here `\'` would show a backslash the peer
        // never sent, as in chat-server's `ERR invalid nickname: 'é' …`.
        // Every escape starts with a `\` and an escaped `\` is `\\`, so each
        // `\'` found is an escaped quote.
        let escaped = String::from_utf8_lossy(bytes).escape_debug().to_string();
        format!("\"{}\"", escaped.replace("\\'", "'"))
    } else {
        hex(bytes)
    }
}

/// Like [`show_bytes`], cut after about `max` bytes, with the whole length
/// said: a message that quotes what a peer sent stays one readable line.
/// Text is cut between two characters, never inside one: half of `é` is
/// not UTF-8, and the whole piece would then be shown in hex.
///
/// ```
/// use netkit::trace::show_at_most;
/// assert_eq!(show_at_most(b"hello", 8), r#""hello""#);
/// assert_eq!(show_at_most(b"hello world", 5), r#""hello"… (11 bytes)"#);
/// ```
pub fn show_at_most(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        return show_bytes(bytes);
    }
    let mut cut = max;
    if let Err(e) = std::str::from_utf8(&bytes[..max]) {
        // A character that starts before `max` and ends after it: cut
        // before it (`error_len() == None` means "incomplete at the end").
        if e.error_len().is_none() && e.valid_up_to() > 0 {
            cut = e.valid_up_to();
        }
    }
    format!("{}… ({} bytes)", show_bytes(&bytes[..cut]), bytes.len())
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
    use super::*;
    use crate::test_log::logged;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

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

    #[test]
    fn text_is_quoted_and_escaped() {
        assert_eq!(show_bytes(b"NICK alice\n"), r#""NICK alice\n""#);
        assert_eq!(show_bytes("café\r\n".as_bytes()), r#""café\r\n""#);
        assert_eq!(show_bytes(b"say \"hi\""), r#""say \"hi\"""#);
        // A quote is shown as it came, without a backslash the wire never
        // had; a backslash that did come before it is shown escaped.
        assert_eq!(
            show_bytes("ERR invalid nickname: 'é' not allowed\n".as_bytes()),
            r#""ERR invalid nickname: 'é' not allowed\n""#
        );
        assert_eq!(show_bytes(br"it\'s"), r#""it\\'s""#);
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
        let tap = Tap::binary("127.0.0.1:1".parse().unwrap(), true, Way::Out);
        assert_eq!(tap.show(Way::Out, b"ABCD"), "[41 42 43 44]");
        // The other direction is judged by its bytes: text shows as text.
        assert_eq!(tap.show(Way::In, b"ABCD"), "\"ABCD\"");
        assert_eq!(tap.show(Way::In, &[0x83, 0xaa]), "[83 aa]");
        let tap = Tap::new("127.0.0.1:1".parse().unwrap(), true);
        assert_eq!(tap.show(Way::Out, b"ABCD"), "\"ABCD\"");
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

    fn peer() -> SocketAddr {
        "127.0.0.1:1".parse().unwrap()
    }

    #[test]
    fn the_counts_say_one_byte_in_the_singular() {
        let tap = Tap::new(peer(), false);
        assert_eq!(tap.counts(), "0 bytes in, 0 bytes out");
        tap.received(b"x");
        tap.sent(b"ok");
        assert_eq!(tap.counts(), "1 byte in, 2 bytes out");
    }

    #[test]
    fn a_datagram_trace_shows_both_ways_with_the_peer() {
        let lines = logged(|| {
            let trace = DatagramTrace::new(true, Some(Way::Out));
            trace.received(peer(), b"");
            trace.received(peer(), b"hi\n");
            trace.sent(peer(), b"hi\n");
            // Without --trace: nothing at all.
            let off = DatagramTrace::new(false, None);
            off.received(peer(), b"x");
            off.sent(peer(), b"x");
        });
        assert_eq!(
            lines,
            [
                "recv an empty datagram from 127.0.0.1:1",
                r#"recv a datagram of 3 bytes from 127.0.0.1:1: "hi\n""#,
                "sent a datagram of 3 bytes to   127.0.0.1:1: [68 69 0a]",
            ]
        );
    }

    /// The same bytes over TCP and over UDP, as a server serving both on
    /// one port logs them: every UDP line says "datagram", no TCP line
    /// does, and TCP's lines keep their format.
    #[test]
    fn a_datagram_line_is_told_from_a_tcp_line() {
        let lines = logged(|| {
            let tcp = Tap::new(peer(), true);
            tcp.received(b"hi\n");
            tcp.sent(b"hi\n");
            let udp = Tap::datagrams(peer(), true, None);
            udp.received(b"hi\n");
            udp.sent(b"hi\n");
            let server = DatagramTrace::new(true, None);
            server.received(peer(), b"x");
            server.sent(peer(), &[b'y'; LINE_BYTES + 1]);
        });
        assert_eq!(
            lines[..5],
            [
                r#"recv 3 bytes from 127.0.0.1:1: "hi\n""#,
                r#"sent 3 bytes to   127.0.0.1:1: "hi\n""#,
                r#"recv a datagram of 3 bytes from 127.0.0.1:1: "hi\n""#,
                r#"sent a datagram of 3 bytes to   127.0.0.1:1: "hi\n""#,
                r#"recv a datagram of 1 byte from 127.0.0.1:1: "x""#,
            ]
        );
        // A long datagram: each of its lines says so.
        assert_eq!(lines.len(), 7, "{lines:#?}");
        for line in &lines[5..] {
            assert!(
                line.starts_with("sent a datagram of 1025 bytes to   127.0.0.1:1 (bytes "),
                "{line}"
            );
        }
    }

    const CUT: &str = "a character cut by the read: shown whole once the rest comes";

    #[test]
    fn an_accent_cut_between_two_reads_is_shown_as_text() {
        // "café\r\n" with "é" (c3 a9) cut by the first read.
        let lines = logged(|| {
            let tap = Tap::new(peer(), true);
            tap.received(b"caf\xc3");
            tap.received(b"\xa9\r\n");
            // The counts stay those of the reads.
            assert_eq!(tap.bytes_in(), 7);
        });
        assert_eq!(
            lines,
            [
                format!(r#"recv 4 bytes from 127.0.0.1:1: "caf" + [c3] held ({CUT})"#),
                r#"recv 3 bytes from 127.0.0.1:1: "é\r\n" (its first byte, [c3], came in an earlier read)"#.to_string(),
            ]
        );
    }

    #[test]
    fn an_emoji_cut_anywhere_is_shown_whole() {
        // 🙂 is f0 9f 99 82.
        let lines = logged(|| {
            let tap = Tap::new(peer(), true);
            tap.received(b"\xf0"); // 1 | 3
            tap.received(b"\x9f\x99\x82");
            tap.received(b"\xf0\x9f\x99"); // 3 | 1
            tap.received(b"\x82!");
            tap.received(b"\xf0"); // 1 | 1 | 2
            tap.received(b"\x9f");
            tap.received(b"\x99\x82");
        });
        assert_eq!(
            lines,
            [
                format!("recv 1 byte from 127.0.0.1:1: [f0] held ({CUT})"),
                r#"recv 3 bytes from 127.0.0.1:1: "🙂" (its first byte, [f0], came in an earlier read)"#.to_string(),
                format!("recv 3 bytes from 127.0.0.1:1: [f0 9f 99] held ({CUT})"),
                r#"recv 2 bytes from 127.0.0.1:1: "🙂!" (its first 3 bytes, [f0 9f 99], came in an earlier read)"#.to_string(),
                format!("recv 1 byte from 127.0.0.1:1: [f0] held ({CUT})"),
                format!("recv 1 byte from 127.0.0.1:1: [9f] held (after [f0], held from an earlier read; {CUT})"),
                r#"recv 2 bytes from 127.0.0.1:1: "🙂" (its first 2 bytes, [f0 9f], came in an earlier read)"#.to_string(),
            ]
        );
    }

    #[test]
    fn a_broken_character_is_still_hex() {
        let lines = logged(|| {
            let tap = Tap::new(peer(), true);
            // c3 promised a character, "xyz" does not finish it.
            tap.received(b"caf\xc3");
            tap.received(b"xyz");
            // A chunk already broken holds nothing back.
            tap.received(b"\xff\xc3");
            tap.received(b"\xa9");
            // c3 then c3 is broken at once: nothing to hold.
            tap.received(b"\xc3\xc3");
        });
        assert_eq!(
            lines,
            [
                format!(r#"recv 4 bytes from 127.0.0.1:1: "caf" + [c3] held ({CUT})"#),
                "recv 3 bytes from 127.0.0.1:1: [c3 78 79 7a] (its first byte, [c3], came in an earlier read)".to_string(),
                "recv 2 bytes from 127.0.0.1:1: [ff c3]".to_string(),
                "recv 1 byte from 127.0.0.1:1: [a9]".to_string(),
                "recv 2 bytes from 127.0.0.1:1: [c3 c3]".to_string(),
            ]
        );
    }

    #[test]
    fn bytes_held_when_the_stream_ends_are_shown() {
        let lines = logged(|| {
            let tap = Tap::new(peer(), true);
            tap.received(b"caf\xc3");
            tap.end_of_stream();
            // "€" is e2 82 ac: we close our side after 2 of its bytes.
            tap.sent(b"\xe2\x82");
            tap.shutdown();
            // A tap dropped with held bytes (an error, or a UDP exchange
            // over) shows them too.
            let udp = Tap::new(peer(), true);
            udp.sent(b"\xc3");
        });
        assert_eq!(
            lines,
            [
                format!(r#"recv 4 bytes from 127.0.0.1:1: "caf" + [c3] held ({CUT})"#),
                "recv from 127.0.0.1:1: held [c3] was an unfinished character (end-of-stream came before the rest)".to_string(),
                "recv end-of-stream from 127.0.0.1:1 (it has nothing more to send)".to_string(),
                format!("sent 2 bytes to   127.0.0.1:1: [e2 82] held ({CUT})"),
                "sent to   127.0.0.1:1: held [e2 82] was an unfinished character (we closed our side before the rest)".to_string(),
                "sent end-of-stream to 127.0.0.1:1 (our side is closed)".to_string(),
                format!("sent 1 byte to   127.0.0.1:1: [c3] held ({CUT})"),
                "sent to   127.0.0.1:1: held [c3] was an unfinished character (the conversation ended before the rest)".to_string(),
            ]
        );
    }

    #[test]
    fn each_direction_keeps_its_own_held_bytes() {
        let lines = logged(|| {
            let tap = Tap::new(peer(), true);
            tap.received(b"\xc3");
            // What we send does not finish what we received.
            tap.sent(b"\xa9");
            tap.sent("é".as_bytes());
            tap.received(b"\xa9");
        });
        assert_eq!(
            lines,
            [
                format!("recv 1 byte from 127.0.0.1:1: [c3] held ({CUT})"),
                "sent 1 byte to   127.0.0.1:1: [a9]".to_string(),
                r#"sent 2 bytes to   127.0.0.1:1: "é""#.to_string(),
                r#"recv 1 byte from 127.0.0.1:1: "é" (its first byte, [c3], came in an earlier read)"#.to_string(),
            ]
        );
    }

    #[test]
    fn a_binary_tap_or_a_silent_one_holds_nothing() {
        let lines = logged(|| {
            let tap = Tap::binary(peer(), true, Way::In);
            tap.received(b"caf\xc3");
            tap.received(b"\xa9");
            let silent = Tap::new(peer(), false);
            silent.received(b"caf\xc3");
            assert_eq!(silent.held_in.lock().unwrap().len, 0);
            assert_eq!(silent.bytes_in(), 4);
        });
        assert_eq!(
            lines,
            [
                "recv 4 bytes from 127.0.0.1:1: [63 61 66 c3]",
                "recv 1 byte from 127.0.0.1:1: [a9]",
            ]
        );
    }

    #[test]
    fn a_datagram_tap_judges_each_datagram_alone() {
        let lines = logged(|| {
            let tap = Tap::datagrams(peer(), true, None);
            tap.received(b"caf\xc3");
            tap.received(b"\xa9!");
            tap.received("é".as_bytes());
        });
        assert_eq!(
            lines,
            [
                "recv a datagram of 4 bytes from 127.0.0.1:1: [63 61 66 c3]",
                "recv a datagram of 2 bytes from 127.0.0.1:1: [a9 21]",
                "recv a datagram of 2 bytes from 127.0.0.1:1: \"é\"",
            ]
        );
    }

    #[test]
    fn an_empty_datagram_is_shown_both_ways_an_empty_write_is_not() {
        let lines = logged(|| {
            // A time client's question: a datagram with no bytes, and the
            // datagram an echo server sends back.
            let udp = Tap::datagrams(peer(), true, None);
            udp.sent(b"");
            udp.received(b"");
            // On a stream an empty write puts nothing on the wire (and an
            // empty read is end-of-stream, reported on its own).
            let tcp = Tap::new(peer(), true);
            tcp.sent(b"");
            tcp.received(b"");
            // Without --trace, nothing at all.
            Tap::datagrams(peer(), false, None).sent(b"");
        });
        assert_eq!(
            lines,
            [
                "sent an empty datagram to   127.0.0.1:1",
                "recv an empty datagram from 127.0.0.1:1",
            ]
        );
    }

    #[test]
    fn a_long_chunk_keeps_its_characters_whole_on_each_line() {
        // Valid UTF-8 but not all printable (an escape sequence), so the
        // first line is hex; "é" straddles the 1,024-byte cut.
        let mut chunk = b"\x1b[1m".to_vec();
        chunk.extend(std::iter::repeat_n(b'a', LINE_BYTES - 5));
        chunk.extend("é".as_bytes());
        chunk.extend(std::iter::repeat_n(b'b', 100));
        let lines = logged(|| Tap::new(peer(), true).sent(&chunk));
        assert_eq!(lines.len(), 2);
        assert!(
            lines[0]
                .starts_with("sent 1125 bytes to   127.0.0.1:1 (bytes 1 to 1023): [1b 5b 31 6d 61")
        );
        assert!(lines[0].ends_with(" 61]"), "{}", lines[0]);
        assert_eq!(
            lines[1],
            format!(
                r#"sent 1125 bytes to   127.0.0.1:1 (bytes 1024 to 1125): "é{}""#,
                "b".repeat(100)
            )
        );
    }

    #[test]
    fn a_long_chunk_numbers_its_own_bytes_around_held_ones() {
        // c3 held from before; this chunk finishes "é", then 2,000 "a",
        // then starts a "€" (e2) it does not finish.
        let mut chunk = vec![0xa9];
        chunk.extend(std::iter::repeat_n(b'a', 2000));
        chunk.push(0xe2);
        let lines = logged(|| {
            let tap = Tap::new(peer(), true);
            tap.received(b"\xc3");
            tap.received(&chunk);
        });
        assert_eq!(
            lines[1..],
            [
                format!(
                    r#"recv 2002 bytes from 127.0.0.1:1 (bytes 1 to 1023): "é{}" (its first byte, [c3], came in an earlier read)"#,
                    "a".repeat(1022)
                ),
                format!(
                    r#"recv 2002 bytes from 127.0.0.1:1 (bytes 1024 to 2002): "{}" + [e2] held ({CUT})"#,
                    "a".repeat(978)
                ),
                "recv from 127.0.0.1:1: held [e2] was an unfinished character (the conversation ended before the rest)".to_string(),
            ]
        );
    }
}
