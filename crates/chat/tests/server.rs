//! The chat server, run in-process on a free loopback port and driven by raw
//! TCP clients: every rule of chat/1 and every limit, checked on the wire.

mod common;

use std::time::Duration;

use chat::server::Config;
use common::{Client, TestServer, WAIT};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

fn config() -> Config {
    Config::default()
}

#[tokio::test]
async fn hello_join_notices_and_list() {
    let server = TestServer::start(config()).await;
    let mut alice = server.joined("alice").await;
    let mut bob = server.joined("bob").await;
    alice.expect("JOIN bob").await;
    // bob is not told about people already there: he asks.
    bob.send("LIST").await;
    bob.expect("USERS alice bob").await;
    // A client without a nickname is connected but not in the room.
    let mut lurker = server.client().await;
    lurker.send("LIST").await;
    lurker.expect("USERS alice bob").await;
    alice.expect_nothing_pending("1").await;
    server.stop().await;
}

#[tokio::test]
async fn list_is_empty_then_sorted_case_insensitively() {
    let server = TestServer::start(config()).await;
    let mut first = server.client().await;
    first.send("list").await;
    first.expect("USERS").await;
    let _c = server.joined("carol").await;
    let _a = server.joined("Alice").await;
    let _b = server.joined("bob").await;
    first.send("LIST").await;
    first.expect("USERS Alice bob carol").await;
    server.stop().await;
}

#[tokio::test]
async fn messages_reach_everyone_with_the_sender_included() {
    let server = TestServer::start(config()).await;
    let mut alice = server.joined("alice").await;
    let mut bob = server.joined("bob").await;
    alice.expect("JOIN bob").await;
    let mut lurker = server.client().await;
    alice.send("MSG hello  bob, how are you?").await;
    alice.expect("MSG alice hello  bob, how are you?").await;
    bob.expect("MSG alice hello  bob, how are you?").await;
    // Without a nickname, no messages.
    lurker.expect_nothing_pending("x").await;
    server.stop().await;
}

/// A silent connection holds no read buffer: one is taken when bytes arrive
/// and given back when no half line is left in it. A line that arrives in
/// pieces, with pauses between them, must survive that.
#[tokio::test]
async fn a_line_that_arrives_in_pieces_is_one_command() {
    let server = TestServer::start(config()).await;
    let mut alice = server.joined("alice").await;
    let pieces: [&[u8]; 5] = [b"MS", b"G hel", b"lo\nPI", b"NG 7", b"\r\n"];
    for piece in pieces {
        alice.send_bytes(piece).await;
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    alice.expect("MSG alice hello").await;
    alice.expect("PONG 7").await;
    // After a pause long enough for the buffer to have been given back.
    tokio::time::sleep(Duration::from_millis(100)).await;
    alice.send("PING 8").await;
    alice.expect("PONG 8").await;
    server.stop().await;
}

/// chat/1: a line queued for a client before one of its commands is read is
/// written before the answer to that command, however many wait. Alice
/// reads nothing while bob sends her thousands of private messages, so her
/// queue is long (her socket is full) when her own MSG and PING are read:
/// her copy of the MSG and the PONG must still come after all of them.
/// Alice (a small receive buffer, reading nothing) and bob in a room that
/// queues up to `2 n` lines; bob sends her `n` private messages of 900
/// bytes, all confirmed, so that most of them wait in her queue.
async fn alice_with_a_long_queue(n: usize) -> (TestServer, Client, Client) {
    let server = TestServer::start(Config {
        max_queue: 2 * n,
        ..config()
    })
    .await;
    let mut alice = Client::connect_small(server.addr).await;
    alice.expect_prefix("HELLO ").await;
    alice.send("NICK alice").await;
    alice.expect("OK NICK alice").await;
    let mut bob = server.joined("bob").await;
    alice.expect("JOIN bob").await;
    let text = "x".repeat(900);
    let mut privs = String::new();
    for i in 0..n {
        privs.push_str(&format!("PRIV alice {i:04} {text}\n"));
    }
    // Bob reads his confirmations while he writes: his socket must not
    // fill up, or the server would stop reading him (backpressure).
    let (reader, writer) = (&mut bob.reader, &mut bob.writer);
    let send = async { writer.write_all(privs.as_bytes()).await.expect("write") };
    let confirm = async {
        let mut line = Vec::new();
        for i in 0..n {
            line.clear();
            reader.read_until(b'\n', &mut line).await.expect("read");
            assert_eq!(line, b"OK PRIV alice\n", "confirmation {i}");
        }
    };
    tokio::time::timeout(WAIT, async { tokio::join!(send, confirm) })
        .await
        .expect("bob's private messages are sent and confirmed in time");
    (server, alice, bob)
}

/// Checks that alice's next `n` lines are bob's private messages, in order.
async fn expect_privs_from_bob(alice: &mut Client, n: usize) {
    for i in 0..n {
        let line = alice.line().await;
        assert!(
            line.starts_with(&format!("PRIV bob {i:04} ")),
            "line {i}: {line:.40}"
        );
    }
}

#[tokio::test]
async fn an_answer_waits_for_every_line_queued_before_its_command() {
    const N: usize = 6000;
    let (server, mut alice, mut bob) = alice_with_a_long_queue(N).await;
    // Every PRIV is queued for alice or already on its way to her.
    alice.send_bytes(b"MSG mine\nPING p\n").await;
    expect_privs_from_bob(&mut alice, N).await;
    alice.expect("MSG alice mine").await;
    alice.expect("PONG p").await;
    bob.expect("MSG alice mine").await;
    server.stop().await;
}

/// A paste: many MSG lines in one write, more than one broadcast batch
/// (4 KiB) of them. Everyone gets every line in order, the sender's copies
/// come before the answer to the command that follows the paste, and a
/// small queue does not cut off a client that reads.
#[tokio::test]
async fn a_pasted_page_reaches_everyone_whole_and_in_order() {
    const LINES: usize = 300;
    let server = TestServer::start(Config {
        max_queue: 4,
        ..config()
    })
    .await;
    let mut alice = server.joined("alice").await;
    let mut bob = server.joined("bob").await;
    alice.expect("JOIN bob").await;
    let mut paste = String::new();
    for i in 0..LINES {
        paste.push_str(&format!("MSG line {i:03} of a page pasted in one go\n"));
    }
    paste.push_str("PING end\nMSG after\n");
    assert!(
        paste.len() > 2 * 4096,
        "the paste must span several batches"
    );
    alice.send_bytes(paste.as_bytes()).await;
    for i in 0..LINES {
        let line = format!("MSG alice line {i:03} of a page pasted in one go");
        bob.expect(&line).await;
        alice.expect(&line).await;
    }
    alice.expect("PONG end").await;
    alice.expect("MSG alice after").await;
    bob.expect("MSG alice after").await;
    bob.expect_nothing_pending("b").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_sees_the_same_order() {
    const SENDERS: usize = 4;
    const EACH: usize = 100;
    let server = TestServer::start(config()).await;
    let mut clients = Vec::new();
    for i in 0..SENDERS {
        clients.push(server.joined(&format!("c{i}")).await);
    }
    // Skip the JOIN notices: each client saw the ones after it.
    for (i, client) in clients.iter_mut().enumerate() {
        for j in i + 1..SENDERS {
            client.expect(&format!("JOIN c{j}")).await;
        }
    }
    // Everybody sends at once, and reads everything.
    let mut tasks = Vec::new();
    for (i, mut client) in clients.into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            let mut batch = String::new();
            for n in 0..EACH {
                batch.push_str(&format!("MSG {i}:{n}\n"));
            }
            client.send_bytes(batch.as_bytes()).await;
            let mut seen = Vec::new();
            for _ in 0..SENDERS * EACH {
                seen.push(client.line().await);
            }
            seen
        }));
    }
    let mut orders = Vec::new();
    for task in tasks {
        orders.push(task.await.unwrap());
    }
    for order in &orders[1..] {
        assert_eq!(order, &orders[0], "all clients see one global order");
    }
    // And each sender's messages keep the order they were sent in.
    for i in 0..SENDERS {
        let mine: Vec<&String> = orders[0]
            .iter()
            .filter(|l| l.starts_with(&format!("MSG c{i} ")))
            .collect();
        let expected: Vec<String> = (0..EACH).map(|n| format!("MSG c{i} {i}:{n}")).collect();
        assert_eq!(mine, expected.iter().collect::<Vec<_>>());
    }
    server.stop().await;
}

#[tokio::test]
async fn nicknames_are_unique_case_insensitively_and_can_change() {
    let server = TestServer::start(config()).await;
    let mut alice = server.joined("alice").await;
    let mut other = server.client().await;
    other.send("NICK ALICE").await;
    other.expect_prefix("ERR ").await;
    other.send("nick Alice").await;
    other.expect_prefix("ERR ").await;
    // A refused name does not register: still no messages allowed.
    other.send("MSG hi").await;
    other.expect_prefix("ERR ").await;
    other.send("NICK bob").await;
    other.expect("OK NICK bob").await;
    alice.expect("JOIN bob").await;
    // Renaming tells the others with NICK old new.
    other.send("NICK robert").await;
    other.expect("OK NICK robert").await;
    alice.expect("NICK bob robert").await;
    // The old name is free again; changing one's own case is allowed.
    alice.send("NICK Bob").await;
    alice.expect("OK NICK Bob").await;
    other.expect("NICK alice Bob").await;
    alice.send("NICK Robert").await;
    alice.expect_prefix("ERR ").await;
    server.stop().await;
}

#[tokio::test]
async fn invalid_nicknames_are_refused() {
    let server = TestServer::start(config()).await;
    let mut c = server.client().await;
    for bad in [
        "NICK",
        "NICK ",
        "NICK a b",
        "NICK abcdefghijklmnopq",
        "NICK zoé",
        "NICK bob!",
    ] {
        c.send(bad).await;
        c.expect_prefix("ERR ").await;
    }
    c.send("NICK abcdefghijklmnop").await;
    c.expect("OK NICK abcdefghijklmnop").await;
    server.stop().await;
}

#[tokio::test]
async fn private_messages_reach_only_their_target() {
    let server = TestServer::start(config()).await;
    let mut alice = server.joined("alice").await;
    let mut bob = server.joined("bob").await;
    let mut carol = server.joined("carol").await;
    alice.skip_to("JOIN carol", 2).await;
    bob.expect("JOIN carol").await;
    alice.send("PRIV bob see you at 5").await;
    alice.expect("OK PRIV bob").await;
    bob.expect("PRIV alice see you at 5").await;
    carol.expect_nothing_pending("c").await;
    // Case-insensitive target.
    alice.send("PRIV BOB again").await;
    alice.expect("OK PRIV bob").await;
    bob.expect("PRIV alice again").await;
    alice.send("PRIV nobody hello").await;
    alice.expect_prefix("ERR ").await;
    alice.send("PRIV bob").await;
    alice.expect_prefix("ERR ").await;
    // Not before NICK.
    let mut anonymous = server.client().await;
    anonymous.send("PRIV bob hi").await;
    anonymous.expect_prefix("ERR ").await;
    bob.expect_nothing_pending("b").await;
    server.stop().await;
}

#[tokio::test]
async fn leave_on_quit_and_on_a_dropped_socket() {
    let server = TestServer::start(config()).await;
    let mut alice = server.joined("alice").await;
    let mut bob = server.joined("bob").await;
    let carol = server.joined("carol").await;
    alice.skip_to("JOIN carol", 2).await;
    bob.expect("JOIN carol").await;
    bob.send("QUIT see you").await;
    bob.expect("BYE").await;
    bob.expect_closed().await;
    alice.expect("LEAVE bob see you").await;
    drop(carol);
    alice.expect("LEAVE carol").await;
    alice.send("LIST").await;
    alice.expect("USERS alice").await;
    // QUIT without a reason, and QUIT before NICK (nobody to tell).
    let mut dave = server.joined("dave").await;
    alice.expect("JOIN dave").await;
    dave.send("quit").await;
    dave.expect("BYE").await;
    alice.expect("LEAVE dave").await;
    let mut anonymous = server.client().await;
    anonymous.send("QUIT").await;
    anonymous.expect("BYE").await;
    anonymous.expect_closed().await;
    alice.expect_nothing_pending("a").await;
    server.stop().await;
}

#[tokio::test]
async fn one_client_over_the_limit_is_refused() {
    let server = TestServer::start(Config {
        max_clients: 2,
        ..config()
    })
    .await;
    let mut a = server.joined("a").await;
    let b = server.client().await; // unnamed clients count too
    let mut refused = Client::connect(server.addr).await;
    refused.expect("ERR server full").await;
    refused.expect_closed().await;
    drop(b);
    // The seat is free again (give the server a moment to notice).
    let mut admitted = None;
    for _ in 0..100 {
        let mut c = Client::connect(server.addr).await;
        if c.line().await.starts_with("HELLO") {
            admitted = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        admitted.is_some(),
        "a seat freed by a leaving client is reused"
    );
    a.expect_nothing_pending("a").await;
    server.stop().await;
}

/// The tests whose readers must keep up with a flood take turns. The
/// server cuts off a reader whose queue stays over half full for a tenth of
/// a second (`CATCH_UP`) while it takes nothing: with every test of this
/// file at once (`RUST_TEST_THREADS=16` on two cores), one flood's reader
/// threads waited longer than that for a core and were cut off
/// (`many_senders_at_once_do_not_cut_off_readers_with_a_small_queue`: "cut
/// off after 1155 lines"), though they did nothing wrong. One flood at a
/// time keeps what they test (pacing, not the scheduler) in view.
fn one_flood_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static FLOODS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    FLOODS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A flood (a paste of 4.5 MB) on a server with two threads and a small
/// queue. The sender reads its own copies at full speed, so nothing slows
/// it down; the others look away for a moment (80 ms) once, then read on:
/// a pause is not "stopped reading", so none may be cut off. The sender's
/// lines must be taken only as fast as the room writes them out. The
/// clients are plain threads, as real programs beside the server would be.
#[test]
fn readers_that_pause_for_a_moment_are_not_cut_off_by_a_flood() {
    let _turn = one_flood_at_a_time();
    use std::io::{Read, Write};
    use std::net::TcpStream;

    const LINES: usize = 5000;
    const READERS: usize = 3;
    const SMALL_BUFFER: u32 = 16 * 1024;
    // Shorter than the longest wait of a sender for its readers (100 ms).
    const PAUSE: Duration = Duration::from_millis(80);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(TestServer::start(Config {
        max_queue: 32,
        ..config()
    }));
    // The pausing readers get a small receive buffer, so that the kernel
    // cannot hold the paste for them while they look away: the server's
    // queues have to.
    let connect = |small: bool| {
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if small {
            socket.set_recv_buffer_size(SMALL_BUFFER).unwrap();
        }
        let stream = runtime.block_on(socket.connect(server.addr)).unwrap();
        let stream = stream.into_std().unwrap();
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream
    };
    let join = |nick: &str, small: bool| {
        let mut stream = connect(small);
        take_nick_blocking(&mut stream, nick);
        stream
    };
    // Reads until every MSG of the paste has come, checking their order;
    // a pausing reader stops for PAUSE after its first 100 lines.
    let read_all = |mut stream: TcpStream, pause: bool| {
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 1 << 20];
            let mut paused = !pause;
            let mut partial = Vec::new();
            let mut i = 0;
            while i < LINES {
                let n = stream.read(&mut buf).expect("bytes in time");
                assert!(n > 0, "cut off after {i} lines");
                partial.extend_from_slice(&buf[..n]);
                while let Some(end) = partial.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = partial.drain(..=end).collect();
                    if line.starts_with(b"JOIN ") {
                        continue;
                    }
                    let want = format!("MSG flooder {i:04} ");
                    let got = String::from_utf8_lossy(&line);
                    assert!(got.starts_with(&want), "line {i}: {got:.40}");
                    i += 1;
                }
                if !paused && i >= 100 {
                    paused = true;
                    std::thread::sleep(PAUSE);
                }
            }
            stream // kept open until the end: see below
        })
    };
    let flooder = join("flooder", false);
    let mut reading = vec![read_all(flooder.try_clone().unwrap(), false)];
    for i in 0..READERS {
        reading.push(read_all(join(&format!("reader{i}"), true), true));
    }
    let text = "z".repeat(900);
    let paste: String = (0..LINES).map(|i| format!("MSG {i:04} {text}\n")).collect();
    (&flooder).write_all(paste.as_bytes()).unwrap();
    // Each reader hands its socket back instead of dropping it: closing one
    // is a half-close, and the server closes a client that sends no more.
    let _open: Vec<TcpStream> = reading
        .into_iter()
        .map(|r| {
            r.join()
                .expect("every client gets the whole paste, in order, without being cut off")
        })
        .collect();
    runtime.block_on(server.stop());
}

/// Many clients pasting at once, each reading everything at full speed: a
/// reader is never "behind", so none may be cut off, however small the
/// queue. Each sender used to check the others' queues only every few
/// broadcasts (a quarter of a queue): with more than a few senders at
/// once, their batches together filled a reader's queue before it had a
/// turn, and readers that did nothing wrong were cut off.
#[test]
fn many_senders_at_once_do_not_cut_off_readers_with_a_small_queue() {
    let _turn = one_flood_at_a_time();
    for threads in [1, 2] {
        pasting_together(threads, false);
    }
}

/// The same, with one more client in the room that never reads: it alone
/// is cut off. Once a sender had waited for it in vain, it let the others
/// catch up only every few broadcasts again, and until that client was
/// gone (then a moment more) the pastes filled the queues of readers that
/// did nothing wrong, as if the room had no pacing at all.
#[test]
fn a_client_that_never_reads_does_not_turn_the_pacing_off_for_the_others() {
    let _turn = one_flood_at_a_time();
    for round in 0..3 {
        pasting_together(1 + round % 2, true);
    }
}

/// Sends `NICK nick` over a plain blocking socket and reads up to its `OK`
/// (for the tests whose clients are threads, as real programs beside the
/// server would be). The socket must have a read time-out.
fn take_nick_blocking(stream: &mut std::net::TcpStream, nick: &str) {
    use std::io::{Read, Write};
    stream
        .write_all(format!("NICK {nick}\n").as_bytes())
        .unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8];
    while !seen.ends_with(format!("OK NICK {nick}\n").as_bytes()) {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "{nick} joins");
        seen.push(byte[0]);
    }
}

/// Six clients paste 1000 long lines each at once and read everything;
/// with `frozen`, one more reads nothing. Panics if a reader is cut off.
fn pasting_together(threads: usize, frozen: bool) {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    const CLIENTS: usize = 6;
    const LINES: usize = 1000;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(TestServer::start(Config {
        max_queue: 32,
        ..config()
    }));
    let join = |nick: &str| {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        take_nick_blocking(&mut stream, nick);
        stream
    };
    // Joined first, so that it is the first whose queue fills.
    let _frozen = frozen.then(|| join("frozen"));
    let clients: Vec<TcpStream> = (0..CLIENTS).map(|i| join(&format!("c{i}"))).collect();
    // Each client reads until it has every MSG line of every paste.
    let readers: Vec<_> = clients
        .iter()
        .map(|client| {
            let mut stream = client.try_clone().unwrap();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 1 << 16];
                let (mut msgs, mut partial) = (0, Vec::new());
                while msgs < CLIENTS * LINES {
                    let n = stream.read(&mut buf).expect("bytes in time");
                    assert!(n > 0, "cut off after {msgs} lines");
                    partial.extend_from_slice(&buf[..n]);
                    while let Some(end) = partial.iter().position(|&b| b == b'\n') {
                        if partial.starts_with(b"MSG ") {
                            msgs += 1;
                        }
                        partial.drain(..=end);
                    }
                }
                stream // kept open until the end: closing is a half-close
            })
        })
        .collect();
    let text = "z".repeat(900);
    let writers: Vec<_> = clients
        .iter()
        .map(|client| {
            let mut stream = client.try_clone().unwrap();
            let paste: String = (0..LINES).map(|i| format!("MSG {i:04} {text}\n")).collect();
            std::thread::spawn(move || stream.write_all(paste.as_bytes()).unwrap())
        })
        .collect();
    for writer in writers {
        writer.join().expect("every paste is sent");
    }
    let _open: Vec<TcpStream> = readers
        .into_iter()
        .map(|r| {
            r.join().unwrap_or_else(|_| {
                panic!("{threads} thread(s), frozen client {frozen}: a reader was cut off")
            })
        })
        .collect();
    runtime.block_on(server.stop());
}

#[tokio::test]
async fn a_client_that_never_reads_is_cut_off_and_the_others_are_not() {
    let server = TestServer::start(Config {
        max_queue: 8,
        ..config()
    })
    .await;
    let mut talker = server.joined("talker").await;
    let mut reader = server.joined("reader").await;
    let mut lazy = server.joined("lazy").await; // reads nothing from now on
    talker.skip_to("JOIN lazy", 2).await;
    reader.expect("JOIN lazy").await;

    // Far more than the lazy client's socket buffers and queue can hold:
    // batches of 100 lines of 1000 bytes, up to 40 MB in all.
    let text = "x".repeat(1000);
    let mut seen_leave = false;
    for batch in 0..400 {
        let lines: String = (0..100)
            .map(|n| format!("MSG {batch}.{n} {text}\n"))
            .collect();
        talker.send_bytes(lines.as_bytes()).await;
        for n in 0..100 {
            let expected = format!("MSG talker {batch}.{n} {text}");
            // LEAVE lazy reaches both at the same point of the global order.
            let mut mine = talker.line().await;
            let mut line = reader.line().await;
            if line == "LEAVE lazy" {
                seen_leave = true;
                assert_eq!(mine, "LEAVE lazy");
                mine = talker.line().await;
                line = reader.line().await;
            }
            assert_eq!(mine, expected);
            assert_eq!(line, expected, "the reader receives everything, in order");
        }
        if seen_leave {
            break;
        }
    }
    assert!(seen_leave, "the lazy client was disconnected");
    reader.send("LIST").await;
    reader.skip_to("USERS reader talker", 3).await;
    // Its connection is closed: it reads what was buffered, then the end.
    let buffered = lazy.read_to_close().await;
    assert!(buffered < 64 * 1024 * 1024, "bounded: {buffered} bytes");
    server.stop().await;
}

#[tokio::test]
async fn pipelined_commands_are_all_answered_in_order() {
    let server = TestServer::start(config()).await;
    let mut c = server.client().await;
    c.send_bytes(
        b"PING 1\nNICK alice\nMSG one\nPING 2\nLIST\nBOGUS\nMSG two\r\nHELP\nPING 3\nQUIT\n",
    )
    .await;
    c.expect("PONG 1").await;
    c.expect("OK NICK alice").await;
    c.expect("MSG alice one").await;
    c.expect("PONG 2").await;
    c.expect("USERS alice").await;
    c.expect_prefix("ERR ").await;
    c.expect("MSG alice two").await;
    c.expect_prefix("OK ").await;
    c.expect("PONG 3").await;
    c.expect("BYE").await;
    c.expect_closed().await;
    server.stop().await;
}

#[tokio::test]
async fn a_flood_of_pipelined_commands_is_answered_even_with_a_tiny_queue() {
    const N: usize = 20_000;
    let server = TestServer::start(Config {
        max_queue: 2,
        ..config()
    })
    .await;
    let c = server.client().await;
    let mut batch = String::new();
    for n in 0..N {
        batch.push_str(&format!("PING {n}\n"));
    }
    // Write everything in another task while this one reads late: the
    // server must stop reading us rather than drop or cut us off.
    let (reader, mut writer) = (c.reader, c.writer);
    let writing = tokio::spawn(async move {
        tokio::io::AsyncWriteExt::write_all(&mut writer, batch.as_bytes())
            .await
            .unwrap();
        writer
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut c = Client {
        reader,
        writer: writing.await.unwrap(),
    };
    for n in 0..N {
        c.expect(&format!("PONG {n}")).await;
    }
    server.stop().await;
}

/// A client that pipelines commands while the room floods it keeps being
/// answered. Its connection's task used to spin for ever (a worker thread
/// at 100 %, the client frozen, never cut off) when a command waited for
/// lines queued before it that tokio would not hand over: a task that has
/// used up its turn (its co-operative "budget") gets nothing more from a
/// channel until it yields.
///
/// The server runs on two worker threads, so that bob's lines reach alice's
/// queue while her task runs; the clients run on a runtime of their own, so
/// that their time-outs still work if a server thread spins.
#[test]
fn a_client_pipelining_in_a_flooded_room_keeps_being_answered() {
    let _turn = one_flood_at_a_time();
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the server's runtime");
    let server = server_runtime.block_on(TestServer::start(config()));
    let clients_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the clients' runtime");
    let scenario = async {
        let mut alice = server.joined("alice").await;
        let mut bob = server.joined("bob").await;
        alice.expect("JOIN bob").await;
        // Bob floods the room and reads what comes back, until alice is done.
        let (bob_reader, bob_writer) = (&mut bob.reader, &mut bob.writer);
        let bob_floods = async {
            let burst = "MSG hello\n".repeat(200);
            while bob_writer.write_all(burst.as_bytes()).await.is_ok() {}
        };
        let bob_reads = async {
            let mut sink = vec![0; 64 * 1024];
            loop {
                let read = tokio::io::AsyncReadExt::read(bob_reader, &mut sink);
                if !matches!(tokio::time::timeout(WAIT, read).await, Ok(Ok(1..))) {
                    break;
                }
            }
        };
        let bob = async {
            tokio::join!(bob_floods, bob_reads);
            std::future::pending::<()>().await;
        };
        // Alice pings for two seconds, reading the answers (and bob's lines).
        let (reader, writer) = (&mut alice.reader, &mut alice.writer);
        let alice_pings = async {
            let pings: String = (0..1000).map(|n| format!("PING {n}\n")).collect();
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(2) {
                writer.write_all(pings.as_bytes()).await.expect("write");
            }
            writer.write_all(b"PING end\n").await.expect("write");
        };
        let alice_reads = async {
            let mut line = Vec::new();
            while line != b"PONG end\n" {
                line.clear();
                let read = tokio::time::timeout(WAIT, reader.read_until(b'\n', &mut line));
                let read = read.await.expect("alice's next line comes in time");
                assert!(read.expect("read") > 0, "alice was disconnected");
            }
        };
        tokio::select! {
            _ = async { tokio::join!(alice_pings, alice_reads) } => {}
            () = bob => {}
        }
    };
    // A failure must not unwind through the server's runtime: dropping it
    // would wait for ever for a spinning task.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        clients_runtime
            .block_on(async { tokio::time::timeout(Duration::from_secs(60), scenario).await })
    }));
    server_runtime.shutdown_background();
    match outcome {
        Ok(done) => done.expect("alice gets every answer: her connection did not freeze"),
        Err(failure) => std::panic::resume_unwind(failure),
    }
}

#[tokio::test]
async fn bad_input_gets_err_and_the_connection_stays_open() {
    let server = TestServer::start(config()).await;
    let mut bob = server.joined("bob").await;
    let mut c = server.client().await;
    c.send("MSG too early").await;
    c.expect("ERR choose a nickname first: NICK <name>").await;
    c.send("NICK eve").await;
    c.expect("OK NICK eve").await;
    bob.expect("JOIN eve").await;
    for bad in [
        "FROB",
        "",
        "MSG",
        "MSG ",
        "PRIV",
        "PRIV bob",
        "PRIV bob ",
        "NICK",
    ] {
        c.send(bad).await;
        c.expect_prefix("ERR ").await;
    }
    c.send_bytes(b"MSG \xff\xfe\n").await;
    c.expect_prefix("ERR ").await;
    // 1025 bytes: refused, and the rest of the line is skipped.
    let long = format!("MSG {}", "y".repeat(1021));
    assert_eq!(long.len(), 1025);
    c.send(&long).await;
    c.expect_prefix("ERR ").await;
    // 1024 bytes (with CRLF): accepted.
    let text = "z".repeat(1020);
    c.send_bytes(format!("MSG {text}\r\n").as_bytes()).await;
    c.expect(&format!("MSG eve {text}")).await;
    bob.expect(&format!("MSG eve {text}")).await;
    // A huge line, in pieces.
    for _ in 0..100 {
        c.send_bytes(&[b'w'; 1000]).await;
    }
    c.send_bytes(b"\nPING after\n").await;
    c.expect_prefix("ERR ").await;
    c.expect("PONG after").await;
    server.stop().await;
}

#[tokio::test]
async fn control_characters_never_reach_other_screens() {
    let server = TestServer::start(config()).await;
    let mut alice = server.joined("alice").await;
    let mut eve = server.client().await;
    eve.send("NICK e\u{1b}ve").await;
    eve.expect("OK NICK eve").await;
    alice.expect("JOIN eve").await;
    eve.send("MSG \u{1b}[2Jhi\u{7}\u{9b}31m there\t!\r").await;
    eve.expect("MSG eve [2Jhi31m there!").await;
    alice.expect("MSG eve [2Jhi31m there!").await;
    eve.send("PRIV alice \u{0}secret\u{85}").await;
    eve.expect("OK PRIV alice").await;
    alice.expect("PRIV eve secret").await;
    server.stop().await;
}

#[tokio::test]
async fn ping_and_help_work_before_nick() {
    let server = TestServer::start(config()).await;
    let mut c = server.client().await;
    c.send("PING").await;
    c.expect("PONG").await;
    c.send("ping hello there").await;
    c.expect("PONG hello there").await;
    c.send("HELP").await;
    let help = c.expect_prefix("OK ").await;
    for verb in ["NICK", "MSG", "PRIV", "LIST", "PING", "HELP", "QUIT"] {
        assert!(help.contains(verb), "{help}");
    }
    server.stop().await;
}

#[tokio::test]
async fn connections_without_a_nickname_time_out() {
    // 1 s, not 0.3 s: `named` too has only that long to send its NICK, and
    // a busy machine could hold this test back for 0.3 s.
    let server = TestServer::start(Config {
        nick_timeout: Duration::from_secs(1),
        ..config()
    })
    .await;
    let mut named = server.joined("named").await;
    let mut silent = server.client().await;
    let mut pinger = server.client().await;
    pinger.send("PING").await;
    pinger.expect("PONG").await;
    let started = std::time::Instant::now();
    silent.expect("BYE no nickname after 1 s").await;
    silent.expect_closed().await;
    pinger.expect_prefix("BYE ").await;
    assert!(started.elapsed() < Duration::from_secs(5));
    // The time-out only concerns connections without a name.
    tokio::time::sleep(Duration::from_millis(400)).await;
    named.expect_nothing_pending("still here").await;
    server.stop().await;
}

/// `Config` is public, and a program may set a time-out to `Duration::MAX`
/// to mean "never". It means that, not a panic: no deadline computed from
/// it may overflow (`Instant + Duration::MAX` panics).
#[tokio::test]
async fn time_outs_of_duration_max_mean_never() {
    let server = TestServer::start(Config {
        nick_timeout: Duration::MAX,
        write_timeout: Duration::MAX,
        ..config()
    })
    .await;
    let mut c = server.client().await;
    c.send("PING never").await;
    c.expect("PONG never").await;
    c.send("NICK patient").await;
    c.expect("OK NICK patient").await;
    server.stop().await;
}

#[tokio::test]
async fn a_client_that_does_not_read_its_own_replies_times_out_on_write() {
    let server = TestServer::start(Config {
        write_timeout: Duration::from_millis(500),
        ..config()
    })
    .await;
    let mut watcher = server.joined("watcher").await;
    let mut c = server.joined("slow").await;
    watcher.expect("JOIN slow").await;
    // Many PINGs, never reading a PONG: once the socket buffers are full
    // the server cannot write, and after the write time-out it gives up.
    let batch = "PING some-token\n".repeat(10_000);
    let mut closed = false;
    for _ in 0..200 {
        let write = tokio::time::timeout(
            Duration::from_millis(200),
            c.send_bytes_checked(batch.as_bytes()),
        );
        match write.await {
            Ok(Ok(())) | Err(_) => {}
            Ok(Err(_)) => {
                closed = true;
                break;
            }
        }
    }
    assert!(
        closed,
        "the server closed a connection it could not write to"
    );
    // The room is told, as for any connection that ends without QUIT.
    watcher.expect("LEAVE slow").await;
    let mut other = server.client().await;
    other.expect_nothing_pending("fine").await;
    server.stop().await;
}

/// The link of a client on a slow network, as the server sees it: a small
/// receive buffer and a small segment size (`TCP_MAXSEG`). The segment size
/// matters: Linux sizes a connection's send buffer from it, and with
/// loopback's 64 KiB segments the server's kernel takes megabytes before
/// its writes wait; here about 120 KB at first, some 260 KB later
/// (measured), so what the server writes waits on the reader, as over a
/// slow link.
async fn connect_over_a_slow_link(addr: std::net::SocketAddr) -> tokio::net::TcpStream {
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    // socket2 offers TCP_MAXSEG on Unix only; the workspace must still
    // compile for Windows (.ci/run checks it), where these tests would run
    // with the system's own segment size.
    #[cfg(unix)]
    socket.set_tcp_mss(1000).expect("TCP_MAXSEG");
    // Blocking, on loopback: the listener's backlog answers at once.
    socket.connect(&addr.into()).expect("connect");
    socket.set_nonblocking(true).expect("non-blocking");
    tokio::net::TcpStream::from_std(socket.into()).expect("into tokio")
}

/// Reads what the server sends a little at a time: `CHUNK` bytes at most
/// every `PAUSE`, so 200 KB/s at most, whatever the machine. With
/// `give_up_after` it stops reading after that many bytes (and returns no
/// lines). Returns the lines read up to `last`, or `None` if the server
/// closed the connection first. Bounded: `SLOW_READ_LIMIT` in all.
async fn read_slowly(
    stream: &mut tokio::net::TcpStream,
    last: &str,
    give_up_after: Option<usize>,
) -> Option<Vec<String>> {
    use tokio::io::AsyncReadExt;
    const CHUNK: usize = 4096;
    const PAUSE: Duration = Duration::from_millis(20);
    let started = tokio::time::Instant::now();
    let mut got = Vec::new();
    let mut chunk = [0u8; CHUNK];
    loop {
        assert!(
            started.elapsed() < SLOW_READ_LIMIT,
            "read slowly for {SLOW_READ_LIMIT:?} without seeing {last:?}"
        );
        let n = tokio::time::timeout(WAIT, stream.read(&mut chunk))
            .await
            .expect("the server sends something or closes in time")
            .unwrap_or(0);
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&chunk[..n]);
        if give_up_after.is_some_and(|limit| got.len() >= limit) {
            // Stop reading (keep the socket open): the server must notice.
            return Some(Vec::new());
        }
        if got.ends_with(format!("{last}\n").as_bytes()) {
            let text = String::from_utf8(got).expect("UTF-8 lines");
            return Some(text.lines().map(str::to_string).collect());
        }
        tokio::time::sleep(PAUSE).await;
    }
}

/// The longest a slow reader of these tests reads.
const SLOW_READ_LIMIT: Duration = Duration::from_secs(60);

/// Lines of the paste the slow reader is sent: 1200 of them, about 1 KB each.
fn slow_paste() -> Vec<String> {
    (0..1200)
        .map(|i| format!("line {i:03} {}", "z".repeat(1000)))
        .collect()
}

/// What [`paste_to_a_slow_reader`] sets up.
struct SlowRoom {
    /// The slow client's socket.
    slow: tokio::net::TcpStream,
    /// The lines the talker heard.
    heard: tokio::task::JoinHandle<Vec<String>>,
    /// The talker's paste, then its write half.
    _paste: tokio::task::JoinHandle<tokio::net::tcp::OwnedWriteHalf>,
}

/// Joins `slow` over a slow link, then `talker`, who pastes [`slow_paste`]
/// while a task reads all it gets back (it is a fast reader). Returns the
/// slow client's stream (its `HELLO` and `OK NICK` read) and the task, which
/// ends with the lines the talker saw after it joined, up to the first one
/// that starts with `until`.
async fn paste_to_a_slow_reader(server: &TestServer, until: &str) -> SlowRoom {
    use tokio::io::AsyncReadExt;
    let mut slow = connect_over_a_slow_link(server.addr).await;
    slow.write_all(b"NICK slow\n").await.unwrap();
    // HELLO and OK NICK: short, read at once.
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains("OK NICK slow\n") {
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(WAIT, slow.read(&mut byte))
            .await
            .expect("OK NICK in time")
            .unwrap();
        assert_eq!(n, 1, "the server closed the connection");
        seen.push(byte[0]);
        assert!(seen.len() < 1000, "{seen:?}");
    }
    let Client {
        mut reader,
        mut writer,
    } = server.joined("talker").await;
    let until = until.to_string();
    // Read while pasting: the talker's copies come back as it sends.
    let heard = tokio::spawn(async move {
        let mut lines = Vec::new();
        for _ in 0..10_000 {
            let mut line = String::new();
            let read = tokio::time::timeout(SLOW_READ_LIMIT, reader.read_line(&mut line));
            if matches!(
                read.await.expect("the talker hears something"),
                Ok(0) | Err(_)
            ) {
                break;
            }
            let line = line.trim_end_matches('\n').to_string();
            let done = line.starts_with(&until);
            lines.push(line);
            if done {
                break;
            }
        }
        lines
    });
    // Pasted while the slow client reads: not reading while the server
    // takes the paste would be a pause, the very thing the time-out is for.
    let paste = tokio::spawn(async move {
        let paste: String = slow_paste().iter().map(|l| format!("MSG {l}\n")).collect();
        let _ = writer.write_all(paste.as_bytes()).await;
        // Kept open as long as the handle: closing it would make the
        // talker leave, and its LEAVE follow the paste.
        writer
    });
    SlowRoom {
        slow,
        heard,
        _paste: paste,
    }
}

/// `--write-timeout` is about a client that stopped reading, not a slow
/// one. The server writes a reader its queue in batches of up to 128
/// pastes (two turns of 64), 650 KB here; the slow reader takes 200 KB/s
/// at most, so a batch takes it 3 s at least, more than the write time-out
/// of 2 s: the server used to time whole batches, and cut it off during
/// the first one. Now it waits for bytes to move, and they move every half
/// second or so (each time the reader has taken a third of the server's
/// send buffer, when Linux says the socket has room again): the reader is
/// well within the time-out even on a machine several times slower.
#[tokio::test]
async fn a_slow_but_steady_reader_is_not_cut_off() {
    let server = TestServer::start(Config {
        write_timeout: Duration::from_secs(2),
        ..config()
    })
    .await;
    let last = format!("MSG talker {}", slow_paste().last().unwrap());
    let SlowRoom {
        mut slow,
        heard: talker,
        _paste,
    } = paste_to_a_slow_reader(&server, &last).await;
    let lines = read_slowly(&mut slow, &last, None)
        .await
        .expect("the slow reader was cut off");
    let expected: Vec<String> = std::iter::once("JOIN talker".to_string())
        .chain(slow_paste().iter().map(|l| format!("MSG talker {l}")))
        .collect();
    assert!(
        lines == expected,
        "the slow reader got every line, in order"
    );
    let heard = talker.await.unwrap();
    assert_eq!(heard.last(), Some(&last), "nobody left");
    // Still in the room, and answered.
    slow.write_all(b"PING still-here\n").await.unwrap();
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(WAIT, tokio::io::AsyncReadExt::read(&mut slow, &mut buf))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&buf[..n], b"PONG still-here\n");
    server.stop().await;
}

/// …but a client that stops reading in the middle of such a batch is cut
/// off by the time-out (the room's queue, 1024 pastes, is far from full):
/// bytes moving earlier do not buy it more time.
#[tokio::test]
async fn a_reader_that_stops_mid_batch_is_cut_off_by_the_write_timeout() {
    let server = TestServer::start(Config {
        write_timeout: Duration::from_secs(1),
        ..config()
    })
    .await;
    let SlowRoom {
        mut slow,
        heard: talker,
        _paste,
    } = paste_to_a_slow_reader(&server, "LEAVE slow").await;
    let last = format!("MSG talker {}", slow_paste().last().unwrap());
    let stopped = read_slowly(&mut slow, &last, Some(32 * 1024)).await;
    assert!(stopped.is_some(), "still connected after 32 KiB");
    let heard = talker.await.unwrap();
    assert_eq!(
        heard.last().map(String::as_str),
        Some("LEAVE slow"),
        "the room is told the slow reader is gone"
    );
    // And its connection is closed: what it had not read, then the end.
    let rest = tokio::time::timeout(
        WAIT,
        tokio::io::AsyncReadExt::read_to_end(&mut slow, &mut Vec::new()),
    )
    .await
    .expect("the server closed the connection");
    let _ = rest; // a reset is fine too: the server closed with unsent data
    server.stop().await;
}

/// `OK PRIV` confirms a line queued for its target. A target whose queue
/// is full is being cut off (it stopped reading): the line is not queued,
/// and the sender gets what it gets for someone absent, before the
/// target's `LEAVE`. It used to get `OK PRIV` for that line too, and for
/// every one until the `LEAVE`.
#[tokio::test]
async fn a_priv_to_a_client_being_cut_off_is_not_confirmed() {
    let server = TestServer::start(Config {
        max_queue: 2,
        ..config()
    })
    .await;
    let mut alice = server.joined("alice").await;
    // bob never reads (not even HELLO), over a link whose buffers fill
    // after some 100 KB.
    let mut bob = connect_over_a_slow_link(server.addr).await;
    bob.write_all(b"NICK bob\n").await.unwrap();
    alice.expect("JOIN bob").await;
    let text = "p".repeat(1000);
    let mut answered = 0;
    let first_other = loop {
        assert!(answered < 5000, "bob's queue never filled");
        alice.send(&format!("PRIV bob {text}")).await;
        let line = alice.line().await;
        if line != "OK PRIV bob" {
            break line;
        }
        answered += 1;
    };
    assert_eq!(
        first_other, "ERR no such nickname: bob",
        "after {answered} PRIVs"
    );
    alice.expect("LEAVE bob").await;
    drop(bob);
    server.stop().await;
}

#[tokio::test]
async fn everyone_gets_bye_at_shutdown() {
    let server = TestServer::start(config()).await;
    let mut alice = server.joined("alice").await;
    let mut anonymous = server.client().await;
    let addr = server.addr;
    server.stop().await;
    alice.expect("BYE server shutting down").await;
    alice.expect_closed().await;
    anonymous.expect("BYE server shutting down").await;
    anonymous.expect_closed().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no longer listening"
    );
}

#[tokio::test]
async fn two_hundred_clients_receive_one_broadcast() {
    const N: usize = 200;
    let server = TestServer::start(config()).await;
    let mut clients = Vec::new();
    for i in 0..N {
        clients.push(server.joined(&format!("user{i}")).await);
    }
    clients[0].send("MSG hello everyone").await;
    let mut tasks = Vec::new();
    for mut client in clients {
        tasks.push(tokio::spawn(async move {
            client.skip_to("MSG user0 hello everyone", N + 1).await
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    server.stop().await;
}

#[tokio::test]
async fn a_half_closed_client_has_every_line_answered_then_is_closed() {
    let server = TestServer::start(config()).await;
    let mut watcher = server.joined("watcher").await;
    let mut c = server.client().await;
    // Like `nc -N` at the end of a file: the lines, the last one without
    // its LF, then our sending side is closed (TCP half-close).
    c.send_bytes(b"NICK half\nMSG one\nLIST\nPING last").await;
    c.writer.shutdown().await.unwrap();
    c.expect("OK NICK half").await;
    c.expect("MSG half one").await;
    c.expect("USERS half watcher").await;
    c.expect("PONG last").await;
    c.expect_closed().await;
    watcher.expect("JOIN half").await;
    watcher.expect("MSG half one").await;
    watcher.expect("LEAVE half").await;
    server.stop().await;
}

#[tokio::test]
async fn a_half_close_right_after_msg_lines_still_gets_them_back() {
    // `printf 'NICK alice\nMSG hi\n' | nc -N`: the end of input comes with
    // the MSG lines, while the server still holds their copies and the
    // OK NICK. With and without the last LF, and with a paste.
    let inputs: [&[u8]; 3] = [
        b"NICK half\nMSG hi\n",
        b"NICK half\nMSG hi",
        b"NICK half\nMSG one\nMSG two\nMSG hi\n",
    ];
    for input in inputs {
        let server = TestServer::start(config()).await;
        let mut watcher = server.joined("watcher").await;
        let mut c = server.client().await;
        c.send_bytes(input).await;
        c.writer.shutdown().await.unwrap();
        c.expect("OK NICK half").await;
        c.skip_to("MSG half hi", 3).await;
        c.expect_closed().await;
        watcher.expect("JOIN half").await;
        watcher.skip_to("MSG half hi", 3).await;
        watcher.expect("LEAVE half").await;
        server.stop().await;
    }
}

#[tokio::test]
async fn a_half_closed_client_still_gets_the_long_queue_ahead_of_its_end() {
    // Alice ends with a MSG and closes her sending side while thousands of
    // lines still wait for her (a small receive buffer keeps them queued):
    // all of them, then her own copy, still reach her before the close.
    const N: usize = 3000;
    let (server, mut alice, mut bob) = alice_with_a_long_queue(N).await;
    alice.send_bytes(b"MSG mine\n").await;
    alice.writer.shutdown().await.unwrap();
    expect_privs_from_bob(&mut alice, N).await;
    alice.expect("MSG alice mine").await;
    alice.expect_closed().await;
    bob.expect("MSG alice mine").await;
    bob.expect("LEAVE alice").await;
    server.stop().await;
}

/// A rename puts a line in every member's queue, like a MSG: a client that
/// renames itself in a tight loop must be slowed down like one that pastes,
/// not get every reader cut off as "does not read". (It did: only MSG and
/// PRIV counted toward letting the others catch up.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_renames_does_not_cut_off_readers() {
    const RENAMES: usize = 4000;
    let server = TestServer::start(Config {
        max_queue: 32,
        ..config()
    })
    .await;
    let mut readers = Vec::new();
    for i in 0..3 {
        let mut reader = server.joined(&format!("r{i}")).await;
        readers.push(tokio::spawn(async move {
            let mut renames = 0;
            while renames < RENAMES {
                let line = reader.line().await; // fails the test if cut off
                renames += usize::from(line.starts_with("NICK f"));
            }
        }));
    }
    let mut flooder = server.joined("f").await;
    let names: String = (0..RENAMES)
        .map(|i| format!("NICK f{}\n", (i + 1) % 2))
        .collect();
    let (reader, writer) = (&mut flooder.reader, &mut flooder.writer);
    let send = async { writer.write_all(names.as_bytes()).await.expect("write") };
    let confirm = async {
        let mut line = String::new();
        let mut confirmed = 0;
        while confirmed < RENAMES {
            line.clear();
            assert!(reader.read_line(&mut line).await.expect("read") > 0);
            confirmed += usize::from(line.starts_with("OK NICK"));
        }
    };
    tokio::time::timeout(WAIT, async { tokio::join!(send, confirm) })
        .await
        .expect("every rename is confirmed in time");
    for reader in readers {
        tokio::time::timeout(WAIT, reader)
            .await
            .expect("every reader sees every rename in time")
            .expect("no reader is cut off");
    }
    server.stop().await;
}
