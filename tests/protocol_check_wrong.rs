//! protocol-check against **deliberately wrong** servers, the kind students
//! write by accident: an echo that shouts, an echo that loses bytes, a time
//! server counting from 1970, a daytime server that never hangs up, a chat
//! server that forgets HELLO… Each one is a few lines of `std::net` in a
//! thread of this test, on a free loopback port. For each, the test checks
//! that protocol-check fails the *right* rule, for the *right* reason, and
//! that the rules the server does keep still pass.
//!
//! Every run uses `--timeout 1` (a wrong server costs at most a second per
//! rule) and is bounded as a whole by [`RUN`]: a broken server never hangs
//! a test.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use codec::chat::{MAX_LINE, nick_key, strip_controls, valid_nick};
use codec::time::Timestamp;
use support::{CHAT_RULES, Output, rule, run_client};

/// Longest a whole protocol-check run may take before the test fails.
const RUN: Duration = Duration::from_secs(90);

/// How long a wrong server keeps a connection it should have closed: far
/// longer than protocol-check's `--timeout 1`.
const LINGER: Duration = Duration::from_secs(20);

/// Runs protocol-check in English with a 1-second time-out.
fn check(protocol: &str, addr: SocketAddr, extra: &[&str]) -> Output {
    let addr = addr.to_string();
    let mut args = vec![protocol, &addr, "--lang", "en", "--timeout", "1"];
    args.extend_from_slice(extra);
    let out = run_client("protocol-check", &args, RUN);
    // Shown with --nocapture: what a student would see.
    eprintln!("$ protocol-check {}\n{}", args.join(" "), out.stdout_text());
    out
}

/// Asserts rule `id` failed with a reason containing `because`, and the run exited 1.
fn assert_fails(out: &Output, id: &str, because: &str) {
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{}", out.stderr);
    let (label, reason) = rule(&stdout, id).unwrap_or_else(|| panic!("no {id}:\n{stdout}"));
    assert_eq!(label, "FAIL", "{id}:\n{stdout}");
    assert!(
        reason.contains(because),
        "{id} should fail because {because:?}, got {reason:?}\n{stdout}"
    );
}

/// Asserts rule `id` passed.
fn assert_passes(out: &Output, id: &str) {
    let stdout = out.stdout_text();
    let label = rule(&stdout, id).map(|(label, _)| label);
    assert_eq!(label.as_deref(), Some("PASS"), "{id}:\n{stdout}");
}

/// A TCP server on a free loopback port, one thread per client.
fn serve(handle: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || handle(stream));
        }
    });
    addr
}

/// A TCP server that handles its clients one after the other (no thread per
/// client): the classic first attempt.
fn serve_one_at_a_time(handle: fn(TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            handle(stream);
        }
    });
    addr
}

/// A correct echo handler (used by the one-at-a-time server).
fn echo(mut stream: TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(n @ 1..) = stream.read(&mut buf) {
        if stream.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

// ---------------------------------------------------------------- echo

#[test]
fn an_echo_that_shouts_is_caught_on_the_line_rule() {
    fn shout(mut stream: TcpStream) {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            if stream.write_all(&buf[..n].to_ascii_uppercase()).is_err() {
                return;
            }
        }
    }
    let out = check("echo", serve(shout), &[]);
    assert_fails(&out, "echo.line", "UPPER CASE");
    assert_fails(&out, "echo.binary", "UPPER CASE");
}

#[test]
fn an_echo_that_drops_bytes_after_1000_is_caught_on_the_large_transfer() {
    fn forgetful(mut stream: TcpStream) {
        let mut buf = [0u8; 4096];
        let mut echoed = 0;
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            let keep = n.min(1000 - echoed);
            echoed += keep;
            if stream.write_all(&buf[..keep]).is_err() {
                return;
            }
        }
    }
    let out = check("echo", serve(forgetful), &[]);
    // Short exchanges fit in the first 1000 bytes: they pass.
    assert_passes(&out, "echo.line");
    assert_passes(&out, "echo.binary");
    assert_passes(&out, "echo.concurrent");
    assert_fails(
        &out,
        "echo.large",
        "1048576 bytes sent, only 1000 came back; nothing more for 1 s",
    );
}

#[test]
fn an_echo_serving_one_client_at_a_time_is_caught() {
    let out = check("echo", serve_one_at_a_time(echo), &[]);
    assert_passes(&out, "echo.line");
    assert_passes(&out, "echo.large");
    assert_fails(&out, "echo.concurrent", "one client at a time");
}

#[test]
fn an_echo_that_never_closes_after_the_client_finished_is_warned() {
    fn clingy(mut stream: TcpStream) {
        echo(stream.try_clone().unwrap());
        // read() returned 0: the client has finished. This server waits on.
        thread::sleep(LINGER);
        let _ = stream.flush();
    }
    let out = check("echo", serve(clingy), &[]);
    assert_passes(&out, "echo.line");
    // RFC 862 does not require the close: a warning, and exit 0.
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", out.stderr);
    let (label, reason) = rule(&stdout, "echo.half-close").unwrap();
    assert_eq!(label, "WARN", "{stdout}");
    assert!(reason.contains("did not close the connection"), "{reason}");
    assert!(reason.contains("read() == 0"), "{reason}");
}

#[test]
fn an_echo_that_sends_everything_twice_is_caught_on_the_line_rule() {
    fn twice(mut stream: TcpStream) {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            if stream.write_all(&buf[..n]).is_err() || stream.write_all(&buf[..n]).is_err() {
                return;
            }
        }
    }
    let out = check("echo", serve(twice), &[]);
    // The first copy is exactly what was sent: only what follows it shows
    // the mistake.
    assert_fails(&out, "echo.line", "came back a second time");
    assert_fails(&out, "echo.binary", "came back a second time");
}

#[test]
fn an_echo_that_adds_a_line_end_is_caught_on_the_binary_rule() {
    fn tidy(mut stream: TcpStream) {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            // The classic `data.strip() + "\n"`: a line's own LF comes
            // back once, anything else gets one more.
            let data = buf[..n].trim_ascii_end();
            if stream.write_all(&[data, b"\n"].concat()).is_err() {
                return;
            }
        }
    }
    let out = check("echo", serve(tidy), &[]);
    assert_passes(&out, "echo.line");
    assert_fails(&out, "echo.binary", "more than it received");
}

#[test]
fn an_echo_that_answers_only_once_is_caught_on_the_line_rule() {
    fn once(mut stream: TcpStream) {
        let mut buf = [0u8; 4096];
        if let Ok(n @ 1..) = stream.read(&mut buf) {
            let _ = stream.write_all(&buf[..n]);
        }
        // No loop: the connection is closed after one answer.
    }
    fn first_line_only(stream: TcpStream) {
        let mut line = Vec::new();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        if reader.read_until(b'\n', &mut line).is_ok() {
            let _ = (&stream).write_all(&line);
        }
        // Stays connected, but echoes nothing more.
        thread::sleep(LINGER);
    }
    let out = check("echo", serve(once), &[]);
    assert_fails(&out, "echo.line", "closed the connection");
    assert_fails(&out, "echo.line", "until the client closes");
    let out = check("echo", serve(first_line_only), &[]);
    assert_fails(&out, "echo.line", "sent no echo back");
    assert_fails(&out, "echo.line", "until the client closes");
}

#[test]
fn an_echo_that_reads_line_by_line_is_caught_on_the_binary_rule() {
    fn lines(stream: TcpStream) {
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut line = Vec::new();
        while let Ok(1..) = reader.read_until(b'\n', &mut line) {
            if (&stream).write_all(&line).is_err() {
                return;
            }
            line.clear();
        }
    }
    let out = check("echo", serve(lines), &[]);
    // Lines pass; bytes that do not end a line wait forever in the server.
    assert_passes(&out, "echo.line");
    assert_fails(&out, "echo.binary", "up to the first line break");
    assert_fails(&out, "echo.binary", "read line by line");
}

#[test]
fn a_udp_echo_answering_twice_is_caught() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 65_536];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            // One answer per datagram, sent twice (a send left in a loop).
            let _ = socket.send_to(&buf[..n], peer);
            let _ = socket.send_to(&buf[..n], peer);
        }
    });
    let out = check("echo", addr, &["--udp"]);
    assert_fails(&out, "echo.udp-datagram", "came back twice");
    assert_fails(&out, "echo.udp-large", "one answering datagram");
}

#[test]
fn a_udp_echo_with_a_small_buffer_is_caught() {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    thread::spawn(move || {
        // 1 KiB: longer datagrams are silently cut by recv_from.
        let mut buf = [0u8; 1024];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(&buf[..n], peer);
        }
    });
    let out = check("echo", addr, &["--udp"]);
    assert_passes(&out, "echo.udp-datagram");
    assert_passes(&out, "echo.udp-binary");
    assert_fails(&out, "echo.udp-large", "buffer that is too small");
}

// ---------------------------------------------------------------- time

/// Seconds since 1970 now.
fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// RFC 868's value now: seconds since 1900, modulo 2^32.
fn rfc868_now() -> u32 {
    (unix_now() + 2_208_988_800) as u32
}

#[test]
fn a_time_server_sending_8_bytes_is_caught() {
    fn wide(mut stream: TcpStream) {
        let _ = stream.write_all(&u64::from(rfc868_now()).to_be_bytes());
    }
    let out = check("time", serve(wide), &[]);
    assert_passes(&out, "time.close");
    assert_fails(&out, "time.length", "got 8 bytes");
    assert_fails(&out, "time.length", "64-bit integer");
}

#[test]
fn a_time_server_counting_from_1970_is_caught() {
    fn unix(mut stream: TcpStream) {
        let _ = stream.write_all(&(unix_now() as u32).to_be_bytes());
    }
    let out = check("time", serve(unix), &[]);
    assert_passes(&out, "time.length");
    assert_passes(&out, "time.close");
    assert_fails(&out, "time.value", "seconds since 1970 (Unix time)");
    assert_fails(&out, "time.value", "add 2,208,988,800");
}

/// RFC 868 over TCP: "U: Receive the time. U: Close the connection. S:
/// Close the connection." A server that waits for the client to close is
/// within the RFC: a warning (close after answering), not a failure.
#[test]
fn a_time_server_that_waits_for_the_client_to_close_is_only_warned() {
    fn waits(mut stream: TcpStream) {
        let _ = stream.write_all(&rfc868_now().to_be_bytes());
        let _ = stream.set_read_timeout(Some(LINGER));
        let _ = std::io::Read::read_to_end(&mut stream, &mut Vec::new());
    }
    let out = check("time", serve(waits), &[]);
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", out.stderr);
    assert_passes(&out, "time.length");
    assert_passes(&out, "time.value");
    let (label, reason) = rule(&stdout, "time.close").unwrap();
    assert_eq!(label, "WARN", "{stdout}");
    assert!(reason.contains("RFC 868 allows it"), "{reason}");
}

#[test]
fn a_time_server_with_the_bytes_in_the_wrong_order_is_caught() {
    fn little(mut stream: TcpStream) {
        let _ = stream.write_all(&rfc868_now().to_le_bytes());
    }
    let out = check("time", serve(little), &[]);
    assert_passes(&out, "time.length");
    assert_fails(&out, "time.value", "wrong order (little-endian)");
}

#[test]
fn an_echo_server_is_not_a_time_server() {
    // The course's point: client and server must speak the same protocol.
    let out = check("time", serve(echo), &[]);
    assert_fails(&out, "time.length", "must speak first");
}

#[test]
fn a_udp_echo_server_is_not_a_time_or_daytime_server() {
    // Our question is an empty datagram: an echo server sends it back.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = socket.local_addr().unwrap();
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, peer)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(&buf[..n], peer);
        }
    });
    for (protocol, id) in [("time", "time.udp-length"), ("daytime", "daytime.udp-line")] {
        let out = check(protocol, addr, &["--udp"]);
        assert_fails(&out, id, "an empty datagram came back");
        let (_, reason) = rule(&out.stdout_text(), id).unwrap();
        // Over UDP there is no connection to close.
        assert!(!reason.contains("connection"), "{reason}");
    }
}

#[test]
fn a_time_server_is_not_a_daytime_server() {
    fn right(mut stream: TcpStream) {
        let _ = stream.write_all(&rfc868_now().to_be_bytes());
    }
    let out = check("daytime", serve(right), &[]);
    assert_fails(&out, "daytime.line", "a time server's answer (RFC 868)");
}

// ---------------------------------------------------------------- daytime

/// A daytime line in RFC 3339, a format protocol-check knows, `offset`
/// seconds after now (jiff, through codec, does the calendar).
fn rfc3339(offset: i64) -> String {
    let at = Timestamp::from_second(Timestamp::now().as_second() + offset).unwrap();
    format!("{}\r\n", at.strftime("%Y-%m-%dT%H:%M:%SZ"))
}

#[test]
fn a_daytime_server_that_never_closes_is_caught() {
    fn clingy(mut stream: TcpStream) {
        let _ = stream.write_all(rfc3339(0).as_bytes());
        thread::sleep(LINGER);
    }
    let out = check("daytime", serve(clingy), &[]);
    assert_passes(&out, "daytime.line");
    assert_passes(&out, "daytime.date");
    assert_fails(&out, "daytime.close", "did not close the connection");
}

#[test]
fn a_daytime_server_that_trickles_bytes_forever_is_not_waited_for_forever() {
    // Each byte comes well within the 1-second time-out, so only a bound
    // on the whole answer (10 time-outs) stops the reading: before it,
    // protocol-check read on until 4096 bytes, twenty minutes.
    fn trickle(mut stream: TcpStream) {
        let _ = stream.write_all(rfc3339(0).as_bytes());
        while stream.write_all(b"z").is_ok() {
            thread::sleep(Duration::from_millis(300));
        }
    }
    let out = check("daytime", serve(trickle), &[]);
    assert_fails(&out, "daytime.close", "was still sending bytes after 10 s");
    assert_fails(&out, "daytime.line", "more than one line");
}

#[test]
fn a_daytime_line_without_line_ending_is_only_a_warning_when_the_server_closes() {
    // RFC 867: "the current date and time is sent out the connection as a
    // ascii character string", then the server closes: the close, not a
    // line break, ends the answer (Python's `send(time.ctime().encode())`).
    fn unfinished(mut stream: TcpStream) {
        let _ = stream.write_all(rfc3339(0).trim_end().as_bytes());
    }
    let out = check("daytime", serve(unfinished), &[]);
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{}", out.stderr);
    assert_passes(&out, "daytime.close");
    assert_passes(&out, "daytime.date");
    let (label, reason) = rule(&stdout, "daytime.line").unwrap();
    assert_eq!(label, "WARN", "{stdout}");
    assert!(
        reason.contains("does not end with a line break"),
        "{reason}"
    );
    assert!(reason.contains("RFC 867 does not require one"), "{reason}");
}

#[test]
fn a_daytime_line_without_line_ending_that_never_closes_is_caught() {
    fn unfinished(mut stream: TcpStream) {
        let _ = stream.write_all(rfc3339(0).trim_end().as_bytes());
        thread::sleep(LINGER);
    }
    let out = check("daytime", serve(unfinished), &[]);
    assert_fails(&out, "daytime.line", "does not end with a line break");
    assert_fails(&out, "daytime.line", "cannot know");
    assert_fails(&out, "daytime.close", "did not close the connection");
}

#[test]
fn an_unknown_daytime_format_is_only_a_warning() {
    fn poetic(mut stream: TcpStream) {
        let _ = stream.write_all(b"il est midi pile\r\n");
    }
    let out = check("daytime", serve(poetic), &[]);
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let (label, reason) = rule(&stdout, "daytime.date").unwrap();
    assert_eq!(label, "WARN", "{stdout}");
    assert!(reason.contains("unknown date format"), "{reason}");
}

#[test]
fn a_daytime_clock_an_hour_off_is_caught() {
    fn wrong_zone(mut stream: TcpStream) {
        // Local time of UTC+1 labelled as UTC: the classic forgotten zone.
        let _ = stream.write_all(rfc3339(3600).as_bytes());
    }
    let out = check("daytime", serve(wrong_zone), &[]);
    assert_passes(&out, "daytime.line");
    assert_fails(&out, "daytime.date", "ahead of this machine's clock");
}

// ---------------------------------------------------------------- chat

/// The mistakes a chat server can be given.
#[derive(Clone, Copy, Default)]
struct Bugs {
    /// Sends no `HELLO` line on connect.
    no_hello: bool,
    /// Writes its verbs in lower case (`ok nick bob`).
    lower_verbs: bool,
    /// Relays `MSG` to everyone *but* the sender.
    no_self_echo: bool,
    /// Keeps the CR of a CRLF line ending (splits on LF only).
    keep_cr: bool,
    /// Sends room lines (`JOIN`, `MSG`, …) to every connection, with or
    /// without a nickname.
    tell_unregistered: bool,
    /// Sends a `PRIV` to everyone in the room, not only to its target.
    priv_to_all: bool,
    /// Answers `LIST` in the order people arrived.
    list_unsorted: bool,
    /// Sorts `LIST` byte by byte (`Zoe` before `alice`), not ignoring case.
    list_by_bytes: bool,
}

/// A connected client, as the room sees it.
struct Member {
    id: usize,
    nick: Option<String>,
    out: TcpStream,
}

type Room = Arc<Mutex<Vec<Member>>>;

/// A small chat/1 server (thread per client, one mutex), correct except
/// for `bugs`. The test with no bugs proves it passes every rule, so each
/// failure below comes from its bug alone.
fn chat_server(bugs: Bugs) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let room: Room = Arc::default();
    thread::spawn(move || {
        for (id, stream) in listener.incoming().flatten().enumerate() {
            let Ok(mut out) = stream.try_clone() else {
                continue;
            };
            // Before the client is in the room: no line about someone else
            // can come before it.
            if !bugs.no_hello {
                say(
                    &mut out,
                    bugs,
                    "HELLO test-server chat/1 - send NICK <name>",
                );
            }
            room.lock().unwrap().push(Member {
                id,
                nick: None,
                out,
            });
            let room = room.clone();
            thread::spawn(move || chat_client(id, stream, &room, bugs));
        }
    });
    addr
}

fn say(out: &mut TcpStream, bugs: Bugs, line: &str) {
    let line = match (bugs.lower_verbs, line.split_once(' ')) {
        (false, _) => line.to_string(),
        (true, Some((verb, rest))) => format!("{} {rest}", verb.to_lowercase()),
        (true, None) => line.to_lowercase(),
    };
    let _ = out.write_all(format!("{line}\n").as_bytes());
}

/// Sends `line` to every registered member for whom `to(member id)` is true.
fn tell(room: &Room, bugs: Bugs, line: &str, to: impl Fn(usize) -> bool) {
    for m in room.lock().unwrap().iter_mut() {
        if (m.nick.is_some() || bugs.tell_unregistered) && to(m.id) {
            say(&mut m.out, bugs, line);
        }
    }
}

fn nick_of(room: &Room, id: usize) -> Option<String> {
    let room = room.lock().unwrap();
    room.iter()
        .find(|m| m.id == id)
        .and_then(|m| m.nick.clone())
}

fn leave(room: &Room, bugs: Bugs, id: usize) {
    let gone = {
        let mut room = room.lock().unwrap();
        let i = room.iter().position(|m| m.id == id);
        i.map(|i| room.remove(i))
    };
    if let Some(Member {
        nick: Some(nick), ..
    }) = gone
    {
        tell(room, bugs, &format!("LEAVE {nick}"), |_| true);
    }
}

fn chat_client(id: usize, stream: TcpStream, room: &Room, bugs: Bugs) {
    let mut out = stream.try_clone().unwrap();
    let mut input = BufReader::new(stream);
    let mut raw = Vec::new();
    loop {
        raw.clear();
        match input.read_until(b'\n', &mut raw) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if raw.ends_with(b"\n") {
            raw.pop();
        }
        if raw.ends_with(b"\r") && !bugs.keep_cr {
            raw.pop();
        }
        if raw.len() > MAX_LINE {
            say(&mut out, bugs, "ERR line too long");
            continue;
        }
        let Ok(line) = std::str::from_utf8(&raw) else {
            say(&mut out, bugs, "ERR invalid UTF-8");
            continue;
        };
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        let me = nick_of(room, id);
        match (verb.to_ascii_uppercase().as_str(), &me) {
            ("MSG" | "NICK", _) if rest.is_empty() => say(&mut out, bugs, "ERR missing argument"),
            ("HELP", _) => say(
                &mut out,
                bugs,
                "OK verbs: NICK MSG PRIV LIST PING HELP QUIT",
            ),
            ("NICK", _) => {
                let Ok(name) = valid_nick(rest) else {
                    say(&mut out, bugs, "ERR invalid nickname");
                    continue;
                };
                let mut r = room.lock().unwrap();
                let taken = r.iter().any(|m| {
                    m.id != id && m.nick.as_deref().map(nick_key) == Some(nick_key(&name))
                });
                if taken {
                    drop(r);
                    say(&mut out, bugs, "ERR nickname taken");
                    continue;
                }
                if let Some(m) = r.iter_mut().find(|m| m.id == id) {
                    m.nick = Some(name.clone());
                }
                drop(r);
                say(&mut out, bugs, &format!("OK NICK {name}"));
                let news = match &me {
                    None => format!("JOIN {name}"),
                    Some(old) => format!("NICK {old} {name}"),
                };
                tell(room, bugs, &news, |m| m != id);
            }
            ("MSG" | "PRIV", None) => say(&mut out, bugs, "ERR send NICK first"),
            ("MSG", Some(me)) => {
                let text = strip_controls(rest);
                let skip_me = bugs.no_self_echo;
                tell(room, bugs, &format!("MSG {me} {text}"), |m| {
                    !(skip_me && m == id)
                });
            }
            ("PRIV", Some(me)) => {
                let (to, text) = rest.split_once(' ').unwrap_or((rest, ""));
                let target = room
                    .lock()
                    .unwrap()
                    .iter()
                    .find(|m| m.nick.as_deref() == Some(to))
                    .map(|m| m.id);
                match target {
                    Some(t) => {
                        let text = strip_controls(text);
                        let all = bugs.priv_to_all;
                        tell(room, bugs, &format!("PRIV {me} {text}"), |m| all || m == t);
                        say(&mut out, bugs, &format!("OK PRIV {to}"));
                    }
                    None => say(&mut out, bugs, "ERR no such nickname"),
                }
            }
            ("LIST", _) => {
                let mut nicks: Vec<String> = room
                    .lock()
                    .unwrap()
                    .iter()
                    .filter_map(|m| m.nick.clone())
                    .collect();
                if bugs.list_by_bytes {
                    nicks.sort();
                } else if !bugs.list_unsorted {
                    nicks.sort_by_key(|n| nick_key(n));
                }
                say(
                    &mut out,
                    bugs,
                    format!("USERS {}", nicks.join(" ")).trim_end(),
                );
            }
            ("PING", _) if rest.is_empty() => say(&mut out, bugs, "PONG"),
            ("PING", _) => say(&mut out, bugs, &format!("PONG {rest}")),
            ("QUIT", _) => {
                say(&mut out, bugs, "BYE");
                break;
            }
            _ => say(&mut out, bugs, "ERR unknown verb"),
        }
    }
    leave(room, bugs, id);
    let _ = out.shutdown(std::net::Shutdown::Both);
}

#[test]
fn the_test_chat_server_without_bugs_passes_every_rule() {
    let out = check("chat", chat_server(Bugs::default()), &[]);
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    for id in CHAT_RULES {
        assert_passes(&out, id);
    }
}

#[test]
fn a_chat_server_that_forgets_hello_is_caught() {
    let out = check(
        "chat",
        chat_server(Bugs {
            no_hello: true,
            ..Bugs::default()
        }),
        &[],
    );
    assert_fails(&out, "chat.hello", "the server must send HELLO <text>");
    // Everything else still works, and is still checked.
    for id in &CHAT_RULES[1..] {
        assert_passes(&out, id);
    }
}

#[test]
fn a_chat_server_writing_lower_case_verbs_is_caught() {
    let out = check(
        "chat",
        chat_server(Bugs {
            lower_verbs: true,
            ..Bugs::default()
        }),
        &[],
    );
    assert_fails(
        &out,
        "chat.hello",
        "the server must write verbs in UPPER case",
    );
    assert_fails(
        &out,
        "chat.nick",
        "the server must write verbs in UPPER case",
    );
    assert_fails(
        &out,
        "chat.ping",
        "the server must write verbs in UPPER case",
    );
}

#[test]
fn a_chat_server_that_does_not_relay_msg_to_the_sender_is_caught() {
    let out = check(
        "chat",
        chat_server(Bugs {
            no_self_echo: true,
            ..Bugs::default()
        }),
        &[],
    );
    assert_passes(&out, "chat.hello");
    assert_passes(&out, "chat.join");
    assert_passes(&out, "chat.priv");
    assert_fails(
        &out,
        "chat.msg",
        "the sender must receive its own message too",
    );
}

#[test]
fn a_chat_server_that_keeps_the_cr_of_crlf_is_caught() {
    let out = check(
        "chat",
        chat_server(Bugs {
            keep_cr: true,
            ..Bugs::default()
        }),
        &[],
    );
    assert_passes(&out, "chat.msg");
    assert_fails(
        &out,
        "chat.crlf",
        "the CR before the LF must be dropped before reading the verb",
    );
}

#[test]
fn a_chat_server_whose_list_is_not_sorted_case_insensitively_is_caught() {
    for (bugs, because) in [
        (
            Bugs {
                list_unsorted: true,
                ..Bugs::default()
            },
            "the nicknames are not sorted",
        ),
        (
            Bugs {
                list_by_bytes: true,
                ..Bugs::default()
            },
            "upper case first",
        ),
    ] {
        let out = check("chat", chat_server(bugs), &[]);
        assert_passes(&out, "chat.nick");
        assert_fails(&out, "chat.list", because);
    }
}

#[test]
fn a_chat_server_that_sends_priv_to_everyone_is_caught() {
    let out = check(
        "chat",
        chat_server(Bugs {
            priv_to_all: true,
            ..Bugs::default()
        }),
        &[],
    );
    assert_passes(&out, "chat.msg");
    assert_fails(&out, "chat.priv", "is not its target");
}

#[test]
fn a_chat_server_that_tells_clients_without_a_nickname_is_caught() {
    let out = check(
        "chat",
        chat_server(Bugs {
            tell_unregistered: true,
            ..Bugs::default()
        }),
        &[],
    );
    assert_passes(&out, "chat.join");
    assert_fails(&out, "chat.msg", "without a nickname");
}

#[test]
fn reasons_are_in_french_by_default() {
    fn unix(mut stream: TcpStream) {
        let _ = stream.write_all(&(unix_now() as u32).to_be_bytes());
    }
    let addr = serve(unix).to_string();
    let out = run_client("protocol-check", &["time", &addr, "--timeout", "1"], RUN);
    let stdout = out.stdout_text();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let (label, reason) = rule(&stdout, "time.value").unwrap();
    assert_eq!(label, "ÉCHEC", "{stdout}");
    assert!(reason.contains("depuis 1970 (heure Unix)"), "{reason}");
    assert!(reason.contains("ajoutez 2 208 988 800"), "{reason}");
    assert!(stdout.contains("1 échouée,"), "{stdout}");
}
