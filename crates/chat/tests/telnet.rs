//! `telnet` as a chat/1 client: besides the text people type, it sends
//! Telnet commands (RFC 854), each starting with the byte IAC (0xFF). The
//! server must drop them and keep the line they arrive with, against a real
//! in-process server.

mod common;

use chat::server::Config;
use common::TestServer;

/// Pressing Ctrl-C in telnet sends `IAC IP IAC DO TIMING-MARK`, with no LF:
/// those bytes arrive glued to the front of the next line typed.
#[tokio::test]
async fn ctrl_c_in_telnet_does_not_spoil_the_next_line() {
    let server = TestServer::start(Config::default()).await;
    let mut alice = server.joined("alice").await;
    alice.send_bytes(b"\xff\xf4\xff\xfd\x06MSG hi\r\n").await;
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
    bob.expect("OK NICK bob").await;
    alice.expect("JOIN bob").await;
    // Bytes that are not Telnet commands are still refused as before.
    bob.send_bytes(b"MSG \xc3\x28\r\n").await;
    bob.expect("ERR invalid UTF-8: lines must be UTF-8 text")
        .await;
    server.stop().await;
}
