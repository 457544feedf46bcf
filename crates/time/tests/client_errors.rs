//! time-client and time-server facing limits and misbehaving peers: every
//! case ends with a plain-words explanation and the right exit code, never a
//! panic. Loopback only, ports chosen by the OS, every wait bounded.

use std::io::Read;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use netkit::NetError;
use netkit::net::UdpServer;
use time::Protocol;
use time::client::{Options, ask_tcp, ask_udp, ask_udp_at};
use time::clock::SystemClock;
use time::server::{Config, Service, serve};
use tokio_util::sync::CancellationToken;

/// The longest any program or wait here may take before the test fails.
const LIMIT: Duration = Duration::from_secs(20);

// The workspace tests' helpers: run a program with a bounded wait.
#[path = "../../../tests/support/mod.rs"]
mod support;

/// Runs `program` with `args` and no input; kills it and fails the test
/// if it runs longer than [`LIMIT`].
fn run(program: &str, args: &[&str]) -> support::Output {
    support::run_with_input(Path::new(program), args, b"", LIMIT)
}

const CLIENT: &str = env!("CARGO_BIN_EXE_time-client");
const SERVER: &str = env!("CARGO_BIN_EXE_time-server");

fn options(port: u16, udp: bool, retries: u32) -> Options {
    Options {
        host: "127.0.0.1".to_string(),
        port,
        protocol: Protocol::Time,
        udp,
        trace: false,
        timeout: Duration::from_secs(2),
        retries,
    }
}

#[test]
fn retries_have_an_upper_bound() {
    let out = run(CLIENT, &["--udp", "--retries", "4294967295"]);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("from 0 to 100"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[tokio::test]
async fn the_largest_retry_count_does_not_overflow() {
    // A UDP server that answers at once: the count of tries is never used
    // up, but computing it must not overflow either.
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    server.set_read_timeout(Some(LIMIT)).unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 64];
        if let Ok((_, from)) = server.recv_from(&mut buf) {
            let _ = server.send_to(&[0xEE, 0xAF, 0x85, 0x1F], from);
        }
    });
    let reply = ask_udp(&options(port, true, u32::MAX)).await.unwrap();
    assert_eq!(reply.bytes, [0xEE, 0xAF, 0x85, 0x1F]);
}

/// As with `--host localhost` where localhost is ::1 then 127.0.0.1 and the
/// server listens on 127.0.0.1 only: the first address refuses, the next
/// one is asked, and with no retry to spare (a refusal is no lost datagram).
#[tokio::test]
async fn a_name_whose_first_address_refuses_is_asked_at_the_next() {
    let server = UdpSocket::bind("127.0.0.1:0").unwrap();
    let listening = server.local_addr().unwrap();
    server.set_read_timeout(Some(LIMIT)).unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 64];
        if let Ok((_, from)) = server.recv_from(&mut buf) {
            let _ = server.send_to(&[0xEE, 0xAF, 0x85, 0x1F], from);
        }
    });
    let refuser = support::RefusingUdp::new();
    let target = UdpServer::aimed_at(vec![refuser.addr(), listening])
        .await
        .unwrap();
    let reply = ask_udp_at(target, &options(listening.port(), true, 0))
        .await
        .unwrap();
    assert_eq!(reply.server, listening);
    assert_eq!(reply.bytes, [0xEE, 0xAF, 0x85, 0x1F]);

    // Every address refuses: the last one is named.
    let (first, last) = (support::RefusingUdp::new(), support::RefusingUdp::new());
    let target = UdpServer::aimed_at(vec![first.addr(), last.addr()])
        .await
        .unwrap();
    let error = ask_udp_at(target, &options(last.addr().port(), true, 0))
        .await
        .unwrap_err();
    assert!(
        matches!(&error, NetError::NothingListensUdp { addr } if *addr == last.addr().to_string()),
        "{error:?}"
    );
}

#[test]
fn a_huge_max_clients_is_refused_before_listening() {
    for huge in ["18446744073709551615", "3000000000000000000"] {
        let out = run(
            SERVER,
            &["--port", "0", "--daytime-port", "0", "--max-clients", huge],
        );
        assert_eq!(out.status.code(), Some(2), "{huge}: {}", out.stderr);
        assert!(out.stderr.contains("at most 1000000"), "{}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

#[test]
fn a_daytime_port_in_use_names_the_daytime_flag() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run(SERVER, &["--port", "0", "--daytime-port", &port]);
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    assert!(out.stderr.contains("--daytime-port"), "{}", out.stderr);
    assert!(!out.stderr.contains("with --port"), "{}", out.stderr);
}

#[tokio::test]
async fn a_full_server_is_named_as_possibly_full() {
    let service = Service::bind(Protocol::Time, "127.0.0.1", 0).await.unwrap();
    let addr = service.local_addr().unwrap();
    let config = Config {
        max_clients: 1,
        ..Config::default()
    };
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(
        vec![service],
        config,
        Arc::new(SystemClock),
        shutdown.clone(),
    ));
    // The first client reads its answer and then stays connected: the
    // server waits for it to close, so it holds the only place.
    let first = tokio::task::spawn_blocking(move || {
        let mut first = TcpStream::connect(addr).unwrap();
        first.set_read_timeout(Some(LIMIT)).unwrap();
        let mut answer = [0u8; 4];
        first.read_exact(&mut answer).unwrap();
        first
    })
    .await
    .unwrap();

    let err = ask_tcp(&options(addr.port(), false, 0))
        .await
        .expect_err("a full server sends nothing");
    let text = err.to_string();
    assert!(text.contains("full"), "{text}");
    assert!(text.contains("--max-clients"), "{text}");
    assert!(
        text.find("full").unwrap() < text.find("time (RFC 868)").unwrap(),
        "the likely cause comes first: {text}"
    );
    drop(first);
    shutdown.cancel();
}

/// A server that answers far more than any time or daytime answer (another
/// protocol, say): the client reads only the start, and must not tell that
/// start's length ("got 512") as the answer's.
#[test]
fn an_answer_longer_than_any_is_told_so_not_counted_as_512_bytes() {
    const SENT: usize = 4000;
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let (tcp_port, udp_port) = (
        tcp.local_addr().unwrap().port(),
        udp.local_addr().unwrap().port(),
    );
    udp.set_read_timeout(Some(LIMIT)).unwrap();
    thread::spawn(move || {
        if let Ok((mut stream, _)) = tcp.accept() {
            use std::io::Write;
            let _ = stream.write_all(&[b'A'; SENT]);
        }
    });
    thread::spawn(move || {
        let mut buf = [0u8; 64];
        if let Ok((_, from)) = udp.recv_from(&mut buf) {
            let _ = udp.send_to(&[b'A'; SENT], from);
        }
    });
    for (port, transport) in [(tcp_port, None), (udp_port, Some("--udp"))] {
        let port = port.to_string();
        let mut args = vec!["--port", &port, "--timeout", "10"];
        args.extend(transport);
        let out = run(CLIENT, &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("got more than 512 bytes"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("got 512"), "{args:?}: {}", out.stderr);
        assert!(
            stdout.contains("received:    512 bytes") && stdout.contains("the server sent more"),
            "{args:?}: {stdout}"
        );
    }
}
