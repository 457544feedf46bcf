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
//!   for a moment (RFC 862 does not require the close). Every byte that
//!   comes back is compared with the one sent: a copy that differs, or stops
//!   short, is an error (exit code 1), and so is a server that stays silent
//!   for `--timeout` while it owes bytes.
//!
//! With `--udp`, each line (or the one-shot text) goes in one datagram,
//! byte for byte as given; UDP gives no guarantee, so the client waits with
//! a time-out and retries.
//!
//! One file per way of using it, in `client/`: `one_shot.rs`,
//! `interactive.rs`, `piped.rs` and `udp.rs`. This one holds what they
//! share: connecting, telling a full server from a closed one, explaining a
//! wrong echo, and printing.

mod interactive;
mod one_shot;
mod piped;
mod udp;

pub use udp::udp_round_trip;

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use netkit::NetError;
use netkit::error::join_host_port;
use netkit::net::connect_tcp;
use netkit::trace::{Tap, Traced, show_at_most};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tracing::info;

use interactive::interactive_tcp;
use one_shot::one_shot_tcp;
use piped::piped_tcp;
use udp::{lines_udp, one_shot_udp};

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
        (Some(text), true) => one_shot_udp(&options, text).await,
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

/// Connects to the server. Returns the stream, traced with `--trace`; the
/// server's `address:port`, as explanations name it; and when and how
/// quickly the connection was made.
async fn connect(options: &Options) -> Result<(Traced<TcpStream>, String, Opened), NetError> {
    let started = Instant::now();
    let stream = connect_tcp(&options.host, options.port, options.timeout).await?;
    let opened = Opened {
        at: Instant::now(),
        took: started.elapsed(),
    };
    // Both addresses are known once connected; should the system not say,
    // the explanations fall back on what the user typed.
    let (peer, local) = (stream.peer_addr().ok(), stream.local_addr().ok());
    if let (Some(peer), Some(local)) = (peer, local) {
        info!(
            "connected to {peer} from {local} (our port {} was chosen by the OS)",
            local.port()
        );
    }
    let server = peer.map_or_else(
        || join_host_port(&options.host, options.port),
        |peer| peer.to_string(),
    );
    let tap = Tap::new(peer.unwrap_or(([0, 0, 0, 0], 0).into()), options.trace);
    Ok((Traced::new(stream, tap), server, opened))
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
    // Only a datagram can be empty (a TCP reply of nothing is a close):
    // shown as bytes it would read "received []", which tells nothing.
    let received = if received.is_empty() {
        "an empty datagram".to_string()
    } else {
        show_at_most(received, QUOTED)
    };
    NetError::protocol(format!(
        "sent {} but received {received}: the server at {server} does not speak {SERVICE}. \
         Is it the right port?",
        show_at_most(sent, QUOTED),
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
