//! # raw-client: talk to any server by hand
//!
//! A protocol is a common language, and a text protocol can be spoken by a
//! person: connect, type what the client would send, read what the server
//! answers. `raw-client HOST PORT` does exactly that, and nothing more — the
//! same job as `nc` (netcat) or `telnet`:
//!
//! - what you type (or pipe in) goes to the server, byte for byte;
//! - what the server sends is written to the screen (stdout), byte for byte
//!   — except, on a terminal, the control characters: an escape sequence
//!   from the server could clear your screen or retitle your window, so
//!   they are shown as `\x1b` and the like ([`ForTerminal`]); a pipe or a
//!   file gets the exact bytes.
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
//! - when *the server* closes (or only finishes sending: its own
//!   half-close), there is nothing more to read, and raw-client exits at
//!   once, as telnet does: what you type after that is not sent.
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
    /// The output is a terminal: show control characters escaped.
    pub terminal: bool,
}

/// What a server sends, made safe to show on a terminal: text, tabs and
/// line ends as they are; every other control character (escape sequences
/// start with one), the characters that reverse the direction of text, and
/// every byte that is not UTF-8, as `\xNN` (or `\u{NNNN}`).
///
/// A character cut between two reads is held (3 bytes at most) until the
/// next one completes it, so it is shown whole.
///
/// ```
/// let mut screen = tools::raw::ForTerminal::default();
/// assert_eq!(screen.show(b"hi\x1b[2J\r\n\xe2\x82"), b"hi\\x1b[2J\r\n");
/// assert_eq!(screen.show(b"\xac \xff"), "€ \\xff".as_bytes());
/// assert!(screen.escaped());
/// ```
#[derive(Debug, Default)]
pub struct ForTerminal {
    held: Vec<u8>,
    escaped: bool,
}

impl ForTerminal {
    /// What to write on the terminal for these bytes.
    pub fn show(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut all = std::mem::take(&mut self.held);
        all.extend_from_slice(bytes);
        let mut out = Vec::with_capacity(all.len());
        let mut rest = &all[..];
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.push_text(&mut out, text);
                    break;
                }
                Err(e) => {
                    let (good, bad) = rest.split_at(e.valid_up_to());
                    // Valid up to there, as the error says.
                    self.push_text(&mut out, std::str::from_utf8(good).unwrap_or_default());
                    match e.error_len() {
                        Some(n) => {
                            for &b in &bad[..n] {
                                self.push_escaped(&mut out, u32::from(b));
                            }
                            rest = &bad[n..];
                        }
                        // A character cut by the end of the read.
                        None => {
                            self.held = bad.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        out
    }

    /// At the end of the stream: the bytes still held, escaped.
    pub fn finish(&mut self) -> Vec<u8> {
        let held = std::mem::take(&mut self.held);
        let mut out = Vec::new();
        for b in held {
            self.push_escaped(&mut out, u32::from(b));
        }
        out
    }

    /// True once something has been shown escaped.
    pub fn escaped(&self) -> bool {
        self.escaped
    }

    fn push_text(&mut self, out: &mut Vec<u8>, text: &str) {
        for c in text.chars() {
            let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || bidi {
                self.push_escaped(out, u32::from(c));
            } else {
                let mut utf8 = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
            }
        }
    }

    fn push_escaped(&mut self, out: &mut Vec<u8>, code: u32) {
        self.escaped = true;
        let shown = if code < 0x100 {
            format!("\\x{code:02x}")
        } else {
            format!("\\u{{{code:04x}}}")
        };
        out.extend_from_slice(shown.as_bytes());
    }
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
    let mut screen = Screen::new(options.terminal);
    let download = async {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match reader.read(&mut buf).await {
                Ok(0) => {
                    info!(
                        "the server has finished sending (it closed the connection, or its side of it)"
                    );
                    return screen.finish(out).await;
                }
                Ok(n) => screen.write(out, &buf[..n]).await?,
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

/// Where the server's bytes go: exact, or made safe for a terminal.
struct Screen {
    terminal: Option<ForTerminal>,
    told: bool,
}

impl Screen {
    fn new(terminal: bool) -> Screen {
        Screen {
            terminal: terminal.then(ForTerminal::default),
            told: false,
        }
    }

    /// Writes `bytes` and flushes: an interactive user waits for this line.
    /// A reader that has gone (`| head`) ends the program quietly, through
    /// [`NetError::output`]; any other failure (a full disk) is an error.
    async fn write<W: AsyncWrite + Unpin>(
        &mut self,
        out: &mut W,
        bytes: &[u8],
    ) -> Result<(), NetError> {
        let shown = match &mut self.terminal {
            Some(filter) => filter.show(bytes),
            None => bytes.to_vec(),
        };
        out.write_all(&shown).await.map_err(NetError::output)?;
        out.flush().await.map_err(NetError::output)?;
        self.tell_once();
        Ok(())
    }

    /// The first time something was shown escaped, says why, once.
    fn tell_once(&mut self) {
        if !self.told && self.terminal.as_ref().is_some_and(ForTerminal::escaped) {
            self.told = true;
            info!(
                "control characters from the server are shown as \\xNN, so that they cannot \
                 drive your terminal; redirect the output to a file to get the exact bytes"
            );
        }
    }

    /// The end of the stream: what a terminal filter still holds.
    async fn finish<W: AsyncWrite + Unpin>(&mut self, out: &mut W) -> Result<(), NetError> {
        let Some(filter) = &mut self.terminal else {
            return Ok(());
        };
        let rest = filter.finish();
        if !rest.is_empty() {
            out.write_all(&rest).await.map_err(NetError::output)?;
            out.flush().await.map_err(NetError::output)?;
            self.tell_once();
        }
        Ok(())
    }
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
    let target = netkit::net::UdpServer::open(&options.host, options.port).await?;
    let socket = target.socket();
    let peer: SocketAddr = socket
        .peer_addr()
        .map_err(|e| NetError::io("reading the server's address", e))?;
    let local = socket
        .local_addr()
        .map_err(|e| NetError::io("reading our address", e))?;
    info!("sending UDP datagrams to {peer} from {local}: each line you type is one datagram");
    let tap = Tap::datagrams(peer, options.trace, None);
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
                    .map_err(|e| NetError::udp_io(format!("sending to {peer}"), e))?;
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
    let mut screen = Screen::new(options.terminal);
    let download = async {
        // Room for any datagram: IPv6 ones may be larger than MAX_DATAGRAM
        // (IPv4's limit), and a datagram too big for the buffer is cut short.
        let mut buf = vec![0u8; codec::echo::UDP_RECV_BUFFER];
        loop {
            let n = socket
                .recv(&mut buf)
                .await
                .map_err(|e| refused(e, &target, options))?;
            tap.received(&buf[..n]);
            // Datagrams are separate messages: none holds a character for the next.
            screen.write(out, &buf[..n]).await?;
            screen.finish(out).await?;
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

/// A receive failed. When nothing listens at the address (a refusal) and
/// the name has others, they are named: raw-client sends each line as you
/// type it, like `nc -u`, so it does not try them for you (echo-client and
/// time-client do), but the next command can.
fn refused(e: io::Error, target: &netkit::net::UdpServer, options: &Options) -> NetError {
    let peer = target.addr();
    let others: Vec<String> = target.untried().map(|a| a.ip().to_string()).collect();
    if netkit::net::is_udp_refusal(&e) && !others.is_empty() {
        return NetError::protocol(format!(
            "nothing listens on {peer} over UDP (it answered \"port unreachable\"). {} has \
             other addresses: {}; the server may listen on one of them. Try: raw-client \
             --udp {} {}",
            options.host,
            others.join(", "),
            others[0],
            options.port
        ));
    }
    NetError::udp_io(format!("receiving from {peer}"), e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::TcpListener;

    /// A name with two addresses, nothing listening at the first: the
    /// refusal names the other one and the command to try it.
    #[tokio::test]
    async fn a_refusal_names_the_other_addresses() {
        let free = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let refusing = free.local_addr().unwrap();
        drop(free);
        let other: SocketAddr = ([127, 0, 0, 2], refusing.port()).into();
        let target = netkit::net::UdpServer::aimed_at(vec![refusing, other])
            .await
            .unwrap();
        target.socket().send(b"hi\n").await.unwrap();
        let mut buf = [0u8; 16];
        let e = tokio::time::timeout(Duration::from_secs(5), target.socket().recv(&mut buf))
            .await
            .unwrap()
            .unwrap_err();
        let mut opts = options(refusing.port());
        opts.host = "localhost".into();
        let said = refused(e, &target, &opts).to_string();
        assert!(
            said.contains(&format!("nothing listens on {refusing}")),
            "{said}"
        );
        assert!(
            said.contains("localhost has other addresses: 127.0.0.2"),
            "{said}"
        );
        assert!(
            said.contains(&format!("raw-client --udp 127.0.0.2 {}", refusing.port())),
            "{said}"
        );
    }

    fn options(port: u16) -> Options {
        Options {
            host: "127.0.0.1".into(),
            port,
            udp: false,
            crlf: false,
            trace: false,
            timeout: Duration::from_secs(2),
            wait: Duration::from_millis(300),
            terminal: false,
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
    fn a_terminal_sees_control_characters_escaped() {
        let mut t = ForTerminal::default();
        assert_eq!(t.show(b"line\r\n\ttab\n"), b"line\r\n\ttab\n");
        assert!(!t.escaped(), "line ends and tabs are text");
        // C0, DEL, C1 (U+009B, the one-byte CSI), a text-reversing mark.
        let shown = t.show("a\x00b\x7fc\u{9b}d\u{202e}e".as_bytes());
        assert_eq!(shown, br"a\x00b\x7fc\x9bd\u{202e}e");
        assert!(t.escaped());
        // A character cut between reads is shown whole; a lone byte escaped.
        let mut t = ForTerminal::default();
        assert_eq!(t.show(b"\xc3"), b"");
        assert_eq!(t.show(b"\xa9t\xff"), "ét\\xff".as_bytes());
        assert_eq!(t.show(b"\xe2\x82"), b"");
        assert_eq!(t.finish(), br"\xe2\x82", "cut off by the end: escaped");
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
            // The wait for late answers after the end of input: 0.3 s was
            // all a busy machine had to deliver both.
            wait: Duration::from_secs(2),
            ..options(port)
        };
        run(&opts, feed(&[b"a\nb\n"]), &mut out).await.unwrap();
        assert_eq!(out, b"<a\n<b\n");
    }
}
