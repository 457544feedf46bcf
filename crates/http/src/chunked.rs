//! # Chunked bodies, without sockets
//!
//! A server that does not know a body's length in advance (a page generated
//! on the fly) can send it in *chunks*, each preceded by its size in
//! hexadecimal, and end with a chunk of size 0 (RFC 9112 §7.1):
//!
//! ```text
//! 5\r\n        ← 5 bytes follow
//! hello\r\n
//! 7\r\n
//! , world\r\n
//! 0\r\n        ← the end (optional trailer headers may follow)
//! \r\n
//! ```
//!
//! [`ChunkedDecoder`] takes the bytes as they arrive, in pieces of any size,
//! and gives back the body without the framing. Its memory use does not
//! depend on the body's size: each size line and trailer is bounded.
//!
//! Every line of the framing must end with CR LF: size lines, the end of
//! each chunk's data, trailer lines, and the empty line that ends the body.
//! RFC 9112 §2.2 lets a recipient also take a single LF as a line end, a
//! leniency this crate keeps for request and response *heads* (so a
//! request typed with `nc`, which sends LF alone, is understood) but not
//! here, in the body: two programs that disagree on where a chunked body
//! ends disagree on where the next request starts — the way "request
//! smuggling" attacks slip a request past a proxy — and a bare LF in
//! framing is a sender's bug that `protocol-check` must be able to see.
//! One rule for every framing line, in the server (request bodies) and in
//! the client (response bodies), which both use this decoder.

use std::fmt;

/// Longest chunk-size line accepted (size, optional extensions, CRLF).
const MAX_SIZE_LINE: usize = 1024;
/// Largest total size of trailer lines accepted.
const MAX_TRAILERS: usize = 8 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Waiting for a `size[;extensions]\r\n` line.
    Size,
    /// Inside a chunk, with this many bytes left.
    Data(u64),
    /// After a chunk's data: its closing CRLF.
    DataEnd,
    /// After the last (size 0) chunk: trailer lines until an empty line.
    Trailer(usize),
    /// The body is complete.
    Done,
}

/// Removes chunked framing from a body received piece by piece.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder::new()
    }
}

impl ChunkedDecoder {
    /// A decoder at the start of a body.
    pub fn new() -> ChunkedDecoder {
        ChunkedDecoder { state: State::Size }
    }

    /// True once the final chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// True once the last chunk (size 0) has been read, while the trailer
    /// lines and the empty line that ends the body have not all come: a
    /// body cut here lacks only its end, not data.
    pub fn in_trailers(&self) -> bool {
        matches!(self.state, State::Trailer(_))
    }

    /// Decodes as much of `input` as possible, appending body bytes to `out`.
    /// Returns how many input bytes were used: keep the rest, add newly
    /// received bytes after it, and call again.
    pub fn decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, String> {
        self.try_decode(input, out).map_err(|e| e.to_string())
    }

    /// [`ChunkedDecoder::decode`], with the reason of a refusal as a
    /// [`ChunkedError`], for a caller that explains it in its own words
    /// (protocol-check, in French and in English).
    pub fn try_decode(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<usize, ChunkedError> {
        let mut used = 0;
        loop {
            let rest = &input[used..];
            match self.state {
                State::Done => return Ok(used),
                State::Size => match httparse::parse_chunk_size(rest) {
                    // Too long even if complete: otherwise the bound would
                    // depend on how the bytes happened to arrive.
                    Ok(httparse::Status::Complete((len, _))) if len > MAX_SIZE_LINE => {
                        return Err(ChunkedError::SizeLineTooLong);
                    }
                    Ok(httparse::Status::Complete((len, size))) => {
                        used += len;
                        self.state = if size == 0 {
                            State::Trailer(0)
                        } else {
                            State::Data(size)
                        };
                    }
                    Ok(httparse::Status::Partial) if rest.len() > MAX_SIZE_LINE => {
                        return Err(ChunkedError::SizeLineTooLong);
                    }
                    Ok(httparse::Status::Partial) => return Ok(used),
                    Err(_) => return Err(bad_size_line(rest)),
                },
                State::Data(left) => {
                    if rest.is_empty() {
                        return Ok(used);
                    }
                    let take = rest.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    out.extend_from_slice(&rest[..take]);
                    used += take;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                }
                State::DataEnd => {
                    if rest.len() < 2 {
                        return Ok(used);
                    }
                    if &rest[..2] != b"\r\n" {
                        return Err(if bare_lf_then_size(rest) {
                            ChunkedError::BareLfAfterChunk
                        } else {
                            ChunkedError::ChunkTooLong
                        });
                    }
                    used += 2;
                    self.state = State::Size;
                }
                State::Trailer(seen) => {
                    let Some(end) = rest.iter().position(|&b| b == b'\n') else {
                        if seen + rest.len() > MAX_TRAILERS {
                            return Err(ChunkedError::TrailersTooLarge);
                        }
                        return Ok(used);
                    };
                    let line = &rest[..=end];
                    // The same rule as for size lines: CR LF, not LF alone.
                    if !line.ends_with(b"\r\n") {
                        return Err(ChunkedError::BareLfInTrailers);
                    }
                    used += line.len();
                    self.state = if line == b"\r\n" {
                        State::Done
                    } else if seen + line.len() > MAX_TRAILERS {
                        return Err(ChunkedError::TrailersTooLarge);
                    } else {
                        State::Trailer(seen + line.len())
                    };
                }
            }
        }
    }
}

/// Why a chunked body was refused. Shown (`Display`), it is the sentence
/// [`ChunkedDecoder::decode`] gives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkedError {
    /// A chunk-size line is not a size in hexadecimal, maybe `;extensions`,
    /// then CR LF.
    BadSizeLine {
        /// The line, as far as it came (at most 40 bytes).
        line: Vec<u8>,
        /// What is wrong with it, in words.
        why: String,
    },
    /// A chunk-size line is longer than the decoder reads.
    SizeLineTooLong,
    /// A chunk's data is not followed by CR LF: the chunk is longer than
    /// its announced size.
    ChunkTooLong,
    /// A chunk's data is followed by LF alone, then the next size line:
    /// the size was right, the line end after the data is not CR LF.
    BareLfAfterChunk,
    /// The trailer lines after the last chunk are too large.
    TrailersTooLarge,
    /// A line after the last chunk (a trailer, or the empty line that ends
    /// the body) ends with LF alone, where chunked needs CR LF.
    BareLfInTrailers,
}

impl fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChunkedError::BadSizeLine { why, .. } => why,
            ChunkedError::SizeLineTooLong => "a chunk-size line is too long",
            ChunkedError::ChunkTooLong => "a chunk is longer than its announced size",
            ChunkedError::BareLfAfterChunk => {
                "a chunk's data is followed by LF alone, where chunked needs CR LF"
            }
            ChunkedError::TrailersTooLarge => "the trailers of a chunked body are too large",
            ChunkedError::BareLfInTrailers => {
                "a line after the last chunk (a trailer, or the empty line that ends the body) \
                 ends with LF alone, where chunked needs CR LF"
            }
        })
    }
}

/// What follows a chunk's data (`rest`, not CR LF) is LF alone, then what
/// can only be the next size line: hexadecimal digits, up to a line end or
/// `;`, or up to the end of what came so far. A chunk whose size is too
/// small is told apart: its extra bytes are data, so a line break in the
/// text, if any, is followed by more text (or CR LF), not by a size.
fn bare_lf_then_size(rest: &[u8]) -> bool {
    let Some(after) = rest.strip_prefix(b"\n") else {
        return false;
    };
    let digits = after.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    digits > 0 && matches!(after.get(digits), None | Some(b'\r' | b'\n' | b';'))
}

/// Why a chunk-size line (at the start of `rest`) was refused, in words.
fn bad_size_line(rest: &[u8]) -> ChunkedError {
    let line_end = rest.iter().position(|&b| b == b'\n');
    let line = &rest[..line_end.map_or(rest.len(), |end| end + 1).min(40)];
    let digits = rest.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let why = if digits == 0 {
        format!(
            "a chunk must start with its size in hexadecimal (e.g. 1a), not {}",
            netkit::trace::show_bytes(line)
        )
    } else if digits > 16 {
        "a chunk size may have at most 16 hexadecimal digits (leading zeros count): \
         more may not fit in 64 bits"
            .into()
    } else if line_end.is_some_and(|end| end == 0 || rest[end - 1] != b'\r') {
        // RFC 9112 §7.1: every line of the framing ends with CR LF.
        "a chunk-size line must end with CR LF (\\r\\n), not with a bare LF (\\n)".into()
    } else {
        format!(
            "the chunk-size line {} is not a size in hexadecimal, maybe ;extensions, then CR LF",
            netkit::trace::show_bytes(line)
        )
    };
    ChunkedError::BadSizeLine {
        line: line.to_vec(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";

    #[test]
    fn decodes_a_whole_body_and_stops_at_its_end() {
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        let used = d.decode(BODY, &mut out).unwrap();
        assert_eq!(out, b"hello, world");
        assert!(d.is_done());
        assert_eq!(
            &BODY[used..],
            b"NEXT",
            "bytes after the body are left alone"
        );
    }

    #[test]
    fn decodes_byte_by_byte() {
        let mut d = ChunkedDecoder::new();
        let mut out = Vec::new();
        let mut pending = Vec::new();
        for &b in &BODY[..BODY.len() - 4] {
            pending.push(b);
            let used = d.decode(&pending, &mut out).unwrap();
            pending.drain(..used);
        }
        assert!(d.is_done());
        assert!(pending.is_empty());
        assert_eq!(out, b"hello, world");
    }

    /// Each way a size line can be wrong is named: "invalid chunk size"
    /// alone left a student looking at a size that was fine.
    #[test]
    fn a_bad_size_line_is_explained() {
        let why = |input: &[u8]| {
            ChunkedDecoder::new()
                .decode(input, &mut Vec::new())
                .unwrap_err()
        };
        for (input, expected) in [
            (&b"2\nhi\n0\n\n"[..], "must end with CR LF"),
            (b"zz\r\n", "size in hexadecimal"),
            (b"-2\r\nhi", "size in hexadecimal"),
            (b" 2\r\nhi", "size in hexadecimal"),
            (
                b"fffffffffffffffffffff\r\n",
                "at most 16 hexadecimal digits",
            ),
            (b"2x\r\nhi", "\"2x\\r\\n\""),
        ] {
            let why = why(input);
            assert!(why.contains(expected), "{input:?}: {why}");
        }
    }

    #[test]
    fn bad_framing_is_an_error() {
        let mut out = Vec::new();
        assert!(ChunkedDecoder::new().decode(b"zz\r\n", &mut out).is_err());
        // Cut after the last chunk: only the end is missing.
        let mut cut = ChunkedDecoder::new();
        assert_eq!(cut.try_decode(b"2\r\nhi\r\n0\r\n", &mut out), Ok(10));
        assert!(cut.in_trailers() && !cut.is_done());
        assert!(!ChunkedDecoder::new().in_trailers());
        // The same refusals, as values, for callers with their own words.
        assert_eq!(
            ChunkedDecoder::new().try_decode(b"2\r\nabc\r\n", &mut out),
            Err(ChunkedError::ChunkTooLong)
        );
        // LF alone after a chunk's data, then the next size line: the size
        // was right, the line end is not ("\n" where "\r\n" belongs).
        for bare in [
            &b"5\r\nhello\n0\r\n\r\n"[..],
            b"5\r\nhello\n1a\n",
            b"5\r\nhello\n0",
        ] {
            assert_eq!(
                ChunkedDecoder::new().try_decode(bare, &mut out),
                Err(ChunkedError::BareLfAfterChunk),
                "{bare:?}"
            );
        }
        // A size one too small, with a line break in the text: the byte
        // after the announced size is "\n", but no size line follows it.
        assert_eq!(
            ChunkedDecoder::new().try_decode(b"5\r\nHello\n\r\n0\r\n\r\n", &mut out),
            Err(ChunkedError::ChunkTooLong)
        );
        // After the last chunk, the same rule: every line ends with CR LF,
        // a trailer line as the empty line that ends the body.
        for bare in [
            &b"0\r\n\n"[..],
            b"0\r\nX-T: 1\n\r\n",
            b"0\r\nX-T: 1\r\n\n",
            b"2\r\nhi\r\n0\r\n\n",
        ] {
            assert_eq!(
                ChunkedDecoder::new().try_decode(bare, &mut out),
                Err(ChunkedError::BareLfInTrailers),
                "{bare:?}"
            );
        }
        let Err(ChunkedError::BadSizeLine { line, why }) =
            ChunkedDecoder::new().try_decode(b"2x\r\nhi", &mut out)
        else {
            panic!("a bad size line");
        };
        assert_eq!(line, b"2x\r\n");
        assert!(why.contains("not a size in hexadecimal"), "{why}");
        assert!(
            ChunkedDecoder::new()
                .decode(b"2\r\nabc\r\n", &mut out)
                .is_err()
        );
        let endless = vec![b'1'; MAX_SIZE_LINE + 10];
        assert!(ChunkedDecoder::new().decode(&endless, &mut out).is_err());
        // A size line is bounded even when it arrives whole, at once.
        let mut long = b"1;".to_vec();
        long.resize(MAX_SIZE_LINE - 2, b'e');
        long.extend(b"\r\n");
        assert!(ChunkedDecoder::new().decode(&long, &mut out).is_ok());
        long.insert(2, b'e');
        assert!(ChunkedDecoder::new().decode(&long, &mut out).is_err());
    }
}
