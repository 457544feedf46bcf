//! # raw-client: talk to any server by hand
//!
//! A protocol is a common language, and a text protocol can be spoken by a
//! person: connect, type what the client would send, read what the server
//! answers. `raw-client HOST PORT` does exactly that, and nothing more — the
//! same job as `nc` (netcat) or `telnet`:
//!
//! - what you type (or pipe in) goes to the server, byte for byte;
//! - what the server sends is written to the screen (stdout), byte for byte.
//!
//! The two directions are independent, so they run side by side: the client
//! never stops reading the server while it is busy sending, and the other way
//! round (otherwise a large upload could deadlock with a server that waits for
//! its own answers to be read).
//!
//! **Ending a TCP conversation** takes care, because each direction is closed
//! separately ("half-close"):
//!
//! - when *your input* ends (Ctrl-D, or the end of a piped file), raw-client
//!   closes its sending side only — the server receives "end of stream" (a
//!   TCP FIN) — and keeps showing what the server sends until the server
//!   closes too. This is how `printf 'GET / HTTP/1.0\r\n\r\n' | raw-client …`
//!   gets the whole answer;
//! - when *the server* closes, there is nothing more to read, and raw-client
//!   exits at once, even if you were still typing.
//!
//! Options: `--crlf` ends each line with CR LF (`\r\n`), which HTTP and SMTP
//! require; `--udp` sends each line as one UDP datagram (there is no
//! connection, so no end either: raw-client waits a moment for late answers,
//! then quits); `--trace` shows every byte with its direction.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use netkit::NetError;
use netkit::trace::{Tap, Traced};
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;
use tracing::{debug, info};

/// The largest payload of one UDP datagram over IPv4.
pub const MAX_DATAGRAM: usize = 65_507;

/// What to connect to, and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Server address or name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// UDP instead of TCP.
    pub udp: bool,
    /// Turn each `\n` into `\r\n` (unless it already follows a `\r`).
    pub crlf: bool,
    /// `--trace`: log every byte.
    pub trace: bool,
    /// Time-out for connecting.
    pub timeout: Duration,
    /// UDP only: how long to wait for answers once the input has ended.
    pub wait: Duration,
}

/// Adds the `\r` before each `\n` that lacks one. `prev_cr` carries the last
/// byte's state across chunks, so a `\r\n` split between two reads stays one.
///
/// ```
/// let mut prev_cr = false;
/// assert_eq!(tools::raw::to_crlf(b"a\nb\r\nc\r", &mut prev_cr), b"a\r\nb\r\nc\r");
/// assert_eq!(tools::raw::to_crlf(b"\n", &mut prev_cr), b"\n");
/// ```
pub fn to_crlf(bytes: &[u8], prev_cr: &mut bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 16 + 1);
    for &b in bytes {
        if b == b'\n' && !*prev_cr {
            out.push(b'\r');
        }
        out.push(b);
        *prev_cr = b == b'\r';
    }
    out
}

/// Runs the conversation: `input` (standard input, in chunks) to the server,
/// the server to `out` (standard output). Returns when it is over.
pub async fn run<W: AsyncWrite + Unpin>(
    options: &Options,
    input: mpsc::Receiver<io::Result<Vec<u8>>>,
    out: &mut W,
) -> Result<(), NetError> {
    if options.udp {
        run_udp(options, input, out).await
    } else {
        run_tcp(options, input, out).await
    }
}

async fn run_tcp<W: AsyncWrite + Unpin>(
    options: &Options,
    mut input: mpsc::Receiver<io::Result<Vec<u8>>>,
    out: &mut W,
) -> Result<(), NetError> {
    let stream = netkit::net::connect_tcp(&options.host, options.port, options.timeout).await?;
    let peer = stream
        .peer_addr()
        .map_err(|e| NetError::io("reading the server's address", e))?;
    let local = stream
        .local_addr()
        .map_err(|e| NetError::io("reading our address", e))?;
    // The how-to is for a person at the keyboard, not for piped input.
    let how_to = if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        ": type lines and press Enter; Ctrl-D (Ctrl-Z then Enter on Windows) ends your input"
    } else {
        ""
    };
    info!("connected to {peer} (TCP) from {local}{how_to}");
    let tap = Tap::new(peer, options.trace);
    let (reader, writer) = stream.into_split();
    let mut reader = Traced::new(reader, tap.clone());
    let mut writer = Traced::new(writer, tap.clone());
    let crlf = options.crlf;

    // Keyboard → server. Ends at the end of input, with a half-close.
    let upload = async {
        let mut prev_cr = false;
        while let Some(chunk) = input.recv().await {
            let chunk = chunk.map_err(|e| NetError::io("reading standard input", e))?;
            let bytes = if crlf {
                to_crlf(&chunk, &mut prev_cr)
            } else {
                chunk
            };
            if let Err(e) = writer.write_all(&bytes).await {
                // The server is gone; the download side will say so.
                debug!("cannot send any more: {}", netkit::error::describe_io(&e));
                return Ok(());
            }
        }
        info!(
            "end of input: told the server we are done sending (half-close); still reading its answers"
        );
        let _ = writer.shutdown().await;
        Ok::<(), NetError>(())
    };
    // Server → screen. Ends when the server closes: then the program ends.
    let download = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) => {
                    info!("the server closed the connection");
                    return Ok(());
                }
                Ok(n) => {
                    if write_out(out, &buf[..n]).await.is_err() {
                        return Ok(()); // nobody reads our output any more (`| head`)
                    }
                }
                Err(e) => return Err(NetError::io(format!("reading from {peer}"), e)),
            }
        }
    };
    let result = both_until_second_ends(upload, download).await;
    info!(
        "{} bytes sent, {} bytes received",
        tap.bytes_out(),
        tap.bytes_in()
    );
    result
}

/// Runs `first` and `second` side by side; returns when `second` ends (or
/// when `first` fails). `first` ending normally does not stop `second`.
async fn both_until_second_ends<A, B>(first: A, second: B) -> Result<(), NetError>
where
    A: Future<Output = Result<(), NetError>>,
    B: Future<Output = Result<(), NetError>>,
{
    tokio::pin!(first, second);
    let mut first_done = false;
    loop {
        tokio::select! {
            result = &mut first, if !first_done => {
                result?;
                first_done = true;
            }
            result = &mut second => return result,
        }
    }
}

async fn write_out<W: AsyncWrite + Unpin>(out: &mut W, bytes: &[u8]) -> io::Result<()> {
    out.write_all(bytes).await?;
    // Show it now: an interactive user waits for this line.
    out.flush().await
}

/// Splits input into datagrams: one per line (the line end included), and
/// lines longer than a datagram in several pieces.
#[derive(Debug, Default)]
pub struct Datagrams {
    pending: Vec<u8>,
    prev_cr: bool,
}

impl Datagrams {
    /// Adds input; returns the datagrams now complete.
    pub fn push(&mut self, bytes: &[u8], crlf: bool) -> Vec<Vec<u8>> {
        let bytes = if crlf {
            to_crlf(bytes, &mut self.prev_cr)
        } else {
            bytes.to_vec()
        };
        let mut ready = Vec::new();
        for b in bytes {
            self.pending.push(b);
            if b == b'\n' || self.pending.len() == MAX_DATAGRAM {
                ready.push(std::mem::take(&mut self.pending));
            }
        }
        ready
    }

    /// The last, unfinished line, at the end of input.
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        (!self.pending.is_empty()).then(|| std::mem::take(&mut self.pending))
    }
}

async fn run_udp<W: AsyncWrite + Unpin>(
    options: &Options,
    mut input: mpsc::Receiver<io::Result<Vec<u8>>>,
    out: &mut W,
) -> Result<(), NetError> {
    let socket = netkit::net::udp_socket_for(&options.host, options.port).await?;
    let peer: SocketAddr = socket
        .peer_addr()
        .map_err(|e| NetError::io("reading the server's address", e))?;
    let local = socket
        .local_addr()
        .map_err(|e| NetError::io("reading our address", e))?;
    info!("sending UDP datagrams to {peer} from {local}: each line you type is one datagram");
    let tap = Tap::datagrams(peer, options.trace, false);
    let crlf = options.crlf;
    let upload = async {
        let mut datagrams = Datagrams::default();
        let send = |datagram: Vec<u8>| {
            let socket = &socket;
            let tap = &tap;
            async move {
                let n = socket
                    .send(&datagram)
                    .await
                    .map_err(|e| NetError::io(format!("sending to {peer}"), e))?;
                tap.sent(&datagram[..n]);
                Ok::<(), NetError>(())
            }
        };
        while let Some(chunk) = input.recv().await {
            let chunk = chunk.map_err(|e| NetError::io("reading standard input", e))?;
            for datagram in datagrams.push(&chunk, crlf) {
                send(datagram).await?;
            }
        }
        if let Some(last) = datagrams.finish() {
            send(last).await?;
        }
        info!(
            "end of input; UDP has no connection to close: waiting {:.1} s for late answers",
            options.wait.as_secs_f64()
        );
        tokio::time::sleep(options.wait).await;
        Ok(())
    };
    let download = async {
        // Room for any datagram: IPv6 ones may be larger than MAX_DATAGRAM
        // (IPv4's limit), and a datagram too big for the buffer is cut short.
        let mut buf = vec![0u8; codec::echo::UDP_RECV_BUFFER];
        loop {
            let n = socket
                .recv(&mut buf)
                .await
                .map_err(|e| NetError::io(format!("receiving from {peer}"), e))?;
            tap.received(&buf[..n]);
            if write_out(out, &buf[..n]).await.is_err() {
                return Ok(());
            }
        }
    };
    // Here the *input* side decides the end (after its wait).
    let result = tokio::select! {
        result = upload => result,
        result = download => result,
    };
    info!(
        "{} bytes sent, {} bytes received",
        tap.bytes_out(),
        tap.bytes_in()
    );
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    fn options(port: u16) -> Options {
        Options {
            host: "127.0.0.1".into(),
            port,
            udp: false,
            crlf: false,
            trace: false,
            timeout: Duration::from_secs(2),
            wait: Duration::from_millis(300),
        }
    }

    fn feed(chunks: &[&[u8]]) -> mpsc::Receiver<io::Result<Vec<u8>>> {
        let (tx, rx) = mpsc::channel(chunks.len().max(1));
        for c in chunks {
            tx.try_send(Ok(c.to_vec())).unwrap();
        }
        rx // tx dropped: end of input
    }

    #[test]
    fn crlf_is_added_once() {
        let mut prev = false;
        assert_eq!(
            to_crlf(b"GET / HTTP/1.0\n\n", &mut prev),
            b"GET / HTTP/1.0\r\n\r\n"
        );
        let mut prev = false;
        assert_eq!(to_crlf(b"a\r", &mut prev), b"a\r");
        assert_eq!(
            to_crlf(b"\nb", &mut prev),
            b"\nb",
            "a CRLF split across reads stays one"
        );
    }

    #[test]
    fn udp_input_is_cut_into_lines() {
        let mut d = Datagrams::default();
        assert_eq!(d.push(b"one\ntw", false), vec![b"one\n".to_vec()]);
        assert_eq!(d.push(b"o\n", true), vec![b"two\r\n".to_vec()]);
        assert_eq!(d.push(b"end", false), Vec::<Vec<u8>>::new());
        assert_eq!(d.finish(), Some(b"end".to_vec()));
        assert_eq!(d.finish(), None);
        let big = vec![b'x'; MAX_DATAGRAM + 1];
        assert_eq!(d.push(&big, false).len(), 1);
    }

    #[tokio::test]
    async fn end_of_input_half_closes_and_the_answer_still_arrives() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // A server that answers only once the client has finished sending.
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let got = {
                let mut v = Vec::new();
                s.read_to_end(&mut v).await.unwrap();
                v
            };
            s.write_all(b"you sent: ").await.unwrap();
            s.write_all(&got).await.unwrap();
        });
        let mut out = Vec::new();
        let opts = Options {
            crlf: true,
            ..options(port)
        };
        run(&opts, feed(&[b"hello\n", b"\x00\xff binary\n"]), &mut out)
            .await
            .unwrap();
        assert_eq!(out, b"you sent: hello\r\n\x00\xff binary\r\n");
        server.await.unwrap();
    }

    #[tokio::test]
    async fn the_server_closing_ends_the_client_even_with_input_open() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            s.write_all(b"bye\n").await.unwrap();
        });
        let (_tx, rx) = mpsc::channel(1); // input never ends
        let mut out = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), run(&options(port), rx, &mut out))
            .await
            .expect("raw-client must exit when the server closes")
            .unwrap();
        assert_eq!(out, b"bye\n");
    }

    #[tokio::test]
    async fn udp_sends_one_datagram_per_line() {
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let port = server.local_addr().unwrap().port();
        tokio::spawn(async move {
            let mut buf = [0u8; 100];
            for _ in 0..2 {
                let (n, from) = server.recv_from(&mut buf).await.unwrap();
                let mut answer = b"<".to_vec();
                answer.extend_from_slice(&buf[..n]);
                server.send_to(&answer, from).await.unwrap();
            }
        });
        let mut out = Vec::new();
        let opts = Options {
            udp: true,
            ..options(port)
        };
        run(&opts, feed(&[b"a\nb\n"]), &mut out).await.unwrap();
        assert_eq!(out, b"<a\n<b\n");
    }
}
