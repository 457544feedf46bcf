//! The client's conversation loop, in-process: a scripted keyboard (a
//! channel) and a screen (a byte buffer) against a real in-process server.

mod common;

use std::time::Duration;

use chat::client::{Options, chat};
use chat::server::Config;
use common::TestServer;
use tokio::net::TcpStream;
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
    assert!(screen.contains("! too long"), "{screen}");
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
