//! # echo-client: the client initiates
//!
//! **Course idea:** the client is the one that starts the conversation. It
//! must know the server's address and port; its own port is an *ephemeral*
//! one, chosen by the operating system for this connection only (the log
//! shows it: `connected to 127.0.0.1:10007 from 127.0.0.1:53422`).
//!
//! Three ways to use it, chosen from how it is started:
//!
//! - **one-shot**: `echo-client some text` sends `some text\n`, prints what
//!   comes back, and says how long the round trip took;
//! - **interactive** (keyboard): each typed line is sent, its echo read back
//!   and printed with the round-trip time;
//! - **piped**: `cat big.bin | echo-client > copy.bin` streams any bytes, of
//!   any size, exactly. Sending and receiving run *at the same time*: a client
//!   that sent everything before reading would deadlock once both sides'
//!   buffers are full. At the end of the input it half-closes (tells the
//!   server "I have nothing more to send") and keeps reading until the server
//!   closes too, or, once every byte has come back, until it has been silent
//!   for a moment (RFC 862 does not require the close). Every byte that comes back is compared with the one sent:
//!   a copy that differs, or stops short, is an error (exit code 1), and so
//!   is a server that stays silent for `--timeout` while it owes bytes.
//!
//! With `--udp`, each line (or the one-shot text) goes in one datagram,
//! byte for byte as given; UDP gives no guarantee, so the client waits with
//! a time-out and retries.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use codec::echo::{MAX_UDP_PAYLOAD, UDP_RECV_BUFFER};
use netkit::NetError;
use netkit::error::{describe_io, group_thousands, is_closed_by_peer, join_host_port};
use netkit::logging::note;
use netkit::net::{AFTER_THE_ANSWER, UdpServer, connect_tcp, is_udp_refusal};
use netkit::trace::{Tap, Traced, show_at_most, show_bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

/// What the client expects the server to speak, for explanations.
const SERVICE: &str = "echo (RFC 862)";

/// What the client was asked to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// The server's host name or address.
    pub host: String,
    /// The server's port.
    pub port: u16,
    /// Use UDP datagrams instead of a TCP connection.
    pub udp: bool,
    /// Log every byte (`--trace`).
    pub trace: bool,
    /// How long to wait to connect, or for an answer.
    pub timeout: Duration,
    /// UDP only: how many times to resend a datagram that got no answer.
    pub retries: u32,
    /// The one-shot text, when given on the command line.
    pub text: Option<String>,
}

/// Runs the client in the mode its options and standard input call for.
pub async fn run(options: Options) -> Result<(), NetError> {
    let interactive = std::io::stdin().is_terminal();
    match (&options.text, options.udp) {
        (Some(text), false) => one_shot_tcp(&options, text).await,
        (Some(text), true) => {
            let mut target = open_udp(&options).await?;
            let datagram = format!("{text}\n");
            let (reply, took) = udp_round_trip(
                &mut target,
                &options,
                datagram.as_bytes(),
                &mut VecDeque::new(),
            )
            .await?;
            info!("round trip: {}", show_duration(took));
            print_bytes(&reply).await
        }
        (None, false) if interactive => interactive_tcp(&options).await,
        (None, false) => piped_tcp(&options).await,
        (None, true) => lines_udp(&options, interactive).await,
    }
}

/// When a connection was made, and how long making it took: together they
/// tell a server that turned us away from one that let us in, then closed.
#[derive(Debug, Clone, Copy)]
struct Opened {
    at: Instant,
    took: Duration,
}

/// A close that comes sooner than this after connecting is taken as the
/// server turning us away, at least on a fast network (loopback, a LAN)...
const TURNED_AWAY_WITHIN_AT_LEAST: Duration = Duration::from_millis(300);
/// ... and never later than this, even when connecting was very slow.
const TURNED_AWAY_WITHIN_AT_MOST: Duration = Duration::from_secs(2);

impl Opened {
    /// Did a close that arrives now, with nothing sent yet, come right
    /// after connecting? See [`closed_right_away`].
    fn closed_right_away(&self) -> bool {
        closed_right_away(self.took, self.at.elapsed())
    }
}

/// Whether a server that closed a connection `lasted` after it was made,
/// before we sent anything, turned us away (it is full, or it refuses us),
/// rather than let us in and then closed an idle connection or stopped.
///
/// Both kinds of close carry no word of explanation (an echo server never
/// speaks first, so it cannot say "I am full"); only *when* they come tells
/// them apart. A full server closes the moment it accepts: its close arrives
/// about one round trip after the connection was made, and making it took
/// about one round trip too (`took`). A stop (Ctrl-C) or an idle time-out
/// comes whenever the server decides, usually seconds later. So a close
/// within a few times `took` (with a floor, for fast networks where a round
/// trip is microseconds and the scheduler alone adds milliseconds) means
/// "turned away". It is a guess: a server with a very short --idle-timeout
/// looks full, which is why the full-server message says to try again.
fn closed_right_away(took: Duration, lasted: Duration) -> bool {
    let window = took
        .saturating_mul(4)
        .clamp(TURNED_AWAY_WITHIN_AT_LEAST, TURNED_AWAY_WITHIN_AT_MOST);
    lasted < window
}

async fn connect(options: &Options) -> Result<(Traced<TcpStream>, String, Opened), NetError> {
    let started = Instant::now();
    let stream = connect_tcp(&options.host, options.port, options.timeout).await?;
    let opened = Opened {
        at: Instant::now(),
        took: started.elapsed(),
    };
    let server = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| join_host_port(&options.host, options.port));
    if let (Ok(peer), Ok(local)) = (stream.peer_addr(), stream.local_addr()) {
        info!(
            "connected to {peer} from {local} (our port {} was chosen by the OS)",
            local.port()
        );
        let tap = Tap::new(peer, options.trace);
        return Ok((Traced::new(stream, tap), server, opened));
    }
    let tap = Tap::new(([0, 0, 0, 0], 0).into(), options.trace);
    Ok((Traced::new(stream, tap), server, opened))
}

/// `echo-client some text`: send, half-close, read everything back.
async fn one_shot_tcp(options: &Options, text: &str) -> Result<(), NetError> {
    let (mut stream, server, _) = connect(options).await?;
    let message = format!("{text}\n");
    let started = Instant::now();
    let sending = async {
        stream.write_all(message.as_bytes()).await?;
        // Half-close: "that is all", so the server closes once it has echoed.
        stream.shutdown().await
    };
    // A server that already closed the connection (a full one does so at
    // once) makes sending fail: reading below tells what, if anything, it said.
    if let Err(e) = sending.await {
        if !is_closed_by_peer(&e) {
            return Err(NetError::io(format!("sending to {server}"), e));
        }
        debug!("sending to {server} failed: {}", describe_io(&e));
    }
    // Read until the server closes, or until the whole echo is back and
    // nothing follows for a moment (RFC 862 says nothing of closing: a server
    // may wait for our full close), but never more than a little over what
    // we sent: a server that talks forever must not fill our memory.
    let mut reply = Vec::new();
    let most = message.len() + 64 * 1024;
    let mut echoed_at = None;
    let after_the_echo = AFTER_THE_ANSWER.min(options.timeout);
    let reading = async {
        let mut buf = vec![0u8; 16 * 1024];
        while reply.len() < most {
            let room = buf.len().min(most - reply.len());
            let read = stream.read(&mut buf[..room]);
            let n = if reply.len() >= message.len() {
                match tokio::time::timeout(after_the_echo, read).await {
                    Ok(n) => n?,
                    Err(_) => break, // all of it, then silence: the echo is complete
                }
            } else {
                read.await?
            };
            if n == 0 {
                break;
            }
            reply.extend_from_slice(&buf[..n]);
            if reply.len() >= message.len() && echoed_at.is_none() {
                echoed_at = Some(Instant::now());
            }
        }
        Ok::<(), std::io::Error>(())
    };
    match tokio::time::timeout(options.timeout, reading).await {
        Ok(Ok(())) => {}
        // A reset ends the reply like a close: what came is judged below.
        Ok(Err(e)) if is_closed_by_peer(&e) => {
            debug!("reading from {server}: {}", describe_io(&e));
        }
        Ok(Err(e)) => return Err(NetError::io(format!("reading from {server}"), e)),
        // The whole echo came, then the time ran out during the moment of
        // silence that follows it: the echo is complete all the same.
        Err(_) if reply == message.as_bytes() => {}
        Err(_) if message.as_bytes().starts_with(&reply) => {
            return Err(NetError::TimedOut {
                what: if reply.is_empty() {
                    format!("waiting for the echo from {server}")
                } else {
                    format!(
                        "waiting for the rest of the echo from {server} ({} of {} bytes came back)",
                        reply.len(),
                        message.len()
                    )
                },
                after: options.timeout,
            });
        }
        // Something else came, and then nothing: judged below.
        Err(_) => {}
    }
    if reply.is_empty() {
        return Err(closed_without_answer(&server));
    }
    // The round trip ends with the echo's last byte, not with the close.
    let elapsed = echoed_at.unwrap_or_else(Instant::now) - started;
    if reply != message.as_bytes() {
        print_wrong_reply(&reply).await?;
        return Err(not_echo(&server, message.as_bytes(), &reply));
    }
    print_bytes(&reply).await?;
    info!("round trip: {}", show_duration(elapsed));
    Ok(())
}

/// The explanation when what came back is not what was sent.
///
/// A datagram that comes back cut short is an echo server with a small
/// buffer (xinetd's keeps 2,048 bytes), not another protocol: said so.
/// Both sides are quoted at most [`QUOTED`] bytes long: a 64 KiB datagram
/// must not make a 64 KiB error line.
fn not_echo(server: &str, sent: &[u8], received: &[u8]) -> NetError {
    if !received.is_empty() && received.len() < sent.len() && sent.starts_with(received) {
        return NetError::protocol(format!(
            "the server at {server} sent back only the first {} of the {} bytes of the \
             datagram: it echoes, but cuts datagrams longer than its buffer. Send shorter \
             lines, or use TCP (without --udp), which carries a stream of any length.",
            received.len(),
            sent.len()
        ));
    }
    NetError::protocol(format!(
        "sent {} but received {}: the server at {server} does not speak {SERVICE}. \
         Is it the right port?",
        show_at_most(sent, QUOTED),
        show_at_most(received, QUOTED)
    ))
}

/// The most bytes of a message an error line quotes.
const QUOTED: usize = 64;

/// The explanation when the server closed the connection having sent nothing.
fn closed_without_answer(server: &str) -> NetError {
    NetError::ClosedWithoutAnswer {
        addr: server.to_string(),
        service: SERVICE.to_string(),
    }
}

/// Keyboard mode: one line at a time, each echo printed with its round-trip time.
///
/// While it waits for the keyboard, the client listens to the server too.
/// An echo server has nothing to say then, so whatever it does is news, shown
/// at once rather than at the next line typed: it closed the connection (it
/// was stopped, or its --idle-timeout ran out), or it talks on its own (it
/// speaks another protocol: a time or chat server speaks first).
async fn interactive_tcp(options: &Options) -> Result<(), NetError> {
    let (mut stream, server, opened) = connect(options).await?;
    note("Type a line and press Enter; Ctrl-D (Ctrl-Z on Windows) to finish.");
    // Each line exactly as typed, with its own ending: echo sends bytes back
    // unchanged, so the client sends them unchanged too.
    let mut keyboard = netkit::stdin::byte_lines();
    let mut echoed_any = false;
    let mut unasked = [0u8; 256];
    loop {
        let message = tokio::select! {
            line = keyboard.recv() => match line {
                Some(line) => line.map_err(|e| NetError::io("reading the keyboard", e))?,
                None => break, // Ctrl-D
            },
            // Both waits can be dropped unfinished without losing anything:
            // whichever did not win simply starts again next time round.
            read = stream.read(&mut unasked) => {
                return server_spoke_unasked(read, &unasked, &server, echoed_any, opened);
            }
        };
        let started = Instant::now();
        // Read back exactly as many bytes as were sent, counting what came,
        // so that a server that stops short is told apart from a silent one.
        let mut echo = vec![0u8; message.len()];
        let mut got = 0;
        let exchange = async {
            stream.write_all(&message).await?;
            while got < echo.len() {
                match stream.read(&mut echo[got..]).await? {
                    0 => break, // closed by the server
                    n => got += n,
                }
            }
            Ok::<(), std::io::Error>(())
        };
        let outcome = tokio::time::timeout(options.timeout, exchange).await;
        let echo = &echo[..got];
        // Another protocol's server answers with something else: say so
        // rather than print it as if it were the echo (even a part of it).
        if echo != &message[..got] {
            return Err(not_echo(&server, &message, echo));
        }
        match outcome {
            Ok(Ok(())) if got == message.len() => {}
            // Closed before the whole echo came back.
            Ok(Ok(())) => return Err(echo_cut_short(&server, got, &message, echoed_any)),
            Ok(Err(e)) if is_closed_by_peer(&e) => {
                return Err(echo_cut_short(&server, got, &message, echoed_any));
            }
            Ok(Err(e)) => return Err(NetError::io(format!("reading from {server}"), e)),
            Err(_) => {
                let came = if got > 0 {
                    format!(" ({got} of the {} bytes sent came back)", message.len())
                } else {
                    String::new()
                };
                return Err(NetError::TimedOut {
                    what: format!("waiting for the echo from {server}{came}"),
                    after: options.timeout,
                });
            }
        }
        echoed_any = true;
        print_bytes(with_round_trip(echo, started.elapsed()).as_bytes()).await?;
    }
    let _ = stream.shutdown().await;
    Ok(())
}

/// The server did something while the client waited for the keyboard, and
/// so owed it nothing: `read` tells what.
fn server_spoke_unasked(
    read: std::io::Result<usize>,
    buf: &[u8],
    server: &str,
    echoed_any: bool,
    opened: Opened,
) -> Result<(), NetError> {
    match read {
        Ok(n) if n > 0 => Err(NetError::protocol(format!(
            "the server at {server} sent {} without being asked: an echo server only \
             sends back what it receives, so it does not speak {SERVICE}: a time or \
             a chat server, for one, speaks first. Is it the right port?",
            show_bytes(&buf[..n])
        ))),
        Err(e) if !is_closed_by_peer(&e) => Err(NetError::io(format!("reading from {server}"), e)),
        // Closed (or reset) before the first line was even sent, right
        // after connecting: most likely a full server, which turns away
        // whoever comes beyond its --max-clients.
        _ if !echoed_any && opened.closed_right_away() => Err(closed_without_answer(server)),
        // Closed later, while the student was thinking: the server stopped,
        // or timed out the idle connection. Every line sent (if any) came
        // back: nothing is lost, the conversation is over.
        _ => {
            note(
                "The server closed the connection: it was stopped, or it closes \
                 connections idle for too long (its --idle-timeout).",
            );
            Ok(())
        }
    }
}

/// The server closed the connection after echoing `got` bytes of `message`.
fn echo_cut_short(server: &str, got: usize, message: &[u8], echoed_any: bool) -> NetError {
    if got == 0 && !echoed_any {
        return closed_without_answer(server);
    }
    NetError::protocol(format!(
        "the server at {server} closed the connection after sending back {got} of the {} \
         bytes of this line: the rest of the echo is lost. Was the server stopped (Ctrl-C), \
         or did it reach one of its limits, such as --idle-timeout?",
        message.len()
    ))
}

/// How many chunks of standard input (each at most [`netkit::stdin::CHUNK`]
/// = 64 KiB) may be sent and not yet echoed back. The client keeps them, to
/// compare with the echo as it arrives; when the server is that far behind,
/// sending waits. So the client never holds more than 4 MiB, whatever the
/// size of the stream.
const MAX_UNECHOED_CHUNKS: usize = 64;

/// What the sending half tells the checking half, in order.
enum Sent {
    /// These bytes go to the server now: their echo is owed. Shared with
    /// the sending half, which writes them: not a copy of each 64 KiB.
    Bytes(Arc<Vec<u8>>),
    /// The input is over and our side is about to be closed: the server now
    /// owes its own close.
    End,
}

/// Pipe mode: standard input to the server and the server to standard output,
/// concurrently, byte for byte, every byte that comes back checked.
async fn piped_tcp(options: &Options) -> Result<(), NetError> {
    let (stream, server, opened) = connect(options).await?;
    let tap = stream.tap().clone();
    let (reader, writer) = stream.into_inner().into_split();
    let reader = Traced::new(reader, tap.clone());
    let writer = Traced::new(writer, tap.clone());
    let (announce, announced) = mpsc::channel(MAX_UNECHOED_CHUNKS);
    let send = send_stdin(writer, announce, &server);
    let check = receive_and_check(reader, announced, &server, options.timeout, opened);
    // Sending fails on its own only when standard input does; whatever goes
    // wrong on the network, the checking half explains it, knowing how much
    // came back.
    tokio::try_join!(send, check)?;
    info!(
        "done: {} bytes sent, the same {} bytes received back",
        tap.bytes_out(),
        tap.bytes_in()
    );
    Ok(())
}

/// Standard input to the server. Each chunk is announced to the checking
/// half *before* it is written, so that its echo is always expected in time.
async fn send_stdin(
    mut writer: impl AsyncWrite + Unpin,
    announce: mpsc::Sender<Sent>,
    server: &str,
) -> Result<(), NetError> {
    let mut input = netkit::stdin::chunks();
    while let Some(chunk) = input.recv().await {
        let chunk = Arc::new(chunk.map_err(|e| NetError::io("reading standard input", e))?);
        // Waits while MAX_UNECHOED_CHUNKS are owed: backpressure.
        if announce
            .send(Sent::Bytes(Arc::clone(&chunk)))
            .await
            .is_err()
        {
            return Ok(()); // the checking half has stopped, and says why
        }
        if let Err(e) = writer.write_all(&chunk).await {
            debug!("sending to {server} stopped: {}", describe_io(&e));
            return Ok(());
        }
    }
    // Announced before closing: the server's close, which follows ours,
    // must never arrive before the checking half knows the input is over.
    if announce.send(Sent::End).await.is_err() {
        return Ok(());
    }
    // End of input: half-close, so the server knows we are done sending.
    if let Err(e) = writer.shutdown().await {
        debug!(
            "closing our side towards {server} failed: {}",
            describe_io(&e)
        );
    }
    Ok(())
}

/// The server to standard output, each byte compared with the one sent.
///
/// Fails when the server sends back other bytes, or more; when it closes
/// before everything came back; and when it stays silent for `idle` while
/// it owes something. While nothing is owed (the input pauses), there is no
/// time limit: the input may come slowly.
async fn receive_and_check(
    mut reader: impl AsyncRead + Unpin,
    mut announced: mpsc::Receiver<Sent>,
    server: &str,
    idle: Duration,
    opened: Opened,
) -> Result<(), NetError> {
    let mut stdout = tokio::io::stdout();
    let mut buf = vec![0u8; netkit::stdin::CHUNK];
    let mut owed = Owed::default();
    let mut deadline = tokio::time::Instant::now() + idle;
    loop {
        let n = tokio::select! {
            // Bytes already waiting are taken before a time-out is declared.
            biased;
            read = reader.read(&mut buf) => match read {
                Ok(n) => n,
                Err(e) if is_closed_by_peer(&e) => {
                    debug!("receiving from {server}: {}", describe_io(&e));
                    return owed.at_the_end(&mut announced, server, opened);
                }
                Err(e) => return Err(NetError::io(format!("receiving from {server}"), e)),
            },
            news = announced.recv(), if !owed.anything() => {
                // Something is owed from now on: the clock starts.
                owed.take(news);
                deadline = tokio::time::Instant::now() + owed.patience(idle);
                continue;
            }
            _ = tokio::time::sleep_until(deadline), if owed.anything() => {
                if owed.only_the_close() {
                    // Every byte came back: a server that waits for our
                    // full close (RFC 862 allows it) loses nothing.
                    debug!("{server} echoed everything and keeps its side open: closing ours");
                    return Ok(());
                }
                return Err(owed.timed_out(server, idle));
            }
        };
        if n == 0 {
            return owed.at_the_end(&mut announced, server, opened);
        }
        // Shown first, even if wrong: seeing what came helps understand.
        let written = async {
            stdout.write_all(&buf[..n]).await?;
            stdout.flush().await
        };
        written.await.map_err(NetError::output)?;
        owed.check(&buf[..n], &mut announced, server)?;
        deadline = tokio::time::Instant::now() + owed.patience(idle);
    }
}

/// What the server still owes the piped client: the bytes sent and not yet
/// echoed, and, once the input is over, its close.
#[derive(Default)]
struct Owed {
    /// The chunk being compared with the echo, and how much of it matched.
    chunk: Arc<Vec<u8>>,
    matched: usize,
    /// Bytes announced by the sending half so far.
    sent: u64,
    /// Bytes that came back identical.
    echoed: u64,
    /// The input is over: the server owes its close.
    input_over: bool,
    /// The sending half stopped before the end of the input (the
    /// connection failed): the server's close or reset is expected.
    sending_stopped: bool,
}

impl Owed {
    /// Does the server owe anything right now?
    fn anything(&self) -> bool {
        self.matched < self.chunk.len() || self.input_over || self.sending_stopped
    }

    /// The input is over and every byte came back: only the server's close
    /// is still to come, which RFC 862 does not require.
    fn only_the_close(&self) -> bool {
        self.input_over && !self.sending_stopped && self.matched == self.chunk.len()
    }

    /// How long the server may stay silent now: `idle` while it owes
    /// bytes, a moment ([`AFTER_THE_ANSWER`]) when only its close is owed.
    fn patience(&self, idle: Duration) -> Duration {
        if self.only_the_close() {
            idle.min(AFTER_THE_ANSWER)
        } else {
            idle
        }
    }

    /// Takes in what the sending half announced (`None`: it stopped).
    fn take(&mut self, news: Option<Sent>) {
        match news {
            Some(Sent::Bytes(chunk)) => {
                self.sent += chunk.len() as u64;
                self.chunk = chunk;
                self.matched = 0;
            }
            Some(Sent::End) => self.input_over = true,
            None => self.sending_stopped = true,
        }
    }

    /// Compares bytes that came back with the next bytes owed.
    fn check(
        &mut self,
        mut got: &[u8],
        announced: &mut mpsc::Receiver<Sent>,
        server: &str,
    ) -> Result<(), NetError> {
        while !got.is_empty() {
            if self.matched == self.chunk.len() {
                // Every chunk is announced before it is sent: nothing
                // announced means these bytes were never sent.
                match announced.try_recv() {
                    Ok(Sent::Bytes(chunk)) => self.take(Some(Sent::Bytes(chunk))),
                    _ => return Err(self.more_than_sent(got, server)),
                }
                continue;
            }
            let expected = &self.chunk[self.matched..];
            let n = got.len().min(expected.len());
            if let Some(i) = (0..n).find(|&i| got[i] != expected[i]) {
                return Err(NetError::protocol(format!(
                    "byte {} of the echo differs from the byte sent: sent {} but received {}. \
                     The server at {server} does not speak {SERVICE}, or it changed the data. \
                     Is it the right port?",
                    self.echoed + i as u64 + 1,
                    show_bytes(&expected[i..expected.len().min(i + 16)]),
                    show_bytes(&got[i..n.min(i + 16)]),
                )));
            }
            self.matched += n;
            self.echoed += n as u64;
            got = &got[n..];
        }
        Ok(())
    }

    fn more_than_sent(&self, extra: &[u8], server: &str) -> NetError {
        NetError::protocol(format!(
            "the server at {server} sent back more bytes than it received: after the {} \
             bytes of the echo came {}. It does not speak {SERVICE}. Is it the right port?",
            self.echoed,
            show_bytes(&extra[..extra.len().min(16)])
        ))
    }

    /// The server closed (or reset) the connection: fine only if the input
    /// is over and every byte came back.
    fn at_the_end(
        &mut self,
        announced: &mut mpsc::Receiver<Sent>,
        server: &str,
        opened: Opened,
    ) -> Result<(), NetError> {
        // What was announced but not taken in yet is owed too.
        let mut sent = self.sent;
        let mut input_over = self.input_over;
        while let Ok(news) = announced.try_recv() {
            match news {
                Sent::Bytes(chunk) => sent += chunk.len() as u64,
                Sent::End => input_over = true,
            }
        }
        let echoed = self.echoed;
        if input_over && echoed == sent {
            return Ok(());
        }
        if sent == 0 && !opened.closed_right_away() {
            // The input has not started yet (a slow producer) and the
            // connection was open a while: the server was not full, it
            // closed a connection that stayed idle too long, or it stopped.
            // An error all the same: the input that is still to come can no
            // longer be copied.
            return Err(NetError::protocol(format!(
                "the server at {server} closed the connection before standard input had \
                 anything to send: it was stopped (Ctrl-C), or it closes connections idle \
                 for too long (its --idle-timeout). Start echo-client when the input is \
                 ready, or give the server a longer --idle-timeout."
            )));
        }
        if echoed == 0 {
            return Err(closed_without_answer(server));
        }
        if echoed < sent {
            return Err(NetError::protocol(format!(
                "the server at {server} closed the connection after sending back {echoed} \
                 of the {sent} bytes sent: the rest of the echo is lost, so the copy on \
                 standard output is incomplete. Was the server stopped (Ctrl-C), or did it reach \
                 one of its limits, such as --idle-timeout?"
            )));
        }
        Err(NetError::protocol(format!(
            "the server at {server} closed the connection before the end of the input \
             ({echoed} bytes sent and echoed): the rest was never sent, so the copy on \
             standard output is incomplete. Was the server stopped?"
        )))
    }

    fn timed_out(&self, server: &str, idle: Duration) -> NetError {
        let what = if self.matched < self.chunk.len() {
            format!(
                "waiting for the echo from {server} ({} of the {} bytes sent came back)",
                self.echoed, self.sent
            )
        } else {
            format!("waiting for {server} to close the connection after the echo")
        };
        NetError::TimedOut { what, after: idle }
    }
}

async fn open_udp(options: &Options) -> Result<UdpServer, NetError> {
    let target = UdpServer::open(&options.host, options.port).await?;
    if let Ok(local) = target.socket().local_addr() {
        info!(
            "sending UDP datagrams to {} from {local}",
            join_host_port(&options.host, options.port)
        );
    }
    Ok(target)
}

/// How many earlier datagrams are remembered, to recognise their late echoes.
const REMEMBERED: usize = 8;

// A line longer than stdin::MAX_LINE arrives in pieces; each piece is then
// itself longer than a datagram can be, so the size check below refuses
// it instead of sending a long line cut in several datagrams.
const _: () = assert!(netkit::stdin::MAX_LINE > MAX_UDP_PAYLOAD);

/// Sends one datagram and waits for its echo, resending after each time-out.
///
/// A refusal before anything came back (nothing listens at that address)
/// moves on to the next address of the server's name, if it has one: a
/// `localhost` that is ::1 first, with a server on 127.0.0.1 only.
///
/// `earlier` holds the last datagrams sent before this one: a reply equal to
/// one of them is a late echo (it came after its time-out, or is the second
/// echo of a resent datagram), not an answer to this one. Any other reply
/// means the server does not speak echo: it is shown, and is an error.
pub async fn udp_round_trip(
    target: &mut UdpServer,
    options: &Options,
    datagram: &[u8],
    earlier: &mut VecDeque<Vec<u8>>,
) -> Result<(Vec<u8>, Duration), NetError> {
    let server = join_host_port(&options.host, options.port);
    if datagram.len() > MAX_UDP_PAYLOAD {
        let most = group_thousands(MAX_UDP_PAYLOAD);
        return Err(NetError::protocol(format!(
            "a line longer than {most} bytes does not fit in one UDP datagram \
             (at most {most} bytes over IPv4). Send it over TCP (without --udp), \
             which carries a stream of any length, or split it into shorter lines."
        )));
    }
    let mut tap = Tap::datagrams(target.addr(), options.trace, None);
    // Room for any datagram (IPv6 allows more than IPv4): a longer reply cut
    // to our size could look like the echo.
    let mut buf = vec![0u8; UDP_RECV_BUFFER];
    // Whatever already waits in the socket answers an *earlier* datagram (a
    // reply that came after its time-out, or the second reply to a resent
    // one). Taking it as the answer to this one would shift every line by one.
    while let Ok(n) = target.socket().try_recv(&mut buf) {
        tap.received(&buf[..n]);
        debug!("ignored a late reply of {n} bytes to an earlier datagram");
    }
    // Wider than `--retries`: a library caller may pass u32::MAX.
    let mut attempt: u64 = 0;
    'attempts: while attempt <= u64::from(options.retries) {
        if attempt > 0 {
            warn!(
                "no answer from {server} yet: sending again ({attempt}/{})",
                options.retries
            );
        }
        attempt += 1;
        let started = Instant::now();
        if let Err(e) = target.socket().send(datagram).await {
            // Before any echo, an address that cannot be sent to (IPv6
            // switched off?) gives way to the name's next one.
            if earlier.is_empty() && target.next_address(&e).await?.is_some() {
                tap = Tap::datagrams(target.addr(), options.trace, None);
                attempt -= 1;
                continue 'attempts;
            }
            return Err(NetError::io(format!("sending to {server}"), e));
        }
        tap.sent(datagram);
        let deadline = tokio::time::Instant::now() + options.timeout;
        loop {
            match tokio::time::timeout_at(deadline, target.socket().recv(&mut buf)).await {
                Ok(Ok(n)) => {
                    tap.received(&buf[..n]);
                    let reply = &buf[..n];
                    if reply == datagram {
                        let took = started.elapsed();
                        if earlier.len() == REMEMBERED {
                            earlier.pop_front();
                        }
                        earlier.push_back(datagram.to_vec());
                        return Ok((reply.to_vec(), took));
                    }
                    if earlier.iter().any(|sent| sent == reply) {
                        debug!("ignored a late echo of an earlier datagram ({n} bytes)");
                        continue;
                    }
                    // An answer, but to nothing we sent: the server speaks
                    // another protocol. Show what it said, then say so.
                    print_wrong_reply(reply).await?;
                    return Err(not_echo(&server, datagram, reply));
                }
                // Nothing listens at this address. Before any echo, the
                // name's next address is tried, and that send is no retry.
                Ok(Err(e)) if is_udp_refusal(&e) && earlier.is_empty() => {
                    if target.next_address(&e).await?.is_none() {
                        return Err(NetError::io(
                            format!("waiting for a reply from {server}"),
                            e,
                        ));
                    }
                    tap = Tap::datagrams(target.addr(), options.trace, None);
                    attempt -= 1;
                    continue 'attempts;
                }
                Ok(Err(e)) => {
                    return Err(NetError::io(
                        format!("waiting for a reply from {server}"),
                        e,
                    ));
                }
                Err(_) => break,
            }
        }
    }
    Err(NetError::TimedOut {
        what: format!(
            "waiting for a UDP reply from {server} ({} tries)",
            options.retries.saturating_add(1)
        ),
        after: options.timeout,
    })
}

/// `--udp` without text: every input line is one datagram, sent exactly as
/// it came (any bytes, its own line ending).
async fn lines_udp(options: &Options, interactive: bool) -> Result<(), NetError> {
    let mut target = open_udp(options).await?;
    if interactive {
        note("Type a line and press Enter: it goes in one datagram. Ctrl-D to finish.");
    }
    let mut lines = netkit::stdin::byte_lines();
    let mut earlier = VecDeque::new();
    while let Some(line) = lines.recv().await {
        let line = line.map_err(|e| NetError::io("reading standard input", e))?;
        let (reply, took) = udp_round_trip(&mut target, options, &line, &mut earlier).await?;
        if interactive {
            // As over TCP: the echo, and how long its trip took.
            print_bytes(with_round_trip(&reply, took).as_bytes()).await?;
        } else {
            info!("round trip: {}", show_duration(took));
            print_bytes(&reply).await?;
        }
    }
    Ok(())
}

/// Writes to standard output. If whoever reads it has gone (`| head -1`),
/// there is nobody left to show anything to, so the client must stop: the
/// error says so, and `netkit::run` ends quietly with it (exit code 0, no
/// message). Swallowing it here instead would let a loop go on sending
/// lines whose echoes nobody will ever read, until its input ends.
async fn print_bytes(bytes: &[u8]) -> Result<(), NetError> {
    let mut stdout = tokio::io::stdout();
    let written = async {
        stdout.write_all(bytes).await?;
        stdout.flush().await
    };
    written.await.map_err(NetError::output)
}

/// Shows what came back although it is not the echo, before the error that
/// says so. Into a file or a pipe it goes as it came: the output is a copy
/// of what the server sent. Not onto a terminal: the error shows it too,
/// escaped, and another protocol's raw bytes (binary, escape sequences)
/// would garble the screen and glue the error line to them.
async fn print_wrong_reply(bytes: &[u8]) -> Result<(), NetError> {
    if std::io::stdout().is_terminal() {
        return Ok(());
    }
    match print_bytes(bytes).await {
        // Its reader has gone: the error that follows, on stderr, is what
        // matters, so it must not be replaced by a quiet exit.
        Err(e) if e.is_closed_output() => Ok(()),
        other => other,
    }
}

/// What a person at the keyboard sees for an echo: the line, and how long
/// its round trip took.
fn with_round_trip(echo: &[u8], took: Duration) -> String {
    let text = String::from_utf8_lossy(echo);
    format!(
        "{}   (round trip {})\n",
        text.trim_end_matches(['\r', '\n']),
        show_duration(took)
    )
}

/// `0.213 ms`, `12.5 ms`, `1.20 s`: the right unit for a round trip.
pub fn show_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms < 10.0 {
        format!("{ms:.3} ms")
    } else if ms < 1000.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_right_after_connecting_is_told_from_a_later_one() {
        let ms = Duration::from_millis;
        // Loopback: connecting takes microseconds; a full server's close
        // comes a moment later, an idle time-out of 1 s much later.
        assert!(closed_right_away(Duration::from_micros(100), ms(5)));
        assert!(!closed_right_away(Duration::from_micros(100), ms(1000)));
        // A slow network: both the connection and the close take longer.
        assert!(closed_right_away(ms(200), ms(450)));
        assert!(!closed_right_away(ms(200), ms(1000)));
        // However slow connecting was, a close seconds later is not a refusal.
        assert!(!closed_right_away(ms(5000), ms(3000)));
    }

    #[test]
    fn durations_use_a_readable_unit() {
        assert_eq!(show_duration(Duration::from_micros(213)), "0.213 ms");
        assert_eq!(show_duration(Duration::from_micros(12_500)), "12.5 ms");
        assert_eq!(show_duration(Duration::from_millis(1200)), "1.20 s");
    }
}
