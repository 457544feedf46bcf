//! # Cutting a byte stream into lines
//!
//! TCP carries a *stream* of bytes, not messages: one `read` may return half a
//! line, or three lines and a half. Framing is the protocol's job, and chat/1
//! frames with line endings: a line ends at LF, and a CR just before the LF is
//! dropped, so `NICK alice\n` and `NICK alice\r\n` (telnet, Windows, `nc -C`)
//! mean the same.
//!
//! A line is limited to a maximum number of bytes, *not* counting its ending
//! (`LinesCodec` from tokio-util counts the CR, which would refuse a 1024-byte
//! line sent with CRLF). A longer line must not make the program store more
//! and more bytes while waiting for an LF that may never come: as soon as the
//! limit is passed, [`LineDecoder`] reports [`BadLine::TooLong`] once, throws
//! away what it has, and keeps throwing bytes away until the next LF. Memory
//! stays bounded by the limit, whatever the peer sends.
//!
//! On the server side the decoder also removes Telnet commands (the bytes
//! `telnet` sends on Ctrl-C, for example) before checking the UTF-8, and
//! collects the answers telnet waits for as soon as its requests arrive,
//! even before the line is complete: see [`telnet`] and
//! [`LineDecoder::strip_telnet`].
//!
//! Bad input is a *value* here (`Err(BadLine)` inside `Some`), not a decoder
//! error: a `Framed` stream ends after its decoder fails, and one bad line
//! must not end a conversation.

use bytes::{Buf, BytesMut};

use super::telnet;

/// A line that cannot be used, with the reason (the text after `ERR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadLine {
    /// Longer than the limit; it is discarded up to its LF.
    TooLong {
        /// The limit, in bytes, not counting the line ending.
        max: usize,
    },
    /// Not valid UTF-8 text.
    InvalidUtf8,
    /// The connection ended before the line's LF: the text that had come,
    /// which may be cut short. Only [`ClientCodec`](super::ClientCodec)
    /// says so: a server answers a client's last line without its LF (a
    /// file piped through `nc -N` may end so), but a client must not show
    /// half a message as if it were all of it.
    Unfinished(String),
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BadLine::TooLong { max } => write!(f, "line too long (at most {max} bytes): ignored"),
            BadLine::InvalidUtf8 => f.write_str("invalid UTF-8: lines must be UTF-8 text"),
            BadLine::Unfinished(_) => {
                f.write_str("the connection closed in the middle of a line (no LF at its end)")
            }
        }
    }
}

/// One decoded line: its text, or why it was refused.
pub type Line = Result<String, BadLine>;

/// Splits bytes into lines of at most `max` bytes (ending not counted).
#[derive(Debug, Clone)]
pub struct LineDecoder {
    max: usize,
    /// True after an over-long line was reported, until its LF is seen.
    discarding: bool,
    /// How many bytes of the buffer were already searched for an LF, so a
    /// line arriving byte by byte is not searched again from the start.
    searched: usize,
    /// Remove Telnet commands from each line (see [`LineDecoder::strip_telnet`]).
    telnet: bool,
    /// How many bytes of the line being received were already searched for
    /// Telnet option requests: each is answered once, as soon as it is
    /// complete (see [`telnet::refuse_requests`]).
    answered: usize,
    /// The answers owed to Telnet option requests, until taken (at most
    /// one line's worth: see [`LineDecoder::take_telnet_refusals`]).
    refusals: Vec<u8>,
}

impl LineDecoder {
    /// A decoder for lines of at most `max` bytes, not counting LF or CRLF.
    pub fn new(max: usize) -> LineDecoder {
        LineDecoder {
            max,
            discarding: false,
            searched: 0,
            telnet: false,
            answered: 0,
            refusals: Vec::new(),
        }
    }

    /// The same decoder, but removing Telnet commands (RFC 854) from each
    /// line before its UTF-8 is checked. For lines typed by people, who may
    /// use `telnet`: its Ctrl-C sends bytes that would otherwise spoil the
    /// next line. The limit still counts every byte that arrived.
    pub fn strip_telnet(mut self) -> LineDecoder {
        self.telnet = true;
        self
    }

    /// The answers owed to the Telnet option requests received so far
    /// (`IAC WONT x` for `IAC DO x`…), to be sent to the client; `None` when
    /// there are none.
    ///
    /// A request is answered as soon as its bytes have arrived, whether or
    /// not its line is complete: take them after every `decode`, even one
    /// that gives no line (telnet, after its Ctrl-C, throws away what it is
    /// sent until its request is answered, and no LF follows the Ctrl-C).
    /// Each request is answered once; only those within the first `max`
    /// bytes of a line are (with a line's own refusals taken after it, they
    /// stay within that line's length).
    pub fn take_telnet_refusals(&mut self) -> Option<Vec<u8>> {
        (!self.refusals.is_empty()).then(|| std::mem::take(&mut self.refusals))
    }

    /// The limit, in bytes.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes the next complete line out of `buf`, if there is one.
    ///
    /// Returns `None` when more bytes are needed. An over-long line gives
    /// `Some(Err(BadLine::TooLong))` once; its remaining bytes are dropped
    /// as they arrive.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Option<Line> {
        if self.discarding {
            match buf.iter().position(|&b| b == b'\n') {
                Some(lf) => {
                    buf.advance(lf + 1);
                    self.discarding = false;
                    self.answered = 0;
                }
                None => {
                    buf.clear();
                    return None;
                }
            }
        }
        let from = self.searched.min(buf.len());
        match buf[from..].iter().position(|&b| b == b'\n') {
            Some(offset) => {
                let lf = from + offset;
                // The line's text ends before its CR, if any, and its LF.
                let end = if lf > 0 && buf[lf - 1] == b'\r' {
                    lf - 1
                } else {
                    lf
                };
                self.answer_requests(&buf[..end.min(self.max)]);
                let mut line = buf.split_to(lf + 1);
                self.searched = 0;
                self.answered = 0;
                line.truncate(lf);
                Some(self.finish(line))
            }
            None => {
                // Without its ending a line may hold max bytes, plus a CR
                // whose LF has not arrived yet.
                // Saturating: a limit of usize::MAX means "no limit", not an overflow.
                let room = self.max.saturating_add(1);
                let too_long =
                    buf.len() > room || (buf.len() == room && buf.last() != Some(&b'\r'));
                if too_long {
                    // Answered up to the limit, however TCP cut the bytes.
                    self.answer_requests(&buf[..self.max]);
                    buf.clear();
                    self.searched = 0;
                    self.answered = 0;
                    self.discarding = true;
                    Some(Err(BadLine::TooLong { max: self.max }))
                } else {
                    self.searched = buf.len();
                    // No line yet, but telnet may be waiting for an answer
                    // (its Ctrl-C has no LF). A last CR may be the start of
                    // the line's CRLF ending, not an option: it waits.
                    let end = buf.len() - usize::from(buf.last() == Some(&b'\r'));
                    self.answer_requests(&buf[..end]);
                    None
                }
            }
        }
    }

    /// At end of stream: the last line, even without its LF.
    pub fn decode_eof(&mut self, buf: &mut BytesMut) -> Option<Line> {
        if let Some(line) = self.decode(buf) {
            return Some(line);
        }
        self.searched = 0;
        self.answered = 0;
        if self.discarding || buf.is_empty() {
            buf.clear();
            self.discarding = false;
            return None;
        }
        let line = buf.split();
        Some(self.finish(line))
    }

    /// Collects the refusals owed to the option requests in `text` (the
    /// line received so far, without its ending) that were not answered
    /// yet, when Telnet commands are handled at all.
    fn answer_requests(&mut self, text: &[u8]) {
        if self.telnet {
            let from = self.answered.min(text.len());
            self.answered = telnet::refuse_requests(text, from, &mut self.refusals);
        }
    }

    /// Drops the CR, checks the length, removes Telnet commands (when
    /// asked to: their requests were answered as they arrived) and checks
    /// the UTF-8.
    fn finish(&mut self, mut line: BytesMut) -> Line {
        if line.last() == Some(&b'\r') {
            line.truncate(line.len() - 1);
        }
        if line.len() > self.max {
            return Err(BadLine::TooLong { max: self.max });
        }
        let mut bytes = line.to_vec();
        if self.telnet {
            // The line is already cut to at most `max` bytes: removing
            // commands can only make it shorter, never make us store more.
            telnet::remove_commands(&mut bytes);
        }
        String::from_utf8(bytes).map_err(|_| BadLine::InvalidUtf8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_limit_does_not_overflow() {
        let mut decoder = LineDecoder::new(usize::MAX);
        let mut buf = BytesMut::from(&b"no limit\npartial"[..]);
        assert_eq!(decoder.decode(&mut buf), Some(Ok("no limit".to_string())));
        assert_eq!(decoder.decode(&mut buf), None);
    }

    /// Feeds `chunks` one after the other, collecting every line decoded,
    /// then the end of stream.
    fn feed(max: usize, chunks: &[&[u8]]) -> Vec<Line> {
        let mut decoder = LineDecoder::new(max);
        let mut buf = BytesMut::new();
        let mut lines = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(line) = decoder.decode(&mut buf) {
                lines.push(line);
            }
            assert!(
                buf.len() <= max + 1,
                "memory stays bounded: {} bytes buffered",
                buf.len()
            );
        }
        while let Some(line) = decoder.decode_eof(&mut buf) {
            lines.push(line);
        }
        lines
    }

    fn ok(s: &str) -> Line {
        Ok(s.to_string())
    }

    #[test]
    fn lf_and_crlf_endings() {
        assert_eq!(
            feed(1024, &[b"a\nb\r\nc\n"]),
            vec![ok("a"), ok("b"), ok("c")]
        );
    }

    #[test]
    fn only_a_cr_just_before_the_lf_is_dropped() {
        assert_eq!(feed(1024, &[b"a\rb\n\r\r\n"]), vec![ok("a\rb"), ok("\r")]);
    }

    #[test]
    fn empty_lines_are_lines() {
        assert_eq!(feed(1024, &[b"\n\r\n"]), vec![ok(""), ok("")]);
    }

    #[test]
    fn bytes_arriving_one_by_one() {
        let data = b"NICK alice\r\nMSG hi\n";
        let chunks: Vec<&[u8]> = data.chunks(1).collect();
        assert_eq!(feed(1024, &chunks), vec![ok("NICK alice"), ok("MSG hi")]);
    }

    #[test]
    fn cr_and_lf_in_different_reads() {
        assert_eq!(
            feed(4, &[b"abcd\r", b"\n", b"e\n"]),
            vec![ok("abcd"), ok("e")]
        );
    }

    #[test]
    fn a_utf8_character_split_across_reads() {
        let data = "café\n".as_bytes();
        assert_eq!(feed(1024, &[&data[..4], &data[4..]]), vec![ok("café")]);
    }

    #[test]
    fn exactly_the_limit_is_accepted_with_either_ending() {
        let line = "x".repeat(1024);
        assert_eq!(
            feed(1024, &[format!("{line}\n").as_bytes()]),
            vec![ok(&line)]
        );
        assert_eq!(
            feed(1024, &[format!("{line}\r\n").as_bytes()]),
            vec![ok(&line)]
        );
        // Even when the CR arrives alone, before its LF.
        assert_eq!(
            feed(1024, &[line.as_bytes(), b"\r", b"\n"]),
            vec![ok(&line)]
        );
    }

    #[test]
    fn one_byte_over_is_refused_and_the_next_line_is_read() {
        let line = "x".repeat(1025);
        let too_long = Err(BadLine::TooLong { max: 1024 });
        assert_eq!(
            feed(1024, &[format!("{line}\nPING\n").as_bytes()]),
            vec![too_long.clone(), ok("PING")]
        );
        assert_eq!(
            feed(1024, &[format!("{line}\r\nPING\r\n").as_bytes()]),
            vec![too_long, ok("PING")]
        );
    }

    #[test]
    fn a_huge_line_in_pieces_is_reported_once_and_discarded() {
        let piece = [b'y'; 500];
        let mut chunks: Vec<&[u8]> = vec![&piece; 100]; // 50 000 bytes, no LF
        chunks.push(b"still the same line\nLIST\n");
        let lines = feed(1024, &chunks);
        assert_eq!(lines, vec![Err(BadLine::TooLong { max: 1024 }), ok("LIST")]);
    }

    #[test]
    fn a_long_line_then_a_cr_that_is_not_followed_by_lf() {
        let mut data = vec![b'z'; 8];
        data.push(b'\r');
        data.push(b'q');
        data.extend_from_slice(b"\nok\n");
        assert_eq!(
            feed(8, &[&data]),
            vec![Err(BadLine::TooLong { max: 8 }), ok("ok")]
        );
    }

    #[test]
    fn invalid_utf8_is_a_bad_line_not_the_end() {
        assert_eq!(
            feed(1024, &[b"MSG \xff\xfe\nPING\n"]),
            vec![Err(BadLine::InvalidUtf8), ok("PING")]
        );
    }

    /// Like [`feed`], with a decoder that removes Telnet commands.
    fn feed_telnet(max: usize, chunks: &[&[u8]]) -> Vec<Line> {
        let mut decoder = LineDecoder::new(max).strip_telnet();
        let mut buf = BytesMut::new();
        let mut lines = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(line) = decoder.decode(&mut buf) {
                lines.push(line);
            }
            assert!(buf.len() <= max + 1, "{} bytes buffered", buf.len());
        }
        while let Some(line) = decoder.decode_eof(&mut buf) {
            lines.push(line);
        }
        lines
    }

    #[test]
    fn telnet_ctrl_c_does_not_spoil_the_next_line() {
        // IAC IP IAC DO TIMING-MARK, then the line typed after Ctrl-C.
        let data = b"\xff\xf4\xff\xfd\x06MSG hi\r\n";
        assert_eq!(feed_telnet(1024, &[data]), vec![ok("MSG hi")]);
        // Even when the command arrives one byte at a time.
        let chunks: Vec<&[u8]> = data.chunks(1).collect();
        assert_eq!(feed_telnet(1024, &chunks), vec![ok("MSG hi")]);
        // Without strip_telnet (the client side) the bytes stay, and the
        // line is not UTF-8.
        assert_eq!(feed(1024, &[data]), vec![Err(BadLine::InvalidUtf8)]);
    }

    /// Feeds `chunks` to a Telnet-aware decoder as a server does, taking
    /// the refusals after each read, line or no line: what it would send
    /// after each read.
    fn refusals_per_read(chunks: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut decoder = LineDecoder::new(1024).strip_telnet();
        let mut buf = BytesMut::new();
        let mut sent = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while decoder.decode(&mut buf).is_some() {}
            sent.push(decoder.take_telnet_refusals().unwrap_or_default());
        }
        sent
    }

    const WONT_TIMING_MARK: &[u8] = b"\xff\xfc\x06";

    #[test]
    fn telnet_ctrl_c_is_answered_before_any_lf() {
        // telnet sends its Ctrl-C, then waits for the answer, discarding
        // everything else it receives: no LF comes until the user types.
        assert_eq!(
            refusals_per_read(&[b"NICK tel\r\n", b"\xff\xf4\xff\xfd\x06"]),
            [b"".to_vec(), WONT_TIMING_MARK.to_vec()]
        );
    }

    #[test]
    fn a_telnet_request_cut_between_reads_is_answered_once_complete() {
        let sent = refusals_per_read(&[b"\xff\xf4\xff", b"\xfd", b"\x06", b"MSG hi", b"\r\n"]);
        assert_eq!(sent, [b"", b"", WONT_TIMING_MARK, b"", b""]);
    }

    #[test]
    fn a_telnet_request_is_answered_once_even_when_its_line_ends_later() {
        // Answered on arrival; the end of its line, later, gives no second
        // answer. A second Ctrl-C in the middle of the line gets its own.
        let sent = refusals_per_read(&[
            b"\xff\xf4\xff\xfd\x06",
            b"MS",
            b"\xff\xf4\xff\xfd\x06",
            b"G hi\r\nPING\r\n",
        ]);
        assert_eq!(sent, [WONT_TIMING_MARK, b"", WONT_TIMING_MARK, b""]);
    }

    #[test]
    fn what_only_looks_like_a_request_is_not_answered() {
        // IAC IAC is a data byte 0xFF: the fd 06 after it are no request,
        // even when the IAC IAC came in an earlier read. A request inside a
        // subnegotiation is its data. A CR that may start the line's CRLF
        // is no option until the next byte says so.
        let sent = refusals_per_read(&[
            b"\xff\xff",
            b"\xfd\x06",
            b"\xff\xfa\x18\xff\xfd",
            b"\x06\xff\xf0",
            b"\xff\xfd\r",
            b"\n",
        ]);
        assert_eq!(sent, [b""; 6]);
        // The same CR followed by more than an LF is the option.
        let sent = refusals_per_read(&[b"\xff\xfd\r", b"x\n"]);
        assert_eq!(sent, [b"".to_vec(), b"\xff\xfc\r".to_vec()]);
    }

    #[test]
    fn telnet_commands_count_towards_the_limit() {
        // 4 bytes of text + 3 of IAC DO x = 7 bytes on the wire: over 6.
        assert_eq!(
            feed_telnet(6, &[b"\xff\xfd\x01abcd\nok\n"]),
            vec![Err(BadLine::TooLong { max: 6 }), ok("ok")]
        );
        // A subnegotiation that never ends is cut with its line.
        let mut data = b"\xff\xfa\x18".to_vec();
        data.extend_from_slice(&[b'x'; 5000]);
        data.extend_from_slice(b"\nPING\n");
        assert_eq!(
            feed_telnet(1024, &[&data]),
            vec![Err(BadLine::TooLong { max: 1024 }), ok("PING")]
        );
    }

    #[test]
    fn telnet_stripping_leaves_other_bad_utf8_refused() {
        assert_eq!(
            feed_telnet(1024, &[b"\xff\xf1MSG \xc3\x28\n"]),
            vec![Err(BadLine::InvalidUtf8)]
        );
    }

    #[test]
    fn the_last_line_without_lf_is_kept_at_end_of_stream() {
        assert_eq!(feed(1024, &[b"a\nQUIT"]), vec![ok("a"), ok("QUIT")]);
        assert_eq!(feed(1024, &[b"QUIT\r"]), vec![ok("QUIT")]);
    }

    #[test]
    fn an_unfinished_long_line_at_end_of_stream_is_reported_once() {
        let data = vec![b'w'; 3000];
        assert_eq!(
            feed(1024, &[&data]),
            vec![Err(BadLine::TooLong { max: 1024 })]
        );
    }
}
