//! The load tool proves itself against our real servers, briefly: a few
//! connections for half a second each, so this stays a test, not a benchmark.
//! (The full comparison with socat, iperf3, xinetd and ncat is
//! `scripts/bench.sh`; its results are in docs/benchmarks.md.)

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::{Server, run_client};

const T: Duration = Duration::from_secs(20);

/// The number after `"name":` in a one-line JSON object.
fn json_number(json: &str, name: &str) -> f64 {
    let key = format!("\"{name}\":");
    let at = json
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {json}"))
        + key.len();
    let digits: String = json[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+'))
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number in {json}"))
}

/// Checks that `text` is one JSON object on one line, braces and quotes balanced.
fn assert_one_json_object(text: &str) {
    let text = text.trim();
    assert!(
        text.starts_with('{') && text.ends_with('}') && !text.contains('\n'),
        "{text}"
    );
    let (mut depth, mut in_string, mut escaped) = (0i32, false, false);
    for (i, c) in text.char_indices() {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, '{') => depth += 1,
            (false, _, '}') => {
                depth -= 1;
                assert!(depth > 0 || i == text.len() - 1, "trailing text: {text}");
            }
            _ => {}
        }
    }
    assert_eq!(depth, 0, "{text}");
    assert!(!in_string, "{text}");
}

#[test]
fn pingpong_measures_verified_round_trips_as_json() {
    let server = Server::start("echo-server", &["--port", "0", "--transport", "tcp"]);
    let port = server.port();
    let out = run_client(
        "netlab-bench",
        &[
            "echo-pingpong",
            "--port",
            &port,
            "--connections",
            "2",
            "--duration",
            "0.5",
            "--json",
        ],
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    let json = out.stdout_text();
    assert_one_json_object(&json);
    assert!(json.contains(r#""bench":"echo-pingpong""#), "{json}");
    assert!(json.contains(r#""connections":"2""#), "{json}");
    assert!(json_number(&json, "round_trips") > 10.0, "{json}");
    let (p50, p99, max) = (
        json_number(&json, "p50_ms"),
        json_number(&json, "p99_ms"),
        json_number(&json, "max_ms"),
    );
    assert!(0.0 < p50 && p50 <= p99 && p99 <= max, "{json}");
}

#[test]
fn bulk_echo_is_verified_and_shown_as_a_table() {
    let server = Server::start("echo-server", &["--port", "0", "--transport", "tcp"]);
    let port = server.port();
    let out = run_client(
        "netlab-bench",
        &[
            "echo-bulk",
            "--port",
            &port,
            "--connections",
            "2",
            "--duration",
            "0.5",
        ],
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    let table = out.stdout_text();
    assert!(table.contains("echo-bulk against 127.0.0.1:"), "{table}");
    assert!(
        table.contains("mb_per_s") && table.contains("verified"),
        "{table}"
    );
}

#[test]
fn a_server_that_does_not_echo_fails_the_run() {
    // chat-server answers with HELLO, not an echo: the bytes cannot match.
    let server = Server::start("chat-server", &["--port", "0"]);
    let port = server.port();
    let out = run_client(
        "netlab-bench",
        &[
            "echo-pingpong",
            "--port",
            &port,
            "--connections",
            "1",
            "--duration",
            "0.5",
        ],
        T,
    );
    assert!(!out.status.success());
    assert!(out.stderr.contains("error:"), "{}", out.stderr);
}

/// Runs `netlab-bench <args>` against `server`, which it is told the port
/// and the process id of; returns the one JSON line it must print.
fn measure(server: &Server, args: &[&str]) -> String {
    let (port, pid) = (server.port(), server.pid().to_string());
    let mut all = args.to_vec();
    all.extend(["--port", &port, "--pid", &pid, "--json"]);
    let out = run_client("netlab-bench", &all, T);
    assert!(out.status.success(), "{}", out.stderr);
    let json = out.stdout_text();
    assert_one_json_object(&json);
    json
}

#[test]
fn chat_fanout_delivers_every_line_in_order() {
    // --max-clients fits the run: no machine's open-files limit can make
    // the server warn at startup, so any WARN below is about the clients.
    let server = Server::start("chat-server", &["--port", "0", "--max-clients", "200"]);
    let args = [
        "chat-fanout",
        "--clients",
        "100",
        "--senders",
        "2",
        "--messages",
        "20",
    ];
    let json = measure(&server, &args);
    // chat/1 sends every MSG to everyone, the sender included: 100 × 2 × 20.
    assert_eq!(json_number(&json, "expected"), 4000.0, "{json}");
    assert_eq!(json_number(&json, "delivered"), 4000.0, "{json}");
    assert_eq!(json_number(&json, "out_of_order"), 0.0, "{json}");
    assert!(json_number(&json, "cost_us_per_line") >= 0.0, "{json}");
    // The load tool leaves politely (FIN, then reads until the server
    // closes): the server sees 100 clients leave, and no network error
    // (dropping them with lines still unread made resets, logged as such).
    let last = server.log.wait_for("(0 connected)", T);
    assert!(last.is_some(), "{}", server.log.text());
    let log = server.log.text();
    assert_eq!(
        log.matches("closed the connection without QUIT").count(),
        100,
        "{log}"
    );
    assert!(!log.contains("WARN"), "{log}");
}

#[test]
fn raw_mode_counts_the_lines_a_relay_sends_to_the_others() {
    // The bare relay of docs/benchmarks.md, which speaks as `ncat --chat`
    // does: each line goes to everyone but its sender, as `<userN> text`.
    let relay = Server::start_example("bench", "bare_relay", &["0"]);
    let args = [
        "chat-fanout",
        "--mode",
        "raw",
        "--clients",
        "20",
        "--senders",
        "2",
        "--messages",
        "20",
    ];
    let json = measure(&relay, &args);
    // 19 recipients for each of 2 × 20 lines.
    assert_eq!(json_number(&json, "expected"), 760.0, "{json}");
    assert_eq!(json_number(&json, "delivered"), 760.0, "{json}");
    assert_eq!(json_number(&json, "out_of_order"), 0.0, "{json}");
    assert_eq!(json_number(&json, "duplicated"), 0.0, "{json}");
    assert!(json_number(&json, "server_cpu_s") >= 0.0, "{json}");
}

/// `netlab-bench idle` with `connections` held for 0.3 s.
fn idle(server: &Server, connections: &str) -> String {
    measure(
        server,
        &["idle", "--connections", connections, "--hold", "0.3"],
    )
}

#[test]
fn idle_connections_are_held_and_the_server_memory_is_read() {
    let server = Server::start("chat-server", &["--port", "0"]);
    let json = idle(&server, "300");
    assert_eq!(json_number(&json, "closed_by_server"), 0.0, "{json}");
    let (before, after) = (
        json_number(&json, "rss_before_kib"),
        json_number(&json, "rss_after_kib"),
    );
    assert!(
        before > 0.0 && after > before,
        "300 clients cost nothing? {json}"
    );

    // A server that drops its clients must not look cheap: the check at the
    // end counts the connections it closed.
    let full = Server::start("chat-server", &["--port", "0", "--max-clients", "100"]);
    let json = idle(&full, "150");
    assert_eq!(json_number(&json, "closed_by_server"), 50.0, "{json}");
}

#[test]
fn connect_rate_counts_a_bare_time_server() {
    // The floor of docs/benchmarks.md: answers (checked by the load tool,
    // which fails on a wrong one) and closes at once.
    let server = Server::start_example("bench", "bare_time", &["0"]);
    let out = run_client(
        "netlab-bench",
        &[
            "connect-rate",
            "--service",
            "time",
            "--port",
            &server.port(),
            "--duration",
            "0.3",
            "--json",
        ],
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(json_number(&out.stdout_text(), "connections") > 0.0);
}

#[test]
fn connect_rate_validates_daytime_answers() {
    let server = Server::start_expecting("time-server", &["--port", "0", "--daytime-port", "0"], 2);
    let daytime = server
        .log
        .lines()
        .iter()
        .find(|l| l.contains("daytime"))
        .and_then(|l| support::listening_addr(l))
        .expect("daytime's listening line");
    let out = run_client(
        "netlab-bench",
        &[
            "connect-rate",
            "--service",
            "daytime",
            "--port",
            &daytime.port().to_string(),
            "--duration",
            "0.3",
            "--json",
        ],
        T,
    );
    assert!(out.status.success(), "{}", out.stderr);
    assert!(json_number(&out.stdout_text(), "connections") > 0.0);
}

#[test]
fn other_machines_are_refused_before_any_traffic() {
    let out = run_client(
        "netlab-bench",
        &[
            "echo-bulk",
            "--host",
            "192.0.2.1",
            "--port",
            "7",
            "--duration",
            "0.5",
        ],
        T,
    );
    // A usage mistake (exit code 2), not a failed measurement.
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("not a loopback address"),
        "{}",
        out.stderr
    );
    let zero = run_client("netlab-bench", &["idle", "--port", "0"], T);
    assert_eq!(zero.status.code(), Some(2), "{}", zero.stderr);
    assert!(zero.stderr.contains("port 0"), "{}", zero.stderr);
}

#[test]
fn a_rate_out_of_range_is_a_usage_mistake() {
    let out = run_client(
        "netlab-bench",
        &["chat-fanout", "--port", "9", "--rate=-1"],
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("--rate must be between"),
        "{}",
        out.stderr
    );
}

// ---- Misbehaving servers -------------------------------------------------
//
// A load tool meets broken servers too: each one below is a few lines of
// plain threads on a free loopback port, wrong in one precise way, and the
// run must say what is wrong, quickly, instead of hanging or counting it.

/// Serves every connection to a free loopback port with `serve`, each on
/// its own thread; returns the port. The threads end with their
/// connections (the tool's exit closes them), the listener with the test.
fn fake_server(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = Arc::new(serve);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let serve = serve.clone();
            std::thread::spawn(move || serve(stream));
        }
    });
    port.to_string()
}

#[test]
fn a_wrong_echo_fails_the_run_at_once() {
    // Echoes everything, with one bit flipped at byte 100,000. The tool
    // stops reading there; the old code then waited for its writer, which
    // the server (blocked on an echo nobody read) no longer read from: a
    // time-out after 10.5 s naming "0 bytes", not the wrong byte.
    let port = fake_server(|mut stream| {
        let mut buf = vec![0u8; 64 * 1024];
        let mut at = 0usize;
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            if (at..at + n).contains(&100_000) {
                buf[100_000 - at] ^= 1;
            }
            at += n;
            if stream.write_all(&buf[..n]).is_err() {
                return;
            }
        }
    });
    let began = Instant::now();
    let out = run_client(
        "netlab-bench",
        &["echo-bulk", "--port", &port, "--duration", "0.5"],
        T,
    );
    assert!(!out.status.success(), "{}", out.stdout_text());
    assert!(
        out.stderr
            .contains("byte 100000 of the echo differs from what was sent"),
        "{}",
        out.stderr
    );
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );
}

/// A chat/1 relay that breaks its promise in one way, for every client:
/// `Lose` drops every 10th line, `Repeat` sends each line twice, `Swap`
/// sends lines 2 and 1, 4 and 3…
#[derive(Clone, Copy, PartialEq)]
enum Relay {
    Lose,
    Repeat,
    Swap,
    /// Only the sync lines: not one benchmark line.
    Nothing,
}

fn fake_chat_server(relay: Relay) -> String {
    #[derive(Default)]
    struct Room {
        clients: Vec<TcpStream>,
        lines: u64,
        held: Option<String>,
    }
    fn broadcast(room: &mut Room, line: &str) {
        for client in &mut room.clients {
            let _ = client.write_all(line.as_bytes());
        }
    }
    let room = Arc::new(Mutex::new(Room::default()));
    fake_server(move |stream| {
        let mut me = stream.try_clone().unwrap();
        let mut nick = String::new();
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if let Some(name) = line.strip_prefix("NICK ") {
                nick = name.to_string();
                let _ = me.write_all(format!("OK NICK {nick}\n").as_bytes());
                room.lock().unwrap().clients.push(me.try_clone().unwrap());
                continue;
            }
            let Some(text) = line.strip_prefix("MSG ") else {
                continue;
            };
            let out = format!("MSG {nick} {text}\n");
            let mut room = room.lock().unwrap();
            if text.starts_with("nlb-sync") {
                broadcast(&mut room, &out);
                continue;
            }
            room.lines += 1;
            match relay {
                Relay::Lose if room.lines % 10 == 0 => {}
                Relay::Nothing => {}
                Relay::Repeat => {
                    broadcast(&mut room, &out);
                    broadcast(&mut room, &out);
                }
                Relay::Swap => match room.held.take() {
                    None => room.held = Some(out),
                    Some(first) => {
                        broadcast(&mut room, &out);
                        broadcast(&mut room, &first);
                    }
                },
                _ => broadcast(&mut room, &out),
            }
        }
        // The client left: close for good, the room's copy of the socket too.
        let _ = me.shutdown(std::net::Shutdown::Both);
    })
}

#[test]
fn chat_lines_lost_repeated_or_late_are_told_apart() {
    // 4 clients, 1 sender × 50 lines: 200 deliveries expected.
    let run = |relay| {
        let port = fake_chat_server(relay);
        let args = [
            "chat-fanout",
            "--port",
            &port,
            "--clients",
            "4",
            "--senders",
            "1",
            "--messages",
            "50",
            "--timeout",
            "5",
            "--json",
        ];
        let out = run_client("netlab-bench", &args, T);
        assert!(out.status.success(), "{}", out.stderr);
        let json = out.stdout_text();
        let figures = ["delivered", "out_of_order", "duplicated"].map(|k| json_number(&json, k));
        (figures, json)
    };
    // A lost line is missing, not "out of order" (the old count gave 20).
    let ([delivered, late, twice], json) = run(Relay::Lose);
    assert_eq!((delivered, late, twice), (180.0, 0.0, 0.0), "{json}");
    assert_eq!(json_number(&json, "completeness"), 0.9, "{json}");
    // A line received twice is delivered once (the old count went past
    // 100 % and stopped waiting before every line was there).
    let ([delivered, late, twice], json) = run(Relay::Repeat);
    assert_eq!((delivered, late), (200.0, 0.0), "{json}");
    // (The run ends with the last line's first copy: its second copy, and
    // maybe a few more, may come after the count.)
    assert!(0.0 < twice && twice <= 200.0, "{json}");
    // Of each swapped pair, one line comes after a later one: 25 per
    // client (the old count gave all 200).
    let ([delivered, late, twice], json) = run(Relay::Swap);
    assert_eq!((delivered, late, twice), (200.0, 100.0, 0.0), "{json}");
}

#[test]
fn no_line_delivered_means_no_latency_figures() {
    let port = fake_chat_server(Relay::Nothing);
    let args = [
        "chat-fanout",
        "--port",
        &port,
        "--clients",
        "3",
        "--senders",
        "1",
        "--messages",
        "5",
        "--timeout",
        "2",
        "--json",
    ];
    let out = run_client("netlab-bench", &args, T);
    let json = out.stdout_text();
    assert_eq!(json_number(&json, "delivered"), 0.0, "{json}{}", out.stderr);
    // 0 ms would read as "instant"; the old report said p50 0, p99 0.
    assert!(
        !json.contains("p50_ms") && !json.contains("p99_ms"),
        "{json}"
    );
}

#[test]
fn absurd_parameters_are_usage_mistakes() {
    // Nothing listens on `port`: a check that let a case through would meet
    // a refused connection (exit code 1), not a usage mistake (2).
    let closed = support::RefusingTcp::new();
    let port = closed.port();
    let cases: [(&[&str], &str); 15] = [
        // 20 GB of message buffers: the old tool tried to allocate them
        // (here it met the closed port first).
        (
            &[
                "echo-pingpong",
                "--connections",
                "10000",
                "--size",
                "1000000",
            ],
            "memory",
        ),
        // 64 KiB of read buffer each: 6.4 GB.
        (&["echo-bulk", "--connections", "100000"], "memory"),
        (
            &["echo-bulk", "--duration", "0"],
            "0 s would measure nothing",
        ),
        // A negative value is the flag's mistake, explained by its own
        // check; clap alone took `-1` for an unknown flag.
        (&["echo-bulk", "--duration", "-1"], "--duration"),
        (&["chat-fanout", "--rate", "-1"], "--rate must be between"),
        (&["idle", "--connections", "-5"], "--connections"),
        (&["echo-pingpong", "--max-round-trips", "0"], "bound of 0"),
        (
            &["connect-rate", "--service", "time", "--duration", "0"],
            "0 s",
        ),
        (&["chat-fanout", "--rate", "NaN"], "--rate must be between"),
        // 200 lines at 1e-300 lines/s: the old code panicked on a Duration.
        (&["chat-fanout", "--rate", "1e-300"], "more than a day"),
        // Allocated for every message: the old code panicked.
        (&["chat-fanout", "--size", "18446744073709551615"], "--size"),
        (&["chat-fanout", "--timeout", "0"], "0 s"),
        (
            &["chat-fanout", "--mode", "raw", "--clients", "1"],
            "at least 2 clients",
        ),
        (&["idle", "--pid", "4294967295"], "no running process"),
        // tokio would have tried to start a million threads.
        (&["--threads", "1000000", "idle"], "too many"),
    ];
    for (args, words) in cases {
        let mut all = args.to_vec();
        all.extend(["--port", &port]);
        let out = run_client("netlab-bench", &all, Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(words), "{args:?}: {}", out.stderr);
        assert!(
            !out.stderr.contains("unexpected argument"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

#[test]
fn a_run_however_short_reaches_the_server() {
    // With 1 µs to run, the old workers started after the deadline and
    // reported "0 connections/s" with exit code 0, no server there at all.
    let closed = support::RefusingTcp::new();
    let out = run_client(
        "netlab-bench",
        &[
            "connect-rate",
            "--service",
            "time",
            "--port",
            &closed.port(),
            "--duration",
            "0.000001",
        ],
        T,
    );
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
    assert!(out.stderr.contains("refused"), "{}", out.stderr);
}

#[test]
fn a_measured_process_that_exits_mid_run_is_reported() {
    support::bin("netlab-bench"); // built before the clock starts
    let server = Server::start("echo-server", &["--port", "0", "--transport", "tcp"]);
    // The process "measured" lives 1 s of the 2 s hold; a thread reaps it,
    // so that it leaves /proc (a zombie would stay there).
    let mut short = std::process::Command::new("sleep")
        .arg("1")
        .spawn()
        .unwrap();
    let pid = short.id().to_string();
    let reaper = std::thread::spawn(move || short.wait());
    let out = run_client(
        "netlab-bench",
        &[
            "idle",
            "--port",
            &server.port(),
            "--connections",
            "5",
            "--hold",
            "2",
            "--pid",
            &pid,
        ],
        T,
    );
    let _ = reaper.join();
    // The old run succeeded, silently without the memory figures.
    assert_eq!(out.status.code(), Some(1), "{}", out.stdout_text());
    assert!(
        out.stderr.contains("exited during the run"),
        "{}",
        out.stderr
    );
}

/// A raw-mode server that greets nobody (nor relays anything): the first
/// client waits for a greeting in vain, the others do not wait at all. The
/// old tool waited 2 s per client: 30 clients took a minute to set up before
/// the run could even fail.
#[test]
fn a_server_that_greets_nobody_costs_the_greeting_wait_once() {
    let port = fake_server(|mut stream| {
        // Read and forget everything, say nothing, until the client leaves.
        let mut sink = [0u8; 4096];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let began = std::time::Instant::now();
    let out = run_client(
        "netlab-bench",
        &[
            "chat-fanout",
            "--mode",
            "raw",
            "--port",
            &port,
            "--clients",
            "30",
            "--senders",
            "1",
            "--messages",
            "10",
            "--timeout",
            "2",
        ],
        Duration::from_secs(30),
    );
    assert!(!out.status.success(), "nothing was relayed: {}", out.stderr);
    assert!(out.stderr.contains("sync line"), "{}", out.stderr);
    assert!(
        began.elapsed() < Duration::from_secs(15),
        "{:?}: {}",
        began.elapsed(),
        out.stderr
    );
}

#[cfg(unix)]
#[test]
fn a_reader_that_leaves_early_is_not_a_crash() {
    // `| true` reads nothing (like `| head -1` after its line): printing the
    // report used to panic ("failed printing to stdout").
    let server = Server::start("echo-server", &["--port", "0", "--transport", "tcp"]);
    let port = server.port();
    let args = [
        "echo-pingpong",
        "--port",
        &port,
        "--connections",
        "1",
        "--duration",
        "0.3",
    ];
    let (code, stderr) = support::run_with_stdout_closed("netlab-bench", &args);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// A chat/1 server that takes its time reading: it answers `NICK` and
/// relays the sync lines, then reads one line every 20 ms and relays
/// nothing. Once the kernel's buffers are full, each of the sender's writes
/// still goes through (well before `--timeout`), just slowly.
#[test]
fn senders_stop_at_the_run_deadline() {
    let room: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let port = fake_server(move |stream| {
        let mut me = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        while matches!(reader.read_line(&mut line), Ok(1..)) {
            if let Some(nick) = line.strip_prefix("NICK ") {
                let _ = me.write_all(format!("OK NICK {nick}").as_bytes());
                room.lock().unwrap().push(me.try_clone().unwrap());
            } else if line.contains("nlb-sync") {
                let relayed = format!("MSG c0 {}", &line[4..]);
                for client in room.lock().unwrap().iter_mut() {
                    let _ = client.write_all(relayed.as_bytes());
                }
            } else {
                std::thread::sleep(Duration::from_millis(20));
            }
            line.clear();
        }
    });
    // 10,000 lines of 60 kB, which this server takes in 200 s. The old
    // senders went on after the run's deadline (3 s after the start): the
    // tool only came back when they were done.
    let out = run_client(
        "netlab-bench",
        &[
            "chat-fanout",
            "--port",
            &port,
            "--clients",
            "2",
            "--senders",
            "1",
            "--messages",
            "10000",
            "--size",
            "60000",
            "--timeout",
            "3",
            "--json",
        ],
        Duration::from_secs(60),
    );
    assert!(out.status.success(), "{}", out.stderr);
    let json = out.stdout_text();
    assert_one_json_object(&json);
    assert_eq!(json_number(&json, "delivered"), 0.0, "{json}");
    // What the server took in before the deadline is said apart from what
    // it delivered: a slow reader, not a lossy relay.
    let sent = json_number(&json, "sent");
    assert!(0.0 < sent && sent < 10_000.0, "{json}");
}

/// The processes whose parent is `parent`, from `/proc/*/stat` (field 4).
#[cfg(target_os = "linux")]
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                // The command name (field 2) may hold spaces: count from its `)`.
                stat.rfind(')')
                    .and_then(|at| stat[at + 1..].split_whitespace().nth(1))
                    .is_some_and(|ppid| ppid == parent.to_string())
            })
        })
        .collect()
}

/// Is process `pid` still running (there, and not a zombie waiting to be reaped)?
#[cfg(target_os = "linux")]
fn running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rfind(')')
            .and_then(|at| stat[at + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

/// The suite's shortest run: the idle cases (10 connections held 2 s, one
/// round) with the servers of `bin_dir`, its report, chart and logs in
/// `scratch`.
#[cfg(unix)]
fn idle_suite_args(bin_dir: &std::path::Path, scratch: &std::path::Path) -> Vec<String> {
    let path = |name: &str| scratch.join(name).display().to_string();
    vec![
        "suite".into(),
        "--bin-dir".into(),
        bin_dir.display().to_string(),
        "--only".into(),
        "idle".into(),
        "--rounds".into(),
        "1".into(),
        "--idle-connections".into(),
        "10".into(),
        "--out".into(),
        path("benchmarks.md"),
        "--chart".into(),
        path("chart.svg"),
        "--logs".into(),
        path("logs"),
    ]
}

/// [`idle_suite_args`] started in the background, debug builds allowed
/// (the tests' own). Its stderr is piped.
#[cfg(target_os = "linux")]
fn idle_suite(bin_dir: &std::path::Path, scratch: &std::path::Path) -> std::process::Child {
    std::process::Command::new(support::bin("netlab-bench"))
        .args(idle_suite_args(bin_dir, scratch))
        .arg("--allow-debug")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Writes stand-ins for the three servers into `bin_dir`: shell scripts
/// whose body is `script`.
#[cfg(unix)]
fn stand_in_servers(bin_dir: &std::path::Path, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(bin_dir).unwrap();
    for name in ["echo-server", "time-server", "chat-server"] {
        let path = bin_dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

/// An idle suite (see [`idle_suite`]) whose servers are stand-ins that
/// never listen (`sleep SECONDS`, a figure no other process uses), so the
/// suite is surely still waiting for one to listen (up to 10 s): returns
/// the suite, the pid of the stand-in it started, and its scratch folder.
#[cfg(target_os = "linux")]
fn suite_waiting_for_a_stand_in(
    tag: &str,
    seconds: &str,
) -> (std::process::Child, u32, std::path::PathBuf) {
    let scratch = std::env::temp_dir().join(format!("netlab-bench-{tag}-{}", std::process::id()));
    let bin_dir = scratch.join("bin");
    stand_in_servers(&bin_dir, &format!("exec sleep {seconds}"));
    let suite = idle_suite(&bin_dir, &scratch);
    let mark = format!("{seconds}\0");
    let is_stand_in = |pid: &u32| {
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.ends_with(mark.as_bytes()))
    };
    let deadline = Instant::now() + T;
    let server = loop {
        if let Some(pid) = children_of(suite.id()).into_iter().find(is_stand_in) {
            break pid;
        }
        assert!(Instant::now() < deadline, "the suite started no server");
        std::thread::sleep(Duration::from_millis(10));
    };
    (suite, server, scratch)
}

/// Whether `pid` still runs; if it does, it is killed (the test's mess is
/// not left behind) before the test says so.
#[cfg(target_os = "linux")]
fn kill_if_orphaned(pid: u32) -> bool {
    let orphan = running(pid);
    if orphan {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    orphan
}

#[cfg(target_os = "linux")]
#[test]
fn a_suite_stopped_by_sigterm_stops_its_server() {
    // One short case of the suite (10 idle connections held 2 s), on our
    // own echo-server: no peer needed. Its report goes to a scratch folder.
    let echo = support::bin("echo-server");
    support::bin("time-server");
    support::bin("chat-server");
    let scratch = std::env::temp_dir().join(format!("netlab-bench-sigterm-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let mut suite = idle_suite(echo.parent().unwrap(), &scratch);
    // Wait for the echo-server it starts (bounded), then stop the suite as
    // `kill` (or `timeout`) does: SIGTERM to the suite alone.
    let deadline = Instant::now() + T;
    let server = loop {
        if let Some(&pid) = children_of(suite.id()).first() {
            break pid;
        }
        assert!(Instant::now() < deadline, "the suite started no server");
        std::thread::sleep(Duration::from_millis(10));
    };
    let kill = std::process::Command::new("kill")
        .args(["-TERM", &suite.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = support::wait_for_exit(&mut suite, T, "the suite after SIGTERM");
    let stderr = support::read_stderr(&mut suite);
    // The old suite died at once, and its server lived on, holding its port.
    let orphan = running(server);
    if orphan {
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &server.to_string()])
            .status();
    }
    let report_written = scratch.join("benchmarks.md").exists();
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        !orphan,
        "server {server} still runs after the suite: {stderr}"
    );
    // Stopped as by Ctrl-C: exit code 130, and no report written.
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(!report_written, "a partial report replaced the last one");
}

#[test]
fn a_suite_that_would_measure_nothing_is_refused_and_writes_nothing() {
    // A mistyped group, or no rounds: the old suite ran no case at all and
    // wrote an empty report over the last real one (docs/benchmarks.md).
    let scratch = std::env::temp_dir().join(format!("netlab-bench-nothing-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let out = scratch.join("benchmarks.md").display().to_string();
    let chart = scratch.join("chart.svg").display().to_string();
    let logs = scratch.join("logs").display().to_string();
    let bin_dir = support::bin("echo-server");
    support::bin("time-server");
    support::bin("chat-server");
    let bin_dir = bin_dir.parent().unwrap().display().to_string();
    let cases: [(&[&str], &str); 6] = [
        (&["--only", "bulks"], "bulks"),
        (
            &["--only", "pingpong", "--rounds", "1", "--duration", "0"],
            "--duration",
        ),
        (&["--rounds", "0"], "--rounds"),
        (
            &["--only", "idle", "--idle-connections", "0"],
            "--idle-connections",
        ),
        (&["--only", "scaling", "--sweep", "10,0"], "--sweep"),
        (&["--only", "scaling", "--sweep-load", "0"], "--sweep-load"),
    ];
    for (args, words) in cases {
        let mut all = vec![
            "suite",
            "--bin-dir",
            &bin_dir,
            "--out",
            &out,
            "--chart",
            &chart,
            "--logs",
            &logs,
        ];
        all.extend(args);
        let run = run_client("netlab-bench", &all, T);
        let written = scratch.join("benchmarks.md").exists();
        let _ = std::fs::remove_file(scratch.join("benchmarks.md"));
        assert_eq!(run.status.code(), Some(2), "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(words), "{args:?}: {}", run.stderr);
        assert!(!written, "{args:?}: a report was written");
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

#[test]
fn a_chat_setup_that_drags_on_shows_progress() {
    // Accepts, reads, never answers NICK: the setup waits for its time-out.
    // The old tool said nothing meanwhile, as if it had hung.
    let port = fake_server(|mut stream| {
        let mut sink = [0u8; 4096];
        while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
    });
    let out = run_client(
        "netlab-bench",
        &[
            "chat-fanout",
            "--port",
            &port,
            "--clients",
            "3",
            "--timeout",
            "5",
        ],
        T,
    );
    assert!(!out.status.success(), "{}", out.stdout_text());
    assert!(out.stderr.contains("OK NICK"), "{}", out.stderr);
    // A line a second from 3 s on (its exact second depends on the load).
    assert!(
        out.stderr.contains("chat-fanout setup: ")
            && out
                .stderr
                .contains("s (waiting for the server), 0 clients joined"),
        "{}",
        out.stderr
    );
}

#[test]
fn flags_the_suite_would_ignore_are_refused() {
    // The suite starts its own servers on its own ports and writes a report:
    // --json, --host and --port were silently ignored (a script asking for
    // JSON got nothing on stdout).
    let scratch = std::env::temp_dir().join(format!("netlab-bench-ignored-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let path = |name: &str| scratch.join(name).display().to_string();
    let bin_dir = support::bin("echo-server");
    support::bin("time-server");
    support::bin("chat-server");
    let bin_dir = bin_dir.parent().unwrap().display().to_string();
    let (out, chart, logs) = (path("benchmarks.md"), path("chart.svg"), path("logs"));
    for flag in [&["--json"][..], &["--port", "7"], &["--host", "::1"]] {
        let mut all = flag.to_vec();
        all.extend([
            "suite",
            "--bin-dir",
            &bin_dir,
            "--only",
            "idle",
            "--rounds",
            "1",
            "--idle-connections",
            "10",
            "--out",
            &out,
            "--chart",
            &chart,
            "--logs",
            &logs,
        ]);
        let run = run_client("netlab-bench", &all, T);
        let written = scratch.join("benchmarks.md").exists();
        let _ = std::fs::remove_file(scratch.join("benchmarks.md"));
        assert_eq!(run.status.code(), Some(2), "{flag:?}: {}", run.stderr);
        assert!(run.stderr.contains(flag[0]), "{flag:?}: {}", run.stderr);
        assert!(!written, "{flag:?}: the suite ran");
    }
    let _ = std::fs::remove_dir_all(&scratch);
}

/// SIGTERM while the suite waits for a server to listen (`Running::start`
/// blocked the suite's one thread then): the suite must still stop, exit 130
/// and write no report, even when that server was the last one to run.
/// It did go on: the signal was only looked at while a client ran, so a
/// last server that failed to start let the suite write its report, a
/// partial one, over the last whole one, and exit 0.
#[cfg(target_os = "linux")]
#[test]
fn a_suite_stopped_while_a_server_starts_writes_no_report() {
    use std::os::unix::fs::PermissionsExt;
    let scratch =
        std::env::temp_dir().join(format!("netlab-bench-sigstart-{}", std::process::id()));
    let bin_dir = scratch.join("bin");
    std::fs::create_dir_all(&bin_dir).unwrap();
    // Stand-ins: echo-server fails at once (idle-echo fails, the suite
    // goes on), chat-server (the last run) never listens, until killed.
    let script = |name: &str, body: &str| {
        let path = bin_dir.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    };
    script("echo-server", "exit 3");
    script("time-server", "exit 3");
    script("chat-server", "exec sleep 37.75");
    let mut suite = idle_suite(&bin_dir, &scratch);
    let is_stand_in = |pid: &u32| {
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.ends_with(b"37.75\0"))
    };
    let deadline = Instant::now() + T;
    let server = loop {
        if let Some(pid) = children_of(suite.id()).into_iter().find(is_stand_in) {
            break pid;
        }
        assert!(
            Instant::now() < deadline,
            "the suite started no chat-server"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    // The suite waits for it to listen: SIGTERM now, then the stand-in
    // dies, ending that wait as it failed (before the wait gave way to
    // the signal itself, the only way it ended before its 10 s).
    for (signal, pid) in [("-TERM", suite.id()), ("-KILL", server)] {
        let kill = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
    }
    let status = support::wait_for_exit(&mut suite, T, "the suite after SIGTERM");
    let stderr = support::read_stderr(&mut suite);
    let report_written = scratch.join("benchmarks.md").exists();
    let _ = std::fs::remove_dir_all(&scratch);
    assert_eq!(status.code(), Some(130), "{stderr}");
    assert!(!report_written, "a partial report replaced the last one");
}

/// Runs `netlab-bench args…` in a shell that lets it open only `files`
/// files (`ulimit -n`: soft and hard limit, so it cannot raise it itself).
#[cfg(unix)]
fn bench_with_open_files(files: u32, args: &[&str]) -> support::Output {
    let script = format!("ulimit -n {files} && exec \"$0\" \"$@\"");
    let bench = support::bin("netlab-bench").display().to_string();
    let mut all = vec!["-c", script.as_str(), bench.as_str()];
    all.extend(args);
    support::run_with_input(std::path::Path::new("bash"), &all, b"", T)
}

#[cfg(unix)]
#[test]
fn more_connections_than_open_files_are_refused_before_the_first() {
    // 150 connections, 100 open files: connect-rate and chat-fanout used
    // to start the run and fail halfway with a bare "too many open
    // files" (and advice about a server's --max-clients). Nothing may
    // reach the server now: the listener is never served, so every
    // connection the tool made is still waiting in its accept queue.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let runs: [(&[&str], &str); 2] = [
        (
            &[
                "connect-rate",
                "--service",
                "time",
                "--workers",
                "150",
                "--duration",
                "1",
            ],
            "--workers",
        ),
        (
            &["chat-fanout", "--clients", "150", "--senders", "1"],
            "--clients",
        ),
    ];
    for (args, flag) in runs {
        let mut all = args.to_vec();
        all.extend(["--port", &port]);
        let out = bench_with_open_files(100, &all);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("ulimit -n") && out.stderr.contains(&format!("lower {flag}")),
            "{args:?}: {}",
            out.stderr
        );
        listener.set_nonblocking(true).unwrap();
        let reached = std::iter::from_fn(|| listener.accept().ok()).count();
        assert_eq!(reached, 0, "{args:?}: connections made before the refusal");
    }
}

/// Like [`fake_server`], but closes the third connection at once, as it
/// accepts it: a server that misbehaves for one client only.
fn fake_server_breaking_the_third(serve: impl Fn(TcpStream) + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = Arc::new(serve);
    std::thread::spawn(move || {
        for (index, stream) in listener.incoming().flatten().enumerate() {
            if index != 2 {
                let serve = serve.clone();
                std::thread::spawn(move || serve(stream));
            }
        }
    });
    port.to_string()
}

#[test]
fn one_broken_connection_ends_the_run_at_once() {
    // The tool waited for each connection (or worker) in turn: the others
    // ran their whole --duration (20 s here) before the third one's error
    // was even looked at. The first error now ends the run.
    let echo = fake_server_breaking_the_third(|mut stream| {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            if stream.write_all(&buf[..n]).is_err() {
                return;
            }
        }
    });
    // RFC 868: the seconds since 1900 as 4 bytes, then the close.
    let time = fake_server_breaking_the_third(|mut stream| {
        let unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let _ = stream.write_all(&((unix + 2_208_988_800) as u32).to_be_bytes());
    });
    let runs: [(&[&str], &str); 2] = [
        (
            &["echo-pingpong", "--port", &echo, "--connections", "4"],
            "round trip 0 on connection 2",
        ),
        (
            &[
                "connect-rate",
                "--service",
                "time",
                "--port",
                &time,
                "--workers",
                "4",
            ],
            "invalid answer (0 bytes)",
        ),
    ];
    for (args, error) in runs {
        let mut all = args.to_vec();
        all.extend(["--duration", "20"]);
        let began = Instant::now();
        let out = run_client("netlab-bench", &all, Duration::from_secs(40));
        let took = began.elapsed();
        assert!(!out.status.success(), "{args:?}: {}", out.stdout_text());
        assert!(out.stderr.contains(error), "{args:?}: {}", out.stderr);
        assert!(took < Duration::from_secs(10), "{args:?}: {took:?}");
    }
}

/// A suite killed outright (`kill -9`; a second Ctrl-C, which exits at
/// once, is the same for its servers) cannot stop its server itself: the
/// kernel must. The old suite left it running, for nobody.
#[cfg(target_os = "linux")]
#[test]
fn a_suite_killed_outright_takes_its_server_with_it() {
    // What ties the servers to the suite (util-linux's, see servers.rs).
    if support::tool("setpriv").is_none() {
        return;
    }
    let (mut suite, server, scratch) = suite_waiting_for_a_stand_in("kill9", "43.25");
    suite.kill().unwrap(); // SIGKILL: no handler, no clean-up
    let _ = suite.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while running(server) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let orphan = kill_if_orphaned(server);
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(
        !orphan,
        "server {server} still runs after the suite was killed"
    );
}

#[cfg(unix)]
#[test]
fn a_suite_of_debug_builds_is_refused_before_it_runs() {
    // Servers in cargo's debug directory (stand-ins, which would fail at
    // once): the suite ran them, and wrote a report of unoptimized code's
    // figures as if they were the servers'.
    let scratch = std::env::temp_dir().join(format!("netlab-bench-debug-{}", std::process::id()));
    let bin_dir = scratch.join("target").join("debug");
    stand_in_servers(&bin_dir, "exit 3");
    let args = idle_suite_args(&bin_dir, &scratch);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = run_client("netlab-bench", &args, T);
    let written = scratch.join("benchmarks.md").exists();
    let _ = std::fs::remove_dir_all(&scratch);
    assert_eq!(run.status.code(), Some(2), "{}", run.stderr);
    assert!(
        run.stderr.contains("debug build") && run.stderr.contains("--allow-debug"),
        "{}",
        run.stderr
    );
    assert!(!written, "a report of debug builds was written");
}

/// Ctrl-C while the suite waits for a server that does not listen: the
/// suite used to block its one thread in that wait (up to 10 s), so no
/// Ctrl-C, not even a second one, was seen until it ended.
#[cfg(target_os = "linux")]
#[test]
fn a_suite_waiting_for_a_server_stops_at_once_on_ctrl_c() {
    let (mut suite, server, scratch) = suite_waiting_for_a_stand_in("ctrlc", "39.25");
    let interrupted = Instant::now();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &suite.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = support::wait_for_exit(&mut suite, T, "the suite after Ctrl-C");
    let took = interrupted.elapsed();
    let stderr = support::read_stderr(&mut suite);
    let orphan = kill_if_orphaned(server);
    let _ = std::fs::remove_dir_all(&scratch);
    assert_eq!(status.code(), Some(130), "{stderr}");
    // Well before the end of the 10 s wait for the server to listen.
    assert!(took < Duration::from_secs(6), "{took:?}: {stderr}");
    assert!(
        !orphan,
        "server {server} still runs after the suite: {stderr}"
    );
}
