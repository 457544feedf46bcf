//! # The tokio-util codecs: one for each side of the connection
//!
//! A `tokio_util::codec::Framed` (or `FramedRead`) calls a
//! [`Decoder`] each time bytes arrive, and gets whole messages back.
//!
//! - [`ServerCodec`] is the server's view: it decodes client lines into
//!   [`Command`]s and encodes [`Reply`]s.
//! - [`ClientCodec`] is the client's view: it decodes server lines (kept as
//!   text, so `chat-client --raw` can show them unchanged; parse them with
//!   [`Reply::parse`]) and encodes [`Command`]s.
//!
//! A bad line is an *item* (`Err(BadCommand)` / `Err(BadLine)`), never a
//! decoder error: a decoder error would end the stream, and the protocol says
//! the connection stays open. The decoder's own error type, `io::Error`, only
//! carries real I/O failures.

use std::io;

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use super::command::{Command, Parsed};
use super::line::{BadLine, Line, LineDecoder};
use super::reply::Reply;
use super::{MAX_LINE, MAX_SERVER_LINE};

/// The server side: client lines in, server lines out.
#[derive(Debug, Clone)]
pub struct ServerCodec {
    lines: LineDecoder,
}

impl ServerCodec {
    /// A codec with chat/1's limit of [`MAX_LINE`] bytes per line.
    ///
    /// Telnet commands are removed from client lines: people type chat/1 in
    /// `telnet`, whose Ctrl-C would otherwise spoil their next line (see
    /// [`telnet`](super::telnet)). Server lines never contain any, so the
    /// client side does not need this.
    pub fn new() -> ServerCodec {
        ServerCodec {
            lines: LineDecoder::new(MAX_LINE).strip_telnet(),
        }
    }

    /// What the server owes telnet for the bytes received so far, whether
    /// their line is complete or not: `IAC WONT x` for each `IAC DO x`,
    /// `IAC DONT x` for each `IAC WILL x`. telnet waits for it: after its
    /// Ctrl-C, it throws away everything the server sends until the answer
    /// comes. `None` when nothing is owed.
    pub fn take_telnet_refusals(&mut self) -> Option<Vec<u8>> {
        self.lines.take_telnet_refusals()
    }
}

impl Default for ServerCodec {
    fn default() -> ServerCodec {
        ServerCodec::new()
    }
}

impl Decoder for ServerCodec {
    type Item = Parsed;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Option<Parsed>> {
        Ok(self.lines.decode(buf).map(parse_line))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> io::Result<Option<Parsed>> {
        Ok(self.lines.decode_eof(buf).map(parse_line))
    }
}

fn parse_line(line: Line) -> Parsed {
    Command::parse(&line?)
}

impl Encoder<&Reply> for ServerCodec {
    type Error = io::Error;

    fn encode(&mut self, reply: &Reply, dst: &mut BytesMut) -> io::Result<()> {
        dst.extend_from_slice(reply.to_line().as_bytes());
        dst.extend_from_slice(b"\n");
        Ok(())
    }
}

/// The client side: server lines in (as text), commands out.
#[derive(Debug, Clone)]
pub struct ClientCodec {
    lines: LineDecoder,
}

impl ClientCodec {
    /// A codec accepting server lines of up to [`MAX_SERVER_LINE`] bytes.
    pub fn new() -> ClientCodec {
        ClientCodec {
            lines: LineDecoder::new(MAX_SERVER_LINE),
        }
    }
}

impl Default for ClientCodec {
    fn default() -> ClientCodec {
        ClientCodec::new()
    }
}

impl Decoder for ClientCodec {
    type Item = Line;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Option<Line>> {
        Ok(self.lines.decode(buf))
    }

    /// At the end of the connection, what is left of a line without its
    /// LF comes as [`BadLine::Unfinished`]: a message cut short by the
    /// close must not be shown as if it were whole (nor a last `BYE` a
    /// server forgot to end taken for one). The close may also cut a
    /// character in two: such a line is unfinished too (its text up to
    /// that character), not invalid UTF-8.
    fn decode_eof(&mut self, buf: &mut BytesMut) -> io::Result<Option<Line>> {
        if let Some(line) = self.lines.decode(buf) {
            return Ok(Some(line));
        }
        // No LF in what is left (nothing, if an over-long line was being
        // dropped): valid text, then at most the start of one character?
        let before_cut_char = match std::str::from_utf8(buf) {
            Err(e) if e.error_len().is_none() => {
                Some(String::from_utf8_lossy(&buf[..e.valid_up_to()]).into_owned())
            }
            _ => None,
        };
        Ok(self
            .lines
            .decode_eof(buf)
            .map(|last| match (last, before_cut_char) {
                (Ok(text), _) | (Err(BadLine::InvalidUtf8), Some(text)) => {
                    Err(BadLine::Unfinished(text))
                }
                (invalid, _) => invalid,
            }))
    }
}

impl Encoder<&Command> for ClientCodec {
    type Error = io::Error;

    fn encode(&mut self, command: &Command, dst: &mut BytesMut) -> io::Result<()> {
        dst.extend_from_slice(command.to_line().as_bytes());
        dst.extend_from_slice(b"\n");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{BadCommand, BadLine, MAX_ROOM};
    use super::*;

    fn decode_all(chunks: &[&[u8]]) -> Vec<Parsed> {
        let mut codec = ServerCodec::new();
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(item) = codec.decode(&mut buf).unwrap() {
                out.push(item);
            }
        }
        while let Some(item) = codec.decode_eof(&mut buf).unwrap() {
            out.push(item);
        }
        out
    }

    #[test]
    fn a_session_in_awkward_pieces() {
        let session =
            b"nick alice\r\nMSG hello  world\r\nPRIV bob hi\nLIST\r\nPING 1\nHELP\nQUIT bye\r\n";
        let expected = vec![
            Ok(Command::Nick("alice".into())),
            Ok(Command::Msg("hello  world".into())),
            Ok(Command::Priv {
                to: "bob".into(),
                text: "hi".into(),
            }),
            Ok(Command::List),
            Ok(Command::Ping(Some("1".into()))),
            Ok(Command::Help),
            Ok(Command::Quit(Some("bye".into()))),
        ];
        for size in [1, 2, 3, 5, 7, 13, session.len()] {
            let chunks: Vec<&[u8]> = session.chunks(size).collect();
            assert_eq!(decode_all(&chunks), expected, "chunks of {size}");
        }
    }

    #[test]
    fn bad_lines_are_items_and_decoding_goes_on() {
        let mut data = Vec::new();
        data.extend_from_slice(b"FOO\n");
        data.extend_from_slice(b"MSG \xc3\x28\n");
        data.extend_from_slice(&[b'a'; 1025]);
        data.extend_from_slice(b"\r\n");
        data.extend_from_slice(b"MSG\n");
        data.extend_from_slice(b"PING\n");
        let got = decode_all(&[&data]);
        assert_eq!(
            got,
            vec![
                Err(BadCommand::UnknownVerb("FOO".into())),
                Err(BadCommand::Line(BadLine::InvalidUtf8)),
                Err(BadCommand::Line(BadLine::TooLong { max: 1024 })),
                Err(BadCommand::MissingArgument {
                    verb: "MSG",
                    what: "a text: MSG <text>"
                }),
                Ok(Command::Ping(None)),
            ]
        );
    }

    #[test]
    fn telnet_commands_before_a_command_are_ignored() {
        // Ctrl-C in telnet: IAC IP IAC DO TIMING-MARK, then the next line.
        assert_eq!(
            decode_all(&[b"\xff\xf4\xff\xfd\x06MSG hi\r\n"]),
            vec![Ok(Command::Msg("hi".into()))]
        );
        // A line holding nothing but Telnet commands is an empty line.
        assert_eq!(
            decode_all(&[b"\xff\xf6\r\nPING\n"]),
            vec![Err(BadCommand::EmptyLine), Ok(Command::Ping(None))]
        );
    }

    #[test]
    fn a_msg_line_of_exactly_1024_bytes_is_accepted() {
        let text = "é".repeat(510); // 1020 bytes
        let line = format!("MSG {text}\r\n");
        assert_eq!(line.len(), 1024 + 2);
        assert_eq!(
            decode_all(&[line.as_bytes()]),
            vec![Ok(Command::Msg(text.clone()))]
        );
        let longer = format!("MSG {text}x\n");
        assert_eq!(
            decode_all(&[longer.as_bytes(), b"LIST\n"]),
            vec![
                Err(BadCommand::Line(BadLine::TooLong { max: 1024 })),
                Ok(Command::List)
            ]
        );
    }

    #[test]
    fn random_bytes_in_random_pieces_never_panic_nor_grow_the_buffer() {
        // A small deterministic generator (xorshift): no extra dependency,
        // the same "random" input on every run.
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut codec = ServerCodec::new();
        let mut buf = BytesMut::new();
        let mut items = 0;
        for _ in 0..2_000 {
            let len = (next() % 700) as usize;
            for _ in 0..len {
                let byte = match next() % 10 {
                    0 => b'\n',
                    1 => b'\r',
                    2 => b' ',
                    _ => (next() % 256) as u8,
                };
                buf.extend_from_slice(&[byte]);
            }
            while let Some(item) = codec.decode(&mut buf).unwrap() {
                items += 1;
                if let Ok(command) = item {
                    assert!(command.to_line().len() <= MAX_LINE);
                }
            }
            assert!(buf.len() <= MAX_LINE + 1, "{} bytes buffered", buf.len());
        }
        assert!(items > 1000, "lines were found: {items}");
    }

    #[test]
    fn encoders_write_one_lf_terminated_line() {
        let mut buf = BytesMut::new();
        ServerCodec::new()
            .encode(&Reply::Join("bob".into()), &mut buf)
            .unwrap();
        ClientCodec::new()
            .encode(&Command::Msg("hi".into()), &mut buf)
            .unwrap();
        assert_eq!(&buf[..], b"JOIN bob\nMSG hi\n");
    }

    #[test]
    fn the_client_is_told_that_a_last_line_had_no_lf() {
        let mut codec = ClientCodec::new();
        let mut buf = BytesMut::from(&b"MSG bob whole\nMSG bob cut sh"[..]);
        assert_eq!(
            codec.decode_eof(&mut buf).unwrap(),
            Some(Ok("MSG bob whole".to_string()))
        );
        assert_eq!(
            codec.decode_eof(&mut buf).unwrap(),
            Some(Err(BadLine::Unfinished("MSG bob cut sh".to_string())))
        );
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
        // The server side still takes a client's last line without its LF.
        assert_eq!(
            decode_all(&[b"PING 1\nQUIT"]),
            vec![Ok(Command::Ping(Some("1".into()))), Ok(Command::Quit(None))]
        );
    }

    /// The close may cut a line in the middle of a character (`é` is
    /// `c3 a9`): that is a cut line, not a server sending invalid UTF-8.
    #[test]
    fn a_last_line_cut_in_the_middle_of_a_character_is_unfinished() {
        let mut codec = ClientCodec::new();
        let mut buf = BytesMut::from(&b"HELLO caf\xc3"[..]);
        assert_eq!(
            codec.decode_eof(&mut buf).unwrap(),
            Some(Err(BadLine::Unfinished("HELLO caf".to_string())))
        );
        assert_eq!(codec.decode_eof(&mut buf).unwrap(), None);
        // Bytes that are never UTF-8, whether the line ends or not, are.
        for bytes in [
            &b"MSG bob \xff hi"[..],
            b"MSG bob \xff hi\xc3",
            b"MSG \xff\n",
        ] {
            let mut buf = BytesMut::from(bytes);
            assert_eq!(
                ClientCodec::new().decode_eof(&mut buf).unwrap(),
                Some(Err(BadLine::InvalidUtf8)),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn the_client_accepts_long_server_lines() {
        let mut codec = ClientCodec::new();
        let line = format!("USERS {}\n", "abcdefghijklmnop ".repeat(200));
        let mut buf = BytesMut::from(line.as_bytes());
        let got = codec.decode(&mut buf).unwrap().unwrap().unwrap();
        assert!(matches!(Reply::parse(&got), Some(Reply::Users(nicks)) if nicks.len() == 200));
    }

    #[test]
    fn the_client_accepts_users_for_a_full_room() {
        // The longest line a server can send: MAX_ROOM nicknames of the
        // longest length (over 17 MB), arriving in pieces like from TCP.
        let mut line = Reply::Users(vec!["abcdefghijklmnop".into(); MAX_ROOM]).to_line();
        line.push('\n');
        let mut codec = ClientCodec::new();
        let mut buf = BytesMut::new();
        let mut got = None;
        for piece in line.as_bytes().chunks(1 << 20) {
            buf.extend_from_slice(piece);
            if let Some(item) = codec.decode(&mut buf).unwrap() {
                got = Some(item);
            }
        }
        let got = got.expect("one line").expect("accepted, not too long");
        assert_eq!(got.len(), MAX_SERVER_LINE);
    }
}
