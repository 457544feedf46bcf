//! Exercise 10: the broadcast chat server, with real clients on port 0.

mod common;

use common::{
    TIMEOUT, assert_silent, connect, is_timeout, read_line, reset, spawn_server, write_in_pieces,
};
use exercises::ex10_chat_server::serve;
use std::io::{BufRead, BufReader, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

/// A connected chat client that has received its WELCOME.
struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
    /// This client's address, as the server sees it.
    addr: SocketAddr,
}

impl Client {
    fn join(server: SocketAddr) -> Client {
        let stream = connect(server);
        let addr = stream.local_addr().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let welcome = read_line(&mut reader, "WELCOME");
        let server_addr = stream.peer_addr().unwrap();
        assert!(
            welcome != format!("WELCOME {server_addr}\n"),
            "got {welcome:?}: that is the server's own address; WELCOME names the client, \
             by the address accept() returned for it ({addr})"
        );
        assert!(
            welcome == format!("WELCOME {addr}\n"),
            "the first line names the client: expected {:?}, got {welcome:?}",
            format!("WELCOME {addr}\n")
        );
        Client {
            stream,
            reader,
            addr,
        }
    }

    fn say(&mut self, line: &str) {
        self.stream
            .write_all(format!("{line}\n").as_bytes())
            .unwrap();
    }

    fn expect(&mut self, from: &Client, text: &str) {
        self.expect_because(from, text, "");
    }

    /// Like `expect`, for the first line relayed to a client: if it never
    /// comes, the client may be missing from the map.
    fn expect_first(&mut self, from: &Client, text: &str) {
        self.expect_because(
            from,
            text,
            " (this client was welcomed: is it in the map, under a key of its own? \
             the test's clients all share the IP 127.0.0.1: the key is the whole \
             SocketAddr, IP and port)",
        );
    }

    /// Like `expect`, with a hint shown if the line does not come.
    fn expect_because(&mut self, from: &Client, text: &str, hint: &str) {
        let line = read_line(
            &mut self.reader,
            &format!("{text:?} relayed from {}{hint}", from.addr),
        );
        let expected = format!("{}: {text}\n", from.addr);
        if line == expected {
            return;
        }
        let why = if line == format!("{}: {text}\r\n", from.addr) {
            "the \\r before the \\n is dropped (telnet sends \\r\\n)"
        } else if line == format!("{}: {text}\n", self.addr) {
            "that is the receiver's address: a relayed line starts with the sender's"
        } else if line == "\n" || line.trim_end() == format!("{}: {text}", from.addr) {
            "the line read keeps its \\n: drop it before adding yours, or the relay sends \
             an empty line too"
        } else {
            "each relayed line is the sender's address (as the server sees it), ': ', then \
             the line without its \\r\\n, then one \\n"
        };
        panic!(
            "{} expected {expected:?}, got {line:?}: {why}{hint}",
            self.addr
        );
    }
}

#[test]
fn a_line_goes_to_every_other_client() {
    let server = spawn_server(serve);
    let mut alice = Client::join(server);
    let mut bob = Client::join(server);
    let mut carol = Client::join(server);
    alice.say("hello all");
    bob.expect_first(&alice, "hello all");
    carol.expect_first(&alice, "hello all");
    bob.say("hi alice");
    // Alice's next line is Bob's: she did not get her own message back.
    alice.expect(&bob, "hi alice");
    carol.expect(&bob, "hi alice");
}

#[test]
fn the_sender_does_not_get_its_own_line() {
    let server = spawn_server(serve);
    let mut alice = Client::join(server);
    let mut bob = Client::join(server);
    alice.say("only for bob");
    bob.expect_first(&alice, "only for bob");
    assert_silent(
        &alice.stream,
        Duration::from_millis(300),
        "alice spoke and expected silence",
    );
}

#[test]
fn crlf_and_pieces_make_one_line() {
    let server = spawn_server(serve);
    let mut alice = Client::join(server);
    let mut bob = Client::join(server);
    write_in_pieces(&mut alice.stream, b"from telnet\r\n");
    bob.expect_first(&alice, "from telnet");
}

#[test]
fn survives_clients_dropping() {
    let server = spawn_server(serve);
    let mut alice = Client::join(server);
    let mut bob = Client::join(server);
    let carol = Client::join(server);
    let dave = Client::join(server);
    // Carol leaves cleanly, Dave vanishes with unread data waiting for him.
    drop(carol);
    alice.say("dave, you have mail");
    bob.expect(&alice, "dave, you have mail");
    drop(dave);
    for i in 0..5 {
        alice.say(&format!("message {i}"));
        bob.expect_because(
            &alice,
            &format!("message {i}"),
            " (after Dave left: a write to a client who has gone fails, and \
             must not stop the relay nor the server: no unwrap or ? there)",
        );
    }
    let mut erin = Client::join(server);
    bob.say("welcome erin");
    let still_there = " (alice never left: is the failed write to dave removing someone else \
                       from the map, the sender perhaps?)";
    alice.expect_because(&bob, "welcome erin", still_there);
    erin.expect(&bob, "welcome erin");
}

#[test]
fn a_failed_write_drops_that_client_only() {
    // Twenty clients vanish (a reset: the server's writes to them fail at
    // once) while alice talks: some of her lines reach the server before the
    // thread of a vanished client has noticed and removed it, so relaying
    // them writes to a dead connection. This cannot be forced, only made
    // likely: a mistake here is caught often, not always.
    let server = spawn_server(serve);
    let mut alice = Client::join(server);
    let mut bob = Client::join(server);
    let ghosts: Vec<Client> = (0..20).map(|_| Client::join(server)).collect();
    alice.say("before");
    bob.expect_first(&alice, "before");
    for (i, ghost) in ghosts.into_iter().enumerate() {
        // Its reader holds a copy of the socket: the reset is sent when the
        // last copy closes.
        drop(ghost.reader);
        reset(ghost.stream);
        alice.say(&format!("line {i}"));
    }
    for i in 0..20 {
        bob.expect_because(
            &alice,
            &format!("line {i}"),
            " (while clients vanished: a write to one of them failed; it must only \
             remove that client, never stop the relay nor the server: no unwrap or ? \
             on that write_all)",
        );
    }
    bob.say("still there?");
    alice.expect_because(
        &bob,
        "still there?",
        " (alice never left: when a write fails, remove the client written to, not \
         the sender)",
    );
}

#[test]
fn a_client_that_leaves_is_forgotten() {
    let server = spawn_server(serve);
    let mut alice = Client::join(server);
    let _bob = Client::join(server);
    // Alice closes her side: for the server, she has left. Once it forgets
    // her (the copy of her stream in the map included), her connection
    // closes and she reads the end of the stream.
    alice.stream.shutdown(Shutdown::Write).unwrap();
    let mut rest = String::new();
    match alice.reader.read_line(&mut rest) {
        Ok(0) => {}
        Ok(_) => panic!("alice left, then received {rest:?}"),
        Err(e) if is_timeout(&e) => panic!(
            "alice left, but her connection was still open {TIMEOUT:?} later: when a client \
             leaves, remove it from the map (the copy of its stream kept there holds the \
             connection open, and the map grows with every visitor)"
        ),
        Err(e) => panic!("alice left, then: {e}"),
    }
}
