//! chat/1 is plain text lines: anyone can join by typing the protocol by
//! hand. Here a whole session is driven through OpenBSD `nc`, with CRLF line
//! endings as telnet and Windows send them, while a raw TCP client watches;
//! then with the README's own `nc -C` (nc adds the CR), with Nmap's ncat
//! (`-C` too), with socat, and with telnet.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use support::{Interactive, Server, run_with_input, tool};

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn a_whole_session_through_nc_with_crlf() {
    let Some(nc) = tool("nc") else { return };
    let server = Server::start("chat-server", &["--port", "0"]);
    let (_bob, mut next) = watcher(&server);

    // Every line ends with CRLF; `-N` closes our sending side at the end
    // of the input, and nc exits when the server closes after BYE.
    let session = "NICK alice\r\nMSG hello bob\r\nPRIV bob psst\r\nlist\r\nFROB\r\nMSG\r\nping 7\r\nQUIT bye now\r\n";
    let port = server.port();
    let out = run_with_input(&nc, &["-N", "127.0.0.1", &port], session.as_bytes(), WAIT);
    let text = out.stdout_text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 9, "{text}");
    assert!(lines[0].starts_with("HELLO "), "{text}");
    assert_eq!(lines[1], "OK NICK alice");
    assert_eq!(lines[2], "MSG alice hello bob");
    assert_eq!(lines[3], "OK PRIV bob");
    assert_eq!(lines[4], "USERS alice bob");
    assert!(lines[5].starts_with("ERR unknown command FROB"), "{text}");
    assert!(lines[6].starts_with("ERR MSG needs"), "{text}");
    assert_eq!(lines[7], "PONG 7");
    assert_eq!(lines[8], "BYE");
    assert!(
        !text.contains('\r'),
        "the server ends its lines with LF only"
    );

    assert_eq!(next(), "JOIN alice");
    assert_eq!(next(), "MSG alice hello bob");
    assert_eq!(next(), "PRIV alice psst");
    assert_eq!(next(), "LEAVE alice bye now");
}

/// Joins the room as `bob` with a raw TCP client; returns his stream and a
/// reader of his next line (LF removed).
fn watcher(server: &Server) -> (TcpStream, impl FnMut() -> String) {
    let bob = TcpStream::connect(server.addr()).unwrap();
    bob.set_read_timeout(Some(WAIT)).unwrap();
    let mut bob_out = bob.try_clone().unwrap();
    let mut bob_in = BufReader::new(bob);
    let mut next = move || {
        let mut line = String::new();
        bob_in.read_line(&mut line).expect("a line for bob");
        line.trim_end_matches('\n').to_string()
    };
    assert!(next().starts_with("HELLO "));
    bob_out.write_all(b"NICK bob\n").unwrap();
    assert_eq!(next(), "OK NICK bob");
    (bob_out, next)
}

/// `nc -C 127.0.0.1 10194`, as the README and chat.md show it: the user types
/// LF line ends, nc sends CRLF. Nmap's ncat (the `nc` of Fedora) has the
/// same `-C`, and half-closes at the end of its input without `-N`.
#[test]
fn nc_minus_c_and_ncat_minus_c_send_crlf_and_are_understood() {
    let peers: Vec<_> = [
        ("nc", "carol", &["-C", "-N"][..]),
        ("ncat", "dave", &["-C"][..]),
    ]
    .into_iter()
    .filter_map(|(name, nick, flags)| Some((tool(name)?, nick, flags)))
    .collect();
    let server = Server::start("chat-server", &["--port", "0", "--trace"]);
    let (bob, mut bob_next) = watcher(&server);
    let mut sent = String::new();
    for (program, nick, flags) in peers {
        let session = format!("NICK {nick}\nMSG hi from {nick}\nQUIT\n");
        let port = server.port();
        let mut args = flags.to_vec();
        args.extend(["127.0.0.1", &port]);
        let out = run_with_input(&program, &args, session.as_bytes(), WAIT);
        let text = out.stdout_text();
        assert!(text.contains(&format!("OK NICK {nick}\n")), "{text}");
        assert!(
            text.contains(&format!("MSG {nick} hi from {nick}\n")),
            "{text}"
        );
        assert!(text.ends_with("BYE\n"), "{text}");
        assert_eq!(bob_next(), format!("JOIN {nick}"));
        assert_eq!(bob_next(), format!("MSG {nick} hi from {nick}"));
        assert_eq!(bob_next(), format!("LEAVE {nick}"));
        sent += &format!(r"NICK {nick}\r\nMSG hi from {nick}\r\nQUIT\r\n");
    }
    // nc -C writes each line and its CR LF apart: the trace is read whole.
    let bob = bob.local_addr().unwrap();
    assert_eq!(
        server.log.wait_for_traced("recv", Some(bob), &sent, WAIT),
        sent
    );
}

/// socat's `crlf` option does what `nc -C` does; without it, LF alone.
#[test]
fn socat_joins_the_room_with_and_without_crlf() {
    let Some(socat) = tool("socat") else { return };
    let server = Server::start("chat-server", &["--port", "0", "--trace"]);
    let (bob, mut bob_next) = watcher(&server);
    let mut sessions = String::new();
    for (nick, option, end) in [("sox", ",crlf", r"\r\n"), ("plain", "", r"\n")] {
        let target = format!("TCP:127.0.0.1:{}{option}", server.port());
        let session = format!("NICK {nick}\nMSG hello\nLIST\nQUIT\n");
        // -t: after its input ends socat waits this long, at most, for
        // the server's close (0.5 s by default: short on a busy machine).
        let out = run_with_input(
            &socat,
            &["-t", "10", "-", &target],
            session.as_bytes(),
            WAIT,
        );
        assert!(out.status.success(), "{}", out.stderr);
        let text = out.stdout_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 5, "{text}");
        assert!(lines[0].starts_with("HELLO "), "{text}");
        assert_eq!(lines[1], format!("OK NICK {nick}"));
        assert_eq!(lines[2], format!("MSG {nick} hello"));
        assert_eq!(lines[3], format!("USERS bob {nick}"));
        assert_eq!(lines[4], "BYE");
        assert_eq!(bob_next(), format!("JOIN {nick}"));
        assert_eq!(bob_next(), format!("MSG {nick} hello"));
        assert_eq!(bob_next(), format!("LEAVE {nick}"));
        sessions += &format!("NICK {nick}{end}MSG hello{end}LIST{end}QUIT{end}");
    }
    let bob = bob.local_addr().unwrap();
    let traced = server
        .log
        .wait_for_traced("recv", Some(bob), &sessions, WAIT);
    assert_eq!(traced, sessions);
}

#[test]
fn nc_typed_lines_with_control_characters_are_cleaned() {
    let Some(nc) = tool("nc") else { return };
    let server = Server::start("chat-server", &["--port", "0"]);
    let session = "NICK m\x07allory\r\nMSG \x1b[2Jcleared?\r\nQUIT\r\n";
    let port = server.port();
    let out = run_with_input(&nc, &["-N", "127.0.0.1", &port], session.as_bytes(), WAIT);
    let text = out.stdout_text();
    assert!(text.contains("OK NICK mallory\n"), "{text}");
    assert!(text.contains("MSG mallory [2Jcleared?\n"), "{text}");
    assert!(!text.contains('\x1b'), "{text}");
}

#[test]
fn a_telnet_user_joins_the_room_with_crlf() {
    let Some(telnet) = tool("telnet") else { return };
    let server = Server::start("chat-server", &["--port", "0", "--trace"]);
    let (bob, mut bob_next) = watcher(&server);

    // telnet leaves when its input ends, so its input stays open while
    // the test reads; it is killed at the end.
    let mut telnet = Interactive::start(&telnet, &["127.0.0.1", &server.port()]);
    telnet.type_in(b"NICK tel\nMSG hello from telnet\nLIST\nQUIT\n");
    // Lines are collected in order: once BYE is there, all before it are.
    let bye = telnet.stdout.wait_for("BYE", WAIT);
    let seen = telnet.stdout.lines();
    assert!(bye.is_some(), "telnet showed {seen:?}");
    for expected in [
        "OK NICK tel",
        "MSG tel hello from telnet",
        "USERS bob tel",
        "BYE",
    ] {
        assert!(
            seen.iter().any(|l| l.trim_end_matches('\r') == expected),
            "{expected:?} not in {seen:?}"
        );
    }
    assert_eq!(bob_next(), "JOIN tel");
    assert_eq!(bob_next(), "MSG tel hello from telnet");
    assert_eq!(bob_next(), "LEAVE tel");
    // telnet ends its lines with CRLF: the server's --trace shows it.
    let sent = r"NICK tel\r\nMSG hello from telnet\r\nLIST\r\nQUIT\r\n";
    let bob = bob.local_addr().unwrap();
    assert_eq!(
        server.log.wait_for_traced("recv", Some(bob), sent, WAIT),
        sent
    );
}

/// telnet's Ctrl-C (`IAC IP IAC DO TIMING-MARK`, no LF) must be answered
/// (`IAC WONT TIMING-MARK`) as soon as it arrives: telnet throws away all it
/// receives until then, so waiting for the user's next line lost every room
/// line sent in between. Here a raw client plays telnet.
#[test]
fn telnet_s_ctrl_c_is_answered_at_once_and_the_room_is_still_heard() {
    let server = Server::start("chat-server", &["--port", "0"]);
    let connect = || {
        let stream = TcpStream::connect_timeout(&server.addr(), WAIT).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream.set_write_timeout(Some(WAIT)).unwrap();
        (stream.try_clone().unwrap(), BufReader::new(stream))
    };
    let line = |reader: &mut BufReader<TcpStream>| {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a line in time");
        line.trim_end_matches('\n').to_string()
    };
    let (mut bob_out, mut bob_in) = connect();
    assert!(line(&mut bob_in).starts_with("HELLO "));
    bob_out.write_all(b"NICK bob\n").unwrap();
    assert_eq!(line(&mut bob_in), "OK NICK bob");

    let (mut tel_out, mut tel_in) = connect();
    assert!(line(&mut tel_in).starts_with("HELLO "));
    tel_out.write_all(b"NICK x\r\n").unwrap();
    assert_eq!(line(&mut tel_in), "OK NICK x");
    assert_eq!(line(&mut bob_in), "JOIN x");

    // Ctrl-C, and nothing after it: the answer must come anyway.
    tel_out.write_all(b"\xff\xf4\xff\xfd\x06").unwrap();
    let mut answer = [0u8; 3];
    tel_in
        .read_exact(&mut answer)
        .expect("IAC WONT TIMING-MARK without waiting for a line");
    assert_eq!(answer, *b"\xff\xfc\x06");

    // The room's next line reaches the telnet user, who has typed nothing.
    bob_out.write_all(b"MSG from bob\n").unwrap();
    assert_eq!(line(&mut tel_in), "MSG bob from bob");
    assert_eq!(line(&mut bob_in), "MSG bob from bob");
}

/// The same with the real telnet, which only sends its Ctrl-C from a
/// terminal: `script` gives it one (a pty), and the `\x03` written there
/// becomes the SIGINT that telnet turns into `IAC IP IAC DO TIMING-MARK`.
#[test]
fn a_real_telnet_user_still_sees_the_room_after_ctrl_c() {
    let Some(telnet) = tool("telnet") else { return };
    let Some(script) = tool("script") else { return };
    let server = Server::start("chat-server", &["--port", "0", "--trace"]);
    let watcher = TcpStream::connect(server.addr()).unwrap();
    watcher.set_read_timeout(Some(WAIT)).unwrap();
    let mut watcher_out = watcher.try_clone().unwrap();
    let mut watcher_in = BufReader::new(watcher);
    let mut watcher_next = move || {
        let mut line = String::new();
        watcher_in
            .read_line(&mut line)
            .expect("a line for the watcher");
        line.trim_end_matches('\n').to_string()
    };
    assert!(watcher_next().starts_with("HELLO "));
    watcher_out.write_all(b"NICK watcher\n").unwrap();
    assert_eq!(watcher_next(), "OK NICK watcher");

    // -q: no "Script started" lines; -e: telnet's exit status; the
    // typescript itself is not needed.
    let command = format!("{} 127.0.0.1 {}", telnet.display(), server.port());
    let mut terminal = Guard(
        std::process::Command::new(script)
            .args(["-qec", &command, "/dev/null"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    // Everything the terminal shows, as it comes.
    let shown = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut stdout = terminal.0.stdout.take().unwrap();
    let copy = shown.clone();
    std::thread::spawn(move || {
        let mut chunk = [0u8; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut chunk) {
            copy.lock().unwrap().extend_from_slice(&chunk[..n]);
        }
    });
    let mut keyboard = terminal.0.stdin.take().unwrap();
    // Enter is CR on a terminal.
    keyboard.write_all(b"NICK tel\r").unwrap();
    assert_eq!(watcher_next(), "JOIN tel");

    keyboard.write_all(b"\x03").unwrap();
    // Only once the server has the request does the room speak: sooner,
    // telnet would show the line whatever the server does.
    server
        .log
        .wait_for("[ff f4 ff fd 06]", WAIT)
        .unwrap_or_else(|| panic!("no Ctrl-C from telnet:\n{}", server.log.text()));
    watcher_out.write_all(b"MSG after ctrl-c\n").unwrap();
    assert_eq!(watcher_next(), "MSG watcher after ctrl-c");

    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let text = String::from_utf8_lossy(&shown.lock().unwrap()).into_owned();
        if text.contains("MSG watcher after ctrl-c") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "telnet did not show the room's line: {text:?}\n{}",
            server.log.text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Kills a child process when the test ends, even on failure.
struct Guard(std::process::Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
