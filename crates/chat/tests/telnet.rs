//! `telnet` as a chat/1 client: besides the text people type, it sends
//! Telnet commands (RFC 854), each starting with the byte IAC (0xFF). The
//! server must drop them, keep the line they arrive with, and say no to
//! every option telnet asks for; against a real in-process server.

mod common;

use chat::server::Config;
use common::{Client, TestServer, WAIT};
use tokio::io::AsyncReadExt;

/// Reads exactly `expected` (Telnet answers are not text lines).
async fn expect_bytes(client: &mut Client, expected: &[u8]) {
    let mut got = vec![0u8; expected.len()];
    tokio::time::timeout(WAIT, client.reader.read_exact(&mut got))
        .await
        .expect("bytes in time")
        .expect("read");
    assert_eq!(got, expected);
}

/// Pressing Ctrl-C in telnet sends `IAC IP IAC DO TIMING-MARK`, with no LF:
/// those bytes arrive glued to the front of the next line typed.
#[tokio::test]
async fn ctrl_c_in_telnet_does_not_spoil_the_next_line() {
    let server = TestServer::start(Config::default()).await;
    let mut alice = server.joined("alice").await;
    alice.send_bytes(b"\xff\xf4\xff\xfd\x06MSG hi\r\n").await;
    expect_bytes(&mut alice, b"\xff\xfc\x06").await; // WONT TIMING-MARK: see below
    alice.expect("MSG alice hi").await;
    alice.expect_nothing_pending("1").await;
    server.stop().await;
}

/// Option negotiation and subnegotiation (what telnet sends to a port-23
/// server) are dropped whole, even the bytes that look like text.
#[tokio::test]
async fn option_negotiation_before_nick_is_ignored() {
    let server = TestServer::start(Config::default()).await;
    let mut alice = server.joined("alice").await;
    let mut bob = server.client().await;
    // IAC WILL NAWS, IAC SB TERMINAL-TYPE IS "xterm" IAC SE, then NICK.
    bob.send_bytes(b"\xff\xfb\x1f\xff\xfa\x18\x00xterm\xff\xf0NICK bob\r\n")
        .await;
    expect_bytes(&mut bob, b"\xff\xfe\x1f").await; // DONT NAWS
    bob.expect("OK NICK bob").await;
    alice.expect("JOIN bob").await;
    // Bytes that are not Telnet commands are still refused as before.
    bob.send_bytes(b"MSG \xc3\x28\r\n").await;
    bob.expect("ERR invalid UTF-8: lines must be UTF-8 text")
        .await;
    server.stop().await;
}

/// After its Ctrl-C, telnet throws away everything the server sends until
/// its `DO TIMING-MARK` is answered. The server says no (`WONT
/// TIMING-MARK`, `ff fc 06`) before the answer to the line it came with,
/// so the user sees that answer and everything after it.
#[tokio::test]
async fn telnet_gets_a_no_to_its_timing_mark_before_the_answer() {
    let server = TestServer::start(Config::default()).await;
    let mut alice = server.joined("alice").await;
    alice.send_bytes(b"\xff\xf4\xff\xfd\x06PING x\r\n").await;
    expect_bytes(&mut alice, b"\xff\xfc\x06PONG x\n").await;
    // A request to turn an option on (WILL) is refused too (DONT); a
    // refusal (WONT) is not answered: that is how Telnet avoids loops.
    alice
        .send_bytes(b"\xff\xfb\x1f\xff\xfc\x01PING y\r\n")
        .await;
    let mut got = [0u8; 10];
    tokio::time::timeout(common::WAIT, alice.reader.read_exact(&mut got))
        .await
        .expect("an answer in time")
        .expect("read");
    assert_eq!(&got, b"\xff\xfe\x1fPONG y\n");
    alice.expect_nothing_pending("1").await;
    server.stop().await;
}

/// telnet's Ctrl-C is followed by no LF: the user may type nothing for a
/// while. The answer to its `DO TIMING-MARK` must go out as soon as the
/// request arrives, not with the answer to the next line: until it comes,
/// telnet throws away the room's lines, and the user never sees them.
#[tokio::test]
async fn telnet_gets_its_no_at_once_and_then_the_room_s_lines() {
    let server = TestServer::start(Config::default()).await;
    let mut bob = server.joined("bob").await;
    let mut alice = server.joined("alice").await;
    bob.expect("JOIN alice").await;
    // Ctrl-C, sent in two pieces cutting the request: answered once whole.
    alice.send_bytes(b"\xff\xf4\xff\xfd").await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    alice.send_bytes(b"\x06").await;
    expect_bytes(&mut alice, b"\xff\xfc\x06").await;
    // What the room says next reaches her, her line still unfinished.
    bob.send("MSG still there?").await;
    alice.expect("MSG bob still there?").await;
    // Her line, when it ends, is answered, with no second no.
    alice.send_bytes(b"PING after\r\n").await;
    alice.expect("PONG after").await;
    alice.expect_nothing_pending("1").await;
    server.stop().await;
}
