//! Helpers shared by the exercise tests: real sockets on 127.0.0.1 port 0,
//! time-outs everywhere (a wrong answer is red, never a hang), and a reader
//! that hands out 1 to 3 bytes at a time, as a slow network would.

// Each test file uses only some of these helpers.
#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long any single wait may last before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// How long a test doing a lot of work (a megabyte echoed, 65 536 calls)
/// may last. Like [`TIMEOUT`], it only ends a hang, it does not measure
/// speed: a correct solution in a debug build (a 1-byte buffer, a table
/// built at each call) on a busy two-core machine can take seconds where
/// the reference takes a few milliseconds.
pub const LONG_TIMEOUT: Duration = Duration::from_secs(60);

/// A listener on 127.0.0.1, on a port the system picks (port 0): tests never
/// collide with each other or with a server already running.
pub fn listener() -> (TcpListener, SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local_addr");
    (listener, addr)
}

/// Starts `serve(listener)` on its own thread and returns where it listens.
/// The thread is never joined: a server runs forever, the test process ends.
pub fn spawn_server<F>(serve: F) -> SocketAddr
where
    F: FnOnce(TcpListener) -> io::Result<()> + Send + 'static,
{
    let (listener, addr) = listener();
    thread::spawn(move || serve(listener));
    addr
}

/// A client connection with read and write time-outs.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT).unwrap_or_else(|e| {
        panic!("cannot connect to the server at {addr}: {e} (did serve() stop or panic?)")
    });
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

/// Closes `stream` abruptly: with `SO_LINGER` set to 0, closing sends a TCP
/// RST instead of the polite FIN, and the server's next `read` or `write` on
/// this connection fails ("connection reset by peer"). After a clean close,
/// the server's `read` gives `Ok(0)` and its first `write` still succeeds, so
/// only a reset shows whether one client's error stops the server.
pub fn reset(stream: TcpStream) {
    let socket = tokio::net::TcpSocket::from_std_stream(stream);
    socket.set_zero_linger().expect("set SO_LINGER to 0");
    drop(socket);
}

/// Reads one line (with its `\n`) or fails the test with an explanation.
pub fn read_line(reader: &mut BufReader<TcpStream>, waiting_for: &str) -> String {
    let mut line = String::new();
    match reader.read_line(&mut line) {
        Ok(0) => panic!("waiting for {waiting_for}: the server closed the connection instead"),
        Ok(_) if !line.ends_with('\n') => {
            panic!(
                "waiting for {waiting_for}: got {line:?} then the connection closed (missing \\n?)"
            )
        }
        Ok(_) => line,
        Err(e) if is_timeout(&e) => panic!(
            "waiting for {waiting_for}: nothing (complete) came within {TIMEOUT:?}{} \
             (missing \\n or flush? server stuck on another client?)",
            if line.is_empty() {
                String::new()
            } else {
                format!(", only {line:?}")
            }
        ),
        Err(e) => panic!("waiting for {waiting_for}: {e}"),
    }
}

/// True for the error a read time-out gives (its kind differs by system).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Asserts that nothing arrives on `stream` for `wait` (then restores the
/// normal time-out).
pub fn assert_silent(stream: &TcpStream, wait: Duration, why: &str) {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut byte = [0; 1];
    let result = stream.peek(&mut byte);
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    match result {
        Err(e) if is_timeout(&e) => {}
        Ok(0) => panic!("{why}: the connection was closed"),
        Ok(_) => panic!("{why}: but something arrived"),
        Err(e) => panic!("{why}: {e}"),
    }
}

/// Runs `f` on a thread and returns its result, or fails the test if it
/// panics (a `todo!()` left?) or takes longer than [`TIMEOUT`].
pub fn within<T, F>(what: &str, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    within_or(what, "", f)
}

/// [`within`], for a call that does a lot of work: it may last up to
/// [`LONG_TIMEOUT`].
pub fn within_long<T, F>(what: &str, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    within_limit(what, "", LONG_TIMEOUT, f)
}

/// [`within`], whose time-out message ends with `if_stuck`: the usual reason
/// why this call would never return.
pub fn within_or<T, F>(what: &str, if_stuck: &str, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    within_limit(what, if_stuck, TIMEOUT, f)
}

/// [`within_or`], with a time limit of `limit`.
fn within_limit<T, F>(what: &str, if_stuck: &str, limit: Duration, f: F) -> T
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what} did not finish within {limit:?}{if_stuck}")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("{what} panicked (see the message above: a todo!() left?)")
        }
    }
}

/// Polls `condition` every 10 ms until it holds, or fails after [`TIMEOUT`].
pub fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < TIMEOUT,
            "{what}: still not true after {TIMEOUT:?}"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// A reader that hands out its data 1, 2 or 3 bytes at a time, like a slow
/// network, so code that assumes "one read = one message" fails.
pub struct Trickle {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl Trickle {
    /// A reader over `data`.
    pub fn new(data: impl Into<Vec<u8>>) -> Trickle {
        Trickle {
            data: data.into(),
            pos: 0,
            step: 0,
        }
    }
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // 1, 3, 2, 1, 3, 2… bytes: never a whole line, never aligned, and
        // the first read is a single byte.
        let want = [1, 3, 2][self.step % 3];
        self.step += 1;
        let n = want.min(buf.len()).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Writes `data` to `stream` 1 to 3 bytes at a time with short pauses (and
/// Nagle's algorithm off), so the server really receives it in pieces.
pub fn write_in_pieces(stream: &mut TcpStream, data: &[u8]) {
    use std::io::Write;
    stream.set_nodelay(true).unwrap();
    let (mut pos, mut step) = (0, 0);
    while pos < data.len() {
        step += 1;
        let n = [1, 3, 2][step % 3].min(data.len() - pos);
        stream
            .write_all(&data[pos..pos + n])
            .expect("write to the server");
        pos += n;
        thread::sleep(Duration::from_millis(2));
    }
}
