//! echo-server's defences and limits, tested on real loopback sockets: it
//! does not answer datagrams that could start a loop between servers, it
//! echoes the largest IPv6 datagram whole, its `--trace` shows empty
//! datagrams, and `--idle-timeout` cuts off a client that stopped reading,
//! never one that reads slowly.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use codec::echo::MAX_UDP_PAYLOAD_V6;
use echo::server::{Config, serve};
use netkit::net::{bind_tcp_and_udp, local_addr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream, UdpSocket};
use tokio_util::sync::CancellationToken;

/// Every wait for something that should happen is bounded by this.
const LIMIT: Duration = Duration::from_secs(10);

/// How long to wait for an answer that must *not* come. Loopback delivers in
/// microseconds, and the tests below first get an answer to a datagram sent
/// later, so this only adds a margin.
const SILENCE: Duration = Duration::from_millis(300);

/// Starts `serve` on UDP only, on 127.0.0.1 and a port chosen by the OS.
async fn start_udp(host: &str) -> (SocketAddr, CancellationToken) {
    let (_, udp) = bind_tcp_and_udp(host, 0).await.unwrap();
    let addr = udp.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(None, Some(udp), Config::default(), shutdown.clone()));
    (addr, shutdown)
}

/// Sends `datagram` from `socket` to `server` and waits for the answer.
async fn round_trip(socket: &UdpSocket, server: SocketAddr, datagram: &[u8]) -> Vec<u8> {
    socket.send_to(datagram, server).await.unwrap();
    let mut buf = vec![0u8; 65_536];
    let (n, from) = tokio::time::timeout(LIMIT, socket.recv_from(&mut buf))
        .await
        .expect("an answer")
        .unwrap();
    assert_eq!(from, server);
    buf.truncate(n);
    buf
}

/// Sends a datagram from `forged` to `server`, then proves it was not
/// answered: a normal client's datagram, sent after it, is answered first.
async fn assert_not_answered(forged: &UdpSocket, server: SocketAddr) {
    forged.send_to(b"loop?", server).await.unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    assert_eq!(round_trip(&client, server, b"hello").await, b"hello");
    tokio::time::sleep(SILENCE).await;
    let mut buf = [0u8; 64];
    match forged.try_recv_from(&mut buf) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!(
            "a datagram from {} was answered: {other:?}",
            forged.local_addr().unwrap()
        ),
    }
}

/// A UDP socket on 127.0.0.2 (Linux routes all of 127.0.0.0/8 to loopback),
/// or `None`, with the reason printed, when this system cannot bind it.
async fn bind_other_loopback(port: u16) -> Option<UdpSocket> {
    match UdpSocket::bind(("127.0.0.2", port)).await {
        Ok(socket) => Some(socket),
        Err(e) => {
            eprintln!("skipped: cannot bind 127.0.0.2:{port}: {e}");
            None
        }
    }
}

#[tokio::test]
async fn a_datagram_from_the_servers_own_port_gets_no_answer() {
    let (server, _shutdown) = start_udp("127.0.0.1").await;
    // Another address, the server's own port: echoing it would make the
    // server (or a twin on another machine) answer itself forever.
    let Some(forged) = bind_other_loopback(server.port()).await else {
        return;
    };
    assert_not_answered(&forged, server).await;
}

#[tokio::test]
async fn a_datagram_from_time_servers_port_gets_no_answer() {
    let (server, _shutdown) = start_udp("127.0.0.1").await;
    // time-server's default port: echo and time would answer each other forever.
    let Some(forged) = bind_other_loopback(codec::time::DEFAULT_TIME_PORT).await else {
        return;
    };
    assert_not_answered(&forged, server).await;
}

#[tokio::test]
async fn the_largest_ipv6_datagram_comes_back_whole() {
    let Ok((_, udp)) = bind_tcp_and_udp("::1", 0).await else {
        eprintln!("skipped: IPv6 loopback (::1) is not available here");
        return;
    };
    let server = udp.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(None, Some(udp), Config::default(), shutdown.clone()));

    let client = UdpSocket::bind("[::1]:0").await.unwrap();
    // 65,527 bytes: 20 more than IPv4 can carry.
    let datagram: Vec<u8> = (0..MAX_UDP_PAYLOAD_V6).map(|i| (i % 251) as u8).collect();
    let back = round_trip(&client, server, &datagram).await;
    assert_eq!(back.len(), datagram.len(), "the echo was truncated");
    assert_eq!(back, datagram);
    shutdown.cancel();
}

/// The real `echo-server` program, killed when the test ends (even on panic).
struct Program(Child);

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn trace_shows_an_empty_datagram_and_its_echo() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_echo-server"))
        .args(["--host", "127.0.0.1", "--port", "0", "--transport", "udp"])
        .arg("--trace")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("echo-server starts");
    // The log is read on a thread, so that every wait for a line is bounded.
    let stderr = child.stderr.take().unwrap();
    let _program = Program(child);
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + LIMIT;
    let next_line = || {
        let left = deadline.saturating_duration_since(Instant::now());
        lines.recv_timeout(left).expect("the expected log line")
    };

    // "listening on 127.0.0.1:PORT (udp) — …": the port the OS chose.
    let server: SocketAddr = loop {
        let line = next_line();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    let client = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let me = client.local_addr().unwrap();
    assert_eq!(round_trip(&client, server, b"").await, b"");

    let recv = format!("recv an empty datagram from {me}");
    let sent = format!("sent an empty datagram to   {me}");
    let mut seen = Vec::new();
    while !seen.iter().any(|l: &String| l.ends_with(&sent)) {
        seen.push(next_line());
    }
    let position = |wanted: &str| seen.iter().position(|l| l.ends_with(wanted));
    assert!(
        position(&recv) < position(&sent),
        "the trace must show the question, then the echo: {seen:#?}"
    );
}

/// Starts `serve` on TCP with a small send buffer on every connection (as
/// on a slow network: little data in flight), and a large receive buffer,
/// so the server reads big chunks and must wait for the client to read
/// their echo.
async fn start_tcp_with_small_send_buffer(idle_timeout: Duration) -> SocketAddr {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_send_buffer_size(8 * 1024).unwrap();
    socket.set_recv_buffer_size(256 * 1024).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(16).unwrap();
    let addr = local_addr(&listener).unwrap();
    let config = Config {
        idle_timeout,
        ..Config::default()
    };
    tokio::spawn(serve(
        Some(listener),
        None,
        config,
        CancellationToken::new(),
    ));
    addr
}

/// Connects with a small receive buffer, so the client's pace decides how
/// fast the server can write.
async fn connect_with_small_receive_buffer(addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(8 * 1024).unwrap();
    socket.connect(addr).await.unwrap()
}

#[tokio::test]
async fn a_slow_but_steady_reader_gets_its_whole_echo() {
    let idle_timeout = Duration::from_millis(600);
    let addr = start_tcp_with_small_send_buffer(idle_timeout).await;
    let stream = connect_with_small_receive_buffer(addr).await;
    let (mut reader, mut writer) = stream.into_split();

    // 384 KiB, read back 8 KiB at a time at about 128 KiB/s: 3 s, five
    // times the idle time-out. The server's writes make progress every
    // 130 ms or so, while writing back one chunk it read (up to 256 KiB)
    // takes well over a second.
    let data: Vec<u8> = (0..384 * 1024).map(|i| (i % 253) as u8).collect();
    let to_send = data.clone();
    let sender = tokio::spawn(async move {
        writer.write_all(&to_send).await?;
        writer.shutdown().await // half-close: the server then closes too
    });
    let started = Instant::now();
    let mut echoed = Vec::new();
    let mut piece = vec![0u8; 8 * 1024];
    let mut pace = tokio::time::interval(Duration::from_micros(62_500));
    loop {
        pace.tick().await;
        let n = tokio::time::timeout(LIMIT, reader.read(&mut piece))
            .await
            .expect("the echo keeps coming")
            .expect("the server did not cut off a client that reads");
        if n == 0 {
            break;
        }
        echoed.extend_from_slice(&piece[..n]);
        assert!(started.elapsed() < 3 * LIMIT, "the echo takes too long");
    }
    sender.await.unwrap().unwrap();
    assert!(
        started.elapsed() > 2 * idle_timeout,
        "the test must read for longer than the idle time-out"
    );
    assert_eq!(echoed.len(), data.len());
    assert_eq!(echoed, data);
}

#[tokio::test]
async fn a_client_that_stops_reading_is_still_cut_off() {
    let idle_timeout = Duration::from_millis(300);
    let addr = start_tcp_with_small_send_buffer(idle_timeout).await;
    let stream = connect_with_small_receive_buffer(addr).await;
    let (mut reader, mut writer) = stream.into_split();

    // The client sends far more than the buffers hold, and reads nothing.
    tokio::spawn(async move {
        let block = vec![b'x'; 64 * 1024];
        for _ in 0..64 {
            if writer.write_all(&block).await.is_err() {
                break;
            }
        }
    });
    tokio::time::sleep(4 * idle_timeout).await;
    // The server gave up on it: what was echoed can still be read, then the
    // connection ends (FIN or reset) instead of waiting forever.
    let mut rest = Vec::new();
    let ended = tokio::time::timeout(LIMIT, reader.read_to_end(&mut rest)).await;
    assert!(ended.is_ok(), "the server kept a client that does not read");
    assert!(rest.len() < 64 * 64 * 1024, "not everything was echoed");
}
