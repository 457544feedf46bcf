//! echo-client and echo-server run as real processes against servers that
//! misbehave: silent, full, lying, closing early. Every case must end with a
//! plain-words explanation and the right exit code, never a hang, a panic,
//! or a bare OS error. Everything runs on loopback, on ports chosen by the OS,
//! and every wait is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use echo::server::{Config, serve};
use netkit::net::{bind_tcp_and_udp, bind_udp, local_addr};
use tokio_util::sync::CancellationToken;

/// The longest any program here may run before the test fails.
const LIMIT: Duration = Duration::from_secs(20);

// The workspace tests' helpers: run a program with a bounded wait.
#[path = "../../../tests/support/mod.rs"]
mod support;

use support::Output;

/// Runs `program` with `args`; writes each piece of `input` to its standard
/// input, waiting the given time after each, then closes it. Kills the
/// program and fails the test if it runs longer than [`LIMIT`].
fn run_paced(program: &str, args: &[&str], input: &[(&[u8], Duration)]) -> Output {
    support::run_with_paced_input(Path::new(program), args, input, LIMIT)
}

fn run(program: &str, args: &[&str], input: &[u8]) -> Output {
    run_paced(program, args, &[(input, Duration::ZERO)])
}

const CLIENT: &str = env!("CARGO_BIN_EXE_echo-client");
const SERVER: &str = env!("CARGO_BIN_EXE_echo-server");

/// The real echo server, in this process, on its own thread and runtime,
/// on TCP and UDP port 0 of `host`. It runs until the test process ends.
fn echo_server(host: &'static str, config: Config) -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (tcp, udp) = bind_tcp_and_udp(host, 0).await.unwrap();
            tx.send(local_addr(&tcp).unwrap()).unwrap();
            serve(Some(tcp), Some(udp), config, CancellationToken::new()).await
        })
    });
    rx.recv_timeout(LIMIT).expect("the echo server starts")
}

/// A one-connection TCP server that runs `behave` on the accepted stream.
fn tcp_stub(behave: impl FnOnce(TcpStream) + Send + 'static) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_read_timeout(Some(LIMIT)).unwrap();
        behave(stream);
    });
    (port, handle)
}

/// Reads until the client half-closes (bounded by the read time-out).
fn read_all(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let _ = stream.read_to_end(&mut got);
    got
}

/// The same bytes at every run (see `support::noise`).
fn noise(len: usize) -> Vec<u8> {
    support::noise(len, 0x9e37_79b9_7f4a_7c15)
}

/// A server that takes every byte and never echoes: the time-out must count
/// every byte sent, not only the first chunk the client began to compare.
#[test]
fn piped_a_silent_server_is_told_every_byte_sent() {
    const SENT: usize = 4 * 65536 + 123;
    let (done, wait) = std::sync::mpsc::channel::<()>();
    let (port, server) = tcp_stub(move |mut stream| {
        let got = read_all(&mut stream);
        assert_eq!(got.len(), SENT);
        // Silent but open, until the client has given up.
        let _ = wait.recv_timeout(LIMIT);
    });
    // Time enough for the whole input to go out before the client gives up.
    let out = run(CLIENT, &["--port", &port, "--timeout", "3"], &noise(SENT));
    let _ = done.send(());
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("0 of the {SENT} bytes sent came back")),
        "{}",
        out.stderr
    );
}

// ---- Limits are checked by the argument parser (exit code 2) -------------

#[test]
fn retries_have_an_upper_bound() {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let out = run(
        CLIENT,
        &[
            "--port",
            &port,
            "--udp",
            "--timeout",
            "0.05",
            "--retries",
            "4294967295",
            "hi",
        ],
        b"",
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("from 0 to 100"), "{}", out.stderr);
}

#[test]
fn a_huge_max_clients_is_refused_before_listening() {
    for huge in ["18446744073709551615", "3000000000000000000", "1000001"] {
        let out = run(SERVER, &["--port", "0", "--max-clients", huge], b"");
        assert_eq!(out.status.code(), Some(2), "{huge}: {}", out.stderr);
        assert!(out.stderr.contains("at most 1000000"), "{}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        assert!(!out.stderr.contains("listening"), "{}", out.stderr);
    }
}

// ---- UDP ------------------------------------------------------------------

#[test]
fn a_udp_reply_that_is_not_the_echo_is_an_error() {
    // A UDP server that answers every datagram with the same word.
    let liar = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = liar.local_addr().unwrap().port().to_string();
    liar.set_read_timeout(Some(LIMIT)).unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((_, from)) = liar.recv_from(&mut buf) {
            let _ = liar.send_to(b"nope\n", from);
        }
    });
    let out = run(
        CLIENT,
        &["--port", &port, "--udp", "--timeout", "0.5", "hello"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    // What came is shown, then named for what it is.
    assert_eq!(out.stdout, b"nope\n");
    assert!(out.stderr.contains("does not speak echo"), "{}", out.stderr);
    // An answer came: the client must not say there was none.
    assert!(!out.stderr.contains("sending again"), "{}", out.stderr);
}

/// A server that answers every datagram with an empty one (a buggy server,
/// or another protocol's): the error names it in words, not as "[]".
#[test]
fn an_empty_udp_reply_is_named_an_empty_datagram() {
    let blank = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = blank.local_addr().unwrap().port().to_string();
    blank.set_read_timeout(Some(LIMIT)).unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((_, from)) = blank.recv_from(&mut buf) {
            let _ = blank.send_to(b"", from);
        }
    });
    let out = run(
        CLIENT,
        &["--port", &port, "--udp", "--timeout", "5", "hello"],
        b"",
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains("received an empty datagram"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("[]"), "{}", out.stderr);
}

/// On a terminal, the wrong answer is shown only inside the error, escaped:
/// another protocol's raw bytes (here an escape sequence that clears the
/// screen) must not reach the screen, nor stick to the error line.
#[cfg(unix)]
#[test]
fn on_a_terminal_a_wrong_reply_is_shown_escaped_not_raw() {
    let Some(script) = support::tool("script") else {
        return;
    };
    let liar = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = liar.local_addr().unwrap().port();
    liar.set_read_timeout(Some(LIMIT)).unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 1500];
        while let Ok((_, from)) = liar.recv_from(&mut buf) {
            let _ = liar.send_to(b"\x1b[2Jnope", from);
        }
    });
    let command = format!("{CLIENT} --port {port} --udp --timeout 0.5 hello");
    let out = run(
        script.to_str().unwrap(),
        &["-qec", &command, "/dev/null"],
        b"",
    );
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("does not speak echo"), "{screen}");
    assert!(
        !screen.contains("\x1b[2J"),
        "raw bytes on the screen: {screen:?}"
    );
    assert!(screen.contains("[1b 5b 32 4a"), "{screen}");
    assert_eq!(out.status.code(), Some(1), "{screen}");
}

#[test]
fn udp_lines_travel_as_the_exact_bytes_given() {
    let server = echo_server("127.0.0.1", Config::default());
    let port = server.port().to_string();
    // Latin-1 "é" (not UTF-8), a Windows line ending, a last line without one.
    let input = b"caf\xe9\nwindows\r\nlast";
    let out = run(CLIENT, &["--port", &port, "--udp", "--trace"], input);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, input, "{}", out.stderr);
    assert!(
        out.stderr.contains("[63 61 66 e9 0a]"),
        "the trace shows the bytes sent: {}",
        out.stderr
    );
}

#[test]
fn a_line_too_long_for_one_datagram_is_explained() {
    let server = echo_server("127.0.0.1", Config::default());
    let port = server.port().to_string();
    // One line just over the limit, and one so long it is read in pieces.
    for len in [65_508, 70_000] {
        let mut input = vec![b'a'; len];
        input.push(b'\n');
        let out = run(CLIENT, &["--port", &port, "--udp"], &input);
        assert_eq!(out.status.code(), Some(1), "{len}: {}", out.stderr);
        assert!(out.stderr.contains("65,507"), "{}", out.stderr);
        assert!(out.stderr.contains("TCP"), "{}", out.stderr);
        assert!(!out.stderr.contains("os error"), "{}", out.stderr);
    }
}

#[test]
fn the_udp_log_puts_an_ipv6_address_in_brackets() {
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let udp = bind_udp("::1", 0).await.unwrap();
            tx.send(udp.local_addr().unwrap().port()).unwrap();
            serve(None, Some(udp), Config::default(), CancellationToken::new()).await
        })
    });
    let port = rx.recv_timeout(LIMIT).unwrap().to_string();
    let out = run(
        CLIENT,
        &["--host", "::1", "--port", &port, "--udp", "hi"],
        b"",
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("sending UDP datagrams to [::1]:{port}")),
        "{}",
        out.stderr
    );
}

// ---- Piped mode: every byte must come back, or the exit code says so ------

#[test]
fn piped_a_server_that_never_answers_is_a_time_out_not_a_hang() {
    // Accepts, then neither reads nor answers nor closes.
    let (port, _server) = tcp_stub(|stream| {
        thread::sleep(LIMIT);
        drop(stream);
    });
    let started = Instant::now();
    let out = run(CLIENT, &["--port", &port, "--timeout", "1"], b"hi\n");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("time-out"), "{}", out.stderr);
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A server that talks on and on (chargen, a stream of data): the client
/// stops reading a little past the echo's length, and must not give the
/// count of what it read as the length of what was sent.
#[test]
fn one_shot_a_server_that_talks_on_is_told_more_than_not_a_false_count() {
    let (port, server) = tcp_stub(|mut stream| {
        let chunk = [b'A'; 16 * 1024];
        // Until the client has had enough and closes (bounded all the same).
        for _ in 0..64 {
            if stream.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let out = run(CLIENT, &["--port", &port, "--timeout", "10", "hello"], b"");
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("received more than "), "{}", out.stderr);
    assert!(out.stderr.contains("does not speak echo"), "{}", out.stderr);
    // The count read (65,542 = 6 + 64 KiB) is not the count sent (1 MiB).
    assert!(!out.stderr.contains("65542 bytes)"), "{}", out.stderr);
}

#[test]
fn piped_a_server_that_closes_before_echoing_everything_is_an_error() {
    let (port, server) = tcp_stub(|mut stream| {
        let got = read_all(&mut stream);
        let _ = stream.write_all(&got[..3]);
    });
    let out = run(CLIENT, &["--port", &port], b"hello world\n");
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert_eq!(out.stdout, b"hel");
    assert!(out.stderr.contains("3 of the 12 bytes"), "{}", out.stderr);
}

#[test]
fn piped_changed_bytes_are_an_error_even_when_the_count_is_right() {
    let (port, server) = tcp_stub(|mut stream| {
        let got = read_all(&mut stream);
        let _ = stream.write_all(&got.to_ascii_uppercase());
    });
    let out = run(CLIENT, &["--port", &port], b"hello world\n");
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("byte 1 "), "{}", out.stderr);
    assert!(out.stderr.contains("does not speak echo"), "{}", out.stderr);
}

#[test]
fn piped_more_bytes_than_were_sent_is_an_error() {
    let (port, server) = tcp_stub(|mut stream| {
        let mut got = read_all(&mut stream);
        got.extend_from_slice(b"and more\n");
        let _ = stream.write_all(&got);
    });
    let out = run(CLIENT, &["--port", &port], b"hello\n");
    server.join().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("more bytes than"), "{}", out.stderr);
}

#[test]
fn piped_a_slow_input_is_not_a_time_out() {
    // Nothing is owed while the input pauses: the time-out must not count it.
    // The pause is twice the time-out; the time-out (1 s, not 0.3 s) is
    // what a busy machine has for each echo.
    let server = echo_server("127.0.0.1", Config::default());
    let port = server.port().to_string();
    let out = run_paced(
        CLIENT,
        &["--port", &port, "--timeout", "1"],
        &[
            (b"first\n", Duration::from_millis(2000)),
            (b"second\n", Duration::ZERO),
        ],
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout, b"first\nsecond\n");
}

#[test]
fn piped_a_large_stream_is_copied_exactly() {
    let server = echo_server("127.0.0.1", Config::default());
    let port = server.port().to_string();
    let data = noise(3 * 1024 * 1024 + 17);
    let out = run(CLIENT, &["--port", &port], &data);
    assert!(out.status.success(), "{}", out.stderr);
    assert!(out.stdout == data, "the copy differs from the original");
}

// ---- A full server is named as such ---------------------------------------

/// An echo server allowed one client, and that client, being served.
fn full_echo_server() -> (String, TcpStream) {
    let config = Config {
        max_clients: 1,
        ..Config::default()
    };
    let server = echo_server("127.0.0.1", config);
    let mut first = TcpStream::connect(server).unwrap();
    first.set_read_timeout(Some(LIMIT)).unwrap();
    first.write_all(b"x").unwrap();
    let mut back = [0u8; 1];
    first.read_exact(&mut back).unwrap(); // it holds the only place now
    (server.port().to_string(), first)
}

fn assert_says_full_first(stderr: &str) {
    let error = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or_else(|| panic!("no error line: {stderr}"));
    assert!(error.contains("--max-clients"), "{stderr}");
    // The likely cause comes first, the wrong port after.
    let full = error.find("full").unwrap_or_else(|| panic!("{stderr}"));
    let protocol = error.find("echo (RFC 862)").unwrap_or(usize::MAX);
    assert!(full < protocol, "{stderr}");
    assert!(!stderr.contains("os error"), "{stderr}");
}

#[test]
fn one_shot_to_a_full_server_says_it_may_be_full() {
    let (port, _first) = full_echo_server();
    let out = run(CLIENT, &["--port", &port, "hello"], b"");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert_says_full_first(&out.stderr);
}

#[test]
fn piped_to_a_full_server_says_it_may_be_full() {
    let (port, _first) = full_echo_server();
    let out = run(CLIENT, &["--port", &port], b"hello\n");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert_says_full_first(&out.stderr);
}

// ---- echo-server's own errors ---------------------------------------------

#[test]
fn a_udp_port_in_use_suggests_serving_tcp_only() {
    // Hold a UDP port whose TCP twin is free. Another program (a test
    // running meanwhile) may take that TCP port before echo-server binds
    // it: then the error is about TCP, and another pair is tried.
    let out = (0..5)
        .map(|_| {
            let (udp, port) = (0..100)
                .find_map(|_| {
                    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
                    let port = udp.local_addr().unwrap().port();
                    let free = TcpListener::bind(("127.0.0.1", port)).is_ok();
                    free.then(|| (udp, port.to_string()))
                })
                .expect("a UDP port whose TCP twin is free");
            let out = run(SERVER, &["--port", &port], b"");
            drop(udp);
            out
        })
        .find(|out| !out.stderr.contains("(TCP)"))
        .expect("the TCP twin was taken five times running");
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("(UDP)"), "{}", out.stderr);
    assert!(out.stderr.contains("--transport tcp"), "{}", out.stderr);
}

#[test]
fn a_multicast_or_broadcast_host_is_refused() {
    for host in ["224.0.0.1", "255.255.255.255"] {
        let out = run(SERVER, &["--host", host, "--port", "0"], b"");
        assert_eq!(out.status.code(), Some(1), "{host}: {}", out.stderr);
        assert!(!out.stderr.contains("listening"), "{}", out.stderr);
        assert!(out.stderr.contains("127.0.0.1"), "{}", out.stderr);
    }
}

// ---- A name with several addresses over UDP ------------------------------

/// As with `--host localhost` where localhost is ::1 then 127.0.0.1, and the
/// server listens on 127.0.0.1 only: the first address refuses the first
/// datagram, the next one echoes it, with no retry used up. Once a line has
/// been echoed, a refusal is the server gone, not a wrong address: it is
/// reported, not worked around.
#[tokio::test]
async fn a_name_whose_first_address_refuses_is_tried_at_the_next() {
    let server = echo_server("127.0.0.1", Config::default());
    let refuser = support::RefusingUdp::new();
    let refusing = refuser.addr();
    let options = echo::client::Options {
        host: "localhost".to_string(),
        port: server.port(),
        udp: true,
        trace: false,
        timeout: Duration::from_secs(5),
        retries: 0,
        text: None,
    };
    let mut target = netkit::net::UdpServer::aimed_at(vec![refusing, server])
        .await
        .unwrap();
    let mut earlier = std::collections::VecDeque::new();
    let (echo, _) = echo::client::udp_round_trip(&mut target, &options, b"hi\n", &mut earlier)
        .await
        .unwrap();
    assert_eq!(echo, b"hi\n");
    assert_eq!(target.addr(), server);

    let mut target = netkit::net::UdpServer::aimed_at(vec![refusing, server])
        .await
        .unwrap();
    let error = echo::client::udp_round_trip(&mut target, &options, b"again\n", &mut earlier)
        .await
        .unwrap_err();
    assert!(
        matches!(error, netkit::NetError::NothingListensUdp { .. }),
        "{error:?}"
    );
    assert_eq!(target.addr(), refusing, "not moved on after an echo");
}

// ---- A server that waits for the client's full close ----------------------

/// An echo server within RFC 862 that does not close after a half-close: it
/// echoes what it reads and, at the end of the input, keeps its side open
/// (until the client closes altogether, or 8 s).
fn keeps_its_side_open(mut stream: TcpStream) {
    let mut buf = [0u8; 1024];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        if stream.write_all(&buf[..n]).is_err() {
            return;
        }
    }
    thread::sleep(Duration::from_secs(8));
}

/// The client knows how many bytes it sent: once they are all back, a
/// server that waits for the client's close is not waited for until the
/// time-out, and the round trip ends with the echo, not with the close.
#[test]
fn a_server_that_waits_for_our_close_is_not_waited_for() {
    let (port, _server) = tcp_stub(keeps_its_side_open);
    let started = Instant::now();
    let out = run(CLIENT, &["--port", &port, "--timeout", "5", "hello"], b"");
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, b"hello\n");
    assert!(
        took < Duration::from_secs(3),
        "took {took:?}: {}",
        out.stderr
    );
    let round_trip = out
        .stderr
        .lines()
        .find(|l| l.contains("round trip:"))
        .unwrap_or_else(|| panic!("no round trip in {}", out.stderr));
    assert!(round_trip.ends_with(" ms"), "{round_trip}");
    assert!(!out.stderr.contains("WARN"), "{}", out.stderr);

    // The same with the input piped in: every byte back, then exit 0.
    let (port, _server) = tcp_stub(keeps_its_side_open);
    let started = Instant::now();
    let out = run(CLIENT, &["--port", &port, "--timeout", "5"], b"a\nb\n");
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, b"a\nb\n");
    assert!(
        took < Duration::from_secs(3),
        "took {took:?}: {}",
        out.stderr
    );
}

/// An echo over UDP that keeps 2,048 bytes of a datagram (as xinetd's
/// does): it echoes, so it is not "another protocol", and the message says
/// what happened in one short line, not with 5,000 bytes quoted.
#[test]
fn a_udp_echo_that_cuts_long_datagrams_is_named_for_it() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port().to_string();
    server.set_read_timeout(Some(LIMIT)).unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = server.recv_from(&mut buf) {
            let _ = server.send_to(&buf[..n], from);
        }
    });
    let mut line = vec![b'a'; 5000];
    line.push(b'\n');
    let out = run(CLIENT, &["--udp", "--port", &port, "--timeout", "2"], &line);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("sent back only the first 2048 of the 5001 bytes"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("does not speak"), "{}", out.stderr);
    assert!(
        out.stderr.len() < 1000,
        "{} bytes of stderr",
        out.stderr.len()
    );
}

/// The whole echo comes back late, in the last moment of `--timeout`, and
/// the server then keeps its side open: the time-out that ends the moment
/// of silence after the echo does not make a complete echo an error.
#[test]
fn an_echo_in_the_last_moment_of_the_time_out_still_counts() {
    // That moment is 0.2 s wide: a busy machine can delay the echo past the
    // time-out, and the client then rightly says that nothing came back
    // ("waiting for the echo"). Such a try proves nothing either way, and
    // is made again; a client that calls a whole late echo a time-out says
    // "waiting for the rest of the echo … (6 of 6 bytes came back)" on
    // every try.
    let mut tries = 0;
    let out = loop {
        tries += 1;
        let (port, _server) = tcp_stub(|mut stream| {
            let mut buf = [0u8; 64];
            let n = stream.read(&mut buf).unwrap_or(0);
            // Within --timeout (1 s), but within AFTER_THE_ANSWER (0.2 s) of it.
            thread::sleep(Duration::from_millis(850));
            let _ = stream.write_all(&buf[..n]);
            thread::sleep(Duration::from_secs(3));
        });
        let out = run(CLIENT, &["--port", &port, "--timeout", "1", "hello"], b"");
        if out.stderr.contains("waiting for the echo from") && tries < 5 {
            eprintln!("try {tries}: the echo came after the time-out, trying again");
            continue;
        }
        break out;
    };
    assert_eq!(out.status.code(), Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, b"hello\n");
}
