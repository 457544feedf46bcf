//! Exercise 5: the echo handler, on real accepted connections.

mod common;

use common::{TIMEOUT, connect, listener, within};
use exercises::ex05_echo_handler::handle;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc;
use std::thread;

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

#[test]
fn echoes_and_stops_at_end_of_file() {
    let (mut client, done) = start();
    client.write_all(b"hello\n").unwrap();
    let mut back = [0; 6];
    client
        .read_exact(&mut back)
        .expect("no echo within the time-out");
    assert_eq!(&back, b"hello\n");
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
    if let Err(e) = client.read_to_end(&mut back) {
        panic!(
            "the echo did not end within {:?} ({}): does handle stop when read \
             returns Ok(0), the end of the stream?",
            common::TIMEOUT,
            e.kind()
        );
    }
    assert!(
        back == b"abc",
        "only the bytes received, nothing more: got {} bytes, starting {:?} \
         (the whole buffer sent, zeros included, instead of &buf[..n]?)",
        back.len(),
        String::from_utf8_lossy(&back[..back.len().min(16)])
    );
    assert_eq!(result_of(done), 3);
}

#[test]
fn a_client_that_sends_nothing_ends_at_once() {
    let (client, done) = start();
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(result_of(done), 0);
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
    let back = within("reading 1 MB of echo", move || {
        let mut back = Vec::new();
        let mut client = client;
        client.read_to_end(&mut back).map(|_| back)
    });
    let back = back.expect("reading the echo");
    assert_eq!(back.len(), data.len(), "every byte must come back");
    assert!(back == data, "the bytes came back changed or out of order");
    assert_eq!(result_of(done), 1_000_000);
}
