//! The echo server run in-process, as a library function: the way a test (or
//! another program) can start a server with a bound listener and stop it with
//! a cancellation token, exactly as Ctrl-C stops the real binary.

use std::time::Duration;

use echo::server::{Config, serve};
use netkit::net::{bind_tcp_and_udp, local_addr};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

const T: Duration = Duration::from_secs(10);

#[tokio::test]
async fn serves_until_the_shutdown_token_is_cancelled() {
    let (tcp, udp) = bind_tcp_and_udp("127.0.0.1", 0).await.unwrap();
    let addr = local_addr(&tcp).unwrap();
    let shutdown = CancellationToken::new();
    let config = Config {
        grace: Duration::from_millis(200),
        ..Config::default()
    };
    let server = tokio::spawn(serve(Some(tcp), Some(udp), config, shutdown.clone()));

    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"ping").await.unwrap();
    let mut back = [0u8; 4];
    tokio::time::timeout(T, stream.read_exact(&mut back))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&back, b"ping");

    // A connection still open at shutdown is closed after the grace period.
    shutdown.cancel();
    let result = tokio::time::timeout(T, server)
        .await
        .expect("serve returns after shutdown");
    assert!(result.unwrap().is_ok());
    // The open connection was closed by the server (a FIN or a reset):
    // reading it ends instead of waiting forever.
    let mut rest = Vec::new();
    let ended = tokio::time::timeout(T, stream.read_to_end(&mut rest)).await;
    assert!(
        ended.is_ok(),
        "the server left a connection open after shutdown"
    );
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "nobody listens any more"
    );
}

#[tokio::test]
async fn a_slow_client_does_not_hold_up_a_fast_one() {
    let (tcp, _) = bind_tcp_and_udp("127.0.0.1", 0).await.unwrap();
    let addr = local_addr(&tcp).unwrap();
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(Some(tcp), None, Config::default(), shutdown.clone()));

    // The slow one sends half a message and then nothing.
    let mut slow = TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"hal").await.unwrap();

    let mut fast = TcpStream::connect(addr).await.unwrap();
    for round in 0..100u32 {
        let msg = round.to_be_bytes();
        fast.write_all(&msg).await.unwrap();
        let mut back = [0u8; 4];
        tokio::time::timeout(T, fast.read_exact(&mut back))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(back, msg);
    }
    shutdown.cancel();
}
