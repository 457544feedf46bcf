//! # One client's connection
//!
//! Each accepted socket gets its own task running [`run`]. The socket is split
//! into a read half and a write half (both wrapped in `Traced`, for
//! `--trace`), and the task loops over these steps:
//!
//! 0. hand the room the `MSG` lines read in the last turn (see 4);
//! 1. take every line others have queued for this client (its *inbox*);
//! 2. write everything pending — those lines and our own replies — in one
//!    go, then flush once (when the client has already sent its next
//!    command, answer it first: pipelined answers leave together); and
//!    every few broadcasts of this client's (`fairness_batch`), or at once
//!    when one made some queue more than half full, let the others catch
//!    up: wait, 100 ms at most, while another client's queue is more than
//!    half full (see `let_the_others_catch_up`);
//! 3. wait for whichever comes first: a line from the client, a line from
//!    others, the nickname time-out, a kick, or the server shutting down
//!    (a command already read comes first, once the lines queued before it
//!    are out: see **Order** below); bytes from the client that end no line
//!    but hold Telnet option requests count too: telnet waits for their
//!    answer (see `next_input`), which step 2 then writes;
//! 4. carry out the client's command. `MSG` lines that arrived together (a
//!    paste) are kept and go to the room together in step 0: one shared
//!    buffer, one place in each recipient's queue, one write each, instead
//!    of one per line (a 200-client room took 8× less CPU per line).
//!
//! **Backpressure.** The client's own replies (`OK`, `ERR`, `PONG`, `USERS`…)
//! are written in step 2, *before* the next command is read. A client that
//! sends many commands without reading its answers is therefore simply not
//! read further until its socket accepts them: every pipelined command is
//! answered, in order, and nobody is cut off for their own replies (only a
//! client that stops reading altogether is, by the write time-out, which
//! counts from the last byte the client took, not from the start of a
//! write: a slow reader is not a stopped one, see `write_patiently`). Lines
//! from *others* go through the bounded inbox instead; only when that is
//! full does the room disconnect the client (see [`super::room`]).
//!
//! **Order.** A command is carried out only once every line queued for this
//! client before it was read has been taken from the inbox (a long queue,
//! `INBOX_BATCH` lines a turn, written out in between). So everything queued
//! before a command (for example the client's own `MSG`, which comes back
//! through the inbox, in the room's global order) is written before the
//! answer to that command, however long the queue was; lines queued after
//! it do not delay it.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Poll, ready};
use std::time::Duration;

use bytes::BytesMut;
use codec::chat::{BadCommand, Command, Reply, ServerCodec};
use futures::{FutureExt, StreamExt};
use netkit::trace::{Tap, Traced};
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::time::{Instant, Sleep, timeout};
use tokio_util::codec::{Encoder, FramedRead};
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use super::Config;
use super::room::{ClientId, NickChange, NickRefused, Room, Seat, SendRefused};

/// The `HELLO` text: who we are, and what to do first.
pub const HELLO: &str =
    "netlab chat-server, protocol chat/1 - send NICK <name> to join, HELP for the commands";

/// The text of the `OK` line that answers `HELP`.
pub const HELP: &str = "commands: NICK <name> | MSG <text> | PRIV <nick> <text> | LIST | PING [token] | HELP | QUIT [reason]";

/// The `BYE` reason every client gets when the server stops.
pub const SHUTTING_DOWN: &str = "server shutting down";

/// How many bytes of answers may wait while pipelined commands are being
/// answered, before they are written out.
const BATCH: usize = 16 * 1024;

/// Above this capacity, the write buffer is given back after use: a burst
/// (a queue full of lines from others) must not keep its memory for the
/// rest of the connection.
const KEEP_AT_MOST: usize = 64 * 1024;

/// The read buffer of a connection while the client is sending, in bytes:
/// a line is at most 1 KiB (chat/1's limit), so it holds the longest one
/// twice. An idle connection holds none (see `next_command`).
const READ_BUFFER: usize = 2 * 1024;

/// Lines taken from the inbox at a time.
const INBOX_BATCH: usize = 64;

/// `MSG` lines that arrived together are broadcast together, up to this many
/// bytes of encoded lines: one place in each recipient's queue, one write.
const SAID_BATCH: usize = 4 * 1024;

/// The longest a client that broadcasts faster than the others' tasks
/// write waits for them (see `let_the_others_catch_up`).
const CATCH_UP: Duration = Duration::from_millis(100);

/// How long we wait, after saying `BYE`, for the peer to close its side.
const LINGER: Duration = Duration::from_secs(1);

/// How a connection ended.
#[derive(Debug)]
enum Ending {
    /// The client sent `QUIT`.
    Quit(Option<String>),
    /// The client closed the connection without `QUIT`.
    Closed,
    /// It stopped reading and its inbox filled up.
    Kicked,
    /// It never sent `NICK`.
    NickTimeout,
    /// The socket took no byte of what we had to write for the write
    /// time-out: the client stopped reading.
    WriteTimeout,
    /// The server is stopping.
    Shutdown,
    /// The grace period after Ctrl-C is over.
    Forced,
    /// The network failed.
    Error(std::io::Error),
}

impl Ending {
    fn describe(&self, config: &Config) -> String {
        match self {
            Ending::Quit(None) => "sent QUIT".into(),
            Ending::Quit(Some(reason)) => format!("sent QUIT ({reason})"),
            Ending::Closed => "closed the connection without QUIT".into(),
            Ending::Kicked => "disconnected: it did not read what it was sent".into(),
            Ending::NickTimeout => {
                format!(
                    "disconnected: no NICK within {} s",
                    config.nick_timeout.as_secs_f64()
                )
            }
            Ending::WriteTimeout => format!(
                "disconnected: could not write to it for {} s",
                config.write_timeout.as_secs_f64()
            ),
            Ending::Shutdown => "said BYE: server shutting down".into(),
            Ending::Forced => "closed: grace period over".into(),
            Ending::Error(e) => format!("network error: {}", netkit::error::describe_io(e)),
        }
    }
}

/// Tokens a connection obeys.
pub struct Signals {
    /// Cancelled on Ctrl-C: say `BYE` and close.
    pub shutdown: CancellationToken,
    /// Cancelled when the grace period is over: close at once.
    pub force: CancellationToken,
}

/// Serves one client until it leaves, then takes it out of the room.
pub async fn run(
    stream: TcpStream,
    peer: SocketAddr,
    seat: Seat,
    room: Arc<Room>,
    config: Arc<Config>,
    signals: Signals,
) {
    let tap = Tap::new(peer, config.trace);
    let (read, write) = stream.into_split();
    let mut connection = Connection {
        id: seat.id,
        peer,
        // No read buffer yet: it is taken when the client's bytes arrive.
        reader: FramedRead::with_capacity(Traced::new(read, tap.clone()), ServerCodec::new(), 0),
        writer: Traced::new(write, tap.clone()),
        inbox: seat.inbox,
        lines: Vec::new(),
        said: Vec::new(),
        said_bytes: 0,
        pending: None,
        kick: seat.kick,
        out: BytesMut::new(), // grows with what is written, no more
        nick: None,
        broadcasts: 0,
        room: room.clone(),
        config: config.clone(),
        signals,
    };
    info!("{peer} connected ({} connected)", seat.connected);
    let ending = connection.serve().await;
    // MSG lines read just before the client left still reach the room,
    // before its LEAVE.
    connection.publish();

    let reason = match &ending {
        Ending::Quit(reason) => reason.as_deref(),
        _ => None,
    };
    // At shutdown everybody leaves at once: no point telling each other.
    let notify = !matches!(ending, Ending::Shutdown | Ending::Forced);
    let left = room.leave(seat.id, reason, notify);
    let who = match &left.nick {
        Some(nick) => format!("{peer} ({nick}) left"),
        None => format!("{peer} left"),
    };
    let line = format!(
        "{who}: {} - {} ({} connected)",
        ending.describe(&config),
        tap.counts(),
        left.connected
    );
    match ending {
        Ending::Kicked | Ending::WriteTimeout | Ending::NickTimeout | Ending::Error(_) => {
            warn!("{line}")
        }
        _ => info!("{line}"),
    }
    // Out of the room already (the others were told at once); now the
    // socket can take its time to close politely.
    if matches!(
        ending,
        Ending::Quit(_) | Ending::NickTimeout | Ending::Shutdown
    ) {
        connection.linger().await;
    }
}

/// The client's side of the socket, cut into lines by chat/1's codec.
type Reader = FramedRead<Traced<OwnedReadHalf>, ServerCodec>;

/// What reading the next line gives: a command (or why it is not one), a
/// network error, or `None` once the client has closed its side.
type Frame = Option<Result<Result<Command, BadCommand>, std::io::Error>>;

/// A command read but not carried out yet: it waits for lines queued for
/// the client before it (their number is `owed`; `None`: not counted yet).
struct Pending {
    frame: Frame,
    owed: Option<usize>,
}

struct Connection {
    id: ClientId,
    peer: SocketAddr,
    reader: Reader,
    writer: Traced<OwnedWriteHalf>,
    inbox: tokio::sync::mpsc::Receiver<bytes::Bytes>,
    /// Lines just taken from the inbox, on their way to `out`.
    lines: Vec<bytes::Bytes>,
    /// The text of `MSG` lines read but not broadcast yet (see `publish`).
    said: Vec<String>,
    /// Their size once encoded, about.
    said_bytes: usize,
    /// A command read but not carried out yet (see step 3 of `serve`).
    pending: Option<Pending>,
    kick: CancellationToken,
    /// Bytes waiting to be written: lines from others and our own replies.
    out: BytesMut,
    nick: Option<String>,
    /// Broadcasts made since the other connections last had a turn (see `serve`).
    broadcasts: usize,
    room: Arc<Room>,
    config: Arc<Config>,
    signals: Signals,
}

/// How many broadcasts a client may make before the others get a turn: a
/// quarter of a queue at most, so a burst never fills a reader's queue, and
/// no more than 32, so readers still get their turn often.
fn fairness_batch(max_queue: usize) -> usize {
    (max_queue / 4).clamp(1, 32)
}

impl Connection {
    async fn serve(&mut self) -> Ending {
        self.push(&Reply::Hello(HELLO.to_string()));
        let nick_deadline = deadline(Instant::now(), self.config.nick_timeout);
        // The three signals are watched from one future each for the whole
        // connection: made anew in every turn of the loop, each would sign
        // up with its token and sign off again (a lock each time), for
        // every line a big room delivers.
        let kicked = self.kick.clone().cancelled_owned();
        let forced = self.signals.force.clone().cancelled_owned();
        let shutting_down = self.signals.shutdown.clone().cancelled_owned();
        tokio::pin!(kicked, forced, shutting_down);
        loop {
            // 0. Our own MSG lines, read in the last turn, to the room.
            self.publish();
            // 1. Lines from others, already waiting (bounded by the queue size).
            let taken_now = self.take_inbox();
            // 2. Write everything pending, flush once — unless the client
            // has already sent its next command (pipelining) and nothing
            // else waits for it: then answer that one first, and write both
            // answers together.
            let next_command_ready = self.out.len() < BATCH
                && self.inbox.is_empty()
                && (self.pending.is_some() || self.reader.read_buffer().contains(&b'\n'));
            if !next_command_ready {
                if let Err(ending) = self.write_out().await {
                    return ending;
                }
            }
            // Fairness: a client that pipelines a burst of MSG lines would
            // otherwise fill everybody's queue before their tasks get a turn
            // to write them out. Letting the others catch up every few
            // broadcasts keeps the queues for what they are for: clients that
            // stop reading. Not after *every* one: then each recipient would
            // wake and write one line per system call; every few, it writes
            // them all in one (the benchmark measured 2× fewer lines/s
            // otherwise). But at once when some queue is already more than
            // half full: several clients pasting together would fill it with
            // their batches before its reader had a turn. A client that
            // stopped reading is waited for once (then marked stalled, see
            // `let_the_others_catch_up`), or the whole room would crawl
            // until it is cut off.
            let batch_done = self.broadcasts >= fairness_batch(self.config.max_queue);
            if batch_done || (self.broadcasts > 0 && self.room.crowded()) {
                self.broadcasts = 0;
                let skip_stalled = !batch_done;
                if let Err(ending) = self.let_the_others_catch_up(skip_stalled).await {
                    return ending;
                }
            }
            // 3. Wait for the next thing to do. A command already read comes
            // first, once the lines queued for this client before it was
            // read are on their way (chat/1 promises that order): a long
            // queue is taken and written INBOX_BATCH lines a turn, so the
            // answer waits for those lines only, never for later ones.
            let frame = match self.pending.take() {
                Some(mut pending) => {
                    // Counted now for a command that ended a MSG burst: after
                    // step 0 queued the sender's own copies.
                    let owed = pending.owed.get_or_insert(self.inbox.len());
                    *owed = (*owed).min(self.inbox.len());
                    if *owed > 0 {
                        self.pending = Some(pending);
                        // Step 1 took nothing although lines wait: tokio
                        // refuses a task more channel operations once its
                        // turn is used up (its "budget"), until it yields.
                        // Without yielding here, this loop spun for ever.
                        if taken_now.is_none() {
                            tokio::task::yield_now().await;
                        }
                        continue;
                    }
                    pending.frame
                }
                None => tokio::select! {
                    biased;
                    _ = &mut kicked => return Ending::Kicked,
                    _ = &mut forced => return Ending::Forced,
                    _ = &mut shutting_down => {
                        self.push(&Reply::Bye(Some(SHUTTING_DOWN.to_string())));
                        return self.close(Ending::Shutdown).await;
                    }
                    _ = tokio::time::sleep_until(nick_deadline), if self.nick.is_none() => {
                        let why = format!(
                            "no nickname after {} s",
                            self.config.nick_timeout.as_secs_f64()
                        );
                        self.push(&Reply::Bye(Some(why)));
                        return self.close(Ending::NickTimeout).await;
                    }
                    // The client's commands before lines from others: under a
                    // flood from the room, the client can still be heard.
                    input = next_input(&mut self.reader) => match input {
                        Input::Frame(frame) if self.inbox.is_empty() => frame,
                        Input::Frame(frame) => {
                            let owed = Some(self.inbox.len());
                            self.pending = Some(Pending { frame, owed });
                            continue;
                        }
                        // Written in step 2, after what is already in `out`:
                        // those lines were queued before the request came.
                        Input::TelnetRefusals(no) => {
                            self.out.extend_from_slice(&no);
                            continue;
                        }
                    },
                    // 0 means the room closed the queue: the branch is then off.
                    taken @ 1.. = self.inbox.recv_many(&mut self.lines, INBOX_BATCH) => {
                        for line in self.lines.drain(..taken) {
                            self.out.extend_from_slice(&line);
                        }
                        continue;
                    }
                },
            };
            // 4. Carry it out. A burst of MSG lines (a paste) is kept
            // together, to be broadcast as one in step 0: those already
            // received join this one. Any other command ends the burst and
            // waits for the next turn, so that it is answered after the
            // copies of the MSG lines sent before it.
            let mut frame = frame;
            loop {
                match frame {
                    // The client closed its sending side. It may still be
                    // reading (a half-close: `nc -N` at the end of a file),
                    // so what it is owed (answers, copies of its own MSG
                    // lines) goes out first; step 2 may have held it back
                    // for this very frame. A peer gone altogether cannot
                    // take it: that is still just "closed".
                    None => {
                        return match self.write_out().await {
                            Ok(()) | Err(Ending::Error(_)) => Ending::Closed,
                            Err(other) => other,
                        };
                    }
                    Some(Err(e)) => return Ending::Error(e),
                    Some(Ok(parsed)) => {
                        // telnet waits for a no to each option it asked for
                        // (after its Ctrl-C it drops all we send until then).
                        if let Some(no) = self.reader.decoder_mut().take_telnet_refusals() {
                            self.out.extend_from_slice(&no);
                        }
                        if let Some(ending) = self.handle(parsed) {
                            return self.close(ending).await;
                        }
                    }
                }
                if self.said.is_empty() || self.said_bytes >= SAID_BATCH {
                    break;
                }
                match next_command(&mut self.reader).now_or_never() {
                    Some(next @ Some(Ok(Ok(Command::Msg(_))))) => frame = next,
                    Some(other) => {
                        self.pending = Some(Pending {
                            frame: other,
                            owed: None,
                        });
                        break;
                    }
                    None => break, // nothing more has arrived yet
                }
            }
        }
    }

    /// Carries out one command. Its answer, if any, is added to `out` (a
    /// `MSG` is kept for `publish`); `Some` means the connection must end.
    fn handle(&mut self, parsed: Result<Command, BadCommand>) -> Option<Ending> {
        let reply = match parsed {
            Err(bad) => {
                debug!("{} sent a bad line: {bad}", self.peer);
                Reply::Err(bad.to_string())
            }
            Ok(Command::Nick(name)) => self.nick(name),
            // Kept until the burst it belongs to ends (see `publish`);
            // the sender's copy comes back through its inbox, in order.
            Ok(Command::Msg(text)) => match &self.nick {
                Some(nick) => {
                    self.said_bytes += "MSG  \n".len() + nick.len() + text.len();
                    self.said.push(text);
                    return None;
                }
                None => Reply::Err(no_nick()),
            },
            Ok(Command::Priv { to, text }) => match self.room.whisper(self.id, &to, &text) {
                Ok(target) => {
                    self.broadcasts += 1; // a flood of PRIVs fills one queue
                    Reply::Ok(format!("PRIV {target}"))
                }
                Err(SendRefused::NoNick) => Reply::Err(no_nick()),
                // One being cut off is as good as gone: its LEAVE follows.
                Err(SendRefused::NoSuchNick | SendRefused::Leaving) => {
                    Reply::Err(format!("no such nickname: {to}"))
                }
            },
            Ok(Command::List) => Reply::Users(self.room.list()),
            Ok(Command::Ping(token)) => Reply::Pong(token),
            Ok(Command::Help) => Reply::Ok(HELP.to_string()),
            Ok(Command::Quit(reason)) => {
                self.push(&Reply::Bye(None));
                return Some(Ending::Quit(reason));
            }
        };
        self.push(&reply);
        None
    }

    /// Gives the other clients' tasks time to write out what this client
    /// sent. On one thread a yield is enough: every task queued before us
    /// runs. On several, the recipients may be waiting for a thread while
    /// we go on reading a paste at memory speed, so we also wait, a tenth
    /// of a second at most (`CATCH_UP`), while some queue is more than half
    /// full. A client that stopped reading does not empty its queue: it is
    /// still cut off once the queue is full, only a moment later. When we
    /// give up waiting, the queues still above half that took nothing are
    /// marked stalled ([`Room::give_up_on_the_stalled`]); with
    /// `skip_stalled` (the wait after a broadcast into a crowded room, not
    /// the one every few broadcasts) they are not waited for again, but
    /// everyone else is.
    ///
    /// While we wait, we still write out what others send *us*: when
    /// several clients paste at once, each is a reader of the others, and
    /// a queue nobody empties would keep everyone waiting.
    async fn let_the_others_catch_up(&mut self, skip_stalled: bool) -> Result<(), Ending> {
        tokio::task::yield_now().await;
        let half = self.config.max_queue / 2;
        let give_up = Instant::now() + CATCH_UP;
        // The queues we wait for, as they were when we began.
        let mut before = None;
        loop {
            if self.room.fullest_queue(self.id, skip_stalled) <= half {
                return Ok(());
            }
            let before = before.get_or_insert_with(|| self.room.queues_above_half(self.id));
            if Instant::now() >= give_up {
                self.room.give_up_on_the_stalled(before);
                return Ok(());
            }
            self.take_inbox();
            self.write_out().await?;
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    /// Takes the lines others have queued for us into our write buffer;
    /// `None` when tokio gave nothing this time (see `serve`).
    ///
    /// Taken in one batch rather than one by one: each line taken frees a
    /// place in the queue, and freeing them together costs one lock instead
    /// of one per line (perf: 14% of a burst).
    fn take_inbox(&mut self) -> Option<usize> {
        let taken = self
            .inbox
            .recv_many(&mut self.lines, INBOX_BATCH)
            .now_or_never()?;
        for line in self.lines.drain(..taken) {
            self.out.extend_from_slice(&line);
        }
        // Lines queued before a command read ahead are owed before its answer.
        if let Some(Pending {
            owed: Some(owed), ..
        }) = &mut self.pending
        {
            *owed = owed.saturating_sub(taken);
        }
        Some(taken)
    }

    /// Broadcasts the `MSG` lines read since the last call, all in one
    /// shared buffer (see [`Room::say`]).
    fn publish(&mut self) {
        if self.said.is_empty() {
            return;
        }
        let texts = std::mem::take(&mut self.said);
        self.said_bytes = 0;
        match self.room.say(self.id, texts) {
            Ok(()) => self.broadcasts += 1,
            // Only named clients keep MSG lines, so the room knows the name.
            Err(_) => self.push(&Reply::Err(no_nick())),
        }
    }

    fn nick(&mut self, name: String) -> Reply {
        match self.room.set_nick(self.id, &name) {
            Ok(change) => {
                // A JOIN or NICK notice goes into every member's queue, as a
                // MSG does: a client renaming itself in a loop is slowed down
                // like one that pastes (see `let_the_others_catch_up`).
                if change != NickChange::Unchanged {
                    self.broadcasts += 1;
                }
                match change {
                    NickChange::Joined { in_room } => info!(
                        "{} joined as {name} ({in_room} in the room, {} connected)",
                        self.peer,
                        self.room.connected()
                    ),
                    NickChange::Renamed { old } => info!(
                        "{} renamed {old} to {name} ({} connected)",
                        self.peer,
                        self.room.connected()
                    ),
                    NickChange::Unchanged => {}
                }
                let reply = Reply::Ok(format!("NICK {name}"));
                self.nick = Some(name);
                reply
            }
            Err(NickRefused::Taken) => {
                info!("{} asked for nickname {name}: taken", self.peer);
                Reply::Err(format!("nickname {name} is taken, choose another"))
            }
        }
    }

    /// Adds one of our own lines to `out`, framed by the codec that also
    /// reads the client's lines: the line ending is written in one place.
    fn push(&mut self, reply: &Reply) {
        // Encoding into memory cannot fail.
        let _ = self.reader.decoder_mut().encode(reply, &mut self.out);
    }

    /// Writes `out` and flushes, unless the client is kicked, the server
    /// gives up, or not one byte of it could be written for the write
    /// time-out (see [`write_patiently`]).
    async fn write_out(&mut self) -> Result<(), Ending> {
        if self.out.is_empty() {
            return Ok(());
        }
        // When a token wins, the write is dropped half-way: the bytes it
        // wrote are gone to the client, the rest of `out` is not. That is
        // fine only because the connection then ends without writing
        // anything more (no BYE after a kick or a forced stop), so no line
        // is ever glued to the cut one.
        tokio::select! {
            // The write first: it usually completes at once, and then the
            // two tokens are never even asked (asking costs a lock each).
            biased;
            written = write_patiently(&mut self.writer, &self.out, self.config.write_timeout) => written?,
            _ = self.kick.cancelled() => return Err(Ending::Kicked),
            _ = self.signals.force.cancelled() => return Err(Ending::Forced),
        }
        if self.out.capacity() > KEEP_AT_MOST {
            self.out = BytesMut::new();
        } else {
            self.out.clear();
        }
        Ok(())
    }

    /// Writes the last lines (a `BYE`) and closes our sending side.
    async fn close(&mut self, ending: Ending) -> Ending {
        if let Err(failed) = self.write_out().await {
            return failed;
        }
        let _ = timeout(LINGER, self.writer.shutdown()).await;
        ending
    }

    /// After our `BYE`, gives the peer a moment to close its own side,
    /// reading (and ignoring) what it still sends: closing a socket with
    /// unread input makes the OS reset the connection, and the peer could
    /// lose the `BYE`.
    async fn linger(&mut self) {
        let drain = async {
            let mut lines = 0;
            while let Some(Ok(_)) = next_command(&mut self.reader).await {
                lines += 1;
                if lines > 1000 {
                    break;
                }
            }
        };
        tokio::select! {
            _ = timeout(LINGER, drain) => {}
            _ = self.signals.force.cancelled() => {}
        }
    }
}

/// The client's next line, decoded; `None` once it has closed.
///
/// An idle connection holds no read buffer: `READ_BUFFER` bytes are taken
/// when the socket says bytes have arrived, and given back whenever nothing
/// half-received is left in them. Safe to cancel, as `select!` needs:
/// waiting to be readable takes nothing from the socket.
fn next_command(reader: &mut Reader) -> impl Future<Output = Frame> + '_ {
    std::future::poll_fn(move |cx| poll_next_command(reader, cx))
}

/// One step of [`next_command`], shared with [`next_input`].
fn poll_next_command(reader: &mut Reader, cx: &mut std::task::Context<'_>) -> Poll<Frame> {
    if reader.read_buffer().capacity() == 0 {
        let socket: &TcpStream = reader.get_ref().get_ref().as_ref();
        if let Err(e) = ready!(socket.poll_read_ready(cx)) {
            return Poll::Ready(Some(Err(e)));
        }
        reader.read_buffer_mut().reserve(READ_BUFFER);
    }
    let polled = reader.poll_next_unpin(cx);
    if reader.read_buffer().is_empty() {
        // Every line in it was handled, or the socket's "readable" was a
        // false alarm (a new socket's first one often is): give it back.
        *reader.read_buffer_mut() = BytesMut::new();
    }
    polled
}

/// What the client sent, as the connection's main wait sees it.
enum Input {
    /// A line (or the end, or a network error), as `next_command` gives it.
    Frame(Frame),
    /// No complete line yet, but the answers to Telnet option requests
    /// that arrived in it, owed at once: after its Ctrl-C (which no LF
    /// follows) telnet throws away everything it is sent until it gets
    /// them, and the room's lines would be lost until the user types.
    TelnetRefusals(Vec<u8>),
}

/// Like [`next_command`], but also done when bytes arrived that end no
/// line yet and hold Telnet option requests. For text without them the
/// only extra cost is asking whether any refusal is owed (`Vec::is_empty`).
fn next_input(reader: &mut Reader) -> impl Future<Output = Input> + '_ {
    std::future::poll_fn(move |cx| match poll_next_command(reader, cx) {
        Poll::Ready(frame) => Poll::Ready(Input::Frame(frame)),
        // The decoder has read all that arrived; it found no line, but
        // maybe requests. Refusals owed with a line are taken with it, in
        // step 4 of `serve`.
        Poll::Pending => match reader.decoder_mut().take_telnet_refusals() {
            Some(no) => Poll::Ready(Input::TelnetRefusals(no)),
            None => Poll::Pending,
        },
    })
}

/// Writes all of `bytes` and flushes; gives up (`Ending::WriteTimeout`) only
/// when the socket has taken *no byte at all* for `patience`.
///
/// The time-out is about a client that stopped reading, not about a slow
/// one. A batch can hold hundreds of KiB (two turns of `INBOX_BATCH` pastes
/// of several KiB each); a phone on a bad network, a telnet over a slow VPN,
/// a link throttled with `tc` for an exercise, takes longer than 30 s to
/// read that even while reading all the time. Timing the whole batch cut
/// them off as if they had stopped. Here every write that moves a byte
/// restarts the clock.
///
/// "Moves" as the OS sees it: a full socket says it has room again only
/// once a good part of what it holds has gone (a third of its send buffer,
/// on Linux), so the clock restarts every time the client has read that
/// much: a client must read a third of the server's send buffer per
/// time-out, not a whole batch. One that has stopped reading lets nothing
/// go.
///
/// Cheap when the socket keeps up, as it nearly always does: the whole
/// buffer goes in one `write`, and neither is the clock read nor a timer
/// armed (a `timeout` around the whole write would do both for every
/// batch). Only
/// when the socket is full is a timer armed, once per batch; bytes moving
/// later only note the time, and when the timer goes off early it is moved
/// to where the silence really ends: the timer wheel is touched once per
/// time-out, not once per write.
async fn write_patiently<W: AsyncWrite + Unpin>(
    writer: &mut W,
    bytes: &[u8],
    patience: Duration,
) -> Result<(), Ending> {
    let mut written = 0;
    let mut clock = Stall {
        timer: std::pin::pin!(None),
        since: None,
        moved: false,
        patience,
    };
    std::future::poll_fn(|cx| {
        while written < bytes.len() {
            match Pin::new(&mut *writer).poll_write(cx, &bytes[written..]) {
                Poll::Ready(Ok(0)) => {
                    return Poll::Ready(Err(Ending::Error(std::io::ErrorKind::WriteZero.into())));
                }
                Poll::Ready(Ok(n)) => {
                    written += n;
                    clock.moved = true;
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Ending::Error(e))),
                Poll::Pending => return clock.poll_expired(cx),
            }
        }
        match Pin::new(&mut *writer).poll_flush(cx) {
            Poll::Ready(flushed) => Poll::Ready(flushed.map_err(Ending::Error)),
            Poll::Pending => clock.poll_expired(cx),
        }
    })
    .await
}

/// The clock of [`write_patiently`]: how long the socket has taken nothing.
struct Stall<'a> {
    /// Armed the first time the socket is full, then reused.
    timer: Pin<&'a mut Option<Sleep>>,
    /// When the socket last took bytes, as far as we know (see `moved`).
    since: Option<Instant>,
    /// Bytes went out since `since` was set.
    moved: bool,
    patience: Duration,
}

impl Stall<'_> {
    /// Called when the socket is full: `Ready(Err(WriteTimeout))` once it
    /// has taken nothing for `patience`, else `Pending` (the timer then
    /// wakes us, as the socket does when it has room).
    fn poll_expired(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Result<(), Ending>> {
        // The silence starts now if bytes went out just before the socket
        // filled up (or if it is the first one of this batch).
        let since = match self.since {
            Some(since) if !self.moved => since,
            _ => {
                self.moved = false;
                *self.since.insert(Instant::now())
            }
        };
        let deadline = deadline(since, self.patience);
        if self.timer.is_none() {
            self.timer.set(Some(tokio::time::sleep_until(deadline)));
        }
        let Some(mut timer) = self.timer.as_mut().as_pin_mut() else {
            unreachable!("armed just above")
        };
        loop {
            ready!(timer.as_mut().poll(cx));
            if timer.deadline() >= deadline {
                return Poll::Ready(Err(Ending::WriteTimeout));
            }
            // Set for an earlier silence, which bytes ended: wait for the
            // rest of this one.
            timer.as_mut().reset(deadline);
        }
    }
}

/// `from + wait`, or some 30 years after `from` when an `Instant` cannot
/// hold the sum. [`Config`] is public, and a program may give a time-out of
/// `Duration::MAX` to mean "never": `Instant + Duration` panics on it (a
/// connection's task would die), where tokio's own `timeout` and `sleep`
/// take a far future instead, as here.
fn deadline(from: Instant, wait: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 3600);
    from.checked_add(wait).unwrap_or_else(|| from + FAR_FUTURE)
}

fn no_nick() -> String {
    "choose a nickname first: NICK <name>".to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::task::{Context, Waker};

    /// A socket that takes only the bytes the test lets through (`open`),
    /// as a client reading at its own pace; and whose flush can stall.
    #[derive(Clone, Default)]
    struct Gate(Arc<Mutex<GateState>>);

    #[derive(Default)]
    struct GateState {
        room: usize,
        flush_stalls: bool,
        waker: Option<Waker>,
    }

    impl Gate {
        /// Lets `n` more bytes in, and wakes the writer waiting for room.
        fn open(&self, n: usize) {
            let mut state = self.0.lock().unwrap();
            state.room += n;
            if let Some(waker) = state.waker.take() {
                waker.wake();
            }
        }
    }

    impl AsyncWrite for Gate {
        fn poll_write(
            self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            let mut state = self.0.lock().unwrap();
            if state.room == 0 {
                state.waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let n = state.room.min(buf.len());
            state.room -= n;
            Poll::Ready(Ok(n))
        }

        fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            let mut state = self.0.lock().unwrap();
            if state.flush_stalls {
                state.waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            Poll::Ready(Ok(()))
        }

        fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Lets one byte through every `every`, `times` times, from a task.
    fn reader(gate: &Gate, every: Duration, times: usize) {
        let gate = gate.clone();
        tokio::spawn(async move {
            for _ in 0..times {
                tokio::time::sleep(every).await;
                gate.open(1);
            }
        });
    }

    const PATIENCE: Duration = Duration::from_secs(1);

    /// A reader that takes a byte every 0.9 s is slow, not stopped: 20
    /// bytes take it 18 s, far more than the time-out, and all are written.
    /// (A time-out around the whole write cut it off after 1 s.)
    #[tokio::test(start_paused = true)]
    async fn a_reader_that_keeps_taking_bytes_is_never_cut_off() {
        let mut gate = Gate::default();
        reader(&gate, Duration::from_millis(900), 20);
        let started = Instant::now();
        let written = write_patiently(&mut gate, &[b'x'; 20], PATIENCE).await;
        assert!(written.is_ok(), "{written:?}");
        assert_eq!(started.elapsed(), Duration::from_millis(18_000));
    }

    /// A reader that stops is cut off one time-out after its *last* byte:
    /// the timer armed for the first silence (due at 1 s) goes off while
    /// bytes still move, and is moved to where the silence really ends.
    #[tokio::test(start_paused = true)]
    async fn a_reader_that_stops_is_cut_off_one_time_out_after_its_last_byte() {
        let mut gate = Gate::default();
        reader(&gate, Duration::from_millis(700), 5); // the last at 3.5 s
        let started = Instant::now();
        let written = write_patiently(&mut gate, &[b'x'; 20], PATIENCE).await;
        assert!(matches!(written, Err(Ending::WriteTimeout)), "{written:?}");
        assert_eq!(started.elapsed(), Duration::from_millis(4_500));
    }

    /// A patience of `Duration::MAX` ("never") waits as long as it takes;
    /// no deadline computed from it overflows (that would panic).
    #[tokio::test(start_paused = true)]
    async fn a_patience_of_duration_max_waits_without_overflowing() {
        let mut gate = Gate::default();
        reader(&gate, Duration::from_secs(3600), 2);
        let written = write_patiently(&mut gate, b"xy", Duration::MAX).await;
        assert!(written.is_ok(), "{written:?}");
    }

    /// Everything written, but the flush never completes: that is a stall
    /// too, cut off after the time-out.
    #[tokio::test(start_paused = true)]
    async fn a_flush_that_never_completes_times_out() {
        let mut gate = Gate::default();
        gate.0.lock().unwrap().flush_stalls = true;
        gate.open(20);
        let started = Instant::now();
        let written = write_patiently(&mut gate, &[b'x'; 20], PATIENCE).await;
        assert!(matches!(written, Err(Ending::WriteTimeout)), "{written:?}");
        assert_eq!(started.elapsed(), PATIENCE);
    }
}
