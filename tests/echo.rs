//! Integration tests of the echo pair, run as real processes: `echo-server`
//! on `--port 0`, talked to by `echo-client` and by plain sockets, over loopback.

mod support;

#[cfg(unix)]
use std::io::{BufRead, BufReader};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream, UdpSocket};
#[cfg(unix)]
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[cfg(unix)]
use support::listening_addr;
use support::{Server, bin, noise, run_client, run_with_input};

const T: Duration = Duration::from_secs(20);

fn echo_server(extra: &[&str]) -> Server {
    let mut args = vec!["--port", "0"];
    args.extend_from_slice(extra);
    Server::start("echo-server", &args)
}

fn connect(server: &Server) -> TcpStream {
    let stream = TcpStream::connect(server.addr()).expect("connect to echo-server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream
}

#[test]
fn the_first_log_line_gives_the_address_and_the_port_range() {
    let server = echo_server(&[]);
    let first = server.log.lines()[0].clone();
    assert!(
        first.contains(&format!("listening on {}", server.addr())),
        "{first}"
    );
    assert!(first.contains("(tcp+udp)"), "{first}");
    let range = codec::ports::PortRange::of(server.addr().port()).to_string();
    assert!(first.contains(&range), "{first}");
}

#[test]
fn fifty_clients_at_once_each_get_their_own_bytes_back() {
    fifty_clients_at_once(&[]);
}

/// "One server serves many clients at once" does not need many threads:
/// on one, each client's task gives the thread back while it waits.
#[test]
fn one_thread_serves_fifty_clients_at_once() {
    fifty_clients_at_once(&["--threads", "1"]);
}

fn fifty_clients_at_once(flags: &[&str]) {
    let server = echo_server(flags);
    let addr = server.addr();
    let clients: Vec<_> = (0..50u64)
        .map(|i| {
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_secs(10)))
                    .unwrap();
                let data = noise(20_000, i + 1);
                // Interleave writing and reading so neither side's buffers fill up.
                let mut back = vec![0u8; data.len()];
                for (chunk, out) in data.chunks(1000).zip(back.chunks_mut(1000)) {
                    stream.write_all(chunk).unwrap();
                    stream.read_exact(out).unwrap();
                }
                assert_eq!(back, data, "client {i} got someone else's bytes");
            })
        })
        .collect();
    for client in clients {
        client.join().expect("a client failed");
    }
}

#[test]
fn ten_mib_round_trip_through_echo_client_is_byte_exact() {
    let server = echo_server(&[]);
    let data = noise(10 * 1024 * 1024, 42);
    let out = run_with_input(
        &bin("echo-client"),
        &["--port", &server.port()],
        &data,
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "echo-client failed: {}", out.stderr);
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "the copy differs from the original");
}

#[test]
fn half_close_gets_everything_back_then_the_server_closes() {
    let server = echo_server(&[]);
    let mut stream = connect(&server);
    stream.write_all(b"last words\n").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    stream
        .read_to_end(&mut back)
        .expect("the server closes after echoing");
    assert_eq!(back, b"last words\n");
}

#[test]
fn one_shot_client_prints_the_echo() {
    let server = echo_server(&[]);
    let out = run_client(
        "echo-client",
        &["--port", &server.port(), "bonjour", "le", "monde"],
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout_text(), "bonjour le monde\n");
    assert!(out.stderr.contains("round trip"), "{}", out.stderr);
    // The client shows its own, OS-chosen, port.
    assert!(
        out.stderr.contains("was chosen by the OS"),
        "{}",
        out.stderr
    );
}

#[test]
fn udp_datagrams_come_back_to_their_sender() {
    let server = echo_server(&[]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    for message in [&b"first"[..], &noise(1400, 7), &noise(60_000, 8)] {
        socket.send_to(message, server.addr()).unwrap();
        let mut buf = vec![0u8; 65_536];
        let (n, from) = socket.recv_from(&mut buf).expect("a reply datagram");
        assert_eq!(from, server.addr());
        assert_eq!(&buf[..n], message);
    }
}

/// Bound to every address (`0.0.0.0`), the server must echo from the address
/// the datagram went to: a client that connected its socket (as echo-client
/// and `nc -u` do) drops a datagram from any other. `127.0.0.2` is a second
/// loopback address on Linux; without the fix the echo came from 127.0.0.1.
#[cfg(target_os = "linux")]
#[test]
fn bound_to_every_address_the_echo_comes_from_the_address_asked() {
    let server = echo_server(&["--host", "0.0.0.0", "--transport", "udp"]);
    let asked = std::net::SocketAddr::from(([127, 0, 0, 2], server.addr().port()));
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client.connect(asked).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.send(b"from 127.0.0.2?").unwrap();
    let mut buf = [0u8; 64];
    // recv_from on a connected socket only ever returns datagrams from `asked`.
    let (n, from) = client
        .recv_from(&mut buf)
        .expect("an echo from 127.0.0.2, the address asked");
    assert_eq!(from, asked);
    assert_eq!(&buf[..n], b"from 127.0.0.2?");
    // Listening on every card, the server says what the firewall must let
    // in: a rule is per transport.
    let advice = server.log.wait_for("means every network card", T);
    let advice = advice.unwrap_or_else(|| panic!("{}", server.log.text()));
    assert!(
        advice.contains("the firewall must allow UDP port"),
        "{advice}"
    );
}

#[test]
fn a_loop_with_another_server_ends_by_itself() {
    // Another server that answers everything (on a port no rule can
    // foresee) gets one datagram from "us": echo-server echoes its answer,
    // it answers again… until it has used up its --udp-rate answers.
    //
    // 10 answers a second: only a loop slower than that (round trips over
    // 100 ms) would never end. With 50, a busy machine's round trips of
    // 20 ms would keep it going, and at 10 ms it would answer more than the
    // 100 the test allowed.
    let server = echo_server(&["--transport", "udp", "--udp-rate", "10"]);
    let other = UdpSocket::bind("127.0.0.1:0").unwrap();
    let began = Instant::now();
    other.send_to(b"x", server.addr()).unwrap();
    let answered = support::answer_everything(&other, Duration::from_millis(500), 100_000)
        .expect("the loop ends");
    // 10 at once, and a few more refilled while the loop ran.
    support::assert_within_udp_budget(answered, 10, began.elapsed());
    // The server still answers, once that source has calmed down.
    std::thread::sleep(Duration::from_millis(100));
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.send_to(b"still there?", server.addr()).unwrap();
    let mut buf = [0u8; 64];
    let (n, _) = client.recv_from(&mut buf).expect("an echo");
    assert_eq!(&buf[..n], b"still there?");
}

#[test]
fn echo_client_over_udp() {
    let server = echo_server(&[]);
    let out = run_client(
        "echo-client",
        &["--port", &server.port(), "--udp", "hello", "udp"],
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout_text(), "hello udp\n");
}

#[test]
fn tcp_only_leaves_the_udp_port_closed() {
    let server = echo_server(&["--transport", "tcp"]);
    assert!(server.log.lines()[0].contains("(tcp)"));
    let out = run_client(
        "echo-client",
        &[
            "--port",
            &server.port(),
            "--udp",
            "--timeout",
            "0.3",
            "--retries",
            "0",
            "x",
        ],
        T,
    );
    assert!(!out.status.success());
}

/// A datagram to a port where nothing listens: the machine answers "port
/// unreachable" (ICMP), which the system reports as "connection refused".
/// UDP has no connection: the message must say what happened instead.
#[test]
fn nothing_listening_on_udp_is_not_called_a_refused_connection() {
    let closed = support::RefusingUdp::new();
    let nobody = closed.addr();
    let port = nobody.port().to_string();
    let out = run_client("echo-client", &["--udp", "--port", &port, "hello"], T);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    support::assert_nothing_listens_udp(&out.stderr, nobody);
}

#[test]
fn trace_shows_the_bytes_both_ways_with_the_peer() {
    let server = echo_server(&["--trace"]);
    let mut stream = connect(&server);
    let me = stream.local_addr().unwrap();
    stream.write_all(b"hi\r\n").unwrap();
    let mut back = [0u8; 4];
    stream.read_exact(&mut back).unwrap();
    let recv = format!(r#"recv 4 bytes from {me}: "hi\r\n""#);
    let sent = format!(r#"to   {me}: "hi\r\n""#);
    assert!(
        server.log.wait_for(&recv, T).is_some(),
        "{}",
        server.log.text()
    );
    assert!(
        server.log.wait_for(&sent, T).is_some(),
        "{}",
        server.log.text()
    );
    // Both halves of the half-close are shown: the client's FIN, then ours.
    stream.shutdown(Shutdown::Write).unwrap();
    for needle in [
        format!("recv end-of-stream from {me}"),
        format!("sent end-of-stream to {me}"),
    ] {
        assert!(
            server.log.wait_for(&needle, T).is_some(),
            "{needle}: {}",
            server.log.text()
        );
    }
}

#[test]
fn trace_shows_a_udp_datagram_and_its_echo_with_the_peer() {
    let server = echo_server(&["--trace"]);
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let me = socket.local_addr().unwrap();
    socket.send_to(b"ping\n", server.addr()).unwrap();
    let mut buf = [0u8; 64];
    let (n, _) = socket.recv_from(&mut buf).expect("the echo");
    assert_eq!(&buf[..n], b"ping\n");
    for needle in [
        format!(r#"recv a datagram of 5 bytes from {me}: "ping\n""#),
        format!(r#"sent a datagram of 5 bytes to   {me}: "ping\n""#),
    ] {
        assert!(
            server.log.wait_for(&needle, T).is_some(),
            "{needle}: {}",
            server.log.text()
        );
    }
}

/// One server, one port, both transports: the same line sent over TCP and
/// over UDP. Every UDP line of the trace says "datagram", no TCP line does,
/// so the two can be told apart at a glance, and TCP's lines keep their
/// format.
#[test]
fn trace_tells_a_udp_datagram_from_tcp_bytes() {
    let server = echo_server(&["--trace"]);
    let mut stream = connect(&server);
    let tcp_peer = stream.local_addr().unwrap();
    stream.write_all(b"same\n").unwrap();
    let mut back = [0u8; 5];
    stream.read_exact(&mut back).unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let udp_peer = socket.local_addr().unwrap();
    socket.send_to(b"same\n", server.addr()).unwrap();
    let mut buf = [0u8; 64];
    let (n, _) = socket.recv_from(&mut buf).expect("the echo");
    assert_eq!(&buf[..n], b"same\n");
    let expected = [
        format!(r#"recv 5 bytes from {tcp_peer}: "same\n""#),
        format!(r#"sent 5 bytes to   {tcp_peer}: "same\n""#),
        format!(r#"recv a datagram of 5 bytes from {udp_peer}: "same\n""#),
        format!(r#"sent a datagram of 5 bytes to   {udp_peer}: "same\n""#),
    ];
    for needle in &expected {
        assert!(
            server.log.wait_for(needle, T).is_some(),
            "{needle}: {}",
            server.log.text()
        );
    }
    // Every line about the UDP peer says "datagram", none about the TCP
    // one (a whole word each: 127.0.0.1:4000 is not 127.0.0.1:40001).
    let about = |line: &str, peer: std::net::SocketAddr| {
        line.split_whitespace()
            .any(|word| word.trim_end_matches(':') == peer.to_string())
    };
    for line in server.log.lines() {
        if about(&line, udp_peer) {
            assert!(line.contains(" datagram "), "{line}");
        }
        if about(&line, tcp_peer) {
            assert!(!line.contains("datagram"), "{line}");
        }
    }
}

#[test]
fn connections_are_logged_with_the_client_port_and_byte_counts() {
    let server = echo_server(&[]);
    let mut stream = connect(&server);
    let me = stream.local_addr().unwrap();
    stream.write_all(b"12345").unwrap();
    stream.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    stream.read_to_end(&mut back).unwrap();
    assert!(server.log.wait_for(&format!("{me} connected"), T).is_some());
    let end = server
        .log
        .wait_for(&format!("{me} disconnected"), T)
        .expect("an end line");
    assert!(end.contains("5 bytes in, 5 bytes out"), "{end}");
}

#[test]
fn a_client_over_the_limit_is_closed_and_logged() {
    let server = echo_server(&["--max-clients", "2"]);
    let mut kept: Vec<TcpStream> = (0..2).map(|_| connect(&server)).collect();
    for stream in &mut kept {
        stream.write_all(b"x").unwrap();
        let mut b = [0u8; 1];
        stream.read_exact(&mut b).unwrap(); // both are really being served
    }
    let mut third = connect(&server);
    let mut buf = [0u8; 1];
    let n = third.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the third client should be closed at once");
    assert!(
        server
            .log
            .wait_for("refused: already 2 clients", T)
            .is_some(),
        "{}",
        server.log.text()
    );
}

#[test]
fn a_flood_of_refused_clients_is_not_a_flood_of_log_lines() {
    let server = echo_server(&["--max-clients", "1", "--transport", "tcp"]);
    let mut kept = connect(&server);
    kept.write_all(b"x").unwrap();
    kept.read_exact(&mut [0u8; 1]).unwrap(); // the one client is being served
    for _ in 0..300 {
        let mut refused = connect(&server);
        let _ = refused.read(&mut [0u8; 1]); // closed at once
    }
    let mut extra = connect(&server);
    let _ = extra.read(&mut [0u8; 1]);
    // The first refusal is logged at once, the rest at most once a second.
    assert!(
        server
            .log
            .wait_for("refused: already 1 client (see --max-clients)", T)
            .is_some(),
        "{}",
        server.log.text()
    );
    let lines = server.log.text().matches("refused: already").count();
    assert!(
        lines <= 5,
        "{lines} lines for 301 refusals:\n{}",
        server.log.text()
    );
    // The ones left out are still told, at the latest when the server stops.
    #[cfg(unix)]
    {
        let mut server = server;
        server.interrupt(T).expect("the server stops");
        assert!(
            server
                .log
                .wait_for("more since the last such line", T)
                .is_some(),
            "{}",
            server.log.text()
        );
    }
}

#[test]
fn idle_connections_are_closed_after_the_idle_timeout() {
    let server = echo_server(&["--idle-timeout", "0.5"]);
    let mut stream = connect(&server);
    let started = Instant::now();
    let mut buf = [0u8; 1];
    let n = stream.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "the server closes an idle connection");
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "closed too early"
    );
    assert!(
        server.log.wait_for("--idle-timeout", T).is_some(),
        "{}",
        server.log.text()
    );
}

/// VmRSS of a process, in KiB (Linux only).
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_client_that_never_reads_is_not_buffered_and_others_are_still_served() {
    never_reading_client_does_not_stall_others(&[]);
}

/// A client streaming as fast as it can must not keep the only thread to
/// itself: the others' round trips still complete promptly.
#[test]
fn on_one_thread_a_bulk_client_does_not_starve_the_others() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let server = echo_server(&["--threads", "1"]);
    let mut bulk = connect(&server);
    let mut bulk_reader = bulk.try_clone().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 20];
        let mut got = 0usize;
        while let Ok(n @ 1..) = bulk_reader.read(&mut buf) {
            got += n;
        }
        got
    });
    let writer = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            // Streams until told to stop (at most 4 GiB), then half-closes.
            let chunk = vec![b'b'; 1 << 20];
            let mut sent = 0usize;
            while !stop.load(Ordering::Relaxed) && sent < 4 << 30 {
                bulk.write_all(&chunk).unwrap();
                sent += chunk.len();
            }
            bulk.shutdown(Shutdown::Write).unwrap();
            sent
        })
    };
    // While the stream flows, a small client's round trips stay quick.
    std::thread::sleep(Duration::from_millis(200));
    let mut small = connect(&server);
    let mut slowest = Duration::ZERO;
    for i in 0..20u8 {
        let began = Instant::now();
        small.write_all(&[i; 16]).unwrap();
        let mut back = [0u8; 16];
        small.read_exact(&mut back).unwrap();
        assert_eq!(back, [i; 16]);
        slowest = slowest.max(began.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    let sent = writer.join().unwrap();
    assert!(
        sent > 1 << 20,
        "the bulk client was streaming ({sent} bytes)"
    );
    assert!(
        slowest < Duration::from_secs(1),
        "a round trip took {slowest:?} while another client streamed"
    );
    assert_eq!(
        reader.join().unwrap(),
        sent,
        "the bulk client got everything back"
    );
}

#[test]
fn on_one_thread_a_client_that_never_reads_does_not_stall_the_others() {
    never_reading_client_does_not_stall_others(&["--threads", "1"]);
}

fn never_reading_client_does_not_stall_others(flags: &[&str]) {
    let server = echo_server(flags);
    let mut greedy = connect(&server);
    greedy
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let chunk = vec![b'z'; 1 << 20];
    let mut pushed = 0usize;
    // Send up to 256 MiB without ever reading. The server must stop reading
    // us once our echo cannot be delivered, so our writes soon block.
    while pushed < 256 << 20 {
        match greedy.write(&chunk) {
            Ok(n) => pushed += n,
            Err(_) => break, // the write timed out: the server stopped reading
        }
    }
    assert!(
        pushed < 64 << 20,
        "the server kept reading {} MiB from a client that never reads",
        pushed >> 20
    );

    let mut other = connect(&server);
    other.write_all(b"still here?").unwrap();
    let mut back = [0u8; 11];
    other.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"still here?");

    if let Some(rss) = rss_kib(server.pid()) {
        assert!(rss < 64 * 1024, "server RSS grew to {rss} KiB");
    }
}

#[test]
fn a_reset_mid_stream_is_logged_and_others_are_unaffected() {
    let server = echo_server(&[]);
    let addr = server.addr();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        use tokio::io::AsyncWriteExt;
        let mut rude = tokio::net::TcpStream::connect(addr).await.unwrap();
        rude.write_all(&vec![1u8; 1 << 20]).await.ok();
        // SO_LINGER 0: closing sends a reset (RST) instead of a polite FIN.
        rude.set_zero_linger().unwrap();
        drop(rude);
    });
    assert!(
        server.log.wait_for("reset", T).is_some(),
        "{}",
        server.log.text()
    );
    let mut polite = connect(&server);
    polite.write_all(b"ok").unwrap();
    let mut back = [0u8; 2];
    polite.read_exact(&mut back).unwrap();
    assert_eq!(&back, b"ok");
}

#[cfg(unix)]
#[test]
fn after_ctrl_c_new_clients_are_refused_at_once() {
    // While the last connection gets its grace period, a newcomer must be
    // refused, not accepted by the system and then never answered.
    let mut server = echo_server(&["--transport", "tcp", "--grace", "5"]);
    let addr = server.addr();
    let idle = connect(&server);
    let _ = std::process::Command::new("kill")
        .args(["-INT", &server.pid().to_string()])
        .status();
    assert!(
        server.log.wait_for("no longer accepting", T).is_some(),
        "{}",
        server.log.text()
    );
    let refused = TcpStream::connect_timeout(&addr, T).map(|_| ());
    assert_eq!(
        refused.map_err(|e| e.kind()),
        Err(std::io::ErrorKind::ConnectionRefused),
        "a client that arrives during the grace period is refused"
    );
    drop(idle);
    assert!(server.wait(T).is_some(), "the server stops");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_server_cleanly() {
    let mut server = echo_server(&["--grace", "0.5"]);
    let idle = connect(&server); // a live connection that never ends by itself
    let status = server.interrupt(T).expect("the server exits after Ctrl-C");
    assert!(status.success(), "exit status {status}");
    assert!(
        server.log.wait_for("shutting down", T).is_some(),
        "{}",
        server.log.text()
    );
    drop(idle);
}

/// `echo-server 2>&1 | grep something`, and the grep is stopped first: the
/// log has no reader any more. The server must go on serving, and still
/// stop on Ctrl-C (a failed log write once panicked the task that logged).
#[cfg(unix)]
#[test]
fn a_log_nobody_reads_any_more_stops_nothing() {
    /// Kills the server however the test ends.
    struct Killed(std::process::Child);
    impl Drop for Killed {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Killed(
        Command::new(bin("echo-server"))
            .args(["--port", "0", "--transport", "tcp"])
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start echo-server"),
    );
    let child = &mut server.0;
    let mut log = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        if log.read_line(&mut line).unwrap_or(0) == 0 {
            panic!("echo-server ended its log before listening");
        }
        if let Some(addr) = listening_addr(&line) {
            break addr;
        }
    };
    drop(log); // nobody reads the log from now on
    for round in 0..3 {
        let mut client = TcpStream::connect(addr).expect("connect");
        client.set_read_timeout(Some(T)).unwrap();
        client.write_all(b"still here\n").unwrap();
        let mut back = [0u8; 11];
        client
            .read_exact(&mut back)
            .unwrap_or_else(|e| panic!("round {round}: no echo: {e}"));
        assert_eq!(&back, b"still here\n");
    }
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = support::wait_for_exit(
        child,
        T,
        "echo-server ignored Ctrl-C once its log was unread",
    );
    assert!(status.success(), "exit status {status}");
}

// ---- Errors, each explained in plain words ---------------------------------

#[test]
fn port_in_use_is_explained() {
    let first = echo_server(&[]);
    let out = run_client("echo-server", &["--port", &first.port()], T);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("another program already listens"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("--port"), "{}", out.stderr);
    assert!(!out.stderr.contains("os error"), "{}", out.stderr);
}

#[test]
fn connection_refused_is_explained() {
    // A port nobody listens on.
    let closed = support::RefusingTcp::new();
    let port = closed.port();
    let out = run_client("echo-client", &["--port", &port, "hello"], T);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("no server listens"), "{}", out.stderr);
    assert!(
        out.stderr.contains("Is the server started?"),
        "{}",
        out.stderr
    );
}

#[test]
fn unknown_host_is_explained() {
    let out = run_client(
        "echo-client",
        &["--host", "no-such-host.invalid", "hello"],
        T,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("unknown host"), "{}", out.stderr);
}

#[test]
fn an_address_of_another_machine_is_explained() {
    let out = run_client("echo-server", &["--host", "192.0.2.1", "--port", "0"], T);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stderr.contains("does not belong to this machine"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_udp_time_out_is_explained() {
    // A UDP socket that receives but never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    for (retries, tries) in [("1", "(2 tries)"), ("0", "(1 try)")] {
        let out = run_client(
            "echo-client",
            &[
                "--port",
                &port,
                "--udp",
                "--timeout",
                "0.2",
                "--retries",
                retries,
                "anyone?",
            ],
            T,
        );
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stderr.contains("time-out"), "{}", out.stderr);
        assert!(out.stderr.contains(tries), "{}", out.stderr);
    }
}

#[test]
fn a_server_that_is_not_echo_is_detected() {
    // A TCP server that answers something else than what it received.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let liar = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let _ = s.write_all(b"SSH-2.0-OpenSSH_9.2\r\n");
    });
    let out = run_client("echo-client", &["--port", &port, "hello"], T);
    liar.join().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("does not speak echo"), "{}", out.stderr);
}

/// A TCP echo server that sends back `echoed` of its first connection's
/// first line, then holds the connection open without a word (it ignores
/// the client's half-close) until the test sends on the returned channel.
fn echo_that_never_closes(echoed: fn(&[u8]) -> &[u8]) -> (String, std::sync::mpsc::Sender<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(T)).unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8];
        while !line.ends_with(b"\n") && s.read(&mut byte).unwrap_or(0) == 1 {
            line.push(byte[0]);
        }
        s.write_all(echoed(&line)).unwrap();
        let _ = wait.recv_timeout(T); // `s` stays open until then
    });
    (port, done)
}

#[test]
fn an_echo_from_a_server_that_never_closes_still_counts() {
    // RFC 862 does not ask the server to close: the whole echo is the
    // answer, taken as soon as nothing follows it, without a time-out.
    let (port, server) = echo_that_never_closes(|line| line);
    let started = Instant::now();
    let out = run_client(
        "echo-client",
        &["--port", &port, "--timeout", "3", "hello"],
        T,
    );
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr);
    assert_eq!(out.stdout_text(), "hello\n");
    assert!(started.elapsed() < Duration::from_secs(2), "{}", out.stderr);
    let _ = server.send(());
}

#[test]
fn half_an_echo_then_silence_is_a_time_out_that_says_so() {
    let (port, server) = echo_that_never_closes(|line| &line[..3]);
    let out = run_client(
        "echo-client",
        &["--port", &port, "--timeout", "1", "hello"],
        T,
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("rest of the echo") && out.stderr.contains("3 of 6 bytes"),
        "{}",
        out.stderr
    );
    let _ = server.send(());
}

/// At the keyboard too (a terminal, given by `script`), a server that
/// answers something else is named, not printed as if it were the echo.
#[cfg(unix)]
#[test]
fn a_server_that_is_not_echo_is_detected_at_the_keyboard() {
    let Some(script) = support::tool("script") else {
        return;
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let liar = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        // A chat server greets first: its words come back instead of the echo.
        let _ = s.write_all(b"HELLO netlab chat-server\r\n");
        let _ = s.set_read_timeout(Some(T));
        let _ = s.read(&mut [0u8; 64]);
    });
    let command = format!("{} --port {port}", bin("echo-client").display());
    let out = run_with_input(&script, &["-qec", &command, "/dev/null"], b"hello\n", T);
    liar.join().unwrap();
    let text = out.stdout_text() + &out.stderr;
    assert!(text.contains("does not speak echo"), "{text}");
    assert!(!text.contains("round trip"), "{text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
}

/// echo-client at a terminal (`script` gives it one), its keyboard left
/// open: the student has typed, and waits. What the terminal shows is
/// collected as it comes.
#[cfg(unix)]
struct Keyboard {
    script: std::process::Child,
    keys: std::process::ChildStdin,
    screen: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    /// The thread copying the terminal to `screen`: it ends when `script`
    /// has nothing more to show.
    shown: std::thread::JoinHandle<()>,
}

#[cfg(unix)]
impl Keyboard {
    /// Starts echo-client with `args` at a terminal; `None` without `script`.
    fn start(args: &str) -> Option<Keyboard> {
        let script = support::tool("script")?;
        let command = format!("{} {args}", bin("echo-client").display());
        let mut child = Command::new(script)
            .args(["-qec", &command, "/dev/null"])
            .env_remove("RUST_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let keys = child.stdin.take().unwrap();
        let mut out = child.stdout.take().unwrap();
        let screen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let copy = screen.clone();
        let shown = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = out.read(&mut buf) {
                copy.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Some(Keyboard {
            script: child,
            keys,
            screen,
            shown,
        })
    }

    fn typed(&mut self, keys: &[u8]) {
        self.keys.write_all(keys).unwrap();
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.screen.lock().unwrap()).into_owned()
    }

    /// Waits (bounded) until the screen shows `needle`.
    fn wait_for(&self, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.screen().contains(needle) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        true
    }

    /// The exit status, if the client ended within `timeout` on its own,
    /// its keyboard still open.
    fn ends_within(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.script.try_wait().unwrap() {
                // What was on its way to the screen arrives: all of it once
                // the copy reaches the end of the terminal's output (a fixed
                // pause of 100 ms was a bet on how busy the machine is).
                while !self.shown.is_finished() && Instant::now() < deadline + T {
                    std::thread::sleep(Duration::from_millis(10));
                }
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

#[cfg(unix)]
impl Drop for Keyboard {
    fn drop(&mut self) {
        let _ = self.script.kill();
        let _ = self.script.wait();
    }
}

/// The client, at the keyboard, ends within `within` saying the server
/// closed the connection: no error, no "may be full", exit status 0.
/// Returns its screen, for the caller's own checks.
#[cfg(unix)]
fn ends_told_the_server_closed(keyboard: &mut Keyboard, within: Duration) -> String {
    let status = keyboard.ends_within(within);
    let screen = keyboard.screen();
    let status = status.unwrap_or_else(|| panic!("still waiting for the keyboard: {screen}"));
    assert!(screen.contains("closed the connection"), "{screen}");
    assert!(!screen.contains("may be full"), "{screen}");
    assert!(!screen.contains("error"), "{screen}");
    assert_eq!(status.code(), Some(0), "{screen}");
    screen
}

/// The server stopped (Ctrl-C) while the student thinks about the next
/// line: the client says so at once, instead of waiting for a line that
/// would only then find the connection gone.
#[cfg(unix)]
#[test]
fn at_the_keyboard_a_server_that_stops_is_noticed_at_once() {
    let mut server = echo_server(&["--grace", "0.1"]);
    let Some(mut keyboard) = Keyboard::start(&format!("--port {}", server.port())) else {
        return;
    };
    keyboard.typed(b"hello\n");
    assert!(keyboard.wait_for("round trip", T), "{}", keyboard.screen());
    assert!(server.interrupt(T).is_some(), "the server stops");
    ends_told_the_server_closed(&mut keyboard, Duration::from_secs(5));
}

/// A server that sends back only part of a line, then closes: the client
/// says how much came back, not that nothing did.
#[cfg(unix)]
#[test]
fn at_the_keyboard_an_echo_cut_short_is_not_called_no_answer() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let stub = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let _ = s.set_read_timeout(Some(T));
        let mut line = [0u8; 6];
        let _ = s.read_exact(&mut line);
        let _ = s.write_all(&line[..3]); // then closes
    });
    let Some(mut keyboard) = Keyboard::start(&format!("--port {port}")) else {
        return;
    };
    keyboard.typed(b"hello\n");
    let status = keyboard.ends_within(T);
    stub.join().unwrap();
    let screen = keyboard.screen();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{screen}");
    assert!(screen.contains("3 of the 6 bytes"), "{screen}");
    assert!(!screen.contains("without sending anything"), "{screen}");
}

/// A server that speaks first (time, chat) is named before the student has
/// typed anything.
#[cfg(unix)]
#[test]
fn at_the_keyboard_a_server_that_speaks_first_is_named_at_once() {
    let server = Server::start("time-server", &["--port", "0", "--daytime-port", "0"]);
    let Some(mut keyboard) = Keyboard::start(&format!("--port {}", server.port())) else {
        return;
    };
    let status = keyboard.ends_within(Duration::from_secs(5));
    let screen = keyboard.screen();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{screen}");
    assert!(screen.contains("without being asked"), "{screen}");
    assert!(screen.contains("does not speak echo"), "{screen}");
}

/// The student connected and has not typed yet when the server closes the
/// idle connection (`--idle-timeout`): the client says the server closed it,
/// and ends normally, as when a line was typed first. The old client said
/// the server "may be full" and exited with 1: with nothing sent, it could
/// not tell the two apart, though a full server closes at once and this one
/// a second later.
#[cfg(unix)]
#[test]
fn at_the_keyboard_an_idle_time_out_before_any_line_is_not_called_full() {
    let server = echo_server(&["--idle-timeout", "1"]);
    let Some(mut keyboard) = Keyboard::start(&format!("--port {}", server.port())) else {
        return;
    };
    let screen = ends_told_the_server_closed(&mut keyboard, T);
    assert!(screen.contains("--idle-timeout"), "{screen}");
}

/// The server stopped (Ctrl-C) before the student typed anything: said at
/// once, as a stop, not as a full server.
#[cfg(unix)]
#[test]
fn at_the_keyboard_a_server_stopped_before_any_line_is_not_called_full() {
    let mut server = echo_server(&["--grace", "0.1"]);
    let Some(mut keyboard) = Keyboard::start(&format!("--port {}", server.port())) else {
        return;
    };
    assert!(keyboard.wait_for("Type a line", T), "{}", keyboard.screen());
    // A close right after connecting looks like a full server: this stop
    // comes the way a person's Ctrl-C does, a while later.
    std::thread::sleep(Duration::from_millis(600));
    assert!(server.interrupt(T).is_some(), "the server stops");
    ends_told_the_server_closed(&mut keyboard, Duration::from_secs(5));
}

/// A full server closes a newcomer's connection the moment it accepts it,
/// without a word (an echo server never speaks first): at the keyboard, that
/// is still explained as a full server.
#[cfg(unix)]
#[test]
fn at_the_keyboard_a_full_server_is_named_at_once() {
    let server = echo_server(&["--max-clients", "1", "--transport", "tcp"]);
    let mut kept = connect(&server);
    kept.write_all(b"x").unwrap();
    kept.read_exact(&mut [0u8; 1]).unwrap(); // the one client is being served
    let Some(mut keyboard) = Keyboard::start(&format!("--port {}", server.port())) else {
        return;
    };
    let status = keyboard.ends_within(T);
    let screen = keyboard.screen();
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{screen}");
    assert!(screen.contains("may be full"), "{screen}");
    drop(kept);
}

/// Piped, from a producer that has not written anything yet (its output
/// stays open): when the server times out the idle connection, the client
/// blames the idle time-out, not a full server. Still an error: the input
/// still to come can no longer be copied.
#[test]
fn piped_an_idle_time_out_before_any_input_is_not_called_full() {
    let server = echo_server(&["--idle-timeout", "1"]);
    let mut child = std::process::Command::new(bin("echo-client"))
        .args(["--port", &server.port()])
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let input = child.stdin.take().unwrap(); // open, never written
    let status = support::wait_for_exit(&mut child, T, "echo-client did not notice the close");
    drop(input);
    let stderr = support::read_stderr(&mut child);
    assert!(stderr.contains("--idle-timeout"), "{stderr}");
    assert!(!stderr.contains("may be full"), "{stderr}");
    assert_eq!(status.code(), Some(1), "{stderr}");
}

#[test]
fn usage_errors_keep_clap_exit_code() {
    let out = run_client("echo-server", &["--port", "seventy"], T);
    assert_eq!(out.status.code(), Some(2));
    let out = run_client("echo-server", &["--max-clients", "0"], T);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.contains("at least 1"), "{}", out.stderr);
    let out = run_client("echo-server", &["--idle-timeout", "0"], T);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.contains("more than 0"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn privileged_port_is_explained() {
    // As root any port may be opened, so run the server as `nobody` then.
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let server = bin("echo-server");
    let server = server.to_str().unwrap();
    let out = if is_root {
        let Some(setpriv) = support::tool("setpriv") else {
            return;
        };
        support::run_with_input(
            &setpriv,
            &[
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                server,
                "--port",
                "7",
            ],
            b"",
            T,
        )
    } else {
        run_client("echo-server", &["--port", "7"], T)
    };
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("below 1024"), "{}", out.stderr);
    assert!(out.stderr.contains("--port 10007"), "{}", out.stderr);
}

#[test]
fn listening_on_every_card_says_so() {
    let server = echo_server(&["--host", "0.0.0.0"]);
    assert!(server.addr().ip().is_unspecified());
    let note = server
        .log
        .wait_for("every network card", T)
        .expect("a line about the network");
    assert!(
        note.contains(&format!("port {}", server.addr().port())),
        "{note}"
    );
    // Still reachable through loopback, like any local address.
    let port = server.port();
    let out = run_client("echo-client", &["--port", &port, "via loopback"], T);
    assert_eq!(out.stdout_text(), "via loopback\n", "{}", out.stderr);
}

#[test]
fn ipv6_loopback_works() {
    let server = echo_server(&["--host", "::1"]);
    assert!(server.addr().is_ipv6(), "{}", server.addr());
    let port = server.port();
    let out = run_client(
        "echo-client",
        &["--host", "::1", "--port", &port, "over IPv6"],
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout_text(), "over IPv6\n");
}

#[cfg(unix)]
#[test]
fn a_closed_standard_output_is_not_a_crash() {
    let server = echo_server(&[]);
    // `| true` may close the pipe before the echo is printed: nobody reads it.
    let (code, stderr) =
        support::run_with_stdout_closed("echo-client", &["--port", &server.port(), "hello"]);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn late_udp_replies_do_not_shift_the_lines() {
    // A slow UDP echo: it answers each datagram 300 ms late, so the client
    // (time-out 200 ms) sends "one" twice and gets two late echoes of it.
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port().to_string();
    server
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let slow = std::thread::spawn(move || {
        let mut buf = [0u8; 1500];
        for _ in 0..4 {
            let Ok((n, from)) = server.recv_from(&mut buf) else {
                return;
            };
            std::thread::sleep(Duration::from_millis(300));
            let _ = server.send_to(&buf[..n], from);
        }
    });
    let out = run_with_input(
        &bin("echo-client"),
        &[
            "--port",
            &port,
            "--udp",
            "--timeout",
            "0.2",
            "--retries",
            "3",
        ],
        b"one\ntwo\n",
        T,
    );
    slow.join().unwrap();
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout_text(), "one\ntwo\n", "{}", out.stderr);
}

/// `echo-client < file | head -1`: once `head` has its line and stops
/// reading, the client ends quietly, as `yes | head -1` does: no "error:"
/// blaming the network, exit status 0.
#[test]
fn a_closed_stdout_ends_the_client_quietly() {
    let server = Server::start("echo-server", &["--port", "0"]);
    let mut child = std::process::Command::new(bin("echo-client"))
        .args(["--port", &server.port()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `head` that has stopped reading
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(&b"a line to echo\n".repeat(1000)); // the client may be gone already
    drop(stdin);
    let status = support::wait_for_exit(&mut child, T, "echo-client did not exit");
    let stderr = support::read_stderr(&mut child);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error:"), "{stderr}");
}

/// `lines | echo-client --udp | head -1`: once the reader of its output has
/// gone, the UDP client stops too, as over TCP, quietly and with exit code
/// 0. Its input stays open here, as a producer that is still running keeps
/// it: a client that ignored the closed output would wait for more lines
/// and never end. (The old one did, until its input ended.)
#[test]
fn a_closed_stdout_ends_the_udp_client_quietly() {
    let server = echo_server(&[]);
    let mut child = std::process::Command::new(bin("echo-client"))
        .args(["--udp", "--port", &server.port()])
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take()); // like `head` that has stopped reading
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"x\n").unwrap();
    let status = support::wait_for_exit(
        &mut child,
        Duration::from_secs(5),
        "echo-client --udp went on after its output's reader had gone",
    );
    drop(stdin); // kept open until here: only the closed output may end the client
    let stderr = support::read_stderr(&mut child);
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error:"), "{stderr}");
}

/// At the keyboard with a stderr that cannot be written (`2>/dev/full`, or a
/// pipe whose reader has gone): the prompt and the hints have nowhere to go
/// and are dropped; the echo still works. The old client panicked on its
/// first prompt (`eprintln!`).
#[cfg(unix)]
#[test]
fn at_the_keyboard_a_broken_stderr_does_not_stop_the_client() {
    let server = echo_server(&[]);
    let Some(mut keyboard) = Keyboard::start(&format!("--port {} 2>/dev/full", server.port()))
    else {
        return;
    };
    keyboard.typed(b"hello\n");
    assert!(keyboard.wait_for("round trip", T), "{}", keyboard.screen());
    keyboard.typed(b"\x04"); // Ctrl-D: end of input
    let status = keyboard.ends_within(T);
    let screen = keyboard.screen();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{screen}");
    assert!(!screen.contains("panicked"), "{screen}");
}

/// At the keyboard over UDP, each echo is shown as over TCP: the line, then
/// how long its round trip took (it was a log line on stderr).
#[cfg(unix)]
#[test]
fn at_the_keyboard_udp_shows_the_round_trip_as_tcp_does() {
    let server = echo_server(&[]);
    let Some(mut keyboard) = Keyboard::start(&format!("--udp --port {}", server.port())) else {
        return;
    };
    keyboard.typed(b"hello\n");
    assert!(
        keyboard.wait_for("hello   (round trip ", T),
        "{}",
        keyboard.screen()
    );
    keyboard.typed(b"\x04");
    let status = keyboard.ends_within(T);
    let screen = keyboard.screen();
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{screen}");
}

#[test]
fn quiet_servers_still_say_where_they_listen() {
    // With --port 0 the listening line is the only place the port can be
    // read: -q (and -qq) must not hide it. Server::start waits for it.
    for quiet in ["-q", "-qq"] {
        for name in ["echo-server", "chat-server", "http-server"] {
            let server = Server::start(name, &["--port", "0", quiet]);
            assert_ne!(server.addr().port(), 0, "{name} {quiet}");
            let others = server
                .log
                .lines()
                .into_iter()
                .filter(|l| l.contains("INFO") && !l.contains("listening on"))
                .count();
            assert_eq!(others, 0, "{name} {quiet}: {}", server.log.text());
        }
        let time = Server::start_expecting(
            "time-server",
            &["--port", "0", "--daytime-port", "0", quiet],
            2,
        );
        assert_eq!(time.addrs.len(), 2);
    }
}

/// An IPv4 client of a server listening on `::` (every card, IPv6 and IPv4)
/// arrives as `::ffff:127.0.0.1`: the log shows it as the 127.0.0.1 it is.
#[test]
fn an_ipv4_client_of_a_dual_stack_server_is_logged_as_ipv4() {
    let server = echo_server(&["--host", "::", "--transport", "tcp"]);
    let port = server.addr().port();
    let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) else {
        println!("skipped: this system's IPv6 sockets do not take IPv4 clients");
        return;
    };
    let local = stream.local_addr().unwrap();
    let line = server.log.wait_for(&format!("{local} connected"), T);
    assert!(line.is_some(), "{}", server.log.text());
    assert!(
        !server.log.text().contains("::ffff:"),
        "{}",
        server.log.text()
    );
}
