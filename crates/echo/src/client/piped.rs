//! # Pipe mode: `cat big.bin | echo-client > copy.bin`
//!
//! Any bytes, of any size, copied through the server and checked. Sending
//! and receiving run *at the same time*, in two halves: a client that sent
//! everything before reading would deadlock once both sides' buffers are
//! full. The sending half tells the checking half what it sent, so that
//! every byte coming back is compared with the one that went out, and the
//! client holds only a bounded amount of it ([`MAX_UNECHOED_CHUNKS`]).

use std::sync::Arc;
use std::time::Duration;

use netkit::NetError;
use netkit::error::{describe_io, is_closed_by_peer};
use netkit::net::AFTER_THE_ANSWER;
use netkit::trace::{Traced, show_bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tracing::{debug, info};

use super::{Opened, Options, SERVICE, closed_without_answer, connect};

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
pub(super) async fn piped_tcp(options: &Options) -> Result<(), NetError> {
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
                return Err(owed.timed_out(&mut announced, server, idle));
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

    fn timed_out(
        &self,
        announced: &mut mpsc::Receiver<Sent>,
        server: &str,
        idle: Duration,
    ) -> NetError {
        // `self.sent` counts only the chunks taken in for comparison; the
        // sending half may have sent up to MAX_UNECHOED_CHUNKS more, which
        // the count of bytes sent must include (as `at_the_end` does).
        let mut sent = self.sent;
        while let Ok(news) = announced.try_recv() {
            if let Sent::Bytes(chunk) = news {
                sent += chunk.len() as u64;
            }
        }
        let what = if self.matched < self.chunk.len() {
            format!(
                "waiting for the echo from {server} ({} of the {sent} bytes sent came back)",
                self.echoed
            )
        } else {
            format!("waiting for {server} to close the connection after the echo")
        };
        NetError::TimedOut { what, after: idle }
    }
}
