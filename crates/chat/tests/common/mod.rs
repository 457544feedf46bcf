//! Helpers for the in-process server tests: start `serve` on a free loopback
//! port, and talk to it with plain TCP clients that read and write lines.
//! Every wait is bounded, so a broken server fails a test instead of hanging it.

#![allow(dead_code)] // each test file uses a different subset

use std::net::SocketAddr;
use std::time::Duration;

use chat::server::{Config, serve};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long any single expected line may take to arrive.
pub const WAIT: Duration = Duration::from_secs(10);

/// A chat server running inside the test.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Cancel to stop it, as Ctrl-C does.
    pub shutdown: CancellationToken,
    /// The `serve` task.
    pub task: JoinHandle<Result<(), netkit::NetError>>,
}

impl TestServer {
    /// Starts a server with `config` on 127.0.0.1, any free port.
    pub async fn start(config: Config) -> TestServer {
        let listener = netkit::net::bind_tcp("127.0.0.1", 0).await.expect("bind");
        let addr = listener.local_addr().unwrap();
        let shutdown = CancellationToken::new();
        let task = tokio::spawn(serve(listener, config, shutdown.clone()));
        TestServer {
            addr,
            shutdown,
            task,
        }
    }

    /// Connects a client and reads its `HELLO`.
    pub async fn client(&self) -> Client {
        let mut client = Client::connect(self.addr).await;
        let hello = client.line().await;
        assert!(
            hello.starts_with("HELLO "),
            "first line must be HELLO, got {hello:?}"
        );
        client
    }

    /// Connects a client, reads `HELLO`, takes `nick` and checks the `OK`.
    pub async fn joined(&self, nick: &str) -> Client {
        let mut client = self.client().await;
        client.send(&format!("NICK {nick}")).await;
        client.expect(&format!("OK NICK {nick}")).await;
        client
    }

    /// Stops the server and checks that `serve` returns in time.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let result = tokio::time::timeout(Duration::from_secs(10), self.task).await;
        result
            .expect("serve returns after shutdown")
            .unwrap()
            .expect("serve returns Ok");
    }
}

/// A raw TCP chat/1 client.
pub struct Client {
    /// The read half, buffered.
    pub reader: BufReader<OwnedReadHalf>,
    /// The write half, for tests that write raw bytes.
    pub writer: OwnedWriteHalf,
}

impl Client {
    /// Connects, without reading anything.
    pub async fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (read, writer) = stream.into_split();
        Client {
            reader: BufReader::new(read),
            writer,
        }
    }

    /// Connects with a small receive buffer (the kernel may round it up): a
    /// client that does not read then fills its socket after a few lines.
    pub async fn connect_small(addr: SocketAddr) -> Client {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let stream = socket.connect(addr).await.expect("connect");
        let (read, writer) = stream.into_split();
        Client {
            reader: BufReader::new(read),
            writer,
        }
    }

    /// Sends one line, adding LF.
    pub async fn send(&mut self, line: &str) {
        self.send_bytes(format!("{line}\n").as_bytes()).await;
    }

    /// Sends raw bytes.
    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.writer.write_all(bytes).await.expect("write");
    }

    /// Sends raw bytes, reporting a failure instead of panicking.
    pub async fn send_bytes_checked(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(bytes).await
    }

    /// The next line, without its LF; panics on time-out or end of stream.
    pub async fn line(&mut self) -> String {
        match self.next_line(WAIT).await {
            Some(line) => line,
            None => panic!("the server closed the connection"),
        }
    }

    /// The next line, or `None` at end of stream; panics on time-out.
    pub async fn next_line(&mut self, wait: Duration) -> Option<String> {
        let mut buf = Vec::new();
        let read = tokio::time::timeout(wait, self.reader.read_until(b'\n', &mut buf)).await;
        match read.expect("no line from the server in time") {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                assert_eq!(buf.pop(), Some(b'\n'), "server lines end with LF: {buf:?}");
                Some(String::from_utf8(buf).expect("server lines are UTF-8"))
            }
        }
    }

    /// Reads one line and checks it.
    pub async fn expect(&mut self, expected: &str) {
        let line = self.line().await;
        assert_eq!(line, expected);
    }

    /// Reads one line and checks how it starts.
    pub async fn expect_prefix(&mut self, prefix: &str) -> String {
        let line = self.line().await;
        assert!(
            line.starts_with(prefix),
            "expected {prefix:?}…, got {line:?}"
        );
        line
    }

    /// Skips lines until one equals `expected` (at most `limit` lines).
    pub async fn skip_to(&mut self, expected: &str, limit: usize) {
        for _ in 0..limit {
            if self.line().await == expected {
                return;
            }
        }
        panic!("{expected:?} not seen in {limit} lines");
    }

    /// Reads raw bytes until the server closes the connection (bounded
    /// wait); returns how many. A client cut off mid-write may get half a line.
    pub async fn read_to_close(&mut self) -> usize {
        let mut sink = Vec::new();
        let read = tokio::time::timeout(
            WAIT,
            tokio::io::AsyncReadExt::read_to_end(&mut self.reader, &mut sink),
        );
        let _ = read
            .await
            .expect("the server did not close the connection in time");
        sink.len()
    }

    /// Checks that the server closes the connection (bounded wait).
    pub async fn expect_closed(&mut self) {
        if let Some(line) = self.next_line(WAIT).await {
            panic!("expected the connection to close, got {line:?}");
        }
    }

    /// Checks that nothing is waiting: sends `PING token`, the very next line
    /// must be `PONG token`.
    pub async fn expect_nothing_pending(&mut self, token: &str) {
        self.send(&format!("PING {token}")).await;
        self.expect(&format!("PONG {token}")).await;
    }
}
