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
//!   closes too.
//!
//! With `--udp`, each line (or the one-shot text) goes in one datagram; UDP
//! gives no guarantee, so the client waits with a time-out and retries.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use netkit::NetError;
use netkit::error::join_host_port;
use netkit::net::{connect_tcp, udp_socket_for};
use netkit::trace::{Tap, Traced, show_bytes};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tracing::{debug, info, warn};

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
            let socket = open_udp(&options).await?;
            let reply = udp_round_trip(&socket, &options, format!("{text}\n").as_bytes()).await?;
            print_bytes(&reply).await
        }
        (None, false) if interactive => interactive_tcp(&options).await,
        (None, false) => piped_tcp(&options).await,
        (None, true) => lines_udp(&options, interactive).await,
    }
}

async fn connect(options: &Options) -> Result<(Traced<TcpStream>, String), NetError> {
    let stream = connect_tcp(&options.host, options.port, options.timeout).await?;
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
        return Ok((Traced::new(stream, tap), server));
    }
    let tap = Tap::new(([0, 0, 0, 0], 0).into(), options.trace);
    Ok((Traced::new(stream, tap), server))
}

/// `echo-client some text`: send, half-close, read everything back.
async fn one_shot_tcp(options: &Options, text: &str) -> Result<(), NetError> {
    let (mut stream, server) = connect(options).await?;
    let message = format!("{text}\n");
    let started = Instant::now();
    stream
        .write_all(message.as_bytes())
        .await
        .map_err(|e| NetError::io(format!("sending to {server}"), e))?;
    stream
        .shutdown()
        .await
        .map_err(|e| NetError::io(format!("closing our side towards {server}"), e))?;
    // Read until the server closes, but never more than a little over what we
    // sent: a server that talks forever must not fill our memory.
    let mut reply = Vec::new();
    let mut limited = (&mut stream).take(message.len() as u64 + 64 * 1024);
    match tokio::time::timeout(options.timeout, limited.read_to_end(&mut reply)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => return Err(NetError::io(format!("reading from {server}"), e)),
        Err(_) => {
            return Err(NetError::TimedOut {
                what: format!("waiting for the echo from {server}"),
                after: options.timeout,
            });
        }
    }
    let elapsed = started.elapsed();
    print_bytes(&reply).await?;
    if reply != message.as_bytes() {
        return Err(not_echo(&server, message.as_bytes(), &reply));
    }
    info!("round trip: {}", show_duration(elapsed));
    Ok(())
}

/// The explanation when what came back is not what was sent.
fn not_echo(server: &str, sent: &[u8], received: &[u8]) -> NetError {
    NetError::protocol(format!(
        "sent {} but received {}: the server at {server} does not speak echo (RFC 862). \
         Is it the right port?",
        show_bytes(sent),
        show_bytes(received)
    ))
}

/// Keyboard mode: one line at a time, each echo printed with its round-trip time.
async fn interactive_tcp(options: &Options) -> Result<(), NetError> {
    let (mut stream, server) = connect(options).await?;
    eprintln!("Type a line and press Enter; Ctrl-D (Ctrl-Z on Windows) to finish.");
    let mut keyboard = netkit::stdin::lines();
    while let Some(line) = keyboard.recv().await {
        let line = line.map_err(|e| NetError::io("reading the keyboard", e))?;
        let message = format!("{line}\n");
        let started = Instant::now();
        stream
            .write_all(message.as_bytes())
            .await
            .map_err(|e| NetError::io(format!("sending to {server}"), e))?;
        let mut echo = vec![0u8; message.len()];
        match tokio::time::timeout(options.timeout, stream.read_exact(&mut echo)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                eprintln!("The server closed the connection.");
                return Ok(());
            }
            Ok(Err(e)) => return Err(NetError::io(format!("reading from {server}"), e)),
            Err(_) => {
                return Err(NetError::TimedOut {
                    what: format!("waiting for the echo from {server}"),
                    after: options.timeout,
                });
            }
        }
        // Another protocol's server (chat's greeting, say) answers with
        // something else: say so rather than print it as if it were the echo.
        if echo != message.as_bytes() {
            return Err(not_echo(&server, message.as_bytes(), &echo));
        }
        let text = String::from_utf8_lossy(&echo);
        let shown = format!(
            "{}   (round trip {})\n",
            text.trim_end_matches(['\r', '\n']),
            show_duration(started.elapsed())
        );
        print_bytes(shown.as_bytes()).await?;
    }
    let _ = stream.shutdown().await;
    Ok(())
}

/// Pipe mode: standard input to the server and the server to standard output,
/// concurrently, byte for byte.
async fn piped_tcp(options: &Options) -> Result<(), NetError> {
    let (stream, server) = connect(options).await?;
    let tap = stream.tap().clone();
    let (reader, writer) = stream.into_inner().into_split();
    let reader = Traced::new(reader, tap.clone());
    let writer = Traced::new(writer, tap.clone());
    let send = send_stdin(writer, &server);
    let receive = copy_to_stdout(reader, &server);
    tokio::try_join!(send, receive)?;
    info!(
        "done: {} bytes sent, {} bytes received",
        tap.bytes_out(),
        tap.bytes_in()
    );
    if tap.bytes_in() != tap.bytes_out() {
        warn!("the server sent back a different number of bytes than it received");
    }
    Ok(())
}

async fn send_stdin(mut writer: impl AsyncWrite + Unpin, server: &str) -> Result<(), NetError> {
    let mut input = netkit::stdin::chunks();
    while let Some(chunk) = input.recv().await {
        let chunk = chunk.map_err(|e| NetError::io("reading standard input", e))?;
        writer
            .write_all(&chunk)
            .await
            .map_err(|e| NetError::io(format!("sending to {server}"), e))?;
    }
    // End of input: half-close, so the server knows we are done sending.
    writer
        .shutdown()
        .await
        .map_err(|e| NetError::io(format!("closing our side towards {server}"), e))
}

async fn copy_to_stdout(mut reader: impl AsyncRead + Unpin, server: &str) -> Result<(), NetError> {
    let mut stdout = tokio::io::stdout();
    tokio::io::copy(&mut reader, &mut stdout)
        .await
        .map_err(|e| NetError::io(format!("receiving from {server}"), e))?;
    stdout
        .flush()
        .await
        .map_err(|e| NetError::io("writing standard output", e))
}

async fn open_udp(options: &Options) -> Result<UdpSocket, NetError> {
    let socket = udp_socket_for(&options.host, options.port).await?;
    if let Ok(local) = socket.local_addr() {
        info!(
            "sending UDP datagrams to {}:{} from {local}",
            options.host, options.port
        );
    }
    Ok(socket)
}

/// Sends one datagram and waits for the answer, resending after each time-out.
async fn udp_round_trip(
    socket: &UdpSocket,
    options: &Options,
    datagram: &[u8],
) -> Result<Vec<u8>, NetError> {
    let server = join_host_port(&options.host, options.port);
    let tap = Tap::new(
        socket
            .peer_addr()
            .unwrap_or_else(|_| ([0, 0, 0, 0], 0).into()),
        options.trace,
    );
    let mut buf = vec![0u8; codec::echo::MAX_UDP_PAYLOAD];
    // Whatever already waits in the socket answers an *earlier* datagram (a
    // reply that came after its time-out, or the second reply to a resent
    // one). Taking it as the answer to this one would shift every line by one.
    while let Ok(n) = socket.try_recv(&mut buf) {
        tap.received(&buf[..n]);
        debug!("ignored a late reply of {n} bytes to an earlier datagram");
    }
    let mut other = None;
    for attempt in 0..=options.retries {
        if attempt > 0 {
            warn!(
                "no answer from {server} yet: sending again ({attempt}/{})",
                options.retries
            );
        }
        let started = Instant::now();
        socket
            .send(datagram)
            .await
            .map_err(|e| NetError::io(format!("sending to {server}"), e))?;
        tap.sent(datagram);
        // The echo of this datagram is the same bytes. Anything else may be
        // a late reply to an earlier one: keep waiting for the right one, and
        // show the other only if the right one never comes (then the server
        // does not speak echo, and the user must see what it said).
        let deadline = tokio::time::Instant::now() + options.timeout;
        loop {
            match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
                Ok(Ok(n)) => {
                    tap.received(&buf[..n]);
                    if &buf[..n] == datagram {
                        info!("round trip: {}", show_duration(started.elapsed()));
                        return Ok(buf[..n].to_vec());
                    }
                    debug!("a reply of {n} bytes that is not this datagram's echo");
                    other = Some(buf[..n].to_vec());
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
    if let Some(reply) = other {
        return Ok(reply);
    }
    Err(NetError::TimedOut {
        what: format!(
            "waiting for a UDP reply from {server} ({} tries)",
            options.retries + 1
        ),
        after: options.timeout,
    })
}

/// `--udp` without text: every input line is one datagram.
async fn lines_udp(options: &Options, interactive: bool) -> Result<(), NetError> {
    let socket = open_udp(options).await?;
    if interactive {
        eprintln!("Type a line and press Enter: it goes in one datagram. Ctrl-D to finish.");
    }
    let mut lines = netkit::stdin::lines();
    while let Some(line) = lines.recv().await {
        let line = line.map_err(|e| NetError::io("reading standard input", e))?;
        let reply = udp_round_trip(&socket, options, format!("{line}\n").as_bytes()).await?;
        print_bytes(&reply).await?;
    }
    Ok(())
}

/// Writes to standard output. If whoever reads it has gone (`| head -1`),
/// there is nobody left to show anything to: that is not an error.
async fn print_bytes(bytes: &[u8]) -> Result<(), NetError> {
    let mut stdout = tokio::io::stdout();
    let written = async {
        stdout.write_all(bytes).await?;
        stdout.flush().await
    };
    match written.await {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(NetError::io("writing standard output", e))
        }
        _ => Ok(()),
    }
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
    fn durations_use_a_readable_unit() {
        assert_eq!(show_duration(Duration::from_micros(213)), "0.213 ms");
        assert_eq!(show_duration(Duration::from_micros(12_500)), "12.5 ms");
        assert_eq!(show_duration(Duration::from_millis(1200)), "1.20 s");
    }
}
