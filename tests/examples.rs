//! The examples ladder, run for real: each step must show what its header
//! comment promises (step 1 makes a second client wait, step 2 does not,
//! step 5's client and server agree on RFC 868, step 6's demo shows split and
//! glued reads, step 7 relays between clients).
//!
//! Every example is started on port 0 (the system picks a free port, read
//! back from its first line of output), every read has a time-out, and every
//! process is killed when its test ends.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, PoisonError};
use std::thread;
use std::time::Duration;

/// How long any single wait may last.
const TIMEOUT: Duration = Duration::from_secs(5);

/// The examples that are servers: each takes its port as first argument.
const SERVERS: [&str; 6] = [
    "01_blocking_echo",
    "02_thread_per_client",
    "03_tokio_tasks",
    "05_time_by_hand",
    "06_framing",
    "07_broadcast_chat",
];

/// The path of an example's executable, built on first use.
fn example(name: &str) -> PathBuf {
    // One build at a time: cargo would serialise them on its lock anyway.
    static BUILDING: Mutex<()> = Mutex::new(());
    let _guard = BUILDING.lock().unwrap_or_else(PoisonError::into_inner);
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["build", "--quiet", "--example", name]);
    if !cfg!(debug_assertions) {
        cmd.arg("--release");
    }
    assert!(
        cmd.status().expect("run cargo build").success(),
        "cargo build --example {name} failed"
    );
    // target/<profile>/deps/<this test>  →  target/<profile>/examples/<name>
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target dir");
    profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// A running example; killed when dropped.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Running {
    /// Starts `name` with `args`, collecting its stdout line by line.
    fn start(name: &str, args: &[&str]) -> Running {
        let mut command = Command::new(example(name));
        command.args(args);
        Running::spawn(command, name)
    }

    /// Like [`Running::start`], with the number of files the example may
    /// open set by the shell first (`ulimit -n`): each client is one.
    #[cfg(unix)]
    fn start_with_open_files(limit: u32, name: &str, args: &[&str]) -> Running {
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(format!("ulimit -n {limit} && exec \"$0\" \"$@\""))
            .arg(example(name))
            .args(args);
        Running::spawn(command, name)
    }

    /// Starts `command` (the example `name`), collecting its stdout.
    fn spawn(mut command: Command, name: &str) -> Running {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start example {name}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Running { child, lines }
    }

    /// The next line of output, or a failed test.
    fn next_line(&self) -> String {
        self.lines
            .recv_timeout(TIMEOUT)
            .expect("the example printed nothing more")
    }

    /// Reads lines until one contains `needle`; returns it.
    fn wait_for(&self, needle: &str) -> String {
        for _ in 0..100 {
            let line = self.next_line();
            if line.contains(needle) {
                return line;
            }
        }
        panic!("the example never printed {needle:?}");
    }

    /// The address in the first line, `… on 127.0.0.1:PORT…`.
    fn addr(&self) -> SocketAddr {
        addr_in(&self.next_line())
    }

    /// Like [`Running::addr`], but `None` when the example ended without
    /// a line (it could not listen: its error goes to stderr).
    fn addr_if_listening(&self) -> Option<SocketAddr> {
        self.lines
            .recv_timeout(TIMEOUT)
            .ok()
            .map(|line| addr_in(&line))
    }
}

/// The address in a line `… on 127.0.0.1:PORT…`.
fn addr_in(line: &str) -> SocketAddr {
    let after = line
        .split(" on ")
        .nth(1)
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    let addr = after.split([',', ' ']).next().unwrap();
    addr.parse()
        .unwrap_or_else(|_| panic!("no address in {line:?}"))
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn connect(addr: SocketAddr) -> (TcpStream, BufReader<TcpStream>) {
    let stream = TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect to the example");
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let reader = BufReader::new(stream.try_clone().unwrap());
    (stream, reader)
}

fn say_and_hear(stream: &mut TcpStream, reader: &mut BufReader<TcpStream>, line: &str) {
    writeln!(stream, "{line}").unwrap();
    let mut heard = String::new();
    reader.read_line(&mut heard).expect("no echo came back");
    assert_eq!(heard, format!("{line}\n"));
}

#[test]
fn step_1_makes_the_second_client_wait() {
    let server = Running::start("01_blocking_echo", &["0"]);
    let addr = server.addr();
    let (mut first, mut first_reader) = connect(addr);
    say_and_hear(&mut first, &mut first_reader, "first");
    // The connection succeeds (the kernel queues it) but nobody reads it.
    let (mut second, mut second_reader) = connect(addr);
    writeln!(second, "second").unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let mut byte = [0; 1];
    assert!(
        second.peek(&mut byte).is_err(),
        "step 1 must not serve two clients at once"
    );
    // Once the first client leaves, the second one is served.
    drop(first_reader);
    drop(first);
    second.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut heard = String::new();
    second_reader
        .read_line(&mut heard)
        .expect("the second client is served after the first");
    assert_eq!(heard, "second\n");
}

#[test]
fn steps_2_and_3_serve_clients_at_once() {
    for name in ["02_thread_per_client", "03_tokio_tasks"] {
        let server = Running::start(name, &["0"]);
        let addr = server.addr();
        let (mut first, mut first_reader) = connect(addr);
        say_and_hear(&mut first, &mut first_reader, "first");
        let (mut second, mut second_reader) = connect(addr);
        say_and_hear(
            &mut second,
            &mut second_reader,
            "second, while first is connected",
        );
        say_and_hear(&mut first, &mut first_reader, "first again");
    }
}

#[test]
fn step_4_client_talks_to_step_3() {
    let server = Running::start("03_tokio_tasks", &["0"]);
    let port = server.addr().port().to_string();
    let mut client = Command::new(example("04_blocking_client"))
        .arg(&port)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start 04_blocking_client");
    client.stdin.take().unwrap().write_all(b"hello\n").unwrap();
    let mut stdout = client.stdout.take().unwrap();
    let output = thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || tx.send(output.join().unwrap()));
    let text = rx.recv_timeout(TIMEOUT);
    let _ = client.kill();
    let _ = client.wait();
    let text = text.expect("04_blocking_client did not finish after end of input");
    assert!(
        text.contains(&format!("→ server 127.0.0.1:{port}")),
        "{text}"
    );
    assert!(text.contains("echo: hello"), "{text}");
}

#[test]
fn step_5_client_and_server_agree_on_rfc_868() {
    let server = Running::start("05_time_by_hand", &["0"]);
    let addr = server.addr();
    // By hand: exactly 4 bytes, then the server closes.
    let (mut raw, _) = connect(addr);
    let mut bytes = Vec::new();
    raw.read_to_end(&mut bytes)
        .expect("the server closes after its answer");
    assert_eq!(bytes.len(), 4, "RFC 868 is 4 bytes: {bytes:?}");
    let sent = i64::from(u32::from_be_bytes(bytes.try_into().unwrap())) - 2_208_988_800;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    assert!(
        (sent - now.as_secs() as i64).abs() <= 2,
        "the server's time is not now"
    );
    // The example's own client side: it must decode the 4 bytes as the RFC
    // says (big-endian, seconds since 1900), so what it prints is now.
    let client = Running::start("05_time_by_hand", &["client", &addr.port().to_string()]);
    let line = client.wait_for("since 1970");
    let since_1900 = number_before(&line, " s since 1900");
    let since_1970 = number_before(&line, " s since 1970");
    assert_eq!(
        since_1900 - since_1970,
        2_208_988_800,
        "1900 → 1970 is 2,208,988,800 s: {line}"
    );
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (since_1970 - now).abs() <= 5,
        "the client's time is not now ({now} s since 1970; wrong byte order?): {line}"
    );
}

/// The number just before `marker` in `line` (`… = 123 s since 1900 …`).
fn number_before(line: &str, marker: &str) -> i64 {
    let before = line
        .find(marker)
        .map(|at| &line[..at])
        .unwrap_or_else(|| panic!("no {marker:?} in {line:?}"));
    let word = before.rsplit(' ').next().unwrap_or_default();
    word.parse()
        .unwrap_or_else(|_| panic!("no number before {marker:?} in {line:?}"))
}

#[test]
fn step_6_demo_shows_split_and_glued_reads() {
    let demo = Running::start("06_framing", &["demo"]);
    demo.wait_for("read() gave 3 byte(s): \"hel\"");
    demo.wait_for("→ a complete line: \"hello world\"");
    demo.wait_for("read() gave 28 byte(s)");
    demo.wait_for("→ a complete line: \"together\"");
    demo.wait_for("line: in one write");
}

#[test]
fn step_7_relays_between_clients() {
    let server = Running::start("07_broadcast_chat", &["0"]);
    let addr = server.addr();
    let (mut alice, mut alice_reader) = connect(addr);
    let (_bob, mut bob_reader) = connect(addr);
    let mut line = String::new();
    alice_reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("welcome "), "{line}");
    line.clear();
    bob_reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("welcome "), "{line}");
    // Both are subscribed once welcomed.
    writeln!(alice, "hello bob").unwrap();
    line.clear();
    bob_reader.read_line(&mut line).expect("bob hears alice");
    assert_eq!(
        line,
        format!("{}: hello bob\n", alice.local_addr().unwrap())
    );
}

/// Closes `stream` abruptly: with `SO_LINGER` set to 0, closing sends a TCP
/// RST instead of the polite FIN ("connection reset by peer").
fn reset(stream: TcpStream) {
    let socket = tokio::net::TcpSocket::from_std_stream(stream);
    socket.set_zero_linger().expect("set SO_LINGER to 0");
    drop(socket);
}

/// Connects and resets at once, `count` times: the server meets clients
/// that are gone before it has even looked at them.
fn reset_clients(addr: SocketAddr, count: usize) {
    for _ in 0..count {
        let stream = TcpStream::connect_timeout(&addr, TIMEOUT)
            .expect("connect to the example (did one client's reset stop it?)");
        reset(stream);
    }
}

#[test]
fn a_reset_client_does_not_stop_steps_1_2_and_5() {
    // Step 1: while a first client is served, the reset ones wait in the
    // queue, so the server meets them only once they are reset.
    let server = Running::start("01_blocking_echo", &["0"]);
    let addr = server.addr();
    let (mut first, mut first_reader) = connect(addr);
    say_and_hear(&mut first, &mut first_reader, "first");
    reset_clients(addr, 5);
    drop(first_reader);
    drop(first);
    let (mut next, mut next_reader) = connect(addr);
    say_and_hear(&mut next, &mut next_reader, "still served after resets");

    let server = Running::start("02_thread_per_client", &["0"]);
    let addr = server.addr();
    reset_clients(addr, 50);
    let (mut next, mut next_reader) = connect(addr);
    say_and_hear(&mut next, &mut next_reader, "still served after resets");

    let server = Running::start("05_time_by_hand", &["0"]);
    let addr = server.addr();
    reset_clients(addr, 50);
    let (mut next, _) = connect(addr);
    let mut bytes = Vec::new();
    next.read_to_end(&mut bytes)
        .expect("the time server still answers after resets");
    assert_eq!(bytes.len(), 4, "RFC 868 is 4 bytes: {bytes:?}");
}

#[test]
fn step_6_listens_on_the_port_given() {
    // A port free when chosen: another test may take it before 06_framing
    // binds it. Then 06_framing says so on stderr and ends, without its
    // line: another port is tried (five in all).
    let (_server, addr, port) = (0..5)
        .find_map(|_| {
            let port = {
                let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                free.local_addr().unwrap().port()
            };
            let server = Running::start("06_framing", &[&port.to_string()]);
            let addr = server.addr_if_listening()?;
            Some((server, addr, port))
        })
        .expect("06_framing could not listen on any of 5 free ports");
    assert_eq!(addr.port(), port, "06_framing ignored its port argument");
    let (mut stream, mut reader) = connect(addr);
    writeln!(stream, "hi").unwrap();
    let mut heard = String::new();
    reader.read_line(&mut heard).expect("no answer");
    assert_eq!(heard, "line: hi\n");
}

#[test]
fn step_7_says_why_a_client_was_cut_off() {
    let server = Running::start("07_broadcast_chat", &["0"]);
    let addr = server.addr();
    let (mut stream, _reader) = connect(addr);
    let me = stream.local_addr().unwrap();
    // Over the 512-byte limit of its LinesCodec, without a `\n`.
    stream.write_all(&[b'x'; 600]).unwrap();
    let line = server.wait_for(&format!("{me} failed"));
    assert!(line.contains("length"), "not the reason: {line:?}");
}

/// Runs `name` with `args` until it ends (or fails the test after
/// [`TIMEOUT`]); returns how it ended and what it wrote on stderr.
fn run_to_end(name: &str, args: &[&str]) -> (ExitStatus, String) {
    let mut child = Command::new(example(name))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start example {name}: {e}"));
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        let _ = tx.send(text);
    });
    let text = rx.recv_timeout(TIMEOUT);
    let _ = child.kill();
    let status = child.wait().expect("wait for the example");
    let text = text.unwrap_or_else(|_| panic!("{name} {args:?} did not stop"));
    (status, text)
}

#[test]
fn errors_are_explained_in_plain_words() {
    // A port nobody listens on: clients are refused.
    let refuser = support::RefusingTcp::new();
    let closed = refuser.port();
    for (name, args, server) in [
        (
            "04_blocking_client",
            vec![closed.as_str()],
            "03_tokio_tasks",
        ),
        (
            "05_time_by_hand",
            vec!["client", &closed],
            "05_time_by_hand",
        ),
    ] {
        let (status, stderr) = run_to_end(name, &args);
        assert!(!status.success(), "{name} cannot succeed without a server");
        assert!(
            !stderr.contains("Os {") && stderr.contains("is the server started?"),
            "{name}: {stderr}"
        );
        assert!(
            stderr.contains(&format!("cargo run --example {server}")),
            "{name}: {stderr}"
        );
    }
    // A port already taken: servers cannot listen.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for name in SERVERS {
        let (status, stderr) = run_to_end(name, &[&port]);
        assert!(
            !status.success(),
            "{name} cannot listen on a port already taken"
        );
        assert!(
            !stderr.contains("Os {") && stderr.contains(&format!("uses port {port}")),
            "{name}: {stderr}"
        );
    }
}

/// The headers and sheets send the clients to other servers than their own:
/// `04_blocking_client -- 17194` to step 7's chat (sheet 11), `-- 10007` to
/// echo-server, `05_time_by_hand client 10037` to time-server. Refused
/// there, a client names the server that port belongs to, not its own
/// (step 3's echo would not be the chat the student is looking for).
/// These ports are fixed by the ladder: one something listens on is left
/// out, with a message.
#[test]
fn a_refused_client_names_the_server_of_that_port() {
    for (name, args, start) in [
        (
            "04_blocking_client",
            vec!["17194"],
            "cargo run --example 07_broadcast_chat",
        ),
        (
            "04_blocking_client",
            vec!["10007"],
            "cargo run --bin echo-server",
        ),
        (
            "05_time_by_hand",
            vec!["client", "10037"],
            "cargo run --bin time-server",
        ),
    ] {
        let port: u16 = args.last().unwrap().parse().unwrap();
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            eprintln!("port {port} is in use here: {name} {args:?} not checked");
            continue;
        }
        let (status, stderr) = run_to_end(name, &args);
        assert!(!status.success(), "{name} {args:?}: {stderr}");
        assert!(
            stderr.contains(&format!("Run {start} first")),
            "{name} {args:?}: {stderr}"
        );
    }
}

/// Telnet's Ctrl-C sends Telnet commands (`IAC IP IAC DO TIMING-MARK`),
/// bytes that are not UTF-8: step 7's header says its `LinesCodec` cuts
/// that client off, and the server says why.
#[test]
fn step_7_cuts_off_telnet_s_ctrl_c_and_says_why() {
    let server = Running::start("07_broadcast_chat", &["0"]);
    let (mut stream, _reader) = connect(server.addr());
    let me = stream.local_addr().unwrap();
    stream.write_all(b"\xff\xf4\xff\xfd\x06hello\r\n").unwrap();
    let line = server.wait_for(&format!("{me} failed"));
    assert!(
        line.contains("Unable to decode input as UTF8"),
        "not the header's reason: {line:?}"
    );
}

/// A mistyped port (`8O37` with a letter O, `70000`) is a usage error
/// (exit status 2), named in one plain line, never a silent fall-back to the
/// default port: the student would look for the server on the wrong one.
#[test]
fn a_bad_port_argument_is_refused_in_plain_words() {
    let mut runs: Vec<(&str, Vec<&str>)> = Vec::new();
    for name in SERVERS {
        runs.push((name, vec!["8O37"]));
        runs.push((name, vec!["70000"]));
    }
    // A client must name a real server's port: 0 is none.
    for args in [vec!["8O37"], vec!["-1"], vec!["0"]] {
        runs.push(("04_blocking_client", args));
    }
    for args in [vec!["client", "65536"], vec!["client", "0"]] {
        runs.push(("05_time_by_hand", args));
    }
    for (name, args) in runs {
        let (status, stderr) = run_to_end(name, &args);
        assert_eq!(status.code(), Some(2), "{name} {args:?}: {stderr}");
        let bad = *args.last().unwrap();
        let (why, fix) = if bad == "0" {
            ("port 0 is no server's port".to_string(), "its first line")
        } else {
            (format!("{bad:?} is not a port number"), "from 1 to 65535")
        };
        assert!(
            stderr.contains(&why) && stderr.contains(fix) && stderr.lines().count() == 1,
            "{name} {args:?}: {stderr}"
        );
    }
}

/// With every file it may open in use, a server's `accept` fails at once,
/// again and again ("too many open files"): the examples pause after an
/// accept error instead of printing that line thousands of times a second,
/// and serve again once clients leave and free their files.
#[cfg(unix)]
#[test]
fn too_many_open_files_pauses_the_accept_loop_then_serves_again() {
    // 32 files: the runtime's own, then about 25 clients.
    const LIMIT: u32 = 32;
    for name in ["02_thread_per_client", "03_tokio_tasks"] {
        let server = Running::start_with_open_files(LIMIT, name, &["0"]);
        let addr = server.addr();
        // Twice the limit: the kernel completes every connection (its
        // queue holds 128), but the server cannot accept them all.
        let clients: Vec<TcpStream> = (0..2 * LIMIT)
            .map(|_| TcpStream::connect_timeout(&addr, TIMEOUT).expect("connect"))
            .collect();
        server.wait_for("accept failed");
        // What the server printed in one second, from now on.
        while server.lines.try_recv().is_ok() {}
        thread::sleep(Duration::from_secs(1));
        let failures = server
            .lines
            .try_iter()
            .filter(|line| line.contains("accept failed"))
            .count();
        assert!(
            (1..=30).contains(&failures),
            "{name}: {failures} accept errors in one second (a pause keeps them near 10)"
        );
        // Clients leave: their files are free, the queued ones are served.
        drop(clients);
        let (mut next, mut next_reader) = connect(addr);
        say_and_hear(&mut next, &mut next_reader, "served again");
    }
}
