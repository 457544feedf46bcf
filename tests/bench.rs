//! The load tool proves itself against our real servers, briefly: a few
//! connections for half a second each, so this stays a test, not a benchmark.
//! (The full comparison with socat, iperf3, xinetd and ncat is
//! `scripts/bench.sh`; its results are in docs/benchmarks.md.)

mod support;

use std::time::Duration;

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
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("not a loopback address"),
        "{}",
        out.stderr
    );
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
