//! Exercise 5: the echo handler, on real accepted connections.

mod common;

use common::{LONG_TIMEOUT, TIMEOUT, connect, listener};
use exercises::ex05_echo_handler::handle;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::Instant;

/// Accepts one client and runs `handle` on it; returns the client side and
/// a channel that will carry handle's result.
fn start() -> (TcpStream, mpsc::Receiver<io::Result<u64>>) {
    let (listener, addr) = listener();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let _ = tx.send(handle(stream));
    });
    (connect(addr), rx)
}

fn result_of(rx: mpsc::Receiver<io::Result<u64>>) -> u64 {
    match rx.recv_timeout(TIMEOUT) {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => panic!("handle returned an error: {e}"),
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("handle did not return after the client closed (is Ok(0) treated as the end?)")
        }
        Err(_) => panic!("handle panicked (a todo!() left?)"),
    }
}

/// Reads the echo of `sent` (its length in bytes) or fails the test saying
/// what came back instead, and `why` it was expected.
#[track_caller]
fn expect_echo(client: &mut TcpStream, sent: &[u8], why: &str) {
    let mut back = Vec::new();
    let mut buf = [0; 64];
    while back.len() < sent.len() {
        let n = match client.read(&mut buf) {
            Ok(0) => panic!(
                "{why}: expected the echo {:?}, got {:?} then the server closed the \
                 connection (does handle stop after the first piece? it must loop \
                 until read returns Ok(0))",
                String::from_utf8_lossy(sent),
                String::from_utf8_lossy(&back)
            ),
            Ok(n) => n,
            Err(e) if common::is_timeout(&e) => panic!(
                "{why}: expected the echo {:?}, got only {:?} within {TIMEOUT:?} (is \
                 every byte read sent back at once, with write_all(&buf[..n])? waiting \
                 for a \\n, a full buffer (read_exact) or the end (read_to_end) before \
                 echoing holds it back)",
                String::from_utf8_lossy(sent),
                String::from_utf8_lossy(&back)
            ),
            Err(e) => panic!("{why}: {e}"),
        };
        back.extend_from_slice(&buf[..n]);
    }
    assert!(
        back.starts_with(sent),
        "{why}: expected the echo {:?}, got {:?}",
        String::from_utf8_lossy(sent),
        String::from_utf8_lossy(&back)
    );
}

#[test]
fn echoes_and_stops_at_end_of_file() {
    let (mut client, done) = start();
    client.write_all(b"hello\n").unwrap();
    expect_echo(&mut client, b"hello\n", "the client sent \"hello\\n\"");
    // Closing our sending side: the server's read() now returns Ok(0).
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        result_of(done),
        6,
        "handle must return the number of bytes echoed"
    );
    let mut rest = Vec::new();
    client
        .read_to_end(&mut rest)
        .expect("the server should close after EOF");
    assert!(
        rest.is_empty(),
        "nothing more than the echo: {} more bytes came, starting {:?} \
         (the whole buffer sent, zeros included, instead of &buf[..n]?)",
        rest.len(),
        &rest[..rest.len().min(16)]
    );
}

#[test]
fn echoes_exactly_what_was_received() {
    // Two small writes: a handler that sends its whole buffer would add zeros.
    let (mut client, done) = start();
    client.write_all(b"ab").unwrap();
    client.write_all(b"c").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut back = Vec::new();
    // At most 64 KiB: a handler that sends its whole buffer and does not
    // stop at Ok(0) sends zeros for ever, and would fill the memory.
    if let Err(e) = (&client).take(64 * 1024).read_to_end(&mut back) {
        panic!(
            "the echo did not end within {:?} ({}): does handle stop when read \
             returns Ok(0), the end of the stream?",
            common::TIMEOUT,
            e.kind()
        );
    }
    assert!(
        back.len() >= 3,
        "the bytes received, all of them: sent \"ab\" then \"c\", got back {:?} \
         (each read gives n bytes: write_all(&buf[..n]) sends all n of them)",
        String::from_utf8_lossy(&back)
    );
    assert!(
        back == b"abc",
        "only the bytes received, nothing more: got {} bytes, starting {:?} \
         (the whole buffer sent, zeros included, instead of &buf[..n]?)",
        back.len(),
        String::from_utf8_lossy(&back[..back.len().min(16)])
    );
    assert_eq!(
        result_of(done),
        3,
        "handle must return the number of bytes echoed (\"ab\" then \"c\": 3)"
    );
}

#[test]
fn echoes_each_piece_until_the_client_closes() {
    // An echo is not a question and its answer: the client may send, read
    // the echo, and send again, as often as it likes, with or without \n.
    let (mut client, done) = start();
    client.write_all(b"ping").unwrap();
    expect_echo(&mut client, b"ping", "the client sent \"ping\" (no \\n)");
    client.write_all(b"pong").unwrap();
    expect_echo(
        &mut client,
        b"pong",
        "after the echo of \"ping\", the client sent \"pong\"",
    );
    client.write_all(b"!\n").unwrap();
    expect_echo(&mut client, b"!\n", "then the client sent \"!\\n\"");
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        result_of(done),
        10,
        "handle must return the number of bytes echoed: 4 + 4 + 2"
    );
}

#[test]
fn a_client_that_sends_nothing_ends_at_once() {
    let (client, done) = start();
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        result_of(done),
        0,
        "a client that closes at once was echoed 0 bytes"
    );
}

#[test]
fn a_megabyte_comes_back_intact() {
    let (client, done) = start();
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
    let mut writer = client.try_clone().unwrap();
    let sent = data.clone();
    // Write on another thread while this one reads, or both sides could
    // wait for each other with full buffers.
    thread::spawn(move || {
        writer.write_all(&sent).unwrap();
        writer.shutdown(Shutdown::Write).unwrap();
    });
    let back = read_until_closed(client, data.len());
    assert!(
        back.len() <= data.len(),
        "more came back than was sent: {} bytes for {} (the whole buffer sent, zeros \
         included, instead of &buf[..n]?)",
        back.len(),
        data.len()
    );
    assert_eq!(
        back.len(),
        data.len(),
        "every byte must come back: {} of {} did",
        back.len(),
        data.len()
    );
    assert!(back == data, "the bytes came back changed or out of order");
    assert_eq!(result_of(done), 1_000_000);
}

/// Reads the echo of `len` bytes until the server closes the connection.
/// A server that stops sending fails the test at once (each read waits at
/// most [`TIMEOUT`]); one that keeps sending, however slowly (a 1-byte
/// buffer, a debug build on a busy machine: correct, only slow), has up to
/// [`LONG_TIMEOUT`]. Past `len` bytes it stops: a server echoing its whole
/// buffer would send zeros for ever.
fn read_until_closed(mut client: TcpStream, len: usize) -> Vec<u8> {
    let start = Instant::now();
    let mut back = Vec::with_capacity(len);
    let mut buf = vec![0; 64 * 1024];
    while back.len() <= len {
        assert!(
            start.elapsed() < LONG_TIMEOUT,
            "the echo of 1 MB sent in one go was still coming after {LONG_TIMEOUT:?}: \
             {} of {len} bytes came back (is every piece read sent back at once?)",
            back.len()
        );
        match client.read(&mut buf) {
            Ok(0) => return back,
            Ok(n) => back.extend_from_slice(&buf[..n]),
            Err(e) if common::is_timeout(&e) && back.len() >= len => panic!(
                "all {len} bytes came back, but the connection was still open {TIMEOUT:?} \
                 after the client closed its side: does handle stop when read returns \
                 Ok(0), the end of the stream?"
            ),
            Err(e) => panic!(
                "reading the echo of 1 MB sent in one go: {e}, after {} of {len} bytes (does \
                 handle stop before the end? it must loop until read returns Ok(0); closing \
                 with bytes still unread resets the connection)",
                back.len()
            ),
        }
    }
    back
}
