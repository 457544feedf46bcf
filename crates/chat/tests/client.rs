//! The client's conversation loop, in-process: a scripted keyboard (a
//! channel) and a screen (a byte buffer) against a real in-process server.

mod common;

use std::time::Duration;

use chat::client::{Options, chat};
use chat::server::Config;
use common::TestServer;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

fn options(nick: Option<&str>) -> Options {
    Options {
        nick: nick.map(str::to_string),
        raw: false,
        trace: false,
        timeout: Duration::from_secs(5),
    }
}

/// Runs `chat` with `typed` as the keyboard (closed afterwards); returns the screen.
async fn session(server: &TestServer, options: Options, typed: &[&str]) -> String {
    let (tx, keyboard) = mpsc::channel(typed.len() + 1);
    for line in typed {
        tx.send(Ok(line.to_string())).await.unwrap();
    }
    drop(tx); // end of input
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut screen = Vec::new();
    let run = chat(stream, &options, keyboard, &mut screen);
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("chat ends")
        .expect("chat succeeds");
    String::from_utf8(screen).unwrap()
}

#[tokio::test]
async fn typed_lines_become_commands_and_replies_are_rendered() {
    let server = TestServer::start(Config::default()).await;
    let mut watcher = server.joined("watcher").await;
    let screen = session(
        &server,
        options(Some("bot")),
        &["hello", "/msg watcher psst", "/who", "/bogus", ""],
    )
    .await;
    watcher.expect("JOIN bot").await;
    watcher.expect("MSG bot hello").await;
    watcher.expect("PRIV bot psst").await;
    watcher.expect("LEAVE bot").await;
    let expected = [
        "* you are now known as bot",
        "<bot> hello",
        "* (private message sent to watcher)",
        "* in the room (2): bot, watcher",
        "* the server said goodbye",
    ];
    // A local mistake is shown at once, before the server's answers arrive.
    assert!(screen.contains("! unknown command /bogus"), "{screen}");
    let mut rest = screen.as_str();
    for line in expected {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("{line:?} missing, in order, from:\n{screen}"));
        rest = &rest[at + line.len()..];
    }
    server.stop().await;
}

#[tokio::test]
async fn a_taken_nickname_is_asked_again() {
    let server = TestServer::start(Config::default()).await;
    let _alice = server.joined("alice").await;
    let screen = session(&server, options(Some("Alice")), &["bob", "/quit bye"]).await;
    assert!(
        screen.contains("! error: nickname Alice is taken"),
        "{screen}"
    );
    assert!(screen.contains("* you are now known as bob"), "{screen}");
    server.stop().await;
}

#[tokio::test]
async fn raw_mode_shows_protocol_lines() {
    let server = TestServer::start(Config::default()).await;
    let screen = session(
        &server,
        Options {
            raw: true,
            ..options(Some("r"))
        },
        &["hi"],
    )
    .await;
    let lines: Vec<&str> = screen.lines().collect();
    assert!(lines[0].starts_with("HELLO "), "{screen}");
    assert_eq!(&lines[1..], ["OK NICK r", "MSG r hi", "BYE"]);
    server.stop().await;
}

#[tokio::test]
async fn too_long_lines_are_not_sent() {
    let server = TestServer::start(Config::default()).await;
    let long = "x".repeat(2000);
    let screen = session(&server, options(Some("t")), &[&long, "short"]).await;
    // The user typed 2000 bytes; the line would have been "MSG " + those.
    assert!(
        screen.contains("! too long: sent as \"MSG …\" it is 2004 bytes"),
        "{screen}"
    );
    assert!(screen.contains("shorten it by 980 bytes"), "{screen}");
    assert!(
        !screen.contains("! error"),
        "the server never saw it: {screen}"
    );
    assert!(screen.contains("<t> short"), "{screen}");
    server.stop().await;
}

#[tokio::test]
async fn a_server_leaving_is_shown_even_at_the_nickname_prompt() {
    let server = TestServer::start(Config::default()).await;
    let mut watcher = server.joined("watcher").await;
    // The user never types: the keyboard stays open, like a person thinking.
    let (_typing, keyboard) = mpsc::channel(1);
    let stream = TcpStream::connect(server.addr).await.unwrap();
    let mut screen = Vec::new();
    let options = options(None);
    let client = chat(stream, &options, keyboard, &mut screen);
    let stop = async {
        // Once the client is connected (the room answers), stop the server.
        watcher.send("PING").await;
        watcher.expect("PONG").await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        server.stop().await;
    };
    let (result, ()) = tokio::time::timeout(Duration::from_secs(10), async {
        tokio::join!(client, stop)
    })
    .await
    .expect("the client does not wait for the user to type");
    let screen = String::from_utf8(screen).unwrap();
    result.expect("a server that says BYE is a normal end");
    assert!(
        screen.ends_with("* the server said goodbye: server shutting down\n"),
        "{screen}"
    );
}

#[tokio::test]
async fn at_the_nickname_prompt_slash_commands_are_understood() {
    let server = TestServer::start(Config::default()).await;
    let mut watcher = server.joined("watcher").await;
    let screen = session(
        &server,
        options(None),
        &["/who", "/nick", "/nick bob", "hi", "/quit gone"],
    )
    .await;
    assert!(screen.contains("! choose a nickname first"), "{screen}");
    assert!(screen.contains("! usage: /nick NAME"), "{screen}");
    assert!(screen.contains("* you are now known as bob"), "{screen}");
    watcher.expect("JOIN bob").await;
    watcher.expect("MSG bob hi").await;
    watcher.expect("LEAVE bob gone").await;
    server.stop().await;
}

#[tokio::test]
async fn a_too_long_quit_reason_is_refused_and_the_client_stays() {
    let server = TestServer::start(Config::default()).await;
    let mut watcher = server.joined("watcher").await;
    let long = format!("/quit {}", "q".repeat(1100));
    let screen = session(&server, options(Some("q")), &[&long, "/quit bye"]).await;
    watcher.expect("JOIN q").await;
    // Sent, the long QUIT would have been answered ERR (not BYE): the
    // client would have waited its whole --timeout, then left without it.
    assert!(
        screen.contains("! too long: sent as \"QUIT …\" it is 1105 bytes"),
        "{screen}"
    );
    assert!(!screen.contains("! error"), "never sent: {screen}");
    assert!(!screen.contains("no goodbye"), "{screen}");
    watcher.expect("LEAVE q bye").await;
    server.stop().await;
}

/// A stand-in for a server that does not remove control characters: it
/// greets, accepts any nickname, sends `lines` (a `BYE`, or a line cut
/// short, …) and closes.
async fn careless_server(lines: &'static [u8]) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        write.write_all(b"HELLO careless\n").await.unwrap();
        let mut nick = String::new();
        BufReader::new(read).read_line(&mut nick).await.unwrap();
        write.write_all(b"OK NICK me\n").await.unwrap();
        write.write_all(lines).await.unwrap();
    });
    addr
}

/// What the client shows of `careless_server(lines)`, raw or rendered.
async fn screen_of_careless_server(lines: &'static [u8], raw: bool) -> String {
    let addr = careless_server(lines).await;
    let (_typing, keyboard) = mpsc::channel(1); // the user is there, silent
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut screen = Vec::new();
    let options = Options {
        raw,
        ..options(Some("me"))
    };
    let run = chat(stream, &options, keyboard, &mut screen);
    tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("chat ends at BYE or at the close")
        .expect("chat succeeds");
    String::from_utf8(screen).unwrap()
}

/// A server that closes in the middle of a line: what came of it is shown
/// as cut short, not as a whole message (nor a `BYE` without its LF taken
/// for a goodbye: the close is what ends the conversation).
#[tokio::test]
async fn a_line_cut_by_the_close_is_not_shown_as_a_whole_message() {
    let screen = screen_of_careless_server(b"MSG eve pay 100\nMSG eve pay 1\x1b", false).await;
    assert!(screen.contains("<eve> pay 100\n"), "{screen}");
    assert!(!screen.contains("<eve> pay 1\n"), "{screen}");
    assert!(
        screen.contains("? the server closed the connection in the middle of a line (no LF), which said: MSG eve pay 1\\u{1b}\n"),
        "{screen}"
    );
    assert!(
        screen.ends_with("* the server closed the connection\n"),
        "{screen}"
    );
}

/// What the client says when the server sends `first` (no LF) and closes:
/// its error, and its screen.
async fn first_line_cut_by_the_close(first: &'static [u8]) -> (String, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        stream.write_all(first).await.unwrap();
    });
    let (_typing, keyboard) = mpsc::channel(1);
    let stream = TcpStream::connect(addr).await.unwrap();
    let mut screen = Vec::new();
    let options = options(Some("me"));
    let run = chat(stream, &options, keyboard, &mut screen);
    let err = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("chat ends at the close")
        .expect_err("no greeting");
    (err.to_string(), String::from_utf8(screen).unwrap())
}

/// Half a `HELLO`, then the close: not a chat/1 greeting, and the error
/// says what was wrong with it (not that it was no `HELLO`).
#[tokio::test]
async fn a_first_line_cut_by_the_close_is_explained() {
    let (err, screen) = first_line_cut_by_the_close(b"HELLO but no LF").await;
    assert!(err.contains("in the middle of its first line"), "{err}");
    assert!(screen.contains("which said: HELLO but no LF\n"), "{screen}");
}

/// The close may come in the middle of a character, too: still a cut
/// line, not a server of another protocol.
#[tokio::test]
async fn a_first_line_cut_in_a_character_is_explained_as_cut() {
    // "HELLO café" cut after the first byte of "é" (c3 a9).
    let (err, screen) = first_line_cut_by_the_close(b"HELLO caf\xc3").await;
    assert!(err.contains("in the middle of its first line"), "{err}");
    assert!(screen.contains("which said: HELLO caf\n"), "{screen}");
}

/// Clear the screen, retitle the terminal, the one-byte CSI of C1; then BYE.
const ESCAPES: &[u8] =
    "MSG eve \u{1b}[2J\u{1b}]0;pwned\u{7}hi\nMSG eve \u{9b}31mred\nBYE\n".as_bytes();

#[tokio::test]
async fn control_characters_from_the_server_are_shown_escaped() {
    let screen = screen_of_careless_server(ESCAPES, false).await;
    assert!(
        screen.contains("<eve> \\u{1b}[2J\\u{1b}]0;pwned\\u{7}hi\n"),
        "{screen}"
    );
    assert!(screen.contains("<eve> \\u{9b}31mred\n"), "{screen}");
    assert!(
        !screen.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "{screen:?}"
    );
}

#[tokio::test]
async fn raw_mode_shows_control_characters_escaped_too() {
    // "Exactly as received" must not mean "obeyed by the terminal".
    let screen = screen_of_careless_server(ESCAPES, true).await;
    assert!(
        screen.contains("MSG eve \\u{1b}[2J\\u{1b}]0;pwned\\u{7}hi\n"),
        "{screen}"
    );
    assert!(screen.contains("MSG eve \\u{9b}31mred\n"), "{screen}");
    assert!(
        !screen.contains(['\u{1b}', '\u{7}', '\u{9b}']),
        "{screen:?}"
    );
}
