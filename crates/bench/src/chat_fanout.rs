//! # chat-fanout: one line in, N lines out
//!
//! A chat server's work is the *fan-out*: every `MSG` a client sends is
//! written to every client in the room. N clients connect (and take a
//! nickname), S of them send M messages each, and every client counts what
//! it receives. The figures:
//!
//! - **delivered lines per second**, all clients together;
//! - **completeness**: delivered / expected (1 means every line arrived),
//!   and how many arrived out of order (chat/1 promises one global order,
//!   so each sender's numbers must arrive increasing at every client): a
//!   line is out of order when a later line of its sender came before it.
//!   A lost line is not "out of order" (completeness shows it), and a line
//!   received twice is counted apart (`duplicated`), never as delivered.
//!   `sent` tells a lossy relay from a slow reader: the run ends at its
//!   deadline even if the senders are not done, and lines never sent are
//!   not delivered either;
//! - **delivery latency** from the moment the line was sent to the moment a
//!   client read it (p50, p99, max): every message carries its send time,
//!   and all clients live in this one process, on one clock. A paced line
//!   counts from when it was due, so that a sender held back by the server
//!   does not hide the wait, except for the sender's own timer lateness
//!   (see `sent_at_us`); a burst's line from when it was written;
//! - with `--pid`, the server's **CPU time per delivered line**, from procfs:
//!   how the cost grows with the size of the room.
//!
//! Sending is a burst (as fast as the server accepts) or *paced* at a fixed
//! rate per sender (`--rate`), which is how latency should be judged: a
//! burst measures queueing, not responsiveness.
//!
//! `--mode raw` speaks plain lines instead of chat/1, for `ncat --chat`,
//! which prefixes each relayed line with `<userN>` and does not send a line
//! back to its sender.
//!
//! ## Starting together
//!
//! Before measuring, client 0 sends a *sync* line every 200 ms until every
//! other client has received one. With chat/1's single global order, a
//! client that has seen the sync has also read every `JOIN` sent before it,
//! so the measurement starts on quiet connections.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use netkit::NetError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::{Notify, Semaphore, oneshot};
use tokio_util::sync::CancellationToken;

use crate::common::{Progress, all_or_first_error, connect, room_for, within};
use crate::procfs;
use crate::report::Report;
use crate::stats::Latencies;

/// Which protocol the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// chat/1: `NICK` first, `MSG <text>`, everyone (sender too) gets `MSG <nick> <text>`.
    Chat,
    /// Plain lines relayed to the others (ncat --chat).
    Raw,
}

/// The most lines a run may expect (clients × senders × messages): a run
/// that big takes minutes already, and each expected line may cost a bit of
/// memory in `Seen` (one record per client and sender).
pub const MAX_DELIVERIES: u64 = 100_000_000;

/// The most extra bytes of text per message (`--size`). chat/1 servers
/// refuse lines longer than [`codec::chat::MAX_LINE`] anyway; this bound
/// only keeps a mistyped size from exhausting memory.
pub const MAX_SIZE: usize = 64 * 1024;

/// The longest a paced run may take to send (`--messages` / `--rate`): a
/// day, like any other duration of netlab.
const MAX_SENDING: f64 = 86_400.0;

/// What to run.
#[derive(Debug, Clone)]
pub struct Params {
    /// The protocol.
    pub mode: Mode,
    /// Clients in the room.
    pub clients: usize,
    /// How many of them send.
    pub senders: usize,
    /// Messages per sender.
    pub messages: u64,
    /// Lines per second per sender; 0 = as fast as possible (a burst).
    pub rate: f64,
    /// Extra bytes of text per message.
    pub size: usize,
    /// Lines per write when several are due (1 = each message in its own
    /// write, as a person typing; more = a pasted burst).
    pub batch: usize,
    /// Longest wait for setup; and for delivery, after sending was planned
    /// to end (at once for a burst): then the run ends, sent or not.
    pub timeout: Duration,
    /// The server's process id, for its CPU time (procfs).
    pub pid: Option<u32>,
    /// No progress line.
    pub quiet: bool,
}

impl Params {
    /// Refuses, in plain words, what cannot be run: a rate that is not a
    /// number, sending that would last more than a day, a run of absurd
    /// size, raw mode with nobody to relay to. A usage mistake (exit code 2).
    pub fn check(&self) -> Result<(), NetError> {
        if !(0.0..=1e6).contains(&self.rate) {
            return Err(NetError::usage(
                "--rate must be between 0 and 1000000 lines/s",
            ));
        }
        if self.rate > 0.0 && self.messages as f64 / self.rate > MAX_SENDING {
            return Err(NetError::usage(format!(
                "--messages {} at --rate {} lines/s would take {:.0} s to send, more than a \
                 day: raise --rate or lower --messages",
                self.messages,
                self.rate,
                self.messages as f64 / self.rate
            )));
        }
        if self.size > MAX_SIZE {
            return Err(NetError::usage(format!(
                "--size {} is too large: give at most {MAX_SIZE} extra bytes per message \
                 (a chat/1 server refuses lines over {} bytes anyway)",
                self.size,
                codec::chat::MAX_LINE
            )));
        }
        let (n, s) = (
            self.clients.max(1),
            self.senders.clamp(1, self.clients.max(1)),
        );
        let deliveries = (n as u64)
            .saturating_mul(s as u64)
            .saturating_mul(self.messages);
        if deliveries > MAX_DELIVERIES {
            return Err(NetError::usage(format!(
                "{n} clients × {s} senders × {} messages = {deliveries} lines to deliver, \
                 more than {MAX_DELIVERIES}: lower --clients, --senders or --messages",
                self.messages
            )));
        }
        if self.mode == Mode::Raw && n < 2 {
            return Err(NetError::usage(
                "--mode raw needs at least 2 clients: the server does not send a line back \
                 to its author, so a client alone would receive nothing",
            ));
        }
        if self.timeout.is_zero() {
            return Err(NetError::usage(
                "a --timeout of 0 s would fail every run: give more than 0",
            ));
        }
        Ok(())
    }
}

/// The marker that starts the text of every benchmark line.
const MARK: &[u8] = b"nlb ";
/// The marker of sync lines.
const SYNC: &[u8] = b"nlb-sync";
/// The longest part of a line we look at; the rest (ncat's announcements
/// list every user) is skipped, so memory stays bounded.
const LOOK: usize = 256;
/// After the last send, this long without a delivery ends the wait.
const STALL: Duration = Duration::from_millis(1500);
/// chat/1 clients connecting at once during setup.
const CONNECTING: usize = 64;
/// In raw mode, clients join one at a time, each waiting (this long at
/// most) for the server's first line: `ncat --chat` listens with a backlog
/// of 10 and quits when a connection it has not accepted yet is reset.
const RAW_GREETING_WAIT: Duration = Duration::from_secs(2);

/// How long the goodbye may take once everything is measured (see [`goodbye`]).
const GOODBYE: Duration = Duration::from_secs(5);

/// Counters shared by every reader.
struct Shared {
    /// The clock every timestamp is measured on.
    base: Instant,
    delivered: AtomicU64,
    /// Benchmark lines the server has taken in (written by the senders).
    sent: AtomicU64,
    expected: u64,
    /// Lines each sender sends, numbered from 1.
    messages: u64,
    /// The time (µs since `base`) of the last benchmark line read.
    last_us: AtomicU64,
    /// Clients other than client 0 that have seen a sync line.
    synced: AtomicUsize,
    /// Raw mode: a client waited in vain for the server's first line. The
    /// server greets nobody, so the others do not wait for it: a room of
    /// 1,000 would otherwise take 1,000 × [`RAW_GREETING_WAIT`] to set up.
    ungreeted: AtomicBool,
    all_delivered: Notify,
    stop: CancellationToken,
    /// Every delivery latency of the run. Readers add a whole read's lines
    /// at a time: one lock per read, not per line.
    latencies: Mutex<Latencies>,
}

/// What one reader found.
struct Heard {
    out_of_order: u64,
    duplicated: u64,
    closed_early: bool,
}

/// Which of one sender's lines one client has received, to tell a line that
/// arrives late (delivered, out of order) from one that arrives again (a
/// duplicate: delivered once only), and to ignore numbers never sent.
///
/// While lines arrive in order only `highest` moves, and nothing is stored.
/// At the first gap (a line lost, or late), a bitmap of the sender's lines
/// takes over: one bit per line, at most [`MAX_DELIVERIES`] bits in all.
#[derive(Debug, Default)]
struct Seen {
    /// The highest line number received so far (0: none yet).
    highest: u64,
    /// Bit `i` set: line `i + 1` has arrived. Only after a gap.
    bits: Option<Vec<u64>>,
}

/// How a line numbered `seq` arrived, for its client.
#[derive(Debug, PartialEq, Eq)]
enum Arrival {
    /// After every line of its sender it has seen (gaps allowed: a lost
    /// line shows in completeness).
    InOrder,
    /// After a later line of the same sender.
    Late,
    /// A second time.
    Duplicate,
    /// A number the sender never sent.
    Unknown,
}

impl Seen {
    /// Records line `seq` of a sender that sends lines 1 to `messages`.
    fn receive(&mut self, seq: u64, messages: u64) -> Arrival {
        if seq == 0 || seq > messages {
            return Arrival::Unknown;
        }
        let bits = match &mut self.bits {
            Some(bits) => bits,
            // No gap so far: every line up to `highest` has arrived.
            None if seq == self.highest + 1 => {
                self.highest = seq;
                return Arrival::InOrder;
            }
            None if seq <= self.highest => return Arrival::Duplicate,
            None => {
                // The first gap: from now on, remember each line. Lines 1
                // to `highest` have arrived.
                let mut bits = vec![0u64; messages.div_ceil(64) as usize];
                let full = (self.highest / 64) as usize;
                bits[..full].fill(u64::MAX);
                if self.highest % 64 != 0 {
                    bits[full] = (1 << (self.highest % 64)) - 1;
                }
                self.bits.insert(bits)
            }
        };
        let (word, bit) = (((seq - 1) / 64) as usize, 1u64 << ((seq - 1) % 64));
        if bits[word] & bit != 0 {
            return Arrival::Duplicate;
        }
        bits[word] |= bit;
        if seq < self.highest {
            Arrival::Late
        } else {
            self.highest = seq;
            Arrival::InOrder
        }
    }
}

/// What one client's reader keeps from one read to the next, and what it
/// found. Plain code, no I/O: [`read_lines`] feeds it what each read brings.
struct Listener {
    mode: Mode,
    /// Lines each sender sends, numbered from 1.
    messages: u64,
    /// chat/1: told the answer to `NICK`; raw mode: told of the first line.
    registered: Option<oneshot::Sender<Result<(), String>>>,
    synced: bool,
    seen: Vec<Seen>,
    heard: Heard,
    /// The start of a line cut by the end of a read (at most LOOK bytes).
    partial: Vec<u8>,
    /// Its true length, possibly more than LOOK.
    partial_len: usize,
    /// Built once: a search set up anew for each of millions of lines costs
    /// more than the search itself.
    marker: memchr::memmem::Finder<'static>,
    /// The latencies (µs) of the benchmark lines of the latest read.
    latencies: Vec<u64>,
}

impl Listener {
    fn new(
        mode: Mode,
        index: usize,
        senders: usize,
        messages: u64,
        registered: Option<oneshot::Sender<Result<(), String>>>,
    ) -> Listener {
        Listener {
            mode,
            messages,
            registered,
            synced: index == 0,
            seen: (0..senders).map(|_| Seen::default()).collect(),
            heard: Heard {
                out_of_order: 0,
                duplicated: 0,
                closed_early: false,
            },
            partial: Vec::with_capacity(LOOK),
            partial_len: 0,
            marker: memchr::memmem::Finder::new(b"nlb"),
            latencies: Vec::new(),
        }
    }

    /// Takes the bytes of one read, which arrived at `now_us`: every line
    /// they complete is checked, and its latency added to `latencies`.
    /// Returns `true` when they brought this client's first sync line.
    fn take(&mut self, bytes: &[u8], now_us: u64) -> bool {
        let mut first_sync = false;
        let mut chunk = bytes;
        while let Some(end) = memchr::memchr(b'\n', chunk) {
            let piece = &chunk[..end];
            if self.partial_len > 0 {
                let room = LOOK.saturating_sub(self.partial.len());
                self.partial
                    .extend_from_slice(&piece[..piece.len().min(room)]);
                let line = std::mem::take(&mut self.partial);
                first_sync |= self.line(&line, now_us);
                self.partial = line;
                self.partial.clear();
                self.partial_len = 0;
            } else {
                first_sync |= self.line(&piece[..piece.len().min(LOOK)], now_us);
            }
            chunk = &chunk[end + 1..];
        }
        if !chunk.is_empty() {
            let room = LOOK.saturating_sub(self.partial.len());
            self.partial
                .extend_from_slice(&chunk[..chunk.len().min(room)]);
            self.partial_len += chunk.len();
        }
        first_sync
    }

    /// One whole line (without its LF). Returns `true` for the first sync.
    fn line(&mut self, line: &[u8], now_us: u64) -> bool {
        if self.registered.is_some() && self.registration(line) {
            return false;
        }
        let Some(at) = self.find_mark(line) else {
            return false;
        };
        let text = &line[at..];
        if text.starts_with(SYNC) {
            return !std::mem::replace(&mut self.synced, true);
        }
        if let Some((sender, seq, sent_us)) = text.strip_prefix(MARK).and_then(parse_mark)
            && let Some(seen) = self.seen.get_mut(sender)
        {
            match seen.receive(seq, self.messages) {
                Arrival::Duplicate => self.heard.duplicated += 1,
                Arrival::Unknown => {}
                arrival => {
                    self.heard.out_of_order += u64::from(arrival == Arrival::Late);
                    self.latencies.push(now_us.saturating_sub(sent_us));
                }
            }
        }
        false
    }

    /// Before it is registered, a client waits for the server's answer to
    /// its `NICK` (chat/1) or for any first line (raw). `true`: this was it.
    fn registration(&mut self, line: &[u8]) -> bool {
        let refused = self.mode == Mode::Chat && line.starts_with(b"ERR");
        let answer = match self.mode {
            Mode::Chat => line.starts_with(b"OK NICK") || refused,
            Mode::Raw => true,
        };
        if let Some(r) = self.registered.take_if(|_| answer) {
            let _ = r.send(if refused {
                Err(String::from_utf8_lossy(line).into_owned())
            } else {
                Ok(())
            });
        }
        answer
    }

    /// Where the benchmark text starts in a relayed line: chat/1 relays it
    /// as `MSG <nick> <text>`, ncat as `<userN> <text>`, or bare for the
    /// second line of one of its reads. Those places are tried first: a
    /// general search, for millions of short lines, costs more than all
    /// the rest of a line's work. Anything else gets the general search.
    fn find_mark(&self, line: &[u8]) -> Option<usize> {
        let mut at = 0;
        for _ in 0..3 {
            if line[at..].starts_with(b"nlb") {
                return Some(at);
            }
            match line[at..].iter().position(|&b| b == b' ') {
                Some(space) => at += space + 1,
                None => break,
            }
        }
        self.marker.find(line)
    }
}

/// One client's reader: counts benchmark lines, checks their order, and
/// (chat/1) reports when its nickname is accepted.
async fn read_lines(
    mut read: OwnedReadHalf,
    mode: Mode,
    index: usize,
    senders: usize,
    shared: Arc<Shared>,
    registered: Option<oneshot::Sender<Result<(), String>>>,
) -> (Heard, OwnedReadHalf) {
    let mut listener = Listener::new(mode, index, senders, shared.messages, registered);
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            biased;
            _ = shared.stop.cancelled() => break,
            // A read error ends this client like a close does.
            n = read.read(&mut buf) => n.unwrap_or(0),
        };
        if n == 0 {
            listener.heard.closed_early = !shared.stop.is_cancelled();
            if let Some(r) = listener.registered.take() {
                let _ = r.send(Err("the server closed the connection".into()));
            }
            break;
        }
        let now_us = shared.base.elapsed().as_micros() as u64;
        if listener.take(&buf[..n], now_us) {
            shared.synced.fetch_add(1, Ordering::Relaxed);
        }
        if !listener.latencies.is_empty() {
            let count = listener.latencies.len() as u64;
            // No `.await` while it is held (tokio's rule for std locks).
            let mut all = shared
                .latencies
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for us in listener.latencies.drain(..) {
                all.record(Duration::from_micros(us));
            }
            drop(all);
            shared.last_us.fetch_max(now_us, Ordering::Relaxed);
            let total = shared.delivered.fetch_add(count, Ordering::Relaxed) + count;
            if total >= shared.expected {
                shared.all_delivered.notify_one();
            }
        }
    }
    (listener.heard, read)
}

/// `S Q T …` → (sender, sequence number, send time in µs).
///
/// Read straight from the bytes: this runs for every delivered line, millions
/// a second, and must cost the load tool less than the server it measures.
fn parse_mark(text: &[u8]) -> Option<(usize, u64, u64)> {
    let (sender, rest) = number(text)?;
    let (seq, rest) = number(rest.strip_prefix(b" ")?)?;
    let (sent, rest) = number(rest.strip_prefix(b" ")?)?;
    // The third number must end there: at a space, a CR, or the line's end.
    matches!(rest.first(), None | Some(b' ' | b'\r')).then_some((
        usize::try_from(sender).ok()?,
        seq,
        sent,
    ))
}

/// The decimal number at the start of `bytes`, and what follows it. `None`
/// when there is no digit, or more than 19 (beyond what a u64 surely holds).
fn number(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let (mut value, mut len) = (0u64, 0);
    while let Some(&b) = bytes.get(len).filter(|b| b.is_ascii_digit()) {
        if len == 19 {
            return None;
        }
        value = value * 10 + u64::from(b - b'0');
        len += 1;
    }
    (len > 0).then_some((value, &bytes[len..]))
}

/// One line as the protocol wants it.
fn line(mode: Mode, text: &str) -> String {
    match mode {
        Mode::Chat => format!("MSG {text}\n"),
        Mode::Raw => format!("{text}\n"),
    }
}

/// A connected client: its write half, and its reader's task.
struct Client {
    write: OwnedWriteHalf,
    reader: tokio::task::JoinHandle<(Heard, OwnedReadHalf)>,
}

/// Connects client `index` (and, for chat/1, takes nickname `c<index>`).
async fn join(
    addr: SocketAddr,
    index: usize,
    params: &Params,
    shared: Arc<Shared>,
) -> Result<Client, NetError> {
    let stream = connect(addr, params.timeout).await?;
    let (read, mut write) = stream.into_split();
    let (tx, rx) = oneshot::channel();
    let reader = tokio::spawn(read_lines(
        read,
        params.mode,
        index,
        params.senders,
        shared.clone(),
        Some(tx),
    ));
    if params.mode == Mode::Chat {
        let nick = format!("NICK c{index}\n");
        write
            .write_all(nick.as_bytes())
            .await
            .map_err(|e| NetError::io(format!("sending NICK for client {index}"), e))?;
        let answer = within(params.timeout, format!("OK NICK for client {index}"), rx).await?;
        match answer {
            Ok(Ok(())) => {}
            Ok(Err(why)) => {
                return Err(NetError::protocol(format!(
                    "client {index} could not join: {why} (is --max-clients high enough?)"
                )));
            }
            Err(_) => {
                return Err(NetError::protocol(format!(
                    "client {index}'s reader stopped"
                )));
            }
        }
    } else {
        // A server that greets nobody costs the wait once, not per client.
        if !shared.ungreeted.load(Ordering::Relaxed)
            && tokio::time::timeout(RAW_GREETING_WAIT, rx).await.is_err()
        {
            shared.ungreeted.store(true, Ordering::Relaxed);
        }
    }
    Ok(Client { write, reader })
}

/// Sends `messages` benchmark lines as sender `sender`, or fewer: sending
/// stops with the run (`shared.stop`). Each write is bounded by the time-out,
/// but a server that reads slowly, never slowly enough for it, would
/// otherwise keep the senders (and the tool) going long after the run's
/// deadline: 10,000 long lines at 3 MB/s take minutes.
async fn send(
    mut write: OwnedWriteHalf,
    sender: usize,
    params: Params,
    shared: Arc<Shared>,
    start: Instant,
) -> Result<OwnedWriteHalf, NetError> {
    let pad = "x".repeat(params.size);
    let start_us = start.saturating_duration_since(shared.base).as_micros() as u64;
    // When the sender's latest sleep began and ended (µs since `base`).
    let mut slept_us = start_us..start_us;
    let mut batch = String::with_capacity(20 * 1024);
    let mut seq = 0u64;
    while seq < params.messages {
        // In a burst, everything is due now; when paced, what the clock says.
        let due = if params.rate > 0.0 {
            let elapsed = start.elapsed().as_secs_f64();
            ((elapsed * params.rate) as u64 + 1).min(params.messages)
        } else {
            params.messages
        };
        let mut in_batch = 0u64;
        while seq < due && in_batch < params.batch as u64 && batch.len() < 16 * 1024 {
            in_batch += 1;
            seq += 1;
            let now_us = shared.base.elapsed().as_micros() as u64;
            let sent_us = sent_at_us(params.rate, start_us, seq, &slept_us, now_us);
            let sep = if pad.is_empty() { "" } else { " " };
            batch.push_str(&line(
                params.mode,
                &format!("nlb {sender} {seq} {sent_us}{sep}{pad}"),
            ));
        }
        if !batch.is_empty() {
            let written = within(
                params.timeout,
                format!("the server to read sender {sender}'s lines"),
                write.write_all(batch.as_bytes()),
            );
            tokio::select! {
                // The run is over: what was not written is not sent (it
                // shows as not delivered), and a line cut in the middle no
                // longer matters.
                _ = shared.stop.cancelled() => break,
                result = written => result?
                    .map_err(|e| NetError::io(format!("sending on sender {sender}"), e))?,
            }
            shared.sent.fetch_add(in_batch, Ordering::Relaxed);
            batch.clear();
        }
        if params.rate > 0.0 && seq < params.messages && seq >= due {
            let next = start + Duration::from_secs_f64(seq as f64 / params.rate);
            let asleep_us = shared.base.elapsed().as_micros() as u64;
            tokio::select! {
                _ = shared.stop.cancelled() => break,
                _ = tokio::time::sleep_until(next.into()) => {}
            }
            slept_us = asleep_us..shared.base.elapsed().as_micros() as u64;
        }
    }
    Ok(write)
}

/// The send time written into line `seq` (numbered from 1), in µs since
/// the run's clock `base`: sending began at `start_us`, `slept_us` is when
/// the sender's latest sleep (waiting for its next line to fall due) began
/// and ended, and it is now `now_us`.
///
/// Paced, a line carries the time it was *due*, not the time it finally went
/// out: a sender held back by the server (its write waiting for the server
/// to read) writes its late lines afterwards, and stamping them then would
/// make the wait vanish from the latencies, just when the server was
/// slowest ("coordinated omission"). One delay is the load tool's own, not
/// the server's: a line that fell due while the sender slept waited for its
/// timer, which wakes up to a millisecond late (tokio's timers tick in
/// milliseconds); such a line counts from when the sender woke. In a burst
/// every line is due at the start, so the moment it is written is the only
/// meaningful one.
fn sent_at_us(
    rate: f64,
    start_us: u64,
    seq: u64,
    slept_us: &std::ops::Range<u64>,
    now_us: u64,
) -> u64 {
    if rate > 0.0 {
        // Line `seq` is due once `elapsed × rate ≥ seq − 1` (see `send`).
        let due_us = start_us + (seq.saturating_sub(1) as f64 * 1e6 / rate) as u64;
        let due_us = if slept_us.contains(&due_us) {
            slept_us.end
        } else {
            due_us
        };
        due_us.min(now_us)
    } else {
        now_us
    }
}

/// Runs the benchmark against `addr`.
pub async fn run(addr: SocketAddr, params: &Params) -> Result<Report, NetError> {
    params.check()?;
    // Every client is one connection, open for the whole run.
    room_for(params.clients, "--clients")?;
    if let Some(pid) = params.pid {
        procfs::require(pid)?;
    }
    let n = params.clients.max(1);
    let s = params.senders.clamp(1, n);
    let params = Params {
        clients: n,
        senders: s,
        ..params.clone()
    };
    let sender_index = |i: usize| i * n / s;
    let per_client = params.messages * s as u64;
    let expected = match params.mode {
        Mode::Chat => per_client * n as u64,
        // ncat does not send a line back to its author.
        Mode::Raw => per_client * n as u64 - params.messages * s as u64,
    };
    let shared = Arc::new(Shared {
        base: Instant::now(),
        delivered: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        expected,
        messages: params.messages,
        last_us: AtomicU64::new(0),
        synced: AtomicUsize::new(0),
        ungreeted: AtomicBool::new(false),
        all_delivered: Notify::new(),
        stop: CancellationToken::new(),
        latencies: Mutex::new(Latencies::new()),
    });
    // However the run ends, even by an error, the readers stop with it.
    let _stop_readers = shared.stop.clone().drop_guard();

    // 1. Everybody joins, CONNECTING at a time. Planned to take no time,
    // this can last seconds (a big room, ncat's one-at-a-time joins, a
    // server that stalls until the time-out): the progress line says so.
    let setup_began = Instant::now();
    let joined = Arc::new(AtomicU64::new(0));
    let setup_progress = Progress::start(
        "chat-fanout setup",
        Duration::ZERO,
        joined.clone(),
        "clients joined",
        params.quiet,
    );
    let gate = Arc::new(Semaphore::new(match params.mode {
        Mode::Chat => CONNECTING,
        Mode::Raw => 1,
    }));
    let mut joining = Vec::with_capacity(n);
    for index in 0..n {
        let (gate, shared, p, joined) =
            (gate.clone(), shared.clone(), params.clone(), joined.clone());
        joining.push(async move {
            let _permit = gate.acquire_owned().await;
            let client = join(addr, index, &p, shared).await?;
            joined.fetch_add(1, Ordering::Relaxed);
            Ok::<Client, NetError>(client)
        });
    }
    // The first client that cannot join ends the run, and the joins still
    // under way with it; the clients come back in their order.
    let mut clients = all_or_first_error(joining, "a client task").await?;

    // 2. Sync: client 0 speaks until everyone else has heard it.
    let sync_deadline = Instant::now() + params.timeout;
    let mut round = 0;
    while shared.synced.load(Ordering::Relaxed) < n - 1 {
        if Instant::now() > sync_deadline {
            return Err(NetError::protocol(format!(
                "only {} of {} clients received the sync line within {:.0} s",
                shared.synced.load(Ordering::Relaxed),
                n - 1,
                params.timeout.as_secs_f64()
            )));
        }
        round += 1;
        let sync = line(params.mode, &format!("nlb-sync {round}"));
        clients[0]
            .write
            .write_all(sync.as_bytes())
            .await
            .map_err(|e| NetError::io("sending the sync line", e))?;
        let wait = Instant::now() + Duration::from_millis(200);
        while Instant::now() < wait && shared.synced.load(Ordering::Relaxed) < n - 1 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let setup_s = setup_began.elapsed().as_secs_f64();
    drop(setup_progress);

    // 3. Measure.
    let progress_counter = Arc::new(AtomicU64::new(0));
    let server_cpu_before = params.pid.and_then(procfs::cpu_sample);
    let client_cpu_before = procfs::cpu_sample(std::process::id());
    let start = Instant::now();
    let start_us = shared.base.elapsed().as_micros() as u64;
    let mut sending = Vec::with_capacity(s);
    let mut writers: Vec<Option<OwnedWriteHalf>> = Vec::with_capacity(n);
    let mut readers = Vec::with_capacity(n);
    for client in clients {
        writers.push(Some(client.write));
        readers.push(client.reader);
    }
    for sender in 0..s {
        let write = writers[sender_index(sender)]
            .take()
            .expect("one sender per client");
        sending.push((
            sender_index(sender),
            tokio::spawn(send(write, sender, params.clone(), shared.clone(), start)),
        ));
    }
    let planned = if params.rate > 0.0 {
        Duration::from_secs_f64(params.messages as f64 / params.rate)
    } else {
        Duration::ZERO
    };
    let progress = {
        let shared = shared.clone();
        let counter = progress_counter.clone();
        tokio::spawn(async move {
            loop {
                counter.store(shared.delivered.load(Ordering::Relaxed), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let _progress = Progress::start(
        "chat-fanout",
        planned,
        progress_counter,
        "lines delivered",
        params.quiet,
    );
    // Wait for every line, the deadline, or a stall: once the senders are
    // done, a second and a half without any delivery means the rest is lost
    // (ncat, for one, mangles lines that straddle two of its reads).
    let deadline = start + planned + params.timeout;
    let (mut seen, mut moved) = (0, Instant::now());
    loop {
        tokio::select! {
            _ = shared.all_delivered.notified() => break,
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
        }
        let now = Instant::now();
        let delivered = shared.delivered.load(Ordering::Relaxed);
        if delivered != seen {
            (seen, moved) = (delivered, now);
        }
        let sent = sending.iter().all(|(_, task)| task.is_finished());
        if now >= deadline || (sent && now.duration_since(moved) >= STALL) {
            break;
        }
    }
    progress.abort();
    let server_cpu = params
        .pid
        .and_then(procfs::cpu_sample)
        .zip(server_cpu_before)
        .map(|(after, before)| after.since(&before));
    if let (Some(pid), None) = (params.pid, server_cpu) {
        return Err(procfs::exited(pid, "CPU time"));
    }
    let client_cpu = procfs::cpu_sample(std::process::id())
        .zip(client_cpu_before)
        .map(|(after, before)| after.since(&before));
    let delivered = shared.delivered.load(Ordering::Relaxed);
    let last_us = shared.last_us.load(Ordering::Relaxed);
    let seconds = (last_us.saturating_sub(start_us) as f64 / 1e6).max(1e-6);

    // 4. Collect what each client heard.
    shared.stop.cancel();
    for (index, task) in sending {
        let write = task
            .await
            .map_err(|e| NetError::protocol(format!("sender task failed: {e}")))??;
        writers[index] = Some(write);
    }
    let (mut out_of_order, mut duplicated, mut closed) = (0, 0, 0);
    let mut connections = Vec::with_capacity(n);
    for (reader, write) in readers.into_iter().zip(writers) {
        if let (Ok((heard, read)), Some(write)) = (reader.await, write) {
            out_of_order += heard.out_of_order;
            duplicated += heard.duplicated;
            closed += heard.closed_early as u64;
            connections.push((write, read));
        }
    }
    goodbye(connections).await;
    let lat = shared
        .latencies
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .summary();

    let mut report = Report::new("chat-fanout", addr);
    report
        .param(
            "mode",
            match params.mode {
                Mode::Chat => "chat",
                Mode::Raw => "raw",
            },
        )
        .param("clients", n)
        .param("senders", s)
        .param("messages", params.messages)
        .param("rate", params.rate)
        .param("batch", params.batch)
        .metric(
            "lines_per_s",
            delivered as f64 / seconds,
            "delivered lines/s",
        )
        .metric("delivered", delivered as f64, "lines")
        .metric("expected", expected as f64, "lines")
        .metric(
            "sent",
            shared.sent.load(Ordering::Relaxed) as f64,
            "lines written by the senders before the run ended",
        )
        .metric(
            "completeness",
            delivered as f64 / expected.max(1) as f64,
            "(1 = every line)",
        )
        .metric(
            "out_of_order",
            out_of_order as f64,
            "lines (after a later line of their sender)",
        )
        .metric(
            "duplicated",
            duplicated as f64,
            "lines received again (not counted as delivered)",
        )
        .metric(
            "disconnected",
            closed as f64,
            "clients closed by the server",
        )
        .metric("seconds", seconds, "s (first send to last delivery)")
        .metric("setup_s", setup_s, "s (connect, join, sync)");
    // No line delivered, no latency: 0 ms would read as "instant".
    if delivered > 0 {
        report
            .metric("p50_ms", lat.p50_ms, "ms delivery latency")
            .metric("p90_ms", lat.p90_ms, "ms")
            .metric("p99_ms", lat.p99_ms, "ms")
            .metric("max_ms", lat.max_ms, "ms");
    }
    // Per delivered line, or per second of lines flowing: with no line
    // delivered there is nothing to divide by (the figure was the CPU time
    // divided by a microsecond, a million percent), so none is given.
    if let Some(cpu) = server_cpu.filter(|_| delivered > 0) {
        report
            .metric("server_cpu_s", cpu, "s of server CPU")
            .metric(
                "cost_us_per_line",
                cpu * 1e6 / delivered as f64,
                "µs of server CPU per line",
            );
    }
    if let Some(cpu) = client_cpu.filter(|_| delivered > 0) {
        report
            .metric("client_cpu_s", cpu, "s of netlab-bench CPU")
            .metric(
                "load_tool_cpu_pct",
                // Over the time lines flowed, not the whole wait: a server
                // that loses lines (ncat, at times) makes the run wait for
                // them, and an idle wait would dilute the figure.
                cpu / seconds * 100.0,
                "% of one core used by netlab-bench while lines flowed",
            );
    }
    Ok(report)
}

/// Ends every connection politely, once the figures are taken: close our
/// sending side (FIN), then read and drop whatever the server still sends
/// (the room's `LEAVE` notices) until it closes too. Dropping a socket with
/// unread bytes would make the kernel send a reset instead, and the server
/// would log a network error for clients that merely left. Bounded by
/// [`GOODBYE`]: what is still open then is simply dropped.
async fn goodbye(connections: Vec<(OwnedWriteHalf, OwnedReadHalf)>) {
    let mut leaving = tokio::task::JoinSet::new();
    for (mut write, mut read) in connections {
        leaving.spawn(async move {
            let _ = write.shutdown().await;
            let mut sink = [0u8; 4096];
            while let Ok(1..) = read.read(&mut sink).await {}
        });
    }
    let _ = tokio::time::timeout(GOODBYE, leaving.join_all()).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listener_checks_lines_however_the_reads_cut_them() {
        let (tx, mut rx) = oneshot::channel();
        let mut l = Listener::new(Mode::Chat, 1, 2, 100, Some(tx));
        let stream: &[u8] = b"JOIN c1\nOK NICK c1\nMSG c0 nlb-sync 1\n\
            MSG c0 nlb 0 1 100\nMSG c5 nlb 1 1 150\nMSG c0 nlb 0 2 200\n\
            MSG c0 nlb 0 2 200\nMSG c5 nlb 7 1 100\nMSG c0 hello nlb 0 3 250\n";
        // Whole, then cut at every place: the same findings each time.
        for cut in 0..=stream.len() {
            let (tx, rx2) = oneshot::channel();
            let mut l2 = Listener::new(Mode::Chat, 1, 2, 100, Some(tx));
            let first = l2.take(&stream[..cut], 1000);
            let second = l2.take(&stream[cut..], 1000);
            assert!(first ^ second, "one first sync, cut at {cut}");
            assert_eq!(rx2.blocking_recv(), Ok(Ok(())));
            let mut got = l2.latencies.clone();
            got.sort();
            assert_eq!(got, [750, 800, 850, 900], "cut at {cut}");
            assert_eq!(l2.heard.duplicated, 1, "cut at {cut}");
        }
        assert!(l.take(stream, 1000));
        assert!(
            !l.take(b"MSG c0 nlb-sync 2\n", 1000),
            "only the first sync counts"
        );
        assert_eq!(rx.try_recv(), Ok(Ok(())));
    }

    #[test]
    fn a_listener_reads_ncat_prefixes_and_refusals() {
        // ncat prefixes each of its reads, not each line; lines are found
        // with or without a prefix, and a mark further in by the general search.
        let mut l = Listener::new(Mode::Raw, 1, 1, 10, None);
        l.take(
            b"<user5> nlb 0 1 10\nnlb 0 2 20\nsome words then nlb 0 3 30\n",
            50,
        );
        assert_eq!(l.latencies, [40, 30, 20]);
        let (tx, mut rx) = oneshot::channel();
        let mut l = Listener::new(Mode::Chat, 1, 1, 10, Some(tx));
        l.take(b"ERR NICK taken\r\n", 0);
        assert_eq!(rx.try_recv(), Ok(Err("ERR NICK taken\r".to_string())));
    }

    #[test]
    fn marks_are_parsed_from_both_protocols() {
        let chat = b"MSG c3 nlb 2 17 123456";
        let raw = b"<user7> nlb 2 17 123456 xxxx";
        for line in [&chat[..], &raw[..]] {
            let at = memchr::memmem::find(line, b"nlb").unwrap();
            assert_eq!(parse_mark(&line[at + MARK.len()..]), Some((2, 17, 123456)));
        }
        assert_eq!(parse_mark(b"2 x 3"), None);
        assert_eq!(parse_mark(b"2 17 123456\r"), Some((2, 17, 123456)));
        for bad in [
            &b"2 17"[..],
            b"2  17 5",
            b"-2 17 5",
            b"2 17 99999999999999999999",
            b"2 17 5x",
        ] {
            assert_eq!(parse_mark(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        assert_eq!(line(Mode::Chat, "nlb 1 2 3"), "MSG nlb 1 2 3\n");
        assert_eq!(line(Mode::Raw, "nlb 1 2 3"), "nlb 1 2 3\n");
    }

    #[test]
    fn a_paced_line_held_back_by_the_server_carries_the_time_it_was_due() {
        // 1,000 lines/s from 5,000 µs: line 4 is due at 8,000, line 7 at
        // 11,000. The sender last slept from 6,500 to 7,000 (line 3 was due
        // at 7,000), then its write of line 3 waited until 308,000 for the
        // server to read: written afterwards, lines 4 to 7 still say when
        // they were due, so their latencies count that wait, every one.
        assert_eq!(
            sent_at_us(1000.0, 5_000, 4, &(6_500..7_000), 308_010),
            8_000
        );
        assert_eq!(
            sent_at_us(1000.0, 5_000, 7, &(6_500..7_000), 308_020),
            11_000
        );
        // Line 4 fell due while the sender slept (7,010 to 8,900: its timer
        // woke 900 µs late): it counts from 8,900, when the sender woke; the
        // timer's lateness is the load tool's, not the server's.
        assert_eq!(sent_at_us(1000.0, 5_000, 4, &(7_010..8_900), 8_905), 8_900);
        // A burst: everything is due at once, the write time is the start.
        assert_eq!(sent_at_us(0.0, 5_000, 4, &(6_500..7_000), 308_010), 308_010);
    }

    #[test]
    fn lost_late_and_repeated_lines_are_told_apart() {
        use Arrival::*;
        let mut seen = Seen::default();
        let arrivals: Vec<Arrival> = [1, 2, 2, 4, 5, 3, 3, 0, 201, 70, 69, 200]
            .into_iter()
            .map(|seq| seen.receive(seq, 200))
            .collect();
        assert_eq!(
            arrivals,
            [
                InOrder, InOrder, Duplicate, // 2 again
                InOrder, InOrder, // 3 lost so far: not out of order
                Late, Duplicate, // 3 after 5, then again
                Unknown, Unknown, // never sent
                InOrder, Late, InOrder,
            ]
        );
        // In order, nothing is stored.
        let mut seen = Seen::default();
        for seq in 1..=1000 {
            assert_eq!(seen.receive(seq, 1000), InOrder);
        }
        assert!(seen.bits.is_none());
        // The bitmap taken at a gap remembers every line before it.
        let mut seen = Seen::default();
        for seq in (1..=130).chain([132]) {
            seen.receive(seq, 1000);
        }
        assert!((1..=130).all(|seq| seen.receive(seq, 1000) == Duplicate));
        assert_eq!(seen.receive(131, 1000), Late);
    }

    fn params() -> Params {
        Params {
            mode: Mode::Chat,
            clients: 50,
            senders: 5,
            messages: 200,
            rate: 0.0,
            size: 0,
            batch: 1,
            timeout: Duration::from_secs(10),
            pid: None,
            quiet: true,
        }
    }

    #[test]
    fn what_cannot_run_is_a_usage_mistake() {
        assert!(params().check().is_ok());
        let bad = [
            (
                Params {
                    rate: f64::NAN,
                    ..params()
                },
                "--rate must be",
            ),
            (
                Params {
                    rate: -1.0,
                    ..params()
                },
                "--rate must be",
            ),
            // 200 lines at 1e-300 lines/s: a Duration that big panicked.
            (
                Params {
                    rate: 1e-300,
                    ..params()
                },
                "more than a day",
            ),
            (
                Params {
                    size: usize::MAX,
                    ..params()
                },
                "--size",
            ),
            (
                Params {
                    clients: 1_000_000,
                    messages: 1_000_000,
                    ..params()
                },
                "lines to deliver",
            ),
            (
                Params {
                    mode: Mode::Raw,
                    clients: 1,
                    ..params()
                },
                "at least 2 clients",
            ),
            (
                Params {
                    timeout: Duration::ZERO,
                    ..params()
                },
                "--timeout",
            ),
        ];
        for (p, words) in bad {
            let err = p.check().unwrap_err();
            assert!(matches!(err, NetError::Usage { .. }), "{err}");
            assert!(err.to_string().contains(words), "{words}: {err}");
        }
    }
}
