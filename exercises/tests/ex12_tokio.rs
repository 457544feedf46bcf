//! Exercise 12: the tokio line server with many clients at once.
//!
//! The server runs on its own runtime thread and the test talks to it with
//! plain blocking sockets and time-outs: even a server that blocks its
//! runtime makes the test fail, never hang.

mod common;

use common::{connect, read_line, write_in_pieces};
use exercises::ex12_tokio::serve;
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;

fn start() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            serve(listener).await
        })
    });
    addr
}

struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn new(addr: SocketAddr) -> Client {
        let stream = connect(addr);
        let reader = BufReader::new(stream.try_clone().unwrap());
        Client { stream, reader }
    }
}

#[test]
fn answers_lines_in_upper_case() {
    let addr = start();
    let mut c = Client::new(addr);
    c.stream.write_all(b"hello\r\n").unwrap();
    assert_eq!(read_line(&mut c.reader, "HELLO"), "HELLO\n");
    write_in_pieces(&mut c.stream, b"in pieces\nand glued\n");
    let cut = "letters missing at the start? one BufReader per client, created before \
               the loop: a new one per line loses what was read ahead";
    assert_eq!(
        read_line(&mut c.reader, "IN PIECES"),
        "IN PIECES\n",
        "{cut}"
    );
    assert_eq!(
        read_line(&mut c.reader, "AND GLUED"),
        "AND GLUED\n",
        "{cut}"
    );
    c.stream.write_all("ça va ?\n".as_bytes()).unwrap();
    assert_eq!(
        read_line(&mut c.reader, "ÇA VA ?"),
        "ÇA VA ?\n",
        "upper case for every letter, as in exercise 6 (to_uppercase, not only ASCII)"
    );
    c.stream.write_all(b"  two  spaces  \r\n").unwrap();
    assert_eq!(
        read_line(&mut c.reader, "  TWO  SPACES  "),
        "  TWO  SPACES  \n",
        "only the \\n and the \\r at the end are removed, as in exercise 6: spaces \
         belong to the line (trim() removes them too)"
    );
    c.stream.write_all(b"QUIT\n").unwrap();
    assert_eq!(read_line(&mut c.reader, "BYE"), "BYE\n");
    let mut rest = String::new();
    assert_eq!(
        std::io::BufRead::read_line(&mut c.reader, &mut rest).ok(),
        Some(0),
        "after BYE the server closes the connection"
    );
}

#[test]
fn a_hundred_clients_connected_at_once() {
    let addr = start();
    let mut clients: Vec<Client> = (0..100).map(|_| Client::new(addr)).collect();
    // Everybody speaks first, then everybody listens: a server that serves
    // one client until it leaves answers only the first.
    for (i, c) in clients.iter_mut().enumerate() {
        writeln!(c.stream, "client {i}").unwrap();
    }
    for (i, c) in clients.iter_mut().enumerate() {
        let expected = format!("CLIENT {i}\n");
        assert_eq!(read_line(&mut c.reader, expected.trim_end()), expected);
    }
}

#[test]
fn a_silent_client_does_not_block_the_others() {
    let addr = start();
    let _silent = Client::new(addr);
    let mut talker = Client::new(addr);
    writeln!(talker.stream, "anyone?").unwrap();
    assert_eq!(read_line(&mut talker.reader, "ANYONE?"), "ANYONE?\n");
}

#[test]
fn a_last_line_without_newline_is_answered() {
    let addr = start();
    let mut c = Client::new(addr);
    // The client sends a line without `\n`, then closes its sending side:
    // as in exercise 6, the end of the stream ends that last line.
    c.stream.write_all(b"last words").unwrap();
    c.stream.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(
        read_line(
            &mut c.reader,
            "LAST WORDS (a last line without \\n, followed by the end of the stream)"
        ),
        "LAST WORDS\n"
    );
}
