//! Exercise 2: an echo client against a real (slow) echo server on port 0.

mod common;

use common::{TIMEOUT, listener};
use exercises::ex02_echo_client::{EchoReply, echo_once};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// An echo server for one client that sends each byte back separately, and
/// reports the client's address as it saw it. It stops echoing after
/// `limit` bytes and closes cleanly: the client reads the end of the stream
/// (`Ok(0)`), not a reset, however many bytes it sent.
fn slow_echo_server(limit: usize) -> (SocketAddr, mpsc::Receiver<SocketAddr>, Echoed) {
    let (listener, addr) = listener();
    let (tx, rx) = mpsc::channel();
    let echoed = Echoed::default();
    let count = Arc::clone(&echoed);
    thread::spawn(move || {
        let (stream, peer) = listener.accept().unwrap();
        let _ = tx.send(peer);
        echo_slowly(stream, limit, &count);
    });
    (addr, rx, echoed)
}

/// Serves one client of [`slow_echo_server`]: echoes each byte separately,
/// counting them in `count`, up to `limit` bytes, then closes cleanly.
fn echo_slowly(mut stream: TcpStream, limit: usize, count: &Echoed) {
    stream.set_nodelay(true).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut byte = [0; 1];
    for _ in 0..limit {
        match stream.read(&mut byte) {
            Ok(1) => {
                let _ = stream.write_all(&byte);
                count.fetch_add(1, Ordering::SeqCst);
                thread::sleep(Duration::from_millis(2));
            }
            _ => return,
        }
    }
    // Done sending (a FIN), but still reading what the client sends:
    // closing with unread bytes would reset the connection instead.
    let _ = stream.shutdown(Shutdown::Write);
    let mut rest = [0u8; 64];
    while matches!(stream.read(&mut rest), Ok(n) if n > 0) {}
}

/// How many bytes the test server has echoed so far.
type Echoed = Arc<AtomicUsize>;

/// Runs the student's `echo_once` with a time limit; if it never returns,
/// says what the server did meanwhile, hence what the client waits for.
fn echo(stream: TcpStream, message: &'static str, echoed: &Echoed) -> io::Result<EchoReply> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(echo_once(stream, message));
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            let n = echoed.load(Ordering::SeqCst);
            let why = if n == 0 {
                "the server received nothing: was the message written (write_all), \
                 and flushed if it went through a BufWriter?"
                    .to_string()
            } else if n < message.len() {
                format!(
                    "the server echoed {n} byte(s) of {} (this test's server then closes, \
                     or the rest was never sent): does the read loop stop when read returns \
                     Ok(0), the end of the stream? (read_exact does, with an error)",
                    message.len()
                )
            } else {
                format!(
                    "the server echoed all {n} bytes and waits for more, as an echo server \
                     does: read exactly message.len() bytes (read_exact); read_to_end waits \
                     for the server to close, read_line for a \\n",
                )
            };
            panic!("echo_once({message:?}) did not return within {TIMEOUT:?}: {why}")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("echo_once panicked (see the message above: a todo!() left?)")
        }
    }
}

fn client(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream
}

#[test]
fn gets_the_whole_echo_even_one_byte_at_a_time() {
    let (addr, _, echoed) = slow_echo_server(usize::MAX);
    let stream = client(addr);
    let reply = echo(stream, "hello, server\n", &echoed);
    let reply = reply.expect("echo_once returned an error");
    assert!(
        reply.reply.is_empty()
            || reply.reply.len() >= "hello, server".len()
            || !"hello, server".starts_with(reply.reply.as_str()),
        "the reply is {:?}, only the start of \"hello, server\\n\": the server sends \
         it back one byte at a time, and one read returns what has arrived so far; \
         read until you have message.len() bytes (read_exact)",
        reply.reply
    );
    assert_eq!(
        reply.reply, "hello, server\n",
        "the reply must be the whole message, as the server sent it back (its \\n \
         included: no trim)"
    );
}

#[test]
fn reports_its_own_port_as_the_server_sees_it() {
    let (addr, peers, echoed) = slow_echo_server(usize::MAX);
    let stream = client(addr);
    let reply = echo(stream, "port?", &echoed).expect("echo_once returned an error");
    let peer = peers.recv_timeout(TIMEOUT).unwrap();
    // The most common mistake first, so its message is the one shown.
    assert_ne!(
        reply.local_port,
        addr.port(),
        "that is the server's port (peer_addr), not the client's (local_addr)"
    );
    assert_eq!(
        reply.local_port,
        peer.port(),
        "the local port is the one the server sees"
    );
}

#[test]
fn two_connections_get_two_different_ports() {
    // Two connections to the same server, both open at once: the OS must
    // give them two ports. (To two different servers, Linux may give both
    // the same port: each connection is still told apart by the server's
    // port, and a correct client would then fail this test.)
    let (listener, addr) = listener();
    let (echoed_a, echoed_b) = (Echoed::default(), Echoed::default());
    let counts = [Arc::clone(&echoed_a), Arc::clone(&echoed_b)];
    thread::spawn(move || {
        for count in counts {
            let (stream, _) = listener.accept().unwrap();
            thread::spawn(move || echo_slowly(stream, usize::MAX, &count));
        }
    });
    let (sa, sb) = (client(addr), client(addr));
    let ra = echo(sa, "a", &echoed_a).expect("echo_once returned an error");
    let rb = echo(sb, "b", &echoed_b).expect("echo_once returned an error");
    assert_ne!(
        ra.local_port, rb.local_port,
        "the OS gives each connection its own port"
    );
}

#[test]
fn a_server_that_closes_early_is_an_error_not_a_short_reply() {
    let (addr, _, echoed) = slow_echo_server(3);
    let stream = client(addr);
    let result = echo(stream, "truncated", &echoed);
    assert!(
        result.is_err(),
        "the server echoed 3 bytes of 9 then closed: expected an error, got {result:?}"
    );
}
