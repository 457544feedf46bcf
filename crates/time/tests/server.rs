//! In-process tests of time-server: the real `serve` on real loopback
//! sockets, with a fixed clock so every expected byte is known in advance.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use time::Protocol;
use time::clock::{Clock, FixedClock};
use time::server::{Config, Service, answer_and_close, serve};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Every wait in these tests is bounded by this.
const LIMIT: Duration = Duration::from_secs(5);

struct Running {
    time: SocketAddr,
    daytime: SocketAddr,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), netkit::NetError>>,
}

async fn start(config: Config, clock: impl Clock) -> Running {
    let time = Service::bind(Protocol::Time, "127.0.0.1", 0).await.unwrap();
    let daytime = Service::bind(Protocol::Daytime, "127.0.0.1", 0)
        .await
        .unwrap();
    let (time_addr, daytime_addr) = (time.local_addr().unwrap(), daytime.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(serve(
        vec![time, daytime],
        config,
        Arc::new(clock),
        shutdown.clone(),
    ));
    Running {
        time: time_addr,
        daytime: daytime_addr,
        shutdown,
        task,
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

/// Connects and reads until the server closes.
async fn read_all(addr: SocketAddr) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(LIMIT, stream.read_to_end(&mut got))
        .await
        .expect("the server closes after answering")
        .unwrap();
    got
}

async fn ask_udp(addr: SocketAddr, question: &[u8]) -> Vec<u8> {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.connect(addr).await.unwrap();
    socket.send(question).await.unwrap();
    let mut buf = [0u8; 512];
    let n = tokio::time::timeout(LIMIT, socket.recv(&mut buf))
        .await
        .expect("a UDP answer")
        .unwrap();
    buf[..n].to_vec()
}

#[tokio::test]
async fn both_services_answer_over_tcp() {
    let server = start(Config::default(), FixedClock(at("2026-11-24T03:38:07Z"))).await;
    assert_eq!(read_all(server.time).await, [0xEE, 0xAF, 0x85, 0x1F]);
    assert_eq!(
        read_all(server.daytime).await,
        b"Tuesday, November 24, 2026 03:38:07-UTC\r\n"
    );
}

#[tokio::test]
async fn both_services_answer_over_udp_whatever_the_question() {
    let server = start(Config::default(), FixedClock(at("1970-01-01T00:00:00Z"))).await;
    assert_eq!(ask_udp(server.time, b"").await, [0x83, 0xAA, 0x7E, 0x80]);
    assert_eq!(
        ask_udp(server.time, b"what time is it?").await,
        [0x83, 0xAA, 0x7E, 0x80]
    );
    assert_eq!(
        ask_udp(server.daytime, &[0u8; 2000]).await,
        b"Thursday, January 1, 1970 00:00:00-UTC\r\n"
    );
}

#[tokio::test]
async fn after_the_2036_rollover_the_counter_starts_again() {
    let server = start(Config::default(), FixedClock(at("2036-02-07T06:28:17Z"))).await;
    assert_eq!(read_all(server.time).await, [0, 0, 0, 1]);
}

#[tokio::test]
async fn an_instant_4_bytes_cannot_carry_gets_no_time_answer() {
    // In 2200 the time service has nothing valid to send; daytime still works.
    let server = start(Config::default(), FixedClock(at("2200-01-01T00:00:00Z"))).await;
    assert_eq!(read_all(server.time).await, b"");
    assert_eq!(
        read_all(server.daytime).await,
        b"Wednesday, January 1, 2200 00:00:00-UTC\r\n"
    );
}

#[tokio::test]
async fn a_client_that_talks_first_still_gets_its_answer() {
    // The server must read what the client sent before closing: closing with
    // unread bytes sends a reset, which could destroy the answer.
    let server = start(Config::default(), FixedClock(at("2026-11-24T03:38:07Z"))).await;
    for _ in 0..20 {
        let mut stream = TcpStream::connect(server.daytime).await.unwrap();
        stream.write_all(&[b'x'; 10_000]).await.unwrap();
        stream.shutdown().await.unwrap();
        let mut got = Vec::new();
        tokio::time::timeout(LIMIT, stream.read_to_end(&mut got))
            .await
            .unwrap()
            .expect("no reset");
        assert_eq!(got, b"Tuesday, November 24, 2026 03:38:07-UTC\r\n");
    }
}

#[tokio::test]
async fn many_clients_at_once_are_all_answered() {
    let server = start(Config::default(), FixedClock(at("2026-11-24T03:38:07Z"))).await;
    let clients: Vec<_> = (0..100)
        .map(|i| {
            let addr = if i % 2 == 0 {
                server.time
            } else {
                server.daytime
            };
            tokio::spawn(read_all(addr))
        })
        .collect();
    for (i, client) in clients.into_iter().enumerate() {
        let got = client.await.unwrap();
        assert_eq!(got.len(), if i % 2 == 0 { 4 } else { 41 });
    }
}

/// A client that reads the answer but keeps its side of the connection open.
async fn lingering_client(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut got = Vec::new();
    tokio::time::timeout(LIMIT, stream.read_to_end(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 4);
    stream
}

#[tokio::test]
async fn the_limit_on_clients_holds_across_both_services() {
    let config = Config {
        max_clients: 1,
        write_timeout: Duration::from_secs(30),
        ..Config::default()
    };
    let server = start(config, FixedClock(at("2026-11-24T03:38:07Z"))).await;
    let holder = lingering_client(server.time).await;
    // The only slot is taken: the next client, on either port, is closed at once.
    assert_eq!(read_all(server.daytime).await, b"");
    assert_eq!(read_all(server.time).await, b"");
    // UDP has no connections and is not limited.
    assert_eq!(ask_udp(server.time, b"").await.len(), 4);
    drop(holder);
    // The slot is freed once the server sees the close (bounded wait).
    let deadline = Instant::now() + LIMIT;
    loop {
        if read_all(server.daytime).await.len() == 41 {
            break;
        }
        assert!(Instant::now() < deadline, "the slot was never freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_client_that_never_closes_is_let_go_after_the_write_timeout() {
    // 1 s, not 0.3 s: the second client must find the server still full,
    // and a busy machine could take 0.3 s to bring it there.
    let write_timeout = Duration::from_secs(1);
    let config = Config {
        max_clients: 1,
        write_timeout,
        ..Config::default()
    };
    let server = start(config, FixedClock(at("2026-11-24T03:38:07Z"))).await;
    let started = Instant::now();
    let _holder = lingering_client(server.time).await;
    // While the holder lingers, the server is full...
    assert_eq!(read_all(server.time).await, b"");
    // ...until the write time-out ends its exchange, although it never closed.
    let deadline = Instant::now() + LIMIT;
    loop {
        if read_all(server.time).await.len() == 4 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the lingering client kept its slot"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(started.elapsed() >= write_timeout);
}

#[tokio::test]
async fn a_peer_that_never_reads_cannot_block_the_exchange_forever() {
    // An in-memory stream whose buffer holds 1 byte: with nobody reading,
    // writing the 4-byte answer blocks, as it would on a real connection
    // whose peer stopped reading once the kernel's buffers are full.
    let (mut ours, _theirs) = tokio::io::duplex(1);
    let answer = Protocol::Time.answer(at("2026-11-24T03:38:07Z")).unwrap();
    let limit = Duration::from_millis(200);
    let outcome = tokio::time::timeout(limit, answer_and_close(&mut ours, &answer)).await;
    assert!(
        outcome.is_err(),
        "the write must still be blocked: {outcome:?}"
    );
}

#[tokio::test]
async fn the_exchange_completes_when_the_peer_reads_and_closes() {
    let (mut ours, mut theirs) = tokio::io::duplex(1);
    let peer = tokio::spawn(async move {
        let mut got = Vec::new();
        theirs.read_to_end(&mut got).await.unwrap();
        got // dropping `theirs` closes the peer's side
    });
    let answer = Protocol::Daytime
        .answer(at("2026-11-24T03:38:07Z"))
        .unwrap();
    tokio::time::timeout(LIMIT, answer_and_close(&mut ours, &answer))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(peer.await.unwrap(), answer);
}

#[tokio::test]
async fn shutdown_stops_both_services() {
    let server = start(Config::default(), FixedClock(at("2026-11-24T03:38:07Z"))).await;
    assert_eq!(read_all(server.time).await.len(), 4);
    server.shutdown.cancel();
    tokio::time::timeout(LIMIT, server.task)
        .await
        .expect("serve returns after shutdown")
        .unwrap()
        .unwrap();
    assert!(TcpStream::connect(server.time).await.is_err());
    assert!(TcpStream::connect(server.daytime).await.is_err());
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

/// Sends a datagram from `forged` to `server`, then proves it was not
/// answered: a normal client's question, sent after it, is answered first.
async fn assert_not_answered(forged: &UdpSocket, server: SocketAddr) {
    forged.send_to(b"", server).await.unwrap();
    assert!(!ask_udp(server, b"").await.is_empty());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut buf = [0u8; 64];
    match forged.try_recv_from(&mut buf) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!(
            "a datagram from {} was answered: {other:?}",
            forged.local_addr().unwrap()
        ),
    }
}

#[tokio::test]
async fn a_datagram_from_the_servers_own_port_gets_no_answer() {
    let server = start(Config::default(), FixedClock(at("2026-11-24T03:38:07Z"))).await;
    let Some(forged) = bind_other_loopback(server.time.port()).await else {
        return;
    };
    assert_not_answered(&forged, server.time).await;
}

#[tokio::test]
async fn the_two_services_do_not_answer_each_other() {
    // Time answering daytime's port, daytime answering time's: one forged
    // datagram would keep them talking forever, whatever their port numbers.
    let server = start(Config::default(), FixedClock(at("2026-11-24T03:38:07Z"))).await;
    let Some(forged) = bind_other_loopback(server.daytime.port()).await else {
        return;
    };
    assert_not_answered(&forged, server.time).await;
}

#[tokio::test]
async fn a_datagram_from_echo_servers_port_gets_no_answer() {
    let server = start(Config::default(), FixedClock(at("2026-11-24T03:38:07Z"))).await;
    // echo-server's default port: echo would send the answer back as a new
    // question, and the two servers would answer each other forever.
    let Some(forged) = bind_other_loopback(codec::echo::DEFAULT_PORT).await else {
        return;
    };
    assert_not_answered(&forged, server.daytime).await;
}
