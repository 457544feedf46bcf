//! Integration tests of `raw-client`, run as a real process against the
//! workspace's own servers: HTTP typed by hand (`--crlf`), chat/1, echo over
//! TCP (binary data, half-close) and UDP.

mod support;

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{Server, bin, run_client, run_with_input};

const T: Duration = Duration::from_secs(20);

/// The same bytes at every run (see `support::noise`).
fn noise(len: usize) -> Vec<u8> {
    support::noise(len, 0x9e37_79b9_7f4a_7c15)
}

#[test]
fn http_typed_by_hand_with_crlf() {
    let server = Server::start("http-server", &["--port", "0"]);
    // What a student types: LF line ends, which --crlf turns into CR LF.
    let typed = b"GET /?by=hand HTTP/1.1\nHost: typed\nConnection: close\n\n";
    let out = run_with_input(
        &bin("raw-client"),
        &["--crlf", "127.0.0.1", &server.port()],
        typed,
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    let text = out.stdout_text();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    // The page shows the exact bytes the server received: CR LF everywhere.
    assert!(
        text.contains("GET /?by=hand HTTP/1.1\\r\\n\nHost: typed\\r\\n"),
        "{text}"
    );
    assert!(
        out.stderr
            .contains(&format!("connected to {}", server.addr())),
        "{}",
        out.stderr
    );
}

#[test]
fn without_crlf_the_bytes_are_sent_unchanged() {
    let server = Server::start("http-server", &["--port", "0"]);
    // HTTP servers accept bare LF too (RFC 9112 §2.2), so this still works,
    // and the page shows that no CR was added.
    let out = run_with_input(
        &bin("raw-client"),
        &["127.0.0.1", &server.port()],
        b"GET / HTTP/1.0\n\n",
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    let text = out.stdout_text();
    assert!(text.starts_with("HTTP/1.1 200 OK"), "{text}");
    assert!(text.contains("GET / HTTP/1.0\\n"), "{text}");
    assert!(!text.contains("HTTP/1.0\\r\\n"), "{text}");
}

#[test]
fn piped_binary_data_comes_back_whole_after_a_half_close() {
    let server = Server::start("echo-server", &["--port", "0"]);
    // 2 MiB: more than the socket buffers hold, so sending and receiving
    // must run side by side, and the end of input must be a half-close
    // (the echo server sends everything back, then closes).
    let data = noise(2 * 1024 * 1024);
    let out = run_with_input(&bin("raw-client"), &["127.0.0.1", &server.port()], &data, T);
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout.len(), data.len());
    assert!(out.stdout == data, "the bytes came back changed");
    assert!(out.stderr.contains("half-close"), "{}", out.stderr);
    assert!(
        out.stderr.contains("the server has finished sending"),
        "{}",
        out.stderr
    );
    // Nobody is at a keyboard: no "type lines and press Enter".
    assert!(out.stderr.contains("connected to"), "{}", out.stderr);
    assert!(!out.stderr.contains("type lines"), "{}", out.stderr);
}

#[test]
fn chat_by_hand_and_the_server_closing_ends_the_client() {
    let server = Server::start("chat-server", &["--port", "0"]);
    let mut child = Command::new(bin("raw-client"))
        .args(["127.0.0.1", &server.port()])
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Keep stdin open: only the server's close may end the client.
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"NICK alice\nMSG hello everyone\nQUIT see you\n")
        .unwrap();
    let status = support::wait_for_exit(
        &mut child,
        T,
        "raw-client did not exit when chat-server closed the connection",
    );
    drop(stdin);
    let mut out = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    assert!(status.success(), "{status:?}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("HELLO"), "{out}");
    assert!(lines.contains(&"OK NICK alice"), "{out}");
    assert!(lines.contains(&"MSG alice hello everyone"), "{out}");
    assert_eq!(lines.last(), Some(&"BYE"), "{out}");
}

#[test]
fn udp_lines_are_datagrams_echoed_back() {
    let server = Server::start("echo-server", &["--port", "0"]);
    let out = run_with_input(
        &bin("raw-client"),
        &[
            "--udp",
            "--wait",
            "1",
            "--trace",
            "127.0.0.1",
            &server.port(),
        ],
        b"first\nsecond\n",
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout_text(), "first\nsecond\n");
    assert!(
        out.stderr.contains("sent a datagram of 6 bytes to"),
        "one datagram per line: {}",
        out.stderr
    );
    assert!(
        out.stderr.contains("recv a datagram of 7 bytes from"),
        "{}",
        out.stderr
    );
}

#[test]
fn trace_shows_both_directions() {
    let server = Server::start("echo-server", &["--port", "0"]);
    let out = run_with_input(
        &bin("raw-client"),
        &["--trace", "127.0.0.1", &server.port()],
        b"ping\n",
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("sent 5 bytes to   {}: \"ping\\n\"", server.addr())),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains(&format!("recv 5 bytes from {}: \"ping\\n\"", server.addr())),
        "{}",
        out.stderr
    );
    // With -q too: the trace, and nothing else (it used to show nothing).
    let out = run_with_input(
        &bin("raw-client"),
        &["--trace", "-q", "127.0.0.1", &server.port()],
        b"ping\n",
        T,
    );
    assert!(out.stderr.contains("recv 5 bytes from"), "{}", out.stderr);
    assert!(!out.stderr.contains("connected to"), "{}", out.stderr);
}

#[test]
fn a_closed_port_is_explained() {
    let closed = support::RefusingTcp::new();
    let out = run_client("raw-client", &["127.0.0.1", &closed.port()], T);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stderr.contains("no server listens"), "{}", out.stderr);
}

/// raw-client --udp sends each line as it comes, like `nc -u`: a datagram
/// to a port where nothing listens is answered "port unreachable", which
/// ends it with that explanation, never "connection refused".
#[test]
fn nothing_listening_on_udp_is_not_called_a_refused_connection() {
    let closed = support::RefusingUdp::new();
    let nobody = closed.addr();
    let out = run_with_input(
        &bin("raw-client"),
        &["--udp", "127.0.0.1", &nobody.port().to_string()],
        b"hello\n",
        T,
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stderr);
    support::assert_nothing_listens_udp(&out.stderr, nobody);
}

#[test]
fn a_timeout_of_zero_is_refused() {
    let out = run_client("raw-client", &["--timeout", "0", "127.0.0.1", "9"], T);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("more than 0"), "{}", out.stderr);
}

/// A flag that only means something over UDP, given without `--udp`, is a
/// mistake said at once (exit 2): silently ignored, it would let a student
/// believe TCP also needs resending or waiting.
#[test]
fn udp_only_flags_need_udp() {
    for (client, args) in [
        ("raw-client", vec!["--wait", "2", "127.0.0.1", "9"]),
        ("echo-client", vec!["--retries", "5", "hi"]),
        ("time-client", vec!["--retries", "5"]),
    ] {
        let out = run_client(client, &args, T);
        assert_eq!(out.status.code(), Some(2), "{client}: {}", out.stderr);
        assert!(out.stderr.contains("--udp"), "{client}: {}", out.stderr);
    }
}

/// Port 0 is no server's port (a server asking for it gets a free one):
/// refused with the reason, over TCP and UDP, and by the other clients too.
#[test]
fn port_zero_is_refused_with_the_reason() {
    for (client, args) in [
        ("raw-client", vec!["127.0.0.1", "0"]),
        ("raw-client", vec!["--udp", "127.0.0.1", "0"]),
        ("echo-client", vec!["--port", "0", "hi"]),
        ("time-client", vec!["--port", "0"]),
        ("chat-client", vec!["--port", "0"]),
    ] {
        let out = run_client(client, &args, T);
        assert_eq!(out.status.code(), Some(2), "{client}: {}", out.stderr);
        assert!(
            out.stderr.contains("not a server's port"),
            "{client}: {}",
            out.stderr
        );
    }
}

/// `HOST:PORT` in one argument (protocol-check's and a browser's form) is
/// answered with the two arguments raw-client takes, like nc and telnet,
/// not with a bare "missing <PORT>".
#[test]
fn host_and_port_in_one_argument_get_the_two_argument_form() {
    for (arg, hint) in [
        ("127.0.0.1:8080", "raw-client 127.0.0.1 8080"),
        ("localhost:10194", "raw-client localhost 10194"),
        ("[::1]:10007", "raw-client ::1 10007"),
    ] {
        let out = run_client("raw-client", &[arg], T);
        assert_eq!(out.status.code(), Some(2), "{arg}: {}", out.stderr);
        assert!(out.stderr.contains(hint), "{arg}: {}", out.stderr);
        // The usage line names the program, not its crate ("tools").
        assert!(out.stderr.contains("Usage: raw-client "), "{}", out.stderr);
    }
    // A host alone is still told that the port is missing.
    let out = run_client("raw-client", &["127.0.0.1"], T);
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("<PORT>"), "{}", out.stderr);
}

/// The tools name themselves, not the crate they are built from.
#[test]
fn the_tools_say_their_own_name_in_version() {
    for tool in ["raw-client", "ports", "protocol-check"] {
        let out = run_client(tool, &["--version"], T);
        assert_eq!(out.status.code(), Some(0), "{tool}: {}", out.stderr);
        let stdout = out.stdout_text();
        assert!(stdout.starts_with(&format!("{tool} ")), "{tool}: {stdout}");
    }
}

/// A big write is traced over several lines, each naming the bytes it
/// shows: every byte is still there, and no line is too long to read.
#[test]
fn a_big_chunk_is_traced_over_several_readable_lines() {
    let server = Server::start("echo-server", &["--port", "0"]);
    let line = format!("{}\n", "é".repeat(3000)); // 6,001 bytes of text
    let out = run_with_input(
        &bin("raw-client"),
        &["--trace", "127.0.0.1", &server.port()],
        line.as_bytes(),
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert_eq!(out.stdout_text(), line);
    let sent: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("sent 6001 bytes to"))
        .collect();
    assert!(
        sent.len() >= 6,
        "one line per 1,024 bytes at most: {sent:#?}"
    );
    assert!(sent[0].contains("(bytes 1 to "), "{}", sent[0]);
    assert!(sent.last().unwrap().contains(" to 6001): "), "{sent:#?}");
    for l in &sent {
        assert!(l.len() < 3000, "a line of {} characters", l.len());
        assert!(
            l.contains(": \"é"),
            "shown as text, cut between characters: {l}"
        );
    }
}

/// A server that sends `bytes` to its first client, then closes.
#[cfg(unix)]
fn server_that_says(bytes: &'static [u8]) -> (String, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let server = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let _ = s.write_all(bytes);
    });
    (port, server)
}

/// On a terminal (`script` gives it one), a server's escape sequences are
/// shown, not obeyed: this one would clear the screen and retitle the window.
#[cfg(unix)]
#[test]
fn a_servers_escape_sequences_cannot_drive_the_terminal() {
    let Some(script) = support::tool("script") else {
        return;
    };
    let (port, server) = server_that_says(b"hi\x1b]0;PWNED\x07\x1b[2J there\r\n");
    // -q: no log lines (coloured on a terminal) among the server's bytes.
    let command = format!("{} -q 127.0.0.1 {port}", bin("raw-client").display());
    let out = run_with_input(&script, &["-qec", &command, "/dev/null"], b"", T);
    server.join().unwrap();
    let text = out.stdout_text();
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(
        text.contains("hi\\x1b]0;PWNED\\x07\\x1b[2J there"),
        "{text:?}"
    );
    // Piped, the output stays byte for byte.
    let (port, server) = server_that_says(b"hi\x1b[2J\r\n");
    let out = run_with_input(&bin("raw-client"), &["127.0.0.1", &port], b"", T);
    server.join().unwrap();
    assert_eq!(out.stdout, b"hi\x1b[2J\r\n");
}

/// An output that cannot be written (a full disk) is an error, not a
/// silent success with a page cut short.
#[cfg(target_os = "linux")]
#[test]
fn an_output_that_cannot_be_written_is_an_error() {
    let (port, server) = server_that_says(b"a page\r\n");
    let out = Command::new(bin("raw-client"))
        .args(["127.0.0.1", &port])
        .stdin(Stdio::null())
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    server.join().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("writing standard output"), "{stderr}");
}
