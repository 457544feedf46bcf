//! # chat-client: the keyboard and the network at the same time
//!
//! A chat client waits for two things at once: what the user types, and what
//! the server sends — a message from someone else can arrive while the user
//! is in the middle of typing. `tokio::select!` waits for whichever comes
//! first. The keyboard is read on its own thread ([`netkit::stdin::lines`]),
//! because reading standard input blocks and cannot be cancelled.
//!
//! The conversation has three phases, after the server's greeting
//! (`HELLO`, or `ERR server full`):
//!
//! 1. **Choose a nickname**: send `NICK`, wait for `OK NICK` or `ERR`; on
//!    `ERR` (taken, invalid) ask again — unless told not to
//!    ([`OnRefusedNick::GiveUp`]: the input is a pipe full of messages, not
//!    a person who can choose another name). The network is watched while
//!    the user thinks, so a server that stops is noticed at once.
//! 2. **Chat**: typed lines become commands ([`crate::ui::parse_input`]),
//!    server lines are shown for people ([`crate::ui::render`]), or as they
//!    are with `--raw` (control characters escaped all the same:
//!    [`crate::ui::visible`]).
//! 3. **Leave**: on `/quit` or at the end of the input (Ctrl-D, the end of
//!    a script piped into the client, or Ctrl-C: `chat-client` closes the
//!    keyboard then), send `QUIT` and wait for `BYE`, giving up when the
//!    server has not answered any of our lines for too long.
//!
//! When the server closes the connection, the client says so and exits.
//!
//! ## Reading while writing
//!
//! Sending a line usually takes no time: the system copies it into the
//! socket's buffer and the program goes on. But chat-server applies
//! *backpressure*: while the answers to a client's own commands cannot be
//! written to it (every `MSG` is echoed to its sender), it stops reading
//! that client. Pipe a large file into the client (or paste a huge text)
//! and the buffers towards the server fill up: the next write waits for the
//! server to read. If the client did nothing else while it waited, the
//! server's answers would fill the buffers the other way, the server would
//! wait for the client to read them, and both would wait for ever (until
//! the server's `--write-timeout` cut the client off). So while one of its
//! lines waits to be written, the client goes on reading and showing what
//! the server says (`Session::send`), and only then reads the next line
//! of the keyboard: the keyboard waits (its thread stops reading standard
//! input once its small queue is full), never the network.
//!
//! Every command typed in the room is checked against the protocol's
//! 1024-byte limit before it is sent, `QUIT` too: a line the server refuses
//! would get an `ERR` instead of the `BYE` the client waits for. A nickname
//! is not: the server's `ERR` to it makes the client ask for another one.

use std::io::Write;
use std::time::Duration;

use bytes::BytesMut;
use codec::chat::line::Line;
use codec::chat::{BadLine, ClientCodec, Command, Reply, SERVER_FULL};
use futures::StreamExt;
use netkit::NetError;
use netkit::trace::{Tap, Traced};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::codec::{Encoder, FramedRead};
use tokio_util::sync::CancellationToken;

use crate::ui::{self, Input};

/// What the user asked for on the command line.
#[derive(Debug, Clone)]
pub struct Options {
    /// The nickname to take first; asked on the keyboard when `None`.
    pub nick: Option<String>,
    /// Show the protocol lines as received (control characters escaped).
    pub raw: bool,
    /// `--trace`: log every byte.
    pub trace: bool,
    /// How long to wait for the server: its `HELLO`, the answer to `NICK`,
    /// and `BYE` after sending `QUIT` (there, how long the server may go
    /// without answering one of our lines: while it still answers earlier
    /// lines, it is waited for; others talking in the room do not count).
    pub timeout: Duration,
}

/// Lines typed (or piped) by the user; the channel closes at end of input.
pub type Keyboard = mpsc::Receiver<std::io::Result<String>>;

/// What to do when the server refuses a nickname (taken, invalid).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRefusedNick {
    /// Ask for another one on the keyboard: someone is there to answer.
    AskAgain,
    /// Stop with an error. For `--nick` with piped input
    /// (`printf 'hi\n' | chat-client --nick bob`): the piped lines are
    /// messages, and taking the next one as a nickname would both lose it
    /// and join under a name nobody chose.
    GiveUp,
}

/// Chats over `stream` until the user quits or the server closes.
/// `keyboard` gives the user's lines; `screen` receives what is shown.
/// A refused nickname is asked again ([`OnRefusedNick::AskAgain`]); the
/// prompts and hints for people (`nickname? `) are not shown.
pub async fn chat(
    stream: TcpStream,
    options: &Options,
    keyboard: Keyboard,
    screen: &mut dyn Write,
) -> Result<(), NetError> {
    let mut prompts = std::io::sink();
    let on_refused_nick = OnRefusedNick::AskAgain;
    // No Ctrl-C here: the caller ends the conversation by closing `keyboard`.
    let ctrl_c = CancellationToken::new();
    chat_with(
        stream,
        options,
        on_refused_nick,
        keyboard,
        &ctrl_c,
        screen,
        &mut prompts,
    )
    .await
}

/// Like [`chat`], choosing what happens when the server refuses a nickname,
/// what Ctrl-C is, and where the prompts and hints go.
///
/// `ctrl_c` is cancelled on the user's first Ctrl-C, which also closes
/// `keyboard` ([`crate::keyboard::typed_until_ctrl_c`]). In the room, or
/// choosing a nickname, the closed keyboard is enough: the client leaves
/// as at the end of a script. But before the server's `HELLO` and while
/// it answers `NICK` the keyboard is not read, and a silent server would
/// keep the user waiting for the whole `--timeout`: the token is watched
/// there. Before `HELLO` nothing has begun, so the client stops at once
/// ([`NetError::Interrupted`], exit code 130); waiting for the answer to
/// `NICK`, it leaves politely (`QUIT`, at most `--timeout` for `BYE`).
///
/// `chat-client` writes the prompts and hints on stderr,
/// so that they do not mix with the conversation on stdout (a script that
/// reads stdout has nothing to skip). Failing to write them is not an
/// error: a prompt nobody can see (`chat-client 2>&1 | head -1` closes
/// stderr early) is not worth stopping the conversation for.
pub async fn chat_with(
    stream: TcpStream,
    options: &Options,
    on_refused_nick: OnRefusedNick,
    mut keyboard: Keyboard,
    ctrl_c: &CancellationToken,
    screen: &mut dyn Write,
    prompts: &mut dyn Write,
) -> Result<(), NetError> {
    let peer = stream
        .peer_addr()
        .map_err(|e| NetError::io("reading the server's address", e))?;
    // Both ends of the connection: the server's port, known in advance, and
    // ours, an "ephemeral" port the system picked for this connection only
    // (Linux takes it from 32768–60999; IANA suggests 49152–65535).
    let local = stream
        .local_addr()
        .map_err(|e| NetError::io("reading our own address", e))?;
    let tap = Tap::new(peer, options.trace);
    // Two halves, so that one line can be read while another is written.
    let (read, write) = stream.into_split();
    let mut session = Session {
        incoming: Incoming {
            server: FramedRead::new(Traced::new(read, tap.clone()), ClientCodec::new()),
            peer: peer.to_string(),
            nick: None,
            raw: options.raw,
            screen,
        },
        writer: Traced::new(write, tap),
        sent: 0,
        prompts,
    };

    if !options.raw {
        session.show(&format!("* connected to {peer} (our end: {local})"))?;
    }

    // 0. The server speaks first: HELLO (or ERR server full).
    let greeting = tokio::select! {
        greeting = tokio::time::timeout(options.timeout, session.incoming.server.next()) => greeting,
        () = ctrl_c.cancelled() => {
            // Not greeted, so not in the room: there is nobody to say
            // goodbye to, and no reason to wait for a server that is silent.
            session.note("(nothing to leave yet: the server has not said HELLO)\n");
            return Err(NetError::Interrupted);
        }
    };
    let Ok(greeting) = greeting else {
        return Err(NetError::TimedOut {
            what: format!("waiting for the HELLO of {peer}"),
            after: options.timeout,
        });
    };
    if greeting.is_none() {
        // Closed without a word: a chat/1 server always says something
        // first, even when it is full.
        return Err(NetError::ClosedWithoutAnswer {
            addr: peer.to_string(),
            service: "chat/1".to_string(),
        });
    }
    match session.incoming.received(greeting)? {
        Heard::Hello => {}
        Heard::End => return Ok(()),
        Heard::Refused(reason) => {
            let hint = if reason == SERVER_FULL {
                " (all the places its --max-clients allows are taken): try again later"
            } else {
                ""
            };
            return Err(NetError::protocol(format!(
                "{peer} refused the connection: {reason}{hint}"
            )));
        }
        // Half a first line, then the close (shown above): no chat/1 line.
        Heard::Cut => {
            return Err(NetError::protocol(format!(
                "{peer} closed the connection in the middle of its first line: a chat/1 \
                 server's first line is HELLO, ended by LF like every line"
            )));
        }
        // Another service answered, one that speaks first too (daytime,
        // SMTP, FTP…): going on would send NICK to a program that does not
        // know what it means.
        Heard::NickAccepted | Heard::Answer | Heard::Other => {
            return Err(NetError::protocol(format!(
                "{peer} does not speak chat/1: a chat/1 server's first line is HELLO, \
                 and this one's (shown above) is not. Is it the right port? chat-server \
                 listens on {} unless told otherwise (--port)",
                crate::DEFAULT_PORT
            )));
        }
    }

    // 1. Choose a nickname. The server may speak while the user thinks
    // (it may even go away), so the network is watched here too.
    let mut wanted = options.nick.clone();
    loop {
        let nick = match wanted.take() {
            Some(nick) => nick,
            None => match session.ask_nickname(&mut keyboard).await? {
                Asked::Nick(nick) => nick,
                Asked::Quit(reason) => return session.leave(reason, options.timeout).await,
                Asked::Unreadable(e) => return session.leave_unreadable(e, options.timeout).await,
                Asked::ServerGone => return Ok(()),
            },
        };
        if let Sent::ServerGone = session.send(&Command::Nick(nick.clone())).await? {
            return Ok(());
        }
        let answer = tokio::select! {
            answer = session.wait_for_nick_answer(options.timeout) => answer?,
            // Greeted: a goodbye is due, bounded like any other.
            () = ctrl_c.cancelled() => return session.leave(None, options.timeout).await,
        };
        match answer {
            Heard::NickAccepted => break,
            Heard::End => return Ok(()),
            Heard::Refused(reason) if on_refused_nick == OnRefusedNick::GiveUp => {
                // Leave politely (QUIT, BYE), then explain on stderr.
                session.leave(None, options.timeout).await?;
                return Err(NetError::protocol(format!(
                    "{peer} refused the nickname {nick}: {reason}. The input is not \
                     a terminal, so its lines are taken as messages, never as another \
                     nickname: run again with another --nick"
                )));
            }
            _ => continue, // refused: ask again
        }
    }
    // A hint for people, not part of the conversation.
    session.note("(type a line and press Enter to talk to everyone; /help for the commands)\n");

    // 2. Chat.
    loop {
        tokio::select! {
            typed = keyboard.recv() => match typed {
                None => return session.leave(None, options.timeout).await,
                Some(Err(e)) => return session.leave_unreadable(e, options.timeout).await,
                Some(Ok(line)) => match ui::parse_input(&line) {
                    Input::Send(command) if session.refuses(&command)? => {}
                    Input::Send(command) => {
                        if let Sent::ServerGone = session.send(&command).await? {
                            return Ok(());
                        }
                    }
                    Input::Quit(reason) if session.refuses(&Command::Quit(reason.clone()))? => {}
                    Input::Quit(reason) => return session.leave(reason, options.timeout).await,
                    Input::Help => session.show(ui::HELP)?,
                    Input::Nothing => {}
                    Input::Problem(problem) => session.show(&format!("! {problem}"))?,
                },
            },
            heard = session.incoming.hear() => {
                if let Heard::End = heard? {
                    return Ok(());
                }
            }
        }
    }
}

/// What the user answered when asked for a nickname.
enum Asked {
    /// A nickname to try.
    Nick(String),
    /// `/quit` (or the end of the input): leave.
    Quit(Option<String>),
    /// The input cannot be read: leave, then say why.
    Unreadable(std::io::Error),
    /// The server said `BYE` or closed while we waited.
    ServerGone,
}

/// What a server line meant for the conversation.
enum Heard {
    /// `HELLO …`: the server's greeting, always its first line.
    Hello,
    /// `OK NICK …`: we are in the room.
    NickAccepted,
    /// `ERR <reason>`: the last command was refused.
    Refused(String),
    /// Another answer to one of our own lines: the echo of our `MSG` (or of
    /// a `PRIV` to ourselves), `OK PRIV …`, `USERS …`, `PONG`.
    Answer,
    /// `BYE`, or the server closed the connection: the conversation is over.
    End,
    /// Anything else (what other people say and do: their `MSG`, `JOIN`,
    /// `LEAVE`…): shown, nothing more to do.
    Other,
    /// The start of a line, then the end of the connection (shown as
    /// such): the end itself comes next.
    Cut,
}

/// What became of a line given to [`Session::send`].
enum Sent {
    /// Handed to the system, on its way to the server.
    Written,
    /// The server said `BYE` or closed the connection (shown) while the
    /// line waited: the conversation is over.
    ServerGone,
}

struct Session<'a> {
    /// The server's lines, and the screen they are shown on.
    incoming: Incoming<'a>,
    /// Our lines to the server. Apart from `incoming`, so that both can be
    /// used at once: see [`Session::send`].
    writer: Traced<OwnedWriteHalf>,
    /// How many lines we have sent: the most answers the server owes us.
    sent: u64,
    prompts: &'a mut dyn Write,
}

/// What the server says, and where it is shown.
struct Incoming<'a> {
    server: FramedRead<Traced<OwnedReadHalf>, ClientCodec>,
    peer: String,
    /// Our nickname, once the server has accepted it (`OK NICK`): a `MSG`
    /// from it is the echo of one of our lines.
    nick: Option<String>,
    raw: bool,
    screen: &'a mut dyn Write,
}

impl Session<'_> {
    /// Writes a prompt or a hint; a failure is ignored (see [`chat_with`]).
    fn note(&mut self, text: &str) {
        let _ = self.prompts.write_all(text.as_bytes());
        let _ = self.prompts.flush();
    }

    fn show(&mut self, text: &str) -> Result<(), NetError> {
        self.incoming.show(text)
    }

    /// True (after telling the user why) when `command` is too long to send.
    fn refuses(&mut self, command: &Command) -> Result<bool, NetError> {
        match ui::too_long(command) {
            Some(why) => self.show(&format!("! {why}")).map(|()| true),
            None => Ok(false),
        }
    }

    /// Sends `command`; while it waits to be written, reads and shows what
    /// the server says (see "Reading while writing" above).
    ///
    /// Only then does the caller read the next typed line: the keyboard
    /// waits while the server is slow, and what waits in memory stays
    /// small (this line, and the keyboard's short queue).
    async fn send(&mut self, command: &Command) -> Result<Sent, NetError> {
        // Two fields of the session, used at once: `writer` writes the line
        // while `incoming` reads.
        let Session {
            incoming,
            writer,
            sent,
            ..
        } = self;
        // The same codec that reads the server's lines frames ours.
        let mut line = BytesMut::new();
        let _ = incoming.server.decoder_mut().encode(command, &mut line); // in memory: cannot fail
        // The write is made once, here, and the loop below only resumes it
        // (`&mut write`). Each time a server line wins the `select!`, the
        // *other* branch is dropped: a new `write_all` on every turn would
        // start the line again from its first byte, after part of it had
        // already been sent (`write_all` remembers how far it got only
        // inside its own future). Reading, on the other hand, can be
        // started again safely: see `Incoming::hear`.
        let mut write = std::pin::pin!(async {
            writer.write_all(&line).await?;
            writer.flush().await
        });
        loop {
            tokio::select! {
                written = &mut write => {
                    return written
                        .map(|()| {
                            *sent += 1;
                            Sent::Written
                        })
                        .map_err(|e| NetError::io(format!("sending to {}", incoming.peer), e));
                }
                heard = incoming.hear() => {
                    if let Heard::End = heard? {
                        return Ok(Sent::ServerGone);
                    }
                }
            }
        }
    }

    /// Asks for a nickname on the keyboard, while still showing what the
    /// server says (a `BYE` at shutdown must not wait for the user to type).
    async fn ask_nickname(&mut self, keyboard: &mut Keyboard) -> Result<Asked, NetError> {
        loop {
            self.note("nickname? ");
            tokio::select! {
                typed = keyboard.recv() => match typed {
                    None => return Ok(Asked::Quit(None)),
                    Some(Err(e)) => return Ok(Asked::Unreadable(e)),
                    // Its end was dropped: not trimmed into a nickname.
                    Some(Ok(line)) if ui::cut_by_the_keyboard(&line) => {
                        self.show(&format!("! {}", ui::cut_line_problem()))?;
                    }
                    // A plain word is the nickname; `/nick NAME`, `/quit`
                    // and `/help` are understood too.
                    Some(Ok(line)) => match ui::parse_input(line.trim()) {
                        Input::Nothing => {}
                        Input::Quit(reason) if self.refuses(&Command::Quit(reason.clone()))? => {}
                        Input::Quit(reason) => return Ok(Asked::Quit(reason)),
                        Input::Send(Command::Nick(nick)) => return Ok(Asked::Nick(nick)),
                        Input::Send(Command::Msg(_)) if !line.trim().starts_with('/') => {
                            return Ok(Asked::Nick(line.trim().to_string()));
                        }
                        Input::Help => self.show(ui::HELP)?,
                        Input::Problem(problem) => self.show(&format!("! {problem}"))?,
                        Input::Send(_) => {
                            self.show("! choose a nickname first (or /quit to leave)")?;
                        }
                    },
                },
                line = self.incoming.server.next() => {
                    // Ends the prompt's line before the server's is shown.
                    self.note("\n");
                    if let Heard::End = self.incoming.received(line)? {
                        return Ok(Asked::ServerGone);
                    }
                }
            }
        }
    }

    /// Waits, at most `patience`, for the answer to `NICK`.
    async fn wait_for_nick_answer(&mut self, patience: Duration) -> Result<Heard, NetError> {
        let wait = async {
            loop {
                match self.incoming.hear().await? {
                    Heard::Hello | Heard::Answer | Heard::Other | Heard::Cut => {}
                    answer => return Ok(answer),
                }
            }
        };
        tokio::time::timeout(patience, wait)
            .await
            .unwrap_or_else(|_| {
                Err(NetError::TimedOut {
                    what: format!("waiting for the answer to NICK from {}", self.incoming.peer),
                    after: patience,
                })
            })
    }

    /// Sends `QUIT` and shows what arrives until `BYE` or the close, or
    /// until the server has not answered any of our lines for `patience`.
    ///
    /// The patience counts from the server's last *answer to us*, not from
    /// `QUIT`: after a large paste (over a slow network), the server may
    /// still be working through the lines sent before `QUIT`, echoing each.
    /// Leaving then would not only cut the echoes short: closing a
    /// connection with lines still unread makes the system *reset* it, and
    /// what the server had not received yet, the end of the paste, would
    /// be lost.
    ///
    /// Only answers count: other people talking says nothing about our
    /// lines, and a server that never answers `QUIT` (a student's, say) in
    /// a busy room would otherwise keep the client for as long as the room
    /// talks. And the server owes us at most one answer per line we sent:
    /// past that many, answers no longer extend the wait either, so that
    /// it always ends (a script has no Ctrl-C to press).
    async fn leave(mut self, reason: Option<String>, patience: Duration) -> Result<(), NetError> {
        match self.send(&Command::Quit(reason)).await {
            Ok(Sent::Written) => {}
            // Its BYE, or the end of the connection, came (and was shown)
            // while QUIT waited to be written: nothing more to wait for.
            Ok(Sent::ServerGone) => return Ok(()),
            // Nobody to say goodbye to: the server has already gone.
            Err(e) if closed_by_server(&e) => {
                return self.show("* the server closed the connection");
            }
            // Anything else is reported as it is in the room: a server
            // whose machine no longer answers (QUIT waited behind a large
            // paste, and the network went away), a screen that cannot be
            // written. Saying "closed" (and exit status 0) would hide that
            // the end of the paste may never have arrived.
            Err(e) => return Err(e),
        }
        // The answers that may still extend the wait (QUIT's is BYE).
        let mut owed = self.sent.saturating_sub(1);
        let mut deadline = Instant::now() + patience;
        loop {
            let Ok(heard) = tokio::time::timeout_at(deadline, self.incoming.hear()).await else {
                return self.show("* no goodbye from the server; leaving anyway");
            };
            match heard? {
                Heard::End => return Ok(()),
                Heard::Answer | Heard::Refused(_) | Heard::NickAccepted if owed > 0 => {
                    owed -= 1;
                    deadline = Instant::now() + patience;
                }
                _ => {} // someone else's doing, or more answers than lines
            }
        }
    }

    /// Leaves as at the end of the input, then reports `error`: standard
    /// input could not be read (`chat-client < folder`, or a terminal that
    /// went away). The server and the others are told goodbye all the
    /// same; the user (or the script) is told it did not go as planned,
    /// with exit status 1, as echo-client does.
    async fn leave_unreadable(
        self,
        error: std::io::Error,
        patience: Duration,
    ) -> Result<(), NetError> {
        self.leave(None, patience).await?;
        Err(NetError::io("reading standard input", error))
    }
}

/// True when `error` says that the server closed (or reset) the connection:
/// a normal end when we were leaving anyway. Not when our own output failed,
/// nor when the system gave up on a server that stopped answering.
fn closed_by_server(error: &NetError) -> bool {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, NotConnected};
    !error.is_closed_output()
        && matches!(error, NetError::Io { source, .. }
            if matches!(source.kind(), BrokenPipe | ConnectionReset | ConnectionAborted | NotConnected))
}

impl Incoming<'_> {
    /// Reads the next line from the server, shows it, and says what it was.
    ///
    /// Safe to use in `tokio::select!`: if another branch wins, no line is
    /// lost (a line half received stays in the reader's buffer, and
    /// nothing after the read can be interrupted).
    async fn hear(&mut self) -> Result<Heard, NetError> {
        let line = self.server.next().await;
        self.received(line)
    }

    fn show(&mut self, text: &str) -> Result<(), NetError> {
        writeln!(self.screen, "{text}")
            .and_then(|()| self.screen.flush())
            .map_err(NetError::output)
    }

    /// Shows one server line, and says what it was.
    fn received(&mut self, line: Option<std::io::Result<Line>>) -> Result<Heard, NetError> {
        let line = match line {
            None => {
                self.show("* the server closed the connection")?;
                return Ok(Heard::End);
            }
            Some(Err(e)) => return Err(NetError::io(format!("reading from {}", self.peer), e)),
            // Half a line, perhaps half a message: shown for what it is,
            // never taken for a whole one (its end comes next).
            Some(Ok(Err(BadLine::Unfinished(text)))) => {
                let text = ui::visible(&text);
                self.show(&format!(
                    "? the server closed the connection in the middle of a line (no LF), which said: {text}"
                ))?;
                return Ok(Heard::Cut);
            }
            Some(Ok(Err(bad))) => {
                self.show(&format!("? unreadable line from the server: {bad}"))?;
                return Ok(Heard::Other);
            }
            Some(Ok(Ok(line))) => line,
        };
        // Raw or not, control characters are shown escaped: printed as they
        // are, `ESC [ 2 J` would clear the user's screen.
        let shown = if self.raw {
            ui::visible(&line)
        } else {
            ui::render(&line)
        };
        self.show(&shown)?;
        Ok(match Reply::parse(&line) {
            Some(Reply::Hello(_)) => Heard::Hello,
            Some(Reply::Bye(_)) => Heard::End,
            Some(Reply::Ok(text)) if text.starts_with("NICK ") => {
                self.nick = text.strip_prefix("NICK ").map(str::to_string);
                Heard::NickAccepted
            }
            Some(Reply::Err(reason)) => Heard::Refused(reason),
            Some(Reply::Msg { from, .. } | Reply::Priv { from, .. })
                if self.nick.as_ref() == Some(&from) =>
            {
                Heard::Answer
            }
            Some(Reply::Ok(_) | Reply::Users(_) | Reply::Pong(_)) => Heard::Answer,
            _ => Heard::Other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Leaving, a server that closed or reset the connection is the end we
    /// expected; one whose machine stopped answering, or a failed screen,
    /// is an error all the same.
    #[test]
    fn only_a_closed_connection_is_a_normal_end_when_leaving() {
        use std::io::{Error, ErrorKind};
        let peer = "sending to 127.0.0.1:10194";
        for kind in [ErrorKind::BrokenPipe, ErrorKind::ConnectionReset] {
            assert!(closed_by_server(&NetError::io(peer, Error::from(kind))));
        }
        // What the system reports after keepalive or TCP_USER_TIMEOUT.
        #[cfg(target_os = "linux")]
        {
            let gone = NetError::io(peer, Error::from_raw_os_error(110)); // ETIMEDOUT
            assert!(!closed_by_server(&gone), "{gone}");
        }
        let screen = NetError::output(Error::from(ErrorKind::BrokenPipe));
        assert!(!closed_by_server(&screen));
    }
}
